-- Eye-health record (DOMAIN.md §7): the visit an exam was made at, and the audit trail of
-- exam entries and corrections (who, when, which values from what to what, and why).
-- Forward-only: never edit once released.

ALTER TABLE eye_exams ADD COLUMN appointment_id TEXT REFERENCES appointments(id);

CREATE TABLE eye_exam_audit (
    mutation_id TEXT NOT NULL,
    idx         INTEGER NOT NULL,
    exam_id     TEXT NOT NULL REFERENCES eye_exams(id),
    patient_id  TEXT NOT NULL REFERENCES patients(id),
    store_id    TEXT NOT NULL REFERENCES stores(id),
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL, -- the actor's label ("optometrist:林雨桐")
    action      TEXT NOT NULL CHECK (action IN ('recorded', 'amended')),
    reason      TEXT,
    changes     TEXT NOT NULL, -- JSON [{field, from, to}]: the values set or replaced
    PRIMARY KEY (mutation_id, idx)
) STRICT;
CREATE INDEX eye_exam_audit_by_exam ON eye_exam_audit(exam_id, at);
CREATE INDEX eye_exam_audit_by_patient ON eye_exam_audit(patient_id, at);
