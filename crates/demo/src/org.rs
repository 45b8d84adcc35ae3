//! The chain's organisation: tenant, stores, departments, doctors, doctor orders,
//! complaints, visit types, staff and channels.

use std::collections::BTreeSet;

use chrono::NaiveTime;
use chrono_tz::Tz;
use clinicdesk_domain::model::*;
use clinicdesk_domain::roles::Role;
use clinicdesk_domain::world::World;
use rand::Rng as _;

use crate::rng::{chance, new_id, uniform, Rng};

/// The kind of care a department gives; decides slot length, patients and complaints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeptKind {
    DentalGeneral,
    Ortho,
    PedDental,
    Implant,
    PedOpto,
    AdultOpto,
    OrthoK,
    Tuina,
}

impl DeptKind {
    pub fn name(self) -> &'static str {
        match self {
            DeptKind::DentalGeneral => "口腔综合科",
            DeptKind::Ortho => "正畸科",
            DeptKind::PedDental => "儿童齿科",
            DeptKind::Implant => "种植科",
            DeptKind::PedOpto => "儿童视光科",
            DeptKind::AdultOpto => "成人验光科",
            DeptKind::OrthoK => "角膜塑形镜门诊",
            DeptKind::Tuina => "中医推拿科",
        }
    }

    /// Slot length of the doctors who work in it.
    pub fn slot_minutes(self) -> u16 {
        match self {
            DeptKind::PedOpto | DeptKind::AdultOpto | DeptKind::OrthoK => 15,
            _ => 30,
        }
    }

    /// How many slots one appointment takes, with weights.
    pub fn lengths(self) -> &'static [(usize, u32)] {
        match self {
            DeptKind::Implant => &[(1, 30), (2, 50), (3, 20)],
            DeptKind::DentalGeneral | DeptKind::Ortho => &[(1, 55), (2, 35), (3, 10)],
            DeptKind::PedDental => &[(1, 65), (2, 35)],
            DeptKind::PedOpto | DeptKind::AdultOpto => &[(1, 10), (2, 45), (3, 30), (4, 15)],
            DeptKind::OrthoK => &[(2, 30), (3, 40), (4, 30)],
            DeptKind::Tuina => &[(1, 45), (2, 55)],
        }
    }

    /// Who comes to this department, by age in completed years.
    pub fn admits(self, age: u32) -> bool {
        match self {
            DeptKind::DentalGeneral => age >= 12,
            DeptKind::Ortho => (9..=35).contains(&age),
            DeptKind::PedDental => (3..=13).contains(&age),
            DeptKind::Implant => age >= 35,
            DeptKind::PedOpto => (4..=17).contains(&age),
            DeptKind::AdultOpto => (16..=55).contains(&age),
            DeptKind::OrthoK => (8..=17).contains(&age),
            DeptKind::Tuina => age >= 25 || age <= 10,
        }
    }
}

pub(crate) struct StoreInfo {
    pub id: Id,
    pub code: &'static str,
    pub tz: Tz,
    pub capacity: u8,
    pub policy: CancellationPolicy,
    pub rules: Vec<VisitTypeRule>,
    /// History label of the store's receptionist ("receptionist:刘婷").
    pub receptionist: String,
}

pub(crate) struct DeptInfo {
    pub id: Id,
    pub store: usize,
    pub kind: DeptKind,
}

/// Where and when a doctor works.
pub(crate) struct Workplace {
    pub store: usize,
    pub depts: Vec<usize>,
    /// Monday = 0 … Sunday = 6. Mostly Monday to Saturday; some doctors have a weekday
    /// off, some work Sundays instead of a weekday.
    pub weekdays: [bool; 7],
}

pub(crate) struct DoctorInfo {
    pub id: Id,
    pub fee_fen: i64,
    pub slot_minutes: u16,
    pub workplaces: Vec<Workplace>,
    /// Share of slots booked on an ordinary past day.
    pub popularity: f64,
    /// Working periods in local time (at weekends only the first, for some doctors).
    pub periods: Vec<(NaiveTime, NaiveTime)>,
    pub weekend_morning_only: bool,
}

pub(crate) struct ComplaintInfo {
    pub id: Id,
    pub name: &'static str,
    pub depts: Vec<usize>,
    /// Mostly named by returning patients (复查).
    pub review: bool,
}

pub(crate) struct Org {
    pub tenant_id: Id,
    pub stores: Vec<StoreInfo>,
    pub depts: Vec<DeptInfo>,
    pub doctors: Vec<DoctorInfo>,
    pub complaints: Vec<ComplaintInfo>,
    /// Per department: the complaints that lead to it.
    pub complaints_by_dept: Vec<Vec<usize>>,
    pub consultants: Vec<Id>,
}

fn complaints_by_dept(depts: &[DeptInfo], complaints: &[ComplaintInfo]) -> Vec<Vec<usize>> {
    (0..depts.len()).map(|d| (0..complaints.len()).filter(|c| complaints[*c].depts.contains(&d)).collect()).collect()
}

pub(crate) const TENANT_NAME: &str = "悦康口腔眼科连锁";
pub(crate) const TZ_NAME: &str = "Asia/Shanghai";
pub(crate) const ORTHO_REVIEW: &str = "ortho_review";

struct StoreSpec {
    code: &'static str,
    name: &'static str,
    kinds: &'static [DeptKind],
    policy: CancellationPolicy,
    capacity: u8,
}

use DeptKind::*;

const STORES: [StoreSpec; 3] = [
    StoreSpec {
        code: "BJ01",
        name: "悦康口腔·望京店",
        kinds: &[DentalGeneral, Ortho, PedDental, Implant],
        policy: CancellationPolicy::RequestOnly,
        capacity: 1,
    },
    StoreSpec {
        code: "BJ02",
        name: "悦康视光·中关村店",
        kinds: &[PedOpto, AdultOpto, OrthoK],
        policy: CancellationPolicy::DirectBeforeCheckIn,
        capacity: 2,
    },
    StoreSpec {
        code: "BJ03",
        name: "悦康综合门诊·亦庄店",
        kinds: &[DentalGeneral, PedOpto, Tuina],
        policy: CancellationPolicy::NotAllowed,
        capacity: 1,
    },
];

/// Where a doctor works: store index, department kinds, fixed weekdays (None: Monday to
/// Saturday, with a weekday off or Sunday duty for some).
type Place = (usize, &'static [DeptKind], Option<&'static [usize]>);

struct DoctorSpec {
    name: &'static str,
    title: &'static str,
    places: &'static [Place],
}

const DOCTORS: [DoctorSpec; 25] = [
    DoctorSpec { name: "王建国", title: "主任医师", places: &[(0, &[DentalGeneral, Implant], None)] },
    DoctorSpec { name: "李晓燕", title: "副主任医师", places: &[(0, &[DentalGeneral], None)] },
    DoctorSpec {
        name: "陈志强",
        title: "主治医师",
        places: &[(0, &[DentalGeneral], Some(&[0, 2, 3, 5])), (2, &[DentalGeneral], Some(&[1, 4]))],
    },
    DoctorSpec { name: "刘思远", title: "主治医师", places: &[(0, &[DentalGeneral], None)] },
    DoctorSpec { name: "张丽华", title: "主任医师", places: &[(0, &[Ortho], None)] },
    DoctorSpec {
        name: "赵一鸣", title: "主治医师", places: &[(0, &[Ortho], Some(&[0, 1, 2, 4])), (2, &[DentalGeneral], Some(&[3, 5]))]
    },
    DoctorSpec { name: "周婉清", title: "副主任医师", places: &[(0, &[PedDental], None)] },
    DoctorSpec { name: "吴佳琪", title: "住院医师", places: &[(0, &[PedDental, DentalGeneral], None)] },
    DoctorSpec { name: "孙海峰", title: "副主任医师", places: &[(0, &[Implant], None)] },
    DoctorSpec { name: "郑美玲", title: "主治医师", places: &[(0, &[DentalGeneral], None)] },
    DoctorSpec { name: "黄文博", title: "主任医师", places: &[(1, &[PedOpto, OrthoK], None)] },
    DoctorSpec { name: "林雨桐", title: "高级视光师", places: &[(1, &[PedOpto], None)] },
    DoctorSpec { name: "何嘉怡", title: "视光师", places: &[(1, &[PedOpto], Some(&[0, 1, 3, 5])), (2, &[PedOpto], Some(&[2, 4]))] },
    DoctorSpec { name: "高俊杰", title: "视光师", places: &[(1, &[AdultOpto], None)] },
    DoctorSpec { name: "罗静", title: "视光师", places: &[(1, &[AdultOpto], None)] },
    DoctorSpec { name: "马欣妍", title: "副主任医师", places: &[(1, &[OrthoK], None)] },
    DoctorSpec { name: "谢明哲", title: "视光师", places: &[(1, &[OrthoK, PedOpto], None)] },
    DoctorSpec { name: "宋雅婷", title: "视光师", places: &[(1, &[PedOpto], None)] },
    DoctorSpec { name: "唐振华", title: "副主任医师", places: &[(2, &[DentalGeneral], None)] },
    DoctorSpec { name: "许慧敏", title: "主治医师", places: &[(2, &[DentalGeneral], None)] },
    DoctorSpec { name: "韩立新", title: "视光师", places: &[(2, &[PedOpto], None)] },
    DoctorSpec { name: "冯梦琪", title: "视光师", places: &[(2, &[PedOpto], None)] },
    DoctorSpec { name: "邓永春", title: "主治中医师", places: &[(2, &[Tuina], None)] },
    DoctorSpec { name: "曹德胜", title: "推拿师", places: &[(2, &[Tuina], None)] },
    DoctorSpec { name: "彭秀兰", title: "推拿师", places: &[(2, &[Tuina], None)] },
];

/// Per store: doctors (by index in `DOCTORS`) the manager has not listed yet, and the one
/// hidden from patients.
const UNLISTED: [&[usize]; 3] = [&[7], &[16], &[2, 24]];
const HIDDEN: [usize; 3] = [0, 10, 23];

/// Registration fee by title, in fen (10–50 yuan).
fn fee_for(title: &str) -> i64 {
    match title {
        "主任医师" => 5000,
        "副主任医师" => 3500,
        "主治医师" | "高级视光师" | "主治中医师" => 2500,
        "视光师" => 2000,
        "住院医师" => 1500,
        _ => 1000,
    }
}

fn seniority(title: &str) -> u8 {
    match title {
        "主任医师" => 0,
        "副主任医师" => 1,
        "主治医师" | "主治中医师" | "高级视光师" => 2,
        _ => 3,
    }
}

struct ComplaintSpec {
    name: &'static str,
    kinds: &'static [DeptKind],
    review: bool,
}

const COMPLAINTS: &[ComplaintSpec] = &[
    ComplaintSpec { name: "牙痛", kinds: &[DentalGeneral, PedDental], review: false },
    ComplaintSpec { name: "补牙", kinds: &[DentalGeneral], review: false },
    ComplaintSpec { name: "洗牙/牙周治疗", kinds: &[DentalGeneral], review: false },
    ComplaintSpec { name: "智齿拔除", kinds: &[DentalGeneral], review: false },
    ComplaintSpec { name: "牙齿不齐", kinds: &[Ortho, PedDental], review: false },
    ComplaintSpec { name: "牙套复查", kinds: &[Ortho], review: true },
    ComplaintSpec { name: "缺牙修复", kinds: &[Implant, DentalGeneral], review: false },
    ComplaintSpec { name: "种植牙咨询", kinds: &[Implant], review: false },
    ComplaintSpec { name: "种植术后复查", kinds: &[Implant], review: true },
    ComplaintSpec { name: "儿童龋齿", kinds: &[PedDental], review: false },
    ComplaintSpec { name: "窝沟封闭/涂氟", kinds: &[PedDental], review: false },
    ComplaintSpec { name: "视力下降", kinds: &[PedOpto, AdultOpto], review: false },
    ComplaintSpec { name: "近视防控复查", kinds: &[PedOpto], review: true },
    ComplaintSpec { name: "验光配镜", kinds: &[AdultOpto, PedOpto], review: false },
    ComplaintSpec { name: "视疲劳", kinds: &[AdultOpto], review: false },
    ComplaintSpec { name: "角膜塑形镜验配", kinds: &[OrthoK], review: false },
    ComplaintSpec { name: "角塑复查", kinds: &[OrthoK], review: true },
    ComplaintSpec { name: "颈肩腰腿痛", kinds: &[Tuina], review: false },
    ComplaintSpec { name: "推拿疗程复诊", kinds: &[Tuina], review: true },
    ComplaintSpec { name: "小儿推拿", kinds: &[Tuina], review: false },
];

/// Login, name, role, stores (None: all), linked doctor (index in `DOCTORS`).
type StaffSpec = (&'static str, &'static str, Role, Option<usize>, Option<usize>);

const STAFF: &[StaffSpec] = &[
    ("front.bj01", "刘婷", Role::Receptionist, Some(0), None),
    ("front.bj02", "王雪", Role::Receptionist, Some(1), None),
    ("front.bj03", "张敏", Role::Receptionist, Some(2), None),
    ("opto.bj02", "林雨桐", Role::Optometrist, Some(1), Some(11)),
    ("opto.bj03", "韩立新", Role::Optometrist, Some(2), Some(20)),
    ("manager.bj01", "杨建华", Role::Manager, Some(0), None),
    ("manager.bj02", "徐静", Role::Manager, Some(1), None),
    ("manager.bj03", "马国强", Role::Manager, Some(2), None),
    ("admin", "陈立明", Role::Manager, None, None),
    ("consult.zhou", "周倩", Role::Receptionist, None, None),
    ("consult.he", "何丽", Role::Receptionist, None, None),
];

/// Channel codes and the consultant (0 = consult.zhou, 1 = consult.he) they assign.
pub(crate) const CHANNELS: &[(&str, usize, u32)] = &[("DY01", 0, 40), ("MT01", 0, 25), ("XHS01", 1, 25), ("BD01", 1, 10)];

pub(crate) fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

/// Working hours: the usual day and a few variations (every period a whole number of
/// 30-minute slots).
fn hours_variants() -> [[(NaiveTime, NaiveTime); 2]; 4] {
    [
        [(t(8, 30), t(12, 0)), (t(13, 30), t(17, 30))],
        [(t(9, 0), t(12, 0)), (t(14, 0), t(17, 30))],
        [(t(8, 0), t(11, 30)), (t(13, 0), t(17, 0))],
        [(t(8, 30), t(12, 0)), (t(13, 30), t(17, 0))],
    ]
}

/// Builds the organisation and writes its rows into `world`.
pub(crate) fn build(rng: &mut Rng, world: &mut World) -> Org {
    let tenant_id = new_id(rng);
    world.tenants.insert(tenant_id, Tenant { id: tenant_id, name: TENANT_NAME.to_string() });
    world.visit_types.insert(
        tenant_id,
        vec![
            VisitTypeDef { code: VISIT_FIRST.into(), name: "初诊".into() },
            VisitTypeDef { code: VISIT_RETURN.into(), name: "复诊".into() },
            VisitTypeDef { code: ORTHO_REVIEW.into(), name: "正畸复诊".into() },
        ],
    );

    let tz: Tz = TZ_NAME.parse().expect("known zone");
    let mut stores = Vec::new();
    let mut depts = Vec::new();
    for (si, spec) in STORES.iter().enumerate() {
        let id = new_id(rng);
        for kind in spec.kinds {
            let dept_id = new_id(rng);
            world.departments.insert(dept_id, Department { id: dept_id, store_id: id, name: kind.name().to_string() });
            depts.push(DeptInfo { id: dept_id, store: si, kind: *kind });
        }
        let receptionist = STAFF
            .iter()
            .find(|s| s.2 == Role::Receptionist && s.3 == Some(si))
            .map(|s| format!("{}:{}", s.2.as_str(), s.1))
            .expect("every store has a receptionist");
        stores.push(StoreInfo { id, code: spec.code, tz, capacity: spec.capacity, policy: spec.policy, rules: Vec::new(), receptionist });
    }
    let dept_of = |store: usize, kind: DeptKind| depts.iter().position(|d| d.store == store && d.kind == kind);

    let mut complaints = Vec::new();
    for spec in COMPLAINTS {
        let id = new_id(rng);
        let dept_idx: Vec<usize> = (0..depts.len()).filter(|d| spec.kinds.contains(&depts[*d].kind)).collect();
        world.complaints.insert(
            id,
            Complaint { id, tenant_id, name: spec.name.to_string(), department_ids: dept_idx.iter().map(|d| depts[*d].id).collect() },
        );
        complaints.push(ComplaintInfo { id, name: spec.name, depts: dept_idx, review: spec.review });
    }

    // Visit-type rules in the dental store: braces reviews are orthodontic reviews, and a
    // patient new to the chain in orthodontics is a first visit by rule.
    let braces = complaints.iter().find(|c| c.name == "牙套复查").expect("complaint").id;
    let ortho_dept = depts[dept_of(0, Ortho).expect("orthodontics")].id;
    stores[0].rules = vec![
        VisitTypeRule { complaint_id: Some(braces), department_id: None, has_previous_visit: None, visit_type: ORTHO_REVIEW.into() },
        VisitTypeRule {
            complaint_id: None,
            department_id: Some(ortho_dept),
            has_previous_visit: Some(false),
            visit_type: VISIT_FIRST.into(),
        },
    ];
    for (si, spec) in STORES.iter().enumerate() {
        let s = &stores[si];
        world.stores.insert(
            s.id,
            Store {
                id: s.id,
                tenant_id,
                code: spec.code.to_string(),
                name: spec.name.to_string(),
                timezone: TZ_NAME.to_string(),
                settings: StoreSettings {
                    cancellation_policy: spec.policy,
                    visit_type_mode: VisitTypeMode::AutoByRules,
                    visit_type_rules: s.rules.clone(),
                    capacity_per_slot: spec.capacity,
                    recall: Default::default(),
                },
            },
        );
    }

    let variants = hours_variants();
    let mut doctors = Vec::new();
    for spec in DOCTORS.iter() {
        let id = new_id(rng);
        let mut workplaces = Vec::new();
        let mut department_ids = Vec::new();
        for (store, kinds, days) in spec.places {
            let ds: Vec<usize> = kinds.iter().map(|k| dept_of(*store, *k).expect("department of the store")).collect();
            department_ids.extend(ds.iter().map(|d| depts[*d].id));
            let mut weekdays = [false; 7];
            match days {
                Some(days) => days.iter().for_each(|d| weekdays[*d] = true),
                None => {
                    weekdays[..6].iter_mut().for_each(|w| *w = true);
                    if chance(rng, 0.5) {
                        // Sunday duty (周日值班), with a weekday off instead.
                        weekdays[6] = true;
                        weekdays[rng.gen_range(0..5)] = false;
                    } else if chance(rng, 0.5) {
                        weekdays[rng.gen_range(0..5)] = false;
                    }
                }
            }
            workplaces.push(Workplace { store: *store, depts: ds, weekdays });
        }
        let slot_minutes = spec.places[0].1[0].slot_minutes();
        world.doctors.insert(id, Doctor { id, tenant_id, name: spec.name.to_string(), title: spec.title.to_string(), department_ids });
        doctors.push(DoctorInfo {
            id,
            fee_fen: fee_for(spec.title),
            slot_minutes,
            workplaces,
            popularity: uniform(rng, 0.55, 0.72),
            periods: variants[rng.gen_range(0..variants.len())].to_vec(),
            weekend_morning_only: chance(rng, 0.4),
        });
    }

    // Every store opens on Sundays (families come at weekends): if chance left a store
    // without Sunday duty, its first doctor on the usual week takes it.
    for si in 0..stores.len() {
        let covered = doctors.iter().any(|d| d.workplaces.iter().any(|w| w.store == si && w.weekdays[6]));
        if !covered {
            if let Some(w) = doctors
                .iter_mut()
                .zip(DOCTORS.iter())
                .flat_map(|(d, spec)| d.workplaces.iter_mut().zip(spec.places.iter()))
                .find(|(w, place)| w.store == si && place.2.is_none())
                .map(|(w, _)| w)
            {
                w.weekdays[6] = true;
                if w.weekdays[..5].iter().all(|x| *x) {
                    w.weekdays[2] = false;
                }
            }
        }
    }

    // Each store's list: by seniority, then as founded; some doctors not listed yet, one
    // hidden from patients.
    for (si, s) in stores.iter().enumerate() {
        let mut here: Vec<usize> =
            (0..DOCTORS.len()).filter(|d| DOCTORS[*d].places.iter().any(|p| p.0 == si) && !UNLISTED[si].contains(d)).collect();
        here.sort_by_key(|d| (seniority(DOCTORS[*d].title), *d));
        world.doctor_orders.insert(
            s.id,
            DoctorOrder {
                store_id: s.id,
                doctor_ids: here.iter().map(|d| doctors[*d].id).collect(),
                hidden: BTreeSet::from([doctors[HIDDEN[si]].id]),
            },
        );
    }

    let all_stores: Vec<Id> = stores.iter().map(|s| s.id).collect();
    let mut consultants = Vec::new();
    for (login, name, role, store, doctor) in STAFF {
        let id = new_id(rng);
        if login.starts_with("consult.") {
            consultants.push(id);
        }
        world.staff.insert(
            id,
            Staff {
                id,
                tenant_id,
                name: name.to_string(),
                login: login.to_string(),
                role: *role,
                store_ids: store.map(|s| vec![stores[s].id]).unwrap_or_else(|| all_stores.clone()),
                doctor_id: doctor.map(|d| doctors[d].id),
            },
        );
    }
    for (code, consultant, _) in CHANNELS {
        world.channels.insert(code.to_string(), Channel { code: code.to_string(), tenant_id, consultant_id: consultants[*consultant] });
    }

    let complaints_by_dept = complaints_by_dept(&depts, &complaints);
    Org { tenant_id, stores, depts, doctors, complaints, complaints_by_dept, consultants }
}

/// A single store with `doctors` doctors (the benchmark's board), all listed in order.
pub(crate) fn build_big(rng: &mut Rng, world: &mut World, doctors: usize) -> Org {
    let tenant_id = new_id(rng);
    world.tenants.insert(tenant_id, Tenant { id: tenant_id, name: "悦康压测连锁".to_string() });
    world.visit_types.insert(
        tenant_id,
        vec![
            VisitTypeDef { code: VISIT_FIRST.into(), name: "初诊".into() },
            VisitTypeDef { code: VISIT_RETURN.into(), name: "复诊".into() },
        ],
    );
    let tz: Tz = TZ_NAME.parse().expect("known zone");
    let store_id = new_id(rng);
    let code = "BM01";
    world.stores.insert(
        store_id,
        Store {
            id: store_id,
            tenant_id,
            code: code.to_string(),
            name: "悦康压测门店".to_string(),
            timezone: TZ_NAME.to_string(),
            settings: StoreSettings::default(),
        },
    );
    let kinds = [DentalGeneral, PedOpto];
    let mut depts = Vec::new();
    for kind in kinds {
        let id = new_id(rng);
        world.departments.insert(id, Department { id, store_id, name: kind.name().to_string() });
        depts.push(DeptInfo { id, store: 0, kind });
    }
    let mut complaints = Vec::new();
    for spec in COMPLAINTS.iter().filter(|c| c.kinds.iter().any(|k| kinds.contains(k))) {
        let id = new_id(rng);
        let dept_idx: Vec<usize> = (0..depts.len()).filter(|d| spec.kinds.contains(&depts[*d].kind)).collect();
        world.complaints.insert(
            id,
            Complaint { id, tenant_id, name: spec.name.to_string(), department_ids: dept_idx.iter().map(|d| depts[*d].id).collect() },
        );
        complaints.push(ComplaintInfo { id, name: spec.name, depts: dept_idx, review: spec.review });
    }
    let titles = ["主任医师", "副主任医师", "主治医师", "视光师"];
    let mut names = std::collections::HashSet::new();
    let mut infos = Vec::with_capacity(doctors);
    for i in 0..doctors {
        let id = new_id(rng);
        let dept = i % depts.len();
        let sex = if chance(rng, 0.5) { Sex::Female } else { Sex::Male };
        let name = loop {
            let n = crate::names::full_name(rng, sex, 1980);
            if names.insert(n.clone()) || names.len() > 5000 {
                break n;
            }
        };
        let title = titles[rng.gen_range(0..titles.len())];
        world.doctors.insert(id, Doctor { id, tenant_id, name, title: title.to_string(), department_ids: vec![depts[dept].id] });
        infos.push(DoctorInfo {
            id,
            fee_fen: fee_for(title),
            slot_minutes: 15,
            workplaces: vec![Workplace { store: 0, depts: vec![dept], weekdays: [true; 7] }],
            popularity: 1.0,
            periods: vec![(t(8, 0), t(18, 0))],
            weekend_morning_only: false,
        });
    }
    world
        .doctor_orders
        .insert(store_id, DoctorOrder { store_id, doctor_ids: infos.iter().map(|d| d.id).collect(), hidden: BTreeSet::new() });
    for (login, name, role) in [("front.bm01", "刘婷", Role::Receptionist), ("manager.bm01", "杨建华", Role::Manager)] {
        let id = new_id(rng);
        world
            .staff
            .insert(id, Staff { id, tenant_id, name: name.into(), login: login.into(), role, store_ids: vec![store_id], doctor_id: None });
    }
    let stores = vec![StoreInfo {
        id: store_id,
        code,
        tz,
        capacity: 1,
        policy: CancellationPolicy::RequestOnly,
        rules: Vec::new(),
        receptionist: "receptionist:刘婷".to_string(),
    }];
    let complaints_by_dept = complaints_by_dept(&depts, &complaints);
    Org { tenant_id, stores, depts, doctors: infos, complaints, complaints_by_dept, consultants: Vec::new() }
}
