//! Staff sign-in on the server and device tokens.
//!
//! Passwords are Argon2id hashes made by `clinicdesk_store::auth::hash_password`; failed
//! sign-ins are counted by the store's `SignInLimiter` (per chain and login). A successful
//! sign-in registers a device for one store and returns a random opaque token; only its
//! SHA-256 is stored, so a stolen database does not hold usable tokens.

use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Utc};
use clinicdesk_domain::model::{Id, Staff};
use clinicdesk_domain::roles::{Actor, Role};
use clinicdesk_store::auth::{verify, SignInLimiter};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::docs::{self, id_str, kind, ts};
use crate::ServerError;

/// What a desk sends to sign in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// The chain's id; needed only when the login exists in several chains.
    #[serde(default)]
    pub tenant: Option<Id>,
    pub login: String,
    pub password: String,
    pub store_id: Id,
    pub device_name: String,
    /// The desk's own, permanent id. A desk that signs in again (a new token, another staff
    /// member) stays the same device, so its commands keep one gap-free `device_seq` line.
    #[serde(default)]
    pub desk_id: Option<Id>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffInfo {
    pub id: Id,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedIn {
    pub device_id: Id,
    /// Send as `Authorization: Bearer <token>`. Shown once; the server keeps only its hash.
    pub token: String,
    pub tenant_id: Id,
    pub store_id: Id,
    pub staff: StaffInfo,
    pub expires_at: DateTime<Utc>,
}

/// The signed-in desk behind a request.
#[derive(Debug, Clone)]
pub struct DeviceAuth {
    pub device_id: Id,
    pub tenant_id: Id,
    pub store_id: Id,
    pub name: String,
    pub staff: Staff,
}

impl DeviceAuth {
    /// The acting person: the device's staff member, with their role, in the device's store only.
    pub fn actor(&self) -> Actor {
        Actor::Staff { staff_id: self.staff.id, name: self.staff.name.clone(), role: self.staff.role, store_ids: vec![self.store_id] }
    }
}

/// Sign-in state shared by requests: the limiter and a hash to verify against when the
/// login does not exist (the same work either way).
pub struct Auth {
    limiter: Mutex<SignInLimiter>,
    dummy_hash: String,
    pub token_ttl: chrono::Duration,
}

impl Auth {
    pub fn new(token_ttl: chrono::Duration) -> Auth {
        Auth {
            limiter: Mutex::new(SignInLimiter::default()),
            dummy_hash: clinicdesk_store::auth::hash_password("not a password of anyone"),
            token_ttl,
        }
    }
}

impl Auth {
    /// The failed sign-in counter (shared with patient sign-in, keyed apart).
    pub(crate) fn limiter(&self) -> &Mutex<SignInLimiter> {
        &self.limiter
    }
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("cdt_{}", hex::encode(bytes))
}

fn parse_id(s: &str) -> Result<Id, ServerError> {
    s.parse().map_err(|_| ServerError::Corrupt(format!("bad id {s:?}")))
}

pub async fn sign_in(db: &Db, auth: &Auth, req: SignInRequest, now: DateTime<Utc>) -> Result<SignedIn, ServerError> {
    let login = req.login.trim().to_string();
    let device_name = req.device_name.trim().to_string();
    if login.is_empty() || device_name.is_empty() || device_name.chars().count() > 60 {
        return Err(ServerError::InvalidRequest("login and device_name (1–60 characters) are required".into()));
    }
    let rows: Vec<(String, String, String)> = match req.tenant {
        Some(t) => {
            sqlx::query_as("SELECT staff_id, tenant_id, password_hash FROM staff_credentials WHERE login = $1 AND tenant_id = $2")
                .bind(&login)
                .bind(id_str(t))
                .fetch_all(db.pool())
                .await?
        }
        None => {
            sqlx::query_as("SELECT staff_id, tenant_id, password_hash FROM staff_credentials WHERE login = $1")
                .bind(&login)
                .fetch_all(db.pool())
                .await?
        }
    };
    if rows.len() > 1 {
        return Err(ServerError::TenantRequired);
    }
    let found = rows.into_iter().next();
    // Failures count per chain and login, whatever the request said the chain was.
    let key = format!("{}/{}", found.as_ref().map(|r| r.1.as_str()).unwrap_or("-"), login);
    if let Some(secs) = auth.limiter.lock().expect("limiter").locked_for(&key, Instant::now()) {
        return Err(ServerError::TooManyAttempts { retry_after_secs: secs });
    }
    let hash = found.as_ref().map(|r| r.2.clone()).unwrap_or_else(|| auth.dummy_hash.clone());
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || verify(&password, &hash)).await.unwrap_or(false) && found.is_some();
    let Some((staff_id, tenant_id, _)) = found.filter(|_| ok) else {
        auth.limiter.lock().expect("limiter").failed(&key, Instant::now());
        tracing::info!(target: "clinicdesk_server::auth", "sign-in failed");
        return Err(ServerError::SignInFailed);
    };
    auth.limiter.lock().expect("limiter").succeeded(&key);
    let tenant_id = parse_id(&tenant_id)?;
    let mut conn = db.pool().acquire().await?;
    let staff: Staff = docs::get(&mut conn, tenant_id, kind::STAFF, &staff_id).await?.ok_or(ServerError::SignInFailed)?;
    if !staff.store_ids.contains(&req.store_id) {
        return Err(clinicdesk_domain::DomainError::NotInStore { store_id: req.store_id }.into());
    }
    let token = new_token();
    let expires_at = now + auth.token_ttl;
    let known: Option<(String, String)> = match req.desk_id {
        Some(desk) => {
            sqlx::query_as("SELECT tenant_id, store_id FROM devices WHERE id = $1").bind(id_str(desk)).fetch_optional(&mut *conn).await?
        }
        None => None,
    };
    let device_id = match (req.desk_id, known) {
        // The same desk again: a new token (the old one stops working), same device.
        (Some(desk), Some((t, st))) if t == id_str(tenant_id) && st == id_str(req.store_id) => {
            sqlx::query(
                "UPDATE devices SET staff_id = $1, name = $2, token_hash = $3, created_at = $4, expires_at = $5, revoked_at = NULL, revoked_by = NULL WHERE id = $6",
            )
            .bind(id_str(staff.id))
            .bind(&device_name)
            .bind(token_hash(&token))
            .bind(ts(now))
            .bind(ts(expires_at))
            .bind(id_str(desk))
            .execute(&mut *conn)
            .await?;
            desk
        }
        // A desk id registered for another store or chain is not this desk's to take.
        (Some(_), Some(_)) => return Err(ServerError::InvalidRequest("desk_id belongs to another store".into())),
        (desk, _) => {
            let device_id = desk.unwrap_or_else(uuid::Uuid::now_v7);
            sqlx::query(
                "INSERT INTO devices (id, tenant_id, store_id, staff_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id_str(device_id))
            .bind(id_str(tenant_id))
            .bind(id_str(req.store_id))
            .bind(id_str(staff.id))
            .bind(&device_name)
            .bind(token_hash(&token))
            .bind(ts(now))
            .bind(ts(expires_at))
            .execute(&mut *conn)
            .await?;
            device_id
        }
    };
    drop(conn);
    tracing::info!(target: "clinicdesk_server::auth", device = %device_id, store = %req.store_id, role = staff.role.as_str(), "device signed in");
    assign_legacy_fees(db, tenant_id, req.store_id, device_id, now).await?;
    Ok(SignedIn {
        device_id,
        token,
        tenant_id,
        store_id: req.store_id,
        staff: StaffInfo { id: staff.id, name: staff.name.clone(), role: staff.role },
        expires_at,
    })
}

/// Gives the store's desk-paid fees that name no collecting desk (paid before that rule:
/// the demo clinic's, a chain's history) to the desk signing in, through the server's
/// `fee.assign_refund_desk@1`. The first desk to sign in for a store takes them all; after
/// that none are left, so later sign-ins find nothing to do. A desk pulls its store only
/// after signing in, so every desk of the store sees who may hand the cash back.
async fn assign_legacy_fees(db: &Db, tenant: Id, store_id: Id, device_id: Id, now: DateTime<Utc>) -> Result<(), ServerError> {
    use clinicdesk_domain::commands::{Command, FeeAssignRefundDesk};
    use clinicdesk_domain::model::Fee;
    let rows: Vec<(String,)> = sqlx::query_as(
        r#"SELECT e.data FROM entities e WHERE e.kind = $1 AND e.store_id = $2 AND e.tenant_id = $3
         AND e.data LIKE '%"kind":"desk"%' AND e.data NOT LIKE '%"collected_by"%'
         AND NOT EXISTS (SELECT 1 FROM refunds_live r WHERE r.fee_id = e.id AND r.tenant_id = $3)"#,
    )
    .bind(kind::FEE)
    .bind(id_str(store_id))
    .bind(id_str(tenant))
    .fetch_all(db.pool())
    .await?;
    let mut fee_ids = Vec::new();
    for (data,) in &rows {
        let fee: Fee = docs::parse(data)?;
        if clinicdesk_domain::fees::awaits_refund_desk(&fee, store_id) {
            fee_ids.push(fee.id);
        }
    }
    if fee_ids.is_empty() {
        return Ok(());
    }
    let count = fee_ids.len();
    let device_code = crate::apply::DeskOrigin::device_code(device_id);
    let system = crate::apply::Principal {
        tenant_id: tenant,
        device_id: "server".into(),
        store_id: Some(store_id),
        actor: Actor::System,
        actor_id: "system".into(),
        desk: None,
    };
    // A command per 500 fees keeps each one (and its history lines) small.
    for chunk in fee_ids.chunks(500) {
        let command =
            Command::FeeAssignRefundDesk(FeeAssignRefundDesk { store_id, device_code: device_code.clone(), fee_ids: chunk.to_vec() });
        let sub = crate::apply::Submission::live(command, uuid::Uuid::now_v7(), None);
        let outcome = crate::apply::apply_as(db, &system, &sub, clinicdesk_domain::Lang::ZhCn, now).await?;
        if outcome.outcome == crate::apply::OutcomeKind::Rejected {
            return Err(ServerError::Corrupt(format!("assigning legacy fees was refused: {}", outcome.code.unwrap_or_default())));
        }
    }
    tracing::info!(target: "clinicdesk_server::auth", device = %device_id, store = %store_id, fees = count, "legacy desk fees assigned to this desk");
    Ok(())
}

/// id, tenant_id, store_id, staff_id, name, expires_at, revoked_at
type DeviceRow = (String, String, String, String, String, i64, Option<i64>);

/// The device behind a bearer token, if the token is known, not revoked, not expired, and
/// its staff member still works in its store.
pub async fn authenticate(db: &Db, token: &str, now: DateTime<Utc>) -> Result<DeviceAuth, ServerError> {
    let row: Option<DeviceRow> =
        sqlx::query_as("SELECT id, tenant_id, store_id, staff_id, name, expires_at, revoked_at FROM devices WHERE token_hash = $1")
            .bind(token_hash(token))
            .fetch_optional(db.pool())
            .await?;
    let Some((id, tenant, store, staff_id, name, expires_at, revoked_at)) = row else {
        return Err(ServerError::TokenInvalid);
    };
    if revoked_at.is_some() {
        return Err(ServerError::TokenRevoked);
    }
    if ts(now) >= expires_at {
        return Err(ServerError::TokenExpired);
    }
    let tenant_id = parse_id(&tenant)?;
    let store_id = parse_id(&store)?;
    let mut conn = db.pool().acquire().await?;
    let staff: Staff = docs::get(&mut conn, tenant_id, kind::STAFF, &staff_id).await?.ok_or(ServerError::TokenInvalid)?;
    if !staff.store_ids.contains(&store_id) {
        return Err(ServerError::TokenRevoked);
    }
    Ok(DeviceAuth { device_id: parse_id(&id)?, tenant_id, store_id, name, staff })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revoked {
    pub device_id: Id,
    pub revoked_at: DateTime<Utc>,
}

/// A manager of the device's store revokes it; its token is refused from then on.
pub async fn revoke(db: &Db, by: &DeviceAuth, device_id: Id, now: DateTime<Utc>) -> Result<Revoked, ServerError> {
    let row: Option<(String, Option<i64>)> = sqlx::query_as("SELECT store_id, revoked_at FROM devices WHERE id = $1 AND tenant_id = $2")
        .bind(id_str(device_id))
        .bind(id_str(by.tenant_id))
        .fetch_optional(db.pool())
        .await?;
    let Some((store, revoked_at)) = row else {
        return Err(ServerError::NotFound);
    };
    let store_id = parse_id(&store)?;
    if by.staff.role != Role::Manager || !by.staff.store_ids.contains(&store_id) {
        return Err(ServerError::ManagerOnly);
    }
    if let Some(at) = revoked_at {
        return Ok(Revoked { device_id, revoked_at: DateTime::from_timestamp(at, 0).unwrap_or(now) });
    }
    sqlx::query("UPDATE devices SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL")
        .bind(ts(now))
        .bind(id_str(by.staff.id))
        .bind(id_str(device_id))
        .execute(db.pool())
        .await?;
    tracing::info!(target: "clinicdesk_server::auth", device = %device_id, by_device = %by.device_id, "device revoked");
    Ok(Revoked { device_id, revoked_at: DateTime::from_timestamp(ts(now), 0).unwrap_or(now) })
}
