//! Today's recall task list of a store (DOMAIN.md §8): the patients examined in the store,
//! each with every eye exam they have (any store), their current correction, their first
//! guardian and whether a visit is booked after today; the rules themselves are
//! `clinicdesk_domain::recall`. [`LocalStore::recall_view`] adds what the desk did about
//! each task: the outcomes recorded (`recall.record_outcome@1`, migration 0006) and when
//! the desk first listed it, from which a task untouched for 24 h is overdue.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use clinicdesk_domain::eye::{Eye, EyeExam, EyeReading};
use clinicdesk_domain::model::{Id, StoreSettings};
use clinicdesk_domain::recall::{
    age_years, daily_list, draft_message, task_state, DailyList, RecallOutcome, RecallPatient, RecallStatus, RecallThresholds, TaskFacts,
    TaskKind,
};
use clinicdesk_domain::{slots, Lang};
use serde::{Deserialize, Serialize};

use crate::{from_ts, id_str, parse_id, raw, ts, LocalStore, StoreError};

/// A store's recall task list as the desk shows it today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecallListView {
    pub store_id: String,
    /// The store's today (YYYY-MM-DD) in its time zone.
    pub date: String,
    pub thresholds: RecallThresholds,
    /// Open tasks per kind (every kind, zero included).
    pub counts: BTreeMap<TaskKind, u32>,
    /// Open tasks first (overdue first), then done ones; within each by kind, then name.
    pub items: Vec<RecallItem>,
}

/// One task of the list: who, why, the drafted message and what was done about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecallItem {
    pub patient_id: String,
    pub kind: TaskKind,
    pub patient_name: String,
    pub guardian_name: Option<String>,
    /// The number to call: the guardian's when the message is addressed to them, else the patient's.
    pub phone: String,
    /// Completed years at the store's today.
    pub age_years: u32,
    pub facts: TaskFacts,
    /// The drafted message in the desk's language.
    pub message: String,
    /// When this desk first listed the task (ISO 8601, UTC).
    pub listed_at: String,
    pub overdue: bool,
    pub status: RecallStatus,
    pub last_outcome: Option<RecallOutcome>,
    pub last_outcome_at: Option<String>,
    pub last_outcome_by: Option<String>,
    /// The last outcome's note.
    pub note: Option<String>,
}

/// The patients of a store's list and, index for index, the numbers to call them on.
struct RecallInput {
    patients: Vec<RecallPatient>,
    /// (patient's phone, first guardian's phone).
    phones: Vec<(String, Option<String>)>,
}

/// What was recorded about one task.
#[derive(Default)]
struct TaskRecord {
    outcomes: Vec<(RecallOutcome, DateTime<Utc>)>,
    /// The latest outcome: (outcome, at, actor, note).
    last: Option<(RecallOutcome, DateTime<Utc>, String, Option<String>)>,
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

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
        Ok(self.recall_input(store_id, today).await?.patients)
    }

    async fn recall_input(&self, store_id: Id, today: NaiveDate) -> Result<RecallInput, StoreError> {
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
        let mut phones: Vec<(String, Option<String>)> = Vec::with_capacity(exams.len());
        let mut index: HashMap<String, usize> = HashMap::with_capacity(exams.len());
        conn.for_each("SELECT id, name, birth_date, phone FROM patients", &[], |r| {
            let Some((_, list)) = exams.remove(r.text(0)) else {
                return Ok(());
            };
            let patient_id = parse_id(r.text(0))?;
            let birth_date = r.text(2).parse::<NaiveDate>().map_err(|e| StoreError::Corrupt(format!("birth date: {e}")))?;
            index.insert(r.text(0).to_string(), patients.len());
            phones.push((r.text(3).to_string(), None));
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
        let mut guardians: HashMap<String, (i64, String, String)> = HashMap::new();
        conn.for_each(
            "SELECT pg.patient_id, pg.position, g.name, g.phone FROM patient_guardians pg JOIN guardians g ON g.id = pg.guardian_id",
            &[],
            |r| {
                if index.contains_key(r.text(0)) {
                    let position = r.int(1);
                    let guardian = || (position, r.text(2).to_string(), r.text(3).to_string());
                    match guardians.get_mut(r.text(0)) {
                        Some(g) if g.0 <= position => {}
                        Some(g) => *g = guardian(),
                        None => {
                            guardians.insert(r.text(0).to_string(), guardian());
                        }
                    }
                }
                Ok(())
            },
        )?;
        for (patient, (_, name, phone)) in guardians {
            let i = index[&patient];
            patients[i].guardian_name = Some(name);
            phones[i].1 = Some(phone);
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
        Ok(RecallInput { patients, phones })
    }

    /// Today's task list of a store under `thresholds`.
    pub async fn recall_list(&self, store_id: Id, today: NaiveDate, thresholds: &RecallThresholds) -> Result<DailyList, StoreError> {
        let patients = self.recall_patients(store_id, today).await?;
        Ok(daily_list(&patients, today, thresholds))
    }

    /// The store's recall list as the desk shows it at `now` (the store's today in its time
    /// zone, its thresholds): [`recall_list`](Self::recall_list) with each task's drafted
    /// message in `lang`, status (done for 30 days after an outcome other than "unreachable"),
    /// overdue mark and last outcome. The first time a task is listed its `listed_at` is
    /// stored; later reads keep it. Beyond the list itself this reads the store's outcomes
    /// and listed tasks (one index range each) and inserts only tasks never listed before.
    pub async fn recall_view(&self, store_id: Id, now: DateTime<Utc>, lang: Lang) -> Result<RecallListView, StoreError> {
        let sid = id_str(store_id);
        let store: Option<(String, String)> =
            sqlx::query_as("SELECT timezone, settings FROM stores WHERE id = ?").bind(&sid).fetch_optional(&self.pool).await?;
        let Some((timezone, settings)) = store else {
            return Err(clinicdesk_domain::DomainError::NotFound { what: clinicdesk_domain::error::Entity::Store, id: store_id }.into());
        };
        let thresholds = json::<StoreSettings>(&settings)?.recall;
        let today = slots::local_date(slots::zone(&timezone), now);
        let input = self.recall_input(store_id, today).await?;
        let list = daily_list(&input.patients, today, &thresholds);

        let mut records: HashMap<(Id, TaskKind), TaskRecord> = HashMap::new();
        let mut listed: HashMap<(Id, TaskKind), DateTime<Utc>> = HashMap::new();
        {
            let mut conn = self.pool.acquire().await?;
            let mut conn = raw::Direct::lock(&mut conn).await?;
            conn.for_each(
                "SELECT patient_id, kind, outcome, at, actor, note FROM recall_outcomes INDEXED BY recall_outcomes_by_store
                  WHERE store_id = ?1 ORDER BY at, id",
                &[raw::Bind::Text(&sid)],
                |r| {
                    let (Some(kind), Some(outcome)) = (TaskKind::parse(r.text(1)), RecallOutcome::parse(r.text(2))) else {
                        return Err(StoreError::Corrupt("recall outcome row".into()));
                    };
                    let at = from_ts(r.int(3));
                    let note = Some(r.text(5)).filter(|n| !n.is_empty()).map(str::to_string);
                    let record = records.entry((parse_id(r.text(0))?, kind)).or_default();
                    record.outcomes.push((outcome, at));
                    record.last = Some((outcome, at, r.text(4).to_string(), note));
                    Ok(())
                },
            )?;
            conn.for_each("SELECT patient_id, kind, listed_at FROM recall_listed WHERE store_id = ?1", &[raw::Bind::Text(&sid)], |r| {
                if let Some(kind) = TaskKind::parse(r.text(1)) {
                    listed.insert((parse_id(r.text(0))?, kind), from_ts(r.int(2)));
                }
                Ok(())
            })?;
        }
        let new: Vec<(Id, TaskKind)> = list.tasks.iter().map(|t| (t.patient_id, t.kind)).filter(|key| !listed.contains_key(key)).collect();
        if !new.is_empty() {
            let mut tx = self.pool.begin().await?;
            for chunk in new.chunks(200) {
                let values = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
                let sql = format!("INSERT OR IGNORE INTO recall_listed (store_id, patient_id, kind, listed_at) VALUES {values}");
                let mut q = sqlx::query(&sql);
                for (patient_id, kind) in chunk {
                    q = q.bind(&sid).bind(id_str(*patient_id)).bind(kind.as_str()).bind(ts(now));
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            listed.extend(new.into_iter().map(|key| (key, from_ts(ts(now)))));
        }

        let index: HashMap<Id, usize> = input.patients.iter().enumerate().map(|(i, p)| (p.patient_id, i)).collect();
        let mut counts: BTreeMap<TaskKind, u32> = TaskKind::ALL.iter().map(|k| (*k, 0)).collect();
        let mut items = Vec::with_capacity(list.tasks.len());
        for task in &list.tasks {
            let i = index[&task.patient_id];
            let (patient, (patient_phone, guardian_phone)) = (&input.patients[i], &input.phones[i]);
            let key = (task.patient_id, task.kind);
            let listed_at = listed.get(&key).copied().unwrap_or(now);
            let record = records.remove(&key).unwrap_or_default();
            let (status, overdue) = task_state(listed_at, &record.outcomes, now, &thresholds);
            if status == RecallStatus::Open {
                *counts.entry(task.kind).or_default() += 1;
            }
            let to_guardian =
                task.kind != TaskKind::ReferralCandidate && patient.guardian_name.as_deref().is_some_and(|g| !g.trim().is_empty());
            let phone = match guardian_phone {
                Some(p) if to_guardian => p.clone(),
                _ => patient_phone.clone(),
            };
            let (last_outcome, last_outcome_at, last_outcome_by, note) = match record.last {
                Some((o, at, by, note)) => (Some(o), Some(iso(at)), Some(by), note),
                None => (None, None, None, None),
            };
            items.push(RecallItem {
                patient_id: id_str(task.patient_id),
                kind: task.kind,
                patient_name: patient.name.clone(),
                guardian_name: patient.guardian_name.clone(),
                phone,
                age_years: age_years(patient.birth_date, today),
                facts: task.facts.clone(),
                message: draft_message(task, patient, lang),
                listed_at: iso(listed_at),
                overdue,
                status,
                last_outcome,
                last_outcome_at,
                last_outcome_by,
                note,
            });
        }
        // Stable: within each group the list's order (kind, name, id) stays.
        items.sort_by_key(|item| (item.status == RecallStatus::Done, !item.overdue));
        Ok(RecallListView { store_id: sid, date: today.to_string(), thresholds, counts, items })
    }
}
