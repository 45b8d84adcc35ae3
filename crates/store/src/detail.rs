//! The appointment panel and the cancellation-request inbox.

use chrono::{DateTime, Utc};
use clinicdesk_domain::appointment::{allowed_actions, Action};
use clinicdesk_domain::error::Entity;
use clinicdesk_domain::fees;
use clinicdesk_domain::model::{AppointmentState, ChargeStatus, Id, PayMethod, RefundAuthority, RefundKind, RequestStatus};
use clinicdesk_domain::roles::{Actor, Permission};
use clinicdesk_domain::DomainError;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::load::Loader;
use crate::views::SyncState;
use crate::{from_ts, id_str, LocalStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RefundLine {
    pub number: String,
    pub kind: RefundKind,
    pub amount_fen: u32,
    pub at: String,
    pub actor: String,
}

/// What the desk may do about the fee now (refund, then cancel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RefundOption {
    /// Nothing to refund (not charged, or already refunded).
    None,
    /// This desk holds the refund right: hand back cash/card here.
    RefundAtDesk,
    /// Paid online: only the server refunds it; the desk can ask.
    RequestServerRefund,
    /// Already asked; waiting for the server.
    ServerRefundRequested,
    /// Paid online more than 365 days ago: record a manual refund instead.
    ManualRefund,
    /// Paid at another store's desk: only that store refunds it.
    OtherStore,
    /// Paid at another desk of this store: only that desk refunds it.
    OtherDesk,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeeDetail {
    pub id: String,
    pub amount_fen: u32,
    pub status: ChargeStatus,
    pub method: Option<PayMethod>,
    pub paid_at: Option<String>,
    pub receipt_no: Option<String>,
    pub refund: Option<RefundLine>,
    pub refund_option: RefundOption,
    /// With `other_desk`: the desk of this store that may hand the cash back (its device
    /// code, which is in the desk's name), so reception knows where to send the patient.
    pub refund_desk: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from_state: Option<AppointmentState>,
    pub to_state: Option<AppointmentState>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OpenRequest {
    pub id: String,
    pub reason: String,
    pub requested_at: String,
}

/// Everything the appointment panel shows, and the actions it may offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppointmentDetail {
    pub id: String,
    pub store_id: String,
    pub doctor_id: String,
    pub doctor_name: String,
    pub department: String,
    pub patient_id: String,
    pub patient_name: String,
    pub patient_phone: String,
    pub start: String,
    pub end: String,
    pub state: AppointmentState,
    pub visit_type: String,
    pub sync: SyncState,
    pub fee: Option<FeeDetail>,
    pub open_request: Option<OpenRequest>,
    /// Snake-case action names from the domain: confirm, check_in, complete, no_show, cancel, undo_check_in, reschedule.
    pub actions: Vec<String>,
    pub history: Vec<HistoryLine>,
}

/// One open patient request in a store's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxItem {
    pub request_id: String,
    pub appointment_id: String,
    pub patient_name: String,
    pub doctor_name: String,
    pub start: String,
    pub reason: String,
    pub requested_at: String,
    pub fee_state: String,
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl LocalStore {
    /// The panel of one appointment as `actor` may act on it at `now`.
    pub async fn appointment_detail(&self, appointment_id: Id, actor: &Actor, now: DateTime<Utc>) -> Result<AppointmentDetail, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut loader = Loader::new(&mut conn);
        let appt =
            loader.appointment(appointment_id).await?.ok_or(DomainError::NotFound { what: Entity::Appointment, id: appointment_id })?;
        actor.require(Permission::ViewBoard, Some(appt.store_id))?;
        let world = loader.world;
        let row = sqlx::query(
            "SELECT d.name AS doctor_name, dep.name AS department, p.name AS patient_name, p.phone, a.sync_state,
                    COALESCE(v.name, a.visit_type) AS visit_type
             FROM appointments a JOIN doctors d ON d.id = a.doctor_id JOIN departments dep ON dep.id = a.department_id
             JOIN patients p ON p.id = a.patient_id LEFT JOIN visit_types v ON v.tenant_id = a.tenant_id AND v.code = a.visit_type
             WHERE a.id = ?",
        )
        .bind(id_str(appointment_id))
        .fetch_one(&mut *conn)
        .await?;
        let store_here = world.stores.get(&appt.store_id).map(|s| s.id);
        let this_desk = self.device().await?.map(|d| d.device_code);
        let fee = world.fee_of(&appt).map(|f| {
            let refund = world.refund_of(f.id);
            let option = match (f.status, refund, f.authority) {
                (ChargeStatus::Charged, None, Some(RefundAuthority::Desk { store_id })) if Some(store_id) == store_here => {
                    match &f.collected_by {
                        Some(desk) if Some(desk) != this_desk.as_ref() => RefundOption::OtherDesk,
                        _ => RefundOption::RefundAtDesk,
                    }
                }
                (ChargeStatus::Charged, None, Some(RefundAuthority::Desk { .. })) => RefundOption::OtherStore,
                (ChargeStatus::Charged, None, Some(RefundAuthority::Server)) if fees::online_refund_expired(f, now) => {
                    RefundOption::ManualRefund
                }
                (ChargeStatus::Charged, None, Some(RefundAuthority::Server)) if f.refund_requested_at.is_some() => {
                    RefundOption::ServerRefundRequested
                }
                (ChargeStatus::Charged, None, Some(RefundAuthority::Server)) => RefundOption::RequestServerRefund,
                _ => RefundOption::None,
            };
            FeeDetail {
                id: f.id.to_string(),
                amount_fen: f.amount.0.clamp(0, i64::from(u32::MAX)) as u32,
                status: f.status,
                method: f.method,
                paid_at: f.paid_at.map(iso),
                receipt_no: f.receipt_no.clone(),
                refund: refund.map(|r| RefundLine {
                    number: r.number.clone(),
                    kind: r.kind,
                    amount_fen: r.amount.0.clamp(0, i64::from(u32::MAX)) as u32,
                    at: iso(r.at),
                    actor: r.actor.clone(),
                }),
                refund_desk: if option == RefundOption::OtherDesk { f.collected_by.clone() } else { None },
                refund_option: option,
            }
        });
        let open_request = world.open_request_of(appt.id).map(|r| OpenRequest {
            id: r.id.to_string(),
            reason: r.reason.clone(),
            requested_at: iso(r.requested_at),
        });
        let history = self
            .history(appt.id)
            .await?
            .into_iter()
            .map(|h| HistoryLine {
                at: iso(h.at),
                actor: h.actor,
                action: h.action,
                from_state: h.from_state,
                to_state: h.to_state,
                reason: h.reason,
            })
            .collect();
        let sync = SyncState::from_column(row.try_get("sync_state")?);
        Ok(AppointmentDetail {
            id: appt.id.to_string(),
            store_id: appt.store_id.to_string(),
            doctor_id: appt.doctor_id.to_string(),
            doctor_name: row.try_get("doctor_name")?,
            department: row.try_get("department")?,
            patient_id: appt.patient_id.to_string(),
            patient_name: row.try_get("patient_name")?,
            patient_phone: row.try_get("phone")?,
            start: iso(appt.start),
            end: iso(appt.end),
            state: appt.state,
            visit_type: row.try_get("visit_type")?,
            sync,
            fee,
            open_request,
            actions: allowed_actions(appt.state, actor, appt.store_id).into_iter().map(|a: Action| a.as_str().to_string()).collect(),
            history,
        })
    }

    /// A store's open cancellation requests, oldest first (the longest waiting on top).
    pub async fn cancellation_inbox(&self, store_id: Id) -> Result<Vec<InboxItem>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.appointment_id, a.patient_name, d.name AS doctor_name, a.start_ts, r.reason, r.requested_at, a.fee_state
             FROM cancellation_requests r JOIN appointments a ON a.id = r.appointment_id JOIN doctors d ON d.id = a.doctor_id
             WHERE r.store_id = ? AND r.status = ? ORDER BY r.requested_at, r.id",
        )
        .bind(id_str(store_id))
        .bind(crate::write::tag(&RequestStatus::Open))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(InboxItem {
                    request_id: r.try_get("id")?,
                    appointment_id: r.try_get("appointment_id")?,
                    patient_name: r.try_get("patient_name")?,
                    doctor_name: r.try_get("doctor_name")?,
                    start: iso(from_ts(r.try_get("start_ts")?)),
                    reason: r.try_get("reason")?,
                    requested_at: iso(from_ts(r.try_get("requested_at")?)),
                    fee_state: r.try_get("fee_state")?,
                })
            })
            .collect()
    }
}
