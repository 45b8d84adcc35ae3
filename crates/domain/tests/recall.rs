//! Scenario tests of the recall list's commands (DOMAIN.md §1, §8), each named after the rule
//! it proves: `recall.record_outcome@1` and the recall thresholds of `store.update_settings@1`.
//! A small fixed world: one chain, stores A and B, a patient of the chain and one of another.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use clinicdesk_domain::commands::{self, Command, Ctx, RecallRecordOutcome, UpdateSettings};
use clinicdesk_domain::fees::Origin;
use clinicdesk_domain::model::*;
use clinicdesk_domain::recall::{RecallOutcome, RecallOutcomeRecord, RecallThresholds, TaskKind};
use clinicdesk_domain::roles::{Actor, Role};
use clinicdesk_domain::world::{Change, World};
use clinicdesk_domain::{DomainError, Lang};

const fn id(n: u128) -> Id {
    Id::from_u128(n)
}

const TENANT: Id = id(0x7E);
const OTHER_TENANT: Id = id(0x7F);
const STORE_A: Id = id(0xA);
const STORE_B: Id = id(0xB);
const P1: Id = id(0x91);
const FOREIGN: Id = id(0x99);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap()
}

fn fixture() -> World {
    let mut w = World::default();
    w.tenants.insert(TENANT, Tenant { id: TENANT, name: "明眸眼科连锁".into() });
    w.tenants.insert(OTHER_TENANT, Tenant { id: OTHER_TENANT, name: "别家".into() });
    for (id, code) in [(STORE_A, "BJ01"), (STORE_B, "BJ02")] {
        w.stores.insert(
            id,
            Store {
                id,
                tenant_id: TENANT,
                code: code.into(),
                name: code.into(),
                timezone: "Asia/Shanghai".into(),
                settings: StoreSettings::default(),
            },
        );
    }
    for (id, tenant) in [(P1, TENANT), (FOREIGN, OTHER_TENANT)] {
        w.patients.insert(
            id,
            Patient {
                id,
                tenant_id: tenant,
                name: "张小明".into(),
                sex: Sex::Male,
                birth_date: NaiveDate::from_ymd_opt(2016, 3, 1).unwrap(),
                phone: "13800138000".into(),
                guardian_ids: vec![],
                channel_code: None,
                consultant_id: None,
            },
        );
    }
    w
}

fn staff(n: u128, name: &str, role: Role, stores: &[Id]) -> Actor {
    Actor::Staff { staff_id: id(0x5700 + n), name: name.into(), role, store_ids: stores.to_vec() }
}

fn ctx(actor: &Actor, n: u128) -> Ctx {
    Ctx {
        actor: actor.clone(),
        now: now(),
        mutation_id: id(0xC0DE_0000 + n),
        origin: Origin::Desk { store_id: STORE_A, device_code: "D1".into() },
        serial: format!("BJ01-D1-{n:06}"),
    }
}

fn outcome(store_id: Id, patient_id: Id, outcome: RecallOutcome, note: Option<&str>) -> Command {
    Command::RecallRecordOutcome(RecallRecordOutcome {
        store_id,
        patient_id,
        kind: TaskKind::RecheckOverdue,
        outcome,
        note: note.map(str::to_string),
    })
}

#[test]
fn receptionists_optometrists_and_managers_of_the_store_record_recall_outcomes() {
    let mut world = fixture();
    let people = [
        staff(1, "李前台", Role::Receptionist, &[STORE_A]),
        staff(2, "赵视光", Role::Optometrist, &[STORE_A]),
        staff(3, "张店长", Role::Manager, &[STORE_A]),
    ];
    for (n, actor) in people.iter().enumerate() {
        let c = ctx(actor, n as u128 + 1);
        let fx = commands::handle(&world, &c, &outcome(STORE_A, P1, RecallOutcome::Unreachable, Some("  无人接听 "))).expect("recorded");
        assert_eq!(
            fx.changes,
            vec![Change::RecallOutcome(RecallOutcomeRecord {
                id: c.mutation_id,
                store_id: STORE_A,
                patient_id: P1,
                kind: TaskKind::RecheckOverdue,
                outcome: RecallOutcome::Unreachable,
                note: Some("无人接听".into()),
                at: now(),
                actor: actor.label(),
            })]
        );
        world.apply(&fx);
    }
    // History is kept: one row per outcome.
    assert_eq!(world.recall_outcomes.len(), 3);
}

#[test]
fn staff_of_another_store_and_patients_cannot_record_recall_outcomes() {
    let world = fixture();
    let cases = [
        (staff(4, "钱前台", Role::Receptionist, &[STORE_B]), "not_in_store"),
        (Actor::Patient { patient_id: P1 }, "forbidden"),
        (Actor::System, "forbidden"),
    ];
    for (actor, code) in cases {
        let got = commands::handle(&world, &ctx(&actor, 1), &outcome(STORE_A, P1, RecallOutcome::Booked, None));
        assert_eq!(got.map_err(|e| e.code()), Err(code), "{}", actor.label());
    }
}

#[test]
fn a_recall_outcome_needs_a_patient_of_the_chain_and_a_short_note() {
    let world = fixture();
    let reception = staff(1, "李前台", Role::Receptionist, &[STORE_A]);
    let run = |cmd: Command| commands::handle(&world, &ctx(&reception, 1), &cmd);
    assert_eq!(run(outcome(STORE_A, FOREIGN, RecallOutcome::Booked, None)).map_err(|e| e.code()), Err("not_found"));
    assert_eq!(run(outcome(STORE_A, id(0x1234), RecallOutcome::Booked, None)).map_err(|e| e.code()), Err("not_found"));
    let long = "很".repeat(201);
    let e = run(outcome(STORE_A, P1, RecallOutcome::Contacted, Some(&long))).unwrap_err();
    assert_eq!((e.code(), e.field()), ("text_too_long", Some("note".into())));
    // A blank note is no note.
    let fx = run(outcome(STORE_A, P1, RecallOutcome::Declined, Some("   "))).unwrap();
    assert!(matches!(&fx.changes[..], [Change::RecallOutcome(RecallOutcomeRecord { note: None, .. })]));
}

fn update(actor: &Actor, recall: RecallThresholds) -> Result<World, DomainError> {
    let mut world = fixture();
    let cmd = Command::UpdateSettings(UpdateSettings { store_id: STORE_A, settings: StoreSettings { recall, ..StoreSettings::default() } });
    let fx = commands::handle(&world, &ctx(actor, 1), &cmd)?;
    world.apply(&fx);
    Ok(world)
}

#[test]
fn a_manager_sets_the_recall_thresholds_in_the_store_settings() {
    let manager = staff(3, "张店长", Role::Manager, &[STORE_A]);
    let t = RecallThresholds { lens_replacement_days: 365, task_overdue_after_hours: 48, ..RecallThresholds::default() };
    let world = update(&manager, t.clone()).expect("applied");
    assert_eq!(world.stores[&STORE_A].settings.recall, t);
    // At the edges of their ranges.
    let edges = RecallThresholds {
        lens_replacement_days: 30,
        recheck_grace_days: 0,
        window_tolerance_days: 90,
        task_overdue_after_hours: 720,
        ortho_k_long_window_months: 6,
        ortho_k_short_window_months: 5,
        ..RecallThresholds::default()
    };
    assert!(update(&manager, edges).is_ok());
}

#[test]
fn a_recall_threshold_out_of_its_range_is_refused_naming_the_field() {
    let manager = staff(3, "张店长", Role::Manager, &[STORE_A]);
    let with = |edit: fn(&mut RecallThresholds)| {
        let mut t = RecallThresholds::default();
        edit(&mut t);
        t
    };
    let cases: [(RecallThresholds, &str); 8] = [
        (with(|t| t.lens_replacement_days = 29), "recall.lens_replacement_days"),
        (with(|t| t.lens_replacement_days = 1096), "recall.lens_replacement_days"),
        (with(|t| t.task_overdue_after_hours = 0), "recall.task_overdue_after_hours"),
        (with(|t| t.recheck_grace_days = 366), "recall.recheck_grace_days"),
        (with(|t| t.min_corneal_thickness_um = -5), "recall.min_corneal_thickness_um"),
        (with(|t| t.referral_min_age_years = 12), "recall.referral_min_age_years"),
        (with(|t| t.ortho_k_long_window_cd = 0), "recall.ortho_k_long_window_cd"),
        // The short window must be shorter than the long one.
        (with(|t| t.ortho_k_short_window_months = 6), "recall.ortho_k_short_window_months"),
    ];
    for (t, field) in cases {
        let e = update(&manager, t).unwrap_err();
        assert_eq!((e.code(), e.field().as_deref()), ("recall_threshold_invalid", Some(field)));
        for lang in [Lang::ZhCn, Lang::ZhTw, Lang::En] {
            assert!(!e.message(lang).is_empty());
        }
    }
    let e = update(&manager, with(|t| t.lens_replacement_days = 10)).unwrap_err();
    assert_eq!(e.message(Lang::En), "The recall rule “lens replacement after (days)” must be between 30 and 1095; please correct it.");
    assert_eq!(e.message(Lang::ZhCn), "提醒规则“换片周期（天）”须在 30–1095 之间，请更正后保存。");
}

#[test]
fn settings_saved_before_recall_thresholds_existed_read_as_the_defaults() {
    let old = r#"{"cancellation_policy":"request_only","visit_type_mode":"auto_by_rules","visit_type_rules":[],"capacity_per_slot":2}"#;
    let s: StoreSettings = serde_json::from_str(old).unwrap();
    assert_eq!((s.capacity_per_slot, s.recall), (2, RecallThresholds::default()));
    let round: StoreSettings = serde_json::from_str(&serde_json::to_string(&StoreSettings::default()).unwrap()).unwrap();
    assert_eq!(round, StoreSettings::default());
}

#[test]
fn only_a_manager_changes_the_recall_thresholds() {
    // Receptionists cannot edit the settings at all; the thresholds need their own permission too.
    let reception = staff(1, "李前台", Role::Receptionist, &[STORE_A]);
    let e = update(&reception, RecallThresholds { lens_replacement_days: 400, ..RecallThresholds::default() }).unwrap_err();
    assert_eq!(e.code(), "forbidden");
}
