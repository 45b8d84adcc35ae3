//! Sync in the real window against the real server (in this process, on a real port, on its
//! embedded SQLite): a desk connected through the sync panel books while the server is down
//! and sees the booking confirmed once it is back; two desks book one slot offline, the
//! second to sync gets the conflict and rebooks from it in one click.
//!
//! The desk's token goes to the OS keychain: on Linux the kernel keyring, so run inside
//! `keyctl session -` (make test does).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use clinicdesk_domain::commands::{BookingCreate, Command, RefundArgs, WithReason};
use clinicdesk_domain::model::{AppointmentState, ChargeStatus, Id, RefundAuthority, Source};
use clinicdesk_domain::slots;
use clinicdesk_domain::Lang;
use clinicdesk_server::{App, Config};
use clinicdesk_store::detail::RefundOption;
use common::{click, demo_desk, free_port, shoot, sign_in, start, wait_for, wait_text};
use fantoccini::{Client, Locator};
use uuid::Uuid;

/// The central server on `127.0.0.1:port` over the SQLite file in `dir`.
struct Server {
    app: App,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn up(dir: &Path, port: u16, chain: Option<&clinicdesk_demo::DemoChain>) -> Server {
        let app = App::open(&Config::new(format!("sqlite:{}", dir.join("server.db").display()))).await.expect("server database");
        if let Some(chain) = chain {
            clinicdesk_server::import::import_chain(app.db(), chain, chain.staff_password).await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("the server's port is free");
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let serving = app.clone();
        let task = tokio::spawn(async move {
            serving
                .serve(listener, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Server { app, stop, task }
    }

    async fn down(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
        self.app.db().close().await;
    }

    async fn active_in_slot(&self, doctor: Id, start: chrono::DateTime<Utc>) -> Vec<String> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT appointment_id FROM appointment_slots WHERE doctor_id = $1 AND start_ts = $2 AND active = 1")
                .bind(doctor.to_string())
                .bind(start.timestamp())
                .fetch_all(self.app.db().pool())
                .await
                .unwrap();
        rows.into_iter().map(|r| r.0).collect()
    }
}

async fn state_of(client: &Client) -> String {
    let el = wait_for(client, "[data-testid=sync-indicator]", Duration::from_secs(30)).await;
    el.attr("data-state").await.unwrap().unwrap_or_default()
}

async fn wait_state(client: &Client, want: &str, timeout: Duration) {
    let started = std::time::Instant::now();
    loop {
        let now = state_of(client).await;
        if now == want {
            return;
        }
        assert!(started.elapsed() < timeout, "the sync indicator stayed {now:?}, expected {want:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until the card of `id` shows the sync state `want` (pending / confirmed / attention).
async fn wait_card(client: &Client, id: &str, want: &str, timeout: Duration) {
    let css = format!("[data-appointment-id='{id}'] .sync.{want}");
    wait_for(client, &css, timeout).await;
}

async fn open_panel(client: &Client) {
    if client.find(Locator::Css("[data-testid=sync-panel]")).await.is_err() {
        click(client, "[data-testid=sync-indicator]").await;
    }
    wait_for(client, "[data-testid=sync-panel]", Duration::from_secs(10)).await;
}

async fn close_panel(client: &Client) {
    if client.find(Locator::Css("[data-testid=sync-panel]")).await.is_ok() {
        click(client, "[data-testid=sync-panel] [data-testid=panel-close]").await;
    }
}

async fn sync_now(client: &Client) {
    open_panel(client).await;
    click(client, "[data-testid=sync-tab-details]").await;
    click(client, "[data-testid=sync-now]").await;
}

fn desk_db(dir: &Path) -> PathBuf {
    dir.join("desk.sqlite3")
}

/// The appointment of this desk's newest booking for `patient` (read beside the running app).
async fn newest_appointment(dir: &Path, patient: Id) -> (String, String) {
    // Not the newest by creation time: the demo's own appointments are made for the whole
    // day and may carry later creation times.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}?mode=ro", desk_db(dir).display())).await.unwrap();
    let row: (String, String) = sqlx::query_as(
        "SELECT a.id, a.sync_state FROM outbox o JOIN appointments a ON a.id = json_extract(o.args, '$.appointment_id')
         WHERE o.name = 'booking.create@1' AND json_extract(o.args, '$.patient_id') = ? ORDER BY o.device_seq DESC LIMIT 1",
    )
    .bind(patient.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    row
}

/// Books `patient` from the board's first empty slot; returns (doctor, start) of that slot.
async fn book_first_empty_slot(
    client: &Client,
    patient_name: &str,
    tz: chrono_tz::Tz,
    date: chrono::NaiveDate,
) -> (Id, chrono::DateTime<Utc>) {
    let slot = wait_for(client, "[data-testid=empty-slot]", Duration::from_secs(20)).await;
    let key = slot.attr("data-nav-key").await.unwrap().unwrap();
    let mut parts = key.split(':');
    let (_, doctor, minutes) = (parts.next(), parts.next().unwrap().to_string(), parts.next().unwrap().parse::<i64>().unwrap());
    click(client, "[data-testid=empty-slot]").await;
    wait_for(client, "[data-testid=booking]", Duration::from_secs(10)).await;
    wait_for(client, "[data-testid=patient-search]", Duration::from_secs(5)).await.send_keys(patient_name).await.unwrap();
    click(client, "[data-testid=patient-hit]").await;
    click(client, "[data-testid=booking-submit]").await;
    wait_for(client, "[data-testid=panel]", Duration::from_secs(10)).await;
    click(client, "[data-testid=panel] [data-testid=panel-close]").await;
    let midnight = tz.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap()).single().unwrap().with_timezone(&Utc);
    (doctor.parse().unwrap(), midnight + chrono::Duration::minutes(minutes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bookings_made_offline_are_confirmed_when_the_server_is_back_and_a_lost_slot_is_rebooked_from_the_conflict() {
    if !cfg!(target_os = "linux") {
        eprintln!("SKIPPED: tauri-driver drives the real window on Linux (WebKitGTK) only");
        return;
    }
    // The keychain must keep a secret for this session (as a desktop session's does).
    let probe = format!("probe-{}", Uuid::new_v4());
    clinicdesk_app::keychain::save(&probe, "x").unwrap();
    assert_eq!(
        clinicdesk_app::keychain::load(&probe).unwrap().as_deref(),
        Some("x"),
        "no session keyring: run the tests inside `keyctl session -` (make test does)"
    );
    clinicdesk_app::keychain::forget(&probe).unwrap();

    let data = tempfile::tempdir().unwrap();
    let server_dir = tempfile::tempdir().unwrap();
    let desk = demo_desk(data.path(), "BJ01", "front.bj01").await;
    let store = desk.chain.world.stores[&desk.store_id].clone();
    let tz = slots::zone(&store.timezone);
    let today = slots::local_date(tz, Utc::now());
    let mut spare = desk.chain.world.patients.values().filter(|p| p.name.chars().count() == 3).skip(40);
    let (first, second) = (spare.next().unwrap().clone(), spare.next().unwrap().clone());
    let other = spare.next().unwrap().clone();
    desk.store.close().await;

    let port = free_port();
    let server = Server::up(server_dir.path(), port, Some(&desk.chain)).await;
    let (_driver, client) = start(data.path()).await;
    client.set_window_size(1024, 768).await.unwrap();
    sign_in(&client, "manager.bj01", "demo1234").await;
    assert_eq!(state_of(&client).await, "local_only", "a desk starts on its own");

    // The manager connects the desk: address as typed on a LAN, their login and password.
    open_panel(&client).await;
    click(&client, "[data-testid=sync-tab-server]").await;
    wait_for(&client, "[data-testid=server-url]", Duration::from_secs(5)).await.send_keys(&format!("127.0.0.1:{port}")).await.unwrap();
    client.find(Locator::Css("[data-testid=server-login]")).await.unwrap().send_keys("manager.bj01").await.unwrap();
    client.find(Locator::Css("[data-testid=server-password]")).await.unwrap().send_keys("wrong-password").await.unwrap();
    click(&client, "[data-testid=server-connect]").await;
    wait_text(&client, "[data-testid=error-password]", |t| !t.is_empty(), Duration::from_secs(15)).await;
    let pw = client.find(Locator::Css("[data-testid=server-password]")).await.unwrap();
    pw.clear().await.unwrap();
    pw.send_keys("demo1234").await.unwrap();
    click(&client, "[data-testid=server-connect]").await;
    wait_state(&client, "online", Duration::from_secs(60)).await;
    close_panel(&client).await;
    // Another desk of the store signs in too (second: the demo's old cash fees are this desk's).
    let other_dir = tempfile::tempdir().unwrap();
    let b = demo_desk(other_dir.path(), "BJ01", "front.bj01").await;
    let url = format!("http://127.0.0.1:{port}");
    let reg =
        clinicdesk_sync::sign_in(&url, "front.bj01", "demo1234", b.store_id, b.device.device_id, "前台二号机", Lang::ZhCn).await.unwrap();
    // The other desk reaches the server first on a second address of it that the window desk does
    // not know: the window desk syncs on its own every 15 s and would otherwise sometimes reach the
    // server first when it comes back (a CI run saw it).
    let early = free_port();
    let early_transport = clinicdesk_sync::HttpTransport::new(format!("http://127.0.0.1:{early}"), &reg.token, Lang::ZhCn).unwrap();

    // 1. The server goes down; reception books; the booking waits, marked pending.
    server.down().await;
    let (doctor1, start1) = book_first_empty_slot(&client, &first.name, tz, today).await;
    let (id1, state1) = newest_appointment(data.path(), first.id).await;
    assert_eq!(state1, "pending");
    wait_state(&client, "offline", Duration::from_secs(30)).await;
    wait_text(&client, "[data-testid=sync-pending]", |t| t.contains('1'), Duration::from_secs(20)).await;
    wait_card(&client, &id1, "pending", Duration::from_secs(10)).await;
    shoot(&client, "sync-offline", 1024, 768).await;

    // The server is back: the next sync sends it, and the card turns confirmed.
    let server = Server::up(server_dir.path(), port, None).await;
    sync_now(&client).await;
    wait_state(&client, "online", Duration::from_secs(60)).await;
    close_panel(&client).await;
    wait_card(&client, &id1, "confirmed", Duration::from_secs(30)).await;
    assert_eq!(server.active_in_slot(doctor1, start1).await, vec![id1.clone()], "the server holds the booking");

    // 2. Offline again; this desk and another desk of the store book one slot.
    server.down().await;
    let (doctor2, start2) = book_first_empty_slot(&client, &second.name, tz, today).await;
    let (lost_id, _) = newest_appointment(data.path(), second.id).await;
    let slot_minutes = desk
        .chain
        .world
        .schedules
        .values()
        .find(|s| s.doctor_id == doctor2 && s.date == today && s.store_id == desk.store_id)
        .unwrap()
        .slot_minutes;
    let theirs = BookingCreate {
        appointment_id: Uuid::now_v7(),
        store_id: b.store_id,
        doctor_id: doctor2,
        department_id: desk.chain.world.doctors[&doctor2]
            .department_ids
            .iter()
            .copied()
            .find(|d| desk.chain.world.departments[d].store_id == b.store_id)
            .unwrap(),
        patient_id: other.id,
        complaint_id: None,
        start: start2,
        end: start2 + chrono::Duration::minutes(slot_minutes as i64),
        visit_type: None,
        source: Source::Phone,
        fee: None,
    };
    b.store.execute(&b.device, &b.actor, &Command::BookingCreate(theirs.clone()), Utc::now()).await.unwrap();

    // The other desk reaches the server first and wins the slot.
    let server = Server::up(server_dir.path(), early, None).await;
    let v = clinicdesk_sync::versions(&b.store, "test").await.unwrap();
    let report = clinicdesk_sync::sync_once(&b.store, &early_transport, v, &mut |_| {}).await.unwrap();
    assert_eq!((report.applied, report.rejected), (1, 0), "{report:?}");
    server.down().await;
    let server = Server::up(server_dir.path(), port, None).await;

    // This desk syncs: its booking is rejected, the conflict shows with both patients.
    sync_now(&client).await;
    wait_state(&client, "online", Duration::from_secs(60)).await;
    click(&client, "[data-testid=sync-tab-conflicts]").await;
    wait_text(&client, "[data-testid=conflict-ours]", |t| t.contains(&second.name), Duration::from_secs(30)).await;
    wait_text(&client, "[data-testid=conflict-theirs]", |t| t.contains(&other.name), Duration::from_secs(10)).await;
    shoot(&client, "sync-conflict", 1024, 768).await;
    shoot(&client, "sync-conflict", 1920, 1080).await;
    client.set_window_size(1024, 768).await.unwrap();
    assert_eq!(server.active_in_slot(doctor2, start2).await, vec![theirs.appointment_id.to_string()], "the first to sync keeps the slot");

    // One click: the booking dialog opens with what was typed; booking it resolves the conflict.
    click(&client, "[data-testid=fix-next_free_slot]").await;
    wait_for(&client, "[data-testid=booking]", Duration::from_secs(10)).await;
    wait_text(&client, "[data-testid=patient-chosen]", |t| t.contains(&second.name), Duration::from_secs(10)).await;
    // The prefilled slot is chosen once the dialog has loaded the doctors' free slots; confirming before
    // that only says a slot is missing (a CI run clicked that early).
    wait_for(&client, "[data-testid=booking] [data-testid=slot][aria-pressed=true]", Duration::from_secs(20)).await;
    click(&client, "[data-testid=booking-submit]").await;
    wait_for(&client, "[data-testid=conflict-resolved]", Duration::from_secs(20)).await;
    let (rebooked, _) = newest_appointment(data.path(), second.id).await;
    assert_ne!(rebooked, lost_id, "a new booking for the same patient");
    sync_now(&client).await;
    wait_state(&client, "online", Duration::from_secs(60)).await;
    close_panel(&client).await;
    wait_card(&client, &rebooked, "confirmed", Duration::from_secs(30)).await;
    let gone = client.find(Locator::Css(&format!("[data-appointment-id='{lost_id}']"))).await;
    assert!(gone.is_err(), "the lost booking left the board once its conflict was resolved");
    let record: clinicdesk_domain::sync::ConflictRecord = {
        let mut conn = server.app.db().pool().acquire().await.unwrap();
        let tenant = *desk.chain.world.tenants.keys().next().unwrap();
        let conflict_id: Id = {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}?mode=ro", desk_db(data.path()).display())).await.unwrap();
            let (id,): (String,) = sqlx::query_as("SELECT id FROM conflicts").fetch_one(&pool).await.unwrap();
            pool.close().await;
            id.parse().unwrap()
        };
        clinicdesk_server::docs::get(&mut conn, tenant, "conflict", &conflict_id.to_string()).await.unwrap().unwrap()
    };
    let how = record.resolution.expect("the resolution reached the server").how;
    assert_eq!(how, format!("rebooked:{rebooked}"));

    // 3. Offline once more: the patient arrives and is checked in here, while the other desk
    //    cancels that appointment (the patient had phoned it) and reaches the server first.
    server.down().await;
    click(&client, &format!("[data-appointment-id='{rebooked}']")).await;
    wait_for(&client, "[data-testid=panel]", Duration::from_secs(10)).await;
    click(&client, "[data-testid=action-check_in]").await;
    wait_text(&client, "[data-testid=panel-state]", |t| t.contains("已签到"), Duration::from_secs(10)).await;
    click(&client, "[data-testid=panel] [data-testid=panel-close]").await;
    let server = Server::up(server_dir.path(), early, None).await;
    let v = clinicdesk_sync::versions(&b.store, "test").await.unwrap();
    clinicdesk_sync::sync_once(&b.store, &early_transport, v.clone(), &mut |_| {}).await.unwrap();
    let cancel = Command::Cancel(WithReason { appointment_id: rebooked.parse().unwrap(), reason: "患者来电取消".into() });
    b.store.execute(&b.device, &b.actor, &cancel, Utc::now()).await.unwrap();
    let report = clinicdesk_sync::sync_once(&b.store, &early_transport, v, &mut |_| {}).await.unwrap();
    assert_eq!((report.applied, report.rejected), (1, 0), "{report:?}");
    server.down().await;
    let server = Server::up(server_dir.path(), port, None).await;

    // This desk's check-in is refused; the conflict offers booking the same doctor again that
    // day, prefilled, and booking it resolves the conflict.
    sync_now(&client).await;
    wait_state(&client, "online", Duration::from_secs(60)).await;
    click(&client, "[data-testid=sync-tab-conflicts]").await;
    wait_for(&client, "[data-testid=fix-reinstate]", Duration::from_secs(30)).await;
    shoot(&client, "sync-conflict-reinstate", 1024, 768).await;
    click(&client, "[data-testid=fix-reinstate]").await;
    wait_for(&client, "[data-testid=booking]", Duration::from_secs(10)).await;
    wait_text(&client, "[data-testid=patient-chosen]", |t| t.contains(&second.name), Duration::from_secs(10)).await;
    click(&client, "[data-testid=booking-submit]").await;
    let started = std::time::Instant::now();
    let (again, again_doctor, again_start, how) = loop {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}?mode=ro", desk_db(data.path()).display())).await.unwrap();
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT json_extract(data, '$.resolution.how') FROM conflicts WHERE json_extract(data, '$.name') = 'appointment.check_in@1'",
        )
        .fetch_optional(&pool)
        .await
        .unwrap()
        .filter(|r: &(Option<String>,)| r.0.is_some())
        .map(|r| (r.0.unwrap(),));
        if let Some((how,)) = row {
            let (again, _) = newest_appointment(data.path(), second.id).await;
            let (doctor, start): (String, i64) =
                sqlx::query_as("SELECT doctor_id, start_ts FROM appointments WHERE id = ?").bind(&again).fetch_one(&pool).await.unwrap();
            pool.close().await;
            break (again, doctor, start, how);
        }
        pool.close().await;
        assert!(started.elapsed() < Duration::from_secs(30), "the reinstate fix did not resolve the conflict");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(how, format!("reinstated:{again}"));
    assert_ne!(again, rebooked);
    let (old_doctor, old_start): (String, i64) = {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}?mode=ro", desk_db(data.path()).display())).await.unwrap();
        let row =
            sqlx::query_as("SELECT doctor_id, start_ts FROM appointments WHERE id = ?").bind(&rebooked).fetch_one(&pool).await.unwrap();
        pool.close().await;
        row
    };
    assert_eq!(again_doctor, old_doctor, "the same doctor");
    assert!(again_start >= old_start && again_start - old_start < 24 * 3600, "from the same time on, that day");

    // 4. A cash fee the demo clinic took before desks were recorded: the server gave it to this
    //    desk, the first of the store to sign in. The other desk will not hand that cash back;
    //    this one does, in the window, and the server holds the one refund.
    let w = &desk.chain.world;
    // The board draws the columns near the viewport: take the one furthest left.
    let order = w.doctor_orders.get(&desk.store_id).map(|o| o.doctor_ids.clone()).unwrap_or_default();
    let column = |doctor: Id| order.iter().position(|d| *d == doctor).unwrap_or(order.len());
    let legacy = w
        .appointments
        .values()
        .filter(|a| a.store_id == desk.store_id && slots::local_date(tz, a.start) == today)
        .filter(|a| matches!(a.state, AppointmentState::Pending | AppointmentState::Confirmed | AppointmentState::CheckedIn))
        .filter_map(|a| w.fees.get(&a.fee_id?).map(|f| (column(a.doctor_id), a.start, f)))
        .filter(|(_, _, f)| {
            f.status == ChargeStatus::Charged
                && f.authority == Some(RefundAuthority::Desk { store_id: desk.store_id })
                && f.collected_by.is_none()
                && w.refund_of(f.id).is_none()
        })
        .min_by_key(|(col, start, _)| (*col, *start))
        .map(|(_, _, f)| f)
        .expect("a demo appointment today paid in cash before desks were recorded");
    let other_view = b.store.appointment_detail(legacy.appointment_id, &b.actor, Utc::now()).await.unwrap();
    let other_fee = other_view.fee.unwrap();
    assert_eq!(other_fee.refund_option, RefundOption::OtherDesk, "the other desk sends the patient to this one");
    assert_eq!(other_fee.refund_desk.as_deref(), Some(desk.device.device_code.as_str()), "and names it");
    let refused = b
        .store
        .execute(
            &b.device,
            &b.actor,
            &Command::RefundCash(RefundArgs { refund_id: Uuid::now_v7(), fee_id: legacy.id, reason: "退费".into() }),
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "refund_at_collecting_desk");
    // Reception finds the named desk: the window desk's sync panel shows its number.
    open_panel(&client).await;
    let code = desk.device.device_code.clone();
    wait_text(&client, "[data-testid=sync-this-desk]", |t| t.contains(&code), Duration::from_secs(10)).await;
    close_panel(&client).await;
    client.set_window_size(1920, 1080).await.unwrap();
    click(&client, &format!("[data-appointment-id='{}']", legacy.appointment_id)).await;
    wait_for(&client, "[data-testid=panel]", Duration::from_secs(10)).await;
    click(&client, "[data-testid=action-refund]").await;
    wait_for(&client, "[data-testid=confirm-ok]", Duration::from_secs(10)).await;
    if let Ok(reason) = client.find(Locator::Css("[data-testid=confirm-reason]")).await {
        reason.send_keys("患者要求退费").await.unwrap();
    }
    click(&client, "[data-testid=confirm-ok]").await;
    wait_text(&client, "[data-testid=refund-slip]", |t| t.contains("TK-"), Duration::from_secs(10)).await;
    if let Ok(done) = client.find(Locator::Css("[data-testid=refund-done]")).await {
        done.click().await.unwrap();
    }
    click(&client, "[data-testid=panel] [data-testid=panel-close]").await;
    sync_now(&client).await;
    wait_state(&client, "online", Duration::from_secs(60)).await;
    let refunded: clinicdesk_domain::model::Fee = {
        let mut conn = server.app.db().pool().acquire().await.unwrap();
        let tenant = *desk.chain.world.tenants.keys().next().unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM refunds_live WHERE fee_id = $1")
            .bind(legacy.id.to_string())
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(n, 1, "the server holds the refund");
        clinicdesk_server::docs::get(&mut conn, tenant, "fee", &legacy.id.to_string()).await.unwrap().unwrap()
    };
    assert!(refunded.collected_by.is_some());
    client.close().await.unwrap();
    server.down().await;
}
