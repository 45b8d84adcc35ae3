//! Published axial-length references (DOMAIN.md §7; `reference/README.md` beside this crate
//! has the citations and licences) and where a child's axial length falls on them.
//!
//! - **Sanz Diez 2022** (Wuhan, ages 6–15): LMS with L = 1 at every age, so
//!   `z = (AL / M − 1) / S` with M and S interpolated linearly between whole ages, and the
//!   percentile is Φ(z). Outside the published P2–P98 curves the band says so, but z and
//!   the percentile are still given (the LMS model defines them).
//! - **He 2023** (Shanghai, ages 4–18): no LMS. Each published curve is interpolated
//!   linearly in age; between the two curves that bracket the child's value the position is
//!   interpolated in z-space (z of the bounding percentiles), then mapped back with Φ.
//!   Below P3 or above P95 there is no estimate: `z` and `percentile` are `None`.

use std::fmt;
use std::sync::OnceLock;

use clinicdesk_domain::model::Sex;
use clinicdesk_domain::Lang;
use serde::{Deserialize, Serialize};

use crate::stats::{normal_cdf, normal_quantile};

pub const SANZ_DIEZ_2022_CSV: &str = include_str!("../reference/axial_length_sanz_diez_2022.csv");
pub const HE_2023_CSV: &str = include_str!("../reference/axial_length_he_2023.csv");
pub const TRUCKENBROD_2020_CSV: &str = include_str!("../reference/refraction_truckenbrod_2020.csv");
pub const REFERENCE_README: &str = include_str!("../reference/README.md");

/// Which published axial-length reference a chart or percentile uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceId {
    /// Sanz Diez et al., Sci Rep 2022 (Wuhan, 6–15 years, LMS).
    #[serde(rename = "sanz-diez-2022")]
    SanzDiez2022,
    /// He et al., Br J Ophthalmol 2023 (Shanghai, 4–18 years, P3–P95).
    #[serde(rename = "he-2023")]
    He2023,
}

impl ReferenceId {
    pub const ALL: [ReferenceId; 2] = [ReferenceId::SanzDiez2022, ReferenceId::He2023];

    /// The command-line / JSON name: `sanz-diez-2022`, `he-2023`.
    pub fn slug(self) -> &'static str {
        match self {
            ReferenceId::SanzDiez2022 => "sanz-diez-2022",
            ReferenceId::He2023 => "he-2023",
        }
    }

    pub fn parse(s: &str) -> Option<ReferenceId> {
        ReferenceId::ALL.into_iter().find(|r| r.slug().eq_ignore_ascii_case(s.trim()))
    }

    /// The name shown on every chart and report that uses the reference.
    pub fn display_name(self, lang: Lang) -> &'static str {
        match self {
            ReferenceId::SanzDiez2022 => lang.pick(
                "Sanz Diez 2022（武汉儿童，6–15 岁）",
                "Sanz Diez 2022（武漢兒童，6–15 歲）",
                "Sanz Diez 2022 (Wuhan children, 6–15 y)",
            ),
            ReferenceId::He2023 => {
                lang.pick("He 2023（上海儿童，4–18 岁）", "He 2023（上海兒童，4–18 歲）", "He 2023 (Shanghai children, 4–18 y)")
            }
        }
    }

    /// The full citation (the same in every language, as published).
    pub fn citation(self) -> &'static str {
        match self {
            ReferenceId::SanzDiez2022 => {
                "Sanz Diez P, Yang L-H, Lu M-X, Kiess W, Wahl S. LMS parameters, percentile, and Z-score growth curves for axial \
                 length in Chinese schoolchildren in Wuhan. Sci Rep 2022;12:4850. doi:10.1038/s41598-022-08907-5. CC BY 4.0."
            }
            ReferenceId::He2023 => {
                "He X, Sankaridurg P, Naduvilath T, et al. Normative data and percentile curves for axial length and axial \
                 length/corneal curvature in Chinese children and adolescents aged 4-18 years. Br J Ophthalmol 2023;107(2):167-175. \
                 doi:10.1136/bjophthalmol-2021-319431."
            }
        }
    }

    /// The ages (years) the reference covers, inclusive.
    pub fn age_range(self) -> (f64, f64) {
        let t = self.table();
        (t.female[0].age, t.female[t.female.len() - 1].age)
    }

    /// The published percentile curves, lowest first (e.g. `[2, 5, 10, …, 98]`).
    pub fn percentiles(self) -> &'static [f64] {
        &self.table().percentiles
    }

    /// The published rows for one sex: (age, one value per [`Self::percentiles`]).
    pub fn rows(self, sex: Sex) -> impl Iterator<Item = (f64, &'static [f64])> {
        self.table().rows(sex).iter().map(|r| (r.age, r.cells.as_slice()))
    }

    /// The axial length (mm) of the published curve `percentile` at `age`, interpolated
    /// linearly between whole ages. `None` outside the age range or for a curve the
    /// reference does not publish.
    pub fn curve_value(self, sex: Sex, percentile: f64, age: f64) -> Option<f64> {
        let t = self.table();
        let i = t.percentiles.iter().position(|p| *p == percentile)?;
        let (lo, hi, f) = t.bracket(sex, age)?;
        Some(lerp(lo.cells[i], hi.cells[i], f))
    }

    /// The median (P50) axial length at `age`.
    pub fn median(self, sex: Sex, age: f64) -> Option<f64> {
        self.curve_value(sex, 50.0, age)
    }

    /// Growth of the reference median at `age` in mm per year: the slope of the P50 curve
    /// over the whole-year segment that holds `age` (the last segment at the top age).
    /// This is the growth of the median child of that population, myopes included.
    pub fn median_growth_mm_per_year(self, sex: Sex, age: f64) -> Option<f64> {
        let t = self.table();
        let rows = t.rows(sex);
        let i50 = t.percentiles.iter().position(|p| *p == 50.0)?;
        let (min, max) = self.age_range();
        if !(min..=max).contains(&age) {
            return None;
        }
        let k = rows.iter().rposition(|r| r.age <= age)?.min(rows.len() - 2);
        let (a, b) = (&rows[k], &rows[k + 1]);
        Some((b.cells[i50] - a.cells[i50]) / (b.age - a.age))
    }

    fn table(self) -> &'static Table {
        static SANZ: OnceLock<Table> = OnceLock::new();
        static HE: OnceLock<Table> = OnceLock::new();
        match self {
            ReferenceId::SanzDiez2022 => SANZ.get_or_init(|| Table::parse(SANZ_DIEZ_2022_CSV)),
            ReferenceId::He2023 => HE.get_or_init(|| Table::parse(HE_2023_CSV)),
        }
    }
}

impl fmt::Display for ReferenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// The reference to use by default at an age: Sanz Diez (Wuhan) for 6–15 years, He 2023
/// outside that (it covers 4–18).
pub fn default_for_age(age: f64) -> ReferenceId {
    if (6.0..=15.0).contains(&age) {
        ReferenceId::SanzDiez2022
    } else {
        ReferenceId::He2023
    }
}

/// Where a value lies relative to the outermost published curves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "band", rename_all = "snake_case")]
pub enum Band {
    /// Below the lowest published curve (named, e.g. "P3").
    Below {
        bound: &'static str,
    },
    Within,
    /// Above the highest published curve (named, e.g. "P95").
    Above {
        bound: &'static str,
    },
}

/// A child's axial length placed on a reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Assessment {
    pub reference: ReferenceId,
    /// z-score; `None` when the reference cannot estimate it (He 2023 outside P3–P95).
    pub z: Option<f64>,
    /// Percentile 0–100; `None` when `z` is.
    pub percentile: Option<f64>,
    pub band: Band,
}

/// Why an assessment could not be made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AssessError {
    AgeOutOfRange {
        reference: ReferenceId,
        age: f64,
        min: f64,
        max: f64,
    },
    /// Axial length not a positive finite number.
    InvalidLength(f64),
}

impl AssessError {
    pub fn message(&self, lang: Lang) -> String {
        match *self {
            AssessError::AgeOutOfRange { reference, age, min, max } => match lang {
                Lang::ZhCn => format!("{} 只适用于 {min:.0}–{max:.0} 岁，此时年龄 {age:.1} 岁", reference.display_name(lang)),
                Lang::ZhTw => format!("{} 只適用於 {min:.0}–{max:.0} 歲，此時年齡 {age:.1} 歲", reference.display_name(lang)),
                Lang::En => format!("{} covers ages {min:.0}–{max:.0}; the age here is {age:.1}", reference.display_name(lang)),
            },
            AssessError::InvalidLength(v) => match lang {
                Lang::ZhCn => format!("眼轴长度无效：{v}"),
                Lang::ZhTw => format!("眼軸長度無效：{v}"),
                Lang::En => format!("invalid axial length: {v}"),
            },
        }
    }
}

impl fmt::Display for AssessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for AssessError {}

/// Places an axial length (mm) at an age (years, fractional) on a reference.
pub fn assess(reference: ReferenceId, sex: Sex, age: f64, axial_length_mm: f64) -> Result<Assessment, AssessError> {
    if !axial_length_mm.is_finite() || axial_length_mm <= 0.0 {
        return Err(AssessError::InvalidLength(axial_length_mm));
    }
    let t = reference.table();
    let Some((lo, hi, f)) = t.bracket(sex, age) else {
        let (min, max) = reference.age_range();
        return Err(AssessError::AgeOutOfRange { reference, age, min, max });
    };
    let pcts = &t.percentiles;
    let (low_name, high_name) = (t.names[0], t.names[t.names.len() - 1]);
    match reference {
        ReferenceId::SanzDiez2022 => {
            let (lo_lms, hi_lms) = (lo.lms.expect("LMS row"), hi.lms.expect("LMS row"));
            let m = lerp(lo_lms.1, hi_lms.1, f);
            let s = lerp(lo_lms.2, hi_lms.2, f);
            let z = (axial_length_mm / m - 1.0) / s;
            let percentile = 100.0 * normal_cdf(z);
            let band = if percentile < pcts[0] {
                Band::Below { bound: low_name }
            } else if percentile > pcts[pcts.len() - 1] {
                Band::Above { bound: high_name }
            } else {
                Band::Within
            };
            Ok(Assessment { reference, z: Some(z), percentile: Some(percentile), band })
        }
        ReferenceId::He2023 => {
            let curve: Vec<f64> = lo.cells.iter().zip(&hi.cells).map(|(a, b)| lerp(*a, *b, f)).collect();
            let last = curve.len() - 1;
            if axial_length_mm < curve[0] {
                return Ok(Assessment { reference, z: None, percentile: None, band: Band::Below { bound: low_name } });
            }
            if axial_length_mm > curve[last] {
                return Ok(Assessment { reference, z: None, percentile: None, band: Band::Above { bound: high_name } });
            }
            // On a published curve: exactly its percentile.
            if let Some(i) = curve.iter().position(|c| (c - axial_length_mm).abs() < 1e-9) {
                return Ok(Assessment {
                    reference,
                    z: Some(normal_quantile(pcts[i] / 100.0)),
                    percentile: Some(pcts[i]),
                    band: Band::Within,
                });
            }
            let j = curve.iter().position(|c| *c > axial_length_mm).expect("inside the curves");
            let (z0, z1) = (normal_quantile(pcts[j - 1] / 100.0), normal_quantile(pcts[j] / 100.0));
            let t = (axial_length_mm - curve[j - 1]) / (curve[j] - curve[j - 1]);
            let z = lerp(z0, z1, t);
            Ok(Assessment { reference, z: Some(z), percentile: Some(100.0 * normal_cdf(z)), band: Band::Within })
        }
    }
}

/// "P78", "P3.4", "P99.6": a percentile as shown to people (whole numbers from 10 to 90,
/// one decimal outside, so the tails do not round to P0/P100).
pub fn format_percentile(p: f64) -> String {
    if (9.95..=90.05).contains(&p) {
        format!("P{:.0}", p)
    } else {
        let s = format!("{:.1}", p);
        format!("P{}", s.trim_end_matches(".0"))
    }
}

/// Where an assessment puts the child, in a word: "P62" within the published curves (as
/// [`format_percentile`]), "< P3" / "> P95" outside them (the same in every language).
pub fn percentile_word(a: &Assessment) -> Option<String> {
    match (a.band, a.percentile) {
        (Band::Within, Some(p)) => Some(format_percentile(p)),
        (Band::Below { bound }, _) => Some(format!("< {bound}")),
        (Band::Above { bound }, _) => Some(format!("> {bound}")),
        (Band::Within, None) => None,
    }
}

/// One phrase for an assessment, e.g. "处于同龄参考第 78 百分位（z = +0.77）" /
/// "below P3 of the reference".
pub fn describe(a: &Assessment, lang: Lang) -> String {
    let name = a.reference.display_name(lang);
    match (a.band, a.percentile, a.z) {
        (Band::Below { bound }, _, _) => match lang {
            Lang::ZhCn => format!("低于同龄参考 {bound} 曲线（{name}）"),
            Lang::ZhTw => format!("低於同齡參考 {bound} 曲線（{name}）"),
            Lang::En => format!("below {bound} of the reference ({name})"),
        },
        (Band::Above { bound }, _, _) => match lang {
            Lang::ZhCn => format!("高于同龄参考 {bound} 曲线（{name}）"),
            Lang::ZhTw => format!("高於同齡參考 {bound} 曲線（{name}）"),
            Lang::En => format!("above {bound} of the reference ({name})"),
        },
        (Band::Within, Some(p), Some(z)) => {
            let pct = format_percentile(p);
            match lang {
                Lang::ZhCn => format!("处于同龄参考 {pct} 百分位（z = {z:+.2}，{name}）"),
                Lang::ZhTw => format!("處於同齡參考 {pct} 百分位（z = {z:+.2}，{name}）"),
                Lang::En => format!("at {pct} for age and sex (z = {z:+.2}, {name})"),
            }
        }
        (Band::Within, _, _) => lang.pick("在参考范围内", "在參考範圍內", "within the reference range").to_string(),
    }
}

fn lerp(a: f64, b: f64, t: f64) -> f64 {
    a + (b - a) * t
}

#[derive(Debug)]
struct Row {
    age: f64,
    /// (L, M, S) when published.
    lms: Option<(f64, f64, f64)>,
    cells: Vec<f64>,
}

#[derive(Debug)]
struct Table {
    percentiles: Vec<f64>,
    /// "P2", "P5", …
    names: Vec<&'static str>,
    female: Vec<Row>,
    male: Vec<Row>,
}

impl Table {
    /// Parses one of the shipped CSVs (`sex,age,[L,M,S,]P…`). They are part of the binary
    /// and covered by tests, so a malformed file is a programming error.
    fn parse(csv: &'static str) -> Table {
        let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<&'static str> = lines.next().expect("header").split(',').map(str::trim).collect();
        let has_lms = header.contains(&"M");
        let first_p = header.iter().position(|h| h.starts_with('P')).expect("percentile columns");
        let names: Vec<&'static str> = header[first_p..].to_vec();
        let percentiles = names.iter().map(|n| n[1..].parse::<f64>().expect("percentile name")).collect();
        let (mut female, mut male) = (Vec::new(), Vec::new());
        for line in lines {
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            let num = |i: usize| cols[i].parse::<f64>().expect("number");
            let lms = has_lms.then(|| (num(2), num(3), num(4)));
            let row = Row { age: num(1), lms, cells: (first_p..cols.len()).map(num).collect() };
            match cols[0] {
                "F" => female.push(row),
                "M" => male.push(row),
                other => panic!("unknown sex {other}"),
            }
        }
        female.sort_by(|a, b| a.age.total_cmp(&b.age));
        male.sort_by(|a, b| a.age.total_cmp(&b.age));
        Table { percentiles, names, female, male }
    }

    fn rows(&self, sex: Sex) -> &[Row] {
        match sex {
            Sex::Female => &self.female,
            Sex::Male => &self.male,
        }
    }

    /// The rows around `age` and the fraction of the way from the first to the second.
    fn bracket(&self, sex: Sex, age: f64) -> Option<(&Row, &Row, f64)> {
        let rows = self.rows(sex);
        if !age.is_finite() || age < rows[0].age || age > rows[rows.len() - 1].age {
            return None;
        }
        let k = rows.iter().rposition(|r| r.age <= age)?;
        if k == rows.len() - 1 {
            return Some((&rows[k], &rows[k], 0.0));
        }
        let (a, b) = (&rows[k], &rows[k + 1]);
        Some((a, b, (age - a.age) / (b.age - a.age)))
    }
}
