//! The sync indicator, the sync details, the store's conflict inbox and the server connection.
//! Everyone sees the indicator and the details; connecting the desk to a server is for
//! managers (`edit_store_settings`); fixing a conflict needs `resolve_conflicts`.

use clinicdesk_domain::commands::{Command, ConflictResolve};
use clinicdesk_domain::roles::Permission;
use serde::Serialize;
use tauri::State;

use crate::api::ApiError;
use crate::backend::AppState;
use crate::sync::ServerLink;

pub use clinicdesk_store::sync_view::{ConflictBooking, ConflictFee, ConflictItem, ConflictResolved, ConflictSide, SyncLine};

/// Where syncing stands.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Not connected to a server: the desk works on its own database only.
    LocalOnly,
    Online,
    Offline,
    Syncing,
    /// The server reported a protocol error: syncing stopped, nothing deleted; IT must look.
    Halted,
}

/// What a long sync is doing.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ProgressPhase {
    Push,
    Pull,
    /// First sync (or after a restore): the whole store.
    Snapshot,
}

/// A long sync's progress.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct SyncProgress {
    pub phase: ProgressPhase,
    pub done: u32,
    pub total: Option<u32>,
}

impl From<&clinicdesk_sync::Progress> for SyncProgress {
    fn from(p: &clinicdesk_sync::Progress) -> Self {
        let phase = match p.phase {
            clinicdesk_sync::Phase::Push => ProgressPhase::Push,
            clinicdesk_sync::Phase::Pull => ProgressPhase::Pull,
            clinicdesk_sync::Phase::Snapshot => ProgressPhase::Snapshot,
        };
        SyncProgress { phase, done: p.done.max(0) as u32, total: (p.total > 0).then_some(p.total as u32) }
    }
}

/// The indicator's state, also pushed as the `sync-status` event whenever it changes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncView {
    /// None: this desk is not connected to a server (works locally only).
    pub server_url: Option<String>,
    /// The staff member the desk is registered under on the server.
    pub signed_in_as: Option<String>,
    pub state: SyncPhase,
    /// Commands not yet acknowledged by the server.
    pub pending: u32,
    /// Appointments that need attention (rejected by the server, or predicted to lose their slot).
    pub attention: u32,
    /// Open conflicts of this desk's store.
    pub open_conflicts: u32,
    /// ISO UTC of the last successful sync.
    pub last_sync_at: Option<String>,
    /// Why the last attempt failed (message already in the user's language).
    pub last_error: Option<ApiError>,
    pub progress: Option<SyncProgress>,
    /// This desk's clock minus the server's, in seconds, when known.
    pub clock_skew_secs: Option<i32>,
    /// This desk's number (`D` + six hex digits), as a fee only one desk may refund names it
    /// ("只能在本店 D7A3F21 号前台退费"). None until the desk database is open.
    pub device_code: Option<String>,
}

impl SyncView {
    pub fn local(link: Option<&ServerLink>) -> SyncView {
        SyncView {
            server_url: link.map(|l| l.url.clone()),
            signed_in_as: link.map(|l| l.staff_name.clone()),
            state: if link.is_some() { SyncPhase::Offline } else { SyncPhase::LocalOnly },
            pending: 0,
            attention: 0,
            open_conflicts: 0,
            last_sync_at: None,
            last_error: None,
            progress: None,
            clock_skew_secs: None,
            device_code: None,
        }
    }
}

#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncView, ApiError> {
    let (ready, _actor) = state.act(Permission::ViewBoard, None).await?;
    state.syncer.refresh_counts(&ready.store, ready.device.store_id).await;
    Ok(state.syncer.view().await)
}

/// Syncs now and answers when the attempt ended (offline is an answer, not an error).
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> Result<SyncView, ApiError> {
    let lang = state.lang().await;
    let (ready, _actor) = state.act(Permission::ViewBoard, None).await?;
    state.syncer.sync_now(&ready.store, ready.device.store_id, lang).await;
    Ok(state.syncer.view().await)
}

/// This desk's commands, newest first, with what the server said about each.
#[tauri::command]
pub async fn sync_details(state: State<'_, AppState>, limit: u32) -> Result<Vec<SyncLine>, ApiError> {
    let lang = state.lang().await;
    let (ready, _actor) = state.act(Permission::ViewBoard, None).await?;
    ready.store.sync_lines(limit.clamp(1, 1000), lang).await.map_err(|e| ApiError::from_store(&e, lang))
}

/// The store's conflicts: open ones first, newest first.
#[tauri::command]
pub async fn sync_conflicts(state: State<'_, AppState>, store_id: String) -> Result<Vec<ConflictItem>, ApiError> {
    let lang = state.lang().await;
    let id = store_id.parse().map_err(|_| ApiError::bad_input(lang, "store"))?;
    let (ready, _actor) = state.act(Permission::ViewBoard, Some(id)).await?;
    ready.store.conflict_items(id, lang).await.map_err(|e| ApiError::from_store(&e, lang))
}

/// Marks a conflict handled (`dismissed`, `rebooked:<appointment id>`, `called` …) through
/// `conflict.resolve@1`: synced, so every desk of the store sees it resolved.
#[tauri::command]
pub async fn resolve_conflict(state: State<'_, AppState>, id: String, how: String) -> Result<(), ApiError> {
    let lang = state.lang().await;
    let conflict_id = id.parse().map_err(|_| ApiError::bad_input(lang, "conflict"))?;
    let (ready, actor) = state.act(Permission::ViewBoard, None).await?;
    let command = Command::ConflictResolve(ConflictResolve { conflict_id, how });
    ready.store.execute(&ready.device, &actor, &command, chrono::Utc::now()).await.map_err(|e| ApiError::from_store(&e, lang))?;
    state.syncer.refresh_counts(&ready.store, ready.device.store_id).await;
    state.syncer.nudge();
    Ok(())
}

async fn ready_store(state: &AppState) -> clinicdesk_domain::model::Id {
    match state.ready().await {
        Ok(r) => r.device.store_id,
        Err(_) => uuid::Uuid::nil(),
    }
}

/// Connects this desk to a server: signs in there as the given staff member (who must work
/// in this desk's store), keeps the token in the OS keychain and starts syncing. Managers only.
#[tauri::command]
pub async fn server_connect(state: State<'_, AppState>, url: String, login: String, password: String) -> Result<SyncView, ApiError> {
    let lang = state.lang().await;
    let (ready, _actor) = state.act(Permission::EditStoreSettings, Some(ready_store(&state).await)).await?;
    if login.trim().is_empty() {
        return Err(ApiError { field: Some("login".into()), ..ApiError::bad_input(lang, "login") });
    }
    let url = clinicdesk_sync::normalize_server_url(&url).map_err(|e| ApiError::from_connect(&e, lang))?;
    let signed = clinicdesk_sync::sign_in(
        &url,
        login.trim(),
        &password,
        ready.device.store_id,
        ready.device.device_id,
        &device_name(&ready.device),
        lang,
    )
    .await
    .map_err(|e| ApiError::from_connect(&e, lang))?;
    let link = ServerLink {
        account: format!("{}@{}", signed.device_id, url),
        url,
        server_device_id: signed.device_id,
        staff_name: signed.staff_name,
    };
    state.syncer.connect(link, &signed.token).await.map_err(|e| {
        tracing::warn!(error = %e, "keychain refused the token");
        ApiError::keychain(lang)
    })?;
    Ok(state.syncer.view().await)
}

fn device_name(d: &clinicdesk_store::Device) -> String {
    format!("{} {}", d.store_code, d.device_code)
}

/// Disconnects this desk from its server; its pending commands stay in the outbox.
#[tauri::command]
pub async fn server_disconnect(state: State<'_, AppState>) -> Result<SyncView, ApiError> {
    let (_ready, _actor) = state.act(Permission::EditStoreSettings, Some(ready_store(&state).await)).await?;
    state.syncer.disconnect().await;
    Ok(state.syncer.view().await)
}
