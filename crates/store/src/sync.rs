//! The desk's half of offline sync (SYNC.md): the outbox as pushed, the server's answers
//! recorded, the server's changes applied, and the pending commands rebased on them.
//!
//! How the desk keeps its promises:
//! - **Nothing pending is discarded.** A command stays `pending` until the server gives it an
//!   outcome; `unknown` (a newer app's command) keeps it pending.
//! - **A pulled change older than the row is ignored**: `sync_rows` holds the server_seq each
//!   row was last applied at, so a page applied twice changes nothing.
//! - **Rebase**: every row a pending command touched has a *base* in `sync_base` (the row
//!   before the first pending command, or as the server sent it since; `NULL` when the command
//!   created it). A pull page undoes the local commands (restores the bases), applies the
//!   server's changes (which also become the new bases), and re-runs each pending command with
//!   the same handler and the same `Ctx` (stored with the outbox row). A command whose re-run
//!   is refused keeps its earlier effects on the desk, its code stored as `predicted`, and its
//!   appointments marked `attention` at once; it is still pushed.
//! - **A rejected command** keeps its effects on the desk, marked `attention`, until its
//!   conflict is resolved (on any desk of the store); then its rows return to the server's.
//! - An appointment's `sync_state` is derived from the outbox: `attention` when a command on
//!   it is rejected and unresolved or predicted to be, `pending` when a command on it awaits
//!   the server, else `confirmed`.
//!
//! A page is applied in one transaction with foreign keys off: a snapshot arrives in the
//! server's order (a department may come before its store), and the server's data is whole
//! once the snapshot ends.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use clinicdesk_domain::commands::{handle, Command, Ctx};
use clinicdesk_domain::model::{Id, Store};
use clinicdesk_domain::roles::Actor;
use clinicdesk_domain::sync::{ConflictRecord, Cursor, PullResponse, PushResponse, PushStatus, PushedCommand};
use clinicdesk_domain::world::{Change, Effects};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, Row, SqliteConnection};

use crate::load::Loader;
use crate::rows;
use crate::{from_ts, id_str, parse_id, ts, write, LocalStore, StoreError};

/// The entity kinds of pulled changes (the server's, plus `conflict`).
pub use crate::rows::kind;

type Conn = SqliteConnection;

const META_EPOCH: &str = "sync.epoch";
const META_CURSOR: &str = "sync.cursor";
const META_SNAPSHOT: &str = "sync.snapshot";
const META_LAST_SYNC: &str = "sync.last_sync_at";
const META_RESEND: &str = "sync.resend_from";
const META_RESTORED: &str = "sync.restored_from_backup";

/// The server_seq of a pulled row a snapshot under way has not brought again yet.
const STALE: i64 = -1;

/// Where this desk stands with the server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncMeta {
    /// The server epoch the cursor belongs to; None before the first pull.
    pub epoch: Option<String>,
    /// Pass as `after` in the next pull; None: start a snapshot.
    pub cursor: Option<Cursor>,
    /// Set while a snapshot is under way (resumed from `cursor` after a crash or an outage).
    pub snapshot: Option<SnapshotProgress>,
    /// The server's clock at the end of the last complete sync.
    pub last_sync_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotProgress {
    /// Changes received so far.
    pub done: i64,
    /// Rows in the snapshot, as the server counted them on its first page.
    pub total: Option<i64>,
}

/// What [`LocalStore::record_push`] recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRecorded {
    pub applied: usize,
    pub rejected: usize,
    /// Commands the server does not know yet: they stay pending.
    pub unknown: usize,
    /// Answers the server had given before (a lost acknowledgement, or a resend).
    pub replayed: usize,
    /// The answer came from another server epoch than the desk's cursor (a restore).
    pub epoch_changed: bool,
}

/// What [`LocalStore::apply_pull`] did with one page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullApplied {
    /// Changes written.
    pub applied: usize,
    /// Changes not newer than the desk's row, or of a kind this desk does not keep.
    pub skipped: usize,
    /// Conflicts this desk had not seen.
    pub conflicts_new: usize,
    /// Local commands re-run on top of the page (pending, and rejected ones kept for attention).
    pub rebased: usize,
    /// Pending commands now predicted to be rejected.
    pub predicted: usize,
    /// Rows pulled before that a finished snapshot did not bring again (the server lost them
    /// in a restore): removed from the desk.
    pub removed: usize,
}

/// One command in the "sync details" view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncDetail {
    pub device_seq: i64,
    pub mutation_id: Id,
    /// `booking.create@1` …
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// `pending`, `applied`, `applied_with_warning`, `rejected`, or `unknown` (pending: the
    /// server does not know this command yet).
    pub status: String,
    /// The server's rejection code or warnings.
    pub code: Option<String>,
    /// The server's message, in the language of the push.
    pub message: Option<String>,
    /// The rejection the desk predicts for it (a pending command), or predicted before the
    /// server answered.
    pub predicted: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// A rejected command whose conflict was resolved.
    pub resolved: bool,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

async fn meta_get(conn: &mut Conn, key: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = ?").bind(key).fetch_optional(&mut *conn).await?;
    Ok(row.map(|r| r.0))
}

async fn meta_set(conn: &mut Conn, key: &str, value: Option<&str>) -> Result<(), StoreError> {
    match value {
        Some(v) => {
            sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                .bind(key)
                .bind(v)
                .execute(&mut *conn)
                .await?
        }
        None => sqlx::query("DELETE FROM meta WHERE key = ?").bind(key).execute(&mut *conn).await?,
    };
    Ok(())
}

// ---- used by `execute` -------------------------------------------------------------------

/// Saves, for each row the effects write that no pending command touched yet, the row as it
/// is now (its base).
pub(crate) async fn save_bases(conn: &mut Conn, fx: &Effects) -> Result<(), StoreError> {
    for (kind, id) in rows::keys_of(fx) {
        let have: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM sync_base WHERE kind = ? AND id = ?").bind(kind).bind(&id).fetch_optional(&mut *conn).await?;
        if have.is_none() {
            let data = rows::read_doc(conn, kind, &id).await?;
            sqlx::query("INSERT INTO sync_base (kind, id, data) VALUES (?, ?, ?)")
                .bind(kind)
                .bind(&id)
                .bind(data.map(|d| d.to_string()))
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Notes the rows a command's effects touched.
pub(crate) async fn note_rows(conn: &mut Conn, device_seq: i64, fx: &Effects) -> Result<(), StoreError> {
    for (kind, id) in rows::keys_of(fx) {
        sqlx::query("INSERT OR IGNORE INTO outbox_rows (device_seq, kind, id) VALUES (?, ?, ?)")
            .bind(device_seq)
            .bind(kind)
            .bind(&id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(crate) fn appointment_ids(fx: &Effects) -> Vec<String> {
    rows::keys_of(fx).into_iter().filter(|(k, _)| *k == kind::APPOINTMENT).map(|(_, id)| id).collect()
}

/// Derives the sync_state of these appointments from the outbox.
pub(crate) async fn refresh_sync_state(conn: &mut Conn, ids: &[String]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE appointments SET sync_state = CASE
           WHEN EXISTS (SELECT 1 FROM outbox_rows r JOIN outbox o ON o.device_seq = r.device_seq
                        WHERE r.kind = 'appointment' AND r.id = appointments.id
                          AND ((o.status = 'pending' AND o.predicted IS NOT NULL) OR (o.status = 'rejected' AND o.resolved_at IS NULL)))
             THEN 'attention'
           WHEN EXISTS (SELECT 1 FROM outbox_rows r JOIN outbox o ON o.device_seq = r.device_seq
                        WHERE r.kind = 'appointment' AND r.id = appointments.id AND o.status = 'pending')
             THEN 'pending'
           ELSE 'confirmed' END
         WHERE id IN (SELECT value FROM json_each(?))",
    )
    .bind(serde_json::to_string(ids).expect("json"))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Drops the bases no pending or unresolved rejected command needs any more.
async fn prune_bases(conn: &mut Conn) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM sync_base WHERE NOT EXISTS (SELECT 1 FROM outbox_rows r WHERE r.kind = sync_base.kind AND r.id = sync_base.id)",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The server applied a command that was the oldest pending one: a base still needed by a
/// later command moves past it (the row as the command wrote it).
async fn advance_bases(conn: &mut Conn, fx: &Effects) -> Result<(), StoreError> {
    for change in &fx.changes {
        let ((kind, id), row) = rows::change_doc(change);
        let base: Option<(Option<String>,)> =
            sqlx::query_as("SELECT data FROM sync_base WHERE kind = ? AND id = ?").bind(kind).bind(&id).fetch_optional(&mut *conn).await?;
        let Some((base,)) = base else { continue };
        let row = match (row, change) {
            (Some(row), _) => Some(row.to_string()),
            (None, Change::StoreSettings { settings, .. }) => match base {
                Some(b) => {
                    let mut store: Store = serde_json::from_str(&b).map_err(corrupt)?;
                    store.settings = settings.clone();
                    Some(serde_json::to_string(&store).expect("json"))
                }
                None => None,
            },
            (None, _) => None,
        };
        sqlx::query("UPDATE sync_base SET data = ? WHERE kind = ? AND id = ?").bind(row).bind(kind).bind(&id).execute(&mut *conn).await?;
    }
    Ok(())
}

/// An outbox command that a rebase re-runs (pending) or keeps (rejected, unresolved).
struct Active {
    device_seq: i64,
    mutation_id: Id,
    name: String,
    args: serde_json::Value,
    actor: Actor,
    created_at: i64,
    status: String,
    effects: Option<Effects>,
    ctx: Option<Ctx>,
}

async fn active_commands(conn: &mut Conn) -> Result<Vec<Active>, StoreError> {
    let rows = sqlx::query(
        "SELECT device_seq, mutation_id, name, args, actor, created_at, status, effects, ctx FROM outbox
         WHERE status = 'pending' OR (status = 'rejected' AND resolved_at IS NULL) ORDER BY device_seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Active {
                device_seq: r.try_get("device_seq")?,
                mutation_id: parse_id(r.try_get("mutation_id")?)?,
                name: r.try_get("name")?,
                args: serde_json::from_str(r.try_get("args")?).map_err(corrupt)?,
                actor: serde_json::from_str(r.try_get("actor")?).map_err(corrupt)?,
                created_at: r.try_get("created_at")?,
                status: r.try_get("status")?,
                effects: r.try_get::<Option<String>, _>("effects")?.map(|e| serde_json::from_str(&e)).transpose().map_err(corrupt)?,
                ctx: r.try_get::<Option<String>, _>("ctx")?.map(|c| serde_json::from_str(&c)).transpose().map_err(corrupt)?,
            })
        })
        .collect()
}

async fn savepoint(conn: &mut Conn, sql: &str) -> Result<(), StoreError> {
    sqlx::query(sql).execute(&mut *conn).await?;
    Ok(())
}

/// Writes a command's stored effects again, each row in its own savepoint: a row the database
/// refuses now (the server's refund of the same fee) is left out.
async fn force_effects(conn: &mut Conn, device_seq: i64, fx: &Effects) -> Result<(), StoreError> {
    save_bases(conn, fx).await?;
    for change in &fx.changes {
        savepoint(conn, "SAVEPOINT force_row").await?;
        match rows::force_change(conn, change).await {
            Ok(()) => savepoint(conn, "RELEASE force_row").await?,
            Err(e) => {
                tracing::debug!(code = e.code(), device_seq, "a kept row of a refused command is left out");
                savepoint(conn, "ROLLBACK TO force_row").await?;
                savepoint(conn, "RELEASE force_row").await?;
            }
        }
    }
    for h in &fx.history {
        rows::force_history(conn, h).await?;
    }
    for a in &fx.eye_audit {
        rows::force_audit(conn, a).await?;
    }
    note_rows(conn, device_seq, fx).await
}

/// True when pulled rows show the server already applied this command (its acknowledgement
/// was lost): history and audit lines and recall outcomes are keyed by the command's id.
async fn server_applied(conn: &mut Conn, mutation_id: Id) -> Result<bool, StoreError> {
    let m = id_str(mutation_id);
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM sync_rows WHERE (kind IN ('history', 'eye_exam_audit') AND id > ?1 || '/' AND id < ?1 || '0')
            OR (kind = 'recall_outcome' AND id = ?1) LIMIT 1",
    )
    .bind(m)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// The code of the server's rejection of this command, when its conflict was pulled.
async fn server_rejected(conn: &mut Conn, mutation_id: Id) -> Result<Option<String>, StoreError> {
    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT json_extract(data, '$.code') FROM conflicts WHERE id = ?")
        .bind(id_str(mutation_id))
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.and_then(|r| r.0))
}

/// The context to re-run a command with: the one stored with it, or for a command written
/// before the store kept it, the desk's identity and the command's time.
async fn ctx_of(conn: &mut Conn, a: &Active) -> Result<Option<Ctx>, StoreError> {
    if let Some(ctx) = &a.ctx {
        return Ok(Some(ctx.clone()));
    }
    let Some(device) = meta_get(conn, "device").await? else { return Ok(None) };
    let device: crate::Device = serde_json::from_str(&device).map_err(corrupt)?;
    Ok(Some(crate::exec::desk_ctx(&device, &a.actor, from_ts(a.created_at), a.mutation_id, a.device_seq)))
}

/// Re-runs one pending command on the current rows. Returns whether it is now predicted to
/// be rejected.
async fn redo(conn: &mut Conn, a: &Active, stored: &Effects) -> Result<bool, StoreError> {
    let set_predicted =
        |code: Option<String>| sqlx::query("UPDATE outbox SET predicted = ? WHERE device_seq = ?").bind(code).bind(a.device_seq);
    if let Some(code) = server_rejected(conn, a.mutation_id).await? {
        // The server rejected it already (its answer to this desk was lost): kept for attention.
        set_predicted(Some(code)).execute(&mut *conn).await?;
        force_effects(conn, a.device_seq, stored).await?;
        return Ok(true);
    }
    savepoint(conn, "SAVEPOINT redo").await?;
    let ran: Result<Effects, StoreError> = async {
        let command = Command::from_wire(&a.name, a.args.clone())?;
        let ctx = ctx_of(&mut *conn, a).await?.ok_or(StoreError::NotSetUp("no device"))?;
        let mut loader = Loader::new(&mut *conn);
        loader.for_command(&ctx.actor, &command).await?;
        let world = loader.world;
        let fx = handle(&world, &ctx, &command)?;
        save_bases(&mut *conn, &fx).await?;
        write::effects(&mut *conn, &fx, "pending").await?;
        Ok(fx)
    }
    .await;
    match ran {
        Ok(fx) => {
            savepoint(conn, "RELEASE redo").await?;
            sqlx::query("UPDATE outbox SET effects = ?, predicted = NULL WHERE device_seq = ?")
                .bind(serde_json::to_string(&fx).expect("json"))
                .bind(a.device_seq)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM outbox_rows WHERE device_seq = ?").bind(a.device_seq).execute(&mut *conn).await?;
            note_rows(conn, a.device_seq, &fx).await?;
            Ok(false)
        }
        Err(StoreError::Db(e)) if !matches!(e, sqlx::Error::Database(_)) => Err(StoreError::Db(e)),
        Err(e) => {
            savepoint(conn, "ROLLBACK TO redo").await?;
            savepoint(conn, "RELEASE redo").await?;
            if server_applied(conn, a.mutation_id).await? {
                // Refused only because the server's copy of its own rows is here already.
                set_predicted(None).execute(&mut *conn).await?;
                return Ok(false);
            }
            tracing::info!(code = e.code(), device_seq = a.device_seq, command = %a.name, "a pending command is predicted to be rejected");
            set_predicted(Some(e.code().to_string())).execute(&mut *conn).await?;
            force_effects(conn, a.device_seq, stored).await?;
            Ok(true)
        }
    }
}

/// One pulled change's key.
fn change_key(c: &clinicdesk_domain::sync::Change) -> (&str, &str) {
    (c.kind.as_str(), c.id.as_str())
}

/// The server_seq each of these rows was last applied at (rows the desk never pulled are
/// absent), in one statement.
async fn seen_seqs(conn: &mut Conn, changes: &[clinicdesk_domain::sync::Change]) -> Result<HashMap<(String, String), i64>, StoreError> {
    if changes.is_empty() {
        return Ok(HashMap::new());
    }
    let keys: Vec<(&str, &str)> = changes.iter().map(change_key).collect();
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT s.kind, s.id, s.server_seq FROM json_each(?) j
         JOIN sync_rows s ON s.kind = json_extract(j.value, '$[0]') AND s.id = json_extract(j.value, '$[1]')",
    )
    .bind(serde_json::to_string(&keys).expect("json"))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(k, i, s)| ((k, i), s)).collect())
}

/// Stores a pulled conflict. Returns whether it is new to this desk, and the appointments
/// whose attention ends because it was resolved.
async fn put_conflict(conn: &mut Conn, c: &clinicdesk_domain::sync::Change) -> Result<(bool, Vec<String>), StoreError> {
    let rec: ConflictRecord = serde_json::from_value(c.data.clone()).map_err(|e| corrupt(format!("conflict: {e}")))?;
    let existed: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM conflicts WHERE id = ?").bind(id_str(rec.id)).fetch_optional(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO conflicts (id, store_id, rejected_at, server_seq, resolved, data) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET store_id = excluded.store_id, rejected_at = excluded.rejected_at,
           server_seq = excluded.server_seq, resolved = excluded.resolved, data = excluded.data",
    )
    .bind(id_str(rec.id))
    .bind(id_str(rec.store_id))
    .bind(ts(rec.rejected_at))
    .bind(c.server_seq)
    .bind(rec.resolution.is_some() as i64)
    .bind(c.data.to_string())
    .execute(&mut *conn)
    .await?;
    let mut released = Vec::new();
    if let Some(res) = &rec.resolution {
        let seq: Option<(i64,)> = sqlx::query_as(
            "UPDATE outbox SET resolved_at = ? WHERE mutation_id = ? AND status = 'rejected' AND resolved_at IS NULL RETURNING device_seq",
        )
        .bind(ts(res.at))
        .bind(id_str(rec.id))
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((seq,)) = seq {
            let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM outbox_rows WHERE device_seq = ? AND kind = 'appointment'")
                .bind(seq)
                .fetch_all(&mut *conn)
                .await?;
            released = ids.into_iter().map(|r| r.0).collect();
            sqlx::query("DELETE FROM outbox_rows WHERE device_seq = ?").bind(seq).execute(&mut *conn).await?;
        }
    }
    Ok((existed.is_none(), released))
}

fn pushed(r: &sqlx::sqlite::SqliteRow) -> Result<PushedCommand, StoreError> {
    Ok(PushedCommand {
        device_seq: r.try_get("device_seq")?,
        mutation_id: parse_id(r.try_get("mutation_id")?)?,
        name: r.try_get("name")?,
        args: serde_json::from_str(r.try_get("args")?).map_err(corrupt)?,
        payload_hash: r.try_get("payload_hash")?,
        created_at: from_ts(r.try_get("created_at")?),
        actor_staff_id: serde_json::from_str::<Actor>(r.try_get("actor")?).ok().and_then(|a| match a {
            Actor::Staff { staff_id, .. } => Some(staff_id),
            _ => None,
        }),
    })
}

impl LocalStore {
    /// The oldest `limit` commands still waiting for the server's answer, in device order
    /// (contiguous: every command before them has an outcome).
    pub async fn pending_commands(&self, limit: usize) -> Result<Vec<PushedCommand>, StoreError> {
        let rows = sqlx::query(
            "SELECT device_seq, mutation_id, name, args, payload_hash, created_at, actor FROM outbox
             WHERE status = 'pending' ORDER BY device_seq LIMIT ?",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(pushed).collect()
    }

    /// Up to `limit` commands from `device_seq` on, whatever their status: what a desk pushes
    /// again after the server was restored from a backup (it answers those it has).
    pub async fn commands_from(&self, device_seq: i64, limit: usize) -> Result<Vec<PushedCommand>, StoreError> {
        let rows = sqlx::query(
            "SELECT device_seq, mutation_id, name, args, payload_hash, created_at, actor FROM outbox
             WHERE device_seq >= ? ORDER BY device_seq LIMIT ?",
        )
        .bind(device_seq)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(pushed).collect()
    }

    /// The first command acknowledged within `window` before the newest acknowledgement:
    /// where a resend after an epoch change starts. None: nothing was acknowledged.
    pub async fn resend_start(&self, window: chrono::Duration) -> Result<Option<i64>, StoreError> {
        let (first,): (Option<i64>,) = sqlx::query_as(
            "SELECT MIN(device_seq) FROM outbox
             WHERE acknowledged_at >= (SELECT MAX(acknowledged_at) FROM outbox) - ?",
        )
        .bind(window.num_seconds())
        .fetch_one(&self.pool)
        .await?;
        Ok(first)
    }

    /// Where an unfinished resend after a server restore goes on (SYNC.md §4): set when the
    /// desk notices the restore and moved on as answers are recorded, so a lost answer to a
    /// resent command is asked for again at the next round. None: no resend under way.
    pub async fn resend_from(&self) -> Result<Option<i64>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(meta_get(&mut conn, META_RESEND).await?.and_then(|v| v.parse().ok()))
    }

    /// Sets (or, with None, ends) the resend position of [`Self::resend_from`].
    pub async fn set_resend_from(&self, device_seq: Option<i64>) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        meta_set(&mut conn, META_RESEND, device_seq.map(|n| n.to_string()).as_deref()).await
    }

    /// Notes that this database was just put back from a backup (`clinicdesk --restore`): the
    /// server may hold commands of this desk the backup lacks, so device numbers the desk hands
    /// out next may already be taken there (see [`Self::renumber_pending_after`]).
    pub async fn note_restored_from_backup(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        meta_set(&mut conn, META_RESTORED, Some("1")).await
    }

    /// True from [`Self::note_restored_from_backup`] until a push went through.
    pub async fn restored_from_backup(&self) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(meta_get(&mut conn, META_RESTORED).await?.is_some())
    }

    /// Ends the restored state once the server took this desk's commands again.
    /// Reads first: a desk that was not restored (nearly always) writes nothing, so a push
    /// costs no extra commit.
    pub async fn clear_restored_from_backup(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        if meta_get(&mut conn, META_RESTORED).await?.is_none() {
            return Ok(());
        }
        meta_set(&mut conn, META_RESTORED, None).await
    }

    /// After a restore from a backup the server holds this desk's commands up to
    /// `server_last`, some of which the backup lacks: the pending commands are moved to the
    /// device numbers after it (in order, one transaction), with the serial their slips are
    /// numbered from, so nothing is sent under a number the server gave another command. The
    /// rows the server has come back with the next pull. Returns how many were moved.
    pub async fn renumber_pending_after(&self, server_last: i64) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (first,): (Option<i64>,) =
            sqlx::query_as("SELECT MIN(device_seq) FROM outbox WHERE status = 'pending'").fetch_one(&mut *tx).await?;
        let Some(first) = first.filter(|f| *f <= server_last) else { return Ok(0) };
        let shift = server_last - first + 1;
        let later: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE device_seq >= ? AND status <> 'pending'")
            .bind(first)
            .fetch_one(&mut *tx)
            .await?;
        if later.0 > 0 {
            return Err(corrupt("answered commands after the first pending one: not a restore from a backup"));
        }
        let device: Option<crate::Device> =
            meta_get(&mut tx, "device").await?.map(|d| serde_json::from_str(&d)).transpose().map_err(corrupt)?;
        // Through numbers far above any real one, so no two rows share a number on the way; the
        // outbox_rows → outbox references are checked at commit.
        const APART: i64 = 1 << 40;
        sqlx::query("PRAGMA defer_foreign_keys = ON").execute(&mut *tx).await?;
        for table in ["outbox", "outbox_rows"] {
            sqlx::query(&format!("UPDATE {table} SET device_seq = device_seq + ? WHERE device_seq >= ?"))
                .bind(shift + APART)
                .bind(first)
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!("UPDATE {table} SET device_seq = device_seq - ? WHERE device_seq >= ?"))
                .bind(APART)
                .bind(APART)
                .execute(&mut *tx)
                .await?;
        }
        let moved: Vec<(i64, Option<String>)> =
            sqlx::query_as("SELECT device_seq, ctx FROM outbox WHERE device_seq >= ? ORDER BY device_seq")
                .bind(first + shift)
                .fetch_all(&mut *tx)
                .await?;
        for (seq, ctx) in &moved {
            let (Some(ctx), Some(device)) = (ctx, &device) else { continue };
            let mut ctx: Ctx = serde_json::from_str(ctx).map_err(corrupt)?;
            ctx.serial = crate::exec::desk_ctx(device, &ctx.actor, ctx.now, ctx.mutation_id, *seq).serial;
            sqlx::query("UPDATE outbox SET ctx = ? WHERE device_seq = ?")
                .bind(serde_json::to_string(&ctx).expect("json"))
                .bind(seq)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        tracing::warn!(moved = moved.len(), from = first, to = first + shift, "pending commands renumbered after a restore from a backup");
        Ok(moved.len())
    }

    /// Records the server's answer to a push in one transaction: each command's status and
    /// outcome; appointments an applied command touched become `confirmed` unless another
    /// pending command touches them, a rejected command's become `attention`. An answer for
    /// a command this desk does not have (or with another mutation id) is refused whole.
    pub async fn record_push(&self, resp: &PushResponse) -> Result<PushRecorded, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let epoch = meta_get(&mut tx, META_EPOCH).await?;
        let mut out = PushRecorded { epoch_changed: epoch.is_some_and(|e| e != resp.epoch), ..Default::default() };
        let mut appointments = BTreeSet::new();
        for r in &resp.results {
            let row: Option<(String, String, Option<String>)> =
                sqlx::query_as("SELECT mutation_id, status, effects FROM outbox WHERE device_seq = ?")
                    .bind(r.device_seq)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((mutation_id, status, effects)) = row else {
                return Err(corrupt(format!("the server answered for device_seq {}, which this desk never made", r.device_seq)));
            };
            if parse_id(&mutation_id)? != r.mutation_id {
                return Err(corrupt(format!("the server answered device_seq {} with another command's id", r.device_seq)));
            }
            let fx: Option<Effects> = effects.map(|e| serde_json::from_str(&e)).transpose().map_err(corrupt)?;
            let outcome = serde_json::to_string(r).expect("json");
            let update = "UPDATE outbox SET status = ?, outcome = ?, acknowledged_at = ?, server_seq = ? WHERE device_seq = ?";
            let new_status = match r.status {
                PushStatus::Unknown => None,
                PushStatus::Applied => Some("applied"),
                PushStatus::AppliedWithWarning => Some("applied_with_warning"),
                PushStatus::Rejected => Some("rejected"),
            };
            match (r.status, new_status) {
                (PushStatus::Unknown, _) | (_, None) => {
                    out.unknown += 1;
                    sqlx::query("UPDATE outbox SET outcome = ? WHERE device_seq = ?")
                        .bind(&outcome)
                        .bind(r.device_seq)
                        .execute(&mut *tx)
                        .await?;
                }
                (PushStatus::Rejected, Some(s)) => {
                    out.rejected += 1;
                    sqlx::query(update)
                        .bind(s)
                        .bind(&outcome)
                        .bind(ts(resp.server_time))
                        .bind(r.server_seq)
                        .bind(r.device_seq)
                        .execute(&mut *tx)
                        .await?;
                    if let Some(fx) = &fx {
                        note_rows(&mut tx, r.device_seq, fx).await?;
                    }
                }
                (_, Some(s)) => {
                    out.applied += 1;
                    sqlx::query(update)
                        .bind(s)
                        .bind(&outcome)
                        .bind(ts(resp.server_time))
                        .bind(r.server_seq)
                        .bind(r.device_seq)
                        .execute(&mut *tx)
                        .await?;
                    if let (Some(fx), "pending") = (&fx, status.as_str()) {
                        advance_bases(&mut tx, fx).await?;
                    }
                    sqlx::query("DELETE FROM outbox_rows WHERE device_seq = ?").bind(r.device_seq).execute(&mut *tx).await?;
                }
            }
            if r.replayed {
                out.replayed += 1;
            }
            if let Some(fx) = &fx {
                appointments.extend(appointment_ids(fx));
            }
        }
        refresh_sync_state(&mut tx, &appointments.into_iter().collect::<Vec<_>>()).await?;
        prune_bases(&mut tx).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Applies one page of the server's changes in one transaction, with the cursor and epoch
    /// it moves to: each change into its table (one not newer than the desk's row is skipped),
    /// conflicts into the conflict inbox; then the pending commands are rebased on it. The
    /// caller handles `epoch_changed` and `snapshot_required` first ([`Self::begin_snapshot`]).
    pub async fn apply_pull(&self, page: &PullResponse) -> Result<PullApplied, StoreError> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut *conn).await?;
        let result = apply_page(&mut conn, page).await;
        let restored = sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await;
        if result.is_err() || restored.is_err() {
            // Never hand a connection without foreign keys back to the pool.
            conn.close_on_drop();
        }
        restored?;
        result
    }

    /// Starts a snapshot (first sync, a new server epoch, or a cursor older than the server
    /// keeps): forgets the cursor and marks every row pulled before as stale (server_seq
    /// -1), so the snapshot's rows replace the desk's, and the rows the snapshot does not
    /// bring again (the server lost them in a restore) leave the desk when it ends. Pending
    /// commands are kept (and rebased as the pages arrive).
    pub async fn begin_snapshot(&self, epoch: Option<&str>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("UPDATE sync_rows SET server_seq = ?").bind(STALE).execute(&mut *tx).await?;
        meta_set(&mut tx, META_EPOCH, epoch).await?;
        meta_set(&mut tx, META_CURSOR, None).await?;
        let progress = serde_json::to_string(&SnapshotProgress::default()).expect("json");
        meta_set(&mut tx, META_SNAPSHOT, Some(&progress)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The epoch, cursor and snapshot progress.
    pub async fn sync_meta(&self) -> Result<SyncMeta, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let epoch = meta_get(&mut conn, META_EPOCH).await?;
        let cursor = meta_get(&mut conn, META_CURSOR).await?.map(|c| serde_json::from_str(&c)).transpose().map_err(corrupt)?;
        let snapshot = meta_get(&mut conn, META_SNAPSHOT).await?.map(|c| serde_json::from_str(&c)).transpose().map_err(corrupt)?;
        let last_sync_at = meta_get(&mut conn, META_LAST_SYNC).await?.and_then(|s| s.parse().ok()).map(from_ts);
        Ok(SyncMeta { epoch, cursor, snapshot, last_sync_at })
    }

    /// Notes a complete sync (push and pull to the end) at the server's time.
    pub async fn mark_synced(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        meta_set(&mut conn, META_LAST_SYNC, Some(&ts(at).to_string())).await
    }

    /// Commands waiting for the server's answer.
    pub async fn pending_count(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetch_one(&self.pool).await?;
        Ok(n)
    }

    /// Commands that need someone's attention: rejected and unresolved, or pending and
    /// predicted to be rejected.
    pub async fn attention_count(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM outbox WHERE (status = 'pending' AND predicted IS NOT NULL) OR (status = 'rejected' AND resolved_at IS NULL)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    /// The newest `limit` commands with their outcomes, newest first.
    pub async fn sync_details(&self, limit: usize) -> Result<Vec<SyncDetail>, StoreError> {
        let rows = sqlx::query(
            "SELECT device_seq, mutation_id, name, created_at, status, outcome, predicted, acknowledged_at, resolved_at
             FROM outbox ORDER BY device_seq DESC LIMIT ?",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let outcome: Option<serde_json::Value> =
                    r.try_get::<Option<String>, _>("outcome")?.map(|o| serde_json::from_str(&o)).transpose().map_err(corrupt)?;
                let field = |k: &str| outcome.as_ref().and_then(|o| o.get(k)).and_then(|v| v.as_str()).map(str::to_string);
                let mut status: String = r.try_get("status")?;
                if status == "pending" && field("status").as_deref() == Some("unknown") {
                    status = "unknown".into();
                }
                Ok(SyncDetail {
                    device_seq: r.try_get("device_seq")?,
                    mutation_id: parse_id(r.try_get("mutation_id")?)?,
                    name: r.try_get("name")?,
                    created_at: from_ts(r.try_get("created_at")?),
                    status,
                    code: field("code"),
                    message: field("message"),
                    predicted: r.try_get("predicted")?,
                    acknowledged_at: r.try_get::<Option<i64>, _>("acknowledged_at")?.map(from_ts),
                    resolved: r.try_get::<Option<i64>, _>("resolved_at")?.is_some(),
                })
            })
            .collect()
    }

    /// The conflicts of a store (every desk's rejected commands), newest first.
    pub async fn conflicts(&self, store_id: Id) -> Result<Vec<ConflictRecord>, StoreError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT data FROM conflicts WHERE store_id = ? ORDER BY rejected_at DESC, server_seq DESC")
                .bind(id_str(store_id))
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|(d,)| serde_json::from_str(d).map_err(corrupt)).collect()
    }

    /// The desk database's schema version (its newest migration), sent with every request.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let (v,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1").fetch_one(&self.pool).await?;
        Ok(v.unwrap_or(0))
    }
}

async fn apply_page(conn: &mut Conn, page: &PullResponse) -> Result<PullApplied, StoreError> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let mut out = PullApplied::default();
    let mut appointments: BTreeSet<String> = BTreeSet::new();

    // Which changes are newer than the desk's rows: only those make a rebase worth it. (A
    // page holds each row once: the server sends current versions.)
    let seen = seen_seqs(&mut tx, &page.changes).await?;
    let mut fresh = Vec::with_capacity(page.changes.len());
    for c in &page.changes {
        let (kind, id) = change_key(c);
        match seen.get(&(kind.to_string(), id.to_string())) {
            Some(&seen) if seen >= c.server_seq => out.skipped += 1,
            _ => fresh.push(c),
        }
    }
    // The last page of a snapshot: the rows pulled before that it did not bring again are
    // gone from the server (a restore lost them) and leave the desk too.
    let finishing = !page.has_more && meta_get(&mut tx, META_SNAPSHOT).await?.is_some();
    let gone: Vec<(String, String)> = if finishing {
        let stale: Vec<(String, String)> =
            sqlx::query_as("SELECT kind, id FROM sync_rows WHERE server_seq = ?").bind(STALE).fetch_all(&mut *tx).await?;
        let here: HashSet<(&str, &str)> = page.changes.iter().map(change_key).collect();
        stale.into_iter().filter(|(k, i)| !here.contains(&(k.as_str(), i.as_str()))).collect()
    } else {
        Vec::new()
    };
    let active = if fresh.is_empty() && gone.is_empty() { Vec::new() } else { active_commands(&mut tx).await? };
    let rebase = !active.is_empty();

    if rebase {
        // Undo: every row a local command touched back to its base.
        let bases: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT kind, id, data FROM sync_base").fetch_all(&mut *tx).await?;
        for (kind, id, data) in &bases {
            match data {
                Some(d) => {
                    rows::apply_doc(&mut tx, kind, id, &serde_json::from_str(d).map_err(corrupt)?).await?;
                }
                None => rows::delete_doc(&mut tx, kind, id).await?,
            }
            if kind == kind::APPOINTMENT {
                appointments.insert(id.clone());
            }
        }
    }

    // The rows with local work on them (few): the server's row becomes their new base.
    let based: HashSet<(String, String)> =
        sqlx::query_as("SELECT kind, id FROM sync_base").fetch_all(&mut *tx).await?.into_iter().collect();
    // Patients first, all at once (the appointments written after them read their names).
    let patients: Vec<&serde_json::Value> = fresh.iter().filter(|c| c.kind == kind::PATIENT).map(|c| &c.data).collect();
    rows::apply_patients(&mut tx, &patients).await?;
    out.applied += patients.len();
    for c in &fresh {
        let (kind, id) = change_key(c);
        let written = if kind == kind::PATIENT {
            true
        } else if kind == kind::CONFLICT {
            let (new, released) = put_conflict(&mut tx, c).await?;
            out.conflicts_new += new as usize;
            out.applied += 1;
            appointments.extend(released);
            false
        } else if rows::apply_doc(&mut tx, kind, id, &c.data).await? {
            out.applied += 1;
            if kind == kind::APPOINTMENT {
                appointments.insert(id.to_string());
            }
            true
        } else {
            tracing::debug!(kind, "a change of a kind this desk does not keep is skipped");
            out.skipped += 1;
            false
        };
        if written && based.contains(&(kind.to_string(), id.to_string())) {
            // The server's row is the new base of a row with local work on it.
            sqlx::query("UPDATE sync_base SET data = ? WHERE kind = ? AND id = ?")
                .bind(c.data.to_string())
                .bind(kind)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    // Where each row now stands, in one statement for the page.
    if !fresh.is_empty() {
        let marks: Vec<(&str, &str, i64)> = fresh.iter().map(|c| (c.kind.as_str(), c.id.as_str(), c.server_seq)).collect();
        sqlx::query(
            "INSERT INTO sync_rows (kind, id, server_seq)
             SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?) WHERE true
             ON CONFLICT(kind, id) DO UPDATE SET server_seq = excluded.server_seq",
        )
        .bind(serde_json::to_string(&marks).expect("json"))
        .execute(&mut *tx)
        .await?;
    }

    for (kind, id) in &gone {
        if kind == kind::CONFLICT {
            sqlx::query("DELETE FROM conflicts WHERE id = ?").bind(id).execute(&mut *tx).await?;
        } else {
            rows::delete_doc(&mut tx, kind, id).await?;
        }
        // A local command on it now starts from nothing the server has.
        sqlx::query("UPDATE sync_base SET data = NULL WHERE kind = ? AND id = ?").bind(kind).bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sync_rows WHERE kind = ? AND id = ?").bind(kind).bind(id).execute(&mut *tx).await?;
        if kind == kind::APPOINTMENT {
            appointments.insert(id.clone());
        }
    }
    out.removed = gone.len();

    if rebase {
        // Redo: the local commands again, in device order, on the server's rows. A conflict
        // resolved in this page is no longer kept.
        for a in active_commands(&mut tx).await? {
            let Some(stored) = &a.effects else {
                // Written before the store kept effects: left as it is.
                continue;
            };
            out.rebased += 1;
            if a.status == "rejected" {
                force_effects(&mut tx, a.device_seq, stored).await?;
            } else if redo(&mut tx, &a, stored).await? {
                out.predicted += 1;
            }
            let fx: Option<(Option<String>,)> =
                sqlx::query_as("SELECT effects FROM outbox WHERE device_seq = ?").bind(a.device_seq).fetch_optional(&mut *tx).await?;
            if let Some((Some(fx),)) = fx {
                let fx: Effects = serde_json::from_str(&fx).map_err(corrupt)?;
                appointments.extend(appointment_ids(&fx));
            }
        }
    }

    meta_set(&mut tx, META_EPOCH, Some(&page.epoch)).await?;
    if let Some(next) = &page.next {
        meta_set(&mut tx, META_CURSOR, Some(&serde_json::to_string(next).expect("json"))).await?;
    }
    if let Some(s) = meta_get(&mut tx, META_SNAPSHOT).await? {
        if page.has_more {
            let mut p: SnapshotProgress = serde_json::from_str(&s).map_err(corrupt)?;
            p.done += page.changes.len() as i64;
            if page.total.is_some() {
                p.total = page.total;
            }
            meta_set(&mut tx, META_SNAPSHOT, Some(&serde_json::to_string(&p).expect("json"))).await?;
        } else {
            meta_set(&mut tx, META_SNAPSHOT, None).await?;
        }
    }
    refresh_sync_state(&mut tx, &appointments.into_iter().collect::<Vec<_>>()).await?;
    prune_bases(&mut tx).await?;
    tx.commit().await?;
    Ok(out)
}
