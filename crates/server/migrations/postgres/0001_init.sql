-- ClinicDesk server database (PostgreSQL), version 1. Forward-only: never edit once released.
-- The same schema as migrations/sqlite/0001_init.sql; the server talks to both through
-- sqlx's Any driver with $1, $2 … placeholders. Instants are Unix seconds (UTC).

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every domain row as a JSON document of its domain struct. store_id NULL: shared by the
-- whole chain (tenant, doctors, staff, patients …). ref_id/day/start_ts/end_ts are the
-- narrow keys the loader looks rows up by (schedule: doctor + local date; appointment and
-- blocked time: doctor + instants; cancellation request and history: appointment).
CREATE TABLE entities (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    tenant_id  TEXT NOT NULL,
    store_id   TEXT,
    ref_id     TEXT,
    day        TEXT,
    start_ts   BIGINT,
    end_ts     BIGINT,
    data       TEXT NOT NULL,
    server_seq BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX entities_by_tenant_seq ON entities (tenant_id, server_seq);
CREATE INDEX entities_by_ref_day ON entities (kind, ref_id, day);
CREATE INDEX entities_by_ref_time ON entities (kind, ref_id, start_ts);

-- Capacity: each active appointment holds one lane 0..capacity-1 of its doctor; two
-- active appointments of one doctor in one lane never overlap: the exclusion constraint
-- backs up the check the write transaction makes.
CREATE TABLE appointment_slots (
    appointment_id TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    store_id       TEXT NOT NULL,
    doctor_id      TEXT NOT NULL,
    start_ts       BIGINT NOT NULL,
    end_ts         BIGINT NOT NULL,
    lane           BIGINT NOT NULL CHECK (lane >= 0),
    active         BOOLEAN NOT NULL,
    CHECK (end_ts > start_ts),
    CONSTRAINT appointment_slots_no_overlap EXCLUDE USING gist (
        doctor_id WITH =, lane WITH =, int8range(start_ts, end_ts) WITH &&
    ) WHERE (active)
);
CREATE INDEX appointment_slots_by_doctor ON appointment_slots (doctor_id, start_ts);

-- At most one live refund per fee (DOMAIN.md §6); a violation is a critical alarm.
CREATE TABLE refunds_live (
    fee_id    TEXT PRIMARY KEY,
    refund_id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL
);

CREATE TABLE patient_guardians (
    tenant_id   TEXT NOT NULL,
    patient_id  TEXT NOT NULL,
    guardian_id TEXT NOT NULL,
    PRIMARY KEY (patient_id, guardian_id)
);
CREATE INDEX patient_guardians_by_guardian ON patient_guardians (guardian_id);

CREATE TABLE completed_visits (
    tenant_id      TEXT NOT NULL,
    patient_id     TEXT NOT NULL,
    appointment_id TEXT NOT NULL,
    PRIMARY KEY (patient_id, appointment_id)
);

-- The per-tenant counter: UPDATE … SET seq = seq + 1 RETURNING seq inside the writing
-- transaction gives gap-free, commit-ordered server_seq values.
CREATE TABLE tenant_seq (
    tenant_id TEXT PRIMARY KEY,
    seq       BIGINT NOT NULL
);

-- Every command the server processed, with its one durable outcome.
CREATE TABLE commands (
    tenant_id      TEXT NOT NULL,
    server_seq     BIGINT NOT NULL,
    device_id      TEXT NOT NULL,
    device_seq     BIGINT,
    mutation_id    TEXT NOT NULL UNIQUE,
    payload_hash   TEXT NOT NULL,
    name           TEXT NOT NULL,
    args           TEXT NOT NULL,
    actor_staff_id TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('applied', 'applied_with_warning', 'rejected')),
    code           TEXT,
    message        TEXT,
    detail         TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, server_seq)
);
CREATE UNIQUE INDEX commands_by_device_seq ON commands (device_id, device_seq);

CREATE TABLE staff_credentials (
    staff_id      TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    login         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    UNIQUE (tenant_id, login)
);
CREATE INDEX staff_credentials_by_login ON staff_credentials (login);

-- Signed-in desks. Only the SHA-256 of a device token is stored.
CREATE TABLE devices (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    store_id   TEXT NOT NULL,
    staff_id   TEXT NOT NULL,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT
);
CREATE INDEX devices_by_store ON devices (tenant_id, store_id);
