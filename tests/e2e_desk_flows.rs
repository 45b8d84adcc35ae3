//! Reception's daily flows in the real window, against the real local store: check-in and
//! complete from the appointment panel; cancelling a desk-paid appointment leads through the
//! refund first and the fee can never be refunded twice; the cancellation inbox rejects and
//! approves patients' requests.

mod common;

use std::time::Duration;

use chrono::Utc;
use clinicdesk_domain::commands::{BookingCreate, Command, NewFee, RequestCreate};
use clinicdesk_domain::model::{Id, PayMethod, Source};
use clinicdesk_store::{LocalStore, OpenOptions};
use common::{click, demo_desk, shoot, sign_in, start, wait_for, wait_gone, wait_text, Desk};
use fantoccini::Locator;
use uuid::Uuid;

struct Prepared {
    paid: Id,
    paid_fee: Id,
    plain: Id,
    requested: Id,
    requested_patient: String,
    spare_patient: (Id, String),
}

/// A desk of the demo clinic's dental store with three appointments of our own today.
async fn prepare(dir: &std::path::Path) -> Prepared {
    let Desk { store, device, actor, chain, store_id, free: by_doctor } = demo_desk(dir, "BJ01", "front.bj01").await;
    let free: Vec<(Id, Id, chrono::DateTime<Utc>, chrono::DateTime<Utc>)> = by_doctor
        .iter()
        .flat_map(|(dep, doc, slots)| slots.iter().map(|s| (*dep, *doc, s.start.parse().unwrap(), s.end.parse().unwrap())))
        .collect();
    assert!(free.len() >= 3, "the demo store has free slots today");
    let mut patients = chain.world.patients.values().filter(|p| p.name.chars().count() == 3);
    let mut book = |i: usize, fee: Option<NewFee>| {
        let (department_id, doctor_id, start, end) = free[i * free.len() / 3];
        let patient = patients.next().unwrap();
        (
            BookingCreate {
                appointment_id: Uuid::now_v7(),
                store_id,
                doctor_id,
                department_id,
                patient_id: patient.id,
                complaint_id: None,
                start,
                end,
                visit_type: None,
                source: Source::Desk,
                fee,
            },
            patient.name.clone(),
        )
    };
    let paid_fee = Uuid::now_v7();
    let (paid, _) = book(0, Some(NewFee { fee_id: paid_fee, amount: 2500, paid_with: Some(PayMethod::Cash) }));
    let (plain, _) = book(1, None);
    let (requested, requested_patient) = book(2, None);
    for b in [&paid, &plain, &requested] {
        store.execute(&device, &actor, &Command::BookingCreate(b.clone()), Utc::now()).await.unwrap();
    }
    let ask = Command::RequestCreate(RequestCreate {
        request_id: Uuid::now_v7(),
        appointment_id: requested.appointment_id,
        reason: "孩子发烧".into(),
    });
    store.execute(&device, &actor, &ask, Utc::now()).await.unwrap();
    let spare = patients.next().unwrap();
    store.close().await;
    Prepared {
        paid: paid.appointment_id,
        paid_fee,
        plain: plain.appointment_id,
        requested: requested.appointment_id,
        requested_patient,
        spare_patient: (spare.id, spare.name.clone()),
    }
}

async fn reopen(dir: &std::path::Path) -> LocalStore {
    clinicdesk_store::open(&dir.join("desk.sqlite3"), OpenOptions::default()).await.unwrap()
}

#[tokio::test]
async fn reception_checks_in_refunds_then_cancels_and_answers_the_inbox() {
    if !cfg!(target_os = "linux") {
        eprintln!("SKIPPED: tauri-driver drives the real window on Linux (WebKitGTK) only");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let p = prepare(data.path()).await;
    let (_driver, client) = start(data.path()).await;
    client.set_window_size(1920, 1080).await.unwrap();
    sign_in(&client, "front.bj01", "demo1234").await;

    // Check in, then complete, from the panel.
    click(&client, &format!("[data-appointment-id='{}']", p.plain)).await;
    wait_for(&client, "[data-testid=panel]", Duration::from_secs(10)).await;
    shoot(&client, "panel", 1920, 1080).await;
    click(&client, "[data-testid=action-check_in]").await;
    wait_text(&client, "[data-testid=panel-state]", |t| t.contains("已签到"), Duration::from_secs(10)).await;
    click(&client, "[data-testid=action-complete]").await;
    wait_text(&client, "[data-testid=panel-state]", |t| t.contains("已完成"), Duration::from_secs(10)).await;
    click(&client, "[data-testid=panel-close]").await;

    // Cancel a desk-paid appointment: the refund comes first, with its slip number.
    click(&client, &format!("[data-appointment-id='{}']", p.paid)).await;
    click(&client, "[data-testid=action-cancel]").await;
    wait_for(&client, "[data-testid=confirm-ok]", Duration::from_secs(10)).await;
    if let Ok(reason) = client.find(Locator::Css("[data-testid=confirm-reason]")).await {
        reason.send_keys("患者临时有事").await.unwrap();
    }
    shoot(&client, "refund", 1920, 1080).await;
    shoot(&client, "refund", 1024, 768).await;
    click(&client, "[data-testid=confirm-ok]").await;
    let slip = wait_text(&client, "[data-testid=refund-slip]", |t| t.contains("TK-"), Duration::from_secs(10)).await;
    if let Ok(done) = client.find(Locator::Css("[data-testid=refund-done]")).await {
        done.click().await.unwrap();
    }
    wait_text(&client, "[data-testid=panel-state]", |t| t.contains("已取消"), Duration::from_secs(10)).await;
    assert!(client.find(Locator::Css("[data-testid=action-refund]")).await.is_err(), "no second refund offered ({slip})");
    assert!(client.find(Locator::Css("[data-testid=action-cancel]")).await.is_err());
    // The refund slip prints from the panel, by the slip number it shows.
    click(&client, "[data-testid=panel] [data-testid=print-slip]").await;
    let notice = wait_for(&client, "[data-testid=panel] [data-testid=print-done]", Duration::from_secs(20)).await;
    let path = notice.attr("data-path").await.unwrap().expect("the notice names the file");
    let number = slip.split_whitespace().find(|w| w.starts_with("TK-")).unwrap_or(&slip).trim_matches(|c: char| !c.is_ascii_alphanumeric());
    assert!(path.ends_with(".pdf") && path.contains(number), "{path} is the slip {number}");
    assert!(std::fs::read(&path).unwrap().starts_with(b"%PDF-"), "a PDF was written");
    click(&client, "[data-testid=panel-close]").await;

    // The inbox: reject one request with a reason the patient sees, approve ours.
    client.set_window_size(1024, 768).await.unwrap();
    click(&client, "[data-testid=open-inbox]").await;
    wait_for(&client, "[data-testid=inbox-item]", Duration::from_secs(10)).await;
    shoot(&client, "inbox", 1920, 1080).await;
    shoot(&client, "inbox", 1024, 768).await;
    let before = client.find_all(Locator::Css("[data-testid=inbox-item]")).await.unwrap().len();
    let mut ours = None;
    let mut other = None;
    for (i, item) in client.find_all(Locator::Css("[data-testid=inbox-item]")).await.unwrap().into_iter().enumerate() {
        if item.text().await.unwrap().contains(&p.requested_patient) {
            ours = Some(i);
        } else if other.is_none() {
            other = Some(i);
        }
    }
    let ours = ours.expect("our request is in the inbox");
    if let Some(i) = other {
        let item = client.find_all(Locator::Css("[data-testid=inbox-item]")).await.unwrap().remove(i);
        item.find(Locator::Css("[data-testid=inbox-reject]")).await.unwrap().click().await.unwrap();
        let reason = wait_for(&client, "[data-testid=inbox-reason]", Duration::from_secs(5)).await;
        reason.send_keys("该时段无法取消，请来电").await.unwrap();
        client.find(Locator::Css("[data-testid=inbox-reject]")).await.unwrap().click().await.unwrap();
        let started = std::time::Instant::now();
        while client.find_all(Locator::Css("[data-testid=inbox-item]")).await.unwrap().len() != before - 1 {
            assert!(started.elapsed() < Duration::from_secs(10), "rejected request left the inbox");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let items = client.find_all(Locator::Css("[data-testid=inbox-item]")).await.unwrap();
    let mut approved = false;
    for item in items {
        if item.text().await.unwrap().contains(&p.requested_patient) {
            item.find(Locator::Css("[data-testid=inbox-approve]")).await.unwrap().click().await.unwrap();
            approved = true;
            break;
        }
    }
    assert!(approved, "request {ours} found again");
    let started = std::time::Instant::now();
    loop {
        let texts = futures_texts(&client).await;
        if !texts.iter().any(|t| t.contains(&p.requested_patient)) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "approved request left the inbox");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    click(&client, "[data-testid=panel-close]").await;
    wait_gone(&client, "[data-testid=inbox]", Duration::from_secs(5)).await;
    client.close().await.unwrap();

    // What the window did is what the database holds: one refund, cancelled, completed, approved.
    let store = reopen(data.path()).await;
    let (refunds,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM refunds WHERE fee_id = ?").bind(p.paid_fee.to_string()).fetch_one(store.pool()).await.unwrap();
    assert_eq!(refunds, 1);
    for (id, state) in [(p.paid, "cancelled"), (p.plain, "completed"), (p.requested, "cancelled")] {
        let (s,): (String,) =
            sqlx::query_as("SELECT state FROM appointments WHERE id = ?").bind(id.to_string()).fetch_one(store.pool()).await.unwrap();
        assert_eq!(s, state, "{id}");
    }
    let (status,): (String,) = sqlx::query_as("SELECT status FROM cancellation_requests WHERE appointment_id = ?")
        .bind(p.requested.to_string())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(status, "approved");
}

async fn futures_texts(client: &fantoccini::Client) -> Vec<String> {
    let mut out = Vec::new();
    for item in client.find_all(Locator::Css("[data-testid=inbox-item]")).await.unwrap_or_default() {
        out.push(item.text().await.unwrap_or_default());
    }
    out
}

/// Two bookings of one doctor in consecutive slots, with the slot after them free.
async fn prepare_drag(dir: &std::path::Path) -> (Id, chrono::DateTime<Utc>, chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
    let Desk { store, device, actor, chain, store_id, free } = demo_desk(dir, "BJ01", "front.bj01").await;
    for (dep_id, doctor_id, s) in &free {
        let Some(i) = (0..s.len().saturating_sub(2)).find(|&i| s[i].end == s[i + 1].start && s[i + 1].end == s[i + 2].start) else {
            continue;
        };
        let mut patients = chain.world.patients.values();
        let mut ids = Vec::new();
        for slot in &s[i..i + 2] {
            let b = BookingCreate {
                appointment_id: Uuid::now_v7(),
                store_id,
                doctor_id: *doctor_id,
                department_id: *dep_id,
                patient_id: patients.next().unwrap().id,
                complaint_id: None,
                start: slot.start.parse().unwrap(),
                end: slot.end.parse().unwrap(),
                visit_type: None,
                source: Source::Desk,
                fee: None,
            };
            store.execute(&device, &actor, &Command::BookingCreate(b.clone()), Utc::now()).await.unwrap();
            ids.push(b.appointment_id);
        }
        store.close().await;
        return (ids[0], s[i].start.parse().unwrap(), s[i + 1].start.parse().unwrap(), s[i + 2].start.parse().unwrap());
    }
    panic!("no doctor with three free slots in a row today");
}

async fn start_of(dir: &std::path::Path, id: Id) -> i64 {
    let store = reopen(dir).await;
    let (s,): (i64,) =
        sqlx::query_as("SELECT start_ts FROM appointments WHERE id = ?").bind(id.to_string()).fetch_one(store.pool()).await.unwrap();
    store.close().await;
    s
}

/// Scrolls a card to the middle of the board, as a person would before dragging it: the board opens
/// at the current time, so a card early in the day can sit above the view or under the sticky headers.
async fn into_view(client: &fantoccini::Client, card: &fantoccini::elements::Element) {
    let arg = serde_json::to_value(card).expect("element as script argument");
    client.execute("arguments[0].scrollIntoView({block: 'center'})", vec![arg]).await.unwrap();
}

async fn drag(client: &fantoccini::Client, id: Id, dy: f64) {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
    let card = client.find(Locator::Css(&format!("[data-appointment-id='{id}']"))).await.unwrap();
    into_view(client, &card).await;
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement { element: card, duration: None, x: 0.0, y: 0.0 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::MoveBy { duration: Some(Duration::from_millis(150)), x: 0.0, y: dy / 2.0 })
        .then(PointerAction::MoveBy { duration: Some(Duration::from_millis(150)), x: 0.0, y: dy / 2.0 })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    client.perform_actions(mouse).await.unwrap();
    client.release_actions().await.unwrap();
}

#[tokio::test]
async fn dragging_a_card_onto_a_taken_slot_is_refused_and_a_good_move_can_be_undone() {
    if !cfg!(target_os = "linux") {
        eprintln!("SKIPPED: tauri-driver drives the real window on Linux (WebKitGTK) only");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let (first, s0, s1, s2) = prepare_drag(data.path()).await;
    let (_driver, client) = start(data.path()).await;
    client.set_window_size(1920, 1080).await.unwrap();
    sign_in(&client, "front.bj01", "demo1234").await;
    let card = wait_for(&client, &format!("[data-appointment-id='{first}']"), Duration::from_secs(10)).await;
    into_view(&client, &card).await;
    let (_, y0, _, h) = card.rectangle().await.unwrap();
    assert!(h > 20.0 && y0 >= 0.0);
    let slot_px = h; // one slot tall

    // Onto the next slot, which the second booking holds: refused, the card stays.
    drag(&client, first, slot_px).await;
    wait_for(&client, "[data-testid=move-error]", Duration::from_secs(10)).await;
    shoot(&client, "drag-conflict", 1920, 1080).await;
    assert_eq!(start_of(data.path(), first).await, s0.timestamp(), "nothing moved ({s1})");

    // Two slots down is free: moved, and 撤销 puts it back.
    drag(&client, first, 2.0 * slot_px).await;
    wait_for(&client, "[data-testid=undo]", Duration::from_secs(10)).await;
    let started = std::time::Instant::now();
    while start_of(data.path(), first).await != s2.timestamp() {
        assert!(started.elapsed() < Duration::from_secs(10), "moved to the free slot");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    click(&client, "[data-testid=undo]").await;
    let started = std::time::Instant::now();
    while start_of(data.path(), first).await != s0.timestamp() {
        assert!(started.elapsed() < Duration::from_secs(10), "undo restores the original time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_patient_is_booked_from_an_empty_slot_then_checked_in_and_completed() {
    if !cfg!(target_os = "linux") {
        eprintln!("SKIPPED: tauri-driver drives the real window on Linux (WebKitGTK) only");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let p = prepare(data.path()).await;
    let (_driver, client) = start(data.path()).await;
    client.set_window_size(1920, 1080).await.unwrap();
    sign_in(&client, "front.bj01", "demo1234").await;

    click(&client, "[data-testid=empty-slot]").await;
    wait_for(&client, "[data-testid=booking]", Duration::from_secs(10)).await;
    let (patient_id, name) = &p.spare_patient;
    wait_for(&client, "[data-testid=patient-search]", Duration::from_secs(5)).await.send_keys(name).await.unwrap();
    click(&client, "[data-testid=patient-hit]").await;
    let fee = wait_for(&client, "[data-testid=fee]", Duration::from_secs(5)).await;
    fee.clear().await.unwrap();
    fee.send_keys("25").await.unwrap();
    client.find(Locator::Css("[data-testid=pay-with]")).await.unwrap().select_by_value("cash").await.unwrap();
    shoot(&client, "booking", 1920, 1080).await;
    shoot(&client, "booking", 1024, 768).await;
    client.set_window_size(1920, 1080).await.unwrap();
    click(&client, "[data-testid=booking-submit]").await;
    wait_for(&client, "[data-testid=panel]", Duration::from_secs(10)).await;
    click(&client, "[data-testid=action-check_in]").await;
    wait_text(&client, "[data-testid=panel-state]", |t| t.contains("已签到"), Duration::from_secs(10)).await;
    click(&client, "[data-testid=action-complete]").await;
    wait_text(&client, "[data-testid=panel-state]", |t| t.contains("已完成"), Duration::from_secs(10)).await;
    client.close().await.unwrap();

    let store = reopen(data.path()).await;
    let (state, amount, status, method): (String, i64, String, String) = sqlx::query_as(
        "SELECT a.state, f.amount, f.status, f.method FROM appointments a JOIN fees f ON f.id = a.fee_id
         WHERE a.patient_id = ? AND a.source = 'desk' ORDER BY a.created_at DESC LIMIT 1",
    )
    .bind(patient_id.to_string())
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!((state.as_str(), amount, status.as_str(), method.as_str()), ("completed", 2500, "charged", "cash"));
}

#[tokio::test]
async fn a_manager_reorders_doctors_and_the_board_columns_follow() {
    if !cfg!(target_os = "linux") {
        eprintln!("SKIPPED: tauri-driver drives the real window on Linux (WebKitGTK) only");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    prepare(data.path()).await;
    let (_driver, client) = start(data.path()).await;
    client.set_window_size(1920, 1080).await.unwrap();
    sign_in(&client, "manager.bj01", "demo1234").await;
    let names = |client: fantoccini::Client| async move {
        let mut out = Vec::new();
        for h in client.find_all(Locator::Css("[data-testid=doctor-header] .name")).await.unwrap() {
            out.push(h.text().await.unwrap());
        }
        out
    };
    let before = names(client.clone()).await;
    assert!(before.len() >= 3);
    // All of a manager's header fits one line at 1920 px: nothing starts below the store switcher.
    shoot(&client, "board-manager", 1920, 1080).await;
    let rows = client
        .execute(
            "const items = [...document.querySelector('header').children].filter((e) => e.getClientRects().length > 0);
             const first = document.querySelector('[data-testid=store-switcher]').getBoundingClientRect();
             return items.filter((e) => e.getBoundingClientRect().top >= first.bottom).map((e) => e.textContent.trim());",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(rows, serde_json::json!([]), "the header wraps at 1920 px");
    let spare =
        client.execute("return Math.round(document.querySelector('header .spacer').getBoundingClientRect().width);", vec![]).await.unwrap();
    eprintln!("manager header at 1920 px: {spare} px to spare");

    click(&client, "[data-testid=open-doctor-order]").await;
    wait_for(&client, "[data-testid=doctor-order]", Duration::from_secs(10)).await;
    shoot(&client, "doctor-order", 1920, 1080).await;
    // Move the first doctor one place down, then save.
    client.find_all(Locator::Css("[data-testid=order-down]")).await.unwrap()[0].click().await.unwrap();
    click(&client, "[data-testid=order-save]").await;
    wait_gone(&client, "[data-testid=doctor-order]", Duration::from_secs(10)).await;

    let started = std::time::Instant::now();
    loop {
        let after = names(client.clone()).await;
        if after.len() == before.len() && after[0] == before[1] && after[1] == before[0] {
            assert_eq!(after[2..], before[2..], "the rest keep their places");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "columns follow the new order: {before:?} → {after:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client.close().await.unwrap();
}
