//! Growth charts, per eye (DOMAIN.md §7), drawn with plotters on any backend: SVG strings
//! for the desk and the iPad view ([`axial_chart_svg`], [`ser_chart_svg`]) and PDF vectors
//! for the reports (through [`crate::pdfkit::PdfBackend`]).
//!
//! - **Axial length vs age**: every published percentile curve of the chosen reference,
//!   labelled at its right end, the reference's name under the title, the patient's points
//!   joined in time order (steps flagged fast in red) and the latest point highlighted with
//!   its value and percentile.
//! - **SER vs age**: the patient's own trend (no percentile curves: no verified East-Asian
//!   refraction reference exists), the myopia line (SER ≤ −0.50 D by default), and the
//!   yearly rate of the latest step and over the whole record.

use chrono::NaiveDate;
use clinicdesk_domain::eye::{format_dioptres, Eye, EyeExam};
use clinicdesk_domain::model::Sex;
use clinicdesk_domain::recall::RecallThresholds;
use clinicdesk_domain::Lang;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::fonts::{self, FAMILY};
use crate::growth::{self, age_at, FastProgressionRule, Measure};
use crate::reference::{assess, format_percentile, ReferenceId};

/// The charts' size in plotters units (SVG pixels); PDFs scale the same layout.
pub const CHART_SIZE: (u32, u32) = (640, 440);

const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
const CURVE: RGBColor = RGBColor(0xb0, 0xb0, 0xb0);
const MEDIAN: RGBColor = RGBColor(0x70, 0x70, 0x70);
const PATIENT: RGBColor = RGBColor(0x1f, 0x5f, 0xa8);
const FAST: RGBColor = RGBColor(0xd0, 0x30, 0x20);

/// What a chart needs: the child, the exams (any order), the eye and the reference.
#[derive(Debug, Clone)]
pub struct ChartInput<'a> {
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub exams: &'a [EyeExam],
    pub eye: Eye,
    pub reference: ReferenceId,
    pub lang: Lang,
    pub thresholds: &'a RecallThresholds,
}

/// A chart could not be drawn (a backend error, as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chart: {}", self.0)
    }
}

impl std::error::Error for ChartError {}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError(e.to_string())
    }
}

/// The axial-length chart as an SVG document.
pub fn axial_chart_svg(input: &ChartInput) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
        draw_axial(&root, input)?;
        root.present()?;
    }
    Ok(svg)
}

/// The SER chart as an SVG document.
pub fn ser_chart_svg(input: &ChartInput) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
        draw_ser(&root, input)?;
        root.present()?;
    }
    Ok(svg)
}

/// "右眼" / "Right eye": the eye's name as a title starts.
fn eye_title(eye: Eye, lang: Lang) -> String {
    let name = eye.name(lang);
    let mut chars = name.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A label with a white backing so curves and grid lines do not run through it.
fn label<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, text: String, at: (i32, i32), style: TextStyle) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let (w, h) = root.estimate_text_size(&text, &style)?;
    let (w, h) = (w as i32, h as i32);
    let x = match style.pos.h_pos {
        HPos::Left => at.0,
        HPos::Center => at.0 - w / 2,
        HPos::Right => at.0 - w,
    };
    let y = match style.pos.v_pos {
        VPos::Top => at.1,
        VPos::Center => at.1 - h / 2,
        VPos::Bottom => at.1 - h,
    };
    root.draw(&Rectangle::new([(x - 3, y - 2), (x + w + 3, y + h + 2)], WHITE.mix(0.85).filled()))?;
    root.draw(&Text::new(text, at, style))?;
    Ok(())
}

fn font(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&color)
}

fn header<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, subtitle: &str) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    root.draw(&Text::new(title.to_string(), (14, 8), (FAMILY, 26).into_font().style(FontStyle::Bold).color(&INK)))?;
    root.draw(&Text::new(subtitle.to_string(), (14, 38), font(17.0, MUTED)))?;
    Ok(())
}

fn no_data<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, lang: Lang) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let (w, h) = root.dim_in_pixel();
    let style = font(18.0, MUTED).pos(Pos::new(HPos::Center, VPos::Center));
    root.draw(&Text::new(lang.pick("暂无数据", "暫無資料", "No data yet").to_string(), (w as i32 / 2, h as i32 / 2), style))?;
    Ok(())
}

/// Spreads label y positions (sorted top to bottom by the caller) at least `gap` apart.
fn spread(ys: &mut [f64], gap: f64) {
    for _ in 0..20 {
        let mut moved = false;
        for i in 1..ys.len() {
            let d = ys[i] - ys[i - 1];
            if d < gap {
                let push = (gap - d) / 2.0;
                ys[i - 1] -= push;
                ys[i] += push;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
}

/// Draws the axial-length chart on `root`.
pub fn draw_axial<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, input: &ChartInput) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    fonts::register();
    let lang = input.lang;
    let reference = input.reference;
    root.fill(&WHITE)?;
    let title = format!("{} · {}", eye_title(input.eye, lang), lang.pick("眼轴长度", "眼軸長度", "axial length"));
    let subtitle = format!("{}{}", lang.pick("参考：", "參考：", "Reference: "), reference.display_name(lang));
    header(root, &title, &subtitle)?;

    let series = growth::series(input.exams, input.eye, Measure::AxialLength);
    let points: Vec<(f64, f64)> = series.iter().map(|(d, um)| (age_at(input.birth_date, *d), f64::from(*um) / 1000.0)).collect();
    let rows: Vec<(f64, &[f64])> = reference.rows(input.sex).collect();
    let (ref_min, ref_max) = reference.age_range();
    let p_min = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let p_max = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let x0 = ref_min.min((p_min - 0.5).floor());
    let x1 = ref_max.max((p_max + 0.5).ceil());
    let all_y = rows.iter().flat_map(|(_, c)| c.iter().copied()).chain(points.iter().map(|p| p.1));
    let (y_lo, y_hi) = all_y.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (y0, y1) = ((y_lo - 0.3).floor(), (y_hi + 0.3).ceil());

    let body = root.margin(66, 6, 6, 54);
    let mut chart = ChartBuilder::on(&body).x_label_area_size(44).y_label_area_size(56).build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .max_light_lines(1)
        .light_line_style(RGBColor(0xf2, 0xf2, 0xf2))
        .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
        .x_labels(((x1 - x0) as usize + 1).min(16))
        .y_labels(((y1 - y0) as usize + 1).min(12))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_desc(lang.pick("年龄（岁）", "年齡（歲）", "Age (years)"))
        .y_desc(lang.pick("眼轴（mm）", "眼軸（mm）", "Axial length (mm)"))
        .label_style(font(17.0, MUTED))
        .axis_desc_style(font(17.0, MUTED))
        .draw()?;

    // Percentile curves, labelled at their right ends.
    let pcts = reference.percentiles();
    let mut labels: Vec<(f64, String)> = Vec::new();
    for (i, p) in pcts.iter().enumerate() {
        let style = if *p == 50.0 { MEDIAN.stroke_width(2) } else { CURVE.stroke_width(1) };
        chart.draw_series(LineSeries::new(rows.iter().map(|(age, cells)| (*age, cells[i])), style))?;
        let (age, cells) = rows[rows.len() - 1];
        let (_, py) = chart.backend_coord(&(age, cells[i]));
        labels.push((f64::from(py), format!("P{p}")));
    }
    let (_, right_end) = rows[rows.len() - 1];
    let (lx, _) = chart.backend_coord(&(ref_max, right_end[0]));
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut ys: Vec<f64> = labels.iter().map(|l| l.0).collect();
    spread(&mut ys, 14.0);
    let label_style = font(14.0, MEDIAN).pos(Pos::new(HPos::Left, VPos::Center));
    for ((_, text), y) in labels.iter().zip(ys) {
        root.draw(&Text::new(text.clone(), (lx + 4, y.round() as i32), label_style.clone()))?;
    }

    if points.is_empty() {
        return no_data(root, lang);
    }
    let rule = FastProgressionRule::from_thresholds(input.thresholds);
    let steps = growth::steps(input.exams, input.eye, Measure::AxialLength, input.sex, input.birth_date, reference, &rule);
    chart.draw_series(LineSeries::new(points.iter().copied(), PATIENT.stroke_width(2)))?;
    for (step, w) in steps.iter().zip(points.windows(2)) {
        if step.fast {
            chart.draw_series(LineSeries::new(w.iter().copied(), FAST.stroke_width(3)))?;
        }
    }
    chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, PATIENT.filled())))?;
    let latest = *points.last().expect("points");
    chart.draw_series([Circle::new(latest, 7, FAST.filled()), Circle::new(latest, 10, FAST.stroke_width(2))])?;
    let mut text = format!("{:.2} mm", latest.1);
    if let Ok(a) = assess(reference, input.sex, latest.0, latest.1) {
        if let Some(p) = a.percentile.filter(|_| a.band == crate::reference::Band::Within) {
            text.push_str(&format!(" · {}", format_percentile(p)));
        } else if let crate::reference::Band::Below { bound } | crate::reference::Band::Above { bound } = a.band {
            let side = if matches!(a.band, crate::reference::Band::Below { .. }) { "<" } else { ">" };
            text.push_str(&format!(" · {side}{bound}"));
        }
    }
    let (px, py) = chart.backend_coord(&latest);
    let (w, _) = root.dim_in_pixel();
    let left = px > w as i32 / 2;
    let anchor = Pos::new(if left { HPos::Right } else { HPos::Left }, VPos::Bottom);
    let tx = if left { px - 12 } else { px + 12 };
    label(root, text, (tx, py - 10), (FAMILY, 17).into_font().style(FontStyle::Bold).color(&FAST).pos(anchor))?;
    Ok(())
}

/// "−0.75 D/年": a yearly SER rate.
pub fn format_ser_rate(d_per_year: f64, lang: Lang) -> String {
    let cd = (d_per_year * 100.0).round() as i32;
    format!("{} D{}", format_dioptres(cd), lang.pick("/年", "/年", "/yr"))
}

/// Draws the SER chart on `root`.
pub fn draw_ser<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, input: &ChartInput) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    fonts::register();
    let lang = input.lang;
    root.fill(&WHITE)?;
    let series = growth::series(input.exams, input.eye, Measure::Ser);
    let rule = FastProgressionRule::from_thresholds(input.thresholds);
    let steps = growth::steps(input.exams, input.eye, Measure::Ser, input.sex, input.birth_date, input.reference, &rule);
    let title = format!("{} · {}", eye_title(input.eye, lang), lang.pick("等效球镜 SER", "等效球鏡 SER", "spherical equivalent (SER)"));
    let mut subtitle = String::new();
    if let Some(last) = steps.last() {
        subtitle.push_str(lang.pick("近一次 ", "近一次 ", "latest "));
        subtitle.push_str(&format_ser_rate(last.per_year, lang));
        if last.fast {
            subtitle.push_str(lang.pick("（偏快）", "（偏快）", " (fast)"));
        }
        if let (Some(rate), Some(first)) = (growth::overall_rate(&series, Measure::Ser), series.first()) {
            let years = (series[series.len() - 1].0 - first.0).num_days() as f64 / 365.25;
            subtitle.push_str(&match lang {
                Lang::ZhCn => format!(" · 全程 {}（{years:.1} 年）", format_ser_rate(rate, lang)),
                Lang::ZhTw => format!(" · 全程 {}（{years:.1} 年）", format_ser_rate(rate, lang)),
                Lang::En => format!(" · overall {} over {years:.1} y", format_ser_rate(rate, lang)),
            });
        }
    } else {
        subtitle.push_str(lang.pick("患者自身变化趋势", "患者自身變化趨勢", "the patient's own trend"));
    }
    header(root, &title, &subtitle)?;
    if series.is_empty() {
        return no_data(root, lang);
    }
    let points: Vec<(f64, f64)> = series.iter().map(|(d, cd)| (age_at(input.birth_date, *d), f64::from(*cd) / 100.0)).collect();
    let myopia = -f64::from(input.thresholds.myopia_min_cd) / 100.0;
    let (a_lo, a_hi) = points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let (x0, x1) = ((a_lo - 0.5).floor(), (a_hi + 0.5).ceil().max((a_lo - 0.5).floor() + 2.0));
    let (v_lo, v_hi) = points.iter().fold((myopia, 0.0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let (y0, y1) = ((v_lo - 0.5).floor(), (v_hi + 0.5).ceil());

    let body = root.margin(66, 6, 6, 20);
    let mut chart = ChartBuilder::on(&body).x_label_area_size(44).y_label_area_size(62).build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .max_light_lines(1)
        .light_line_style(RGBColor(0xf2, 0xf2, 0xf2))
        .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
        .x_labels(((x1 - x0) as usize + 1).min(16))
        .y_labels(((y1 - y0) as usize + 1).min(12))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format_dioptres((v * 100.0).round() as i32))
        .x_desc(lang.pick("年龄（岁）", "年齡（歲）", "Age (years)"))
        .y_desc(lang.pick("SER（D）", "SER（D）", "SER (D)"))
        .label_style(font(17.0, MUTED))
        .axis_desc_style(font(17.0, MUTED))
        .draw()?;
    chart.draw_series(LineSeries::new([(x0, 0.0), (x1, 0.0)], MEDIAN.stroke_width(1)))?;
    chart.draw_series(DashedLineSeries::new([(x0, myopia), (x1, myopia)], 8, 6, CURVE.stroke_width(2)))?;
    let (mx, my) = chart.backend_coord(&(x0, myopia));
    let myopia_label = match lang {
        Lang::ZhCn => format!("近视 ≤ {} D", format_dioptres(-(input.thresholds.myopia_min_cd as i32))),
        Lang::ZhTw => format!("近視 ≤ {} D", format_dioptres(-(input.thresholds.myopia_min_cd as i32))),
        Lang::En => format!("myopia ≤ {} D", format_dioptres(-(input.thresholds.myopia_min_cd as i32))),
    };
    root.draw(&Text::new(myopia_label, (mx + 6, my + 4), font(15.0, MUTED).pos(Pos::new(HPos::Left, VPos::Top))))?;

    chart.draw_series(LineSeries::new(points.iter().copied(), PATIENT.stroke_width(2)))?;
    for (step, w) in steps.iter().zip(points.windows(2)) {
        if step.fast {
            chart.draw_series(LineSeries::new(w.iter().copied(), FAST.stroke_width(3)))?;
        }
    }
    chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, PATIENT.filled())))?;
    let latest = *points.last().expect("points");
    chart.draw_series([Circle::new(latest, 7, FAST.filled()), Circle::new(latest, 10, FAST.stroke_width(2))])?;
    let (px, py) = chart.backend_coord(&latest);
    let (w, _) = root.dim_in_pixel();
    let left = px > w as i32 / 2;
    let anchor = Pos::new(if left { HPos::Right } else { HPos::Left }, VPos::Top);
    let tx = if left { px - 12 } else { px + 12 };
    let text = format!("{} D", format_dioptres((latest.1 * 100.0).round() as i32));
    label(root, text, (tx, py + 10), (FAMILY, 17).into_font().style(FontStyle::Bold).color(&FAST).pos(anchor))?;
    Ok(())
}
