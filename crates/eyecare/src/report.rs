//! The parent report (家长报告, DOMAIN.md §7): clinic header, patient, both eyes' axial-length
//! and SER charts, a table of exams with the change since the previous one, a one-sentence
//! plain-language summary and the reference's citation; in the chosen language. Plain data
//! in, PDF bytes out; the caller does the IO.

use chrono::{Datelike, NaiveDate};
use clinicdesk_domain::eye::{format_dioptres, ser_cd, Eye, EyeExam};
use clinicdesk_domain::model::Sex;
use clinicdesk_domain::recall::RecallThresholds;
use clinicdesk_domain::Lang;
use plotters::prelude::IntoDrawingArea;

use crate::chart::{draw_axial, draw_ser, ChartError, ChartInput, CHART_SIZE};
use crate::growth::{age_at, series, steps, FastProgressionRule, Measure, Step};
use crate::pdfkit::{wrap, Align, Canvas, Doc, ACCENT, BLACK, GREY, LIGHT};
use crate::reference::{assess, default_for_age, format_percentile, Band, ReferenceId};

pub const A4: (f32, f32) = (210.0, 297.0);
const MARGIN: f32 = 15.0;
const FAST_INK: (u8, u8, u8) = (0xd0, 0x30, 0x20);

/// Everything the parent report shows.
#[derive(Debug, Clone)]
pub struct ParentReport {
    pub clinic_name: String,
    /// The store (门店) that prints it; shown under the clinic name when not empty.
    pub store_name: String,
    /// The day the report is printed (no clock is read here).
    pub report_date: NaiveDate,
    pub patient_name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    /// Exams in any order.
    pub exams: Vec<EyeExam>,
    /// The reference the clinician chose; `None` takes [`default_for_age`] at the latest exam.
    pub reference: Option<ReferenceId>,
    pub thresholds: RecallThresholds,
    pub lang: Lang,
}

impl ParentReport {
    fn sorted_exams(&self) -> Vec<&EyeExam> {
        let mut v: Vec<&EyeExam> = self.exams.iter().collect();
        v.sort_by_key(|e| (e.examined_at, e.id));
        v
    }

    /// The reference used: the chosen one, else the default for the age at the latest exam.
    pub fn reference(&self) -> ReferenceId {
        self.reference.unwrap_or_else(|| {
            let last = self.exams.iter().map(|e| e.examined_at).max().unwrap_or(self.report_date);
            default_for_age(age_at(self.birth_date, last))
        })
    }
}

/// "2025年3月1日" / "2025年3月1日" / "1 Mar 2025".
pub fn format_date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::ZhCn | Lang::ZhTw => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        Lang::En => d.format("%-d %b %Y").to_string(),
    }
}

pub fn sex_name(sex: Sex, lang: Lang) -> &'static str {
    match sex {
        Sex::Female => lang.pick("女", "女", "female"),
        Sex::Male => lang.pick("男", "男", "male"),
    }
}

fn signed(v: f64, decimals: usize) -> String {
    let s = format!("{:+.*}", decimals, v);
    if s.trim_start_matches(['+', '-']).chars().all(|c| c == '0' || c == '.') {
        s.trim_start_matches(['+', '-']).to_string()
    } else {
        s
    }
}

/// The one-sentence plain-language summary at the top of the report.
pub fn summary_sentence(r: &ParentReport) -> String {
    let lang = r.lang;
    let reference = r.reference();
    let rule = FastProgressionRule::from_thresholds(&r.thresholds);
    let exams = r.sorted_exams();
    let name = r.patient_name.trim();
    let Some(last) = exams.last() else {
        return match lang {
            Lang::ZhCn => format!("{name}还没有检查记录。"),
            Lang::ZhTw => format!("{name}還沒有檢查記錄。"),
            Lang::En => format!("{name} has no exams on record yet."),
        };
    };
    let age = age_at(r.birth_date, last.examined_at);
    let mut eyes: Vec<String> = Vec::new();
    let mut fast_eyes: Vec<Eye> = Vec::new();
    let mut any_step = false;
    for eye in Eye::BOTH {
        let Some(um) = last.reading(eye).axial_length_um else { continue };
        let mm = f64::from(um) / 1000.0;
        let place = match assess(reference, r.sex, age, mm) {
            Ok(a) => match (a.band, a.percentile) {
                (Band::Within, Some(p)) => format_percentile(p),
                (Band::Below { bound }, _) => format!("<{bound}"),
                (Band::Above { bound }, _) => format!(">{bound}"),
                _ => String::new(),
            },
            Err(_) => String::new(),
        };
        let growth = recent_growth(&r.exams, eye, &rule);
        any_step |= growth.is_some();
        if growth.as_ref().is_some_and(|g| g.fast) {
            fast_eyes.push(eye);
        }
        let eye_name = eye.name(lang);
        let mut part = match (lang, place.is_empty()) {
            (Lang::En, false) => format!("{eye_name} {mm:.2} mm ({place} for age)"),
            (Lang::En, true) => format!("{eye_name} {mm:.2} mm"),
            (_, false) => format!("{eye_name}眼轴 {mm:.2} mm（同龄 {place}）"),
            (_, true) => format!("{eye_name}眼轴 {mm:.2} mm"),
        };
        if let Some(s) = growth {
            part.push_str(&match lang {
                Lang::ZhCn => format!("，近期每年增长 {:.2} mm", s.per_year),
                Lang::ZhTw => format!("，近期每年增長 {:.2} mm", s.per_year),
                Lang::En => format!(", growing {:.2} mm a year lately", s.per_year),
            });
        }
        eyes.push(part);
    }
    let date = format_date(last.examined_at, lang);
    let fast_who = match fast_eyes.as_slice() {
        [one] if lang == Lang::En => format!("the {}", one.name(lang)),
        [one] => one.name(lang).to_string(),
        _ => lang.pick("双眼", "雙眼", "both eyes").to_string(),
    };
    let verdict = match (any_step, fast_eyes.is_empty()) {
        (false, _) => lang
            .pick("下次复查后即可看到增长速度", "下次複查後即可看到增長速度", "the growth rate will show after the next recheck")
            .to_string(),
        (true, false) => match lang {
            Lang::ZhCn => format!("{fast_who}增长偏快，建议遵医嘱加强近视防控并按时复查"),
            Lang::ZhTw => format!("{fast_who}增長偏快，建議遵醫囑加強近視防控並按時複查"),
            Lang::En => format!(
                "{fast_who} {} growing fast, so please follow the doctor's myopia-control advice and keep to the recheck dates",
                if fast_eyes.len() == 1 { "is" } else { "are" }
            ),
        },
        (true, true) => lang
            .pick("增长未见过快，请继续按时复查", "增長未見過快，請繼續按時複查", "which is not fast; please keep to the recheck dates")
            .to_string(),
    };
    if eyes.is_empty() {
        return match lang {
            Lang::ZhCn => format!("{name}最近一次检查（{date}）未测眼轴，请按时复查。"),
            Lang::ZhTw => format!("{name}最近一次檢查（{date}）未測眼軸，請按時複查。"),
            Lang::En => format!("At {name}'s latest exam ({date}) axial length was not measured; please keep to the recheck dates."),
        };
    }
    match lang {
        Lang::ZhCn | Lang::ZhTw => {
            let exam = lang.pick("最近一次检查", "最近一次檢查", "");
            let sep = if fast_eyes.is_empty() { "，" } else { "；" };
            format!("{name}{exam}（{date}）{}{sep}{verdict}。", eyes.join("；"))
        }
        Lang::En => {
            let sep = if fast_eyes.is_empty() { ", " } else { "; " };
            format!("At {name}'s latest exam ({date}): {}{sep}{verdict}.", eyes.join("; "))
        }
    }
}

/// Axial growth up to the latest exam, measured from the latest earlier exam at least the
/// rule's minimum interval before it (a shorter step is too noisy to judge, and quoting it
/// as a yearly rate would mislead); `None` when there is no such exam.
struct RecentGrowth {
    per_year: f64,
    fast: bool,
}

fn recent_growth(exams: &[EyeExam], eye: Eye, rule: &FastProgressionRule) -> Option<RecentGrowth> {
    let values = series(exams, eye, Measure::AxialLength);
    let &(last_on, last) = values.last()?;
    let &(from_on, from) = values.iter().rev().find(|(on, _)| (last_on - *on).num_days() >= i64::from(rule.min_interval_days))?;
    let days = (last_on - from_on).num_days();
    let change = last - from;
    Some(RecentGrowth { per_year: f64::from(change) / 1000.0 / (days as f64 / 365.25), fast: rule.axial_is_fast(change, days) })
}

/// The parent report as PDF bytes.
pub fn parent_report_pdf(r: &ParentReport) -> Result<Vec<u8>, ChartError> {
    let lang = r.lang;
    let reference = r.reference();
    let title = lang.pick("眼健康成长报告", "眼健康成長報告", "Eye growth report");
    let mut doc = Doc::new(&format!("{} · {}", title, r.patient_name));
    let (pw, ph) = A4;
    let content_w = pw - 2.0 * MARGIN;
    let mut pages: Vec<Canvas> = Vec::new();

    // Page 1: header, patient, summary, the four charts.
    let mut c = doc.canvas(pw, ph);
    let mut y = header(&mut c, r, title);
    let summary = summary_sentence(r);
    let lines = wrap(&summary, 10.5, content_w - 8.0);
    let box_h = lines.len() as f32 * 5.6 + 5.0;
    c.fill_rect(MARGIN, y, content_w, box_h, (0xee, 0xf4, 0xfb));
    c.fill_rect(MARGIN, y, 1.2, box_h, ACCENT);
    for (i, line) in lines.iter().enumerate() {
        c.text(MARGIN + 4.0, y + 6.5 + i as f32 * 5.6, 10.5, line, Align::Left, BLACK);
    }
    y += box_h + 4.0;
    let gap = 4.0;
    let cw = (content_w - gap) / 2.0;
    let chh = cw * CHART_SIZE.1 as f32 / CHART_SIZE.0 as f32;
    let units_per_mm = CHART_SIZE.0 as f32 / cw;
    for (row, axial) in [(0, true), (1, false)] {
        for (col, eye) in Eye::BOTH.into_iter().enumerate() {
            let x = MARGIN + col as f32 * (cw + gap);
            let top = y + row as f32 * (chh + gap);
            c.stroke_rect(x, top, cw, chh, 0.5, LIGHT);
            let input =
                ChartInput { sex: r.sex, birth_date: r.birth_date, exams: &r.exams, eye, reference, lang, thresholds: &r.thresholds };
            let area = c.chart_area(x, top, cw, chh, units_per_mm).into_drawing_area();
            if axial {
                draw_axial(&area, &input)?;
            } else {
                draw_ser(&area, &input)?;
            }
        }
    }
    y += 2.0 * chh + gap + 6.0;

    // The exam table, continued on further pages as needed.
    let rows = table_rows(r, reference);
    let footer_top = ph - 24.0;
    let mut i = 0;
    loop {
        if y + 20.0 > footer_top {
            pages.push(c);
            c = doc.canvas(pw, ph);
            y = header(&mut c, r, title);
        }
        y = table_header(&mut c, y, lang);
        while i < rows.len() && y + 5.2 <= footer_top {
            table_row(&mut c, y, &rows[i], i % 2 == 1);
            y += 5.2;
            i += 1;
        }
        if i >= rows.len() {
            break;
        }
        y = footer_top + 100.0; // force a new page
    }
    if rows.is_empty() {
        c.text(MARGIN, y + 4.0, 9.0, lang.pick("暂无检查记录", "暫無檢查記錄", "No exams on record"), Align::Left, GREY);
    }
    y += 3.0;
    let note = match lang {
        Lang::ZhCn => "变化为与上一次检查相比；红色表示按年计算增长偏快。不同品牌眼轴仪的读数不能严格比较。",
        Lang::ZhTw => "變化為與上一次檢查相比；紅色表示按年計算增長偏快。不同品牌眼軸儀的讀數不能嚴格比較。",
        Lang::En => "Changes are since the previous exam; red marks fast growth per year. Readings from different biometers are not strictly comparable.",
    };
    for line in wrap(note, 8.0, content_w) {
        if y + 4.0 > footer_top {
            break;
        }
        y += 4.0;
        c.text(MARGIN, y, 8.0, &line, Align::Left, GREY);
    }
    pages.push(c);

    let total = pages.len();
    for (n, mut page) in pages.into_iter().enumerate() {
        footer(&mut page, reference, lang, n + 1, total);
        doc.push(page);
    }
    Ok(doc.finish())
}

/// Clinic, title and patient line; returns the y below it.
fn header(c: &mut Canvas, r: &ParentReport, title: &str) -> f32 {
    let lang = r.lang;
    let (pw, _) = A4;
    c.text_fit(MARGIN, 20.0, 17.0, &r.clinic_name, 110.0, Align::Left, BLACK);
    c.text(pw - MARGIN, 20.0, 13.0, title, Align::Right, ACCENT);
    let mut y = 20.0;
    if !r.store_name.trim().is_empty() {
        y += 5.5;
        c.text(MARGIN, y, 9.0, &r.store_name, Align::Left, GREY);
    }
    c.text(pw - MARGIN, y.max(25.5), 9.0, &format_date(r.report_date, lang), Align::Right, GREY);
    y = y.max(25.5) + 3.0;
    c.line(MARGIN, y, pw - MARGIN, y, 0.8, ACCENT);
    y += 6.5;
    let exams = r.exams.len();
    let latest_age = r.exams.iter().map(|e| e.examined_at).max().map(|d| age_at(r.birth_date, d));
    let age = latest_age.map(|a| format!("{a:.1}")).unwrap_or_else(|| "—".into());
    let info = match lang {
        Lang::ZhCn => format!(
            "姓名：{}　　性别：{}　　出生日期：{}　　最近检查时年龄：{age} 岁　　检查次数：{exams}",
            r.patient_name,
            sex_name(r.sex, lang),
            format_date(r.birth_date, lang)
        ),
        Lang::ZhTw => format!(
            "姓名：{}　　性別：{}　　出生日期：{}　　最近檢查時年齡：{age} 歲　　檢查次數：{exams}",
            r.patient_name,
            sex_name(r.sex, lang),
            format_date(r.birth_date, lang)
        ),
        Lang::En => format!(
            "Name: {}    Sex: {}    Born: {}    Age at latest exam: {age}    Exams: {exams}",
            r.patient_name,
            sex_name(r.sex, lang),
            format_date(r.birth_date, lang)
        ),
    };
    c.text_fit(MARGIN, y, 10.0, &info, pw - 2.0 * MARGIN, Align::Left, BLACK);
    y + 5.0
}

fn footer(c: &mut Canvas, reference: ReferenceId, lang: Lang, page: usize, total: usize) {
    let (pw, ph) = A4;
    let top = ph - 20.0;
    c.line(MARGIN, top, pw - MARGIN, top, 0.4, LIGHT);
    let label = format!("{}{}", lang.pick("参考数据：", "參考數據：", "Reference data: "), reference.citation());
    for (i, line) in wrap(&label, 7.0, pw - 2.0 * MARGIN).iter().take(3).enumerate() {
        c.text(MARGIN, top + 4.0 + i as f32 * 3.3, 7.0, line, Align::Left, GREY);
    }
    let n = match lang {
        Lang::ZhCn | Lang::ZhTw => format!("第 {page} / {total} 页").replace('页', lang.pick("页", "頁", "")),
        Lang::En => format!("Page {page} of {total}"),
    };
    c.text(pw - MARGIN, ph - 6.0, 7.5, &n, Align::Right, GREY);
}

/// Column x positions (left edges) and widths of the exam table.
const COLS: [(f32, f32); 10] = [
    (0.0, 22.0),
    (22.0, 12.0),
    (34.0, 18.0),
    (52.0, 19.0),
    (71.0, 18.0),
    (89.0, 18.0),
    (107.0, 18.0),
    (125.0, 19.0),
    (144.0, 18.0),
    (162.0, 18.0),
];

struct TableRow {
    cells: [String; 10],
    fast: [bool; 10],
}

fn table_header(c: &mut Canvas, y: f32, lang: Lang) -> f32 {
    let x0 = MARGIN;
    c.fill_rect(x0, y, 180.0, 10.5, (0xf2, 0xf2, 0xf2));
    for (i, eye) in Eye::BOTH.into_iter().enumerate() {
        let (x, _) = COLS[2 + i * 4];
        let name = eye.name(lang);
        let name = if lang == Lang::En { name[..1].to_uppercase() + &name[1..] } else { name.to_string() };
        let label = format!("{name} {}", if eye == Eye::Od { "OD" } else { "OS" });
        c.text(x0 + x + 37.0, y + 4.0, 8.5, &label, Align::Center, BLACK);
        c.line(x0 + x + 1.0, y + 5.2, x0 + x + 73.0, y + 5.2, 0.3, LIGHT);
    }
    let heads = [
        lang.pick("日期", "日期", "Date"),
        lang.pick("年龄", "年齡", "Age"),
        "SER (D)",
        lang.pick("眼轴 (mm)", "眼軸 (mm)", "AL (mm)"),
        "ΔSER",
        lang.pick("Δ眼轴", "Δ眼軸", "ΔAL"),
    ];
    for (i, (x, w)) in COLS.iter().enumerate() {
        let h = if i < 2 { heads[i] } else { heads[2 + (i - 2) % 4] };
        c.text_fit(x0 + x + w / 2.0, y + 9.0, 8.0, h, w - 1.0, Align::Center, BLACK);
    }
    y + 10.5
}

fn table_row(c: &mut Canvas, y: f32, row: &TableRow, shaded: bool) {
    if shaded {
        c.fill_rect(MARGIN, y, 180.0, 5.2, (0xfa, 0xfa, 0xfa));
    }
    for (i, (x, w)) in COLS.iter().enumerate() {
        let ink = if row.fast[i] { FAST_INK } else { BLACK };
        c.text_fit(MARGIN + x + w / 2.0, y + 3.8, 8.0, &row.cells[i], w - 1.0, Align::Center, ink);
    }
}

fn table_rows(r: &ParentReport, reference: ReferenceId) -> Vec<TableRow> {
    let lang = r.lang;
    let rule = FastProgressionRule::from_thresholds(&r.thresholds);
    let step_map = |eye: Eye, m: Measure| -> Vec<Step> { steps(&r.exams, eye, m, r.sex, r.birth_date, reference, &rule) };
    let eyes: Vec<(Vec<Step>, Vec<Step>)> =
        Eye::BOTH.into_iter().map(|e| (step_map(e, Measure::Ser), step_map(e, Measure::AxialLength))).collect();
    let mut out = Vec::new();
    let mut last_date = None;
    for e in r.sorted_exams() {
        if last_date == Some(e.examined_at) {
            out.pop(); // same-day exams count once, the last one
        }
        last_date = Some(e.examined_at);
        let mut cells: [String; 10] = Default::default();
        let mut fast = [false; 10];
        cells[0] = e.examined_at.format("%Y-%m-%d").to_string();
        cells[1] = format!("{:.1}", age_at(r.birth_date, e.examined_at));
        for (k, eye) in Eye::BOTH.into_iter().enumerate() {
            let reading = e.reading(eye);
            let base = 2 + k * 4;
            cells[base] = ser_cd(reading).map(format_dioptres).unwrap_or_else(|| "—".into());
            cells[base + 1] = reading.axial_length_um.map(|um| format!("{:.2}", f64::from(um) / 1000.0)).unwrap_or_else(|| "—".into());
            let (ser_steps, al_steps) = &eyes[k];
            if let Some(s) = ser_steps.iter().find(|s| s.to == e.examined_at) {
                cells[base + 2] = format_dioptres(s.change);
                fast[base + 2] = s.fast;
            }
            if let Some(s) = al_steps.iter().find(|s| s.to == e.examined_at) {
                cells[base + 3] = signed(f64::from(s.change) / 1000.0, 2);
                fast[base + 3] = s.fast;
            }
        }
        let _ = lang;
        out.push(TableRow { cells, fast });
    }
    out
}
