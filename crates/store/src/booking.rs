//! What the booking dialog offers: complaints, the departments that treat them, the doctors
//! of a department with free slots (in the store's doctor order), and the visit types.

use chrono::{NaiveDate, Timelike};
use clinicdesk_domain::booking::doctors_with_free_slots;
use clinicdesk_domain::model::{Complaint, Id, VisitTypeMode};
use clinicdesk_domain::slots;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::load::Loader;
use crate::{id_str, parse_id, LocalStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NamedRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ComplaintOption {
    pub id: String,
    pub name: String,
    /// Departments of this store that treat it.
    pub department_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SlotOption {
    pub start: String,
    pub end: String,
    pub start_min: u32,
    pub end_min: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DoctorSlots {
    pub id: String,
    pub name: String,
    pub title: String,
    pub listed: bool,
    pub slots: Vec<SlotOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VisitTypeOption {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BookingOptions {
    pub complaints: Vec<ComplaintOption>,
    pub departments: Vec<NamedRef>,
    /// Doctors of the chosen department with at least one free slot that day, in the store's order.
    pub doctors: Vec<DoctorSlots>,
    /// True when the store lets the patient (or desk) choose the visit type; otherwise the
    /// store's rules decide it and the dialog shows it read-only.
    pub visit_type_chosen: bool,
    pub visit_types: Vec<VisitTypeOption>,
}

impl LocalStore {
    /// The booking path for one store and day; `department_id` picks whose doctors to list.
    pub async fn booking_options(&self, store_id: Id, date: NaiveDate, department_id: Option<Id>) -> Result<BookingOptions, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let sid = id_str(store_id);
        let mut loader = Loader::new(&mut conn);
        loader.store(store_id).await?;
        let store = loader
            .world
            .stores
            .get(&store_id)
            .cloned()
            .ok_or(clinicdesk_domain::DomainError::NotFound { what: clinicdesk_domain::error::Entity::Store, id: store_id })?;
        let tz = slots::zone(&store.timezone);
        let dept_rows: Vec<(String,)> =
            sqlx::query_as("SELECT id FROM departments WHERE store_id = ? ORDER BY name").bind(&sid).fetch_all(&mut *loader.conn).await?;
        let mut department_ids = Vec::new();
        for (d,) in &dept_rows {
            let id = parse_id(d)?;
            loader.department(id).await?;
            department_ids.push(id);
        }
        if let Some(dep) = department_id {
            let doctor_rows: Vec<(String,)> = sqlx::query_as("SELECT doctor_id FROM doctor_departments WHERE department_id = ?")
                .bind(id_str(dep))
                .fetch_all(&mut *loader.conn)
                .await?;
            for (d,) in doctor_rows {
                loader.doctor_day(parse_id(&d)?, tz, date).await?;
            }
        }
        let complaint_rows = sqlx::query("SELECT * FROM complaints WHERE tenant_id = ? ORDER BY name")
            .bind(id_str(store.tenant_id))
            .fetch_all(&mut *loader.conn)
            .await?;
        let world = loader.world;
        let mut complaints = Vec::new();
        for r in &complaint_rows {
            let c = Complaint {
                id: parse_id(r.try_get("id")?)?,
                tenant_id: store.tenant_id,
                name: r.try_get("name")?,
                department_ids: serde_json::from_str(r.try_get("department_ids")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            };
            let here: Vec<String> = c.department_ids.iter().filter(|d| department_ids.contains(d)).map(|d| d.to_string()).collect();
            if !here.is_empty() {
                complaints.push(ComplaintOption { id: c.id.to_string(), name: c.name, department_ids: here });
            }
        }
        let minutes = |t: chrono::DateTime<chrono::Utc>| {
            let l = t.with_timezone(&tz);
            l.hour() * 60 + l.minute()
        };
        let doctors = match department_id {
            Some(dep) => doctors_with_free_slots(&world, &store, dep, date)
                .into_iter()
                .map(|(od, free)| {
                    let d = &world.doctors[&od.doctor_id];
                    DoctorSlots {
                        id: d.id.to_string(),
                        name: d.name.clone(),
                        title: d.title.clone(),
                        listed: od.listed,
                        slots: free
                            .iter()
                            .map(|s| SlotOption {
                                start: s.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                                end: s.end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                                start_min: minutes(s.start),
                                end_min: minutes(s.end),
                            })
                            .collect(),
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        let mut visit_types: Vec<VisitTypeOption> = world
            .visit_types
            .get(&store.tenant_id)
            .map(|v| v.iter().map(|t| VisitTypeOption { code: t.code.clone(), name: t.name.clone() }).collect())
            .unwrap_or_default();
        visit_types.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(BookingOptions {
            complaints,
            departments: department_ids.iter().map(|d| NamedRef { id: d.to_string(), name: world.departments[d].name.clone() }).collect(),
            doctors,
            visit_type_chosen: store.settings.visit_type_mode == VisitTypeMode::PatientChooses,
            visit_types,
        })
    }
}
