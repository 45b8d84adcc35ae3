-- ClinicDesk server database (sqlite), version 3: indexes that fit the reads.
-- Forward-only: never edit once released. Same schema on both backends.

-- Every read names the tenant, so the by-reference indexes carry it after the reference,
-- and they leave out the rows that have no reference (patients, guardians, reference
-- data: only ever read by id or by kind), so writing those touches fewer indexes.
-- Schedules by doctor and local day; cancellation requests and history by appointment.
CREATE INDEX entities_by_ref_tenant_day ON entities (kind, ref_id, tenant_id, day) WHERE ref_id IS NOT NULL;
DROP INDEX entities_by_ref_day;

-- Appointments and blocked times of a doctor that overlap [from, to) are read as
-- "end_ts > from AND start_ts < to" (the booking loader, the patient app's free slots).
-- Keyed by end_ts the scan starts at the window instead of at the doctor's first
-- appointment ever. Replaces the start_ts index of version 1.
CREATE INDEX entities_by_ref_tenant_end ON entities (kind, ref_id, tenant_id, end_ts) WHERE end_ts IS NOT NULL;
DROP INDEX entities_by_ref_time;

-- A chain's unreferenced rows of one kind (its doctors, a store's departments), read with
-- "kind = … AND tenant_id = … AND ref_id IS NULL": without it these reads walked the whole
-- chain through entities_by_tenant_seq. Partial, so that only reads naming ref_id IS NULL
-- can use it: a lookup by id keeps the primary key even before the planner has statistics.
CREATE INDEX entities_by_kind_tenant ON entities (kind, tenant_id) WHERE ref_id IS NULL;
