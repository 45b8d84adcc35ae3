//! The patient API (the patients' mini-program): sign-in by phone and verification code,
//! their own appointments, a store's doctors and free slots, booking and cancelling.
//!
//! A patient token is bound to one phone in one chain; it speaks for the patients with that
//! phone and those whose guardian has it (fixed at sign-in). Every read names the chain and
//! checks the patient, so another patient's or another chain's rows answer 404. Writes go
//! through `apply.rs` as `Actor::Patient`, so the rules stay in `clinicdesk_domain`.
//! There is no SMS here: the verification code is the server's configured one (the demo's
//! is documented in the README).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use clinicdesk_domain::booking;
use clinicdesk_domain::commands::{derived_id, BookingCreate, Command, NewFee, RequestCreate, WithReason};
use clinicdesk_domain::model::*;
use clinicdesk_domain::order;
use clinicdesk_domain::roles::Actor;
use clinicdesk_domain::slots;
use clinicdesk_domain::world::World;
use clinicdesk_domain::Lang;
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::apply::{self, CommandOutcome, OutcomeKind, Principal, Submission};
use crate::auth::token_hash;
use crate::db::Db;
use crate::docs::{self, id_str, kind, ts};
use crate::error::status_of_code;
use crate::http::{body_json, lang_of, ApiError, AppState, ErrorBody};
use crate::pay::ProviderRefund;
use crate::ServerError;

/// The verification code the demo server accepts (no SMS is sent).
pub const DEMO_VERIFICATION_CODE: &str = "246810";

/// The longest slot query, in days.
pub const MAX_SLOT_DAYS: i64 = 62;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientSignInRequest {
    pub tenant: Id,
    pub phone: String,
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatientSignedIn {
    /// Send as `Authorization: Bearer <token>`. Shown once; the server keeps only its hash.
    pub token: String,
    pub tenant_id: Id,
    /// The patients this phone speaks for.
    pub patient_ids: Vec<Id>,
    pub expires_at: DateTime<Utc>,
}

/// The signed-in patient behind a request.
#[derive(Debug, Clone)]
pub struct PatientAuth {
    pub tenant_id: Id,
    pub patient_ids: Vec<Id>,
    /// A short, non-secret label of the session for the command log.
    pub session: String,
}

impl PatientAuth {
    fn principal(&self, patient_id: Id) -> Principal {
        Principal {
            tenant_id: self.tenant_id,
            device_id: format!("patient-app:{}", self.session),
            store_id: None,
            actor: Actor::Patient { patient_id },
            actor_id: format!("patient:{}", id_str(patient_id)),
            desk: None,
        }
    }
    fn speaks_for(&self, patient_id: Id) -> bool {
        self.patient_ids.contains(&patient_id)
    }
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("cdp_{}", hex::encode(bytes))
}

fn parse_id(s: &str) -> Result<Id, ServerError> {
    s.parse().map_err(|_| ServerError::Corrupt(format!("bad id {s:?}")))
}

/// Documents of one kind of this chain whose JSON has `"field":"value"` (serde_json's compact form).
async fn docs_with<T: DeserializeOwned>(
    conn: &mut AnyConnection,
    tenant: Id,
    kind: &str,
    field: &str,
    value: &str,
) -> Result<Vec<T>, ServerError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT data FROM entities WHERE kind = $1 AND tenant_id = $2 AND data LIKE $3")
        .bind(kind)
        .bind(id_str(tenant))
        .bind(format!("%\"{field}\":\"{value}\"%"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|(d,)| docs::parse(d)).collect()
}

/// Signs a patient in: the phone must belong to a patient (or a guardian) of the chain and
/// the code must be the configured one. Failures count like staff sign-ins.
pub async fn sign_in(state: &AppState, req: PatientSignInRequest, now: DateTime<Utc>) -> Result<PatientSignedIn, ServerError> {
    let phone = clinicdesk_domain::text::phone(&req.phone)?;
    let key = format!("patient/{}/{}", id_str(req.tenant), phone);
    if let Some(secs) = state.auth.limiter().lock().expect("limiter").locked_for(&key, Instant::now()) {
        return Err(ServerError::TooManyAttempts { retry_after_secs: secs });
    }
    let mut conn = state.db.pool().acquire().await?;
    let mut ids: BTreeSet<Id> = BTreeSet::new();
    for p in docs_with::<Patient>(&mut conn, req.tenant, kind::PATIENT, "phone", &phone).await? {
        if p.phone == phone && p.tenant_id == req.tenant {
            ids.insert(p.id);
        }
    }
    for g in docs_with::<Guardian>(&mut conn, req.tenant, kind::GUARDIAN, "phone", &phone).await? {
        if g.phone != phone {
            continue;
        }
        let bound: Vec<(String,)> = sqlx::query_as("SELECT patient_id FROM patient_guardians WHERE guardian_id = $1 AND tenant_id = $2")
            .bind(id_str(g.id))
            .bind(id_str(req.tenant))
            .fetch_all(&mut *conn)
            .await?;
        for (p,) in bound {
            ids.insert(parse_id(&p)?);
        }
    }
    let code_ok = !state.patient_code.is_empty() && req.code.trim() == state.patient_code;
    if ids.is_empty() || !code_ok {
        state.auth.limiter().lock().expect("limiter").failed(&key, Instant::now());
        tracing::info!(target: "clinicdesk_server::auth", "patient sign-in failed");
        return Err(ServerError::VerificationFailed);
    }
    state.auth.limiter().lock().expect("limiter").succeeded(&key);
    let patient_ids: Vec<Id> = ids.into_iter().collect();
    let token = new_token();
    let expires_at = now + state.patient_token_ttl;
    sqlx::query(
        "INSERT INTO patient_tokens (token_hash, tenant_id, phone, patient_ids, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash(&token))
    .bind(id_str(req.tenant))
    .bind(&phone)
    .bind(serde_json::to_string(&patient_ids).expect("ids serialize"))
    .bind(ts(now))
    .bind(ts(expires_at))
    .execute(&mut *conn)
    .await?;
    tracing::info!(target: "clinicdesk_server::auth", tenant = %req.tenant, patients = patient_ids.len(), "patient signed in");
    Ok(PatientSignedIn { token, tenant_id: req.tenant, patient_ids, expires_at })
}

/// The patient behind a bearer token.
pub async fn authenticate(db: &Db, headers: &HeaderMap, now: DateTime<Utc>) -> Result<PatientAuth, ServerError> {
    let value = headers.get(header::AUTHORIZATION).ok_or(ServerError::PatientTokenMissing)?;
    let value = value.to_str().map_err(|_| ServerError::PatientTokenInvalid)?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(ServerError::PatientTokenInvalid),
    };
    if token.is_empty() || token.len() > 200 {
        return Err(ServerError::PatientTokenInvalid);
    }
    let hash = token_hash(token);
    let row: Option<(String, String, i64)> =
        sqlx::query_as("SELECT tenant_id, patient_ids, expires_at FROM patient_tokens WHERE token_hash = $1")
            .bind(&hash)
            .fetch_optional(db.pool())
            .await?;
    let Some((tenant, ids, expires_at)) = row else {
        return Err(ServerError::PatientTokenInvalid);
    };
    if ts(now) >= expires_at {
        return Err(ServerError::PatientTokenExpired);
    }
    let patient_ids: Vec<Id> = serde_json::from_str(&ids).map_err(|e| ServerError::Corrupt(e.to_string()))?;
    Ok(PatientAuth { tenant_id: parse_id(&tenant)?, patient_ids, session: hash[..16].to_string() })
}

// ---------------------------------------------------------------------------------------
// Reads

/// The patients' own appointments, earliest first.
pub async fn own_appointments(db: &Db, who: &PatientAuth) -> Result<Vec<Appointment>, ServerError> {
    let mut conn = db.pool().acquire().await?;
    let mut out = Vec::new();
    for p in &who.patient_ids {
        let found: Vec<Appointment> = docs_with(&mut conn, who.tenant_id, kind::APPOINTMENT, "patient_id", &id_str(*p)).await?;
        out.extend(found.into_iter().filter(|a| a.patient_id == *p && a.tenant_id == who.tenant_id));
    }
    out.sort_by_key(|a| (a.start, a.id));
    Ok(out)
}

/// A store of the patient's chain with its departments, doctor order and doctors.
async fn store_world(conn: &mut AnyConnection, tenant: Id, store_id: Id) -> Result<(World, Store), ServerError> {
    let store: Store = docs::get(conn, tenant, kind::STORE, &id_str(store_id)).await?.ok_or(ServerError::NotFound)?;
    let mut world = World::default();
    if let Some(order) = docs::get::<DoctorOrder>(conn, tenant, kind::DOCTOR_ORDER, &id_str(store_id)).await? {
        world.doctor_orders.insert(store_id, order);
    }
    // Departments and doctors never carry a ref_id; saying so lets the (kind, tenant_id)
    // index serve these reads.
    let depts: Vec<(String,)> =
        sqlx::query_as("SELECT data FROM entities WHERE kind = $1 AND tenant_id = $2 AND store_id = $3 AND ref_id IS NULL")
            .bind(kind::DEPARTMENT)
            .bind(id_str(tenant))
            .bind(id_str(store_id))
            .fetch_all(&mut *conn)
            .await?;
    for (d,) in depts {
        let d: Department = docs::parse(&d)?;
        world.departments.insert(d.id, d);
    }
    let doctors: Vec<(String,)> = sqlx::query_as("SELECT data FROM entities WHERE kind = $1 AND tenant_id = $2 AND ref_id IS NULL")
        .bind(kind::DOCTOR)
        .bind(id_str(tenant))
        .fetch_all(&mut *conn)
        .await?;
    for (d,) in doctors {
        let d: Doctor = docs::parse(&d)?;
        if d.department_ids.iter().any(|x| world.departments.contains_key(x)) {
            world.doctors.insert(d.id, d);
        }
    }
    world.stores.insert(store.id, store.clone());
    Ok((world, store))
}

/// A doctor as the patient app lists them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PatientDoctor {
    pub id: Id,
    pub name: String,
    pub title: String,
    /// The doctor's departments in this store.
    pub department_ids: Vec<Id>,
}

/// The store's doctors in the store's order, hidden ones left out.
pub async fn store_doctors(db: &Db, who: &PatientAuth, store_id: Id) -> Result<Vec<PatientDoctor>, ServerError> {
    let mut conn = db.pool().acquire().await?;
    let (world, store) = store_world(&mut conn, who.tenant_id, store_id).await?;
    let ids = order::patient_facing(world.doctor_orders.get(&store.id), booking::store_doctors(&world, store.id));
    Ok(ids
        .into_iter()
        .filter_map(|id| world.doctors.get(&id))
        .map(|d| PatientDoctor {
            id: d.id,
            name: d.name.clone(),
            title: d.title.clone(),
            department_ids: d.department_ids.iter().copied().filter(|x| world.departments.contains_key(x)).collect(),
        })
        .collect())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotQuery {
    pub complaint: Option<Id>,
    pub department: Option<Id>,
    pub doctor: Option<Id>,
    /// First local day (YYYY-MM-DD); default today in the store's zone.
    pub from: Option<NaiveDate>,
    /// Last local day, inclusive; default a week from `from`; at most 62 days.
    pub to: Option<NaiveDate>,
}

/// One free slot of one doctor in one department.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FreeSlot {
    pub department_id: Id,
    pub doctor_id: Id,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Bookings the slot can still take.
    pub free: u8,
}

/// Free future slots by complaint → department → doctor, in the store's doctor order.
pub async fn free_slots(db: &Db, who: &PatientAuth, store_id: Id, q: &SlotQuery, now: DateTime<Utc>) -> Result<Vec<FreeSlot>, ServerError> {
    let mut conn = db.pool().acquire().await?;
    let (world, store) = store_world(&mut conn, who.tenant_id, store_id).await?;
    let tz = slots::zone(&store.timezone);
    let from = q.from.unwrap_or_else(|| slots::local_date(tz, now));
    let to = q.to.unwrap_or(from + Duration::days(6));
    if to < from || (to - from).num_days() >= MAX_SLOT_DAYS {
        return Err(ServerError::InvalidRequest(format!("from ≤ to, at most {MAX_SLOT_DAYS} days")));
    }
    let mut departments: Vec<Id> = world.departments.keys().copied().collect();
    if let Some(cid) = q.complaint {
        let complaint: Complaint =
            docs::get(&mut conn, who.tenant_id, kind::COMPLAINT, &id_str(cid)).await?.ok_or(ServerError::NotFound)?;
        let treat: Vec<Id> = booking::departments_for_complaint(&world, &complaint, store.id).iter().map(|d| d.id).collect();
        departments.retain(|d| treat.contains(d));
    }
    if let Some(d) = q.department {
        departments.retain(|x| *x == d);
    }
    // The doctors asked about, in the store's patient-facing order.
    let visible = order::patient_facing(world.doctor_orders.get(&store.id), booking::store_doctors(&world, store.id));
    let wanted: Vec<Id> = visible
        .into_iter()
        .filter(|id| q.doctor.is_none_or(|d| d == *id))
        .filter(|id| world.doctors[id].department_ids.iter().any(|d| departments.contains(d)))
        .collect();
    let (win_from, _) = docs::day_window(tz, from);
    let (_, win_to) = docs::day_window(tz, to);
    // Per wanted doctor: their schedules in this store and their appointments and blocked
    // times (in any store) around [from, to], kept apart from the other doctors' rows.
    let mut per_doctor: BTreeMap<Id, World> = BTreeMap::new();
    for doctor in &wanted {
        let mut w = World::default();
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT data FROM entities WHERE kind = $1 AND ref_id = $2 AND day >= $3 AND day <= $4 AND tenant_id = $5 AND store_id = $6",
        )
        .bind(kind::SCHEDULE)
        .bind(id_str(*doctor))
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(id_str(who.tenant_id))
        .bind(id_str(store.id))
        .fetch_all(&mut *conn)
        .await?;
        for (d,) in rows {
            let s: Schedule = docs::parse(&d)?;
            w.schedules.insert(s.id, s);
        }
        // end_ts first: the (kind, ref_id, tenant_id, end_ts) index starts the scan at the
        // window instead of at the doctor's first appointment ever.
        for k in [kind::APPOINTMENT, kind::BLOCK] {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT data FROM entities WHERE kind = $1 AND ref_id = $2 AND end_ts > $3 AND start_ts < $4 AND tenant_id = $5",
            )
            .bind(k)
            .bind(id_str(*doctor))
            .bind(win_from)
            .bind(win_to)
            .bind(id_str(who.tenant_id))
            .fetch_all(&mut *conn)
            .await?;
            for (d,) in rows {
                if k == kind::APPOINTMENT {
                    let a: Appointment = docs::parse(&d)?;
                    w.appointments.insert(a.id, a);
                } else {
                    let b: BlockedTime = docs::parse(&d)?;
                    w.blocks.insert(b.id, b);
                }
            }
        }
        per_doctor.insert(*doctor, w);
    }
    drop(conn);
    // Each doctor's free slots over the days, once (a doctor in two departments is listed
    // under both), computed by the domain on a world holding only that doctor's rows: the
    // domain filters by doctor anyway, so the slots are the same.
    type Free = (DateTime<Utc>, DateTime<Utc>, u8);
    let mut free_of: BTreeMap<Id, Vec<Free>> = BTreeMap::new();
    for (doctor, w) in &per_doctor {
        let mut list = Vec::new();
        let mut day = from;
        while day <= to {
            for slot in booking::doctor_slots(w, &store, *doctor, day) {
                if slot.is_free() && slot.start > now {
                    list.push((slot.start, slot.end, slot.capacity - slot.booked));
                }
            }
            day += Duration::days(1);
        }
        free_of.insert(*doctor, list);
    }
    let mut out = Vec::new();
    for dept in &departments {
        for doctor in wanted.iter().filter(|id| world.doctors[*id].department_ids.contains(dept)) {
            out.extend(free_of[doctor].iter().map(|&(start, end, free)| FreeSlot {
                department_id: *dept,
                doctor_id: *doctor,
                start,
                end,
                free,
            }));
        }
    }
    Ok(out)
}

/// A cancellation request as the patient sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CancelRequestView {
    pub id: Id,
    pub appointment_id: Id,
    pub status: RequestStatus,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why the desk said no.
    pub reject_reason: Option<String>,
}

impl From<CancellationRequest> for CancelRequestView {
    fn from(r: CancellationRequest) -> Self {
        CancelRequestView {
            id: r.id,
            appointment_id: r.appointment_id,
            status: r.status,
            reason: r.reason,
            requested_at: r.requested_at,
            decided_at: r.decided_at,
            reject_reason: r.reject_reason,
        }
    }
}

async fn own_request(db: &Db, who: &PatientAuth, id: Id) -> Result<CancelRequestView, ServerError> {
    let mut conn = db.pool().acquire().await?;
    let r: Option<CancellationRequest> = docs::get(&mut conn, who.tenant_id, kind::REQUEST, &id_str(id)).await?;
    match r {
        Some(r) if who.speaks_for(r.patient_id) => Ok(r.into()),
        _ => Err(ServerError::NotFound),
    }
}

async fn own_appointment(db: &Db, who: &PatientAuth, id: Id) -> Result<Appointment, ServerError> {
    let mut conn = db.pool().acquire().await?;
    let a: Option<Appointment> = docs::get(&mut conn, who.tenant_id, kind::APPOINTMENT, &id_str(id)).await?;
    match a {
        Some(a) if who.speaks_for(a.patient_id) => Ok(a),
        _ => Err(ServerError::NotFound),
    }
}

// ---------------------------------------------------------------------------------------
// HTTP

type ApiResult<T> = Result<T, ApiError>;

fn path_id(s: &str, lang: Lang) -> ApiResult<Id> {
    s.parse().map_err(|_| ApiError(ServerError::NotFound, lang))
}

/// A rejected command as the `{code, message}` error body (no other patients' ids leak).
fn rejected(outcome: &CommandOutcome) -> Response {
    let code = outcome.code.clone().unwrap_or_else(|| "rejected".into());
    let status = StatusCode::from_u16(status_of_code(&code)).unwrap_or(StatusCode::CONFLICT);
    (status, Json(ErrorBody { code, message: outcome.message.clone().unwrap_or_default() })).into_response()
}

pub async fn sign_in_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let lang = lang_of(&headers);
    let req: PatientSignInRequest = body_json(body, state.body_limit).map_err(|e| ApiError(e, lang))?;
    let signed = sign_in(&state, req, Utc::now()).await.map_err(|e| ApiError(e, lang))?;
    Ok((StatusCode::CREATED, Json(signed)).into_response())
}

pub async fn appointments_handler(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Vec<Appointment>>> {
    let lang = lang_of(&headers);
    let who = authenticate(&state.db, &headers, Utc::now()).await.map_err(|e| ApiError(e, lang))?;
    Ok(Json(own_appointments(&state.db, &who).await.map_err(|e| ApiError(e, lang))?))
}

pub async fn doctors_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<PatientDoctor>>> {
    let lang = lang_of(&headers);
    let who = authenticate(&state.db, &headers, Utc::now()).await.map_err(|e| ApiError(e, lang))?;
    let id = path_id(&id, lang)?;
    Ok(Json(store_doctors(&state.db, &who, id).await.map_err(|e| ApiError(e, lang))?))
}

pub async fn slots_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<SlotQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<FreeSlot>>> {
    let lang = lang_of(&headers);
    let who = authenticate(&state.db, &headers, Utc::now()).await.map_err(|e| ApiError(e, lang))?;
    let id = path_id(&id, lang)?;
    let Query(q) = query.map_err(|e| ApiError(ServerError::InvalidRequest(e.body_text()), lang))?;
    Ok(Json(free_slots(&state.db, &who, id, &q, Utc::now()).await.map_err(|e| ApiError(e, lang))?))
}

/// `POST /api/v1/patient/bookings`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientBookingRequest {
    /// The idempotency key (a retry with the same one answers the same outcome); the
    /// server makes one when absent.
    #[serde(default)]
    pub mutation_id: Option<Id>,
    /// Needed when the phone speaks for several patients.
    #[serde(default)]
    pub patient_id: Option<Id>,
    pub store_id: Id,
    pub department_id: Id,
    pub doctor_id: Id,
    #[serde(default)]
    pub complaint_id: Option<Id>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    #[serde(default)]
    pub visit_type: Option<String>,
    /// Registration fee paid with WeChat Pay in the app, in fen (demo: taken as paid).
    #[serde(default)]
    pub prepaid_fen: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatientBooked {
    pub outcome: CommandOutcome,
    pub appointment: Appointment,
}

pub async fn book_handler(State(state): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let lang = lang_of(&headers);
    let who = authenticate(&state.db, &headers, Utc::now()).await.map_err(|e| ApiError(e, lang))?;
    let req: PatientBookingRequest = body_json(body, state.body_limit).map_err(|e| ApiError(e, lang))?;
    let patient_id = match (req.patient_id, who.patient_ids.as_slice()) {
        (Some(p), _) => p,
        (None, [only]) => *only,
        (None, _) => {
            return Err(ApiError(ServerError::InvalidRequest("patient_id: this phone speaks for several patients".into()), lang));
        }
    };
    if !who.speaks_for(patient_id) {
        return Err(ApiError(clinicdesk_domain::DomainError::NotOwnAppointment.into(), lang));
    }
    let mutation_id = req.mutation_id.unwrap_or_else(uuid::Uuid::now_v7);
    let appointment_id = derived_id(mutation_id, 7);
    let command = Command::BookingCreate(BookingCreate {
        appointment_id,
        store_id: req.store_id,
        doctor_id: req.doctor_id,
        department_id: req.department_id,
        patient_id,
        complaint_id: req.complaint_id,
        start: req.start,
        end: req.end,
        visit_type: req.visit_type,
        source: Source::PatientApp,
        fee: req.prepaid_fen.map(|amount| NewFee { fee_id: derived_id(mutation_id, 8), amount, paid_with: Some(PayMethod::WechatApp) }),
    });
    let sub = Submission::live(command, mutation_id, None);
    let (outcome, _) = apply::apply_and_pay(&state.db, state.pay.as_ref(), &who.principal(patient_id), &sub, lang, Utc::now())
        .await
        .map_err(|e| ApiError(e, lang))?;
    if outcome.outcome == OutcomeKind::Rejected {
        return Ok(rejected(&outcome));
    }
    let appointment = own_appointment(&state.db, &who, appointment_id).await.map_err(|e| ApiError(e, lang))?;
    Ok((StatusCode::CREATED, Json(PatientBooked { outcome, appointment })).into_response())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientCancelRequest {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub mutation_id: Option<Id>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelResult {
    /// Cancelled at once (policy "direct before check-in"), a paid online fee refunded.
    Cancelled,
    /// A request waits for the desk (policy "request only", or a fee only the desk can refund).
    Requested,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatientCancelled {
    pub result: CancelResult,
    pub outcome: CommandOutcome,
    pub appointment: Appointment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<CancelRequestView>,
    /// The online refund of the fee, as the payment provider last answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund: Option<ProviderRefund>,
}

pub async fn cancel_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let lang = lang_of(&headers);
    let who = authenticate(&state.db, &headers, Utc::now()).await.map_err(|e| ApiError(e, lang))?;
    let id = path_id(&id, lang)?;
    let empty = body.as_ref().is_ok_and(|b| b.iter().all(u8::is_ascii_whitespace));
    let req: PatientCancelRequest =
        if empty { Default::default() } else { body_json(body, state.body_limit).map_err(|e| ApiError(e, lang))? };
    let appt = own_appointment(&state.db, &who, id).await.map_err(|e| ApiError(e, lang))?;
    let store: Store = {
        let mut conn = state.db.pool().acquire().await.map_err(|e| ApiError(e.into(), lang))?;
        docs::get(&mut conn, who.tenant_id, kind::STORE, &id_str(appt.store_id))
            .await
            .map_err(|e| ApiError(e, lang))?
            .ok_or(ApiError(ServerError::NotFound, lang))?
    };
    let mutation_id = req.mutation_id.unwrap_or_else(uuid::Uuid::now_v7);
    // The store's policy picks the command; the domain decides (and refuses "not allowed").
    let (command, request_id) = match store.settings.cancellation_policy {
        CancellationPolicy::RequestOnly => {
            let request_id = derived_id(mutation_id, 3);
            (Command::RequestCreate(RequestCreate { request_id, appointment_id: appt.id, reason: req.reason.clone() }), Some(request_id))
        }
        CancellationPolicy::DirectBeforeCheckIn | CancellationPolicy::NotAllowed => {
            // Routed to the desk when the fee is one only the desk can refund: that request's id.
            (Command::PatientCancel(WithReason { appointment_id: appt.id, reason: req.reason.clone() }), Some(derived_id(mutation_id, 1)))
        }
    };
    let sub = Submission::live(command, mutation_id, None);
    let (outcome, refunds) = apply::apply_and_pay(&state.db, state.pay.as_ref(), &who.principal(appt.patient_id), &sub, lang, Utc::now())
        .await
        .map_err(|e| ApiError(e, lang))?;
    if outcome.outcome == OutcomeKind::Rejected {
        return Ok(rejected(&outcome));
    }
    let appointment = own_appointment(&state.db, &who, appt.id).await.map_err(|e| ApiError(e, lang))?;
    let request = match request_id {
        Some(r) => own_request(&state.db, &who, r).await.ok(),
        None => None,
    };
    let refund = match (refunds.into_iter().next(), appointment.fee_id) {
        (Some(r), _) => Some(r),
        (None, Some(fee)) => crate::pay::of_fee(&state.db, who.tenant_id, fee).await.map_err(|e| ApiError(e, lang))?,
        (None, None) => None,
    };
    let result = if appointment.state == AppointmentState::Cancelled { CancelResult::Cancelled } else { CancelResult::Requested };
    Ok(Json(PatientCancelled { result, outcome, appointment, request, refund }).into_response())
}

pub async fn cancel_request_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<CancelRequestView>> {
    let lang = lang_of(&headers);
    let who = authenticate(&state.db, &headers, Utc::now()).await.map_err(|e| ApiError(e, lang))?;
    let id = path_id(&id, lang)?;
    Ok(Json(own_request(&state.db, &who, id).await.map_err(|e| ApiError(e, lang))?))
}
