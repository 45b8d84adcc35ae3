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

/// One doctor's week in a store, from `from` (YYYY-MM-DD; default: this week's Monday).
#[tauri::command]
pub async fn doctor_week(
    state: State<'_, AppState>,
    store_id: String,
    doctor_id: String,
    from: Option<String>,
) -> Result<clinicdesk_store::views::DoctorWeek, ApiError> {
    let lang = *state.lang.read().await;
    let ready = state.ready().await.map_err(|e| ApiError::from_store(&e, lang))?;
    let store_id = store_id.parse().map_err(|_| ApiError::bad_input(lang, "store"))?;
    let doctor_id = doctor_id.parse().map_err(|_| ApiError::bad_input(lang, "doctor"))?;
    let first = match from {
        Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| ApiError::bad_input(lang, "date YYYY-MM-DD"))?,
        None => {
            use chrono::Datelike;
            let today = slots::local_date(slots::DEFAULT_TZ, Utc::now());
            today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()))
        }
    };
    ready.store.doctor_week(store_id, doctor_id, first).await.map_err(|e| ApiError::from_store(&e, lang))
}

/// Patients by name, phone digits or pinyin initials.
#[tauri::command]
pub async fn search_patients(state: State<'_, AppState>, query: String) -> Result<Vec<clinicdesk_store::views::PatientHit>, ApiError> {
    let lang = *state.lang.read().await;
    let ready = state.ready().await.map_err(|e| ApiError::from_store(&e, lang))?;
    ready.store.search_patients(&query, 30).await.map_err(|e| ApiError::from_store(&e, lang))
}
