//! The eye-growth view: the reference used and named, the default by age, points oldest first
//! with percentile words and growth from the growth steps, the fast flag following the
//! thresholds, the report's summary sentence, and the names the UI reads.

mod common;

use chrono::NaiveDate;
use clinicdesk_domain::eye::{Eye, EyeExam, EyeReading};
use clinicdesk_domain::model::Sex;
use clinicdesk_domain::recall::RecallThresholds;
use clinicdesk_domain::Lang;
use clinicdesk_eyecare::growth::{age_at, overall_rate, series, steps, FastProgressionRule, Measure};
use clinicdesk_eyecare::reference::ReferenceId;
use clinicdesk_eyecare::report::{summary_sentence, ParentReport};
use clinicdesk_eyecare::view::{eye_view, EyeView, EyeViewInput};
use common::*;

fn view_of(exams: &[EyeExam], reference: Option<ReferenceId>, thresholds: &RecallThresholds, today: NaiveDate, lang: Lang) -> EyeView {
    eye_view(&EyeViewInput {
        patient_id: "p-1",
        patient_name: "林小雨",
        sex: Sex::Female,
        birth_date: birth(),
        exams,
        reference,
        thresholds,
        today,
        lang,
    })
    .expect("view")
}

fn view(reference: Option<ReferenceId>) -> EyeView {
    view_of(&exams(), reference, &RecallThresholds::default(), d(2025, 6, 1), Lang::ZhCn)
}

#[test]
fn the_chosen_reference_is_used_and_named_on_the_chart_and_in_the_footer() {
    let v = view(Some(ReferenceId::He2023));
    assert_eq!(v.reference, "he-2023");
    assert!(v.reference_chosen, "He 2023 is not the default at 10");
    assert_eq!(v.citation, ReferenceId::He2023.citation());
    for chart in [&v.od, &v.os] {
        assert!(chart.axial_svg.contains("He 2023"), "the axial chart names the reference");
        assert!(!chart.axial_svg.contains("Sanz Diez"));
    }
}

#[test]
fn without_a_choice_the_default_reference_for_the_age_is_used() {
    let v = view(None);
    assert_eq!((v.reference.as_str(), v.reference_chosen), ("sanz-diez-2022", false), "6–15 years: Sanz Diez");
    assert_eq!(v.citation, ReferenceId::SanzDiez2022.citation());
    assert!(!view(Some(ReferenceId::SanzDiez2022)).reference_chosen, "choosing the default is not a choice");

    // Latest exam at 16: outside Sanz Diez, He 2023 by default.
    let older = vec![exam(1, d(2031, 5, 12), (-300, 24800), (-250, 24700))];
    let v = view_of(&older, None, &RecallThresholds::default(), d(2031, 6, 1), Lang::ZhCn);
    assert_eq!((v.reference.as_str(), v.reference_chosen), ("he-2023", false));
}

#[test]
fn every_reference_is_offered_by_slug_with_its_name_in_the_language() {
    let v = view_of(&exams(), None, &RecallThresholds::default(), d(2025, 6, 1), Lang::En);
    let offered: Vec<(&str, &str)> = v.references.iter().map(|r| (r.slug.as_str(), r.name.as_str())).collect();
    assert_eq!(
        offered,
        vec![("sanz-diez-2022", ReferenceId::SanzDiez2022.display_name(Lang::En)), ("he-2023", ReferenceId::He2023.display_name(Lang::En))]
    );
}

#[test]
fn age_is_at_today_with_one_decimal_and_the_patient_is_as_given() {
    let v = view(None);
    // 2015-04-10 → 2025-06-01: 3705 days / 365.25 = 10.14
    assert_eq!(v.age_years, 10.1);
    assert_eq!(
        (v.patient_id.as_str(), v.patient_name.as_str(), v.sex, v.birth_date.as_str()),
        ("p-1", "林小雨", Sex::Female, "2015-04-10")
    );
}

#[test]
fn points_are_oldest_first_one_per_exam_with_percentile_words() {
    let mut shuffled = exams();
    shuffled.reverse();
    let v = view_of(&shuffled, None, &RecallThresholds::default(), d(2025, 6, 1), Lang::ZhCn);
    for (eye, chart) in [(Eye::Od, &v.od), (Eye::Os, &v.os)] {
        assert_eq!(chart.eye, eye);
        assert_eq!(chart.points.len(), 9);
        let dates: Vec<&str> = chart.points.iter().map(|p| p.examined_on.as_str()).collect();
        let mut sorted = dates.clone();
        sorted.sort();
        assert_eq!(dates, sorted, "oldest first");
        for p in &chart.points {
            let word = p.percentile.as_deref().expect("every point in range has a percentile");
            assert!(word.starts_with('P') || word.starts_with("< P") || word.starts_with("> P"), "{word}");
            assert!(p.z_score.is_some() && p.axial_mm.is_some() && p.ser_d.is_some());
        }
    }
    let first = &v.od.points[0];
    assert_eq!((first.examined_on.as_str(), first.axial_mm, first.ser_d, first.age_years), ("2021-05-12", Some(22.9), Some(0.38), 6.1));
}

#[test]
fn values_outside_the_published_curves_are_worded_below_or_above_them() {
    // 20.0 mm at 6 is under Sanz Diez P2; 27.0 mm over P98.
    let odd = vec![exam(1, d(2021, 5, 12), (50, 20000), (50, 27000))];
    let v = view_of(&odd, None, &RecallThresholds::default(), d(2021, 6, 1), Lang::ZhCn);
    assert_eq!(v.od.points[0].percentile.as_deref(), Some("< P2"));
    assert_eq!(v.os.points[0].percentile.as_deref(), Some("> P98"));
    // He 2023 gives no estimate outside P3–P95.
    let v = view_of(&odd, Some(ReferenceId::He2023), &RecallThresholds::default(), d(2021, 6, 1), Lang::ZhCn);
    assert_eq!((v.od.points[0].percentile.as_deref(), v.od.points[0].z_score), (Some("< P3"), None));
    assert_eq!(v.os.points[0].percentile.as_deref(), Some("> P95"));
}

#[test]
fn growth_and_physiological_rates_are_the_growth_steps() {
    let v = view(None);
    let rule = FastProgressionRule::default();
    let al = steps(&exams(), Eye::Od, Measure::AxialLength, Sex::Female, birth(), ReferenceId::SanzDiez2022, &rule);
    let first = &v.od.points[0];
    assert_eq!(first.growth_mm_per_year, None, "no previous exam");
    assert_eq!(
        first.physiological_mm_per_year,
        ReferenceId::SanzDiez2022.median_growth_mm_per_year(Sex::Female, age_at(birth(), d(2021, 5, 12)))
    );
    for (p, s) in v.od.points[1..].iter().zip(&al) {
        assert_eq!(p.growth_mm_per_year, Some(s.per_year));
        assert_eq!(p.physiological_mm_per_year, s.reference_mm_per_year);
    }
    // SER 0.38 D → −2.63 D over four years: the whole record's yearly rate.
    assert_eq!(v.od.ser_rate_d_per_year, overall_rate(&series(&exams(), Eye::Od, Measure::Ser), Measure::Ser));
    let rate = v.od.ser_rate_d_per_year.unwrap();
    assert!((rate - (-3.01 / (1461.0 / 365.25))).abs() < 1e-9, "{rate}");
}

#[test]
fn fast_flag_follows_the_thresholds() {
    let v = view(None);
    assert!(!v.od.points[0].fast, "the first exam has no step");
    assert!(v.od.points[8].fast, "right eye: +0.25 mm and −0.75 D in half a year");
    assert!(!v.os.points.iter().any(|p| p.fast), "left eye grows ≤ 0.22 mm/yr and −0.50 D/yr");

    // The same exams, but steps under 200 days never flagged: nothing is fast.
    let patient = RecallThresholds { ortho_k_short_window_months: 8, window_tolerance_days: 40, ..RecallThresholds::default() };
    let v = view_of(&exams(), None, &patient, d(2025, 6, 1), Lang::ZhCn);
    assert!(![&v.od, &v.os].iter().any(|c| c.points.iter().any(|p| p.fast)));

    // SER alone at its edge: 1.00 D/yr over a year is fast (≥), axial growth kept slow.
    let ser_only = vec![exam(1, d(2021, 5, 12), (-100, 23000), (0, 23000)), exam(2, d(2022, 5, 12), (-200, 23100), (0, 23100))];
    let v = view_of(&ser_only, None, &RecallThresholds::default(), d(2022, 6, 1), Lang::ZhCn);
    // 365 days < 365.25: −1.00 D is a touch over 1.00 D/yr.
    assert!(v.od.points[1].fast && !v.os.points[1].fast);
    let stricter = RecallThresholds { ortho_k_long_window_cd: 75, ..RecallThresholds::default() };
    let v = view_of(&ser_only, None, &stricter, d(2022, 6, 1), Lang::ZhCn);
    assert!(!v.od.points[1].fast, "at 1.50 D/yr the same step is not fast");
}

#[test]
fn summary_is_the_parent_report_sentence_in_the_language() {
    for lang in [Lang::ZhCn, Lang::ZhTw, Lang::En] {
        let v = view_of(&exams(), None, &RecallThresholds::default(), d(2025, 6, 1), lang);
        let report = ParentReport {
            clinic_name: String::new(),
            store_name: String::new(),
            report_date: d(2025, 6, 1),
            patient_name: "林小雨".into(),
            sex: Sex::Female,
            birth_date: birth(),
            exams: exams(),
            reference: None,
            thresholds: RecallThresholds::default(),
            lang,
        };
        assert_eq!(v.summary, summary_sentence(&report));
    }
}

#[test]
fn an_eye_never_measured_has_no_points_and_no_rate() {
    let mut only_right = exams();
    for e in &mut only_right {
        e.os = EyeReading::empty(Eye::Os);
    }
    let v = view_of(&only_right, None, &RecallThresholds::default(), d(2025, 6, 1), Lang::En);
    assert_eq!((v.os.points.len(), v.os.ser_rate_d_per_year), (0, None));
    assert!(v.os.axial_svg.starts_with("<svg") && v.os.ser_svg.contains("No data yet"));
    assert_eq!(v.od.points.len(), 9);
}

#[test]
fn serialises_with_the_names_the_ui_reads() {
    let json = serde_json::to_value(view(None)).unwrap();
    for key in [
        "patientId",
        "patientName",
        "sex",
        "birthDate",
        "ageYears",
        "reference",
        "referenceChosen",
        "references",
        "citation",
        "od",
        "os",
        "summary",
    ] {
        assert!(json.get(key).is_some(), "EyeView.{key}");
    }
    assert_eq!(json["sex"], "female");
    let od = &json["od"];
    assert_eq!(od["eye"], "od");
    for key in ["axialSvg", "serSvg", "serRateDPerYear", "points"] {
        assert!(od.get(key).is_some(), "EyeChart.{key}");
    }
    let p = &od["points"][1];
    for key in
        ["examId", "examinedOn", "ageYears", "axialMm", "zScore", "percentile", "growthMmPerYear", "physiologicalMmPerYear", "fast", "serD"]
    {
        assert!(p.get(key).is_some(), "ChartPoint.{key}");
    }
    assert_eq!(json["references"][0]["slug"], "sanz-diez-2022");
}
