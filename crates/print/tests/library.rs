//! The library the desk app calls (the same code as the command line): a refund slip from the
//! store's refund data, the parent report and the eye-growth view of a patient, with their
//! file names and page counts, and the refusals by code.

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{NaiveDate, Utc};
use clinicdesk_domain::eye::Eye;
use clinicdesk_domain::model::Refund;
use clinicdesk_domain::{slots, Lang};
use clinicdesk_eyecare::ReferenceId;
use clinicdesk_print::{Day, Failure};
use clinicdesk_store::LocalStore;

struct Demo {
    db: PathBuf,
    today: NaiveDate,
    /// A refund, the name of its patient and of its fee's store.
    refund: (Refund, String, String),
    /// A patient with eye exams: (id, name, exams measuring the right eye).
    with_exams: (String, String, usize),
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("clinicdesk-print-lib-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
        let db = dir.join("desk.sqlite3");
        let today = slots::local_date(slots::DEFAULT_TZ, Utc::now());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let store = clinicdesk_store::open(&db, clinicdesk_store::OpenOptions::default()).await.unwrap();
            let chain = clinicdesk_demo::generate(&clinicdesk_demo::DemoConfig { seed: 2026, size: 0.25, today });
            store.import_chain(&chain.world, &chain.history, &chain.exams, &chain.corrections).await.unwrap();
            store.close().await;
            let w = &chain.world;
            let refund = w.refunds.values().next().expect("the demo chain has refunds").clone();
            let fee = &w.fees[&refund.fee_id];
            let appt = &w.appointments[&fee.appointment_id];
            let patient = w.patients[&appt.patient_id].name.clone();
            let store_name = w.stores[&fee.store_id].name.clone();
            let p = w.patients.values().find(|p| chain.exams.iter().any(|e| e.patient_id == p.id)).unwrap();
            let od = chain.exams.iter().filter(|e| e.patient_id == p.id && e.od.axial_length_um.is_some()).count();
            Demo { db, today, refund: (refund, patient, store_name), with_exams: (p.id.to_string(), p.name.clone(), od) }
        })
    })
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

async fn open_at(db: &std::path::Path) -> LocalStore {
    clinicdesk_store::eyes::open_read_only(db).await.unwrap()
}

/// Builds the demo database first (it runs its own runtime), then runs `f` on it.
fn with_store<T, F: std::future::Future<Output = T>>(f: impl FnOnce(LocalStore) -> F) -> T {
    let db = &demo().db;
    block_on(async { f(open_at(db).await).await })
}

#[test]
fn refund_slip_is_made_from_the_stores_refund_data() {
    let (refund, patient, store_name) = &demo().refund;
    let doc = with_store(|store| async move {
        let card = clinicdesk_print::refund_card(&store, &refund.id.to_string()).await.unwrap();
        assert_eq!(
            (card.number.as_str(), card.amount, card.patient_name.as_str()),
            (refund.number.as_str(), refund.amount, patient.as_str())
        );
        assert_eq!(&card.store_name, store_name);
        clinicdesk_print::refund_slip(card, Lang::En).unwrap()
    });
    assert!(doc.bytes.starts_with(b"%PDF-"));
    assert_eq!(doc.pages, Some(1), "a slip is one page");
    let local = refund.at.with_timezone(&slots::DEFAULT_TZ).date_naive();
    assert_eq!(doc.file_name, format!("refund-slip-{}-{}.pdf", refund.number, local.format("%Y-%m-%d")));
}

#[test]
fn a_refund_slip_is_found_by_its_slip_number_as_by_its_id() {
    // The desk shows the slip number, not the refund's id: printing from it finds the same refund.
    let (refund, _, _) = &demo().refund;
    let card = with_store(|store| async move { clinicdesk_print::refund_card(&store, &refund.number).await.unwrap() });
    assert_eq!(card.id, refund.id.to_string());
}

#[test]
fn an_unknown_refund_is_not_found() {
    let err =
        with_store(|store| async move { clinicdesk_print::refund_card(&store, "00000000-0000-0000-0000-000000000000").await.unwrap_err() });
    assert!(matches!(err, Failure::UnknownRefund(_)));
    assert_eq!(err.code(), "not_found");
}

#[test]
fn parent_report_is_named_after_the_patient_and_the_day() {
    let d = demo();
    let (id, name, _) = &d.with_exams;
    let doc = with_store(|store| async move { clinicdesk_print::parent_report(&store, id, None, Lang::ZhCn, Utc::now()).await.unwrap() });
    assert!(doc.bytes.starts_with(b"%PDF-"));
    assert!(doc.pages.is_some_and(|n| n >= 1), "{:?}", doc.pages);
    assert_eq!(doc.file_name, format!("parent-report-{name}-{}.pdf", d.today.format("%Y-%m-%d")));
}

#[test]
fn eye_view_of_a_patient_has_a_point_per_exam_and_the_chosen_reference() {
    let (id, name, od_exams) = &demo().with_exams;
    let v = with_store(|store| async move {
        clinicdesk_print::eye_view(&store, id, Some(ReferenceId::He2023), Lang::ZhCn, Utc::now()).await.unwrap()
    });
    assert_eq!((&v.patient_id, &v.patient_name, v.reference.as_str()), (id, name, "he-2023"));
    assert_eq!(v.od.eye, Eye::Od);
    assert_eq!(v.od.points.iter().filter(|p| p.axial_mm.is_some()).count(), *od_exams);
    assert!(v.od.axial_svg.starts_with("<svg"));
}

#[test]
fn day_sheet_of_an_unknown_store_is_not_found_and_of_a_date_is_named_after_it() {
    let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let err = with_store(|store| async move {
        clinicdesk_print::day_sheet(&store, "nowhere", Day::On(date), Lang::En, Utc::now()).await.unwrap_err()
    });
    assert_eq!(err.code(), "not_found");
    let doc =
        with_store(|store| async move { clinicdesk_print::day_sheet(&store, "BJ01", Day::On(date), Lang::En, Utc::now()).await.unwrap() });
    assert!(doc.file_name.starts_with("day-sheet-") && doc.file_name.ends_with("-2026-03-02.pdf"), "{}", doc.file_name);
    assert!(doc.pages.is_some());
}
