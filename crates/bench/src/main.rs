//! `cargo run --release -p clinicdesk-bench`: prints each figure next to its target and next
//! to the raw SQLite figure for the same rows, so the ratio shows our layers' overhead.
//! Medians and p99 over many runs; these machines are noisy, so read medians.

mod eye;

use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate, NaiveTime, Utc};
use clinicdesk_demo::big_store_day;
use clinicdesk_domain::commands::{BookingCreate, Command, NewFee};
use clinicdesk_domain::model::{PayMethod, Source};
use clinicdesk_domain::roles::{Actor, Role};
use clinicdesk_domain::slots;
use clinicdesk_store::{open, OpenOptions};

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let idx = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[idx]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(name: &str, stat: &str, value: Duration, target: Option<f64>, raw: Option<Duration>) {
    let verdict = match target {
        Some(t) if ms(value) <= t => format!("target ≤ {t} ms: MET"),
        Some(t) => format!("target ≤ {t} ms: MISSED"),
        None => String::new(),
    };
    let ratio = raw.map(|r| format!("  raw SQLite {:.3} ms (×{:.1})", ms(r), ms(value) / ms(r).max(1e-6))).unwrap_or_default();
    println!("{name:<44} {stat} {:>8.3} ms  {verdict}{ratio}", ms(value));
}

#[tokio::main]
async fn main() {
    let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&dir.path().join("bench.sqlite3"), OpenOptions::default()).await.expect("open");
    let mut chain = big_store_day(11, 60, 40, date);
    // The same working day again tomorrow, empty, for the booking benchmark.
    let tomorrow: Vec<_> = chain
        .world
        .schedules
        .values()
        .map(|s| {
            let mut next = s.clone();
            next.id = uuid::Uuid::from_u128(s.id.as_u128() ^ 0x5a5a);
            next.date = s.date + Days::days(1);
            next
        })
        .collect();
    for s in tomorrow {
        chain.world.schedules.insert(s.id, s);
    }
    let started = Instant::now();
    store.import_chain(&chain.world, &chain.history, &chain.exams, &chain.corrections).await.expect("import");
    println!("ClinicDesk benchmarks (release build recommended)");
    println!(
        "loaded {} doctors, {} appointments, {} patients in {:.0} ms",
        chain.world.doctors.len(),
        chain.world.appointments.len(),
        chain.world.patients.len(),
        ms(started.elapsed())
    );
    if std::env::var_os("BENCH_KEEP").is_some() {
        let _ = std::fs::remove_file("/tmp/bench-keep.sqlite3");
        sqlx::query("VACUUM INTO '/tmp/bench-keep.sqlite3'").execute(store.pool()).await.expect("keep");
    }
    let store_row = chain.world.stores.values().next().expect("store");
    let store_id = store_row.id;

    // BENCH_PROFILE_BOARD=N: only the board query, N times, for a profiler (perf record).
    if let Some(n) = std::env::var("BENCH_PROFILE_BOARD").ok().and_then(|v| v.parse::<usize>().ok()) {
        for _ in 0..n {
            store.board_day(store_id, date, date).await.expect("board");
        }
        return;
    }
    // 1. Board query: a store's day at 60 doctors × 40 appointments.
    let mut board = Vec::new();
    for i in 0..60 {
        let t = Instant::now();
        let b = store.board_day(store_id, date, date).await.expect("board");
        if i >= 10 {
            board.push(t.elapsed());
        }
        assert_eq!(b.doctors.len(), 60);
        assert_eq!(b.appointments.len(), 2400);
    }
    let tz = slots::zone(&store_row.timezone);
    let from = slots::to_utc(tz, date, NaiveTime::MIN).timestamp();
    let to = from + 86_400;
    let mut raw_board = Vec::new();
    for i in 0..60 {
        let t = Instant::now();
        let rows: Vec<(String, String, i64, i64, String)> = sqlx::query_as(
            "SELECT a.id, p.name, a.start_ts, a.end_ts, a.state FROM appointments a JOIN patients p ON p.id = a.patient_id
             WHERE a.store_id = ? AND a.start_ts >= ? AND a.start_ts < ?",
        )
        .bind(store_id.to_string())
        .bind(from)
        .bind(to)
        .fetch_all(store.pool())
        .await
        .expect("raw");
        if i >= 10 {
            raw_board.push(t.elapsed());
        }
        assert_eq!(rows.len(), 2400);
    }
    let raw_median = percentile(&mut raw_board, 0.5);
    let mut count_only = Vec::new();
    for i in 0..60 {
        let t = Instant::now();
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE a.store_id = ? AND a.start_ts >= ? AND a.start_ts < ?",
        )
        .bind(store_id.to_string())
        .bind(from)
        .bind(to)
        .fetch_one(store.pool())
        .await
        .expect("count");
        if i >= 10 {
            count_only.push(t.elapsed());
        }
        assert_eq!(n, 2400);
    }
    println!("  (same query, COUNT only, no rows transferred: median {:.3} ms)", ms(percentile(&mut count_only, 0.5)));
    if std::env::var_os("BENCH_DETAIL").is_some() {
        for (label, sql) in [
            ("json of the 5-join rows", "SELECT length(json_group_array(json_array(a.id, a.doctor_id, p.name, a.start_ts, a.end_ts, a.state, a.visit_type, dep.name, f.status, r.id IS NOT NULL, a.sync_state))) FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN departments dep ON dep.id = a.department_id LEFT JOIN fees f ON f.id = a.fee_id LEFT JOIN refunds r ON r.fee_id = f.id WHERE a.store_id = ? AND a.start_ts >= ? AND a.start_ts < ?"),
            ("count of the 5-join rows", "SELECT COUNT(*) FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN departments dep ON dep.id = a.department_id LEFT JOIN fees f ON f.id = a.fee_id LEFT JOIN refunds r ON r.fee_id = f.id WHERE a.store_id = ? AND a.start_ts >= ? AND a.start_ts < ?"),
            ("packed board rows (the store's query)", "SELECT length(group_concat(format('%s' || char(31) || '%s' || char(31) || '%s' || char(31) || '%d' || char(31) || '%d' || char(31) || '%s' || char(31) || '%s' || char(31) || '%s' || char(31) || '%s' || char(31) || '%s', id, doctor_id, patient_name, start_ts, end_ts, state, visit_type, department_id, fee_state, sync_state), char(30))) FROM appointments WHERE store_id = ? AND start_ts >= ? AND start_ts < ?"),
            ("packed by || instead of format()", "SELECT length(group_concat(id || char(31) || doctor_id || char(31) || patient_name || char(31) || start_ts || char(31) || end_ts || char(31) || state || char(31) || visit_type || char(31) || department_id || char(31) || fee_state || char(31) || sync_state, char(30))) FROM appointments WHERE store_id = ? AND start_ts >= ? AND start_ts < ?"),
            ("packed as json_array", "SELECT length(json_group_array(json_array(id, doctor_id, patient_name, start_ts, end_ts, state, visit_type, department_id, fee_state, sync_state))) FROM appointments WHERE store_id = ? AND start_ts >= ? AND start_ts < ?"),
            ("count, appointments only", "SELECT COUNT(*) FROM appointments a WHERE a.store_id = ? AND a.start_ts >= ? AND a.start_ts < ?"),
        ] {
            let mut t = Vec::new();
            for _ in 0..40 {
                let s = Instant::now();
                let _: (i64,) = sqlx::query_as(sql).bind(store_id.to_string()).bind(from).bind(to).fetch_one(store.pool()).await.expect("detail");
                t.push(s.elapsed());
            }
            println!("  detail: {label}: median {:.3} ms", ms(percentile(&mut t, 0.5)));
        }
    }
    report("board_day, 60 doctors × 40 appointments", "median", percentile(&mut board, 0.5), Some(5.0), Some(raw_median));

    // 2. One local command: booking.create with its outbox row, synchronous=FULL.
    let staff = chain.world.staff.values().find(|s| s.role == Role::Receptionist).expect("receptionist");
    let actor = Actor::Staff { staff_id: staff.id, name: staff.name.clone(), role: staff.role, store_ids: staff.store_ids.clone() };
    let device = store.set_up_device(store_id, uuid::Uuid::now_v7()).await.expect("device");
    let patients: Vec<_> = chain.world.patients.keys().copied().collect();
    let next_day = date + Days::days(1);
    // Book the next day's schedules slot by slot (big_store_day schedules every doctor that day too).
    let mut free = Vec::new();
    for doctor in chain.world.doctors.values() {
        if let Some(dep) = doctor.department_ids.first() {
            for s in clinicdesk_domain::booking::doctor_slots(&chain.world, store_row, doctor.id, next_day) {
                free.push((doctor.id, *dep, s.start, s.end));
            }
        }
    }
    let n = free.len().min(400);
    let mut cmd_times = Vec::with_capacity(n);
    for (i, (doctor_id, department_id, start, end)) in free.into_iter().take(n).enumerate() {
        let cmd = Command::BookingCreate(BookingCreate {
            appointment_id: uuid::Uuid::now_v7(),
            store_id,
            doctor_id,
            department_id,
            patient_id: patients[i % patients.len()],
            complaint_id: None,
            start,
            end,
            visit_type: None,
            source: Source::Desk,
            fee: Some(NewFee { fee_id: uuid::Uuid::now_v7(), amount: 2500, paid_with: Some(PayMethod::Cash) }),
        });
        let t = Instant::now();
        store.execute(&device, &actor, &cmd, Utc::now()).await.expect("booking applies");
        cmd_times.push(t.elapsed());
    }
    sqlx::query("CREATE TABLE raw_bench (id TEXT PRIMARY KEY, doctor_id TEXT, start_ts INTEGER, end_ts INTEGER, payload TEXT)")
        .execute(store.pool())
        .await
        .expect("raw table");
    let mut raw_insert = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await.expect("tx");
        sqlx::query("INSERT INTO raw_bench VALUES (?, ?, ?, ?, ?)")
            .bind(uuid::Uuid::now_v7().to_string())
            .bind("d")
            .bind(i as i64)
            .bind(i as i64 + 900)
            .bind("{}")
            .execute(&mut *tx)
            .await
            .expect("raw insert");
        tx.commit().await.expect("commit");
        raw_insert.push(t.elapsed());
    }
    let raw_p99 = percentile(&mut raw_insert, 0.99);
    let raw_med = percentile(&mut raw_insert, 0.5);
    report(&format!("booking.create + outbox ({n} commands)"), "p99   ", percentile(&mut cmd_times, 0.99), Some(10.0), Some(raw_p99));
    report("booking.create + outbox", "median", percentile(&mut cmd_times, 0.5), None, Some(raw_med));
    eye::run();
    eye::task_list().await;
}
