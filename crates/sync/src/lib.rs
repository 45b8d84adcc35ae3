//! The desk's sync client (SYNC.md), free of Tauri: one round of sync is [`sync_once`] —
//! push the local outbox, then pull the server's changes into the [`LocalStore`] (which
//! rebases the pending commands on them). The desk app runs it in its background loop with an
//! [`HttpTransport`] and shows a [`SyncStatus`].
//!
//! ```no_run
//! # async fn example(store: clinicdesk_store::LocalStore, token: String) -> Result<(), Box<dyn std::error::Error>> {
//! use clinicdesk_sync::{sync_once, versions, HttpTransport, SyncStatus};
//! let transport = HttpTransport::new("http://127.0.0.1:8080", token, clinicdesk_domain::Lang::ZhCn)?;
//! let mut status = SyncStatus::load(&store).await?;
//! let result = sync_once(&store, &transport, versions(&store, "0.1.0").await?, &mut |p| status.progress = Some(p)).await;
//! status.record(&store, &result, chrono::Utc::now(), clinicdesk_domain::Lang::ZhCn).await?;
//! # Ok(()) }
//! ```
//!
//! What it relies on: the server answers a push for a prefix of the commands, in device
//! order, stopping at the first `unknown`; a pull page's `next` is where the next page starts,
//! also for a snapshot; a new `epoch` means the server's seqs start over (a restore), and so
//! does a `head_seq` behind the desk's cursor or a cursor whose commit mark the server does
//! not have (`epoch_changed` with the same epoch: a restore that kept it); a push whose first
//! command is past the server's log is refused with `device_seq_gap`. After a restore the
//! resend position and the snapshot are stored before anything is sent, so a round cut short
//! (an answer lost) resumes both, and a snapshot's end removes the rows the server lost.

mod account;
mod transport;

use chrono::{DateTime, Utc};
use clinicdesk_domain::sync::{PullRequest, PushRequest, Versions, MAX_PULL, MAX_PUSH, PROTOCOL_VERSION};
use clinicdesk_domain::Lang;
use clinicdesk_store::{LocalStore, StoreError};
use serde::{Deserialize, Serialize};

pub use account::{normalize_server_url, sign_in, ConnectError, Registered};
pub use transport::{HttpTransport, Transport, TransportError, HALT_CODES};

/// After a restore of the server (a new epoch), the commands acknowledged within this time
/// before the newest acknowledgement are pushed again; the server answers those it has. If it
/// misses older ones too (it says `device_seq_gap`), the whole outbox is pushed again.
pub const RESEND_WINDOW: chrono::Duration = chrono::Duration::days(7);

/// What one sync round is doing, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Push,
    /// Changes since the cursor: `done`/`total` count server_seqs up to the server's head.
    Pull,
    /// A snapshot (first sync, or after a restore): `done`/`total` count rows.
    Snapshot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub phase: Phase,
    pub done: i64,
    pub total: i64,
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Commands sent (a resend after a restore included).
    pub pushed: usize,
    /// Commands the server applied (with or without warnings), or had applied before.
    pub applied: usize,
    pub rejected: usize,
    /// Commands the server does not know yet: they wait in the outbox.
    pub unknown: usize,
    /// Answers the server had given before (lost acknowledgements, a resend).
    pub replayed: usize,
    /// Changes received.
    pub pulled: usize,
    /// Conflicts of this desk's store it had not seen.
    pub conflicts_new: usize,
    /// Pending commands predicted to be rejected after the last page.
    pub predicted: usize,
    /// The server's clock at the last push answer (for the clock warning).
    pub server_time: Option<DateTime<Utc>>,
}

/// Why a round stopped. What was done before it stays done (every step is its own
/// transaction); the next round goes on from there.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The server kept answering a pull with a new epoch.
    #[error("the server's epoch keeps changing")]
    EpochUnstable,
}

impl SyncError {
    /// A stable code: `offline`, the server's code, a store code, `epoch_unstable`.
    pub fn code(&self) -> String {
        match self {
            SyncError::Transport(e) => e.code().to_string(),
            SyncError::Store(e) => e.code().to_string(),
            SyncError::EpochUnstable => "epoch_unstable".into(),
        }
    }

    /// True when the desk could not reach the server (it works on offline).
    pub fn is_offline(&self) -> bool {
        matches!(self, SyncError::Transport(TransportError::Offline { .. }))
    }

    /// True when sync must stop until someone looks (SYNC.md §2: halt and alert, never delete).
    pub fn is_halt(&self) -> bool {
        matches!(self, SyncError::Transport(TransportError::Protocol { .. }))
    }

    /// What to tell the person at the desk.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            SyncError::Transport(TransportError::Offline { .. }) => lang
                .pick(
                    "无法连接服务器，本机离线工作，恢复连接后自动同步。",
                    "無法連線伺服器，本機離線工作，恢復連線後自動同步。",
                    "The server cannot be reached; this desk works offline and syncs when it is back.",
                )
                .into(),
            SyncError::Transport(TransportError::Server { message, .. }) if !message.is_empty() => message.clone(),
            SyncError::Transport(TransportError::Server { .. }) => lang
                .pick(
                    "服务器暂时无法处理同步，稍后自动重试。",
                    "伺服器暫時無法處理同步，稍後自動重試。",
                    "The server could not sync now; retrying later.",
                )
                .into(),
            SyncError::Transport(TransportError::Protocol { .. }) => lang
                .pick(
                    "同步已暂停：服务器与本机的操作记录不一致。本机数据均已保留，请联系 IT。",
                    "同步已暫停：伺服器與本機的操作記錄不一致。本機資料均已保留，請聯絡 IT。",
                    "Sync is halted: the server and this desk disagree about its commands. Nothing is lost; please call IT.",
                )
                .into(),
            SyncError::Store(e) => e.message(lang),
            SyncError::EpochUnstable => lang
                .pick("服务器正在恢复，稍后自动重试。", "伺服器正在復原，稍後自動重試。", "The server is being restored; retrying later.")
                .into(),
        }
    }
}

/// The versions to send: this protocol, the desk database's schema, the app's version.
pub async fn versions(store: &LocalStore, app_version: &str) -> Result<Versions, StoreError> {
    Ok(Versions { protocol: PROTOCOL_VERSION, schema: store.schema_version().await?, app: app_version.to_string() })
}

/// One round of sync: push every pending command (batches of [`MAX_PUSH`], until none is
/// left or the server does not know one), then pull pages until the server has no more,
/// taking a snapshot on first sync, after a restore (new epoch) or when the cursor is too old.
/// Each answer is recorded in its own transaction, so a round cut short anywhere resumes.
pub async fn sync_once(
    store: &LocalStore,
    transport: &impl Transport,
    versions: Versions,
    on_progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<SyncReport, SyncError> {
    let mut round = Round { store, versions, report: SyncReport::default(), resent: false };
    round.push_all(transport, on_progress).await?;
    round.pull_all(transport, on_progress).await?;
    if let Some(at) = round.report.server_time {
        store.mark_synced(at).await?;
    }
    Ok(round.report)
}

struct Round<'a> {
    store: &'a LocalStore,
    versions: Versions,
    report: SyncReport,
    /// The recently acknowledged commands were pushed again in this round.
    resent: bool,
}

impl Round<'_> {
    fn count(&mut self, sent: usize, rec: &clinicdesk_store::sync::PushRecorded) {
        self.report.pushed += sent;
        self.report.applied += rec.applied;
        self.report.rejected += rec.rejected;
        self.report.unknown += rec.unknown;
        self.report.replayed += rec.replayed;
    }

    async fn push_all(&mut self, transport: &impl Transport, on_progress: &mut (dyn FnMut(Progress) + Send)) -> Result<(), SyncError> {
        if self.store.resend_from().await?.is_some() {
            // A resend after a restore that an earlier round did not finish (an answer lost).
            self.resend(transport).await?;
        }
        let total = self.store.pending_count().await?;
        let mut done = 0;
        let mut batch = MAX_PUSH;
        let mut asked = false;
        let mut recovered = false;
        loop {
            let commands = self.store.pending_commands(batch).await?;
            if commands.is_empty() && asked {
                return Ok(());
            }
            // With nothing pending, one empty push still brings the server's clock and epoch.
            asked = true;
            on_progress(Progress { phase: Phase::Push, done, total });
            let sent = commands.len();
            match transport.push(PushRequest { versions: self.versions.clone(), commands }).await {
                Ok(resp) => {
                    self.report.server_time = Some(resp.server_time);
                    let rec = self.store.record_push(&resp).await?;
                    self.count(sent, &rec);
                    if resp.results.iter().any(|r| !r.replayed && r.status != clinicdesk_domain::sync::PushStatus::Unknown) {
                        // The server took a new command under the next free number: the numbers
                        // after it are this desk's again (a restore from a backup is behind it).
                        self.store.clear_restored_from_backup().await?;
                    }
                    done += (rec.applied + rec.rejected) as i64;
                    on_progress(Progress { phase: Phase::Push, done, total });
                    if rec.unknown > 0 || resp.results.is_empty() {
                        // The server does not know a command yet (it and later ones wait), or
                        // answered nothing: try again next round.
                        return Ok(());
                    }
                }
                Err(TransportError::Server { status: 413, .. }) if batch > 1 => batch = (batch / 2).max(1),
                Err(TransportError::Server { code, .. }) if code == "body_too_large" && batch > 1 => batch = (batch / 2).max(1),
                Err(TransportError::Protocol { code, .. })
                    if code == "device_seq_reused" && !recovered && self.store.restored_from_backup().await? =>
                {
                    // This desk's database came back from a backup: the server holds commands of
                    // it the backup lacks, under numbers the desk has handed out again.
                    recovered = true;
                    self.recover_restored_desk(transport).await?;
                }
                Err(TransportError::Protocol { code, .. }) if code == "device_seq_gap" && !self.resent => {
                    // The server misses commands it had acknowledged: it was restored from a backup.
                    let epoch = self.store.sync_meta().await?.epoch;
                    self.note_restore(epoch.as_deref()).await?;
                    self.resend(transport).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// After the desk's own database was restored from a backup: its pending commands are sent
    /// one at a time while the server knows them (their answers were lost with the newer
    /// database); the first one whose number the server gave another command, and all after
    /// it, move to the numbers after the server's last.
    async fn recover_restored_desk(&mut self, transport: &impl Transport) -> Result<(), SyncError> {
        loop {
            let one = self.store.pending_commands(1).await?;
            if one.is_empty() {
                return Ok(());
            }
            match transport.push(PushRequest { versions: self.versions.clone(), commands: one }).await {
                Ok(resp) => {
                    let rec = self.store.record_push(&resp).await?;
                    self.count(1, &rec);
                    if rec.unknown > 0 || resp.results.is_empty() {
                        return Ok(());
                    }
                }
                Err(TransportError::Protocol { code, .. }) if code == "device_seq_reused" => {
                    let last = transport.push(PushRequest { versions: self.versions.clone(), commands: Vec::new() }).await?.last_device_seq;
                    self.store.renumber_pending_after(last).await?;
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The server was restored from a backup (it misses acknowledged commands, or its
    /// history is not the one the cursor came from). Durably, before anything is sent: a
    /// resend of the recently acknowledged commands (unless one is under way) and a snapshot,
    /// so a round cut short resumes both.
    async fn note_restore(&mut self, epoch: Option<&str>) -> Result<(), SyncError> {
        if !self.resent && self.store.resend_from().await?.is_none() {
            let start = self.store.resend_start(RESEND_WINDOW).await?;
            self.store.set_resend_from(start).await?;
        }
        self.store.begin_snapshot(epoch).await?;
        Ok(())
    }

    /// Pushes the commands from the resend position on again (the recently acknowledged
    /// ones and everything after them); the server answers those it has from its log and
    /// applies those it lost. The position moves on with each recorded answer and is cleared
    /// at the end, so a lost answer is asked for again at the next round.
    async fn resend(&mut self, transport: &impl Transport) -> Result<(), SyncError> {
        self.resent = true;
        let Some(mut from) = self.store.resend_from().await? else { return Ok(()) };
        tracing::info!(from, "the server lost acknowledged commands of this desk: pushing them again");
        let mut from_start = false;
        loop {
            let commands = self.store.commands_from(from, MAX_PUSH).await?;
            let Some(last) = commands.last().map(|c| c.device_seq) else {
                self.store.set_resend_from(None).await?;
                return Ok(());
            };
            let sent = commands.len();
            match transport.push(PushRequest { versions: self.versions.clone(), commands }).await {
                Ok(resp) => {
                    self.report.server_time = Some(resp.server_time);
                    let rec = self.store.record_push(&resp).await?;
                    self.count(sent, &rec);
                    if rec.unknown > 0 {
                        // From here on everything is pending: the plain push takes over.
                        self.store.set_resend_from(None).await?;
                        return Ok(());
                    }
                    if resp.results.is_empty() {
                        return Ok(());
                    }
                    // The server holds outcomes up to last_device_seq: go on after it.
                    from = last.max(resp.last_device_seq) + 1;
                    self.store.set_resend_from(Some(from)).await?;
                }
                Err(TransportError::Protocol { code, .. }) if code == "device_seq_gap" && !from_start && from > 1 => {
                    from_start = true;
                    from = 1;
                    self.store.set_resend_from(Some(from)).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn pull_all(&mut self, transport: &impl Transport, on_progress: &mut (dyn FnMut(Progress) + Send)) -> Result<(), SyncError> {
        let mut restarts = 0;
        let start_seq = self.store.sync_meta().await?.cursor.map(|c| c.server_seq).unwrap_or(0);
        loop {
            let mut meta = self.store.sync_meta().await?;
            if meta.cursor.is_none() && meta.snapshot.is_none() {
                // First sync: a snapshot, resumable from the first page on.
                self.store.begin_snapshot(meta.epoch.as_deref()).await?;
                meta = self.store.sync_meta().await?;
            }
            let req =
                PullRequest { versions: self.versions.clone(), epoch: meta.epoch.clone(), after: meta.cursor.clone(), limit: MAX_PULL };
            let page = transport.pull(req).await?;
            // A server whose newest seq is behind the desk's cursor went back in time: it was
            // restored from a backup that kept its epoch.
            let went_back = meta.cursor.as_ref().is_some_and(|c| page.head_seq < c.server_seq);
            if (page.epoch_changed && meta.epoch.is_some()) || went_back {
                // The server was restored from a backup (or replaced): what it acknowledged
                // lately may be lost, and its seqs start over (with the same epoch or not:
                // the cursor's commit mark tells).
                tracing::info!("the server was restored: resending recent commands and taking a snapshot");
                restarts += 1;
                if restarts > 3 {
                    return Err(SyncError::EpochUnstable);
                }
                self.note_restore(Some(&page.epoch)).await?;
                if !self.resent {
                    self.resend(transport).await?;
                }
                continue;
            }
            if page.snapshot_required && meta.cursor.is_some() {
                // The desk was away longer than the server keeps its change log.
                restarts += 1;
                if restarts > 3 {
                    return Err(SyncError::EpochUnstable);
                }
                self.store.begin_snapshot(Some(&page.epoch)).await?;
                continue;
            }
            let applied = self.store.apply_pull(&page).await?;
            self.report.pulled += page.changes.len();
            self.report.conflicts_new += applied.conflicts_new;
            self.report.predicted = applied.predicted;
            let progress = match &meta.snapshot {
                Some(s) => {
                    let done = s.done + page.changes.len() as i64;
                    Progress { phase: Phase::Snapshot, done, total: page.total.or(s.total).unwrap_or(done).max(done) }
                }
                None => {
                    let at = page.next.as_ref().map(|c| c.server_seq).unwrap_or(page.head_seq);
                    Progress { phase: Phase::Pull, done: at - start_seq, total: (page.head_seq - start_seq).max(at - start_seq) }
                }
            };
            on_progress(progress);
            if !page.has_more {
                return Ok(());
            }
        }
    }
}

/// An error as the sync indicator shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncErrorInfo {
    pub code: String,
    pub message: String,
}

/// What the desk's sync indicator shows: online or not, how many commands wait, how many
/// need attention, when the desk last synced, the last error, a long sync's progress, and how
/// far the desk's clock is from the server's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// The last round reached the server.
    pub online: bool,
    /// Commands waiting for the server's answer.
    pub pending: i64,
    /// Commands rejected (conflict unresolved) or predicted to be.
    pub attention: i64,
    /// The server's time at the end of the last complete round.
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_error: Option<SyncErrorInfo>,
    /// Set by the progress callback while a round runs.
    pub progress: Option<Progress>,
    /// The server's clock minus the desk's, from the last push answer.
    pub clock_skew_secs: Option<i64>,
}

/// A desk clock further than this from the server's is warned about (SYNC.md: never blocking).
pub const CLOCK_WARNING_SECS: i64 = 120;

impl SyncStatus {
    /// The counts and the last sync time as the store has them (offline until a round ran).
    pub async fn load(store: &LocalStore) -> Result<SyncStatus, StoreError> {
        let mut s = SyncStatus::default();
        s.refresh(store).await?;
        Ok(s)
    }

    /// Reads the counts and the last sync time again (after a local command, say).
    pub async fn refresh(&mut self, store: &LocalStore) -> Result<(), StoreError> {
        self.pending = store.pending_count().await?;
        self.attention = store.attention_count().await?;
        self.last_sync_at = store.sync_meta().await?.last_sync_at;
        Ok(())
    }

    /// Folds in how a round ended, `local_now` being the desk's clock when it did.
    pub async fn record(
        &mut self,
        store: &LocalStore,
        result: &Result<SyncReport, SyncError>,
        local_now: DateTime<Utc>,
        lang: Lang,
    ) -> Result<(), StoreError> {
        self.progress = None;
        match result {
            Ok(report) => {
                self.online = true;
                self.last_error = None;
                if let Some(t) = report.server_time {
                    self.clock_skew_secs = Some((t - local_now).num_seconds());
                }
            }
            Err(e) => {
                self.online = !e.is_offline();
                self.last_error = Some(SyncErrorInfo { code: e.code(), message: e.message(lang) });
            }
        }
        self.refresh(store).await
    }

    /// True when the desk's clock is more than [`CLOCK_WARNING_SECS`] off the server's.
    pub fn clock_warning(&self) -> bool {
        self.clock_skew_secs.is_some_and(|s| s.abs() > CLOCK_WARNING_SECS)
    }
}
