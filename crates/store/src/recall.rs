//! Today's recall task list of a store (DOMAIN.md §8): the patients examined in the store,
//! each with every eye exam they have (any store), their current correction, their first
//! guardian and whether a visit is booked after today; the rules themselves are
//! `clinicdesk_domain::recall`.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveTime};
use clinicdesk_domain::eye::{Eye, EyeExam, EyeReading};
use clinicdesk_domain::model::Id;
use clinicdesk_domain::recall::{daily_list, DailyList, RecallPatient, RecallThresholds};
use clinicdesk_domain::slots;

use crate::{id_str, parse_id, raw, ts, LocalStore, StoreError};

/// An exam as the recall rules see it: its date and recheck date, and per eye sphere,
/// cylinder and central corneal thickness (`recall_facts`, migration 0005). Nothing else is
/// filled in; `recall_list_equals_the_rules_over_whole_exams` holds the two together.
fn recall_exam(id: Id, examined_on: &str, facts: &str) -> Result<EyeExam, StoreError> {
    type Facts = (Option<NaiveDate>, Option<i32>, Option<i32>, Option<i32>, Option<i32>, Option<i32>, Option<i32>);
    let (next_recheck, od_sph, od_cyl, od_cct, os_sph, os_cyl, os_cct): Facts = json(facts)?;
    let examined_at = examined_on.parse::<NaiveDate>().map_err(|e| StoreError::Corrupt(format!("exam date: {e}")))?;
    let reading = |eye, sphere_cd, cylinder_cd, central_corneal_thickness_um| EyeReading {
        sphere_cd,
        cylinder_cd,
        central_corneal_thickness_um,
        ..EyeReading::empty(eye)
    };
    Ok(EyeExam {
        id,
        patient_id: Id::nil(),
        store_id: Id::nil(),
        examined_at,
        biometer: String::new(),
        od: reading(Eye::Od, od_sph, od_cyl, od_cct),
        os: reading(Eye::Os, os_sph, os_cyl, os_cct),
        next_recheck,
    })
}

fn json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl LocalStore {
    /// The patients a store's recall list considers, as of `today` (the store's local date).
    pub async fn recall_patients(&self, store_id: Id, today: NaiveDate) -> Result<Vec<RecallPatient>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut conn = raw::Direct::lock(&mut conn).await?;
        let sid = id_str(store_id);
        let mut timezone = None;
        conn.for_each("SELECT timezone FROM stores WHERE id = ?1", &[raw::Bind::Text(&sid)], |r| {
            timezone = Some(r.text(0).to_string());
            Ok(())
        })?;
        let Some(timezone) = timezone else {
            return Err(clinicdesk_domain::DomainError::NotFound { what: clinicdesk_domain::error::Entity::Store, id: store_id }.into());
        };
        let tomorrow = ts(slots::to_utc(slots::zone(&timezone), today + Duration::days(1), NaiveTime::MIN));

        // One sequential pass over each table, matched up here: for a store's thousands of
        // patients that is quicker than looking each of them up.
        // Every exam of every patient, from the index `eye_exams_recall` alone (the facts the
        // rules read, migration 0005); a patient is on the list when examined in this store.
        let mut exams: HashMap<String, (bool, Vec<EyeExam>)> = HashMap::new();
        conn.for_each("SELECT patient_id, id, examined_on, store_id, recall_facts FROM eye_exams INDEXED BY eye_exams_recall", &[], |r| {
            let entry = match exams.get_mut(r.text(0)) {
                Some(e) => e,
                None => exams.entry(r.text(0).to_string()).or_default(),
            };
            entry.0 |= r.text(3) == sid;
            entry.1.push(recall_exam(parse_id(r.text(1))?, r.text(2), r.text(4))?);
            Ok(())
        })?;
        exams.retain(|_, (here, _)| *here);
        let mut patients: Vec<RecallPatient> = Vec::with_capacity(exams.len());
        let mut index: HashMap<String, usize> = HashMap::with_capacity(exams.len());
        conn.for_each("SELECT id, name, birth_date FROM patients", &[], |r| {
            let Some((_, list)) = exams.remove(r.text(0)) else {
                return Ok(());
            };
            let patient_id = parse_id(r.text(0))?;
            let birth_date = r.text(2).parse::<NaiveDate>().map_err(|e| StoreError::Corrupt(format!("birth date: {e}")))?;
            index.insert(r.text(0).to_string(), patients.len());
            patients.push(RecallPatient {
                patient_id,
                name: r.text(1).to_string(),
                birth_date,
                guardian_name: None,
                correction: None,
                exams: list.into_iter().map(|e| EyeExam { patient_id, ..e }).collect(),
                has_future_visit: false,
            });
            Ok(())
        })?;
        conn.for_each("SELECT patient_id, data FROM corrections", &[], |r| {
            if let Some(&i) = index.get(r.text(0)) {
                patients[i].correction = Some(json(r.text(1))?);
            }
            Ok(())
        })?;
        // The first guardian (lowest position) of each patient.
        let mut guardians: HashMap<String, (i64, String)> = HashMap::new();
        conn.for_each(
            "SELECT pg.patient_id, pg.position, g.name FROM patient_guardians pg JOIN guardians g ON g.id = pg.guardian_id",
            &[],
            |r| {
                if index.contains_key(r.text(0)) {
                    let position = r.int(1);
                    match guardians.get_mut(r.text(0)) {
                        Some(g) if g.0 <= position => {}
                        Some(g) => *g = (position, r.text(2).to_string()),
                        None => {
                            guardians.insert(r.text(0).to_string(), (position, r.text(2).to_string()));
                        }
                    }
                }
                Ok(())
            },
        )?;
        for (patient, (_, name)) in guardians {
            patients[index[&patient]].guardian_name = Some(name);
        }
        // Visits booked after today, in any store of the chain.
        conn.for_each(
            "SELECT patient_id FROM appointments WHERE store_id IN (SELECT id FROM stores) AND start_ts >= ?1
               AND state IN ('pending', 'confirmed', 'checked_in')",
            &[raw::Bind::Int(tomorrow)],
            |r| {
                if let Some(&i) = index.get(r.text(0)) {
                    patients[i].has_future_visit = true;
                }
                Ok(())
            },
        )?;
        Ok(patients)
    }

    /// Today's task list of a store under `thresholds`.
    pub async fn recall_list(&self, store_id: Id, today: NaiveDate, thresholds: &RecallThresholds) -> Result<DailyList, StoreError> {
        let patients = self.recall_patients(store_id, today).await?;
        Ok(daily_list(&patients, today, thresholds))
    }
}
