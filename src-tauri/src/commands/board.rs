//! The appointment board.

use chrono::{NaiveDate, Utc};
use clinicdesk_domain::slots;
use clinicdesk_store::views::BoardDay;
use serde::Serialize;
use tauri::State;

use crate::api::ApiError;
use crate::backend::AppState;

/// A store's day; defaults to this desk's store and today in the store's zone.
#[tauri::command]
pub async fn board_day(state: State<'_, AppState>, store_id: Option<String>, date: Option<String>) -> Result<BoardDay, ApiError> {
    let lang = *state.lang.read().await;
    let ready = state.ready().await.map_err(|e| ApiError::from_store(&e, lang))?;
    let store_id = match store_id {
        Some(s) => s.parse().map_err(|_| ApiError::bad_input(lang, "store"))?,
        None => ready.device.store_id,
    };
    let today = slots::local_date(slots::DEFAULT_TZ, Utc::now());
    let date = match date {
        Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| ApiError::bad_input(lang, "date YYYY-MM-DD"))?,
        None => today,
    };
    ready.store.board_day(store_id, date, today).await.map_err(|e| ApiError::from_store(&e, lang))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    pub ready: bool,
    pub version: &'static str,
}

/// Whether the database is open yet (the first start loads the demo clinic).
#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    AppStatus { ready: state.is_ready(), version: env!("CARGO_PKG_VERSION") }
}
