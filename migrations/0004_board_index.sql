-- The board reads a store's day (2,400 cards at 60 doctors) from this index alone, in the
-- order it shows them: no lookup into the table per card, no sort. It replaces the plain
-- (store_id, start_ts) index, which is its prefix.
CREATE INDEX appointments_board ON appointments(
    store_id, start_ts, id, doctor_id, patient_name, end_ts, state, visit_type, department_id, fee_state, sync_state
);
DROP INDEX appointments_by_store_start;
