//! Eye-care figures: a growth chart with 20 exams as SVG (target ≤ 20 ms) and the parent
//! report PDF (target ≤ 200 ms and ≤ 2 MB). Medians over repeated runs, first run (font
//! parsing, lazy tables) excluded.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clinicdesk_domain::eye::{Eye, EyeExam, EyeReading};
use clinicdesk_domain::model::Sex;
use clinicdesk_domain::recall::RecallThresholds;
use clinicdesk_domain::Lang;
use clinicdesk_eyecare::chart::{axial_chart_svg, ChartInput};
use clinicdesk_eyecare::reference::ReferenceId;
use clinicdesk_eyecare::report::{parent_report_pdf, ParentReport};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "MET"
    } else {
        "MISSED"
    }
}

fn exams(n: usize) -> Vec<EyeExam> {
    let start = NaiveDate::from_ymd_opt(2020, 3, 2).unwrap();
    (0..n)
        .map(|i| {
            let reading = |eye, sphere: i32, al: i32| EyeReading {
                sphere_cd: Some(sphere),
                cylinder_cd: Some(-25),
                axis_deg: Some(180),
                axial_length_um: Some(al),
                ..EyeReading::empty(eye)
            };
            let k = i as i32;
            EyeExam {
                id: uuid::Uuid::from_u128(i as u128 + 1),
                patient_id: uuid::Uuid::from_u128(7),
                store_id: uuid::Uuid::from_u128(8),
                examined_at: start + chrono::Duration::days(91 * i as i64),
                biometer: "IOLMaster 700".into(),
                od: reading(Eye::Od, 50 - 25 * k, 22_900 + 70 * k),
                os: reading(Eye::Os, 25 - 25 * (k / 2), 22_850 + 56 * k),
                next_recheck: None,
            }
        })
        .collect()
}

pub fn run() {
    let exams = exams(20);
    let birth = NaiveDate::from_ymd_opt(2013, 9, 1).unwrap();
    let t = RecallThresholds::default();
    let input = ChartInput {
        sex: Sex::Male,
        birth_date: birth,
        exams: &exams,
        eye: Eye::Od,
        reference: ReferenceId::SanzDiez2022,
        lang: Lang::ZhCn,
        thresholds: &t,
    };
    axial_chart_svg(&input).expect("chart");
    let svg: Vec<Duration> = (0..30)
        .map(|_| {
            let t0 = Instant::now();
            std::hint::black_box(axial_chart_svg(&input).expect("chart"));
            t0.elapsed()
        })
        .collect();
    let svg = median(svg);
    println!("eye chart, 20 exams → SVG           median {:>8.2} ms  target ≤ 20 ms: {}", ms(svg), verdict(ms(svg) <= 20.0));

    let report = ParentReport {
        clinic_name: "明眸眼科诊所".into(),
        store_name: "武汉光谷店".into(),
        report_date: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
        patient_name: "王小雨".into(),
        sex: Sex::Male,
        birth_date: birth,
        exams,
        reference: None,
        thresholds: t.clone(),
        lang: Lang::ZhCn,
    };
    let mut size = parent_report_pdf(&report).expect("report").len();
    let pdf: Vec<Duration> = (0..10)
        .map(|_| {
            let t0 = Instant::now();
            size = std::hint::black_box(parent_report_pdf(&report).expect("report")).len();
            t0.elapsed()
        })
        .collect();
    let pdf = median(pdf);
    println!("parent report PDF, 20 exams         median {:>8.2} ms  target ≤ 200 ms: {}", ms(pdf), verdict(ms(pdf) <= 200.0));
    println!(
        "parent report PDF size              {:>8.1} KB        target ≤ 2 MB: {}",
        size as f64 / 1024.0,
        verdict(size <= 2 * 1024 * 1024)
    );
}
