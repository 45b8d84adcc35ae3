-- ClinicDesk server database (sqlite), version 2: patient-app sign-in and provider refunds.
-- Forward-only: never edit once released. Same schema on both backends.

-- Patients signed in to the patient app (token bound to a phone within one chain). Only
-- the SHA-256 of a token is stored. patient_ids: JSON array of the patients that phone
-- speaks for (their own records and those they are the guardian of), fixed at sign-in.
CREATE TABLE patient_tokens (
    token_hash  TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    phone       TEXT NOT NULL,
    patient_ids TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

-- Refunds through the payment provider: written as 'pending' in the transaction that
-- decides the refund, sent after commit with refund_id as the provider's out_refund_no
-- (the idempotency key), then 'processing' → 'success', or 'refused' (critical alarm).
CREATE TABLE provider_refunds (
    refund_id          TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL,
    fee_id             TEXT NOT NULL UNIQUE,
    mutation_id        TEXT NOT NULL,
    total_fen          INTEGER NOT NULL,
    refund_fen         INTEGER NOT NULL,
    paid_at            INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'success', 'refused', 'not_needed')),
    provider_refund_id TEXT,
    error_code         TEXT,
    error_message      TEXT,
    attempts           INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX provider_refunds_by_status ON provider_refunds (status);
CREATE INDEX provider_refunds_by_mutation ON provider_refunds (mutation_id);
