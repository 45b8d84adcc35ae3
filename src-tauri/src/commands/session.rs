//! Staff sign-in at the desk, and the language the backend answers in.

use std::time::Instant;

use clinicdesk_domain::roles::{role_allows, Actor, Permission};
use clinicdesk_domain::Lang;
use tauri::State;

use crate::api::{ApiError, Session};
use crate::backend::{AppState, Ready};

#[tauri::command]
pub async fn sign_in(state: State<'_, AppState>, login: String, password: String) -> Result<Session, ApiError> {
    let lang = state.lang().await;
    let ready = state.ready().await.map_err(|e| ApiError::from_store(&e, lang))?;
    if let Some(secs) = state.limiter.lock().await.locked_for(&login, Instant::now()) {
        return Err(ApiError::too_many_attempts(lang, secs));
    }
    match ready.store.sign_in(&login, &password).await {
        Ok(staff) => {
            state.limiter.lock().await.succeeded(&login);
            let actor = Actor::Staff { staff_id: staff.id, name: staff.name, role: staff.role, store_ids: staff.store_ids };
            let session = session_of(&actor, &ready, lang).await?;
            *state.session.write().await = Some(actor);
            Ok(session)
        }
        Err(e) => {
            state.limiter.lock().await.failed(&login, Instant::now());
            Err(ApiError::from_store(&e, lang))
        }
    }
}

/// The signed-in staff member, if any (the UI asks at start).
#[tauri::command]
pub async fn session(state: State<'_, AppState>) -> Result<Option<Session>, ApiError> {
    let lang = state.lang().await;
    let Some(actor) = state.session.read().await.clone() else {
        return Ok(None);
    };
    let ready = state.ready().await.map_err(|e| ApiError::from_store(&e, lang))?;
    session_of(&actor, &ready, lang).await.map(Some)
}

/// What the UI needs to know of the signed-in staff member: who, which stores (this desk's
/// store first if theirs), and what they may do.
async fn session_of(actor: &Actor, ready: &Ready, lang: Lang) -> Result<Session, ApiError> {
    let Actor::Staff { staff_id, name, role, store_ids } = actor else {
        return Err(ApiError::not_signed_in(lang));
    };
    let store_id = if store_ids.contains(&ready.device.store_id) {
        ready.device.store_id
    } else {
        *store_ids.first().ok_or_else(|| ApiError::forbidden(lang))?
    };
    let stores = ready.store.stores().await.map_err(|e| ApiError::from_store(&e, lang))?;
    Ok(Session {
        staff_id: staff_id.to_string(),
        name: name.clone(),
        role: *role,
        stores: stores.into_iter().filter(|s| store_ids.iter().any(|id| id.to_string() == s.id)).collect(),
        store_id: store_id.to_string(),
        permissions: Permission::ALL.iter().filter(|p| role_allows(*role, **p)).map(|p| p.as_str().to_string()).collect(),
    })
}

#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<(), ApiError> {
    *state.session.write().await = None;
    Ok(())
}

#[tauri::command]
pub async fn set_language(state: State<'_, AppState>, lang: String) -> Result<(), ApiError> {
    let current = state.lang().await;
    let parsed = Lang::parse(&lang).ok_or_else(|| ApiError::bad_input(current, "lang: zh-CN, zh-TW or en"))?;
    *state.lang.write().await = parsed;
    Ok(())
}
