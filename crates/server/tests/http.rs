//! The server over real HTTP (127.0.0.1:0, reqwest), each rule checked on SQLite and on
//! PostgreSQL. Without a reachable PostgreSQL the PostgreSQL half is skipped with a note,
//! unless `CI` is set: then it fails.

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};
use clinicdesk_demo::{DemoChain, DemoConfig};
use clinicdesk_domain::model::*;
use clinicdesk_domain::slots;
use clinicdesk_server::pay::SimWeChatPay;
use clinicdesk_server::testkit::{demo_today, password_hash, small_chain, store_by_code, tenant_of, TestDb};
use clinicdesk_server::{App, Backend, Config};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn today() -> NaiveDate {
    demo_today()
}

/// Two small chains: A (the desk's demo seed) and B (another seed, another tenant).
fn chains() -> &'static (DemoChain, DemoChain) {
    static CHAINS: OnceLock<(DemoChain, DemoChain)> = OnceLock::new();
    CHAINS.get_or_init(|| (small_chain(2026), small_chain(77)))
}

struct TestServer {
    base: String,
    app: App,
    /// The simulated WeChat Pay the server sends online refunds to.
    pay: std::sync::Arc<SimWeChatPay>,
    http: reqwest::Client,
    backend: Backend,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _db: TestDb,
}

impl TestServer {
    /// A server with both chains loaded, or None when PostgreSQL is asked for and unreachable
    /// outside CI.
    async fn start(backend: Backend) -> Option<TestServer> {
        TestServer::start_with(backend, |_| {}).await
    }

    async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestServer> {
        TestServer::start_full(backend, tweak, false).await
    }

    /// A server with both chains and chain C, whose "today" is the real today (the patient
    /// app offers only future slots).
    async fn start_with_patients(backend: Backend) -> Option<TestServer> {
        TestServer::start_full(backend, |_| {}, true).await
    }

    async fn start_full(backend: Backend, tweak: impl FnOnce(&mut Config), with_c: bool) -> Option<TestServer> {
        let db = TestDb::create(backend).await?;
        let mut config = Config::new(db.url.clone());
        tweak(&mut config);
        let pay = std::sync::Arc::new(SimWeChatPay::new());
        let app = App::open_with_provider(&config, pay.clone()).await.expect("open the server database");
        let (a, b) = chains();
        let hash = password_hash();
        clinicdesk_server::import::import_chain_with_hash(app.db(), a, hash).await.unwrap();
        clinicdesk_server::import::import_chain_with_hash(app.db(), b, hash).await.unwrap();
        if with_c {
            clinicdesk_server::import::import_chain_with_hash(app.db(), chain_c(), hash).await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
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
        Some(TestServer { base, app, pay, http: reqwest::Client::new(), backend, shutdown: Some(tx), _db: db })
    }

    async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.app.db().close().await;
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn post_raw(&self, path: &str, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let resp =
            self.http.post(self.url(path)).bearer_auth(token).header("content-type", "application/json").body(body).send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn sign_in_raw(&self, tenant: Id, login: &str, password: &str, store: Id, lang: &str) -> (StatusCode, Value, Option<String>) {
        let body = json!({ "tenant": tenant, "login": login, "password": password, "store_id": store, "device_name": "前台一号机" });
        let resp = self.http.post(self.url("/api/v1/auth/sign-in")).header("accept-language", lang).json(&body).send().await.unwrap();
        let status = resp.status();
        let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
        (status, resp.json().await.unwrap_or(Value::Null), retry)
    }

    /// Signs `login` in at the store with `code` of `chain`; returns (token, device id).
    async fn desk(&self, chain: &DemoChain, login: &str, code: &str) -> (String, String) {
        let (status, body, _) =
            self.sign_in_raw(tenant_of(chain), login, clinicdesk_demo::STAFF_PASSWORD, store_by_code(chain, code), "zh-CN").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (body["token"].as_str().unwrap().to_string(), body["device_id"].as_str().unwrap().to_string())
    }

    async fn command(&self, token: &str, name: &str, args: Value) -> (StatusCode, Value) {
        let body = json!({ "name": name, "args": args, "mutation_id": uuid::Uuid::now_v7() });
        self.post("/api/v1/commands", Some(token), &body).await
    }

    async fn count(&self, sql: &str, tenant: Id) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql).bind(tenant.hyphenated().to_string()).fetch_one(self.app.db().pool()).await.unwrap();
        n
    }

    /// Commands desks and patients submitted (not the server's own, e.g. the legacy fees it
    /// gives to the first desk that signs in for a store).
    async fn commands_logged(&self, tenant: Id) -> i64 {
        self.count("SELECT COUNT(*) FROM commands WHERE tenant_id = $1 AND device_id <> 'server'", tenant).await
    }

    async fn head(&self, tenant: Id) -> i64 {
        self.count("SELECT COALESCE(MAX(seq), 0) FROM tenant_seq WHERE tenant_id = $1", tenant).await
    }

    async fn appointment_doc(&self, id: Id) -> Appointment {
        let (data,): (String,) = sqlx::query_as("SELECT data FROM entities WHERE kind = 'appointment' AND id = $1")
            .bind(id.hyphenated().to_string())
            .fetch_one(self.app.db().pool())
            .await
            .unwrap();
        serde_json::from_str(&data).unwrap()
    }
}

/// Runs `check` on a fresh server per backend.
macro_rules! on_both_backends {
    ($name:ident, $check:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            for backend in [Backend::Sqlite, Backend::Postgres] {
                let Some(server) = TestServer::start(backend).await else { continue };
                eprintln!("{} on {:?}", stringify!($name), backend);
                $check(&server).await;
                server.stop().await;
            }
        }
    };
}

/// A free slot of a doctor in the store with `code`, after the demo's today: (doctor,
/// department, start, end).
fn free_slot(chain: &DemoChain, code: &str, nth: usize) -> (Id, Id, DateTime<Utc>, DateTime<Utc>) {
    let w = &chain.world;
    let store = w.stores.values().find(|s| s.code == code).unwrap();
    let tz = slots::zone(&store.timezone);
    let mut found = Vec::new();
    for s in w.schedules.values().filter(|s| s.store_id == store.id && s.date > today() + chrono::Duration::days(2)) {
        let Some(dept) = w.doctors[&s.doctor_id].department_ids.iter().find(|d| w.departments[*d].store_id == store.id) else {
            continue;
        };
        let blocks: Vec<&BlockedTime> = w.blocks.values().filter(|b| b.doctor_id == s.doctor_id).collect();
        for slot in slots::slots(s, tz, w.appointments.values(), &blocks, 1) {
            if slot.booked == 0 {
                found.push((s.doctor_id, *dept, slot.start, slot.end));
            }
        }
    }
    found.sort_by_key(|f| (f.2, f.0));
    found[nth]
}

fn patients(chain: &DemoChain) -> Vec<Id> {
    chain.world.patients.keys().copied().collect()
}

fn booking(store: Id, slot: (Id, Id, DateTime<Utc>, DateTime<Utc>), patient: Id, fee: Value) -> (Id, Value) {
    let id = uuid::Uuid::now_v7();
    let args = json!({
        "appointment_id": id, "store_id": store, "doctor_id": slot.0, "department_id": slot.1, "patient_id": patient,
        "complaint_id": null, "start": slot.2, "end": slot.3, "visit_type": null, "source": "desk", "fee": fee,
    });
    (id, args)
}

/// An active appointment of the store with `code` (booked for the future, confirmed).
fn active_appointment(chain: &DemoChain, code: &str) -> Appointment {
    let store = store_by_code(chain, code);
    chain
        .world
        .appointments
        .values()
        .find(|a| a.store_id == store && a.state == AppointmentState::Confirmed && a.start.date_naive() > today())
        .cloned()
        .unwrap()
}

// ---------------------------------------------------------------------------------------

async fn check_placeholders(s: &TestServer) {
    let (sum, text): (i64, String) =
        sqlx::query_as("SELECT $1 + $2, $3 || $3").bind(2_i64).bind(40_i64).bind("ab").fetch_one(s.app.db().pool()).await.unwrap();
    assert_eq!((sum, text.as_str()), (42, "abab"), "{:?}", s.backend);
    let (status, health) = s.get("/api/v1/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["schema_version"], 5);
    assert_eq!(health["backend"], if s.backend == Backend::Sqlite { "sqlite" } else { "postgres" });
}
on_both_backends!(dollar_placeholders_and_schema_version_work_on_both_backends, check_placeholders);

async fn check_rate_limit(s: &TestServer) {
    let (a, _) = chains();
    let (tenant, bj01) = (tenant_of(a), store_by_code(a, "BJ01"));
    for _ in 0..clinicdesk_store::auth::MAX_FAILURES {
        let (status, body, _) = s.sign_in_raw(tenant, "front.bj01", "wrong-password", bj01, "zh-CN").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "sign_in_failed");
        assert!(body["message"].as_str().unwrap().contains("密码"), "{body}");
    }
    // Locked now, even with the right password.
    let (status, body, retry) = s.sign_in_raw(tenant, "front.bj01", clinicdesk_demo::STAFF_PASSWORD, bj01, "en").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "too_many_attempts");
    assert!(body["message"].as_str().unwrap().contains("try again in"), "{body}");
    assert!(retry.is_some_and(|r| r.parse::<u64>().unwrap() >= 1));
    // Leaving out the chain does not get around the lock.
    let body = json!({ "login": "front.bj01", "password": clinicdesk_demo::STAFF_PASSWORD, "store_id": bj01, "device_name": "x" });
    let (status, _) = s.post("/api/v1/auth/sign-in", None, &body).await;
    assert!(status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::BAD_REQUEST, "{status}");
    // Other logins are not affected; the same login of the other chain neither.
    let (status, _, _) = s.sign_in_raw(tenant, "manager.bj01", clinicdesk_demo::STAFF_PASSWORD, bj01, "zh-CN").await;
    assert_eq!(status, StatusCode::CREATED);
    let (b_chain, b_tenant) = (&chains().1, tenant_of(&chains().1));
    let (status, _, _) =
        s.sign_in_raw(b_tenant, "front.bj01", clinicdesk_demo::STAFF_PASSWORD, store_by_code(b_chain, "BJ01"), "zh-CN").await;
    assert_eq!(status, StatusCode::CREATED);
    // A login in both chains needs the chain named.
    let (status, body) = s
        .post("/api/v1/auth/sign-in", None, &json!({ "login": "manager.bj02", "password": "x", "store_id": bj01, "device_name": "x" }))
        .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("tenant_required")));
    // Signing in for a store the staff member does not work in is refused.
    let (status, body, _) = s.sign_in_raw(tenant, "manager.bj02", clinicdesk_demo::STAFF_PASSWORD, bj01, "zh-CN").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_in_store")));
}
on_both_backends!(sign_in_with_wrong_password_is_rate_limited, check_rate_limit);

async fn check_revoke(s: &TestServer) {
    let (a, _) = chains();
    let tenant = tenant_of(a);
    let (front, front_device) = s.desk(a, "front.bj01", "BJ01").await;
    let (manager, manager_device) = s.desk(a, "manager.bj01", "BJ01").await;
    let (manager2, _) = s.desk(a, "manager.bj02", "BJ02").await;
    let (status, me) = s.get("/api/v1/me", Some(&front)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["staff"]["role"], "receptionist");

    let (status, body) = s.post(&format!("/api/v1/devices/{manager_device}/revoke"), Some(&front), &json!({})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "a receptionist cannot revoke");
    let (status, _) = s.post(&format!("/api/v1/devices/{front_device}/revoke"), Some(&manager2), &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a manager of another store cannot revoke");
    let (status, body) = s.post(&format!("/api/v1/devices/{front_device}/revoke"), Some(&manager), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = s.get("/api/v1/me", Some(&front)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_revoked")));
    let appt = active_appointment(a, "BJ01");
    let (status, body) = s.command(&front, "appointment.check_in@1", json!({ "appointment_id": appt.id })).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_revoked")));
    assert_eq!(s.commands_logged(tenant).await, 0, "nothing was applied or logged");
    assert_eq!(s.appointment_doc(appt.id).await.state, appt.state);

    let (status, body) = s.get("/api/v1/me", Some("cdt_0000")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_invalid")));
    let (status, body) = s.get("/api/v1/me", None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_missing")));
    // The manager's own token still works.
    assert_eq!(s.get("/api/v1/me", Some(&manager)).await.0, StatusCode::OK);
}
on_both_backends!(revoked_device_token_is_refused, check_revoke);

async fn check_desk_id(s: &TestServer) {
    let (a, _) = chains();
    let desk = uuid::Uuid::now_v7();
    let sign_in = |login: &'static str, code: &'static str| {
        json!({ "tenant": tenant_of(a), "login": login, "password": clinicdesk_demo::STAFF_PASSWORD,
                "store_id": store_by_code(a, code), "device_name": "前台一号机", "desk_id": desk })
    };
    let (status, first) = s.post("/api/v1/auth/sign-in", None, &sign_in("front.bj01", "BJ01")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["device_id"], json!(desk), "the desk's own id is its device id");
    let (status, second) = s.post("/api/v1/auth/sign-in", None, &sign_in("manager.bj01", "BJ01")).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["device_id"], json!(desk), "signing in again keeps the device (one device_seq line)");
    let (status, body) = s.get("/api/v1/me", first["token"].as_str()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the replaced token stops working: {body}");
    let (status, me) = s.get("/api/v1/me", second["token"].as_str()).await;
    assert_eq!((status, me["staff"]["role"].as_str()), (StatusCode::OK, Some("manager")));
    let (status, body) = s.post("/api/v1/auth/sign-in", None, &sign_in("manager.bj02", "BJ02")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")),
        "a desk of one store cannot be taken over for another: {body}"
    );
}
on_both_backends!(a_desk_signing_in_again_stays_the_same_device, check_desk_id);

async fn check_chains_isolated(s: &TestServer) {
    let (a, b) = chains();
    let (ta, tb) = (tenant_of(a), tenant_of(b));
    let (b_desk, _) = s.desk(b, "manager.bj01", "BJ01").await;
    let (a_desk, a_device) = s.desk(a, "front.bj01", "BJ01").await;
    let head_a = s.head(ta).await;
    let a_appt = active_appointment(a, "BJ01");

    // Read: another chain's appointment does not exist for this desk.
    let (status, body) = s.get(&format!("/api/v1/appointments/{}", a_appt.id), Some(&b_desk)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    assert_eq!(s.get(&format!("/api/v1/appointments/{}", a_appt.id), Some(&a_desk)).await.0, StatusCode::OK);

    // Write: acting on it, booking into its store, reusing one of its ids: all refused.
    let (status, body) = s.command(&b_desk, "appointment.check_in@1", json!({ "appointment_id": a_appt.id })).await;
    assert_eq!((status, body["outcome"].as_str(), body["code"].as_str()), (StatusCode::NOT_FOUND, Some("rejected"), Some("not_found")));
    let (status, body) = s.command(&b_desk, "appointment.cancel@1", json!({ "appointment_id": a_appt.id, "reason": "x" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let slot = free_slot(a, "BJ01", 0);
    let (_, args) = booking(store_by_code(a, "BJ01"), slot, patients(a)[0], Value::Null);
    let (status, body) = s.command(&b_desk, "booking.create@1", args).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_in_store")), "{body}");
    // An id of chain A's appointment reused by chain B for a booking of its own.
    let b_slot = free_slot(b, "BJ01", 0);
    let (_, mut args) = booking(store_by_code(b, "BJ01"), b_slot, patients(b)[0], Value::Null);
    args["appointment_id"] = json!(a_appt.id);
    let (status, body) = s.command(&b_desk, "booking.create@1", args).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("id_taken")), "{body}");
    // Patients of chain A cannot be booked by chain B either.
    let (_, args) = booking(store_by_code(b, "BJ01"), b_slot, patients(a)[0], Value::Null);
    let (status, body) = s.command(&b_desk, "booking.create@1", args).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{body}");
    // Devices of chain A are invisible to chain B's manager.
    let (status, _) = s.post(&format!("/api/v1/devices/{a_device}/revoke"), Some(&b_desk), &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(s.appointment_doc(a_appt.id).await, a_appt, "chain A's appointment is untouched");
    assert_eq!(s.commands_logged(ta).await, 0, "nothing was logged for chain A");
    assert_eq!(s.head(ta).await, head_a, "no seq of chain A was used");
    assert_eq!(s.commands_logged(tb).await, 5, "chain B's refusals are in chain B's log");
    assert_eq!(s.get("/api/v1/me", Some(&a_desk)).await.0, StatusCode::OK);
}
on_both_backends!(token_of_one_chain_cannot_read_or_write_another, check_chains_isolated);

async fn check_store_isolation(s: &TestServer) {
    let (a, _) = chains();
    // "admin" works in every store, but a desk acts only for the store it signed in at.
    let (desk, _) = s.desk(a, "admin", "BJ01").await;
    let other = active_appointment(a, "BJ02");
    let (status, body) = s.command(&desk, "appointment.check_in@1", json!({ "appointment_id": other.id })).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_in_store")), "{body}");
    let slot = free_slot(a, "BJ02", 0);
    let (id, args) = booking(store_by_code(a, "BJ02"), slot, patients(a)[0], Value::Null);
    let (status, body) = s.command(&desk, "booking.create@1", args).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_in_store")), "{body}");
    let (status, _) = s.get(&format!("/api/v1/appointments/{}", other.id), Some(&desk)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(s.appointment_doc(other.id).await, other);
    assert_eq!(s.count("SELECT COUNT(*) FROM entities WHERE kind = 'appointment' AND id = $1", id).await, 0);
    // In its own store the same desk works.
    let mine = active_appointment(a, "BJ01");
    let (status, body) = s.command(&desk, "appointment.check_in@1", json!({ "appointment_id": mine.id })).await;
    assert_eq!((status, body["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{body}");
    assert_eq!(s.appointment_doc(mine.id).await.state, AppointmentState::CheckedIn);
}
on_both_backends!(desk_cannot_apply_command_for_another_store, check_store_isolation);

async fn check_settings_role(s: &TestServer) {
    let (a, _) = chains();
    let bj01 = store_by_code(a, "BJ01");
    let mut settings = a.world.stores[&bj01].settings.clone();
    settings.cancellation_policy = CancellationPolicy::DirectBeforeCheckIn;
    let args = json!({ "store_id": bj01, "settings": settings });
    let (front, _) = s.desk(a, "front.bj01", "BJ01").await;
    let (status, body) = s.command(&front, "store.update_settings@1", args.clone()).await;
    assert_eq!((status, body["outcome"].as_str(), body["code"].as_str()), (StatusCode::FORBIDDEN, Some("rejected"), Some("forbidden")));
    assert!(body["message"].as_str().unwrap().contains("店长"), "zh-CN by default: {body}");
    let (data,): (String,) = sqlx::query_as("SELECT data FROM entities WHERE kind = 'store' AND id = $1")
        .bind(bj01.hyphenated().to_string())
        .fetch_one(s.app.db().pool())
        .await
        .unwrap();
    assert_eq!(serde_json::from_str::<Store>(&data).unwrap().settings.cancellation_policy, CancellationPolicy::RequestOnly);
    // The refusal is logged with its code.
    let (outcome, code): (String, String) = sqlx::query_as("SELECT outcome, code FROM commands WHERE server_seq = $1 AND tenant_id = $2")
        .bind(body["server_seq"].as_i64().unwrap())
        .bind(tenant_of(a).hyphenated().to_string())
        .fetch_one(s.app.db().pool())
        .await
        .unwrap();
    assert_eq!((outcome.as_str(), code.as_str()), ("rejected", "forbidden"));

    let (manager, _) = s.desk(a, "manager.bj01", "BJ01").await;
    let (status, body) = s.command(&manager, "store.update_settings@1", args).await;
    assert_eq!((status, body["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{body}");
    let (data, seq): (String, i64) = sqlx::query_as("SELECT data, server_seq FROM entities WHERE kind = 'store' AND id = $1")
        .bind(bj01.hyphenated().to_string())
        .fetch_one(s.app.db().pool())
        .await
        .unwrap();
    assert_eq!(serde_json::from_str::<Store>(&data).unwrap().settings.cancellation_policy, CancellationPolicy::DirectBeforeCheckIn);
    assert_eq!(seq, body["server_seq"].as_i64().unwrap(), "the document carries the command's server_seq");
}
on_both_backends!(receptionist_cannot_change_store_settings_on_the_server, check_settings_role);

async fn check_recall(s: &TestServer) {
    use clinicdesk_domain::recall::{RecallOutcome, RecallOutcomeRecord, RecallThresholds, TaskKind};
    let (a, _) = chains();
    let bj01 = store_by_code(a, "BJ01");
    let patient = patients(a)[0];
    let (front, _) = s.desk(a, "front.bj01", "BJ01").await;
    for (outcome, note) in [("unreachable", Value::Null), ("booked", json!("周六上午"))] {
        let args = json!({ "store_id": bj01, "patient_id": patient, "kind": "recheck_overdue", "outcome": outcome, "note": note });
        let (status, body) = s.command(&front, "recall.record_outcome@1", args).await;
        assert_eq!((status, body["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{body}");
    }
    // One document per outcome, found by the patient, in time order.
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT data, store_id FROM entities WHERE kind = 'recall_outcome' AND ref_id = $1 ORDER BY start_ts, server_seq")
            .bind(patient.hyphenated().to_string())
            .fetch_all(s.app.db().pool())
            .await
            .unwrap();
    let outcomes: Vec<RecallOutcomeRecord> = rows.iter().map(|(d, _)| serde_json::from_str(d).unwrap()).collect();
    assert_eq!(outcomes.iter().map(|o| o.outcome).collect::<Vec<_>>(), [RecallOutcome::Unreachable, RecallOutcome::Booked]);
    assert!(outcomes.iter().all(|o| o.kind == TaskKind::RecheckOverdue && o.store_id == bj01 && o.actor.starts_with("receptionist:")));
    assert_eq!(outcomes[1].note.as_deref(), Some("周六上午"));
    assert!(rows.iter().all(|(_, store)| store.as_deref() == Some(bj01.hyphenated().to_string().as_str())));

    // The thresholds travel in the store settings, checked by the same rules.
    let (manager, _) = s.desk(a, "manager.bj01", "BJ01").await;
    let mut settings = a.world.stores[&bj01].settings.clone();
    settings.recall = RecallThresholds { lens_replacement_days: 5, ..RecallThresholds::default() };
    let (status, body) = s.command(&manager, "store.update_settings@1", json!({ "store_id": bj01, "settings": settings })).await;
    assert_eq!((body["outcome"].as_str(), body["code"].as_str()), (Some("rejected"), Some("recall_threshold_invalid")), "{status} {body}");
    settings.recall.lens_replacement_days = 400;
    let (status, body) = s.command(&manager, "store.update_settings@1", json!({ "store_id": bj01, "settings": settings })).await;
    assert_eq!((status, body["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{body}");
    let (data,): (String,) = sqlx::query_as("SELECT data FROM entities WHERE kind = 'store' AND id = $1")
        .bind(bj01.hyphenated().to_string())
        .fetch_one(s.app.db().pool())
        .await
        .unwrap();
    assert_eq!(serde_json::from_str::<Store>(&data).unwrap().settings.recall, settings.recall);
}
on_both_backends!(recall_outcomes_are_kept_one_per_call_and_thresholds_saved_with_the_settings, check_recall);

async fn check_concurrent_bookings(s: &TestServer) {
    let (a, _) = chains();
    let bj01 = store_by_code(a, "BJ01");
    assert_eq!(a.world.stores[&bj01].settings.capacity_per_slot, 1);
    let (t1, _) = s.desk(a, "front.bj01", "BJ01").await;
    let (t2, _) = s.desk(a, "manager.bj01", "BJ01").await;
    let slot = free_slot(a, "BJ01", 3);
    let people = patients(a);
    let attempts: Vec<(Id, Value)> = (0..16).map(|i| booking(bj01, slot, people[i % people.len()], Value::Null)).collect();
    let results = futures::future::join_all(attempts.iter().enumerate().map(|(i, (_, args))| {
        let token = if i % 2 == 0 { &t1 } else { &t2 };
        s.command(token, "booking.create@1", args.clone())
    }))
    .await;
    let winners: Vec<usize> = (0..results.len()).filter(|i| results[*i].1["outcome"] == "applied").collect();
    assert_eq!(winners.len(), 1, "exactly one booking wins: {results:?}");
    let winner = attempts[winners[0]].0;
    for (i, (status, body)) in results.iter().enumerate() {
        if i == winners[0] {
            assert_eq!(*status, StatusCode::OK);
            continue;
        }
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!((body["outcome"].as_str(), body["code"].as_str()), (Some("rejected"), Some("slot_conflict")));
        assert_eq!(body["detail"]["taken_by"], json!([winner]), "the conflict names the winner");
    }
    let active = s
        .count(
            &format!(
                "SELECT COUNT(*) FROM appointment_slots WHERE tenant_id = $1 AND active AND doctor_id = '{}' AND start_ts < {} AND end_ts > {}",
                slot.0,
                slot.3.timestamp(),
                slot.2.timestamp()
            ),
            tenant_of(a),
        )
        .await;
    assert_eq!(active, 1);
    assert_eq!(s.commands_logged(tenant_of(a)).await, 16, "every attempt has one durable outcome");
}
on_both_backends!(concurrent_bookings_for_one_slot_exactly_one_wins, check_concurrent_bookings);

async fn check_second_refund(s: &TestServer) {
    let (a, _) = chains();
    let bj01 = store_by_code(a, "BJ01");
    let (desk, _) = s.desk(a, "front.bj01", "BJ01").await;
    // An online-paid fee (its refund right is the server's).
    let fee_id = uuid::Uuid::now_v7();
    let (_, args) =
        booking(bj01, free_slot(a, "BJ01", 5), patients(a)[1], json!({ "fee_id": fee_id, "amount": 2500, "paid_with": "wechat_app" }));
    let (status, body) = s.command(&desk, "booking.create@1", args).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let refund = |reason: &str| json!({ "refund_id": uuid::Uuid::now_v7(), "fee_id": fee_id, "reason": reason });
    let results = futures::future::join_all((0..6).map(|_| s.command(&desk, "fee.refund_online@1", refund("患者要求")))).await;
    let applied: Vec<_> = results.iter().filter(|r| r.1["outcome"] == "applied").collect();
    assert_eq!(applied.len(), 1, "{results:?}");
    for (status, body) in results.iter().filter(|r| r.1["outcome"] != "applied") {
        assert_eq!((*status, body["code"].as_str()), (StatusCode::CONFLICT, Some("already_refunded")), "{body}");
    }
    let (status, body) = s.command(&desk, "fee.refund_online@1", refund("again")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("already_refunded")));
    let fee = fee_id.hyphenated().to_string();
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM refunds_live WHERE fee_id = $1").bind(&fee).fetch_one(s.app.db().pool()).await.unwrap();
    let (docs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM entities WHERE kind = 'refund' AND ref_id = $1")
        .bind(&fee)
        .fetch_one(s.app.db().pool())
        .await
        .unwrap();
    assert_eq!((n, docs), (1, 1));
    // Even a write that bypasses the handler cannot add a second live refund.
    let bypass = sqlx::query("INSERT INTO refunds_live (fee_id, refund_id, tenant_id) VALUES ($1, $2, $3)")
        .bind(&fee)
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(tenant_of(a).to_string())
        .execute(s.app.db().pool())
        .await;
    assert!(bypass.is_err(), "the database refuses a second live refund");
}
on_both_backends!(second_refund_of_a_fee_is_impossible, check_second_refund);

async fn check_bad_requests(s: &TestServer) {
    let (a, _) = chains();
    let tenant = tenant_of(a);
    let (desk, _) = s.desk(a, "front.bj01", "BJ01").await;
    let head = s.head(tenant).await;
    let appt = active_appointment(a, "BJ01");
    let good = json!({ "name": "appointment.check_in@1", "args": { "appointment_id": appt.id }, "mutation_id": uuid::Uuid::now_v7() });

    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        ("not JSON", b"{\"name\": ".to_vec(), StatusCode::BAD_REQUEST, "malformed_json"),
        ("garbage", b"\xff\xfe".to_vec(), StatusCode::BAD_REQUEST, "malformed_json"),
        ("unknown top-level field", with(&good, "extra", json!(1)), StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
        ("wrong type", with(&good, "mutation_id", json!(5)), StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
        ("missing field", without(&good, "mutation_id"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
        (
            "unknown field in args",
            with(&good, "args", json!({ "appointment_id": appt.id, "sneaky": true })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        ("unknown command", with(&good, "name", json!("appointment.teleport@1")), StatusCode::UNPROCESSABLE_ENTITY, "unknown_command"),
        ("device_seq 0", with(&good, "device_seq", json!(0)), StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
        ("oversized", oversized(&good), StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
    ];
    for (what, body, status, code) in cases {
        let (got, resp) = s.post_raw("/api/v1/commands", &desk, body).await;
        assert_eq!((got, resp["code"].as_str()), (status, Some(code)), "{what}: {resp}");
        assert!(resp["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {resp}");
    }
    let (status, body) = s
        .post(
            "/api/v1/auth/sign-in",
            None,
            &json!({ "login": "front.bj01", "password": "x", "store_id": appt.store_id, "device_name": "x", "role": "manager" }),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")));
    let (status, body) = s.get("/api/v1/nothing-here", None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_such_endpoint")));
    let (status, body) = s.get("/api/v1/commands", Some(&desk)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")));

    assert_eq!(s.commands_logged(tenant).await, 0, "nothing applied or logged");
    assert_eq!(s.head(tenant).await, head, "no server_seq used");
    assert_eq!(s.appointment_doc(appt.id).await, appt);
    // The server still serves, and the good request applies.
    let (status, body) = s.post("/api/v1/commands", Some(&desk), &good).await;
    assert_eq!(
        (status, body["outcome"].as_str(), body["server_seq"].as_i64()),
        (StatusCode::OK, Some("applied"), Some(head + 1)),
        "{body}"
    );
}
on_both_backends!(malformed_json_unknown_fields_and_oversized_bodies_are_refused_and_nothing_applied, check_bad_requests);

fn with(v: &Value, key: &str, value: Value) -> Vec<u8> {
    let mut v = v.clone();
    v[key] = value;
    serde_json::to_vec(&v).unwrap()
}

fn without(v: &Value, key: &str) -> Vec<u8> {
    let mut v = v.clone();
    v.as_object_mut().unwrap().remove(key);
    serde_json::to_vec(&v).unwrap()
}

fn oversized(v: &Value) -> Vec<u8> {
    let mut v = v.clone();
    v["args"]["reason"] = json!("x".repeat(300 * 1024));
    serde_json::to_vec(&v).unwrap()
}

async fn check_replay(s: &TestServer) {
    let (a, _) = chains();
    let (desk, _) = s.desk(a, "front.bj01", "BJ01").await;
    let appt = active_appointment(a, "BJ01");
    let body = json!({ "name": "appointment.check_in@1", "args": { "appointment_id": appt.id }, "mutation_id": uuid::Uuid::now_v7(), "device_seq": 1 });
    let (status, first) = s.post("/api/v1/commands", Some(&desk), &body).await;
    assert_eq!((status, first["outcome"].as_str(), first["replayed"].as_bool()), (StatusCode::OK, Some("applied"), Some(false)));
    let (status, again) = s.post("/api/v1/commands", Some(&desk), &body).await;
    assert_eq!((status, again["replayed"].as_bool()), (StatusCode::OK, Some(true)));
    assert_eq!(again["server_seq"], first["server_seq"]);
    let mut changed = body.clone();
    changed["name"] = json!("appointment.no_show@1");
    let (status, resp) = s.post("/api/v1/commands", Some(&desk), &changed).await;
    assert_eq!((status, resp["code"].as_str()), (StatusCode::CONFLICT, Some("mutation_id_reused")));
    let mut same_seq = body.clone();
    same_seq["mutation_id"] = json!(uuid::Uuid::now_v7());
    let (status, resp) = s.post("/api/v1/commands", Some(&desk), &same_seq).await;
    assert_eq!((status, resp["code"].as_str()), (StatusCode::CONFLICT, Some("device_seq_reused")));
    assert_eq!(s.commands_logged(tenant_of(a)).await, 1);
}
on_both_backends!(a_repeated_mutation_gets_its_stored_outcome_and_a_reused_id_is_refused, check_replay);

/// A desk that retries while its first request is still running (a lost answer, a double
/// click) sends the same mutation at once, many times: it is applied once, every copy gets
/// that one outcome, and a second command under the same device_seq is refused.
async fn check_concurrent_repeats(s: &TestServer) {
    let (a, _) = chains();
    let (desk, _) = s.desk(a, "front.bj01", "BJ01").await;
    let appt = active_appointment(a, "BJ01");
    let body = json!({ "name": "appointment.check_in@1", "args": { "appointment_id": appt.id }, "mutation_id": uuid::Uuid::now_v7(), "device_seq": 7 });
    let results = futures::future::join_all((0..12).map(|_| s.post("/api/v1/commands", Some(&desk), &body))).await;
    let fresh: Vec<&Value> = results.iter().filter(|(_, r)| r["replayed"] == json!(false)).map(|(_, r)| r).collect();
    assert_eq!(fresh.len(), 1, "applied exactly once: {results:?}");
    for (status, r) in &results {
        assert_eq!((*status, r["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{r}");
        assert_eq!(r["server_seq"], fresh[0]["server_seq"], "every copy gets the one outcome");
    }
    let desk = &desk;
    let others = futures::future::join_all((0..6).map(|_| {
        let mut other = body.clone();
        other["mutation_id"] = json!(uuid::Uuid::now_v7());
        other["name"] = json!("appointment.no_show@1");
        async move { s.post("/api/v1/commands", Some(desk), &other).await }
    }))
    .await;
    for (status, r) in &others {
        assert_eq!((*status, r["code"].as_str()), (StatusCode::CONFLICT, Some("device_seq_reused")), "{r}");
    }
    assert_eq!(s.commands_logged(tenant_of(a)).await, 1);
}
on_both_backends!(a_mutation_sent_many_times_at_once_is_applied_once_and_each_copy_gets_its_outcome, check_concurrent_repeats);

async fn check_seq(s: &TestServer) {
    let (a, b) = chains();
    let (ta, tb) = (tenant_of(a), tenant_of(b));
    let (a1, _) = s.desk(a, "front.bj01", "BJ01").await;
    let (a2, _) = s.desk(a, "manager.bj01", "BJ01").await;
    let (b1, _) = s.desk(b, "front.bj01", "BJ01").await;
    let a_bj01 = store_by_code(a, "BJ01");
    let b_bj01 = store_by_code(b, "BJ01");
    // The seqs the sign-ins took (the server giving each store's legacy fees to a desk).
    let (base_a, base_b) = (s.head(ta).await, s.head(tb).await);

    // A watcher reading the log while commands commit must always see 1..k without holes.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pool = s.app.db().pool().clone();
    let watcher = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut seen = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let seqs: Vec<(i64,)> = sqlx::query_as("SELECT server_seq FROM commands WHERE tenant_id = $1 ORDER BY server_seq")
                    .bind(ta.hyphenated().to_string())
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                let seqs: Vec<i64> = seqs.into_iter().map(|r| r.0).collect();
                assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "a reader saw a hole");
                seen = seen.max(seqs.len());
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            seen
        })
    };
    let people_a = patients(a);
    let people_b = patients(b);
    let mut jobs = Vec::new();
    let mut ids = Vec::new();
    for i in 0..24 {
        // Half of them fight over few slots, so some are rejected: rejections take a seq too.
        let (token, store, chain, people) = match i % 3 {
            0 => (&a1, a_bj01, a, &people_a),
            1 => (&a2, a_bj01, a, &people_a),
            _ => (&b1, b_bj01, b, &people_b),
        };
        let (id, args) = booking(store, free_slot(chain, "BJ01", i % 4), people[i % people.len()], Value::Null);
        ids.push(id);
        jobs.push(s.command(token, "booking.create@1", args));
    }
    let results = futures::future::join_all(jobs).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    watcher.await.expect("the watcher never saw a hole");

    for (tenant, base, tokens) in [(ta, base_a, vec![0usize, 1]), (tb, base_b, vec![2])] {
        let mut seqs: Vec<i64> = results
            .iter()
            .enumerate()
            .filter(|(i, _)| tokens.contains(&(i % 3)))
            .map(|(_, r)| r.1["server_seq"].as_i64().unwrap_or_else(|| panic!("{:?}", r)))
            .collect();
        seqs.sort();
        assert_eq!(seqs, (base + 1..=base + seqs.len() as i64).collect::<Vec<_>>(), "gap-free per tenant");
        let logged: Vec<(i64,)> = sqlx::query_as("SELECT server_seq FROM commands WHERE tenant_id = $1 ORDER BY server_seq")
            .bind(tenant.hyphenated().to_string())
            .fetch_all(s.app.db().pool())
            .await
            .unwrap();
        assert_eq!(logged.into_iter().map(|r| r.0).collect::<Vec<_>>(), (1..=base).chain(seqs.iter().copied()).collect::<Vec<_>>());
        assert_eq!(s.head(tenant).await, base + seqs.len() as i64);
    }
    // Every applied booking's document carries its command's server_seq.
    for (id, r) in ids.iter().zip(&results).filter(|(_, r)| r.1["outcome"] == "applied") {
        let (seq,): (i64,) = sqlx::query_as("SELECT server_seq FROM entities WHERE kind = 'appointment' AND id = $1")
            .bind(id.hyphenated().to_string())
            .fetch_one(s.app.db().pool())
            .await
            .unwrap();
        assert_eq!(seq, r.1["server_seq"].as_i64().unwrap());
    }
    let rejected = results.iter().filter(|r| r.1["outcome"] == "rejected").count();
    assert!(rejected > 0, "the test must include rejections");
}
on_both_backends!(server_seq_is_gapless_and_commit_ordered_per_tenant, check_seq);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_device_token_is_refused() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(s) = TestServer::start_with(backend, |c| c.token_ttl = chrono::Duration::seconds(1)).await else { continue };
        let (a, _) = chains();
        let (token, _) = s.desk(a, "front.bj01", "BJ01").await;
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let resp = s.http.get(s.url("/api/v1/me")).bearer_auth(&token).header("accept-language", "zh-TW").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "token_expired");
        assert!(body["message"].as_str().unwrap().contains("過期"), "zh-TW: {body}");
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_exclusion_constraint_refuses_two_active_appointments_in_one_lane() {
    let Some(s) = TestServer::start(Backend::Postgres).await else { return };
    let insert = |id: &'static str, lane: i64, start: i64, active: bool| {
        sqlx::query(
            "INSERT INTO appointment_slots (appointment_id, tenant_id, store_id, doctor_id, start_ts, end_ts, lane, active)
             VALUES ($1, 't', 's', 'doctor-x', $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(start)
        .bind(start + 1800)
        .bind(lane)
        .bind(active)
        .execute(s.app.db().pool())
    };
    insert("a1", 0, 1000, true).await.unwrap();
    let err = insert("a2", 0, 1900, true).await.unwrap_err();
    assert!(matches!(&err, sqlx::Error::Database(d) if d.code().as_deref() == Some("23P01")), "{err}");
    insert("a3", 1, 1900, true).await.expect("another lane is free");
    insert("a4", 0, 1900, false).await.expect("an inactive appointment holds no lane");
    insert("a5", 0, 2800, true).await.expect("back to back is no overlap");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_is_committed_served_and_every_operation_exists() {
    let committed_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let generated = clinicdesk_server::openapi::pretty();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&committed_path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "crates/server/openapi.json is out of date: run UPDATE_OPENAPI=1 cargo test -p clinicdesk-server openapi"
    );

    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    let (status, served) = s.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, clinicdesk_server::openapi::document());
    for (path, ops) in served["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let url = s.url(&path.replace("{id}", &uuid::Uuid::now_v7().to_string()));
            let req = match method.as_str() {
                "get" => s.http.get(url),
                "post" => s.http.post(url).json(&json!({})),
                other => panic!("undocumented method {other}"),
            };
            let resp = req.send().await.unwrap();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let code = body["code"].as_str().unwrap_or("");
            assert!(code != "no_such_endpoint" && code != "method_not_allowed", "{method} {path}: {body}");
        }
    }
    s.stop().await;
}

// ---------------------------------------------------------------------------------------
// The patient app and online refunds.

/// Chain C: another tenant whose "today" is the real today, so its schedules lie ahead.
fn chain_c() -> &'static DemoChain {
    static C: OnceLock<DemoChain> = OnceLock::new();
    C.get_or_init(|| {
        let today = Utc::now().with_timezone(&slots::DEFAULT_TZ).date_naive();
        clinicdesk_demo::generate(&DemoConfig { seed: 31, size: 0.05, today })
    })
}

fn real_today() -> NaiveDate {
    Utc::now().with_timezone(&slots::DEFAULT_TZ).date_naive()
}

/// A free future slot of chain C's store `code` (skipping `nth` earlier ones).
fn future_slot(code: &str, nth: usize) -> (Id, Id, DateTime<Utc>, DateTime<Utc>) {
    let c = chain_c();
    let w = &c.world;
    let store = w.stores.values().find(|s| s.code == code).unwrap();
    let tz = slots::zone(&store.timezone);
    let hidden = w.doctor_orders.get(&store.id).map(|o| o.hidden.clone()).unwrap_or_default();
    let mut found = Vec::new();
    for s in w.schedules.values().filter(|s| s.store_id == store.id && s.date > real_today() + chrono::Duration::days(2)) {
        if hidden.contains(&s.doctor_id) {
            continue;
        }
        let Some(dept) = w.doctors[&s.doctor_id].department_ids.iter().find(|d| w.departments[*d].store_id == store.id) else {
            continue;
        };
        let blocks: Vec<&BlockedTime> = w.blocks.values().filter(|b| b.doctor_id == s.doctor_id).collect();
        for slot in slots::slots(s, tz, w.appointments.values(), &blocks, 1) {
            if slot.booked == 0 {
                found.push((s.doctor_id, *dept, slot.start, slot.end));
            }
        }
    }
    found.sort_by_key(|f| (f.2, f.0));
    found[nth * 7]
}

macro_rules! on_both_backends_with_patients {
    ($name:ident, $check:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            for backend in [Backend::Sqlite, Backend::Postgres] {
                let Some(server) = TestServer::start_with_patients(backend).await else { continue };
                eprintln!("{} on {:?}", stringify!($name), backend);
                $check(&server).await;
                server.stop().await;
            }
        }
    };
}

impl TestServer {
    /// Signs the patient in with their phone and the demo code; returns (token, patient ids).
    async fn patient(&self, chain: &DemoChain, patient: Id) -> (String, Vec<Id>) {
        let phone = &chain.world.patients[&patient].phone;
        let body = json!({ "tenant": tenant_of(chain), "phone": phone, "code": clinicdesk_server::patient::DEMO_VERIFICATION_CODE });
        let (status, body) = self.post("/api/v1/patient/sign-in", None, &body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let ids = serde_json::from_value(body["patient_ids"].clone()).unwrap();
        (body["token"].as_str().unwrap().to_string(), ids)
    }

    async fn set_policy(&self, chain: &DemoChain, code: &str, policy: CancellationPolicy) {
        let store = store_by_code(chain, code);
        let (manager, _) = self.desk(chain, &format!("manager.{}", code.to_lowercase()), code).await;
        let mut settings = chain.world.stores[&store].settings.clone();
        settings.cancellation_policy = policy;
        let (status, body) = self.command(&manager, "store.update_settings@1", json!({ "store_id": store, "settings": settings })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// The patient books chain C's `nth` future slot of `code`; returns the appointment.
    async fn patient_books(&self, token: &str, patient: Id, code: &str, nth: usize, prepaid: Option<i64>) -> Value {
        let slot = future_slot(code, nth);
        let body = json!({
            "patient_id": patient, "store_id": store_by_code(chain_c(), code), "department_id": slot.1, "doctor_id": slot.0,
            "start": slot.2, "end": slot.3, "prepaid_fen": prepaid,
        });
        let (status, body) = self.post("/api/v1/patient/bookings", Some(token), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["appointment"]["state"], "pending", "{body}");
        assert_eq!(body["appointment"]["source"], "patient_app", "{body}");
        body["appointment"].clone()
    }

    async fn provider_refund(&self, fee: &str) -> (String, i64, Option<String>, Option<String>) {
        sqlx::query_as("SELECT status, attempts, error_code, error_message FROM provider_refunds WHERE fee_id = $1")
            .bind(fee)
            .fetch_one(self.app.db().pool())
            .await
            .unwrap()
    }
}

/// A patient of the chain with appointments, whose phone no other patient shares.
fn patient_with_appointments(chain: &DemoChain, skip: usize) -> Id {
    let w = &chain.world;
    let mut ids: Vec<Id> = w
        .patients
        .values()
        .filter(|p| p.guardian_ids.is_empty() && w.patients.values().filter(|q| q.phone == p.phone).count() == 1)
        .filter(|p| w.appointments.values().any(|a| a.patient_id == p.id))
        .map(|p| p.id)
        .collect();
    ids.sort();
    ids[skip]
}

async fn check_patient_isolation(s: &TestServer) {
    let (a, b) = chains();
    let me = patient_with_appointments(a, 0);
    let other = patient_with_appointments(a, 1);
    let (token, ids) = s.patient(a, me).await;
    assert!(ids.contains(&me) && !ids.contains(&other));
    let (status, list) = s.get("/api/v1/patient/appointments", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let got: Vec<Appointment> = serde_json::from_value(list).unwrap();
    let mut expected: Vec<Id> = a.world.appointments.values().filter(|x| ids.contains(&x.patient_id)).map(|x| x.id).collect();
    let mut seen: Vec<Id> = got.iter().map(|x| x.id).collect();
    expected.sort();
    seen.sort();
    assert_eq!(seen, expected, "exactly their own appointments");
    assert!(got.iter().all(|x| ids.contains(&x.patient_id)));

    // Another patient's appointment and cancel request are not found.
    let theirs = a.world.appointments.values().find(|x| x.patient_id == other).unwrap();
    let (status, body) =
        s.post(&format!("/api/v1/patient/appointments/{}/cancel", theirs.id), Some(&token), &json!({ "reason": "x" })).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{body}");
    if let Some(req) = a.world.requests.values().find(|r| !ids.contains(&r.patient_id)) {
        let (status, _) = s.get(&format!("/api/v1/patient/cancel-requests/{}", req.id), Some(&token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert_eq!(s.appointment_doc(theirs.id).await, *theirs, "nothing changed");
    // Booking for someone else is refused.
    let slot = free_slot(a, "BJ01", 3);
    let body = json!({ "patient_id": other, "store_id": store_by_code(a, "BJ01"), "department_id": slot.1, "doctor_id": slot.0, "start": slot.2, "end": slot.3 });
    let (status, body) = s.post("/api/v1/patient/bookings", Some(&token), &body).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_own_appointment")), "{body}");

    // Only their chain: another chain's store is not found, another chain's phone does not sign in here.
    let (status, body) = s.get(&format!("/api/v1/patient/stores/{}/doctors", store_by_code(b, "BJ01")), Some(&token)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{body}");
    let b_patient = patient_with_appointments(b, 0);
    let phone = &b.world.patients[&b_patient].phone;
    if !a.world.patients.values().any(|p| &p.phone == phone) {
        let body = json!({ "tenant": tenant_of(a), "phone": phone, "code": clinicdesk_server::patient::DEMO_VERIFICATION_CODE });
        let (status, body) = s.post("/api/v1/patient/sign-in", None, &body).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("verification_failed")));
    }
    // A wrong code is refused; desk and patient tokens are not interchangeable.
    let body = json!({ "tenant": tenant_of(a), "phone": a.world.patients[&me].phone, "code": "000000" });
    let (status, body) = s.post("/api/v1/patient/sign-in", None, &body).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("verification_failed")));
    let (desk, _) = s.desk(a, "front.bj01", "BJ01").await;
    let (status, _) = s.get("/api/v1/patient/appointments", Some(&desk)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = s.get("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = s.get("/api/v1/patient/appointments", None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_missing")));
    // Only the token's hash is stored.
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM patient_tokens WHERE token_hash = $1")
        .bind(clinicdesk_server::auth::token_hash(&token))
        .fetch_one(s.app.db().pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
}
on_both_backends!(patient_sees_only_their_own_appointments, check_patient_isolation);

async fn check_hidden_doctors(s: &TestServer) {
    let (a, _) = chains();
    let bj01 = store_by_code(a, "BJ01");
    let me = patient_with_appointments(a, 0);
    let (token, _) = s.patient(a, me).await;
    let path = format!("/api/v1/patient/stores/{bj01}/doctors");
    let (status, before) = s.get(&path, Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    let before: Vec<Id> = before.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().parse().unwrap()).collect();
    assert!(before.len() >= 3, "{before:?}");
    // Expected as the domain orders them: the store's doctors, the order, hidden left out.
    let w = &a.world;
    let in_store: Vec<&Doctor> = clinicdesk_domain::booking::store_doctors(w, bj01);
    let store_doctors: Vec<&Doctor> = in_store.into_iter().filter(|d| before.contains(&d.id)).collect();
    assert_eq!(before, clinicdesk_domain::order::patient_facing(w.doctor_orders.get(&bj01), store_doctors.iter().copied()));

    let (manager, _) = s.desk(a, "manager.bj01", "BJ01").await;
    let reversed: Vec<Id> = before.iter().rev().copied().collect();
    let (status, body) = s.command(&manager, "store.set_doctor_order@1", json!({ "store_id": bj01, "doctor_ids": reversed })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hidden = reversed[1];
    let (status, body) =
        s.command(&manager, "store.set_doctor_hidden@1", json!({ "store_id": bj01, "doctor_id": hidden, "hidden": true })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, after) = s.get(&path, Some(&token)).await;
    let after: Vec<Id> = after.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().parse().unwrap()).collect();
    let expected: Vec<Id> = reversed.iter().copied().filter(|d| *d != hidden).collect();
    assert_eq!(after, expected, "the store's order, the hidden doctor left out");
    // The hidden doctor offers no slots to patients either.
    let (status, slots) =
        s.get(&format!("/api/v1/patient/stores/{bj01}/slots?doctor={hidden}&from=2026-03-01&to=2026-03-31"), Some(&token)).await;
    assert_eq!((status, slots.as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{slots}");
}
on_both_backends!(hidden_doctors_are_left_out_of_the_patient_doctor_list_in_store_order, check_hidden_doctors);

async fn check_slots_and_booking(s: &TestServer) {
    let c = chain_c();
    let bj01 = store_by_code(c, "BJ01");
    let me = patient_with_appointments(c, 0);
    let (token, _) = s.patient(c, me).await;
    let slot = future_slot("BJ01", 0);
    let day = slot.2.with_timezone(&slots::DEFAULT_TZ).date_naive();
    let path = format!("/api/v1/patient/stores/{bj01}/slots?department={}&from={day}&to={day}", slot.1);
    let (status, list) = s.get(&path, Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let offered = |list: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .any(|x| x["doctor_id"] == json!(slot.0) && x["start"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap() == slot.2)
    };
    assert!(offered(&list), "the free slot is offered: {list}");
    assert!(list.as_array().unwrap().iter().all(|x| x["department_id"] == json!(slot.1)));
    // By complaint: only departments that treat it.
    if let Some(complaint) = c.world.complaints.values().find(|x| x.department_ids.contains(&slot.1)) {
        let (status, list) =
            s.get(&format!("/api/v1/patient/stores/{bj01}/slots?complaint={}&from={day}&to={day}", complaint.id), Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(list
            .as_array()
            .unwrap()
            .iter()
            .all(|x| complaint.department_ids.contains(&x["department_id"].as_str().unwrap().parse().unwrap())));
        assert!(offered(&list));
    }
    let appt = s.patient_books(&token, me, "BJ01", 0, None).await;
    let (_, list) = s.get(&path, Some(&token)).await;
    assert!(!offered(&list), "a booked slot is no longer offered");
    let (_, mine) = s.get("/api/v1/patient/appointments", Some(&token)).await;
    assert!(mine.as_array().unwrap().iter().any(|x| x["id"] == appt["id"]));
    // Bad queries are refused with {code, message}.
    let (status, body) = s.get(&format!("/api/v1/patient/stores/{bj01}/slots?from=2026-01-01&to=2026-12-31"), Some(&token)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")));
    let (status, body) = s.get(&format!("/api/v1/patient/stores/{bj01}/slots?from=soon"), Some(&token)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")));
}
on_both_backends_with_patients!(patient_free_slots_follow_complaint_department_doctor_and_a_booked_slot_is_gone, check_slots_and_booking);

async fn check_direct_cancel(s: &TestServer) {
    let c = chain_c();
    s.set_policy(c, "BJ01", CancellationPolicy::DirectBeforeCheckIn).await;
    let me = patient_with_appointments(c, 0);
    let (token, _) = s.patient(c, me).await;
    let appt = s.patient_books(&token, me, "BJ01", 1, Some(2500)).await;
    let fee = appt["fee_id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/patient/appointments/{}/cancel", appt["id"].as_str().unwrap());
    let (status, body) = s.post(&path, Some(&token), &json!({ "reason": "临时有事" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"], "cancelled");
    assert_eq!(body["appointment"]["state"], "cancelled");
    assert_eq!(body["refund"]["status"], "processing", "accepted by the provider, not refunded yet: {body}");
    assert_eq!(body["refund"]["refund_fen"], 2500);
    assert_eq!(s.pay.payouts(&fee), 0, "accepted is not refunded");
    // Cancelling again changes nothing and refunds nothing.
    let (status, again) = s.post(&path, Some(&token), &json!({ "reason": "再次" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert!(again["message"].as_str().is_some_and(|m| !m.is_empty()));
    s.app.reconcile_refunds().await.unwrap();
    s.app.reconcile_refunds().await.unwrap();
    assert_eq!(s.provider_refund(&fee).await.0, "success");
    assert_eq!(s.pay.payouts(&fee), 1);
    assert_eq!(s.pay.refund_calls(), 1);
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM refunds_live WHERE fee_id = $1").bind(&fee).fetch_one(s.app.db().pool()).await.unwrap();
    assert_eq!(n, 1);
    // The desk cannot refund it a second time.
    let (desk, _) = s.desk(c, "front.bj01", "BJ01").await;
    let (status, body) =
        s.command(&desk, "fee.refund_online@1", json!({ "refund_id": uuid::Uuid::now_v7(), "fee_id": fee, "reason": "x" })).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("already_refunded")), "{body}");
    assert_eq!(s.pay.payouts(&fee), 1);
}
on_both_backends_with_patients!(patient_cancel_under_direct_policy_cancels_and_refunds_once, check_direct_cancel);

async fn check_request_cancel(s: &TestServer) {
    let c = chain_c();
    s.set_policy(c, "BJ01", CancellationPolicy::RequestOnly).await;
    let me = patient_with_appointments(c, 0);
    let (token, _) = s.patient(c, me).await;
    let appt = s.patient_books(&token, me, "BJ01", 2, None).await;
    let path = format!("/api/v1/patient/appointments/{}/cancel", appt["id"].as_str().unwrap());
    let (status, body) = s.post(&path, Some(&token), &json!({})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("empty_text")), "a request needs a reason: {body}");
    let (status, body) = s.post(&path, Some(&token), &json!({ "reason": "孩子发烧" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"], "requested");
    assert_eq!(body["appointment"]["state"], "pending", "the state does not change");
    assert_eq!(body["request"]["status"], "open");
    let request = body["request"]["id"].as_str().unwrap().to_string();
    let (status, view) = s.get(&format!("/api/v1/patient/cancel-requests/{request}"), Some(&token)).await;
    assert_eq!((status, view["status"].as_str(), view["reason"].as_str()), (StatusCode::OK, Some("open"), Some("孩子发烧")));
    // It waits in the desk's inbox; the desk approves, the patient sees it.
    let (desk, _) = s.desk(c, "front.bj01", "BJ01").await;
    let (status, body) = s.command(&desk, "cancel_request.approve@1", json!({ "request_id": request })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, view) = s.get(&format!("/api/v1/patient/cancel-requests/{request}"), Some(&token)).await;
    assert_eq!(view["status"], "approved");
    let (_, mine) = s.get("/api/v1/patient/appointments", Some(&token)).await;
    let it = mine.as_array().unwrap().iter().find(|x| x["id"] == appt["id"]).unwrap();
    assert_eq!(it["state"], "cancelled");
}
on_both_backends_with_patients!(patient_cancel_under_request_policy_creates_a_request_for_the_desk, check_request_cancel);

async fn check_not_allowed(s: &TestServer) {
    let c = chain_c();
    s.set_policy(c, "BJ01", CancellationPolicy::NotAllowed).await;
    let me = patient_with_appointments(c, 0);
    let (token, _) = s.patient(c, me).await;
    let appt = s.patient_books(&token, me, "BJ01", 3, None).await;
    let id: Id = appt["id"].as_str().unwrap().parse().unwrap();
    let before = s.appointment_doc(id).await;
    let path = format!("/api/v1/patient/appointments/{id}/cancel");
    let (status, body) = s.post(&path, Some(&token), &json!({ "reason": "不想去了" })).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("cancellation_not_allowed")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("不支持患者自行取消"), "{body}");
    let resp =
        s.http.post(s.url(&path)).bearer_auth(&token).header("accept-language", "en").json(&json!({ "reason": "x" })).send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("contact the front desk"), "{body}");
    assert_eq!(s.appointment_doc(id).await, before, "nothing changed");
}
on_both_backends_with_patients!(patient_cancel_where_not_allowed_is_refused_with_a_clear_message, check_not_allowed);

/// A desk books an online-paid fee (WeChat Pay in the app) in chain A's BJ01; returns the fee id.
async fn online_paid_fee(s: &TestServer, desk: &str, nth: usize) -> Id {
    let (a, _) = chains();
    let fee_id = uuid::Uuid::now_v7();
    let (_, args) = booking(
        store_by_code(a, "BJ01"),
        free_slot(a, "BJ01", nth),
        patients(a)[nth],
        json!({ "fee_id": fee_id, "amount": 2500, "paid_with": "wechat_app" }),
    );
    let (status, body) = s.command(desk, "booking.create@1", args).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    fee_id
}

async fn check_refund_retry(s: &TestServer) {
    let (a, _) = chains();
    let (desk, _) = s.desk(a, "front.bj01", "BJ01").await;
    let fee_id = online_paid_fee(s, &desk, 6).await;
    let fee = fee_id.hyphenated().to_string();
    let refund_id = uuid::Uuid::now_v7();
    let body = json!({ "name": "fee.refund_online@1", "args": { "refund_id": refund_id, "fee_id": fee_id, "reason": "患者要求" }, "mutation_id": uuid::Uuid::now_v7() });
    // The provider is down when the refund is decided: it stays pending, nothing paid.
    s.pay.fail_next(1);
    let (status, first) = s.post("/api/v1/commands", Some(&desk), &body).await;
    assert_eq!((status, first["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{first}");
    let (state, attempts, code, _) = s.provider_refund(&fee).await;
    assert_eq!((state.as_str(), attempts, code.as_deref()), ("pending", 1, Some("SYSTEM_ERROR")));
    // The desk retries the same command: answered from the log, the same refund id sent again.
    let (status, again) = s.post("/api/v1/commands", Some(&desk), &body).await;
    assert_eq!((status, again["replayed"].as_bool()), (StatusCode::OK, Some(true)), "{again}");
    assert_eq!(s.provider_refund(&fee).await.0, "processing");
    let (_, _) = s.post("/api/v1/commands", Some(&desk), &body).await;
    // A crash after the provider accepted but before the server recorded it: sent again at start.
    sqlx::query("UPDATE provider_refunds SET status = 'pending' WHERE fee_id = $1").bind(&fee).execute(s.app.db().pool()).await.unwrap();
    s.app.reconcile_refunds().await.unwrap();
    s.app.reconcile_refunds().await.unwrap();
    assert_eq!(s.provider_refund(&fee).await.0, "success");
    // Another command with the same refund id is refused by the domain: no provider call.
    let calls = s.pay.refund_calls();
    let other = json!({ "refund_id": refund_id, "fee_id": fee_id, "reason": "again" });
    let (status, body) = s.command(&desk, "fee.refund_online@1", other).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("already_refunded")), "{body}");
    assert_eq!(s.pay.refund_calls(), calls);
    // The provider itself answers the same refund for the same out_refund_no.
    let req = clinicdesk_server::pay::RefundRequest {
        out_refund_no: refund_id.hyphenated().to_string(),
        transaction_id: fee.clone(),
        total_fen: 2500,
        refund_fen: 2500,
        paid_at: Utc::now(),
    };
    assert_eq!(s.pay.refund_at(&req, Utc::now()).unwrap().status, clinicdesk_server::pay::ProviderStatus::Success);
    s.pay.settle();
    assert_eq!(s.pay.payouts(&fee), 1, "one payout, however often it was sent");
    assert_eq!(s.pay.total_payouts(), 1);
}
on_both_backends!(online_refund_retry_with_the_same_refund_id_pays_out_once, check_refund_retry);

async fn check_refund_expired(s: &TestServer) {
    let (a, _) = chains();
    let (desk, _) = s.desk(a, "front.bj01", "BJ01").await;
    // The server believes the payment is recent; the provider's clock says it is 366 days old.
    let fee_id = online_paid_fee(s, &desk, 7).await;
    let fee = fee_id.hyphenated().to_string();
    s.pay.set_clock_offset(chrono::Duration::days(366));
    let (status, body) =
        s.command(&desk, "fee.refund_online@1", json!({ "refund_id": uuid::Uuid::now_v7(), "fee_id": fee_id, "reason": "患者要求" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (state, _, code, message) = s.provider_refund(&fee).await;
    assert_eq!((state.as_str(), code.as_deref()), ("refused", Some("INVALID_REQUEST")));
    assert!(message.unwrap().contains("订单已超过退款期限"));
    s.app.reconcile_refunds().await.unwrap();
    assert_eq!(s.provider_refund(&fee).await.0, "refused", "a refusal is final; the desk pays back by hand");
    assert_eq!(s.pay.payouts(&fee), 0);
    s.pay.set_clock_offset(chrono::Duration::zero());

    // A payment the server itself knows is older than 365 days is refused before the provider is asked.
    let old = online_paid_fee(s, &desk, 8).await;
    let (data,): (String,) = sqlx::query_as("SELECT data FROM entities WHERE kind = 'fee' AND id = $1")
        .bind(old.hyphenated().to_string())
        .fetch_one(s.app.db().pool())
        .await
        .unwrap();
    let mut doc: Fee = serde_json::from_str(&data).unwrap();
    doc.paid_at = Some(Utc::now() - chrono::Duration::days(400));
    sqlx::query("UPDATE entities SET data = $1 WHERE kind = 'fee' AND id = $2")
        .bind(serde_json::to_string(&doc).unwrap())
        .bind(old.hyphenated().to_string())
        .execute(s.app.db().pool())
        .await
        .unwrap();
    let calls = s.pay.refund_calls();
    let (status, body) =
        s.command(&desk, "fee.refund_online@1", json!({ "refund_id": uuid::Uuid::now_v7(), "fee_id": old, "reason": "患者要求" })).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("online_refund_expired")), "{body}");
    assert_eq!(s.pay.refund_calls(), calls, "the provider was not asked");
    assert_eq!(s.pay.total_payouts(), 0);
}
on_both_backends!(online_refund_after_365_days_is_refused_by_the_provider, check_refund_expired);
