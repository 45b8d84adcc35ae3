//! The recall task list (DOMAIN.md §8): today's tasks of a store with drafted messages, what
//! was done about each, and which are overdue. Outcomes are recorded through `execute`
//! (`recall.record_outcome@1`); thresholds through `store.update_settings@1`.

use chrono::Utc;
use clinicdesk_domain::roles::Permission;
use clinicdesk_store::recall::RecallListView;
use tauri::State;

use crate::api::ApiError;
use crate::backend::AppState;

/// A store's recall list on its today (its time zone), in the desk's language.
#[tauri::command]
pub async fn recall_list(state: State<'_, AppState>, store_id: String) -> Result<RecallListView, ApiError> {
    let lang = state.lang().await;
    let id = store_id.parse().map_err(|_| ApiError::bad_input(lang, "store"))?;
    let (ready, _actor) = state.act(Permission::WorkRecallList, Some(id)).await?;
    ready.store.recall_view(id, Utc::now(), lang).await.map_err(|e| ApiError::from_store(&e, lang))
}
