//! The sync wire (SYNC.md §2–4, §8): what a desk sends to `POST /sync/v1/push` and
//! `POST /sync/v1/pull`, and what the server answers. Plain data, shared by the server, the
//! desk's sync client and the simulator, so that all three speak exactly one protocol.
//!
//! Versions travel in every request: `protocol` must be one the server speaks
//! ([`PROTOCOL_VERSION`]); `schema` is the desk database's schema version and `app` the desk
//! app's version, both logged and used to decide what a desk may be sent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Id;

/// The kinds of rows that travel in a pull (`Change::kind`): how the server keys its
/// documents and the desk its synced rows. `data` is the serde JSON of the domain struct.
pub mod kind {
    pub const TENANT: &str = "tenant";
    pub const STORE: &str = "store";
    pub const DEPARTMENT: &str = "department";
    pub const DOCTOR: &str = "doctor";
    pub const DOCTOR_ORDER: &str = "doctor_order";
    pub const COMPLAINT: &str = "complaint";
    pub const VISIT_TYPES: &str = "visit_types";
    pub const CHANNEL: &str = "channel";
    pub const STAFF: &str = "staff";
    pub const GUARDIAN: &str = "guardian";
    pub const PATIENT: &str = "patient";
    pub const SCHEDULE: &str = "schedule";
    pub const BLOCK: &str = "block";
    pub const APPOINTMENT: &str = "appointment";
    pub const FEE: &str = "fee";
    pub const REFUND: &str = "refund";
    pub const REQUEST: &str = "cancellation_request";
    pub const HISTORY: &str = "history";
    pub const EYE_EXAM: &str = "eye_exam";
    pub const CORRECTION: &str = "correction";
    pub const EYE_EXAM_AUDIT: &str = "eye_exam_audit";
    pub const RECALL_OUTCOME: &str = "recall_outcome";
    /// A rejected command as its store's desks see it (`clinicdesk_domain::sync::ConflictRecord`).
    pub const CONFLICT: &str = "conflict";
}

/// The sync protocol this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The most commands one push may carry.
pub const MAX_PUSH: usize = 500;

/// The most changes one pull page holds.
pub const MAX_PULL: u32 = 5_000;

/// Sent with every request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Versions {
    pub protocol: u32,
    pub schema: i64,
    pub app: String,
}

/// One outbox row of the desk, as pushed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushedCommand {
    pub device_seq: i64,
    pub mutation_id: Id,
    /// `booking.create@1` …
    pub name: String,
    pub args: serde_json::Value,
    /// sha256 of name and canonical args, as the desk computed it (`payload_hash`).
    pub payload_hash: String,
    /// When the desk ran it (its own clock: informative only, never trusted for rules).
    pub created_at: DateTime<Utc>,
    /// The staff member who ran it at the desk (several share a desk during a day). The
    /// server acts as them, with the role it holds for them, and only in the desk's store;
    /// None: the staff member the desk signed in as.
    #[serde(default)]
    pub actor_staff_id: Option<Id>,
}

/// `POST /sync/v1/push`: the desk's pending commands, in device order, contiguous.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub versions: Versions,
    pub commands: Vec<PushedCommand>,
}

/// What became of one pushed command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    Applied,
    AppliedWithWarning,
    Rejected,
    /// The server does not know this command (or version) yet: it stays in the desk's
    /// outbox and is pushed again after the server is upgraded. Later commands of the
    /// device are not applied before it (per-device order), so the push stops here.
    Unknown,
}

/// The durable outcome of one command (the same on every repeat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResult {
    pub device_seq: i64,
    pub mutation_id: Id,
    pub status: PushStatus,
    /// The rejection's code (`slot_conflict` …) or the warnings, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The rejection's message in the request's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The server_seq that recorded it (0 for `unknown`).
    pub server_seq: i64,
    /// True when this answers a command the server had processed before.
    #[serde(default)]
    pub replayed: bool,
}

/// The server's answer to a push. `results` covers a prefix of the pushed commands: it
/// stops at the first `unknown` one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub epoch: String,
    /// The highest device_seq of this device the server holds an outcome for.
    pub last_device_seq: i64,
    pub results: Vec<PushResult>,
    /// The server's clock, so the desk can warn when its own is off by more than 2 minutes.
    pub server_time: DateTime<Utc>,
}

/// Where a pull resumes: after this `(server_seq, kind, id)` in the server's change order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct Cursor {
    pub server_seq: i64,
    pub kind: String,
    pub id: String,
    /// The server's random mark of the commit at `server_seq`: a server restored from a
    /// backup (even one that kept its epoch) no longer has this mark at this seq, so a desk
    /// whose cursor came from the lost history is told to take a snapshot. None for rows
    /// written before marks existed (not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<String>,
}

/// `POST /sync/v1/pull`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullRequest {
    pub versions: Versions,
    /// The epoch the cursor belongs to; None on a first sync.
    #[serde(default)]
    pub epoch: Option<String>,
    /// None: a snapshot from the start (first sync, or after `snapshot_required`).
    #[serde(default)]
    pub after: Option<Cursor>,
    /// Page size (at most [`MAX_PULL`]).
    pub limit: u32,
}

/// One row of the server as the desk receives it: the domain struct as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `appointment`, `fee`, `refund`, `conflict` … (the server's entity kinds).
    pub kind: String,
    pub id: String,
    pub store_id: Option<Id>,
    pub server_seq: i64,
    pub data: serde_json::Value,
}

/// One page of changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub epoch: String,
    /// True when the request's epoch is not the server's (a restore or a new server): the
    /// desk pushes its recently acknowledged commands again and pulls a snapshot.
    pub epoch_changed: bool,
    /// True when the cursor is older than the change-log retention: pull a snapshot.
    pub snapshot_required: bool,
    pub changes: Vec<Change>,
    /// Pass as `after` for the next page.
    pub next: Option<Cursor>,
    pub has_more: bool,
    /// The tenant's newest server_seq at the time of this page (for a progress bar).
    pub head_seq: i64,
    /// Rows in scope after `after` when it was a snapshot's first page (for a progress bar).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// A rejected command as every desk of its store sees it (entity kind `conflict`): the
/// original input, so nothing typed is lost, and the server's reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictRecord {
    /// The rejected command's mutation id.
    pub id: Id,
    pub store_id: Id,
    /// The desk that sent it (device id) and who ran it there.
    pub device_id: String,
    pub actor_id: String,
    pub name: String,
    pub args: serde_json::Value,
    pub code: String,
    /// The rejection in the pushing desk's language.
    pub message: String,
    /// The rejection in every language the product speaks, so each desk of the store shows it
    /// in its own (None in records written before it existed: `message` is shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Messages>,
    /// e.g. `{"taken_by": [appointment ids]}` for `slot_conflict`.
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
    /// When the desk ran it and when the server rejected it.
    pub created_at: DateTime<Utc>,
    pub rejected_at: DateTime<Utc>,
    pub server_seq: i64,
    /// Set once a desk resolved it (by whom, how, when).
    #[serde(default)]
    pub resolution: Option<ConflictResolution>,
}

/// One text in Simplified Chinese, Traditional Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Messages {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    #[serde(rename = "zh-TW")]
    pub zh_tw: String,
    pub en: String,
}

impl Messages {
    /// Each language's text from `text`.
    pub fn all(text: impl Fn(crate::Lang) -> String) -> Messages {
        Messages { zh_cn: text(crate::Lang::ZhCn), zh_tw: text(crate::Lang::ZhTw), en: text(crate::Lang::En) }
    }

    pub fn get(&self, lang: crate::Lang) -> &str {
        lang.pick(&self.zh_cn, &self.zh_tw, &self.en)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictResolution {
    pub by: Id,
    pub how: String,
    pub at: DateTime<Utc>,
}
