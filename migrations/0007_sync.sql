-- Offline sync at the desk (SYNC.md): what a pull needs to apply the server's changes
-- idempotently and rebase the desk's pending commands on them, each command's outcome for
-- the "sync details" view, and the store's conflict inbox. Forward-only: never edit once
-- released. Sync state (epoch, cursor, snapshot progress) lives in `meta` under `sync.*`.

-- The server_seq of each row as this desk last applied it from a pull, keyed as the server
-- keys its documents (kind, id): a pulled change not newer than this is ignored.
CREATE TABLE sync_rows (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    server_seq INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

-- The rows each outbox command touched (from its Effects), written by `execute`: while the
-- command is pending a pull knows the row has local work on it and a rebase knows what to
-- undo; once it is rejected they are the rows that need attention until the conflict is
-- resolved. Dropped when the server applied the command.
CREATE TABLE outbox_rows (
    device_seq INTEGER NOT NULL REFERENCES outbox(device_seq),
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    PRIMARY KEY (device_seq, kind, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX outbox_rows_by_row ON outbox_rows(kind, id);

-- Each row touched by a pending command as it was before the first of them (or as the
-- server sent it since): the base a rebase restores before re-running the pending commands.
-- `data` NULL: the row did not exist (the pending command created it).
CREATE TABLE sync_base (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    data TEXT, -- JSON of the domain row, as the server sends it
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

-- The handler's effects of the command's last local run (JSON Effects): a command whose
-- re-run is predicted to be rejected keeps these on the desk, marked for attention.
ALTER TABLE outbox ADD COLUMN effects TEXT;
-- The handler's context of the command (JSON Ctx: actor, clock, mutation id, origin, serial):
-- a rebase re-runs the command with exactly this context.
ALTER TABLE outbox ADD COLUMN ctx TEXT;
-- When the server's answer was recorded (the server's clock, Unix seconds).
ALTER TABLE outbox ADD COLUMN acknowledged_at INTEGER;
-- The server_seq that recorded the outcome.
ALTER TABLE outbox ADD COLUMN server_seq INTEGER;
-- The rejection a rebase predicts for a pending command (`slot_conflict` …); NULL: none.
-- Kept after the server's answer, to compare.
ALTER TABLE outbox ADD COLUMN predicted TEXT;
-- A rejected command's conflict was resolved (on any desk of the store).
ALTER TABLE outbox ADD COLUMN resolved_at INTEGER;
CREATE INDEX outbox_by_status ON outbox(status, device_seq);

-- Rejected commands of this store, as every desk of it sees them (pulled `conflict` rows).
CREATE TABLE conflicts (
    id          TEXT PRIMARY KEY, -- the rejected command's mutation id
    store_id    TEXT NOT NULL,
    rejected_at INTEGER NOT NULL,
    server_seq  INTEGER NOT NULL,
    resolved    INTEGER NOT NULL DEFAULT 0,
    data        TEXT NOT NULL -- JSON ConflictRecord
) STRICT;
CREATE INDEX conflicts_by_store ON conflicts(store_id, rejected_at);
