//! Writes a handler's effects (and bulk demo data) into the tables.

use clinicdesk_domain::eye::{Correction, EyeExam, EyeExamAudit};
use clinicdesk_domain::model::*;
use clinicdesk_domain::recall::RecallOutcomeRecord;
use clinicdesk_domain::world::{Change, Effects};
use pinyin::ToPinyin;
use sqlx::SqliteConnection;

use crate::{id_str, ts, StoreError};

type Conn = SqliteConnection;

fn js<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serializable")
}

/// A serde unit-variant as its wire string ("checked_in").
pub(crate) fn tag<T: serde::Serialize>(v: &T) -> String {
    js(v).trim_matches('"').to_string()
}

/// Pinyin initials for search ("张小明" → "zxm"); other letters and digits kept, lower case.
pub fn initials(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c.to_pinyin() {
            Some(p) => p.first_letter().chars().next(),
            None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            None => None,
        })
        .collect()
}

/// The board's fee state of a fee (by id, bound as ?1): none / pending / paid / refunded.
const FEE_STATE: &str = "COALESCE((SELECT CASE WHEN EXISTS (SELECT 1 FROM refunds r WHERE r.fee_id = f.id) THEN 'refunded'
                                             WHEN f.status = 'charged' THEN 'paid'
                                             WHEN f.status = 'pending' THEN 'pending' ELSE 'none' END
                                  FROM fees f WHERE f.id = ?1), 'none')";

pub(crate) async fn effects(conn: &mut Conn, fx: &Effects, sync_state: &str) -> Result<(), StoreError> {
    for change in &fx.changes {
        write_change(conn, change, sync_state).await?;
    }
    for h in &fx.history {
        history(conn, h).await?;
    }
    for a in &fx.eye_audit {
        eye_audit(conn, a).await?;
    }
    Ok(())
}

pub(crate) async fn write_change(conn: &mut Conn, change: &Change, sync_state: &str) -> Result<(), StoreError> {
    match change {
        Change::Patient(p) => patient(conn, p).await,
        Change::Guardian(g) => guardian(conn, g).await,
        Change::Appointment(a) => appointment(conn, a, sync_state).await,
        Change::Fee(f) => fee(conn, f).await,
        Change::Refund(r) => refund(conn, r).await,
        Change::Request(r) => request(conn, r).await,
        Change::DoctorOrder(o) => doctor_order(conn, o).await,
        Change::StoreSettings { store_id, settings } => {
            sqlx::query("UPDATE stores SET settings = ? WHERE id = ?").bind(js(settings)).bind(id_str(*store_id)).execute(conn).await?;
            Ok(())
        }
        Change::EyeExam { exam, appointment_id } => eye_exam(conn, exam, *appointment_id).await,
        Change::Correction { patient_id, correction: c } => correction(conn, *patient_id, c).await,
        Change::RecallOutcome(o) => recall_outcome(conn, o).await,
        Change::Conflict(c) => conflict(conn, c).await,
    }
}

/// A conflict handled at this desk (`conflict.resolve@1`): shown resolved at once. The
/// rejected command's own rows leave the desk when the server's resolution comes back with
/// a pull (the rebase then no longer keeps that command).
pub(crate) async fn conflict(conn: &mut Conn, c: &clinicdesk_domain::sync::ConflictRecord) -> Result<(), StoreError> {
    sqlx::query("UPDATE conflicts SET resolved = ?, data = ? WHERE id = ?")
        .bind(c.resolution.is_some() as i64)
        .bind(js(c))
        .bind(id_str(c.id))
        .execute(conn)
        .await?;
    Ok(())
}

/// One outcome of a recall call: a new row each time (migration 0006).
pub(crate) async fn recall_outcome(conn: &mut Conn, o: &RecallOutcomeRecord) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO recall_outcomes (id, store_id, patient_id, kind, outcome, note, at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(id_str(o.id))
        .bind(id_str(o.store_id))
        .bind(id_str(o.patient_id))
        .bind(o.kind.as_str())
        .bind(o.outcome.as_str())
        .bind(&o.note)
        .bind(ts(o.at))
        .bind(&o.actor)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn patient(conn: &mut Conn, p: &Patient) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO patients (id, tenant_id, name, initials, sex, birth_date, phone, channel_code, consultant_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, initials = excluded.initials, sex = excluded.sex,
           birth_date = excluded.birth_date, phone = excluded.phone",
    )
    .bind(id_str(p.id))
    .bind(id_str(p.tenant_id))
    .bind(&p.name)
    .bind(initials(&p.name))
    .bind(tag(&p.sex))
    .bind(p.birth_date.to_string())
    .bind(&p.phone)
    .bind(&p.channel_code)
    .bind(p.consultant_id.map(id_str))
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE appointments SET patient_name = ? WHERE patient_id = ? AND patient_name <> ?")
        .bind(&p.name)
        .bind(id_str(p.id))
        .bind(&p.name)
        .execute(&mut *conn)
        .await?;
    for (i, g) in p.guardian_ids.iter().enumerate() {
        sqlx::query("INSERT OR IGNORE INTO patient_guardians (patient_id, guardian_id, position) VALUES (?, ?, ?)")
            .bind(id_str(p.id))
            .bind(id_str(*g))
            .bind(i as i64)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(crate) async fn guardian(conn: &mut Conn, g: &Guardian) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO guardians (id, tenant_id, name, phone) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, phone = excluded.phone")
        .bind(id_str(g.id))
        .bind(id_str(g.tenant_id))
        .bind(&g.name)
        .bind(&g.phone)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn appointment(conn: &mut Conn, a: &Appointment, sync_state: &str) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO appointments (id, tenant_id, store_id, doctor_id, department_id, patient_id, complaint_id, start_ts, end_ts,
           state, visit_type, visit_type_by_fallback, source, fee_id, created_at, updated_at, sync_state, patient_name, fee_state)
         VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?1, ?15, ?16, ?17,
                 COALESCE((SELECT name FROM patients WHERE id = ?7), ''), {FEE_STATE})
         ON CONFLICT(id) DO UPDATE SET doctor_id = excluded.doctor_id, start_ts = excluded.start_ts, end_ts = excluded.end_ts,
           state = excluded.state, fee_id = excluded.fee_id, updated_at = excluded.updated_at, sync_state = excluded.sync_state,
           fee_state = excluded.fee_state"
    );
    sqlx::query(&sql)
        .bind(a.fee_id.map(id_str))
        .bind(id_str(a.id))
        .bind(id_str(a.tenant_id))
        .bind(id_str(a.store_id))
        .bind(id_str(a.doctor_id))
        .bind(id_str(a.department_id))
        .bind(id_str(a.patient_id))
        .bind(a.complaint_id.map(id_str))
        .bind(ts(a.start))
        .bind(ts(a.end))
        .bind(a.state.as_str())
        .bind(&a.visit_type)
        .bind(a.visit_type_by_fallback as i64)
        .bind(tag(&a.source))
        .bind(ts(a.created_at))
        .bind(ts(a.updated_at))
        .bind(sync_state)
        .execute(conn)
        .await?;
    Ok(())
}

/// Refreshes the board's copy of a fee's state on its appointment.
pub(crate) async fn fee_state_of_appointment(conn: &mut Conn, fee_id: Id) -> Result<(), StoreError> {
    let sql = format!("UPDATE appointments SET fee_state = {FEE_STATE} WHERE fee_id = ?1");
    sqlx::query(&sql).bind(id_str(fee_id)).execute(conn).await?;
    Ok(())
}

pub(crate) async fn fee(conn: &mut Conn, f: &Fee) -> Result<(), StoreError> {
    let (kind, store) = match f.authority {
        Some(RefundAuthority::Desk { store_id }) => (Some("desk"), Some(id_str(store_id))),
        Some(RefundAuthority::Server) => (Some("server"), None),
        None => (None, None),
    };
    sqlx::query(
        "INSERT INTO fees (id, appointment_id, store_id, amount, status, method, wechat_paid, paid_at, authority_kind,
           authority_store_id, receipt_no, refund_requested_at, collected_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, method = excluded.method, wechat_paid = excluded.wechat_paid,
           paid_at = excluded.paid_at, authority_kind = excluded.authority_kind, authority_store_id = excluded.authority_store_id,
           receipt_no = excluded.receipt_no, refund_requested_at = excluded.refund_requested_at, collected_by = excluded.collected_by",
    )
    .bind(id_str(f.id))
    .bind(id_str(f.appointment_id))
    .bind(id_str(f.store_id))
    .bind(f.amount.0)
    .bind(tag(&f.status))
    .bind(f.method.as_ref().map(tag))
    .bind(f.wechat_paid.0)
    .bind(f.paid_at.map(ts))
    .bind(kind)
    .bind(store)
    .bind(&f.receipt_no)
    .bind(f.refund_requested_at.map(ts))
    .bind(&f.collected_by)
    .execute(&mut *conn)
    .await?;
    fee_state_of_appointment(conn, f.id).await
}

/// A plain INSERT: the UNIQUE(fee_id) constraint refuses a second refund of one fee.
pub(crate) async fn refund(conn: &mut Conn, r: &Refund) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO refunds (id, fee_id, number, amount, kind, at, actor, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(id_str(r.id))
        .bind(id_str(r.fee_id))
        .bind(&r.number)
        .bind(r.amount.0)
        .bind(tag(&r.kind))
        .bind(ts(r.at))
        .bind(&r.actor)
        .bind(&r.reason)
        .execute(&mut *conn)
        .await?;
    fee_state_of_appointment(conn, r.fee_id).await
}

pub(crate) async fn request(conn: &mut Conn, r: &CancellationRequest) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO cancellation_requests (id, appointment_id, store_id, patient_id, reason, requested_at, status, decided_at, decided_by, reject_reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, decided_at = excluded.decided_at,
           decided_by = excluded.decided_by, reject_reason = excluded.reject_reason",
    )
    .bind(id_str(r.id))
    .bind(id_str(r.appointment_id))
    .bind(id_str(r.store_id))
    .bind(id_str(r.patient_id))
    .bind(&r.reason)
    .bind(ts(r.requested_at))
    .bind(tag(&r.status))
    .bind(r.decided_at.map(ts))
    .bind(&r.decided_by)
    .bind(&r.reject_reason)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn doctor_order(conn: &mut Conn, o: &DoctorOrder) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO doctor_orders (store_id, doctor_ids, hidden) VALUES (?, ?, ?) ON CONFLICT(store_id) DO UPDATE SET doctor_ids = excluded.doctor_ids, hidden = excluded.hidden")
        .bind(id_str(o.store_id))
        .bind(js(&o.doctor_ids))
        .bind(js(&o.hidden))
        .execute(conn)
        .await?;
    Ok(())
}

/// A new exam with its visit, or an amended one (its data and date; the visit link stays).
pub(crate) async fn eye_exam(conn: &mut Conn, e: &EyeExam, appointment_id: Option<Id>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO eye_exams (id, patient_id, store_id, examined_on, data, appointment_id) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET examined_on = excluded.examined_on, data = excluded.data",
    )
    .bind(id_str(e.id))
    .bind(id_str(e.patient_id))
    .bind(id_str(e.store_id))
    .bind(e.examined_at.to_string())
    .bind(js(e))
    .bind(appointment_id.map(id_str))
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn correction(conn: &mut Conn, patient_id: Id, c: &Correction) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO corrections (patient_id, data) VALUES (?, ?) ON CONFLICT(patient_id) DO UPDATE SET data = excluded.data")
        .bind(id_str(patient_id))
        .bind(js(c))
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn eye_audit(conn: &mut Conn, a: &EyeExamAudit) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO eye_exam_audit (mutation_id, idx, exam_id, patient_id, store_id, at, actor, action, reason, changes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id_str(a.mutation_id))
    .bind(i64::from(a.index))
    .bind(id_str(a.exam_id))
    .bind(id_str(a.patient_id))
    .bind(id_str(a.store_id))
    .bind(ts(a.at))
    .bind(&a.actor)
    .bind(a.action.as_str())
    .bind(&a.reason)
    .bind(js(&a.changes))
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn history(conn: &mut Conn, h: &HistoryEntry) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO appointment_history (mutation_id, idx, appointment_id, at, actor, action, from_state, to_state, reason, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id_str(h.mutation_id))
    .bind(i64::from(h.index))
    .bind(id_str(h.appointment_id))
    .bind(ts(h.at))
    .bind(&h.actor)
    .bind(&h.action)
    .bind(h.from_state.map(|s| s.as_str()))
    .bind(h.to_state.map(|s| s.as_str()))
    .bind(&h.reason)
    .bind(js(&h.detail))
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn pinyin_initials_make_patients_findable_by_typing_letters() {
        assert_eq!(super::initials("张小明"), "zxm");
        assert_eq!(super::initials("欧阳娜娜"), "oynn");
        assert_eq!(super::initials("Li 雷"), "lil");
    }
}
