//! Named, versioned commands (SYNC.md §1) and their handlers.
//!
//! `handle(world, ctx, command)` is the one implementation of every rule: the desk runs it
//! optimistically, the server authoritatively, the simulator in memory. It reads only the
//! world and the context and returns effects, or a typed error with nothing changed.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::appointment::{next_state, Action};
use crate::booking::decide_visit_type;
use crate::error::{DomainError, Entity};
use crate::eye::{self, Correction, CorrectionKind, ExamAuditAction, EyeExam, EyeExamAudit, FieldChange};
use crate::fees::{self, Origin};
use crate::model::*;
use crate::money::Fen;
use crate::order::validate_order;
use crate::recall::{RecallOutcome, RecallOutcomeRecord, TaskKind};
use crate::roles::{Actor, Permission};
use crate::slots;
use crate::text::{self, NAME_MAX, REASON_MAX};
use crate::world::{Change, Effects, Warning, World};

/// What a handler may know besides the world: who acts, when, where, and a unique serial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ctx {
    pub actor: Actor,
    /// The issuing side's clock when the command was made.
    pub now: DateTime<Utc>,
    pub mutation_id: Id,
    pub origin: Origin,
    /// Unique per command across the chain ("BJ01-D2-000017" on a desk: store, device,
    /// device_seq; "SRV-991" on the server): slip and receipt numbers are built from it.
    pub serial: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFee {
    pub fee_id: Id,
    /// Integer fen; negative amounts are refused.
    pub amount: i64,
    /// None: billed, to be charged (待收费).
    pub paid_with: Option<PayMethod>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingCreate {
    pub appointment_id: Id,
    pub store_id: Id,
    pub doctor_id: Id,
    pub department_id: Id,
    pub patient_id: Id,
    pub complaint_id: Option<Id>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Only read when the store lets the patient choose.
    pub visit_type: Option<String>,
    pub source: Source,
    pub fee: Option<NewFee>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGuardian {
    pub guardian_id: Id,
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientCreate {
    pub patient_id: Id,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub phone: String,
    /// A new guardian, or an existing one by id (name and phone are then ignored).
    pub guardian: Option<NewGuardian>,
    pub channel_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentRef {
    pub appointment_id: Id,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithReason {
    pub appointment_id: Id,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    pub appointment_id: Id,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Another doctor of the same department (a drag to another column).
    pub doctor_id: Option<Id>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestCreate {
    pub request_id: Id,
    pub appointment_id: Id,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestRef {
    pub request_id: Id,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestReject {
    pub request_id: Id,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeCharge {
    pub fee_id: Id,
    pub method: PayMethod,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeRef {
    pub fee_id: Id,
}

/// The server gives a store's desk-paid fees that name no collecting desk (paid before
/// that rule, e.g. the demo clinic's) to one desk of the store: the first that signs in
/// there. Only that desk may then hand the cash back, so two desks offline from each other
/// cannot both refund such a fee. The server's own command (`Actor::System`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeAssignRefundDesk {
    pub store_id: Id,
    /// The desk's device code (`D` + 6 hex digits).
    pub device_code: String,
    pub fee_ids: Vec<Id>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundArgs {
    pub refund_id: Id,
    pub fee_id: Id,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetDoctorOrder {
    pub store_id: Id,
    pub doctor_ids: Vec<Id>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetDoctorHidden {
    pub store_id: Id,
    pub doctor_id: Id,
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSettings {
    pub store_id: Id,
    pub settings: StoreSettings,
}

/// A new eye exam (DOMAIN.md §7): both eyes' readings, optionally linked to the visit it was
/// made at, and optionally the patient's current correction as confirmed at this exam.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EyeExamRecord {
    pub exam: EyeExam,
    /// The visit (appointment) of this patient in this store the exam belongs to.
    pub appointment_id: Option<Id>,
    /// The patient's current correction; `None` leaves the recorded one as it is.
    pub correction: Option<Correction>,
}

/// A correction of a recorded exam (same id, patient and store). The replaced values stay in
/// the audit trail; a reason is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EyeExamAmend {
    pub exam: EyeExam,
    pub correction: Option<Correction>,
    pub reason: String,
}

/// `conflict.resolve@1`: a sync conflict handled at a desk of its store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConflictResolve {
    /// The conflict: the mutation id of the command the server rejected.
    pub conflict_id: Id,
    /// What was done: `dismissed`, `called`, `rebooked:<appointment id>` … (1–120 characters).
    pub how: String,
}

/// What came of contacting a patient about one of the store's recall tasks (DOMAIN.md §8).
/// Every outcome is kept; "unreachable" leaves the task open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecallRecordOutcome {
    pub store_id: Id,
    pub patient_id: Id,
    pub kind: TaskKind,
    pub outcome: RecallOutcome,
    pub note: Option<String>,
}

/// Every command, by its wire name `area.verb@version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "args")]
pub enum Command {
    #[serde(rename = "patient.create@1")]
    PatientCreate(PatientCreate),
    #[serde(rename = "booking.create@1")]
    BookingCreate(BookingCreate),
    #[serde(rename = "appointment.confirm@1")]
    Confirm(AppointmentRef),
    #[serde(rename = "appointment.check_in@1")]
    CheckIn(AppointmentRef),
    #[serde(rename = "appointment.complete@1")]
    Complete(AppointmentRef),
    #[serde(rename = "appointment.no_show@1")]
    NoShow(AppointmentRef),
    #[serde(rename = "appointment.undo_check_in@1")]
    UndoCheckIn(WithReason),
    #[serde(rename = "appointment.reschedule@1")]
    Reschedule(Reschedule),
    #[serde(rename = "appointment.cancel@1")]
    Cancel(WithReason),
    #[serde(rename = "appointment.patient_cancel@1")]
    PatientCancel(WithReason),
    #[serde(rename = "cancel_request.create@1")]
    RequestCreate(RequestCreate),
    #[serde(rename = "cancel_request.approve@1")]
    RequestApprove(RequestRef),
    #[serde(rename = "cancel_request.reject@1")]
    RequestReject(RequestReject),
    #[serde(rename = "fee.charge@1")]
    FeeCharge(FeeCharge),
    #[serde(rename = "fee.refund_cash@1")]
    RefundCash(RefundArgs),
    #[serde(rename = "fee.request_refund@1")]
    RequestRefund(FeeRef),
    #[serde(rename = "fee.refund_online@1")]
    RefundOnline(RefundArgs),
    #[serde(rename = "fee.refund_manual@1")]
    RefundManual(RefundArgs),
    #[serde(rename = "fee.assign_refund_desk@1")]
    FeeAssignRefundDesk(FeeAssignRefundDesk),
    #[serde(rename = "store.set_doctor_order@1")]
    SetDoctorOrder(SetDoctorOrder),
    #[serde(rename = "store.set_doctor_hidden@1")]
    SetDoctorHidden(SetDoctorHidden),
    #[serde(rename = "store.update_settings@1")]
    UpdateSettings(UpdateSettings),
    #[serde(rename = "eye_exam.record@1")]
    EyeExamRecord(EyeExamRecord),
    #[serde(rename = "eye_exam.amend@1")]
    EyeExamAmend(EyeExamAmend),
    #[serde(rename = "recall.record_outcome@1")]
    RecallRecordOutcome(RecallRecordOutcome),
    #[serde(rename = "conflict.resolve@1")]
    ConflictResolve(ConflictResolve),
}

/// The names this build knows; a newer app's command waits in the outbox (SYNC.md §8).
pub const KNOWN_COMMANDS: &[&str] = &[
    "patient.create@1",
    "booking.create@1",
    "appointment.confirm@1",
    "appointment.check_in@1",
    "appointment.complete@1",
    "appointment.no_show@1",
    "appointment.undo_check_in@1",
    "appointment.reschedule@1",
    "appointment.cancel@1",
    "appointment.patient_cancel@1",
    "cancel_request.create@1",
    "cancel_request.approve@1",
    "cancel_request.reject@1",
    "fee.charge@1",
    "fee.refund_cash@1",
    "fee.request_refund@1",
    "fee.refund_online@1",
    "fee.refund_manual@1",
    "fee.assign_refund_desk@1",
    "store.set_doctor_order@1",
    "store.set_doctor_hidden@1",
    "store.update_settings@1",
    "eye_exam.record@1",
    "eye_exam.amend@1",
    "recall.record_outcome@1",
    "conflict.resolve@1",
];

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::PatientCreate(_) => "patient.create@1",
            Command::BookingCreate(_) => "booking.create@1",
            Command::Confirm(_) => "appointment.confirm@1",
            Command::CheckIn(_) => "appointment.check_in@1",
            Command::Complete(_) => "appointment.complete@1",
            Command::NoShow(_) => "appointment.no_show@1",
            Command::UndoCheckIn(_) => "appointment.undo_check_in@1",
            Command::Reschedule(_) => "appointment.reschedule@1",
            Command::Cancel(_) => "appointment.cancel@1",
            Command::PatientCancel(_) => "appointment.patient_cancel@1",
            Command::RequestCreate(_) => "cancel_request.create@1",
            Command::RequestApprove(_) => "cancel_request.approve@1",
            Command::RequestReject(_) => "cancel_request.reject@1",
            Command::FeeCharge(_) => "fee.charge@1",
            Command::RefundCash(_) => "fee.refund_cash@1",
            Command::RequestRefund(_) => "fee.request_refund@1",
            Command::RefundOnline(_) => "fee.refund_online@1",
            Command::RefundManual(_) => "fee.refund_manual@1",
            Command::FeeAssignRefundDesk(_) => "fee.assign_refund_desk@1",
            Command::SetDoctorOrder(_) => "store.set_doctor_order@1",
            Command::SetDoctorHidden(_) => "store.set_doctor_hidden@1",
            Command::UpdateSettings(_) => "store.update_settings@1",
            Command::EyeExamRecord(_) => "eye_exam.record@1",
            Command::EyeExamAmend(_) => "eye_exam.amend@1",
            Command::RecallRecordOutcome(_) => "recall.record_outcome@1",
            Command::ConflictResolve(_) => "conflict.resolve@1",
        }
    }

    /// Parses a command from its wire form; an unknown name is `UnknownCommand`, bad
    /// arguments are `InvalidPayload` naming the problem.
    pub fn from_wire(name: &str, args: serde_json::Value) -> Result<Command, DomainError> {
        if !KNOWN_COMMANDS.contains(&name) {
            return Err(DomainError::UnknownCommand { name: name.to_string() });
        }
        serde_json::from_value(serde_json::json!({ "name": name, "args": args }))
            .map_err(|e| DomainError::InvalidPayload { detail: e.to_string() })
    }

    /// The arguments as JSON (the outbox payload).
    pub fn args(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("commands serialize");
        v.get_mut("args").map(serde_json::Value::take).unwrap_or_default()
    }
}

/// Applies one command: effects to write, or an error and no change.
pub fn handle(world: &World, ctx: &Ctx, command: &Command) -> Result<Effects, DomainError> {
    let mut fx = Fx { ctx, effects: Effects::default() };
    match command {
        Command::PatientCreate(c) => patient_create(world, &mut fx, c)?,
        Command::BookingCreate(c) => booking_create(world, &mut fx, c)?,
        Command::Confirm(c) => transition(world, &mut fx, c.appointment_id, Action::Confirm, None)?,
        Command::CheckIn(c) => transition(world, &mut fx, c.appointment_id, Action::CheckIn, None)?,
        Command::Complete(c) => transition(world, &mut fx, c.appointment_id, Action::Complete, None)?,
        Command::NoShow(c) => transition(world, &mut fx, c.appointment_id, Action::NoShow, None)?,
        Command::UndoCheckIn(c) => transition(world, &mut fx, c.appointment_id, Action::UndoCheckIn, Some(&c.reason))?,
        Command::Cancel(c) => staff_cancel(world, &mut fx, c)?,
        Command::Reschedule(c) => reschedule(world, &mut fx, c)?,
        Command::PatientCancel(c) => patient_cancel(world, &mut fx, c)?,
        Command::RequestCreate(c) => request_create(world, &mut fx, c)?,
        Command::RequestApprove(c) => request_approve(world, &mut fx, c)?,
        Command::RequestReject(c) => request_reject(world, &mut fx, c)?,
        Command::FeeCharge(c) => fee_charge(world, &mut fx, c)?,
        Command::RefundCash(c) => refund(world, &mut fx, c, RefundKind::DeskCash)?,
        Command::RefundOnline(c) => refund(world, &mut fx, c, RefundKind::Provider)?,
        Command::RefundManual(c) => refund(world, &mut fx, c, RefundKind::Manual)?,
        Command::RequestRefund(c) => request_refund(world, &mut fx, c)?,
        Command::FeeAssignRefundDesk(c) => fee_assign_refund_desk(world, &mut fx, c)?,
        Command::SetDoctorOrder(c) => set_doctor_order(world, &mut fx, c)?,
        Command::SetDoctorHidden(c) => set_doctor_hidden(world, &mut fx, c)?,
        Command::UpdateSettings(c) => update_settings(world, &mut fx, c)?,
        Command::EyeExamRecord(c) => eye_exam_record(world, &mut fx, c)?,
        Command::EyeExamAmend(c) => eye_exam_amend(world, &mut fx, c)?,
        Command::RecallRecordOutcome(c) => recall_record_outcome(world, &mut fx, c)?,
        Command::ConflictResolve(c) => conflict_resolve(world, &mut fx, c)?,
    }
    Ok(fx.effects)
}

/// Collects effects and numbers history lines.
struct Fx<'a> {
    ctx: &'a Ctx,
    effects: Effects,
}

impl Fx<'_> {
    fn put(&mut self, change: Change) {
        self.effects.changes.push(change);
    }
    fn warn(&mut self, code: &str) {
        self.effects.warnings.push(Warning { code: code.to_string() });
    }
    fn history(
        &mut self,
        appointment_id: Id,
        action: &str,
        from: Option<AppointmentState>,
        to: Option<AppointmentState>,
        reason: Option<String>,
        detail: serde_json::Value,
    ) {
        let index = self.effects.history.len() as u16;
        self.effects.history.push(HistoryEntry {
            appointment_id,
            mutation_id: self.ctx.mutation_id,
            index,
            at: self.ctx.now,
            actor: self.ctx.actor.label(),
            action: action.to_string(),
            from_state: from,
            to_state: to,
            reason,
            detail,
        });
    }
    fn set_state(&mut self, appt: &Appointment, to: AppointmentState, action: &str, reason: Option<String>) {
        let mut a = appt.clone();
        a.state = to;
        a.updated_at = self.ctx.now;
        self.history(a.id, action, Some(appt.state), Some(to), reason, serde_json::Value::Null);
        self.put(Change::Appointment(a));
    }
}

fn optional_reason(reason: &str) -> Result<Option<String>, DomainError> {
    if reason.trim().is_empty() {
        Ok(None)
    } else {
        text::required("reason", reason, REASON_MAX).map(Some)
    }
}

fn patient_create(world: &World, fx: &mut Fx, c: &PatientCreate) -> Result<(), DomainError> {
    fx.ctx.actor.require(Permission::RegisterPatient, None)?;
    let tenant_id = actor_tenant(world, &fx.ctx.actor)?;
    if world.patients.contains_key(&c.patient_id) {
        return Err(DomainError::IdTaken { what: Entity::Patient });
    }
    let name = text::required("name", &c.name, NAME_MAX)?;
    let phone = text::phone(&c.phone)?;
    let today = slots::local_date(slots::DEFAULT_TZ, fx.ctx.now);
    if c.birth_date > today || today.year() - c.birth_date.year() > 120 {
        return Err(DomainError::InvalidBirthDate);
    }
    let mut guardian_ids = Vec::new();
    if let Some(g) = &c.guardian {
        if world.guardians.contains_key(&g.guardian_id) {
            let bound = world.patients.values().filter(|p| p.guardian_ids.contains(&g.guardian_id)).count();
            if bound >= 10 {
                return Err(DomainError::GuardianLimit);
            }
        } else {
            let guardian = Guardian {
                id: g.guardian_id,
                tenant_id,
                name: text::required("guardian_name", &g.name, NAME_MAX)?,
                phone: text::phone(&g.phone)?,
            };
            fx.put(Change::Guardian(guardian));
        }
        guardian_ids.push(g.guardian_id);
    }
    // A channel assigns its consultant to new patients only (seed 000 §2.5).
    let (channel_code, consultant_id) = match c.channel_code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => {
            let ch = world
                .channels
                .get(code)
                .filter(|ch| ch.tenant_id == tenant_id)
                .ok_or(DomainError::NotFound { what: Entity::Channel, id: Id::nil() })?;
            (Some(code.to_string()), Some(ch.consultant_id))
        }
        None => (None, None),
    };
    fx.put(Change::Patient(Patient {
        id: c.patient_id,
        tenant_id,
        name,
        sex: c.sex,
        birth_date: c.birth_date,
        phone,
        guardian_ids,
        channel_code,
        consultant_id,
    }));
    Ok(())
}

/// The tenant of a staff actor (through their first store).
fn actor_tenant(world: &World, actor: &Actor) -> Result<Id, DomainError> {
    match actor {
        Actor::Staff { store_ids, .. } => {
            let first = store_ids.first().copied().unwrap_or_default();
            Ok(world.store(first)?.tenant_id)
        }
        Actor::Patient { patient_id } => Ok(world.patient(*patient_id)?.tenant_id),
        Actor::System => Err(DomainError::Forbidden { role: None, permission: Permission::RegisterPatient }),
    }
}

fn booking_create(world: &World, fx: &mut Fx, c: &BookingCreate) -> Result<(), DomainError> {
    match &fx.ctx.actor {
        Actor::Patient { patient_id } => {
            if *patient_id != c.patient_id || c.source != Source::PatientApp {
                return Err(DomainError::NotOwnAppointment);
            }
        }
        actor => actor.require(Permission::BookAppointment, Some(c.store_id))?,
    }
    if world.appointments.contains_key(&c.appointment_id) {
        return Err(DomainError::IdTaken { what: Entity::Appointment });
    }
    let store = world.store(c.store_id)?;
    let department = world.department(c.department_id)?;
    if department.store_id != store.id {
        return Err(DomainError::DepartmentNotInStore { department_id: department.id, store_id: store.id });
    }
    let doctor = world.doctor(c.doctor_id)?;
    if !doctor.department_ids.contains(&department.id) {
        return Err(DomainError::DoctorNotInDepartment { doctor_id: doctor.id, department_id: department.id });
    }
    let patient = world.patient(c.patient_id)?;
    if patient.tenant_id != store.tenant_id {
        return Err(DomainError::NotFound { what: Entity::Patient, id: patient.id });
    }
    if let Some(cid) = c.complaint_id {
        let complaint = world.complaint(cid)?;
        if !complaint.department_ids.contains(&department.id) {
            return Err(DomainError::ComplaintNotForDepartment { department_id: department.id });
        }
    }
    check_slot(world, store, c.doctor_id, c.start, c.end, None)?;

    let has_previous = world.has_completed_visit(patient.id);
    let decision = match (store.settings.visit_type_mode, &c.visit_type) {
        (VisitTypeMode::PatientChooses, Some(code)) => {
            let known = code == VISIT_FIRST
                || code == VISIT_RETURN
                || world.visit_types.get(&store.tenant_id).is_some_and(|v| v.iter().any(|t| &t.code == code));
            if !known {
                return Err(DomainError::InvalidVisitType { code: code.clone() });
            }
            crate::booking::VisitTypeDecision { code: code.clone(), by_fallback: false }
        }
        _ => decide_visit_type(&store.settings.visit_type_rules, c.complaint_id, department.id, has_previous),
    };

    let state = if c.source == Source::PatientApp { AppointmentState::Pending } else { AppointmentState::Confirmed };
    let mut fee_id = None;
    if let Some(f) = &c.fee {
        let amount = Fen::checked(f.amount)?;
        if amount.0 > 0 {
            if world.fees.contains_key(&f.fee_id) {
                return Err(DomainError::IdTaken { what: Entity::Fee });
            }
            let mut fee = Fee::billed(f.fee_id, c.appointment_id, store.id, amount);
            if let Some(method) = f.paid_with {
                charge(&mut fee, method, fx.ctx)?;
            }
            fee_id = Some(fee.id);
            fx.put(Change::Fee(fee));
        }
    }
    let appt = Appointment {
        id: c.appointment_id,
        tenant_id: store.tenant_id,
        store_id: store.id,
        doctor_id: doctor.id,
        department_id: department.id,
        patient_id: patient.id,
        complaint_id: c.complaint_id,
        start: c.start,
        end: c.end,
        state,
        visit_type: decision.code,
        visit_type_by_fallback: decision.by_fallback,
        source: c.source,
        fee_id,
        created_at: fx.ctx.now,
        updated_at: fx.ctx.now,
    };
    fx.history(
        appt.id,
        "booked",
        None,
        Some(state),
        None,
        serde_json::json!({ "start": c.start, "end": c.end, "doctor_id": doctor.id, "source": c.source }),
    );
    fx.put(Change::Appointment(appt));
    Ok(())
}

/// Marks a fee paid: the method fixes its refund authority for good.
fn charge(fee: &mut Fee, method: PayMethod, ctx: &Ctx) -> Result<(), DomainError> {
    match (&ctx.origin, method.is_online()) {
        (Origin::Desk { .. }, true) => return Err(DomainError::PayMethodNotHere { online: true }),
        (Origin::Server, false) if matches!(ctx.actor, Actor::Patient { .. }) => {
            return Err(DomainError::PayMethodNotHere { online: false })
        }
        _ => {}
    }
    fee.status = ChargeStatus::Charged;
    fee.method = Some(method);
    fee.wechat_paid = if method == PayMethod::WechatApp { fee.amount } else { Fen(0) };
    fee.paid_at = Some(ctx.now);
    fee.authority = Some(fees::authority_for(method, fee.store_id));
    fee.collected_by = match &ctx.origin {
        Origin::Desk { device_code, .. } if !method.is_online() => Some(device_code.clone()),
        _ => None,
    };
    fee.receipt_no = Some(fees::receipt_number(&ctx.serial));
    Ok(())
}

fn check_slot(
    world: &World,
    store: &Store,
    doctor_id: Id,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    except: Option<Id>,
) -> Result<(), DomainError> {
    if end <= start {
        return Err(DomainError::EndBeforeStart);
    }
    let tz = slots::zone(&store.timezone);
    let date = slots::local_date(tz, start);
    let schedule = world.schedules.values().find(|s| s.store_id == store.id && s.doctor_id == doctor_id && s.date == date);
    let others = world.active_overlapping(doctor_id, start, end, except);
    let blocks: Vec<&BlockedTime> = world.blocks.values().filter(|b| b.doctor_id == doctor_id).collect();
    slots::check_bookable(schedule, tz, start, end, &others, &blocks, store.settings.capacity_per_slot)
}

fn staff_appointment<'w>(world: &'w World, fx: &Fx, id: Id, permission: Permission) -> Result<&'w Appointment, DomainError> {
    let appt = world.appointment(id)?;
    fx.ctx.actor.require(permission, Some(appt.store_id))?;
    Ok(appt)
}

/// A plain state change. `reason`, when given, is required (undo of a check-in is audited).
fn transition(world: &World, fx: &mut Fx, id: Id, action: Action, reason: Option<&str>) -> Result<(), DomainError> {
    let permission = if action == Action::UndoCheckIn { Permission::UndoCheckIn } else { Permission::ManageAppointment };
    let appt = staff_appointment(world, fx, id, permission)?;
    let reason = reason.map(|r| text::required("reason", r, REASON_MAX)).transpose()?;
    let to = next_state(appt.state, action)?;
    fx.set_state(appt, to, action.as_str(), reason);
    Ok(())
}

/// Staff cancel: only before check-in, and a charged fee must be refunded first.
fn staff_cancel(world: &World, fx: &mut Fx, c: &WithReason) -> Result<(), DomainError> {
    let appt = staff_appointment(world, fx, c.appointment_id, Permission::ManageAppointment)?;
    let to = next_state(appt.state, Action::Cancel)?;
    let reason = optional_reason(&c.reason)?;
    let fee = world.fee_of(appt);
    fees::check_cancellable(fee, fee.and_then(|f| world.refund_of(f.id)))?;
    // An open patient request is answered by the cancellation.
    if let Some(req) = world.open_request_of(appt.id) {
        fx.put(Change::Request(decided(req, RequestStatus::Approved, fx.ctx, None)));
    }
    fx.set_state(appt, to, "cancel", reason);
    Ok(())
}

fn decided(req: &CancellationRequest, status: RequestStatus, ctx: &Ctx, reject_reason: Option<String>) -> CancellationRequest {
    let mut r = req.clone();
    r.status = status;
    r.decided_at = Some(ctx.now);
    r.decided_by = Some(ctx.actor.label());
    r.reject_reason = reject_reason;
    r
}

fn reschedule(world: &World, fx: &mut Fx, c: &Reschedule) -> Result<(), DomainError> {
    let appt = staff_appointment(world, fx, c.appointment_id, Permission::ManageAppointment)?;
    next_state(appt.state, Action::Reschedule)?;
    let store = world.store(appt.store_id)?;
    let doctor_id = c.doctor_id.unwrap_or(appt.doctor_id);
    if doctor_id != appt.doctor_id {
        let doctor = world.doctor(doctor_id)?;
        if !doctor.department_ids.contains(&appt.department_id) {
            return Err(DomainError::DoctorNotInDepartment { doctor_id, department_id: appt.department_id });
        }
    }
    check_slot(world, store, doctor_id, c.start, c.end, Some(appt.id))?;
    let mut moved = appt.clone();
    moved.start = c.start;
    moved.end = c.end;
    moved.doctor_id = doctor_id;
    moved.updated_at = fx.ctx.now;
    fx.history(
        appt.id,
        "reschedule",
        Some(appt.state),
        Some(appt.state),
        None,
        serde_json::json!({
            "from": { "start": appt.start, "end": appt.end, "doctor_id": appt.doctor_id },
            "to": { "start": c.start, "end": c.end, "doctor_id": doctor_id },
        }),
    );
    fx.put(Change::Appointment(moved));
    Ok(())
}

fn own_appointment<'w>(world: &'w World, fx: &Fx, id: Id) -> Result<&'w Appointment, DomainError> {
    let appt = world.appointment(id)?;
    match &fx.ctx.actor {
        Actor::Patient { patient_id } if *patient_id == appt.patient_id => Ok(appt),
        Actor::Patient { .. } => Err(DomainError::NotOwnAppointment),
        actor => {
            actor.require(Permission::HandleCancellationRequests, Some(appt.store_id))?;
            Ok(appt)
        }
    }
}

/// A patient cancels in the app under the "direct before check-in" policy.
fn patient_cancel(world: &World, fx: &mut Fx, c: &WithReason) -> Result<(), DomainError> {
    let appt = world.appointment(c.appointment_id)?;
    match &fx.ctx.actor {
        Actor::Patient { patient_id } if *patient_id == appt.patient_id => {}
        Actor::Patient { .. } => return Err(DomainError::NotOwnAppointment),
        _ => return Err(DomainError::Forbidden { role: fx.ctx.actor.role(), permission: Permission::ManageAppointment }),
    }
    let store = world.store(appt.store_id)?;
    let policy = store.settings.cancellation_policy;
    if policy != CancellationPolicy::DirectBeforeCheckIn {
        return Err(DomainError::CancellationNotAllowed { policy });
    }
    let to = next_state(appt.state, Action::Cancel)?;
    let reason = optional_reason(&c.reason)?;
    if let Some(fee) = world.fee_of(appt) {
        let refunded = world.refund_of(fee.id).is_some();
        if fee.status == ChargeStatus::Charged && !refunded {
            match fee.authority {
                Some(RefundAuthority::Server) if !fees::online_refund_expired(fee, fx.ctx.now) => {
                    let refund = Refund {
                        id: derived_id(fx.ctx.mutation_id, 1),
                        fee_id: fee.id,
                        number: fees::refund_number(&fx.ctx.serial),
                        amount: fee.amount,
                        kind: RefundKind::Provider,
                        at: fx.ctx.now,
                        actor: fx.ctx.actor.label(),
                        reason: reason.clone().unwrap_or_default(),
                    };
                    fx.history(appt.id, "refund", None, None, None, serde_json::json!({ "number": refund.number, "kind": "provider" }));
                    fx.put(Change::Refund(refund));
                }
                _ => {
                    // A desk-paid fee can only be handed back by its desk, and an online
                    // payment past the provider's 365 days only by a recorded manual refund:
                    // the patient's cancel becomes a request the desk completes (refund, then cancel).
                    if world.open_request_of(appt.id).is_some() {
                        return Err(DomainError::RequestAlreadyOpen);
                    }
                    fx.put(Change::Request(CancellationRequest {
                        id: derived_id(fx.ctx.mutation_id, 1),
                        appointment_id: appt.id,
                        store_id: appt.store_id,
                        patient_id: appt.patient_id,
                        reason: reason.unwrap_or_default(),
                        requested_at: fx.ctx.now,
                        status: RequestStatus::Open,
                        decided_at: None,
                        decided_by: None,
                        reject_reason: None,
                    }));
                    fx.history(appt.id, "cancel_requested", None, None, None, serde_json::json!({ "routed_to_desk": true }));
                    fx.warn("routed_to_desk");
                    return Ok(());
                }
            }
        }
    }
    if let Some(req) = world.open_request_of(appt.id) {
        fx.put(Change::Request(decided(req, RequestStatus::Approved, fx.ctx, None)));
    }
    fx.set_state(appt, to, "patient_cancel", reason);
    Ok(())
}

/// An id made from the command's own id, for rows the handler creates itself.
pub fn derived_id(mutation_id: Id, n: u8) -> Id {
    let mut bytes = *mutation_id.as_bytes();
    bytes[15] ^= n;
    bytes[14] ^= 0xA5;
    Id::from_bytes(bytes)
}

fn request_create(world: &World, fx: &mut Fx, c: &RequestCreate) -> Result<(), DomainError> {
    let appt = own_appointment(world, fx, c.appointment_id)?;
    let store = world.store(appt.store_id)?;
    if matches!(fx.ctx.actor, Actor::Patient { .. }) && store.settings.cancellation_policy != CancellationPolicy::RequestOnly {
        return Err(DomainError::CancellationNotAllowed { policy: store.settings.cancellation_policy });
    }
    next_state(appt.state, Action::Cancel)?;
    if world.open_request_of(appt.id).is_some() {
        return Err(DomainError::RequestAlreadyOpen);
    }
    if world.requests.contains_key(&c.request_id) {
        return Err(DomainError::IdTaken { what: Entity::CancellationRequest });
    }
    let reason = text::required("reason", &c.reason, REASON_MAX)?;
    fx.put(Change::Request(CancellationRequest {
        id: c.request_id,
        appointment_id: appt.id,
        store_id: appt.store_id,
        patient_id: appt.patient_id,
        reason: reason.clone(),
        requested_at: fx.ctx.now,
        status: RequestStatus::Open,
        decided_at: None,
        decided_by: None,
        reject_reason: None,
    }));
    fx.history(appt.id, "cancel_requested", None, None, Some(reason), serde_json::Value::Null);
    Ok(())
}

fn open_request<'w>(world: &'w World, fx: &Fx, id: Id) -> Result<(&'w CancellationRequest, &'w Appointment), DomainError> {
    let req = world.request(id)?;
    fx.ctx.actor.require(Permission::HandleCancellationRequests, Some(req.store_id))?;
    if req.status != RequestStatus::Open {
        return Err(DomainError::RequestNotOpen);
    }
    Ok((req, world.appointment(req.appointment_id)?))
}

/// Approving is cancelling: refund first, then cancel.
fn request_approve(world: &World, fx: &mut Fx, c: &RequestRef) -> Result<(), DomainError> {
    let (req, appt) = open_request(world, fx, c.request_id)?;
    let to = next_state(appt.state, Action::Cancel)?;
    let fee = world.fee_of(appt);
    fees::check_cancellable(fee, fee.and_then(|f| world.refund_of(f.id)))?;
    fx.put(Change::Request(decided(req, RequestStatus::Approved, fx.ctx, None)));
    fx.set_state(appt, to, "cancel_request_approved", Some(req.reason.clone()));
    Ok(())
}

fn request_reject(world: &World, fx: &mut Fx, c: &RequestReject) -> Result<(), DomainError> {
    let (req, appt) = open_request(world, fx, c.request_id)?;
    let reason = text::required("reason", &c.reason, REASON_MAX)?;
    fx.put(Change::Request(decided(req, RequestStatus::Rejected, fx.ctx, Some(reason.clone()))));
    fx.history(appt.id, "cancel_request_rejected", None, None, Some(reason), serde_json::Value::Null);
    Ok(())
}

fn fee_charge(world: &World, fx: &mut Fx, c: &FeeCharge) -> Result<(), DomainError> {
    let fee = world.fee(c.fee_id)?;
    fx.ctx.actor.require(Permission::ChargeFee, Some(fee.store_id))?;
    if fee.status == ChargeStatus::Charged {
        return Err(DomainError::AlreadyCharged);
    }
    // A cancelled or missed appointment keeps no fee: nothing to charge.
    let appt = world.appointment(fee.appointment_id)?;
    if !appt.state.is_active() {
        return Err(DomainError::InvalidTransition { from: appt.state, action: "charge" });
    }
    let mut charged = fee.clone();
    charge(&mut charged, c.method, fx.ctx)?;
    fx.history(fee.appointment_id, "charge", None, None, None, serde_json::json!({ "receipt": charged.receipt_no, "method": c.method }));
    fx.put(Change::Fee(charged));
    Ok(())
}

/// One refund per fee, by the side that holds the refund right.
fn refund(world: &World, fx: &mut Fx, c: &RefundArgs, kind: RefundKind) -> Result<(), DomainError> {
    let fee = world.fee(c.fee_id)?;
    match &fx.ctx.actor {
        Actor::System if kind == RefundKind::Provider => {}
        actor => actor.require(Permission::RefundFee, Some(fee.store_id))?,
    }
    fees::check_refundable(fee, world.refund_of(fee.id))?;
    let reason = text::required("reason", &c.reason, REASON_MAX)?;
    match kind {
        RefundKind::DeskCash => {
            fees::check_authority(fee, &fx.ctx.origin)?;
        }
        RefundKind::Provider => {
            fees::check_authority(fee, &fx.ctx.origin)?;
            if fees::online_refund_expired(fee, fx.ctx.now) {
                return Err(DomainError::OnlineRefundExpired { paid_at: fee.paid_at.unwrap_or(fx.ctx.now) });
            }
        }
        RefundKind::Manual => {
            // Only for online payments the provider no longer refunds. The server decides
            // (it holds the refund right); a desk's copy is provisional until then.
            if fee.authority != Some(RefundAuthority::Server) || !fees::online_refund_expired(fee, fx.ctx.now) {
                return Err(DomainError::ManualRefundNotAllowed);
            }
        }
    }
    if world.refunds.contains_key(&c.refund_id) {
        return Err(DomainError::IdTaken { what: Entity::Fee });
    }
    let refund = Refund {
        id: c.refund_id,
        fee_id: fee.id,
        number: fees::refund_number(&fx.ctx.serial),
        amount: fee.amount,
        kind,
        at: fx.ctx.now,
        actor: fx.ctx.actor.label(),
        reason: reason.clone(),
    };
    fx.history(
        fee.appointment_id,
        "refund",
        None,
        None,
        Some(reason),
        serde_json::json!({ "number": refund.number, "kind": kind, "amount": fee.amount }),
    );
    fx.put(Change::Refund(refund));
    Ok(())
}

/// The desk asks the server to refund an online fee (the desk does not hold that right).
fn request_refund(world: &World, fx: &mut Fx, c: &FeeRef) -> Result<(), DomainError> {
    let fee = world.fee(c.fee_id)?;
    fx.ctx.actor.require(Permission::RefundFee, Some(fee.store_id))?;
    fees::check_refundable(fee, world.refund_of(fee.id))?;
    if fee.authority != Some(RefundAuthority::Server) {
        return Err(DomainError::NotRefundAuthority { online: false });
    }
    if fee.refund_requested_at.is_some() {
        return Err(DomainError::RefundAlreadyRequested);
    }
    if fees::online_refund_expired(fee, fx.ctx.now) {
        return Err(DomainError::OnlineRefundExpired { paid_at: fee.paid_at.unwrap_or(fx.ctx.now) });
    }
    let mut f = fee.clone();
    f.refund_requested_at = Some(fx.ctx.now);
    fx.history(fee.appointment_id, "refund_requested", None, None, None, serde_json::Value::Null);
    fx.put(Change::Fee(f));
    Ok(())
}

/// Names the collecting desk of the listed fees that have none and could still be handed
/// back: desk-paid in `store_id`, charged, not refunded. Other fees are left as they are
/// (a fee refunded or assigned meanwhile keeps its state), so the command can be repeated.
fn fee_assign_refund_desk(world: &World, fx: &mut Fx, c: &FeeAssignRefundDesk) -> Result<(), DomainError> {
    match (&fx.ctx.actor, &fx.ctx.origin) {
        (Actor::System, Origin::Server) => {}
        (Actor::Staff { role, .. }, _) => return Err(DomainError::Forbidden { role: Some(*role), permission: Permission::RefundFee }),
        _ => return Err(DomainError::Forbidden { role: None, permission: Permission::RefundFee }),
    }
    world.store(c.store_id)?;
    let code = c.device_code.trim();
    if code.is_empty() || code.chars().count() > 16 {
        return Err(DomainError::InvalidPayload { detail: "device_code: 1–16 characters".into() });
    }
    for id in &c.fee_ids {
        let fee = world.fee(*id)?;
        if fees::awaits_refund_desk(fee, c.store_id) && world.refund_of(fee.id).is_none() {
            let mut f = fee.clone();
            f.collected_by = Some(code.to_string());
            fx.history(fee.appointment_id, "refund_desk_assigned", None, None, None, serde_json::json!({ "desk": code }));
            fx.put(Change::Fee(f));
        }
    }
    Ok(())
}

fn set_doctor_order(world: &World, fx: &mut Fx, c: &SetDoctorOrder) -> Result<(), DomainError> {
    fx.ctx.actor.require(Permission::EditDoctorOrder, Some(c.store_id))?;
    world.store(c.store_id)?;
    validate_order(&c.doctor_ids)?;
    for id in &c.doctor_ids {
        world.doctor(*id)?;
    }
    let mut order =
        world.doctor_orders.get(&c.store_id).cloned().unwrap_or_else(|| DoctorOrder { store_id: c.store_id, ..Default::default() });
    order.doctor_ids = c.doctor_ids.clone();
    fx.put(Change::DoctorOrder(order));
    Ok(())
}

fn set_doctor_hidden(world: &World, fx: &mut Fx, c: &SetDoctorHidden) -> Result<(), DomainError> {
    fx.ctx.actor.require(Permission::EditDoctorOrder, Some(c.store_id))?;
    world.store(c.store_id)?;
    world.doctor(c.doctor_id)?;
    let mut order =
        world.doctor_orders.get(&c.store_id).cloned().unwrap_or_else(|| DoctorOrder { store_id: c.store_id, ..Default::default() });
    if c.hidden {
        order.hidden.insert(c.doctor_id);
    } else {
        order.hidden.remove(&c.doctor_id);
    }
    fx.put(Change::DoctorOrder(order));
    Ok(())
}

fn update_settings(world: &World, fx: &mut Fx, c: &UpdateSettings) -> Result<(), DomainError> {
    fx.ctx.actor.require(Permission::EditStoreSettings, Some(c.store_id))?;
    let store = world.store(c.store_id)?;
    if !(1..=10).contains(&c.settings.capacity_per_slot) {
        return Err(DomainError::InvalidSetting { what: "capacity_per_slot 1–10" });
    }
    if c.settings.recall != store.settings.recall {
        fx.ctx.actor.require(Permission::EditRecallThresholds, Some(c.store_id))?;
        c.settings.recall.validate()?;
    }
    for rule in &c.settings.visit_type_rules {
        let known = rule.visit_type == VISIT_FIRST
            || rule.visit_type == VISIT_RETURN
            || world.visit_types.get(&store.tenant_id).is_some_and(|v| v.iter().any(|t| t.code == rule.visit_type));
        if !known {
            return Err(DomainError::InvalidVisitType { code: rule.visit_type.clone() });
        }
    }
    fx.put(Change::StoreSettings { store_id: c.store_id, settings: c.settings.clone() });
    Ok(())
}

/// Checks an exam entered at the desk and returns it as it is stored (biometer trimmed):
/// the patient belongs to the store's chain, the date is neither in the store's future nor
/// before the patient's birth, and every reading passes [`eye::validate_exam`].
fn checked_exam(world: &World, ctx: &Ctx, exam: &EyeExam) -> Result<EyeExam, DomainError> {
    let store = world.store(exam.store_id)?;
    let patient = world.patient(exam.patient_id)?;
    if patient.tenant_id != store.tenant_id {
        return Err(DomainError::NotFound { what: Entity::Patient, id: patient.id });
    }
    let today = slots::local_date(slots::zone(&store.timezone), ctx.now);
    if exam.examined_at > today || exam.examined_at < patient.birth_date {
        return Err(DomainError::InvalidExamDate { examined_at: exam.examined_at });
    }
    let mut exam = exam.clone();
    exam.biometer = optional_text("biometer", &exam.biometer)?.unwrap_or_default();
    eye::validate_exam(&exam).map_err(DomainError::InvalidEyeExam)?;
    Ok(exam)
}

/// A trimmed optional text: empty is `None`, otherwise as [`text::required`].
fn optional_text(field: &'static str, value: &str) -> Result<Option<String>, DomainError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        text::required(field, value, NAME_MAX).map(Some)
    }
}

/// Checks the patient's correction: no fitting date in the store's future, and no details
/// for "no correction". Returns it as stored (texts trimmed, empty texts as `None`).
fn checked_correction(world: &World, ctx: &Ctx, store_id: Id, c: &Correction) -> Result<Correction, DomainError> {
    let store = world.store(store_id)?;
    let today = slots::local_date(slots::zone(&store.timezone), ctx.now);
    let brand = c.brand.as_deref().map(|b| optional_text("correction.brand", b)).transpose()?.flatten();
    let manufacturer = c.manufacturer.as_deref().map(|m| optional_text("correction.manufacturer", m)).transpose()?.flatten();
    if c.kind == CorrectionKind::None && (c.fitted_on.is_some() || brand.is_some() || manufacturer.is_some()) {
        return Err(DomainError::InvalidCorrection { field: "kind" });
    }
    if c.fitted_on.is_some_and(|d| d > today) {
        return Err(DomainError::InvalidCorrection { field: "fitted_on" });
    }
    Ok(Correction { kind: c.kind, fitted_on: c.fitted_on, brand, manufacturer })
}

/// Puts the exam (and a changed correction) and one audit line with every value set or changed.
fn put_exam(
    world: &World,
    fx: &mut Fx,
    old: Option<&EyeExam>,
    exam: EyeExam,
    appointment_id: Option<Id>,
    correction: Option<Correction>,
    reason: Option<String>,
) {
    let mut changes: Vec<FieldChange> = eye::exam_changes(old, &exam);
    // A correction confirmed as it was is not written again.
    if let Some(c) = correction.filter(|c| world.corrections.get(&exam.patient_id) != Some(c)) {
        changes.extend(eye::correction_changes(world.corrections.get(&exam.patient_id), &c));
        fx.put(Change::Correction { patient_id: exam.patient_id, correction: c });
    }
    let index = fx.effects.eye_audit.len() as u16;
    fx.effects.eye_audit.push(EyeExamAudit {
        mutation_id: fx.ctx.mutation_id,
        index,
        exam_id: exam.id,
        patient_id: exam.patient_id,
        store_id: exam.store_id,
        at: fx.ctx.now,
        actor: fx.ctx.actor.label(),
        action: if old.is_some() { ExamAuditAction::Amended } else { ExamAuditAction::Recorded },
        reason,
        changes,
    });
    fx.put(Change::EyeExam { exam, appointment_id });
}

/// `eye_exam.record@1`: optometrists and managers of the store record an exam; a value out
/// of its clinical range or step refuses the whole entry, naming the field.
fn eye_exam_record(world: &World, fx: &mut Fx, c: &EyeExamRecord) -> Result<(), DomainError> {
    fx.ctx.actor.require(Permission::EditClinical, Some(c.exam.store_id))?;
    if world.eye_exams.contains_key(&c.exam.id) {
        return Err(DomainError::IdTaken { what: Entity::EyeExam });
    }
    let exam = checked_exam(world, fx.ctx, &c.exam)?;
    if let Some(appointment_id) = c.appointment_id {
        let visit = world.appointment(appointment_id)?;
        if visit.patient_id != exam.patient_id || visit.store_id != exam.store_id {
            return Err(DomainError::ExamVisitMismatch);
        }
    }
    let correction = c.correction.as_ref().map(|k| checked_correction(world, fx.ctx, exam.store_id, k)).transpose()?;
    put_exam(world, fx, None, exam, c.appointment_id, correction, None);
    Ok(())
}

/// `eye_exam.amend@1`: corrects a recorded exam of the same patient and store, with a reason;
/// the audit line keeps the replaced values.
fn eye_exam_amend(world: &World, fx: &mut Fx, c: &EyeExamAmend) -> Result<(), DomainError> {
    // The role first, so that a receptionist learns nothing about which exams exist.
    fx.ctx.actor.require(Permission::EditClinical, None)?;
    let old = world.eye_exam(c.exam.id)?;
    fx.ctx.actor.require(Permission::EditClinical, Some(old.store_id))?;
    if c.exam.patient_id != old.patient_id || c.exam.store_id != old.store_id {
        return Err(DomainError::InvalidPayload { detail: "an exam's patient and store cannot change".into() });
    }
    let exam = checked_exam(world, fx.ctx, &c.exam)?;
    let correction = c.correction.as_ref().map(|k| checked_correction(world, fx.ctx, exam.store_id, k)).transpose()?;
    let reason = text::required("reason", &c.reason, REASON_MAX)?;
    let correction_changed = correction.as_ref().is_some_and(|k| world.corrections.get(&exam.patient_id) != Some(k));
    if &exam == old && !correction_changed {
        return Err(DomainError::ExamUnchanged);
    }
    put_exam(world, fx, Some(old), exam, None, correction, Some(reason));
    Ok(())
}

/// `recall.record_outcome@1`: receptionists, optometrists and managers of the store record
/// what came of a call about a patient's task; each outcome is a new row (history kept).
fn recall_record_outcome(world: &World, fx: &mut Fx, c: &RecallRecordOutcome) -> Result<(), DomainError> {
    fx.ctx.actor.require(Permission::WorkRecallList, Some(c.store_id))?;
    let store = world.store(c.store_id)?;
    let patient = world.patient(c.patient_id)?;
    if patient.tenant_id != store.tenant_id {
        return Err(DomainError::NotFound { what: Entity::Patient, id: patient.id });
    }
    let note = c.note.as_deref().map(|n| if n.trim().is_empty() { Ok(None) } else { text::required("note", n, REASON_MAX).map(Some) });
    fx.put(Change::RecallOutcome(RecallOutcomeRecord {
        id: fx.ctx.mutation_id,
        store_id: store.id,
        patient_id: patient.id,
        kind: c.kind,
        outcome: c.outcome,
        note: note.transpose()?.flatten(),
        at: fx.ctx.now,
        actor: fx.ctx.actor.label(),
    }));
    Ok(())
}

/// `conflict.resolve@1`: a desk of the conflict's store marks it handled (who, how, when).
/// The rejected command's rows then leave every desk of the store at its next sync; a
/// conflict is resolved once. Managers resolve conflicts of any kind (DOMAIN.md §1); those
/// who book may resolve a rejected booking or appointment change (rebook, call, dismiss).
fn conflict_resolve(world: &World, fx: &mut Fx, c: &ConflictResolve) -> Result<(), DomainError> {
    let conflict = world.conflicts.get(&c.conflict_id).ok_or(DomainError::NotFound { what: Entity::Conflict, id: c.conflict_id })?;
    let about_appointments = ["booking.", "appointment.", "patient.create"].iter().any(|p| conflict.name.starts_with(p));
    if fx.ctx.actor.require(Permission::ResolveConflicts, Some(conflict.store_id)).is_err() || !about_appointments {
        let needed = if about_appointments { Permission::BookAppointment } else { Permission::ResolveConflicts };
        fx.ctx.actor.require(needed, Some(conflict.store_id))?;
    }
    if conflict.resolution.is_some() {
        return Err(DomainError::InvalidSetting { what: "conflict already resolved" });
    }
    let how = text::required("how", &c.how, 120)?;
    let by = match &fx.ctx.actor {
        Actor::Staff { staff_id, .. } => *staff_id,
        _ => return Err(DomainError::Forbidden { role: None, permission: Permission::ResolveConflicts }),
    };
    let mut resolved = conflict.clone();
    resolved.resolution = Some(crate::sync::ConflictResolution { by, how, at: fx.ctx.now });
    fx.put(Change::Conflict(resolved));
    Ok(())
}
