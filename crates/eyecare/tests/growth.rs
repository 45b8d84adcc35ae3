mod common;

use clinicdesk_domain::eye::Eye;
use clinicdesk_domain::model::Sex;
use clinicdesk_domain::recall::RecallThresholds;
use clinicdesk_eyecare::growth::{age_at, overall_rate, series, steps, FastProgressionRule, Measure, DEFAULT_FAST_AXIAL_UM_PER_YEAR};
use clinicdesk_eyecare::reference::ReferenceId;
use common::*;

#[test]
fn fast_progression_rule_comes_from_the_recall_thresholds() {
    let rule = FastProgressionRule::from_thresholds(&RecallThresholds::default());
    assert_eq!(
        rule,
        FastProgressionRule { ser_cd_per_year: 100, axial_um_per_year: DEFAULT_FAST_AXIAL_UM_PER_YEAR, min_interval_days: 60 }
    );
    let custom = RecallThresholds { ortho_k_long_window_cd: 75, ortho_k_short_window_months: 4, ..RecallThresholds::default() };
    let rule = FastProgressionRule::from_thresholds(&custom);
    assert_eq!((rule.ser_cd_per_year, rule.min_interval_days), (150, 90));
}

#[test]
fn ser_flag_is_at_or_above_one_dioptre_a_year_at_its_edge() {
    let rule = FastProgressionRule::default();
    // 1461 days = 4 years of 365.25 days.
    assert!(rule.ser_is_fast(400, 1461), "exactly 1.00 D/yr is fast (≥, as the ortho-k rule)");
    assert!(!rule.ser_is_fast(399, 1461), "just under 1.00 D/yr is not");
    assert!(!rule.ser_is_fast(-400, 1461), "hyperopic shift is never fast");
    assert!(rule.ser_is_fast(50, 60), "a 60-day step can be flagged");
    assert!(!rule.ser_is_fast(50, 59), "shorter steps never are");
}

#[test]
fn axial_flag_is_strictly_above_0_30_mm_a_year_at_its_edge() {
    let rule = FastProgressionRule::default();
    assert!(!rule.axial_is_fast(1200, 1461), "exactly 0.30 mm/yr is not fast (> 0.3)");
    assert!(rule.axial_is_fast(1201, 1461), "just over is");
    assert!(!rule.axial_is_fast(500, 59), "under the minimum interval nothing is flagged");
    assert!(rule.axial_is_fast(500, 60));
}

#[test]
fn growth_per_year_between_consecutive_exams_per_eye() {
    let exams = exams();
    let rule = FastProgressionRule::default();
    let od = steps(&exams, Eye::Od, Measure::AxialLength, Sex::Female, birth(), ReferenceId::SanzDiez2022, &rule);
    assert_eq!(od.len(), 8);
    let last = &od[7];
    assert_eq!((last.from, last.to, last.change), (d(2024, 11, 12), d(2025, 5, 12), 250));
    let days = (last.to - last.from).num_days() as f64;
    assert!((last.per_year - 0.25 / (days / 365.25)).abs() < 1e-12);
    assert!(last.fast, "0.25 mm in half a year is fast");
    assert!(!od[0].fast, "0.15 mm in half a year is not");
    let mid = (last.from_age + last.to_age) / 2.0;
    assert_eq!(last.reference_mm_per_year, ReferenceId::SanzDiez2022.median_growth_mm_per_year(Sex::Female, mid));
    let ser = steps(&exams, Eye::Od, Measure::Ser, Sex::Female, birth(), ReferenceId::SanzDiez2022, &rule);
    // SER = sphere + cyl/2 with cylinder -0.25, rounded by the domain's ser_cd.
    assert_eq!((ser[7].from_value, ser[7].to_value, ser[7].change), (-188, -263, -75));
    assert!(ser[7].fast && !ser[0].fast);
    assert_eq!(ser[7].reference_mm_per_year, None);
    let s = series(&exams, Eye::Os, Measure::AxialLength);
    let rate = overall_rate(&s, Measure::AxialLength).unwrap();
    assert!((rate - 0.77 / ((d(2025, 5, 12) - d(2021, 5, 12)).num_days() as f64 / 365.25)).abs() < 1e-12);
    assert!((age_at(birth(), d(2025, 4, 10)) - 3653.0 / 365.25).abs() < 1e-12);
}

#[test]
fn same_day_exams_count_once_and_missing_readings_are_skipped() {
    let mut exams = exams();
    let mut again = exams[8].clone();
    again.id = uuid::Uuid::from_u128(99);
    again.od.axial_length_um = Some(24_100);
    exams.push(again);
    exams[4].od.axial_length_um = None;
    let s = series(&exams, Eye::Od, Measure::AxialLength);
    assert_eq!(s.len(), 8);
    assert_eq!(s.last().unwrap().1, 24_100, "the later exam of the day (by id) wins");
}
