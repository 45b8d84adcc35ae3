//! Prints what the demo chain contains and how long it takes to generate:
//! `cargo run -p clinicdesk-demo --example demo_stats [seed] [size] [YYYY-MM-DD]`.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::NaiveDate;
use clinicdesk_demo::{big_store_day, generate, DemoConfig};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(42);
    let size = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let today = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(NaiveDate::from_ymd_opt(2026, 5, 20).unwrap());
    let t = Instant::now();
    let c = generate(&DemoConfig { seed, size, today });
    let took = t.elapsed();
    let w = &c.world;
    println!("generate(seed {seed}, size {size}, today {today}): {took:.2?}");
    println!(
        "stores {}  departments {}  doctors {}  complaints {}  staff {}  channels {}",
        w.stores.len(),
        w.departments.len(),
        w.doctors.len(),
        w.complaints.len(),
        w.staff.len(),
        w.channels.len()
    );
    println!("patients {}  guardians {}  schedules {}  blocks {}", w.patients.len(), w.guardians.len(), w.schedules.len(), w.blocks.len());
    println!(
        "appointments {}  fees {}  refunds {}  requests {}  history {}",
        w.appointments.len(),
        w.fees.len(),
        w.refunds.len(),
        w.requests.len(),
        c.history.len()
    );
    let mut states: BTreeMap<&str, usize> = BTreeMap::new();
    for a in w.appointments.values() {
        *states.entry(a.state.as_str()).or_default() += 1;
    }
    println!("states {states:?}");
    let mut visit: BTreeMap<&str, usize> = BTreeMap::new();
    for a in w.appointments.values() {
        *visit.entry(a.visit_type.as_str()).or_default() += 1;
    }
    println!("visit types {visit:?}");
    let mut requests: BTreeMap<String, usize> = BTreeMap::new();
    for r in w.requests.values() {
        *requests.entry(format!("{:?}", r.status)).or_default() += 1;
    }
    println!("requests {requests:?}");
    let children: std::collections::BTreeSet<_> = c.exams.iter().map(|e| e.patient_id).collect();
    println!("eye exams {} of {} patients; corrections {}", c.exams.len(), children.len(), c.corrections.len());
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for k in c.corrections.values() {
        *kinds.entry(format!("{:?}", k.kind)).or_default() += 1;
    }
    println!("corrections {kinds:?}");
    for s in w.staff.values() {
        println!("login {:<14} {:<6} {:?} stores {}", s.login, s.name, s.role, s.store_ids.len());
    }
    println!("password {}", c.staff_password);
    // Share of schedule time held by appointments (active or no-show), past and ahead.
    let tz = clinicdesk_domain::slots::DEFAULT_TZ;
    let mut held: BTreeMap<(clinicdesk_domain::Id, NaiveDate), i64> = BTreeMap::new();
    for a in w.appointments.values().filter(|a| a.state.is_active() || a.state.as_str() == "no_show") {
        *held.entry((a.doctor_id, clinicdesk_domain::slots::local_date(tz, a.start))).or_default() += (a.end - a.start).num_minutes();
    }
    let mut fill: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for s in w.schedules.values() {
        let ahead = (s.date - today).num_days();
        let bucket = match ahead {
            ..=-1 => "past",
            0 => "today",
            1..=7 => "next 7 days",
            _ => "days 8-30",
        };
        let e = fill.entry(bucket).or_default();
        e.0 += held.get(&(s.doctor_id, s.date)).copied().unwrap_or(0);
        e.1 += s.periods.iter().map(|p| (p.end - p.start).num_minutes()).sum::<i64>();
    }
    for (bucket, (h, cap)) in fill {
        println!("fill {bucket}: {:.0}%", 100.0 * h as f64 / cap as f64);
    }
    let t = Instant::now();
    let big = big_store_day(seed, 60, 40, today);
    println!("big_store_day(60, 40): {} appointments in {:.2?}", big.world.appointments.len(), t.elapsed());
}
