//! The printouts are produced, valid (qpdf --check), render to a page that is not blank
//! (pdftoppm), and stay under 2 MB. With UPDATE_SCREENSHOTS=1 the renders are saved to
//! docs/screenshots/ for the README.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{NaiveDate, NaiveTime};
use clinicdesk_domain::eye::Eye;
use clinicdesk_domain::model::{PayMethod, Sex};
use clinicdesk_domain::money::Fen;
use clinicdesk_domain::recall::RecallThresholds;
use clinicdesk_domain::Lang;
use clinicdesk_eyecare::chart::{axial_chart_svg, ser_chart_svg, ChartInput};
use clinicdesk_eyecare::reference::ReferenceId;
use clinicdesk_eyecare::report::{parent_report_pdf, summary_sentence, ParentReport};
use clinicdesk_eyecare::sheets::{day_sheet_pdf, format_money, refund_slip_pdf, DaySheet, DaySheetRow, RefundSlip};
use common::*;

const MAX_PDF_BYTES: usize = 2 * 1024 * 1024;

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clinicdesk-eyecare-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Writes the PDF, runs `qpdf --check`, renders page 1 at 60 dpi and checks it has ink.
fn check_pdf(name: &str, bytes: &[u8], pages: usize) {
    assert!(bytes.starts_with(b"%PDF-"), "{name}: not a PDF");
    assert!(bytes.len() <= MAX_PDF_BYTES, "{name}: {} bytes > 2 MB", bytes.len());
    let pdf = scratch(&format!("{name}.pdf"));
    std::fs::write(&pdf, bytes).unwrap();
    if have("qpdf") {
        let out = Command::new("qpdf").arg("--check").arg(&pdf).output().unwrap();
        assert!(
            out.status.success(),
            "{name}: qpdf --check failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("No syntax or stream encoding errors"), "{name}: {stdout}");
        let n = Command::new("qpdf").arg("--show-npages").arg(&pdf).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&n.stdout).trim(), pages.to_string(), "{name}: page count");
    } else {
        eprintln!("SKIPPED qpdf --check for {name}: qpdf is not installed (CI installs it)");
    }
    if !have("pdftoppm") {
        eprintln!("SKIPPED rendering {name}: pdftoppm (poppler-utils) is not installed (CI installs it)");
        let _ = std::fs::remove_file(&pdf);
        return;
    }
    let prefix = scratch(name);
    let out =
        Command::new("pdftoppm").args(["-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile"]).arg(&pdf).arg(&prefix).output().unwrap();
    assert!(out.status.success(), "{name}: pdftoppm failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Error"), "{name}: pdftoppm: {}", String::from_utf8_lossy(&out.stderr));
    let png = prefix.with_extension("png");
    let (w, h, ink) = ink_pixels(&png);
    assert!(ink * 200 > w * h, "{name}: page is (nearly) blank: {ink} non-white pixels of {}", w * h);
    let _ = std::fs::remove_file(&png);
    let _ = std::fs::remove_file(&pdf);
    // Succeeds only once the last parallel test is done with the folder.
    let _ = std::fs::remove_dir(pdf.parent().unwrap());
}

/// (width, height, pixels that are not near-white).
fn ink_pixels(png: &Path) -> (usize, usize, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let ink = buf[..info.buffer_size()].chunks(channels).filter(|px| px.iter().take(3).any(|v| *v < 200)).count();
    (info.width as usize, info.height as usize, ink)
}

/// With UPDATE_SCREENSHOTS=1, renders page 1 at a readable resolution to
/// docs/screenshots/NAME.png for the README.
fn save_screenshot(name: &str, pdf: &[u8], dpi: &str) {
    if std::env::var("UPDATE_SCREENSHOTS").as_deref() != Ok("1") || !have("pdftoppm") {
        return;
    }
    let dir = workspace_root().join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = scratch(&format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let ok = Command::new("pdftoppm")
        .args(["-r", dpi, "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&path)
        .arg(dir.join(name))
        .status()
        .unwrap();
    assert!(ok.success());
    let _ = std::fs::remove_file(&path);
}

fn report(lang: Lang, exams: Vec<clinicdesk_domain::eye::EyeExam>) -> ParentReport {
    ParentReport {
        clinic_name: "明眸眼科诊所".into(),
        store_name: "武汉光谷店".into(),
        report_date: NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
        patient_name: "王小雨".into(),
        sex: Sex::Female,
        birth_date: birth(),
        exams,
        reference: None,
        thresholds: RecallThresholds::default(),
        lang,
    }
}

#[test]
fn parent_report_is_a_valid_two_page_pdf_in_every_language_under_2_mb() {
    for (lang, tag) in [(Lang::ZhCn, "zh-CN"), (Lang::ZhTw, "zh-TW"), (Lang::En, "en")] {
        let r = report(lang, exams());
        let pdf = parent_report_pdf(&r).unwrap();
        assert!(pdf.len() < 300_000, "{tag}: font subset keeps it small, got {} bytes", pdf.len());
        check_pdf(&format!("parent-report-{tag}"), &pdf, 1);
        if lang == Lang::ZhCn {
            save_screenshot("parent-report-p1", &pdf, "110");
        }
    }
    // Twenty exams: the table continues on a second page.
    let pdf = parent_report_pdf(&report(Lang::ZhCn, many_exams(20))).unwrap();
    check_pdf("parent-report-20", &pdf, 2);
}

#[test]
fn parent_report_summary_is_one_plain_sentence() {
    let s = summary_sentence(&report(Lang::ZhCn, exams()));
    assert_eq!(
        s,
        "王小雨最近一次检查（2025年5月12日）右眼眼轴 24.15 mm（同龄 P58），近期每年增长 0.50 mm；左眼眼轴 23.62 mm（同龄 P36），近期每年增长 0.18 mm；右眼增长偏快，建议遵医嘱加强近视防控并按时复查。"
    );
    let en = summary_sentence(&report(Lang::En, exams()));
    assert!(en.starts_with("At 王小雨's latest exam (12 May 2025): right eye 24.15 mm (P58 for age)"), "{en}");
    assert!(
        en.ends_with("the right eye is growing fast, so please follow the doctor's myopia-control advice and keep to the recheck dates."),
        "{en}"
    );
    let one = summary_sentence(&report(Lang::ZhTw, exams()[..1].to_vec()));
    assert!(one.ends_with("下次複查後即可看到增長速度。"), "{one}");
    assert_eq!(summary_sentence(&report(Lang::ZhCn, vec![])), "王小雨还没有检查记录。");
    // No tofu: the shipped font has a glyph for every character the printouts use.
    let font = clinicdesk_eyecare::fonts::Metrics::get();
    for lang in [Lang::ZhCn, Lang::ZhTw, Lang::En] {
        let text = summary_sentence(&report(lang, exams()));
        assert!(font.covers(&text), "{lang:?}: {text}");
    }
    assert!(font.covers("眼轴眼軸等效球镜鏡年龄齡（岁歲）ΔSER ≤ · –…¥退费單签簽"));
    // An empty record still prints.
    check_pdf("parent-report-empty", &parent_report_pdf(&report(Lang::ZhCn, vec![])).unwrap(), 1);
}

#[test]
fn a_recheck_weeks_after_the_last_exam_is_judged_against_an_exam_far_enough_back() {
    // Two weeks after the May exam the right eye reads 0.05 mm longer: over two weeks that
    // would be 1.3 mm a year, which no parent should be told. The growth is measured from the
    // latest exam at least the minimum interval back (November), and judged over that span.
    let mut exams = exams();
    let last = exams.last().unwrap();
    let (od, os) = (last.od.axial_length_um.unwrap() + 50, last.os.axial_length_um.unwrap());
    exams.push(common::exam(99, d(2025, 5, 26), (-250, od), (-100, os)));
    let s = summary_sentence(&report(Lang::ZhCn, exams));
    assert!(s.contains("右眼眼轴 24.20 mm"), "{s}");
    // 23.90 (Nov 2024) → 24.20 mm over 195 days: 0.56 mm a year, fast.
    assert!(s.contains("近期每年增长 0.56 mm"), "{s}");
    assert!(s.contains("右眼增长偏快"), "{s}");
}

#[test]
fn axial_chart_svg_shows_every_curve_labelled_the_reference_name_and_the_patient() {
    let exams = exams();
    let t = RecallThresholds::default();
    for reference in ReferenceId::ALL {
        let input =
            ChartInput { sex: Sex::Female, birth_date: birth(), exams: &exams, eye: Eye::Od, reference, lang: Lang::ZhCn, thresholds: &t };
        let svg = axial_chart_svg(&input).unwrap();
        assert!(svg.starts_with("<svg"), "{svg:.100}");
        let text = svg.replace('\n', "");
        for p in reference.percentiles() {
            assert!(text.contains(&format!(">P{p}<")), "{reference}: label P{p} missing");
        }
        assert!(text.contains(reference.display_name(Lang::ZhCn)), "{reference}: reference name missing");
        assert!(text.contains(">右眼 · 眼轴长度<") && text.contains(">年龄（岁）<"));
        assert!(text.contains(">24.15 mm · "), "latest point labelled");
        if reference == ReferenceId::SanzDiez2022 && std::env::var("UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
            let dir = workspace_root().join("docs/screenshots");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("eye-chart-axial.svg"), &svg).unwrap();
        }
    }
    let input = ChartInput {
        sex: Sex::Female,
        birth_date: birth(),
        exams: &exams,
        eye: Eye::Os,
        reference: ReferenceId::He2023,
        lang: Lang::En,
        thresholds: &t,
    };
    let svg = ser_chart_svg(&input).unwrap().replace('\n', "");
    assert!(svg.contains("Left eye · spherical equivalent (SER)") && svg.contains("D/yr") && svg.contains("myopia ≤ -0.50 D"));
}

#[test]
fn day_sheet_lists_each_doctor_in_the_given_order_and_paginates() {
    let row = |h: u32, m: u32, name: &str, status: &str| DaySheetRow {
        start: NaiveTime::from_hms_opt(h, m, 0).unwrap(),
        end: NaiveTime::from_hms_opt(h, m + 15, 0).unwrap(),
        patient_name: name.into(),
        phone: Some("138 0013 8000".into()),
        visit_type: Some("复诊".into()),
        status: status.into(),
        note: (h == 9).then(|| "需散瞳验光，家长陪同".into()),
    };
    let names = ["张小明", "李思琪", "王浩然", "陈一诺", "刘子涵", "赵雨桐", "孙嘉懿", "周梓萱"];
    let doctors: Vec<(String, Vec<DaySheetRow>)> = ["李医生（视光科）", "王医生（小儿眼科）", "陈医生"]
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let mut rows: Vec<DaySheetRow> = (0..8)
                .map(|i| row(9 + (i + k as u32) % 8, (i % 3) * 15, names[i as usize], if i < 3 { "已到店" } else { "已预约" }))
                .collect();
            rows.sort_by_key(|r| r.start);
            (d.to_string(), rows)
        })
        .collect();
    let sheet = DaySheet {
        store_name: "明眸眼科 · 武汉光谷店".into(),
        date: NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
        doctors,
        lang: Lang::ZhCn,
    };
    let pdf = day_sheet_pdf(&sheet);
    check_pdf("day-sheet", &pdf, 1);
    save_screenshot("day-sheet-p1", &pdf, "110");
    let long = DaySheet {
        doctors: (0..6).map(|k| (format!("Dr {k}"), (0..10).map(|i| row(8 + i, 0, "Amy", "Booked")).collect())).collect(),
        lang: Lang::En,
        ..sheet.clone()
    };
    check_pdf("day-sheet-long", &day_sheet_pdf(&long), 2);
    check_pdf("day-sheet-empty", &day_sheet_pdf(&DaySheet { doctors: vec![], ..sheet }), 1);
}

#[test]
fn refund_slip_shows_number_patient_amount_in_yuan_method_time_and_staff() {
    assert_eq!(format_money(Fen(2550)), "¥25.50");
    assert_eq!(format_money(Fen(5)), "¥0.05");
    for (lang, tag) in [(Lang::ZhCn, "zh-CN"), (Lang::ZhTw, "zh-TW"), (Lang::En, "en")] {
        let slip = RefundSlip {
            clinic_name: "明眸眼科诊所".into(),
            store_name: "武汉光谷店".into(),
            slip_number: "TK-0007-03-000128".into(),
            patient_name: "王小雨".into(),
            amount: Fen(2500),
            method: PayMethod::Cash,
            refunded_at: NaiveDate::from_ymd_opt(2025, 5, 20).unwrap().and_hms_opt(10, 42, 0).unwrap(),
            staff_name: "前台 刘芳".into(),
            reason: Some("医生临时停诊，患者改约下周".into()),
            lang,
        };
        let pdf = refund_slip_pdf(&slip);
        assert!(pdf.len() < 100_000, "{tag}: {} bytes", pdf.len());
        check_pdf(&format!("refund-slip-{tag}"), &pdf, 1);
        if lang == Lang::ZhCn {
            save_screenshot("refund-slip", &pdf, "150");
        }
    }
}
