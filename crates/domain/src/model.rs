//! The chain's data: organisation, people, schedules, appointments, fees (DOMAIN.md §1–6).
//!
//! Instants are UTC; schedules are in the store's local time (its IANA time zone).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Fen;
use crate::roles::Role;

pub type Id = Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: Id,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    pub id: Id,
    pub tenant_id: Id,
    /// Short code used in slip numbers ("BJ01").
    pub code: String,
    pub name: String,
    /// IANA zone, default "Asia/Shanghai".
    pub timezone: String,
    pub settings: StoreSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CancellationPolicy {
    /// The patient app shows no cancel button; only staff cancel.
    NotAllowed,
    /// The patient asks; the desk approves or rejects.
    #[default]
    RequestOnly,
    /// The patient cancels at once while pending or confirmed.
    DirectBeforeCheckIn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum VisitTypeMode {
    #[default]
    AutoByRules,
    PatientChooses,
}

/// One rule of the visit-type table: every given condition must hold; the first match wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VisitTypeRule {
    pub complaint_id: Option<Id>,
    pub department_id: Option<Id>,
    /// Some(true): only patients with a previous completed visit in the chain.
    pub has_previous_visit: Option<bool>,
    pub visit_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoreSettings {
    pub cancellation_policy: CancellationPolicy,
    pub visit_type_mode: VisitTypeMode,
    pub visit_type_rules: Vec<VisitTypeRule>,
    /// Appointments one doctor may hold in one slot; 1 = no overbooking.
    pub capacity_per_slot: u8,
    /// The recall rules' thresholds (DOMAIN.md §8); settings stored before they existed
    /// read as the defaults.
    #[serde(default)]
    pub recall: crate::recall::RecallThresholds,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            cancellation_policy: CancellationPolicy::RequestOnly,
            visit_type_mode: VisitTypeMode::AutoByRules,
            visit_type_rules: Vec::new(),
            capacity_per_slot: 1,
            recall: crate::recall::RecallThresholds::default(),
        }
    }
}

/// Built-in visit types; a chain may add its own codes (e.g. "ortho_review").
pub const VISIT_FIRST: &str = "first";
pub const VISIT_RETURN: &str = "return";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitTypeDef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub id: Id,
    pub store_id: Id,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doctor {
    pub id: Id,
    pub tenant_id: Id,
    pub name: String,
    pub title: String,
    /// Departments (of any store) this doctor works in.
    pub department_ids: Vec<Id>,
}

/// A store's ordered doctor list and which doctors patients do not see (DOMAIN.md §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DoctorOrder {
    pub store_id: Id,
    pub doctor_ids: Vec<Id>,
    pub hidden: BTreeSet<Id>,
}

/// A chief complaint (主诉) and the departments that treat it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    pub id: Id,
    pub tenant_id: Id,
    pub name: String,
    pub department_ids: Vec<Id>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Sex {
    Female,
    Male,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patient {
    pub id: Id,
    pub tenant_id: Id,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub phone: String,
    pub guardian_ids: Vec<Id>,
    pub channel_code: Option<String>,
    /// 归属网电咨询师, set from the channel at registration, never back-filled.
    pub consultant_id: Option<Id>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guardian {
    pub id: Id,
    pub tenant_id: Id,
    pub name: String,
    pub phone: String,
}

/// A channel code (渠道码) with its assigned online consultant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub code: String,
    pub tenant_id: Id,
    pub consultant_id: Id,
}

/// A staff member. Doctors who sign in are staff too (`doctor_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: Id,
    pub tenant_id: Id,
    pub name: String,
    pub login: String,
    pub role: Role,
    pub store_ids: Vec<Id>,
    pub doctor_id: Option<Id>,
}

/// A working period in local time, [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// A doctor's day in one store (排班).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub id: Id,
    pub store_id: Id,
    pub doctor_id: Id,
    pub date: NaiveDate,
    pub periods: Vec<Period>,
    pub slot_minutes: u16,
}

/// Time a doctor is not bookable (meeting, leave).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedTime {
    pub id: Id,
    pub store_id: Id,
    pub doctor_id: Id,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AppointmentState {
    Pending,
    Confirmed,
    CheckedIn,
    Completed,
    Cancelled,
    NoShow,
}

impl AppointmentState {
    /// Holds its slot (counts against capacity).
    pub fn is_active(self) -> bool {
        !matches!(self, AppointmentState::Cancelled | AppointmentState::NoShow)
    }
    /// Before check-in: the only states in which cancelling is possible.
    pub fn is_before_check_in(self) -> bool {
        matches!(self, AppointmentState::Pending | AppointmentState::Confirmed)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentState::Pending => "pending",
            AppointmentState::Confirmed => "confirmed",
            AppointmentState::CheckedIn => "checked_in",
            AppointmentState::Completed => "completed",
            AppointmentState::Cancelled => "cancelled",
            AppointmentState::NoShow => "no_show",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => AppointmentState::Pending,
            "confirmed" => AppointmentState::Confirmed,
            "checked_in" => AppointmentState::CheckedIn,
            "completed" => AppointmentState::Completed,
            "cancelled" => AppointmentState::Cancelled,
            "no_show" => AppointmentState::NoShow,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Source {
    Desk,
    Phone,
    PatientApp,
    WalkIn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    pub id: Id,
    pub tenant_id: Id,
    pub store_id: Id,
    pub doctor_id: Id,
    pub department_id: Id,
    pub patient_id: Id,
    pub complaint_id: Option<Id>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub state: AppointmentState,
    pub visit_type: String,
    /// True when no visit-type rule matched and the first/return fallback decided.
    pub visit_type_by_fallback: bool,
    pub source: Source,
    pub fee_id: Option<Id>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One line of an appointment's history: who did what, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub appointment_id: Id,
    /// The command that made the change, and the entry's index within it.
    pub mutation_id: Id,
    pub index: u16,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub from_state: Option<AppointmentState>,
    pub to_state: Option<AppointmentState>,
    pub reason: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PayMethod {
    Cash,
    Card,
    /// WeChat Pay inside the patient app (online; refunded only by the server).
    WechatApp,
    /// Paid entirely with points in the patient app (online, exempt from the 365-day rule).
    Points,
}

impl PayMethod {
    pub fn is_online(self) -> bool {
        matches!(self, PayMethod::WechatApp | PayMethod::Points)
    }
}

/// Charging status shown for bills (seed 000 §3.1): 未开单 / 待收费 / 已收费.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ChargeStatus {
    NotBilled,
    Pending,
    Charged,
}

/// Who may refund a fee: fixed when it is paid (DOMAIN.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RefundAuthority {
    /// Only this store's desks (offline allowed).
    Desk { store_id: Id },
    /// Only the server, through the payment provider.
    Server,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    pub id: Id,
    pub appointment_id: Id,
    pub store_id: Id,
    pub amount: Fen,
    pub status: ChargeStatus,
    pub method: Option<PayMethod>,
    /// Part of the amount paid through WeChat (the rest by points); 0 for desk fees.
    pub wechat_paid: Fen,
    pub paid_at: Option<DateTime<Utc>>,
    pub authority: Option<RefundAuthority>,
    pub receipt_no: Option<String>,
    /// The desk asked the server to refund this online fee.
    pub refund_requested_at: Option<DateTime<Utc>>,
    /// The desk that took a desk payment (its device code): only that desk refunds the fee,
    /// so two desks of a store that are offline from each other cannot both hand money back.
    /// None: any desk of the fee's store (fees paid before this rule, or online fees).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_by: Option<String>,
}

impl Fee {
    /// A bill not yet paid (待收费): no method, no refund authority yet.
    pub fn billed(id: Id, appointment_id: Id, store_id: Id, amount: Fen) -> Fee {
        Fee {
            id,
            appointment_id,
            store_id,
            amount,
            status: ChargeStatus::Pending,
            method: None,
            wechat_paid: Fen(0),
            paid_at: None,
            authority: None,
            receipt_no: None,
            refund_requested_at: None,
            collected_by: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RefundKind {
    /// Cash or card handed back at the desk that holds the refund right.
    DeskCash,
    /// Refunded through the payment provider by the server.
    Provider,
    /// An online payment past the provider's 365-day limit, paid back by hand and recorded.
    Manual,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: Id,
    pub fee_id: Id,
    pub number: String,
    pub amount: Fen,
    pub kind: RefundKind,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RequestStatus {
    Open,
    Approved,
    Rejected,
}

/// A patient's request to cancel (policy "request only").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancellationRequest {
    pub id: Id,
    pub appointment_id: Id,
    pub store_id: Id,
    pub patient_id: Id,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub status: RequestStatus,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    /// What the patient sees when the desk rejects.
    pub reject_reason: Option<String>,
}
