-- The daily recall list reads, for every exam of a store's patients, only what the rules of
-- DOMAIN.md §8 use: the date, the recheck date, and per eye sphere, cylinder and corneal
-- thickness. They are kept as a short JSON array next to the exam (by triggers, whatever
-- writes the exam) and read from an index that holds them, so that 100,000 exams are read
-- without touching their full documents.
ALTER TABLE eye_exams ADD COLUMN recall_facts TEXT;

UPDATE eye_exams SET recall_facts = json_array(
    json_extract(data, '$.next_recheck'),
    json_extract(data, '$.od.sphere_cd'), json_extract(data, '$.od.cylinder_cd'), json_extract(data, '$.od.central_corneal_thickness_um'),
    json_extract(data, '$.os.sphere_cd'), json_extract(data, '$.os.cylinder_cd'), json_extract(data, '$.os.central_corneal_thickness_um'));

CREATE TRIGGER eye_exams_recall_facts_insert AFTER INSERT ON eye_exams BEGIN
    UPDATE eye_exams SET recall_facts = json_array(
        json_extract(NEW.data, '$.next_recheck'),
        json_extract(NEW.data, '$.od.sphere_cd'), json_extract(NEW.data, '$.od.cylinder_cd'), json_extract(NEW.data, '$.od.central_corneal_thickness_um'),
        json_extract(NEW.data, '$.os.sphere_cd'), json_extract(NEW.data, '$.os.cylinder_cd'), json_extract(NEW.data, '$.os.central_corneal_thickness_um'))
    WHERE id = NEW.id;
END;

CREATE TRIGGER eye_exams_recall_facts_update AFTER UPDATE OF data ON eye_exams BEGIN
    UPDATE eye_exams SET recall_facts = json_array(
        json_extract(NEW.data, '$.next_recheck'),
        json_extract(NEW.data, '$.od.sphere_cd'), json_extract(NEW.data, '$.od.cylinder_cd'), json_extract(NEW.data, '$.od.central_corneal_thickness_um'),
        json_extract(NEW.data, '$.os.sphere_cd'), json_extract(NEW.data, '$.os.cylinder_cd'), json_extract(NEW.data, '$.os.central_corneal_thickness_um'))
    WHERE id = NEW.id;
END;

CREATE INDEX eye_exams_recall ON eye_exams(patient_id, examined_on, id, store_id, recall_facts);
