//! Shared fixtures: a girl followed for four years with both eyes measured.
#![allow(dead_code)]

use chrono::NaiveDate;
use clinicdesk_domain::eye::{Eye, EyeExam, EyeReading};
use uuid::Uuid;

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub fn reading(eye: Eye, sphere_cd: i32, cylinder_cd: i32, al_um: i32) -> EyeReading {
    EyeReading {
        sphere_cd: Some(sphere_cd),
        cylinder_cd: Some(cylinder_cd),
        axis_deg: (cylinder_cd != 0).then_some(180),
        axial_length_um: Some(al_um),
        ..EyeReading::empty(eye)
    }
}

pub fn exam(n: u128, date: NaiveDate, od: (i32, i32), os: (i32, i32)) -> EyeExam {
    EyeExam {
        id: Uuid::from_u128(n),
        patient_id: Uuid::from_u128(1000),
        store_id: Uuid::from_u128(2000),
        examined_at: date,
        biometer: "IOLMaster 700".into(),
        od: reading(Eye::Od, od.0, -25, od.1),
        os: reading(Eye::Os, os.0, 0, os.1),
        next_recheck: None,
    }
}

pub fn birth() -> NaiveDate {
    d(2015, 4, 10)
}

/// Nine exams, half a year apart, from age 6 to 10; the right eye grows fast in the last year.
pub fn exams() -> Vec<EyeExam> {
    let od = [(50, 22900), (25, 23050), (0, 23180), (-25, 23300), (-50, 23420), (-75, 23540), (-100, 23650), (-175, 23900), (-250, 24150)];
    let os = [(50, 22850), (50, 22960), (25, 23070), (0, 23170), (-25, 23260), (-25, 23350), (-50, 23440), (-75, 23530), (-100, 23620)];
    (0..9)
        .map(|i| {
            let date = d(2021 + i as i32 / 2, if i % 2 == 0 { 5 } else { 11 }, 12);
            exam(i as u128 + 1, date, od[i], os[i])
        })
        .collect()
}

/// `n` exams every ~3 months (for benchmarks and long tables).
pub fn many_exams(n: usize) -> Vec<EyeExam> {
    (0..n)
        .map(|i| {
            let date = d(2021, 5, 12) + chrono::Duration::days(91 * i as i64);
            let grow = (i as i32) * 70;
            exam(i as u128 + 1, date, (50 - 25 * i as i32, 22900 + grow), (25 - 25 * (i as i32 / 2), 22850 + grow * 4 / 5))
        })
        .collect()
}
