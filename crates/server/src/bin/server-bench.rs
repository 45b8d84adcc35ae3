//! `server-bench [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--commands 1000] [--rounds 5] [--concurrency 8] [--size 0.2]`
//!
//! Medians, against their targets, on a fresh database per backend loaded with the demo chain:
//! - commands applied per second (`patient.create@1` through `apply.rs`: loader, handler,
//!   documents, command log; `--concurrency` writers): SQLite ≥ 2,000/s, PostgreSQL ≥ 1,000/s,
//!   next to the raw insert rate of the same database for the same rows (the document and the
//!   command-log row, one transaction each, no domain code);
//! - the patient free-slot query for one store's month (`patient::free_slots`): ≤ 20 ms.
//!
//! Run it in release mode. PostgreSQL is skipped with a note when unreachable.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use chrono::Utc;
use clinicdesk_domain::commands::{Command, PatientCreate};
use clinicdesk_domain::model::{Id, Patient, Sex};
use clinicdesk_domain::roles::Role;
use clinicdesk_server::apply::{self, OutcomeKind, Submission};
use clinicdesk_server::auth::DeviceAuth;
use clinicdesk_server::docs::{self, id_str, kind, Doc};
use clinicdesk_server::patient::{self, PatientAuth, SlotQuery};
use clinicdesk_server::{App, Config, Db};
use sqlx::Connection;

struct Args {
    postgres: String,
    commands: usize,
    rounds: usize,
    concurrency: usize,
    size: f64,
}

const USAGE: &str =
    "usage: server-bench [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--commands 1000] [--rounds 5] [--concurrency 8] [--size 0.2]";

fn args() -> anyhow::Result<Args> {
    let mut out =
        Args { postgres: "postgres://postgres@127.0.0.1:5432/postgres".into(), commands: 1000, rounds: 5, concurrency: 8, size: 0.2 };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--postgres" => out.postgres = value()?,
            "--commands" => out.commands = value()?.parse()?,
            "--rounds" => out.rounds = value()?.parse()?,
            "--concurrency" => out.concurrency = value()?.parse()?,
            "--size" => out.size = value()?.parse()?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    if out.commands == 0 || out.rounds == 0 || out.concurrency == 0 {
        bail!("--commands, --rounds and --concurrency must be at least 1");
    }
    Ok(out)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "MET"
    } else {
        "MISSED"
    }
}

/// A demo chain whose "today" is the real today (the slot query looks ahead from now).
fn chain(size: f64) -> clinicdesk_demo::DemoChain {
    let today = Utc::now().with_timezone(&clinicdesk_domain::slots::DEFAULT_TZ).date_naive();
    clinicdesk_demo::generate(&clinicdesk_demo::DemoConfig { seed: 2026, size, today })
}

fn new_patient(i: usize) -> Command {
    Command::PatientCreate(PatientCreate {
        patient_id: uuid::Uuid::now_v7(),
        name: format!("压测患者{i}"),
        sex: if i.is_multiple_of(2) { Sex::Female } else { Sex::Male },
        birth_date: chrono::NaiveDate::from_ymd_opt(1990, 1, 1 + (i % 28) as u32).expect("date"),
        phone: format!("139{:08}", i % 100_000_000),
        guardian: None,
        channel_code: None,
    })
}

/// `n` commands through `apply`, `concurrency` at a time; commands per second.
async fn apply_rate(db: &Db, device: &DeviceAuth, n: usize, concurrency: usize, offset: usize) -> anyhow::Result<f64> {
    let device = Arc::new(device.clone());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (db, device) = (db.clone(), device.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while i < n {
                let sub = Submission::live(new_patient(offset + i), uuid::Uuid::now_v7(), None);
                let out = apply::apply(&db, &device, &sub, Default::default(), Utc::now()).await?;
                if out.outcome == OutcomeKind::Rejected {
                    anyhow::bail!("rejected: {:?}", out.code);
                }
                i += concurrency;
            }
            Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// The same rows (a patient document and a command-log row), one transaction each, no domain code.
async fn raw_rate(db: &Db, tenant: Id, device: &DeviceAuth, n: usize, concurrency: usize, offset: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let db = db.clone();
        let (device_id, staff_id) = (id_str(device.device_id), id_str(device.staff.id));
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while i < n {
                let Command::PatientCreate(c) = new_patient(offset + i) else { unreachable!() };
                let p = Patient {
                    id: c.patient_id,
                    tenant_id: tenant,
                    name: c.name.clone(),
                    sex: c.sex,
                    birth_date: c.birth_date,
                    phone: c.phone.clone(),
                    guardian_ids: vec![],
                    channel_code: None,
                    consultant_id: None,
                };
                let seq = 1_000_000_000 + (offset + i) as i64;
                let mut w = db.begin_write().await?;
                docs::insert_many(&mut w.tx, tenant, seq, &[Doc::new(kind::PATIENT, id_str(p.id), None, &p)]).await?;
                sqlx::query(
                    "INSERT INTO commands (tenant_id, server_seq, device_id, device_seq, mutation_id, payload_hash, name, args, actor_staff_id,
                       outcome, code, message, detail, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(id_str(tenant))
                .bind(seq)
                .bind(&device_id)
                .bind(None::<i64>)
                .bind(uuid::Uuid::now_v7().to_string())
                .bind("raw")
                .bind("patient.create@1")
                .bind(serde_json::to_string(&c)?)
                .bind(&staff_id)
                .bind("applied")
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(Utc::now().timestamp())
                .execute(&mut *w.tx)
                .await?;
                w.commit().await?;
                i += concurrency;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

async fn run(backend: &str, url: &str, args: &Args, chain: &clinicdesk_demo::DemoChain, target_rate: f64) -> anyhow::Result<()> {
    let mut config = Config::new(url);
    config.max_connections = (args.concurrency as u32 + 2).max(4);
    let app = App::open(&config).await.context("opening the database")?;
    let tenant = clinicdesk_server::import::import_chain(app.db(), chain, clinicdesk_demo::STAFF_PASSWORD).await?;
    let w = &chain.world;
    let store = w.stores.values().find(|s| s.code == "BJ01").context("store BJ01")?;
    let staff = w
        .staff
        .values()
        .find(|s| s.role == Role::Receptionist && s.store_ids.contains(&store.id))
        .context("a receptionist of BJ01")?
        .clone();
    let device =
        DeviceAuth { device_id: uuid::Uuid::now_v7(), tenant_id: tenant, store_id: store.id, name: "bench".into(), staff: staff.clone() };

    // Warm-up, then rounds alternating the two measurements.
    apply_rate(app.db(), &device, 50.min(args.commands), args.concurrency, 0).await?;
    let (mut applied, mut raw) = (Vec::new(), Vec::new());
    for r in 0..args.rounds {
        let offset = 1_000 + r * args.commands * 2;
        applied.push(apply_rate(app.db(), &device, args.commands, args.concurrency, offset).await?);
        raw.push(raw_rate(app.db(), tenant, &device, args.commands, args.concurrency, offset + args.commands).await?);
    }
    let (applied, raw) = (median(applied), median(raw));
    println!(
        "{backend:<10} commands applied/s  median {applied:>8.0}  target ≥ {target_rate:>5.0}  {}   (raw insert of the same rows: {raw:>8.0}/s; apply = {:.0}% of raw)",
        verdict(applied >= target_rate),
        100.0 * applied / raw
    );

    let who = PatientAuth { tenant_id: tenant, patient_ids: vec![], session: "bench".into() };
    let tz = clinicdesk_domain::slots::zone(&store.timezone);
    let from = clinicdesk_domain::slots::local_date(tz, Utc::now());
    let q = SlotQuery { from: Some(from), to: Some(from + chrono::Duration::days(30)), ..Default::default() };
    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..(args.rounds * 4).max(11) {
        let started = Instant::now();
        count = patient::free_slots(app.db(), &who, store.id, &q, Utc::now()).await?.len();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let ms = median(times);
    println!(
        "{backend:<10} patient free slots, BJ01, 31 days  median {ms:>6.1} ms  target ≤ 20 ms  {}   ({count} slots)",
        verdict(ms <= 20.0)
    );
    app.db().close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    println!(
        "server-bench: {} commands × {} rounds, {} writers, demo size {} (medians; build with --release)",
        args.commands, args.rounds, args.concurrency, args.size
    );
    let chain = chain(args.size);

    let dir = std::env::temp_dir().join(format!("clinicdesk-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = run("sqlite", &format!("sqlite:{}", dir.join("bench.db").display()), &args, &chain, 2000.0).await;
    let _ = std::fs::remove_dir_all(&dir);
    result?;

    match sqlx::postgres::PgConnection::connect(&args.postgres).await {
        Err(e) => println!("postgres   SKIPPED: {} is not reachable ({e})", args.postgres),
        Ok(mut admin) => {
            let name = format!("cd_bench_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
            let base = args.postgres.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or_else(|| args.postgres.clone());
            let result = run("postgres", &format!("{base}/{name}"), &args, &chain, 1000.0).await;
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
            result?;
        }
    }
    Ok(())
}
