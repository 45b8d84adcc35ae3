//! The eye-exam form's backend against a real SQLite file: `eye_exam.record@1` and
//! `eye_exam.amend@1` in one transaction with their outbox and audit rows, and the patient's
//! exam table newest first with SER and axial change since the previous exam.

use chrono::{DateTime, Duration, TimeZone, Utc};
use clinicdesk_domain::commands::{Command, EyeExamAmend, EyeExamRecord};
use clinicdesk_domain::eye::{ser_cd, Correction, CorrectionKind, Eye, EyeExam, EyeReading};
use clinicdesk_domain::model::Id;
use clinicdesk_domain::roles::{Actor, Role};
use clinicdesk_store::LocalStore;
use serde_json::json;
use uuid::Uuid;

/// 17:00 in Shanghai: after every demo exam of the day.
mod common;
use common::{count, demo_database, set_up, staff_of, today, Desk};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// A desk of store BJ02 (it has an optometrist) on the demo chain.
async fn desk() -> Desk {
    let db = demo_database().await;
    let bj02 = db.2.world.stores.values().find(|s| s.code == "BJ02").expect("demo store BJ02").id;
    set_up(db, bj02, 0xE7E).await
}

fn staff(d: &Desk, role: Role) -> Actor {
    staff_of(&d.chain, d.device.store_id, role).expect("demo staff of the store")
}

/// A demo patient with at least two exams, all before today, and their latest exam.
fn followed_patient(d: &Desk) -> (Id, EyeExam) {
    let mut by_patient: std::collections::BTreeMap<Id, Vec<&EyeExam>> = Default::default();
    for e in &d.chain.exams {
        by_patient.entry(e.patient_id).or_default().push(e);
    }
    by_patient
        .into_iter()
        .filter(|(_, exams)| exams.len() >= 2 && exams.iter().all(|e| e.examined_at < today()))
        .filter_map(|(p, exams)| {
            let latest = exams.into_iter().max_by_key(|e| (e.examined_at, e.id))?;
            (ser_cd(&latest.od).is_some() && latest.od.axial_length_um.is_some()).then(|| (p, latest.clone()))
        })
        .next()
        .expect("a followed demo patient")
}

fn reading(eye: Eye, sphere_cd: i32, axial_length_um: i32) -> EyeReading {
    EyeReading {
        ucva_hundredths: Some(40),
        bcva_hundredths: Some(100),
        sphere_cd: Some(sphere_cd),
        cylinder_cd: Some(-50),
        axis_deg: Some(175),
        axial_length_um: Some(axial_length_um),
        k1_cd: Some(4300),
        k2_cd: Some(4400),
        iop_dmmhg: Some(150),
        ..EyeReading::empty(eye)
    }
}

fn new_exam(d: &Desk, patient_id: Id, od_sphere: i32) -> EyeExam {
    EyeExam {
        id: Uuid::now_v7(),
        patient_id,
        store_id: d.device.store_id,
        examined_at: today(),
        biometer: "IOLMaster 700".into(),
        od: reading(Eye::Od, od_sphere, 24_500),
        os: reading(Eye::Os, -200, 24_300),
        next_recheck: Some(today() + Duration::days(90)),
    }
}

fn record(exam: EyeExam, correction: Option<Correction>) -> Command {
    Command::EyeExamRecord(EyeExamRecord { exam, appointment_id: None, correction })
}

async fn counts(store: &LocalStore) -> [i64; 4] {
    [count(store, "eye_exams").await, count(store, "corrections").await, count(store, "eye_exam_audit").await, count(store, "outbox").await]
}

#[tokio::test]
async fn a_rejected_exam_writes_nothing_not_even_its_valid_correction() {
    let d = desk().await;
    let (patient, _) = followed_patient(&d);
    let optometrist = staff(&d, Role::Optometrist);
    let correction =
        Correction { kind: CorrectionKind::DefocusFrames, fitted_on: Some(today()), brand: Some("新乐学".into()), manufacturer: None };
    let before = counts(&d.store).await;
    let table_before = d.store.patient_exams(patient).await.unwrap();

    let mut off_step = new_exam(&d, patient, -275);
    off_step.os.sphere_cd = Some(-230);
    let err = d.store.execute(&d.device, &optometrist, &record(off_step, Some(correction.clone())), now()).await.unwrap_err();
    assert_eq!(err.code(), "eye.sphere_step");
    match &err {
        clinicdesk_store::StoreError::Domain(e) => assert_eq!(e.field().as_deref(), Some("os.sphere_cd")),
        other => panic!("{other:?}"),
    }

    let receptionist = staff(&d, Role::Receptionist);
    let err = d.store.execute(&d.device, &receptionist, &record(new_exam(&d, patient, -275), None), now()).await.unwrap_err();
    assert_eq!(err.code(), "forbidden");

    assert_eq!(counts(&d.store).await, before, "exams, corrections, audit and outbox unchanged");
    assert_eq!(d.store.patient_exams(patient).await.unwrap(), table_before);
    // The next accepted command still gets device_seq 1: a refusal uses no number.
    let done = d.store.execute(&d.device, &optometrist, &record(new_exam(&d, patient, -275), Some(correction)), now()).await.unwrap();
    assert_eq!(done.device_seq, 1);
    let had_correction = d.chain.corrections.contains_key(&patient);
    assert_eq!(counts(&d.store).await, [before[0] + 1, before[1] + i64::from(!had_correction), before[2] + 1, 1]);
}

#[tokio::test]
async fn a_recorded_exam_appears_first_with_its_ser_and_axial_change_since_the_previous_exam() {
    let d = desk().await;
    let (patient, previous) = followed_patient(&d);
    let optometrist = staff(&d, Role::Optometrist);
    let exam = new_exam(&d, patient, -325);
    let done = d.store.execute(&d.device, &optometrist, &record(exam.clone(), None), now()).await.unwrap();

    let rows = d.store.patient_exams(patient).await.unwrap();
    let first = &rows[0];
    assert_eq!(first.exam, exam, "newest first, as entered");
    assert_eq!(rows[1].exam, previous, "then the previous exam");
    let ser_now = -325 - 25; // sphere + cylinder/2
    assert_eq!(first.od.ser_cd, Some(ser_now));
    assert_eq!(first.od.ser_change_cd, Some(ser_now - ser_cd(&previous.od).unwrap()), "SER change in 0.01 D");
    assert_eq!(first.od.ser_since, Some(previous.examined_at));
    assert_eq!(first.od.axial_change_um, Some(24_500 - previous.od.axial_length_um.unwrap()), "axial change in µm");
    assert_eq!(first.od.axial_other_biometer, previous.biometer != exam.biometer);
    assert_eq!(first.recorded_by.as_deref(), Some(optometrist.label().as_str()));
    assert_eq!(first.recorded_at.as_deref(), Some("2026-11-23T09:00:00Z"));
    assert_eq!((first.amended_by.as_deref(), first.appointment_id.as_deref()), (None, None));
    assert!(rows.windows(2).all(|w| w[0].exam.examined_at >= w[1].exam.examined_at), "newest first throughout");
    assert_eq!(rows.len(), d.chain.exams.iter().filter(|e| e.patient_id == patient).count() + 1);

    let outbox = d.store.outbox().await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!((outbox[0].name.as_str(), outbox[0].mutation_id), ("eye_exam.record@1", done.mutation_id));
    // The printouts read the same exams.
    assert!(d.store.patient_eye_exams(&patient.to_string()).await.unwrap().contains(&exam));
}

#[tokio::test]
async fn the_audit_row_names_the_actor_and_an_amendment_keeps_the_replaced_values() {
    let d = desk().await;
    let (patient, _) = followed_patient(&d);
    let optometrist = staff(&d, Role::Optometrist);
    let manager = staff(&d, Role::Manager);
    let exam = new_exam(&d, patient, -275);
    d.store.execute(&d.device, &optometrist, &record(exam.clone(), None), now()).await.unwrap();

    let mut fixed = exam.clone();
    fixed.od.sphere_cd = Some(-300);
    let amend = Command::EyeExamAmend(EyeExamAmend { exam: fixed.clone(), correction: None, reason: "球镜录错".into() });
    d.store.execute(&d.device, &manager, &amend, now() + Duration::minutes(5)).await.unwrap();

    let audit = d.store.exam_audit(exam.id).await.unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!((audit[0].action.as_str(), audit[0].actor.as_str()), ("recorded", optometrist.label().as_str()));
    assert!(audit[0].actor.starts_with("optometrist:"));
    assert_eq!(audit[0].at, "2026-11-23T09:00:00Z");
    assert!(audit[0].changes.iter().any(|c| c.field == "od.sphere_cd" && c.from == json!(null) && c.to == json!(-275)));
    assert_eq!((audit[1].action.as_str(), audit[1].actor.as_str()), ("amended", manager.label().as_str()));
    assert_eq!((audit[1].at.as_str(), audit[1].reason.as_deref()), ("2026-11-23T09:05:00Z", Some("球镜录错")));
    assert_eq!(audit[1].changes.len(), 1, "only what changed: {:?}", audit[1].changes);
    assert_eq!(
        (audit[1].changes[0].field.as_str(), &audit[1].changes[0].from, &audit[1].changes[0].to),
        ("od.sphere_cd", &json!(-275), &json!(-300))
    );

    let rows = d.store.patient_exams(patient).await.unwrap();
    assert_eq!(rows[0].exam, fixed, "the table shows the amended values");
    assert_eq!(rows[0].recorded_by.as_deref(), Some(optometrist.label().as_str()));
    assert_eq!(rows[0].amended_by.as_deref(), Some(manager.label().as_str()));
    assert_eq!(count(&d.store, "eye_exams").await, d.chain.exams.len() as i64 + 1, "amended in place");
}

#[tokio::test]
async fn an_exam_keeps_its_visit_and_the_patients_correction_is_replaced() {
    let d = desk().await;
    let w = &d.chain.world;
    let visit = w.appointments.values().find(|a| a.store_id == d.device.store_id).expect("a visit in the store");
    let optometrist = staff(&d, Role::Optometrist);
    let exam = new_exam(&d, visit.patient_id, -100);
    let correction = Correction {
        kind: CorrectionKind::OrthoK,
        fitted_on: Some(today()),
        brand: Some("  CRT ".into()),
        manufacturer: Some("Paragon".into()),
    };
    let cmd = Command::EyeExamRecord(EyeExamRecord { exam: exam.clone(), appointment_id: Some(visit.id), correction: Some(correction) });
    d.store.execute(&d.device, &optometrist, &cmd, now()).await.unwrap();

    let row_of =
        |rows: Vec<clinicdesk_store::eyes::PatientExamRow>, id: Id| rows.into_iter().find(|r| r.exam.id == id).expect("the exam's row");
    let row = row_of(d.store.patient_exams(visit.patient_id).await.unwrap(), exam.id);
    assert_eq!(row.appointment_id, Some(visit.id.to_string()));
    let (data,): (String,) = sqlx::query_as("SELECT data FROM corrections WHERE patient_id = ?")
        .bind(visit.patient_id.to_string())
        .fetch_one(d.store.pool())
        .await
        .unwrap();
    let stored: Correction = serde_json::from_str(&data).unwrap();
    assert_eq!((stored.kind, stored.brand.as_deref()), (CorrectionKind::OrthoK, Some("CRT")), "trimmed as entered");

    // An amendment keeps the visit link.
    let mut fixed = exam.clone();
    fixed.os.iop_dmmhg = Some(170);
    let amend = Command::EyeExamAmend(EyeExamAmend { exam: fixed, correction: None, reason: "眼压复测".into() });
    d.store.execute(&d.device, &optometrist, &amend, now()).await.unwrap();
    let row = row_of(d.store.patient_exams(visit.patient_id).await.unwrap(), exam.id);
    assert_eq!((row.exam.os.iop_dmmhg, row.appointment_id), (Some(170), Some(visit.id.to_string())));
}
