//! The deterministic simulation of sync (SYNC.md, "How it is tested"), run for a fixed budget
//! of seeds. `crates/sim/regression-seeds.txt` is replayed first. Environment:
//! `SIM_SEED=<n>` runs that seed only (replay a failure), `SIM_SEEDS=<n>` runs n seeds per test
//! (local soak), `SIM_STEPS=<n>` changes the steps per seed.

use clinicdesk_sim::{run, Failure, Plan};

/// Seeds per test in CI, and steps per seed.
const BUDGET: u64 = 10;
const STEPS: usize = 150;

fn env_num(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn regression_seeds() -> Vec<u64> {
    let text = include_str!("../regression-seeds.txt");
    text.lines().filter_map(|l| l.split('#').next()).filter_map(|l| l.trim().parse().ok()).collect()
}

/// The seeds of one test: the regression seeds, then `first..first+budget`.
fn seeds(first: u64) -> Vec<u64> {
    if let Some(seed) = env_num("SIM_SEED") {
        return vec![seed];
    }
    let budget = env_num("SIM_SEEDS").unwrap_or(BUDGET);
    let mut out = regression_seeds();
    let regression = out.clone();
    out.extend((first..first + budget).filter(|s| !regression.contains(s)));
    out
}

async fn run_all(first: u64, quiet: bool) {
    let steps = env_num("SIM_STEPS").map_or(STEPS, |n| n as usize);
    let started = std::time::Instant::now();
    let mut failures: Vec<Failure> = Vec::new();
    let (mut slot_conflicts, mut cash, mut payouts, mut restores, mut lost_answers) = (0, 0, 0, 0, 0);
    for seed in seeds(first) {
        let t = std::time::Instant::now();
        match run(Plan { seed, steps, quiet }).await {
            Ok(r) => {
                slot_conflicts += r.slot_conflicts;
                cash += r.cash_refunds;
                payouts += r.provider_payouts;
                restores += r.restores;
                lost_answers += r.faults.get("dropped_answer").copied().unwrap_or(0);
                eprintln!(
                "seed {seed}: ok in {:.1}s — {} stores, {} desks, {} committed, {} refused locally, {} rejected ({} slot conflicts), {} cash refunds, {} payouts, {} patient cmds, {} restarts, {} restores, {} crashes, faults {:?}, {} quiet rounds, {} virtual days",
                t.elapsed().as_secs_f32(),
                r.stores,
                r.desks,
                r.committed,
                r.refused_locally,
                r.rejected_on_server,
                r.slot_conflicts,
                r.cash_refunds,
                r.provider_payouts,
                r.patient_commands,
                r.server_restarts,
                r.restores,
                r.crashes,
                r.faults,
                r.quiet_rounds,
                r.virtual_days
            )
            }
            Err(f) => {
                eprintln!("{f}");
                if std::env::var_os("SIM_LOG").is_some() {
                    eprintln!("full event log of seed {seed}:\n{}", f.log.join("\n"));
                }
                failures.push(f);
            }
        }
    }
    eprintln!(
        "{} seeds in {:.1}s: {slot_conflicts} slot conflicts, {cash} cash refunds, {payouts} provider payouts, {restores} restores, {lost_answers} answers lost",
        seeds(first).len(),
        started.elapsed().as_secs_f32()
    );
    if std::env::var_os("SIM_SEED").is_none() && std::env::var_os("SIM_SEEDS").is_none() && failures.is_empty() {
        // The budget is not vacuous: hot slots really conflict, money really goes back, and
        // the server really loses answers and data.
        assert!(
            slot_conflicts > 0 && cash > 0 && payouts > 0 && restores > 0 && lost_answers > 0,
            "the workload did not exercise the rules: {slot_conflicts} slot conflicts, {cash} cash refunds, {payouts} payouts, {restores} restores, {lost_answers} answers lost"
        );
    }
    if !failures.is_empty() {
        let list: Vec<String> = failures.iter().map(|f| format!("seed {} ({:?} at step {})", f.seed, f.rule, f.step)).collect();
        panic!(
            "the simulation broke a rule: {}\nreplay one with SIM_SEED=<seed> cargo test -p clinicdesk-sim --test sim -- --nocapture",
            list.join(", ")
        );
    }
}

/// Seeds that found bugs B–E (crates/sim/README.md), with every restore trigger on:
/// (seed, steps).
const RESTORE_BUG_SEEDS: &[(u64, usize)] = &[(1001, 250), (1008, 250), (1012, 250), (1013, 250), (1015, 250)];

/// Under every fault, after every step: no doctor's active appointments overlap beyond the
/// store's capacity, no fee is physically refunded twice (cash at desks, provider payouts),
/// and each device's command log on the server is contiguous.
#[tokio::test]
async fn no_two_active_appointments_overlap_and_no_fee_is_refunded_twice_under_faults() {
    run_all(1, false).await;
}

/// With the faults healed and sync run to a fixpoint: every command a desk committed has an
/// outcome, every rejection reached every desk of its store as a conflict, and every desk
/// holds the server's appointments, fees and refunds of its store (the step rules hold too).
#[tokio::test]
async fn every_committed_desk_command_gets_an_outcome_and_desks_converge() {
    run_all(1001, true).await;
}

/// The seeds that found bugs B–E — restores that keep the epoch, restores that lose rows
/// desks had pulled, receipt numbers issued again, a lost answer to a resend — converge.
#[tokio::test]
async fn desks_converge_after_restores_that_keep_the_epoch_or_lose_rows_they_pulled() {
    let mut failures = Vec::new();
    for &(seed, steps) in RESTORE_BUG_SEEDS {
        if let Err(f) = run(Plan { seed, steps, quiet: true }).await {
            eprintln!("{f}");
            failures.push(format!("seed {seed}: {:?} at step {}", f.rule, f.step));
        }
    }
    assert!(failures.is_empty(), "restores break rules again: {}", failures.join(", "));
}
