//! What reception sees of sync: each outbox command with the server's answer ("sync
//! details"), and the store's conflict inbox — both sides of every rejected command, who
//! and when, the original input (so nothing typed is lost) and the fixes that apply.

use clinicdesk_domain::model::Id;
use clinicdesk_domain::sync::ConflictRecord;
use clinicdesk_domain::Lang;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{from_ts, id_str, LocalStore, StoreError};

/// One command of this desk's outbox, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncLine {
    pub device_seq: u32,
    /// `booking.create@1` …
    pub name: String,
    pub created_at: String,
    pub actor_name: String,
    pub status: LineStatus,
    pub code: Option<String>,
    pub message: Option<String>,
    /// A rejection predicted while the command is still pending (e.g. `slot_conflict`).
    pub predicted: Option<String>,
}

/// Where one outbox command stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LineStatus {
    Pending,
    Applied,
    AppliedWithWarning,
    Rejected,
    /// The server does not know this command yet (a newer app): it waits in the outbox.
    Unknown,
}

/// How a rejected booking's fee was to be paid at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DeskPay {
    Cash,
    Card,
}

/// One side of a conflict: an appointment as the desk knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictSide {
    pub appointment_id: String,
    pub patient_name: String,
    pub patient_phone: Option<String>,
    pub doctor_name: String,
    pub department_name: String,
    pub start: String,
    pub end: String,
    /// The desk that made it, when known (`D1A2B3C`, or the patient app).
    pub desk_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictFee {
    /// Fen.
    pub amount: u32,
    /// None: to be charged later.
    pub paid_with: Option<DeskPay>,
}

/// The original input of a rejected `booking.create@1`: book again without retyping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictBooking {
    pub patient_id: String,
    pub doctor_id: String,
    pub department_id: String,
    pub complaint_id: Option<String>,
    pub start: String,
    pub end: String,
    pub visit_type: Option<String>,
    pub fee: Option<ConflictFee>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictResolved {
    pub by: String,
    pub how: String,
    pub at: String,
}

/// One conflict of the store, as every desk of the store sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictItem {
    pub id: String,
    pub store_id: String,
    pub command_name: String,
    pub code: String,
    pub message: String,
    pub created_at: String,
    pub rejected_at: String,
    /// Which desk sent it ("本机" / "this desk" for this one) and who ran it there.
    pub desk_label: String,
    pub actor_name: String,
    /// The rejected booking or change as typed; None when it was not about an appointment.
    pub ours: Option<ConflictSide>,
    /// What holds the slot on the server (for `slot_conflict`).
    pub theirs: Vec<ConflictSide>,
    /// The input of a rejected booking, to book again without retyping.
    pub booking: Option<ConflictBooking>,
    /// next_free_slot | other_doctor | reinstate | hand_back_cash | transfer_refund |
    /// call_patient | dismiss, in the order to offer them
    pub fixes: Vec<String>,
    /// The online-paid fee `transfer_refund` asks the server to refund (`fee.request_refund@1`).
    pub refund_fee_id: Option<String>,
    pub resolved: Option<ConflictResolved>,
}

/// `D` + the last six hex digits of a device id: the code in its slip numbers.
pub fn device_code(device_id: &str) -> String {
    let hex: String = device_id.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    format!("D{}", hex[hex.len().saturating_sub(6)..].to_uppercase())
}

fn s(v: &serde_json::Value, key: &str) -> Option<String> {
    v.get(key).and_then(|x| x.as_str()).map(str::to_string)
}

impl LocalStore {
    async fn staff_name(&self, id: &str) -> Result<String, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT name FROM staff WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.0).unwrap_or_else(|| id.strip_prefix("patient:").map(|_| "—".to_string()).unwrap_or_else(|| "—".into())))
    }

    /// An appointment as a conflict side (from the desk's tables).
    async fn side(&self, appointment_id: &str) -> Result<Option<ConflictSide>, StoreError> {
        let row = sqlx::query(
            "SELECT a.id, a.start_ts, a.end_ts, a.source, p.name AS patient, p.phone, d.name AS doctor, dep.name AS department
             FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN doctors d ON d.id = a.doctor_id
             JOIN departments dep ON dep.id = a.department_id WHERE a.id = ?",
        )
        .bind(appointment_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let source: String = r.try_get("source")?;
        Ok(Some(ConflictSide {
            appointment_id: r.try_get("id")?,
            patient_name: r.try_get("patient")?,
            patient_phone: r.try_get("phone")?,
            doctor_name: r.try_get("doctor")?,
            department_name: r.try_get("department")?,
            start: from_ts(r.try_get("start_ts")?).to_rfc3339(),
            end: from_ts(r.try_get("end_ts")?).to_rfc3339(),
            desk_label: (source == "app").then(|| "app".to_string()),
        }))
    }

    /// A side made from a booking's input when the desk does not hold the appointment.
    async fn side_from_args(&self, args: &serde_json::Value) -> Result<Option<ConflictSide>, StoreError> {
        let (Some(patient), Some(doctor), Some(dept)) = (s(args, "patient_id"), s(args, "doctor_id"), s(args, "department_id")) else {
            return Ok(None);
        };
        let p: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT name, phone FROM patients WHERE id = ?").bind(&patient).fetch_optional(&self.pool).await?;
        let d: Option<(String,)> = sqlx::query_as("SELECT name FROM doctors WHERE id = ?").bind(&doctor).fetch_optional(&self.pool).await?;
        let dep: Option<(String,)> =
            sqlx::query_as("SELECT name FROM departments WHERE id = ?").bind(&dept).fetch_optional(&self.pool).await?;
        Ok(Some(ConflictSide {
            appointment_id: s(args, "appointment_id").unwrap_or_default(),
            patient_name: p.as_ref().map(|p| p.0.clone()).unwrap_or_else(|| "—".into()),
            patient_phone: p.and_then(|p| p.1),
            doctor_name: d.map(|d| d.0).unwrap_or_else(|| "—".into()),
            department_name: dep.map(|d| d.0).unwrap_or_else(|| "—".into()),
            start: s(args, "start").unwrap_or_default(),
            end: s(args, "end").unwrap_or_default(),
            desk_label: None,
        }))
    }

    /// The appointment as a booking to make again, when the server's copy of it (the base a
    /// kept local change sits on, else the row) is cancelled.
    async fn cancelled_on_server(&self, appointment_id: &str) -> Result<Option<ConflictBooking>, StoreError> {
        let base: Option<(Option<String>,)> = sqlx::query_as("SELECT data FROM sync_base WHERE kind = 'appointment' AND id = ?")
            .bind(appointment_id)
            .fetch_optional(&self.pool)
            .await?;
        let server: Option<serde_json::Value> = match base {
            Some((Some(d),)) => serde_json::from_str(&d).ok(),
            Some((None,)) => None,
            None => {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT state FROM appointments WHERE id = ?").bind(appointment_id).fetch_optional(&self.pool).await?;
                row.map(|(state,)| serde_json::json!({ "state": state }))
            }
        };
        if server.as_ref().and_then(|v| s(v, "state")).as_deref() != Some("cancelled") {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT patient_id, doctor_id, department_id, complaint_id, start_ts, end_ts, visit_type FROM appointments WHERE id = ?",
        )
        .bind(appointment_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(ConflictBooking {
            patient_id: r.try_get("patient_id")?,
            doctor_id: r.try_get("doctor_id")?,
            department_id: r.try_get("department_id")?,
            complaint_id: r.try_get("complaint_id")?,
            start: from_ts(r.try_get("start_ts")?).to_rfc3339(),
            end: from_ts(r.try_get("end_ts")?).to_rfc3339(),
            visit_type: r.try_get("visit_type")?,
            fee: None,
        }))
    }

    /// An online-paid fee (the server's refund right) of this fee id or appointment that is
    /// charged, not refunded and not yet asked to be.
    async fn online_fee_to_refund(&self, fee_id: Option<String>, appointment_id: Option<&str>) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT f.id FROM fees f WHERE (f.id = ? OR f.appointment_id = ?) AND f.authority_kind = 'server' AND f.status = 'charged'
               AND f.refund_requested_at IS NULL AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.fee_id = f.id) LIMIT 1",
        )
        .bind(fee_id)
        .bind(appointment_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.0))
    }

    /// The store's conflicts for the inbox: open ones first, newest first.
    pub async fn conflict_items(&self, store_id: Id, lang: Lang) -> Result<Vec<ConflictItem>, StoreError> {
        let me = self.device().await?.map(|d| id_str(d.device_id));
        let mut out = Vec::new();
        for c in self.conflicts(store_id).await? {
            out.push(self.conflict_item(&c, me.as_deref(), lang).await?);
        }
        out.sort_by(|a, b| a.resolved.is_some().cmp(&b.resolved.is_some()).then(b.rejected_at.cmp(&a.rejected_at)));
        Ok(out)
    }

    async fn conflict_item(&self, c: &ConflictRecord, me: Option<&str>, lang: Lang) -> Result<ConflictItem, StoreError> {
        let args = &c.args;
        let ours = match s(args, "appointment_id") {
            Some(id) => match self.side(&id).await? {
                Some(side) => Some(side),
                None => self.side_from_args(args).await?,
            },
            None => None,
        };
        let mut theirs = Vec::new();
        if let Some(ids) = c.detail.as_ref().and_then(|d| d.get("taken_by")).and_then(|t| t.as_array()) {
            for id in ids.iter().filter_map(|v| v.as_str()) {
                if let Some(side) = self.side(id).await? {
                    theirs.push(side);
                }
            }
        }
        let mut booking = (c.name == "booking.create@1")
            .then(|| -> Option<ConflictBooking> {
                Some(ConflictBooking {
                    patient_id: s(args, "patient_id")?,
                    doctor_id: s(args, "doctor_id")?,
                    department_id: s(args, "department_id")?,
                    complaint_id: s(args, "complaint_id"),
                    start: s(args, "start")?,
                    end: s(args, "end")?,
                    visit_type: s(args, "visit_type"),
                    fee: args.get("fee").filter(|f| !f.is_null()).map(|f| ConflictFee {
                        amount: f.get("amount").and_then(|a| a.as_u64()).unwrap_or(0) as u32,
                        paid_with: match s(f, "paid_with").as_deref() {
                            Some("cash") => Some(DeskPay::Cash),
                            Some("card") => Some(DeskPay::Card),
                            _ => None,
                        },
                    }),
                })
            })
            .flatten();
        let mut fixes = Vec::new();
        if c.code == "slot_conflict" && booking.is_some() {
            fixes.extend(["next_free_slot", "other_doctor"]);
        }
        let appointment_id = s(args, "appointment_id");
        let unresolved = c.resolution.is_none();
        // A visit step (check-in, confirm, complete, no-show) refused because the appointment was
        // cancelled meanwhile (the patient, in the app): the patient is here, so the same doctor
        // and slot are booked again, prefilled.
        let visit_step = matches!(
            c.name.as_str(),
            "appointment.check_in@1" | "appointment.confirm@1" | "appointment.complete@1" | "appointment.no_show@1"
        );
        if unresolved && visit_step && c.code == "invalid_transition" {
            if let Some(id) = &appointment_id {
                if let Some(b) = self.cancelled_on_server(id).await? {
                    booking = Some(b);
                    fixes.push("reinstate");
                }
            }
        }
        // A booking this desk took money for, refused: the money goes back at this desk (it
        // holds the refund right of what it collected).
        if c.name == "booking.create@1"
            && me == Some(c.device_id.as_str())
            && booking.as_ref().and_then(|b| b.fee.as_ref()).is_some_and(|f| f.paid_with.is_some())
        {
            fixes.push("hand_back_cash");
        }
        // A cancel or cash refund refused because the fee was paid online: only the server may
        // refund it, so the desk asks the server to.
        let mut refund_fee_id = None;
        if unresolved && matches!(c.code.as_str(), "refund_first" | "not_refund_authority") {
            refund_fee_id = self.online_fee_to_refund(s(args, "fee_id"), appointment_id.as_deref()).await?;
            if refund_fee_id.is_some() {
                fixes.push("transfer_refund");
            }
        }
        if ours.as_ref().is_some_and(|o| o.patient_phone.is_some()) {
            fixes.push("call_patient");
        }
        fixes.push("dismiss");
        let desk_label = if me == Some(c.device_id.as_str()) {
            lang.pick("本机", "本機", "this desk").to_string()
        } else if c.device_id.starts_with("patient:") {
            lang.pick("患者小程序", "患者小程式", "patient app").to_string()
        } else {
            device_code(&c.device_id)
        };
        Ok(ConflictItem {
            id: id_str(c.id),
            store_id: id_str(c.store_id),
            command_name: c.name.clone(),
            code: c.code.clone(),
            message: c.messages.as_ref().map_or_else(|| c.message.clone(), |m| m.get(lang).to_string()),
            created_at: c.created_at.to_rfc3339(),
            rejected_at: c.rejected_at.to_rfc3339(),
            desk_label,
            actor_name: self.staff_name(&c.actor_id).await?,
            ours,
            theirs,
            booking,
            fixes: fixes.into_iter().map(str::to_string).collect(),
            refund_fee_id,
            resolved: match &c.resolution {
                Some(r) => Some(ConflictResolved { by: self.staff_name(&id_str(r.by)).await?, how: r.how.clone(), at: r.at.to_rfc3339() }),
                None => None,
            },
        })
    }

    /// Open conflicts of a store (the indicator's badge).
    pub async fn open_conflict_count(&self, store_id: Id) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM conflicts WHERE store_id = ? AND resolved = 0")
            .bind(id_str(store_id))
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    /// This desk's commands, newest first, with the server's answer to each and who ran it.
    pub async fn sync_lines(&self, limit: u32, _lang: Lang) -> Result<Vec<SyncLine>, StoreError> {
        let details = self.sync_details(limit as usize).await?;
        let oldest = details.last().map_or(0, |d| d.device_seq);
        let actors: std::collections::HashMap<i64, String> =
            sqlx::query_as::<_, (i64, String)>("SELECT device_seq, actor FROM outbox WHERE device_seq >= ?")
                .bind(oldest)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|(seq, actor)| {
                    let name = serde_json::from_str::<serde_json::Value>(&actor).ok().as_ref().and_then(|a| s(a, "name"));
                    (seq, name.unwrap_or_else(|| "—".into()))
                })
                .collect();
        Ok(details
            .into_iter()
            .map(|d| SyncLine {
                device_seq: d.device_seq as u32,
                actor_name: actors.get(&d.device_seq).cloned().unwrap_or_else(|| "—".into()),
                name: d.name,
                created_at: d.created_at.to_rfc3339(),
                status: match d.status.as_str() {
                    "applied" => LineStatus::Applied,
                    "applied_with_warning" => LineStatus::AppliedWithWarning,
                    "rejected" => LineStatus::Rejected,
                    "unknown" => LineStatus::Unknown,
                    _ => LineStatus::Pending,
                },
                code: d.code,
                message: d.message,
                predicted: d.predicted,
            })
            .collect())
    }
}
