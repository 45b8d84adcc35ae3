use clinicdesk_domain::model::Sex;
use clinicdesk_domain::Lang;
use clinicdesk_eyecare::reference::{assess, default_for_age, describe, format_percentile, AssessError, Band, ReferenceId};
use clinicdesk_eyecare::stats::{normal_cdf, normal_quantile};

const SEXES: [Sex; 2] = [Sex::Female, Sex::Male];

#[test]
fn sanz_diez_reproduces_every_published_percentile_cell_within_0_01_mm() {
    let csv = clinicdesk_eyecare::reference::SANZ_DIEZ_2022_CSV;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut cells = 0;
    for line in lines {
        let cols: Vec<&str> = line.split(',').collect();
        let (m, s): (f64, f64) = (cols[3].parse().unwrap(), cols[4].parse().unwrap());
        assert_eq!(cols[2], "1.0", "L is 1 at every age");
        for (name, value) in header.iter().zip(&cols).skip(5) {
            let p: f64 = name[1..].parse().unwrap();
            let published: f64 = value.parse().unwrap();
            let from_lms = m * (1.0 + s * normal_quantile(p / 100.0));
            assert!((from_lms - published).abs() <= 0.01, "{} age {} {name}: LMS {from_lms:.4} vs {published}", cols[0], cols[1]);
            // And the assessment of the published cell lands on (about) that percentile.
            let sex = if cols[0] == "F" { Sex::Female } else { Sex::Male };
            let a = assess(ReferenceId::SanzDiez2022, sex, cols[1].parse().unwrap(), published).unwrap();
            let z_err = (a.z.unwrap() - normal_quantile(p / 100.0)).abs();
            assert!(z_err * s * m <= 0.01, "{} age {} {name}: z off by {z_err}", cols[0], cols[1]);
            cells += 1;
        }
    }
    assert_eq!(cells, 20 * 9);
}

#[test]
fn he_2023_published_cells_give_exactly_their_percentile() {
    let r = ReferenceId::He2023;
    assert_eq!(r.percentiles(), &[3.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0]);
    let mut cells = 0;
    for sex in SEXES {
        for (age, row) in r.rows(sex) {
            for (p, v) in r.percentiles().iter().zip(row) {
                let a = assess(r, sex, age, *v).unwrap();
                assert_eq!(a.percentile, Some(*p), "{sex:?} {age} P{p}");
                assert_eq!(a.band, Band::Within);
                assert!((a.z.unwrap() - normal_quantile(p / 100.0)).abs() < 1e-12);
                cells += 1;
            }
        }
    }
    assert_eq!(cells, 2 * 15 * 8);
}

#[test]
fn sanz_diez_interpolates_m_and_s_linearly_between_whole_ages() {
    // Girls 9 → 10: M 23.71 → 23.94, S 0.0389 → 0.0395.
    let r = ReferenceId::SanzDiez2022;
    let m = 23.71 + 0.25 * (23.94 - 23.71);
    let s = 0.0389 + 0.25 * (0.0395 - 0.0389);
    let a = assess(r, Sex::Female, 9.25, m).unwrap();
    assert!(a.z.unwrap().abs() < 1e-12 && (a.percentile.unwrap() - 50.0).abs() < 1e-9);
    let a = assess(r, Sex::Female, 9.25, m * (1.0 + s)).unwrap();
    assert!((a.z.unwrap() - 1.0).abs() < 1e-12, "z {:?}", a.z);
    assert!((a.percentile.unwrap() - 100.0 * normal_cdf(1.0)).abs() < 1e-9);
    // At a whole age the row is used as published; the top age is included.
    let a = assess(r, Sex::Male, 15.0, 25.07).unwrap();
    assert!(a.z.unwrap().abs() < 1e-12);
    assert_eq!(r.median(Sex::Female, 9.25), Some(m));
}

#[test]
fn he_2023_interpolates_in_age_then_in_z_between_the_bounding_curves() {
    let r = ReferenceId::He2023;
    // Boys 9.5: P50 (23.76 + 23.99) / 2 = 23.875, P75 (24.36 + 24.64) / 2 = 24.50.
    let (p50, p75) = (23.875, 24.50);
    assert!((r.curve_value(Sex::Male, 75.0, 9.5).unwrap() - p75).abs() < 1e-12);
    let a = assess(r, Sex::Male, 9.5, p50 + 0.5 * (p75 - p50)).unwrap();
    let z75 = normal_quantile(0.75);
    assert!((a.z.unwrap() - z75 / 2.0).abs() < 1e-12, "half-way in z: {:?}", a.z);
    assert!((a.percentile.unwrap() - 100.0 * normal_cdf(z75 / 2.0)).abs() < 1e-9);
    assert!(a.percentile.unwrap() > 50.0 && a.percentile.unwrap() < 75.0);
    // Within 3..5 the estimate stays between them.
    let a = assess(r, Sex::Female, 4.0, 20.80).unwrap();
    assert!(a.percentile.unwrap() > 3.0 && a.percentile.unwrap() < 5.0);
}

#[test]
fn outside_the_published_curves_the_band_names_the_bound_in_every_language() {
    let r = ReferenceId::He2023;
    let below = assess(r, Sex::Male, 9.0, 22.26).unwrap();
    assert_eq!((below.band, below.z, below.percentile), (Band::Below { bound: "P3" }, None, None));
    let above = assess(r, Sex::Male, 9.0, 25.31).unwrap();
    assert_eq!(above.band, Band::Above { bound: "P95" });
    assert_eq!(describe(&below, Lang::ZhCn), "低于同龄参考 P3 曲线（He 2023（上海儿童，4–18 岁））");
    assert_eq!(describe(&below, Lang::ZhTw), "低於同齡參考 P3 曲線（He 2023（上海兒童，4–18 歲））");
    assert_eq!(describe(&below, Lang::En), "below P3 of the reference (He 2023 (Shanghai children, 4–18 y))");
    assert_eq!(describe(&above, Lang::ZhCn), "高于同龄参考 P95 曲线（He 2023（上海儿童，4–18 岁））");
    assert_eq!(describe(&above, Lang::En), "above P95 of the reference (He 2023 (Shanghai children, 4–18 y))");
    // Sanz Diez has z beyond P2/P98, and still names the band.
    let s = assess(ReferenceId::SanzDiez2022, Sex::Female, 6.0, 24.5).unwrap();
    assert_eq!(s.band, Band::Above { bound: "P98" });
    assert!(s.z.unwrap() > 2.05 && s.percentile.unwrap() > 98.0);
    assert!(describe(&s, Lang::ZhCn).starts_with("高于同龄参考 P98 曲线"));
    let within = assess(ReferenceId::SanzDiez2022, Sex::Female, 9.0, 24.34).unwrap();
    assert_eq!(describe(&within, Lang::En), "at P75 for age and sex (z = +0.68, Sanz Diez 2022 (Wuhan children, 6–15 y))");
    assert_eq!(format_percentile(99.62), "P99.6");
    assert_eq!(format_percentile(2.0), "P2");
    assert_eq!(format_percentile(50.4), "P50");
}

#[test]
fn ages_outside_a_reference_are_refused_with_its_range() {
    let e = assess(ReferenceId::SanzDiez2022, Sex::Female, 5.9, 22.0).unwrap_err();
    assert_eq!(e, AssessError::AgeOutOfRange { reference: ReferenceId::SanzDiez2022, age: 5.9, min: 6.0, max: 15.0 });
    assert_eq!(e.message(Lang::ZhCn), "Sanz Diez 2022（武汉儿童，6–15 岁） 只适用于 6–15 岁，此时年龄 5.9 岁");
    assert_eq!(e.message(Lang::En), "Sanz Diez 2022 (Wuhan children, 6–15 y) covers ages 6–15; the age here is 5.9");
    assert!(assess(ReferenceId::He2023, Sex::Male, 18.01, 24.0).is_err());
    assert!(matches!(assess(ReferenceId::He2023, Sex::Male, 9.0, f64::NAN), Err(AssessError::InvalidLength(_))));
}

#[test]
fn default_reference_is_sanz_diez_from_6_to_15_and_he_2023_outside() {
    let cases = [
        (4.0, ReferenceId::He2023),
        (5.99, ReferenceId::He2023),
        (6.0, ReferenceId::SanzDiez2022),
        (15.0, ReferenceId::SanzDiez2022),
        (15.01, ReferenceId::He2023),
    ];
    for (age, r) in cases {
        assert_eq!(default_for_age(age), r, "age {age}");
    }
    assert_eq!(ReferenceId::parse("HE-2023"), Some(ReferenceId::He2023));
    assert_eq!(ReferenceId::parse("sanz-diez-2022"), Some(ReferenceId::SanzDiez2022));
    assert!(ReferenceId::SanzDiez2022.citation().contains("doi:10.1038/s41598-022-08907-5"));
}

#[test]
fn reference_growth_is_the_slope_of_the_median_curve_at_that_age() {
    let r = ReferenceId::SanzDiez2022;
    let g = r.median_growth_mm_per_year(Sex::Female, 6.5).unwrap();
    assert!((g - (22.94 - 22.52)).abs() < 1e-12);
    let g = r.median_growth_mm_per_year(Sex::Female, 9.0).unwrap();
    assert!((g - (23.94 - 23.71)).abs() < 1e-12, "a whole age takes the segment that starts there");
    let g = r.median_growth_mm_per_year(Sex::Male, 15.0).unwrap();
    assert!((g - (25.07 - 24.98)).abs() < 1e-12, "the top age takes the last segment");
    assert_eq!(r.median_growth_mm_per_year(Sex::Male, 16.0), None);
    let h = ReferenceId::He2023.median_growth_mm_per_year(Sex::Male, 17.5).unwrap();
    assert!((h - (25.41 - 25.28)).abs() < 1e-12);
}
