//! The recall task list's backend against a real SQLite file (DOMAIN.md §8): outcomes recorded
//! through `recall.record_outcome@1` (one row each, history kept) and shown on their task,
//! done for 30 days unless unreachable, when a task was first listed kept across reads, and a
//! task untouched for 24 h marked overdue. Thresholds are part of the store settings.

use chrono::{DateTime, Duration, TimeZone, Utc};
use clinicdesk_domain::commands::{Command, RecallRecordOutcome, UpdateSettings};
use clinicdesk_domain::model::Id;
use clinicdesk_domain::recall::{RecallOutcome, RecallStatus, RecallThresholds, TaskKind};
use clinicdesk_domain::roles::{Actor, Role};
use clinicdesk_domain::Lang;
use clinicdesk_store::recall::{RecallItem, RecallListView};
use uuid::Uuid;

/// 17:00 in Shanghai.
mod common;
use common::{demo_database, scalar, set_up, staff_of, today, Desk};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// A desk of the demo store with the most recall tasks of the kinds that stay due for weeks.
async fn desk() -> Desk {
    let db = demo_database().await;
    let (store, chain) = (&db.1, &db.2);
    let mut best = (0, Id::nil());
    for s in chain.world.stores.values() {
        let list = store.recall_list(s.id, today(), &RecallThresholds::default()).await.unwrap();
        let lasting = list.tasks.iter().filter(|t| lasting(t.kind)).count();
        if lasting > best.0 {
            best = (lasting, s.id);
        }
    }
    assert!(best.0 > 0, "the demo chain has recall tasks");
    set_up(db, best.1, 0xE7E).await
}

/// Kinds still due a month later when nothing is booked.
fn lasting(kind: TaskKind) -> bool {
    matches!(kind, TaskKind::LensReplacement | TaskKind::RecheckOverdue)
}

fn staff(d: &Desk, role: Role) -> Actor {
    // Not every demo store has every role: a stand-in of that store then.
    staff_of(&d.chain, d.device.store_id, role).unwrap_or(Actor::Staff {
        staff_id: Uuid::from_u128(0x57AF),
        name: "测试".into(),
        role,
        store_ids: vec![d.device.store_id],
    })
}

async fn view(d: &Desk, at: DateTime<Utc>) -> RecallListView {
    d.store.recall_view(d.device.store_id, at, Lang::ZhCn).await.unwrap()
}

fn item<'a>(v: &'a RecallListView, patient_id: &str, kind: TaskKind) -> &'a RecallItem {
    v.items.iter().find(|i| i.patient_id == patient_id && i.kind == kind).expect("the task is listed")
}

async fn record(d: &Desk, actor: &Actor, task: &RecallItem, outcome: RecallOutcome, note: Option<&str>, at: DateTime<Utc>) {
    let cmd = Command::RecallRecordOutcome(RecallRecordOutcome {
        store_id: d.device.store_id,
        patient_id: task.patient_id.parse().unwrap(),
        kind: task.kind,
        outcome,
        note: note.map(str::to_string),
    });
    d.store.execute(&d.device, actor, &cmd, at).await.unwrap();
}

fn lasting_task(v: &RecallListView) -> RecallItem {
    v.items.iter().find(|i| lasting(i.kind)).expect("a lasting task").clone()
}

#[tokio::test]
async fn a_recorded_outcome_is_kept_and_shown_on_its_task() {
    let d = desk().await;
    let first = view(&d, now()).await;
    assert_eq!(first.date, "2026-11-23");
    let task = lasting_task(&first);
    assert_eq!((task.status, task.last_outcome, task.overdue), (RecallStatus::Open, None, false));
    assert!(!task.message.is_empty() && !task.phone.is_empty());

    let reception = staff(&d, Role::Receptionist);
    let optometrist = staff(&d, Role::Optometrist);
    record(&d, &reception, &task, RecallOutcome::Unreachable, Some("无人接听"), now() + Duration::minutes(5)).await;
    record(&d, &optometrist, &task, RecallOutcome::Booked, Some("  周六上午来 "), now() + Duration::minutes(30)).await;

    // History kept: one row per outcome, each with its outbox row.
    assert_eq!(scalar(&d.store, "SELECT COUNT(*) FROM recall_outcomes").await, 2);
    assert_eq!(scalar(&d.store, "SELECT COUNT(*) FROM outbox WHERE name = 'recall.record_outcome@1'").await, 2);
    let v = view(&d, now() + Duration::hours(1)).await;
    let shown = item(&v, &task.patient_id, task.kind);
    assert_eq!(shown.status, RecallStatus::Done);
    assert_eq!(shown.last_outcome, Some(RecallOutcome::Booked));
    assert_eq!(shown.last_outcome_at.as_deref(), Some("2026-11-23T09:30:00Z"));
    assert_eq!(shown.last_outcome_by, Some(optometrist.label()));
    assert_eq!(shown.note.as_deref(), Some("周六上午来"));
    // The same patient's other tasks are untouched.
    assert!(v.items.iter().filter(|i| i.patient_id == task.patient_id && i.kind != task.kind).all(|i| i.last_outcome.is_none()));
}

#[tokio::test]
async fn unreachable_keeps_a_task_open_and_other_outcomes_settle_it_for_30_days() {
    let d = desk().await;
    let first = view(&d, now()).await;
    let open_before = first.counts[&TaskKind::LensReplacement] + first.counts[&TaskKind::RecheckOverdue];
    let task = lasting_task(&first);
    let reception = staff(&d, Role::Receptionist);

    record(&d, &reception, &task, RecallOutcome::Unreachable, None, now()).await;
    let v = view(&d, now() + Duration::hours(1)).await;
    assert_eq!(item(&v, &task.patient_id, task.kind).status, RecallStatus::Open);
    assert_eq!(v.counts[&task.kind], first.counts[&task.kind]);

    record(&d, &reception, &task, RecallOutcome::Declined, None, now() + Duration::hours(2)).await;
    let v = view(&d, now() + Duration::hours(3)).await;
    let done = item(&v, &task.patient_id, task.kind);
    assert_eq!((done.status, done.overdue), (RecallStatus::Done, false));
    assert_eq!(v.counts[&task.kind], first.counts[&task.kind] - 1);
    assert_eq!(v.counts[&TaskKind::LensReplacement] + v.counts[&TaskKind::RecheckOverdue], open_before - 1);
    // Open tasks first, done ones last.
    assert_eq!(v.items.last().map(|i| i.status), Some(RecallStatus::Done));
    let first_done = v.items.iter().position(|i| i.status == RecallStatus::Done).unwrap();
    assert!(v.items[first_done..].iter().all(|i| i.status == RecallStatus::Done));
    assert!(v.items[..first_done].windows(2).all(|w| w[0].overdue >= w[1].overdue), "overdue first among open tasks");

    let settled = now() + Duration::hours(2);
    let v = view(&d, settled + Duration::days(30) - Duration::minutes(1)).await;
    assert_eq!(item(&v, &task.patient_id, task.kind).status, RecallStatus::Done);
    let v = view(&d, settled + Duration::days(30)).await;
    assert_eq!(item(&v, &task.patient_id, task.kind).status, RecallStatus::Open);
}

#[tokio::test]
async fn when_a_task_was_first_listed_is_kept_across_reads_and_it_is_overdue_after_24_hours_untouched() {
    let d = desk().await;
    let first = view(&d, now()).await;
    assert!(first.items.iter().all(|i| i.listed_at == "2026-11-23T09:00:00Z" && !i.overdue));
    let listed = scalar(&d.store, "SELECT COUNT(*) FROM recall_listed").await;
    assert_eq!(listed as usize, first.items.len());

    let later = view(&d, now() + Duration::hours(23) + Duration::minutes(59)).await;
    assert_eq!(scalar(&d.store, "SELECT COUNT(*) FROM recall_listed").await, listed, "nothing listed again");
    for i in later.items.iter().filter(|i| first.items.iter().any(|f| f.patient_id == i.patient_id && f.kind == i.kind)) {
        assert_eq!((i.listed_at.as_str(), i.overdue), ("2026-11-23T09:00:00Z", false));
    }

    // Touch one task; a day after listing the untouched ones are overdue, the touched one is not.
    let task = lasting_task(&first);
    record(&d, &staff(&d, Role::Receptionist), &task, RecallOutcome::Contacted, None, now() + Duration::hours(3)).await;
    let day_later = view(&d, now() + Duration::hours(24)).await;
    let still_listed: Vec<&RecallItem> =
        day_later.items.iter().filter(|i| first.items.iter().any(|f| f.patient_id == i.patient_id && f.kind == i.kind)).collect();
    assert!(!still_listed.is_empty());
    for i in still_listed {
        let touched = i.patient_id == task.patient_id && i.kind == task.kind;
        assert_eq!(i.overdue, !touched, "{:?} touched: {touched}", i.kind);
    }
}

#[tokio::test]
async fn recall_thresholds_are_saved_with_the_store_settings_and_old_settings_read_as_defaults() {
    let d = desk().await;
    let store_id = d.device.store_id;
    let mut settings = d.store.store_settings(store_id).await.unwrap();
    assert_eq!(settings.recall, RecallThresholds::default());
    settings.recall = RecallThresholds { lens_replacement_days: 400, task_overdue_after_hours: 48, ..RecallThresholds::default() };
    let manager = staff(&d, Role::Manager);
    let update = Command::UpdateSettings(UpdateSettings { store_id, settings: settings.clone() });
    d.store.execute(&d.device, &manager, &update, now()).await.unwrap();
    assert_eq!(d.store.store_settings(store_id).await.unwrap(), settings);
    assert_eq!(view(&d, now()).await.thresholds, settings.recall);

    // A refused value names its field and saves nothing.
    let mut bad = settings.clone();
    bad.recall.lens_replacement_days = 5;
    let err = d.store.execute(&d.device, &manager, &Command::UpdateSettings(UpdateSettings { store_id, settings: bad }), now()).await;
    match err {
        Err(clinicdesk_store::StoreError::Domain(e)) => assert_eq!(e.field().as_deref(), Some("recall.lens_replacement_days")),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(d.store.store_settings(store_id).await.unwrap(), settings);

    // Settings written before the thresholds existed.
    sqlx::query("UPDATE stores SET settings = json_remove(settings, '$.recall') WHERE id = ?")
        .bind(store_id.hyphenated().to_string())
        .execute(d.store.pool())
        .await
        .unwrap();
    assert_eq!(d.store.store_settings(store_id).await.unwrap().recall, RecallThresholds::default());
    assert_eq!(view(&d, now()).await.thresholds, RecallThresholds::default());
}
