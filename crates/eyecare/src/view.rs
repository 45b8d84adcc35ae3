//! The eye-growth screen's data (DOMAIN.md §7): both eyes' charts as SVG, one point per exam
//! with its percentile and growth, the reference used and the plain-language summary. Built
//! only from what the other modules compute (charts, growth steps, assessments, the report's
//! summary sentence); this module adds no rule of its own. Pure: `today` is an argument.

use chrono::NaiveDate;
use clinicdesk_domain::eye::{ser_cd, Eye, EyeExam};
use clinicdesk_domain::model::Sex;
use clinicdesk_domain::recall::RecallThresholds;
use clinicdesk_domain::Lang;
use serde::Serialize;

use crate::chart::{axial_chart_svg, ser_chart_svg, ChartError, ChartInput};
use crate::growth::{age_at, overall_rate, series, steps, FastProgressionRule, Measure, Step};
use crate::reference::{assess, percentile_word, ReferenceId};
use crate::report::{summary_sentence, ParentReport};

/// A patient's eye-growth view: both eyes, on one reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EyeView {
    pub patient_id: String,
    pub patient_name: String,
    pub sex: Sex,
    /// YYYY-MM-DD.
    pub birth_date: String,
    /// Age today, one decimal.
    pub age_years: f64,
    /// The slug of the reference used: "sanz-diez-2022" or "he-2023".
    pub reference: String,
    /// False when the reference used is the default for the age.
    pub reference_chosen: bool,
    pub references: Vec<ReferenceOption>,
    /// The used reference's citation, for the footer.
    pub citation: String,
    pub od: EyeChart,
    pub os: EyeChart,
    /// The one plain-language sentence of the parent report, in the view's language.
    pub summary: String,
}

/// A reference the clinician may choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReferenceOption {
    pub slug: String,
    pub name: String,
}

/// One eye's charts and points.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EyeChart {
    pub eye: Eye,
    /// Axial length on the reference's percentile curves (latest point highlighted).
    pub axial_svg: String,
    /// SER trend with its yearly rate.
    pub ser_svg: String,
    /// SER change per year from the first to the last exam that measured it (D/year).
    pub ser_rate_d_per_year: Option<f64>,
    /// One per exam that measured this eye, oldest first.
    pub points: Vec<ChartPoint>,
}

/// One exam of one eye.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChartPoint {
    pub exam_id: String,
    /// YYYY-MM-DD.
    pub examined_on: String,
    /// Age at the exam, one decimal.
    pub age_years: f64,
    pub axial_mm: Option<f64>,
    pub z_score: Option<f64>,
    /// "P62", "< P3", "> P95".
    pub percentile: Option<String>,
    /// Axial growth since the previous exam that measured it (mm/year).
    pub growth_mm_per_year: Option<f64>,
    /// Growth of the reference median at that age (mm/year).
    pub physiological_mm_per_year: Option<f64>,
    /// The step to this exam is fast progression (axial length or SER, DOMAIN.md §8 thresholds).
    pub fast: bool,
    pub ser_d: Option<f64>,
}

/// What the view is built from.
#[derive(Debug, Clone)]
pub struct EyeViewInput<'a> {
    pub patient_id: &'a str,
    pub patient_name: &'a str,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    /// Exams in any order.
    pub exams: &'a [EyeExam],
    /// The reference the clinician chose; `None` takes the default for the age.
    pub reference: Option<ReferenceId>,
    pub thresholds: &'a RecallThresholds,
    pub today: NaiveDate,
    pub lang: Lang,
}

fn one_decimal(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The view of a patient's eyes. The default reference is the parent report's (the default
/// for the age at the latest exam), so the screen and the printout agree.
pub fn eye_view(input: &EyeViewInput) -> Result<EyeView, ChartError> {
    let lang = input.lang;
    let report = ParentReport {
        clinic_name: String::new(),
        store_name: String::new(),
        report_date: input.today,
        patient_name: input.patient_name.to_string(),
        sex: input.sex,
        birth_date: input.birth_date,
        exams: input.exams.to_vec(),
        reference: input.reference,
        thresholds: input.thresholds.clone(),
        lang,
    };
    let reference = report.reference();
    let default = ParentReport { reference: None, ..report.clone() }.reference();
    let chart = |eye: Eye| -> Result<EyeChart, ChartError> {
        let chart_input = ChartInput {
            sex: input.sex,
            birth_date: input.birth_date,
            exams: input.exams,
            eye,
            reference,
            lang,
            thresholds: input.thresholds,
        };
        Ok(EyeChart {
            eye,
            axial_svg: axial_chart_svg(&chart_input)?,
            ser_svg: ser_chart_svg(&chart_input)?,
            ser_rate_d_per_year: overall_rate(&series(input.exams, eye, Measure::Ser), Measure::Ser),
            points: points(input, eye, reference),
        })
    };
    Ok(EyeView {
        patient_id: input.patient_id.to_string(),
        patient_name: input.patient_name.to_string(),
        sex: input.sex,
        birth_date: input.birth_date.format("%Y-%m-%d").to_string(),
        age_years: one_decimal(age_at(input.birth_date, input.today)),
        reference: reference.slug().to_string(),
        reference_chosen: reference != default,
        references: ReferenceId::ALL
            .into_iter()
            .map(|r| ReferenceOption { slug: r.slug().to_string(), name: r.display_name(lang).to_string() })
            .collect(),
        citation: reference.citation().to_string(),
        od: chart(Eye::Od)?,
        os: chart(Eye::Os)?,
        summary: summary_sentence(&report),
    })
}

/// The points of one eye, oldest first. A step's growth and flag go to the exam it ends at
/// (the last exam of that day, as [`series`] counts a day once).
fn points(input: &EyeViewInput, eye: Eye, reference: ReferenceId) -> Vec<ChartPoint> {
    let rule = FastProgressionRule::from_thresholds(input.thresholds);
    let step_of = |m: Measure| steps(input.exams, eye, m, input.sex, input.birth_date, reference, &rule);
    let (axial_steps, ser_steps) = (step_of(Measure::AxialLength), step_of(Measure::Ser));
    let mut sorted: Vec<&EyeExam> = input.exams.iter().collect();
    sorted.sort_by_key(|e| (e.examined_at, e.id));
    // The exam that carries a day's value of a measure: the last of that day that has it.
    let last_of_day = |e: &EyeExam, has: &dyn Fn(&EyeExam) -> bool| {
        !sorted.iter().any(|o| o.examined_at == e.examined_at && (o.examined_at, o.id) > (e.examined_at, e.id) && has(o))
    };
    let has_axial = |e: &EyeExam| e.reading(eye).axial_length_um.is_some();
    let has_ser = |e: &EyeExam| ser_cd(e.reading(eye)).is_some();
    let step_to = |all: &[Step], e: &EyeExam, has: &dyn Fn(&EyeExam) -> bool| -> Option<Step> {
        if !has(e) || !last_of_day(e, has) {
            return None;
        }
        all.iter().find(|s| s.to == e.examined_at).cloned()
    };
    sorted
        .iter()
        .copied()
        .filter(|e| has_axial(e) || has_ser(e))
        .map(|e| {
            let age = age_at(input.birth_date, e.examined_at);
            let axial_mm = e.reading(eye).axial_length_um.map(|um| f64::from(um) / 1000.0);
            let assessment = axial_mm.and_then(|mm| assess(reference, input.sex, age, mm).ok());
            let axial_step = step_to(&axial_steps, e, &has_axial);
            let ser_step = step_to(&ser_steps, e, &has_ser);
            let physiological = match &axial_step {
                Some(s) => s.reference_mm_per_year,
                None => axial_mm.and_then(|_| reference.median_growth_mm_per_year(input.sex, age)),
            };
            ChartPoint {
                exam_id: e.id.to_string(),
                examined_on: e.examined_at.format("%Y-%m-%d").to_string(),
                age_years: one_decimal(age),
                axial_mm,
                z_score: assessment.and_then(|a| a.z),
                percentile: assessment.as_ref().and_then(percentile_word),
                growth_mm_per_year: axial_step.as_ref().map(|s| s.per_year),
                physiological_mm_per_year: physiological,
                fast: axial_step.is_some_and(|s| s.fast) || ser_step.is_some_and(|s| s.fast),
                ser_d: ser_cd(e.reading(eye)).map(|cd| f64::from(cd) / 100.0),
            }
        })
        .collect()
}
