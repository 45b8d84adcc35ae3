//! The desk's local store against real SQLite files: durability settings, backups before
//! migrating, one transaction per command with its outbox row, the board's queries.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use clinicdesk_demo::DemoChain;
use clinicdesk_domain::booking::doctors_with_free_slots;
use clinicdesk_domain::commands::*;
use clinicdesk_domain::model::*;
use clinicdesk_domain::order::order_doctors;
use clinicdesk_domain::roles::{Actor, Role};
use clinicdesk_store::{open, OpenOptions};
use uuid::Uuid;

mod common;
use common::{count, demo_database, set_up, staff_of, today, Desk};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap()
}

async fn desk() -> Desk {
    let db = demo_database().await;
    let first = db.2.world.stores.values().min_by_key(|s| s.code.clone()).unwrap().id;
    set_up(db, first, 0xABCDEF).await
}

fn staff(chain: &DemoChain, store_id: Id, role: Role) -> Actor {
    staff_of(chain, store_id, role).expect("demo staff")
}

/// A free slot tomorrow in the desk's store: (department, doctor, start, end).
fn free_slot(d: &Desk) -> (Id, Id, DateTime<Utc>, DateTime<Utc>) {
    let w = &d.chain.world;
    let store = &w.stores[&d.device.store_id];
    let day = today() + Duration::days(1);
    for dep in w.departments.values().filter(|x| x.store_id == store.id) {
        if let Some((doc, slots)) = doctors_with_free_slots(w, store, dep.id, day).into_iter().next() {
            return (dep.id, doc.doctor_id, slots[0].start, slots[0].end);
        }
    }
    panic!("no free slot tomorrow in the demo store");
}

fn booking(d: &Desk, fee: Option<NewFee>) -> BookingCreate {
    let (department_id, doctor_id, start, end) = free_slot(d);
    let patient_id = *d.chain.world.patients.keys().next().unwrap();
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
        fee,
    }
}

#[tokio::test]
async fn desk_database_runs_wal_with_full_sync_foreign_keys_and_a_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("d.sqlite3"), OpenOptions::default()).await.unwrap();
    let (journal, sync, fk, busy) = store.pragmas().await.unwrap();
    assert_eq!(journal.to_lowercase(), "wal");
    assert_eq!(sync, 2, "synchronous=FULL");
    assert_eq!(fk, 1);
    assert_eq!(busy, 5000);
}

#[tokio::test]
async fn an_existing_database_is_backed_up_before_migrating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    {
        // A file from before the first migration, holding data that must survive.
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display())).await.unwrap();
        sqlx::query("CREATE TABLE legacy_notes (text TEXT)").execute(&pool).await.unwrap();
        sqlx::query("INSERT INTO legacy_notes VALUES ('张小明 复查')").execute(&pool).await.unwrap();
        pool.close().await;
    }
    let store = open(&path, OpenOptions::default()).await.unwrap();
    let backup = dir.path().join("desk.sqlite3.before-v0.bak");
    assert!(backup.exists(), "backup written before migrating");
    let copy = sqlx::SqlitePool::connect(&format!("sqlite://{}", backup.display())).await.unwrap();
    let (text,): (String,) = sqlx::query_as("SELECT text FROM legacy_notes").fetch_one(&copy).await.unwrap();
    assert_eq!(text, "张小明 复查");
    assert!(store.is_empty().await.unwrap(), "migrated and usable");

    // Opening again with nothing pending writes no new backup.
    std::fs::remove_file(&backup).unwrap();
    store.close().await;
    open(&path, OpenOptions::default()).await.unwrap();
    assert!(!backup.exists());
}

#[tokio::test]
async fn every_command_commits_with_one_outbox_row_and_gap_free_device_seq() {
    let d = desk().await;
    let actor = staff(&d.chain, d.device.store_id, Role::Receptionist);
    let b = booking(&d, Some(NewFee { fee_id: Uuid::now_v7(), amount: 2500, paid_with: Some(PayMethod::Cash) }));
    let first = d.store.execute(&d.device, &actor, &Command::BookingCreate(b.clone()), now()).await.unwrap();
    assert_eq!(first.device_seq, 1);

    // The same slot again is refused: nothing written, no sequence number used.
    let mut again = b.clone();
    again.appointment_id = Uuid::now_v7();
    again.fee = None;
    let err = d.store.execute(&d.device, &actor, &Command::BookingCreate(again), now()).await.unwrap_err();
    assert_eq!(err.code(), "slot_conflict");

    let checked =
        d.store.execute(&d.device, &actor, &Command::CheckIn(AppointmentRef { appointment_id: b.appointment_id }), now()).await.unwrap();
    assert_eq!(checked.device_seq, 2);

    let outbox = d.store.outbox().await.unwrap();
    assert_eq!(outbox.iter().map(|r| r.device_seq).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(outbox[0].name, "booking.create@1");
    assert_eq!(outbox[1].name, "appointment.check_in@1");
    assert_eq!(outbox[0].payload_hash.len(), 64);
    assert_eq!(outbox[0].status, "pending");
    // The payload replays to the same command.
    let replay = Command::from_wire(&outbox[0].name, outbox[0].args.clone()).unwrap();
    assert_eq!(replay, Command::BookingCreate(b.clone()));

    let history = d.store.history(b.appointment_id).await.unwrap();
    let actions: Vec<_> = history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, vec!["booked", "check_in"]);
    assert!(history.iter().all(|h| h.actor.starts_with("receptionist:")));
}

#[tokio::test]
async fn a_refused_command_leaves_every_table_as_it_was() {
    let d = desk().await;
    let actor = staff(&d.chain, d.device.store_id, Role::Receptionist);
    let tables = ["appointments", "fees", "refunds", "appointment_history", "outbox", "cancellation_requests", "patients"];
    let mut before = Vec::new();
    for t in tables {
        before.push(count(&d.store, t).await);
    }
    let mut b = booking(&d, Some(NewFee { fee_id: Uuid::now_v7(), amount: -100, paid_with: Some(PayMethod::Cash) }));
    let err = d.store.execute(&d.device, &actor, &Command::BookingCreate(b.clone()), now()).await.unwrap_err();
    assert_eq!(err.code(), "invalid_amount");
    b.fee = None;
    b.end = b.start - Duration::minutes(30);
    assert_eq!(d.store.execute(&d.device, &actor, &Command::BookingCreate(b), now()).await.unwrap_err().code(), "end_before_start");
    let mut after = Vec::new();
    for t in tables {
        after.push(count(&d.store, t).await);
    }
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_desk_fee_is_refunded_once_and_the_database_refuses_a_second_refund_row() {
    let d = desk().await;
    let actor = staff(&d.chain, d.device.store_id, Role::Receptionist);
    let fee_id = Uuid::now_v7();
    let b = booking(&d, Some(NewFee { fee_id, amount: 3000, paid_with: Some(PayMethod::Card) }));
    d.store.execute(&d.device, &actor, &Command::BookingCreate(b.clone()), now()).await.unwrap();

    let cancel = Command::Cancel(WithReason { appointment_id: b.appointment_id, reason: "患者改期".into() });
    assert_eq!(d.store.execute(&d.device, &actor, &cancel, now()).await.unwrap_err().code(), "refund_first");

    let refund = |id| Command::RefundCash(RefundArgs { refund_id: id, fee_id, reason: "取消预约".into() });
    let done = d.store.execute(&d.device, &actor, &refund(Uuid::now_v7()), now()).await.unwrap();
    let number = match &done.effects.changes[0] {
        clinicdesk_domain::world::Change::Refund(r) => r.number.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(number, format!("TK-{}-{}-{:06}", d.device.store_code, d.device.device_code, done.device_seq));
    assert_eq!(d.store.execute(&d.device, &actor, &refund(Uuid::now_v7()), now()).await.unwrap_err().code(), "already_refunded");
    d.store.execute(&d.device, &actor, &cancel, now()).await.unwrap();

    // Even a write that skips the rules cannot add a second refund for the fee.
    let raw = sqlx::query(
        "INSERT INTO refunds (id, fee_id, number, amount, kind, at, actor, reason) VALUES (?, ?, 'TK-X', 3000, 'desk_cash', 0, 'x', 'x')",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(fee_id.to_string())
    .execute(d.store.pool())
    .await;
    assert!(raw.unwrap_err().as_database_error().unwrap().is_unique_violation());
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM refunds WHERE fee_id = ?").bind(fee_id.to_string()).fetch_one(d.store.pool()).await.unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn the_board_shows_the_stores_doctor_order_with_unlisted_doctors_last() {
    let d = desk().await;
    let w = &d.chain.world;
    for store in w.stores.values() {
        let board = d.store.board_day(store.id, today(), today()).await.unwrap();
        // Same order as the domain rule over the same doctors.
        let on_board: BTreeSet<Id> = board.doctors.iter().map(|x| x.id.parse().unwrap()).collect();
        let docs: Vec<&Doctor> = w.doctors.values().filter(|x| on_board.contains(&x.id)).collect();
        let expected: Vec<String> = order_doctors(w.doctor_orders.get(&store.id), docs).iter().map(|o| o.doctor_id.to_string()).collect();
        assert_eq!(board.doctors.iter().map(|x| x.id.clone()).collect::<Vec<_>>(), expected);
        let first_unlisted = board.doctors.iter().position(|x| !x.listed).unwrap_or(board.doctors.len());
        assert!(board.doctors[first_unlisted..].iter().all(|x| !x.listed), "no listed doctor after an unlisted one");

        // Every appointment of the day in that store is on the board, in a doctor's column.
        let tz = clinicdesk_domain::slots::zone(&store.timezone);
        let expected_count = w
            .appointments
            .values()
            .filter(|a| a.store_id == store.id && clinicdesk_domain::slots::local_date(tz, a.start) == today())
            .count();
        assert_eq!(board.appointments.len(), expected_count, "{}", store.name);
        assert!(board.appointments.iter().all(|a| board.doctors.iter().any(|x| x.id == a.doctor_id)));
        assert!(board.appointments.iter().all(|a| a.start_min < a.end_min && a.end_min <= board.day_end_min));
        // Cards sit at the appointment's local wall-clock time.
        for card in &board.appointments {
            let local = w.appointments[&card.id.parse::<Id>().unwrap()].start.with_timezone(&tz);
            assert_eq!(card.start_min, chrono::Timelike::hour(&local) * 60 + chrono::Timelike::minute(&local), "{}", card.id);
        }
        let open = w.requests.values().filter(|r| r.store_id == store.id && r.status == RequestStatus::Open).count();
        assert_eq!(board.open_requests as usize, open);
    }
}

#[tokio::test]
async fn patients_are_found_by_name_phone_or_pinyin_initials() {
    let d = desk().await;
    let p = d.chain.world.patients.values().next().unwrap();
    let by_name = d.store.search_patients(&p.name, 20).await.unwrap();
    assert!(by_name.iter().any(|h| h.id == p.id.to_string()));
    let by_phone = d.store.search_patients(&p.phone[..7], 50).await.unwrap();
    assert!(by_phone.iter().any(|h| h.id == p.id.to_string()));
    let initials = clinicdesk_store_initials(&p.name);
    let by_initials = d.store.search_patients(&initials.to_uppercase(), 200).await.unwrap();
    assert!(by_initials.iter().any(|h| h.id == p.id.to_string()), "{initials}");
    assert!(d.store.search_patients("   ", 10).await.unwrap().is_empty());
    assert!(d.store.search_patients("%", 10).await.unwrap().is_empty(), "LIKE wildcards are literal");
}

fn clinicdesk_store_initials(name: &str) -> String {
    use pinyin::ToPinyin;
    name.chars().filter_map(|c| c.to_pinyin().map(|p| p.first_letter().chars().next().unwrap())).collect()
}

#[tokio::test]
async fn concurrent_commands_on_one_desk_get_contiguous_sequence_numbers() {
    let d = desk().await;
    let actor = staff(&d.chain, d.device.store_id, Role::Manager);
    let store_id = d.device.store_id;
    let doctors: Vec<Id> = d.chain.world.doctor_orders.get(&store_id).map(|o| o.doctor_ids.clone()).unwrap_or_default();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = d.store.clone();
        let device = d.device.clone();
        let actor = actor.clone();
        let mut order = doctors.clone();
        order.rotate_left(i % doctors.len().max(1));
        tasks.push(tokio::spawn(async move {
            store
                .execute(&device, &actor, &Command::SetDoctorOrder(SetDoctorOrder { store_id, doctor_ids: order }), now())
                .await
                .map(|e| e.device_seq)
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap().expect("no busy errors with BEGIN IMMEDIATE and a busy timeout"));
    }
    seqs.sort();
    assert_eq!(seqs, (1..=16).collect::<Vec<i64>>());
}

#[tokio::test]
async fn a_doctors_week_holds_exactly_their_appointments_in_the_store_by_local_day() {
    let d = desk().await;
    let w = &d.chain.world;
    let store = &w.stores[&d.device.store_id];
    let tz = clinicdesk_domain::slots::zone(&store.timezone);
    let first = today() - Duration::days(3);
    let doctor =
        w.appointments.values().filter(|a| a.store_id == store.id).map(|a| a.doctor_id).next().expect("a doctor with appointments");
    let week = d.store.doctor_week(store.id, doctor, first).await.unwrap();
    assert_eq!(week.days.len(), 7);
    for (i, day) in week.days.iter().enumerate() {
        let date = first + Duration::days(i as i64);
        assert_eq!(day.date, date.to_string());
        let expected = w
            .appointments
            .values()
            .filter(|a| a.store_id == store.id && a.doctor_id == doctor && clinicdesk_domain::slots::local_date(tz, a.start) == date)
            .count();
        assert_eq!(day.appointments.len(), expected, "{date}");
        assert!(day.appointments.iter().all(|a| a.doctor_id == doctor.to_string()));
        let scheduled = w.schedules.values().any(|s| s.store_id == store.id && s.doctor_id == doctor && s.date == date);
        assert_eq!(!day.periods.is_empty(), scheduled, "{date}");
    }
    let unknown = d.store.doctor_week(store.id, Uuid::from_u128(1), first).await.unwrap_err();
    assert_eq!(unknown.code(), "not_found");
}

#[tokio::test]
async fn the_board_shows_fee_state_and_patient_name_as_they_change() {
    use clinicdesk_store::views::FeeState;
    let d = desk().await;
    let actor = staff(&d.chain, d.device.store_id, Role::Receptionist);
    let fee_id = Uuid::now_v7();
    let b = booking(&d, Some(NewFee { fee_id, amount: 2000, paid_with: None }));
    d.store.execute(&d.device, &actor, &Command::BookingCreate(b.clone()), now()).await.unwrap();
    let day = clinicdesk_domain::slots::local_date(clinicdesk_domain::slots::DEFAULT_TZ, b.start);
    let card =
        |board: clinicdesk_store::views::BoardDay| board.appointments.into_iter().find(|a| a.id == b.appointment_id.to_string()).unwrap();
    let c = card(d.store.board_day(b.store_id, day, today()).await.unwrap());
    assert_eq!(c.fee, FeeState::Pending);
    assert_eq!(c.patient_name, d.chain.world.patients[&b.patient_id].name);
    assert_eq!(c.sync, clinicdesk_store::views::SyncState::Pending, "made here, not yet confirmed by the server");

    d.store.execute(&d.device, &actor, &Command::FeeCharge(FeeCharge { fee_id, method: PayMethod::Cash }), now()).await.unwrap();
    assert_eq!(card(d.store.board_day(b.store_id, day, today()).await.unwrap()).fee, FeeState::Paid);
    let refund = Command::RefundCash(RefundArgs { refund_id: Uuid::now_v7(), fee_id, reason: "患者取消".into() });
    d.store.execute(&d.device, &actor, &refund, now()).await.unwrap();
    assert_eq!(card(d.store.board_day(b.store_id, day, today()).await.unwrap()).fee, FeeState::Refunded);
}

#[tokio::test]
async fn the_panel_leads_through_refund_then_cancel_and_shows_every_change() {
    use clinicdesk_store::detail::RefundOption;
    let d = desk().await;
    let actor = staff(&d.chain, d.device.store_id, Role::Receptionist);
    let fee_id = Uuid::now_v7();
    let b = booking(&d, Some(NewFee { fee_id, amount: 2500, paid_with: Some(PayMethod::Cash) }));
    d.store.execute(&d.device, &actor, &Command::BookingCreate(b.clone()), now()).await.unwrap();
    let panel = d.store.appointment_detail(b.appointment_id, &actor, now()).await.unwrap();
    assert_eq!(panel.fee.as_ref().unwrap().refund_option, RefundOption::RefundAtDesk);
    assert!(panel.actions.contains(&"cancel".to_string()) && panel.actions.contains(&"check_in".to_string()));
    assert!(!panel.actions.contains(&"undo_check_in".to_string()));

    let refund = Command::RefundCash(RefundArgs { refund_id: Uuid::now_v7(), fee_id, reason: "患者改期".into() });
    d.store.execute(&d.device, &actor, &refund, now()).await.unwrap();
    d.store
        .execute(&d.device, &actor, &Command::Cancel(WithReason { appointment_id: b.appointment_id, reason: "患者改期".into() }), now())
        .await
        .unwrap();
    let panel = d.store.appointment_detail(b.appointment_id, &actor, now()).await.unwrap();
    let fee = panel.fee.unwrap();
    assert_eq!(fee.refund_option, RefundOption::None, "never offered twice");
    assert!(fee.refund.unwrap().number.starts_with("TK-"));
    assert_eq!(panel.state, AppointmentState::Cancelled);
    assert!(panel.actions.is_empty());
    assert_eq!(panel.history.iter().map(|h| h.action.as_str()).collect::<Vec<_>>(), vec!["booked", "refund", "cancel"]);

    // Another store's staff cannot open it.
    let other_store = d.chain.world.stores.keys().find(|s| **s != d.device.store_id).unwrap();
    let outsider = Actor::Staff { staff_id: Uuid::from_u128(5), name: "x".into(), role: Role::Receptionist, store_ids: vec![*other_store] };
    assert_eq!(d.store.appointment_detail(b.appointment_id, &outsider, now()).await.unwrap_err().code(), "not_in_store");
}

#[tokio::test]
async fn an_online_fee_is_only_requested_from_the_server_and_past_365_days_recorded_by_hand() {
    use clinicdesk_store::detail::RefundOption;
    let d = desk().await;
    let w = &d.chain.world;
    let (appt, fee) = w
        .appointments
        .values()
        .filter(|a| a.store_id == d.device.store_id && a.state.is_before_check_in())
        .filter_map(|a| w.fee_of(a).map(|f| (a, f)))
        .find(|(_, f)| f.method == Some(PayMethod::WechatApp) && f.status == ChargeStatus::Charged && w.refund_of(f.id).is_none())
        .expect("a future appointment paid by WeChat in the demo store");
    let actor = staff(&d.chain, d.device.store_id, Role::Receptionist);
    let panel = d.store.appointment_detail(appt.id, &actor, now()).await.unwrap();
    assert_eq!(panel.fee.unwrap().refund_option, RefundOption::RequestServerRefund);
    let later = fee.paid_at.unwrap() + Duration::days(366);
    let panel = d.store.appointment_detail(appt.id, &actor, later).await.unwrap();
    assert_eq!(panel.fee.unwrap().refund_option, RefundOption::ManualRefund);
    let refund = Command::RefundCash(RefundArgs { refund_id: Uuid::now_v7(), fee_id: fee.id, reason: "取消".into() });
    assert_eq!(d.store.execute(&d.device, &actor, &refund, now()).await.unwrap_err().code(), "not_refund_authority");
}

#[tokio::test]
async fn the_inbox_lists_open_requests_longest_waiting_first_and_deciding_removes_them() {
    let d = desk().await;
    let w = &d.chain.world;
    let store = d.chain.world.stores.values().find(|s| s.settings.cancellation_policy == CancellationPolicy::RequestOnly).unwrap();
    let device = d.store.set_up_device(store.id, Uuid::from_u128(0xBEEF)).await.unwrap();
    let inbox = d.store.cancellation_inbox(store.id).await.unwrap();
    let open = w.requests.values().filter(|r| r.store_id == store.id && r.status == RequestStatus::Open).count();
    assert_eq!(inbox.len(), open);
    assert!(open > 0, "the demo has open requests");
    assert!(inbox.windows(2).all(|p| p[0].requested_at <= p[1].requested_at));
    let actor = staff(&d.chain, store.id, Role::Receptionist);
    let first = &inbox[0];
    let reject = Command::RequestReject(RequestReject {
        request_id: first.request_id.parse().unwrap(),
        reason: "已过可取消时间，请来电".into(),
    });
    d.store.execute(&device, &actor, &reject, now()).await.unwrap();
    let after = d.store.cancellation_inbox(store.id).await.unwrap();
    assert_eq!(after.len(), open - 1);
    assert!(after.iter().all(|i| i.request_id != first.request_id));
}

#[tokio::test]
async fn booking_offers_only_doctors_of_the_department_with_free_slots_and_a_booked_slot_disappears() {
    let d = desk().await;
    let w = &d.chain.world;
    let store = &w.stores[&d.device.store_id];
    assert_eq!(store.settings.capacity_per_slot, 1);
    let day = today() + Duration::days(1);
    let first = d.store.booking_options(store.id, day, None).await.unwrap();
    assert!(first.doctors.is_empty(), "no department chosen yet");
    assert!(!first.complaints.is_empty() && !first.departments.is_empty());
    assert!(first.complaints.iter().all(|c| c.department_ids.iter().all(|dep| first.departments.iter().any(|x| &x.id == dep))));

    let dep = first
        .departments
        .iter()
        .map(|x| x.id.parse::<Id>().unwrap())
        .find(|dep| w.doctors.values().any(|doc| doc.department_ids.contains(dep)))
        .unwrap();
    let options = d.store.booking_options(store.id, day, Some(dep)).await.unwrap();
    assert!(!options.doctors.is_empty());
    for doc in &options.doctors {
        assert!(w.doctors[&doc.id.parse::<Id>().unwrap()].department_ids.contains(&dep));
        assert!(!doc.slots.is_empty(), "only doctors with free slots are listed");
    }
    let pick = &options.doctors[0];
    let slot = &pick.slots[0];
    let actor = staff(&d.chain, store.id, Role::Receptionist);
    let cmd = Command::BookingCreate(BookingCreate {
        appointment_id: Uuid::now_v7(),
        store_id: store.id,
        doctor_id: pick.id.parse().unwrap(),
        department_id: dep,
        patient_id: *w.patients.keys().next().unwrap(),
        complaint_id: None,
        start: slot.start.parse().unwrap(),
        end: slot.end.parse().unwrap(),
        visit_type: None,
        source: Source::Desk,
        fee: None,
    });
    d.store.execute(&d.device, &actor, &cmd, now()).await.unwrap();
    let after = d.store.booking_options(store.id, day, Some(dep)).await.unwrap();
    let still = after.doctors.iter().find(|x| x.id == pick.id).map(|x| x.slots.iter().any(|s| s.start == slot.start)).unwrap_or(false);
    assert!(!still, "the booked slot is no longer offered");
}

#[tokio::test]
async fn store_settings_read_back_what_a_manager_saved() {
    let d = desk().await;
    let store_id = d.device.store_id;
    let mut settings = d.store.store_settings(store_id).await.unwrap();
    assert_eq!(settings, d.chain.world.stores[&store_id].settings);
    settings.capacity_per_slot = 3;
    settings.cancellation_policy = CancellationPolicy::DirectBeforeCheckIn;
    let manager = staff(&d.chain, store_id, Role::Manager);
    let cmd = Command::UpdateSettings(UpdateSettings { store_id, settings: settings.clone() });
    d.store.execute(&d.device, &manager, &cmd, now()).await.unwrap();
    assert_eq!(d.store.store_settings(store_id).await.unwrap(), settings);
    let front = staff(&d.chain, store_id, Role::Receptionist);
    assert_eq!(d.store.execute(&d.device, &front, &cmd, now()).await.unwrap_err().code(), "forbidden");
}

#[tokio::test]
async fn recall_list_equals_the_rules_over_whole_exams() {
    use clinicdesk_domain::recall::{daily_list, RecallPatient, RecallThresholds};
    let d = desk().await;
    let w = &d.chain.world;
    let t = RecallThresholds::default();
    let mut tasks_seen = 0;
    for store in w.stores.values() {
        let tomorrow = clinicdesk_domain::slots::to_utc(
            clinicdesk_domain::slots::zone(&store.timezone),
            today() + Duration::days(1),
            chrono::NaiveTime::MIN,
        );
        let examined: BTreeSet<Id> = d.chain.exams.iter().filter(|e| e.store_id == store.id).map(|e| e.patient_id).collect();
        let expected: Vec<RecallPatient> = examined
            .iter()
            .map(|id| {
                let p = &w.patients[id];
                RecallPatient {
                    patient_id: p.id,
                    name: p.name.clone(),
                    birth_date: p.birth_date,
                    guardian_name: p.guardian_ids.first().map(|g| w.guardians[g].name.clone()),
                    correction: d.chain.corrections.get(id).cloned(),
                    exams: d.chain.exams.iter().filter(|e| e.patient_id == p.id).cloned().collect(),
                    has_future_visit: w.appointments.values().any(|a| {
                        a.patient_id == p.id
                            && a.start >= tomorrow
                            && matches!(a.state, AppointmentState::Pending | AppointmentState::Confirmed | AppointmentState::CheckedIn)
                    }),
                }
            })
            .collect();
        let mut got = d.store.recall_patients(store.id, today()).await.unwrap();
        got.sort_by_key(|p| p.patient_id);
        let who = |ps: &[RecallPatient]| -> Vec<_> {
            ps.iter()
                .map(|p| (p.patient_id, p.name.clone(), p.guardian_name.clone(), p.correction.clone(), p.has_future_visit, p.exams.len()))
                .collect()
        };
        assert_eq!(who(&got), who(&expected), "store {}: the patients on the recall list", store.code);
        let list = d.store.recall_list(store.id, today(), &t).await.unwrap();
        assert_eq!(list, daily_list(&expected, today(), &t), "store {}: the same tasks as the rules over whole exams", store.code);
        tasks_seen += list.tasks.len();
    }
    assert!(tasks_seen > 0, "the demo chain has recall tasks to compare");
}
