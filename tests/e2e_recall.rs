//! The daily recall task list in the real window, against the real local store (issue 6,
//! DOMAIN.md §8): reception opens today's tasks of the demo optometry store, each with a
//! drafted message; recording "contacted" settles the task, and the outcome is in the desk
//! database with who recorded it.

mod common;

use std::time::Duration;

use common::{click, demo_desk, sign_in, start, wait_for, wait_text};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread")]
async fn reception_works_through_todays_recall_tasks_and_an_outcome_settles_one() {
    let dir = tempfile::tempdir().unwrap();
    let desk = demo_desk(dir.path(), "BJ02", "admin").await;
    let store_id = desk.store_id;
    desk.store.close().await;

    let (_driver, client) = start(dir.path()).await;
    client.set_window_size(1024, 768).await.unwrap();
    // admin works in every store; the desk is set up for BJ02, the optometry store.
    sign_in(&client, "admin", "demo1234").await;
    click(&client, "[data-testid=open-recall]").await;
    wait_for(&client, "[data-testid=recall-list]", Duration::from_secs(30)).await;
    // Rows may be redrawn while we look (the list loads, a language arrives): read the first
    // open task's keys with a fresh lookup each time, then address it by them.
    let first_open = "[data-testid=recall-row][data-status=open]";
    let (patient, kind) = loop {
        let row = wait_for(&client, first_open, Duration::from_secs(20)).await;
        if let (Ok(Some(p)), Ok(Some(k))) = (row.attr("data-patient-id").await, row.attr("data-kind").await) {
            break (p, k);
        }
    };
    let row = format!("[data-testid=recall-row][data-patient-id='{patient}'][data-kind='{kind}']");
    let message =
        wait_text(&client, &format!("{row} [data-testid=recall-message]"), |t| t.chars().count() > 10, Duration::from_secs(20)).await;
    assert!(message.contains("您好"), "each task carries a drafted message: {message:?}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    std::fs::write(common::screenshot_path("recall-1024x768.png"), client.screenshot().await.unwrap()).unwrap();

    click(&client, &format!("{row} [data-testid=recall-outcome-contacted]")).await;
    let started = std::time::Instant::now();
    loop {
        if let Ok(el) = client.find(Locator::Css(&row)).await {
            if el.attr("data-status").await.ok().flatten().as_deref() == Some("done") {
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the task did not settle");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client.close().await.unwrap();

    let store = clinicdesk_store::open(&dir.path().join("desk.sqlite3"), clinicdesk_store::OpenOptions::default()).await.unwrap();
    let view = store.recall_view(store_id, chrono::Utc::now(), clinicdesk_domain::Lang::ZhCn).await.unwrap();
    let item = view.items.iter().find(|i| i.patient_id == patient && serde_json::to_value(i.kind).unwrap() == kind).expect("the task");
    assert_eq!(item.status, clinicdesk_domain::recall::RecallStatus::Done);
    assert!(item.last_outcome_by.as_deref().is_some_and(|who| who.contains("陈立明")), "{:?}", item.last_outcome_by);
    store.close().await;
}
