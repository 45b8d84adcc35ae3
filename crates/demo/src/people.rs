//! Patients, their guardians and channel codes.

use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveDate};
use clinicdesk_domain::model::{Guardian, Id, Patient, Sex};
use clinicdesk_domain::recall::age_years;
use clinicdesk_domain::world::World;
use rand::Rng as _;

use crate::names;
use crate::org::{Org, CHANNELS};
use crate::rng::{chance, new_id, weighted, Rng};

/// Who a patient is to the clinic: decides age, home store and departments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Children followed for myopia, with eye exams (optometry and mixed store).
    EyeCohort,
    OptoKid,
    DentalKid,
    AdultOpto,
    AdultDental,
    AdultTuina,
}

struct SegmentSpec {
    segment: Segment,
    /// Share of all patients, per thousand.
    share: u32,
    ages: (u32, u32),
    homes: &'static [(usize, u32)],
}

const SEGMENTS: [SegmentSpec; 6] = [
    SegmentSpec { segment: Segment::EyeCohort, share: 150, ages: (7, 16), homes: &[(1, 65), (2, 35)] },
    SegmentSpec { segment: Segment::OptoKid, share: 150, ages: (4, 17), homes: &[(1, 65), (2, 35)] },
    SegmentSpec { segment: Segment::DentalKid, share: 120, ages: (4, 15), homes: &[(0, 70), (2, 30)] },
    SegmentSpec { segment: Segment::AdultOpto, share: 120, ages: (18, 45), homes: &[(1, 70), (2, 30)] },
    SegmentSpec { segment: Segment::AdultDental, share: 360, ages: (18, 78), homes: &[(0, 65), (2, 35)] },
    SegmentSpec { segment: Segment::AdultTuina, share: 100, ages: (28, 75), homes: &[(2, 100)] },
];

pub(crate) struct PatientInfo {
    pub id: Id,
    pub sex: Sex,
    pub birth: NaiveDate,
    pub segment: Segment,
    pub home: usize,
    /// How often the patient books, relative to others.
    pub activity: f64,
}

impl PatientInfo {
    pub fn age(&self, today: NaiveDate) -> u32 {
        age_years(self.birth, today)
    }
}

/// A birth date giving an age in `ages` (completed years) on `today`.
pub(crate) fn birth_date(rng: &mut Rng, today: NaiveDate, ages: (u32, u32)) -> NaiveDate {
    let years = rng.gen_range(ages.0..=ages.1) as i32;
    let anchor = NaiveDate::from_ymd_opt(today.year() - years, today.month(), today.day().min(28)).expect("valid date");
    // Somewhere in the year before the birthday that makes `years` today.
    anchor - Duration::days(rng.gen_range(0..365))
}

/// Generates `count` patients (with guardians for children) into `world`.
pub(crate) fn build(rng: &mut Rng, world: &mut World, org: &Org, count: usize, today: NaiveDate) -> Vec<PatientInfo> {
    let mut counts: Vec<usize> = SEGMENTS.iter().map(|s| count * s.share as usize / 1000).collect();
    let assigned: usize = counts.iter().sum();
    counts[4] += count - assigned;

    let mut phones = HashSet::new();
    let mut out = Vec::with_capacity(count);
    for (spec, n) in SEGMENTS.iter().zip(counts) {
        // The family the previous child belongs to: guardian, surname, home store, children.
        let mut family: Option<(Id, String, usize, usize)> = None;
        for _ in 0..n {
            let sex = if chance(rng, 0.5) { Sex::Female } else { Sex::Male };
            let birth = birth_date(rng, today, spec.ages);
            let home = weighted(rng, spec.homes);
            let child = age_years(birth, today) < 18;
            let (name, phone, guardian) = if child {
                let sibling = family.as_ref().is_some_and(|f| f.2 == home && f.3 < 3) && chance(rng, 0.22);
                if !sibling {
                    let father_surname = names::surname(rng).to_string();
                    let parent_year = birth.year() - rng.gen_range(25..=38);
                    // The father (whose surname the child has) or the mother brings the child.
                    let gname = if chance(rng, 0.55) {
                        format!("{father_surname}{}", names::given_name(rng, Sex::Male, parent_year))
                    } else {
                        names::full_name(rng, Sex::Female, parent_year)
                    };
                    let gid = new_id(rng);
                    let gphone = names::phone(rng, &mut phones);
                    world.guardians.insert(gid, Guardian { id: gid, tenant_id: org.tenant_id, name: gname, phone: gphone });
                    family = Some((gid, father_surname, home, 0));
                }
                let f = family.as_mut().expect("a family");
                f.3 += 1;
                let name = format!("{}{}", f.1, names::given_name(rng, sex, birth.year()));
                let phone = world.guardians[&f.0].phone.clone();
                (name, phone, Some(f.0))
            } else {
                (names::full_name(rng, sex, birth.year()), names::phone(rng, &mut phones), None)
            };
            let (channel_code, consultant_id) = if chance(rng, 0.12) {
                let code = weighted(rng, &CHANNELS.iter().map(|(c, k, w)| ((*c, *k), *w)).collect::<Vec<_>>());
                (Some(code.0.to_string()), Some(org.consultants[code.1]))
            } else {
                (None, None)
            };
            let id = new_id(rng);
            let u: f64 = rng.gen();
            world.patients.insert(
                id,
                Patient {
                    id,
                    tenant_id: org.tenant_id,
                    name,
                    sex,
                    birth_date: birth,
                    phone,
                    guardian_ids: guardian.into_iter().collect(),
                    channel_code,
                    consultant_id,
                },
            );
            out.push(PatientInfo { id, sex, birth, segment: spec.segment, home, activity: 0.4 + 1.6 * u });
        }
    }
    out
}
