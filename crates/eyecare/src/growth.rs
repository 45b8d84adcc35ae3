//! Growth between consecutive exams, per eye: axial growth (mm/year), SER change
//! (D/year), the reference median's growth at that age, and the fast-progression flags.
//!
//! The flags reuse the manager-configured [`RecallThresholds`] of the domain's recall rules
//! (DOMAIN.md §8) rather than new constants where the domain has one:
//! - **SER**: the ortho-k rule's long window annualised, `ortho_k_long_window_cd ×
//!   12 / ortho_k_long_window_months` (defaults 50度 / 6 months → **1.00 D/year**), flagged
//!   at or above it (the rule's own "≥"). This is also the trials' fast-progression figure
//!   (ROMIO, Cho & Cheung 2012).
//! - **Axial length**: the domain has no axial threshold yet, so
//!   [`DEFAULT_FAST_AXIAL_UM_PER_YEAR`] (0.30 mm/year, the Chinese 2022 consensus "axial
//!   growth > 0.3 mm per year") is used, flagged strictly above it.
//! - Intervals shorter than the short window less its tolerance (defaults 3 months × 30
//!   days − 30 = 60 days) are never flagged: annualising a few weeks magnifies measurement
//!   noise, and the recall rules likewise never compare exams closer than that.
//!
//! Years are 365.25 days; rate comparisons are done in integers so the edges are exact.

use chrono::NaiveDate;
use clinicdesk_domain::eye::{ser_cd, Eye, EyeExam};
use clinicdesk_domain::model::Sex;
use clinicdesk_domain::recall::RecallThresholds;
use serde::Serialize;

use crate::reference::ReferenceId;

/// Axial growth above this (µm per year) is fast when the domain has no setting for it.
pub const DEFAULT_FAST_AXIAL_UM_PER_YEAR: u32 = 300;

/// Fractional age in years (365.25-day years) on `on` for someone born on `birth`.
pub fn age_at(birth: NaiveDate, on: NaiveDate) -> f64 {
    (on - birth).num_days() as f64 / 365.25
}

/// When a step between two exams counts as fast progression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FastProgressionRule {
    /// Myopic SER progression at or above this many 度 (0.01 D) per year is fast.
    pub ser_cd_per_year: u32,
    /// Axial growth above this many µm per year is fast.
    pub axial_um_per_year: u32,
    /// Steps shorter than this are never flagged.
    pub min_interval_days: u32,
}

impl FastProgressionRule {
    /// The rule derived from the recall thresholds (see the module docs).
    pub fn from_thresholds(t: &RecallThresholds) -> FastProgressionRule {
        let months = t.ortho_k_long_window_months.max(1);
        let short_days = t.ortho_k_short_window_months.saturating_mul(30);
        FastProgressionRule {
            ser_cd_per_year: t.ortho_k_long_window_cd.saturating_mul(12) / months,
            axial_um_per_year: DEFAULT_FAST_AXIAL_UM_PER_YEAR,
            min_interval_days: short_days.saturating_sub(t.window_tolerance_days).max(1),
        }
    }

    /// Myopic progression `myopic_cd` (earlier SER − later SER; positive = more myopic)
    /// over `days` is fast when `myopic_cd / (days / 365.25) ≥ ser_cd_per_year`.
    pub fn ser_is_fast(&self, myopic_cd: i32, days: i64) -> bool {
        days >= i64::from(self.min_interval_days) && i64::from(myopic_cd) * 1461 >= i64::from(self.ser_cd_per_year) * days * 4
    }

    /// Axial growth `growth_um` over `days` is fast when `growth_um / (days / 365.25) >
    /// axial_um_per_year`.
    pub fn axial_is_fast(&self, growth_um: i32, days: i64) -> bool {
        days >= i64::from(self.min_interval_days) && i64::from(growth_um) * 1461 > i64::from(self.axial_um_per_year) * days * 4
    }
}

impl Default for FastProgressionRule {
    fn default() -> Self {
        FastProgressionRule::from_thresholds(&RecallThresholds::default())
    }
}

/// What a growth step measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Axial length, values in µm, rates in mm/year.
    AxialLength,
    /// Spherical equivalent, values in 0.01 D, rates in D/year.
    Ser,
}

/// The change of one measure of one eye between two consecutive exams that measured it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub eye: Eye,
    pub measure: Measure,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
    pub from_age: f64,
    pub to_age: f64,
    /// µm (axial length) or 0.01 D (SER).
    pub from_value: i32,
    pub to_value: i32,
    /// `to_value − from_value`: axial growth is positive, myopic SER progression negative.
    pub change: i32,
    /// The change per year in mm (axial length) or D (SER).
    pub per_year: f64,
    /// Axial length only: growth of the reference median at the step's mid-age (mm/year);
    /// `None` for SER or outside the reference's ages.
    pub reference_mm_per_year: Option<f64>,
    pub fast: bool,
}

/// One eye's values of one measure in time order: (date, value). Exams on the same day
/// count once (the last by exam id).
pub fn series(exams: &[EyeExam], eye: Eye, measure: Measure) -> Vec<(NaiveDate, i32)> {
    let mut sorted: Vec<&EyeExam> = exams.iter().collect();
    sorted.sort_by_key(|e| (e.examined_at, e.id));
    let mut out: Vec<(NaiveDate, i32)> = Vec::new();
    for e in sorted {
        let r = e.reading(eye);
        let value = match measure {
            Measure::AxialLength => r.axial_length_um,
            Measure::Ser => ser_cd(r),
        };
        if let Some(v) = value {
            match out.last_mut() {
                Some(last) if last.0 == e.examined_at => last.1 = v,
                _ => out.push((e.examined_at, v)),
            }
        }
    }
    out
}

/// The steps between consecutive exams of one eye for one measure.
pub fn steps(
    exams: &[EyeExam],
    eye: Eye,
    measure: Measure,
    sex: Sex,
    birth: NaiveDate,
    reference: ReferenceId,
    rule: &FastProgressionRule,
) -> Vec<Step> {
    series(exams, eye, measure)
        .windows(2)
        .map(|w| {
            let ((from, a), (to, b)) = (w[0], w[1]);
            let days = (to - from).num_days();
            let years = days as f64 / 365.25;
            let change = b - a;
            let (from_age, to_age) = (age_at(birth, from), age_at(birth, to));
            let (per_year, reference_mm_per_year, fast) = match measure {
                Measure::AxialLength => (
                    change as f64 / 1000.0 / years,
                    reference.median_growth_mm_per_year(sex, (from_age + to_age) / 2.0),
                    rule.axial_is_fast(change, days),
                ),
                Measure::Ser => (change as f64 / 100.0 / years, None, rule.ser_is_fast(-change, days)),
            };
            Step {
                eye,
                measure,
                from,
                to,
                days,
                from_age,
                to_age,
                from_value: a,
                to_value: b,
                change,
                per_year,
                reference_mm_per_year,
                fast,
            }
        })
        .collect()
}

/// The mean rate per year from an eye's first to its last value (mm or D per year);
/// `None` with fewer than two values or under a day apart.
pub fn overall_rate(series: &[(NaiveDate, i32)], measure: Measure) -> Option<f64> {
    let (&(d0, v0), &(d1, v1)) = (series.first()?, series.last()?);
    let days = (d1 - d0).num_days();
    if days <= 0 {
        return None;
    }
    let unit = match measure {
        Measure::AxialLength => 1000.0,
        Measure::Ser => 100.0,
    };
    Some((v1 - v0) as f64 / unit / (days as f64 / 365.25))
}
