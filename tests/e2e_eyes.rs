//! The eye-health record in the real window, against the real local store (issue 6): an
//! optometrist enters an exam with a wrong value (the error is shown next to the field and
//! nothing is saved), corrects it (saved), opens the growth chart, switches the reference,
//! opens presentation mode for the parents, and prints the parent report to a file.

mod common;

use std::time::Duration;

use chrono::Utc;
use clinicdesk_domain::slots;
use common::{click, demo_desk, sign_in, start, wait_for, wait_gone, wait_text};
use fantoccini::{key::Key, Locator};

async fn attr(client: &fantoccini::Client, css: &str, name: &str) -> Option<String> {
    client.find(Locator::Css(css)).await.ok()?.attr(name).await.ok().flatten()
}

async fn wait_attr(client: &fantoccini::Client, css: &str, name: &str, ok: impl Fn(&str) -> bool) -> String {
    let started = std::time::Instant::now();
    loop {
        if let Some(v) = attr(client, css, name).await {
            if ok(&v) {
                return v;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{css}[{name}] never had the expected value");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The patient's exam table read from the desk database the app writes (opened and closed
/// again, as a second reader beside the running app).
async fn exams_of(dir: &std::path::Path, patient: clinicdesk_domain::model::Id) -> Vec<clinicdesk_store::eyes::PatientExamRow> {
    let store = clinicdesk_store::open(&dir.join("desk.sqlite3"), clinicdesk_store::OpenOptions::default()).await.unwrap();
    let rows = store.patient_exams(patient).await.unwrap();
    store.close().await;
    rows
}

/// Finds the patient by phone on the eye-record screen and waits for their exam table.
async fn open_patient(client: &fantoccini::Client, phone: &str) {
    click(client, "[data-testid=open-eyes]").await;
    type_into(client, "[data-testid=eyes-search]", phone).await;
    click(client, "form.search button[type=submit]").await;
    wait_for(client, "[data-testid=exam-table]", Duration::from_secs(20)).await;
}

/// The whole screen through X (the window fills it at 1920×1080; see `common::x_screenshot`).
async fn x_snap(name: &str) {
    tokio::time::sleep(Duration::from_millis(800)).await;
    common::x_screenshot(name);
}

/// A screenshot of the window at its current size into docs/screenshots.
async fn snap(client: &fantoccini::Client, name: &str) {
    tokio::time::sleep(Duration::from_millis(600)).await;
    std::fs::write(common::screenshot_path(&format!("{name}.png")), client.screenshot().await.unwrap()).unwrap();
}

async fn type_into(client: &fantoccini::Client, css: &str, text: &str) {
    let el = wait_for(client, css, Duration::from_secs(10)).await;
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exam_with_a_wrong_value_is_refused_then_saved_charted_presented_and_printed() {
    let dir = tempfile::tempdir().unwrap();
    let desk = demo_desk(dir.path(), "BJ02", "opto.bj02").await;
    let today = slots::local_date(slots::DEFAULT_TZ, Utc::now());
    // A school-age child of this store with a few exams and a phone no one else has.
    let child = desk
        .chain
        .world
        .patients
        .values()
        .filter(|p| {
            let age = (today - p.birth_date).num_days() / 365;
            (7..=14).contains(&age) && desk.chain.world.patients.values().filter(|q| q.phone == p.phone).count() == 1
        })
        .max_by_key(|p| (desk.chain.exams.iter().filter(|e| e.patient_id == p.id && e.store_id == desk.store_id).count(), p.id))
        .expect("a child with exams in BJ02");
    let before = desk.store.patient_exams(child.id).await.unwrap().len();
    assert!(before >= 2, "the demo child has a history to chart");
    let (child_id, phone) = (child.id, child.phone.clone());
    desk.store.close().await;

    // The whole flow at iPad size (1024×768); then a second window at 1920×1080 for the
    // large-screen pictures, taken through X: WebKitWebDriver's screenshot stalls for this
    // screen in a wide window.
    let (driver, client) = start(dir.path()).await;
    client.set_window_size(1024, 768).await.unwrap();
    sign_in(&client, "opto.bj02", "demo1234").await;
    open_patient(&client, &phone).await;
    assert_eq!(client.find_all(Locator::Css("[data-testid=exam-row]")).await.unwrap().len(), before);

    // A sphere off the 0.25 D step: the core refuses it, the message sits next to the field.
    click(&client, "[data-testid=exam-new]").await;
    wait_for(&client, "[data-testid=exam-form]", Duration::from_secs(10)).await;
    type_into(&client, "[data-testid=exam-od-sphere_cd]", "-2.30").await;
    type_into(&client, "[data-testid=exam-os-sphere_cd]", "-1.75").await;
    type_into(&client, "[data-testid=exam-od-axial_length_um]", "24.40").await;
    type_into(&client, "[data-testid=exam-os-axial_length_um]", "24.10").await;
    click(&client, "[data-testid=exam-save]").await;
    let message = wait_text(&client, "[data-testid=field-error]", |t| t.contains("0.25"), Duration::from_secs(20)).await;
    assert!(message.contains("右眼"), "the message names the eye: {message}");
    assert_eq!(attr(&client, "[data-field='od.sphere_cd']", "aria-invalid").await.as_deref(), Some("true"));
    snap(&client, "exam-error-1024x768").await;
    assert_eq!(exams_of(dir.path(), child_id).await.len(), before, "nothing saved while a value is wrong");

    // Corrected: saved, and the table shows it first.
    type_into(&client, "[data-testid=exam-od-sphere_cd]", "-2.25").await;
    click(&client, "[data-testid=exam-save]").await;
    wait_gone(&client, "[data-testid=exam-form]", Duration::from_secs(20)).await;
    let rows = exams_of(dir.path(), child_id).await;
    assert_eq!(rows.len(), before + 1);
    assert_eq!(rows[0].exam.od.sphere_cd, Some(-225));
    assert_eq!(rows[0].exam.od.axial_length_um, Some(24_400));
    wait_text(&client, "[data-testid=exam-row] td.date", |t| t == today.to_string(), Duration::from_secs(20)).await;

    // The growth chart, then the other reference.
    click(&client, "[data-testid=tab-charts]").await;
    wait_for(&client, "[data-testid=axial-chart] svg", Duration::from_secs(20)).await;
    let first = wait_attr(&client, "[data-testid=charts]", "data-reference", |v| !v.is_empty()).await;
    snap(&client, "eye-charts-1024x768").await;
    let other = if first == "he-2023" { "sanz-diez-2022" } else { "he-2023" };
    click(&client, &format!("[data-testid=reference-select] option[value='{other}']")).await;
    wait_attr(&client, "[data-testid=charts]", "data-reference", |v| v == other).await;
    let svg = client.find(Locator::Css("[data-testid=axial-chart] svg")).await.unwrap().html(false).await.unwrap();
    assert!(svg.contains(if other == "he-2023" { "He 2023" } else { "Sanz Diez 2022" }), "the chart names its reference");

    // Presentation mode for the parents; one eye at a time; Esc leaves it.
    click(&client, "[data-testid=present-open]").await;
    let show = wait_for(&client, "[data-testid=presentation]", Duration::from_secs(10)).await;
    assert_eq!(client.find_all(Locator::Css("[data-testid=present-chart]")).await.unwrap().len(), 2);
    let summary = show.find(Locator::Css("[data-testid=present-summary]")).await.unwrap().text().await.unwrap();
    assert!(!summary.trim().is_empty(), "a plain-language summary is shown");
    snap(&client, "presentation-1024x768").await;
    click(&client, "[data-testid=present-od]").await;
    assert_eq!(client.find_all(Locator::Css("[data-testid=present-chart]")).await.unwrap().len(), 1);
    click(&client, "[data-testid=present-both]").await;
    show.send_keys(&char::from(Key::Escape).to_string()).await.unwrap();
    wait_gone(&client, "[data-testid=presentation]", Duration::from_secs(10)).await;

    // The parent report, printed to a file in the documents folder.
    click(&client, "[data-testid=report-print]").await;
    let path = wait_attr(&client, "[data-testid=print-done]", "data-path", |v| v.ends_with(".pdf")).await;
    let path = std::path::PathBuf::from(path);
    assert!(path.starts_with(dir.path().join("documents")), "{path:?} is in the documents folder");
    let pdf = std::fs::read(&path).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF was written");
    assert!(pdf.len() < 2 * 1024 * 1024, "the report stays under 2 MB ({} bytes)", pdf.len());
    snap(&client, "report-printed-1024x768").await;
    client.close().await.unwrap();
    drop(driver);

    // The same record on a PC screen.
    let (_driver, client) = start(dir.path()).await;
    client.set_window_size(1920, 1080).await.unwrap();
    sign_in(&client, "opto.bj02", "demo1234").await;
    open_patient(&client, &phone).await;
    x_snap("exam-table-1920x1080").await;
    click(&client, "[data-testid=tab-charts]").await;
    wait_for(&client, "[data-testid=axial-chart] svg", Duration::from_secs(20)).await;
    x_snap("eye-charts-1920x1080").await;
    click(&client, "[data-testid=present-open]").await;
    wait_for(&client, "[data-testid=presentation]", Duration::from_secs(10)).await;
    x_snap("presentation-1920x1080").await;
    client.close().await.unwrap();
}
