//! The appointment board: a store's day, a doctor's week, patient search.

use chrono::{Datelike, NaiveDate, Utc};
use clinicdesk_domain::model::Id;
use clinicdesk_domain::roles::{Actor, Permission};
use clinicdesk_domain::{slots, Lang};
use clinicdesk_store::views::{BoardDay, DoctorWeek, PatientHit};
use serde::Serialize;
use tauri::State;

use crate::api::ApiError;
use crate::backend::AppState;

fn parse_id(lang: Lang, what: &str, s: &str) -> Result<Id, ApiError> {
    s.parse().map_err(|_| ApiError::bad_input(lang, what))
}

fn parse_date(lang: Lang, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| ApiError::bad_input(lang, "date YYYY-MM-DD"))
}

/// The store a request is about: the one asked for, else this desk's store when the staff
/// member works there, else their first store.
async fn store_for(state: &AppState, store_id: Option<String>) -> Result<Id, ApiError> {
    let lang = state.lang().await;
    if let Some(s) = store_id {
        return parse_id(lang, "store", &s);
    }
    let ready = state.ready().await.map_err(|e| ApiError::from_store(&e, lang))?;
    match state.session.read().await.as_ref() {
        Some(Actor::Staff { store_ids, .. }) if !store_ids.contains(&ready.device.store_id) => {
            store_ids.first().copied().ok_or_else(|| ApiError::forbidden(lang))
        }
        _ => Ok(ready.device.store_id),
    }
}

/// A store's day; defaults to the session's store and today in the store's zone.
#[tauri::command]
pub async fn board_day(state: State<'_, AppState>, store_id: Option<String>, date: Option<String>) -> Result<BoardDay, ApiError> {
    let lang = state.lang().await;
    let store_id = store_for(&state, store_id).await?;
    let (ready, _actor) = state.act(Permission::ViewBoard, Some(store_id)).await?;
    let today = slots::local_date(slots::DEFAULT_TZ, Utc::now());
    let date = date.as_deref().map(|d| parse_date(lang, d)).transpose()?.unwrap_or(today);
    ready.store.board_day(store_id, date, today).await.map_err(|e| ApiError::from_store(&e, lang))
}

/// One doctor's week in a store, from `from` (default: this week's Monday).
#[tauri::command]
pub async fn doctor_week(
    state: State<'_, AppState>,
    store_id: String,
    doctor_id: String,
    from: Option<String>,
) -> Result<DoctorWeek, ApiError> {
    let lang = state.lang().await;
    let store_id = parse_id(lang, "store", &store_id)?;
    let doctor_id = parse_id(lang, "doctor", &doctor_id)?;
    let (ready, _actor) = state.act(Permission::ViewBoard, Some(store_id)).await?;
    let first = match from {
        Some(d) => parse_date(lang, &d)?,
        None => {
            let today = slots::local_date(slots::DEFAULT_TZ, Utc::now());
            today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()))
        }
    };
    ready.store.doctor_week(store_id, doctor_id, first).await.map_err(|e| ApiError::from_store(&e, lang))
}

/// Patients by name, phone digits or pinyin initials.
#[tauri::command]
pub async fn search_patients(state: State<'_, AppState>, query: String) -> Result<Vec<PatientHit>, ApiError> {
    let lang = state.lang().await;
    // The booking dialog (reception) and the eye record (optometrists) both look patients up.
    let (ready, _actor) = match state.act(Permission::BookAppointment, None).await {
        Err(e) if e.code == "forbidden" => state.act(Permission::ViewClinical, None).await?,
        other => other?,
    };
    ready.store.search_patients(&query, 30).await.map_err(|e| ApiError::from_store(&e, lang))
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
