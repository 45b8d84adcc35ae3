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

/// Today's recall task list of one store with 20,000 examined patients and 100,000 exams
/// (five per patient, three months apart, in that store): target ≤ 200 ms median, read from
/// the desk database and evaluated (`LocalStore::recall_list`).
pub async fn task_list() {
    use clinicdesk_domain::eye::{Correction, CorrectionKind};
    use clinicdesk_domain::model::{Guardian, Patient};

    const PATIENTS: usize = 20_000;
    const EXAMS_EACH: usize = 5;
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut chain = clinicdesk_demo::generate(&clinicdesk_demo::DemoConfig { seed: 3, size: 0.05, today });
    let store = chain.world.stores.values().next().expect("a store").clone();
    let mut exams_all = Vec::with_capacity(PATIENTS * EXAMS_EACH);
    // A fixed pseudo-random sequence (splitmix64), so every run measures the same data.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for i in 0..PATIENTS {
        let id = uuid::Uuid::from_u128(0x5000_0000 + i as u128);
        let guardian = uuid::Uuid::from_u128(0x6000_0000 + i as u128);
        chain
            .world
            .guardians
            .insert(guardian, Guardian { id: guardian, tenant_id: store.tenant_id, name: format!("家长{i}"), phone: format!("139{i:08}") });
        chain.world.patients.insert(
            id,
            Patient {
                id,
                tenant_id: store.tenant_id,
                name: format!("患者{i:05}"),
                sex: if i % 2 == 0 { Sex::Female } else { Sex::Male },
                birth_date: NaiveDate::from_ymd_opt(2010 + (i % 12) as i32, 1 + (i % 12) as u32, 1 + (i % 28) as u32).unwrap(),
                phone: format!("138{i:08}"),
                guardian_ids: vec![guardian],
                channel_code: None,
                consultant_id: None,
            },
        );
        let speed = (next() % 40) as i32; // 0–0.39 D of myopic change between exams
        let first = today - chrono::Duration::days(30 * 3 * EXAMS_EACH as i64 + (next() % 60) as i64);
        for k in 0..EXAMS_EACH {
            let reading = |eye, base: i32| EyeReading {
                ucva_hundredths: Some(60),
                sphere_cd: Some(base - speed * k as i32),
                cylinder_cd: Some(-50),
                axis_deg: Some(180),
                axial_length_um: Some(23_500 + 25 * speed * k as i32),
                k1_cd: Some(4300),
                k2_cd: Some(4400),
                central_corneal_thickness_um: Some(540),
                ..EyeReading::empty(eye)
            };
            let examined_at = first + chrono::Duration::days(91 * k as i64);
            exams_all.push(EyeExam {
                id: uuid::Uuid::from_u128(((0x7000_0000 + i as u128) << 8) + k as u128),
                patient_id: id,
                store_id: store.id,
                examined_at,
                biometer: "IOLMaster 700".into(),
                od: reading(Eye::Od, -100),
                os: reading(Eye::Os, -75),
                next_recheck: Some(examined_at + chrono::Duration::days(90)),
            });
        }
        let kind = match next() % 4 {
            0 => CorrectionKind::OrthoK,
            1 => CorrectionKind::SingleVisionFrames,
            2 => CorrectionKind::DefocusFrames,
            _ => CorrectionKind::None,
        };
        chain.corrections.insert(
            id,
            Correction {
                kind,
                fitted_on: Some(today - chrono::Duration::days(200 + (next() % 500) as i64)),
                brand: None,
                manufacturer: None,
            },
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = clinicdesk_store::open(&dir.path().join("recall.sqlite3"), clinicdesk_store::OpenOptions::default()).await.expect("open");
    let t0 = Instant::now();
    db.import_chain(&chain.world, &chain.history, &exams_all, &chain.corrections).await.expect("import");
    let loaded = t0.elapsed();
    if std::env::var_os("BENCH_KEEP").is_some() {
        let _ = std::fs::remove_file("/tmp/recall-keep.sqlite3");
        sqlx::query("VACUUM INTO '/tmp/recall-keep.sqlite3'").execute(db.pool()).await.expect("keep");
    }
    let thresholds = RecallThresholds::default();
    let mut tasks = 0;
    let mut runs = Vec::new();
    for _ in 0..11 {
        let t0 = Instant::now();
        let list = db.recall_list(store.id, today, &thresholds).await.expect("list");
        tasks = list.tasks.len();
        runs.push(t0.elapsed());
    }
    let list = median(runs[1..].to_vec());
    let mut reads = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        std::hint::black_box(db.recall_patients(store.id, today).await.expect("patients"));
        reads.push(t0.elapsed());
    }
    println!("  of which reading the patients and their exams   median {:>8.2} ms", ms(median(reads)));
    println!(
        "recall task list, {PATIENTS} patients / {} exams  median {:>8.2} ms  target ≤ 200 ms: {}  ({tasks} tasks; loaded in {:.1} s)",
        exams_all.len(),
        ms(list),
        verdict(ms(list) <= 200.0),
        loaded.as_secs_f64()
    );
}
