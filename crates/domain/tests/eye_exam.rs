//! Scenario tests of `eye_exam.record@1` and `eye_exam.amend@1` (DOMAIN.md §1, §7), each
//! named after the rule it proves. A small fixed world: one chain, store A (optometry) and
//! store B, two patients, a visit of P1 in store A; `now` and ids come from the harness.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use clinicdesk_domain::commands::{self, Command, Ctx, EyeExamAmend, EyeExamRecord, KNOWN_COMMANDS};
use clinicdesk_domain::eye::{exam_table, Correction, CorrectionKind, ExamAuditAction, Eye, EyeExam, EyeReading};
use clinicdesk_domain::fees::Origin;
use clinicdesk_domain::model::*;
use clinicdesk_domain::roles::{Actor, Role};
use clinicdesk_domain::world::{Change, Effects, World};
use clinicdesk_domain::{DomainError, Lang};
use serde_json::json;

const fn id(n: u128) -> Id {
    Id::from_u128(n)
}

const TENANT: Id = id(0x7E);
const STORE_A: Id = id(0xA);
const STORE_B: Id = id(0xB);
const OPTOMETRY: Id = id(0xA2);
const DR_ZHAO: Id = id(0xD3);
const P1: Id = id(0x91);
const P2: Id = id(0x92);
/// P1's visit in store A today.
const VISIT_P1_A: Id = id(0xAA01);
/// P2's visit in store A today.
const VISIT_P2_A: Id = id(0xAA02);
const EXAM: Id = id(0xE1);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// 10:00 in Shanghai on the fixture day.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap()
}

fn fixture() -> World {
    let mut w = World::default();
    w.tenants.insert(TENANT, Tenant { id: TENANT, name: "明眸眼科连锁".into() });
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
    w.departments.insert(OPTOMETRY, Department { id: OPTOMETRY, store_id: STORE_A, name: "视光科".into() });
    w.doctors.insert(
        DR_ZHAO,
        Doctor { id: DR_ZHAO, tenant_id: TENANT, name: "赵医生".into(), title: "视光师".into(), department_ids: vec![OPTOMETRY] },
    );
    for (id, name, born) in [(P1, "张小明", (2016, 3, 1)), (P2, "王小红", (2014, 7, 9))] {
        w.patients.insert(
            id,
            Patient {
                id,
                tenant_id: TENANT,
                name: name.into(),
                sex: Sex::Male,
                birth_date: NaiveDate::from_ymd_opt(born.0, born.1, born.2).unwrap(),
                phone: "13800138000".into(),
                guardian_ids: vec![],
                channel_code: None,
                consultant_id: None,
            },
        );
    }
    for (visit, patient_id) in [(VISIT_P1_A, P1), (VISIT_P2_A, P2)] {
        w.appointments.insert(
            visit,
            Appointment {
                id: visit,
                tenant_id: TENANT,
                store_id: STORE_A,
                doctor_id: DR_ZHAO,
                department_id: OPTOMETRY,
                patient_id,
                complaint_id: None,
                start: now(),
                end: now() + Duration::minutes(30),
                state: AppointmentState::CheckedIn,
                visit_type: VISIT_RETURN.into(),
                visit_type_by_fallback: false,
                source: Source::Desk,
                fee_id: None,
                created_at: now(),
                updated_at: now(),
            },
        );
    }
    w
}

fn staff(n: u128, name: &str, role: Role, stores: &[Id]) -> Actor {
    Actor::Staff { staff_id: id(0x5700 + n), name: name.into(), role, store_ids: stores.to_vec() }
}
fn reception_a() -> Actor {
    staff(1, "李前台", Role::Receptionist, &[STORE_A])
}
fn manager_a() -> Actor {
    staff(2, "张店长", Role::Manager, &[STORE_A])
}
fn optometrist_a() -> Actor {
    staff(3, "赵视光", Role::Optometrist, &[STORE_A])
}
fn optometrist_b() -> Actor {
    staff(4, "钱视光", Role::Optometrist, &[STORE_B])
}

struct H {
    world: World,
    seq: u128,
}

impl H {
    fn new() -> H {
        H { world: fixture(), seq: 0 }
    }

    fn ctx(&mut self, actor: &Actor) -> Ctx {
        self.seq += 1;
        Ctx {
            actor: actor.clone(),
            now: now(),
            mutation_id: id(0xC0DE_0000 + self.seq),
            origin: Origin::Desk { store_id: STORE_A, device_code: "D1".into() },
            serial: format!("BJ01-D1-{:06}", self.seq),
        }
    }

    fn run(&mut self, actor: &Actor, cmd: Command) -> Result<Effects, DomainError> {
        let ctx = self.ctx(actor);
        let fx = commands::handle(&self.world, &ctx, &cmd)?;
        // Every applied entry is audited once, by the command, at its time, naming the actor.
        assert_eq!(fx.eye_audit.len(), 1, "{fx:?}");
        let a = &fx.eye_audit[0];
        assert_eq!((a.mutation_id, a.index, a.at), (ctx.mutation_id, 0, ctx.now));
        assert_eq!(a.actor, actor.label());
        self.world.apply(&fx);
        Ok(fx)
    }

    #[track_caller]
    fn ok(&mut self, actor: &Actor, cmd: Command) -> Effects {
        let name = cmd.name();
        self.run(actor, cmd).unwrap_or_else(|e| panic!("{name} by {} refused: {e:?}", actor.label()))
    }

    /// A command that must be refused: returns the error and checks nothing changed.
    #[track_caller]
    fn err(&mut self, actor: &Actor, cmd: Command) -> DomainError {
        let before = self.world.clone();
        let name = cmd.name();
        let e = match self.run(actor, cmd) {
            Ok(fx) => panic!("{name} by {} applied: {fx:?}", actor.label()),
            Err(e) => e,
        };
        assert_eq!(self.world, before, "{name} refused with {} but changed the world", e.code());
        e
    }
}

fn reading(eye: Eye) -> EyeReading {
    EyeReading {
        eye,
        ucva_hundredths: Some(50),
        bcva_hundredths: Some(100),
        sphere_cd: Some(-275),
        cylinder_cd: Some(-50),
        axis_deg: Some(180),
        axial_length_um: Some(24_350),
        k1_cd: Some(4300),
        k2_cd: Some(4400),
        iop_dmmhg: Some(155),
        central_corneal_thickness_um: None,
    }
}

fn exam(exam_id: Id, on: NaiveDate) -> EyeExam {
    EyeExam {
        id: exam_id,
        patient_id: P1,
        store_id: STORE_A,
        examined_at: on,
        biometer: "IOLMaster 700".into(),
        od: reading(Eye::Od),
        os: reading(Eye::Os),
        next_recheck: Some(on + Duration::days(90)),
    }
}

fn ortho_k() -> Correction {
    Correction {
        kind: CorrectionKind::OrthoK,
        fitted_on: NaiveDate::from_ymd_opt(2026, 5, 10),
        brand: Some("梦戴维".into()),
        manufacturer: Some("Euclid".into()),
    }
}

fn record(exam: EyeExam) -> Command {
    Command::EyeExamRecord(EyeExamRecord { exam, appointment_id: Some(VISIT_P1_A), correction: None })
}

fn record_with(exam: EyeExam, correction: Correction) -> Command {
    Command::EyeExamRecord(EyeExamRecord { exam, appointment_id: Some(VISIT_P1_A), correction: Some(correction) })
}

fn amend(exam: EyeExam, reason: &str) -> Command {
    Command::EyeExamAmend(EyeExamAmend { exam, correction: None, reason: reason.into() })
}

fn change_of<'a>(fx: &'a Effects, field: &str) -> Option<(&'a serde_json::Value, &'a serde_json::Value)> {
    fx.eye_audit[0].changes.iter().find(|c| c.field == field).map(|c| (&c.from, &c.to))
}

// ---------------------------------------------------------------------------------------------
// Who may record (DOMAIN.md §1: clinical measurements are the optometrist's, and the manager's)
// ---------------------------------------------------------------------------------------------

#[test]
fn receptionist_may_not_record_an_exam() {
    let mut h = H::new();
    let e = h.err(&reception_a(), record(exam(EXAM, today())));
    assert_eq!(
        e,
        DomainError::Forbidden { role: Some(Role::Receptionist), permission: clinicdesk_domain::roles::Permission::EditClinical }
    );
}

#[test]
fn only_optometrists_and_managers_of_the_exams_store_may_record_it() {
    let cases: &[(&str, Actor, Result<(), &str>)] = &[
        ("optometrist of the store", optometrist_a(), Ok(())),
        ("manager of the store", manager_a(), Ok(())),
        ("receptionist of the store", reception_a(), Err("forbidden")),
        ("optometrist of another store", optometrist_b(), Err("not_in_store")),
        ("the patient", Actor::Patient { patient_id: P1 }, Err("forbidden")),
        ("the system", Actor::System, Err("forbidden")),
    ];
    for (who, actor, expected) in cases {
        let mut h = H::new();
        let got = match expected {
            Ok(()) => h.run(actor, record(exam(EXAM, today()))).map(|_| ()).map_err(|e| e.code()),
            Err(_) => Err(h.err(actor, record(exam(EXAM, today()))).code()),
        };
        assert_eq!(got, *expected, "{who}");
    }
}

#[test]
fn receptionist_may_not_amend_an_exam_either() {
    let mut h = H::new();
    h.ok(&optometrist_a(), record(exam(EXAM, today())));
    let mut fixed = exam(EXAM, today());
    fixed.od.sphere_cd = Some(-300);
    assert_eq!(h.err(&reception_a(), amend(fixed, "录入错误")).code(), "forbidden");
    assert_eq!(h.err(&reception_a(), amend(exam(id(0xE9), today()), "录入错误")).code(), "forbidden", "not even whether it exists");
    let mut elsewhere = exam(EXAM, today());
    elsewhere.od.sphere_cd = Some(-300);
    assert_eq!(h.err(&optometrist_b(), amend(elsewhere, "录入错误")).code(), "not_in_store");
}

// ---------------------------------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------------------------------

#[test]
fn a_recorded_exam_is_stored_with_its_visit_and_an_audit_line_of_every_value_entered() {
    let mut h = H::new();
    let fx = h.ok(&optometrist_a(), record_with(exam(EXAM, today()), ortho_k()));
    assert_eq!(h.world.eye_exams[&EXAM], exam(EXAM, today()));
    assert_eq!(h.world.corrections[&P1], ortho_k());
    assert!(fx.changes.contains(&Change::EyeExam { exam: exam(EXAM, today()), appointment_id: Some(VISIT_P1_A) }));
    let audit = &fx.eye_audit[0];
    assert_eq!((audit.exam_id, audit.patient_id, audit.store_id), (EXAM, P1, STORE_A));
    assert_eq!(audit.action, ExamAuditAction::Recorded);
    assert_eq!(audit.actor, "optometrist:赵视光");
    assert_eq!(audit.reason, None);
    assert_eq!(change_of(&fx, "od.sphere_cd"), Some((&json!(null), &json!(-275))));
    assert_eq!(change_of(&fx, "biometer"), Some((&json!(null), &json!("IOLMaster 700"))));
    assert_eq!(change_of(&fx, "correction.kind"), Some((&json!(null), &json!("ortho_k"))));
    assert_eq!(change_of(&fx, "od.central_corneal_thickness_um"), None, "values not entered are not listed");
    assert_eq!(change_of(&fx, "id"), None, "identity is not a value");
}

#[test]
fn sphere_not_in_quarter_dioptre_steps_is_refused_naming_the_field() {
    let mut h = H::new();
    let mut e = exam(EXAM, today());
    e.os.sphere_cd = Some(-230);
    let err = h.err(&optometrist_a(), record(e));
    assert_eq!(err.code(), "eye.sphere_step");
    assert_eq!(err.field().as_deref(), Some("os.sphere_cd"));
    assert!(err.message(Lang::ZhCn).starts_with("左眼球镜 -2.30D"), "{}", err.message(Lang::ZhCn));
    assert!(h.world.eye_exams.is_empty());
}

#[test]
fn every_value_outside_its_clinical_range_or_step_is_refused_naming_the_field_and_nothing_is_saved() {
    type Edit = fn(&mut EyeExam);
    let cases: &[(&str, Edit, &str, &str)] = &[
        ("OD sphere below -30 D", |e| e.od.sphere_cd = Some(-3025), "eye.sphere_range", "od.sphere_cd"),
        ("OS cylinder off-step", |e| e.os.cylinder_cd = Some(-60), "eye.cylinder_step", "os.cylinder_cd"),
        ("OD axis 181°", |e| e.od.axis_deg = Some(181), "eye.axis_range", "od.axis_deg"),
        ("OS cylinder without axis", |e| e.os.axis_deg = None, "eye.axis_missing", "os.axis_deg"),
        ("OD axial length typed in mm", |e| e.od.axial_length_um = Some(24), "eye.axial_length_range", "od.axial_length_um"),
        ("OS K2 above 55 D", |e| e.os.k2_cd = Some(5600), "eye.k_range", "os.k2_cd"),
        ("OD K1 below 35 D", |e| e.od.k1_cd = Some(3000), "eye.k_range", "od.k1_cd"),
        ("OS IOP 70 mmHg", |e| e.os.iop_dmmhg = Some(700), "eye.iop_range", "os.iop_dmmhg"),
        ("OD UCVA 0", |e| e.od.ucva_hundredths = Some(0), "eye.va_range", "od.ucva_hundredths"),
        ("OS BCVA 2.5", |e| e.os.bcva_hundredths = Some(250), "eye.va_range", "os.bcva_hundredths"),
        ("OD reading in the OS slot", |e| e.os.eye = Eye::Od, "eye.eye_mismatch", "os.eye"),
        ("recheck on the exam day", |e| e.next_recheck = Some(e.examined_at), "eye.recheck_before_exam", "next_recheck"),
        ("exam tomorrow", |e| e.examined_at = today() + Duration::days(1), "exam_date_invalid", "examined_at"),
        ("exam before birth", |e| e.examined_at = NaiveDate::from_ymd_opt(2016, 2, 1).unwrap(), "exam_date_invalid", "examined_at"),
        ("biometer name too long", |e| e.biometer = "I".repeat(41), "text_too_long", "biometer"),
    ];
    for (what, edit, code, field) in cases {
        let mut h = H::new();
        let mut e = exam(EXAM, today());
        edit(&mut e);
        // A valid correction in the same entry is not saved either.
        let err = h.err(&optometrist_a(), record_with(e, ortho_k()));
        assert_eq!((err.code(), err.field().as_deref()), (*code, Some(*field)), "{what}");
        for lang in [Lang::ZhCn, Lang::ZhTw, Lang::En] {
            assert!(!err.message(lang).is_empty(), "{what}");
        }
        assert!(h.world.corrections.is_empty(), "{what}: half an entry was saved");
    }
}

#[test]
fn values_at_the_clinical_bounds_and_unmeasured_values_are_accepted() {
    let mut h = H::new();
    let mut e = exam(EXAM, today());
    e.od = EyeReading {
        sphere_cd: Some(2500),
        cylinder_cd: Some(-1000),
        axis_deg: Some(0),
        axial_length_um: Some(35_000),
        k1_cd: Some(3500),
        k2_cd: Some(5500),
        iop_dmmhg: Some(50),
        ucva_hundredths: Some(1),
        bcva_hundredths: Some(200),
        ..EyeReading::empty(Eye::Od)
    };
    e.os = EyeReading::empty(Eye::Os);
    e.biometer = "   ".into();
    e.next_recheck = None;
    h.ok(&optometrist_a(), Command::EyeExamRecord(EyeExamRecord { exam: e, appointment_id: None, correction: None }));
    assert_eq!(h.world.eye_exams[&EXAM].biometer, "", "a blank biometer is stored empty");
}

#[test]
fn an_exam_id_is_recorded_once() {
    let mut h = H::new();
    h.ok(&optometrist_a(), record(exam(EXAM, today())));
    assert_eq!(h.err(&optometrist_a(), record(exam(EXAM, today()))).code(), "id_taken");
}

#[test]
fn the_exams_visit_must_be_the_patients_in_the_same_store_and_the_patient_of_the_chain() {
    let mut h = H::new();
    let other_patients_visit =
        Command::EyeExamRecord(EyeExamRecord { exam: exam(EXAM, today()), appointment_id: Some(VISIT_P2_A), correction: None });
    let e = h.err(&optometrist_a(), other_patients_visit);
    assert_eq!((e.code(), e.field().as_deref()), ("exam_visit_mismatch", Some("appointment_id")));
    let unknown_visit =
        Command::EyeExamRecord(EyeExamRecord { exam: exam(EXAM, today()), appointment_id: Some(id(0xDEAD)), correction: None });
    assert_eq!(h.err(&optometrist_a(), unknown_visit).code(), "not_found");
    let mut unknown_patient = exam(EXAM, today());
    unknown_patient.patient_id = id(0xBEEF);
    assert_eq!(h.err(&optometrist_a(), record(unknown_patient)).code(), "not_found");
}

#[test]
fn a_correction_is_checked_and_only_a_changed_one_is_written() {
    type Edit = fn(&mut Correction);
    /// The refusal's code and field, or None when the correction is accepted.
    type Refusal = Option<(&'static str, &'static str)>;
    let cases: &[(&str, Edit, Refusal)] = &[
        ("ortho-k with details", |_| {}, None),
        ("fitted today", |c| c.fitted_on = Some(today()), None),
        ("fitted tomorrow", |c| c.fitted_on = today().succ_opt(), Some(("correction_invalid", "correction.fitted_on"))),
        (
            "no correction but a brand",
            |c| {
                c.kind = CorrectionKind::None;
                c.fitted_on = None
            },
            Some(("correction_invalid", "correction.kind")),
        ),
        (
            "no correction, nothing else",
            |c| *c = Correction { kind: CorrectionKind::None, fitted_on: None, brand: Some("  ".into()), manufacturer: None },
            None,
        ),
        ("brand too long", |c| c.brand = Some("镜".repeat(41)), Some(("text_too_long", "correction.brand"))),
    ];
    for (what, edit, expected) in cases {
        let mut h = H::new();
        let mut c = ortho_k();
        edit(&mut c);
        match expected {
            None => {
                h.ok(&optometrist_a(), record_with(exam(EXAM, today()), c));
                assert!(h.world.corrections[&P1].brand.as_deref().is_none_or(|b| !b.trim().is_empty()), "{what}: blank texts are None");
            }
            Some((code, field)) => {
                let e = h.err(&optometrist_a(), record_with(exam(EXAM, today()), c));
                assert_eq!((e.code(), e.field().as_deref()), (*code, Some(*field)), "{what}");
                assert!(h.world.eye_exams.is_empty(), "{what}");
            }
        }
    }

    // The same correction confirmed at the next exam is not written again.
    let mut h = H::new();
    h.ok(&optometrist_a(), record_with(exam(EXAM, today() - Duration::days(90)), ortho_k()));
    let fx = h.ok(&optometrist_a(), record_with(exam(id(0xE2), today()), ortho_k()));
    assert!(!fx.changes.iter().any(|c| matches!(c, Change::Correction { .. })));
    assert!(!fx.eye_audit[0].changes.iter().any(|c| c.field.starts_with("correction.")));
}

// ---------------------------------------------------------------------------------------------
// Amending
// ---------------------------------------------------------------------------------------------

#[test]
fn an_amendment_keeps_the_replaced_values_in_the_audit_with_its_reason() {
    let mut h = H::new();
    h.ok(&optometrist_a(), record_with(exam(EXAM, today()), ortho_k()));
    let mut fixed = exam(EXAM, today());
    fixed.od.sphere_cd = Some(-300);
    fixed.os.axial_length_um = Some(24_410);
    let fx = h.ok(
        &manager_a(),
        Command::EyeExamAmend(EyeExamAmend {
            exam: fixed.clone(),
            correction: Some(Correction { brand: Some("CRT".into()), ..ortho_k() }),
            reason: "  球镜录错  ".into(),
        }),
    );
    assert_eq!(h.world.eye_exams[&EXAM], fixed);
    assert_eq!(h.world.corrections[&P1].brand.as_deref(), Some("CRT"));
    let audit = &fx.eye_audit[0];
    assert_eq!(audit.action, ExamAuditAction::Amended);
    assert_eq!(audit.actor, "manager:张店长");
    assert_eq!(audit.reason.as_deref(), Some("球镜录错"));
    let fields: Vec<&str> = audit.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["od.sphere_cd", "os.axial_length_um", "correction.brand"], "only what changed");
    assert_eq!(change_of(&fx, "od.sphere_cd"), Some((&json!(-275), &json!(-300))));
    assert_eq!(change_of(&fx, "correction.brand"), Some((&json!("梦戴维"), &json!("CRT"))));
    assert!(fx.changes.contains(&Change::EyeExam { exam: fixed, appointment_id: None }), "an amendment does not touch the visit link");
}

#[test]
fn an_amendment_needs_a_recorded_exam_a_reason_a_change_and_valid_values() {
    let mut h = H::new();
    h.ok(&optometrist_a(), record(exam(EXAM, today())));
    let changed = || {
        let mut e = exam(EXAM, today());
        e.od.sphere_cd = Some(-300);
        e
    };
    let cases: Vec<(&str, Command, &str)> = vec![
        ("unknown exam", amend(exam(id(0xE9), today()), "录错"), "not_found"),
        ("no reason", amend(changed(), "  "), "empty_text"),
        ("nothing changed", amend(exam(EXAM, today()), "复核"), "exam_unchanged"),
        (
            "off-step value",
            amend(
                {
                    let mut e = changed();
                    e.od.cylinder_cd = Some(-30);
                    e
                },
                "录错",
            ),
            "eye.cylinder_step",
        ),
        (
            "moved to another patient",
            amend(
                {
                    let mut e = changed();
                    e.patient_id = P2;
                    e
                },
                "录错",
            ),
            "invalid_payload",
        ),
    ];
    for (what, cmd, code) in cases {
        assert_eq!(h.err(&optometrist_a(), cmd).code(), code, "{what}");
    }
}

// ---------------------------------------------------------------------------------------------
// The exam table
// ---------------------------------------------------------------------------------------------

#[test]
fn the_exam_table_is_newest_first_with_ser_and_axial_change_since_the_previous_exam() {
    let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let mut first = exam(id(1), d(3, 1)); // SER -275 + -50/2 = -300
    first.od.axial_length_um = Some(24_100);
    let mut pressure_only = exam(id(2), d(6, 1));
    pressure_only.od = EyeReading { iop_dmmhg: Some(160), ..EyeReading::empty(Eye::Od) };
    pressure_only.os = EyeReading { iop_dmmhg: Some(150), ..EyeReading::empty(Eye::Os) };
    let mut latest = exam(id(3), d(9, 1));
    latest.od.sphere_cd = Some(-325); // SER -350
    latest.od.axial_length_um = Some(24_310);
    latest.biometer = "Lenstar".into();

    let rows = exam_table(&[first, pressure_only, latest]);
    let ids: Vec<Id> = rows.iter().map(|r| r.exam.id).collect();
    assert_eq!(ids, [id(3), id(2), id(1)], "newest first");
    let od = &rows[0].od;
    assert_eq!(
        (od.ser_cd, od.ser_change_cd, od.ser_since),
        (Some(-350), Some(-50), Some(d(3, 1))),
        "compared past the pressure-only recheck"
    );
    assert_eq!((od.axial_length_um, od.axial_change_um, od.axial_other_biometer), (Some(24_310), Some(210), true));
    let os = &rows[0].os;
    assert_eq!((os.ser_change_cd, os.axial_change_um, os.axial_other_biometer), (Some(0), Some(0), true));
    assert_eq!((rows[1].od.ser_cd, rows[1].od.ser_change_cd), (None, None));
    assert_eq!((rows[2].od.ser_change_cd, rows[2].od.axial_change_um), (None, None), "the first exam has nothing to compare");
}

// ---------------------------------------------------------------------------------------------
// Wire form
// ---------------------------------------------------------------------------------------------

#[test]
fn the_exam_commands_are_known_and_round_trip_through_their_wire_form() {
    for cmd in [record_with(exam(EXAM, today()), ortho_k()), amend(exam(EXAM, today()), "录错")] {
        assert!(KNOWN_COMMANDS.contains(&cmd.name()));
        let text = serde_json::to_string(&cmd.args()).unwrap();
        let back = Command::from_wire(cmd.name(), serde_json::from_str(&text).unwrap());
        assert_eq!(back.as_ref(), Ok(&cmd), "{text}");
    }
}

#[test]
fn a_misspelt_reading_field_is_refused_rather_than_dropped() {
    let mut args = record(exam(EXAM, today())).args();
    args["exam"]["od"]["sphere"] = json!(-275);
    assert_eq!(Command::from_wire("eye_exam.record@1", args).map_err(|e| e.code()), Err("invalid_payload"));
    let mut args = record(exam(EXAM, today())).args();
    args["exam"]["od"]["sphere_cd"] = json!(-2.75);
    assert_eq!(Command::from_wire("eye_exam.record@1", args).map_err(|e| e.code()), Err("invalid_payload"), "dioptres as a float");
}
