//! The server half of offline sync (SYNC.md §2–4, §8): [`push`] applies a desk's outbox in
//! device order, exactly once; [`pull`] pages the rows in the desk's scope after a cursor.
//! The wire types are `clinicdesk_domain::sync`; `http.rs` serves both at
//! `POST /sync/v1/push` and `POST /sync/v1/pull`, and the simulator calls them directly.
//!
//! Push, for one signed-in device:
//! - the request is checked whole before anything is applied: versions, at most
//!   [`MAX_PUSH`] commands numbered contiguously, every payload hash recomputed
//!   (`clinicdesk_store::payload_hash`), the first device_seq at most one past the last one
//!   the server logged for this device (`device_seq_gap` otherwise), and against the log: a
//!   mutation id already logged must be this device's command at this device_seq with this
//!   payload (`mutation_id_reused` otherwise), a logged device_seq must carry its mutation
//!   id (`device_seq_reused` otherwise);
//! - commands already logged are answered from the log (`replayed: true`); the others are
//!   applied in device order (`writer::apply_sequence`: a transaction per chunk, a
//!   savepoint per command) with the desk's own origin and serial (`apply::DeskOrigin`), so
//!   the server computes what the desk computed (a desk-paid fee's refund right, receipt and
//!   slip numbers);
//! - a command whose name (or version) the server does not know, or whose arguments it
//!   cannot read, is answered `unknown` (code `unknown_command` / `invalid_payload`) and the
//!   push stops there: it and every later command stay in the desk's outbox;
//! - every rejection also writes a `conflict` document (apply.rs) that every desk of the
//!   store pulls.
//!
//! Pull: the device's chain only, rows shared by the chain (`store_id IS NULL`) and rows of
//! the device's store, in `(server_seq, kind, id)` order strictly after the cursor, keyset
//! paged on the index of migration 0004. `entities` holds only each row's current version,
//! stamped with the server_seq of its last change, so a page after any cursor is exactly
//! what changed since, and a snapshot (`after: None`) is the same scan from the start,
//! resumable from any page's `next`. Each `next` carries the random mark of the commit at
//! its seq (migration 0005): a cursor whose seq is past the head or whose mark differs comes
//! from a history the server lost (a restore from a backup, even one that kept the epoch)
//! and is answered `epoch_changed`, so the desk resends and takes a snapshot. The last page
//! moves the cursor to the head when no row of the scope is there (it keeps up with other
//! stores' commits). Nothing is ever pruned yet, so every cursor stays valid:
//! `snapshot_required` is true only when an operator sets the `server_meta` key
//! `retention_floor_seq` (for a future pruning of rows) above the cursor's server_seq.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use clinicdesk_domain::commands::Command;
use clinicdesk_domain::model::{Id, Staff, Store};
use clinicdesk_domain::roles::Actor;
use clinicdesk_domain::sync::{
    Change, Cursor, PullRequest, PullResponse, PushRequest, PushResponse, PushResult, PushStatus, PushedCommand, Versions, MAX_PULL,
    MAX_PUSH, PROTOCOL_VERSION,
};
use clinicdesk_domain::Lang;
use sqlx::AnyConnection;

use crate::apply::{self, payload_hash, CommandOutcome, DeskOrigin, LoggedRow, OutcomeKind, Principal, Submission, LOGGED_COLUMNS};
use crate::auth::DeviceAuth;
use crate::db::Db;
use crate::docs::{self, id_str, kind};
use crate::{pay, writer, ServerError};

/// Checks the versions every request carries. Protocol 1 is the only one so far; the
/// schema and app versions are logged (a later protocol may use them to decide what a
/// desk may be sent).
fn check_versions(v: &Versions) -> Result<(), ServerError> {
    if v.protocol != PROTOCOL_VERSION {
        return Err(ServerError::ProtocolUnsupported { got: v.protocol, supported: PROTOCOL_VERSION });
    }
    if v.app.trim().is_empty() || v.app.len() > 64 || v.schema < 0 {
        return Err(ServerError::InvalidRequest("versions: app (1–64 characters) and schema (≥ 0) are required".into()));
    }
    tracing::debug!(protocol = v.protocol, schema = v.schema, app = %v.app, "sync request");
    Ok(())
}

/// The request's own consistency: size, numbering, unique mutation ids, payload hashes.
fn check_shape(commands: &[PushedCommand]) -> Result<(), ServerError> {
    if commands.len() > MAX_PUSH {
        return Err(ServerError::InvalidRequest(format!("at most {MAX_PUSH} commands per push, got {}", commands.len())));
    }
    let mut ids = HashSet::with_capacity(commands.len());
    for (i, c) in commands.iter().enumerate() {
        if c.device_seq < 1 {
            return Err(ServerError::InvalidRequest("device_seq starts at 1".into()));
        }
        if i > 0 && c.device_seq != commands[i - 1].device_seq + 1 {
            return Err(ServerError::InvalidRequest(format!(
                "device_seq must increase by one within a push: {} follows {}",
                c.device_seq,
                commands[i - 1].device_seq
            )));
        }
        if !ids.insert(c.mutation_id) {
            return Err(ServerError::MutationReused);
        }
        if payload_hash(&c.name, &c.args) != c.payload_hash {
            return Err(ServerError::PayloadHashMismatch { device_seq: c.device_seq });
        }
    }
    Ok(())
}

/// The device as a principal that runs its pushed commands with its own origin and serial.
async fn desk_principal(conn: &mut AnyConnection, device: &DeviceAuth) -> Result<Principal, ServerError> {
    let store: Store = docs::get(conn, device.tenant_id, kind::STORE, &id_str(device.store_id))
        .await?
        .ok_or_else(|| ServerError::Corrupt("the device's store is missing".into()))?;
    let mut who = device.principal();
    who.desk = Some(DeskOrigin { device_code: DeskOrigin::device_code(device.device_id), store_code: store.code });
    Ok(who)
}

/// The staff member who ran a pushed command at the desk, as the server knows them: their
/// role from the server's record, acting in the device's store only. Several staff members
/// share a desk during a day; the desk authenticated each (its own sign-in), and the device
/// token vouches for the desk. Unknown here, or not working in the desk's store: None (the
/// command runs as the member who signed the desk in).
async fn acting_staff(
    db: &Db,
    device: &DeviceAuth,
    staff_id: Id,
    cache: &mut HashMap<Id, Option<(Actor, String)>>,
) -> Result<Option<(Actor, String)>, ServerError> {
    if let Some(hit) = cache.get(&staff_id) {
        return Ok(hit.clone());
    }
    let mut conn = db.pool().acquire().await?;
    let staff: Option<Staff> = docs::get(&mut conn, device.tenant_id, kind::STAFF, &id_str(staff_id)).await?;
    let acting = staff
        .filter(|s| s.store_ids.contains(&device.store_id))
        .map(|s| (Actor::Staff { staff_id: s.id, name: s.name.clone(), role: s.role, store_ids: vec![device.store_id] }, id_str(s.id)));
    cache.insert(staff_id, acting.clone());
    Ok(acting)
}

/// The highest device_seq logged for this device (0: none).
async fn last_device_seq(conn: &mut AnyConnection, device_id: &str) -> Result<i64, ServerError> {
    let (last,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(device_seq) FROM commands WHERE device_id = $1").bind(device_id).fetch_one(&mut *conn).await?;
    Ok(last.unwrap_or(0))
}

/// What the log already holds for a push: rows by mutation id (of any device), and the
/// mutation ids this device logged at the pushed device_seqs.
struct Logged {
    by_mutation: HashMap<String, LoggedRow>,
    by_seq: HashMap<i64, String>,
}

async fn logged_rows(conn: &mut AnyConnection, device_id: &str, commands: &[PushedCommand]) -> Result<Logged, ServerError> {
    type Row = (String, i64, String, String, Option<String>, Option<String>, Option<String>, String, Option<i64>, String);
    let mut out = Logged { by_mutation: HashMap::new(), by_seq: HashMap::new() };
    let (Some(first), Some(last)) = (commands.first(), commands.last()) else {
        return Ok(out);
    };
    let mut rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {LOGGED_COLUMNS}, mutation_id FROM commands WHERE device_id = $1 AND device_seq BETWEEN $2 AND $3"
    ))
    .bind(device_id)
    .bind(first.device_seq)
    .bind(last.device_seq)
    .fetch_all(&mut *conn)
    .await?;
    for chunk in commands.chunks(100) {
        let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT {LOGGED_COLUMNS}, mutation_id FROM commands WHERE mutation_id IN ({})", params.join(", "));
        let mut q = sqlx::query_as::<_, Row>(&sql);
        for c in chunk {
            q = q.bind(id_str(c.mutation_id));
        }
        rows.extend(q.fetch_all(&mut *conn).await?);
    }
    for (tenant, seq, hash, outcome, code, message, detail, dev, dseq, mutation) in rows {
        if let (true, Some(s)) = (dev == device_id, dseq) {
            out.by_seq.insert(s, mutation.clone());
        }
        out.by_mutation.insert(mutation, (tenant, seq, hash, outcome, code, message, detail, dev, dseq));
    }
    Ok(out)
}

fn result_of(sub: &Submission, o: &CommandOutcome) -> PushResult {
    let (status, code) = match o.outcome {
        OutcomeKind::Applied => (PushStatus::Applied, None),
        OutcomeKind::AppliedWithWarning => (PushStatus::AppliedWithWarning, Some(o.warnings.join(","))),
        OutcomeKind::Rejected => (PushStatus::Rejected, o.code.clone()),
    };
    PushResult {
        device_seq: sub.device_seq.unwrap_or(0),
        mutation_id: sub.mutation_id,
        status,
        code,
        message: o.message.clone(),
        server_seq: o.server_seq,
        replayed: o.replayed,
    }
}

enum Step {
    /// Logged before: its stored outcome.
    Replay(Submission, CommandOutcome),
    /// New: to apply, with the hash it is logged under.
    Apply(Submission, String),
}

/// `POST /sync/v1/push`: applies the device's commands in device order, exactly once, and
/// answers each one's durable outcome (see the module comment). An error refuses the whole
/// request with nothing applied, except an error met while applying (a database failure,
/// or a protocol error a concurrent request revealed): the commands before it are applied
/// and are answered from the log when the desk pushes again.
pub async fn push(
    db: &Db,
    provider: &dyn pay::PaymentProvider,
    device: &DeviceAuth,
    req: PushRequest,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<PushResponse, ServerError> {
    check_versions(&req.versions)?;
    check_shape(&req.commands)?;
    let epoch = db.epoch().await?;
    let (who, last, logged) = {
        let mut conn = db.pool().acquire().await?;
        let who = desk_principal(&mut conn, device).await?;
        let last = last_device_seq(&mut conn, &who.device_id).await?;
        if let Some(first) = req.commands.first() {
            if first.device_seq > last + 1 {
                return Err(ServerError::DeviceSeqGap { expected: last + 1, got: first.device_seq });
            }
        }
        let logged = logged_rows(&mut conn, &who.device_id, &req.commands).await?;
        (who, last, logged)
    };

    // Plan every command before applying any: protocol errors refuse the whole request.
    let mut staff_cache = HashMap::new();
    let mut steps = Vec::with_capacity(req.commands.len());
    let mut unknown = None;
    for c in req.commands {
        let command = match Command::from_wire(&c.name, c.args) {
            Ok(command) => command,
            Err(e) => {
                tracing::info!(command = %c.name, code = e.code(), device = %who.device_id, device_seq = c.device_seq, "pushed command not known here");
                unknown = Some(PushResult {
                    device_seq: c.device_seq,
                    mutation_id: c.mutation_id,
                    status: PushStatus::Unknown,
                    code: Some(e.code().to_string()),
                    message: Some(e.message(lang)),
                    server_seq: 0,
                    replayed: false,
                });
                break;
            }
        };
        let actor = match c.actor_staff_id {
            Some(staff) => acting_staff(db, device, staff, &mut staff_cache).await?,
            None => None,
        };
        let sub = Submission { command, mutation_id: c.mutation_id, device_seq: Some(c.device_seq), created_at: Some(c.created_at), actor };
        // Logged under the hash of the arguments as this server reads them (as apply_as does).
        let hash = payload_hash(sub.command.name(), &sub.command.args());
        let mutation = id_str(c.mutation_id);
        if let Some(row) = logged.by_mutation.get(&mutation) {
            let outcome = apply::replay(row.clone(), &who, &sub, &hash)?;
            steps.push(Step::Replay(sub, outcome));
        } else if logged.by_seq.get(&c.device_seq).is_some_and(|m| *m != mutation) {
            return Err(ServerError::DeviceSeqReused);
        } else {
            steps.push(Step::Apply(sub, hash));
        }
    }

    let mut results = Vec::with_capacity(steps.len() + 1);
    let mut answered: Vec<(Submission, CommandOutcome)> = Vec::with_capacity(steps.len());
    let mut run: Vec<(Submission, String)> = Vec::new();
    let mut stop = None;
    let mut steps = steps.into_iter().peekable();
    while let Some(step) = steps.next() {
        match step {
            Step::Replay(sub, outcome) => answered.push((sub, outcome)),
            Step::Apply(sub, hash) => run.push((sub, hash)),
        }
        let run_ends = !matches!(steps.peek(), Some(Step::Apply(..)));
        if run_ends && !run.is_empty() {
            let (outcomes, error) = writer::apply_sequence(db, &who, &run, lang, now).await;
            answered.extend(run.drain(..).map(|(sub, _)| sub).zip(outcomes));
            if error.is_some() {
                stop = error;
                break;
            }
        }
    }
    for (sub, outcome) in &answered {
        results.push(result_of(sub, outcome));
        // A refund left unsent is sent again at start and every 30 s: never fail the push for it.
        if let Err(e) = apply::send_refunds(db, provider, sub, outcome).await {
            tracing::warn!(error = %e, mutation = %sub.mutation_id, "provider refunds of a pushed command not sent yet");
        }
    }
    if let Some(e) = stop {
        return Err(e);
    }
    let last_device_seq = results.last().map_or(last, |r| r.device_seq.max(last));
    results.extend(unknown);
    Ok(PushResponse { epoch, last_device_seq, results, server_time: now })
}

/// `server_meta.retention_floor_seq`, if set: cursors below it must re-snapshot.
async fn retention_floor(conn: &mut AnyConnection) -> Result<Option<i64>, ServerError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT value FROM server_meta WHERE key = $1").bind("retention_floor_seq").fetch_optional(&mut *conn).await?;
    Ok(row.and_then(|(v,)| v.trim().parse().ok()))
}

/// The mark of the commit at `seq` (None: no command has it, or it predates marks).
async fn commit_mark(conn: &mut AnyConnection, tenant: &str, seq: i64) -> Result<Option<String>, ServerError> {
    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT mark FROM commands WHERE tenant_id = $1 AND server_seq = $2")
        .bind(tenant)
        .bind(seq)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.and_then(|r| r.0))
}

type ChangeRow = (String, String, Option<String>, i64, String);

/// The columns and scope of a pull: the device's chain, its chain-wide rows and its store's.
const PULL_SELECT: &str = "SELECT kind, id, store_id, server_seq, data FROM entities
     WHERE tenant_id = $1 AND (store_id IS NULL OR store_id = $2)";

/// `POST /sync/v1/pull`: one page of the rows in the device's scope after `req.after` (see
/// the module comment).
pub async fn pull(db: &Db, device: &DeviceAuth, req: PullRequest) -> Result<PullResponse, ServerError> {
    check_versions(&req.versions)?;
    let limit = req.limit.clamp(1, MAX_PULL) as i64;
    let epoch = db.epoch().await?;
    let mut conn = db.pool().acquire().await?;
    let tenant = id_str(device.tenant_id);
    let store = id_str(device.store_id);
    let (head_seq,): (i64,) =
        sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM tenant_seq WHERE tenant_id = $1").bind(&tenant).fetch_one(&mut *conn).await?;
    let empty = |epoch: String, epoch_changed: bool, snapshot_required: bool| PullResponse {
        epoch,
        epoch_changed,
        snapshot_required,
        changes: Vec::new(),
        next: None,
        has_more: false,
        head_seq,
        total: None,
    };
    if req.epoch.as_ref().is_some_and(|e| *e != epoch) {
        return Ok(empty(epoch, true, false));
    }
    if let Some(after) = &req.after {
        // A cursor from a history this server no longer has (it was restored from a backup,
        // keeping its epoch): its seq is past the head or carries another commit's mark.
        if after.server_seq > head_seq || (after.mark.is_some() && commit_mark(&mut conn, &tenant, after.server_seq).await? != after.mark) {
            return Ok(empty(epoch, true, false));
        }
        if retention_floor(&mut conn).await?.is_some_and(|floor| after.server_seq < floor) {
            return Ok(empty(epoch, false, true));
        }
    }
    let rows: Vec<ChangeRow> = match &req.after {
        None => {
            sqlx::query_as(&format!("{PULL_SELECT} ORDER BY server_seq, kind, id LIMIT $3"))
                .bind(&tenant)
                .bind(&store)
                .bind(limit + 1)
                .fetch_all(&mut *conn)
                .await?
        }
        Some(after) => {
            sqlx::query_as(&format!("{PULL_SELECT} AND (server_seq, kind, id) > ($3, $4, $5) ORDER BY server_seq, kind, id LIMIT $6"))
                .bind(&tenant)
                .bind(&store)
                .bind(after.server_seq)
                .bind(&after.kind)
                .bind(&after.id)
                .bind(limit + 1)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    let total = match req.after {
        None => {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM entities WHERE tenant_id = $1 AND (store_id IS NULL OR store_id = $2)")
                .bind(&tenant)
                .bind(&store)
                .fetch_one(&mut *conn)
                .await?;
            Some(n)
        }
        Some(_) => None,
    };
    let has_more = rows.len() as i64 > limit;
    let mut changes = Vec::with_capacity(rows.len().min(limit as usize));
    for (kind, id, store_id, server_seq, data) in rows.into_iter().take(limit as usize) {
        let store_id: Option<Id> =
            store_id.map(|s| s.parse().map_err(|_| ServerError::Corrupt(format!("bad store id {s:?}")))).transpose()?;
        let data = serde_json::from_str(&data).map_err(|e| ServerError::Corrupt(e.to_string()))?;
        changes.push(Change { kind, id, store_id, server_seq, data });
    }
    let next = match changes.last() {
        Some(c) if has_more || c.server_seq >= head_seq => Some(Cursor {
            server_seq: c.server_seq,
            kind: c.kind.clone(),
            id: c.id.clone(),
            mark: commit_mark(&mut conn, &tenant, c.server_seq).await?,
        }),
        // Everything in the desk's scope through the head was sent (no row of it is at the
        // head, or it would be on this page): the cursor moves to the head, so it keeps up
        // with commits of other stores and stays above a retention floor.
        _ if head_seq > 0 && req.after.as_ref().is_none_or(|a| a.server_seq < head_seq) => Some(Cursor {
            server_seq: head_seq,
            kind: String::new(),
            id: String::new(),
            mark: commit_mark(&mut conn, &tenant, head_seq).await?,
        }),
        _ => req.after,
    };
    Ok(PullResponse { epoch, epoch_changed: false, snapshot_required: false, changes, next, has_more, head_seq, total })
}
