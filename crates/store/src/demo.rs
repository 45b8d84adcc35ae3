//! Loading a whole chain (the demo clinic, or a benchmark's data) into an empty database.

use clinicdesk_domain::eye::{Correction, EyeExam};
use clinicdesk_domain::model::{HistoryEntry, Id};
use clinicdesk_domain::world::World;
use sqlx::SqliteConnection;

use crate::{id_str, ts, write, LocalStore, StoreError};

impl LocalStore {
    /// True when no chain has been loaded yet (first start).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tenants").fetch_one(&self.pool).await?;
        Ok(n == 0)
    }

    /// Writes a whole chain in one transaction: everything or nothing.
    pub async fn import_chain(
        &self,
        world: &World,
        history: &[HistoryEntry],
        exams: &[EyeExam],
        corrections: &std::collections::BTreeMap<Id, Correction>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        import(&mut tx, world, history, exams, corrections).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn js<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serializable")
}

async fn import(
    c: &mut SqliteConnection,
    w: &World,
    history: &[HistoryEntry],
    exams: &[EyeExam],
    corrections: &std::collections::BTreeMap<Id, Correction>,
) -> Result<(), StoreError> {
    for t in w.tenants.values() {
        sqlx::query("INSERT INTO tenants (id, name) VALUES (?, ?)").bind(id_str(t.id)).bind(&t.name).execute(&mut *c).await?;
    }
    for s in w.stores.values() {
        sqlx::query("INSERT INTO stores (id, tenant_id, code, name, timezone, settings) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(id_str(s.id))
            .bind(id_str(s.tenant_id))
            .bind(&s.code)
            .bind(&s.name)
            .bind(&s.timezone)
            .bind(js(&s.settings))
            .execute(&mut *c)
            .await?;
    }
    for d in w.departments.values() {
        sqlx::query("INSERT INTO departments (id, store_id, name) VALUES (?, ?, ?)")
            .bind(id_str(d.id))
            .bind(id_str(d.store_id))
            .bind(&d.name)
            .execute(&mut *c)
            .await?;
    }
    for d in w.doctors.values() {
        sqlx::query("INSERT INTO doctors (id, tenant_id, name, title) VALUES (?, ?, ?, ?)")
            .bind(id_str(d.id))
            .bind(id_str(d.tenant_id))
            .bind(&d.name)
            .bind(&d.title)
            .execute(&mut *c)
            .await?;
        for dep in &d.department_ids {
            sqlx::query("INSERT INTO doctor_departments (doctor_id, department_id) VALUES (?, ?)")
                .bind(id_str(d.id))
                .bind(id_str(*dep))
                .execute(&mut *c)
                .await?;
        }
    }
    for o in w.doctor_orders.values() {
        write::doctor_order(c, o).await?;
    }
    for cp in w.complaints.values() {
        sqlx::query("INSERT INTO complaints (id, tenant_id, name, department_ids) VALUES (?, ?, ?, ?)")
            .bind(id_str(cp.id))
            .bind(id_str(cp.tenant_id))
            .bind(&cp.name)
            .bind(js(&cp.department_ids))
            .execute(&mut *c)
            .await?;
    }
    for (tenant, defs) in &w.visit_types {
        for v in defs {
            sqlx::query("INSERT INTO visit_types (tenant_id, code, name) VALUES (?, ?, ?)")
                .bind(id_str(*tenant))
                .bind(&v.code)
                .bind(&v.name)
                .execute(&mut *c)
                .await?;
        }
    }
    for ch in w.channels.values() {
        sqlx::query("INSERT INTO channels (code, tenant_id, consultant_id) VALUES (?, ?, ?)")
            .bind(&ch.code)
            .bind(id_str(ch.tenant_id))
            .bind(id_str(ch.consultant_id))
            .execute(&mut *c)
            .await?;
    }
    for s in w.staff.values() {
        sqlx::query("INSERT INTO staff (id, tenant_id, name, login, role, store_ids, doctor_id) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(id_str(s.id))
            .bind(id_str(s.tenant_id))
            .bind(&s.name)
            .bind(&s.login)
            .bind(s.role.as_str())
            .bind(js(&s.store_ids))
            .bind(s.doctor_id.map(id_str))
            .execute(&mut *c)
            .await?;
    }
    for g in w.guardians.values() {
        write::guardian(c, g).await?;
    }
    for p in w.patients.values() {
        write::patient(c, p).await?;
    }
    for s in w.schedules.values() {
        sqlx::query("INSERT INTO schedules (id, store_id, doctor_id, date, periods, slot_minutes) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(id_str(s.id))
            .bind(id_str(s.store_id))
            .bind(id_str(s.doctor_id))
            .bind(s.date.to_string())
            .bind(js(&s.periods))
            .bind(i64::from(s.slot_minutes))
            .execute(&mut *c)
            .await?;
    }
    for b in w.blocks.values() {
        sqlx::query("INSERT INTO blocked_times (id, store_id, doctor_id, start_ts, end_ts, reason) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(id_str(b.id))
            .bind(id_str(b.store_id))
            .bind(id_str(b.doctor_id))
            .bind(ts(b.start))
            .bind(ts(b.end))
            .bind(&b.reason)
            .execute(&mut *c)
            .await?;
    }
    for a in w.appointments.values() {
        write::appointment(c, a, "confirmed").await?;
    }
    for f in w.fees.values() {
        write::fee(c, f).await?;
    }
    for r in w.refunds.values() {
        write::refund(c, r).await?;
    }
    for r in w.requests.values() {
        write::request(c, r).await?;
    }
    for h in history {
        write::history(c, h).await?;
    }
    for e in exams {
        sqlx::query("INSERT INTO eye_exams (id, patient_id, store_id, examined_on, data) VALUES (?, ?, ?, ?, ?)")
            .bind(id_str(e.id))
            .bind(id_str(e.patient_id))
            .bind(id_str(e.store_id))
            .bind(e.examined_at.to_string())
            .bind(js(e))
            .execute(&mut *c)
            .await?;
    }
    for (patient, corr) in corrections {
        sqlx::query("INSERT INTO corrections (patient_id, data) VALUES (?, ?)")
            .bind(id_str(*patient))
            .bind(js(corr))
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}
