//! The desk's rows as the server keys its documents: a `kind` and an `id`, with the domain
//! struct as JSON (`clinicdesk_server::docs`). A pull writes them, a rebase saves and
//! restores them. The writers are those of `write.rs`; what they lack for data that may
//! already be on the desk (a second copy of an append-only row, a local refund the server's
//! replaces) is added here.

use clinicdesk_domain::eye::{Correction, EyeExam, EyeExamAudit};
use clinicdesk_domain::model::*;
use clinicdesk_domain::recall::RecallOutcomeRecord;
use clinicdesk_domain::world::{Change, Effects};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::{Row, SqliteConnection};

use crate::load::{self, Loader};
use crate::{id_str, parse_id, ts, write, StoreError};

type Conn = SqliteConnection;

/// The kinds of synced rows, as the server keys them.
pub use clinicdesk_domain::sync::kind;

pub(crate) type Key = (&'static str, String);

fn line_key(mutation_id: Id, index: u16) -> String {
    format!("{}/{}", id_str(mutation_id), index)
}

fn parse_line_key(id: &str) -> Result<(String, i64), StoreError> {
    let (m, i) = id.split_once('/').ok_or_else(|| StoreError::Corrupt(format!("bad line key {id:?}")))?;
    let i = i.parse().map_err(|_| StoreError::Corrupt(format!("bad line key {id:?}")))?;
    Ok((id_str(parse_id(m)?), i))
}

fn js<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("domain rows serialize")
}

fn from<T: DeserializeOwned>(kind: &str, data: &Value) -> Result<T, StoreError> {
    T::deserialize(data).map_err(|e| StoreError::Corrupt(format!("{kind}: {e}")))
}

/// A change's key and the row it writes, as the server would send it. A store's settings
/// change carries no whole row (None): the row is read back after it is written.
pub(crate) fn change_doc(change: &Change) -> (Key, Option<Value>) {
    match change {
        Change::Patient(p) => ((kind::PATIENT, id_str(p.id)), Some(js(p))),
        Change::Guardian(g) => ((kind::GUARDIAN, id_str(g.id)), Some(js(g))),
        Change::Appointment(a) => ((kind::APPOINTMENT, id_str(a.id)), Some(js(a))),
        Change::Fee(f) => ((kind::FEE, id_str(f.id)), Some(js(f))),
        Change::Refund(r) => ((kind::REFUND, id_str(r.id)), Some(js(r))),
        Change::Request(r) => ((kind::REQUEST, id_str(r.id)), Some(js(r))),
        Change::DoctorOrder(o) => ((kind::DOCTOR_ORDER, id_str(o.store_id)), Some(js(o))),
        Change::StoreSettings { store_id, .. } => ((kind::STORE, id_str(*store_id)), None),
        Change::EyeExam { exam, .. } => ((kind::EYE_EXAM, id_str(exam.id)), Some(js(exam))),
        Change::Correction { patient_id, correction } => ((kind::CORRECTION, id_str(*patient_id)), Some(js(correction))),
        Change::RecallOutcome(o) => ((kind::RECALL_OUTCOME, id_str(o.id)), Some(js(o))),
        Change::Conflict(c) => ((kind::CONFLICT, id_str(c.id)), Some(js(c))),
    }
}

/// Every row a handler's effects write, each once.
pub(crate) fn keys_of(fx: &Effects) -> Vec<Key> {
    let mut keys: Vec<Key> = fx.changes.iter().map(|c| change_doc(c).0).collect();
    keys.extend(fx.history.iter().map(|h| (kind::HISTORY, line_key(h.mutation_id, h.index))));
    keys.extend(fx.eye_audit.iter().map(|a| (kind::EYE_EXAM_AUDIT, line_key(a.mutation_id, a.index))));
    let mut seen = std::collections::BTreeSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    keys
}

/// Rows only ever inserted, keyed by the command that made them: they never exist before it.
fn append_only(kind: &str) -> bool {
    matches!(kind, kind::HISTORY | kind::EYE_EXAM_AUDIT | kind::RECALL_OUTCOME)
}

/// The row as JSON, or None when the desk does not have it. Kinds a command never writes
/// read as None.
pub(crate) async fn read_doc(conn: &mut Conn, kind: &str, id: &str) -> Result<Option<Value>, StoreError> {
    if append_only(kind) {
        return Ok(None);
    }
    let one = |sql: &'static str| sqlx::query(sql).bind(id.to_string());
    Ok(match kind {
        kind::PATIENT => {
            let mut loader = Loader::new(conn);
            loader.patient(parse_id(id)?).await?;
            loader.world.patients.into_values().next().map(|p| js(&p))
        }
        kind::GUARDIAN => match one("SELECT * FROM guardians WHERE id = ?").fetch_optional(&mut *conn).await? {
            Some(r) => Some(js(&Guardian {
                id: parse_id(r.try_get("id")?)?,
                tenant_id: parse_id(r.try_get("tenant_id")?)?,
                name: r.try_get("name")?,
                phone: r.try_get("phone")?,
            })),
            None => None,
        },
        kind::APPOINTMENT => match one("SELECT * FROM appointments WHERE id = ?").fetch_optional(&mut *conn).await? {
            Some(r) => Some(js(&load::appointment_row(&r)?)),
            None => None,
        },
        kind::FEE => match one("SELECT * FROM fees WHERE id = ?").fetch_optional(&mut *conn).await? {
            Some(r) => Some(js(&load::fee_row(&r)?)),
            None => None,
        },
        kind::REFUND => match one("SELECT * FROM refunds WHERE id = ?").fetch_optional(&mut *conn).await? {
            Some(r) => Some(js(&load::refund_row(&r)?)),
            None => None,
        },
        kind::REQUEST => match one("SELECT * FROM cancellation_requests WHERE id = ?").fetch_optional(&mut *conn).await? {
            Some(r) => Some(js(&load::request_row(&r)?)),
            None => None,
        },
        kind::STORE => match one("SELECT * FROM stores WHERE id = ?").fetch_optional(&mut *conn).await? {
            Some(r) => Some(js(&load::store_row(&r)?)),
            None => None,
        },
        kind::DOCTOR_ORDER => match one("SELECT * FROM doctor_orders WHERE store_id = ?").fetch_optional(&mut *conn).await? {
            Some(r) => Some(serde_json::json!({
                "store_id": id,
                "doctor_ids": json_text(r.try_get("doctor_ids")?)?,
                "hidden": json_text(r.try_get("hidden")?)?,
            })),
            None => None,
        },
        kind::EYE_EXAM => match one("SELECT data FROM eye_exams WHERE id = ?").fetch_optional(&mut *conn).await? {
            Some(r) => Some(json_text(r.try_get("data")?)?),
            None => None,
        },
        kind::CORRECTION => match one("SELECT data FROM corrections WHERE patient_id = ?").fetch_optional(&mut *conn).await? {
            Some(r) => Some(json_text(r.try_get("data")?)?),
            None => None,
        },
        _ => None,
    })
}

fn json_text(s: &str) -> Result<Value, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Writes one document into the desk's tables, replacing the row with that key. Returns
/// false for a kind this desk does not keep (a newer server's), which is skipped.
/// `conflict` rows are not written here (see `sync.rs`).
pub(crate) async fn apply_doc(conn: &mut Conn, kind: &str, id: &str, data: &Value) -> Result<bool, StoreError> {
    match kind {
        kind::TENANT => {
            let t: Tenant = from(kind, data)?;
            sqlx::query("INSERT INTO tenants (id, name) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name")
                .bind(id_str(t.id))
                .bind(&t.name)
                .execute(&mut *conn)
                .await?;
        }
        kind::STORE => {
            let s: Store = from(kind, data)?;
            sqlx::query(
                "INSERT INTO stores (id, tenant_id, code, name, timezone, settings) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET tenant_id = excluded.tenant_id, code = excluded.code, name = excluded.name,
                   timezone = excluded.timezone, settings = excluded.settings",
            )
            .bind(id_str(s.id))
            .bind(id_str(s.tenant_id))
            .bind(&s.code)
            .bind(&s.name)
            .bind(&s.timezone)
            .bind(serde_json::to_string(&s.settings).expect("json"))
            .execute(&mut *conn)
            .await?;
        }
        kind::DEPARTMENT => {
            let d: Department = from(kind, data)?;
            sqlx::query(
                "INSERT INTO departments (id, store_id, name) VALUES (?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET store_id = excluded.store_id, name = excluded.name",
            )
            .bind(id_str(d.id))
            .bind(id_str(d.store_id))
            .bind(&d.name)
            .execute(&mut *conn)
            .await?;
        }
        kind::DOCTOR => {
            let d: Doctor = from(kind, data)?;
            sqlx::query(
                "INSERT INTO doctors (id, tenant_id, name, title) VALUES (?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET tenant_id = excluded.tenant_id, name = excluded.name, title = excluded.title",
            )
            .bind(id_str(d.id))
            .bind(id_str(d.tenant_id))
            .bind(&d.name)
            .bind(&d.title)
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM doctor_departments WHERE doctor_id = ?").bind(id_str(d.id)).execute(&mut *conn).await?;
            for dep in &d.department_ids {
                sqlx::query("INSERT OR IGNORE INTO doctor_departments (doctor_id, department_id) VALUES (?, ?)")
                    .bind(id_str(d.id))
                    .bind(id_str(*dep))
                    .execute(&mut *conn)
                    .await?;
            }
        }
        kind::DOCTOR_ORDER => write::doctor_order(conn, &from(kind, data)?).await?,
        kind::COMPLAINT => {
            let c: Complaint = from(kind, data)?;
            sqlx::query(
                "INSERT INTO complaints (id, tenant_id, name, department_ids) VALUES (?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET tenant_id = excluded.tenant_id, name = excluded.name, department_ids = excluded.department_ids",
            )
            .bind(id_str(c.id))
            .bind(id_str(c.tenant_id))
            .bind(&c.name)
            .bind(serde_json::to_string(&c.department_ids).expect("json"))
            .execute(&mut *conn)
            .await?;
        }
        kind::VISIT_TYPES => {
            // Keyed by the tenant: its whole list.
            let defs: Vec<VisitTypeDef> = from(kind, data)?;
            let tenant = id_str(parse_id(id)?);
            sqlx::query("DELETE FROM visit_types WHERE tenant_id = ?").bind(&tenant).execute(&mut *conn).await?;
            for v in &defs {
                sqlx::query("INSERT OR REPLACE INTO visit_types (tenant_id, code, name) VALUES (?, ?, ?)")
                    .bind(&tenant)
                    .bind(&v.code)
                    .bind(&v.name)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        kind::CHANNEL => {
            let c: Channel = from(kind, data)?;
            sqlx::query(
                "INSERT INTO channels (code, tenant_id, consultant_id) VALUES (?, ?, ?)
                 ON CONFLICT(code) DO UPDATE SET tenant_id = excluded.tenant_id, consultant_id = excluded.consultant_id",
            )
            .bind(&c.code)
            .bind(id_str(c.tenant_id))
            .bind(id_str(c.consultant_id))
            .execute(&mut *conn)
            .await?;
        }
        kind::STAFF => {
            // The desk's own sign-in hash (password_hash) is left as it is.
            let s: Staff = from(kind, data)?;
            sqlx::query(
                "INSERT INTO staff (id, tenant_id, name, login, role, store_ids, doctor_id) VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET tenant_id = excluded.tenant_id, name = excluded.name, login = excluded.login,
                   role = excluded.role, store_ids = excluded.store_ids, doctor_id = excluded.doctor_id",
            )
            .bind(id_str(s.id))
            .bind(id_str(s.tenant_id))
            .bind(&s.name)
            .bind(&s.login)
            .bind(s.role.as_str())
            .bind(serde_json::to_string(&s.store_ids).expect("json"))
            .bind(s.doctor_id.map(id_str))
            .execute(&mut *conn)
            .await?;
        }
        kind::GUARDIAN => write::guardian(conn, &from(kind, data)?).await?,
        kind::PATIENT => {
            let p: Patient = from(kind, data)?;
            write::patient(conn, &p).await?;
            let ids: Vec<String> = p.guardian_ids.iter().map(|g| id_str(*g)).collect();
            sqlx::query("DELETE FROM patient_guardians WHERE patient_id = ? AND guardian_id NOT IN (SELECT value FROM json_each(?))")
                .bind(id_str(p.id))
                .bind(serde_json::to_string(&ids).expect("json"))
                .execute(&mut *conn)
                .await?;
        }
        kind::SCHEDULE => {
            let s: Schedule = from(kind, data)?;
            sqlx::query(
                "INSERT INTO schedules (id, store_id, doctor_id, date, periods, slot_minutes) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET store_id = excluded.store_id, doctor_id = excluded.doctor_id, date = excluded.date,
                   periods = excluded.periods, slot_minutes = excluded.slot_minutes",
            )
            .bind(id_str(s.id))
            .bind(id_str(s.store_id))
            .bind(id_str(s.doctor_id))
            .bind(s.date.to_string())
            .bind(serde_json::to_string(&s.periods).expect("json"))
            .bind(i64::from(s.slot_minutes))
            .execute(&mut *conn)
            .await?;
        }
        kind::BLOCK => {
            let b: BlockedTime = from(kind, data)?;
            sqlx::query(
                "INSERT INTO blocked_times (id, store_id, doctor_id, start_ts, end_ts, reason) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET store_id = excluded.store_id, doctor_id = excluded.doctor_id,
                   start_ts = excluded.start_ts, end_ts = excluded.end_ts, reason = excluded.reason",
            )
            .bind(id_str(b.id))
            .bind(id_str(b.store_id))
            .bind(id_str(b.doctor_id))
            .bind(ts(b.start))
            .bind(ts(b.end))
            .bind(&b.reason)
            .execute(&mut *conn)
            .await?;
        }
        // Its sync_state is derived afterwards (sync::refresh_sync_state).
        kind::APPOINTMENT => write::appointment(conn, &from(kind, data)?, "confirmed").await?,
        kind::FEE => write::fee(conn, &from(kind, data)?).await?,
        kind::REFUND => {
            // One refund per fee: the server's replaces any other the desk holds for that fee.
            let r: Refund = from(kind, data)?;
            sqlx::query("DELETE FROM refunds WHERE id = ? OR fee_id = ? OR number = ?")
                .bind(id_str(r.id))
                .bind(id_str(r.fee_id))
                .bind(&r.number)
                .execute(&mut *conn)
                .await?;
            write::refund(conn, &r).await?;
        }
        kind::REQUEST => {
            // One open request per appointment: the server's replaces another open one.
            let r: CancellationRequest = from(kind, data)?;
            if r.status == RequestStatus::Open {
                sqlx::query("DELETE FROM cancellation_requests WHERE appointment_id = ? AND status = 'open' AND id <> ?")
                    .bind(id_str(r.appointment_id))
                    .bind(id_str(r.id))
                    .execute(&mut *conn)
                    .await?;
            }
            write::request(conn, &r).await?;
        }
        kind::HISTORY => {
            let h: HistoryEntry = from(kind, data)?;
            sqlx::query("DELETE FROM appointment_history WHERE mutation_id = ? AND idx = ?")
                .bind(id_str(h.mutation_id))
                .bind(i64::from(h.index))
                .execute(&mut *conn)
                .await?;
            write::history(conn, &h).await?;
        }
        kind::EYE_EXAM => {
            // The server's document has no visit link; a link the desk has is kept.
            let e: EyeExam = from(kind, data)?;
            write::eye_exam(conn, &e, None).await?;
        }
        kind::CORRECTION => {
            let c: Correction = from(kind, data)?;
            write::correction(conn, parse_id(id)?, &c).await?;
        }
        kind::EYE_EXAM_AUDIT => {
            let a: EyeExamAudit = from(kind, data)?;
            sqlx::query("DELETE FROM eye_exam_audit WHERE mutation_id = ? AND idx = ?")
                .bind(id_str(a.mutation_id))
                .bind(i64::from(a.index))
                .execute(&mut *conn)
                .await?;
            write::eye_audit(conn, &a).await?;
        }
        kind::RECALL_OUTCOME => {
            let o: RecallOutcomeRecord = from(kind, data)?;
            sqlx::query("DELETE FROM recall_outcomes WHERE id = ?").bind(id_str(o.id)).execute(&mut *conn).await?;
            write::recall_outcome(conn, &o).await?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Writes many pulled patients in four statements (a catch-up after days away is mostly
/// patients): the rows, the names the appointments show, and the guardian links, as
/// [`apply_doc`] writes one. A patient the desk has keeps its channel and consultant.
pub(crate) async fn apply_patients(conn: &mut Conn, docs: &[&Value]) -> Result<(), StoreError> {
    if docs.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(docs.len());
    let mut links = Vec::new();
    for data in docs {
        let p: Patient = from(kind::PATIENT, data)?;
        let id = id_str(p.id);
        for (i, g) in p.guardian_ids.iter().enumerate() {
            links.push(serde_json::json!([id, id_str(*g), i]));
        }
        rows.push(serde_json::json!([
            id,
            id_str(p.tenant_id),
            p.name,
            write::initials(&p.name),
            write::tag(&p.sex),
            p.birth_date.to_string(),
            p.phone,
            p.channel_code,
            p.consultant_id.map(id_str)
        ]));
    }
    let rows = Value::Array(rows).to_string();
    sqlx::query(
        "INSERT INTO patients (id, tenant_id, name, initials, sex, birth_date, phone, channel_code, consultant_id)
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8
         FROM json_each(?) WHERE true
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, initials = excluded.initials, sex = excluded.sex,
           birth_date = excluded.birth_date, phone = excluded.phone",
    )
    .bind(&rows)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE appointments SET patient_name = n.name
         FROM (SELECT value ->> 0 AS id, value ->> 2 AS name FROM json_each(?)) AS n
         WHERE appointments.patient_id = n.id AND appointments.patient_name <> n.name",
    )
    .bind(&rows)
    .execute(&mut *conn)
    .await?;
    let links = Value::Array(links).to_string();
    sqlx::query(
        "DELETE FROM patient_guardians WHERE patient_id IN (SELECT value ->> 0 FROM json_each(?1))
           AND NOT EXISTS (SELECT 1 FROM json_each(?2) l WHERE l.value ->> 0 = patient_guardians.patient_id AND l.value ->> 1 = patient_guardians.guardian_id)",
    )
    .bind(&rows)
    .bind(&links)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT OR IGNORE INTO patient_guardians (patient_id, guardian_id, position)
         SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)",
    )
    .bind(&links)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes a row a pending command created (undoing it). Kinds a command never creates are
/// left alone.
pub(crate) async fn delete_doc(conn: &mut Conn, kind: &str, id: &str) -> Result<(), StoreError> {
    match kind {
        kind::PATIENT => {
            sqlx::query("DELETE FROM patient_guardians WHERE patient_id = ?").bind(id).execute(&mut *conn).await?;
            sqlx::query("DELETE FROM patients WHERE id = ?").bind(id).execute(&mut *conn).await?;
        }
        kind::GUARDIAN => {
            sqlx::query("DELETE FROM patient_guardians WHERE guardian_id = ?").bind(id).execute(&mut *conn).await?;
            sqlx::query("DELETE FROM guardians WHERE id = ?").bind(id).execute(&mut *conn).await?;
        }
        kind::APPOINTMENT => {
            sqlx::query("DELETE FROM appointments WHERE id = ?").bind(id).execute(&mut *conn).await?;
        }
        kind::FEE => {
            sqlx::query("DELETE FROM fees WHERE id = ?").bind(id).execute(&mut *conn).await?;
            write::fee_state_of_appointment(conn, parse_id(id)?).await?;
        }
        kind::REFUND => {
            let fee: Option<(String,)> =
                sqlx::query_as("DELETE FROM refunds WHERE id = ? RETURNING fee_id").bind(id).fetch_optional(&mut *conn).await?;
            if let Some((fee,)) = fee {
                write::fee_state_of_appointment(conn, parse_id(&fee)?).await?;
            }
        }
        kind::REQUEST => {
            sqlx::query("DELETE FROM cancellation_requests WHERE id = ?").bind(id).execute(&mut *conn).await?;
        }
        kind::DOCTOR_ORDER => {
            sqlx::query("DELETE FROM doctor_orders WHERE store_id = ?").bind(id).execute(&mut *conn).await?;
        }
        kind::EYE_EXAM => {
            sqlx::query("DELETE FROM eye_exams WHERE id = ?").bind(id).execute(&mut *conn).await?;
        }
        kind::CORRECTION => {
            sqlx::query("DELETE FROM corrections WHERE patient_id = ?").bind(id).execute(&mut *conn).await?;
        }
        kind::RECALL_OUTCOME => {
            sqlx::query("DELETE FROM recall_outcomes WHERE id = ?").bind(id).execute(&mut *conn).await?;
        }
        kind::HISTORY => {
            let (m, i) = parse_line_key(id)?;
            sqlx::query("DELETE FROM appointment_history WHERE mutation_id = ? AND idx = ?").bind(m).bind(i).execute(&mut *conn).await?;
        }
        kind::EYE_EXAM_AUDIT => {
            let (m, i) = parse_line_key(id)?;
            sqlx::query("DELETE FROM eye_exam_audit WHERE mutation_id = ? AND idx = ?").bind(m).bind(i).execute(&mut *conn).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Writes one change of stored effects back, replacing rows with the same key (a rebase's
/// copy of a command it could not re-run).
pub(crate) async fn force_change(conn: &mut Conn, change: &Change) -> Result<(), StoreError> {
    match change {
        Change::Refund(r) => {
            sqlx::query("DELETE FROM refunds WHERE id = ?").bind(id_str(r.id)).execute(&mut *conn).await?;
            write::refund(conn, r).await
        }
        Change::RecallOutcome(o) => {
            sqlx::query("DELETE FROM recall_outcomes WHERE id = ?").bind(id_str(o.id)).execute(&mut *conn).await?;
            write::recall_outcome(conn, o).await
        }
        other => write::write_change(conn, other, "pending").await,
    }
}

pub(crate) async fn force_history(conn: &mut Conn, h: &HistoryEntry) -> Result<(), StoreError> {
    apply_doc(conn, kind::HISTORY, &line_key(h.mutation_id, h.index), &js(h)).await.map(|_| ())
}

pub(crate) async fn force_audit(conn: &mut Conn, a: &EyeExamAudit) -> Result<(), StoreError> {
    apply_doc(conn, kind::EYE_EXAM_AUDIT, &line_key(a.mutation_id, a.index), &js(a)).await.map(|_| ())
}
