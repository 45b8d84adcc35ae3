//! What the demo chain promises: determinism, the booking and fee invariants of
//! DOMAIN.md, plausible people and eye records, and the shape the app and benchmarks rely on.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use clinicdesk_demo::{big_store_day, generate, DemoChain, DemoConfig, STAFF_PASSWORD};
use clinicdesk_domain::appointment::{next_state, Action};
use clinicdesk_domain::booking::decide_visit_type;
use clinicdesk_domain::eye::{self, ser_cd, CorrectionKind, Eye};
use clinicdesk_domain::fees::authority_for;
use clinicdesk_domain::model::*;
use clinicdesk_domain::recall::{self, age_years, RecallPatient, RecallThresholds, TaskKind};
use clinicdesk_domain::roles::Role;
use clinicdesk_domain::slots::{self, check_bookable, local_date};
use clinicdesk_domain::text;
use clinicdesk_domain::world::World;

const SEED: u64 = 42;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 20).unwrap()
}

/// The demo chain at size 1.0, generated once for all tests of this file.
fn chain() -> &'static DemoChain {
    static CHAIN: OnceLock<DemoChain> = OnceLock::new();
    CHAIN.get_or_init(|| generate(&DemoConfig::new(SEED, today())))
}

fn store_of(w: &World, id: Id) -> &Store {
    &w.stores[&id]
}

fn tz(w: &World, store: Id) -> chrono_tz::Tz {
    slots::zone(&store_of(w, store).timezone)
}

#[test]
fn the_same_seed_gives_the_same_chain_and_another_seed_a_different_one() {
    let small = |seed| generate(&DemoConfig { seed, size: 0.3, today: today() });
    let (a, b, c) = (small(7), small(7), small(8));
    assert!(a == b, "same seed, same chain");
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    assert!(a != c, "another seed, another chain");
    let names = |ch: &DemoChain| ch.world.patients.values().map(|p| p.name.clone()).collect::<Vec<_>>();
    assert_ne!(names(&a), names(&c));
    // The full demo chain too (compared without printing it).
    let again = generate(&DemoConfig::new(SEED, today()));
    assert!(&again == chain(), "size 1.0 is deterministic as well");
}

#[test]
fn no_doctor_holds_more_active_appointments_in_a_slot_than_the_store_allows_in_any_store() {
    let w = &chain().world;
    let mut by_doctor: BTreeMap<Id, Vec<&Appointment>> = BTreeMap::new();
    for a in w.appointments.values().filter(|a| a.state.is_active()) {
        by_doctor.entry(a.doctor_id).or_default().push(a);
    }
    for (doctor, mut appts) in by_doctor {
        appts.sort_by_key(|a| (a.start, a.end));
        let mut open: Vec<DateTime<Utc>> = Vec::new();
        for a in appts {
            open.retain(|end| *end > a.start);
            open.push(a.end);
            let cap = usize::from(store_of(w, a.store_id).settings.capacity_per_slot);
            assert!(open.len() <= cap, "doctor {doctor} holds {} appointments at {} (capacity {cap})", open.len(), a.start);
        }
    }
}

#[test]
fn every_appointment_lies_on_its_doctors_schedule_grid_in_its_store_outside_blocked_time() {
    let w = &chain().world;
    let mut schedules: HashMap<(Id, Id, NaiveDate), &Schedule> = HashMap::new();
    for s in w.schedules.values() {
        assert!(schedules.insert((s.store_id, s.doctor_id, s.date), s).is_none(), "one schedule per doctor, store and day");
    }
    // A doctor never works in two stores on one day.
    let days: HashSet<(Id, NaiveDate)> = w.schedules.values().map(|s| (s.doctor_id, s.date)).collect();
    assert_eq!(days.len(), w.schedules.len());
    for a in w.appointments.values() {
        let zone = tz(w, a.store_id);
        let date = local_date(zone, a.start);
        let schedule = schedules.get(&(a.store_id, a.doctor_id, date)).copied();
        let blocks: Vec<&BlockedTime> = w.blocks.values().filter(|b| b.doctor_id == a.doctor_id).collect();
        let cap = store_of(w, a.store_id).settings.capacity_per_slot;
        assert_eq!(check_bookable(schedule, zone, a.start, a.end, &[], &blocks, cap), Ok(()), "{a:?}");
    }
}

#[test]
fn departments_doctors_and_complaints_of_appointments_fit_together() {
    let w = &chain().world;
    for a in w.appointments.values() {
        let dept = &w.departments[&a.department_id];
        assert_eq!(dept.store_id, a.store_id);
        assert!(w.doctors[&a.doctor_id].department_ids.contains(&a.department_id));
        if let Some(c) = a.complaint_id {
            assert!(w.complaints[&c].department_ids.contains(&a.department_id));
        }
        assert!(w.patients.contains_key(&a.patient_id));
        assert!(a.created_at <= a.start && a.created_at <= a.updated_at && a.updated_at <= chain().as_of);
    }
}

#[test]
fn a_charged_fee_of_a_cancelled_appointment_has_exactly_one_refund_and_no_fee_has_two() {
    let w = &chain().world;
    let mut refunds: HashMap<Id, Vec<&Refund>> = HashMap::new();
    for r in w.refunds.values() {
        refunds.entry(r.fee_id).or_default().push(r);
    }
    assert!(refunds.values().all(|r| r.len() == 1), "no fee is refunded twice");
    let mut cancelled_charged = 0;
    for a in w.appointments.values() {
        let Some(fee) = w.fee_of(a) else { continue };
        assert_eq!(fee.appointment_id, a.id);
        let n = refunds.get(&fee.id).map_or(0, Vec::len);
        if a.state == AppointmentState::Cancelled && fee.status == ChargeStatus::Charged {
            cancelled_charged += 1;
            assert_eq!(n, 1, "cancelled with a charged fee: exactly one refund");
        } else {
            assert_eq!(n, 0, "only fees of cancelled appointments are refunded ({:?})", a.state);
        }
    }
    assert!(cancelled_charged >= 50, "refunds are common enough to demo: {cancelled_charged}");
    for r in w.refunds.values() {
        let fee = &w.fees[&r.fee_id];
        assert_eq!(r.amount, fee.amount);
        assert!(r.at >= fee.paid_at.unwrap());
        match (r.kind, fee.authority.unwrap()) {
            (RefundKind::DeskCash, RefundAuthority::Desk { store_id }) => {
                assert_eq!(store_id, fee.store_id);
                assert!(matches!(fee.method, Some(PayMethod::Cash | PayMethod::Card)));
            }
            (RefundKind::Provider, RefundAuthority::Server) => {
                assert!(matches!(fee.method, Some(PayMethod::WechatApp | PayMethod::Points)));
            }
            other => panic!("refund kind does not match the fee's authority: {other:?}"),
        }
    }
}

#[test]
fn fees_are_registration_fees_paid_with_the_right_authority_and_unique_slip_numbers() {
    let w = &chain().world;
    let mut numbers = HashSet::new();
    let mut methods = HashSet::new();
    for f in w.fees.values() {
        assert!((1000..=5000).contains(&f.amount.0), "10–50 yuan: {}", f.amount.0);
        match f.status {
            ChargeStatus::Charged => {
                let method = f.method.unwrap();
                methods.insert(method);
                assert!(f.paid_at.is_some());
                assert_eq!(f.authority, Some(authority_for(method, f.store_id)));
                assert_eq!(f.wechat_paid.0, if method == PayMethod::WechatApp { f.amount.0 } else { 0 });
                let receipt = f.receipt_no.clone().unwrap();
                assert!(receipt.starts_with("SJ-") && receipt.contains("-DEMO-"), "{receipt}");
                assert!(numbers.insert(receipt), "receipt numbers are unique");
            }
            ChargeStatus::Pending | ChargeStatus::NotBilled => {
                assert!(f.method.is_none() && f.paid_at.is_none() && f.authority.is_none() && f.receipt_no.is_none());
            }
        }
    }
    for r in w.refunds.values() {
        assert!(r.number.starts_with("TK-"), "{}", r.number);
        assert!(numbers.insert(r.number.clone()), "refund numbers are unique");
    }
    assert_eq!(methods.len(), 4, "cash, card, WeChat and points all occur");
    assert!(w.fees.values().any(|f| f.status == ChargeStatus::Pending), "some fees wait at the desk (待收费)");
}

#[test]
fn patient_and_guardian_names_and_phones_pass_the_domain_text_checks() {
    let w = &chain().world;
    let people = w.patients.values().map(|p| (&p.name, &p.phone)).chain(w.guardians.values().map(|g| (&g.name, &g.phone)));
    for (name, phone) in people {
        assert_eq!(text::required("name", name, text::NAME_MAX).as_ref(), Ok(name));
        assert!((2..=4).contains(&name.chars().count()), "{name}");
        assert_eq!(text::phone(phone).as_ref(), Ok(phone));
        assert!(["13", "15", "18"].iter().any(|p| phone.starts_with(p)), "{phone}");
    }
    for s in w.staff.values() {
        assert!(text::required("name", &s.name, text::NAME_MAX).is_ok());
    }
}

#[test]
fn guardians_have_at_most_ten_patients_every_child_has_one_and_siblings_share() {
    let w = &chain().world;
    let mut bound: HashMap<Id, usize> = HashMap::new();
    for p in w.patients.values() {
        for g in &p.guardian_ids {
            assert!(w.guardians.contains_key(g));
            *bound.entry(*g).or_default() += 1;
        }
        let age = age_years(p.birth_date, today());
        assert_eq!(!p.guardian_ids.is_empty(), age < 18, "children have a guardian, adults none ({age})");
    }
    assert!(bound.values().all(|n| *n <= 10));
    assert!(bound.values().filter(|n| **n >= 2).count() >= 20, "siblings share a guardian");
    // Channels assign their consultant.
    let with_channel: Vec<&Patient> = w.patients.values().filter(|p| p.channel_code.is_some()).collect();
    assert!(with_channel.len() >= 100);
    for p in with_channel {
        assert_eq!(p.consultant_id, Some(w.channels[p.channel_code.as_ref().unwrap()].consultant_id));
    }
}

#[test]
fn every_eye_reading_and_exam_passes_the_domain_validation() {
    let c = chain();
    assert!(!c.exams.is_empty());
    for e in &c.exams {
        assert_eq!(eye::validate_reading(&e.od), Ok(()), "{e:?}");
        assert_eq!(eye::validate_reading(&e.os), Ok(()), "{e:?}");
        assert_eq!(eye::validate_exam(e), Ok(()));
        assert!(["IOLMaster 700", "Lenstar LS900"].contains(&e.biometer.as_str()));
        assert!(e.examined_at <= today());
        assert!(c.world.patients.contains_key(&e.patient_id));
        assert!(c.world.stores.contains_key(&e.store_id));
    }
}

#[test]
fn childrens_eyes_grow_and_become_more_myopic_like_real_children() {
    let c = chain();
    let mut by_patient: BTreeMap<Id, Vec<&eye::EyeExam>> = BTreeMap::new();
    for e in &c.exams {
        by_patient.entry(e.patient_id).or_default().push(e);
    }
    let (mut ser, mut al) = (Vec::new(), Vec::new());
    let mut myope_rates = Vec::new();
    for (pid, mut exams) in by_patient {
        let p = &c.world.patients[&pid];
        if age_years(p.birth_date, today()) >= 18 {
            continue;
        }
        exams.sort_by_key(|e| e.examined_at);
        assert!((2..=8).contains(&exams.len()));
        for w in exams.windows(2) {
            let days = (w[1].examined_at - w[0].examined_at).num_days();
            assert!((80..=190).contains(&days), "rechecks every 3–6 months: {days}");
        }
        let (first, last) = (exams[0], exams[exams.len() - 1]);
        let years = (last.examined_at - first.examined_at).num_days() as f64 / 365.25;
        for side in Eye::BOTH {
            let a0 = first.reading(side).axial_length_um.unwrap();
            let a1 = last.reading(side).axial_length_um.unwrap();
            assert!(a1 - a0 >= -50, "eyes do not shrink beyond measurement noise");
            let rate = f64::from(a1 - a0) / 1000.0 / years;
            assert!(years < 1.0 || (0.05..=0.45).contains(&rate), "axial growth {rate:.2} mm/year");
            let s0 = ser_cd(first.reading(side)).unwrap();
            let s1 = ser_cd(last.reading(side)).unwrap();
            if s0 <= -50 && years >= 1.0 {
                myope_rates.push(f64::from(s1 - s0) / 100.0 / years);
            }
        }
        for e in &exams {
            let (od, os) = (&e.od, &e.os);
            assert!((od.axial_length_um.unwrap() - os.axial_length_um.unwrap()).abs() <= 600, "both eyes similar");
            assert!((ser_cd(od).unwrap() - ser_cd(os).unwrap()).abs() <= 150);
            let age = (e.examined_at - p.birth_date).num_days() as f64 / 365.25;
            if (8.0..12.0).contains(&age) {
                for r in [od, os] {
                    ser.push(f64::from(ser_cd(r).unwrap()));
                    al.push(f64::from(r.axial_length_um.unwrap()));
                }
            }
        }
    }
    // Myopes progress about −0.25 to −1.00 D a year (less under treatment, with noise).
    let mean = myope_rates.iter().sum::<f64>() / myope_rates.len() as f64;
    assert!((-0.9..=-0.2).contains(&mean), "mean myopic progression {mean:.2} D/year");
    assert!(myope_rates.iter().filter(|r| (-1.3..=0.0).contains(*r)).count() * 10 >= myope_rates.len() * 9);
    // Longer eyes are more myopic.
    let n = ser.len() as f64;
    let (ms, ma) = (ser.iter().sum::<f64>() / n, al.iter().sum::<f64>() / n);
    let cov: f64 = ser.iter().zip(&al).map(|(s, a)| (s - ms) * (a - ma)).sum();
    let vs: f64 = ser.iter().map(|s| (s - ms).powi(2)).sum();
    let va: f64 = al.iter().map(|a| (a - ma).powi(2)).sum();
    let r = cov / (vs * va).sqrt();
    assert!(r < -0.5, "SER and axial length correlate: r = {r:.2}");
}

#[test]
fn the_eye_records_give_the_desk_every_kind_of_recall_task() {
    let c = chain();
    let w = &c.world;
    let mut exams: BTreeMap<Id, Vec<eye::EyeExam>> = BTreeMap::new();
    for e in &c.exams {
        exams.entry(e.patient_id).or_default().push(e.clone());
    }
    let future: HashSet<Id> = w
        .appointments
        .values()
        .filter(|a| a.state.is_active() && local_date(slots::DEFAULT_TZ, a.start) > today())
        .map(|a| a.patient_id)
        .collect();
    let patients: Vec<RecallPatient> = exams
        .into_iter()
        .map(|(id, exams)| {
            let p = &w.patients[&id];
            RecallPatient {
                patient_id: id,
                name: p.name.clone(),
                birth_date: p.birth_date,
                guardian_name: p.guardian_ids.first().map(|g| w.guardians[g].name.clone()),
                correction: c.corrections.get(&id).cloned(),
                exams,
                has_future_visit: future.contains(&id),
            }
        })
        .collect();
    let list = recall::daily_list(&patients, today(), &RecallThresholds::default());
    for kind in TaskKind::ALL {
        assert!(list.counts[&kind] >= 1, "{kind:?}: {:?}", list.counts);
    }
    let kinds: HashSet<CorrectionKind> = c.corrections.values().map(|c| c.kind).collect();
    for k in [CorrectionKind::None, CorrectionKind::SingleVisionFrames, CorrectionKind::DefocusFrames, CorrectionKind::OrthoK] {
        assert!(kinds.contains(&k), "{k:?}");
    }
    let old_lenses = c
        .corrections
        .values()
        .filter(|c| c.kind == CorrectionKind::OrthoK && c.fitted_on.is_some_and(|d| (today() - d).num_days() >= 550))
        .count();
    assert!(old_lenses >= 5, "ortho-k lenses due for replacement: {old_lenses}");
}

#[test]
fn history_tells_each_appointments_story_from_booking_to_its_state() {
    let c = chain();
    let w = &c.world;
    let mut by_appt: HashMap<Id, Vec<&HistoryEntry>> = HashMap::new();
    for h in &c.history {
        by_appt.entry(h.appointment_id).or_default().push(h);
    }
    assert!(c.history.windows(2).all(|p| p[0].at <= p[1].at), "history is in time order");
    let mutations: HashSet<(Id, u16)> = c.history.iter().map(|h| (h.mutation_id, h.index)).collect();
    assert_eq!(mutations.len(), c.history.len(), "each line has its own (mutation, index)");
    for a in w.appointments.values() {
        let lines = &by_appt[&a.id];
        assert_eq!(lines[0].action, "booked");
        assert_eq!(lines[0].at, a.created_at);
        let mut state = lines[0].to_state.unwrap();
        assert_eq!(state, if a.source == Source::PatientApp { AppointmentState::Pending } else { AppointmentState::Confirmed });
        let mut last_change = a.created_at;
        for h in &lines[1..] {
            assert!(h.at >= a.created_at && h.at <= c.as_of);
            let (Some(from), Some(to)) = (h.from_state, h.to_state) else { continue };
            let action = match h.action.as_str() {
                "confirm" => Action::Confirm,
                "check_in" => Action::CheckIn,
                "complete" => Action::Complete,
                "no_show" => Action::NoShow,
                "cancel" | "patient_cancel" | "cancel_request_approved" => Action::Cancel,
                other => panic!("unexpected state change {other}"),
            };
            assert_eq!(from, state);
            assert_eq!(next_state(from, action), Ok(to), "{}", h.action);
            state = to;
            last_change = h.at;
        }
        assert_eq!(state, a.state, "the history ends in the appointment's state");
        assert_eq!(a.updated_at, last_change);
        let refund_lines = lines.iter().filter(|h| h.action == "refund").count();
        let refunded = w.fee_of(a).and_then(|f| w.refund_of(f.id)).is_some();
        assert_eq!(refund_lines, usize::from(refunded));
    }
    assert_eq!(by_appt.len(), w.appointments.len());
}

#[test]
fn visit_types_follow_the_store_rules_and_each_patients_first_completed_visit() {
    let w = &chain().world;
    let mut appts: Vec<&Appointment> = w.appointments.values().collect();
    appts.sort_by_key(|a| a.start);
    let mut seen = BTreeSet::new();
    let mut codes = BTreeMap::<&str, usize>::new();
    for a in appts {
        let rules = &store_of(w, a.store_id).settings.visit_type_rules;
        let d = decide_visit_type(rules, a.complaint_id, a.department_id, seen.contains(&a.patient_id));
        assert_eq!((d.code.as_str(), d.by_fallback), (a.visit_type.as_str(), a.visit_type_by_fallback));
        *codes.entry(a.visit_type.as_str()).or_default() += 1;
        if a.state == AppointmentState::Completed {
            seen.insert(a.patient_id);
        }
    }
    for code in ["first", "return", "ortho_review"] {
        assert!(codes.get(code).copied().unwrap_or(0) >= 10, "{code}: {codes:?}");
    }
    assert_eq!(seen, w.patients_with_completed_visit);
}

#[test]
fn the_demo_chain_at_size_one_has_the_promised_shape() {
    let c = chain();
    let w = &c.world;
    assert_eq!(c.staff_password, STAFF_PASSWORD);
    assert_eq!(w.tenants.len(), 1);
    assert_eq!(w.stores.len(), 3);
    let codes: BTreeSet<&str> = w.stores.values().map(|s| s.code.as_str()).collect();
    assert_eq!(codes, BTreeSet::from(["BJ01", "BJ02", "BJ03"]));
    assert!(w.stores.values().all(|s| s.timezone == "Asia/Shanghai"));
    let policies: HashSet<CancellationPolicy> = w.stores.values().map(|s| s.settings.cancellation_policy).collect();
    assert_eq!(policies.len(), 3);
    assert_eq!(w.stores.values().filter(|s| s.settings.capacity_per_slot == 2).count(), 1);
    assert_eq!(w.stores.values().filter(|s| !s.settings.visit_type_rules.is_empty()).count(), 1);
    let types: Vec<&str> = w.visit_types.values().next().unwrap().iter().map(|v| v.code.as_str()).collect();
    assert_eq!(types, ["first", "return", "ortho_review"]);

    assert!((20..=30).contains(&w.doctors.len()));
    let multi =
        w.doctors.values().filter(|d| d.department_ids.iter().map(|id| w.departments[id].store_id).collect::<HashSet<_>>().len() >= 2);
    assert!((2..=3).contains(&multi.count()), "2–3 doctors work in two stores");
    assert!(w.complaints.values().filter(|c| c.department_ids.len() >= 2).count() >= 4);
    for s in w.stores.values() {
        let order = &w.doctor_orders[&s.id];
        let working: BTreeSet<Id> = w.schedules.values().filter(|x| x.store_id == s.id).map(|x| x.doctor_id).collect();
        let unlisted = working.iter().filter(|d| !order.doctor_ids.contains(d)).count();
        assert!((1..=2).contains(&unlisted), "{}: {unlisted} unlisted", s.code);
        assert_eq!(order.hidden.len(), 1);
        assert!(order.doctor_ids.iter().all(|d| working.contains(d)));
    }

    let logins: BTreeMap<&str, (Role, usize)> = w.staff.values().map(|s| (s.login.as_str(), (s.role, s.store_ids.len()))).collect();
    for (login, role) in [
        ("front.bj01", Role::Receptionist),
        ("front.bj02", Role::Receptionist),
        ("front.bj03", Role::Receptionist),
        ("opto.bj02", Role::Optometrist),
        ("opto.bj03", Role::Optometrist),
        ("manager.bj01", Role::Manager),
        ("manager.bj02", Role::Manager),
        ("manager.bj03", Role::Manager),
    ] {
        assert_eq!(logins[login], (role, 1), "{login}");
    }
    assert_eq!(logins["admin"], (Role::Manager, 3));

    assert_eq!(w.patients.len(), 2000);
    let children_with_exams: HashSet<Id> =
        c.exams.iter().map(|e| e.patient_id).filter(|p| age_years(w.patients[p].birth_date, today()) < 18).collect();
    assert!((280..=320).contains(&children_with_exams.len()), "{}", children_with_exams.len());
    assert!(w.blocks.len() >= 5 && w.blocks.values().any(|b| b.reason == "请假"));

    let states: HashSet<AppointmentState> = w.appointments.values().map(|a| a.state).collect();
    assert_eq!(states.len(), 6, "every state occurs: {states:?}");
    let sources: HashSet<Source> = w.appointments.values().map(|a| a.source).collect();
    assert_eq!(sources.len(), 4);

    let request_store = w.stores.values().find(|s| s.settings.cancellation_policy == CancellationPolicy::RequestOnly).unwrap();
    let open: Vec<&CancellationRequest> = w.requests.values().filter(|r| r.status == RequestStatus::Open).collect();
    assert!((5..=8).contains(&open.len()));
    for r in &open {
        let a = &w.appointments[&r.appointment_id];
        assert_eq!(r.store_id, request_store.id);
        assert!(a.state.is_before_check_in() && a.start > c.as_of && !r.reason.is_empty());
    }
    assert!(w.requests.values().filter(|r| r.status == RequestStatus::Rejected).all(|r| r.reject_reason.is_some()));
    assert!(w.requests.values().any(|r| r.status == RequestStatus::Rejected));
    for r in w.requests.values().filter(|r| r.status == RequestStatus::Approved) {
        assert_eq!(w.appointments[&r.appointment_id].state, AppointmentState::Cancelled);
    }

    // Refund flows to demo: confirmed future visits paid online and at the desk.
    let future_confirmed_paid = |online: bool| {
        w.appointments
            .values()
            .filter(|a| a.state == AppointmentState::Confirmed && a.start > c.as_of)
            .filter_map(|a| w.fee_of(a))
            .filter(|f| f.status == ChargeStatus::Charged && f.method.is_some_and(|m| m.is_online() == online))
            .count()
    };
    assert!(future_confirmed_paid(true) >= 5 && future_confirmed_paid(false) >= 5);
}

/// Share of a schedule's unblocked slot time held by active appointments, per day offset.
fn fill_by_day(w: &World) -> BTreeMap<i64, (i64, i64)> {
    let mut out: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    let mut held: HashMap<(Id, NaiveDate), i64> = HashMap::new();
    for a in w.appointments.values().filter(|a| a.state.is_active() || a.state == AppointmentState::NoShow) {
        *held.entry((a.doctor_id, local_date(slots::DEFAULT_TZ, a.start))).or_default() += (a.end - a.start).num_minutes();
    }
    for s in w.schedules.values() {
        let capacity: i64 = s.periods.iter().map(|p| (p.end - p.start).num_minutes()).sum();
        let blocked: i64 = w
            .blocks
            .values()
            .filter(|b| b.doctor_id == s.doctor_id && local_date(slots::DEFAULT_TZ, b.start) == s.date)
            .map(|b| (b.end - b.start).num_minutes())
            .sum();
        let e = out.entry((s.date - today()).num_days()).or_default();
        e.0 += held.get(&(s.doctor_id, s.date)).copied().unwrap_or(0);
        e.1 += capacity - blocked;
    }
    out
}

#[test]
fn past_days_are_60_to_80_percent_booked_and_the_future_fills_less_the_further_out() {
    let fill = fill_by_day(&chain().world);
    let share = |from: i64, to: i64| {
        let (held, cap) = fill.range(from..=to).fold((0, 0), |acc, (_, v)| (acc.0 + v.0, acc.1 + v.1));
        held as f64 / cap as f64
    };
    let past = share(-183, -1);
    assert!((0.6..=0.8).contains(&past), "past fill {past:.2}");
    let (week, later) = (share(1, 7), share(15, 30));
    assert!(week > later && later > 0.0, "next week {week:.2}, weeks 3–4 {later:.2}");
    assert!(later < 0.3);
}

#[test]
fn todays_board_shows_done_waiting_and_coming_patients() {
    let c = chain();
    let w = &c.world;
    let todays: Vec<&Appointment> = w.appointments.values().filter(|a| local_date(slots::DEFAULT_TZ, a.start) == today()).collect();
    let states: HashSet<AppointmentState> = todays.iter().map(|a| a.state).collect();
    for s in [AppointmentState::Completed, AppointmentState::CheckedIn, AppointmentState::Confirmed, AppointmentState::Pending] {
        assert!(states.contains(&s), "{s:?} today");
    }
    for a in &todays {
        match a.state {
            AppointmentState::Completed | AppointmentState::NoShow => assert!(a.end <= c.as_of),
            AppointmentState::Pending | AppointmentState::Confirmed => assert!(a.start > c.as_of),
            _ => {}
        }
    }
    assert!(w.appointments.values().filter(|a| a.start > c.as_of).all(|a| a.state != AppointmentState::Completed));
    assert!(w.appointments.values().filter(|a| a.end <= c.as_of - Duration::days(1)).all(|a| !a.state.is_before_check_in()));
}

#[test]
fn size_scales_patients_and_appointments_and_zero_is_an_empty_but_valid_chain() {
    let quarter = generate(&DemoConfig { seed: SEED, size: 0.25, today: today() });
    assert_eq!(quarter.world.patients.len(), 500);
    assert!(quarter.world.appointments.len() * 2 < chain().world.appointments.len());
    assert_eq!(quarter.world.stores, chain().world.stores, "the organisation does not depend on size");
    let empty = generate(&DemoConfig { seed: SEED, size: 0.0, today: today() });
    assert!(empty.world.patients.is_empty() && empty.world.appointments.is_empty() && empty.exams.is_empty());
    assert_eq!(empty.world.doctors.len(), chain().world.doctors.len());
}

#[test]
fn big_store_day_gives_60_doctors_with_40_non_overlapping_appointments_each_on_that_date() {
    let date = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let big = big_store_day(9, 60, 40, date);
    let w = &big.world;
    assert_eq!(w.stores.len(), 1);
    assert_eq!(w.doctors.len(), 60);
    assert_eq!(w.appointments.len(), 2400);
    let store = w.stores.values().next().unwrap();
    let zone = slots::zone(&store.timezone);
    let mut by_doctor: BTreeMap<Id, Vec<&Appointment>> = BTreeMap::new();
    for a in w.appointments.values() {
        assert_eq!(local_date(zone, a.start), date);
        assert_eq!(a.store_id, store.id);
        by_doctor.entry(a.doctor_id).or_default().push(a);
    }
    assert_eq!(by_doctor.len(), 60);
    for (doctor, mut appts) in by_doctor {
        assert_eq!(appts.len(), 40);
        appts.sort_by_key(|a| a.start);
        assert!(appts.windows(2).all(|p| p[0].end <= p[1].start), "no overlap for {doctor}");
        let schedule = w.schedules.values().find(|s| s.doctor_id == doctor);
        for a in appts {
            assert_eq!(check_bookable(schedule, zone, a.start, a.end, &[], &[], 1), Ok(()));
        }
    }
    assert_eq!(big.history.iter().filter(|h| h.action == "booked").count(), 2400);
    assert!(big_store_day(9, 60, 40, date) == big, "deterministic");
    // More appointments than 15-minute slots: shorter slots, still no overlap.
    for (doctors, per_doctor) in [(3, 100), (1, 900)] {
        let dense = big_store_day(9, doctors, per_doctor, date);
        let mut appts: Vec<&Appointment> = dense.world.appointments.values().collect();
        assert_eq!(appts.len(), doctors * per_doctor);
        appts.sort_by_key(|a| (a.doctor_id, a.start));
        assert!(appts.windows(2).all(|p| p[0].doctor_id != p[1].doctor_id || p[0].end <= p[1].start));
        assert!(appts.iter().all(|a| local_date(zone, a.end - Duration::seconds(1)) == date));
    }
}
