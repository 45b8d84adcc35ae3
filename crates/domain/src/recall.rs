//! Recall rules and the desk's daily task list (DOMAIN.md §8, seed 004 §4.1, §4.2, §5.1).
//!
//! [`evaluate`] turns one patient's correction and eye exams into the tasks due on `today`;
//! [`daily_list`] does it for many patients in a deterministic order with counts per kind;
//! [`draft_message`] drafts the message the desk sends; [`is_task_overdue`] marks tasks
//! nobody touched in time. Nothing here reads a clock: `today` / `now` are arguments.
//!
//! Conventions used throughout:
//! - SER values come from [`crate::eye::ser_cd`] (0.01 D, 度). *Myopic progression* is
//!   `earlier SER − later SER`, so a positive number means the eye became more myopic.
//! - Exams are taken in date order (ties by exam id); exams dated after `today` are
//!   ignored, so evaluating a past day gives the answer the desk would have had then.
//! - "N months" are calendar months as chrono adds them (Jan 31 + 1 month = Feb 28/29).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::eye::{ser_cd, Correction, CorrectionKind, Eye, EyeExam};
use crate::{DomainError, Lang};

/// The manager-configurable rule thresholds (seed 004 §5.1). `Default` gives DOMAIN.md's
/// defaults; a stored configuration may omit fields, which then take the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecallThresholds {
    /// Ortho-k candidate: frames worn for at least this many months (default 6).
    pub ortho_k_min_frames_months: u32,
    /// Ortho-k candidate: the long progression window in months (default 6) ...
    pub ortho_k_long_window_months: u32,
    /// ... and the myopic progression over it that qualifies, in 度 (default 50).
    pub ortho_k_long_window_cd: u32,
    /// Ortho-k candidate: the short progression window in months (default 3) ...
    pub ortho_k_short_window_months: u32,
    /// ... and the myopic progression over it that qualifies, in 度 (default 25).
    pub ortho_k_short_window_cd: u32,
    /// How far (days) the baseline exam of a progression window may lie from the window's
    /// exact start (default 30): for a 6-month window the baseline is 5–7 months back.
    pub window_tolerance_days: u32,
    /// Lens replacement due when ortho-k lenses were fitted at least this many days ago
    /// (default 550).
    pub lens_replacement_days: u32,
    /// Recheck overdue when the next-recheck date passed by more than this many days
    /// (default 14) and no future visit is booked.
    pub recheck_grace_days: u32,
    /// Referral candidate: minimum age in completed years (default 18).
    pub referral_min_age_years: u32,
    /// Referral candidate: stability window in months (default 12) ...
    pub referral_stable_window_months: u32,
    /// ... within which every SER differs from the latest by less than this, in 度
    /// (default 50), in both eyes.
    pub referral_max_change_cd: u32,
    /// An eye counts as myopic when its SER is at most minus this, in 度 (default 50,
    /// i.e. SER ≤ −0.50 D). Referral needs at least one myopic eye.
    pub myopia_min_cd: u32,
    /// Central corneal thickness at or above this (µm) is normal (default 480).
    pub min_corneal_thickness_um: i32,
    /// A task untouched for this many hours is overdue (default 24).
    pub task_overdue_after_hours: u32,
}

impl Default for RecallThresholds {
    fn default() -> Self {
        RecallThresholds {
            ortho_k_min_frames_months: 6,
            ortho_k_long_window_months: 6,
            ortho_k_long_window_cd: 50,
            ortho_k_short_window_months: 3,
            ortho_k_short_window_cd: 25,
            window_tolerance_days: 30,
            lens_replacement_days: 550,
            recheck_grace_days: 14,
            referral_min_age_years: 18,
            referral_stable_window_months: 12,
            referral_max_change_cd: 50,
            myopia_min_cd: 50,
            min_corneal_thickness_um: 480,
            task_overdue_after_hours: 24,
        }
    }
}

/// What the rules need to know about one patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecallPatient {
    pub patient_id: Uuid,
    pub name: String,
    pub birth_date: NaiveDate,
    pub guardian_name: Option<String>,
    pub correction: Option<Correction>,
    /// Eye exams in any order.
    pub exams: Vec<EyeExam>,
    /// A visit is booked for a day after today (not cancelled).
    pub has_future_visit: bool,
}

/// The kinds of recall task, in the order the daily list shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TaskKind {
    /// 换片提醒: ortho-k lenses are due for replacement.
    LensReplacement,
    /// 超期复查: the recheck date passed and nothing is booked.
    RecheckOverdue,
    /// 拟转角塑: frames wearer whose myopia is progressing.
    OrthoKCandidate,
    /// 拟转屈光: adult with stable myopia and normal corneas.
    ReferralCandidate,
}

impl TaskKind {
    pub const ALL: [TaskKind; 4] =
        [TaskKind::LensReplacement, TaskKind::RecheckOverdue, TaskKind::OrthoKCandidate, TaskKind::ReferralCandidate];
}

/// The progression that made a patient an ortho-k candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progression {
    pub eye: Eye,
    /// The window it was measured over (the configured months, not the exact gap).
    pub window_months: u32,
    /// Myopic progression in 度 (positive = more myopic).
    pub myopic_cd: i32,
}

/// The data a task's message and the desk's list show.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TaskFacts {
    /// Completed calendar months from the latest exam to today (`None`: no exam).
    pub months_since_last_check: Option<u32>,
    /// SER change (later − earlier, 度; negative = more myopic) between each eye's last
    /// two exams with a SER, for the eye whose change is most negative (OD on a tie).
    pub change_since_last_exam_cd: Option<i32>,
    /// The eye `change_since_last_exam_cd` belongs to.
    pub change_eye: Option<Eye>,
    /// Recheck overdue only: days since the next-recheck date (including the grace days).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub days_overdue: Option<i64>,
    /// Lens replacement only: days since the ortho-k lenses were fitted.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub lens_age_days: Option<i64>,
    /// Ortho-k candidate only: the qualifying progression.
    pub progression: Option<Progression>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecallTask {
    pub patient_id: Uuid,
    pub kind: TaskKind,
    pub facts: TaskFacts,
}

/// Today's tasks, ordered by kind, then patient name, then patient id; with a count for
/// every kind (zero included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DailyList {
    pub tasks: Vec<RecallTask>,
    pub counts: BTreeMap<TaskKind, usize>,
}

/// Completed years between `birth` and `today` (0 when `today` is before `birth`).
/// Someone born on 29 February turns a year older on 1 March in common years.
pub fn age_years(birth: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// Completed calendar months from `from` to `to` (0 when `to` is before `from`):
/// the largest `m` with `from + m months ≤ to`, months added as chrono does (clamped to
/// the month's end, so Jan 31 → Feb 28 is one month).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    if to <= from {
        return 0;
    }
    let estimate = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    let mut m = u32::try_from(estimate.max(0)).unwrap_or(0);
    while m > 0 && from.checked_add_months(Months::new(m)).is_none_or(|d| d > to) {
        m -= 1;
    }
    m
}

/// One eye's (date, SER) points in date order.
type Series = Vec<(NaiveDate, i32)>;

/// Exams up to `today`, oldest first (ties by exam id, so the order is total).
fn exams_until(patient: &RecallPatient, today: NaiveDate) -> Vec<&EyeExam> {
    let mut exams: Vec<&EyeExam> = patient.exams.iter().filter(|e| e.examined_at <= today).collect();
    exams.sort_by_key(|e| (e.examined_at, e.id));
    exams
}

fn ser_series(exams: &[&EyeExam], eye: Eye) -> Series {
    exams.iter().filter_map(|e| ser_cd(e.reading(eye)).map(|s| (e.examined_at, s))).collect()
}

/// The baseline point for a window of `months` ending at the series' latest point: among
/// the points strictly before the latest, the one whose date is closest to
/// `latest − months`, considering only dates within `tolerance_days` of it (and, when
/// `open_ended`, any older date too). On a tie the older point wins.
fn window_baseline(series: &[(NaiveDate, i32)], months: u32, tolerance_days: u32, open_ended: bool) -> Option<usize> {
    let &(latest, _) = series.last()?;
    let target = latest.checked_sub_months(Months::new(months))?;
    let tolerance = i64::from(tolerance_days);
    series
        .iter()
        .enumerate()
        .filter(|(_, (date, _))| {
            let offset = (*date - target).num_days();
            *date < latest && offset <= tolerance && (open_ended || offset >= -tolerance)
        })
        .min_by_key(|(_, (date, _))| ((*date - target).num_days().abs(), *date))
        .map(|(i, _)| i)
}

/// Myopic progression (baseline SER − latest SER) over a window, if a baseline exists.
fn progression_over(series: &[(NaiveDate, i32)], months: u32, tolerance_days: u32) -> Option<i32> {
    let i = window_baseline(series, months, tolerance_days, false)?;
    let &(_, latest) = series.last()?;
    Some(series[i].1 - latest)
}

/// Stable: a baseline about `months` (or more) before the latest exists, and every SER
/// from the baseline to the latest differs from the latest by less than `max_change_cd`.
fn is_stable(series: &[(NaiveDate, i32)], months: u32, tolerance_days: u32, max_change_cd: u32) -> bool {
    let (Some(i), Some(&(_, latest))) = (window_baseline(series, months, tolerance_days, true), series.last()) else {
        return false;
    };
    series[i..].iter().all(|&(_, ser)| (ser - latest).unsigned_abs() < max_change_cd)
}

fn common_facts(exams: &[&EyeExam], today: NaiveDate) -> TaskFacts {
    let months_since_last_check = exams.last().map(|e| months_between(e.examined_at, today));
    let mut change: Option<(i32, Eye)> = None;
    for eye in Eye::BOTH {
        let series = ser_series(exams, eye);
        if let [.., (_, before), (_, last)] = series[..] {
            let delta = last - before;
            if change.is_none_or(|(worst, _)| delta < worst) {
                change = Some((delta, eye));
            }
        }
    }
    TaskFacts {
        months_since_last_check,
        change_since_last_exam_cd: change.map(|(d, _)| d),
        change_eye: change.map(|(_, e)| e),
        ..TaskFacts::default()
    }
}

fn lens_replacement(correction: Option<&Correction>, today: NaiveDate, t: &RecallThresholds) -> Option<i64> {
    let c = correction?;
    if c.kind != CorrectionKind::OrthoK {
        return None;
    }
    let age = (today - c.fitted_on?).num_days();
    (age >= i64::from(t.lens_replacement_days)).then_some(age)
}

fn recheck_overdue(patient: &RecallPatient, exams: &[&EyeExam], today: NaiveDate, t: &RecallThresholds) -> Option<i64> {
    if patient.has_future_visit {
        return None;
    }
    let due = exams.last()?.next_recheck?;
    let days = (today - due).num_days();
    (days > i64::from(t.recheck_grace_days)).then_some(days)
}

fn ortho_k_candidate(correction: Option<&Correction>, exams: &[&EyeExam], today: NaiveDate, t: &RecallThresholds) -> Option<Progression> {
    let c = correction?;
    if !c.kind.is_frames() {
        return None;
    }
    let worn_enough = c.fitted_on?.checked_add_months(Months::new(t.ortho_k_min_frames_months))? <= today;
    if !worn_enough {
        return None;
    }
    let windows = [(t.ortho_k_long_window_months, t.ortho_k_long_window_cd), (t.ortho_k_short_window_months, t.ortho_k_short_window_cd)];
    // The long window is the headline rule: report it when it qualifies; within a window
    // report the eye with the larger progression (OD on a tie).
    for (months, min_cd) in windows {
        let mut best: Option<Progression> = None;
        for eye in Eye::BOTH {
            let series = ser_series(exams, eye);
            let Some(myopic_cd) = progression_over(&series, months, t.window_tolerance_days) else {
                continue;
            };
            if i64::from(myopic_cd) >= i64::from(min_cd) && best.is_none_or(|b| myopic_cd > b.myopic_cd) {
                best = Some(Progression { eye, window_months: months, myopic_cd });
            }
        }
        if best.is_some() {
            return best;
        }
    }
    None
}

fn referral_candidate(patient: &RecallPatient, exams: &[&EyeExam], today: NaiveDate, t: &RecallThresholds) -> bool {
    if age_years(patient.birth_date, today) < t.referral_min_age_years {
        return false;
    }
    let mut any_myopic = false;
    for eye in Eye::BOTH {
        let series = ser_series(exams, eye);
        let Some(&(_, latest)) = series.last() else {
            return false;
        };
        if !is_stable(&series, t.referral_stable_window_months, t.window_tolerance_days, t.referral_max_change_cd) {
            return false;
        }
        any_myopic |= i64::from(latest) <= -i64::from(t.myopia_min_cd);
        // The most recent corneal thickness measured for this eye must be normal.
        let cct = exams.iter().rev().find_map(|e| e.reading(eye).central_corneal_thickness_um);
        if cct.is_none_or(|um| um < t.min_corneal_thickness_um) {
            return false;
        }
    }
    any_myopic
}

/// The tasks due for one patient on `today`, in [`TaskKind`] order:
///
/// - **LensReplacement**: current correction is ortho-k and `today − fitted_on ≥
///   lens_replacement_days` (550). Unknown fitting date → no task.
/// - **RecheckOverdue**: the latest exam's `next_recheck` (a later exam supersedes an
///   earlier one's date; no date → no task) lies more than `recheck_grace_days` (14)
///   before today, and no future visit is booked. `days_overdue` = today − next_recheck.
/// - **OrthoKCandidate**: current correction is frames (single-vision or defocus) fitted
///   at least `ortho_k_min_frames_months` (6) ago (unknown date → no task), and in either
///   eye the myopic progression is ≥ 50度 over the long window (6 months) or ≥ 25度 over
///   the short one (3 months). A window's progression compares that eye's latest SER with
///   a baseline exam: among the eye's earlier exams with a SER, the one closest to
///   `latest − window months` and within `window_tolerance_days` (30) of it, the older on
///   a tie; i.e. 5–7 months back for 6 months, 2–4 for 3. No such exam → that window
///   cannot qualify. Windows end at the eye's latest exam, not at today.
/// - **ReferralCandidate**: aged ≥ 18 completed years; both eyes stable (a baseline exam
///   chosen as above for 12 months but with no upper age limit, i.e. ≥ ~11 months before
///   the latest, exists and every SER from it to the latest differs from the latest by
///   < 50度); at least one eye myopic (SER ≤ −0.50 D); and both eyes' most recent central
///   corneal thickness ≥ `min_corneal_thickness_um` (480 µm). Missing data → no task.
///
/// Every task carries the common facts (months since the last exam, change since the last
/// exam) plus its own (`lens_age_days`, `days_overdue`, `progression`).
pub fn evaluate(patient: &RecallPatient, today: NaiveDate, t: &RecallThresholds) -> Vec<RecallTask> {
    let exams = exams_until(patient, today);
    let common = common_facts(&exams, today);
    let correction = patient.correction.as_ref();
    let task = |kind, facts| RecallTask { patient_id: patient.patient_id, kind, facts };
    let mut tasks = Vec::new();
    if let Some(lens_age_days) = lens_replacement(correction, today, t) {
        tasks.push(task(TaskKind::LensReplacement, TaskFacts { lens_age_days: Some(lens_age_days), ..common.clone() }));
    }
    if let Some(days_overdue) = recheck_overdue(patient, &exams, today, t) {
        tasks.push(task(TaskKind::RecheckOverdue, TaskFacts { days_overdue: Some(days_overdue), ..common.clone() }));
    }
    if let Some(progression) = ortho_k_candidate(correction, &exams, today, t) {
        tasks.push(task(TaskKind::OrthoKCandidate, TaskFacts { progression: Some(progression), ..common.clone() }));
    }
    if referral_candidate(patient, &exams, today, t) {
        tasks.push(task(TaskKind::ReferralCandidate, common));
    }
    tasks
}

/// Today's task list for many patients: by kind, then patient name (plain Unicode order,
/// not pinyin), then patient id; with counts for all four kinds.
pub fn daily_list(patients: &[RecallPatient], today: NaiveDate, t: &RecallThresholds) -> DailyList {
    let mut keyed: Vec<(TaskKind, &str, Uuid, RecallTask)> = patients
        .iter()
        .flat_map(|p| evaluate(p, today, t).into_iter().map(move |task| (task.kind, p.name.as_str(), p.patient_id, task)))
        .collect();
    keyed.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    let mut counts: BTreeMap<TaskKind, usize> = TaskKind::ALL.iter().map(|k| (*k, 0)).collect();
    for (kind, ..) in &keyed {
        *counts.entry(*kind).or_default() += 1;
    }
    DailyList { tasks: keyed.into_iter().map(|(.., task)| task).collect(), counts }
}

/// True when the task was never touched and at least `task_overdue_after_hours` (24) have
/// passed since it was created. A `now` before `created_at` (clock skew) is not overdue.
pub fn is_task_overdue(created_at: DateTime<Utc>, touched: bool, now: DateTime<Utc>, t: &RecallThresholds) -> bool {
    !touched && now.signed_duration_since(created_at) >= Duration::hours(i64::from(t.task_overdue_after_hours))
}

/// "0.50": a magnitude in dioptres for messages.
fn dioptres_abs(cd: i32) -> String {
    let v = cd.unsigned_abs();
    format!("{}.{:02}", v / 100, v % 100)
}

/// Drafts the message the desk sends for a task, from the patient's data: addressed to
/// the guardian when there is one (referral candidates, being adults, are addressed
/// themselves), naming the patient, the months since the last check and the change since
/// the last exam. Clauses whose data are missing are left out.
pub fn draft_message(task: &RecallTask, patient: &RecallPatient, lang: Lang) -> String {
    let f = &task.facts;
    let to_guardian = task.kind != TaskKind::ReferralCandidate;
    let (addressee, subject, possessive) = match (&patient.guardian_name, to_guardian) {
        (Some(g), true) if !g.trim().is_empty() => (g.trim().to_string(), patient.name.clone(), true),
        _ => (patient.name.clone(), lang.pick("您", "您", "you").to_string(), false),
    };
    let eye_name = |e: Option<Eye>| e.map(|e| e.name(lang)).unwrap_or("");
    match lang {
        Lang::ZhCn | Lang::ZhTw => {
            let zh = |cn: &str, tw: &str| lang.pick(cn, tw, "").to_string();
            let mut s = format!("{addressee}您好，");
            let months = f.months_since_last_check.map(|m| match m {
                0 => zh("距上次复查不足 1 个月", "距上次複查不足 1 個月"),
                m => zh(&format!("距上次复查已 {m} 个月"), &format!("距上次複查已 {m} 個月")),
            });
            let change = f.change_since_last_exam_cd.map(|c| {
                let eye = eye_name(f.change_eye);
                if c < 0 {
                    zh(&format!("近一次{eye}近视加深 {}D", dioptres_abs(c)), &format!("近一次{eye}近視加深 {}D", dioptres_abs(c)))
                } else {
                    zh("近一次检查近视未加深", "近一次檢查近視未加深")
                }
            });
            let body: Vec<String> = match task.kind {
                TaskKind::LensReplacement => {
                    let mut v = vec![match f.lens_age_days {
                        Some(d) => zh(
                            &format!("{subject}的角膜塑形镜已配戴 {d} 天，已到更换周期"),
                            &format!("{subject}的角膜塑形鏡已配戴 {d} 天，已到更換週期"),
                        ),
                        None => zh(&format!("{subject}的角膜塑形镜已到更换周期"), &format!("{subject}的角膜塑形鏡已到更換週期")),
                    }];
                    v.extend(months);
                    v.push(zh("建议尽快预约换片检查。", "建議盡快預約換片檢查。"));
                    v
                }
                TaskKind::RecheckOverdue => {
                    let mut v = vec![match months {
                        Some(m) => format!("{subject}{m}"),
                        None => zh(&format!("{subject}的复查已超期"), &format!("{subject}的複查已逾期")),
                    }];
                    v.extend(change);
                    v.push(zh("建议尽快预约复查。", "建議盡快預約複查。"));
                    v
                }
                TaskKind::OrthoKCandidate => {
                    let mut v = Vec::new();
                    if let Some(p) = f.progression {
                        let eye = p.eye.name(lang);
                        let d = dioptres_abs(p.myopic_cd);
                        let w = p.window_months;
                        v.push(zh(&format!("{subject}{eye}近 {w} 个月近视加深 {d}D"), &format!("{subject}{eye}近 {w} 個月近視加深 {d}D")));
                    } else {
                        v.push(zh(&format!("{subject}近期近视加深较快"), &format!("{subject}近期近視加深較快")));
                    }
                    v.extend(months);
                    v.push(zh("建议预约检查，评估是否适合配戴角膜塑形镜控制近视。", "建議預約檢查，評估是否適合配戴角膜塑形鏡控制近視。"));
                    v
                }
                TaskKind::ReferralCandidate => vec![
                    zh("您的近视度数近一年保持稳定，角膜厚度检查正常", "您的近視度數近一年保持穩定，角膜厚度檢查正常"),
                    zh("如有摘镜意愿，可预约屈光手术术前检查。", "如有摘鏡意願，可預約屈光手術術前檢查。"),
                ],
            };
            s.push_str(&body.join("，"));
            s
        }
        Lang::En => {
            // The first sentence follows "Hello X, " and so starts in lower case.
            let whose = if possessive { format!("{subject}'s") } else { "your".to_string() };
            let month_word = |m: u32| if m == 1 { "month" } else { "months" };
            let months = |first: bool| {
                f.months_since_last_check.map(|m| {
                    let who = if possessive { subject.clone() } else { "you".to_string() };
                    let it = if first { "it" } else { "It" };
                    if m == 0 {
                        format!("{it} has been less than a month since {who} last had a check-up.")
                    } else {
                        format!("{it} has been {m} {} since {who} last had a check-up.", month_word(m))
                    }
                })
            };
            let change = f.change_since_last_exam_cd.map(|c| {
                let eye = f.change_eye.map(|e| format!(" in the {}", e.name(lang))).unwrap_or_default();
                if c < 0 {
                    format!("At the last exam myopia increased by {} D{eye}.", dioptres_abs(c))
                } else {
                    "At the last exam myopia did not increase.".to_string()
                }
            });
            let mut v = vec![format!("Hello {addressee},")];
            match task.kind {
                TaskKind::LensReplacement => {
                    v.push(match f.lens_age_days {
                        Some(d) => format!("{whose} ortho-k lenses have been worn for {d} days and are due for replacement."),
                        None => format!("{whose} ortho-k lenses are due for replacement."),
                    });
                    v.extend(months(false));
                    v.push("Please book a lens replacement check soon.".to_string());
                }
                TaskKind::RecheckOverdue => {
                    v.push(months(true).unwrap_or_else(|| format!("{whose} recheck is overdue.")));
                    v.extend(change);
                    v.push("Please book a recheck soon.".to_string());
                }
                TaskKind::OrthoKCandidate => {
                    v.push(match f.progression {
                        Some(p) => format!(
                            "in the last {} months myopia in {whose} {} increased by {} D.",
                            p.window_months,
                            p.eye.name(lang),
                            dioptres_abs(p.myopic_cd)
                        ),
                        None => format!("{whose} myopia has recently been increasing quickly."),
                    });
                    v.extend(months(false));
                    v.push("We suggest booking an exam to see whether ortho-k lenses would suit for myopia control.".to_string());
                }
                TaskKind::ReferralCandidate => {
                    v.push("your myopia has been stable over the past year and your corneal thickness is normal.".to_string());
                    v.push(
                        "If you would like to stop wearing glasses, you can book a pre-operative exam for refractive surgery.".to_string(),
                    );
                }
            }
            v.join(" ")
        }
    }
}

/// Sane ranges of every threshold, `(field, min, max)` inclusive: a manager's typo (a lens
/// replacement after 5 days, an overdue mark after 0 hours) is refused naming the field.
const THRESHOLD_RANGES: [(&str, i64, i64); 14] = [
    ("ortho_k_min_frames_months", 1, 60),
    ("ortho_k_long_window_months", 2, 36),
    ("ortho_k_long_window_cd", 1, 400),
    ("ortho_k_short_window_months", 1, 35),
    ("ortho_k_short_window_cd", 1, 400),
    ("window_tolerance_days", 0, 90),
    ("lens_replacement_days", 30, 1095),
    ("recheck_grace_days", 0, 365),
    ("referral_min_age_years", 16, 60),
    ("referral_stable_window_months", 3, 60),
    ("referral_max_change_cd", 1, 300),
    ("myopia_min_cd", 1, 2000),
    ("min_corneal_thickness_um", 300, 700),
    ("task_overdue_after_hours", 1, 720),
];

impl RecallThresholds {
    fn values(&self) -> [i64; 14] {
        [
            i64::from(self.ortho_k_min_frames_months),
            i64::from(self.ortho_k_long_window_months),
            i64::from(self.ortho_k_long_window_cd),
            i64::from(self.ortho_k_short_window_months),
            i64::from(self.ortho_k_short_window_cd),
            i64::from(self.window_tolerance_days),
            i64::from(self.lens_replacement_days),
            i64::from(self.recheck_grace_days),
            i64::from(self.referral_min_age_years),
            i64::from(self.referral_stable_window_months),
            i64::from(self.referral_max_change_cd),
            i64::from(self.myopia_min_cd),
            i64::from(self.min_corneal_thickness_um),
            i64::from(self.task_overdue_after_hours),
        ]
    }

    /// Every threshold in its sane range, and the short ortho-k window shorter than the long
    /// one. The first value out of range is refused as
    /// [`DomainError::InvalidRecallThreshold`], whose `field()` is `recall.<name>`.
    pub fn validate(&self) -> Result<(), DomainError> {
        for ((field, min, max), value) in THRESHOLD_RANGES.into_iter().zip(self.values()) {
            let max = if field == "ortho_k_short_window_months" { max.min(i64::from(self.ortho_k_long_window_months) - 1) } else { max };
            if !(min..=max).contains(&value) {
                return Err(DomainError::InvalidRecallThreshold { field, min, max });
            }
        }
        Ok(())
    }
}

/// What came of contacting a patient about a task (`recall.record_outcome@1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RecallOutcome {
    /// Reached and told; nothing booked yet.
    Contacted,
    /// Reached and a visit was booked.
    Booked,
    /// Reached; the patient (or guardian) does not want to come.
    Declined,
    /// Not reached: the task stays open, call again.
    Unreachable,
}

impl RecallOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RecallOutcome::Contacted => "contacted",
            RecallOutcome::Booked => "booked",
            RecallOutcome::Declined => "declined",
            RecallOutcome::Unreachable => "unreachable",
        }
    }
    pub fn parse(s: &str) -> Option<RecallOutcome> {
        Some(match s {
            "contacted" => RecallOutcome::Contacted,
            "booked" => RecallOutcome::Booked,
            "declined" => RecallOutcome::Declined,
            "unreachable" => RecallOutcome::Unreachable,
            _ => return None,
        })
    }
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::LensReplacement => "lens_replacement",
            TaskKind::RecheckOverdue => "recheck_overdue",
            TaskKind::OrthoKCandidate => "ortho_k_candidate",
            TaskKind::ReferralCandidate => "referral_candidate",
        }
    }
    pub fn parse(s: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One recorded outcome of a task (history is kept: one row per outcome).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecallOutcomeRecord {
    /// The command's mutation id: one outcome per command.
    pub id: Uuid,
    pub store_id: Uuid,
    pub patient_id: Uuid,
    pub kind: TaskKind,
    pub outcome: RecallOutcome,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
    /// The actor's label ("receptionist:李娜").
    pub actor: String,
}

/// Whether a task still needs a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RecallStatus {
    Open,
    Done,
}

/// How long an outcome other than "unreachable" settles a task.
pub const DONE_FOR_DAYS: i64 = 30;

/// True when `outcome`, recorded at `at`, settles its task at `now`: anything but
/// "unreachable", recorded less than [`DONE_FOR_DAYS`] (30 × 24 h) before `now`. An outcome
/// stamped after `now` (another desk's clock ahead) counts as recent.
pub fn outcome_settles(outcome: RecallOutcome, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    outcome != RecallOutcome::Unreachable && now.signed_duration_since(at) < Duration::days(DONE_FOR_DAYS)
}

/// A task's status and overdue mark from when the desk first listed it and its outcomes
/// (any order): **done** when an outcome other than "unreachable" was recorded within the
/// last 30 days, else **open**. An open task is overdue when nobody touched it for
/// `task_overdue_after_hours` ([`is_task_overdue`]) counted from the latest of: when it was
/// listed, its last outcome, and the end of its last 30-day "done" period (a task that comes
/// back is not overdue at once). A done task is never overdue.
pub fn task_state(
    listed_at: DateTime<Utc>,
    outcomes: &[(RecallOutcome, DateTime<Utc>)],
    now: DateTime<Utc>,
    t: &RecallThresholds,
) -> (RecallStatus, bool) {
    if outcomes.iter().any(|&(o, at)| outcome_settles(o, at, now)) {
        return (RecallStatus::Done, false);
    }
    let since = outcomes
        .iter()
        .map(|&(o, at)| if o == RecallOutcome::Unreachable { at } else { at + Duration::days(DONE_FOR_DAYS) })
        .fold(listed_at, DateTime::max);
    (RecallStatus::Open, is_task_overdue(since, false, now, t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eye::EyeReading;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const TODAY: (i32, u32, u32) = (2025, 1, 10);

    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    fn reading(eye: Eye, sphere: Option<i32>) -> EyeReading {
        EyeReading { sphere_cd: sphere, central_corneal_thickness_um: Some(520), ..EyeReading::empty(eye) }
    }

    /// An exam with sphere-only refraction (so SER = sphere) and normal corneas.
    fn exam(date: NaiveDate, od: Option<i32>, os: Option<i32>) -> EyeExam {
        EyeExam {
            id: Uuid::from_u128(date.to_epoch_days() as u128),
            patient_id: Uuid::from_u128(7),
            store_id: Uuid::from_u128(1),
            examined_at: date,
            biometer: "IOLMaster 700".into(),
            od: reading(Eye::Od, od),
            os: reading(Eye::Os, os),
            next_recheck: None,
        }
    }

    fn exams(points: &[(NaiveDate, i32, i32)]) -> Vec<EyeExam> {
        points.iter().map(|&(date, od, os)| exam(date, Some(od), Some(os))).collect()
    }

    fn correction(kind: CorrectionKind, fitted_on: Option<NaiveDate>) -> Option<Correction> {
        Some(Correction { kind, fitted_on, brand: Some("Brand".into()), manufacturer: None })
    }

    fn patient(name: &str, id: u128, correction: Option<Correction>, exams: Vec<EyeExam>) -> RecallPatient {
        RecallPatient {
            patient_id: Uuid::from_u128(id),
            name: name.into(),
            birth_date: d(2014, 5, 1),
            guardian_name: Some("王女士".into()),
            correction,
            exams,
            has_future_visit: false,
        }
    }

    fn task_of(p: &RecallPatient, today: NaiveDate, t: &RecallThresholds, kind: TaskKind) -> Option<RecallTask> {
        evaluate(p, today, t).into_iter().find(|task| task.kind == kind)
    }

    fn with(edit: fn(&mut RecallThresholds)) -> RecallThresholds {
        let mut t = RecallThresholds::default();
        edit(&mut t);
        t
    }

    #[test]
    fn defaults_are_the_documented_thresholds_and_missing_config_fields_take_them() {
        let t = RecallThresholds::default();
        assert_eq!((t.ortho_k_min_frames_months, t.ortho_k_long_window_months, t.ortho_k_long_window_cd), (6, 6, 50));
        assert_eq!((t.ortho_k_short_window_months, t.ortho_k_short_window_cd), (3, 25));
        assert_eq!((t.lens_replacement_days, t.recheck_grace_days, t.task_overdue_after_hours), (550, 14, 24));
        assert_eq!(
            (t.referral_min_age_years, t.referral_stable_window_months, t.referral_max_change_cd, t.min_corneal_thickness_um),
            (18, 12, 50, 480)
        );
        let partial: RecallThresholds = serde_json::from_str(r#"{"lens_replacement_days": 365}"#).unwrap();
        assert_eq!(partial, RecallThresholds { lens_replacement_days: 365, ..RecallThresholds::default() });
    }

    type OrthoKCase = (&'static str, Option<Correction>, Vec<EyeExam>, RecallThresholds, Option<(Eye, u32, i32)>);

    #[test]
    fn ortho_k_candidate_needs_six_months_of_frames_and_50_degrees_in_six_months() {
        let sv = |fitted| correction(CorrectionKind::SingleVisionFrames, fitted);
        let fitted = Some(d(2024, 1, 1));
        let def = RecallThresholds::default;
        // Latest exam 2025-01-01: the 6-month window starts 2024-07-01 (baseline 2024-06-01..=2024-07-31),
        // the 3-month window 2024-10-01 (baseline 2024-09-01..=2024-10-31).
        let cases: Vec<OrthoKCase> = vec![
            (
                "50度 over 6 months in OD",
                sv(fitted),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -150, -100)]),
                def(),
                Some((Eye::Od, 6, 50)),
            ),
            (
                "50度 over 6 months in OS only",
                sv(fitted),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -100, -175)]),
                def(),
                Some((Eye::Os, 6, 75)),
            ),
            ("only 25度 over 6 months", sv(fitted), exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -125, -125)]), def(), None),
            (
                "defocus frames count as frames",
                correction(CorrectionKind::DefocusFrames, fitted),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -150, -100)]),
                def(),
                Some((Eye::Od, 6, 50)),
            ),
            (
                "ortho-k wearer is no candidate",
                correction(CorrectionKind::OrthoK, fitted),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -200, -200)]),
                def(),
                None,
            ),
            (
                "no correction is no candidate",
                correction(CorrectionKind::None, fitted),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -200, -200)]),
                def(),
                None,
            ),
            (
                "other correction is no candidate",
                correction(CorrectionKind::Other, fitted),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -200, -200)]),
                def(),
                None,
            ),
            ("correction unknown", None, exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -200, -200)]), def(), None),
            ("fitting date unknown", sv(None), exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -200, -200)]), def(), None),
            (
                "frames worn exactly 6 months",
                sv(Some(d(2024, 7, 10))),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -150, -100)]),
                def(),
                Some((Eye::Od, 6, 50)),
            ),
            (
                "frames worn 6 months less a day",
                sv(Some(d(2024, 7, 11))),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -150, -100)]),
                def(),
                None,
            ),
            (
                "25度 over 3 months",
                sv(fitted),
                exams(&[(d(2024, 10, 1), -100, -100), (d(2025, 1, 1), -125, -100)]),
                def(),
                Some((Eye::Od, 3, 25)),
            ),
            ("only 12度 over 3 months", sv(fitted), exams(&[(d(2024, 10, 1), -100, -100), (d(2025, 1, 1), -100, -100)]), def(), None),
            (
                "the 6-month window is reported when both qualify",
                sv(fitted),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2024, 10, 1), -100, -100), (d(2025, 1, 1), -150, -100)]),
                def(),
                Some((Eye::Od, 6, 50)),
            ),
            (
                "3-month window qualifies though 6 months do not",
                sv(fitted),
                exams(&[(d(2024, 7, 1), -150, -150), (d(2024, 10, 1), -125, -150), (d(2025, 1, 1), -150, -150)]),
                def(),
                Some((Eye::Od, 3, 25)),
            ),
            (
                "100度 over 2 years is no 6-month rate",
                sv(fitted),
                exams(&[(d(2023, 1, 1), -100, -100), (d(2025, 1, 1), -200, -200)]),
                def(),
                None,
            ),
            (
                "a 4½-month gap fits neither window",
                sv(fitted),
                exams(&[(d(2024, 8, 15), -100, -100), (d(2025, 1, 1), -200, -200)]),
                def(),
                None,
            ),
            (
                "baseline 30 days after the 6-month start",
                sv(fitted),
                exams(&[(d(2024, 7, 31), -100, -100), (d(2025, 1, 1), -150, -100)]),
                def(),
                Some((Eye::Od, 6, 50)),
            ),
            (
                "baseline 31 days after the 6-month start",
                sv(fitted),
                exams(&[(d(2024, 8, 1), -100, -100), (d(2025, 1, 1), -150, -100)]),
                def(),
                None,
            ),
            (
                "baseline 30 days before the 6-month start",
                sv(fitted),
                exams(&[(d(2024, 6, 1), -100, -100), (d(2025, 1, 1), -150, -100)]),
                def(),
                Some((Eye::Od, 6, 50)),
            ),
            (
                "baseline 31 days before the 6-month start",
                sv(fitted),
                exams(&[(d(2024, 5, 31), -100, -100), (d(2025, 1, 1), -150, -100)]),
                def(),
                None,
            ),
            (
                "the baseline is the exam closest to the window start",
                sv(fitted),
                exams(&[(d(2024, 6, 10), -50, -50), (d(2024, 7, 5), -100, -100), (d(2025, 1, 1), -150, -100)]),
                def(),
                Some((Eye::Od, 6, 50)),
            ),
            (
                "on a tie the older baseline wins",
                sv(fitted),
                exams(&[(d(2024, 6, 21), -50, -100), (d(2024, 7, 11), -100, -100), (d(2025, 1, 1), -150, -100)]),
                def(),
                Some((Eye::Od, 6, 100)),
            ),
            (
                "hyperopic shift is no progression",
                sv(fitted),
                exams(&[(d(2024, 7, 1), -200, -200), (d(2025, 1, 1), -100, -100)]),
                def(),
                None,
            ),
            (
                "exams after today are ignored",
                sv(fitted),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -100, -100), (d(2025, 1, 11), -300, -300)]),
                def(),
                None,
            ),
            ("a single exam proves nothing", sv(fitted), exams(&[(d(2025, 1, 1), -500, -500)]), def(), None),
            (
                "raised long threshold: 50 is not 51",
                sv(fitted),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -150, -100)]),
                with(|t| t.ortho_k_long_window_cd = 51),
                None,
            ),
            (
                "lowered long threshold: 25 is enough",
                sv(fitted),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -125, -125)]),
                with(|t| t.ortho_k_long_window_cd = 25),
                Some((Eye::Od, 6, 25)),
            ),
            (
                "raised short threshold: 25 is not 26",
                sv(fitted),
                exams(&[(d(2024, 10, 1), -100, -100), (d(2025, 1, 1), -125, -100)]),
                with(|t| t.ortho_k_short_window_cd = 26),
                None,
            ),
            (
                "frames must be worn 12 months when so set",
                sv(Some(d(2024, 3, 1))),
                exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -150, -100)]),
                with(|t| t.ortho_k_min_frames_months = 12),
                None,
            ),
            (
                "a wider window tolerance accepts an older baseline",
                sv(fitted),
                exams(&[(d(2024, 5, 31), -100, -100), (d(2025, 1, 1), -150, -100)]),
                with(|t| t.window_tolerance_days = 31),
                Some((Eye::Od, 6, 50)),
            ),
        ];
        for (what, correction, exams, t, expected) in cases {
            let p = patient("小明", 1, correction, exams);
            let got = task_of(&p, today(), &t, TaskKind::OrthoKCandidate)
                .map(|task| task.facts.progression.map(|pr| (pr.eye, pr.window_months, pr.myopic_cd)).unwrap());
            assert_eq!(got, expected, "{what}");
        }
    }

    #[test]
    fn progression_uses_rounded_ser_including_cylinder() {
        // OD baseline sphere -100 cyl -25 → SER -112.5 → -113; latest sphere -150 cyl -25 → -163: 50度.
        let mut before = exam(d(2024, 7, 1), Some(-100), Some(-100));
        before.od.cylinder_cd = Some(-25);
        before.od.axis_deg = Some(90);
        let mut latest = exam(d(2025, 1, 1), Some(-150), Some(-100));
        latest.od.cylinder_cd = Some(-25);
        latest.od.axis_deg = Some(90);
        let p =
            patient("小明", 1, correction(CorrectionKind::SingleVisionFrames, Some(d(2024, 1, 1))), vec![latest.clone(), before.clone()]);
        let task = task_of(&p, today(), &RecallThresholds::default(), TaskKind::OrthoKCandidate).expect("candidate");
        assert_eq!(task.facts.progression, Some(Progression { eye: Eye::Od, window_months: 6, myopic_cd: 50 }));
        // Latest sphere -125 cyl -25 → -137.5 → -138: only 25度 progression (rounding did not inflate it).
        latest.od.sphere_cd = Some(-125);
        let p = patient("小明", 1, p.correction.clone(), vec![before, latest]);
        assert_eq!(task_of(&p, today(), &RecallThresholds::default(), TaskKind::OrthoKCandidate), None);
    }

    #[test]
    fn lens_replacement_due_at_550_days_not_549() {
        let ok = |fitted| correction(CorrectionKind::OrthoK, fitted);
        let days_ago = |n: i64| Some(today() - Duration::days(n));
        let cases: Vec<(&str, Option<Correction>, RecallThresholds, Option<i64>)> = vec![
            ("549 days", ok(days_ago(549)), RecallThresholds::default(), None),
            ("550 days", ok(days_ago(550)), RecallThresholds::default(), Some(550)),
            ("551 days", ok(days_ago(551)), RecallThresholds::default(), Some(551)),
            ("fitted today", ok(days_ago(0)), RecallThresholds::default(), None),
            ("fitting date unknown", ok(None), RecallThresholds::default(), None),
            ("frames are not ortho-k", correction(CorrectionKind::SingleVisionFrames, days_ago(800)), RecallThresholds::default(), None),
            ("no correction recorded", None, RecallThresholds::default(), None),
            ("365-day cycle configured: 365", ok(days_ago(365)), with(|t| t.lens_replacement_days = 365), Some(365)),
            ("365-day cycle configured: 364", ok(days_ago(364)), with(|t| t.lens_replacement_days = 364 + 1), None),
            ("600-day cycle configured: 550 not yet", ok(days_ago(550)), with(|t| t.lens_replacement_days = 600), None),
        ];
        for (what, correction, t, expected) in cases {
            let p = patient("小明", 1, correction, exams(&[(d(2024, 12, 1), -200, -200)]));
            let got = task_of(&p, today(), &t, TaskKind::LensReplacement).map(|task| task.facts.lens_age_days.unwrap());
            assert_eq!(got, expected, "{what}");
        }
    }

    #[test]
    fn recheck_overdue_only_after_grace_days_and_without_booked_visit() {
        let days_ago = |n: i64| today() - Duration::days(n);
        // (what, [(exam date, next recheck)], future visit booked, thresholds, expected days overdue)
        type Case = (&'static str, Vec<(NaiveDate, Option<NaiveDate>)>, bool, RecallThresholds, Option<i64>);
        let cases: Vec<Case> = vec![
            ("14 days past: still in grace", vec![(d(2024, 6, 1), Some(days_ago(14)))], false, RecallThresholds::default(), None),
            ("15 days past: overdue", vec![(d(2024, 6, 1), Some(days_ago(15)))], false, RecallThresholds::default(), Some(15)),
            ("100 days past", vec![(d(2024, 6, 1), Some(days_ago(100)))], false, RecallThresholds::default(), Some(100)),
            ("overdue but a visit is booked", vec![(d(2024, 6, 1), Some(days_ago(100)))], true, RecallThresholds::default(), None),
            ("recheck date in the future", vec![(d(2024, 12, 1), Some(days_ago(-20)))], false, RecallThresholds::default(), None),
            ("no recheck asked for", vec![(d(2024, 6, 1), None)], false, RecallThresholds::default(), None),
            ("no exam at all", vec![], false, RecallThresholds::default(), None),
            (
                "a later exam supersedes the old recheck date",
                vec![(d(2024, 3, 1), Some(d(2024, 6, 1))), (d(2024, 12, 20), Some(d(2025, 3, 20)))],
                false,
                RecallThresholds::default(),
                None,
            ),
            (
                "a later exam without a recheck date clears it",
                vec![(d(2024, 3, 1), Some(d(2024, 6, 1))), (d(2024, 12, 20), None)],
                false,
                RecallThresholds::default(),
                None,
            ),
            (
                "exams in any order: the latest counts",
                vec![(d(2024, 9, 1), Some(days_ago(30))), (d(2024, 3, 1), Some(d(2024, 6, 1)))],
                false,
                RecallThresholds::default(),
                Some(30),
            ),
            (
                "grace 0: one day past is overdue",
                vec![(d(2024, 6, 1), Some(days_ago(1)))],
                false,
                with(|t| t.recheck_grace_days = 0),
                Some(1),
            ),
            (
                "grace 0: the due day itself is not",
                vec![(d(2024, 6, 1), Some(days_ago(0)))],
                false,
                with(|t| t.recheck_grace_days = 0),
                None,
            ),
            (
                "grace 30: 15 days is not overdue",
                vec![(d(2024, 6, 1), Some(days_ago(15)))],
                false,
                with(|t| t.recheck_grace_days = 30),
                None,
            ),
        ];
        for (what, visits, has_future_visit, t, expected) in cases {
            let exams = visits.iter().map(|&(date, next)| EyeExam { next_recheck: next, ..exam(date, Some(-200), Some(-200)) }).collect();
            let p = RecallPatient { has_future_visit, ..patient("小明", 1, None, exams) };
            let got = task_of(&p, today(), &t, TaskKind::RecheckOverdue).map(|task| task.facts.days_overdue.unwrap());
            assert_eq!(got, expected, "{what}");
        }
    }

    #[test]
    fn referral_needs_adult_stable_myopia_and_normal_cornea() {
        type Edit = fn(&mut RecallPatient);
        fn set_cct(p: &mut RecallPatient, eye: Eye, um: Option<i32>) {
            let latest = p.exams.last_mut().unwrap();
            match eye {
                Eye::Od => latest.od.central_corneal_thickness_um = um,
                Eye::Os => latest.os.central_corneal_thickness_um = um,
            }
        }
        // Base: born 2000-03-15 (24 on 2025-01-10), -3.00 D in both eyes a year apart, CCT 520 µm.
        let cases: Vec<(&str, Edit, RecallThresholds, bool)> = vec![
            ("adult with stable myopia and normal corneas", |_| {}, RecallThresholds::default(), true),
            ("17, turning 18 tomorrow", |p| p.birth_date = d(2007, 1, 11), RecallThresholds::default(), false),
            ("18 today", |p| p.birth_date = d(2007, 1, 10), RecallThresholds::default(), true),
            ("OS changed by 50度", |p| p.exams[1].os.sphere_cd = Some(-350), RecallThresholds::default(), false),
            ("OD changed by 25度", |p| p.exams[1].od.sphere_cd = Some(-325), RecallThresholds::default(), true),
            ("a hyperopic 50度 change is not stable either", |p| p.exams[1].od.sphere_cd = Some(-250), RecallThresholds::default(), false),
            (
                "an exam in between that differs by 50度",
                |p| p.exams.insert(1, exam(d(2024, 7, 1), Some(-350), Some(-300))),
                RecallThresholds::default(),
                false,
            ),
            (
                "an exam before the 12-month baseline is not looked at",
                |p| p.exams.insert(0, exam(d(2023, 1, 1), Some(-500), Some(-500))),
                RecallThresholds::default(),
                true,
            ),
            ("baseline 11 months and 1 day back", |p| p.exams[0].examined_at = d(2024, 1, 31), RecallThresholds::default(), true),
            ("baseline only 11 months back", |p| p.exams[0].examined_at = d(2024, 2, 1), RecallThresholds::default(), false),
            ("baseline three years back", |p| p.exams[0].examined_at = d(2022, 1, 1), RecallThresholds::default(), true),
            ("a single exam proves no stability", |p| drop(p.exams.remove(0)), RecallThresholds::default(), false),
            (
                "not myopic",
                |p| {
                    p.exams.iter_mut().for_each(|e| {
                        e.od.sphere_cd = Some(0);
                        e.os.sphere_cd = Some(100)
                    })
                },
                RecallThresholds::default(),
                false,
            ),
            (
                "-0.25 D is not myopia",
                |p| {
                    p.exams.iter_mut().for_each(|e| {
                        e.od.sphere_cd = Some(-25);
                        e.os.sphere_cd = Some(-25)
                    })
                },
                RecallThresholds::default(),
                false,
            ),
            (
                "-0.50 D in one eye is myopia",
                |p| {
                    p.exams.iter_mut().for_each(|e| {
                        e.od.sphere_cd = Some(-50);
                        e.os.sphere_cd = Some(0)
                    })
                },
                RecallThresholds::default(),
                true,
            ),
            (
                "OS refraction never measured",
                |p| p.exams.iter_mut().for_each(|e| e.os.sphere_cd = None),
                RecallThresholds::default(),
                false,
            ),
            ("CCT 480 is normal", |p| set_cct(p, Eye::Od, Some(480)), RecallThresholds::default(), true),
            ("CCT 479 is thin", |p| set_cct(p, Eye::Os, Some(479)), RecallThresholds::default(), false),
            ("CCT taken from the last exam that measured it", |p| set_cct(p, Eye::Os, None), RecallThresholds::default(), true),
            (
                "CCT never measured",
                |p| p.exams.iter_mut().for_each(|e| e.os.central_corneal_thickness_um = None),
                RecallThresholds::default(),
                false,
            ),
            ("min CCT raised to 521", |_| {}, with(|t| t.min_corneal_thickness_um = 521), false),
            ("min age raised to 25", |_| {}, with(|t| t.referral_min_age_years = 25), false),
            (
                "max change raised to 75: 50度 is stable",
                |p| p.exams[1].os.sphere_cd = Some(-350),
                with(|t| t.referral_max_change_cd = 75),
                true,
            ),
            ("stability window 24 months: one year is not enough", |_| {}, with(|t| t.referral_stable_window_months = 24), false),
        ];
        for (what, edit, t, expected) in cases {
            let mut p = RecallPatient {
                birth_date: d(2000, 3, 15),
                guardian_name: None,
                ..patient("张伟", 1, correction(CorrectionKind::SingleVisionFrames, Some(d(2020, 1, 1))), vec![])
            };
            p.exams = vec![exam(d(2024, 1, 1), Some(-300), Some(-300)), exam(d(2025, 1, 1), Some(-300), Some(-300))];
            edit(&mut p);
            let got = task_of(&p, today(), &t, TaskKind::ReferralCandidate).is_some();
            assert_eq!(got, expected, "{what}");
        }
    }

    #[test]
    fn months_and_ages_count_completed_calendar_units() {
        let months = [
            (d(2024, 1, 15), d(2024, 7, 14), 5),
            (d(2024, 1, 15), d(2024, 7, 15), 6),
            (d(2024, 1, 31), d(2024, 2, 29), 1), // clamped to the month's end
            (d(2024, 1, 31), d(2024, 2, 28), 0),
            (d(2024, 3, 31), d(2024, 4, 30), 1),
            (d(2024, 5, 1), d(2024, 5, 1), 0),
            (d(2024, 5, 1), d(2024, 4, 1), 0), // backwards
            (d(2023, 12, 20), d(2025, 1, 10), 12),
        ];
        for (from, to, expected) in months {
            assert_eq!(months_between(from, to), expected, "{from} → {to}");
        }
        let ages = [
            (d(2007, 1, 10), d(2025, 1, 10), 18),
            (d(2007, 1, 11), d(2025, 1, 10), 17),
            (d(2008, 2, 29), d(2026, 2, 28), 17),
            (d(2008, 2, 29), d(2026, 3, 1), 18),
            (d(2026, 1, 1), d(2025, 1, 1), 0),
        ];
        for (birth, today, expected) in ages {
            assert_eq!(age_years(birth, today), expected, "born {birth}, on {today}");
        }
    }

    #[test]
    fn facts_report_months_since_last_check_and_the_worse_eyes_last_change() {
        // (what, exams, expected (months, change, eye))
        type Case = (&'static str, Vec<EyeExam>, (Option<u32>, Option<i32>, Option<Eye>));
        let cases: Vec<Case> = vec![
            ("OS worsened more", exams(&[(d(2024, 6, 1), -100, -100), (d(2024, 6, 10), -150, -175)]), (Some(7), Some(-75), Some(Eye::Os))),
            ("tie goes to OD", exams(&[(d(2024, 6, 1), -100, -100), (d(2024, 6, 10), -150, -150)]), (Some(7), Some(-50), Some(Eye::Od))),
            (
                "improvement is reported as positive",
                exams(&[(d(2024, 6, 1), -200, -200), (d(2024, 6, 10), -150, -175)]),
                (Some(7), Some(25), Some(Eye::Os)),
            ),
            (
                "only the last two exams count",
                exams(&[(d(2023, 6, 1), -500, -500), (d(2024, 6, 1), -100, -100), (d(2024, 12, 10), -125, -100)]),
                (Some(1), Some(-25), Some(Eye::Od)),
            ),
            (
                "an exam without OD refraction is skipped for OD",
                vec![
                    exam(d(2024, 1, 1), Some(-100), Some(-100)),
                    exam(d(2024, 6, 1), Some(-150), Some(-100)),
                    exam(d(2024, 12, 1), None, Some(-100)),
                ],
                (Some(1), Some(-50), Some(Eye::Od)),
            ),
            ("one exam: no change", exams(&[(d(2024, 6, 1), -100, -100)]), (Some(7), None, None)),
            ("no exams: nothing", vec![], (None, None, None)),
        ];
        for (what, exams, expected) in cases {
            let p = RecallPatient { has_future_visit: false, ..patient("小明", 1, None, exams) };
            let f = common_facts(&exams_until(&p, today()), today());
            assert_eq!((f.months_since_last_check, f.change_since_last_exam_cd, f.change_eye), expected, "{what}");
        }
    }

    fn overdue_patient(name: &str, id: u128) -> RecallPatient {
        let e = EyeExam { next_recheck: Some(d(2024, 9, 1)), ..exam(d(2024, 6, 1), Some(-200), Some(-200)) };
        patient(name, id, None, vec![e])
    }

    fn lens_patient(name: &str, id: u128) -> RecallPatient {
        patient(name, id, correction(CorrectionKind::OrthoK, Some(d(2023, 1, 1))), exams(&[(d(2024, 12, 1), -200, -200)]))
    }

    #[test]
    fn daily_list_orders_by_kind_then_name_then_id_and_counts_every_kind() {
        let both = {
            let mut p = lens_patient("阿明", 9);
            p.exams[0].next_recheck = Some(d(2024, 12, 15));
            p
        };
        let patients = vec![
            overdue_patient("b", 3),
            overdue_patient("a", 5),
            lens_patient("c", 1),
            overdue_patient("a", 2),
            both,
            patient("nothing due", 4, None, vec![]),
        ];
        let list = daily_list(&patients, today(), &RecallThresholds::default());
        let order: Vec<(TaskKind, u128)> = list.tasks.iter().map(|t| (t.kind, t.patient_id.as_u128())).collect();
        assert_eq!(
            order,
            vec![
                (TaskKind::LensReplacement, 1), // "c" < "阿明"
                (TaskKind::LensReplacement, 9),
                (TaskKind::RecheckOverdue, 2), // "a" id 2 before "a" id 5
                (TaskKind::RecheckOverdue, 5),
                (TaskKind::RecheckOverdue, 3),
                (TaskKind::RecheckOverdue, 9),
            ]
        );
        let counts: Vec<(TaskKind, usize)> = list.counts.into_iter().collect();
        assert_eq!(
            counts,
            vec![
                (TaskKind::LensReplacement, 2),
                (TaskKind::RecheckOverdue, 4),
                (TaskKind::OrthoKCandidate, 0),
                (TaskKind::ReferralCandidate, 0),
            ]
        );
        let mut reversed = patients.clone();
        reversed.reverse();
        assert_eq!(
            daily_list(&reversed, today(), &RecallThresholds::default()).tasks,
            daily_list(&patients, today(), &RecallThresholds::default()).tasks
        );
    }

    #[test]
    fn task_untouched_for_24_hours_is_overdue() {
        let created = DateTime::parse_from_rfc3339("2025-01-10T00:30:00Z").unwrap().with_timezone(&Utc);
        let at = |minutes: i64| created + Duration::minutes(minutes);
        let cases = [
            ("23 h 59 min untouched", at(24 * 60 - 1), false, RecallThresholds::default(), false),
            ("24 h untouched", at(24 * 60), false, RecallThresholds::default(), true),
            ("3 days untouched", at(3 * 24 * 60), false, RecallThresholds::default(), true),
            ("touched, 3 days later", at(3 * 24 * 60), true, RecallThresholds::default(), false),
            ("clock behind creation", at(-60), false, RecallThresholds::default(), false),
            ("48 h configured: 24 h is fine", at(24 * 60), false, with(|t| t.task_overdue_after_hours = 48), false),
            ("48 h configured: 48 h is overdue", at(48 * 60), false, with(|t| t.task_overdue_after_hours = 48), true),
        ];
        for (what, now, touched, t, expected) in cases {
            assert_eq!(is_task_overdue(created, touched, now, &t), expected, "{what}");
        }
    }

    #[test]
    fn drafted_messages_use_guardian_patient_months_and_last_change() {
        let recheck = {
            let mut p = patient("小明", 1, None, exams(&[(d(2024, 3, 1), -100, -100), (d(2024, 6, 5), -150, -125)]));
            p.exams[1].next_recheck = Some(d(2024, 9, 5));
            p
        };
        let no_guardian = RecallPatient { guardian_name: None, ..recheck.clone() };
        let blank_guardian = RecallPatient { guardian_name: Some("  ".into()), ..recheck.clone() };
        let lens = lens_patient("小红", 2);
        let ortho = patient(
            "小刚",
            3,
            correction(CorrectionKind::SingleVisionFrames, Some(d(2024, 1, 1))),
            exams(&[(d(2024, 7, 1), -100, -100), (d(2025, 1, 1), -100, -175)]),
        );
        let adult = RecallPatient {
            name: "张伟".into(),
            birth_date: d(2000, 1, 1),
            guardian_name: Some("张父".into()),
            ..patient("张伟", 4, None, exams(&[(d(2024, 1, 1), -300, -300), (d(2025, 1, 1), -300, -300)]))
        };
        let draft = |p: &RecallPatient, kind: TaskKind, lang: Lang| {
            let task = task_of(p, today(), &RecallThresholds::default(), kind).expect("task due");
            draft_message(&task, p, lang)
        };
        let cases = [
            (&recheck, TaskKind::RecheckOverdue, Lang::ZhCn, "王女士您好，小明距上次复查已 7 个月，近一次右眼近视加深 0.50D，建议尽快预约复查。"),
            (&recheck, TaskKind::RecheckOverdue, Lang::ZhTw, "王女士您好，小明距上次複查已 7 個月，近一次右眼近視加深 0.50D，建議盡快預約複查。"),
            (
                &recheck,
                TaskKind::RecheckOverdue,
                Lang::En,
                "Hello 王女士, it has been 7 months since 小明 last had a check-up. At the last exam myopia increased by 0.50 D in the right eye. Please book a recheck soon.",
            ),
            (&no_guardian, TaskKind::RecheckOverdue, Lang::ZhCn, "小明您好，您距上次复查已 7 个月，近一次右眼近视加深 0.50D，建议尽快预约复查。"),
            (&blank_guardian, TaskKind::RecheckOverdue, Lang::ZhCn, "小明您好，您距上次复查已 7 个月，近一次右眼近视加深 0.50D，建议尽快预约复查。"),
            (
                &no_guardian,
                TaskKind::RecheckOverdue,
                Lang::En,
                "Hello 小明, it has been 7 months since you last had a check-up. At the last exam myopia increased by 0.50 D in the right eye. Please book a recheck soon.",
            ),
            (&lens, TaskKind::LensReplacement, Lang::ZhCn, "王女士您好，小红的角膜塑形镜已配戴 740 天，已到更换周期，距上次复查已 1 个月，建议尽快预约换片检查。"),
            (&lens, TaskKind::LensReplacement, Lang::ZhTw, "王女士您好，小红的角膜塑形鏡已配戴 740 天，已到更換週期，距上次複查已 1 個月，建議盡快預約換片檢查。"),
            (
                &lens,
                TaskKind::LensReplacement,
                Lang::En,
                "Hello 王女士, 小红's ortho-k lenses have been worn for 740 days and are due for replacement. It has been 1 month since 小红 last had a check-up. Please book a lens replacement check soon.",
            ),
            (&ortho, TaskKind::OrthoKCandidate, Lang::ZhCn, "王女士您好，小刚左眼近 6 个月近视加深 0.75D，距上次复查不足 1 个月，建议预约检查，评估是否适合配戴角膜塑形镜控制近视。"),
            (
                &ortho,
                TaskKind::OrthoKCandidate,
                Lang::En,
                "Hello 王女士, in the last 6 months myopia in 小刚's left eye increased by 0.75 D. It has been less than a month since 小刚 last had a check-up. We suggest booking an exam to see whether ortho-k lenses would suit for myopia control.",
            ),
            (&adult, TaskKind::ReferralCandidate, Lang::ZhCn, "张伟您好，您的近视度数近一年保持稳定，角膜厚度检查正常，如有摘镜意愿，可预约屈光手术术前检查。"),
            (
                &adult,
                TaskKind::ReferralCandidate,
                Lang::En,
                "Hello 张伟, your myopia has been stable over the past year and your corneal thickness is normal. If you would like to stop wearing glasses, you can book a pre-operative exam for refractive surgery.",
            ),
        ];
        for (p, kind, lang, expected) in cases {
            assert_eq!(draft(p, kind, lang), expected, "{kind:?} {lang:?}");
        }
    }

    #[test]
    fn drafted_messages_leave_out_clauses_without_data() {
        let p = patient("小明", 1, None, vec![]);
        let bare = RecallTask { patient_id: p.patient_id, kind: TaskKind::RecheckOverdue, facts: TaskFacts::default() };
        assert_eq!(draft_message(&bare, &p, Lang::ZhCn), "王女士您好，小明的复查已超期，建议尽快预约复查。");
        assert_eq!(draft_message(&bare, &p, Lang::En), "Hello 王女士, 小明's recheck is overdue. Please book a recheck soon.");
        let stable = RecallTask {
            facts: TaskFacts {
                months_since_last_check: Some(3),
                change_since_last_exam_cd: Some(0),
                change_eye: Some(Eye::Od),
                ..TaskFacts::default()
            },
            ..bare
        };
        assert_eq!(draft_message(&stable, &p, Lang::ZhCn), "王女士您好，小明距上次复查已 3 个月，近一次检查近视未加深，建议尽快预约复查。");
    }

    #[test]
    fn an_outcome_other_than_unreachable_settles_the_task_for_30_days() {
        let at = DateTime::parse_from_rfc3339("2025-01-10T08:00:00Z").unwrap().with_timezone(&Utc);
        let t = RecallThresholds::default();
        let listed = at - Duration::days(2);
        let cases = [
            ("booked just now", vec![(RecallOutcome::Booked, at)], at, RecallStatus::Done, false),
            (
                "contacted 30 days less a second ago",
                vec![(RecallOutcome::Contacted, at)],
                at + Duration::days(30) - Duration::seconds(1),
                RecallStatus::Done,
                false,
            ),
            ("declined 30 days ago: open again", vec![(RecallOutcome::Declined, at)], at + Duration::days(30), RecallStatus::Open, false),
            (
                "declined 31 days ago: untouched 24 h since it came back",
                vec![(RecallOutcome::Declined, at)],
                at + Duration::days(31),
                RecallStatus::Open,
                true,
            ),
            ("unreachable keeps it open", vec![(RecallOutcome::Unreachable, at)], at + Duration::hours(1), RecallStatus::Open, false),
            (
                "unreachable 24 h ago: call again, overdue",
                vec![(RecallOutcome::Unreachable, at)],
                at + Duration::hours(24),
                RecallStatus::Open,
                true,
            ),
            (
                "booked, then unreachable: still done",
                vec![(RecallOutcome::Booked, at), (RecallOutcome::Unreachable, at + Duration::days(2))],
                at + Duration::days(3),
                RecallStatus::Done,
                false,
            ),
            (
                "outcome stamped ahead of this clock counts",
                vec![(RecallOutcome::Booked, at + Duration::hours(1))],
                at,
                RecallStatus::Done,
                false,
            ),
            ("nothing recorded, listed 2 days ago", vec![], at, RecallStatus::Open, true),
            ("nothing recorded, listed 23 h ago", vec![], listed + Duration::hours(23), RecallStatus::Open, false),
        ];
        for (what, outcomes, now, status, overdue) in cases {
            assert_eq!(task_state(listed, &outcomes, now, &t), (status, overdue), "{what}");
        }
        assert!(outcome_settles(RecallOutcome::Booked, at, at + Duration::days(30) - Duration::seconds(1)));
        assert!(!outcome_settles(RecallOutcome::Booked, at, at + Duration::days(30)));
        assert!(!outcome_settles(RecallOutcome::Unreachable, at, at));
    }

    #[test]
    fn outcome_and_kind_names_round_trip() {
        for o in [RecallOutcome::Contacted, RecallOutcome::Booked, RecallOutcome::Declined, RecallOutcome::Unreachable] {
            assert_eq!(RecallOutcome::parse(o.as_str()), Some(o));
            assert_eq!(serde_json::to_string(&o).unwrap(), format!("\"{}\"", o.as_str()));
        }
        for k in TaskKind::ALL {
            assert_eq!(TaskKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.as_str()));
        }
        assert!(RecallThresholds::default().validate().is_ok());
    }
}
