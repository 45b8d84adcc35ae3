//! A deterministic simulation of offline sync (SYNC.md, "How it is tested").
//!
//! One seed fixes everything the simulation decides: a ChaCha RNG picks the topology (1–4
//! stores × 1–3 desks), each desk's clock skew (±48 h), the commands, and every fault. Time is
//! virtual: a `now` the simulation advances and passes to the desks (skewed) and to the
//! server (not skewed). There are no sockets: each desk is a real [`LocalStore`] file synced
//! by the real [`sync_once`] over an in-memory [`Transport`] that calls the server's
//! `sync::push` / `sync::pull` directly on a real SQLite server database, and can refuse a
//! request (offline, dropped), lose the answer after the server committed, send a push twice,
//! or hold it back and deliver it later (reordered). The server restarts (its `Db` closed and
//! opened again), and is restored from an older backup (with its epoch or a new one). Desks
//! crash between steps (their file closed and opened again). A patient-app client books and
//! cancels through `apply::apply_and_pay` as a patient, online only, with its refunds going
//! to a [`SimWeChatPay`].
//!
//! Checked after every step: no two active appointments of one doctor overlap beyond the
//! store's capacity on the server (among those the simulation made); per fee at most one
//! physical refund (cash handed back at desks as observed locally, payouts the provider made);
//! each device's command log on the server is contiguous. Checked when quiet (faults healed,
//! sync run to a fixpoint): every command a desk committed has an outcome on the server and on
//! the desk; every rejection reached every desk of its store as a conflict; every desk's
//! appointments, fees and refunds equal the server's for its store.
//!
//! Bugs it found and how each was fixed: README.md.
//!
//! Not modelled: PostgreSQL (the HTTP tests cover it), concurrent pushes inside one step
//! (steps are sequential; the HTTP tests race one slot), crashes *inside* a desk transaction
//! (SQLite's atomic commit is trusted: a crash is a close and reopen between transactions),
//! token expiry and re-sign-in, the change-log retention floor.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use clinicdesk_demo::{DemoChain, DemoConfig};
use clinicdesk_domain::booking::doctors_with_free_slots;
use clinicdesk_domain::commands::{AppointmentRef, BookingCreate, Command, FeeCharge, NewFee, RefundArgs, RequestCreate, WithReason};
use clinicdesk_domain::model::*;
use clinicdesk_domain::roles::{Actor, Role};
use clinicdesk_domain::sync::{PullRequest, PullResponse, PushRequest, PushResponse};
use clinicdesk_domain::world::Change as FxChange;
use clinicdesk_domain::Lang;
use clinicdesk_server::apply::{self, Principal, Submission};
use clinicdesk_server::auth::{self, Auth, SignInRequest};
use clinicdesk_server::pay::{self, PayFuture, PaymentProvider, RefundAccepted, RefundRequest, SimWeChatPay};
use clinicdesk_server::{Db, ServerError};
use clinicdesk_store::{open, Device, LocalStore, OpenOptions};
use clinicdesk_sync::{sync_once, SyncReport, Transport, TransportError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The demo chain's "today" (fixed, so the chain is the same in every run).
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

/// The demo chain, small.
pub fn chain() -> &'static DemoChain {
    static CHAIN: OnceLock<DemoChain> = OnceLock::new();
    CHAIN.get_or_init(|| clinicdesk_demo::generate(&DemoConfig { seed: 2026, size: 0.05, today: today() }))
}

/// A cheap Argon2 hash of the demo password (the real sign-in verifies it; default
/// parameters would cost seconds per desk in a debug build).
fn cheap_hash() -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(64, 1, 1, None).expect("argon2 params");
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"clinicdesk-sim-salt").expect("salt");
    a.hash_password(clinicdesk_demo::STAFF_PASSWORD.as_bytes(), &salt).expect("hash").to_string()
}

/// The server database with the demo chain imported, made once per process and copied for
/// every seed.
fn template() -> &'static Path {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &TEMPLATE
        .get_or_init(|| {
            std::thread::spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    let dir = tempfile::tempdir().unwrap();
                    let live = dir.path().join("import.db");
                    let db = Db::connect(&format!("sqlite:{}", live.display()), 2).await.expect("template server db");
                    clinicdesk_server::import::import_chain_with_hash(&db, chain(), &cheap_hash()).await.expect("import the demo chain");
                    let out = dir.path().join("template.db");
                    sqlx::query(&format!("VACUUM INTO '{}'", out.display())).execute(db.pool()).await.unwrap();
                    db.close().await;
                    (dir, out)
                })
            })
            .join()
            .expect("template thread")
        })
        .1
}

/// A provider that remembers the payments it was asked to refund, so the physical payouts
/// of each can be counted.
struct Provider {
    sim: SimWeChatPay,
    transactions: Mutex<BTreeSet<String>>,
}

impl PaymentProvider for Provider {
    fn refund(&self, req: RefundRequest) -> PayFuture<'_, RefundAccepted> {
        self.transactions.lock().unwrap().insert(req.transaction_id.clone());
        self.sim.refund(req)
    }
    fn query_refund(&self, out_refund_no: &str) -> PayFuture<'_, RefundAccepted> {
        self.sim.query_refund(out_refund_no)
    }
}

/// The server: its database file and, while it is up, its open `Db`.
struct ServerCell {
    url: String,
    path: PathBuf,
    db: Mutex<Option<Db>>,
    provider: Arc<Provider>,
    now: Mutex<DateTime<Utc>>,
}

impl ServerCell {
    fn db(&self) -> Option<Db> {
        self.db.lock().unwrap().clone()
    }
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap()
    }
}

fn server_error(e: ServerError) -> TransportError {
    TransportError::from_answer(e.status(), e.code().to_string(), e.message(Lang::En))
}

fn offline(why: &str) -> TransportError {
    TransportError::Offline { detail: why.to_string() }
}

/// One desk's network: whether it is up, the odds of each fault, and pushes held back.
struct Net {
    rng: ChaCha8Rng,
    online: bool,
    p_drop_request: f64,
    p_drop_answer: f64,
    p_duplicate: f64,
    p_delay: f64,
    delayed: Vec<PushRequest>,
    /// Faults that happened (for the report).
    faults: BTreeMap<&'static str, u32>,
    /// What the pushes carried and got, for the event log.
    trace: Vec<String>,
}

#[derive(Default)]
struct Fate {
    drop_answer: bool,
    duplicate: bool,
    delay: bool,
}

/// The in-memory transport of one desk.
#[derive(Clone)]
struct Link {
    server: Arc<ServerCell>,
    token: String,
    net: Arc<Mutex<Net>>,
}

impl Link {
    /// Decides this request's fate; Err when it never reaches the server.
    fn decide(&self, is_push: bool) -> Result<(Db, DateTime<Utc>, Fate), TransportError> {
        let mut guard = self.net.lock().unwrap();
        let net = &mut *guard;
        if !net.online {
            return Err(offline("the desk is offline"));
        }
        let Some(db) = self.server.db() else { return Err(offline("the server is down")) };
        if net.rng.gen_bool(net.p_drop_request) {
            *net.faults.entry("dropped_request").or_default() += 1;
            return Err(offline("the request was lost"));
        }
        let mut fate = Fate { drop_answer: net.rng.gen_bool(net.p_drop_answer), ..Fate::default() };
        if is_push {
            fate.duplicate = net.rng.gen_bool(net.p_duplicate);
            fate.delay = net.rng.gen_bool(net.p_delay);
        }
        for (hit, name) in [(fate.drop_answer, "dropped_answer"), (fate.duplicate, "duplicated_push"), (fate.delay, "delayed_push")] {
            if hit {
                *net.faults.entry(name).or_default() += 1;
            }
        }
        Ok((db, self.server.now(), fate))
    }
}

impl Transport for Link {
    async fn push(&self, req: PushRequest) -> Result<PushResponse, TransportError> {
        let (db, now, fate) = self.decide(true)?;
        let device = auth::authenticate(&db, &self.token, now).await.map_err(server_error)?;
        if fate.delay {
            // A copy is held back in the network and arrives later, after newer pushes.
            self.net.lock().unwrap().delayed.push(req.clone());
        }
        let provider: &dyn PaymentProvider = self.server.provider.as_ref();
        let mut answer = clinicdesk_server::sync::push(&db, provider, &device, req.clone(), Lang::En, now).await.map_err(server_error);
        if fate.duplicate {
            answer = clinicdesk_server::sync::push(&db, provider, &device, req, Lang::En, now).await.map_err(server_error);
        }
        let range = |r: &PushResponse| {
            let outcomes: Vec<String> = r
                .results
                .iter()
                .map(|x| format!("#{}:{:?}{}", x.device_seq, x.status, if x.replayed { "(replayed)" } else { "" }))
                .collect();
            outcomes.join(" ")
        };
        let line = match &answer {
            Ok(r) => format!("push -> {}{}", range(r), if fate.drop_answer { " [answer lost]" } else { "" }),
            Err(e) => format!("push refused: {}", e.code()),
        };
        self.net.lock().unwrap().trace.push(line);
        if fate.drop_answer {
            return Err(offline("the connection dropped before the answer arrived"));
        }
        answer
    }

    async fn pull(&self, req: PullRequest) -> Result<PullResponse, TransportError> {
        let (db, now, fate) = self.decide(false)?;
        let device = auth::authenticate(&db, &self.token, now).await.map_err(server_error)?;
        let answer = clinicdesk_server::sync::pull(&db, &device, req).await.map_err(server_error);
        if fate.drop_answer {
            return Err(offline("the connection dropped before the answer arrived"));
        }
        answer
    }
}

struct Desk {
    name: String,
    store_id: Id,
    path: PathBuf,
    store: LocalStore,
    device: Device,
    actor: Actor,
    skew: Duration,
    link: Link,
    /// Offline until then (virtual server time).
    offline_until: Option<DateTime<Utc>>,
}

/// A slot to book: (store, department, doctor, start, end).
type SlotKey = (Id, Id, Id, DateTime<Utc>, DateTime<Utc>);

/// What one simulated run did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub seed: u64,
    pub stores: usize,
    pub desks: usize,
    pub steps: usize,
    pub committed: usize,
    pub refused_locally: usize,
    pub rejected_on_server: usize,
    /// Commands the server rejected with `slot_conflict` (desks and the patient app).
    pub slot_conflicts: usize,
    pub conflicts_seen: usize,
    pub cash_refunds: usize,
    pub provider_payouts: u32,
    pub patient_commands: usize,
    pub server_restarts: usize,
    pub restores: usize,
    pub crashes: usize,
    pub faults: BTreeMap<&'static str, u32>,
    pub quiet_rounds: usize,
    pub virtual_days: i64,
}

/// Which rule broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Two active appointments of a doctor overlap beyond the capacity.
    Overlap,
    /// A fee was refunded physically more than once.
    DoubleRefund,
    /// A device's command log has a gap.
    LedgerGap,
    /// A committed desk command has no outcome (lost write).
    LostWrite,
    /// A rejection did not reach every desk of its store.
    ConflictNotSeen,
    /// A desk's data differs from the server's for its store.
    Divergence,
    /// The simulation could not go on (an unexpected error).
    Error,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub seed: u64,
    pub step: usize,
    pub rule: Rule,
    pub what: String,
    pub log: Vec<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "seed {} broke {:?} at step {}: {}", self.seed, self.rule, self.step, self.what)?;
        writeln!(f, "replay: SIM_SEED={} cargo test -p clinicdesk-sim --test sim -- --nocapture", self.seed)?;
        writeln!(f, "last events:")?;
        for line in self.log.iter().rev().take(60).collect::<Vec<_>>().into_iter().rev() {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// How one run is shaped.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub seed: u64,
    pub steps: usize,
    /// Heal every fault at the end, sync to a fixpoint and check the quiet rules.
    pub quiet: bool,
}

struct Sim {
    /// Virtual time at the start (the simulation books only after it).
    start: DateTime<Utc>,
    rng: ChaCha8Rng,
    _dir: tempfile::TempDir,
    server: Arc<ServerCell>,
    /// The latest backup.
    backup: Option<PathBuf>,
    desks: Vec<Desk>,
    stores: Vec<Id>,
    patients: Vec<Id>,
    /// Appointments this run booked (the overlap rule is checked among those and the rest).
    booked: BTreeSet<Id>,
    doctors: BTreeSet<Id>,
    /// Appointments the patient app booked: (appointment, patient).
    app_booked: Vec<(Id, Id)>,
    /// Every command a desk committed: (desk, mutation id, name).
    committed: Vec<(usize, Id, &'static str)>,
    /// Cash handed back at a desk, per fee (applied `fee.refund_cash@1` effects).
    cash: BTreeMap<Id, u32>,
    slots: HashMap<(Id, NaiveDate), Vec<SlotKey>>,
    log: Vec<String>,
    step: usize,
    report: Report,
}

fn new_id(rng: &mut ChaCha8Rng) -> Id {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

fn id_str(id: Id) -> String {
    id.hyphenated().to_string()
}

fn staff_actor(s: &Staff) -> Actor {
    Actor::Staff { staff_id: s.id, name: s.name.clone(), role: s.role, store_ids: s.store_ids.clone() }
}

/// Runs one seed. Ok: every rule held.
pub async fn run(plan: Plan) -> Result<Report, Failure> {
    let mut sim = match Sim::new(plan.seed).await {
        Ok(sim) => sim,
        Err(what) => return Err(Failure { seed: plan.seed, step: 0, rule: Rule::Error, what, log: Vec::new() }),
    };
    let result = sim.run(plan).await;
    sim.close().await;
    result.map(|()| sim.report.clone()).map_err(|(rule, what)| Failure {
        seed: plan.seed,
        step: sim.step,
        rule,
        what,
        log: std::mem::take(&mut sim.log),
    })
}

type Broke = (Rule, String);

fn err<E: std::fmt::Display>(context: &str) -> impl FnOnce(E) -> Broke + '_ {
    move |e| (Rule::Error, format!("{context}: {e}"))
}

impl Sim {
    async fn new(seed: u64) -> Result<Sim, String> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("server.db");
        std::fs::copy(template(), &path).map_err(|e| e.to_string())?;
        let url = format!("sqlite:{}", path.display());
        let db = Db::connect(&url, 4).await.map_err(|e| e.to_string())?;
        let start = Utc.from_utc_datetime(&today().and_hms_opt(0, 30, 0).unwrap()); // 08:30 in China
        let provider = Arc::new(Provider { sim: SimWeChatPay::new(), transactions: Mutex::new(BTreeSet::new()) });
        let server = Arc::new(ServerCell { url, path, db: Mutex::new(Some(db.clone())), provider, now: Mutex::new(start) });

        let w = &chain().world;
        let mut all_stores: Vec<&Store> = w.stores.values().collect();
        all_stores.sort_by_key(|s| s.code.clone());
        let n_stores = rng.gen_range(1..=4usize.min(all_stores.len()));
        let mut stores = Vec::new();
        while stores.len() < n_stores {
            let s = all_stores[rng.gen_range(0..all_stores.len())].id;
            if !stores.contains(&s) {
                stores.push(s);
            }
        }
        let mut patients: Vec<Id> = w.patients.keys().copied().collect();
        patients.sort();
        patients.truncate(300);

        let sign_ins = Auth::new(Duration::days(180));
        let mut desks = Vec::new();
        for (si, &store_id) in stores.iter().enumerate() {
            let mut staff: Vec<&Staff> =
                w.staff.values().filter(|s| s.role == Role::Receptionist && s.store_ids.contains(&store_id)).collect();
            staff.sort_by_key(|s| s.login.clone());
            let Some(receptionist) = staff.first() else { continue };
            for di in 0..rng.gen_range(1..=3) {
                let desk_id = new_id(&mut rng);
                let req = SignInRequest {
                    tenant: None,
                    login: receptionist.login.clone(),
                    password: clinicdesk_demo::STAFF_PASSWORD.into(),
                    store_id,
                    device_name: format!("前台 {si}-{di}"),
                    desk_id: Some(desk_id),
                };
                let signed = auth::sign_in(&db, &sign_ins, req, start).await.map_err(|e| format!("sign in: {e}"))?;
                let desk_path = dir.path().join(format!("desk-{si}-{di}.sqlite3"));
                let store = open(&desk_path, OpenOptions::default()).await.map_err(|e| e.to_string())?;
                let net = Net {
                    rng: ChaCha8Rng::seed_from_u64(rng.gen()),
                    online: true,
                    p_drop_request: 0.0,
                    p_drop_answer: 0.0,
                    p_duplicate: 0.0,
                    p_delay: 0.0,
                    delayed: Vec::new(),
                    faults: BTreeMap::new(),
                    trace: Vec::new(),
                };
                let link = Link { server: server.clone(), token: signed.token, net: Arc::new(Mutex::new(net)) };
                // The first sync is the store's snapshot; then the desk knows its store.
                let v = clinicdesk_sync::versions(&store, "0.1.0-sim").await.map_err(|e| e.to_string())?;
                sync_once(&store, &link, v, &mut |_| {}).await.map_err(|e| format!("first sync: {e}"))?;
                let device = store.set_up_device(store_id, signed.device_id).await.map_err(|e| e.to_string())?;
                let skew = Duration::minutes(rng.gen_range(-48 * 60..=48 * 60));
                let skew = if rng.gen_bool(0.3) { Duration::zero() } else { skew };
                desks.push(Desk {
                    name: format!("desk{si}.{di}"),
                    store_id,
                    path: desk_path,
                    store,
                    device,
                    actor: staff_actor(receptionist),
                    skew,
                    link,
                    offline_until: None,
                });
            }
        }
        if desks.is_empty() {
            return Err("no store with a receptionist".into());
        }
        // This run's fault odds: some seeds are calm, some stormy.
        let storm: f64 = rng.gen_range(0.0..1.0);
        for d in &desks {
            let mut net = d.link.net.lock().unwrap();
            net.p_drop_request = 0.15 * storm;
            net.p_drop_answer = 0.2 * storm;
            net.p_duplicate = 0.1 * storm;
            net.p_delay = 0.1 * storm;
        }
        let report = Report { seed, stores: stores.len(), desks: desks.len(), ..Report::default() };
        let mut sim = Sim {
            start,
            rng,
            _dir: dir,
            server,
            backup: None,
            desks,
            stores,
            patients,
            booked: BTreeSet::new(),
            doctors: BTreeSet::new(),
            app_booked: Vec::new(),
            committed: Vec::new(),
            cash: BTreeMap::new(),
            slots: HashMap::new(),
            log: Vec::new(),
            step: 0,
            report,
        };
        let topology: Vec<String> = sim.desks.iter().map(|d| format!("{} skew {}m", d.name, d.skew.num_minutes())).collect();
        sim.note(format!("seed {seed}: storm {storm:.2}, {} store(s), desks: {}", sim.stores.len(), topology.join(", ")));
        Ok(sim)
    }

    fn note(&mut self, line: String) {
        let now = self.server.now();
        self.log.push(format!("[{:>4}] {} {line}", self.step, now.format("%m-%d %H:%M")));
    }

    async fn close(&mut self) {
        for d in &self.desks {
            d.store.close().await;
        }
        let db = self.server.db.lock().unwrap().take();
        if let Some(db) = db {
            db.close().await;
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.server.now()
    }

    fn advance(&mut self, by: Duration) {
        *self.server.now.lock().unwrap() += by;
    }

    async fn run(&mut self, plan: Plan) -> Result<(), Broke> {
        let start = self.now();
        self.check_step().await?;
        for step in 1..=plan.steps {
            self.step = step;
            self.one_step().await?;
            self.check_step().await?;
        }
        self.report.steps = plan.steps;
        if plan.quiet {
            self.quiet().await?;
        }
        self.report.virtual_days = (self.now() - start).num_days();
        self.report.committed = self.committed.len();
        self.report.cash_refunds = self.cash.values().map(|n| *n as usize).sum();
        self.report.provider_payouts = self.server.provider.sim.total_payouts();
        if let Some(db) = self.server.db() {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM commands WHERE code = 'slot_conflict'")
                .fetch_one(db.pool())
                .await
                .map_err(err("slot conflicts"))?;
            self.report.slot_conflicts = n as usize;
        }
        for d in &self.desks {
            for (k, v) in &d.link.net.lock().unwrap().faults {
                *self.report.faults.entry(k).or_default() += v;
            }
        }
        Ok(())
    }

    async fn one_step(&mut self) -> Result<(), Broke> {
        // Time passes: minutes mostly, sometimes a night or a weekend.
        let dt = if self.rng.gen_bool(0.03) {
            Duration::hours(self.rng.gen_range(12..72))
        } else {
            Duration::minutes(self.rng.gen_range(1..40))
        };
        self.advance(dt);
        let now = self.now();
        // Outages end.
        for i in 0..self.desks.len() {
            if self.desks[i].offline_until.is_some_and(|t| t <= now) {
                self.desks[i].offline_until = None;
                self.desks[i].link.net.lock().unwrap().online = true;
                let name = self.desks[i].name.clone();
                self.note(format!("{name} back online"));
            }
        }
        let roll: u32 = self.rng.gen_range(0..1000);
        match roll {
            0..=549 => {
                let d = self.rng.gen_range(0..self.desks.len());
                self.desk_command(d).await?;
            }
            550..=799 => {
                let d = self.rng.gen_range(0..self.desks.len());
                self.sync_desk(d).await?;
            }
            800..=879 => self.patient_app().await?,
            880..=919 => {
                let d = self.rng.gen_range(0..self.desks.len());
                self.go_offline(d);
            }
            920..=944 => {
                let d = self.rng.gen_range(0..self.desks.len());
                self.crash_desk(d).await?;
            }
            945..=964 => self.deliver_delayed().await?,
            965..=979 => self.restart_server().await?,
            980..=991 => self.take_backup().await?,
            _ => self.restore_server().await?,
        }
        Ok(())
    }

    fn go_offline(&mut self, d: usize) {
        let kind = self.rng.gen_range(0..10);
        let dur = match kind {
            0..=4 => Duration::minutes(self.rng.gen_range(2..60)),
            5..=7 => Duration::hours(self.rng.gen_range(1..24)),
            8 => Duration::days(self.rng.gen_range(1..7)),
            _ => Duration::days(self.rng.gen_range(7..21)),
        };
        let until = self.now() + dur;
        self.desks[d].offline_until = Some(until);
        self.desks[d].link.net.lock().unwrap().online = false;
        let name = self.desks[d].name.clone();
        self.note(format!("{name} offline for {}m", dur.num_minutes()));
    }

    async fn crash_desk(&mut self, d: usize) -> Result<(), Broke> {
        // The app dies between two transactions and starts again on the same file.
        let path = self.desks[d].path.clone();
        self.desks[d].store.close().await;
        let store = open(&path, OpenOptions::default()).await.map_err(err("reopen a crashed desk"))?;
        let device = store.device().await.map_err(err("device after a crash"))?;
        if device.as_ref() != Some(&self.desks[d].device) {
            return Err((Rule::Error, format!("{} lost its device identity in a crash", self.desks[d].name)));
        }
        self.desks[d].store = store;
        self.report.crashes += 1;
        let name = self.desks[d].name.clone();
        self.note(format!("{name} crashed and restarted"));
        Ok(())
    }

    async fn sync_desk(&mut self, d: usize) -> Result<Option<SyncReport>, Broke> {
        let desk = &self.desks[d];
        let v = clinicdesk_sync::versions(&desk.store, "0.1.0-sim").await.map_err(err("versions"))?;
        let result = sync_once(&desk.store, &desk.link, v, &mut |_| {}).await;
        let name = desk.name.clone();
        let trace = std::mem::take(&mut desk.link.net.lock().unwrap().trace);
        for line in trace {
            self.note(format!("{name}   {line}"));
        }
        match result {
            Ok(r) => {
                self.report.rejected_on_server += r.rejected;
                self.report.conflicts_seen += r.conflicts_new;
                self.note(format!(
                    "{name} synced: pushed {} applied {} rejected {} replayed {} pulled {} conflicts_new {}",
                    r.pushed, r.applied, r.rejected, r.replayed, r.pulled, r.conflicts_new
                ));
                Ok(Some(r))
            }
            Err(e) if e.is_offline() => {
                self.note(format!("{name} sync: offline ({e})"));
                Ok(None)
            }
            Err(e) => Err((Rule::Error, format!("{name} sync failed: {e} [{}]", e.code()))),
        }
    }

    /// Free slots of a store's day in the demo chain (as generated; the simulation's own
    /// bookings make some of them taken, which is the point).
    fn slots_of(&mut self, store_id: Id, day: NaiveDate) -> Vec<SlotKey> {
        self.slots
            .entry((store_id, day))
            .or_insert_with(|| {
                let w = &chain().world;
                let store = &w.stores[&store_id];
                let mut deps: Vec<&Department> = w.departments.values().filter(|d| d.store_id == store_id).collect();
                deps.sort_by_key(|d| d.id);
                let mut out = Vec::new();
                for dep in deps {
                    for (doc, slots) in doctors_with_free_slots(w, store, dep.id, day) {
                        for s in slots {
                            out.push((store_id, dep.id, doc.doctor_id, s.start, s.end));
                        }
                    }
                }
                out
            })
            .clone()
    }

    /// A slot to book in the store: most bookings go to a few hot slots (the first free
    /// slots of the next day), the rest anywhere in the coming week.
    /// A booking of `slot` (desk or patient app), remembered for the invariants.
    fn booking(&mut self, slot: SlotKey, appointment_id: Id, patient_id: Id, source: Source, fee: Option<NewFee>) -> Command {
        let (store_id, department_id, doctor_id, start, end) = slot;
        self.booked.insert(appointment_id);
        self.doctors.insert(doctor_id);
        Command::BookingCreate(BookingCreate {
            appointment_id,
            store_id,
            doctor_id,
            department_id,
            patient_id,
            complaint_id: None,
            start,
            end,
            visit_type: None,
            source,
            fee,
        })
    }

    fn pick_slot(&mut self, store_id: Id) -> Option<SlotKey> {
        let day = (self.now() + Duration::hours(8)).date_naive();
        if self.rng.gen_bool(0.7) {
            let slots = self.slots_of(store_id, day + Duration::days(1));
            let hot = slots.len().min(3);
            (hot > 0).then(|| slots[self.rng.gen_range(0..hot)])
        } else {
            let ahead = self.rng.gen_range(1..8);
            let slots = self.slots_of(store_id, day + Duration::days(ahead));
            (!slots.is_empty()).then(|| slots[self.rng.gen_range(0..slots.len())])
        }
    }

    async fn pick_id(&mut self, d: usize, sql: &str, with_time: bool) -> Result<Option<Id>, Broke> {
        let desk = &self.desks[d];
        let mut q = sqlx::query_as::<_, (String,)>(sql).bind(id_str(desk.store_id));
        if with_time {
            let local = self.now() + desk.skew;
            q = q.bind((local - Duration::days(1)).timestamp()).bind((local + Duration::days(2)).timestamp());
        }
        let rows = q.fetch_all(desk.store.pool()).await.map_err(err("desk query"))?;
        if rows.is_empty() {
            return Ok(None);
        }
        let pick = &rows[self.rng.gen_range(0..rows.len())].0;
        Ok(Some(pick.parse().map_err(err("id"))?))
    }

    async fn desk_command(&mut self, d: usize) -> Result<(), Broke> {
        let store_id = self.desks[d].store_id;
        let roll = self.rng.gen_range(0..100);
        let command = match roll {
            0..=39 => {
                let Some(slot) = self.pick_slot(store_id) else { return Ok(()) };
                let appointment_id = new_id(&mut self.rng);
                let patient_id = self.patients[self.rng.gen_range(0..self.patients.len())];
                let fee = match self.rng.gen_range(0..10) {
                    0..=3 => Some(NewFee { fee_id: new_id(&mut self.rng), amount: 2_500, paid_with: None }),
                    4..=5 => Some(NewFee { fee_id: new_id(&mut self.rng), amount: 3_000, paid_with: Some(PayMethod::Cash) }),
                    _ => None,
                };
                self.booking(slot, appointment_id, patient_id, Source::Desk, fee)
            }
            40..=51 => {
                let sql = "SELECT id FROM appointments WHERE store_id = ? AND state = 'confirmed' AND start_ts BETWEEN ? AND ? ORDER BY id";
                let Some(id) = self.pick_id(d, sql, true).await? else { return Ok(()) };
                Command::CheckIn(AppointmentRef { appointment_id: id })
            }
            52..=56 => {
                let sql = "SELECT id FROM appointments WHERE store_id = ? AND state = 'pending' ORDER BY id";
                let Some(id) = self.pick_id(d, sql, false).await? else { return Ok(()) };
                Command::Confirm(AppointmentRef { appointment_id: id })
            }
            57..=71 => {
                let sql = "SELECT f.id FROM fees f JOIN appointments a ON a.id = f.appointment_id
                           WHERE f.store_id = ? AND f.status = 'pending' AND a.state IN ('pending', 'confirmed', 'checked_in') ORDER BY f.id";
                let Some(fee_id) = self.pick_id(d, sql, false).await? else { return Ok(()) };
                Command::FeeCharge(FeeCharge { fee_id, method: PayMethod::Cash })
            }
            72..=83 => {
                // Every desk tries; a fee taken at another desk is refused there (`refund_at_collecting_desk`,
                // bug A's fix), and so is a fee paid before that rule (the demo's): the server gave those to
                // the store's first desk to sign in (`fee.assign_refund_desk@1`).
                let sql = "SELECT id FROM fees WHERE store_id = ? AND status = 'charged' AND authority_kind = 'desk'
                           AND id NOT IN (SELECT fee_id FROM refunds) ORDER BY id";
                let Some(fee_id) = self.pick_id(d, sql, false).await? else { return Ok(()) };
                Command::RefundCash(RefundArgs { refund_id: new_id(&mut self.rng), fee_id, reason: "患者要求退费".into() })
            }
            _ => {
                let sql = "SELECT id FROM appointments WHERE store_id = ? AND state IN ('pending', 'confirmed') AND start_ts BETWEEN ? AND ? ORDER BY id";
                let Some(id) = self.pick_id(d, sql, true).await? else { return Ok(()) };
                Command::Cancel(WithReason { appointment_id: id, reason: String::new() })
            }
        };
        let desk = &self.desks[d];
        let local_now = self.now() + desk.skew;
        let name = desk.name.clone();
        match desk.store.execute(&desk.device, &desk.actor, &command, local_now).await {
            Ok(done) => {
                for c in &done.effects.changes {
                    if let FxChange::Refund(r) = c {
                        if r.kind == RefundKind::DeskCash {
                            // The receptionist hands the cash back now.
                            *self.cash.entry(r.fee_id).or_default() += 1;
                        }
                    }
                }
                self.committed.push((d, done.mutation_id, command.name()));
                self.note(format!("{name} ran {} #{} {}", command.name(), done.device_seq, brief(&command)));
            }
            Err(e) => {
                self.report.refused_locally += 1;
                self.note(format!("{name} refused {} {}: {}", command.name(), brief(&command), e.code()));
            }
        }
        Ok(())
    }

    /// The patient app: books a hot slot (paid online) or cancels one of its bookings,
    /// straight at the server; nothing when the server is down.
    async fn patient_app(&mut self) -> Result<(), Broke> {
        let Some(db) = self.server.db() else { return Ok(()) };
        let now = self.now();
        let w = &chain().world;
        let cancel = !self.app_booked.is_empty() && self.rng.gen_bool(0.5);
        let (command, patient_id) = if cancel {
            let (appointment_id, patient_id) = self.app_booked[self.rng.gen_range(0..self.app_booked.len())];
            // The store's policy picks the command, as the patient API does.
            let appt_store = {
                let mut conn = db.pool().acquire().await.map_err(err("server"))?;
                let row: Option<(Option<String>,)> = sqlx::query_as("SELECT store_id FROM entities WHERE kind = 'appointment' AND id = $1")
                    .bind(id_str(appointment_id))
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(err("server"))?;
                row.and_then(|r| r.0).and_then(|s| s.parse::<Id>().ok())
            };
            let Some(store) = appt_store.and_then(|s| w.stores.get(&s)) else { return Ok(()) };
            let command = match store.settings.cancellation_policy {
                CancellationPolicy::RequestOnly => {
                    Command::RequestCreate(RequestCreate { request_id: new_id(&mut self.rng), appointment_id, reason: "有事".into() })
                }
                _ => Command::PatientCancel(WithReason { appointment_id, reason: "有事".into() }),
            };
            (command, patient_id)
        } else {
            // Mostly where patients may cancel themselves (their online payment is then
            // refunded through the provider).
            let direct: Vec<Id> = self
                .stores
                .iter()
                .copied()
                .filter(|s| w.stores[s].settings.cancellation_policy == CancellationPolicy::DirectBeforeCheckIn)
                .collect();
            let store_id = if !direct.is_empty() && self.rng.gen_bool(0.7) {
                direct[self.rng.gen_range(0..direct.len())]
            } else {
                self.stores[self.rng.gen_range(0..self.stores.len())]
            };
            let Some(slot) = self.pick_slot(store_id) else { return Ok(()) };
            let appointment_id = new_id(&mut self.rng);
            let patient_id = self.patients[self.rng.gen_range(0..self.patients.len())];
            let fee = self.rng.gen_bool(0.6).then(|| NewFee {
                fee_id: new_id(&mut self.rng),
                amount: 3_000,
                paid_with: Some(PayMethod::WechatApp),
            });
            (self.booking(slot, appointment_id, patient_id, Source::PatientApp, fee), patient_id)
        };
        let who = Principal {
            tenant_id: w.stores[&self.stores[0]].tenant_id,
            device_id: "patient-app:sim".into(),
            store_id: None,
            actor: Actor::Patient { patient_id },
            actor_id: format!("patient:{}", id_str(patient_id)),
            desk: None,
        };
        let sub = Submission::live(command.clone(), new_id(&mut self.rng), None);
        let provider: &dyn PaymentProvider = self.server.provider.as_ref();
        let mut outcome = apply::apply_and_pay(&db, provider, &who, &sub, Lang::En, now).await;
        if self.rng.gen_bool(0.15) {
            // The app did not get the answer and sends the same request again.
            outcome = apply::apply_and_pay(&db, provider, &who, &sub, Lang::En, now).await;
        }
        self.report.patient_commands += 1;
        match outcome {
            Ok((o, refunds)) => {
                if let (Command::BookingCreate(b), apply::OutcomeKind::Applied | apply::OutcomeKind::AppliedWithWarning) =
                    (&command, o.outcome)
                {
                    self.app_booked.push((b.appointment_id, patient_id));
                }
                self.note(format!(
                    "patient app {} {}: {:?} {} refunds {}",
                    command.name(),
                    brief(&command),
                    o.outcome,
                    o.code.unwrap_or_default(),
                    refunds.len()
                ));
            }
            Err(e) => self.note(format!("patient app {} {}: error {}", command.name(), brief(&command), e.code())),
        }
        Ok(())
    }

    async fn deliver_delayed(&mut self) -> Result<(), Broke> {
        let d = self.rng.gen_range(0..self.desks.len());
        let req = {
            let mut guard = self.desks[d].link.net.lock().unwrap();
            let net = &mut *guard;
            if net.delayed.is_empty() {
                return Ok(());
            }
            let i = net.rng.gen_range(0..net.delayed.len());
            net.delayed.remove(i)
        };
        let Some(db) = self.server.db() else { return Ok(()) };
        let now = self.now();
        let device = auth::authenticate(&db, &self.desks[d].link.token, now).await.map_err(err("authenticate"))?;
        let provider: &dyn PaymentProvider = self.server.provider.as_ref();
        let seqs = req.commands.first().map(|c| c.device_seq).zip(req.commands.last().map(|c| c.device_seq));
        let answer = clinicdesk_server::sync::push(&db, provider, &device, req, Lang::En, now).await;
        let name = self.desks[d].name.clone();
        // Nobody is waiting for this answer any more.
        self.note(format!(
            "a delayed push of {name} {seqs:?} arrived: {}",
            match answer {
                Ok(r) => format!("{} results, {} replayed", r.results.len(), r.results.iter().filter(|x| x.replayed).count()),
                Err(e) => format!("refused {}", e.code()),
            }
        ));
        Ok(())
    }

    async fn server_down(&mut self) {
        let db = self.server.db.lock().unwrap().take();
        if let Some(db) = db {
            db.close().await;
        }
    }

    async fn server_up(&mut self) -> Result<(), Broke> {
        let db = Db::connect(&self.server.url, 4).await.map_err(err("reopen the server"))?;
        // At start the server sends refunds a crash left unsent (App::reconcile_refunds).
        let provider: &dyn PaymentProvider = self.server.provider.as_ref();
        pay::resend_pending(&db, provider).await.map_err(err("resend pending refunds"))?;
        pay::refresh_processing(&db, provider).await.map_err(err("refresh refunds"))?;
        self.server.db.lock().unwrap().replace(db);
        Ok(())
    }

    async fn restart_server(&mut self) -> Result<(), Broke> {
        self.server_down().await;
        self.server_up().await?;
        self.report.server_restarts += 1;
        self.note("the server restarted".into());
        Ok(())
    }

    async fn take_backup(&mut self) -> Result<(), Broke> {
        let Some(db) = self.server.db() else { return Ok(()) };
        let path = self.server.path.with_file_name(format!("backup-{}.db", self.step));
        sqlx::query(&format!("VACUUM INTO '{}'", path.display())).execute(db.pool()).await.map_err(err("backup"))?;
        self.backup = Some(path);
        self.note("the server was backed up".into());
        Ok(())
    }

    async fn restore_server(&mut self) -> Result<(), Broke> {
        let Some(backup) = self.backup.clone() else { return Ok(()) };
        self.server_down().await;
        let file = self.server.path.clone();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
        std::fs::copy(&backup, &file).map_err(err("restore"))?;
        // Half the restores keep the epoch (a file copied back by hand): desks notice those by
        // their cursor's commit mark. A backup may be restored more than once.
        let new_epoch = self.rng.gen_bool(0.5);
        if new_epoch {
            let db = Db::connect(&self.server.url, 1).await.map_err(err("restore"))?;
            sqlx::query("UPDATE server_meta SET value = $1 WHERE key = 'epoch'")
                .bind(format!("restored-{}", self.step))
                .execute(db.pool())
                .await
                .map_err(err("new epoch"))?;
            db.close().await;
        }
        self.server_up().await?;
        self.report.restores += 1;
        let from = backup.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default();
        self.note(format!("the server was restored from {from} ({})", if new_epoch { "new epoch" } else { "same epoch" }));
        Ok(())
    }

    // ------------------------------------------------------------------ the rules

    async fn check_step(&mut self) -> Result<(), Broke> {
        // Physical refunds: cash handed back at desks, payouts made by the provider.
        for (fee, n) in &self.cash {
            if *n > 1 {
                return Err((Rule::DoubleRefund, format!("fee {fee}: cash handed back {n} times at desks")));
            }
        }
        self.server.provider.sim.settle();
        let txs: Vec<String> = self.server.provider.transactions.lock().unwrap().iter().cloned().collect();
        for tx in txs {
            let n = self.server.provider.sim.payouts(&tx);
            if n > 1 {
                return Err((Rule::DoubleRefund, format!("payment {tx}: the provider paid out {n} refunds")));
            }
        }
        let Some(db) = self.server.db() else { return Ok(()) };
        let mut conn = db.pool().acquire().await.map_err(err("server"))?;
        // Each device's log is 1..n without gaps.
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT device_id, COUNT(*), MIN(device_seq), MAX(device_seq) FROM commands WHERE device_seq IS NOT NULL GROUP BY device_id ORDER BY device_id",
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(err("ledger"))?;
        for (device, count, min, max) in rows {
            if min != 1 || max != count {
                return Err((Rule::LedgerGap, format!("device {device}: {count} commands with device_seq {min}..{max}")));
            }
        }
        // No overlap beyond capacity among active appointments of the doctors booked.
        let w = &chain().world;
        for doctor in &self.doctors {
            let rows: Vec<(String,)> =
                sqlx::query_as("SELECT data FROM entities WHERE kind = 'appointment' AND ref_id = $1 AND end_ts > $2")
                    .bind(id_str(*doctor))
                    .bind(self.start.timestamp())
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(err("appointments"))?;
            let mut active: Vec<Appointment> = Vec::new();
            for (data,) in rows {
                let a: Appointment = serde_json::from_str(&data).map_err(err("appointment json"))?;
                if a.state.is_active() {
                    active.push(a);
                }
            }
            for a in &active {
                if !self.booked.contains(&a.id) {
                    continue;
                }
                let cap = w.stores.get(&a.store_id).map_or(1, |s| s.settings.capacity_per_slot.max(1)) as usize;
                let overlapping: Vec<&Appointment> = active.iter().filter(|b| b.start < a.end && b.end > a.start).collect();
                // Those holding the instant `a` starts at (a sweep point) must fit the capacity.
                let at_start = overlapping.iter().filter(|b| b.start <= a.start).count();
                if at_start > cap {
                    let ids: Vec<String> = overlapping.iter().map(|b| format!("{} {}..{} {:?}", b.id, b.start, b.end, b.state)).collect();
                    return Err((Rule::Overlap, format!("doctor {doctor} (capacity {cap}): {}", ids.join("; "))));
                }
            }
        }
        Ok(())
    }

    /// Heals every fault, syncs every desk to a fixpoint, then checks the quiet rules.
    async fn quiet(&mut self) -> Result<(), Broke> {
        self.step += 1;
        self.note("quiet: faults healed".into());
        if self.server.db().is_none() {
            self.server_up().await?;
        }
        for d in &mut self.desks {
            d.offline_until = None;
            let mut net = d.link.net.lock().unwrap();
            net.online = true;
            net.p_drop_request = 0.0;
            net.p_drop_answer = 0.0;
            net.p_duplicate = 0.0;
            net.p_delay = 0.0;
            net.delayed.clear();
        }
        let mut fixpoint = false;
        for round in 1..=5 {
            self.advance(Duration::minutes(1));
            let mut busy = false;
            for d in 0..self.desks.len() {
                let r = self.sync_desk(d).await?.ok_or((Rule::Error, "a desk is offline after healing".to_string()))?;
                busy |= r.pushed > 0 || r.pulled > 0;
            }
            self.report.quiet_rounds = round;
            if !busy {
                fixpoint = true;
                break;
            }
        }
        if !fixpoint {
            return Err((Rule::Divergence, "sync did not reach a fixpoint in 5 rounds".into()));
        }
        self.check_quiet().await
    }

    async fn check_quiet(&mut self) -> Result<(), Broke> {
        let db = self.server.db().expect("the server is up");
        let mut conn = db.pool().acquire().await.map_err(err("server"))?;
        // No lost write: every committed desk command has an outcome on the server and at the desk.
        let logged: Vec<(String, String, String)> =
            sqlx::query_as("SELECT mutation_id, device_id, outcome FROM commands").fetch_all(&mut *conn).await.map_err(err("commands"))?;
        let logged: HashMap<String, (String, String)> = logged.into_iter().map(|(m, d, o)| (m, (d, o))).collect();
        for (d, mutation, name) in &self.committed {
            let desk = &self.desks[*d];
            match logged.get(&id_str(*mutation)) {
                None => {
                    return Err((Rule::LostWrite, format!("{} committed {name} {mutation}: the server has no outcome for it", desk.name)));
                }
                Some((device, _)) if *device != id_str(desk.device.device_id) => {
                    return Err((Rule::LostWrite, format!("{name} {mutation} of {} is logged under device {device}", desk.name)));
                }
                _ => {}
            }
        }
        for desk in &self.desks {
            let pending = desk.store.pending_count().await.map_err(err("pending"))?;
            if pending > 0 {
                return Err((Rule::LostWrite, format!("{} still has {pending} commands without an outcome", desk.name)));
            }
            // The desk's recorded outcome is the server's.
            for row in desk.store.outbox().await.map_err(err("outbox"))? {
                let server = logged.get(&id_str(row.mutation_id)).map(|x| x.1.as_str()).unwrap_or("none");
                if row.status != server {
                    return Err((
                        Rule::Divergence,
                        format!("{}: {} #{} is {} at the desk, {server} on the server", desk.name, row.name, row.device_seq, row.status),
                    ));
                }
            }
        }
        // Every rejection is a conflict on every desk of its store.
        let conflicts: Vec<(String, Option<String>, i64)> =
            sqlx::query_as("SELECT id, store_id, server_seq FROM entities WHERE kind = 'conflict'")
                .fetch_all(&mut *conn)
                .await
                .map_err(err("conflicts"))?;
        let conflict_ids: BTreeSet<&str> = conflicts.iter().map(|c| c.0.as_str()).collect();
        for (mutation, (device, outcome)) in &logged {
            if outcome != "rejected" {
                continue;
            }
            if self.desks.iter().any(|d| id_str(d.device.device_id) == *device) && !conflict_ids.contains(mutation.as_str()) {
                return Err((Rule::ConflictNotSeen, format!("rejected command {mutation} of device {device} has no conflict record")));
            }
        }
        for desk in &self.desks {
            let on_desk: Vec<(String,)> =
                sqlx::query_as("SELECT id FROM conflicts").fetch_all(desk.store.pool()).await.map_err(err("desk conflicts"))?;
            let on_desk: BTreeSet<String> = on_desk.into_iter().map(|r| r.0).collect();
            for (id, store, seq) in &conflicts {
                if store.as_deref() == Some(id_str(desk.store_id).as_str()) && !on_desk.contains(id) {
                    let meta = desk.store.sync_meta().await.map_err(err("sync meta"))?;
                    return Err((
                        Rule::ConflictNotSeen,
                        format!(
                            "conflict {id} (server_seq {seq}) is not on {} (its epoch {:?}, cursor {:?})",
                            desk.name,
                            meta.epoch,
                            meta.cursor.map(|c| c.server_seq)
                        ),
                    ));
                }
            }
        }
        // Convergence: appointments, fees and refunds of the store.
        for desk in &self.desks {
            let store = id_str(desk.store_id);
            let mut server: BTreeMap<String, String> = BTreeMap::new();
            let mut seqs: BTreeMap<String, i64> = BTreeMap::new();
            let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
                "SELECT kind, id, data, server_seq FROM entities WHERE store_id = $1 AND kind IN ('appointment', 'fee', 'refund')",
            )
            .bind(&store)
            .fetch_all(&mut *conn)
            .await
            .map_err(err("server rows"))?;
            for (kind, id, data, seq) in rows {
                seqs.insert(format!("{kind} {id}"), seq);
                let line = match kind.as_str() {
                    "appointment" => {
                        let a: Appointment = serde_json::from_str(&data).map_err(err("appointment"))?;
                        format!(
                            "{} {} {} {} fee {}",
                            a.state.as_str(),
                            id_str(a.doctor_id),
                            a.start.timestamp(),
                            a.end.timestamp(),
                            a.fee_id.map(id_str).unwrap_or_default()
                        )
                    }
                    "fee" => {
                        let f: Fee = serde_json::from_str(&data).map_err(err("fee"))?;
                        serde_json::to_value(f.status).unwrap().as_str().unwrap_or_default().to_string()
                    }
                    _ => {
                        let r: Refund = serde_json::from_str(&data).map_err(err("refund"))?;
                        format!("fee {}", id_str(r.fee_id))
                    }
                };
                server.insert(format!("{kind} {id}"), line);
            }
            let mut local: BTreeMap<String, String> = BTreeMap::new();
            let pool = desk.store.pool();
            let appts: Vec<(String, String, String, i64, i64, Option<String>)> =
                sqlx::query_as("SELECT id, state, doctor_id, start_ts, end_ts, fee_id FROM appointments WHERE store_id = ?")
                    .bind(&store)
                    .fetch_all(pool)
                    .await
                    .map_err(err("desk appointments"))?;
            for (id, state, doctor, start, end, fee) in appts {
                local.insert(format!("appointment {id}"), format!("{state} {doctor} {start} {end} fee {}", fee.unwrap_or_default()));
            }
            let fees: Vec<(String, String)> = sqlx::query_as("SELECT id, status FROM fees WHERE store_id = ?")
                .bind(&store)
                .fetch_all(pool)
                .await
                .map_err(err("desk fees"))?;
            for (id, status) in fees {
                local.insert(format!("fee {id}"), status);
            }
            let refunds: Vec<(String, String)> =
                sqlx::query_as("SELECT r.id, r.fee_id FROM refunds r JOIN fees f ON f.id = r.fee_id WHERE f.store_id = ?")
                    .bind(&store)
                    .fetch_all(pool)
                    .await
                    .map_err(err("desk refunds"))?;
            for (id, fee) in refunds {
                local.insert(format!("refund {id}"), format!("fee {fee}"));
            }
            // A rejected command keeps its rows at the desk (marked attention) until its
            // conflict is resolved: those may differ.
            let held: Vec<(String, String)> = sqlx::query_as(
                "SELECT r.kind, r.id FROM outbox_rows r JOIN outbox o ON o.device_seq = r.device_seq
                 WHERE o.status = 'rejected' AND o.resolved_at IS NULL",
            )
            .fetch_all(pool)
            .await
            .map_err(err("held rows"))?;
            let held: BTreeSet<String> = held.into_iter().map(|(k, id)| format!("{k} {id}")).collect();
            let keys: BTreeSet<&String> = server.keys().chain(local.keys()).collect();
            let mut diffs = Vec::new();
            for k in keys {
                if held.contains(k) {
                    continue;
                }
                if server.get(k) != local.get(k) {
                    let at = seqs.get(k).map(|q| format!(" (server_seq {q})")).unwrap_or_default();
                    diffs.push(format!("{k}{at}: server {:?}, desk {:?}", server.get(k), local.get(k)));
                }
            }
            if !diffs.is_empty() {
                let n = diffs.len();
                diffs.truncate(8);
                let meta = desk.store.sync_meta().await.map_err(err("sync meta"))?;
                let epoch = db.epoch().await.map_err(err("epoch"))?;
                return Err((
                    Rule::Divergence,
                    format!(
                        "{} differs from the server in {n} rows (desk epoch {:?} cursor {:?}, server epoch {epoch}): {}",
                        desk.name,
                        meta.epoch,
                        meta.cursor.map(|c| c.server_seq),
                        diffs.join("; ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A short description of a command for the event log.
fn brief(c: &Command) -> String {
    let short = |id: Id| id.simple().to_string()[..8].to_string();
    match c {
        Command::BookingCreate(b) => format!(
            "appt {} doctor {} {} fee {}",
            short(b.appointment_id),
            short(b.doctor_id),
            b.start.format("%m-%d %H:%M"),
            b.fee.as_ref().map(|f| format!("{} {:?}", short(f.fee_id), f.paid_with)).unwrap_or_else(|| "-".into())
        ),
        Command::CheckIn(a) | Command::Confirm(a) => format!("appt {}", short(a.appointment_id)),
        Command::Cancel(a) | Command::PatientCancel(a) => format!("appt {}", short(a.appointment_id)),
        Command::RequestCreate(r) => format!("appt {}", short(r.appointment_id)),
        Command::FeeCharge(f) => format!("fee {}", short(f.fee_id)),
        Command::RefundCash(r) => format!("fee {} refund {}", short(r.fee_id), short(r.refund_id)),
        _ => String::new(),
    }
}
