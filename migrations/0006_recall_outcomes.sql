-- The recall task list's own records (DOMAIN.md §8): what came of each call about a task
-- (`recall.record_outcome@1`, one row per outcome, history kept), and when this desk first
-- listed each task of a store, from which its 24-hour overdue mark is counted.
CREATE TABLE recall_outcomes (
    id          TEXT PRIMARY KEY, -- the command's mutation id
    store_id    TEXT NOT NULL REFERENCES stores(id),
    patient_id  TEXT NOT NULL REFERENCES patients(id),
    kind        TEXT NOT NULL CHECK (kind IN ('lens_replacement', 'recheck_overdue', 'ortho_k_candidate', 'referral_candidate')),
    outcome     TEXT NOT NULL CHECK (outcome IN ('contacted', 'booked', 'declined', 'unreachable')),
    note        TEXT,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL -- the actor's label ("receptionist:李娜")
) STRICT;
-- The list reads a store's outcomes in one range of this index, in time order.
CREATE INDEX recall_outcomes_by_store ON recall_outcomes(store_id, at);

CREATE TABLE recall_listed (
    store_id    TEXT NOT NULL REFERENCES stores(id),
    patient_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    listed_at   INTEGER NOT NULL,
    PRIMARY KEY (store_id, patient_id, kind)
) STRICT, WITHOUT ROWID;
