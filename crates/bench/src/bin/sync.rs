//! Sync figures against issue 5's targets, printed (never asserted): the real server on its
//! embedded SQLite, in this process, over HTTP on loopback (gzip), and real desk databases.
//!
//! `cargo run --release -p clinicdesk-bench --bin sync-bench` (`SYNC_BENCH_ROWS` scales the
//! snapshot, default 200,000; `SYNC_BENCH_RUNS` repeats for a median, default 3).

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use clinicdesk_domain::commands::{Command, PatientCreate};
use clinicdesk_domain::model::{Id, Patient, Sex};
use clinicdesk_domain::roles::Actor;
use clinicdesk_domain::sync::PullRequest;
use clinicdesk_domain::Lang;
use clinicdesk_server::docs::{self, Doc};
use clinicdesk_server::{App, Config};
use clinicdesk_store::{open, LocalStore, OpenOptions};
use clinicdesk_sync::{sync_once, versions, HttpTransport, Transport};

const TODAY: (i32, u32, u32) = (2026, 3, 2);

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn line(name: &str, value: String, target: &str, met: bool) {
    println!("{name:<58} {value:>22}   target {target:<14} {}", if met { "MET" } else { "MISSED" });
}

struct Bench {
    app: App,
    base: String,
    tenant: Id,
    store_id: Id,
    chain: clinicdesk_demo::DemoChain,
    _dir: tempfile::TempDir,
}

impl Bench {
    /// The server with the demo chain plus `extra` synthetic patients (chain-wide rows).
    async fn start(extra: usize) -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(&Config::new(format!("sqlite:{}", dir.path().join("server.db").display()))).await.unwrap();
        let today = NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).unwrap();
        let chain = clinicdesk_demo::generate(&clinicdesk_demo::DemoConfig { seed: 2026, size: 0.05, today });
        let tenant = clinicdesk_server::import::import_chain(app.db(), &chain, chain.staff_password).await.unwrap();
        let store_id = chain.world.stores.values().find(|s| s.code == "BJ01").unwrap().id;
        let model = chain.world.patients.values().next().unwrap().clone();
        let mut conn = app.db().pool().acquire().await.unwrap();
        let mut batch = Vec::with_capacity(5_000);
        for i in 0..extra {
            let p = Patient { id: uuid::Uuid::now_v7(), name: format!("患者{i:06}"), phone: format!("139{i:08}"), ..model.clone() };
            batch.push(Doc::patient(&p));
            if batch.len() == 5_000 {
                docs::insert_many(&mut conn, tenant, 0, &batch).await.unwrap();
                batch.clear();
            }
        }
        docs::insert_many(&mut conn, tenant, 0, &batch).await.unwrap();
        drop(conn);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let serving = app.clone();
        tokio::spawn(async move { serving.serve(listener, std::future::pending()).await.unwrap() });
        Bench { app, base, tenant, store_id, chain, _dir: dir }
    }

    async fn desk(&self) -> (LocalStore, HttpTransport, Id, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("desk.sqlite3"), OpenOptions::default()).await.unwrap();
        let desk_id = uuid::Uuid::now_v7();
        let reg = clinicdesk_sync::sign_in(
            &self.base,
            "manager.bj01",
            clinicdesk_demo::STAFF_PASSWORD,
            self.store_id,
            desk_id,
            "bench",
            Lang::En,
        )
        .await
        .unwrap();
        let t = HttpTransport::new(self.base.clone(), reg.token, Lang::En).unwrap();
        (store, t, desk_id, dir)
    }

    /// Marks `n` chain-wide rows as changed after every cursor (one new server_seq for all of
    /// them, as one bulk change; a pull pages through them by `(server_seq, kind, id)`).
    async fn touch(&self, n: usize) {
        let t = docs::id_str(self.tenant);
        let (head,): (i64,) = sqlx::query_as("SELECT seq FROM tenant_seq WHERE tenant_id = $1")
            .bind(&t)
            .fetch_one(self.app.db().pool())
            .await
            .unwrap_or((0,));
        sqlx::query(
            "UPDATE entities SET server_seq = $1
             WHERE kind = 'patient' AND tenant_id = $2 AND id IN (SELECT id FROM entities WHERE kind = 'patient' AND tenant_id = $2 ORDER BY id LIMIT $3)",
        )
        .bind(head + 1)
        .bind(&t)
        .bind(n as i64)
        .execute(self.app.db().pool())
        .await
        .unwrap();
        sqlx::query("UPDATE tenant_seq SET seq = $1 WHERE tenant_id = $2")
            .bind(head + n as i64)
            .bind(&t)
            .execute(self.app.db().pool())
            .await
            .unwrap();
    }
}

async fn once(store: &LocalStore, t: &HttpTransport) -> (Duration, clinicdesk_sync::SyncReport) {
    let v = versions(store, "bench").await.unwrap();
    let started = Instant::now();
    let report = sync_once(store, t, v, &mut |_| {}).await.expect("sync");
    (started.elapsed(), report)
}

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("SYNC_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let runs: usize = std::env::var("SYNC_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    println!("ClinicDesk sync benchmarks (release build; server on embedded SQLite over HTTP on loopback; medians of {runs})");
    let bench = Bench::start(rows).await;
    let (mut first, mut catch_up, mut apply, mut raw, mut push) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut snapshot_rows = 0;
    for run in 0..runs {
        // First sync: a fresh desk takes the store's snapshot (resumable: each page commits with its cursor).
        let (store, t, desk_id, _dir) = bench.desk().await;
        let (took, report) = once(&store, &t).await;
        snapshot_rows = report.pulled;
        first.push(took);

        // Catching up: 100,000 rows changed on the server since this desk's cursor.
        let changed = 100_000.min(rows);
        bench.touch(changed).await;
        let (took, report) = once(&store, &t).await;
        assert!(report.pulled >= changed, "{report:?}");
        catch_up.push(took);

        // The desk applying pulled pages alone (no network), next to plain inserts.
        bench.touch(changed).await;
        let v = versions(&store, "bench").await.unwrap();
        let meta = store.sync_meta().await.unwrap();
        let mut pages = Vec::new();
        let mut after = meta.cursor.clone();
        loop {
            let page =
                t.pull(PullRequest { versions: v.clone(), epoch: meta.epoch.clone(), after: after.clone(), limit: 5_000 }).await.unwrap();
            after = page.next.clone();
            let more = page.has_more;
            pages.push(page);
            if !more {
                break;
            }
        }
        let n: usize = pages.iter().map(|p| p.changes.len()).sum();
        let started = Instant::now();
        for p in &pages {
            store.apply_pull(p).await.unwrap();
        }
        apply.push((started.elapsed(), n));
        sqlx::query("CREATE TABLE IF NOT EXISTS bench_raw (id TEXT PRIMARY KEY, data TEXT NOT NULL) STRICT")
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::query("DELETE FROM bench_raw").execute(store.pool()).await.unwrap();
        let started = Instant::now();
        for p in &pages {
            let mut tx = store.pool().begin().await.unwrap();
            for c in &p.changes {
                sqlx::query("INSERT INTO bench_raw (id, data) VALUES (?, ?)")
                    .bind(&c.id)
                    .bind(c.data.to_string())
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        }
        raw.push((started.elapsed(), n));

        // A week offline: 10,000 commands in the outbox, then one sync (push, pull, rebase).
        let device = store.set_up_device(bench.store_id, desk_id).await.unwrap();
        let staff = bench.chain.world.staff.values().find(|s| s.login == "manager.bj01").unwrap();
        let actor = Actor::Staff { staff_id: staff.id, name: staff.name.clone(), role: staff.role, store_ids: staff.store_ids.clone() };
        let backlog = 10_000;
        for i in 0..backlog {
            let c = Command::PatientCreate(PatientCreate {
                patient_id: uuid::Uuid::now_v7(),
                name: format!("离线{run}{i:05}"),
                sex: if i % 2 == 0 { Sex::Female } else { Sex::Male },
                birth_date: NaiveDate::from_ymd_opt(2015, 1 + (i % 12) as u32, 1 + (i % 28) as u32).unwrap(),
                phone: format!("137{run}{i:07}"),
                guardian: None,
                channel_code: None,
            });
            store.execute(&device, &actor, &c, Utc::now()).await.unwrap();
        }
        let (took, report) = once(&store, &t).await;
        assert_eq!(report.applied, backlog, "{report:?}");
        push.push(took);
        store.close().await;
    }
    let rate = |v: &Vec<(Duration, usize)>| {
        let mut r: Vec<f64> = v.iter().map(|(d, n)| *n as f64 / d.as_secs_f64()).collect();
        r.sort_by(f64::total_cmp);
        r[r.len() / 2]
    };
    let (a, r) = (rate(&apply), rate(&raw));
    line("desk applies pulled changes (patients, bulk-written)", format!("{a:>9.0} rows/s"), "≥ 20,000/s", a >= 20_000.0);
    println!("  (plain one-row INSERTs of the same rows, one transaction per page: {r:.0} rows/s; other kinds are written row by row)");
    let c = median(catch_up);
    line("catching up 100,000 changes over loopback", format!("{:>9.2} s", c.as_secs_f64()), "≤ 10 s", c.as_secs_f64() <= 10.0);
    let f = median(first);
    line(
        &format!("first sync of a {snapshot_rows}-row store (snapshot)"),
        format!("{:>9.2} s", f.as_secs_f64()),
        "≤ 60 s",
        f.as_secs_f64() <= 60.0,
    );
    let p = median(push);
    line(
        "pushing 10,000 commands after a week offline (+ rebase)",
        format!("{:>9.2} s", p.as_secs_f64()),
        "≤ 15 s",
        p.as_secs_f64() <= 15.0,
    );
}
