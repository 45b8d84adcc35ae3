//! Reads rows into a domain `World`: just the rows one command needs.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use clinicdesk_domain::commands::Command;
use clinicdesk_domain::eye::EyeExam;
use clinicdesk_domain::model::*;
use clinicdesk_domain::money::Fen;
use clinicdesk_domain::roles::Actor;
use clinicdesk_domain::slots;
use clinicdesk_domain::world::World;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::{from_ts, id_str, parse_id, StoreError};

type Conn = SqliteConnection;

fn json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn enum_str<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    json(&format!("\"{s}\""))
}

fn opt_id(row: &SqliteRow, col: &str) -> Result<Option<Id>, StoreError> {
    row.try_get::<Option<String>, _>(col)?.map(|s| parse_id(&s)).transpose()
}

fn id(row: &SqliteRow, col: &str) -> Result<Id, StoreError> {
    parse_id(&row.try_get::<String, _>(col)?)
}

pub(crate) fn appointment_row(row: &SqliteRow) -> Result<Appointment, StoreError> {
    Ok(Appointment {
        id: id(row, "id")?,
        tenant_id: id(row, "tenant_id")?,
        store_id: id(row, "store_id")?,
        doctor_id: id(row, "doctor_id")?,
        department_id: id(row, "department_id")?,
        patient_id: id(row, "patient_id")?,
        complaint_id: opt_id(row, "complaint_id")?,
        start: from_ts(row.try_get("start_ts")?),
        end: from_ts(row.try_get("end_ts")?),
        state: AppointmentState::parse(row.try_get("state")?).ok_or_else(|| StoreError::Corrupt("state".into()))?,
        visit_type: row.try_get("visit_type")?,
        visit_type_by_fallback: row.try_get::<i64, _>("visit_type_by_fallback")? != 0,
        source: enum_str(row.try_get("source")?)?,
        fee_id: opt_id(row, "fee_id")?,
        created_at: from_ts(row.try_get("created_at")?),
        updated_at: from_ts(row.try_get("updated_at")?),
    })
}

pub(crate) fn fee_row(row: &SqliteRow) -> Result<Fee, StoreError> {
    let authority = match row.try_get::<Option<String>, _>("authority_kind")?.as_deref() {
        Some("desk") => Some(RefundAuthority::Desk { store_id: id(row, "authority_store_id")? }),
        Some("server") => Some(RefundAuthority::Server),
        _ => None,
    };
    Ok(Fee {
        id: id(row, "id")?,
        appointment_id: id(row, "appointment_id")?,
        store_id: id(row, "store_id")?,
        amount: Fen(row.try_get("amount")?),
        status: enum_str(row.try_get("status")?)?,
        method: row.try_get::<Option<String>, _>("method")?.map(|m| enum_str(&m)).transpose()?,
        wechat_paid: Fen(row.try_get("wechat_paid")?),
        paid_at: row.try_get::<Option<i64>, _>("paid_at")?.map(from_ts),
        authority,
        receipt_no: row.try_get("receipt_no")?,
        refund_requested_at: row.try_get::<Option<i64>, _>("refund_requested_at")?.map(from_ts),
        collected_by: row.try_get("collected_by")?,
    })
}

pub(crate) fn refund_row(row: &SqliteRow) -> Result<Refund, StoreError> {
    Ok(Refund {
        id: id(row, "id")?,
        fee_id: id(row, "fee_id")?,
        number: row.try_get("number")?,
        amount: Fen(row.try_get("amount")?),
        kind: enum_str(row.try_get("kind")?)?,
        at: from_ts(row.try_get("at")?),
        actor: row.try_get("actor")?,
        reason: row.try_get("reason")?,
    })
}

pub(crate) fn request_row(row: &SqliteRow) -> Result<CancellationRequest, StoreError> {
    Ok(CancellationRequest {
        id: id(row, "id")?,
        appointment_id: id(row, "appointment_id")?,
        store_id: id(row, "store_id")?,
        patient_id: id(row, "patient_id")?,
        reason: row.try_get("reason")?,
        requested_at: from_ts(row.try_get("requested_at")?),
        status: enum_str(row.try_get("status")?)?,
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(from_ts),
        decided_by: row.try_get("decided_by")?,
        reject_reason: row.try_get("reject_reason")?,
    })
}

pub(crate) fn store_row(row: &SqliteRow) -> Result<Store, StoreError> {
    Ok(Store {
        id: id(row, "id")?,
        tenant_id: id(row, "tenant_id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        timezone: row.try_get("timezone")?,
        settings: json(row.try_get("settings")?)?,
    })
}

/// Loads rows into a world, remembering what it already has.
pub(crate) struct Loader<'c> {
    pub conn: &'c mut Conn,
    pub world: World,
    loaded_days: BTreeSet<(Id, NaiveDate)>,
}

impl<'c> Loader<'c> {
    pub fn new(conn: &'c mut Conn) -> Self {
        Loader { conn, world: World::default(), loaded_days: BTreeSet::new() }
    }

    pub async fn store(&mut self, store_id: Id) -> Result<(), StoreError> {
        if self.world.stores.contains_key(&store_id) {
            return Ok(());
        }
        let Some(row) = sqlx::query("SELECT * FROM stores WHERE id = ?").bind(id_str(store_id)).fetch_optional(&mut *self.conn).await?
        else {
            return Ok(());
        };
        let store = store_row(&row)?;
        let tenant = store.tenant_id;
        self.world.stores.insert(store.id, store);
        if let Some(o) = sqlx::query("SELECT doctor_ids, hidden FROM doctor_orders WHERE store_id = ?")
            .bind(id_str(store_id))
            .fetch_optional(&mut *self.conn)
            .await?
        {
            self.world.doctor_orders.insert(
                store_id,
                DoctorOrder { store_id, doctor_ids: json(o.try_get("doctor_ids")?)?, hidden: json(o.try_get("hidden")?)? },
            );
        }
        if !self.world.visit_types.contains_key(&tenant) {
            let rows = sqlx::query("SELECT code, name FROM visit_types WHERE tenant_id = ?")
                .bind(id_str(tenant))
                .fetch_all(&mut *self.conn)
                .await?;
            let defs = rows
                .iter()
                .map(|r| Ok(VisitTypeDef { code: r.try_get("code")?, name: r.try_get("name")? }))
                .collect::<Result<Vec<_>, StoreError>>()?;
            self.world.visit_types.insert(tenant, defs);
        }
        Ok(())
    }

    pub async fn department(&mut self, department_id: Id) -> Result<(), StoreError> {
        if let Some(r) = sqlx::query("SELECT id, store_id, name FROM departments WHERE id = ?")
            .bind(id_str(department_id))
            .fetch_optional(&mut *self.conn)
            .await?
        {
            let d = Department { id: id(&r, "id")?, store_id: id(&r, "store_id")?, name: r.try_get("name")? };
            self.world.departments.insert(d.id, d);
        }
        Ok(())
    }

    pub async fn doctor(&mut self, doctor_id: Id) -> Result<(), StoreError> {
        if self.world.doctors.contains_key(&doctor_id) {
            return Ok(());
        }
        let Some(r) = sqlx::query("SELECT id, tenant_id, name, title FROM doctors WHERE id = ?")
            .bind(id_str(doctor_id))
            .fetch_optional(&mut *self.conn)
            .await?
        else {
            return Ok(());
        };
        let depts: Vec<(String,)> = sqlx::query_as("SELECT department_id FROM doctor_departments WHERE doctor_id = ?")
            .bind(id_str(doctor_id))
            .fetch_all(&mut *self.conn)
            .await?;
        let doc = Doctor {
            id: id(&r, "id")?,
            tenant_id: id(&r, "tenant_id")?,
            name: r.try_get("name")?,
            title: r.try_get("title")?,
            department_ids: depts.iter().map(|(d,)| parse_id(d)).collect::<Result<_, _>>()?,
        };
        self.world.doctors.insert(doc.id, doc);
        Ok(())
    }

    pub async fn patient(&mut self, patient_id: Id) -> Result<(), StoreError> {
        if self.world.patients.contains_key(&patient_id) {
            return Ok(());
        }
        let Some(r) = sqlx::query("SELECT * FROM patients WHERE id = ?").bind(id_str(patient_id)).fetch_optional(&mut *self.conn).await?
        else {
            return Ok(());
        };
        let guardians: Vec<(String,)> = sqlx::query_as("SELECT guardian_id FROM patient_guardians WHERE patient_id = ? ORDER BY position")
            .bind(id_str(patient_id))
            .fetch_all(&mut *self.conn)
            .await?;
        let p = Patient {
            id: id(&r, "id")?,
            tenant_id: id(&r, "tenant_id")?,
            name: r.try_get("name")?,
            sex: enum_str(r.try_get("sex")?)?,
            birth_date: NaiveDate::parse_from_str(r.try_get("birth_date")?, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(e.to_string()))?,
            phone: r.try_get("phone")?,
            guardian_ids: guardians.iter().map(|(g,)| parse_id(g)).collect::<Result<_, _>>()?,
            channel_code: r.try_get("channel_code")?,
            consultant_id: opt_id(&r, "consultant_id")?,
        };
        let completed: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM appointments WHERE patient_id = ? AND state = 'completed' LIMIT 1")
            .bind(id_str(patient_id))
            .fetch_optional(&mut *self.conn)
            .await?;
        if completed.is_some() {
            self.world.patients_with_completed_visit.insert(patient_id);
        }
        self.world.patients.insert(p.id, p);
        Ok(())
    }

    pub async fn complaint(&mut self, complaint_id: Id) -> Result<(), StoreError> {
        if let Some(r) =
            sqlx::query("SELECT * FROM complaints WHERE id = ?").bind(id_str(complaint_id)).fetch_optional(&mut *self.conn).await?
        {
            let c = Complaint {
                id: id(&r, "id")?,
                tenant_id: id(&r, "tenant_id")?,
                name: r.try_get("name")?,
                department_ids: json(r.try_get("department_ids")?)?,
            };
            self.world.complaints.insert(c.id, c);
        }
        Ok(())
    }

    /// A doctor's schedules, blocks and active appointments around one local day.
    pub async fn doctor_day(&mut self, doctor_id: Id, tz: chrono_tz::Tz, date: NaiveDate) -> Result<(), StoreError> {
        if !self.loaded_days.insert((doctor_id, date)) {
            return Ok(());
        }
        self.doctor(doctor_id).await?;
        let rows = sqlx::query("SELECT * FROM schedules WHERE doctor_id = ? AND date = ?")
            .bind(id_str(doctor_id))
            .bind(date.to_string())
            .fetch_all(&mut *self.conn)
            .await?;
        for r in rows {
            let s = Schedule {
                id: id(&r, "id")?,
                store_id: id(&r, "store_id")?,
                doctor_id,
                date,
                periods: json(r.try_get("periods")?)?,
                slot_minutes: r.try_get::<i64, _>("slot_minutes")? as u16,
            };
            self.world.schedules.insert(s.id, s);
        }
        let from = crate::ts(slots::to_utc(tz, date, chrono::NaiveTime::MIN) - Duration::days(1));
        let to = from + 3 * 86_400;
        let rows = sqlx::query("SELECT * FROM appointments WHERE doctor_id = ? AND start_ts < ? AND end_ts > ?")
            .bind(id_str(doctor_id))
            .bind(to)
            .bind(from)
            .fetch_all(&mut *self.conn)
            .await?;
        for r in rows {
            let a = appointment_row(&r)?;
            self.world.appointments.entry(a.id).or_insert(a);
        }
        let rows = sqlx::query("SELECT * FROM blocked_times WHERE doctor_id = ? AND start_ts < ? AND end_ts > ?")
            .bind(id_str(doctor_id))
            .bind(to)
            .bind(from)
            .fetch_all(&mut *self.conn)
            .await?;
        for r in rows {
            let b = BlockedTime {
                id: id(&r, "id")?,
                store_id: id(&r, "store_id")?,
                doctor_id,
                start: from_ts(r.try_get("start_ts")?),
                end: from_ts(r.try_get("end_ts")?),
                reason: r.try_get("reason")?,
            };
            self.world.blocks.insert(b.id, b);
        }
        Ok(())
    }

    /// An appointment with its store, fee, refund and cancellation requests.
    pub async fn appointment(&mut self, appointment_id: Id) -> Result<Option<Appointment>, StoreError> {
        let Some(r) =
            sqlx::query("SELECT * FROM appointments WHERE id = ?").bind(id_str(appointment_id)).fetch_optional(&mut *self.conn).await?
        else {
            return Ok(None);
        };
        let a = appointment_row(&r)?;
        self.world.appointments.insert(a.id, a.clone());
        self.store(a.store_id).await?;
        if let Some(fee_id) = a.fee_id {
            self.fee(fee_id).await?;
        }
        let rows = sqlx::query("SELECT * FROM cancellation_requests WHERE appointment_id = ?")
            .bind(id_str(a.id))
            .fetch_all(&mut *self.conn)
            .await?;
        for r in rows {
            let req = request_row(&r)?;
            self.world.requests.insert(req.id, req);
        }
        Ok(Some(a))
    }

    pub async fn fee(&mut self, fee_id: Id) -> Result<Option<Fee>, StoreError> {
        let Some(r) = sqlx::query("SELECT * FROM fees WHERE id = ?").bind(id_str(fee_id)).fetch_optional(&mut *self.conn).await? else {
            return Ok(None);
        };
        let fee = fee_row(&r)?;
        self.world.fees.insert(fee.id, fee.clone());
        if let Some(r) = sqlx::query("SELECT * FROM refunds WHERE fee_id = ?").bind(id_str(fee_id)).fetch_optional(&mut *self.conn).await? {
            let refund = refund_row(&r)?;
            self.world.refunds.insert(refund.id, refund);
        }
        Ok(Some(fee))
    }

    pub async fn request(&mut self, request_id: Id) -> Result<(), StoreError> {
        if let Some(r) = sqlx::query("SELECT appointment_id FROM cancellation_requests WHERE id = ?")
            .bind(id_str(request_id))
            .fetch_optional(&mut *self.conn)
            .await?
        {
            self.appointment(id(&r, "appointment_id")?).await?;
        }
        Ok(())
    }

    /// An exam by id, when recorded.
    pub async fn eye_exam(&mut self, exam_id: Id) -> Result<Option<EyeExam>, StoreError> {
        let Some(r) = sqlx::query("SELECT data FROM eye_exams WHERE id = ?").bind(id_str(exam_id)).fetch_optional(&mut *self.conn).await?
        else {
            return Ok(None);
        };
        let exam: EyeExam = json(r.try_get("data")?)?;
        self.world.eye_exams.insert(exam.id, exam.clone());
        Ok(Some(exam))
    }

    /// A patient's current correction, when one is recorded.
    pub async fn correction(&mut self, patient_id: Id) -> Result<(), StoreError> {
        if let Some(r) = sqlx::query("SELECT data FROM corrections WHERE patient_id = ?")
            .bind(id_str(patient_id))
            .fetch_optional(&mut *self.conn)
            .await?
        {
            self.world.corrections.insert(patient_id, json(r.try_get("data")?)?);
        }
        Ok(())
    }

    /// What an exam entry reads: the store, the patient and their correction, the exam if
    /// already recorded, and the visit.
    async fn for_exam(&mut self, exam: &EyeExam, appointment_id: Option<Id>) -> Result<(), StoreError> {
        if let Some(old) = self.eye_exam(exam.id).await? {
            self.store(old.store_id).await?;
            self.patient(old.patient_id).await?;
            self.correction(old.patient_id).await?;
        }
        self.store(exam.store_id).await?;
        self.patient(exam.patient_id).await?;
        self.correction(exam.patient_id).await?;
        if let Some(a) = appointment_id {
            self.appointment(a).await?;
        }
        Ok(())
    }

    async fn exists(&mut self, table: &str, id_value: Id) -> Result<bool, StoreError> {
        let sql = format!("SELECT 1 FROM {table} WHERE id = ?");
        Ok(sqlx::query(&sql).bind(id_str(id_value)).fetch_optional(&mut *self.conn).await?.is_some())
    }

    /// Everything `command` reads, for the given actor.
    pub async fn for_command(&mut self, actor: &Actor, command: &Command) -> Result<(), StoreError> {
        if let Actor::Staff { store_ids, .. } = actor {
            for s in store_ids {
                self.store(*s).await?;
            }
        }
        match command {
            Command::PatientCreate(c) => {
                if self.exists("patients", c.patient_id).await? {
                    self.patient(c.patient_id).await?;
                }
                if let Some(g) = &c.guardian {
                    if let Some(r) = sqlx::query("SELECT * FROM guardians WHERE id = ?")
                        .bind(id_str(g.guardian_id))
                        .fetch_optional(&mut *self.conn)
                        .await?
                    {
                        let guardian = Guardian {
                            id: id(&r, "id")?,
                            tenant_id: id(&r, "tenant_id")?,
                            name: r.try_get("name")?,
                            phone: r.try_get("phone")?,
                        };
                        self.world.guardians.insert(guardian.id, guardian);
                        let bound: Vec<(String,)> = sqlx::query_as("SELECT patient_id FROM patient_guardians WHERE guardian_id = ?")
                            .bind(id_str(g.guardian_id))
                            .fetch_all(&mut *self.conn)
                            .await?;
                        for (p,) in bound {
                            self.patient(parse_id(&p)?).await?;
                        }
                    }
                }
                if let Some(code) = &c.channel_code {
                    if let Some(r) =
                        sqlx::query("SELECT * FROM channels WHERE code = ?").bind(code.trim()).fetch_optional(&mut *self.conn).await?
                    {
                        let ch =
                            Channel { code: r.try_get("code")?, tenant_id: id(&r, "tenant_id")?, consultant_id: id(&r, "consultant_id")? };
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
                if self.exists("appointments", c.appointment_id).await? {
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
                if self.exists("cancellation_requests", c.request_id).await? {
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
                if self.exists("refunds", c.refund_id).await? {
                    if let Some(r) =
                        sqlx::query("SELECT * FROM refunds WHERE id = ?").bind(id_str(c.refund_id)).fetch_optional(&mut *self.conn).await?
                    {
                        let refund = refund_row(&r)?;
                        self.world.refunds.insert(refund.id, refund);
                    }
                }
            }
            Command::FeeAssignRefundDesk(c) => {
                // The server's own command; a desk never runs it, but it reads the same rows.
                self.store(c.store_id).await?;
                for f in &c.fee_ids {
                    self.fee(*f).await?;
                }
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
                let row: Option<(String,)> = sqlx::query_as("SELECT data FROM conflicts WHERE id = ?")
                    .bind(id_str(c.conflict_id))
                    .fetch_optional(&mut *self.conn)
                    .await?;
                if let Some((data,)) = row {
                    let rec: clinicdesk_domain::sync::ConflictRecord =
                        serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(format!("conflict: {e}")))?;
                    self.world.conflicts.insert(rec.id, rec);
                }
            }
        }
        Ok(())
    }
}
