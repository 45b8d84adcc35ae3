//! The desk's half of offline sync against real SQLite files (SYNC.md): pulled changes
//! applied idempotently, pending commands rebased on them and warned about at once, the
//! server's answers recorded, and a snapshot that resumes where it stopped.

use chrono::{DateTime, Duration, TimeZone, Utc};
use clinicdesk_demo::{generate, DemoChain, DemoConfig};
use clinicdesk_domain::booking::doctors_with_free_slots;
use clinicdesk_domain::commands::*;
use clinicdesk_domain::model::*;
use clinicdesk_domain::roles::{Actor, Role};
use clinicdesk_domain::sync::{
    Change, ConflictRecord, ConflictResolution, Cursor, PullResponse, PushResponse, PushResult, PushStatus, MAX_PUSH,
};
use clinicdesk_store::sync::kind;
use clinicdesk_store::{open, LocalStore, OpenOptions};
use serde::Serialize;
use uuid::Uuid;

mod common;
use common::{demo_database, scalar, set_up, staff_of, today, Desk};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap()
}

async fn desk() -> Desk {
    let db = demo_database().await;
    let first = db.2.world.stores.values().min_by_key(|s| s.code.clone()).unwrap().id;
    set_up(db, first, 0x5EC).await
}

fn receptionist(d: &Desk) -> Actor {
    staff_of(&d.chain, d.device.store_id, Role::Receptionist).expect("demo staff")
}

/// Free slots tomorrow in the desk's store: (department, doctor, start, end), `n` of them.
fn free_slots(d: &Desk, n: usize) -> Vec<(Id, Id, DateTime<Utc>, DateTime<Utc>)> {
    let w = &d.chain.world;
    let store = &w.stores[&d.device.store_id];
    let day = today() + Duration::days(1);
    let mut out = Vec::new();
    for dep in w.departments.values().filter(|x| x.store_id == store.id) {
        for (doc, slots) in doctors_with_free_slots(w, store, dep.id, day) {
            for s in slots {
                if out.len() < n && !out.iter().any(|o: &(Id, Id, _, _)| o.1 == doc.doctor_id && o.2 == s.start) {
                    out.push((dep.id, doc.doctor_id, s.start, s.end));
                }
            }
        }
    }
    assert_eq!(out.len(), n, "free slots tomorrow in the demo store");
    out
}

fn booking(d: &Desk, slot: (Id, Id, DateTime<Utc>, DateTime<Utc>), patient_no: usize) -> BookingCreate {
    let (department_id, doctor_id, start, end) = slot;
    let patient_id = *d.chain.world.patients.keys().nth(patient_no).unwrap();
    BookingCreate {
        appointment_id: Uuid::now_v7(),
        store_id: d.device.store_id,
        doctor_id,
        department_id,
        patient_id,
        complaint_id: None,
        start,
        end,
        visit_type: None,
        source: Source::Desk,
        fee: None,
    }
}

fn change<T: Serialize>(kind: &str, id: String, store_id: Option<Id>, server_seq: i64, row: &T) -> Change {
    Change { kind: kind.into(), id, store_id, server_seq, data: serde_json::to_value(row).unwrap() }
}

fn appointment_change(a: &Appointment, seq: i64) -> Change {
    change(kind::APPOINTMENT, a.id.to_string(), Some(a.store_id), seq, a)
}

fn page(changes: Vec<Change>) -> PullResponse {
    let next = changes.last().map(|c| Cursor { server_seq: c.server_seq, kind: c.kind.clone(), id: c.id.clone(), mark: None });
    PullResponse {
        epoch: "epoch-1".into(),
        epoch_changed: false,
        snapshot_required: false,
        head_seq: changes.iter().map(|c| c.server_seq).max().unwrap_or(0),
        changes,
        next,
        has_more: false,
        total: None,
    }
}

async fn appointment(store: &LocalStore, id: Id) -> (String, String, i64) {
    sqlx::query_as("SELECT state, sync_state, start_ts FROM appointments WHERE id = ?")
        .bind(id.to_string())
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// An appointment of the desk's store that staff can still cancel, in the future.
fn upcoming(d: &Desk) -> Appointment {
    d.chain
        .world
        .appointments
        .values()
        .find(|a| {
            a.store_id == d.device.store_id
                && a.state == AppointmentState::Confirmed
                && a.start > now() + Duration::days(2)
                && a.fee_id.is_none()
        })
        .expect("a confirmed appointment later this week")
        .clone()
}

/// Every row of the tables a pull writes, as text, sorted: equal dumps are equal databases.
async fn dump(store: &LocalStore) -> Vec<String> {
    let tables = [
        "tenants",
        "stores",
        "departments",
        "doctors",
        "doctor_departments",
        "doctor_orders",
        "complaints",
        "visit_types",
        "channels",
        "staff",
        "guardians",
        "patients",
        "patient_guardians",
        "schedules",
        "blocked_times",
        "appointments",
        "fees",
        "refunds",
        "cancellation_requests",
        "appointment_history",
        "eye_exams",
        "corrections",
        "conflicts",
    ];
    let mut out = Vec::new();
    for t in tables {
        let cols: Vec<(String,)> =
            sqlx::query_as(&format!("SELECT name FROM pragma_table_info('{t}')")).fetch_all(store.pool()).await.unwrap();
        let expr = cols.iter().map(|(c,)| format!("quote({c})")).collect::<Vec<_>>().join(" || '|' || ");
        let rows: Vec<(String,)> = sqlx::query_as(&format!("SELECT '{t}|' || {expr} FROM {t}")).fetch_all(store.pool()).await.unwrap();
        out.extend(rows.into_iter().map(|r| r.0));
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_pulled_change_older_than_the_row_is_ignored() {
    let d = desk().await;
    let a = upcoming(&d);
    let mut newer = a.clone();
    newer.state = AppointmentState::Cancelled;
    let done = d.store.apply_pull(&page(vec![appointment_change(&newer, 20)])).await.unwrap();
    assert_eq!((done.applied, done.skipped), (1, 0));
    assert_eq!(appointment(&d.store, a.id).await.0, "cancelled");

    // An older copy (seq 10) of the row arrives late: the row keeps the newer one.
    let mut older = a.clone();
    older.state = AppointmentState::CheckedIn;
    let done = d.store.apply_pull(&page(vec![appointment_change(&older, 10)])).await.unwrap();
    assert_eq!((done.applied, done.skipped), (0, 1));
    assert_eq!(appointment(&d.store, a.id).await.0, "cancelled");
    // The same seq again is not newer either.
    let done = d.store.apply_pull(&page(vec![appointment_change(&older, 20)])).await.unwrap();
    assert_eq!(done.skipped, 1);
    assert_eq!(appointment(&d.store, a.id).await.0, "cancelled");
}

#[tokio::test]
async fn applying_the_same_page_twice_changes_nothing() {
    let d = desk().await;
    let actor = receptionist(&d);
    // Local work that the page is rebased under.
    let b = booking(&d, free_slots(&d, 1)[0], 3);
    d.store.execute(&d.device, &actor, &Command::BookingCreate(b.clone()), now()).await.unwrap();

    let a = upcoming(&d);
    let mut moved = a.clone();
    moved.start += Duration::hours(1);
    moved.end += Duration::hours(1);
    let patient = Patient {
        id: Uuid::now_v7(),
        tenant_id: a.tenant_id,
        name: "王小雨".into(),
        sex: Sex::Female,
        birth_date: chrono::NaiveDate::from_ymd_opt(2016, 5, 1).unwrap(),
        phone: "13800000001".into(),
        guardian_ids: vec![],
        channel_code: None,
        consultant_id: None,
    };
    let conflict = ConflictRecord {
        id: Uuid::now_v7(),
        store_id: d.device.store_id,
        device_id: "other-desk".into(),
        actor_id: "someone".into(),
        name: "booking.create@1".into(),
        args: serde_json::json!({"appointment_id": Uuid::now_v7()}),
        code: "slot_conflict".into(),
        message: "时段已被占用".into(),
        messages: None,
        detail: None,
        created_at: now(),
        rejected_at: now(),
        server_seq: 32,
        resolution: None,
    };
    let p = page(vec![
        appointment_change(&moved, 30),
        change(kind::PATIENT, patient.id.to_string(), None, 31, &patient),
        change(kind::CONFLICT, conflict.id.to_string(), Some(d.device.store_id), 32, &conflict),
    ]);
    let first = d.store.apply_pull(&p).await.unwrap();
    assert_eq!((first.applied, first.conflicts_new, first.rebased), (3, 1, 1));
    let before = dump(&d.store).await;
    let outbox_before = d.store.outbox().await.unwrap();
    let meta_before = d.store.sync_meta().await.unwrap();

    let second = d.store.apply_pull(&p).await.unwrap();
    assert_eq!((second.applied, second.skipped, second.conflicts_new, second.rebased), (0, 3, 0, 0));
    assert_eq!(dump(&d.store).await, before);
    assert_eq!(d.store.outbox().await.unwrap(), outbox_before);
    assert_eq!(d.store.sync_meta().await.unwrap(), meta_before);
    assert_eq!(d.store.conflicts(d.device.store_id).await.unwrap(), vec![conflict]);
    assert_eq!(appointment(&d.store, b.appointment_id).await.1, "pending", "the local booking is still pending");
}

#[tokio::test]
async fn a_pulled_appointment_in_a_pending_bookings_slot_marks_it_attention_with_slot_conflict_predicted() {
    let d = desk().await;
    let actor = receptionist(&d);
    let slot = free_slots(&d, 1)[0];
    let b = booking(&d, slot, 1);
    let done = d.store.execute(&d.device, &actor, &Command::BookingCreate(b.clone()), now()).await.unwrap();
    assert_eq!(appointment(&d.store, b.appointment_id).await.1, "pending");

    // Meanwhile the patient app (or another desk) took the slot on the server: as many
    // appointments as the slot holds.
    let capacity = d.chain.world.stores[&d.device.store_id].settings.capacity_per_slot.max(1);
    let taken: Vec<Appointment> = (0..capacity as usize)
        .map(|i| Appointment {
            id: Uuid::now_v7(),
            tenant_id: d.chain.world.stores[&d.device.store_id].tenant_id,
            store_id: d.device.store_id,
            doctor_id: slot.1,
            department_id: slot.0,
            patient_id: *d.chain.world.patients.keys().nth(10 + i).unwrap(),
            complaint_id: None,
            start: slot.2,
            end: slot.3,
            state: AppointmentState::Pending,
            visit_type: VISIT_FIRST.into(),
            visit_type_by_fallback: true,
            source: Source::PatientApp,
            fee_id: None,
            created_at: now(),
            updated_at: now(),
        })
        .collect();
    let changes = taken.iter().enumerate().map(|(i, a)| appointment_change(a, 100 + i as i64)).collect();
    let pulled = d.store.apply_pull(&page(changes)).await.unwrap();
    assert_eq!((pulled.rebased, pulled.predicted), (1, 1));

    // Warned at once: the local booking is kept, marked for attention, with the predicted code.
    let (state, sync_state, _) = appointment(&d.store, b.appointment_id).await;
    assert_eq!((state.as_str(), sync_state.as_str()), ("confirmed", "attention"));
    for a in &taken {
        assert_eq!(appointment(&d.store, a.id).await.1, "confirmed");
    }
    let details = d.store.sync_details(10).await.unwrap();
    assert_eq!(details.len(), 1);
    assert_eq!((details[0].status.as_str(), details[0].predicted.as_deref()), ("pending", Some("slot_conflict")));
    assert_eq!(d.store.attention_count().await.unwrap(), 1);

    // Never discarded: it is still in the outbox and still pushed.
    let pending = d.store.pending_commands(MAX_PUSH).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].device_seq, pending[0].mutation_id), (done.device_seq, done.mutation_id));
    assert_eq!(
        scalar(
            &d.store,
            "SELECT COUNT(*) FROM appointment_history WHERE action = 'booked' AND mutation_id = (SELECT mutation_id FROM outbox)"
        )
        .await,
        1
    );

    // The server cancels the taker: the next rebase finds the slot free again.
    let mut freed = taken[0].clone();
    freed.state = AppointmentState::Cancelled;
    let pulled = d.store.apply_pull(&page(vec![appointment_change(&freed, 200)])).await.unwrap();
    assert_eq!(pulled.predicted, 0);
    assert_eq!(appointment(&d.store, b.appointment_id).await.1, "pending");
    assert_eq!(d.store.sync_details(10).await.unwrap()[0].predicted, None);
}

fn result(seq: i64, mutation_id: Id, status: PushStatus, code: Option<&str>, server_seq: i64) -> PushResult {
    PushResult {
        device_seq: seq,
        mutation_id,
        status,
        code: code.map(str::to_string),
        message: code.map(|_| "该时段已被其他预约占用".to_string()),
        server_seq,
        replayed: false,
    }
}

fn answer(results: Vec<PushResult>) -> PushResponse {
    PushResponse {
        epoch: "epoch-1".into(),
        last_device_seq: results.iter().map(|r| r.device_seq).max().unwrap_or(0),
        results,
        server_time: now(),
    }
}

#[tokio::test]
async fn record_push_confirms_applied_appointments_and_flags_rejected_ones() {
    let d = desk().await;
    let actor = receptionist(&d);
    let slots = free_slots(&d, 3);
    let b1 = booking(&d, slots[0], 1);
    let b2 = booking(&d, slots[1], 2);
    let b3 = booking(&d, slots[2], 3);
    let mut done = Vec::new();
    for b in [&b1, &b2, &b3] {
        done.push(d.store.execute(&d.device, &actor, &Command::BookingCreate(b.clone()), now()).await.unwrap());
    }
    // A later pending command on b3 keeps it pending after b3's booking is applied.
    let cancel = Command::Cancel(WithReason { appointment_id: b3.appointment_id, reason: "患者来电取消".into() });
    d.store.execute(&d.device, &actor, &cancel, now()).await.unwrap();

    let recorded = d
        .store
        .record_push(&answer(vec![
            result(1, done[0].mutation_id, PushStatus::Applied, None, 11),
            result(2, done[1].mutation_id, PushStatus::Rejected, Some("slot_conflict"), 12),
            result(3, done[2].mutation_id, PushStatus::Applied, None, 13),
        ]))
        .await
        .unwrap();
    assert_eq!((recorded.applied, recorded.rejected, recorded.unknown), (2, 1, 0));
    assert_eq!(appointment(&d.store, b1.appointment_id).await.1, "confirmed");
    assert_eq!(appointment(&d.store, b2.appointment_id).await.1, "attention");
    assert_eq!(appointment(&d.store, b3.appointment_id).await.1, "pending", "its cancel still awaits the server");
    assert_eq!(d.store.pending_count().await.unwrap(), 1);
    assert_eq!(d.store.attention_count().await.unwrap(), 1);

    let details = d.store.sync_details(10).await.unwrap();
    let by_seq = |s: i64| details.iter().find(|x| x.device_seq == s).unwrap().clone();
    assert_eq!(by_seq(1).status, "applied");
    assert_eq!((by_seq(2).status.as_str(), by_seq(2).code.as_deref()), ("rejected", Some("slot_conflict")));
    assert_eq!(by_seq(2).message.as_deref(), Some("该时段已被其他预约占用"));
    assert_eq!(by_seq(2).acknowledged_at, Some(now()));
    assert_eq!(details[0].device_seq, details.len() as i64, "newest first");

    // An answer for a command this desk never made is refused whole.
    let bad = answer(vec![result(99, Uuid::now_v7(), PushStatus::Applied, None, 14)]);
    assert_eq!(d.store.record_push(&bad).await.unwrap_err().code(), "corrupt");

    // Every desk of the store lists the conflict; once resolved the rejected booking's row
    // goes back to the server's (it never had it), and nothing needs attention.
    let conflict = ConflictRecord {
        id: done[1].mutation_id,
        store_id: d.device.store_id,
        device_id: d.device.device_id.to_string(),
        actor_id: "receptionist".into(),
        name: "booking.create@1".into(),
        args: Command::BookingCreate(b2.clone()).args(),
        code: "slot_conflict".into(),
        message: "该时段已被其他预约占用".into(),
        messages: None,
        detail: Some(serde_json::json!({"taken_by": []})),
        created_at: now(),
        rejected_at: now(),
        server_seq: 12,
        resolution: None,
    };
    let c = |rec: &ConflictRecord, seq| change(kind::CONFLICT, rec.id.to_string(), Some(rec.store_id), seq, rec);
    d.store.apply_pull(&page(vec![c(&conflict, 12)])).await.unwrap();
    let listed = d.store.conflicts(d.device.store_id).await.unwrap();
    assert_eq!(listed, vec![conflict.clone()]);
    assert_eq!(listed[0].args["appointment_id"], serde_json::json!(b2.appointment_id), "the original input is kept");
    assert_eq!(appointment(&d.store, b2.appointment_id).await.1, "attention", "still kept for attention");

    let mut resolved = conflict.clone();
    resolved.resolution = Some(ConflictResolution { by: Uuid::now_v7(), how: "called_patient".into(), at: now() });
    d.store.apply_pull(&page(vec![c(&resolved, 40)])).await.unwrap();
    assert_eq!(scalar(&d.store, &format!("SELECT COUNT(*) FROM appointments WHERE id = '{}'", b2.appointment_id)).await, 0);
    assert_eq!(d.store.attention_count().await.unwrap(), 0);
    assert!(d.store.sync_details(10).await.unwrap().iter().find(|x| x.device_seq == 2).unwrap().resolved);
}

#[tokio::test]
async fn a_command_the_server_does_not_know_stays_pending() {
    let d = desk().await;
    let actor = receptionist(&d);
    let b = booking(&d, free_slots(&d, 1)[0], 1);
    let done = d.store.execute(&d.device, &actor, &Command::BookingCreate(b.clone()), now()).await.unwrap();
    let mut r = result(1, done.mutation_id, PushStatus::Unknown, None, 0);
    r.code = Some("unknown_command".into());
    let recorded = d.store.record_push(&answer(vec![r])).await.unwrap();
    assert_eq!(recorded.unknown, 1);
    assert_eq!(d.store.pending_count().await.unwrap(), 1);
    assert_eq!(d.store.pending_commands(10).await.unwrap()[0].mutation_id, done.mutation_id);
    assert_eq!(d.store.sync_details(1).await.unwrap()[0].status, "unknown");
    assert_eq!(appointment(&d.store, b.appointment_id).await.1, "pending");
}

#[tokio::test]
async fn rebase_keeps_a_pending_local_change_on_top_of_a_pulled_change_to_the_same_appointment() {
    let d = desk().await;
    let actor = receptionist(&d);
    let a = upcoming(&d);
    let cancel = Command::Cancel(WithReason { appointment_id: a.id, reason: "患者来电改期".into() });
    d.store.execute(&d.device, &actor, &cancel, now()).await.unwrap();
    assert_eq!(appointment(&d.store, a.id).await.0, "cancelled");

    // The server moved the appointment an hour later (another desk's reschedule).
    let mut moved = a.clone();
    moved.start += Duration::hours(1);
    moved.end += Duration::hours(1);
    moved.updated_at = now();
    let pulled = d.store.apply_pull(&page(vec![appointment_change(&moved, 50)])).await.unwrap();
    assert_eq!((pulled.applied, pulled.rebased, pulled.predicted), (1, 1, 0));

    // The server's move and the local cancel on top of it.
    let (state, sync_state, start) = appointment(&d.store, a.id).await;
    assert_eq!((state.as_str(), sync_state.as_str(), start), ("cancelled", "pending", moved.start.timestamp()));
    let cancels =
        scalar(&d.store, &format!("SELECT COUNT(*) FROM appointment_history WHERE appointment_id = '{}' AND action = 'cancel'", a.id))
            .await;
    assert_eq!(cancels, 1, "the local history line once");

    // Once the server applied the cancel, the row is confirmed; the server's copy of it
    // (newer) then replaces the desk's.
    let outbox = d.store.outbox().await.unwrap();
    d.store.record_push(&answer(vec![result(1, outbox[0].mutation_id, PushStatus::Applied, None, 60)])).await.unwrap();
    assert_eq!(appointment(&d.store, a.id).await.1, "confirmed");
    let mut server = moved.clone();
    server.state = AppointmentState::Cancelled;
    d.store.apply_pull(&page(vec![appointment_change(&server, 60)])).await.unwrap();
    let (state, sync_state, start) = appointment(&d.store, a.id).await;
    assert_eq!((state.as_str(), sync_state.as_str(), start), ("cancelled", "confirmed", moved.start.timestamp()));
    assert_eq!(scalar(&d.store, "SELECT COUNT(*) FROM sync_base").await, 0, "no base left without local work");
}

/// A chain as the server sends it (`clinicdesk_server::docs::chain_docs`, plus exams and
/// corrections), in the server's order.
fn chain_changes(chain: &DemoChain, seq: i64) -> Vec<Change> {
    let w = &chain.world;
    let mut out = Vec::new();
    let s = |x: Id| x.to_string();
    out.extend(w.tenants.values().map(|t| change(kind::TENANT, s(t.id), None, seq, t)));
    out.extend(w.stores.values().map(|x| change(kind::STORE, s(x.id), Some(x.id), seq, x)));
    out.extend(w.departments.values().map(|x| change(kind::DEPARTMENT, s(x.id), Some(x.store_id), seq, x)));
    out.extend(w.doctors.values().map(|x| change(kind::DOCTOR, s(x.id), None, seq, x)));
    out.extend(w.doctor_orders.values().map(|x| change(kind::DOCTOR_ORDER, s(x.store_id), Some(x.store_id), seq, x)));
    out.extend(w.complaints.values().map(|x| change(kind::COMPLAINT, s(x.id), None, seq, x)));
    out.extend(w.visit_types.iter().map(|(t, v)| change(kind::VISIT_TYPES, s(*t), None, seq, v)));
    out.extend(w.channels.values().map(|c| change(kind::CHANNEL, format!("{}/{}", c.tenant_id, c.code), None, seq, c)));
    out.extend(w.staff.values().map(|x| change(kind::STAFF, s(x.id), None, seq, x)));
    out.extend(w.guardians.values().map(|x| change(kind::GUARDIAN, s(x.id), None, seq, x)));
    out.extend(w.patients.values().map(|x| change(kind::PATIENT, s(x.id), None, seq, x)));
    out.extend(w.schedules.values().map(|x| change(kind::SCHEDULE, s(x.id), Some(x.store_id), seq, x)));
    out.extend(w.blocks.values().map(|x| change(kind::BLOCK, s(x.id), Some(x.store_id), seq, x)));
    out.extend(w.appointments.values().map(|x| change(kind::APPOINTMENT, s(x.id), Some(x.store_id), seq, x)));
    out.extend(w.fees.values().map(|x| change(kind::FEE, s(x.id), Some(x.store_id), seq, x)));
    out.extend(w.refunds.values().map(|x| change(kind::REFUND, s(x.id), None, seq, x)));
    out.extend(w.requests.values().map(|x| change(kind::REQUEST, s(x.id), Some(x.store_id), seq, x)));
    out.extend(chain.history.iter().map(|h| change(kind::HISTORY, format!("{}/{}", h.mutation_id, h.index), None, seq, h)));
    out.extend(chain.exams.iter().map(|e| change(kind::EYE_EXAM, s(e.id), Some(e.store_id), seq, e)));
    out.extend(chain.corrections.iter().map(|(p, c)| change(kind::CORRECTION, s(*p), None, seq, c)));
    out.sort_by(|a, b| (a.server_seq, &a.kind, &a.id).cmp(&(b.server_seq, &b.kind, &b.id)));
    out
}

/// The server's pull over `all`: the changes after `after`, `limit` at a time.
fn serve(all: &[Change], after: Option<&Cursor>, limit: usize) -> PullResponse {
    let rest: Vec<&Change> = all
        .iter()
        .filter(|c| after.is_none_or(|a| (c.server_seq, c.kind.as_str(), c.id.as_str()) > (a.server_seq, a.kind.as_str(), a.id.as_str())))
        .collect();
    let mut p = page(rest.iter().take(limit).map(|c| (*c).clone()).collect());
    p.has_more = rest.len() > limit;
    p.total = after.is_none().then_some(all.len() as i64);
    p
}

#[tokio::test]
async fn a_snapshot_interrupted_after_page_k_resumes_at_page_k_plus_1_and_ends_equal() {
    let chain = generate(&DemoConfig { seed: 7, size: 0.05, today: today() });
    let all = chain_changes(&chain, 1);
    let limit = all.len() / 5 + 1;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.sqlite3");

    // A fresh desk takes pages 1 and 2, then the desk crashes (the store is dropped).
    let desk = open(&path, OpenOptions::default()).await.unwrap();
    desk.begin_snapshot(None).await.unwrap();
    let mut cursor: Option<Cursor> = None;
    for _ in 0..2 {
        let p = serve(&all, cursor.as_ref(), limit);
        assert!(p.has_more);
        desk.apply_pull(&p).await.unwrap();
        cursor = p.next.clone();
    }
    let page3_first = serve(&all, cursor.as_ref(), limit).changes[0].clone();
    desk.close().await;
    drop(desk);

    // Reopened, it resumes after the last stored cursor: page 3 is next.
    let desk = open(&path, OpenOptions::default()).await.unwrap();
    let meta = desk.sync_meta().await.unwrap();
    let progress = meta.snapshot.clone().expect("a snapshot under way");
    assert_eq!((progress.done, progress.total), (2 * limit as i64, Some(all.len() as i64)));
    assert_eq!(meta.cursor, cursor);
    let mut pages = 0;
    loop {
        let p = serve(&all, meta_cursor(&desk).await.as_ref(), limit);
        if pages == 0 {
            assert_eq!(p.changes[0], page3_first);
        }
        desk.apply_pull(&p).await.unwrap();
        pages += 1;
        if !p.has_more {
            break;
        }
    }
    assert!(pages >= 2);
    assert_eq!(desk.sync_meta().await.unwrap().snapshot, None, "the snapshot is complete");

    // It ends equal to a desk that loaded the same chain in one go.
    let reference_dir = tempfile::tempdir().unwrap();
    let reference = open(&reference_dir.path().join("ref.sqlite3"), OpenOptions::default()).await.unwrap();
    reference.import_chain(&chain.world, &chain.history, &chain.exams, &chain.corrections).await.unwrap();
    assert_eq!(dump(&desk).await, dump(&reference).await);
    // And foreign keys hold once it is whole.
    assert_eq!(scalar(&desk, "SELECT COUNT(*) FROM pragma_foreign_key_check").await, 0);
}

async fn meta_cursor(store: &LocalStore) -> Option<Cursor> {
    store.sync_meta().await.unwrap().cursor
}

/// A pulled patient (written in bulk with the rest of the page's patients) replaces the desk's
/// row: the name on their appointments' cards follows, and the guardian links are the server's.
#[tokio::test]
async fn pulled_patients_rename_their_appointment_cards_and_replace_guardian_links() {
    let d = desk().await;
    let w = &d.chain.world;
    let a = w.appointments.values().find(|a| a.store_id == d.device.store_id).unwrap();
    let mut p = w.patients[&a.patient_id].clone();
    p.name = "改名后".into();
    p.phone = "13700000001".into();
    let guardian = w.guardians.values().next().expect("a demo guardian").id;
    p.guardian_ids = vec![guardian];
    let mut other = w.patients.values().find(|o| o.id != p.id && !o.guardian_ids.is_empty()).expect("a patient with a guardian").clone();
    other.guardian_ids.clear();
    let changes =
        vec![change(kind::PATIENT, p.id.to_string(), None, 10, &p), change(kind::PATIENT, other.id.to_string(), None, 10, &other)];
    let applied = d.store.apply_pull(&page(changes)).await.unwrap();
    assert_eq!(applied.applied, 2);
    let (name, initials, phone): (String, String, String) = sqlx::query_as("SELECT name, initials, phone FROM patients WHERE id = ?")
        .bind(p.id.to_string())
        .fetch_one(d.store.pool())
        .await
        .unwrap();
    assert_eq!((name.as_str(), initials.as_str(), phone.as_str()), ("改名后", "gmh", "13700000001"));
    let stale: i64 =
        scalar(&d.store, &format!("SELECT COUNT(*) FROM appointments WHERE patient_id = '{}' AND patient_name <> '改名后'", p.id)).await;
    assert_eq!(stale, 0, "every card of the patient shows the new name");
    let links: Vec<(String,)> = sqlx::query_as("SELECT guardian_id FROM patient_guardians WHERE patient_id = ?")
        .bind(p.id.to_string())
        .fetch_all(d.store.pool())
        .await
        .unwrap();
    assert_eq!(links, vec![(guardian.to_string(),)]);
    let left: i64 = scalar(&d.store, &format!("SELECT COUNT(*) FROM patient_guardians WHERE patient_id = '{}'", other.id)).await;
    assert_eq!(left, 0, "a guardian the server no longer links is unlinked");
}

/// A cancel refused with `refund_first` for a fee the patient paid online (only the server
/// may refund it): the conflict offers to transfer the refund to the server, naming the fee;
/// once the server was asked (or for a fee paid at a desk) it is not offered.
#[tokio::test]
async fn a_cancel_refused_for_an_online_paid_fee_offers_transferring_the_refund_to_the_server() {
    let d = desk().await;
    let w = &d.chain.world;
    let online = w
        .fees
        .values()
        .find(|f| {
            f.store_id == d.device.store_id
                && f.status == ChargeStatus::Charged
                && f.method.is_some_and(|m| m.is_online())
                && f.refund_requested_at.is_none()
                && !w.refunds.values().any(|r| r.fee_id == f.id)
        })
        .expect("a charged online fee in the demo store")
        .clone();
    let conflict = |id: Uuid, fee: &Fee, seq: i64| ConflictRecord {
        id,
        store_id: d.device.store_id,
        device_id: "other-desk".into(),
        actor_id: "someone".into(),
        name: "appointment.cancel@1".into(),
        args: serde_json::json!({ "appointment_id": fee.appointment_id, "reason": "患者来电取消" }),
        code: "refund_first".into(),
        message: "请先退费".into(),
        messages: None,
        detail: None,
        created_at: now(),
        rejected_at: now(),
        server_seq: seq,
        resolution: None,
    };
    let first = conflict(Uuid::now_v7(), &online, 40);
    d.store.apply_pull(&page(vec![change(kind::CONFLICT, first.id.to_string(), Some(d.device.store_id), 40, &first)])).await.unwrap();
    let items = d.store.conflict_items(d.device.store_id, clinicdesk_domain::Lang::ZhCn).await.unwrap();
    let item = items.iter().find(|i| i.id == first.id.to_string()).unwrap();
    assert!(item.fixes.contains(&"transfer_refund".to_string()), "{:?}", item.fixes);
    assert_eq!(item.refund_fee_id.as_deref(), Some(online.id.to_string().as_str()));

    // A fee paid at a desk is this store's to refund: no transfer.
    let at_desk = w
        .fees
        .values()
        .find(|f| f.store_id == d.device.store_id && f.status == ChargeStatus::Charged && f.method.is_some_and(|m| !m.is_online()))
        .expect("a fee paid at the desk")
        .clone();
    let second = conflict(Uuid::now_v7(), &at_desk, 41);
    d.store.apply_pull(&page(vec![change(kind::CONFLICT, second.id.to_string(), Some(d.device.store_id), 41, &second)])).await.unwrap();
    let items = d.store.conflict_items(d.device.store_id, clinicdesk_domain::Lang::ZhCn).await.unwrap();
    let item = items.iter().find(|i| i.id == second.id.to_string()).unwrap();
    assert!(!item.fixes.contains(&"transfer_refund".to_string()), "{:?}", item.fixes);
    assert_eq!(item.refund_fee_id, None);
}
