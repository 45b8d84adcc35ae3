//! Scenario tests of the command handlers, each named after the rule of DOMAIN.md §1–6 it
//! proves. Every test runs `commands::handle` on a small fixed world and applies the effects,
//! the way the simulator does: one tenant, store A (dental and optometry) and store B, four
//! doctors working on 2026-11-23, three patients, staff of each role, a patient, the system.
//! No clock and no randomness: `now`, mutation ids and serials come from the harness.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use clinicdesk_domain::booking::store_doctors;
use clinicdesk_domain::commands::{
    self, AppointmentRef, BookingCreate, Command, ConflictResolve, Ctx, EyeExamAmend, EyeExamRecord, FeeAssignRefundDesk, FeeCharge,
    FeeRef, NewFee, NewGuardian, PatientCreate, RecallRecordOutcome, RefundArgs, RequestCreate, RequestRef, RequestReject, Reschedule,
    SetDoctorHidden, SetDoctorOrder, UpdateSettings, WithReason, KNOWN_COMMANDS,
};
use clinicdesk_domain::eye::{Correction, CorrectionKind, Eye, EyeExam, EyeReading};
use clinicdesk_domain::fees::Origin;
use clinicdesk_domain::model::*;
use clinicdesk_domain::money::Fen;
use clinicdesk_domain::order::{order_doctors, patient_facing};
use clinicdesk_domain::recall::{RecallOutcome, RecallThresholds, TaskKind};
use clinicdesk_domain::roles::{Actor, Role};
use clinicdesk_domain::slots;
use clinicdesk_domain::world::{Change, Effects, World};
use clinicdesk_domain::DomainError;
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

const fn id(n: u128) -> Id {
    Id::from_u128(n)
}

const TENANT: Id = id(0x7E);
const STORE_A: Id = id(0xA);
const STORE_B: Id = id(0xB);
/// Store A's departments.
const DENTAL: Id = id(0xA1);
const OPTOMETRY: Id = id(0xA2);
/// Store B's department.
const GENERAL_B: Id = id(0xB1);
/// Dental, store A.
const DR_LI: Id = id(0xD1);
/// Dental, store A.
const DR_WANG: Id = id(0xD2);
/// Optometry, store A.
const DR_ZHAO: Id = id(0xD3);
/// General, store B.
const DR_CHEN: Id = id(0xD4);
/// Treated by dental (A) and general (B).
const TOOTHACHE: Id = id(0xC1);
/// Treated by optometry (A).
const BLURRY: Id = id(0xC2);
const P1: Id = id(0x91);
const P2: Id = id(0x92);
const P3: Id = id(0x93);
const GUARDIAN: Id = id(0x61);
const CONSULTANT: Id = id(0x71);
const CHANNEL: &str = "QD-WX01";

const FEE: i64 = 2500;

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// The working day of every schedule in the fixture (a Monday).
fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// A local (Asia/Shanghai) time on the fixture day as an instant.
fn at(h: u32, m: u32) -> DateTime<Utc> {
    slots::to_utc(slots::DEFAULT_TZ, day(), t(h, m))
}

fn fixture() -> World {
    let mut w = World::default();
    w.tenants.insert(TENANT, Tenant { id: TENANT, name: "明眸口腔眼科连锁".into() });
    for (id, code, name) in [(STORE_A, "BJ01", "朝阳店"), (STORE_B, "BJ02", "海淀店")] {
        w.stores.insert(
            id,
            Store {
                id,
                tenant_id: TENANT,
                code: code.into(),
                name: name.into(),
                timezone: "Asia/Shanghai".into(),
                settings: StoreSettings::default(),
            },
        );
    }
    for (id, store_id, name) in [(DENTAL, STORE_A, "口腔科"), (OPTOMETRY, STORE_A, "视光科"), (GENERAL_B, STORE_B, "综合科")] {
        w.departments.insert(id, Department { id, store_id, name: name.into() });
    }
    for (id, name, dept) in
        [(DR_LI, "李医生", DENTAL), (DR_WANG, "王医生", DENTAL), (DR_ZHAO, "赵医生", OPTOMETRY), (DR_CHEN, "陈医生", GENERAL_B)]
    {
        w.doctors.insert(id, Doctor { id, tenant_id: TENANT, name: name.into(), title: "主治医师".into(), department_ids: vec![dept] });
    }
    w.complaints
        .insert(TOOTHACHE, Complaint { id: TOOTHACHE, tenant_id: TENANT, name: "牙痛".into(), department_ids: vec![DENTAL, GENERAL_B] });
    w.complaints.insert(BLURRY, Complaint { id: BLURRY, tenant_id: TENANT, name: "看不清".into(), department_ids: vec![OPTOMETRY] });
    w.visit_types.insert(
        TENANT,
        vec![
            VisitTypeDef { code: VISIT_FIRST.into(), name: "初诊".into() },
            VisitTypeDef { code: VISIT_RETURN.into(), name: "复诊".into() },
            VisitTypeDef { code: "ortho_review".into(), name: "正畸复查".into() },
        ],
    );
    for (id, name, sex, born) in
        [(P1, "张小明", Sex::Male, (2015, 3, 1)), (P2, "王小红", Sex::Female, (2012, 7, 9)), (P3, "刘阿明", Sex::Male, (1990, 1, 20))]
    {
        w.patients.insert(
            id,
            Patient {
                id,
                tenant_id: TENANT,
                name: name.into(),
                sex,
                birth_date: NaiveDate::from_ymd_opt(born.0, born.1, born.2).unwrap(),
                phone: "13800138000".into(),
                guardian_ids: vec![],
                channel_code: None,
                consultant_id: None,
            },
        );
    }
    w.guardians.insert(GUARDIAN, Guardian { id: GUARDIAN, tenant_id: TENANT, name: "张妈妈".into(), phone: "13900139000".into() });
    w.channels.insert(CHANNEL.into(), Channel { code: CHANNEL.into(), tenant_id: TENANT, consultant_id: CONSULTANT });
    for who in [reception_a(), manager_a(), optometrist_a(), reception_b(), manager_ab_at_b()] {
        if let Actor::Staff { staff_id, name, role, store_ids } = who.actor {
            w.staff.insert(
                staff_id,
                Staff { id: staff_id, tenant_id: TENANT, name: name.clone(), login: name, role, store_ids, doctor_id: None },
            );
        }
    }
    for (n, (doctor_id, store_id)) in [(DR_LI, STORE_A), (DR_WANG, STORE_A), (DR_ZHAO, STORE_A), (DR_CHEN, STORE_B)].into_iter().enumerate()
    {
        let sid = id(0x5C00 + n as u128);
        w.schedules.insert(
            sid,
            Schedule {
                id: sid,
                store_id,
                doctor_id,
                date: day(),
                periods: vec![Period { start: t(9, 0), end: t(12, 0) }, Period { start: t(14, 0), end: t(17, 30) }],
                slot_minutes: 30,
            },
        );
    }
    let block = id(0xB10C);
    w.blocks.insert(
        block,
        BlockedTime { id: block, store_id: STORE_A, doctor_id: DR_LI, start: at(16, 0), end: at(16, 30), reason: "科室会议".into() },
    );
    w
}

/// Who issues a command, and from where.
#[derive(Debug, Clone)]
struct Who {
    actor: Actor,
    origin: Origin,
}

fn desk(store_id: Id, device: &str) -> Origin {
    Origin::Desk { store_id, device_code: device.into() }
}

fn staff(n: u128, name: &str, role: Role, stores: &[Id], origin: Origin) -> Who {
    Who { actor: Actor::Staff { staff_id: id(0x5700 + n), name: name.into(), role, store_ids: stores.to_vec() }, origin }
}

fn reception_a() -> Who {
    staff(1, "李前台", Role::Receptionist, &[STORE_A], desk(STORE_A, "D1"))
}
fn manager_a() -> Who {
    staff(2, "张店长", Role::Manager, &[STORE_A], desk(STORE_A, "D2"))
}
fn optometrist_a() -> Who {
    staff(3, "赵视光", Role::Optometrist, &[STORE_A], desk(STORE_A, "D3"))
}
fn reception_b() -> Who {
    staff(4, "孙前台", Role::Receptionist, &[STORE_B], desk(STORE_B, "D1"))
}
/// A manager of both stores, sitting at store B's desk.
fn manager_ab_at_b() -> Who {
    staff(5, "周区长", Role::Manager, &[STORE_A, STORE_B], desk(STORE_B, "D1"))
}
/// A receptionist of store A whose command is issued through the server (e.g. the web back office).
fn reception_a_via_server() -> Who {
    Who { origin: Origin::Server, ..reception_a() }
}
fn patient(patient_id: Id) -> Who {
    Who { actor: Actor::Patient { patient_id }, origin: Origin::Server }
}
fn system() -> Who {
    Who { actor: Actor::System, origin: Origin::Server }
}

/// The world plus the deterministic parts of a command's context.
#[derive(Debug, Clone)]
struct H {
    world: World,
    now: DateTime<Utc>,
    seq: u32,
    next_id: u128,
}

impl H {
    fn new() -> H {
        H { world: fixture(), now: at(8, 0), seq: 0, next_id: 0 }
    }

    /// A fresh id for a row a command creates.
    fn new_id(&mut self) -> Id {
        self.next_id += 1;
        id(0x1D_0000_0000 + self.next_id)
    }

    fn ctx(&mut self, who: &Who) -> Ctx {
        self.seq += 1;
        let serial = match &who.origin {
            Origin::Desk { store_id, device_code } => format!("{}-{}-{:06}", self.world.stores[store_id].code, device_code, self.seq),
            Origin::Server => format!("SRV-{}", self.seq),
        };
        Ctx {
            actor: who.actor.clone(),
            now: self.now,
            mutation_id: id(0xC0DE_0000_0000 + u128::from(self.seq)),
            origin: who.origin.clone(),
            serial,
        }
    }

    /// Runs a command and applies its effects; checks the audit rules of every success.
    fn run(&mut self, who: &Who, cmd: Command) -> Result<Effects, DomainError> {
        let ctx = self.ctx(who);
        let fx = commands::handle(&self.world, &ctx, &cmd)?;
        assert_audited(&self.world, &ctx, &fx);
        self.world.apply(&fx);
        Ok(fx)
    }

    #[track_caller]
    fn ok(&mut self, who: &Who, cmd: Command) -> Effects {
        let name = cmd.name();
        self.run(who, cmd).unwrap_or_else(|e| panic!("{name} by {} refused: {e:?}", who.actor.label()))
    }

    /// Runs a command that must be refused; returns the code and checks nothing changed.
    #[track_caller]
    fn err(&mut self, who: &Who, cmd: Command) -> &'static str {
        let before = self.world.clone();
        let name = cmd.name();
        let e = match self.run(who, cmd) {
            Ok(fx) => panic!("{name} by {} applied: {fx:?}", who.actor.label()),
            Err(e) => e,
        };
        assert_eq!(self.world, before, "{name} refused with {} but changed the world", e.code());
        e.code()
    }

    fn appt(&self, appointment_id: Id) -> &Appointment {
        &self.world.appointments[&appointment_id]
    }
    fn state(&self, appointment_id: Id) -> AppointmentState {
        self.appt(appointment_id).state
    }
    fn fee(&self, fee_id: Id) -> &Fee {
        &self.world.fees[&fee_id]
    }

    fn refund_args(&mut self, fee_id: Id) -> RefundArgs {
        RefundArgs { refund_id: self.new_id(), fee_id, reason: "患者取消预约".into() }
    }

    fn set_settings(&mut self, store_id: Id, edit: impl FnOnce(&mut StoreSettings)) {
        let mut settings = self.world.stores[&store_id].settings.clone();
        edit(&mut settings);
        let who = if store_id == STORE_A { manager_a() } else { manager_ab_at_b() };
        self.ok(&who, Command::UpdateSettings(UpdateSettings { store_id, settings }));
    }

    fn set_policy(&mut self, store_id: Id, policy: CancellationPolicy) {
        self.set_settings(store_id, |s| s.cancellation_policy = policy);
    }

    /// Books with store A's receptionist after `edit` adjusted the default booking.
    fn book(&mut self, who: &Who, edit: impl FnOnce(&mut BookingCreate)) -> Id {
        let mut b = booking(self.new_id(), at(9, 0));
        edit(&mut b);
        let appointment_id = b.appointment_id;
        self.ok(who, Command::BookingCreate(b));
        appointment_id
    }
}

/// Dr Li, dental, store A, patient P1, toothache, 30 minutes from `start`, at the desk, no fee.
fn booking(appointment_id: Id, start: DateTime<Utc>) -> BookingCreate {
    BookingCreate {
        appointment_id,
        store_id: STORE_A,
        doctor_id: DR_LI,
        department_id: DENTAL,
        patient_id: P1,
        complaint_id: Some(TOOTHACHE),
        start,
        end: start + Duration::minutes(30),
        visit_type: None,
        source: Source::Desk,
        fee: None,
    }
}

/// A paid appointment of P1 with Dr Li: desk methods booked and paid at store A's desk
/// (confirmed), online methods by the patient in the app (pending). Returns (appointment, fee).
fn book_paid(h: &mut H, method: PayMethod, start: DateTime<Utc>) -> (Id, Id) {
    let fee_id = h.new_id();
    let who = if method.is_online() { patient(P1) } else { reception_a() };
    let appt = h.book(&who, |b| {
        b.start = start;
        b.end = start + Duration::minutes(30);
        b.fee = Some(NewFee { fee_id, amount: FEE, paid_with: Some(method) });
        if method.is_online() {
            b.source = Source::PatientApp;
        }
    });
    (appt, fee_id)
}

/// The refund by whoever holds the fee's refund right: store A's desk, or the server.
fn refund_by_authority(h: &mut H, fee_id: Id) -> Result<Effects, DomainError> {
    let args = h.refund_args(fee_id);
    match h.fee(fee_id).authority {
        Some(RefundAuthority::Server) => h.run(&system(), Command::RefundOnline(args)),
        _ => h.run(&reception_a(), Command::RefundCash(args)),
    }
}

fn refunds_of(w: &World, fee_id: Id) -> Vec<&Refund> {
    w.refunds.values().filter(|r| r.fee_id == fee_id).collect()
}

fn aref(appointment_id: Id) -> AppointmentRef {
    AppointmentRef { appointment_id }
}
fn cancel(appointment_id: Id) -> Command {
    Command::Cancel(WithReason { appointment_id, reason: "患者来电取消".into() })
}
fn patient_cancel(appointment_id: Id) -> Command {
    Command::PatientCancel(WithReason { appointment_id, reason: "临时有事".into() })
}
fn check_in(appointment_id: Id) -> Command {
    Command::CheckIn(aref(appointment_id))
}
fn undo_check_in(appointment_id: Id, reason: &str) -> Command {
    Command::UndoCheckIn(WithReason { appointment_id, reason: reason.into() })
}
fn request_create(h: &mut H, appointment_id: Id) -> (Id, Command) {
    let request_id = h.new_id();
    (request_id, Command::RequestCreate(RequestCreate { request_id, appointment_id, reason: "孩子发烧去不了".into() }))
}
fn approve(request_id: Id) -> Command {
    Command::RequestApprove(RequestRef { request_id })
}
fn reject(request_id: Id, reason: &str) -> Command {
    Command::RequestReject(RequestReject { request_id, reason: reason.into() })
}

/// Audit rules checked on every applied command (DOMAIN.md §4 "every state change records
/// who, when and why"): each history line carries the command's id, its index, the actor's
/// label and the context's time; each appointment whose state changed gets exactly one line
/// with the old and new state; no line claims a state change that did not happen; and every
/// appointment, fee, refund or request the command wrote has at least one line.
fn assert_audited(before: &World, ctx: &Ctx, fx: &Effects) {
    for (i, e) in fx.history.iter().enumerate() {
        assert_eq!(usize::from(e.index), i, "history indices are 0, 1, 2 ...");
        assert_eq!(e.mutation_id, ctx.mutation_id);
        assert_eq!(e.at, ctx.now, "history time is the command's time");
        assert_eq!(e.actor, ctx.actor.label());
    }
    let mut changed = BTreeSet::new();
    let mut touched = BTreeSet::new();
    for c in &fx.changes {
        match c {
            Change::Appointment(a) => {
                touched.insert(a.id);
                let old = before.appointments.get(&a.id).map(|o| o.state);
                if old != Some(a.state) {
                    let lines: Vec<_> = fx.history.iter().filter(|e| e.appointment_id == a.id && e.from_state != e.to_state).collect();
                    assert_eq!(lines.len(), 1, "exactly one state line for {:?} → {:?}: {:?}", old, a.state, fx.history);
                    assert_eq!((lines[0].from_state, lines[0].to_state), (old, Some(a.state)));
                    changed.insert(a.id);
                }
            }
            Change::Fee(f) => {
                touched.insert(f.appointment_id);
            }
            Change::Refund(r) => {
                let fee = before.fees.get(&r.fee_id).expect("a refund of a known fee");
                touched.insert(fee.appointment_id);
            }
            Change::Request(r) => {
                touched.insert(r.appointment_id);
            }
            _ => {}
        }
    }
    for e in &fx.history {
        if e.from_state != e.to_state {
            assert!(changed.contains(&e.appointment_id), "a state line without a state change: {e:?}");
        }
    }
    for a in touched {
        assert!(fx.history.iter().any(|e| e.appointment_id == a), "no history line for a change of appointment {a}: {fx:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Refund, then cancel; check-in; refund authority; the 365-day rule; the invariant (§4–§6)
// ---------------------------------------------------------------------------------------------

const ALL_METHODS: [PayMethod; 4] = [PayMethod::Cash, PayMethod::Card, PayMethod::WechatApp, PayMethod::Points];

#[test]
fn staff_cancel_of_a_paid_appointment_needs_refund_first_and_a_second_refund_is_refused() {
    for method in ALL_METHODS {
        let mut h = H::new();
        let (appt, fee) = book_paid(&mut h, method, at(9, 0));
        assert_eq!(h.fee(fee).status, ChargeStatus::Charged);
        assert_eq!(h.err(&reception_a(), cancel(appt)), "refund_first", "{method:?}");

        let fx = refund_by_authority(&mut h, fee).unwrap();
        let refund = fx.changes.iter().find_map(|c| if let Change::Refund(r) = c { Some(r.clone()) } else { None }).unwrap();
        let expected_kind = if method.is_online() { RefundKind::Provider } else { RefundKind::DeskCash };
        assert_eq!((refund.kind, refund.amount), (expected_kind, Fen(FEE)), "{method:?}");
        assert!(refund.number.starts_with("TK-"), "{}", refund.number);
        assert!(h.state(appt).is_before_check_in(), "a refund alone does not cancel");

        h.ok(&reception_a(), cancel(appt));
        assert_eq!(h.state(appt), AppointmentState::Cancelled);

        // A second refund, by either side and of any kind, is refused.
        let cash = h.refund_args(fee);
        let online = h.refund_args(fee);
        let manual = h.refund_args(fee);
        assert_eq!(h.err(&reception_a(), Command::RefundCash(cash)), "already_refunded", "{method:?}");
        assert_eq!(h.err(&system(), Command::RefundOnline(online)), "already_refunded", "{method:?}");
        assert_eq!(h.err(&reception_a(), Command::RefundManual(manual)), "already_refunded", "{method:?}");
        assert_eq!(h.err(&reception_a(), Command::RequestRefund(FeeRef { fee_id: fee })), "already_refunded", "{method:?}");
        assert_eq!(refunds_of(&h.world, fee).len(), 1, "{method:?}");
    }
}

#[test]
fn staff_cancel_without_a_charged_fee_cancels_at_once() {
    let mut h = H::new();
    let no_fee = h.book(&reception_a(), |_| {});
    let billed_fee = h.new_id();
    let billed = h.book(&reception_a(), |b| {
        b.start = at(9, 30);
        b.end = at(10, 0);
        b.fee = Some(NewFee { fee_id: billed_fee, amount: FEE, paid_with: None });
    });
    let free = h.book(&reception_a(), |b| {
        b.start = at(10, 0);
        b.end = at(10, 30);
        b.fee = Some(NewFee { fee_id: unused_id(), amount: 0, paid_with: Some(PayMethod::Cash) });
    });
    assert_eq!(h.fee(billed_fee).status, ChargeStatus::Pending, "billed, to be charged (待收费)");
    assert_eq!(h.appt(free).fee_id, None, "a zero fee is no fee");
    for appt in [no_fee, billed, free] {
        h.ok(&reception_a(), cancel(appt));
        assert_eq!(h.state(appt), AppointmentState::Cancelled);
    }
    assert!(h.world.refunds.is_empty());
}

/// An id that no command will see again (for rows that must not be created).
fn unused_id() -> Id {
    id(0xDEAD)
}

#[test]
fn a_patient_cancelling_after_the_staff_refunded_only_cancels_and_never_refunds_again() {
    for method in ALL_METHODS {
        let mut h = H::new();
        h.set_policy(STORE_A, CancellationPolicy::DirectBeforeCheckIn);
        let (appt, fee) = book_paid(&mut h, method, at(9, 0));
        refund_by_authority(&mut h, fee).unwrap();
        let fx = h.ok(&patient(P1), patient_cancel(appt));
        assert!(!fx.changes.iter().any(|c| matches!(c, Change::Refund(_))), "{method:?}: no second refund");
        assert!(fx.warnings.is_empty(), "{method:?}: {:?}", fx.warnings);
        assert_eq!(h.state(appt), AppointmentState::Cancelled, "{method:?}");
        assert_eq!(refunds_of(&h.world, fee).len(), 1, "{method:?}");
    }
}

#[test]
fn a_patients_direct_cancel_of_an_online_fee_refunds_once_through_the_provider_then_cancels() {
    for method in [PayMethod::WechatApp, PayMethod::Points] {
        let mut h = H::new();
        h.set_policy(STORE_A, CancellationPolicy::DirectBeforeCheckIn);
        let (appt, fee) = book_paid(&mut h, method, at(9, 0));
        let fx = h.ok(&patient(P1), patient_cancel(appt));
        let refunds: Vec<&Refund> = fx.changes.iter().filter_map(|c| if let Change::Refund(r) = c { Some(r) } else { None }).collect();
        assert_eq!(refunds.len(), 1, "{method:?}");
        assert_eq!((refunds[0].kind, refunds[0].amount, refunds[0].fee_id), (RefundKind::Provider, Fen(FEE), fee));
        assert_eq!(h.state(appt), AppointmentState::Cancelled);

        let cash = h.refund_args(fee);
        let online = h.refund_args(fee);
        assert_eq!(h.err(&reception_a(), Command::RefundCash(cash)), "already_refunded", "{method:?}");
        assert_eq!(h.err(&system(), Command::RefundOnline(online)), "already_refunded", "{method:?}");
        assert_eq!(h.err(&patient(P1), patient_cancel(appt)), "invalid_transition", "{method:?}");
        assert_eq!(refunds_of(&h.world, fee).len(), 1);
    }
}

#[test]
fn a_patients_direct_cancel_of_a_desk_fee_becomes_a_request_the_desk_completes() {
    for method in [PayMethod::Cash, PayMethod::Card] {
        let mut h = H::new();
        h.set_policy(STORE_A, CancellationPolicy::DirectBeforeCheckIn);
        let (appt, fee) = book_paid(&mut h, method, at(9, 0));
        let fx = h.ok(&patient(P1), patient_cancel(appt));
        assert_eq!(fx.warnings.iter().map(|w| w.code.as_str()).collect::<Vec<_>>(), vec!["routed_to_desk"]);
        assert_eq!(h.state(appt), AppointmentState::Confirmed, "{method:?}: state unchanged");
        assert!(h.world.refunds.is_empty(), "{method:?}: only the desk hands back a desk fee");
        let req = h.world.open_request_of(appt).cloned().expect("an open request in the desk's inbox");
        assert_eq!((req.store_id, req.patient_id, req.status), (STORE_A, P1, RequestStatus::Open));

        assert_eq!(h.err(&patient(P1), patient_cancel(appt)), "request_already_open");
        assert_eq!(h.err(&reception_a(), approve(req.id)), "refund_first");
        refund_by_authority(&mut h, fee).unwrap();
        h.ok(&reception_a(), approve(req.id));
        assert_eq!(h.state(appt), AppointmentState::Cancelled);
        assert_eq!(h.world.requests[&req.id].status, RequestStatus::Approved);
        assert_eq!(refunds_of(&h.world, fee).len(), 1);
    }
}

#[test]
fn no_cancel_after_check_in_until_a_manager_undoes_the_check_in() {
    for method in [PayMethod::Cash, PayMethod::WechatApp] {
        let mut h = H::new();
        let (appt, fee) = book_paid(&mut h, method, at(9, 0));
        h.ok(&reception_a(), check_in(appt));
        assert_eq!(h.err(&reception_a(), cancel(appt)), "cancel_after_check_in", "{method:?}");
        assert_eq!(h.err(&manager_a(), cancel(appt)), "cancel_after_check_in", "{method:?}");
        let (_, req) = request_create(&mut h, appt);
        assert_eq!(h.err(&patient(P1), req), "cancel_after_check_in", "{method:?}");
        h.set_policy(STORE_A, CancellationPolicy::DirectBeforeCheckIn);
        assert_eq!(h.err(&patient(P1), patient_cancel(appt)), "cancel_after_check_in", "{method:?}");

        assert_eq!(h.err(&reception_a(), undo_check_in(appt, "误点到店")), "forbidden", "only a manager undoes a check-in");
        assert_eq!(h.err(&manager_a(), undo_check_in(appt, "  ")), "empty_text", "the undo is audited with a reason");
        let fx = h.ok(&manager_a(), undo_check_in(appt, "误点到店"));
        assert_eq!(h.state(appt), AppointmentState::Confirmed);
        assert_eq!(fx.history[0].reason.as_deref(), Some("误点到店"));
        assert_eq!(fx.history[0].actor, "manager:张店长");

        assert_eq!(h.err(&reception_a(), cancel(appt)), "refund_first");
        refund_by_authority(&mut h, fee).unwrap();
        h.ok(&reception_a(), cancel(appt));
        assert_eq!(h.state(appt), AppointmentState::Cancelled);
        assert_eq!(refunds_of(&h.world, fee).len(), 1);
    }
}

/// Which refund command a case issues.
#[derive(Debug, Clone, Copy)]
enum RefundCmd {
    Cash,
    Online,
    Manual,
    Request,
}

fn refund_command(h: &mut H, kind: RefundCmd, fee_id: Id) -> Command {
    let args = h.refund_args(fee_id);
    match kind {
        RefundCmd::Cash => Command::RefundCash(args),
        RefundCmd::Online => Command::RefundOnline(args),
        RefundCmd::Manual => Command::RefundManual(args),
        RefundCmd::Request => Command::RequestRefund(FeeRef { fee_id }),
    }
}

/// How the case's fee was paid; `None` = billed, not charged.
struct AuthorityCase {
    name: &'static str,
    paid: Option<PayMethod>,
    who: fn() -> Who,
    cmd: RefundCmd,
    expected: Result<(), &'static str>,
}

#[test]
fn each_fee_is_refunded_only_by_its_refund_authority() {
    use RefundCmd::*;
    let case = |name, paid, who, cmd, expected| AuthorityCase { name, paid, who, cmd, expected };
    let cases = [
        case("refund of a fee never charged", None, reception_a as fn() -> Who, Cash, Err("not_charged")),
        case("online refund of a fee never charged", None, system, Online, Err("not_charged")),
        case("desk fee, its store's desk", Some(PayMethod::Cash), reception_a, Cash, Ok(())),
        case("card fee, the desk that took it", Some(PayMethod::Card), reception_a, Cash, Ok(())),
        case("desk fee, another desk of its store", Some(PayMethod::Cash), manager_a, Cash, Err("refund_at_collecting_desk")),
        case("desk fee, another store's desk", Some(PayMethod::Cash), manager_ab_at_b, Cash, Err("not_refund_authority")),
        case("desk fee, staff of another store", Some(PayMethod::Cash), reception_b, Cash, Err("not_in_store")),
        case("desk fee, its staff through the server", Some(PayMethod::Cash), reception_a_via_server, Cash, Err("not_refund_authority")),
        case("desk fee, the server's provider refund", Some(PayMethod::Cash), system, Online, Err("not_refund_authority")),
        case("desk fee, a refund request to the server", Some(PayMethod::Cash), reception_a, Request, Err("not_refund_authority")),
        case("desk fee, a manual refund", Some(PayMethod::Cash), reception_a, Manual, Err("manual_refund_not_allowed")),
        case("desk fee, an optometrist", Some(PayMethod::Cash), optometrist_a, Cash, Err("forbidden")),
        case("online fee, refunded as cash by a desk", Some(PayMethod::WechatApp), reception_a, Cash, Err("not_refund_authority")),
        case("online fee, provider refund from a desk", Some(PayMethod::WechatApp), reception_a, Online, Err("not_refund_authority")),
        case("online fee, the server", Some(PayMethod::WechatApp), system, Online, Ok(())),
        case("points fee, the server", Some(PayMethod::Points), system, Online, Ok(())),
        case("online fee, the desk asks the server", Some(PayMethod::WechatApp), reception_a, Request, Ok(())),
        case("online fee, the patient", Some(PayMethod::WechatApp), || patient(P1), Online, Err("forbidden")),
        case("online fee, the system may not hand back cash", Some(PayMethod::WechatApp), system, Cash, Err("forbidden")),
        case(
            "online fee, a manual refund before the limit",
            Some(PayMethod::WechatApp),
            reception_a,
            Manual,
            Err("manual_refund_not_allowed"),
        ),
    ];
    for c in cases {
        let mut h = H::new();
        let fee = match c.paid {
            Some(method) => book_paid(&mut h, method, at(9, 0)).1,
            None => {
                let fee_id = h.new_id();
                h.book(&reception_a(), |b| b.fee = Some(NewFee { fee_id, amount: FEE, paid_with: None }));
                fee_id
            }
        };
        let cmd = refund_command(&mut h, c.cmd, fee);
        let got = match c.expected {
            Ok(()) => h.run(&(c.who)(), cmd).map(|_| ()).map_err(|e| e.code()),
            Err(_) => Err(h.err(&(c.who)(), cmd)),
        };
        assert_eq!(got, c.expected, "{}", c.name);
    }
}

#[test]
fn the_desk_requests_an_online_refund_once_and_the_server_refunds_it_once() {
    let mut h = H::new();
    let (appt, fee) = book_paid(&mut h, PayMethod::WechatApp, at(9, 0));
    h.now = at(8, 30);
    h.ok(&reception_a(), Command::RequestRefund(FeeRef { fee_id: fee }));
    assert_eq!(h.fee(fee).refund_requested_at, Some(at(8, 30)));
    assert!(h.world.refunds.is_empty(), "a request is not a refund");
    assert_eq!(h.err(&reception_a(), Command::RequestRefund(FeeRef { fee_id: fee })), "refund_already_requested");
    assert_eq!(h.err(&reception_b(), Command::RequestRefund(FeeRef { fee_id: fee })), "not_in_store");

    let args = h.refund_args(fee);
    h.ok(&system(), Command::RefundOnline(args));
    assert_eq!(refunds_of(&h.world, fee)[0].actor, "system");
    let again = h.refund_args(fee);
    assert_eq!(h.err(&system(), Command::RefundOnline(again)), "already_refunded");
    assert_eq!(h.err(&reception_a(), Command::RequestRefund(FeeRef { fee_id: fee })), "already_refunded");
    h.ok(&reception_a(), cancel(appt));
    assert_eq!(refunds_of(&h.world, fee).len(), 1);
}

struct ExpiryCase {
    name: &'static str,
    method: PayMethod,
    days_after_payment: i64,
    who: fn() -> Who,
    cmd: RefundCmd,
    expected: Result<RefundKind, &'static str>,
}

#[test]
fn online_refunds_expire_365_days_after_a_wechat_payment_and_go_to_a_manual_refund() {
    use RefundCmd::*;
    let case = |name, method, days_after_payment, who, cmd, expected| ExpiryCase { name, method, days_after_payment, who, cmd, expected };
    let cases = [
        case(
            "WeChat, day 365: the provider still refunds",
            PayMethod::WechatApp,
            365,
            system as fn() -> Who,
            Online,
            Ok(RefundKind::Provider),
        ),
        case("WeChat, day 366: the provider refuses", PayMethod::WechatApp, 366, system, Online, Err("online_refund_expired")),
        case(
            "WeChat, day 366: the desk's request is refused too",
            PayMethod::WechatApp,
            366,
            reception_a,
            Request,
            Err("online_refund_expired"),
        ),
        case("WeChat, day 366: a recorded manual refund", PayMethod::WechatApp, 366, reception_a, Manual, Ok(RefundKind::Manual)),
        case("WeChat, day 366: still not the desk's cash", PayMethod::WechatApp, 366, reception_a, Cash, Err("not_refund_authority")),
        case(
            "WeChat, day 365: manual refund not yet allowed",
            PayMethod::WechatApp,
            365,
            reception_a,
            Manual,
            Err("manual_refund_not_allowed"),
        ),
        case("WeChat, day 30: manual refund not allowed", PayMethod::WechatApp, 30, reception_a, Manual, Err("manual_refund_not_allowed")),
        case("points only, two years: still refunded online", PayMethod::Points, 730, system, Online, Ok(RefundKind::Provider)),
        case("points only, two years: no manual refund", PayMethod::Points, 730, reception_a, Manual, Err("manual_refund_not_allowed")),
        case("cash, two years: the desk still refunds", PayMethod::Cash, 730, reception_a, Cash, Ok(RefundKind::DeskCash)),
        case("cash, day 400: no manual refund", PayMethod::Cash, 400, reception_a, Manual, Err("manual_refund_not_allowed")),
    ];
    for c in cases {
        let mut h = H::new();
        let (_, fee) = book_paid(&mut h, c.method, at(9, 0));
        let paid_at = h.fee(fee).paid_at.unwrap();
        assert_eq!(h.fee(fee).wechat_paid, if c.method == PayMethod::WechatApp { Fen(FEE) } else { Fen(0) });
        h.now = paid_at + Duration::days(c.days_after_payment);
        let cmd = refund_command(&mut h, c.cmd, fee);
        match c.expected {
            Ok(kind) => {
                h.ok(&(c.who)(), cmd);
                let refunds = refunds_of(&h.world, fee);
                assert_eq!((refunds.len(), refunds[0].kind), (1, kind), "{}", c.name);
                // Exactly once, whatever is tried next.
                for again in [Cash, Online, Manual, Request] {
                    let who = if matches!(again, Online) { system() } else { reception_a() };
                    let cmd = refund_command(&mut h, again, fee);
                    assert_eq!(h.err(&who, cmd), "already_refunded", "{} then {again:?}", c.name);
                }
            }
            Err(expected) => assert_eq!(h.err(&(c.who)(), cmd), expected, "{}", c.name),
        }
    }
}

/// One step of the ordering test.
#[derive(Debug, Clone, Copy)]
enum Step {
    DeskRefund,
    PatientCancel,
    StaffCancel,
    ApproveRequest,
    OnlineRefund,
    CheckIn,
}

fn step(h: &mut H, s: Step, appt: Id, fee: Id) -> Result<Effects, DomainError> {
    match s {
        Step::DeskRefund => {
            let args = h.refund_args(fee);
            h.run(&reception_a(), Command::RefundCash(args))
        }
        Step::OnlineRefund => {
            let args = h.refund_args(fee);
            h.run(&system(), Command::RefundOnline(args))
        }
        Step::PatientCancel => h.run(&patient(P1), patient_cancel(appt)),
        Step::StaffCancel => h.run(&reception_a(), cancel(appt)),
        Step::ApproveRequest => {
            let request_id = h.world.open_request_of(appt).map(|r| r.id).unwrap_or_else(unused_id);
            h.run(&reception_a(), approve(request_id))
        }
        Step::CheckIn => h.run(&reception_a(), check_in(appt)),
    }
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

#[test]
fn a_fee_is_refunded_at_most_once_whoever_cancels_in_whatever_order() {
    let steps = [Step::DeskRefund, Step::PatientCancel, Step::StaffCancel, Step::ApproveRequest, Step::OnlineRefund, Step::CheckIn];
    let orders = permutations(steps.len());
    assert_eq!(orders.len(), 720);
    let policies = [CancellationPolicy::DirectBeforeCheckIn, CancellationPolicy::RequestOnly, CancellationPolicy::NotAllowed];
    for method in ALL_METHODS {
        for policy in policies {
            let mut base = H::new();
            let (appt, fee) = book_paid(&mut base, method, at(9, 0));
            if policy == CancellationPolicy::RequestOnly {
                // The patient's request waits in the inbox before anything else happens.
                let (_, req) = request_create(&mut base, appt);
                base.ok(&patient(P1), req);
            }
            base.set_policy(STORE_A, policy);
            let mut endings = BTreeSet::new();
            for order in &orders {
                let mut h = base.clone();
                let mut trace = Vec::new();
                for &i in order {
                    let outcome = step(&mut h, steps[i], appt, fee);
                    trace.push(format!("{:?}={}", steps[i], outcome.as_ref().map(|_| "ok").unwrap_or_else(|e| e.code())));
                    let refunds = refunds_of(&h.world, fee);
                    assert!(refunds.len() <= 1, "{method:?} {policy:?}: two refunds after {trace:?}");
                    if let Some(r) = refunds.first() {
                        let by_desk = matches!(h.fee(fee).authority, Some(RefundAuthority::Desk { .. }));
                        assert_eq!(
                            r.kind == RefundKind::DeskCash,
                            by_desk,
                            "{method:?} {policy:?}: refunded by the wrong side after {trace:?}"
                        );
                    }
                    if h.state(appt) == AppointmentState::Cancelled {
                        assert_eq!(refunds.len(), 1, "{method:?} {policy:?}: cancelled with the fee kept after {trace:?}");
                    }
                }
                endings.insert((h.state(appt), refunds_of(&h.world, fee).len()));
            }
            // Not vacuous: some orders cancel (and refund), some check in first.
            assert!(endings.contains(&(AppointmentState::Cancelled, 1)), "{method:?} {policy:?}: {endings:?}");
            assert!(endings.iter().any(|(s, _)| *s == AppointmentState::CheckedIn), "{method:?} {policy:?}: {endings:?}");
        }
    }
}

#[test]
fn the_fee_of_a_cancelled_appointment_cannot_be_charged_afterwards() {
    let mut h = H::new();
    let fee = h.new_id();
    let appt = h.book(&reception_a(), |b| b.fee = Some(NewFee { fee_id: fee, amount: FEE, paid_with: None }));
    h.ok(&reception_a(), cancel(appt));
    let charge = Command::FeeCharge(FeeCharge { fee_id: fee, method: PayMethod::Cash });
    let r = h.run(&reception_a(), charge);
    assert!(r.is_err(), "charged a cancelled appointment's fee: {:?}", h.fee(fee));
    // The invariant the ordering test checks: a cancelled appointment holds no charged, unrefunded fee.
    assert!(h.fee(fee).status != ChargeStatus::Charged || !refunds_of(&h.world, fee).is_empty());
}

// ---------------------------------------------------------------------------------------------
// 2. Cancellation policies (§5)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum PatientTries {
    Cancel,
    Request,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Refused(&'static str),
    Cancelled,
    RequestOpen,
}

#[test]
fn patient_cancellation_follows_the_stores_policy() {
    use CancellationPolicy::*;
    use Outcome::*;
    use PatientTries as T;
    let cases = [
        (NotAllowed, T::Cancel, Refused("cancellation_not_allowed")),
        (NotAllowed, T::Request, Refused("cancellation_not_allowed")),
        (RequestOnly, T::Cancel, Refused("cancellation_not_allowed")),
        (RequestOnly, T::Request, RequestOpen),
        (DirectBeforeCheckIn, T::Cancel, Cancelled),
        (DirectBeforeCheckIn, T::Request, Refused("cancellation_not_allowed")),
    ];
    // Booked in the app (pending) and at the desk (confirmed): both are before check-in.
    for source in [Source::PatientApp, Source::Desk] {
        for (policy, tries, expected) in cases {
            let mut h = H::new();
            h.set_policy(STORE_A, policy);
            let appt = h.book(&reception_a(), |b| b.source = source);
            let before = h.state(appt);
            let cmd = match tries {
                T::Cancel => patient_cancel(appt),
                T::Request => request_create(&mut h, appt).1,
            };
            let got = match h.run(&patient(P1), cmd) {
                Err(e) => Refused(e.code()),
                Ok(_) if h.state(appt) == AppointmentState::Cancelled => Cancelled,
                Ok(_) => {
                    assert_eq!(h.state(appt), before, "a request leaves the state");
                    assert!(h.world.open_request_of(appt).is_some());
                    RequestOpen
                }
            };
            assert_eq!(got, expected, "{policy:?} {tries:?} {source:?}");
            // Staff can always cancel before check-in, whatever the patient may do.
            if h.state(appt) != AppointmentState::Cancelled {
                h.ok(&reception_a(), cancel(appt));
            }
        }
    }
}

#[test]
fn a_patient_acts_only_on_their_own_appointments() {
    let mut h = H::new();
    let appt = h.book(&reception_a(), |_| {});
    let (_, req) = request_create(&mut h, appt);
    assert_eq!(h.err(&patient(P2), req), "not_own_appointment");
    h.set_policy(STORE_A, CancellationPolicy::DirectBeforeCheckIn);
    assert_eq!(h.err(&patient(P2), patient_cancel(appt)), "not_own_appointment");
    assert_eq!(h.err(&reception_a(), patient_cancel(appt)), "forbidden", "staff use appointment.cancel");
    assert_eq!(h.err(&patient(P1), cancel(appt)), "forbidden", "patients use appointment.patient_cancel");
}

#[test]
fn request_only_opens_one_request_and_leaves_the_appointment_as_it_was() {
    let mut h = H::new();
    let appt = h.book(&reception_a(), |_| {});
    let empty = Command::RequestCreate(RequestCreate { request_id: h.new_id(), appointment_id: appt, reason: " ".into() });
    assert_eq!(h.err(&patient(P1), empty), "empty_text", "the patient gives a reason");
    h.now = at(8, 15);
    let (request_id, req) = request_create(&mut h, appt);
    let fx = h.ok(&patient(P1), req);
    assert_eq!(h.state(appt), AppointmentState::Confirmed);
    assert_eq!(fx.history.len(), 1);
    assert_eq!((fx.history[0].action.as_str(), fx.history[0].from_state, fx.history[0].to_state), ("cancel_requested", None, None));
    let r = &h.world.requests[&request_id];
    assert_eq!((r.status, r.store_id, r.requested_at, r.reason.as_str()), (RequestStatus::Open, STORE_A, at(8, 15), "孩子发烧去不了"));

    let (_, second) = request_create(&mut h, appt);
    assert_eq!(h.err(&patient(P1), second), "request_already_open");
}

#[test]
fn approving_a_request_for_a_paid_appointment_needs_the_refund_first_then_cancels() {
    for method in [PayMethod::Cash, PayMethod::WechatApp] {
        let mut h = H::new();
        let (appt, fee) = book_paid(&mut h, method, at(9, 0));
        let (request_id, req) = request_create(&mut h, appt);
        h.ok(&patient(P1), req);
        assert_eq!(h.err(&reception_a(), approve(request_id)), "refund_first", "{method:?}");
        assert_eq!(h.err(&optometrist_a(), approve(request_id)), "forbidden");
        assert_eq!(h.err(&reception_b(), approve(request_id)), "not_in_store");
        if method.is_online() {
            // The desk can only ask; the server refunds.
            h.ok(&reception_a(), Command::RequestRefund(FeeRef { fee_id: fee }));
        }
        refund_by_authority(&mut h, fee).unwrap();
        h.now = at(8, 40);
        h.ok(&reception_a(), approve(request_id));
        assert_eq!(h.state(appt), AppointmentState::Cancelled);
        let r = &h.world.requests[&request_id];
        assert_eq!(
            (r.status, r.decided_at, r.decided_by.as_deref()),
            (RequestStatus::Approved, Some(at(8, 40)), Some("receptionist:李前台"))
        );
        assert_eq!(h.err(&reception_a(), approve(request_id)), "request_not_open");
        assert_eq!(h.err(&reception_a(), reject(request_id, "晚了")), "request_not_open");
        assert_eq!(refunds_of(&h.world, fee).len(), 1);
    }
}

#[test]
fn rejecting_a_request_needs_a_reason_which_the_patient_sees() {
    let mut h = H::new();
    let appt = h.book(&reception_a(), |_| {});
    let (request_id, req) = request_create(&mut h, appt);
    h.ok(&patient(P1), req);
    for blank in ["", "   "] {
        assert_eq!(h.err(&reception_a(), reject(request_id, blank)), "empty_text");
    }
    assert_eq!(h.err(&reception_a(), reject(request_id, &"不".repeat(201))), "text_too_long");
    h.ok(&reception_a(), reject(request_id, "当天只剩此时段，建议改约"));
    let r = &h.world.requests[&request_id];
    assert_eq!((r.status, r.reject_reason.as_deref()), (RequestStatus::Rejected, Some("当天只剩此时段，建议改约")));
    assert_eq!(h.state(appt), AppointmentState::Confirmed, "rejecting leaves the appointment");
    assert_eq!(h.err(&reception_a(), reject(request_id, "再拒一次")), "request_not_open");
    assert_eq!(h.err(&reception_a(), approve(request_id)), "request_not_open");
    // A decided request does not block a new one.
    let (_, again) = request_create(&mut h, appt);
    h.ok(&patient(P1), again);
}

#[test]
fn a_patients_direct_cancel_answers_their_open_request() {
    let mut h = H::new();
    h.set_policy(STORE_A, CancellationPolicy::DirectBeforeCheckIn);
    let (appt, fee) = book_paid(&mut h, PayMethod::Cash, at(9, 0));
    // The desk fee routes the first cancel to the desk; the desk hands back the cash ...
    h.ok(&patient(P1), patient_cancel(appt));
    let request_id = h.world.open_request_of(appt).unwrap().id;
    refund_by_authority(&mut h, fee).unwrap();
    // ... and the patient, now refunded, cancels in the app again before the desk approves.
    h.ok(&patient(P1), patient_cancel(appt));
    assert_eq!(h.state(appt), AppointmentState::Cancelled);
    assert_ne!(h.world.requests[&request_id].status, RequestStatus::Open, "the inbox still shows a request for a cancelled appointment");
}

#[test]
fn staff_cancel_answers_the_patients_open_request() {
    let mut h = H::new();
    let appt = h.book(&reception_a(), |_| {});
    let (request_id, req) = request_create(&mut h, appt);
    h.ok(&patient(P1), req);
    h.ok(&reception_a(), cancel(appt));
    assert_eq!(h.world.requests[&request_id].status, RequestStatus::Approved);
    assert!(h.world.open_request_of(appt).is_none());
}

// ---------------------------------------------------------------------------------------------
// 3. Booking path and bad input (§3)
// ---------------------------------------------------------------------------------------------

/// The appointment every bad-booking case meets: P2 with Dr Li at 10:00, paid in cash.
const HOLDER: Id = id(0x40_0001);
const HOLDER_FEE: Id = id(0x40_0002);

fn with_holder() -> H {
    let mut h = H::new();
    let mut b = booking(HOLDER, at(10, 0));
    b.patient_id = P2;
    b.fee = Some(NewFee { fee_id: HOLDER_FEE, amount: FEE, paid_with: Some(PayMethod::Cash) });
    h.ok(&reception_a(), Command::BookingCreate(b));
    h
}

struct BadBooking {
    name: &'static str,
    who: fn() -> Who,
    edit: fn(&mut BookingCreate),
    expected: &'static str,
}

#[test]
fn a_booking_is_refused_with_its_reason_and_nothing_changes() {
    let bad = |name, who, edit, expected| BadBooking { name, who, edit, expected };
    let cases = [
        bad(
            "end before start",
            reception_a as fn() -> Who,
            |b: &mut BookingCreate| b.end = b.start - Duration::minutes(30),
            "end_before_start",
        ),
        bad("zero length", reception_a, |b| b.end = b.start, "end_before_start"),
        bad("before the working day", reception_a, |b| (b.start, b.end) = (at(8, 0), at(8, 30)), "outside_schedule"),
        bad("in the lunch break", reception_a, |b| (b.start, b.end) = (at(12, 30), at(13, 0)), "outside_schedule"),
        bad("across the lunch break", reception_a, |b| (b.start, b.end) = (at(11, 30), at(14, 30)), "outside_schedule"),
        bad(
            "a day without a schedule",
            reception_a,
            |b| (b.start, b.end) = (at(9, 0) + Duration::days(1), at(9, 30) + Duration::days(1)),
            "outside_schedule",
        ),
        bad("off the 30-minute grid", reception_a, |b| (b.start, b.end) = (at(9, 10), at(9, 40)), "not_on_slot_grid"),
        bad("a 20-minute visit", reception_a, |b| b.end = b.start + Duration::minutes(20), "not_on_slot_grid"),
        bad("blocked for a meeting", reception_a, |b| (b.start, b.end) = (at(16, 0), at(16, 30)), "slot_blocked"),
        bad("the slot is taken", reception_a, |b| (b.start, b.end) = (at(10, 0), at(10, 30)), "slot_conflict"),
        bad("an hour over a taken slot", reception_a, |b| (b.start, b.end) = (at(9, 30), at(10, 30)), "slot_conflict"),
        bad("unknown doctor", reception_a, |b| b.doctor_id = id(0xD9), "not_found"),
        bad("unknown department", reception_a, |b| b.department_id = id(0xA9), "not_found"),
        bad("unknown patient", reception_a, |b| b.patient_id = id(0x99), "not_found"),
        bad("unknown complaint", reception_a, |b| b.complaint_id = Some(id(0xC9)), "not_found"),
        bad("unknown store, from the app", || patient(P1), |b| (b.store_id, b.source) = (id(0xF), Source::PatientApp), "not_found"),
        bad("doctor not in the department", reception_a, |b| b.doctor_id = DR_ZHAO, "doctor_not_in_department"),
        bad(
            "department of another store",
            manager_ab_at_b,
            |b| (b.department_id, b.doctor_id) = (GENERAL_B, DR_CHEN),
            "department_not_in_store",
        ),
        bad("complaint the department does not treat", reception_a, |b| b.complaint_id = Some(BLURRY), "complaint_not_for_department"),
        bad("negative fee", reception_a, |b| b.fee = Some(NewFee { fee_id: id(0xFEE), amount: -100, paid_with: None }), "invalid_amount"),
        bad(
            "absurd fee",
            reception_a,
            |b| b.fee = Some(NewFee { fee_id: id(0xFEE), amount: 100_000_001, paid_with: None }),
            "invalid_amount",
        ),
        bad(
            "store A's receptionist books in store B",
            reception_a,
            |b| {
                (b.store_id, b.department_id, b.doctor_id) = (STORE_B, GENERAL_B, DR_CHEN);
            },
            "not_in_store",
        ),
        bad("an optometrist books", optometrist_a, |_| {}, "forbidden"),
        bad("the system books", system, |_| {}, "forbidden"),
        bad(
            "the desk takes WeChat Pay",
            reception_a,
            |b| b.fee = Some(NewFee { fee_id: id(0xFEE), amount: FEE, paid_with: Some(PayMethod::WechatApp) }),
            "pay_method_not_here",
        ),
        bad(
            "the desk takes points",
            reception_a,
            |b| b.fee = Some(NewFee { fee_id: id(0xFEE), amount: FEE, paid_with: Some(PayMethod::Points) }),
            "pay_method_not_here",
        ),
        bad(
            "the app takes cash",
            || patient(P1),
            |b| {
                b.source = Source::PatientApp;
                b.fee = Some(NewFee { fee_id: id(0xFEE), amount: FEE, paid_with: Some(PayMethod::Cash) });
            },
            "pay_method_not_here",
        ),
        bad("a patient books for someone else", || patient(P3), |b| b.source = Source::PatientApp, "not_own_appointment"),
        bad("a patient books as the desk", || patient(P1), |_| {}, "not_own_appointment"),
        bad("reusing an appointment id", reception_a, |b| (b.appointment_id, b.start, b.end) = (HOLDER, at(11, 0), at(11, 30)), "id_taken"),
        bad("reusing a fee id", reception_a, |b| b.fee = Some(NewFee { fee_id: HOLDER_FEE, amount: FEE, paid_with: None }), "id_taken"),
    ];
    let mut h = with_holder();
    for c in cases {
        let mut b = booking(id(0x40_0100), at(9, 0));
        (c.edit)(&mut b);
        assert_eq!(h.err(&(c.who)(), Command::BookingCreate(b)), c.expected, "{}", c.name);
    }
    // The untouched booking itself is fine: each case failed for its own reason.
    h.ok(&reception_a(), Command::BookingCreate(booking(id(0x40_0100), at(9, 0))));
}

#[test]
fn a_double_booking_is_a_conflict_naming_the_appointment_that_holds_the_slot() {
    let mut h = with_holder();
    let b = booking(h.new_id(), at(10, 0));
    let ctx = h.ctx(&reception_a());
    assert_eq!(commands::handle(&h.world, &ctx, &Command::BookingCreate(b)), Err(DomainError::SlotConflict { taken_by: vec![HOLDER] }));
    // Another doctor at the same time is free; a cancelled appointment frees its slot.
    h.book(&reception_a(), |b| (b.doctor_id, b.start, b.end) = (DR_WANG, at(10, 0), at(10, 30)));
    let refund = h.refund_args(HOLDER_FEE);
    h.ok(&reception_a(), Command::RefundCash(refund));
    h.ok(&reception_a(), cancel(HOLDER));
    h.book(&reception_a(), |b| (b.start, b.end) = (at(10, 0), at(10, 30)));
}

#[test]
fn overbooking_is_allowed_up_to_the_stores_capacity_and_no_further() {
    let mut h = with_holder();
    h.set_settings(STORE_A, |s| s.capacity_per_slot = 2);
    let second = h.book(&reception_a(), |b| (b.start, b.end, b.patient_id) = (at(10, 0), at(10, 30), P3));
    let b = booking(h.new_id(), at(10, 0));
    let ctx = h.ctx(&reception_a());
    match commands::handle(&h.world, &ctx, &Command::BookingCreate(b)) {
        Err(DomainError::SlotConflict { taken_by }) => {
            assert_eq!(taken_by.into_iter().collect::<BTreeSet<_>>(), BTreeSet::from([HOLDER, second]));
        }
        other => panic!("a third booking in a slot of capacity 2: {other:?}"),
    }
    // Store B's capacity is its own.
    assert_eq!(h.world.stores[&STORE_B].settings.capacity_per_slot, 1);
}

#[test]
fn the_visit_type_falls_back_to_first_visit_then_return_visit_after_a_completed_one() {
    let mut h = H::new();
    let first = h.book(&reception_a(), |b| b.patient_id = P2);
    assert_eq!((h.appt(first).visit_type.as_str(), h.appt(first).visit_type_by_fallback), (VISIT_FIRST, true));
    // Booked but not completed: still a first visit.
    let second = h.book(&reception_a(), |b| (b.patient_id, b.start, b.end) = (P2, at(9, 30), at(10, 0)));
    assert_eq!(h.appt(second).visit_type, VISIT_FIRST);
    h.ok(&reception_a(), check_in(first));
    h.ok(&reception_a(), Command::Complete(aref(first)));
    let back = h.book(&reception_a(), |b| (b.patient_id, b.start, b.end) = (P2, at(14, 0), at(14, 30)));
    assert_eq!((h.appt(back).visit_type.as_str(), h.appt(back).visit_type_by_fallback), (VISIT_RETURN, true));

    // A completed visit anywhere in the chain counts: P3 completes in store B, returns in A.
    let in_b = h.book(&reception_b(), |b| {
        (b.store_id, b.department_id, b.doctor_id, b.patient_id) = (STORE_B, GENERAL_B, DR_CHEN, P3);
    });
    h.ok(&reception_b(), check_in(in_b));
    h.ok(&reception_b(), Command::Complete(aref(in_b)));
    let in_a = h.book(&reception_a(), |b| (b.patient_id, b.start, b.end) = (P3, at(15, 0), at(15, 30)));
    assert_eq!(h.appt(in_a).visit_type, VISIT_RETURN);
}

#[test]
fn visit_type_rules_decide_before_the_fallback() {
    let mut h = H::new();
    h.set_settings(STORE_A, |s| {
        s.visit_type_rules = vec![VisitTypeRule {
            complaint_id: Some(BLURRY),
            department_id: Some(OPTOMETRY),
            has_previous_visit: None,
            visit_type: "ortho_review".into(),
        }];
    });
    let ruled = h.book(&reception_a(), |b| (b.doctor_id, b.department_id, b.complaint_id) = (DR_ZHAO, OPTOMETRY, Some(BLURRY)));
    assert_eq!((h.appt(ruled).visit_type.as_str(), h.appt(ruled).visit_type_by_fallback), ("ortho_review", false));
    let fell_back = h.book(&reception_a(), |_| {});
    assert_eq!((h.appt(fell_back).visit_type.as_str(), h.appt(fell_back).visit_type_by_fallback), (VISIT_FIRST, true));
    // In rules mode the typed visit type is ignored.
    let typed = h.book(&reception_a(), |b| (b.start, b.end, b.visit_type) = (at(9, 30), at(10, 0), Some("nonsense".into())));
    assert_eq!(h.appt(typed).visit_type, VISIT_FIRST);
}

#[test]
fn when_the_patient_chooses_the_visit_type_it_must_be_a_known_code() {
    let mut h = H::new();
    h.set_settings(STORE_A, |s| s.visit_type_mode = VisitTypeMode::PatientChooses);
    let cases = [
        (Some("ortho_review"), Ok::<_, &str>(("ortho_review", false))),
        (Some(VISIT_RETURN), Ok((VISIT_RETURN, false))),
        (Some("massage"), Err("invalid_visit_type")),
        (None, Ok((VISIT_FIRST, true))),
    ];
    for (n, (chosen, expected)) in cases.into_iter().enumerate() {
        let mut b = booking(h.new_id(), at(9, 0) + Duration::minutes(30 * n as i64));
        b.visit_type = chosen.map(String::from);
        let appt = b.appointment_id;
        let got = match expected {
            Ok(_) => {
                h.ok(&reception_a(), Command::BookingCreate(b));
                Ok((h.appt(appt).visit_type.as_str(), h.appt(appt).visit_type_by_fallback))
            }
            Err(_) => Err(h.err(&reception_a(), Command::BookingCreate(b))),
        };
        assert_eq!(got, expected, "{chosen:?}");
    }
}

#[test]
fn a_booking_records_department_complaint_source_and_starting_state() {
    let mut h = H::new();
    let desk_appt = h.book(&reception_a(), |b| b.source = Source::Phone);
    let app_appt = h.book(&patient(P2), |b| (b.patient_id, b.source, b.start, b.end) = (P2, Source::PatientApp, at(9, 30), at(10, 0)));
    let a = h.appt(desk_appt);
    assert_eq!(
        (a.state, a.department_id, a.complaint_id, a.source, a.created_at),
        (AppointmentState::Confirmed, DENTAL, Some(TOOTHACHE), Source::Phone, at(8, 0))
    );
    assert_eq!(h.appt(app_appt).state, AppointmentState::Pending, "app bookings wait for confirmation");
    h.ok(&reception_a(), Command::Confirm(aref(app_appt)));
    assert_eq!(h.state(app_appt), AppointmentState::Confirmed);
}

// ---------------------------------------------------------------------------------------------
// 4. Reschedule (§4)
// ---------------------------------------------------------------------------------------------

fn reschedule(appointment_id: Id, start: DateTime<Utc>, doctor_id: Option<Id>) -> Command {
    Command::Reschedule(Reschedule { appointment_id, start, end: start + Duration::minutes(30), doctor_id })
}

#[test]
fn a_reschedule_keeps_the_appointment_and_records_from_and_to() {
    let mut h = H::new();
    let (appt, fee) = book_paid(&mut h, PayMethod::Cash, at(9, 0));
    let count = h.world.appointments.len();
    let fx = h.ok(&reception_a(), reschedule(appt, at(14, 0), None));
    assert_eq!(h.world.appointments.len(), count, "no new appointment");
    let a = h.appt(appt);
    assert_eq!((a.start, a.end, a.doctor_id, a.state, a.fee_id), (at(14, 0), at(14, 30), DR_LI, AppointmentState::Confirmed, Some(fee)));
    assert_eq!(fx.history.len(), 1);
    let line = &fx.history[0];
    assert_eq!((line.appointment_id, line.action.as_str()), (appt, "reschedule"));
    assert_eq!(line.detail["from"], json!({ "start": at(9, 0), "end": at(9, 30), "doctor_id": DR_LI }));
    assert_eq!(line.detail["to"], json!({ "start": at(14, 0), "end": at(14, 30), "doctor_id": DR_LI }));
    // Its old slot is free again; it may also move within the time it holds.
    h.book(&reception_a(), |b| b.patient_id = P2);
    h.ok(&reception_a(), Command::Reschedule(Reschedule { appointment_id: appt, start: at(14, 0), end: at(15, 0), doctor_id: None }));
}

#[test]
fn a_reschedule_is_refused_with_its_reason() {
    let mut h = with_holder();
    let (appt, _) = book_paid(&mut h, PayMethod::Cash, at(9, 0));
    let cases = [
        ("to a taken slot", reschedule(appt, at(10, 0), None), "slot_conflict"),
        ("into a meeting", reschedule(appt, at(16, 0), None), "slot_blocked"),
        ("off the grid", reschedule(appt, at(14, 15), None), "not_on_slot_grid"),
        ("to a doctor of another department", reschedule(appt, at(9, 0), Some(DR_ZHAO)), "doctor_not_in_department"),
        ("to a doctor of another store", reschedule(appt, at(9, 0), Some(DR_CHEN)), "doctor_not_in_department"),
        ("to an unknown doctor", reschedule(appt, at(9, 0), Some(id(0xD9))), "not_found"),
    ];
    for (name, cmd, expected) in cases {
        assert_eq!(h.err(&reception_a(), cmd), expected, "{name}");
    }
    let ctx = h.ctx(&reception_a());
    assert_eq!(
        commands::handle(&h.world, &ctx, &reschedule(appt, at(10, 0), None)),
        Err(DomainError::SlotConflict { taken_by: vec![HOLDER] })
    );

    // Another dental doctor: fine.
    h.ok(&reception_a(), reschedule(appt, at(9, 0), Some(DR_WANG)));
    assert_eq!(h.appt(appt).doctor_id, DR_WANG);
    h.ok(&reception_a(), check_in(appt));
    assert_eq!(h.err(&reception_a(), reschedule(appt, at(11, 0), None)), "invalid_transition", "not after check-in");
    assert_eq!(h.err(&reception_b(), reschedule(HOLDER, at(11, 0), None)), "not_in_store");
}

// ---------------------------------------------------------------------------------------------
// 5. patient.create@1 (§1)
// ---------------------------------------------------------------------------------------------

fn new_patient(patient_id: Id) -> PatientCreate {
    PatientCreate {
        patient_id,
        name: "陈小乐".into(),
        sex: Sex::Female,
        birth_date: NaiveDate::from_ymd_opt(2018, 5, 4).unwrap(),
        phone: "139 1234 5678".into(),
        guardian: None,
        channel_code: None,
    }
}

struct BadPatient {
    name: &'static str,
    who: fn() -> Who,
    edit: fn(&mut PatientCreate),
    expected: &'static str,
}

#[test]
fn a_new_patient_is_refused_with_its_reason() {
    let bad = |name, who, edit, expected| BadPatient { name, who, edit, expected };
    let cases = [
        bad("empty name", reception_a as fn() -> Who, |p: &mut PatientCreate| p.name = "  ".into(), "empty_text"),
        bad("41-character name", reception_a, |p| p.name = "张".repeat(41), "text_too_long"),
        bad("10-digit phone", reception_a, |p| p.phone = "1391234567".into(), "invalid_phone"),
        bad("landline", reception_a, |p| p.phone = "01062345678".into(), "invalid_phone"),
        bad("letters in the phone", reception_a, |p| p.phone = "1391234567x".into(), "invalid_phone"),
        bad("born tomorrow", reception_a, |p| p.birth_date = day().succ_opt().unwrap(), "invalid_birth_date"),
        bad("born 130 years ago", reception_a, |p| p.birth_date = NaiveDate::from_ymd_opt(1896, 1, 1).unwrap(), "invalid_birth_date"),
        bad(
            "new guardian without a name",
            reception_a,
            |p| {
                p.guardian = Some(NewGuardian { guardian_id: id(0x6F), name: "".into(), phone: "13900139001".into() });
            },
            "empty_text",
        ),
        bad(
            "new guardian with a bad phone",
            reception_a,
            |p| {
                p.guardian = Some(NewGuardian { guardian_id: id(0x6F), name: "陈爸爸".into(), phone: "123".into() });
            },
            "invalid_phone",
        ),
        bad("unknown channel code", reception_a, |p| p.channel_code = Some("QD-NOPE".into()), "not_found"),
        bad("an existing patient's id", reception_a, |p| p.patient_id = P1, "id_taken"),
        bad("an optometrist registers", optometrist_a, |_| {}, "forbidden"),
        bad("the system registers", system, |_| {}, "forbidden"),
    ];
    let mut h = H::new();
    for c in cases {
        let mut p = new_patient(id(0x9F));
        (c.edit)(&mut p);
        assert_eq!(h.err(&(c.who)(), Command::PatientCreate(p)), c.expected, "{}", c.name);
    }
    // 40 characters and a baby born today are fine.
    h.ok(&reception_a(), Command::PatientCreate(PatientCreate { name: "张".repeat(40), birth_date: day(), ..new_patient(id(0x9F)) }));
    assert_eq!(h.world.patients[&id(0x9F)].phone, "13912345678", "spaces dropped");
}

#[test]
fn a_guardian_is_bound_to_at_most_ten_patients() {
    let mut h = H::new();
    for n in 0..10 {
        let guardian = Some(NewGuardian { guardian_id: GUARDIAN, name: "ignored".into(), phone: "ignored".into() });
        h.ok(&reception_a(), Command::PatientCreate(PatientCreate { guardian, ..new_patient(id(0x9000 + n)) }));
    }
    assert_eq!(h.world.patients.values().filter(|p| p.guardian_ids == vec![GUARDIAN]).count(), 10);
    assert_eq!(h.world.guardians[&GUARDIAN].name, "张妈妈", "an existing guardian is referenced, not rewritten");
    let guardian = Some(NewGuardian { guardian_id: GUARDIAN, name: "张妈妈".into(), phone: "13900139000".into() });
    assert_eq!(h.err(&reception_a(), Command::PatientCreate(PatientCreate { guardian, ..new_patient(id(0x900A)) })), "guardian_limit");
    // A new guardian for the 11th child is fine.
    let guardian = Some(NewGuardian { guardian_id: id(0x62), name: "张爸爸".into(), phone: "13900139002".into() });
    h.ok(&reception_a(), Command::PatientCreate(PatientCreate { guardian, ..new_patient(id(0x900A)) }));
    assert_eq!(h.world.guardians[&id(0x62)].phone, "13900139002");
}

#[test]
fn a_patient_registered_through_a_channel_code_gets_its_consultant() {
    let mut h = H::new();
    h.ok(&reception_a(), Command::PatientCreate(PatientCreate { channel_code: Some(CHANNEL.into()), ..new_patient(id(0x9A)) }));
    let p = &h.world.patients[&id(0x9A)];
    assert_eq!((p.channel_code.as_deref(), p.consultant_id, p.tenant_id), (Some(CHANNEL), Some(CONSULTANT), TENANT));
    h.ok(&reception_a(), Command::PatientCreate(new_patient(id(0x9B))));
    assert_eq!(h.world.patients[&id(0x9B)].consultant_id, None);
    assert_eq!(h.world.patients[&P1].consultant_id, None, "existing patients are not back-filled");
}

// ---------------------------------------------------------------------------------------------
// 6. Store settings and doctor order (§1, §2)
// ---------------------------------------------------------------------------------------------

fn set_order(store_id: Id, doctor_ids: &[Id]) -> Command {
    Command::SetDoctorOrder(SetDoctorOrder { store_id, doctor_ids: doctor_ids.to_vec() })
}
fn set_hidden(store_id: Id, doctor_id: Id, hidden: bool) -> Command {
    Command::SetDoctorHidden(SetDoctorHidden { store_id, doctor_id, hidden })
}
fn update_settings(store_id: Id, settings: StoreSettings) -> Command {
    Command::UpdateSettings(UpdateSettings { store_id, settings })
}

#[test]
fn only_a_manager_of_the_store_edits_doctor_order_visibility_and_settings() {
    let direct = StoreSettings { cancellation_policy: CancellationPolicy::DirectBeforeCheckIn, ..StoreSettings::default() };
    let cmds = [
        ("order", set_order(STORE_A, &[DR_WANG, DR_LI])),
        ("hidden", set_hidden(STORE_A, DR_LI, true)),
        ("settings", update_settings(STORE_A, direct)),
    ];
    let whos = [
        ("receptionist", reception_a as fn() -> Who, Err("forbidden")),
        ("optometrist", optometrist_a, Err("forbidden")),
        ("patient", || patient(P1), Err("forbidden")),
        ("system", system, Err("forbidden")),
        ("manager of store B only", || staff(6, "吴店长", Role::Manager, &[STORE_B], desk(STORE_B, "D2")), Err("not_in_store")),
        ("manager of store A", manager_a, Ok(())),
    ];
    for (what, cmd) in &cmds {
        for (who_name, who, expected) in &whos {
            let mut h = H::new();
            let got = match expected {
                Ok(()) => h.run(&who(), cmd.clone()).map(|_| ()).map_err(|e| e.code()),
                Err(_) => Err(h.err(&who(), cmd.clone())),
            };
            assert_eq!(got, *expected, "{what} by {who_name}");
        }
    }
}

#[test]
fn a_doctor_order_lists_each_known_doctor_once() {
    let mut h = H::new();
    assert_eq!(h.err(&manager_a(), set_order(STORE_A, &[DR_LI, DR_WANG, DR_LI])), "duplicate_in_order");
    assert_eq!(h.err(&manager_a(), set_order(STORE_A, &[DR_LI, id(0xD9)])), "not_found");
    assert_eq!(h.err(&manager_a(), set_hidden(STORE_A, id(0xD9), true)), "not_found");
    assert_eq!(h.err(&manager_ab_at_b(), set_order(id(0xF), &[DR_LI])), "not_in_store");
}

fn board(h: &H, store_id: Id) -> Vec<(Id, bool, bool)> {
    order_doctors(h.world.doctor_orders.get(&store_id), store_doctors(&h.world, store_id))
        .into_iter()
        .map(|d| (d.doctor_id, d.listed, d.hidden))
        .collect()
}

#[test]
fn hiding_a_doctor_keeps_every_position_and_unlisted_doctors_come_last() {
    let mut h = H::new();
    // No list yet: by name (李 < 王 < 赵 in code-point order).
    assert_eq!(board(&h, STORE_A), vec![(DR_LI, false, false), (DR_WANG, false, false), (DR_ZHAO, false, false)]);
    h.ok(&manager_a(), set_order(STORE_A, &[DR_ZHAO, DR_WANG]));
    assert_eq!(board(&h, STORE_A), vec![(DR_ZHAO, true, false), (DR_WANG, true, false), (DR_LI, false, false)], "unlisted after listed");
    h.ok(&manager_a(), set_order(STORE_A, &[DR_ZHAO, DR_LI, DR_WANG]));
    let before: Vec<Id> = board(&h, STORE_A).into_iter().map(|d| d.0).collect();
    h.ok(&manager_a(), set_hidden(STORE_A, DR_LI, true));
    assert_eq!(board(&h, STORE_A), vec![(DR_ZHAO, true, false), (DR_LI, true, true), (DR_WANG, true, false)]);
    assert_eq!(board(&h, STORE_A).into_iter().map(|d| d.0).collect::<Vec<_>>(), before, "hiding never moves anyone");
    let order = h.world.doctor_orders.get(&STORE_A);
    assert_eq!(patient_facing(order, store_doctors(&h.world, STORE_A)), vec![DR_ZHAO, DR_WANG]);
    // Reordering keeps the hidden flag; unhiding keeps the order.
    h.ok(&manager_a(), set_order(STORE_A, &[DR_LI, DR_ZHAO, DR_WANG]));
    assert_eq!(board(&h, STORE_A)[0], (DR_LI, true, true));
    h.ok(&manager_a(), set_hidden(STORE_A, DR_LI, false));
    assert_eq!(board(&h, STORE_A), vec![(DR_LI, true, false), (DR_ZHAO, true, false), (DR_WANG, true, false)]);
    // Store B keeps its own list.
    assert!(!h.world.doctor_orders.contains_key(&STORE_B));
    assert_eq!(board(&h, STORE_B), vec![(DR_CHEN, false, false)]);
}

#[test]
fn store_settings_are_validated_before_they_apply() {
    let cases = [
        ("capacity 0", (|s: &mut StoreSettings| s.capacity_per_slot = 0) as fn(&mut StoreSettings), Err("invalid_setting")),
        ("capacity 11", |s| s.capacity_per_slot = 11, Err("invalid_setting")),
        ("capacity 10", |s| s.capacity_per_slot = 10, Ok(())),
        (
            "rule with an unknown visit type",
            |s| {
                s.visit_type_rules =
                    vec![VisitTypeRule { complaint_id: None, department_id: None, has_previous_visit: None, visit_type: "massage".into() }];
            },
            Err("invalid_visit_type"),
        ),
        (
            "rule with a chain's own visit type",
            |s| {
                s.visit_type_rules = vec![VisitTypeRule {
                    complaint_id: None,
                    department_id: Some(DENTAL),
                    has_previous_visit: Some(true),
                    visit_type: "ortho_review".into(),
                }];
            },
            Ok(()),
        ),
        (
            "patient chooses, not allowed to cancel",
            |s| {
                s.visit_type_mode = VisitTypeMode::PatientChooses;
                s.cancellation_policy = CancellationPolicy::NotAllowed;
            },
            Ok(()),
        ),
    ];
    for (name, edit, expected) in cases {
        let mut h = H::new();
        let mut settings = StoreSettings::default();
        edit(&mut settings);
        match expected {
            Ok(()) => {
                h.ok(&manager_a(), update_settings(STORE_A, settings.clone()));
                assert_eq!(h.world.stores[&STORE_A].settings, settings, "{name}");
                assert_eq!(h.world.stores[&STORE_B].settings, StoreSettings::default(), "{name}: only store A");
            }
            Err(code) => assert_eq!(h.err(&manager_a(), update_settings(STORE_A, settings)), code, "{name}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 7. History: who, when, from, to (§4)
// ---------------------------------------------------------------------------------------------

struct Transition {
    name: &'static str,
    /// Prepares the appointment; returns it.
    setup: fn(&mut H) -> Id,
    who: fn() -> Who,
    command: fn(&mut H, Id) -> Command,
    from: Option<AppointmentState>,
    to: AppointmentState,
    actor: &'static str,
}

fn booked_at_desk(h: &mut H) -> Id {
    h.book(&reception_a(), |_| {})
}
fn booked_in_app(h: &mut H) -> Id {
    h.book(&patient(P1), |b| b.source = Source::PatientApp)
}
fn checked_in(h: &mut H) -> Id {
    let a = booked_at_desk(h);
    h.ok(&reception_a(), check_in(a));
    a
}
fn online_paid_direct(h: &mut H) -> Id {
    h.set_policy(STORE_A, CancellationPolicy::DirectBeforeCheckIn);
    book_paid(h, PayMethod::WechatApp, at(9, 0)).0
}
fn requested(h: &mut H) -> Id {
    let a = booked_at_desk(h);
    let (_, req) = request_create(h, a);
    h.ok(&patient(P1), req);
    a
}

#[test]
fn every_state_change_adds_exactly_one_history_line_with_who_when_from_and_to() {
    use AppointmentState::*;
    let tr = |name, setup, who, command, from, to, actor| Transition { name, setup, who, command, from, to, actor };
    let cases = [
        tr(
            "booking at the desk",
            (|_: &mut H| id(0x77)) as fn(&mut H) -> Id,
            reception_a as fn() -> Who,
            (|_: &mut H, a: Id| Command::BookingCreate(booking(a, at(9, 0)))) as fn(&mut H, Id) -> Command,
            None,
            Confirmed,
            "receptionist:李前台",
        ),
        tr(
            "booking in the app",
            |_| id(0x77),
            || patient(P1),
            |_, a| Command::BookingCreate(BookingCreate { source: Source::PatientApp, ..booking(a, at(9, 0)) }),
            None,
            Pending,
            "patient",
        ),
        tr("confirm", booked_in_app, reception_a, |_, a| Command::Confirm(aref(a)), Some(Pending), Confirmed, "receptionist:李前台"),
        tr("check in", booked_at_desk, optometrist_a, |_, a| check_in(a), Some(Confirmed), CheckedIn, "optometrist:赵视光"),
        tr("complete", checked_in, optometrist_a, |_, a| Command::Complete(aref(a)), Some(CheckedIn), Completed, "optometrist:赵视光"),
        tr("no-show", booked_at_desk, reception_a, |_, a| Command::NoShow(aref(a)), Some(Confirmed), NoShow, "receptionist:李前台"),
        tr("undo check-in", checked_in, manager_a, |_, a| undo_check_in(a, "误点到店"), Some(CheckedIn), Confirmed, "manager:张店长"),
        tr("staff cancel", booked_at_desk, reception_a, |_, a| cancel(a), Some(Confirmed), Cancelled, "receptionist:李前台"),
        tr(
            "patient cancel with a provider refund",
            online_paid_direct,
            || patient(P1),
            |_, a| patient_cancel(a),
            Some(Pending),
            Cancelled,
            "patient",
        ),
        tr(
            "request approved",
            requested,
            reception_a,
            |h, a| approve(h.world.open_request_of(a).unwrap().id),
            Some(Confirmed),
            Cancelled,
            "receptionist:李前台",
        ),
    ];
    for c in cases {
        let mut h = H::new();
        let appt = (c.setup)(&mut h);
        h.now = at(8, 42);
        let cmd = (c.command)(&mut h, appt);
        let fx = h.ok(&(c.who)(), cmd);
        let lines: Vec<_> = fx.history.iter().filter(|e| e.from_state != e.to_state).collect();
        assert_eq!(lines.len(), 1, "{}: {:?}", c.name, fx.history);
        let l = lines[0];
        assert_eq!((l.appointment_id, l.from_state, l.to_state), (appt, c.from, Some(c.to)), "{}", c.name);
        assert_eq!((l.actor.as_str(), l.at), (c.actor, at(8, 42)), "{}", c.name);
        assert_eq!(h.state(appt), c.to, "{}", c.name);
        assert_eq!(h.appt(appt).updated_at, at(8, 42), "{}", c.name);
    }
}

#[test]
fn changes_that_keep_the_state_add_a_history_line_without_a_state_change() {
    let mut h = H::new();
    let fee = h.new_id();
    let appt = h.book(&reception_a(), |b| b.fee = Some(NewFee { fee_id: fee, amount: FEE, paid_with: None }));
    let (request_id, req) = request_create(&mut h, appt);
    let refund = h.refund_args(fee);
    let cmds: Vec<(&str, Who, Command)> = vec![
        ("charge", reception_a(), Command::FeeCharge(FeeCharge { fee_id: fee, method: PayMethod::Card })),
        ("reschedule", reception_a(), reschedule(appt, at(9, 30), None)),
        ("cancel request", patient(P1), req),
        ("reject request", reception_a(), reject(request_id, "请来电改约")),
        ("refund", reception_a(), Command::RefundCash(refund)),
    ];
    for (name, who, cmd) in cmds {
        let fx = h.ok(&who, cmd);
        assert_eq!(fx.history.len(), 1, "{name}: {:?}", fx.history);
        assert_eq!(fx.history[0].from_state, fx.history[0].to_state, "{name}");
        assert_eq!(h.state(appt), AppointmentState::Confirmed, "{name}");
    }
    let fee_row = h.fee(fee);
    assert_eq!(
        (fee_row.status, fee_row.method, fee_row.authority),
        (ChargeStatus::Charged, Some(PayMethod::Card), Some(RefundAuthority::Desk { store_id: STORE_A }))
    );
    assert!(fee_row.receipt_no.as_deref().is_some_and(|n| n.starts_with("SJ-BJ01-D1-")), "{:?}", fee_row.receipt_no);
    assert_eq!(h.err(&reception_a(), Command::FeeCharge(FeeCharge { fee_id: fee, method: PayMethod::Cash })), "already_charged");
}

#[test]
fn slip_numbers_stay_unique_across_desks_and_the_server() {
    let mut h = H::new();
    let mut numbers = BTreeSet::new();
    for (n, method) in ALL_METHODS.into_iter().enumerate() {
        let (_, fee) = book_paid(&mut h, method, at(9, 0) + Duration::minutes(30 * n as i64));
        assert!(numbers.insert(h.fee(fee).receipt_no.clone().unwrap()));
        refund_by_authority(&mut h, fee).unwrap();
        assert!(numbers.insert(refunds_of(&h.world, fee)[0].number.clone()));
    }
    assert_eq!(numbers.len(), 8);
}

// ---------------------------------------------------------------------------------------------
// 8. Command wire form (SYNC.md §1, §8)
// ---------------------------------------------------------------------------------------------

fn one_of_each_command() -> Vec<Command> {
    let a = id(0x100);
    let fee = id(0x101);
    let refund = RefundArgs { refund_id: id(0x102), fee_id: fee, reason: "退费".into() };
    vec![
        Command::PatientCreate(PatientCreate {
            guardian: Some(NewGuardian { guardian_id: id(0x103), name: "陈妈妈".into(), phone: "13900139003".into() }),
            channel_code: Some(CHANNEL.into()),
            ..new_patient(id(0x104))
        }),
        Command::BookingCreate(BookingCreate {
            visit_type: Some("ortho_review".into()),
            fee: Some(NewFee { fee_id: fee, amount: FEE, paid_with: Some(PayMethod::Cash) }),
            ..booking(a, at(9, 0))
        }),
        Command::Confirm(aref(a)),
        check_in(a),
        Command::Complete(aref(a)),
        Command::NoShow(aref(a)),
        undo_check_in(a, "误点"),
        reschedule(a, at(14, 0), Some(DR_WANG)),
        cancel(a),
        patient_cancel(a),
        Command::RequestCreate(RequestCreate { request_id: id(0x105), appointment_id: a, reason: "有事".into() }),
        approve(id(0x105)),
        reject(id(0x105), "不行"),
        Command::FeeCharge(FeeCharge { fee_id: fee, method: PayMethod::Points }),
        Command::RefundCash(refund.clone()),
        Command::RequestRefund(FeeRef { fee_id: fee }),
        Command::FeeAssignRefundDesk(FeeAssignRefundDesk { store_id: STORE_A, device_code: "D1A2B3C".into(), fee_ids: vec![fee] }),
        Command::RefundOnline(refund.clone()),
        Command::RefundManual(refund),
        set_order(STORE_A, &[DR_LI, DR_WANG]),
        set_hidden(STORE_A, DR_LI, true),
        update_settings(
            STORE_A,
            StoreSettings {
                cancellation_policy: CancellationPolicy::DirectBeforeCheckIn,
                visit_type_mode: VisitTypeMode::PatientChooses,
                visit_type_rules: vec![VisitTypeRule {
                    complaint_id: Some(TOOTHACHE),
                    department_id: None,
                    has_previous_visit: Some(false),
                    visit_type: VISIT_FIRST.into(),
                }],
                capacity_per_slot: 2,
                recall: RecallThresholds { lens_replacement_days: 500, ..RecallThresholds::default() },
            },
        ),
        Command::EyeExamRecord(EyeExamRecord {
            exam: eye_exam(id(0x106)),
            appointment_id: Some(a),
            correction: Some(Correction {
                kind: CorrectionKind::DefocusFrames,
                fitted_on: Some(day()),
                brand: Some("新乐学".into()),
                manufacturer: Some("豪雅".into()),
            }),
        }),
        Command::EyeExamAmend(EyeExamAmend { exam: eye_exam(id(0x106)), correction: None, reason: "录错".into() }),
        Command::RecallRecordOutcome(RecallRecordOutcome {
            store_id: STORE_A,
            patient_id: P1,
            kind: TaskKind::LensReplacement,
            outcome: RecallOutcome::Booked,
            note: Some("周六来换片".into()),
        }),
        Command::ConflictResolve(ConflictResolve { conflict_id: id(0xC1F), how: "rebooked:0193".into() }),
    ]
}

fn eye_exam(exam_id: Id) -> EyeExam {
    let reading = |eye| EyeReading { sphere_cd: Some(-150), cylinder_cd: Some(-25), axis_deg: Some(5), ..EyeReading::empty(eye) };
    EyeExam {
        id: exam_id,
        patient_id: P1,
        store_id: STORE_A,
        examined_at: day(),
        biometer: "IOLMaster 700".into(),
        od: reading(Eye::Od),
        os: reading(Eye::Os),
        next_recheck: None,
    }
}

#[test]
fn every_command_round_trips_through_its_wire_form() {
    let all = one_of_each_command();
    let names: BTreeSet<&str> = all.iter().map(Command::name).collect();
    assert_eq!(names, KNOWN_COMMANDS.iter().copied().collect::<BTreeSet<_>>(), "one case per known command");
    assert_eq!(names.len(), all.len());
    for cmd in all {
        // Through text, as the outbox stores it and the server receives it.
        let text = serde_json::to_string(&cmd.args()).unwrap();
        let back = Command::from_wire(cmd.name(), serde_json::from_str(&text).unwrap());
        assert_eq!(back.as_ref(), Ok(&cmd), "{}: {text}", cmd.name());
    }
}

#[test]
fn an_unknown_command_name_is_refused_as_unknown() {
    for name in ["appointment.cancel@2", "booking.delete@1", "appointment.cancel", "", "BOOKING.CREATE@1"] {
        let got = Command::from_wire(name, json!({ "appointment_id": id(1), "reason": "x" }));
        assert_eq!(got.map_err(|e| e.code()), Err("unknown_command"), "{name:?}");
    }
}

#[test]
fn malformed_arguments_are_refused_as_invalid_payload() {
    let a = id(0x100);
    let booking_args = || Command::BookingCreate(booking(a, at(9, 0))).args();
    let with = |mut v: serde_json::Value, f: &dyn Fn(&mut serde_json::Value)| {
        f(&mut v);
        v
    };
    let cases: Vec<(&str, &str, serde_json::Value)> = vec![
        ("unknown field", "appointment.confirm@1", json!({ "appointment_id": a, "note": "x" })),
        ("id as a number", "appointment.confirm@1", json!({ "appointment_id": 5 })),
        ("id not a uuid", "appointment.confirm@1", json!({ "appointment_id": "A-1" })),
        ("missing field", "appointment.cancel@1", json!({ "appointment_id": a })),
        ("reason as a number", "appointment.cancel@1", json!({ "appointment_id": a, "reason": 5 })),
        ("no arguments", "appointment.confirm@1", serde_json::Value::Null),
        ("unknown field in a booking", "booking.create@1", with(booking_args(), &|v| v["room"] = json!("3"))),
        (
            "unknown field in its fee",
            "booking.create@1",
            with(booking_args(), &|v| v["fee"] = json!({ "fee_id": a, "amount": 100, "paid_with": null, "tip": 1 })),
        ),
        (
            "fee amount as a string",
            "booking.create@1",
            with(booking_args(), &|v| v["fee"] = json!({ "fee_id": a, "amount": "25.00", "paid_with": null })),
        ),
        (
            "fee amount as a float",
            "booking.create@1",
            with(booking_args(), &|v| v["fee"] = json!({ "fee_id": a, "amount": 25.5, "paid_with": null })),
        ),
        ("unknown source", "booking.create@1", with(booking_args(), &|v| v["source"] = json!("fax"))),
        ("start not a time", "booking.create@1", with(booking_args(), &|v| v["start"] = json!("tomorrow 9am"))),
        ("unknown pay method", "fee.charge@1", json!({ "fee_id": a, "method": "alipay" })),
        ("unknown sex", "patient.create@1", with(Command::PatientCreate(new_patient(a)).args(), &|v| v["sex"] = json!("x"))),
        (
            "birth date not a date",
            "patient.create@1",
            with(Command::PatientCreate(new_patient(a)).args(), &|v| v["birth_date"] = json!("2018-13-01")),
        ),
        (
            "unknown policy",
            "store.update_settings@1",
            json!({ "store_id": STORE_A, "settings": { "cancellation_policy": "sometimes", "visit_type_mode": "auto_by_rules", "visit_type_rules": [], "capacity_per_slot": 1 } }),
        ),
        (
            "capacity over 255",
            "store.update_settings@1",
            json!({ "store_id": STORE_A, "settings": { "cancellation_policy": "request_only", "visit_type_mode": "auto_by_rules", "visit_type_rules": [], "capacity_per_slot": 300 } }),
        ),
        ("hidden as a string", "store.set_doctor_hidden@1", json!({ "store_id": STORE_A, "doctor_id": DR_LI, "hidden": "yes" })),
    ];
    for (name, cmd, args) in cases {
        assert_eq!(Command::from_wire(cmd, args).map_err(|e| e.code()), Err("invalid_payload"), "{name}");
    }
}

#[test]
fn an_unknown_field_inside_store_settings_is_refused_too() {
    let mut args = update_settings(STORE_A, StoreSettings::default()).args();
    args["settings"]["allow_sms"] = json!(true);
    assert_eq!(Command::from_wire("store.update_settings@1", args).map_err(|e| e.code()), Err("invalid_payload"));
}

fn conflict(h: &mut H, name: &str, store_id: Id) -> Id {
    let cid = h.new_id();
    let record = clinicdesk_domain::sync::ConflictRecord {
        id: cid,
        store_id,
        device_id: "desk-2".into(),
        actor_id: "staff".into(),
        name: name.into(),
        args: json!({}),
        code: "slot_conflict".into(),
        message: "时段已被占用".into(),
        messages: None,
        detail: None,
        created_at: h.now,
        rejected_at: h.now,
        server_seq: 7,
        resolution: None,
    };
    h.world.conflicts.insert(cid, record);
    cid
}

fn resolve(conflict_id: Id, how: &str) -> Command {
    Command::ConflictResolve(ConflictResolve { conflict_id, how: how.into() })
}

#[test]
fn a_sync_conflict_is_resolved_once_by_its_store_and_a_refund_conflict_only_by_a_manager() {
    let mut h = H::new();
    let booking = conflict(&mut h, "booking.create@1", STORE_A);
    assert_eq!(h.err(&reception_b(), resolve(booking, "dismissed")), "not_in_store", "another store's desk cannot resolve it");
    assert_eq!(h.err(&reception_a(), resolve(booking, "  ")), "empty_text", "it says how it was handled");
    let fx = h.ok(&reception_a(), resolve(booking, "rebooked:abc"));
    let Some(Change::Conflict(done)) = fx.changes.first() else { panic!("{fx:?}") };
    let r = done.resolution.as_ref().expect("resolved");
    assert_eq!((r.how.as_str(), r.at), ("rebooked:abc", h.now));
    assert_eq!(h.err(&manager_a(), resolve(booking, "dismissed")), "invalid_setting", "a conflict is resolved once");

    let refund = conflict(&mut h, "fee.refund_cash@1", STORE_A);
    assert_eq!(h.err(&reception_a(), resolve(refund, "dismissed")), "forbidden", "money conflicts are the manager's");
    h.ok(&manager_a(), resolve(refund, "cash_handed_back"));
    assert_eq!(h.err(&manager_a(), resolve(unused_id(), "dismissed")), "not_found");
}

#[test]
fn a_desk_fee_paid_before_desks_were_recorded_is_given_by_the_server_to_one_desk_and_refunded_only_there() {
    let mut h = H::new();
    let (_, legacy) = book_paid(&mut h, PayMethod::Cash, at(9, 0));
    let (_, refunded) = book_paid(&mut h, PayMethod::Cash, at(10, 0));
    let (_, online) = book_paid(&mut h, PayMethod::WechatApp, at(11, 0));
    for f in [legacy, refunded] {
        h.world.fees.get_mut(&f).unwrap().collected_by = None; // paid before the rule
    }
    let args = h.refund_args(refunded);
    h.ok(&reception_a(), Command::RefundCash(args));
    let assign = |code: &str| {
        Command::FeeAssignRefundDesk(FeeAssignRefundDesk {
            store_id: STORE_A,
            device_code: code.into(),
            fee_ids: vec![legacy, refunded, online],
        })
    };
    assert_eq!(h.err(&manager_a(), assign("D2")), "forbidden", "only the server gives fees to a desk");
    assert_eq!(h.err(&system(), assign(" ")), "invalid_payload", "a desk is named");
    let fx = h.ok(&system(), assign("D2"));
    assert_eq!(fx.changes.len(), 1, "only the legacy fee that can still be handed back changes: {fx:?}");
    assert_eq!(h.fee(legacy).collected_by.as_deref(), Some("D2"));
    assert_eq!(h.fee(online).collected_by, None, "an online fee stays the server's");
    assert!(h.ok(&system(), assign("D3")).changes.is_empty(), "a fee given to a desk stays with it");
    let args = h.refund_args(legacy);
    assert_eq!(h.err(&reception_a(), Command::RefundCash(args)), "refund_at_collecting_desk", "desk D1 of the same store");
    let args = h.refund_args(legacy);
    h.ok(&manager_a(), Command::RefundCash(args));
}

#[test]
fn a_desk_paid_fee_is_refunded_only_at_the_desk_that_took_it_so_two_offline_desks_never_both_pay_back() {
    for method in [PayMethod::Cash, PayMethod::Card] {
        let mut h = H::new();
        let (_, fee) = book_paid(&mut h, method, at(9, 0));
        assert_eq!(h.fee(fee).collected_by.as_deref(), Some("D1"), "the fee remembers the desk that took it");
        // The store's manager sits at desk D2 of the same store: refused there.
        let args = h.refund_args(fee);
        assert_eq!(h.err(&manager_a(), Command::RefundCash(args)), "refund_at_collecting_desk", "{method:?}");
        let args = h.refund_args(fee);
        h.ok(&reception_a(), Command::RefundCash(args));
    }
}
