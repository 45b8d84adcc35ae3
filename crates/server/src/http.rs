//! The HTTP edge (axum): thin handlers that parse the request, call the core and map every
//! error to one `{code, message}` shape, the message in the `Accept-Language` language
//! (zh-CN by default, zh-TW, en). Logs carry command names, codes and ids, never patient data.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use clinicdesk_domain::commands::Command;
use clinicdesk_domain::model::{Appointment, Id};
use clinicdesk_domain::sync::{PullRequest, PullResponse, PushRequest, PushResponse};
use clinicdesk_domain::Lang;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;

use crate::apply::{self, OutcomeKind, Submission};
use crate::auth::{self, Auth, DeviceAuth, SignInRequest};
use crate::db::Db;
use crate::docs::{self, kind};
use crate::error::status_of_code;
use crate::pay::PaymentProvider;
use crate::{patient, sync, ServerError};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub auth: Arc<Auth>,
    pub body_limit: usize,
    /// The body limit of `/sync/v1/…` (decompressed).
    pub sync_body_limit: usize,
    /// Online refunds go out through this provider.
    pub pay: Arc<dyn PaymentProvider>,
    /// The verification code patients sign in with (no SMS in this build); empty: none accepted.
    pub patient_code: String,
    pub patient_token_ttl: chrono::Duration,
}

/// The language asked for: the first (highest-weighted) tag we speak, else zh-CN.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    let Some(value) = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
        return Lang::default();
    };
    let mut tags: Vec<(f32, usize, &str)> = value
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut it = part.split(';');
            let tag = it.next()?.trim();
            let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            Some((q, i, tag))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    tags.iter()
        .find_map(|(_, _, t)| {
            Lang::parse(t).or_else(|| {
                let lower = t.to_ascii_lowercase();
                if lower.starts_with("zh-hant") || lower.starts_with("zh-tw") || lower.starts_with("zh-hk") || lower.starts_with("zh-mo") {
                    Some(Lang::ZhTw)
                } else if lower.starts_with("zh") {
                    Some(Lang::ZhCn)
                } else if lower.starts_with("en") {
                    Some(Lang::En)
                } else {
                    None
                }
            })
        })
        .unwrap_or_default()
}

/// The error body at the HTTP edge.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

pub struct ApiError(pub ServerError, pub Lang);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError(err, lang) = self;
        match &err {
            ServerError::Db(_) | ServerError::Corrupt(_) | ServerError::Migrate(_) => tracing::error!(error = %err, "request failed"),
            _ => tracing::debug!(code = err.code(), "request refused"),
        }
        let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, Json(ErrorBody { code: err.code().to_string(), message: err.message(lang) })).into_response();
        if let ServerError::TooManyAttempts { retry_after_secs } = err {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn body_json<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<T, ServerError> {
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ServerError::BodyTooLarge { limit }
        } else {
            ServerError::MalformedJson(r.body_text())
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ServerError::InvalidRequest(e.to_string()),
        _ => ServerError::MalformedJson(e.to_string()),
    })
}

async fn device(state: &AppState, headers: &HeaderMap) -> Result<DeviceAuth, ServerError> {
    let value = headers.get(header::AUTHORIZATION).ok_or(ServerError::TokenMissing)?;
    let value = value.to_str().map_err(|_| ServerError::TokenInvalid)?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(ServerError::TokenInvalid),
    };
    if token.is_empty() || token.len() > 200 {
        return Err(ServerError::TokenInvalid);
    }
    auth::authenticate(&state.db, token, Utc::now()).await
}

pub fn router(state: AppState) -> Router {
    let limit = state.body_limit;
    // Sync: gzip both ways (a compressed request body is inflated before the body limit
    // counts it; the answer is compressed when the desk sends `Accept-Encoding: gzip`).
    let sync = Router::new()
        .route("/sync/v1/push", post(sync_push))
        .route("/sync/v1/pull", post(sync_pull))
        .layer(DefaultBodyLimit::max(state.sync_body_limit))
        .layer(RequestDecompressionLayer::new().gzip(true).no_br().no_deflate().no_zstd())
        .layer(CompressionLayer::new().gzip(true).no_br().no_deflate().no_zstd());
    Router::new()
        .merge(sync)
        .route("/api/v1/health", get(health))
        .route("/api/v1/auth/sign-in", post(sign_in))
        .route("/api/v1/me", get(me))
        .route("/api/v1/devices/{id}/revoke", post(revoke))
        .route("/api/v1/commands", post(commands))
        .route("/api/v1/appointments/{id}", get(appointment))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/patient/sign-in", post(patient::sign_in_handler))
        .route("/api/v1/patient/appointments", get(patient::appointments_handler))
        .route("/api/v1/patient/stores/{id}/doctors", get(patient::doctors_handler))
        .route("/api/v1/patient/stores/{id}/slots", get(patient::slots_handler))
        .route("/api/v1/patient/bookings", post(patient::book_handler))
        .route("/api/v1/patient/appointments/{id}/cancel", post(patient::cancel_handler))
        .route("/api/v1/patient/cancel-requests/{id}", get(patient::cancel_request_handler))
        .fallback(no_such_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// `POST /sync/v1/push`: the desk's pending commands, applied in device order exactly once.
async fn sync_push(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<PushResponse>> {
    let lang = lang_of(&headers);
    let d = device(&state, &headers).await.map_err(|e| ApiError(e, lang))?;
    let req: PushRequest = body_json(body, state.sync_body_limit).map_err(|e| ApiError(e, lang))?;
    let resp = sync::push(&state.db, state.pay.as_ref(), &d, req, lang, Utc::now()).await.map_err(|e| ApiError(e, lang))?;
    Ok(Json(resp))
}

/// `POST /sync/v1/pull`: one page of the changes in the desk's scope after its cursor.
async fn sync_pull(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<PullResponse>> {
    let lang = lang_of(&headers);
    let d = device(&state, &headers).await.map_err(|e| ApiError(e, lang))?;
    let req: PullRequest = body_json(body, state.sync_body_limit).map_err(|e| ApiError(e, lang))?;
    let resp = sync::pull(&state.db, &d, req).await.map_err(|e| ApiError(e, lang))?;
    Ok(Json(resp))
}

async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

async fn no_such_endpoint(headers: HeaderMap) -> ApiError {
    ApiError(ServerError::NoSuchEndpoint, lang_of(&headers))
}

async fn method_not_allowed(headers: HeaderMap) -> ApiError {
    ApiError(ServerError::MethodNotAllowed, lang_of(&headers))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub backend: String,
    pub schema_version: i64,
    pub epoch: String,
}

async fn health(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Health>> {
    let lang = lang_of(&headers);
    let schema_version = state.db.schema_version().await.map_err(|e| ApiError(e, lang))?;
    let epoch = state.db.epoch().await.map_err(|e| ApiError(e, lang))?;
    Ok(Json(Health { status: "ok".into(), backend: state.db.backend().as_str().into(), schema_version, epoch }))
}

async fn sign_in(State(state): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let lang = lang_of(&headers);
    let req: SignInRequest = body_json(body, state.body_limit).map_err(|e| ApiError(e, lang))?;
    let signed = auth::sign_in(&state.db, &state.auth, req, Utc::now()).await.map_err(|e| ApiError(e, lang))?;
    Ok((StatusCode::CREATED, Json(signed)).into_response())
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Me {
    pub device_id: Id,
    pub device_name: String,
    pub tenant_id: Id,
    pub store_id: Id,
    pub staff: auth::StaffInfo,
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Me>> {
    let lang = lang_of(&headers);
    let d = device(&state, &headers).await.map_err(|e| ApiError(e, lang))?;
    Ok(Json(Me {
        device_id: d.device_id,
        device_name: d.name.clone(),
        tenant_id: d.tenant_id,
        store_id: d.store_id,
        staff: auth::StaffInfo { id: d.staff.id, name: d.staff.name.clone(), role: d.staff.role },
    }))
}

async fn revoke(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> ApiResult<Json<auth::Revoked>> {
    let lang = lang_of(&headers);
    let d = device(&state, &headers).await.map_err(|e| ApiError(e, lang))?;
    let id: Id = id.parse().map_err(|_| ApiError(ServerError::NotFound, lang))?;
    let revoked = auth::revoke(&state.db, &d, id, Utc::now()).await.map_err(|e| ApiError(e, lang))?;
    Ok(Json(revoked))
}

/// `POST /api/v1/commands`: a named, versioned command with its arguments.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandRequest {
    pub name: String,
    pub args: serde_json::Value,
    pub mutation_id: Id,
    #[serde(default)]
    pub device_seq: Option<i64>,
}

async fn commands(State(state): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let lang = lang_of(&headers);
    let d = device(&state, &headers).await.map_err(|e| ApiError(e, lang))?;
    let req: CommandRequest = body_json(body, state.body_limit).map_err(|e| ApiError(e, lang))?;
    if req.device_seq.is_some_and(|s| s < 1) {
        return Err(ApiError(ServerError::InvalidRequest("device_seq starts at 1".into()), lang));
    }
    let command = Command::from_wire(&req.name, req.args).map_err(|e| ApiError(e.into(), lang))?;
    let sub = Submission::live(command, req.mutation_id, req.device_seq);
    let (outcome, _) =
        apply::apply_and_pay(&state.db, state.pay.as_ref(), &d.principal(), &sub, lang, Utc::now()).await.map_err(|e| ApiError(e, lang))?;
    let status = match (&outcome.outcome, &outcome.code) {
        (OutcomeKind::Rejected, Some(code)) => StatusCode::from_u16(status_of_code(code)).unwrap_or(StatusCode::CONFLICT),
        _ => StatusCode::OK,
    };
    Ok((status, Json(outcome)).into_response())
}

/// One appointment of the device's store (404 for anything else, of any chain).
async fn appointment(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> ApiResult<Json<Appointment>> {
    let lang = lang_of(&headers);
    let d = device(&state, &headers).await.map_err(|e| ApiError(e, lang))?;
    let not_found = || ApiError(ServerError::NotFound, lang);
    let id: Id = id.parse().map_err(|_| not_found())?;
    let mut conn = state.db.pool().acquire().await.map_err(|e| ApiError(e.into(), lang))?;
    let a: Option<Appointment> =
        docs::get(&mut conn, d.tenant_id, kind::APPOINTMENT, &docs::id_str(id)).await.map_err(|e| ApiError(e, lang))?;
    match a {
        Some(a) if a.store_id == d.store_id => Ok(Json(a)),
        _ => Err(not_found()),
    }
}
