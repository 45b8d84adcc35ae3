//! Eye exams and optical corrections: children followed for myopia control (2–8 exams
//! each, every 3–6 months) and a few young adults with stable myopia.
//!
//! Axial length starts at the child's own z-score on the Sanz Diez 2022 reference and then
//! grows 0.1–0.4 mm a year; refraction (SER) is tied to it (about −2.4 D per mm above the
//! median) and myopes progress −0.25 to −1.00 D a year, less once they wear defocus
//! spectacles or ortho-k lenses.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use clinicdesk_domain::eye::{Correction, CorrectionKind, Eye, EyeExam, EyeReading};
use clinicdesk_domain::model::{Id, Sex};
use rand::Rng as _;

use crate::org::Org;
use crate::people::{PatientInfo, Segment};
use crate::rng::{chance, interpolate, new_id, normal, pick, uniform, weighted, Rng};

/// Axial length reference: Sanz Diez P, Yang L-H, Lu M-X, Kiess W, Wahl S. *LMS parameters,
/// percentile, and Z-score growth curves for axial length in Chinese schoolchildren in
/// Wuhan.* Sci Rep 2022;12:4850, doi:10.1038/s41598-022-08907-5 (CC BY 4.0).
/// Per completed year of age 6–15: (age, M in mm, S); L = 1, so AL(z) = M·(1 + S·z).
const AL_LMS_FEMALE: [(f64, f64, f64); 10] = [
    (6.0, 22.52, 0.0362),
    (7.0, 22.94, 0.0372),
    (8.0, 23.37, 0.0381),
    (9.0, 23.71, 0.0389),
    (10.0, 23.94, 0.0395),
    (11.0, 24.09, 0.0399),
    (12.0, 24.21, 0.0402),
    (13.0, 24.32, 0.0405),
    (14.0, 24.41, 0.0407),
    (15.0, 24.49, 0.0409),
];
const AL_LMS_MALE: [(f64, f64, f64); 10] = [
    (6.0, 22.98, 0.0363),
    (7.0, 23.42, 0.0372),
    (8.0, 23.87, 0.0381),
    (9.0, 24.23, 0.0388),
    (10.0, 24.48, 0.0393),
    (11.0, 24.64, 0.0397),
    (12.0, 24.78, 0.0400),
    (13.0, 24.90, 0.0402),
    (14.0, 24.98, 0.0404),
    (15.0, 25.07, 0.0406),
];

/// M (mm) and S of the reference at an age in years, interpolated linearly between whole
/// ages; below 6 the 6→7 slope is extended, above 15 the eye grows 0.05 mm a year.
pub(crate) fn axial_reference(sex: Sex, age: f64) -> (f64, f64) {
    let table = match sex {
        Sex::Female => &AL_LMS_FEMALE,
        Sex::Male => &AL_LMS_MALE,
    };
    let (first, second, last) = (table[0], table[1], table[table.len() - 1]);
    if age < first.0 {
        return (first.1 - (first.0 - age) * (second.1 - first.1), first.2);
    }
    if age > last.0 {
        return (last.1 + 0.05 * (age - last.0), last.2);
    }
    let m: Vec<(f64, f64)> = table.iter().map(|r| (r.0, r.1)).collect();
    let s: Vec<(f64, f64)> = table.iter().map(|r| (r.0, r.2)).collect();
    (interpolate(&m, age), interpolate(&s, age))
}

pub(crate) const IOLMASTER: &str = "IOLMaster 700";
pub(crate) const LENSTAR: &str = "Lenstar LS900";

/// Decimal visual acuity × 100 as printed on the chart.
const VA_CHART: [u16; 17] = [4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150];

/// Typical uncorrected acuity by spherical equivalent (D).
const UCVA_BY_SER: [(f64, f64); 13] = [
    (-6.0, 5.0),
    (-5.0, 6.0),
    (-4.0, 8.0),
    (-3.0, 12.0),
    (-2.5, 15.0),
    (-2.0, 20.0),
    (-1.5, 30.0),
    (-1.0, 40.0),
    (-0.75, 50.0),
    (-0.5, 60.0),
    (-0.25, 80.0),
    (0.0, 100.0),
    (3.0, 100.0),
];

const ORTHO_K_BRANDS: [(&str, &str); 3] = [("欧几里得", "Euclid Systems"), ("CRT", "Paragon Vision Sciences"), ("亨泰", "亨泰光学")];
const DEFOCUS_BRANDS: [(&str, &str); 3] = [("新乐学", "HOYA"), ("星趣控", "Essilor"), ("成长乐", "ZEISS")];
const FRAME_BRANDS: [(&str, &str); 3] = [("明月", "明月镜片"), ("万新", "万新光学"), ("爱赞", "Essilor")];

pub(crate) struct EyeData {
    pub exams: Vec<EyeExam>,
    pub corrections: BTreeMap<Id, Correction>,
}

fn years(from: NaiveDate, to: NaiveDate) -> f64 {
    (to - from).num_days() as f64 / 365.25
}

fn quarter(cd: f64) -> i32 {
    ((cd / 25.0).round() as i32) * 25
}

fn chart_va(rng: &mut Rng, value: f64, jitter: bool) -> u16 {
    let mut best = 0;
    for (i, v) in VA_CHART.iter().enumerate() {
        if (f64::from(*v) - value).abs() < (f64::from(VA_CHART[best]) - value).abs() {
            best = i;
        }
    }
    if jitter && chance(rng, 0.3) {
        best = if chance(rng, 0.5) { best.saturating_sub(1) } else { (best + 1).min(VA_CHART.len() - 1) };
    }
    VA_CHART[best]
}

/// One eye's astigmatism: cylinder (0.01 D, minus form) and axis (degrees).
fn astigmatism(rng: &mut Rng) -> (i32, Option<u16>) {
    let cyl = -weighted(rng, &[(0, 25), (25, 25), (50, 20), (75, 12), (100, 8), (125, 5), (150, 5)]);
    if cyl == 0 {
        return (0, None);
    }
    let axis = if chance(rng, 0.85) {
        // With-the-rule, around 180°.
        let a = 180 + (normal(rng) * 8.0).round() as i32;
        if a > 180 {
            a - 180
        } else {
            a.max(1)
        }
    } else {
        rng.gen_range(30..=150)
    };
    (cyl, Some(axis as u16))
}

/// What stays the same for one eye across exams.
struct EyeTraits {
    eye: Eye,
    cylinder_cd: i32,
    axis: Option<u16>,
}

/// What stays the same for the patient across exams.
struct Person {
    k_mean_cd: f64,
    cct_um: f64,
}

struct Measure {
    ser_d: f64,
    al_mm: f64,
    iop: bool,
    cct: bool,
    ortho_k_wearer: bool,
}

fn reading(rng: &mut Rng, t: &EyeTraits, p: &Person, m: &Measure) -> EyeReading {
    let ser_cd = (m.ser_d + normal(rng) * 0.1) * 100.0;
    let sphere = quarter(ser_cd - f64::from(t.cylinder_cd) / 2.0).clamp(-3000, 2500);
    let al_um = ((m.al_mm + normal(rng) * 0.01) * 100.0).round() as i32 * 10;
    let ucva = if m.ortho_k_wearer {
        // Measured in the morning after a night with the lenses.
        *pick(rng, &[80, 100, 100, 120])
    } else {
        chart_va(rng, interpolate(&UCVA_BY_SER, ser_cd / 100.0), true)
    };
    let bcva = weighted(rng, &[(100u16, 70), (120, 20), (80, 10)]).max(ucva);
    let cyl_abs = f64::from(t.cylinder_cd.abs());
    let k1 = (p.k_mean_cd - cyl_abs / 2.0 + normal(rng) * 5.0).round() as i32;
    let k2 = k1 + (cyl_abs * 0.8 + normal(rng) * 8.0).round().max(0.0) as i32;
    EyeReading {
        eye: t.eye,
        ucva_hundredths: Some(ucva),
        bcva_hundredths: Some(bcva),
        sphere_cd: Some(sphere),
        cylinder_cd: Some(t.cylinder_cd),
        axis_deg: t.axis,
        axial_length_um: Some(al_um.clamp(15_000, 35_000)),
        k1_cd: Some(k1.clamp(3500, 5500)),
        k2_cd: Some(k2.clamp(3500, 5500)),
        iop_dmmhg: m.iop.then(|| (155.0 + normal(rng) * 22.0).round().clamp(100.0, 220.0) as i32),
        central_corneal_thickness_um: m.cct.then(|| (p.cct_um + normal(rng) * 4.0).round() as i32),
    }
}

fn not_sunday(d: NaiveDate) -> NaiveDate {
    if d.weekday() == Weekday::Sun {
        d - Duration::days(1)
    } else {
        d
    }
}

fn correction(rng: &mut Rng, kind: CorrectionKind, fitted_on: Option<NaiveDate>) -> Correction {
    let brand = match kind {
        CorrectionKind::OrthoK => Some(*pick(rng, &ORTHO_K_BRANDS)),
        CorrectionKind::DefocusFrames => Some(*pick(rng, &DEFOCUS_BRANDS)),
        CorrectionKind::SingleVisionFrames => Some(*pick(rng, &FRAME_BRANDS)),
        CorrectionKind::Other => Some(("安视优", "强生 Johnson & Johnson")),
        CorrectionKind::None => None,
    };
    Correction { kind, fitted_on, brand: brand.map(|b| b.0.to_string()), manufacturer: brand.map(|b| b.1.to_string()) }
}

fn treatment_factor(kind: Option<CorrectionKind>) -> f64 {
    match kind {
        Some(CorrectionKind::OrthoK) => 0.5,
        Some(CorrectionKind::DefocusFrames) => 0.6,
        _ => 1.0,
    }
}

/// A child's exams from the first visit to the last, and the current correction.
fn child(rng: &mut Rng, org: &Org, p: &PatientInfo, today: NaiveDate) -> (Vec<EyeExam>, Correction) {
    let n = weighted(rng, &[(2usize, 8), (3, 14), (4, 18), (5, 18), (6, 16), (7, 14), (8, 12)]);
    // Some families stop coming: their recheck is overdue.
    let lapsed = chance(rng, 0.12);
    let last = today - Duration::days(if lapsed { rng.gen_range(215..=420) } else { rng.gen_range(0..=110) });
    let mut dates = vec![last];
    for _ in 1..n {
        let earlier = dates[0] - Duration::days(rng.gen_range(91..=183));
        dates.insert(0, earlier);
    }
    while dates.len() > 2 && years(p.birth, dates[0]) < 5.5 {
        dates.remove(0);
    }
    let dates: Vec<NaiveDate> = dates.into_iter().map(not_sunday).collect();

    let prone = chance(rng, 0.6);
    let z0 = (normal(rng) + if prone { 0.6 } else { 0.0 }).clamp(-2.5, 2.8);
    let a0 = years(p.birth, dates[0]);
    let (m0, s0) = axial_reference(p.sex, a0);
    let al0 = m0 * (1.0 + s0 * z0);
    let anisometropia_mm = normal(rng) * 0.08;
    let mut al = [al0 + anisometropia_mm / 2.0, al0 - anisometropia_mm / 2.0];
    let ser0 = 1.5 - 0.3 * (a0 - 6.0) - 2.4 * (al0 - m0) + normal(rng) * 0.3;
    let mut ser = [ser0 - 1.2 * anisometropia_mm + normal(rng) * 0.1, ser0 + 1.2 * anisometropia_mm + normal(rng) * 0.1];
    let progression = if ser0 <= -0.5 {
        uniform(rng, 0.25, 1.0)
    } else if prone {
        uniform(rng, 0.1, 0.5)
    } else {
        uniform(rng, 0.0, 0.2)
    };
    let eye_rate = [uniform(rng, 0.9, 1.1), uniform(rng, 0.9, 1.1)];
    let plan =
        weighted(rng, &[(CorrectionKind::SingleVisionFrames, 40), (CorrectionKind::DefocusFrames, 30), (CorrectionKind::OrthoK, 30)]);
    let switch_to_ortho_k = plan == CorrectionKind::SingleVisionFrames && progression >= 0.6 && chance(rng, 0.4);
    let traits = [Eye::Od, Eye::Os].map(|eye| {
        let (cylinder_cd, axis) = astigmatism(rng);
        EyeTraits { eye, cylinder_cd, axis }
    });
    let person = Person {
        k_mean_cd: (4325.0 + normal(rng) * 120.0).clamp(4050.0, 4650.0),
        cct_um: (545.0 + normal(rng) * 25.0).clamp(470.0, 620.0),
    };
    let home_biometer = if p.home == 1 { IOLMASTER } else { LENSTAR };
    let other_biometer = if p.home == 1 { LENSTAR } else { IOLMASTER };
    // A few children were first measured on the other device (moved from the other store).
    let switched_device = chance(rng, 0.1);
    let store_id = org.stores[p.home].id;

    let mut worn: Option<(CorrectionKind, NaiveDate, usize)> = None;
    let mut exams = Vec::with_capacity(dates.len());
    for (i, date) in dates.iter().enumerate() {
        if i > 0 {
            let dt = years(dates[i - 1], *date);
            let factor = treatment_factor(worn.map(|w| w.0));
            for e in 0..2 {
                let rate = progression * factor * eye_rate[e];
                ser[e] -= rate * dt;
                al[e] += (0.08 + 0.32 * rate).clamp(0.1, 0.4) * dt;
            }
        }
        let ortho_k_wearer = worn.is_some_and(|w| w.0 == CorrectionKind::OrthoK);
        let iop = chance(rng, 0.6);
        let cct = i == 0 || iop;
        let [od, os] =
            [0, 1].map(|e| reading(rng, &traits[e], &person, &Measure { ser_d: ser[e], al_mm: al[e], iop, cct, ortho_k_wearer }));
        let recheck_days = if ortho_k_wearer { rng.gen_range(91..=120) } else { rng.gen_range(91..=183) };
        exams.push(EyeExam {
            id: new_id(rng),
            patient_id: p.id,
            store_id,
            examined_at: *date,
            biometer: if switched_device && i < dates.len() / 2 { other_biometer } else { home_biometer }.to_string(),
            od,
            os,
            next_recheck: Some(*date + Duration::days(recheck_days)),
        });
        let mean_ser = (ser[0] + ser[1]) / 2.0;
        worn = match worn {
            // Ortho-k lenses correct up to about −5.50 D; stronger myopia gets spectacles.
            None if mean_ser <= -0.5 && plan == CorrectionKind::OrthoK && mean_ser < -5.5 => {
                Some((CorrectionKind::DefocusFrames, *date, i))
            }
            None if mean_ser <= -0.5 => Some((plan, *date, i)),
            Some((CorrectionKind::SingleVisionFrames, _, fitted)) if switch_to_ortho_k && i >= fitted + 2 && mean_ser >= -5.5 => {
                Some((CorrectionKind::OrthoK, *date, i))
            }
            w => w,
        };
    }

    let current = match worn {
        None => correction(rng, CorrectionKind::None, None),
        Some((kind, mut fitted_on, _)) => {
            // Half the ortho-k wearers due for new lenses already had them replaced.
            if kind == CorrectionKind::OrthoK && (today - fitted_on).num_days() >= 550 && chance(rng, 0.5) {
                if let Some(d) = dates.iter().find(|d| (**d - fitted_on).num_days() >= 365 && (today - **d).num_days() < 550) {
                    fitted_on = *d;
                }
            }
            correction(rng, kind, Some(fitted_on))
        }
    };
    (exams, current)
}

/// An adult with stable myopia: candidates for a refractive-surgery referral.
fn adult(rng: &mut Rng, org: &Org, p: &PatientInfo, today: NaiveDate) -> (Vec<EyeExam>, Correction) {
    let n = rng.gen_range(3..=4);
    let mut dates = vec![not_sunday(today - Duration::days(rng.gen_range(0..=120)))];
    for _ in 1..n {
        let earlier = not_sunday(dates[0] - Duration::days(rng.gen_range(120..=240)));
        dates.insert(0, earlier);
    }
    let base = uniform(rng, -6.5, -1.5);
    let ser = [base, base + f64::from(rng.gen_range(-1..=1)) * 0.25];
    let traits = [Eye::Od, Eye::Os].map(|eye| {
        let (cylinder_cd, axis) = astigmatism(rng);
        EyeTraits { eye, cylinder_cd, axis }
    });
    let person = Person {
        k_mean_cd: (4325.0 + normal(rng) * 120.0).clamp(4050.0, 4650.0),
        // One in five has corneas too thin for surgery.
        cct_um: if chance(rng, 0.2) { uniform(rng, 455.0, 476.0) } else { uniform(rng, 500.0, 580.0) },
    };
    let al = ser.map(|s| 23.6 - 0.35 * s + normal(rng) * 0.2);
    let store_id = org.stores[p.home].id;
    let exams = dates
        .iter()
        .map(|date| {
            let [od, os] = [0, 1].map(|e| {
                reading(rng, &traits[e], &person, &Measure { ser_d: ser[e], al_mm: al[e], iop: true, cct: true, ortho_k_wearer: false })
            });
            EyeExam {
                id: new_id(rng),
                patient_id: p.id,
                store_id,
                examined_at: *date,
                biometer: IOLMASTER.to_string(),
                od,
                os,
                next_recheck: Some(*date + Duration::days(365)),
            }
        })
        .collect();
    let kind = if chance(rng, 0.6) { CorrectionKind::SingleVisionFrames } else { CorrectionKind::Other };
    let fitted = dates[0] - Duration::days(rng.gen_range(200..=900));
    (exams, correction(rng, kind, Some(fitted)))
}

pub(crate) fn build(rng: &mut Rng, org: &Org, patients: &[PatientInfo], today: NaiveDate, size: f64) -> EyeData {
    let mut out = EyeData { exams: Vec::new(), corrections: BTreeMap::new() };
    for p in patients.iter().filter(|p| p.segment == Segment::EyeCohort) {
        let (exams, c) = child(rng, org, p, today);
        out.exams.extend(exams);
        out.corrections.insert(p.id, c);
    }
    let adults = (15.0 * size).round() as usize;
    for p in patients.iter().filter(|p| p.segment == Segment::AdultOpto && (18..=30).contains(&p.age(today))).take(adults) {
        let (exams, c) = adult(rng, org, p, today);
        out.exams.extend(exams);
        out.corrections.insert(p.id, c);
    }
    out
}
