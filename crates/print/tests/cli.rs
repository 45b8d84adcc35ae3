//! The real `clinicdesk-print` binary against a demo chain's desk database: exit codes, the
//! PDFs (qpdf --check, rendered page not blank, text in the right order), errors on stderr
//! in the chosen language, nothing written on error, the database left untouched.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use chrono::{NaiveDate, Utc};
use clinicdesk_domain::slots;
use clinicdesk_store::views::BoardDay;

const BIN: &str = env!("CARGO_BIN_EXE_clinicdesk-print");

struct Demo {
    db: PathBuf,
    today: NaiveDate,
    /// BJ01's board for tomorrow, read with the store API after import.
    tomorrow_bj01: BoardDay,
    /// A patient with eye exams, and one without: (id, name, phone).
    with_exams: (String, String, String),
    without_exams: (String, String),
}

/// One demo database for the whole test binary, built once (under target/tmp).
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("clinicdesk-print-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
        let db = dir.join("desk.sqlite3");
        let today = slots::local_date(slots::DEFAULT_TZ, Utc::now());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let store = clinicdesk_store::open(&db, clinicdesk_store::OpenOptions::default()).await.unwrap();
            let chain = clinicdesk_demo::generate(&clinicdesk_demo::DemoConfig { seed: 2026, size: 0.25, today });
            store.import_chain(&chain.world, &chain.history, &chain.exams, &chain.corrections).await.unwrap();
            let bj01 = chain.world.stores.values().find(|s| s.code == "BJ01").unwrap().id;
            let tomorrow_bj01 = store.board_day(bj01, today.succ_opt().unwrap(), today).await.unwrap();
            // A patient with exams whose phone nobody else has; a patient without exams.
            let mut with = None;
            let mut without = None;
            for p in chain.world.patients.values() {
                let has = chain.exams.iter().any(|e| e.patient_id == p.id);
                let shared = chain.world.patients.values().filter(|q| q.phone == p.phone).count() > 1;
                if has && !shared && with.is_none() {
                    with = Some((p.id.to_string(), p.name.clone(), p.phone.clone()));
                }
                if !has && without.is_none() {
                    without = Some((p.id.to_string(), p.name.clone()));
                }
            }
            store.close().await;
            Demo { db, today, tomorrow_bj01, with_exams: with.unwrap(), without_exams: without.unwrap() }
        })
    })
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("clinicdesk-print-out-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("-v").output().is_ok()
}

/// `qpdf --check` passes and page 1 rendered by pdftoppm has ink (each SKIPPED with a note
/// when the tool is not installed).
fn check_pdf(pdf: &Path) {
    let bytes = std::fs::read(pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "{}: not a PDF", pdf.display());
    if have("qpdf") {
        let out = Command::new("qpdf").arg("--check").arg(pdf).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("No syntax or stream encoding errors"), "qpdf --check: {text}{}", stderr(&out));
    } else {
        eprintln!("SKIPPED qpdf --check: qpdf is not installed");
    }
    if !have("pdftoppm") {
        eprintln!("SKIPPED rendering: pdftoppm (poppler-utils) is not installed");
        return;
    }
    let prefix = pdf.with_extension("");
    let out =
        Command::new("pdftoppm").args(["-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile"]).arg(pdf).arg(&prefix).output().unwrap();
    assert!(out.status.success(), "pdftoppm: {}", stderr(&out));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(prefix.with_extension("png")).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let ink = buf[..info.buffer_size()].chunks(channels).filter(|px| px.iter().take(3).any(|v| *v < 200)).count();
    let all = (info.width * info.height) as usize;
    assert!(ink * 200 > all, "page 1 is (nearly) blank: {ink} of {all} pixels");
}

/// The PDF's text (pdftotext, layout order), or None when pdftotext is not installed.
fn pdf_text(pdf: &Path) -> Option<String> {
    if !have("pdftotext") {
        eprintln!("SKIPPED text checks: pdftotext is not installed");
        return None;
    }
    let out = Command::new("pdftotext").args(["-layout"]).arg(pdf).arg("-").output().unwrap();
    assert!(out.status.success(), "pdftotext: {}", stderr(&out));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn db_arg() -> &'static str {
    demo().db.to_str().unwrap()
}

#[test]
fn day_sheet_for_tomorrow_lists_every_doctor_of_the_store_in_order() {
    let d = demo();
    let dir = scratch();
    let out = dir.path().join("bj01.pdf");
    // No --date: tomorrow in the store's time zone.
    let o = run(&["day-sheet", "--db", db_arg(), "--store", "bj01", "--lang", "en", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    check_pdf(&out);

    let board = &d.tomorrow_bj01;
    assert!(board.doctors.len() >= 3, "the demo store has several doctors: {}", board.doctors.len());
    assert!(!board.appointments.is_empty(), "the demo chain has bookings for tomorrow");
    let Some(text) = pdf_text(&out) else { return };
    let tomorrow = d.today.succ_opt().unwrap();
    assert!(text.contains(&format!("{} {}", chrono::Datelike::day(&tomorrow), tomorrow.format("%b %Y"))), "dated tomorrow:\n{text}");
    let mut at = 0;
    for doctor in &board.doctors {
        let found = text[at..].find(&doctor.name).unwrap_or_else(|| panic!("{} missing or out of order in:\n{text}", doctor.name));
        at += found + doctor.name.len();
    }
    let first_patient = board.appointments.iter().find(|a| a.state != clinicdesk_domain::model::AppointmentState::Cancelled).unwrap();
    assert!(text.contains(&first_patient.patient_name), "{} not on the sheet", first_patient.patient_name);
}

#[test]
fn day_sheet_for_a_given_date_by_store_id_in_traditional_chinese() {
    let d = demo();
    let dir = scratch();
    let out = dir.path().join("sheet.pdf");
    let today = d.today.to_string();
    let o = run(&[
        "day-sheet",
        "--db",
        db_arg(),
        "--store",
        &d.tomorrow_bj01.store.id,
        "--date",
        &today,
        "--lang",
        "zh-TW",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("已寫入"), "{}", String::from_utf8_lossy(&o.stdout));
    check_pdf(&out);
    if let Some(text) = pdf_text(&out) {
        assert!(text.contains("預約日程表"), "{text}");
    }
}

#[test]
fn parent_report_for_a_child_with_exams_is_written_to_the_file() {
    let (id, name, _) = &demo().with_exams;
    let dir = scratch();
    let out = dir.path().join("report.pdf");
    let o = run(&["parent-report", "--db", db_arg(), "--patient", id, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    check_pdf(&out);
    if let Some(text) = pdf_text(&out) {
        assert!(text.contains(name.as_str()), "{name} not in the report:\n{text}");
    }
}

#[test]
fn parent_report_by_phone_with_a_chosen_reference_in_english() {
    let (_, _, phone) = &demo().with_exams;
    let dir = scratch();
    let out = dir.path().join("report-en.pdf");
    let o = run(&[
        "parent-report",
        "--db",
        db_arg(),
        "--patient",
        phone,
        "--reference",
        "he-2023",
        "--lang",
        "en",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    check_pdf(&out);
}

#[test]
fn unknown_store_is_refused_with_exit_code_2_and_no_file() {
    let dir = scratch();
    let out = dir.path().join("x.pdf");
    let o = run(&["day-sheet", "--db", db_arg(), "--store", "ZZ99", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("找不到门店"), "zh-CN by default: {}", stderr(&o));
    assert!(!out.exists());
    let o = run(&["day-sheet", "--db", db_arg(), "--store", "ZZ99", "--lang", "en", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown store \"ZZ99\""), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written");
}

#[test]
fn unknown_patient_is_refused_with_exit_code_2_and_no_file() {
    let dir = scratch();
    let out = dir.path().join("x.pdf");
    let o = run(&["parent-report", "--db", db_arg(), "--patient", "00000000000", "--lang", "zh-TW", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("找不到患者"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn patient_without_eye_exams_is_refused_with_exit_code_2_and_no_file() {
    let (id, name) = &demo().without_exams;
    let dir = scratch();
    let out = dir.path().join("x.pdf");
    let o = run(&["parent-report", "--db", db_arg(), "--patient", id, "--lang", "en", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&format!("patient {name} has no eye exams")), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn bad_date_is_refused_with_exit_code_2_in_the_chosen_language_and_no_file() {
    let dir = scratch();
    let out = dir.path().join("x.pdf");
    for bad in ["2026-02-30", "next-week"] {
        let o = run(&["day-sheet", "--db", db_arg(), "--store", "BJ01", "--date", bad, "--lang", "en", "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("bad date"), "{}", stderr(&o));
        assert!(!out.exists());
    }
}

#[test]
fn missing_database_is_refused_with_exit_code_2_and_not_created() {
    let dir = scratch();
    let db = dir.path().join("nowhere.sqlite3");
    let out = dir.path().join("x.pdf");
    let o = run(&["day-sheet", "--db", db.to_str().unwrap(), "--store", "BJ01", "--lang", "en", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot open the desk database"), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no database and no PDF created");
}

#[test]
fn bad_arguments_print_the_usage_with_exit_code_2() {
    for args in [&[][..], &["zscore"][..], &["day-sheet", "--db", "x"][..], &["parent-report", "--store", "BJ01"][..]] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("usage:"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn the_database_file_is_left_byte_for_byte_unchanged() {
    let d = demo();
    let before = std::fs::read(&d.db).unwrap();
    let dir = scratch();
    let out = dir.path().join("x.pdf");
    let o = run(&["day-sheet", "--db", db_arg(), "--store", "BJ02", "--date", "today", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(&d.db).unwrap() == before, "the database changed");
}
