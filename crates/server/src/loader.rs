//! Reads from `entities` into a domain `World` exactly the rows the desk's
//! `clinicdesk_store` loader (`Loader::for_command`) reads for each command, but only rows
//! of the acting chain (tenant).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use clinicdesk_domain::commands::Command;
use clinicdesk_domain::eye::{Correction, EyeExam};
use clinicdesk_domain::model::*;
use clinicdesk_domain::roles::Actor;
use clinicdesk_domain::slots;
use clinicdesk_domain::world::World;
use serde::de::DeserializeOwned;
use sqlx::AnyConnection;

use crate::docs::{self, channel_key, day_window, id_str, kind};
use crate::ServerError;

pub struct Loader<'c> {
    conn: &'c mut AnyConnection,
    tenant: Id,
    pub world: World,
    loaded_days: BTreeSet<(Id, NaiveDate)>,
}

impl<'c> Loader<'c> {
    pub fn new(conn: &'c mut AnyConnection, tenant: Id) -> Self {
        Loader { conn, tenant, world: World::default(), loaded_days: BTreeSet::new() }
    }

    async fn get<T: DeserializeOwned>(&mut self, kind: &str, id: Id) -> Result<Option<T>, ServerError> {
        docs::get(self.conn, self.tenant, kind, &id_str(id)).await
    }

    /// Documents of one kind whose `ref_id` is `ref_id` (and, if given, on that local day).
    async fn by_ref<T: DeserializeOwned>(&mut self, kind: &str, ref_id: Id, day: Option<NaiveDate>) -> Result<Vec<T>, ServerError> {
        let rows: Vec<(String,)> = match day {
            Some(d) => {
                sqlx::query_as("SELECT data FROM entities WHERE kind = $1 AND ref_id = $2 AND day = $3 AND tenant_id = $4")
                    .bind(kind)
                    .bind(id_str(ref_id))
                    .bind(d.to_string())
                    .bind(id_str(self.tenant))
                    .fetch_all(&mut *self.conn)
                    .await?
            }
            None => {
                sqlx::query_as("SELECT data FROM entities WHERE kind = $1 AND ref_id = $2 AND tenant_id = $3")
                    .bind(kind)
                    .bind(id_str(ref_id))
                    .bind(id_str(self.tenant))
                    .fetch_all(&mut *self.conn)
                    .await?
            }
        };
        rows.iter().map(|(d,)| docs::parse(d)).collect()
    }

    /// Documents of one kind by `ref_id` overlapping [from, to) (Unix seconds).
    async fn by_ref_between<T: DeserializeOwned>(&mut self, kind: &str, ref_id: Id, from: i64, to: i64) -> Result<Vec<T>, ServerError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT data FROM entities WHERE kind = $1 AND ref_id = $2 AND start_ts < $3 AND end_ts > $4 AND tenant_id = $5",
        )
        .bind(kind)
        .bind(id_str(ref_id))
        .bind(to)
        .bind(from)
        .bind(id_str(self.tenant))
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(|(d,)| docs::parse(d)).collect()
    }

    async fn exists(&mut self, kind: &str, id: Id) -> Result<bool, ServerError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM entities WHERE kind = $1 AND id = $2 AND tenant_id = $3")
            .bind(kind)
            .bind(id_str(id))
            .bind(id_str(self.tenant))
            .fetch_optional(&mut *self.conn)
            .await?;
        Ok(row.is_some())
    }

    /// A store with its doctor order and its chain's visit types.
    pub async fn store(&mut self, store_id: Id) -> Result<(), ServerError> {
        self.stores(&[store_id]).await
    }

    /// Stores with their doctor orders and their chain's visit types, in one query.
    pub async fn stores(&mut self, store_ids: &[Id]) -> Result<(), ServerError> {
        let mut wanted: Vec<Id> = Vec::new();
        for s in store_ids {
            if !self.world.stores.contains_key(s) && !wanted.contains(s) {
                wanted.push(*s);
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        // Single-valued lookups by primary key, one UNION ALL branch each (an IN list lets
        // a planner without statistics prefer walking the tenant's index).
        let mut sql = String::from("SELECT kind, id, data FROM entities WHERE kind = $2 AND id = $1 AND tenant_id = $1");
        for i in 0..wanted.len() {
            let p = 5 + i;
            sql.push_str(&format!(
                " UNION ALL SELECT kind, id, data FROM entities WHERE kind = $3 AND id = ${p} AND tenant_id = $1
                  UNION ALL SELECT kind, id, data FROM entities WHERE kind = $4 AND id = ${p} AND tenant_id = $1"
            ));
        }
        let mut q = sqlx::query_as::<_, (String, String, String)>(&sql)
            .bind(id_str(self.tenant))
            .bind(kind::VISIT_TYPES)
            .bind(kind::STORE)
            .bind(kind::DOCTOR_ORDER);
        for s in &wanted {
            q = q.bind(id_str(*s));
        }
        let rows = q.fetch_all(&mut *self.conn).await?;
        let doc = |k: &str, id: &str| rows.iter().find(|(rk, rid, _)| rk == k && rid == id).map(|(_, _, d)| d.as_str());
        for s in wanted {
            let Some(data) = doc(kind::STORE, &id_str(s)) else {
                continue;
            };
            let store: Store = docs::parse(data)?;
            let tenant = store.tenant_id;
            self.world.stores.insert(store.id, store);
            if let Some(order) = doc(kind::DOCTOR_ORDER, &id_str(s)) {
                self.world.doctor_orders.insert(s, docs::parse(order)?);
            }
            if !self.world.visit_types.contains_key(&tenant) {
                let defs: Vec<VisitTypeDef> = if tenant == self.tenant {
                    doc(kind::VISIT_TYPES, &id_str(tenant)).map(docs::parse).transpose()?.unwrap_or_default()
                } else {
                    self.get::<Vec<VisitTypeDef>>(kind::VISIT_TYPES, tenant).await?.unwrap_or_default()
                };
                self.world.visit_types.insert(tenant, defs);
            }
        }
        Ok(())
    }

    pub async fn department(&mut self, department_id: Id) -> Result<(), ServerError> {
        if let Some(d) = self.get::<Department>(kind::DEPARTMENT, department_id).await? {
            self.world.departments.insert(d.id, d);
        }
        Ok(())
    }

    pub async fn doctor(&mut self, doctor_id: Id) -> Result<(), ServerError> {
        if self.world.doctors.contains_key(&doctor_id) {
            return Ok(());
        }
        if let Some(d) = self.get::<Doctor>(kind::DOCTOR, doctor_id).await? {
            self.world.doctors.insert(d.id, d);
        }
        Ok(())
    }

    pub async fn patient(&mut self, patient_id: Id) -> Result<(), ServerError> {
        if self.world.patients.contains_key(&patient_id) {
            return Ok(());
        }
        let Some(p) = self.get::<Patient>(kind::PATIENT, patient_id).await? else {
            return Ok(());
        };
        let completed: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM completed_visits WHERE patient_id = $1 AND tenant_id = $2 LIMIT 1")
            .bind(id_str(patient_id))
            .bind(id_str(self.tenant))
            .fetch_optional(&mut *self.conn)
            .await?;
        if completed.is_some() {
            self.world.patients_with_completed_visit.insert(patient_id);
        }
        self.world.patients.insert(p.id, p);
        Ok(())
    }

    pub async fn complaint(&mut self, complaint_id: Id) -> Result<(), ServerError> {
        if let Some(c) = self.get::<Complaint>(kind::COMPLAINT, complaint_id).await? {
            self.world.complaints.insert(c.id, c);
        }
        Ok(())
    }

    /// A doctor's schedules, blocks and appointments around one local day.
    pub async fn doctor_day(&mut self, doctor_id: Id, tz: chrono_tz::Tz, date: NaiveDate) -> Result<(), ServerError> {
        if !self.loaded_days.insert((doctor_id, date)) {
            return Ok(());
        }
        self.doctor(doctor_id).await?;
        for s in self.by_ref::<Schedule>(kind::SCHEDULE, doctor_id, Some(date)).await? {
            self.world.schedules.insert(s.id, s);
        }
        let (from, to) = day_window(tz, date);
        for a in self.by_ref_between::<Appointment>(kind::APPOINTMENT, doctor_id, from, to).await? {
            self.world.appointments.entry(a.id).or_insert(a);
        }
        for b in self.by_ref_between::<BlockedTime>(kind::BLOCK, doctor_id, from, to).await? {
            self.world.blocks.insert(b.id, b);
        }
        Ok(())
    }

    /// An appointment with its store, fee, refund and cancellation requests.
    pub async fn appointment(&mut self, appointment_id: Id) -> Result<Option<Appointment>, ServerError> {
        let Some(a) = self.get::<Appointment>(kind::APPOINTMENT, appointment_id).await? else {
            return Ok(None);
        };
        self.world.appointments.insert(a.id, a.clone());
        self.store(a.store_id).await?;
        if let Some(fee_id) = a.fee_id {
            self.fee(fee_id).await?;
        }
        for r in self.by_ref::<CancellationRequest>(kind::REQUEST, a.id, None).await? {
            self.world.requests.insert(r.id, r);
        }
        Ok(Some(a))
    }

    /// A fee with its live refund.
    pub async fn fee(&mut self, fee_id: Id) -> Result<Option<Fee>, ServerError> {
        let Some(fee) = self.get::<Fee>(kind::FEE, fee_id).await? else {
            return Ok(None);
        };
        self.world.fees.insert(fee.id, fee.clone());
        let refund: Option<(String,)> = sqlx::query_as(
            "SELECT e.data FROM refunds_live r JOIN entities e ON e.kind = $1 AND e.id = r.refund_id
             WHERE r.fee_id = $2 AND r.tenant_id = $3 AND e.tenant_id = $3",
        )
        .bind(kind::REFUND)
        .bind(id_str(fee_id))
        .bind(id_str(self.tenant))
        .fetch_optional(&mut *self.conn)
        .await?;
        if let Some((d,)) = refund {
            let r: Refund = docs::parse(&d)?;
            self.world.refunds.insert(r.id, r);
        }
        Ok(Some(fee))
    }

    /// The listed fees of one store with their live refunds, in two queries (a store's
    /// whole fee list when the server assigns its legacy fees to a desk).
    pub async fn store_fees(&mut self, store_id: Id, fee_ids: &[Id]) -> Result<(), ServerError> {
        let wanted: BTreeSet<String> = fee_ids.iter().map(|f| id_str(*f)).collect();
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, data FROM entities WHERE kind = $1 AND store_id = $2 AND tenant_id = $3")
                .bind(kind::FEE)
                .bind(id_str(store_id))
                .bind(id_str(self.tenant))
                .fetch_all(&mut *self.conn)
                .await?;
        for (id, data) in rows.iter().filter(|(id, _)| wanted.contains(id)) {
            let fee: Fee = docs::parse(data).map_err(|e| ServerError::Corrupt(format!("fee {id}: {e}")))?;
            self.world.fees.insert(fee.id, fee);
        }
        let refunds: Vec<(String,)> = sqlx::query_as(
            "SELECT e.data FROM refunds_live r JOIN entities e ON e.kind = $1 AND e.id = r.refund_id
             WHERE r.tenant_id = $2 AND e.tenant_id = $2 AND e.store_id = $3",
        )
        .bind(kind::REFUND)
        .bind(id_str(self.tenant))
        .bind(id_str(store_id))
        .fetch_all(&mut *self.conn)
        .await?;
        for (d,) in refunds {
            let r: Refund = docs::parse(&d)?;
            if self.world.fees.contains_key(&r.fee_id) {
                self.world.refunds.insert(r.id, r);
            }
        }
        Ok(())
    }

    pub async fn request(&mut self, request_id: Id) -> Result<(), ServerError> {
        if let Some(r) = self.get::<CancellationRequest>(kind::REQUEST, request_id).await? {
            self.appointment(r.appointment_id).await?;
        }
        Ok(())
    }

    /// Everything `command` reads, for the given actor (the desk's `Loader::for_command`).
    pub async fn for_command(&mut self, actor: &Actor, command: &Command) -> Result<(), ServerError> {
        if let Actor::Staff { store_ids, .. } = actor {
            self.stores(store_ids).await?;
        }
        match command {
            Command::PatientCreate(c) => {
                if self.exists(kind::PATIENT, c.patient_id).await? {
                    self.patient(c.patient_id).await?;
                }
                if let Some(g) = &c.guardian {
                    if let Some(guardian) = self.get::<Guardian>(kind::GUARDIAN, g.guardian_id).await? {
                        self.world.guardians.insert(guardian.id, guardian);
                        let bound: Vec<(String,)> =
                            sqlx::query_as("SELECT patient_id FROM patient_guardians WHERE guardian_id = $1 AND tenant_id = $2")
                                .bind(id_str(g.guardian_id))
                                .bind(id_str(self.tenant))
                                .fetch_all(&mut *self.conn)
                                .await?;
                        for (p,) in bound {
                            let id = p.parse().map_err(|_| ServerError::Corrupt(format!("bad id {p:?}")))?;
                            self.patient(id).await?;
                        }
                    }
                }
                if let Some(code) = &c.channel_code {
                    let key = channel_key(self.tenant, code.trim());
                    if let Some(ch) = docs::get::<Channel>(self.conn, self.tenant, kind::CHANNEL, &key).await? {
                        self.world.channels.insert(ch.code.clone(), ch);
                    }
                }
            }
            Command::BookingCreate(c) => {
                self.store(c.store_id).await?;
                self.department(c.department_id).await?;
                self.patient(c.patient_id).await?;
                if let Some(cid) = c.complaint_id {
                    self.complaint(cid).await?;
                }
                if let Some(store) = self.world.stores.get(&c.store_id) {
                    let tz = slots::zone(&store.timezone);
                    self.doctor_day(c.doctor_id, tz, slots::local_date(tz, c.start)).await?;
                }
                self.doctor(c.doctor_id).await?;
                if self.exists(kind::APPOINTMENT, c.appointment_id).await? {
                    self.appointment(c.appointment_id).await?;
                }
                if let Some(f) = &c.fee {
                    self.fee(f.fee_id).await?;
                }
            }
            Command::Confirm(c) | Command::CheckIn(c) | Command::Complete(c) | Command::NoShow(c) => {
                self.appointment(c.appointment_id).await?;
            }
            Command::UndoCheckIn(c) | Command::Cancel(c) | Command::PatientCancel(c) => {
                self.appointment(c.appointment_id).await?;
            }
            Command::Reschedule(c) => {
                if let Some(a) = self.appointment(c.appointment_id).await? {
                    if let Some(store) = self.world.stores.get(&a.store_id) {
                        let tz = slots::zone(&store.timezone);
                        let doctor = c.doctor_id.unwrap_or(a.doctor_id);
                        self.doctor_day(doctor, tz, slots::local_date(tz, c.start)).await?;
                        self.doctor(a.doctor_id).await?;
                    }
                }
            }
            Command::RequestCreate(c) => {
                self.appointment(c.appointment_id).await?;
                if self.exists(kind::REQUEST, c.request_id).await? {
                    self.request(c.request_id).await?;
                }
            }
            Command::RequestApprove(c) => self.request(c.request_id).await?,
            Command::RequestReject(c) => self.request(c.request_id).await?,
            Command::FeeCharge(c) => {
                if let Some(f) = self.fee(c.fee_id).await? {
                    self.appointment(f.appointment_id).await?;
                }
            }
            Command::RequestRefund(c) => {
                if let Some(f) = self.fee(c.fee_id).await? {
                    self.appointment(f.appointment_id).await?;
                }
            }
            Command::RefundCash(c) | Command::RefundOnline(c) | Command::RefundManual(c) => {
                if let Some(f) = self.fee(c.fee_id).await? {
                    self.appointment(f.appointment_id).await?;
                }
                if let Some(r) = self.get::<Refund>(kind::REFUND, c.refund_id).await? {
                    self.world.refunds.insert(r.id, r);
                }
            }
            Command::FeeAssignRefundDesk(c) => {
                self.store(c.store_id).await?;
                self.store_fees(c.store_id, &c.fee_ids).await?;
            }
            Command::SetDoctorOrder(c) => {
                self.store(c.store_id).await?;
                for d in &c.doctor_ids {
                    self.doctor(*d).await?;
                }
            }
            Command::SetDoctorHidden(c) => {
                self.store(c.store_id).await?;
                self.doctor(c.doctor_id).await?;
            }
            Command::UpdateSettings(c) => self.store(c.store_id).await?,
            Command::EyeExamRecord(c) => self.for_exam(&c.exam, c.appointment_id).await?,
            Command::EyeExamAmend(c) => self.for_exam(&c.exam, None).await?,
            Command::RecallRecordOutcome(c) => {
                self.store(c.store_id).await?;
                self.patient(c.patient_id).await?;
            }
            Command::ConflictResolve(c) => {
                if let Some(rec) = self.get::<clinicdesk_domain::sync::ConflictRecord>(kind::CONFLICT, c.conflict_id).await? {
                    self.world.conflicts.insert(rec.id, rec);
                }
            }
        }
        Ok(())
    }

    /// What an exam entry reads: the exam if recorded, its store and patient with their
    /// correction, and the visit (the desk's `Loader::for_exam`).
    async fn for_exam(&mut self, exam: &EyeExam, appointment_id: Option<Id>) -> Result<(), ServerError> {
        let mut patients = vec![exam.patient_id];
        let mut stores = vec![exam.store_id];
        if let Some(old) = self.get::<EyeExam>(kind::EYE_EXAM, exam.id).await? {
            patients.push(old.patient_id);
            stores.push(old.store_id);
            self.world.eye_exams.insert(old.id, old);
        }
        for s in stores {
            self.store(s).await?;
        }
        for p in patients {
            self.patient(p).await?;
            if let Some(c) = self.get::<Correction>(kind::CORRECTION, p).await? {
                self.world.corrections.insert(p, c);
            }
        }
        if let Some(a) = appointment_id {
            self.appointment(a).await?;
        }
        Ok(())
    }
}

/// The store a command acts in, once its rows are loaded (None: chain-wide, or its rows
/// do not exist and the handler will say so).
pub fn command_store(world: &World, command: &Command) -> Option<Id> {
    let of_appt = |id: Id| world.appointments.get(&id).map(|a| a.store_id);
    let of_fee = |id: Id| world.fees.get(&id).map(|f| f.store_id);
    let of_request = |id: Id| world.requests.get(&id).map(|r| r.store_id);
    match command {
        Command::PatientCreate(_) => None,
        Command::BookingCreate(c) => Some(c.store_id),
        Command::Confirm(c) | Command::CheckIn(c) | Command::Complete(c) | Command::NoShow(c) => of_appt(c.appointment_id),
        Command::UndoCheckIn(c) | Command::Cancel(c) | Command::PatientCancel(c) => of_appt(c.appointment_id),
        Command::Reschedule(c) => of_appt(c.appointment_id),
        Command::RequestCreate(c) => of_appt(c.appointment_id),
        Command::RequestApprove(c) => of_request(c.request_id),
        Command::RequestReject(c) => of_request(c.request_id),
        Command::FeeCharge(c) => of_fee(c.fee_id),
        Command::RequestRefund(c) => of_fee(c.fee_id),
        Command::RefundCash(c) | Command::RefundOnline(c) | Command::RefundManual(c) => of_fee(c.fee_id),
        Command::FeeAssignRefundDesk(c) => Some(c.store_id),
        Command::SetDoctorOrder(c) => Some(c.store_id),
        Command::SetDoctorHidden(c) => Some(c.store_id),
        Command::UpdateSettings(c) => Some(c.store_id),
        Command::EyeExamRecord(c) => Some(c.exam.store_id),
        Command::EyeExamAmend(c) => Some(world.eye_exams.get(&c.exam.id).map_or(c.exam.store_id, |e| e.store_id)),
        Command::RecallRecordOutcome(c) => Some(c.store_id),
        Command::ConflictResolve(c) => world.conflicts.get(&c.conflict_id).map(|r| r.store_id),
    }
}
