//! Applying one command authoritatively: one savepoint of a write transaction (on SQLite
//! shared with the other commands waiting for the group-commit writer, `writer.rs`) that
//! reads the log for a repeat, takes the tenant's next `server_seq` (on PostgreSQL the counter's row lock then
//! orders the tenant's writers until commit; on SQLite `BEGIN IMMEDIATE` does), loads exactly the rows the
//! handler reads, runs `clinicdesk_domain::commands::handle`, writes every change back as a
//! document stamped with that `server_seq`, and appends the command to the log with its
//! one durable outcome. A rejected command is logged too, and changes nothing else.
//!
//! A provider refund the command decides is written in the same transaction as a `pending`
//! `provider_refunds` row; `apply_and_pay` sends it after commit (`pay.rs`). Desks and
//! patients both come in as a `Principal`: a desk is held to its store, a patient acts as
//! `Actor::Patient` and the handlers' own checks decide.

use chrono::{DateTime, Utc};
use clinicdesk_domain::commands::{handle, Command, Ctx};
use clinicdesk_domain::fees::Origin;
use clinicdesk_domain::model::*;
use clinicdesk_domain::roles::Actor;
use clinicdesk_domain::sync::{ConflictRecord, Messages};
use clinicdesk_domain::world::{Change, Effects, World};
use clinicdesk_domain::{DomainError, Lang};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::auth::DeviceAuth;
use crate::db::Db;
use crate::docs::{self, id_str, ts, upsert, Doc, WriteError};
use crate::loader::{command_store, Loader};
use crate::pay;
use crate::{lanes, ServerError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Applied,
    AppliedWithWarning,
    Rejected,
}

impl OutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Applied => "applied",
            OutcomeKind::AppliedWithWarning => "applied_with_warning",
            OutcomeKind::Rejected => "rejected",
        }
    }
    fn parse(s: &str) -> OutcomeKind {
        match s {
            "applied" => OutcomeKind::Applied,
            "applied_with_warning" => OutcomeKind::AppliedWithWarning,
            _ => OutcomeKind::Rejected,
        }
    }
}

/// The one durable outcome of a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandOutcome {
    pub outcome: OutcomeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub server_seq: i64,
    /// Warning codes of an `applied_with_warning` command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// For `slot_conflict`: `{"taken_by": [appointment ids]}`, the booking(s) that hold the slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
    /// True when this answers a repeated `mutation_id` (nothing was applied again).
    #[serde(default)]
    pub replayed: bool,
}

/// A command as a desk submits it.
#[derive(Debug, Clone)]
pub struct Submission {
    pub command: Command,
    pub mutation_id: Id,
    pub device_seq: Option<i64>,
    /// When the desk ran it (a pushed outbox row; its own clock, informative only). None:
    /// submitted live, at the server's `now`.
    pub created_at: Option<DateTime<Utc>>,
    /// The staff member who ran it at the desk, as the server knows them (role from the
    /// server's record, acting in the desk's store only), with the id it is logged under.
    /// None: the principal's own actor.
    pub actor: Option<(Actor, String)>,
}

impl Submission {
    /// A command submitted live (not from a desk's outbox).
    pub fn live(command: Command, mutation_id: Id, device_seq: Option<i64>) -> Submission {
        Submission { command, mutation_id, device_seq, created_at: None, actor: None }
    }
}

/// Who submits a command: a signed-in desk, or a patient through the patient app.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant_id: Id,
    /// The `commands.device_id` it is logged under (a desk's device id, or `patient:…`).
    pub device_id: String,
    /// The only store it may act in (a desk's); None: the handler's own checks decide (patients).
    pub store_id: Option<Id>,
    pub actor: Actor,
    /// The `commands.actor_staff_id` it is logged under (a staff id, or `patient:<id>`).
    pub actor_id: String,
    /// Set when a desk pushes commands it already ran itself (`sync::push`): the server runs
    /// them as that desk did, with `Origin::Desk` (a desk-paid fee's refund right is that
    /// store's desks') and the desk's serial, so receipt and slip numbers match the desk's.
    /// None: the server's own origin and serial (`SRV-<server_seq>-<mark>`, see [`commit_mark`]).
    pub desk: Option<DeskOrigin>,
}

/// The desk identity a pushed command ran under (the desk's `clinicdesk_store::Device`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskOrigin {
    /// `D` + the last 6 hex digits of the device id, upper case (as the desk derives it).
    pub device_code: String,
    pub store_code: String,
}

impl DeskOrigin {
    /// The desk's device code for a device id (the formula of `LocalStore::set_up_device`).
    pub fn device_code(device_id: Id) -> String {
        let hex = device_id.simple().to_string();
        format!("D{}", hex[hex.len() - 6..].to_uppercase())
    }

    /// The desk's serial of its command `device_seq` (`LocalStore::execute`).
    pub fn serial(&self, device_seq: i64) -> String {
        format!("{}-{}-{:06}", self.store_code, self.device_code, device_seq)
    }
}

impl DeviceAuth {
    pub fn principal(&self) -> Principal {
        Principal {
            tenant_id: self.tenant_id,
            device_id: id_str(self.device_id),
            store_id: Some(self.store_id),
            actor: self.actor(),
            actor_id: id_str(self.staff.id),
            desk: None,
        }
    }
}

/// The desk's outbox hash: desk and server must hash a payload the same way.
pub use clinicdesk_store::payload_hash;

/// A `commands` row as read back: tenant_id, server_seq, payload_hash, outcome, code,
/// message, detail, device_id, device_seq.
pub(crate) type LoggedRow = (String, i64, String, String, Option<String>, Option<String>, Option<String>, String, Option<i64>);

/// The columns of a [`LoggedRow`].
pub(crate) const LOGGED_COLUMNS: &str = "tenant_id, server_seq, payload_hash, outcome, code, message, detail, device_id, device_seq";

/// The logged outcome of a mutation id, if it was processed before.
async fn logged(conn: &mut AnyConnection, mutation_id: Id) -> Result<Option<LoggedRow>, ServerError> {
    Ok(sqlx::query_as(&format!("SELECT {LOGGED_COLUMNS} FROM commands WHERE mutation_id = $1"))
        .bind(id_str(mutation_id))
        .fetch_optional(&mut *conn)
        .await?)
}

/// The stored outcome of a repeated submission. A mutation id is bound to one payload, one
/// chain and, when the submission is numbered, to one device and device_seq: anything else
/// is a protocol error (`MutationReused`), never a second application.
pub(crate) fn replay(row: LoggedRow, device: &Principal, sub: &Submission, hash: &str) -> Result<CommandOutcome, ServerError> {
    let (tenant, seq, prev_hash, outcome, code, message, detail, device_id, device_seq) = row;
    if tenant != id_str(device.tenant_id) || prev_hash != hash {
        return Err(ServerError::MutationReused);
    }
    if sub.device_seq.is_some() && (device_id != device.device_id || device_seq != sub.device_seq) {
        return Err(ServerError::MutationReused);
    }
    let kind = OutcomeKind::parse(&outcome);
    let (code, warnings) = match kind {
        OutcomeKind::AppliedWithWarning => (None, code.map(|c| c.split(',').map(str::to_string).collect()).unwrap_or_default()),
        _ => (code, Vec::new()),
    };
    Ok(CommandOutcome {
        outcome: kind,
        code,
        message,
        server_seq: seq,
        warnings,
        detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
        replayed: true,
    })
}

/// A commit's random mark (8 upper-case hex digits; migration 0005): what tells a seq
/// of this server's history from the same seq issued again after a restore.
pub(crate) fn commit_mark() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_ascii_uppercase()
}

/// The tenant's next server_seq. Its row stays locked until this transaction ends.
async fn next_seq(conn: &mut AnyConnection, tenant: Id) -> Result<i64, ServerError> {
    let (seq,): (i64,) = sqlx::query_as(
        "INSERT INTO tenant_seq (tenant_id, seq) VALUES ($1, 1) ON CONFLICT (tenant_id) DO UPDATE SET seq = tenant_seq.seq + 1 RETURNING seq",
    )
    .bind(id_str(tenant))
    .fetch_one(&mut *conn)
    .await?;
    Ok(seq)
}

/// What the log says about a submission, read just before the tenant's counter is locked (so
/// that the lock is held one round trip less): its logged outcome if its mutation id was
/// processed before, else whether its device_seq is taken (one round trip for both). On
/// PostgreSQL a duplicate committed between this read and the lock is caught by the log's
/// unique keys when the command's row is inserted ([`Attempt::Again`]).
enum Seen {
    Logged(LoggedRow),
    DeviceSeqUsed,
    New,
}

async fn seen(conn: &mut AnyConnection, device: &Principal, sub: &Submission) -> Result<Seen, ServerError> {
    type Row = (i64, String, i64, String, String, Option<String>, Option<String>, Option<String>, String, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT CAST(0 AS BIGINT), {LOGGED_COLUMNS} FROM commands WHERE mutation_id = $1
         UNION ALL
         SELECT CAST(1 AS BIGINT), {LOGGED_COLUMNS} FROM commands WHERE device_id = $2 AND device_seq = $3"
    ))
    .bind(id_str(sub.mutation_id))
    .bind(&device.device_id)
    .bind(sub.device_seq)
    .fetch_all(&mut *conn)
    .await?;
    if let Some((_, tenant, seq, hash, outcome, code, message, detail, device_id, device_seq)) = rows.iter().find(|r| r.0 == 0).cloned() {
        return Ok(Seen::Logged((tenant, seq, hash, outcome, code, message, detail, device_id, device_seq)));
    }
    Ok(if rows.is_empty() { Seen::New } else { Seen::DeviceSeqUsed })
}

/// Applies (or rejects) one command from a signed-in desk at the server's `now`.
pub async fn apply(db: &Db, device: &DeviceAuth, sub: &Submission, lang: Lang, now: DateTime<Utc>) -> Result<CommandOutcome, ServerError> {
    apply_as(db, &device.principal(), sub, lang, now).await
}

/// Applies a command, then sends the provider refunds it decided (also when it is a repeat
/// whose refunds a crash or an outage left unsent: the same out_refund_no again).
pub async fn apply_and_pay(
    db: &Db,
    provider: &dyn pay::PaymentProvider,
    who: &Principal,
    sub: &Submission,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<(CommandOutcome, Vec<pay::ProviderRefund>), ServerError> {
    let outcome = apply_as(db, who, sub, lang, now).await?;
    let refunds = send_refunds(db, provider, sub, &outcome).await?;
    Ok((outcome, refunds))
}

/// After a command's outcome is durable: sends the provider refunds it decided and that are
/// still pending (a first application, or a repeat whose refunds were left unsent).
pub async fn send_refunds(
    db: &Db,
    provider: &dyn pay::PaymentProvider,
    sub: &Submission,
    outcome: &CommandOutcome,
) -> Result<Vec<pay::ProviderRefund>, ServerError> {
    match (&sub.command, outcome.outcome) {
        (Command::RefundOnline(_) | Command::PatientCancel(_), OutcomeKind::Applied | OutcomeKind::AppliedWithWarning) => {
            pay::send_for_mutation(db, provider, sub.mutation_id).await
        }
        _ => Ok(Vec::new()),
    }
}

/// Applies (or rejects) one command from `device` (a desk or a patient) at the server's `now`.
///
/// A repeat is answered from the log at once (before the tenant's counter is taken). Otherwise, on SQLite the command goes to the
/// writer (`writer.rs`), which applies the commands waiting at that moment in one
/// transaction, each inside its own savepoint, and answers them all after the one COMMIT;
/// on PostgreSQL it is applied in its own transaction. Either way the outcome returned here
/// is durable.
pub async fn apply_as(
    db: &Db,
    device: &Principal,
    sub: &Submission,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<CommandOutcome, ServerError> {
    let hash = payload_hash(sub.command.name(), &sub.command.args());
    // On SQLite a repeat is answered here, without waiting for the writer. On PostgreSQL the
    // attempt reads the log first anyway, before it takes the tenant's counter (`seen`).
    if db.backend() == crate::db::Backend::Sqlite {
        let mut conn = db.pool().acquire().await?;
        if let Some(row) = logged(&mut conn, sub.mutation_id).await? {
            return replay(row, device, sub, &hash);
        }
    }
    db.submit(crate::writer::Job::new(device.clone(), sub.clone(), hash, lang, now)).await
}

/// How one attempt at a command inside a write transaction ended.
pub(crate) enum Attempt {
    /// The command's rows are written: keep them.
    Done(CommandOutcome),
    /// Nothing to keep (a repeat, or a refusal): undo the attempt (the counter too).
    Undo(Result<CommandOutcome, ServerError>),
    /// A database constraint refused the effects: undo and log the command as rejected.
    Refused(Forced),
    /// The log's unique keys refused the command's row: the same mutation id (or device_seq)
    /// was committed by a concurrent writer after [`seen`] read the log. Undo and attempt
    /// again from a clean state: the log then answers it.
    Again,
}

/// Counts one more attempt after [`Attempt::Again`]; refuses a third (once is enough: the
/// second attempt reads the committed duplicate; more would mean a broken log).
pub(crate) fn attempt_again(count: &mut usize) -> Result<(), ServerError> {
    *count += 1;
    if *count > 2 {
        return Err(ServerError::Corrupt("a command's log row was refused again and again".into()));
    }
    Ok(())
}

/// A rejection decided before the command is attempted again (a database constraint refused
/// its effects the first time), with the store the command acted in (for its conflict record).
pub(crate) struct Forced {
    error: DomainError,
    store: Option<Id>,
}

async fn exec(conn: &mut AnyConnection, sql: &str) -> Result<(), ServerError> {
    sqlx::query(sql).execute(&mut *conn).await?;
    Ok(())
}

/// Applies one command inside the caller's write transaction, within a savepoint: whatever
/// happens to it (a repeat, a refusal, an error) leaves the transaction as it found it,
/// except for its own rows when it was applied or rejected. The caller commits.
///
/// The savepoint is not released (one statement less per command): the next command's
/// savepoint of the same name shadows it, a ROLLBACK TO goes to the newest one, and COMMIT
/// keeps what every savepoint kept.
pub(crate) async fn apply_in_tx(
    conn: &mut AnyConnection,
    device: &Principal,
    sub: &Submission,
    hash: &str,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<CommandOutcome, ServerError> {
    let mut forced: Option<Forced> = None;
    let mut again = 0;
    exec(conn, "SAVEPOINT apply_command").await?;
    loop {
        let attempt = match attempt(conn, device, sub, hash, lang, now, forced.take()).await {
            Ok(a) => a,
            Err(e) => Attempt::Undo(Err(e)),
        };
        match attempt {
            Attempt::Done(outcome) => return Ok(outcome),
            Attempt::Undo(result) => {
                exec(conn, "ROLLBACK TO SAVEPOINT apply_command").await?;
                return result;
            }
            Attempt::Refused(f) => {
                // Retried as a rejection from a clean state (the counter is taken again).
                exec(conn, "ROLLBACK TO SAVEPOINT apply_command").await?;
                forced = Some(f);
            }
            Attempt::Again => {
                exec(conn, "ROLLBACK TO SAVEPOINT apply_command").await?;
                attempt_again(&mut again)?;
                forced = None;
            }
        }
    }
}

/// One attempt: the log, then the tenant's next server_seq (on PostgreSQL its row lock then
/// orders the tenant's writers until commit, so everything below reads committed, current
/// rows), the loader, `handle()`, the documents and the command's log row; for a
/// rejection also its `conflict` document (same server_seq), which every desk of the store
/// pulls.
pub(crate) async fn attempt(
    conn: &mut AnyConnection,
    device: &Principal,
    sub: &Submission,
    hash: &str,
    lang: Lang,
    now: DateTime<Utc>,
    forced: Option<Forced>,
) -> Result<Attempt, ServerError> {
    let command = &sub.command;
    match seen(conn, device, sub).await? {
        Seen::Logged(row) => return Ok(Attempt::Undo(replay(row, device, sub, hash))),
        Seen::DeviceSeqUsed => return Ok(Attempt::Undo(Err(ServerError::DeviceSeqReused))),
        Seen::New => {}
    }
    let seq = next_seq(conn, device.tenant_id).await?;
    let (actor, actor_id) = sub.actor.clone().unwrap_or_else(|| (device.actor.clone(), device.actor_id.clone()));
    let mark = commit_mark();
    let (origin, serial) = match (&device.desk, device.store_id, sub.device_seq) {
        (Some(desk), Some(store_id), Some(n)) => (Origin::Desk { store_id, device_code: desk.device_code.clone() }, desk.serial(n)),
        _ => (Origin::Server, format!("SRV-{seq}-{}", &mark[..4])),
    };
    let ctx = Ctx { actor: actor.clone(), now, mutation_id: sub.mutation_id, origin, serial };
    let (world, result, store) = match forced {
        Some(f) => (World::default(), Err(f.error), f.store),
        None => {
            let mut loader = Loader::new(&mut *conn, device.tenant_id);
            loader.for_command(&actor, command).await?;
            let world = loader.world;
            let store = command_store(&world, command);
            let result = match store {
                Some(store) if device.store_id.is_some_and(|own| own != store) => Err(DomainError::NotInStore { store_id: store }),
                _ => handle(&world, &ctx, command),
            };
            (world, result, store)
        }
    };
    // A desk's rejection belongs to its own store's inbox; anyone else's to the command's store.
    let conflict_store = device.store_id.or(store);
    // Every desk of the store reads the rejection in its own language.
    let mut messages = None;
    let (kind, code, message, detail, warnings) = match result {
        Ok(effects) => match write_effects(conn, device.tenant_id, seq, &world, &effects).await {
            Ok(()) => {
                for change in &effects.changes {
                    if let Change::Refund(r) = change {
                        if r.kind == RefundKind::Provider {
                            let fee = world.fees.get(&r.fee_id).ok_or_else(|| ServerError::Corrupt("refund of an unloaded fee".into()))?;
                            pay::record_pending(conn, device.tenant_id, sub.mutation_id, fee, r, now).await?;
                        }
                    }
                }
                let warnings: Vec<String> = effects.warnings.iter().map(|w| w.code.clone()).collect();
                if warnings.is_empty() {
                    (OutcomeKind::Applied, None, None, None, warnings)
                } else {
                    (OutcomeKind::AppliedWithWarning, Some(warnings.join(",")), None, None, warnings)
                }
            }
            Err(WriteError::Conflict(e)) => {
                tracing::warn!(command = command.name(), code = e.code(), "a database constraint refused the effects");
                return Ok(Attempt::Refused(Forced { error: e, store }));
            }
            Err(WriteError::Server(e)) => return Err(e),
        },
        Err(e) => {
            let detail = match &e {
                DomainError::SlotConflict { taken_by } => Some(serde_json::json!({ "taken_by": taken_by })),
                _ => None,
            };
            messages = Some(Messages::all(|l| e.message(l)));
            (OutcomeKind::Rejected, Some(e.code().to_string()), Some(e.message(lang)), detail, Vec::new())
        }
    };
    let logged_row = sqlx::query(
        "INSERT INTO commands (tenant_id, server_seq, device_id, device_seq, mutation_id, payload_hash, name, args, actor_staff_id,
           outcome, code, message, detail, created_at, mark)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(id_str(device.tenant_id))
    .bind(seq)
    .bind(&device.device_id)
    .bind(sub.device_seq)
    .bind(id_str(sub.mutation_id))
    .bind(hash)
    .bind(command.name())
    .bind(command.args().to_string())
    .bind(&actor_id)
    .bind(kind.as_str())
    .bind(code.clone())
    .bind(message.clone())
    .bind(detail.as_ref().map(|d| d.to_string()))
    .bind(ts(now))
    .bind(&mark)
    .execute(&mut *conn)
    .await;
    match logged_row {
        Ok(_) => {}
        // Only the mutation id and (device_id, device_seq) are unique besides the seq, which the lock keeps unique.
        Err(e) if is_unique_violation(&e) => return Ok(Attempt::Again),
        Err(e) => return Err(e.into()),
    }
    if let (OutcomeKind::Rejected, Some(store_id)) = (kind, conflict_store) {
        let record = ConflictRecord {
            id: sub.mutation_id,
            store_id,
            device_id: device.device_id.clone(),
            actor_id: actor_id.clone(),
            name: command.name().to_string(),
            args: command.args(),
            code: code.clone().unwrap_or_default(),
            message: message.clone().unwrap_or_default(),
            messages,
            detail: detail.clone(),
            created_at: sub.created_at.unwrap_or(now),
            rejected_at: now,
            server_seq: seq,
            resolution: None,
        };
        upsert(conn, device.tenant_id, seq, &Doc::conflict(&record)).await.map_err(|e| match e {
            WriteError::Server(e) => e,
            WriteError::Conflict(e) => ServerError::Corrupt(format!("conflict record not written: {}", e.code())),
        })?;
    }
    let code = if kind == OutcomeKind::AppliedWithWarning { None } else { code };
    Ok(Attempt::Done(CommandOutcome { outcome: kind, code, message, server_seq: seq, warnings, detail, replayed: false }))
}

fn capacity(world: &World, store_id: Id) -> u8 {
    world.stores.get(&store_id).map(|s| s.settings.capacity_per_slot).unwrap_or(1)
}

/// Writes a handler's effects as documents stamped with `seq`.
pub async fn write_effects(conn: &mut AnyConnection, tenant: Id, seq: i64, world: &World, fx: &Effects) -> Result<(), WriteError> {
    for change in &fx.changes {
        match change {
            Change::Patient(p) => {
                upsert(conn, tenant, seq, &Doc::patient(p)).await?;
                // A patient the handler did not know is new (`patient.create@1` refuses a
                // known id, and the loader loads it when it exists): no links to clear.
                if world.patients.contains_key(&p.id) {
                    sqlx::query("DELETE FROM patient_guardians WHERE patient_id = $1 AND tenant_id = $2")
                        .bind(id_str(p.id))
                        .bind(id_str(tenant))
                        .execute(&mut *conn)
                        .await?;
                }
                for g in &p.guardian_ids {
                    sqlx::query("INSERT INTO patient_guardians (tenant_id, patient_id, guardian_id) VALUES ($1, $2, $3)")
                        .bind(id_str(tenant))
                        .bind(id_str(p.id))
                        .bind(id_str(*g))
                        .execute(&mut *conn)
                        .await?;
                }
            }
            Change::Guardian(g) => upsert(conn, tenant, seq, &Doc::guardian(g)).await?,
            Change::Appointment(a) => {
                upsert(conn, tenant, seq, &Doc::appointment(a)).await?;
                lanes::place(conn, tenant, a, capacity(world, a.store_id)).await?;
                lanes::completed_visit(conn, tenant, a).await?;
            }
            Change::Fee(f) => upsert(conn, tenant, seq, &Doc::fee(f)).await?,
            Change::Refund(r) => insert_refund(conn, tenant, seq, world, r).await?,
            Change::Request(r) => upsert(conn, tenant, seq, &Doc::request(r)).await?,
            Change::DoctorOrder(o) => upsert(conn, tenant, seq, &Doc::doctor_order(o)).await?,
            Change::StoreSettings { store_id, settings } => {
                let mut store =
                    world.stores.get(store_id).cloned().ok_or_else(|| ServerError::Corrupt("settings of an unloaded store".into()))?;
                store.settings = settings.clone();
                upsert(conn, tenant, seq, &Doc::store(&store)).await?;
            }
            // The exam's data; its visit link is kept on the desk only (not yet on the server).
            Change::EyeExam { exam, .. } => upsert(conn, tenant, seq, &Doc::eye_exam(exam)).await?,
            Change::Correction { patient_id, correction } => upsert(conn, tenant, seq, &Doc::correction(*patient_id, correction)).await?,
            Change::RecallOutcome(o) => insert_plain(conn, tenant, seq, &Doc::recall_outcome(o)).await?,
            Change::Conflict(c) => upsert(conn, tenant, seq, &Doc::conflict(c)).await?,
        }
    }
    for a in &fx.eye_audit {
        insert_plain(conn, tenant, seq, &Doc::eye_audit(a)).await?;
    }
    for h in &fx.history {
        let store = world.appointments.get(&h.appointment_id).map(|a| a.store_id).or_else(|| {
            fx.changes.iter().find_map(|c| match c {
                Change::Appointment(a) if a.id == h.appointment_id => Some(a.store_id),
                _ => None,
            })
        });
        insert_plain(conn, tenant, seq, &Doc::history(h, store)).await?;
    }
    Ok(())
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

async fn insert_plain(conn: &mut AnyConnection, tenant: Id, seq: i64, doc: &Doc) -> Result<(), WriteError> {
    match docs::insert_many(conn, tenant, seq, std::slice::from_ref(doc)).await {
        Err(ServerError::Db(e)) if is_unique_violation(&e) => {
            Err(WriteError::Conflict(DomainError::IdTaken { what: clinicdesk_domain::error::Entity::Fee }))
        }
        other => other.map_err(WriteError::from),
    }
}

/// A refund is never overwritten, and `refunds_live` lets one fee have one live refund.
async fn insert_refund(conn: &mut AnyConnection, tenant: Id, seq: i64, world: &World, r: &Refund) -> Result<(), WriteError> {
    insert_plain(conn, tenant, seq, &Doc::refund(r, world.fees.get(&r.fee_id).map(|f| f.store_id))).await?;
    let live = sqlx::query("INSERT INTO refunds_live (fee_id, refund_id, tenant_id) VALUES ($1, $2, $3)")
        .bind(id_str(r.fee_id))
        .bind(id_str(r.id))
        .bind(id_str(tenant))
        .execute(&mut *conn)
        .await;
    match live {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => {
            tracing::error!(fee = %r.fee_id, refund = %r.id, "CRITICAL: second live refund of a fee refused by the database");
            let number: Option<(String,)> = sqlx::query_as("SELECT refund_id FROM refunds_live WHERE fee_id = $1")
                .bind(id_str(r.fee_id))
                .fetch_optional(&mut *conn)
                .await
                .ok()
                .flatten();
            Err(WriteError::Conflict(DomainError::AlreadyRefunded { number: number.map(|n| n.0).unwrap_or_default() }))
        }
        Err(e) => Err(e.into()),
    }
}
