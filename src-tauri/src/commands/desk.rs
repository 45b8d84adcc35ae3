//! Running commands at the desk as the signed-in staff member, the appointment panel and
//! the cancellation inbox.

use chrono::Utc;
use clinicdesk_domain::commands::Command;
use clinicdesk_domain::roles::Permission;
use clinicdesk_store::detail::{AppointmentDetail, InboxItem};
use serde::Serialize;
use tauri::State;

use crate::api::ApiError;
use crate::backend::AppState;

/// What a command did: its place in this desk's outbox and any warning to show.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub device_seq: u32,
    pub mutation_id: String,
    pub warnings: Vec<String>,
}

/// Runs one named command (`booking.create@1`, `fee.refund_cash@1`, …). The domain checks
/// the role and every rule; a refused command changes nothing.
#[tauri::command]
pub async fn execute(state: State<'_, AppState>, name: String, args: serde_json::Value) -> Result<Outcome, ApiError> {
    let lang = state.lang().await;
    let (ready, actor) = state.act(Permission::ViewBoard, None).await?;
    let command = Command::from_wire(&name, args).map_err(|e| ApiError::from_domain(&e, lang))?;
    let done = ready.store.execute(&ready.device, &actor, &command, Utc::now()).await.map_err(|e| ApiError::from_store(&e, lang))?;
    // Committed locally; the server hears of it at the next sync, which this brings forward.
    state.syncer.nudge();
    Ok(Outcome {
        device_seq: done.device_seq as u32,
        mutation_id: done.mutation_id.to_string(),
        warnings: done.effects.warnings.into_iter().map(|w| w.code).collect(),
    })
}

#[tauri::command]
pub async fn appointment_detail(state: State<'_, AppState>, appointment_id: String) -> Result<AppointmentDetail, ApiError> {
    let lang = state.lang().await;
    let id = appointment_id.parse().map_err(|_| ApiError::bad_input(lang, "appointment"))?;
    let (ready, actor) = state.act(Permission::ViewBoard, None).await?;
    ready.store.appointment_detail(id, &actor, Utc::now()).await.map_err(|e| ApiError::from_store(&e, lang))
}

#[tauri::command]
pub async fn cancellation_inbox(state: State<'_, AppState>, store_id: String) -> Result<Vec<InboxItem>, ApiError> {
    let lang = state.lang().await;
    let id = store_id.parse().map_err(|_| ApiError::bad_input(lang, "store"))?;
    let (ready, _actor) = state.act(Permission::HandleCancellationRequests, Some(id)).await?;
    ready.store.cancellation_inbox(id).await.map_err(|e| ApiError::from_store(&e, lang))
}

/// The booking dialog's choices for a store and day: complaints, departments, and the
/// doctors of `department_id` who still have free slots, in the store's doctor order.
#[tauri::command]
pub async fn booking_options(
    state: State<'_, AppState>,
    store_id: String,
    date: String,
    department_id: Option<String>,
) -> Result<clinicdesk_store::booking::BookingOptions, ApiError> {
    let lang = state.lang().await;
    let store = store_id.parse().map_err(|_| ApiError::bad_input(lang, "store"))?;
    let date = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| ApiError::bad_input(lang, "date YYYY-MM-DD"))?;
    let department = department_id.map(|d| d.parse().map_err(|_| ApiError::bad_input(lang, "department"))).transpose()?;
    let (ready, _actor) = state.act(Permission::BookAppointment, Some(store)).await?;
    ready.store.booking_options(store, date, department).await.map_err(|e| ApiError::from_store(&e, lang))
}

/// A store's settings, for the manager's settings screen (changed with `store.update_settings@1`).
#[tauri::command]
pub async fn store_settings(state: State<'_, AppState>, store_id: String) -> Result<clinicdesk_domain::model::StoreSettings, ApiError> {
    let lang = state.lang().await;
    let store = store_id.parse().map_err(|_| ApiError::bad_input(lang, "store"))?;
    let (ready, _actor) = state.act(Permission::EditStoreSettings, Some(store)).await?;
    ready.store.store_settings(store).await.map_err(|e| ApiError::from_store(&e, lang))
}
