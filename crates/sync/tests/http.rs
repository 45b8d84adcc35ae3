//! The desk's sync client against the real server over HTTP (127.0.0.1:0), on SQLite and on
//! PostgreSQL: desks start empty, sign in and take their store's snapshot, work offline, and
//! sync. Without a reachable PostgreSQL the PostgreSQL half is skipped with a note, unless
//! `CI` is set: then it fails.

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use clinicdesk_demo::DemoChain;
use clinicdesk_domain::booking::doctors_with_free_slots;
use clinicdesk_domain::commands::{AppointmentRef, BookingCreate, Command, NewFee, RefundArgs, RequestCreate, RequestRef, WithReason};
use clinicdesk_domain::model::*;
use clinicdesk_domain::roles::{Actor, Role};
use clinicdesk_domain::sync::{PullRequest, PullResponse, PushRequest, PushResponse};
use clinicdesk_domain::Lang;
use clinicdesk_server::testkit::{demo_today, password_hash, small_chain, TestDb};
use clinicdesk_server::{App, Backend, Config};
use clinicdesk_store::{open, Device, LocalStore, OpenOptions};
use clinicdesk_sync::{sync_once, versions, HttpTransport, SyncError, SyncReport, SyncStatus, Transport, TransportError};
use serde_json::{json, Value};

fn today() -> NaiveDate {
    demo_today()
}

/// The desk's demo chain, small.
fn chain() -> &'static DemoChain {
    static CHAIN: OnceLock<DemoChain> = OnceLock::new();
    CHAIN.get_or_init(|| small_chain(2026))
}

/// The store the desks work in: one slot holds one appointment there.
fn clinic() -> &'static Store {
    let w = &chain().world;
    w.stores.values().filter(|s| s.settings.capacity_per_slot == 1).min_by_key(|s| s.code.clone()).expect("a store without overbooking")
}

/// A receptionist of the store: its login and the actor.
fn receptionist() -> (String, Actor) {
    let s = chain()
        .world
        .staff
        .values()
        .filter(|s| s.role == Role::Receptionist && s.store_ids.contains(&clinic().id))
        .min_by_key(|s| s.store_ids.len())
        .expect("a receptionist");
    (s.login.clone(), Actor::Staff { staff_id: s.id, name: s.name.clone(), role: s.role, store_ids: s.store_ids.clone() })
}

/// Free slots tomorrow in the store: (department, doctor, start, end).
fn free_slots(n: usize) -> Vec<(Id, Id, DateTime<Utc>, DateTime<Utc>)> {
    let w = &chain().world;
    let day = today() + Duration::days(1);
    let mut out = Vec::new();
    for dep in w.departments.values().filter(|d| d.store_id == clinic().id) {
        for (doc, slots) in doctors_with_free_slots(w, clinic(), dep.id, day) {
            if let Some(s) = slots.first() {
                if out.len() < n {
                    out.push((dep.id, doc.doctor_id, s.start, s.end));
                }
            }
        }
    }
    assert_eq!(out.len(), n);
    out
}

fn booking(slot: (Id, Id, DateTime<Utc>, DateTime<Utc>), patient_no: usize) -> BookingCreate {
    BookingCreate {
        appointment_id: uuid::Uuid::now_v7(),
        store_id: clinic().id,
        doctor_id: slot.1,
        department_id: slot.0,
        patient_id: *chain().world.patients.keys().nth(patient_no).unwrap(),
        complaint_id: None,
        start: slot.2,
        end: slot.3,
        visit_type: None,
        source: Source::Desk,
        fee: None,
    }
}

/// The real server on 127.0.0.1:0, which a test can stop and start again on its database.
struct TestServer {
    url: String,
    base: String,
    app: Option<App>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _db: TestDb,
}

impl TestServer {
    /// A server holding the demo chain, or None when PostgreSQL is asked for and unreachable
    /// outside CI.
    async fn start(backend: Backend) -> Option<TestServer> {
        let db = TestDb::create(backend).await?;
        let mut server = TestServer { url: db.url.clone(), base: String::new(), app: None, shutdown: None, _db: db };
        server.up().await;
        clinicdesk_server::import::import_chain_with_hash(server.app().db(), chain(), password_hash()).await.unwrap();
        Some(server)
    }

    async fn up(&mut self) {
        let app = App::open(&Config::new(self.url.clone())).await.expect("open the server database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serving = app.clone();
        tokio::spawn(async move {
            serving
                .serve(listener, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        self.app = Some(app);
        self.shutdown = Some(tx);
    }

    /// The server goes down: it stops listening and closes its database.
    async fn down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(app) = self.app.take() {
            app.db().close().await;
        }
    }

    fn app(&self) -> &App {
        self.app.as_ref().expect("the server is up")
    }

    /// Signs a desk in at the store: (device id, token).
    async fn sign_in(&self) -> (Id, String) {
        let (login, _) = receptionist();
        let body = json!({ "login": login, "password": clinicdesk_demo::STAFF_PASSWORD, "store_id": clinic().id, "device_name": "前台" });
        let resp = reqwest::Client::new().post(format!("{}/api/v1/auth/sign-in", self.base)).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), reqwest::StatusCode::CREATED);
        let body: Value = resp.json().await.unwrap();
        (body["device_id"].as_str().unwrap().parse().unwrap(), body["token"].as_str().unwrap().to_string())
    }

    /// A backup of the (SQLite) server database, as its operator takes one.
    async fn backup(&self) -> PathBuf {
        let backup = self.db_file().with_file_name(format!("backup-{}.db", uuid::Uuid::new_v4().simple()));
        sqlx::query(&format!("VACUUM INTO '{}'", backup.display())).execute(self.app().db().pool()).await.unwrap();
        backup
    }

    fn db_file(&self) -> PathBuf {
        PathBuf::from(self.url.trim_start_matches("sqlite:"))
    }

    /// The server goes down and comes back from `backup`; with `new_epoch` its operator also
    /// gives it a new epoch (otherwise the file is simply copied back).
    async fn restore(&mut self, backup: &std::path::Path, new_epoch: bool) {
        self.down().await;
        let db_file = self.db_file();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db_file.display()));
        }
        std::fs::copy(backup, &db_file).unwrap();
        if new_epoch {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db_file.display())).await.unwrap();
            sqlx::query("UPDATE server_meta SET value = 'restored' WHERE key = 'epoch'").execute(&pool).await.unwrap();
            pool.close().await;
        }
        self.up().await;
    }

    /// The patient books a slot in the app (paid online when `paid`), straight at the server.
    async fn patient_books(&self, slot: (Id, Id, DateTime<Utc>, DateTime<Utc>), patient_no: usize, paid: bool) -> BookingCreate {
        let mut b = booking(slot, patient_no);
        b.source = Source::PatientApp;
        if paid {
            b.fee = Some(NewFee { fee_id: uuid::Uuid::now_v7(), amount: 3000, paid_with: Some(PayMethod::WechatApp) });
        }
        let (outcome, _) = self.patient_app_sends(b.patient_id, Command::BookingCreate(b.clone())).await;
        assert_eq!(outcome.outcome, clinicdesk_server::apply::OutcomeKind::Applied, "{outcome:?}");
        b
    }

    /// A command of the patient's app, straight at the server: its outcome and provider refunds.
    async fn patient_app_sends(
        &self,
        patient_id: Id,
        command: Command,
    ) -> (clinicdesk_server::apply::CommandOutcome, Vec<clinicdesk_server::pay::ProviderRefund>) {
        let who = clinicdesk_server::apply::Principal {
            tenant_id: clinic().tenant_id,
            device_id: "patient-app:test".into(),
            store_id: None,
            actor: Actor::Patient { patient_id },
            actor_id: format!("patient:{patient_id}"),
            desk: None,
        };
        let sub = clinicdesk_server::apply::Submission::live(command, uuid::Uuid::now_v7(), None);
        let app = self.app();
        clinicdesk_server::apply::apply_and_pay(app.db(), app.payments().as_ref(), &who, &sub, Lang::ZhCn, Utc::now()).await.unwrap()
    }

    /// How often the server logged a command.
    async fn logged(&self, mutation_id: Id) -> i64 {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM commands WHERE mutation_id = $1")
            .bind(mutation_id.hyphenated().to_string())
            .fetch_one(self.app().db().pool())
            .await
            .unwrap();
        n
    }

    /// The server's appointments holding a slot of a doctor (active ones).
    async fn active_in_slot(&self, doctor_id: Id, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Appointment> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT data FROM entities WHERE kind = 'appointment' AND ref_id = $1 AND start_ts < $2 AND end_ts > $3")
                .bind(doctor_id.hyphenated().to_string())
                .bind(end.timestamp())
                .bind(start.timestamp())
                .fetch_all(self.app().db().pool())
                .await
                .unwrap();
        rows.iter().map(|(d,)| serde_json::from_str::<Appointment>(d).unwrap()).filter(|a| a.state.is_active()).collect()
    }
}

/// A desk: its database file, its identity and its transport.
struct Desk {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: LocalStore,
    device: Device,
    token: String,
    transport: HttpTransport,
}

impl Desk {
    /// A fresh desk: an empty database, signed in, its first sync a snapshot of its store.
    async fn new(server: &TestServer) -> (Desk, SyncReport) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.sqlite3");
        let store = open(&path, OpenOptions::default()).await.unwrap();
        assert!(store.is_empty().await.unwrap());
        let (device_id, token) = server.sign_in().await;
        let transport = HttpTransport::new(server.base.clone(), token.clone(), Lang::En).unwrap();
        let report = sync(&store, &transport).await.expect("the first sync");
        let device = store.set_up_device(clinic().id, device_id).await.unwrap();
        (Desk { _dir: dir, path, store, device, token, transport }, report)
    }

    async fn book(&self, b: &BookingCreate) -> clinicdesk_store::Executed {
        self.store.execute(&self.device, &receptionist().1, &Command::BookingCreate(b.clone()), Utc::now()).await.unwrap()
    }

    async fn sync(&self) -> Result<SyncReport, SyncError> {
        sync(&self.store, &self.transport).await
    }

    async fn sync_state(&self, appointment_id: Id) -> String {
        let (s,): (String,) = sqlx::query_as("SELECT sync_state FROM appointments WHERE id = ?")
            .bind(appointment_id.hyphenated().to_string())
            .fetch_one(self.store.pool())
            .await
            .unwrap();
        s
    }

    /// The server came back at another address: same token.
    fn reconnect(&mut self, server: &TestServer) {
        self.transport = HttpTransport::new(server.base.clone(), self.token.clone(), Lang::En).unwrap();
    }
}

async fn sync(store: &LocalStore, transport: &impl Transport) -> Result<SyncReport, SyncError> {
    let v = versions(store, "0.1.0-test").await.unwrap();
    sync_once(store, transport, v, &mut |_| {}).await
}

/// Forwards to the server but loses the answer to every push of commands after the server
/// committed it.
struct LoseAnswers<'a>(&'a HttpTransport);

impl Transport for LoseAnswers<'_> {
    async fn push(&self, req: PushRequest) -> Result<PushResponse, TransportError> {
        let empty = req.commands.is_empty();
        let resp = self.0.push(req).await?;
        if empty {
            return Ok(resp);
        }
        Err(TransportError::Offline { detail: "the connection dropped before the answer arrived".into() })
    }
    async fn pull(&self, req: PullRequest) -> Result<PullResponse, TransportError> {
        self.0.pull(req).await
    }
}

async fn booking_made_while_the_server_is_down_is_confirmed_once_it_is_back(backend: Backend) {
    let Some(mut server) = TestServer::start(backend).await else { return };
    let (mut desk, _) = Desk::new(&server).await;

    server.down().await;
    let b = booking(free_slots(1)[0], 1);
    let done = desk.book(&b).await;
    let err = desk.sync().await.unwrap_err();
    assert!(err.is_offline(), "{err:?}");
    assert_eq!(desk.store.pending_count().await.unwrap(), 1);
    assert_eq!(desk.sync_state(b.appointment_id).await, "pending");
    let mut status = SyncStatus::load(&desk.store).await.unwrap();
    status.record(&desk.store, &Err(err), Utc::now(), Lang::En).await.unwrap();
    assert!(!status.online);
    assert_eq!((status.pending, status.last_error.as_ref().unwrap().code.as_str()), (1, "offline"));

    server.up().await;
    desk.reconnect(&server);
    let report = desk.sync().await.expect("sync once the server is back");
    assert_eq!((report.pushed, report.applied, report.rejected), (1, 1, 0));
    assert_eq!(desk.sync_state(b.appointment_id).await, "confirmed");
    assert_eq!(desk.store.pending_count().await.unwrap(), 0);
    assert_eq!(server.logged(done.mutation_id).await, 1);
    assert_eq!(server.active_in_slot(b.doctor_id, b.start, b.end).await.iter().map(|a| a.id).collect::<Vec<_>>(), vec![b.appointment_id]);
    status.record(&desk.store, &Ok(report), Utc::now(), Lang::En).await.unwrap();
    assert!(status.online && status.last_error.is_none() && !status.clock_warning());
    assert_eq!(status.pending, 0);
    server.down().await;
}

async fn two_desks_book_one_slot_offline_and_exactly_one_wins(backend: Backend, a_first: bool) {
    let Some(mut server) = TestServer::start(backend).await else { return };
    let (a, _) = Desk::new(&server).await;
    let (b, _) = Desk::new(&server).await;
    let slot = free_slots(1)[0];
    let booking_a = booking(slot, 1);
    let booking_b = booking(slot, 2);
    let done_a = a.book(&booking_a).await;
    let done_b = b.book(&booking_b).await;

    let (first, second, won, lost, lost_done) =
        if a_first { (&a, &b, &booking_a, &booking_b, &done_b) } else { (&b, &a, &booking_b, &booking_a, &done_a) };
    let r1 = first.sync().await.unwrap();
    assert_eq!((r1.applied, r1.rejected), (1, 0));
    let r2 = second.sync().await.unwrap();
    assert_eq!((r2.applied, r2.rejected, r2.conflicts_new), (0, 1, 1));
    first.sync().await.unwrap();

    // Exactly one won: the first the server applied.
    let holding = server.active_in_slot(slot.1, slot.2, slot.3).await;
    assert_eq!(holding.iter().map(|x| x.id).collect::<Vec<_>>(), vec![won.appointment_id]);
    assert_eq!(first.sync_state(won.appointment_id).await, "confirmed");
    assert_eq!(second.sync_state(won.appointment_id).await, "confirmed", "the winner's booking reached the loser's desk");
    assert_eq!(second.sync_state(lost.appointment_id).await, "attention");
    let detail = &second.store.sync_details(1).await.unwrap()[0];
    assert_eq!((detail.status.as_str(), detail.code.as_deref()), ("rejected", Some("slot_conflict")));
    assert_eq!(second.store.attention_count().await.unwrap(), 1);

    // Both desks list the conflict, with the original input.
    for desk in [first, second] {
        let conflicts = desk.store.conflicts(clinic().id).await.unwrap();
        assert_eq!(conflicts.len(), 1);
        let c = &conflicts[0];
        assert_eq!((c.id, c.code.as_str(), c.name.as_str()), (lost_done.mutation_id, "slot_conflict", "booking.create@1"));
        assert_eq!(c.args, Command::BookingCreate(lost.clone()).args());
    }
    server.down().await;
}

async fn a_desk_refunding_cash_offline_while_the_patient_cancels_online_refunds_once(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else { return };
    let (desk, _) = Desk::new(&server).await;
    let fee_id = uuid::Uuid::now_v7();
    let mut b = booking(free_slots(2)[1], 3);
    b.fee = Some(NewFee { fee_id, amount: 3000, paid_with: Some(PayMethod::Cash) });
    desk.book(&b).await;
    assert_eq!(desk.sync().await.unwrap().applied, 1, "the paid booking reached the server");

    // Offline (no sync), the desk hands the cash back.
    let (_, actor) = receptionist();
    let refund_id = uuid::Uuid::now_v7();
    let refund = Command::RefundCash(RefundArgs { refund_id, fee_id, reason: "患者要求退款".into() });
    desk.store.execute(&desk.device, &actor, &refund, Utc::now()).await.unwrap();

    // Meanwhile the patient cancels in the app: the fee was paid at the desk, so only the desk
    // may refund it; the server routes the cancel to the desk as a request.
    let cancel = match clinic().settings.cancellation_policy {
        CancellationPolicy::DirectBeforeCheckIn => {
            Command::PatientCancel(WithReason { appointment_id: b.appointment_id, reason: "临时有事".into() })
        }
        _ => Command::RequestCreate(RequestCreate {
            request_id: uuid::Uuid::now_v7(),
            appointment_id: b.appointment_id,
            reason: "临时有事".into(),
        }),
    };
    let (outcome, paid_out) = server.patient_app_sends(b.patient_id, cancel).await;
    let app = server.app();
    assert_ne!(outcome.outcome, clinicdesk_server::apply::OutcomeKind::Rejected, "{outcome:?}");
    assert!(paid_out.is_empty(), "no provider refund for a desk-paid fee");

    // The desk syncs: its refund applies (its store holds the refund right); the request arrives.
    let r = desk.sync().await.unwrap();
    assert_eq!((r.applied, r.rejected), (1, 0), "{r:?}");
    let inbox = desk.store.cancellation_inbox(clinic().id).await.unwrap();
    let request_id: Id =
        inbox.iter().find(|i| i.appointment_id == b.appointment_id.to_string()).expect("the patient's request").request_id.parse().unwrap();
    desk.store.execute(&desk.device, &actor, &Command::RequestApprove(RequestRef { request_id }), Utc::now()).await.unwrap();
    let r = desk.sync().await.unwrap();
    assert_eq!((r.applied, r.rejected), (1, 0), "approving cancels only: {r:?}");

    let db = app.db().pool();
    let (refunds,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM entities WHERE kind = 'refund' AND ref_id = $1")
        .bind(fee_id.hyphenated().to_string())
        .fetch_one(db)
        .await
        .unwrap();
    let (provider,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM provider_refunds WHERE fee_id = $1")
        .bind(fee_id.hyphenated().to_string())
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!((refunds, provider), (1, 0), "one refund in all: the cash the desk handed back");
    let (state,): (String,) = sqlx::query_as("SELECT state FROM appointments WHERE id = ?")
        .bind(b.appointment_id.hyphenated().to_string())
        .fetch_one(desk.store.pool())
        .await
        .unwrap();
    assert_eq!(state, "cancelled");
}

async fn a_lost_acknowledgement_is_answered_again_and_nothing_is_applied_twice(backend: Backend) {
    let Some(mut server) = TestServer::start(backend).await else { return };
    let (desk, _) = Desk::new(&server).await;
    let b = booking(free_slots(1)[0], 1);
    let done = desk.book(&b).await;

    let err = sync(&desk.store, &LoseAnswers(&desk.transport)).await.unwrap_err();
    assert!(err.is_offline());
    assert_eq!(server.logged(done.mutation_id).await, 1, "the server applied it");
    assert_eq!(desk.store.pending_count().await.unwrap(), 1, "the desk does not know yet");

    let report = desk.sync().await.unwrap();
    assert_eq!((report.pushed, report.applied, report.replayed), (1, 1, 1));
    assert_eq!(server.logged(done.mutation_id).await, 1, "applied once");
    assert_eq!(server.active_in_slot(b.doctor_id, b.start, b.end).await.len(), 1);
    assert_eq!(desk.sync_state(b.appointment_id).await, "confirmed");
    let booked: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointment_history WHERE appointment_id = ? AND action = 'booked'")
        .bind(b.appointment_id.hyphenated().to_string())
        .fetch_one(desk.store.pool())
        .await
        .unwrap();
    assert_eq!(booked.0, 1);
    server.down().await;
}

async fn a_crash_after_a_local_commit_before_the_push_sends_the_command_once(backend: Backend) {
    let Some(mut server) = TestServer::start(backend).await else { return };
    let (desk, _) = Desk::new(&server).await;
    let b = booking(free_slots(1)[0], 1);
    let done = desk.book(&b).await;
    // The desk dies right after the commit; the app starts again on the same file.
    let Desk { _dir, path, store, device, transport, .. } = desk;
    store.close().await;
    drop(store);
    let store = open(&path, OpenOptions::default()).await.unwrap();
    assert_eq!(store.device().await.unwrap(), Some(device));
    assert_eq!(store.pending_count().await.unwrap(), 1);

    let report = sync(&store, &transport).await.unwrap();
    assert_eq!((report.pushed, report.applied), (1, 1));
    let again = sync(&store, &transport).await.unwrap();
    assert_eq!(again.pushed, 0);
    assert_eq!(server.logged(done.mutation_id).await, 1);
    assert_eq!(store.pending_count().await.unwrap(), 0);
    server.down().await;
}

async fn a_fresh_desks_first_sync_by_snapshot_equals_the_server_for_its_store(backend: Backend) {
    let Some(mut server) = TestServer::start(backend).await else { return };
    // Some work first, a conflict included.
    let (a, _) = Desk::new(&server).await;
    let (b, _) = Desk::new(&server).await;
    let slots = free_slots(2);
    a.book(&booking(slots[0], 1)).await;
    b.book(&booking(slots[0], 2)).await;
    b.book(&booking(slots[1], 3)).await;
    a.sync().await.unwrap();
    b.sync().await.unwrap();

    let (fresh, report) = Desk::new(&server).await;
    assert!(report.pulled > 0);
    let meta = fresh.store.sync_meta().await.unwrap();
    assert!(meta.snapshot.is_none() && meta.cursor.is_some() && meta.epoch.is_some());

    // Everything the server holds for the store, as a pull from the start sends it.
    let v = versions(&fresh.store, "0.1.0-test").await.unwrap();
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let p = fresh.transport.pull(PullRequest { versions: v.clone(), epoch: None, after: after.clone(), limit: 2_000 }).await.unwrap();
        all.extend(p.changes);
        after = p.next;
        if !p.has_more {
            break;
        }
    }
    let tables = [
        ("tenant", "tenants"),
        ("store", "stores"),
        ("department", "departments"),
        ("doctor", "doctors"),
        ("doctor_order", "doctor_orders"),
        ("complaint", "complaints"),
        ("channel", "channels"),
        ("staff", "staff"),
        ("guardian", "guardians"),
        ("patient", "patients"),
        ("schedule", "schedules"),
        ("block", "blocked_times"),
        ("appointment", "appointments"),
        ("fee", "fees"),
        ("refund", "refunds"),
        ("cancellation_request", "cancellation_requests"),
        ("history", "appointment_history"),
        ("eye_exam", "eye_exams"),
        ("correction", "corrections"),
        ("eye_exam_audit", "eye_exam_audit"),
        ("recall_outcome", "recall_outcomes"),
        ("conflict", "conflicts"),
    ];
    for (kind, table) in tables {
        let on_server = all.iter().filter(|c| c.kind == kind).count() as i64;
        let (on_desk,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(fresh.store.pool()).await.unwrap();
        assert_eq!(on_desk, on_server, "{kind}");
    }
    assert!(all.iter().any(|c| c.kind == "conflict"));
    for c in all.iter().filter(|c| c.kind == "appointment") {
        let a: Appointment = serde_json::from_value(c.data.clone()).unwrap();
        let row: (String, String, i64, i64, String, String, Option<String>, i64, String) = sqlx::query_as(
            "SELECT state, doctor_id, start_ts, end_ts, patient_id, visit_type, fee_id, updated_at, sync_state FROM appointments WHERE id = ?",
        )
        .bind(&c.id)
        .fetch_one(fresh.store.pool())
        .await
        .unwrap();
        let expected = (
            a.state.as_str().to_string(),
            a.doctor_id.hyphenated().to_string(),
            a.start.timestamp(),
            a.end.timestamp(),
            a.patient_id.hyphenated().to_string(),
            a.visit_type.clone(),
            a.fee_id.map(|f| f.hyphenated().to_string()),
            a.updated_at.timestamp(),
            "confirmed".to_string(),
        );
        assert_eq!(row, expected);
    }
    for c in all.iter().filter(|c| c.kind == "fee") {
        let f: Fee = serde_json::from_value(c.data.clone()).unwrap();
        let row: (String, i64, Option<String>) = sqlx::query_as("SELECT status, amount, receipt_no FROM fees WHERE id = ?")
            .bind(&c.id)
            .fetch_one(fresh.store.pool())
            .await
            .unwrap();
        assert_eq!(row, (serde_json::to_value(f.status).unwrap().as_str().unwrap().to_string(), f.amount.0, f.receipt_no.clone()));
    }
    for c in all.iter().filter(|c| c.kind == "conflict") {
        let (data,): (String,) =
            sqlx::query_as("SELECT data FROM conflicts WHERE id = ?").bind(&c.id).fetch_one(fresh.store.pool()).await.unwrap();
        assert_eq!(serde_json::from_str::<Value>(&data).unwrap(), c.data);
    }
    server.down().await;
}

/// The server's database is restored from a backup taken before the desk's last sync: the
/// desk notices (a `device_seq_gap` on its next push, and a server behind its cursor or with a
/// new epoch), pushes its recently acknowledged commands again and takes a snapshot. Nothing
/// is lost, nothing is applied twice.
async fn a_server_restored_from_a_backup_gets_the_lost_commands_again(new_epoch: bool) {
    let Some(mut server) = TestServer::start(Backend::Sqlite).await else { return };
    let (mut desk, _) = Desk::new(&server).await;
    let backup = server.backup().await;

    let slots = free_slots(2);
    let first = booking(slots[0], 1);
    let done_first = desk.book(&first).await;
    assert_eq!(desk.sync().await.unwrap().applied, 1);
    assert_eq!(desk.sync_state(first.appointment_id).await, "confirmed");

    // The server's disk dies; it comes back from last night's backup.
    server.restore(&backup, new_epoch).await;
    desk.reconnect(&server);
    assert_eq!(server.logged(done_first.mutation_id).await, 0, "the restore lost the first booking");

    let second = booking(slots[1], 2);
    let done_second = desk.book(&second).await;
    let report = desk.sync().await.expect("sync after the restore");
    assert!(report.pushed >= 2, "{report:?}");
    assert_eq!(server.logged(done_first.mutation_id).await, 1, "sent again and applied once");
    assert_eq!(server.logged(done_second.mutation_id).await, 1);
    for b in [&first, &second] {
        let on_server = server.active_in_slot(b.doctor_id, b.start, b.end).await;
        assert_eq!(on_server.iter().map(|a| a.id).collect::<Vec<_>>(), vec![b.appointment_id]);
        assert_eq!(desk.sync_state(b.appointment_id).await, "confirmed");
        // The desk holds the server's copy as it is after the restore.
        let (updated_at,): (i64,) = sqlx::query_as("SELECT updated_at FROM appointments WHERE id = ?")
            .bind(b.appointment_id.hyphenated().to_string())
            .fetch_one(desk.store.pool())
            .await
            .unwrap();
        assert_eq!(updated_at, on_server[0].updated_at.timestamp());
    }
    assert_eq!(desk.store.pending_count().await.unwrap(), 0);
    let meta = desk.store.sync_meta().await.unwrap();
    assert!(meta.snapshot.is_none());
    assert_eq!(meta.epoch.as_deref() == Some("restored"), new_epoch);
    // And the next round is quiet.
    let quiet = desk.sync().await.unwrap();
    assert_eq!((quiet.pushed, quiet.applied), (0, 0));
    server.down().await;
}

/// The desk's appointment ids and fee receipt numbers, and the server's for the store.
async fn appointments_and_receipts(desk: &Desk, server: &TestServer) -> [(Vec<String>, Vec<String>); 2] {
    let on_desk: Vec<(String,)> = sqlx::query_as("SELECT id FROM appointments WHERE store_id = ? ORDER BY id")
        .bind(clinic().id.hyphenated().to_string())
        .fetch_all(desk.store.pool())
        .await
        .unwrap();
    let desk_receipts: Vec<(String,)> = sqlx::query_as("SELECT receipt_no FROM fees WHERE receipt_no IS NOT NULL ORDER BY receipt_no")
        .fetch_all(desk.store.pool())
        .await
        .unwrap();
    let on_server: Vec<(String,)> = sqlx::query_as("SELECT id FROM entities WHERE kind = 'appointment' AND store_id = $1 ORDER BY id")
        .bind(clinic().id.hyphenated().to_string())
        .fetch_all(server.app().db().pool())
        .await
        .unwrap();
    let fees: Vec<(String,)> = sqlx::query_as("SELECT data FROM entities WHERE kind = 'fee' AND (store_id IS NULL OR store_id = $1)")
        .bind(clinic().id.hyphenated().to_string())
        .fetch_all(server.app().db().pool())
        .await
        .unwrap();
    let mut server_receipts: Vec<String> = fees.iter().filter_map(|(d,)| serde_json::from_str::<Fee>(d).unwrap().receipt_no).collect();
    server_receipts.sort();
    let ids = |v: Vec<(String,)>| v.into_iter().map(|r| r.0).collect::<Vec<_>>();
    [(ids(on_desk), ids(desk_receipts)), (ids(on_server), server_receipts)]
}

/// A restore that keeps the epoch (the file copied back by hand), after which new commits
/// take the server's head past the desk's cursor again: the desk still notices (its cursor's
/// commit mark is not the server's), takes a snapshot, and the booking the server lost —
/// the patient's, which no desk can send again — leaves the desk; the new booking's receipt
/// number is not the lost one's.
#[tokio::test]
async fn a_restore_that_keeps_the_epoch_is_noticed_and_rows_the_server_lost_leave_the_desk_sqlite() {
    let Some(mut server) = TestServer::start(Backend::Sqlite).await else { return };
    let (mut desk, _) = Desk::new(&server).await;
    let backup = server.backup().await;
    let slots = free_slots(2);
    let lost = server.patient_books(slots[0], 1, true).await;
    desk.sync().await.unwrap();
    let [(desk_before, receipts_before), _] = appointments_and_receipts(&desk, &server).await;
    assert!(desk_before.contains(&lost.appointment_id.hyphenated().to_string()), "the desk pulled the patient's booking");

    server.restore(&backup, false).await;
    desk.reconnect(&server);
    let kept = server.patient_books(slots[1], 2, true).await;
    let report = desk.sync().await.expect("sync after the restore");
    assert!(report.pulled > 0, "{report:?}");

    let [(on_desk, desk_receipts), (on_server, server_receipts)] = appointments_and_receipts(&desk, &server).await;
    assert_eq!(on_desk, on_server, "the desk holds exactly the server's appointments of its store");
    assert!(!on_desk.contains(&lost.appointment_id.hyphenated().to_string()), "the lost booking left the desk");
    assert!(on_desk.contains(&kept.appointment_id.hyphenated().to_string()));
    assert_eq!(desk_receipts, server_receipts);
    let lost_receipts: Vec<&String> = receipts_before.iter().filter(|r| !server_receipts.contains(r)).collect();
    assert_eq!(lost_receipts.len(), 1, "the lost fee's receipt is gone and not issued again: {receipts_before:?} → {server_receipts:?}");
    let meta = desk.store.sync_meta().await.unwrap();
    assert!(meta.snapshot.is_none() && meta.cursor.is_some());
    let quiet = desk.sync().await.unwrap();
    assert_eq!((quiet.pushed, quiet.pulled), (0, 0), "{quiet:?}");
    server.down().await;
}

/// After a restore the desk sends its booking again, but the restored server gave the slot to
/// a patient meanwhile and the answer (a rejection) is lost: the next round asks again and
/// the desk shows the conflict, not "applied".
#[tokio::test]
async fn a_lost_answer_to_a_resend_after_a_restore_is_asked_for_again_sqlite() {
    let Some(mut server) = TestServer::start(Backend::Sqlite).await else { return };
    let (mut desk, _) = Desk::new(&server).await;
    let backup = server.backup().await;
    let slot = free_slots(1)[0];
    let mine = booking(slot, 1);
    desk.book(&mine).await;
    assert_eq!(desk.sync().await.unwrap().applied, 1);
    assert_eq!(desk.sync_state(mine.appointment_id).await, "confirmed");

    server.restore(&backup, false).await;
    desk.reconnect(&server);
    server.patient_books(slot, 2, false).await;
    let lossy = LoseAnswers(&desk.transport);
    let first = sync(&desk.store, &lossy).await;
    assert!(first.as_ref().is_err_and(|e| e.is_offline()), "the resend's answer was lost: {first:?}");

    let report = desk.sync().await.expect("the next round");
    assert_eq!(report.rejected, 1, "{report:?}");
    let details = desk.store.sync_details(10).await.unwrap();
    let d = details.iter().find(|d| d.name == "booking.create@1").unwrap();
    assert_eq!((d.status.as_str(), d.code.as_deref()), ("rejected", Some("slot_conflict")));
    assert_eq!(desk.sync_state(mine.appointment_id).await, "attention");
    assert_eq!(desk.store.conflicts(clinic().id).await.unwrap().len(), 1);
    assert_eq!(desk.store.resend_from().await.unwrap(), None, "the resend finished");
    server.down().await;
}

/// The desk was away longer than the server keeps its change log (its cursor is below the
/// server's `retention_floor_seq`): its pending booking is pushed, it takes a snapshot
/// instead of the changes since its cursor, and it ends up equal to the server, with what
/// other desks did meanwhile.
async fn a_desk_offline_longer_than_the_retention_takes_a_snapshot_and_keeps_its_work(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else { return };
    let (away, _) = Desk::new(&server).await;
    let (other, _) = Desk::new(&server).await;
    let slots = free_slots(2);
    let mine = booking(slots[0], 1);
    away.book(&mine).await;
    let theirs = booking(slots[1], 2);
    other.book(&theirs).await;
    other.sync().await.unwrap();
    // Weeks later the server's change log starts after everything the away desk has seen.
    let (head,): (i64,) = sqlx::query_as("SELECT MAX(seq) FROM tenant_seq").fetch_one(server.app().db().pool()).await.unwrap();
    sqlx::query("INSERT INTO server_meta (key, value) VALUES ('retention_floor_seq', $1)")
        .bind((head + 1).to_string())
        .execute(server.app().db().pool())
        .await
        .unwrap();

    let mut snapshots = 0;
    let v = versions(&away.store, "0.1.0-test").await.unwrap();
    let report = sync_once(&away.store, &away.transport, v, &mut |p| snapshots += (p.phase == clinicdesk_sync::Phase::Snapshot) as usize)
        .await
        .expect("sync after the long absence");
    assert_eq!(report.applied, 1, "the pending booking was pushed: {report:?}");
    assert!(snapshots > 0, "the pull was a snapshot");
    assert_eq!(away.sync_state(mine.appointment_id).await, "confirmed");
    let [(on_desk, desk_receipts), (on_server, server_receipts)] = appointments_and_receipts(&away, &server).await;
    assert_eq!(on_desk, on_server);
    assert_eq!(desk_receipts, server_receipts);
    assert!(on_desk.contains(&theirs.appointment_id.hyphenated().to_string()), "the other desk's booking arrived");
    let quiet = away.sync().await.unwrap();
    assert_eq!((quiet.pushed, quiet.pulled), (0, 0), "{quiet:?}");
}

/// Desks on different app versions share one server: an older app's commands are applied;
/// a newer app's command the server does not know yet waits in the outbox with everything
/// after it, round after round and through a re-bootstrap (a snapshot), and is never dropped.
async fn desks_on_older_and_newer_app_versions_sync_and_nothing_waiting_is_dropped(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else { return };
    let (older, _) = Desk::new(&server).await;
    let (newer, _) = Desk::new(&server).await;
    let slots = free_slots(2);

    // The older app: a previous schema and app version in its requests.
    let b = booking(slots[0], 1);
    older.book(&b).await;
    let mut v = versions(&older.store, "0.0.9").await.unwrap();
    v.schema -= 1;
    let r = sync_once(&older.store, &older.transport, v, &mut |_| {}).await.unwrap();
    assert_eq!((r.applied, r.rejected, r.unknown), (1, 0, 0), "{r:?}");
    assert_eq!(older.sync_state(b.appointment_id).await, "confirmed");

    // The newer app wrote a command this server does not know (as its own code would),
    // then a booking this server knows.
    let args = json!({ "patient_id": chain().world.patients.keys().next().unwrap(), "note": "a newer app's command" });
    let name = "patient.merge@1";
    sqlx::query(
        "INSERT INTO outbox (device_seq, mutation_id, name, args, payload_hash, actor, created_at)
         VALUES (1, ?, ?, ?, ?, ?, ?)",
    )
    .bind(uuid::Uuid::now_v7().hyphenated().to_string())
    .bind(name)
    .bind(args.to_string())
    .bind(clinicdesk_store::payload_hash(name, &args))
    .bind(serde_json::to_string(&receptionist().1).unwrap())
    .bind(Utc::now().timestamp())
    .execute(newer.store.pool())
    .await
    .unwrap();
    let later = booking(slots[1], 2);
    newer.book(&later).await;
    for round in 0..2 {
        let r = newer.sync().await.unwrap();
        assert_eq!((r.applied, r.unknown), (0, 1), "round {round}: {r:?}");
        assert_eq!(newer.store.pending_count().await.unwrap(), 2, "both wait");
        let details = newer.store.sync_details(10).await.unwrap();
        assert_eq!(newer.sync_state(later.appointment_id).await, "pending", "{details:?}");
    }
    let details = newer.store.sync_details(10).await.unwrap();
    assert_eq!(details.iter().find(|d| d.name == name).unwrap().status, "unknown");
    // A re-bootstrap (the desk takes a snapshot again) keeps them.
    newer.store.begin_snapshot(None).await.unwrap();
    newer.sync().await.unwrap();
    assert_eq!(newer.store.pending_count().await.unwrap(), 2);
    assert_eq!(newer.sync_state(later.appointment_id).await, "pending");
    assert_eq!(server.logged(later.appointment_id).await, 0);
    assert!(server.active_in_slot(later.doctor_id, later.start, later.end).await.is_empty(), "not applied ahead of the unknown command");
}

/// Offline, one desk checks a patient in while another desk cancels the appointment online:
/// the check-in is refused, and the conflict offers to book the same doctor and slot again
/// (the patient is at the desk); a booking refused after this desk took cash for it offers to
/// hand the cash back.
async fn conflicts_offer_booking_the_slot_again_and_handing_back_cash(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else { return };
    let (front, _) = Desk::new(&server).await;
    let (back, _) = Desk::new(&server).await;
    let slots = free_slots(2);
    let b = booking(slots[0], 1);
    front.book(&b).await;
    front.sync().await.unwrap();
    back.sync().await.unwrap();
    let (_, actor) = receptionist();
    front
        .store
        .execute(&front.device, &actor, &Command::CheckIn(AppointmentRef { appointment_id: b.appointment_id }), Utc::now())
        .await
        .unwrap();
    let cancel = Command::Cancel(WithReason { appointment_id: b.appointment_id, reason: "患者来电取消".into() });
    back.store.execute(&back.device, &actor, &cancel, Utc::now()).await.unwrap();
    back.sync().await.unwrap();
    assert_eq!(front.sync().await.unwrap().rejected, 1);

    let items = front.store.conflict_items(clinic().id, Lang::ZhCn).await.unwrap();
    let refused = items.iter().find(|i| i.command_name == "appointment.check_in@1").expect("the check-in's conflict");
    assert_eq!(refused.code, "invalid_transition");
    assert_eq!(refused.fixes.first().map(String::as_str), Some("reinstate"), "{:?}", refused.fixes);
    let again = refused.booking.as_ref().expect("the appointment to book again");
    assert_eq!(
        (again.patient_id.as_str(), again.doctor_id.as_str(), again.department_id.as_str()),
        (b.patient_id.to_string().as_str(), b.doctor_id.to_string().as_str(), b.department_id.to_string().as_str())
    );
    assert_eq!(again.start.parse::<DateTime<Utc>>().unwrap(), b.start);
    // The desk pushed in English; a desk that speaks Chinese reads the rejection in Chinese.
    let han = |t: &str| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    assert!(han(&refused.message), "{}", refused.message);
    let in_english = front.store.conflict_items(clinic().id, Lang::En).await.unwrap();
    let english = &in_english.iter().find(|i| i.id == refused.id).unwrap().message;
    assert!(!han(english) && !english.is_empty(), "{english}");

    // A paid booking of this desk refused (the slot went to the other desk first).
    let mut paid = booking(slots[1], 3);
    paid.fee = Some(NewFee { fee_id: uuid::Uuid::now_v7(), amount: 2500, paid_with: Some(PayMethod::Cash) });
    front.book(&paid).await;
    back.book(&booking(slots[1], 4)).await;
    back.sync().await.unwrap();
    front.sync().await.unwrap();
    let items = front.store.conflict_items(clinic().id, Lang::ZhCn).await.unwrap();
    let booked = items.iter().find(|i| i.command_name == "booking.create@1").expect("the booking's conflict");
    assert!(booked.fixes.contains(&"hand_back_cash".to_string()), "{:?}", booked.fixes);
    // The other desk sees the conflict, but the cash is not its to hand back.
    back.sync().await.unwrap();
    let theirs = back.store.conflict_items(clinic().id, Lang::ZhCn).await.unwrap();
    let seen = theirs.iter().find(|i| i.command_name == "booking.create@1").expect("every desk of the store sees it");
    assert!(!seen.fixes.contains(&"hand_back_cash".to_string()), "{:?}", seen.fixes);
}

/// The desk's own disk dies and IT puts back last hour's backup: the server holds a booking
/// the backup lacks, under a device number the desk hands out again. The desk's next booking
/// moves to the number after the server's, nothing halts, and the lost booking comes back.
async fn a_desk_restored_from_its_backup_renumbers_new_commands_and_gets_its_lost_ones_back(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else { return };
    let (desk, _) = Desk::new(&server).await;
    let slots = free_slots(3);
    desk.book(&booking(slots[0], 1)).await;
    desk.sync().await.unwrap();
    let backup = desk.path.with_file_name("desk-backup.sqlite3");
    sqlx::query(&format!("VACUUM INTO '{}'", backup.display())).execute(desk.store.pool()).await.unwrap();
    let lost = booking(slots[1], 2);
    let lost_done = desk.book(&lost).await;
    desk.sync().await.unwrap();
    assert_eq!(server.logged(lost_done.mutation_id).await, 1);

    let Desk { _dir, path, store, device, transport, .. } = desk;
    store.close().await;
    drop(store);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    std::fs::copy(&backup, &path).unwrap();
    let store = open(&path, OpenOptions::default()).await.unwrap();
    store.note_restored_from_backup().await.unwrap();
    let after = booking(slots[2], 3);
    let done = store.execute(&device, &receptionist().1, &Command::BookingCreate(after.clone()), Utc::now()).await.unwrap();
    assert_eq!(done.device_seq, lost_done.device_seq, "the restored desk hands out the lost booking's number again");

    let report = sync(&store, &transport).await.expect("no halt");
    assert_eq!(report.applied, 1, "{report:?}");
    assert_eq!(server.logged(done.mutation_id).await, 1);
    let (seq,): (i64,) = sqlx::query_as("SELECT device_seq FROM outbox WHERE mutation_id = ?")
        .bind(done.mutation_id.hyphenated().to_string())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(seq, lost_done.device_seq + 1, "moved after the server's last");
    let (on_desk,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointments WHERE id = ?")
        .bind(lost.appointment_id.hyphenated().to_string())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(on_desk, 1, "the booking the backup lacked came back from the server");
    assert!(!store.restored_from_backup().await.unwrap());
    assert_eq!(store.pending_count().await.unwrap(), 0);
    let _ = _dir;
}

#[tokio::test]
async fn a_server_restored_from_a_backup_with_its_epoch_gets_the_lost_commands_again_sqlite() {
    a_server_restored_from_a_backup_gets_the_lost_commands_again(false).await;
}

#[tokio::test]
async fn a_server_restored_from_a_backup_with_a_new_epoch_gets_the_lost_commands_again_sqlite() {
    a_server_restored_from_a_backup_gets_the_lost_commands_again(true).await;
}

macro_rules! on_both {
    ($scenario:ident, $sqlite:ident, $postgres:ident $(, $arg:expr)*) => {
        #[tokio::test]
        async fn $sqlite() {
            $scenario(Backend::Sqlite $(, $arg)*).await;
        }
        #[tokio::test]
        async fn $postgres() {
            $scenario(Backend::Postgres $(, $arg)*).await;
        }
    };
}

on_both!(
    booking_made_while_the_server_is_down_is_confirmed_once_it_is_back,
    booking_made_while_the_server_is_down_is_confirmed_once_it_is_back_sqlite,
    booking_made_while_the_server_is_down_is_confirmed_once_it_is_back_postgres
);
on_both!(
    two_desks_book_one_slot_offline_and_exactly_one_wins,
    two_desks_book_one_slot_offline_and_exactly_one_wins_a_first_sqlite,
    two_desks_book_one_slot_offline_and_exactly_one_wins_a_first_postgres,
    true
);
on_both!(
    two_desks_book_one_slot_offline_and_exactly_one_wins,
    two_desks_book_one_slot_offline_and_exactly_one_wins_b_first_sqlite,
    two_desks_book_one_slot_offline_and_exactly_one_wins_b_first_postgres,
    false
);
on_both!(
    a_desk_refunding_cash_offline_while_the_patient_cancels_online_refunds_once,
    a_desk_refunding_cash_offline_while_the_patient_cancels_online_refunds_once_sqlite,
    a_desk_refunding_cash_offline_while_the_patient_cancels_online_refunds_once_postgres
);
on_both!(
    a_lost_acknowledgement_is_answered_again_and_nothing_is_applied_twice,
    a_lost_acknowledgement_is_answered_again_and_nothing_is_applied_twice_sqlite,
    a_lost_acknowledgement_is_answered_again_and_nothing_is_applied_twice_postgres
);
on_both!(
    a_crash_after_a_local_commit_before_the_push_sends_the_command_once,
    a_crash_after_a_local_commit_before_the_push_sends_the_command_once_sqlite,
    a_crash_after_a_local_commit_before_the_push_sends_the_command_once_postgres
);
on_both!(
    a_desk_offline_longer_than_the_retention_takes_a_snapshot_and_keeps_its_work,
    a_desk_offline_longer_than_the_retention_takes_a_snapshot_and_keeps_its_work_sqlite,
    a_desk_offline_longer_than_the_retention_takes_a_snapshot_and_keeps_its_work_postgres
);
on_both!(
    desks_on_older_and_newer_app_versions_sync_and_nothing_waiting_is_dropped,
    desks_on_older_and_newer_app_versions_sync_and_nothing_waiting_is_dropped_sqlite,
    desks_on_older_and_newer_app_versions_sync_and_nothing_waiting_is_dropped_postgres
);
on_both!(
    conflicts_offer_booking_the_slot_again_and_handing_back_cash,
    conflicts_offer_booking_the_slot_again_and_handing_back_cash_sqlite,
    conflicts_offer_booking_the_slot_again_and_handing_back_cash_postgres
);
on_both!(
    a_desk_restored_from_its_backup_renumbers_new_commands_and_gets_its_lost_ones_back,
    a_desk_restored_from_its_backup_renumbers_new_commands_and_gets_its_lost_ones_back_sqlite,
    a_desk_restored_from_its_backup_renumbers_new_commands_and_gets_its_lost_ones_back_postgres
);
on_both!(
    a_fresh_desks_first_sync_by_snapshot_equals_the_server_for_its_store,
    a_fresh_desks_first_sync_by_snapshot_equals_the_server_for_its_store_sqlite,
    a_fresh_desks_first_sync_by_snapshot_equals_the_server_for_its_store_postgres
);
