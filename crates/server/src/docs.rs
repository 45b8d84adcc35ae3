//! Domain rows as JSON documents in `entities`: how each kind is keyed, written and read.
//!
//! Every read and every write names the tenant: a row of another chain is never read, and
//! an upsert that would overwrite another chain's row (a reused id) changes nothing.

use chrono::{DateTime, Utc};
use clinicdesk_domain::error::Entity;
use clinicdesk_domain::eye::{Correction, EyeExam, EyeExamAudit};
use clinicdesk_domain::model::*;
use clinicdesk_domain::recall::RecallOutcomeRecord;
use clinicdesk_domain::slots;
use clinicdesk_domain::sync::ConflictRecord;
use clinicdesk_domain::world::World;
use clinicdesk_domain::DomainError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::AnyConnection;

use crate::ServerError;

pub use clinicdesk_domain::sync::kind;

pub fn id_str(id: Id) -> String {
    id.hyphenated().to_string()
}

pub fn ts(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

/// A channel code is unique within its chain only.
pub fn channel_key(tenant: Id, code: &str) -> String {
    format!("{}/{}", id_str(tenant), code)
}

pub fn history_key(h: &HistoryEntry) -> String {
    format!("{}/{}", id_str(h.mutation_id), h.index)
}

/// One row of `entities`.
#[derive(Debug, Clone)]
pub struct Doc {
    pub kind: &'static str,
    pub id: String,
    pub store_id: Option<Id>,
    pub ref_id: Option<Id>,
    pub day: Option<String>,
    pub start_ts: Option<i64>,
    pub end_ts: Option<i64>,
    pub data: String,
}

impl Doc {
    pub fn new<T: Serialize>(kind: &'static str, id: String, store_id: Option<Id>, value: &T) -> Doc {
        Doc {
            kind,
            id,
            store_id,
            ref_id: None,
            day: None,
            start_ts: None,
            end_ts: None,
            data: serde_json::to_string(value).expect("domain rows serialize"),
        }
    }
    fn with_ref(mut self, ref_id: Id) -> Doc {
        self.ref_id = Some(ref_id);
        self
    }
    fn with_time(mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Doc {
        self.start_ts = Some(ts(start));
        self.end_ts = Some(ts(end));
        self
    }

    pub fn store(s: &Store) -> Doc {
        Doc::new(kind::STORE, id_str(s.id), Some(s.id), s)
    }
    pub fn patient(p: &Patient) -> Doc {
        Doc::new(kind::PATIENT, id_str(p.id), None, p)
    }
    pub fn guardian(g: &Guardian) -> Doc {
        Doc::new(kind::GUARDIAN, id_str(g.id), None, g)
    }
    pub fn schedule(s: &Schedule) -> Doc {
        let mut d = Doc::new(kind::SCHEDULE, id_str(s.id), Some(s.store_id), s).with_ref(s.doctor_id);
        d.day = Some(s.date.to_string());
        d
    }
    pub fn block(b: &BlockedTime) -> Doc {
        Doc::new(kind::BLOCK, id_str(b.id), Some(b.store_id), b).with_ref(b.doctor_id).with_time(b.start, b.end)
    }
    pub fn appointment(a: &Appointment) -> Doc {
        Doc::new(kind::APPOINTMENT, id_str(a.id), Some(a.store_id), a).with_ref(a.doctor_id).with_time(a.start, a.end)
    }
    pub fn fee(f: &Fee) -> Doc {
        Doc::new(kind::FEE, id_str(f.id), Some(f.store_id), f).with_ref(f.appointment_id)
    }
    pub fn refund(r: &Refund, store_id: Option<Id>) -> Doc {
        Doc::new(kind::REFUND, id_str(r.id), store_id, r).with_ref(r.fee_id)
    }
    pub fn request(r: &CancellationRequest) -> Doc {
        Doc::new(kind::REQUEST, id_str(r.id), Some(r.store_id), r).with_ref(r.appointment_id)
    }
    pub fn doctor_order(o: &DoctorOrder) -> Doc {
        Doc::new(kind::DOCTOR_ORDER, id_str(o.store_id), Some(o.store_id), o)
    }
    pub fn history(h: &HistoryEntry, store_id: Option<Id>) -> Doc {
        Doc::new(kind::HISTORY, history_key(h), store_id, h).with_ref(h.appointment_id)
    }
    /// An eye exam, found by its patient (as the chain import writes it).
    pub fn eye_exam(e: &EyeExam) -> Doc {
        Doc::new(kind::EYE_EXAM, id_str(e.id), Some(e.store_id), e).with_ref(e.patient_id)
    }
    /// A patient's current correction, keyed by the patient.
    pub fn correction(patient_id: Id, c: &Correction) -> Doc {
        Doc::new(kind::CORRECTION, id_str(patient_id), None, c)
    }
    /// An audit line of the eye-health record, found by its exam.
    pub fn eye_audit(a: &EyeExamAudit) -> Doc {
        Doc::new(kind::EYE_EXAM_AUDIT, format!("{}/{}", id_str(a.mutation_id), a.index), Some(a.store_id), a).with_ref(a.exam_id)
    }
    /// A rejected command, keyed by its mutation id, in the store whose desks must see it.
    pub fn conflict(c: &ConflictRecord) -> Doc {
        Doc::new(kind::CONFLICT, id_str(c.id), Some(c.store_id), c)
    }
    /// What came of a recall call (one document per outcome, keyed by the command's
    /// mutation id), found by its patient.
    pub fn recall_outcome(o: &RecallOutcomeRecord) -> Doc {
        let mut d = Doc::new(kind::RECALL_OUTCOME, id_str(o.id), Some(o.store_id), o).with_ref(o.patient_id);
        d.start_ts = Some(ts(o.at));
        d
    }
}

/// The documents of a whole chain (for loading the demo or another chain's data). History
/// lines need the store of their appointment.
pub fn chain_docs(w: &World, history: &[HistoryEntry]) -> Vec<Doc> {
    let mut out = Vec::new();
    out.extend(w.tenants.values().map(|t| Doc::new(kind::TENANT, id_str(t.id), None, t)));
    out.extend(w.stores.values().map(Doc::store));
    out.extend(w.departments.values().map(|d| Doc::new(kind::DEPARTMENT, id_str(d.id), Some(d.store_id), d)));
    out.extend(w.doctors.values().map(|d| Doc::new(kind::DOCTOR, id_str(d.id), None, d)));
    out.extend(w.doctor_orders.values().map(Doc::doctor_order));
    out.extend(w.complaints.values().map(|c| Doc::new(kind::COMPLAINT, id_str(c.id), None, c)));
    out.extend(w.visit_types.iter().map(|(t, v)| Doc::new(kind::VISIT_TYPES, id_str(*t), None, v)));
    out.extend(w.channels.values().map(|c| Doc::new(kind::CHANNEL, channel_key(c.tenant_id, &c.code), None, c)));
    out.extend(w.staff.values().map(|s| Doc::new(kind::STAFF, id_str(s.id), None, s)));
    out.extend(w.guardians.values().map(Doc::guardian));
    out.extend(w.patients.values().map(Doc::patient));
    out.extend(w.schedules.values().map(Doc::schedule));
    out.extend(w.blocks.values().map(Doc::block));
    out.extend(w.appointments.values().map(Doc::appointment));
    out.extend(w.fees.values().map(Doc::fee));
    out.extend(w.refunds.values().map(|r| Doc::refund(r, w.fees.get(&r.fee_id).map(|f| f.store_id))));
    out.extend(w.requests.values().map(Doc::request));
    out.extend(history.iter().map(|h| Doc::history(h, w.appointments.get(&h.appointment_id).map(|a| a.store_id))));
    out
}

/// Writes one document, stamped with `server_seq`. Refuses (IdTaken) when the id belongs
/// to a row of another chain.
pub async fn upsert(conn: &mut AnyConnection, tenant: Id, seq: i64, doc: &Doc) -> Result<(), WriteError> {
    let done = sqlx::query(
        "INSERT INTO entities (kind, id, tenant_id, store_id, ref_id, day, start_ts, end_ts, data, server_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (kind, id) DO UPDATE SET store_id = excluded.store_id, ref_id = excluded.ref_id, day = excluded.day,
           start_ts = excluded.start_ts, end_ts = excluded.end_ts, data = excluded.data, server_seq = excluded.server_seq
         WHERE entities.tenant_id = excluded.tenant_id",
    )
    .bind(doc.kind)
    .bind(&doc.id)
    .bind(id_str(tenant))
    .bind(doc.store_id.map(id_str))
    .bind(doc.ref_id.map(id_str))
    .bind(doc.day.clone())
    .bind(doc.start_ts)
    .bind(doc.end_ts)
    .bind(&doc.data)
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(WriteError::Conflict(DomainError::IdTaken { what: entity_of(doc.kind) }));
    }
    Ok(())
}

/// Inserts many documents in few statements (loading a chain).
pub async fn insert_many(conn: &mut AnyConnection, tenant: Id, seq: i64, docs: &[Doc]) -> Result<(), ServerError> {
    const COLS: usize = 10;
    for chunk in docs.chunks(200) {
        let mut sql =
            String::from("INSERT INTO entities (kind, id, tenant_id, store_id, ref_id, day, start_ts, end_ts, data, server_seq) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..COLS {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", i * COLS + c + 1));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for d in chunk {
            q = q
                .bind(d.kind)
                .bind(d.id.clone())
                .bind(id_str(tenant))
                .bind(d.store_id.map(id_str))
                .bind(d.ref_id.map(id_str))
                .bind(d.day.clone())
                .bind(d.start_ts)
                .bind(d.end_ts)
                .bind(d.data.clone())
                .bind(seq);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

fn entity_of(kind: &str) -> Entity {
    match kind {
        kind::PATIENT => Entity::Patient,
        kind::GUARDIAN => Entity::Guardian,
        kind::FEE | kind::REFUND => Entity::Fee,
        kind::REQUEST => Entity::CancellationRequest,
        kind::STORE | kind::DOCTOR_ORDER => Entity::Store,
        _ => Entity::Appointment,
    }
}

pub fn parse<T: DeserializeOwned>(data: &str) -> Result<T, ServerError> {
    serde_json::from_str(data).map_err(|e| ServerError::Corrupt(e.to_string()))
}

/// One document of this chain, if it exists.
pub async fn get<T: DeserializeOwned>(conn: &mut AnyConnection, tenant: Id, kind: &str, id: &str) -> Result<Option<T>, ServerError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT data FROM entities WHERE kind = $1 AND id = $2 AND tenant_id = $3")
        .bind(kind)
        .bind(id)
        .bind(id_str(tenant))
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|(d,)| parse(&d)).transpose()
}

/// Why writing effects stopped.
#[derive(Debug)]
pub enum WriteError {
    /// A constraint refused the write: the command is rejected with this error.
    Conflict(DomainError),
    Server(ServerError),
}

impl From<sqlx::Error> for WriteError {
    fn from(e: sqlx::Error) -> Self {
        WriteError::Server(ServerError::Db(e))
    }
}

impl From<ServerError> for WriteError {
    fn from(e: ServerError) -> Self {
        WriteError::Server(e)
    }
}

/// The local instants [from, to) around a local day that a booking on it may touch.
pub fn day_window(tz: chrono_tz::Tz, date: chrono::NaiveDate) -> (i64, i64) {
    let from = ts(slots::to_utc(tz, date, chrono::NaiveTime::MIN) - chrono::Duration::days(1));
    (from, from + 3 * 86_400)
}
