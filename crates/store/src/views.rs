//! Read models the desk shows: a store's day board, a doctor's week, patient search.
//! These types cross the IPC edge as they are (camelCase JSON, TypeScript generated).

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveTime, Timelike};
use clinicdesk_domain::model::{AppointmentState, Doctor, DoctorOrder, Id, Period as LocalPeriod};
use clinicdesk_domain::order::order_doctors;
use clinicdesk_domain::slots;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{from_ts, id_str, parse_id, raw, ts, LocalStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoreRef {
    pub id: String,
    pub name: String,
    pub timezone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Period"))]
pub struct MinutePeriod {
    pub start_min: u32,
    pub end_min: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BoardDoctor {
    pub id: String,
    pub name: String,
    pub title: String,
    pub departments: Vec<String>,
    /// False: not yet in the store's doctor order (shown last, marked).
    pub listed: bool,
    pub hidden_from_patients: bool,
    pub periods: Vec<MinutePeriod>,
    pub slot_minutes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FeeState {
    None,
    Pending,
    Paid,
    Refunded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SyncState {
    Pending,
    Confirmed,
    Attention,
}

impl SyncState {
    /// From `appointments.sync_state`.
    pub fn from_column(s: &str) -> SyncState {
        match s {
            "pending" => SyncState::Pending,
            "attention" => SyncState::Attention,
            _ => SyncState::Confirmed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BoardAppointment {
    pub id: String,
    pub doctor_id: String,
    pub patient_name: String,
    pub start_min: u32,
    pub end_min: u32,
    pub state: AppointmentState,
    pub visit_type: String,
    pub department: String,
    pub fee: FeeState,
    pub sync: SyncState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BoardDay {
    pub store: StoreRef,
    pub stores: Vec<StoreRef>,
    pub date: String,
    pub today: String,
    pub day_start_min: u32,
    pub day_end_min: u32,
    pub doctors: Vec<BoardDoctor>,
    pub appointments: Vec<BoardAppointment>,
    pub open_requests: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PatientHit {
    pub id: String,
    pub name: String,
    pub initials: String,
    pub phone: String,
    pub birth_date: String,
}

/// Board cards of a store (optionally one doctor) for `days` local days from `first`, one
/// list per day, each with minutes since that day's local midnight.
fn fetch_appointments(
    conn: &mut raw::Direct<'_>,
    store_id: &str,
    doctor_id: Option<&str>,
    tenant_id: Id,
    tz: chrono_tz::Tz,
    first: NaiveDate,
    days: i64,
) -> Result<Vec<Vec<BoardAppointment>>, StoreError> {
    let from = ts(slots::to_utc(tz, first, NaiveTime::MIN));
    let to = ts(slots::to_utc(tz, first + Duration::days(days), NaiveTime::MIN));
    // A handful of each per store: a list is quicker to search than a hash of 36-byte keys.
    let tenant = id_str(tenant_id);
    let visit_names: Vec<(String, String)> =
        conn.collect("SELECT code, name FROM visit_types WHERE tenant_id = ?1", &[raw::Bind::Text(&tenant)], |r| {
            Ok((r.text(0).to_string(), r.text(1).to_string()))
        })?;
    let departments: Vec<(String, String)> =
        conn.collect("SELECT id, name FROM departments WHERE store_id = ?1", &[raw::Bind::Text(store_id)], |r| {
            Ok((r.text(0).to_string(), r.text(1).to_string()))
        })?;
    let name_of = |list: &[(String, String)], key: &str| list.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let corrupt = || StoreError::Corrupt("board row".into());
    // Local midnights of the days asked for. On a day of 24 hours (no clock change) the local
    // minute is plain arithmetic; on a day with a change, the time zone converts each instant.
    let midnights: Vec<i64> = (0..=days).map(|d| ts(slots::to_utc(tz, first + Duration::days(d), NaiveTime::MIN))).collect();
    let local_minute = |day: usize, at: i64| -> u32 {
        let (m0, m1) = (midnights[day], midnights[day + 1]);
        if at >= m1 {
            24 * 60
        } else if m1 - m0 == 86_400 {
            ((at - m0) / 60) as u32
        } else {
            minutes(from_ts(at).with_timezone(&tz).time())
        }
    };
    // The rows come from the appointments table alone (patient name and fee state are kept on
    // it by the write path), for a store's day from the covering index `appointments_board`
    // in board order, stepped through SQLite directly: thousands of rows through the driver's
    // worker thread cost more than the query itself.
    let mut out: Vec<Vec<BoardAppointment>> = (0..days).map(|_| Vec::new()).collect();
    let mut binds = vec![raw::Bind::Text(store_id), raw::Bind::Int(from), raw::Bind::Int(to)];
    let sql = match doctor_id {
        Some(d) => {
            binds.push(raw::Bind::Text(d));
            "SELECT id, doctor_id, patient_name, start_ts, end_ts, state, visit_type, department_id, fee_state, sync_state
             FROM appointments INDEXED BY appointments_by_doctor_start
             WHERE doctor_id = ?4 AND start_ts >= ?2 AND start_ts < ?3 AND store_id = ?1
             ORDER BY start_ts, id"
        }
        None => {
            "SELECT id, doctor_id, patient_name, start_ts, end_ts, state, visit_type, department_id, fee_state, sync_state
             FROM appointments WHERE store_id = ?1 AND start_ts >= ?2 AND start_ts < ?3
             ORDER BY start_ts, id"
        }
    };
    conn.for_each(sql, &binds, |r| {
        let start_ts = r.int(3);
        let Some(day) = (0..days as usize).find(|&d| midnights[d] <= start_ts && start_ts < midnights[d + 1]) else {
            return Ok(());
        };
        let code = r.text(6);
        let fee = match r.text(8) {
            "refunded" => FeeState::Refunded,
            "paid" => FeeState::Paid,
            "pending" => FeeState::Pending,
            _ => FeeState::None,
        };
        out[day].push(BoardAppointment {
            id: r.text(0).to_string(),
            doctor_id: r.text(1).to_string(),
            patient_name: r.text(2).to_string(),
            start_min: local_minute(day, start_ts),
            end_min: local_minute(day, r.int(4)),
            state: AppointmentState::parse(r.text(5)).ok_or_else(corrupt)?,
            visit_type: name_of(&visit_names, code).unwrap_or_else(|| code.to_string()),
            department: name_of(&departments, r.text(7)).unwrap_or_default(),
            fee,
            sync: SyncState::from_column(r.text(9)),
        });
        Ok(())
    })?;
    Ok(out)
}

fn minutes(t: NaiveTime) -> u32 {
    t.hour() * 60 + t.minute()
}

fn stores(conn: &mut raw::Direct<'_>) -> Result<Vec<StoreRef>, StoreError> {
    conn.collect("SELECT id, name, timezone FROM stores ORDER BY code", &[], |r| {
        Ok(StoreRef { id: r.text(0).to_string(), name: r.text(1).to_string(), timezone: r.text(2).to_string() })
    })
}

fn json_column<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl LocalStore {
    pub async fn stores(&self) -> Result<Vec<StoreRef>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut direct = raw::Direct::lock(&mut conn).await?;
        stores(&mut direct)
    }

    /// One store's day: doctors in the store's order with their working periods, and every
    /// appointment of the day with patient, department, visit type, fee and sync state.
    pub async fn board_day(&self, store_id: Id, date: NaiveDate, today: NaiveDate) -> Result<BoardDay, StoreError> {
        let mut conn = self.pool.acquire().await?;
        // Every read of the board runs on this thread, on one held connection (see raw.rs).
        let mut conn = raw::Direct::lock(&mut conn).await?;
        let sid = id_str(store_id);
        let date_s = date.to_string();
        let store = conn
            .collect("SELECT tenant_id, name, timezone FROM stores WHERE id = ?1", &[raw::Bind::Text(&sid)], |r| {
                Ok((parse_id(r.text(0))?, r.text(1).to_string(), r.text(2).to_string()))
            })?
            .pop();
        let Some((tenant_id, store_name, timezone)) = store else {
            return Err(clinicdesk_domain::DomainError::NotFound { what: clinicdesk_domain::error::Entity::Store, id: store_id }.into());
        };
        let tz = slots::zone(&timezone);

        let appointments = fetch_appointments(&mut conn, &sid, None, tenant_id, tz, date, 1)?.remove(0);
        let with_appointments: std::collections::BTreeSet<&str> = appointments.iter().map(|a| a.doctor_id.as_str()).collect();
        let with_appointments = serde_json::to_string(&with_appointments).expect("json");

        // Doctors working in the store: by department, by schedule that day, by appointment that day.
        let doctors = conn.collect(
            "SELECT d.id, d.tenant_id, d.name, d.title FROM doctors d WHERE d.id IN (
               SELECT dd.doctor_id FROM doctor_departments dd JOIN departments dep ON dep.id = dd.department_id WHERE dep.store_id = ?1
               UNION SELECT doctor_id FROM schedules WHERE store_id = ?1 AND date = ?2
               UNION SELECT value FROM json_each(?3))",
            &[raw::Bind::Text(&sid), raw::Bind::Text(&date_s), raw::Bind::Text(&with_appointments)],
            |r| {
                Ok(Doctor {
                    id: parse_id(r.text(0))?,
                    tenant_id: parse_id(r.text(1))?,
                    name: r.text(2).to_string(),
                    title: r.text(3).to_string(),
                    department_ids: Vec::new(),
                })
            },
        )?;
        let order: Option<DoctorOrder> = conn
            .collect("SELECT doctor_ids, hidden FROM doctor_orders WHERE store_id = ?1", &[raw::Bind::Text(&sid)], |r| {
                Ok(DoctorOrder { store_id, doctor_ids: json_column(r.text(0))?, hidden: json_column(r.text(1))? })
            })?
            .pop();
        let ordered = order_doctors(order.as_ref(), doctors.iter());

        let mut dept_names: HashMap<String, Vec<String>> = HashMap::new();
        conn.for_each(
            "SELECT dd.doctor_id, dep.name FROM doctor_departments dd JOIN departments dep ON dep.id = dd.department_id
             WHERE dep.store_id = ?1 ORDER BY dep.name",
            &[raw::Bind::Text(&sid)],
            |r| {
                dept_names.entry(r.text(0).to_string()).or_default().push(r.text(1).to_string());
                Ok(())
            },
        )?;
        let mut periods: HashMap<String, (Vec<MinutePeriod>, u32)> = HashMap::new();
        conn.for_each(
            "SELECT doctor_id, periods, slot_minutes FROM schedules WHERE store_id = ?1 AND date = ?2",
            &[raw::Bind::Text(&sid), raw::Bind::Text(&date_s)],
            |r| {
                let ps: Vec<LocalPeriod> = json_column(r.text(1))?;
                let slot = u32::try_from(r.int(2)).unwrap_or(30);
                let entry = periods.entry(r.text(0).to_string()).or_insert_with(|| (Vec::new(), slot));
                entry.0.extend(ps.iter().map(|p| MinutePeriod { start_min: minutes(p.start), end_min: minutes(p.end) }));
                Ok(())
            },
        )?;
        let names: BTreeMap<Id, &Doctor> = doctors.iter().map(|d| (d.id, d)).collect();
        let board_doctors: Vec<BoardDoctor> = ordered
            .iter()
            .map(|od| {
                let d = names[&od.doctor_id];
                let key = id_str(d.id);
                let (ps, slot) = periods.remove(&key).unwrap_or_default();
                BoardDoctor {
                    departments: dept_names.remove(&key).unwrap_or_default(),
                    id: key,
                    name: d.name.clone(),
                    title: d.title.clone(),
                    listed: od.listed,
                    hidden_from_patients: od.hidden,
                    periods: ps,
                    slot_minutes: if slot == 0 { 30 } else { slot },
                }
            })
            .collect();

        let mut open = 0i64;
        conn.for_each(
            "SELECT COUNT(*) FROM cancellation_requests WHERE store_id = ?1 AND status = 'open'",
            &[raw::Bind::Text(&sid)],
            |r| {
                open = r.int(0);
                Ok(())
            },
        )?;

        // The grid spans the working periods and the appointments, in whole hours, at least 08–18.
        let mut lo = 8 * 60;
        let mut hi = 18 * 60;
        for p in board_doctors.iter().flat_map(|d| &d.periods) {
            lo = lo.min(p.start_min);
            hi = hi.max(p.end_min);
        }
        for a in &appointments {
            lo = lo.min(a.start_min);
            hi = hi.max(a.end_min);
        }
        let stores = stores(&mut conn)?;
        drop(conn);
        Ok(BoardDay {
            stores,
            store: StoreRef { id: sid, name: store_name, timezone },
            date: date_s,
            today: today.to_string(),
            day_start_min: lo / 60 * 60,
            day_end_min: hi.div_ceil(60) * 60,
            doctors: board_doctors,
            appointments,
            open_requests: open as u32,
        })
    }

    /// Patients by name fragment, phone digits or pinyin initials, best matches first.
    pub async fn search_patients(&self, query: &str, limit: u32) -> Result<Vec<PatientHit>, StoreError> {
        let q = query.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let lower = q.to_lowercase();
        let escaped = lower.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let rows = sqlx::query(
            "SELECT id, name, initials, phone, birth_date,
                    CASE WHEN name = ?1 OR phone = ?1 OR initials = ?2 THEN 0
                         WHEN name LIKE ?3 ESCAPE '\\' OR phone LIKE ?3 ESCAPE '\\' OR initials LIKE ?3 ESCAPE '\\' THEN 1
                         ELSE 2 END AS rank
             FROM patients
             WHERE name LIKE ?4 ESCAPE '\\' OR phone LIKE ?3 ESCAPE '\\' OR phone LIKE ?4 ESCAPE '\\' OR initials LIKE ?3 ESCAPE '\\'
             ORDER BY rank, name, id LIMIT ?5",
        )
        .bind(q)
        .bind(&lower)
        .bind(format!("{escaped}%"))
        .bind(format!("%{escaped}%"))
        .bind(i64::from(limit.min(200)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PatientHit {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    initials: r.try_get("initials")?,
                    phone: r.try_get("phone")?,
                    birth_date: r.try_get("birth_date")?,
                })
            })
            .collect()
    }

    /// The history of one appointment, oldest first.
    pub async fn history(&self, appointment_id: Id) -> Result<Vec<clinicdesk_domain::model::HistoryEntry>, StoreError> {
        let rows = sqlx::query("SELECT * FROM appointment_history WHERE appointment_id = ? ORDER BY at, mutation_id, idx")
            .bind(id_str(appointment_id))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(clinicdesk_domain::model::HistoryEntry {
                    appointment_id,
                    mutation_id: parse_id(r.try_get("mutation_id")?)?,
                    index: r.try_get::<i64, _>("idx")? as u16,
                    at: from_ts(r.try_get("at")?),
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    from_state: r.try_get::<Option<String>, _>("from_state")?.and_then(|s| AppointmentState::parse(&s)),
                    to_state: r.try_get::<Option<String>, _>("to_state")?.and_then(|s| AppointmentState::parse(&s)),
                    reason: r.try_get("reason")?,
                    detail: serde_json::from_str(r.try_get("detail")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WeekDay {
    pub date: String,
    pub periods: Vec<MinutePeriod>,
    pub slot_minutes: u32,
    pub appointments: Vec<BoardAppointment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DoctorWeek {
    pub store: StoreRef,
    pub doctor_id: String,
    pub doctor_name: String,
    pub doctor_title: String,
    pub day_start_min: u32,
    pub day_end_min: u32,
    /// Seven days from the requested Monday (or whichever day was asked for).
    pub days: Vec<WeekDay>,
}

impl LocalStore {
    /// One doctor's seven days in one store, from `first`.
    pub async fn doctor_week(&self, store_id: Id, doctor_id: Id, first: NaiveDate) -> Result<DoctorWeek, StoreError> {
        use clinicdesk_domain::error::Entity;
        use clinicdesk_domain::DomainError;
        let mut conn = self.pool.acquire().await?;
        let sid = id_str(store_id);
        let did = id_str(doctor_id);
        let store = match sqlx::query("SELECT * FROM stores WHERE id = ?").bind(&sid).fetch_optional(&mut *conn).await? {
            Some(r) => crate::load::store_row(&r)?,
            None => return Err(DomainError::NotFound { what: Entity::Store, id: store_id }.into()),
        };
        let (name, title): (String, String) = sqlx::query_as("SELECT name, title FROM doctors WHERE id = ?")
            .bind(&did)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(DomainError::NotFound { what: Entity::Doctor, id: doctor_id })?;
        let tz = slots::zone(&store.timezone);
        let mut per_day = {
            let mut direct = raw::Direct::lock(&mut conn).await?;
            fetch_appointments(&mut direct, &sid, Some(&did), store.tenant_id, tz, first, 7)?
        };
        let last = first + Duration::days(6);
        let mut schedules: HashMap<String, (Vec<MinutePeriod>, u32)> = HashMap::new();
        for r in sqlx::query(
            "SELECT date, periods, slot_minutes FROM schedules WHERE store_id = ? AND doctor_id = ? AND date >= ? AND date <= ?",
        )
        .bind(&sid)
        .bind(&did)
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_all(&mut *conn)
        .await?
        {
            let ps: Vec<LocalPeriod> = serde_json::from_str(r.try_get("periods")?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let entry = schedules
                .entry(r.try_get("date")?)
                .or_insert_with(|| (Vec::new(), r.try_get::<i64, _>("slot_minutes").unwrap_or(30) as u32));
            entry.0.extend(ps.iter().map(|p| MinutePeriod { start_min: minutes(p.start), end_min: minutes(p.end) }));
        }
        let mut days = Vec::with_capacity(7);
        let (mut lo, mut hi) = (8 * 60, 18 * 60);
        for (i, appointments) in per_day.drain(..).enumerate() {
            let date = (first + Duration::days(i as i64)).to_string();
            let (periods, slot) = schedules.remove(&date).unwrap_or_default();
            for p in &periods {
                lo = lo.min(p.start_min);
                hi = hi.max(p.end_min);
            }
            for a in &appointments {
                lo = lo.min(a.start_min);
                hi = hi.max(a.end_min);
            }
            days.push(WeekDay { date, periods, slot_minutes: if slot == 0 { 30 } else { slot }, appointments });
        }
        Ok(DoctorWeek {
            store: StoreRef { id: sid, name: store.name, timezone: store.timezone },
            doctor_id: did,
            doctor_name: name,
            doctor_title: title,
            day_start_min: lo / 60 * 60,
            day_end_min: hi.div_ceil(60) * 60,
            days,
        })
    }
}

impl LocalStore {
    /// A store's settings (cancellation policy, visit-type mode and rules, capacity).
    pub async fn store_settings(&self, store_id: Id) -> Result<clinicdesk_domain::model::StoreSettings, StoreError> {
        let (settings,): (String,) = sqlx::query_as("SELECT settings FROM stores WHERE id = ?")
            .bind(id_str(store_id))
            .fetch_optional(&self.pool)
            .await?
            .ok_or(clinicdesk_domain::DomainError::NotFound { what: clinicdesk_domain::error::Entity::Store, id: store_id })?;
        serde_json::from_str(&settings).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}
