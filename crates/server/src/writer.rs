//! Group commit on SQLite: the commands submitted while the write transaction is busy wait
//! in a queue; one writer then applies the waiting ones in ONE transaction, each inside its
//! own savepoint (a refused or failing command undoes only itself), and answers them all
//! after the one COMMIT. With `synchronous = FULL` that is one fsync for the batch instead
//! of one per command.
//!
//! Nothing changes for a command: it still takes the tenant's next `server_seq` before it
//! reads anything but the log inside the (shared) transaction, so `server_seq`s stay gap-free and commit-ordered
//! (a batch commits at once, its `server_seq`s in the order applied); every caller is
//! answered only after COMMIT, so an answered command is durable. If the COMMIT fails,
//! nothing of the batch was kept, and each of its commands is applied again alone, so each
//! caller gets its own outcome or error.
//!
//! PostgreSQL applies each command in its own transaction on the caller's task
//! ([`apply_now`]): measured on the 2-core bench machine, one connection running a batch's
//! round trips one after another was slower than concurrent connections that only queue on
//! the tenant's counter row (PostgreSQL already groups concurrent commits' WAL flushes).
//!
//! A desk's pushed backlog is another matter: its commands must be applied one after
//! another in device order anyway, so [`apply_sequence`] applies them in chunks of
//! [`SEQ_CHUNK`], one transaction (and one fsync) per chunk on both backends, each command
//! in its own savepoint, stopping at the first command that fails. On SQLite a chunk takes
//! the same (fair, FIFO) writer lock as the writer's batches, so live commands wait at most
//! one chunk.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use clinicdesk_domain::Lang;
use tokio::sync::{mpsc, oneshot};

use crate::apply::{apply_in_tx, attempt, attempt_again, Attempt, CommandOutcome, Principal, Submission};
use crate::db::{Backend, Db};
use crate::ServerError;

/// The most commands one transaction applies.
const MAX_BATCH: usize = 32;

/// The most commands of one desk's pushed sequence one transaction applies.
pub(crate) const SEQ_CHUNK: usize = 100;

/// A submitted command waiting for the writer.
pub(crate) struct Job {
    principal: Principal,
    sub: Submission,
    hash: String,
    lang: Lang,
    now: DateTime<Utc>,
    reply: oneshot::Sender<Result<CommandOutcome, ServerError>>,
}

impl Job {
    pub(crate) fn new(principal: Principal, sub: Submission, hash: String, lang: Lang, now: DateTime<Utc>) -> (Job, Pending) {
        let (reply, rx) = oneshot::channel();
        (Job { principal, sub, hash, lang, now, reply }, Pending(rx))
    }
}

/// The caller's side of a submitted command.
pub(crate) struct Pending(oneshot::Receiver<Result<CommandOutcome, ServerError>>);

/// The SQLite writer's queue (None on PostgreSQL).
pub(crate) struct Writers {
    queue: Option<mpsc::UnboundedSender<Job>>,
}

impl Writers {
    /// Starts the SQLite writer on the current tokio runtime. `db` must not hold writers
    /// itself (the writer ends when the last `Db` holding this queue is dropped).
    pub(crate) fn start(db: Db) -> Writers {
        let queue = (db.backend() == Backend::Sqlite).then(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(db, rx));
            tx
        });
        Writers { queue }
    }

    /// Applies `job` (queued for the SQLite writer, or at once on PostgreSQL) and waits for
    /// its durable outcome.
    pub(crate) async fn submit(&self, db: &Db, (job, pending): (Job, Pending)) -> Result<CommandOutcome, ServerError> {
        let Some(queue) = &self.queue else {
            return apply_now(db, &job).await;
        };
        queue.send(job).map_err(|_| ServerError::Db(sqlx::Error::PoolClosed))?;
        pending.0.await.map_err(|_| ServerError::Db(sqlx::Error::PoolClosed))?
    }
}

async fn run(db: Db, mut rx: mpsc::UnboundedReceiver<Job>) {
    let mut waiting: VecDeque<Job> = VecDeque::new();
    loop {
        if waiting.is_empty() {
            match rx.recv().await {
                Some(job) => waiting.push_back(job),
                None => return,
            }
        }
        while let Ok(job) = rx.try_recv() {
            waiting.push_back(job);
        }
        // A caller that gave up before its command started gets nothing applied (as when it
        // dropped its own transaction before); it will send the command again.
        waiting.retain(|j| !j.reply.is_closed());
        let batch: Vec<Job> = waiting.drain(..waiting.len().min(MAX_BATCH)).collect();
        if !batch.is_empty() {
            run_batch(&db, batch).await;
        }
    }
}

/// Applies `batch` in one transaction and answers every caller after COMMIT.
async fn run_batch(db: &Db, batch: Vec<Job>) {
    if batch.len() > 1 {
        match try_batch(db, &batch).await {
            Ok(results) => {
                for (job, result) in batch.into_iter().zip(results) {
                    answer(job, result);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, commands = batch.len(), "a batch of commands did not commit; applying them one by one");
                for job in batch {
                    let result = alone(db, &job.principal, &job.sub, &job.hash, job.lang, job.now).await;
                    answer(job, result);
                }
            }
        }
    } else {
        for job in batch {
            let result = alone(db, &job.principal, &job.sub, &job.hash, job.lang, job.now).await;
            answer(job, result);
        }
    }
}

/// Every command of the batch in one transaction: each one's result, once committed.
async fn try_batch(db: &Db, batch: &[Job]) -> Result<Vec<Result<CommandOutcome, ServerError>>, ServerError> {
    let mut w = db.begin_write().await?;
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let result = apply_in_tx(&mut w.tx, &job.principal, &job.sub, &job.hash, job.lang, job.now).await;
        if let Err(ServerError::Db(e)) = &result {
            // The transaction itself may be broken: let the commands go one by one.
            return Err(ServerError::Db(sqlx::Error::Protocol(format!("a command of the batch failed: {e}"))));
        }
        results.push(result);
    }
    w.commit().await?;
    Ok(results)
}

/// One command in its own transaction, on the caller's task (PostgreSQL).
pub(crate) async fn apply_now(db: &Db, job: &Job) -> Result<CommandOutcome, ServerError> {
    let result = alone(db, &job.principal, &job.sub, &job.hash, job.lang, job.now).await;
    if let Ok(o) = &result {
        log(job, o);
    }
    result
}

/// One command in its own transaction (no savepoint needed: what must be undone is undone
/// by rolling the transaction back; a constraint's refusal is logged as a rejection in a
/// fresh one).
async fn alone(
    db: &Db,
    principal: &Principal,
    sub: &Submission,
    hash: &str,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<CommandOutcome, ServerError> {
    let mut forced = None;
    let mut again = 0;
    loop {
        let mut w = db.begin_write().await?;
        match attempt(&mut w.tx, principal, sub, hash, lang, now, forced.take()).await? {
            Attempt::Done(outcome) => {
                w.commit().await?;
                return Ok(outcome);
            }
            Attempt::Undo(result) => return result,
            Attempt::Refused(e) => forced = Some(e),
            Attempt::Again => attempt_again(&mut again)?,
        }
    }
}

fn answer(job: Job, result: Result<CommandOutcome, ServerError>) {
    if let Ok(o) = &result {
        log(&job, o);
    }
    let _ = job.reply.send(result);
}

fn log(job: &Job, o: &CommandOutcome) {
    log_outcome(&job.principal, &job.sub, o);
}

fn log_outcome(principal: &Principal, sub: &Submission, o: &CommandOutcome) {
    if !o.replayed {
        tracing::info!(
            command = sub.command.name(),
            outcome = o.outcome.as_str(),
            code = o.code.clone().unwrap_or_else(|| o.warnings.join(",")),
            server_seq = o.server_seq,
            device = %principal.device_id,
            mutation = %sub.mutation_id,
            "command"
        );
    }
}

/// Applies one device's commands (each with its payload hash) in the given order: in
/// chunks of [`SEQ_CHUNK`], one write transaction per chunk, each command in its own
/// savepoint. Every outcome returned is durable (its chunk committed). The first command
/// that fails with an error (not a rejection: a rejection is an outcome) stops the
/// sequence: the outcomes before it are returned with that error, and no later command is
/// applied, so the device's commands are never applied out of order.
pub(crate) async fn apply_sequence(
    db: &Db,
    principal: &Principal,
    subs: &[(Submission, String)],
    lang: Lang,
    now: DateTime<Utc>,
) -> (Vec<CommandOutcome>, Option<ServerError>) {
    let mut done = Vec::with_capacity(subs.len());
    for chunk in subs.chunks(SEQ_CHUNK) {
        match try_chunk(db, principal, chunk, lang, now).await {
            Ok((outcomes, stop)) => {
                for ((sub, _), o) in chunk.iter().zip(&outcomes) {
                    log_outcome(principal, sub, o);
                }
                done.extend(outcomes);
                if let Some(e) = stop {
                    return (done, Some(e));
                }
            }
            Err(e) => {
                // Nothing of the chunk was kept: its commands one by one, stopping at the first error.
                tracing::warn!(error = %e, commands = chunk.len(), "a chunk of pushed commands did not commit; applying them one by one");
                for (sub, hash) in chunk {
                    match alone(db, principal, sub, hash, lang, now).await {
                        Ok(o) => {
                            log_outcome(principal, sub, &o);
                            done.push(o);
                        }
                        Err(e) => return (done, Some(e)),
                    }
                }
            }
        }
    }
    (done, None)
}

/// One chunk in one transaction: the outcomes kept, and the error that stopped it (the
/// commands before it are committed). Err: nothing was kept (a database error).
async fn try_chunk(
    db: &Db,
    principal: &Principal,
    chunk: &[(Submission, String)],
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<(Vec<CommandOutcome>, Option<ServerError>), ServerError> {
    let mut w = db.begin_write().await?;
    let mut outcomes = Vec::with_capacity(chunk.len());
    let mut stop = None;
    for (sub, hash) in chunk {
        match apply_in_tx(&mut w.tx, principal, sub, hash, lang, now).await {
            Ok(o) => outcomes.push(o),
            // The transaction itself may be broken: drop it (rolled back).
            Err(ServerError::Db(e)) => return Err(ServerError::Db(e)),
            Err(e) => {
                stop = Some(e);
                break;
            }
        }
    }
    w.commit().await?;
    Ok((outcomes, stop))
}
