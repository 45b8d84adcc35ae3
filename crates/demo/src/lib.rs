//! A deterministic (seeded) generator of a realistic demo clinic chain, used by the app on
//! first start, by tests and by benchmarks.
//!
//! [`generate`] builds the chain 悦康口腔眼科连锁: three stores in Asia/Shanghai (dental
//! BJ01, optometry BJ02, mixed BJ03 with dentistry, optometry and 中医推拿), 25 doctors,
//! staff, 2,000 patients with guardians, six months of past and one month of future
//! schedules and appointments with fees, refunds, history and cancellation requests, and
//! the eye-health records of about 300 children. [`big_store_day`] builds one crowded
//! store day for the board benchmark.
//!
//! The chain is a snapshot at [`DemoChain::as_of`] (today 10:30): past visits are completed,
//! no-shows or cancelled, this morning's are done, some patients wait, later ones are
//! confirmed or pending. Stores open Monday to Saturday, and some doctors take Sunday duty
//! so no day of the week shows an empty board.
//!
//! Invariants: no IO, no clock, no thread-local randomness. Every random choice comes from
//! ChaCha8 streams seeded with the configured seed, every id from the same streams, and
//! "today" is an argument, so the same configuration gives the same chain everywhere.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use clinicdesk_domain::eye::{Correction, EyeExam};
use clinicdesk_domain::model::{HistoryEntry, Id, Patient, Sex};
use clinicdesk_domain::world::World;
use rand::Rng as _;
use serde::Serialize;

mod calendar;
mod eyes;
mod names;
mod org;
mod people;
mod rng;

use rng::{new_id, stream, streams};

/// The demo password of every staff login.
pub const STAFF_PASSWORD: &str = "demo1234";

/// Days of history before today, and days of bookings after it.
pub const PAST_DAYS: i64 = 183;
pub const FUTURE_DAYS: i64 = 30;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoConfig {
    pub seed: u64,
    /// 1.0 = the demo chain; scales patients, appointments and eye records (the
    /// organisation stays the same). Negative or non-finite values count as 0.
    pub size: f64,
    /// The clinic's "today" (Asia/Shanghai).
    pub today: NaiveDate,
}

impl DemoConfig {
    /// The demo chain at its normal size.
    pub fn new(seed: u64, today: NaiveDate) -> Self {
        DemoConfig { seed, size: 1.0, today }
    }
}

/// A generated chain: the world, its appointment history and the eye-health records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoChain {
    pub world: World,
    /// Per appointment a "booked" line and one per later change, in time order.
    pub history: Vec<HistoryEntry>,
    pub exams: Vec<EyeExam>,
    /// Current optical correction, by patient.
    pub corrections: BTreeMap<Id, Correction>,
    /// The demo password of every staff login ("demo1234").
    pub staff_password: &'static str,
    /// The moment the data describes: today at 10:30 in the stores' time zone for
    /// [`generate`] (morning visits done, later ones still to come), 12:00 for
    /// [`big_store_day`]. Nothing in the chain happens after it.
    pub as_of: DateTime<Utc>,
}

fn local_instant(today: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    clinicdesk_domain::slots::to_utc(clinicdesk_domain::slots::DEFAULT_TZ, today, org::t(hour, minute))
}

/// Generates the demo chain (deterministic for a given configuration).
pub fn generate(cfg: &DemoConfig) -> DemoChain {
    let size = if cfg.size.is_finite() { cfg.size.max(0.0) } else { 0.0 };
    let today = cfg.today;
    let as_of = local_instant(today, 10, 30);
    let mut world = World::default();

    let org = org::build(&mut stream(cfg.seed, streams::ORG), &mut world);
    let count = (2000.0 * size).round() as usize;
    let patients = people::build(&mut stream(cfg.seed, streams::PEOPLE), &mut world, &org, count, today);
    let eyes = eyes::build(&mut stream(cfg.seed, streams::EYES), &org, &patients, today, size);

    let mut rng = stream(cfg.seed, streams::SCHEDULES);
    let first = today - Duration::days(PAST_DAYS);
    let last = today + Duration::days(FUTURE_DAYS);
    let mut sheets = calendar::schedules(&mut rng, &org, &mut world, first, last);
    calendar::blocks(&mut rng, &org, &mut world, &mut sheets, today);

    let pools = calendar::pools(&org, &patients, &eyes.corrections, today);
    let mut rng = stream(cfg.seed, streams::APPOINTMENTS);
    let skels = calendar::fill(&mut rng, &org, &mut sheets, &pools, today, size);
    let mut book = calendar::Book::new(&org, as_of, today, patients.len());
    book.run(&mut rng, &sheets, skels, &patients);
    book.requests(&mut stream(cfg.seed, streams::REQUESTS));
    let history = book.finish(&mut world);

    DemoChain { world, history, exams: eyes.exams, corrections: eyes.corrections, staff_password: STAFF_PASSWORD, as_of }
}

/// A store with `doctors` doctors each with `per_doctor` appointments on `date` (for the
/// 60×40 board benchmark), deterministic.
///
/// Every doctor works 08:00–18:00 in 15-minute slots (40 slots); with more than 40
/// appointments per doctor the slots get shorter (down to one minute, the day running up
/// to 23:00), so appointments never overlap. Panics if `per_doctor` exceeds 900. The
/// chain is described as of 12:00 on `date`; `exams` and `corrections` are empty.
pub fn big_store_day(seed: u64, doctors: usize, per_doctor: usize, date: NaiveDate) -> DemoChain {
    assert!(per_doctor <= 900, "at most 900 appointments per doctor fit in one day");
    let mut rng = stream(seed, streams::BIG);
    let mut world = World::default();
    let org = org::build_big(&mut rng, &mut world, doctors);

    // per_doctor × slot ≤ max(600, per_doctor) ≤ 900 minutes: the day ends by 23:00.
    let slot_minutes: u16 = if per_doctor <= 40 { 15 } else { (600 / per_doctor).max(1) as u16 };
    let day_minutes = (per_doctor * usize::from(slot_minutes)).max(600) as i64;
    let start = org::t(8, 0);
    let end = start + Duration::minutes(day_minutes);

    let total = doctors * per_doctor;
    let mut patients = Vec::with_capacity(total);
    let mut phones = std::collections::HashSet::new();
    for _ in 0..total.max(1) {
        let sex = if rng.gen_bool(0.5) { Sex::Female } else { Sex::Male };
        let birth = people::birth_date(&mut rng, date, (18, 70));
        let name = names::full_name(&mut rng, sex, chrono::Datelike::year(&birth));
        let id = new_id(&mut rng);
        world.patients.insert(
            id,
            Patient {
                id,
                tenant_id: org.tenant_id,
                name,
                sex,
                birth_date: birth,
                phone: names::phone(&mut rng, &mut phones),
                guardian_ids: Vec::new(),
                channel_code: None,
                consultant_id: None,
            },
        );
        patients.push(people::PatientInfo { id, sex, birth, segment: people::Segment::AdultDental, home: 0, activity: 1.0 });
    }

    let mut sheets: Vec<calendar::Sheet> = (0..doctors)
        .map(|d| {
            let id = new_id(&mut rng);
            let depts = org.doctors[d].workplaces[0].depts.clone();
            calendar::make_sheet(&org, &mut world, id, (0, d, depts), date, &[(start, end)], slot_minutes)
        })
        .collect();
    let skels = calendar::fill_exact(&mut rng, &mut sheets, per_doctor, patients.len());
    let as_of = local_instant(date, 12, 0);
    let mut book = calendar::Book::new(&org, as_of, date, patients.len());
    book.run(&mut rng, &sheets, skels, &patients);
    let history = book.finish(&mut world);
    DemoChain { world, history, exams: Vec::new(), corrections: BTreeMap::new(), staff_password: STAFF_PASSWORD, as_of }
}
