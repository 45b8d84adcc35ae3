//! The TypeScript types in ui/src/bindings are generated from the Rust DTOs and committed.
//! This test regenerates them and fails when the committed files drift;
//! `UPDATE_BINDINGS=1 cargo test --test bindings` (`make bindings`) rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clinicdesk_app::api::{ApiError, Session};
use clinicdesk_app::commands::desk::Outcome;
use clinicdesk_app::commands::print::Printed;
use clinicdesk_app::commands::sync::{ConflictItem, SyncLine, SyncView};
use clinicdesk_domain::commands::{EyeExamAmend, EyeExamRecord, RecallRecordOutcome};
use clinicdesk_domain::model::StoreSettings;
use clinicdesk_eyecare::{ChartPoint, EyeChart, EyeView, ReferenceOption};
use clinicdesk_store::booking::BookingOptions;
use clinicdesk_store::detail::{AppointmentDetail, InboxItem};
use clinicdesk_store::eyes::{ExamAuditLine, PatientExamRow};
use clinicdesk_store::recall::RecallListView;
use clinicdesk_store::views::{BoardDay, DoctorWeek, PatientHit};
use ts_rs::{Config, TS};

fn generate(dir: &Path) {
    let cfg = Config::new().with_out_dir(dir);
    BoardDay::export_all(&cfg).expect("BoardDay");
    PatientHit::export_all(&cfg).expect("PatientHit");
    DoctorWeek::export_all(&cfg).expect("DoctorWeek");
    ApiError::export_all(&cfg).expect("ApiError");
    Session::export_all(&cfg).expect("Session");
    Outcome::export_all(&cfg).expect("Outcome");
    AppointmentDetail::export_all(&cfg).expect("AppointmentDetail");
    InboxItem::export_all(&cfg).expect("InboxItem");
    BookingOptions::export_all(&cfg).expect("BookingOptions");
    StoreSettings::export_all(&cfg).expect("StoreSettings");
    PatientExamRow::export_all(&cfg).expect("PatientExamRow");
    ExamAuditLine::export_all(&cfg).expect("ExamAuditLine");
    EyeExamRecord::export_all(&cfg).expect("EyeExamRecord");
    EyeExamAmend::export_all(&cfg).expect("EyeExamAmend");
    RecallListView::export_all(&cfg).expect("RecallListView");
    RecallRecordOutcome::export_all(&cfg).expect("RecallRecordOutcome");
    EyeView::export_all(&cfg).expect("EyeView");
    EyeChart::export_all(&cfg).expect("EyeChart");
    ChartPoint::export_all(&cfg).expect("ChartPoint");
    ReferenceOption::export_all(&cfg).expect("ReferenceOption");
    Printed::export_all(&cfg).expect("Printed");
    SyncView::export_all(&cfg).expect("SyncView");
    SyncLine::export_all(&cfg).expect("SyncLine");
    ConflictItem::export_all(&cfg).expect("ConflictItem");
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("bindings folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "ts") {
            out.insert(path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&path).expect("read"));
        }
    }
    out
}

#[test]
fn committed_typescript_bindings_match_the_rust_dtos() {
    let committed_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings");
    let tmp = tempfile::tempdir().expect("temp dir");
    generate(tmp.path());
    let fresh = read_dir(tmp.path());
    assert!(fresh.contains_key("BoardDay.ts") && fresh.contains_key("ApiError.ts"), "{:?}", fresh.keys());
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        for old in read_dir(&committed_dir).keys() {
            std::fs::remove_file(committed_dir.join(old)).expect("remove stale binding");
        }
        generate(&committed_dir);
        return;
    }
    let committed = read_dir(&committed_dir);
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>(),
        "binding files differ: run `make bindings` and commit ui/src/bindings"
    );
    for (name, text) in &fresh {
        assert_eq!(&committed[name], text, "{name} drifted: run `make bindings` and commit ui/src/bindings");
    }
}
