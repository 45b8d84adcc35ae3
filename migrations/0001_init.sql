-- ClinicDesk desk database, version 1. Forward-only: never edit once released.
-- Instants are INTEGER Unix seconds (UTC); local calendar dates are TEXT 'YYYY-MM-DD'.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE tenants (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;

CREATE TABLE stores (
    id        TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    code      TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    timezone  TEXT NOT NULL,
    settings  TEXT NOT NULL -- JSON StoreSettings
) STRICT;

CREATE TABLE departments (
    id       TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores(id),
    name     TEXT NOT NULL
) STRICT;

CREATE TABLE doctors (
    id        TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name      TEXT NOT NULL,
    title     TEXT NOT NULL
) STRICT;

CREATE TABLE doctor_departments (
    doctor_id     TEXT NOT NULL REFERENCES doctors(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    PRIMARY KEY (doctor_id, department_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX doctor_departments_by_department ON doctor_departments(department_id);

CREATE TABLE doctor_orders (
    store_id   TEXT PRIMARY KEY REFERENCES stores(id),
    doctor_ids TEXT NOT NULL, -- JSON array, the manager's order
    hidden     TEXT NOT NULL  -- JSON array of doctors hidden from patients
) STRICT;

CREATE TABLE complaints (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    name           TEXT NOT NULL,
    department_ids TEXT NOT NULL -- JSON array
) STRICT;

CREATE TABLE visit_types (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    code      TEXT NOT NULL,
    name      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, code)
) STRICT;

CREATE TABLE channels (
    code          TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    consultant_id TEXT NOT NULL
) STRICT;

CREATE TABLE staff (
    id        TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name      TEXT NOT NULL,
    login     TEXT NOT NULL UNIQUE,
    role      TEXT NOT NULL CHECK (role IN ('receptionist', 'optometrist', 'manager')),
    store_ids TEXT NOT NULL, -- JSON array
    doctor_id TEXT REFERENCES doctors(id)
) STRICT;

CREATE TABLE guardians (
    id        TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name      TEXT NOT NULL,
    phone     TEXT NOT NULL
) STRICT;

CREATE TABLE patients (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    name            TEXT NOT NULL,
    initials        TEXT NOT NULL, -- pinyin initials, lower case ("zxm" for 张小明)
    sex             TEXT NOT NULL CHECK (sex IN ('female', 'male')),
    birth_date      TEXT NOT NULL,
    phone           TEXT NOT NULL,
    channel_code    TEXT,
    consultant_id   TEXT
) STRICT;
CREATE INDEX patients_by_phone ON patients(phone);
CREATE INDEX patients_by_initials ON patients(initials);
CREATE INDEX patients_by_name ON patients(name);

CREATE TABLE patient_guardians (
    patient_id  TEXT NOT NULL REFERENCES patients(id),
    guardian_id TEXT NOT NULL REFERENCES guardians(id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (patient_id, guardian_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX patient_guardians_by_guardian ON patient_guardians(guardian_id);

CREATE TABLE schedules (
    id           TEXT PRIMARY KEY,
    store_id     TEXT NOT NULL REFERENCES stores(id),
    doctor_id    TEXT NOT NULL REFERENCES doctors(id),
    date         TEXT NOT NULL,
    periods      TEXT NOT NULL, -- JSON [{start, end}] local times
    slot_minutes INTEGER NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240)
) STRICT;
CREATE INDEX schedules_by_store_date ON schedules(store_id, date);
CREATE INDEX schedules_by_doctor_date ON schedules(doctor_id, date);

CREATE TABLE blocked_times (
    id        TEXT PRIMARY KEY,
    store_id  TEXT NOT NULL REFERENCES stores(id),
    doctor_id TEXT NOT NULL REFERENCES doctors(id),
    start_ts  INTEGER NOT NULL,
    end_ts    INTEGER NOT NULL CHECK (end_ts > start_ts),
    reason    TEXT NOT NULL
) STRICT;
CREATE INDEX blocked_times_by_doctor ON blocked_times(doctor_id, start_ts);

CREATE TABLE appointments (
    id                     TEXT PRIMARY KEY,
    tenant_id              TEXT NOT NULL REFERENCES tenants(id),
    store_id               TEXT NOT NULL REFERENCES stores(id),
    doctor_id              TEXT NOT NULL REFERENCES doctors(id),
    department_id          TEXT NOT NULL REFERENCES departments(id),
    patient_id             TEXT NOT NULL REFERENCES patients(id),
    complaint_id           TEXT REFERENCES complaints(id),
    start_ts               INTEGER NOT NULL,
    end_ts                 INTEGER NOT NULL CHECK (end_ts > start_ts),
    state                  TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'checked_in', 'completed', 'cancelled', 'no_show')),
    visit_type             TEXT NOT NULL,
    visit_type_by_fallback INTEGER NOT NULL,
    source                 TEXT NOT NULL,
    fee_id                 TEXT,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    -- confirmed: as the server has it; pending: changed here, not yet acknowledged;
    -- attention: the server rejected a change (see conflicts).
    sync_state             TEXT NOT NULL DEFAULT 'confirmed' CHECK (sync_state IN ('pending', 'confirmed', 'attention')),
    -- Copies for the board, kept current by the store's write path (patient rename, fee
    -- charged or refunded), so a day of 2,400 cards reads one table.
    patient_name           TEXT NOT NULL DEFAULT '',
    fee_state              TEXT NOT NULL DEFAULT 'none' CHECK (fee_state IN ('none', 'pending', 'paid', 'refunded'))
) STRICT;
CREATE INDEX appointments_by_store_start ON appointments(store_id, start_ts);
CREATE INDEX appointments_by_doctor_start ON appointments(doctor_id, start_ts);
CREATE INDEX appointments_by_patient ON appointments(patient_id, state);
CREATE INDEX appointments_by_fee ON appointments(fee_id);

CREATE TABLE fees (
    id                  TEXT PRIMARY KEY,
    appointment_id      TEXT NOT NULL REFERENCES appointments(id) DEFERRABLE INITIALLY DEFERRED,
    store_id            TEXT NOT NULL REFERENCES stores(id),
    amount              INTEGER NOT NULL CHECK (amount >= 0),
    status              TEXT NOT NULL CHECK (status IN ('not_billed', 'pending', 'charged')),
    method              TEXT,
    wechat_paid         INTEGER NOT NULL CHECK (wechat_paid >= 0 AND wechat_paid <= amount),
    paid_at             INTEGER,
    authority_kind      TEXT CHECK (authority_kind IN ('desk', 'server')),
    authority_store_id  TEXT,
    receipt_no          TEXT UNIQUE,
    refund_requested_at INTEGER
) STRICT;
CREATE INDEX fees_by_appointment ON fees(appointment_id);

-- At most one refund per fee, enforced by the database (DOMAIN.md §6).
CREATE TABLE refunds (
    id     TEXT PRIMARY KEY,
    fee_id TEXT NOT NULL UNIQUE REFERENCES fees(id),
    number TEXT NOT NULL UNIQUE,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    kind   TEXT NOT NULL CHECK (kind IN ('desk_cash', 'provider', 'manual')),
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    reason TEXT NOT NULL
) STRICT;

CREATE TABLE cancellation_requests (
    id             TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL REFERENCES appointments(id),
    store_id       TEXT NOT NULL REFERENCES stores(id),
    patient_id     TEXT NOT NULL REFERENCES patients(id),
    reason         TEXT NOT NULL,
    requested_at   INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'approved', 'rejected')),
    decided_at     INTEGER,
    decided_by     TEXT,
    reject_reason  TEXT
) STRICT;
CREATE INDEX cancellation_requests_by_store ON cancellation_requests(store_id, status);
-- One open request per appointment.
CREATE UNIQUE INDEX cancellation_requests_one_open ON cancellation_requests(appointment_id) WHERE status = 'open';

CREATE TABLE appointment_history (
    mutation_id    TEXT NOT NULL,
    idx            INTEGER NOT NULL,
    appointment_id TEXT NOT NULL REFERENCES appointments(id),
    at             INTEGER NOT NULL,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    from_state     TEXT,
    to_state       TEXT,
    reason         TEXT,
    detail         TEXT NOT NULL, -- JSON
    PRIMARY KEY (mutation_id, idx)
) STRICT;
CREATE INDEX appointment_history_by_appointment ON appointment_history(appointment_id, at);

-- Every local command, in device order without gaps (SYNC.md §2).
CREATE TABLE outbox (
    device_seq   INTEGER PRIMARY KEY CHECK (device_seq > 0),
    mutation_id  TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    args         TEXT NOT NULL, -- JSON
    payload_hash TEXT NOT NULL, -- sha256 of name and canonical args
    actor        TEXT NOT NULL, -- JSON Actor
    created_at   INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'applied_with_warning', 'rejected')),
    outcome      TEXT -- JSON, from the server
) STRICT;

CREATE TABLE eye_exams (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patients(id),
    store_id    TEXT NOT NULL REFERENCES stores(id),
    examined_on TEXT NOT NULL,
    data        TEXT NOT NULL -- JSON EyeExam
) STRICT;
CREATE INDEX eye_exams_by_patient ON eye_exams(patient_id, examined_on);

CREATE TABLE corrections (
    patient_id TEXT PRIMARY KEY REFERENCES patients(id),
    data       TEXT NOT NULL -- JSON Correction
) STRICT;
