//! Schedules, blocked time, and the appointments booked into them with their fees,
//! refunds, history lines and cancellation requests.
//!
//! Appointments are laid on each doctor's slot grid first (so capacity holds by
//! construction), then walked in time order to decide source, complaint, visit type,
//! state, fee and the history a desk would have recorded.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use clinicdesk_domain::booking::decide_visit_type;
use clinicdesk_domain::commands::derived_id;
use clinicdesk_domain::eye::{Correction, CorrectionKind};
use clinicdesk_domain::fees::{authority_for, receipt_number, refund_number};
use clinicdesk_domain::model::*;
use clinicdesk_domain::money::Fen;
use clinicdesk_domain::slots::to_utc;
use clinicdesk_domain::world::World;
use rand::seq::SliceRandom;
use rand::Rng as _;
use serde_json::json;

use crate::org::{DeptKind, Org, ORTHO_REVIEW};
use crate::people::{PatientInfo, Segment};
use crate::rng::{chance, interpolate, new_id, pick, uniform, weighted, Pool, Rng};

/// One slot of a doctor's day.
pub(crate) struct Cell {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub period: usize,
    pub blocked: bool,
    /// Active appointments holding it.
    pub booked: u8,
}

/// A doctor's day in one store: the schedule row and its slot grid.
pub(crate) struct Sheet {
    pub store: usize,
    pub doctor: usize,
    pub depts: Vec<usize>,
    pub date: NaiveDate,
    pub cells: Vec<Cell>,
}

pub(crate) fn make_sheet(
    org: &Org,
    world: &mut World,
    id: Id,
    (store, doctor, depts): (usize, usize, Vec<usize>),
    date: NaiveDate,
    periods: &[(NaiveTime, NaiveTime)],
    slot_minutes: u16,
) -> Sheet {
    let tz = org.stores[store].tz;
    let step = Duration::minutes(i64::from(slot_minutes));
    let mut cells = Vec::new();
    for (pi, (start, end)) in periods.iter().enumerate() {
        let mut s = to_utc(tz, date, *start);
        let period_end = to_utc(tz, date, *end);
        while s + step <= period_end {
            cells.push(Cell { start: s, end: s + step, period: pi, blocked: false, booked: 0 });
            s += step;
        }
    }
    world.schedules.insert(
        id,
        Schedule {
            id,
            store_id: org.stores[store].id,
            doctor_id: org.doctors[doctor].id,
            date,
            periods: periods.iter().map(|(start, end)| Period { start: *start, end: *end }).collect(),
            slot_minutes,
        },
    );
    Sheet { store, doctor, depts, date, cells }
}

/// Every doctor's working days from `first` to `last` in the stores they work in.
pub(crate) fn schedules(rng: &mut Rng, org: &Org, world: &mut World, first: NaiveDate, last: NaiveDate) -> Vec<Sheet> {
    let mut sheets = Vec::new();
    let mut date = first;
    while date <= last {
        let wd = date.weekday().num_days_from_monday() as usize;
        for (di, doctor) in org.doctors.iter().enumerate() {
            for w in doctor.workplaces.iter().filter(|w| w.weekdays[wd]) {
                let periods = if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && doctor.weekend_morning_only {
                    &doctor.periods[..1]
                } else {
                    &doctor.periods[..]
                };
                let id = new_id(rng);
                sheets.push(make_sheet(org, world, id, (w.store, di, w.depts.clone()), date, periods, doctor.slot_minutes));
            }
        }
        date += Duration::days(1);
    }
    sheets
}

/// A few meetings and days of leave, in the past, today and the coming weeks.
pub(crate) fn blocks(rng: &mut Rng, org: &Org, world: &mut World, sheets: &mut [Sheet], today: NaiveDate) {
    // (first day offset, last day offset, reason, what part of the day)
    #[derive(Clone, Copy)]
    enum Part {
        Day,
        Morning,
        AfternoonHour,
    }
    let plan: [(i64, i64, &str, Part); 8] = [
        (-60, -1, "请假", Part::Day),
        (-60, -1, "请假", Part::Day),
        (-60, -1, "科室会议", Part::AfternoonHour),
        (0, 0, "科室会议", Part::AfternoonHour),
        (2, 20, "请假", Part::Day),
        (2, 20, "请假", Part::Day),
        (1, 20, "学术会议", Part::Morning),
        (1, 10, "科室会议", Part::AfternoonHour),
    ];
    for (from, to, reason, part) in plan {
        let candidates: Vec<usize> = (0..sheets.len())
            .filter(|i| {
                let d = (sheets[*i].date - today).num_days();
                from <= d && d <= to && sheets[*i].cells.iter().any(|c| c.period == 1) && !sheets[*i].cells[0].blocked
            })
            .collect();
        let Some(&si) = candidates.get(rng.gen_range(0..candidates.len().max(1))) else { continue };
        let sheet = &mut sheets[si];
        let first = |p: usize| sheet.cells.iter().find(|c| c.period == p).map(|c| c.start);
        let last = |p: usize| sheet.cells.iter().rev().find(|c| c.period == p).map(|c| c.end);
        let (start, end) = match part {
            Part::Day => (first(0), sheet.cells.last().map(|c| c.end)),
            Part::Morning => (first(0), last(0)),
            Part::AfternoonHour => (first(1), first(1).map(|s| s + Duration::hours(1))),
        };
        let (Some(start), Some(end)) = (start, end) else { continue };
        for c in sheet.cells.iter_mut().filter(|c| c.start < end && start < c.end) {
            c.blocked = true;
        }
        let id = new_id(rng);
        world.blocks.insert(
            id,
            BlockedTime {
                id,
                store_id: org.stores[sheet.store].id,
                doctor_id: org.doctors[sheet.doctor].id,
                start,
                end,
                reason: reason.to_string(),
            },
        );
    }
}

/// How strongly a kind of patient is drawn to a kind of department.
fn affinity(segment: Segment, kind: DeptKind) -> f64 {
    use DeptKind as D;
    use Segment as S;
    match (segment, kind) {
        (S::EyeCohort, D::PedOpto) => 3.0,
        (S::EyeCohort, D::OrthoK) => 1.0,
        (S::EyeCohort, D::PedDental | D::Ortho) => 0.3,
        (S::EyeCohort, D::DentalGeneral) => 0.2,
        (S::EyeCohort, D::Tuina) => 0.1,
        (S::OptoKid, D::PedOpto) => 2.0,
        (S::OptoKid, D::OrthoK) => 0.5,
        (S::OptoKid, D::PedDental | D::Ortho) => 0.3,
        (S::OptoKid, D::DentalGeneral | D::Tuina) => 0.2,
        (S::DentalKid, D::PedDental) => 2.5,
        (S::DentalKid, D::Ortho) => 1.0,
        (S::DentalKid, D::DentalGeneral) => 0.5,
        (S::DentalKid, D::PedOpto | D::Tuina) => 0.3,
        (S::AdultOpto, D::AdultOpto) => 3.0,
        (S::AdultOpto, D::DentalGeneral) => 0.3,
        (S::AdultOpto, D::Tuina | D::Ortho) => 0.2,
        (S::AdultOpto, D::Implant) => 0.1,
        (S::AdultDental, D::DentalGeneral) => 2.0,
        (S::AdultDental, D::Implant) => 1.0,
        (S::AdultDental, D::Ortho) => 0.5,
        (S::AdultDental, D::Tuina) => 0.2,
        (S::AdultDental, D::AdultOpto) => 0.1,
        (S::AdultTuina, D::Tuina) => 3.0,
        (S::AdultTuina, D::DentalGeneral | D::Implant) => 0.3,
        (S::AdultTuina, D::AdultOpto) => 0.1,
        _ => 0.0,
    }
}

/// Per department: who books there, weighted by activity, affinity and home store.
pub(crate) fn pools(
    org: &Org,
    patients: &[PatientInfo],
    corrections: &std::collections::BTreeMap<Id, Correction>,
    today: NaiveDate,
) -> Vec<Pool> {
    org.depts
        .iter()
        .map(|d| {
            let mut pool = Pool::default();
            for (i, p) in patients.iter().enumerate() {
                if !d.kind.admits(p.age(today)) {
                    continue;
                }
                let home = if p.home == d.store { 1.0 } else { 0.06 };
                let ortho_k = d.kind == DeptKind::OrthoK && corrections.get(&p.id).is_some_and(|c| c.kind == CorrectionKind::OrthoK);
                pool.push(i, p.activity * affinity(p.segment, d.kind) * home * if ortho_k { 4.0 } else { 1.0 });
            }
            pool
        })
        .collect()
}

/// An appointment laid on the grid, before its story is decided.
pub(crate) struct Skel {
    pub sheet: usize,
    pub dept: usize,
    pub first: usize,
    pub len: usize,
    pub patient: usize,
    /// Booked and later cancelled: holds no slot.
    pub cancelled: bool,
}

/// Share of slots booked per day ahead of today (1.0 = as full as a past day).
const FUTURE_FILL: [(f64, f64); 7] = [(0.0, 1.0), (1.0, 0.92), (3.0, 0.75), (7.0, 0.5), (14.0, 0.3), (21.0, 0.17), (30.0, 0.08)];

fn mean_len(kind: DeptKind) -> f64 {
    let l = kind.lengths();
    let total: u32 = l.iter().map(|x| x.1).sum();
    l.iter().map(|(n, w)| *n as f64 * f64::from(*w)).sum::<f64>() / f64::from(total)
}

/// The target share of a day's slots held by appointments.
fn coverage(popularity: f64, date: NaiveDate, today: NaiveDate, size: f64) -> f64 {
    let weekday = match date.weekday() {
        Weekday::Sat | Weekday::Sun => 0.08,
        Weekday::Mon => 0.03,
        Weekday::Wed => -0.03,
        _ => 0.0,
    };
    let base = (popularity + weekday).clamp(0.4, 0.92);
    let ahead = (date - today).num_days();
    let f = if ahead <= 0 { base } else { base * interpolate(&FUTURE_FILL, ahead as f64) };
    (f * size).min(0.97)
}

struct Picker<'a> {
    pools: &'a [Pool],
    /// (patient, day) pairs already booked: nobody has two appointments on one day.
    taken: HashSet<(usize, NaiveDate)>,
}

impl Picker<'_> {
    fn patient(&mut self, rng: &mut Rng, dept: usize, date: NaiveDate) -> Option<usize> {
        let pool = &self.pools[dept];
        if pool.is_empty() {
            return None;
        }
        for _ in 0..4 {
            let p = pool.draw(rng)?;
            if self.taken.insert((p, date)) {
                return Some(p);
            }
        }
        None
    }
}

/// Fills every sheet to its target share, never beyond the store's capacity per slot.
pub(crate) fn fill(rng: &mut Rng, org: &Org, sheets: &mut [Sheet], pools: &[Pool], today: NaiveDate, size: f64) -> Vec<Skel> {
    let mut picker = Picker { pools, taken: HashSet::new() };
    let mut out = Vec::new();
    for (si, sheet) in sheets.iter_mut().enumerate() {
        let doctor = &org.doctors[sheet.doctor];
        let cap = org.stores[sheet.store].capacity;
        let kind = org.depts[sheet.depts[0]].kind;
        let f = coverage(doctor.popularity, sheet.date, today, size);
        let l = mean_len(kind);
        let p_start = f / (l * (1.0 - f) + f);
        let q_cancel = if sheet.date < today { 0.08 } else { 0.05 } * size.min(1.0);
        for pass in 0..cap {
            // Overbooking (capacity above 1) is the exception.
            let p = if pass == 0 { p_start } else { 0.12 * size.min(1.0) };
            let mut i = 0;
            while i < sheet.cells.len() {
                let free = |c: &Cell| !c.blocked && c.booked < cap;
                if !free(&sheet.cells[i]) {
                    i += 1;
                    continue;
                }
                if chance(rng, p) {
                    let dept = *pick(rng, &sheet.depts);
                    let mut len = weighted(rng, org.depts[dept].kind.lengths());
                    let period = sheet.cells[i].period;
                    while len > 1
                        && !(i + len <= sheet.cells.len() && sheet.cells[i..i + len].iter().all(|c| c.period == period && free(c)))
                    {
                        len -= 1;
                    }
                    if let Some(patient) = picker.patient(rng, dept, sheet.date) {
                        out.push(Skel { sheet: si, dept, first: i, len, patient, cancelled: false });
                        for c in &mut sheet.cells[i..i + len] {
                            c.booked += 1;
                        }
                        // Someone else had it first and cancelled.
                        if pass == 0 && chance(rng, q_cancel) {
                            if let Some(other) = picker.patient(rng, dept, sheet.date) {
                                out.push(Skel { sheet: si, dept, first: i, len, patient: other, cancelled: true });
                            }
                        }
                        i += len;
                        continue;
                    }
                } else if pass == 0 && chance(rng, q_cancel * 0.5) {
                    let dept = *pick(rng, &sheet.depts);
                    if let Some(patient) = picker.patient(rng, dept, sheet.date) {
                        out.push(Skel { sheet: si, dept, first: i, len: 1, patient, cancelled: true });
                    }
                }
                i += 1;
            }
        }
    }
    out
}

/// Exactly `per_doctor` appointments (1 slot each) on every sheet: the benchmark day.
pub(crate) fn fill_exact(rng: &mut Rng, sheets: &mut [Sheet], per_doctor: usize, patients: usize) -> Vec<Skel> {
    let mut who: Vec<usize> = (0..patients).collect();
    who.shuffle(rng);
    let mut next = 0;
    let mut out = Vec::new();
    for (si, sheet) in sheets.iter_mut().enumerate() {
        let mut slots: Vec<usize> = (0..sheet.cells.len()).collect();
        slots.shuffle(rng);
        let mut chosen: Vec<usize> = slots.into_iter().take(per_doctor).collect();
        chosen.sort_unstable();
        for i in chosen {
            sheet.cells[i].booked += 1;
            out.push(Skel {
                sheet: si,
                dept: *pick(rng, &sheet.depts),
                first: i,
                len: 1,
                patient: who[next % who.len()],
                cancelled: false,
            });
            next += 1;
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Issuer {
    Store(usize),
    Server,
}

const STAFF_CANCEL_REASONS: [&str; 5] =
    ["患者来电取消", "患者临时有事，改日再约", "医生临时调班，已电话通知患者", "重复预约", "患者出差，来电取消"];
const PATIENT_CANCEL_REASONS: [&str; 4] = ["行程有变", "身体不适，改天再来", "时间冲突", "已在附近医院就诊"];
const REQUEST_REASONS: [&str; 8] =
    ["临时出差", "孩子生病", "工作安排冲突", "家中有事", "孩子学校有考试", "身体不适，想改期", "天气原因出行不便", "已在其他医院就诊"];
const REJECT_REASONS: [&str; 2] = ["该时段为专家号，建议改约而非取消，已电话联系患者", "已协助改约到下周同一时间，请保留预约"];
const REFUND_REASON: &str = "取消预约，退还挂号费";

/// Collects the rows and history lines of the appointments as they are decided.
pub(crate) struct Book<'a> {
    org: &'a Org,
    as_of: DateTime<Utc>,
    today: NaiveDate,
    pub appointments: Vec<Appointment>,
    /// Index into `fees`, by appointment index.
    fee_of: Vec<Option<usize>>,
    pub fees: Vec<Fee>,
    pub refunds: Vec<Refund>,
    pub requests: Vec<CancellationRequest>,
    pub history: Vec<HistoryEntry>,
    /// Patient index of each appointment, and who has completed a visit so far.
    patient_of: Vec<usize>,
    completed: Vec<bool>,
    store_serial: Vec<u32>,
    server_serial: u32,
}

/// One command's history lines share a mutation id and count up from 0.
struct Cmd {
    id: Id,
    next: u16,
}

impl<'a> Book<'a> {
    pub fn new(org: &'a Org, as_of: DateTime<Utc>, today: NaiveDate, patients: usize) -> Self {
        Book {
            org,
            as_of,
            today,
            appointments: Vec::new(),
            fee_of: Vec::new(),
            fees: Vec::new(),
            refunds: Vec::new(),
            requests: Vec::new(),
            history: Vec::new(),
            patient_of: Vec::new(),
            completed: vec![false; patients],
            store_serial: vec![0; org.stores.len()],
            server_serial: 0,
        }
    }

    fn serial(&mut self, issuer: Issuer) -> String {
        match issuer {
            Issuer::Store(s) => {
                self.store_serial[s] += 1;
                format!("{}-DEMO-{:06}", self.org.stores[s].code, self.store_serial[s])
            }
            Issuer::Server => {
                self.server_serial += 1;
                format!("SRV-DEMO-{:06}", self.server_serial)
            }
        }
    }

    fn cmd(rng: &mut Rng) -> Cmd {
        Cmd { id: new_id(rng), next: 0 }
    }

    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        cmd: &mut Cmd,
        appt: usize,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        states: (Option<AppointmentState>, Option<AppointmentState>),
        reason: Option<&str>,
        detail: serde_json::Value,
    ) {
        self.history.push(HistoryEntry {
            appointment_id: self.appointments[appt].id,
            mutation_id: cmd.id,
            index: cmd.next,
            at,
            actor: actor.to_string(),
            action: action.to_string(),
            from_state: states.0,
            to_state: states.1,
            reason: reason.map(str::to_string),
            detail,
        });
        cmd.next += 1;
    }

    /// A state change as its own command (`appointment.confirm@1` and friends), made by
    /// the receptionist of the appointment's store.
    fn change(&mut self, rng: &mut Rng, appt: usize, at: DateTime<Utc>, action: &str, to: AppointmentState, reason: Option<&str>) {
        let from = self.appointments[appt].state;
        let store = self.store_index(self.appointments[appt].store_id);
        let actor = self.org.stores[store].receptionist.clone();
        let mut cmd = Self::cmd(rng);
        self.line(&mut cmd, appt, at, &actor, action, (Some(from), Some(to)), reason, serde_json::Value::Null);
        let a = &mut self.appointments[appt];
        a.state = to;
        a.updated_at = at;
        if to == AppointmentState::Completed {
            self.completed[self.patient_of[appt]] = true;
        }
    }

    fn charge(&mut self, fee: usize, method: PayMethod, at: DateTime<Utc>) {
        let issuer = if method.is_online() { Issuer::Server } else { Issuer::Store(self.store_index(self.fees[fee].store_id)) };
        let serial = self.serial(issuer);
        let f = &mut self.fees[fee];
        f.status = ChargeStatus::Charged;
        f.method = Some(method);
        f.wechat_paid = if method == PayMethod::WechatApp { f.amount } else { Fen(0) };
        f.paid_at = Some(at);
        f.authority = Some(authority_for(method, f.store_id));
        f.receipt_no = Some(receipt_number(&serial));
    }

    fn store_index(&self, id: Id) -> usize {
        self.org.stores.iter().position(|s| s.id == id).expect("a store of the chain")
    }

    /// Pays a pending fee at the desk (`fee.charge@1`).
    fn desk_charge(&mut self, rng: &mut Rng, appt: usize, at: DateTime<Utc>) {
        let Some(fee) = self.fee_of[appt] else { return };
        if self.fees[fee].status == ChargeStatus::Charged {
            return;
        }
        let method = if chance(rng, 0.25) { PayMethod::Cash } else { PayMethod::Card };
        self.charge(fee, method, at);
        let store = self.store_index(self.fees[fee].store_id);
        let actor = self.org.stores[store].receptionist.clone();
        let receipt = self.fees[fee].receipt_no.clone();
        let mut cmd = Self::cmd(rng);
        self.line(&mut cmd, appt, at, &actor, "charge", (None, None), None, json!({ "receipt": receipt, "method": method }));
    }

    /// Refunds a charged fee once, by the side that holds the refund right: the desk
    /// hands back cash or card; an online fee the desk asks the server to refund.
    fn refund_by_staff(&mut self, rng: &mut Rng, appt: usize, at: DateTime<Utc>) {
        let Some(fee) = self.fee_of[appt] else { return };
        if self.fees[fee].status != ChargeStatus::Charged {
            return;
        }
        let store = self.store_index(self.fees[fee].store_id);
        let receptionist = self.org.stores[store].receptionist.clone();
        let (kind, actor, issuer, at) = match self.fees[fee].authority {
            Some(RefundAuthority::Desk { .. }) => (RefundKind::DeskCash, receptionist, Issuer::Store(store), at),
            _ => {
                // The desk asks, the server refunds through the provider.
                let asked = at - Duration::minutes(4);
                self.fees[fee].refund_requested_at = Some(asked);
                let mut cmd = Self::cmd(rng);
                self.line(&mut cmd, appt, asked, &receptionist, "refund_requested", (None, None), None, serde_json::Value::Null);
                (RefundKind::Provider, "system".to_string(), Issuer::Server, at - Duration::minutes(2))
            }
        };
        let number = refund_number(&self.serial(issuer));
        let amount = self.fees[fee].amount;
        let mut cmd = Self::cmd(rng);
        self.refunds.push(Refund {
            id: new_id(rng),
            fee_id: self.fees[fee].id,
            number: number.clone(),
            amount,
            kind,
            at,
            actor: actor.clone(),
            reason: REFUND_REASON.to_string(),
        });
        self.line(
            &mut cmd,
            appt,
            at,
            &actor,
            "refund",
            (None, None),
            Some(REFUND_REASON),
            json!({ "number": number, "kind": kind, "amount": amount }),
        );
    }

    /// Decides each appointment's story in time order.
    pub fn run(&mut self, rng: &mut Rng, sheets: &[Sheet], mut skels: Vec<Skel>, patients: &[PatientInfo]) {
        skels.sort_by_key(|s| (sheets[s.sheet].cells[s.first].start, s.sheet, s.first, s.cancelled));
        for s in &skels {
            self.one(rng, sheets, s, patients);
        }
    }

    fn one(&mut self, rng: &mut Rng, sheets: &[Sheet], s: &Skel, patients: &[PatientInfo]) {
        let org = self.org;
        let sheet = &sheets[s.sheet];
        let store = &org.stores[sheet.store];
        let doctor = &org.doctors[sheet.doctor];
        let dept = &org.depts[s.dept];
        let patient = &patients[s.patient];
        let start = sheet.cells[s.first].start;
        let end = sheet.cells[s.first + s.len - 1].end;
        let as_of = self.as_of;
        let minutes = |lo: i64, hi: i64, rng: &mut Rng| Duration::minutes(rng.gen_range(lo..=hi));

        // Complaint: returning patients mostly come for a review.
        let has_previous = self.completed[s.patient];
        let options = &org.complaints_by_dept[s.dept];
        let complaint = if options.is_empty() || chance(rng, 0.05) {
            None
        } else {
            let weights: Vec<(usize, u32)> =
                options.iter().map(|c| (*c, if org.complaints[*c].review == has_previous { 6 } else { 1 })).collect();
            Some(org.complaints[weighted(rng, &weights)].id)
        };
        let decision = decide_visit_type(&store.rules, complaint, dept.id, has_previous);

        let near = start <= as_of + Duration::minutes(30);
        let source = if s.cancelled {
            weighted(rng, &[(Source::Desk, 30), (Source::Phone, 30), (Source::PatientApp, 40)])
        } else if near {
            weighted(rng, &[(Source::Desk, 28), (Source::Phone, 24), (Source::PatientApp, 33), (Source::WalkIn, 15)])
        } else {
            weighted(rng, &[(Source::Desk, 30), (Source::Phone, 28), (Source::PatientApp, 42)])
        };
        let created_at = if source == Source::WalkIn {
            (start - minutes(5, 40, rng)).min(as_of - Duration::minutes(2))
        } else {
            let lead = weighted(rng, &[(0i64, 10), (1, 12), (2, 12), (3, 11), (5, 14), (8, 13), (12, 13), (20, 10), (28, 5)]);
            let at = if lead == 0 {
                start - minutes(30, 240, rng)
            } else {
                let (from, to) = if source == Source::PatientApp { (7 * 60, 23 * 60) } else { (8 * 60, 20 * 60) };
                let minute = rng.gen_range(from..to);
                let day = sheet.date - Duration::days(lead);
                to_utc(store.tz, day, NaiveTime::MIN) + Duration::minutes(minute)
            };
            let latest = start.min(as_of) - Duration::minutes(20);
            if at > latest {
                latest - minutes(0, 3 * 24 * 60, rng)
            } else {
                at
            }
        };
        let initial = if source == Source::PatientApp { AppointmentState::Pending } else { AppointmentState::Confirmed };
        let receptionist = store.receptionist.clone();
        let booked_by = if source == Source::PatientApp { "patient".to_string() } else { receptionist.clone() };

        let idx = self.appointments.len();
        self.patient_of.push(s.patient);
        self.appointments.push(Appointment {
            id: new_id(rng),
            tenant_id: org.tenant_id,
            store_id: store.id,
            doctor_id: doctor.id,
            department_id: dept.id,
            patient_id: patient.id,
            complaint_id: complaint,
            start,
            end,
            state: initial,
            visit_type: decision.code.clone(),
            visit_type_by_fallback: decision.by_fallback,
            source,
            fee_id: None,
            created_at,
            updated_at: created_at,
        });

        // The fee, and whether it was paid when booking.
        self.fee_of.push(None);
        if decision.code != ORTHO_REVIEW && chance(rng, 0.94) {
            let fee_id = new_id(rng);
            self.fees.push(Fee::billed(fee_id, self.appointments[idx].id, store.id, Fen(doctor.fee_fen)));
            let fee = self.fees.len() - 1;
            self.fee_of[idx] = Some(fee);
            self.appointments[idx].fee_id = Some(fee_id);
            match source {
                Source::PatientApp if chance(rng, 0.85) => {
                    let method = if chance(rng, 0.8) { PayMethod::WechatApp } else { PayMethod::Points };
                    self.charge(fee, method, created_at);
                }
                Source::Desk if chance(rng, 0.3) => {
                    let method = if chance(rng, 0.25) { PayMethod::Cash } else { PayMethod::Card };
                    self.charge(fee, method, created_at);
                }
                _ => {}
            }
        }
        let mut cmd = Self::cmd(rng);
        self.line(
            &mut cmd,
            idx,
            created_at,
            &booked_by,
            "booked",
            (None, Some(initial)),
            None,
            booked_detail(start, end, doctor.id, source),
        );

        let date = sheet.date;
        let confirm = |book: &mut Self, rng: &mut Rng, before: DateTime<Utc>| {
            if book.appointments[idx].state == AppointmentState::Pending {
                let span = (before - created_at).num_minutes().max(2);
                let at = created_at + Duration::minutes(rng.gen_range(1..span));
                book.change(rng, idx, at, "confirm", AppointmentState::Confirmed, None);
            }
        };

        if s.cancelled {
            let limit = start.min(as_of);
            let span = (limit - created_at).num_minutes();
            let cancel_at = created_at + Duration::minutes(((span as f64 * uniform(rng, 0.2, 0.95)) as i64).max(16).min(span - 1));
            if source == Source::PatientApp && chance(rng, 0.4) {
                confirm(self, rng, cancel_at - Duration::minutes(8));
            }
            let fee = self.fee_of[idx].map(|f| &self.fees[f]);
            let charged = fee.is_some_and(|f| f.status == ChargeStatus::Charged);
            let online = fee.is_some_and(|f| f.authority == Some(RefundAuthority::Server));
            let direct = store.policy == CancellationPolicy::DirectBeforeCheckIn
                && source == Source::PatientApp
                && (!charged || online)
                && chance(rng, 0.7);
            if direct {
                // `appointment.patient_cancel@1`: the provider refund and the cancel in one command.
                let reason = *pick(rng, &PATIENT_CANCEL_REASONS);
                let mut cmd = Self::cmd(rng);
                if charged {
                    let f = self.fee_of[idx].expect("charged fee");
                    let number = refund_number(&self.serial(Issuer::Server));
                    self.refunds.push(Refund {
                        id: derived_id(cmd.id, 1),
                        fee_id: self.fees[f].id,
                        number: number.clone(),
                        amount: self.fees[f].amount,
                        kind: RefundKind::Provider,
                        at: cancel_at,
                        actor: "patient".into(),
                        reason: reason.to_string(),
                    });
                    self.line(
                        &mut cmd,
                        idx,
                        cancel_at,
                        "patient",
                        "refund",
                        (None, None),
                        None,
                        json!({ "number": number, "kind": "provider" }),
                    );
                }
                let from = self.appointments[idx].state;
                self.line(
                    &mut cmd,
                    idx,
                    cancel_at,
                    "patient",
                    "patient_cancel",
                    (Some(from), Some(AppointmentState::Cancelled)),
                    Some(reason),
                    serde_json::Value::Null,
                );
                let a = &mut self.appointments[idx];
                a.state = AppointmentState::Cancelled;
                a.updated_at = cancel_at;
            } else {
                // Staff refund first, then cancel.
                self.refund_by_staff(rng, idx, cancel_at - Duration::minutes(2));
                let reason = *pick(rng, &STAFF_CANCEL_REASONS);
                self.change(rng, idx, cancel_at, "cancel", AppointmentState::Cancelled, Some(reason));
            }
            return;
        }

        let finished = end <= as_of;
        let in_progress = start <= as_of && as_of < end;
        let soon = start > as_of && start < as_of + Duration::minutes(60);
        let no_show_p = if source == Source::WalkIn { 0.0 } else { 0.05 };
        let check_in = |rng: &mut Rng| -> DateTime<Utc> {
            let at = if start <= as_of { start - minutes(0, 20, rng) } else { as_of - minutes(0, 25, rng) };
            at.max(created_at + Duration::minutes(1)).min(as_of)
        };
        if finished {
            let r: f64 = rng.gen();
            if r < no_show_p {
                let at = if date < self.today {
                    to_utc(store.tz, date, NaiveTime::from_hms_opt(18, 0, 0).expect("time"))
                } else {
                    (start + Duration::minutes(30)).min(as_of)
                };
                if source == Source::PatientApp && chance(rng, 0.6) {
                    confirm(self, rng, start - Duration::minutes(60));
                }
                self.change(rng, idx, at.max(created_at + Duration::minutes(1)), "no_show", AppointmentState::NoShow, None);
                return;
            }
            let arrived = check_in(rng);
            if chance(rng, 0.7) {
                confirm(self, rng, arrived);
            }
            self.change(rng, idx, arrived, "check_in", AppointmentState::CheckedIn, None);
            self.desk_charge(rng, idx, (arrived + Duration::minutes(1)).min(as_of));
            // Today a few patients are still with the doctor although their slot is over.
            if date < self.today || r >= 0.12 {
                let done = (end + minutes(0, 10, rng)).min(as_of).max(arrived + Duration::minutes(2));
                self.change(rng, idx, done, "complete", AppointmentState::Completed, None);
            }
        } else if in_progress || source == Source::WalkIn || (soon && chance(rng, 0.35)) {
            let arrived = check_in(rng);
            if chance(rng, 0.7) {
                confirm(self, rng, arrived);
            }
            self.change(rng, idx, arrived, "check_in", AppointmentState::CheckedIn, None);
            self.desk_charge(rng, idx, (arrived + Duration::minutes(1)).min(as_of));
        } else {
            let days_ahead = (date - self.today).num_days();
            let stay_pending = if days_ahead <= 1 { 0.25 } else { 0.6 };
            if !chance(rng, stay_pending) {
                confirm(self, rng, start.min(as_of));
            }
        }
    }

    /// Cancellation requests in the "request only" store: a few open, a couple decided.
    pub fn requests(&mut self, rng: &mut Rng) {
        let Some(store) = self.org.stores.iter().position(|s| s.policy == CancellationPolicy::RequestOnly) else { return };
        let store_id = self.org.stores[store].id;
        let receptionist = self.org.stores[store].receptionist.clone();
        let as_of = self.as_of;
        let mut candidates: Vec<usize> = (0..self.appointments.len())
            .filter(|i| {
                let a = &self.appointments[*i];
                a.store_id == store_id
                    && a.state.is_before_check_in()
                    && a.start > as_of + Duration::days(1)
                    && a.source == Source::PatientApp
            })
            .collect();
        candidates.shuffle(rng);
        let minutes = |lo: i64, hi: i64, rng: &mut Rng| Duration::minutes(rng.gen_range(lo..=hi));
        let mut take = |count: usize, decided: bool| -> Vec<usize> {
            let pos: Vec<usize> = candidates
                .iter()
                .enumerate()
                .filter(|(_, i)| !decided || self.appointments[**i].updated_at < as_of - Duration::days(2))
                .map(|(p, _)| p)
                .take(count)
                .collect();
            pos.iter().rev().map(|p| candidates.remove(*p)).collect()
        };
        let open = rng.gen_range(5..=8);
        let open = take(open, false);
        let rejected = take(2, true);
        let approved = take(2, true);

        let request = |book: &mut Self, rng: &mut Rng, appt: usize, requested_at: DateTime<Utc>| -> usize {
            let reason = *pick(rng, &REQUEST_REASONS);
            let a = &book.appointments[appt];
            book.requests.push(CancellationRequest {
                id: new_id(rng),
                appointment_id: a.id,
                store_id: a.store_id,
                patient_id: a.patient_id,
                reason: reason.to_string(),
                requested_at,
                status: RequestStatus::Open,
                decided_at: None,
                decided_by: None,
                reject_reason: None,
            });
            let mut cmd = Self::cmd(rng);
            book.line(&mut cmd, appt, requested_at, "patient", "cancel_requested", (None, None), Some(reason), serde_json::Value::Null);
            book.requests.len() - 1
        };
        // A request comes after the appointment's last change (booking or confirmation).
        for appt in open {
            let last = self.appointments[appt].updated_at;
            let at = (as_of - minutes(20, 4 * 24 * 60, rng)).max(last + Duration::minutes(5)).min(as_of - Duration::minutes(1));
            request(self, rng, appt, at);
        }
        for (n, appt) in rejected.into_iter().chain(approved).enumerate() {
            let last = self.appointments[appt].updated_at;
            let at = (as_of - minutes(2 * 24 * 60, 6 * 24 * 60, rng)).max(last + Duration::minutes(5));
            let r = request(self, rng, appt, at);
            let decided_at = (at + minutes(60, 300, rng)).min(as_of - Duration::minutes(1));
            let req = &mut self.requests[r];
            req.decided_at = Some(decided_at);
            req.decided_by = Some(receptionist.clone());
            if n < 2 {
                let reason = REJECT_REASONS[n % REJECT_REASONS.len()];
                req.status = RequestStatus::Rejected;
                req.reject_reason = Some(reason.to_string());
                let mut cmd = Self::cmd(rng);
                self.line(
                    &mut cmd,
                    appt,
                    decided_at,
                    &receptionist,
                    "cancel_request_rejected",
                    (None, None),
                    Some(reason),
                    serde_json::Value::Null,
                );
            } else {
                req.status = RequestStatus::Approved;
                let reason = req.reason.clone();
                self.refund_by_staff(rng, appt, decided_at - Duration::minutes(1));
                self.change(rng, appt, decided_at, "cancel_request_approved", AppointmentState::Cancelled, Some(&reason));
            }
        }
    }

    /// Writes the rows into the world; returns the history in time order.
    pub fn finish(self, world: &mut World) -> Vec<HistoryEntry> {
        world.appointments.append(&mut by_id(self.appointments, |a| a.id));
        world.fees.append(&mut by_id(self.fees, |f| f.id));
        world.refunds.append(&mut by_id(self.refunds, |r| r.id));
        world.requests.append(&mut by_id(self.requests, |r| r.id));
        world
            .patients_with_completed_visit
            .extend(world.appointments.values().filter(|a| a.state == AppointmentState::Completed).map(|a| a.patient_id));
        // In time order; lines of the same moment keep the order they were written in (a
        // command's lines by index). Sorts small keys rather than the entries themselves.
        let mut order: Vec<(i64, usize)> = self.history.iter().enumerate().map(|(i, h)| (h.at.timestamp_micros(), i)).collect();
        order.sort_unstable();
        let mut entries: Vec<Option<HistoryEntry>> = self.history.into_iter().map(Some).collect();
        order.into_iter().map(|(_, i)| entries[i].take().expect("each entry once")).collect()
    }
}

/// Rows keyed by id. Sorting small keys first lets the map be built in one pass (inserting
/// large rows one by one in random id order is several times slower).
fn by_id<T>(rows: Vec<T>, id: impl Fn(&T) -> Id) -> std::collections::BTreeMap<Id, T> {
    let mut keys: Vec<(Id, usize)> = rows.iter().enumerate().map(|(i, r)| (id(r), i)).collect();
    keys.sort_unstable();
    let mut rows: Vec<Option<T>> = rows.into_iter().map(Some).collect();
    keys.into_iter().map(|(k, i)| (k, rows[i].take().expect("each row once"))).collect()
}

/// The detail of a "booked" line, as `booking.create@1` writes it.
fn booked_detail(start: DateTime<Utc>, end: DateTime<Utc>, doctor_id: Id, source: Source) -> serde_json::Value {
    let instant = |t: DateTime<Utc>| serde_json::Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
    let source = match source {
        Source::Desk => "desk",
        Source::Phone => "phone",
        Source::PatientApp => "patient_app",
        Source::WalkIn => "walk_in",
    };
    let mut m = serde_json::Map::new();
    m.insert("start".into(), instant(start));
    m.insert("end".into(), instant(end));
    m.insert("doctor_id".into(), serde_json::Value::String(doctor_id.to_string()));
    m.insert("source".into(), serde_json::Value::String(source.into()));
    serde_json::Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booked_detail_is_what_serde_writes_for_the_booking_command() {
        let start =
            to_utc(chrono_tz::Asia::Shanghai, NaiveDate::from_ymd_opt(2026, 5, 20).unwrap(), NaiveTime::from_hms_opt(9, 30, 0).unwrap());
        let doctor = Id::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
        for source in [Source::Desk, Source::Phone, Source::PatientApp, Source::WalkIn] {
            let end = start + Duration::minutes(30);
            let expected = json!({ "start": start, "end": end, "doctor_id": doctor, "source": source });
            assert_eq!(booked_detail(start, end, doctor, source), expected);
        }
    }
}
