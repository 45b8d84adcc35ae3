//! The booking path (DOMAIN.md §3): complaint → department → doctors with free slots → slot,
//! and the visit type by the store's rules with the first/return fallback.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::*;
use crate::order::{order_doctors, OrderedDoctor};
use crate::slots::{self, Slot};
use crate::world::World;

/// The departments of a store that treat a complaint.
pub fn departments_for_complaint<'a>(world: &'a World, complaint: &Complaint, store_id: Id) -> Vec<&'a Department> {
    complaint.department_ids.iter().filter_map(|id| world.departments.get(id)).filter(|d| d.store_id == store_id).collect()
}

/// The doctors who work in a store: a department of the store, a schedule or an appointment there.
pub fn store_doctors(world: &World, store_id: Id) -> Vec<&Doctor> {
    world
        .doctors
        .values()
        .filter(|doc| {
            doc.department_ids.iter().any(|d| world.departments.get(d).is_some_and(|d| d.store_id == store_id))
                || world.schedules.values().any(|s| s.store_id == store_id && s.doctor_id == doc.id)
                || world.appointments.values().any(|a| a.store_id == store_id && a.doctor_id == doc.id)
        })
        .collect()
}

/// Free slots of one doctor on one day in one store.
pub fn doctor_slots(world: &World, store: &Store, doctor_id: Id, date: NaiveDate) -> Vec<Slot> {
    let tz = slots::zone(&store.timezone);
    let blocks: Vec<&BlockedTime> = world.blocks.values().filter(|b| b.doctor_id == doctor_id).collect();
    world
        .schedules
        .values()
        .filter(|s| s.store_id == store.id && s.doctor_id == doctor_id && s.date == date)
        .flat_map(|s| slots::slots(s, tz, world.appointments.values(), &blocks, store.settings.capacity_per_slot))
        .collect()
}

/// Doctors of a department with at least one free slot that day, in the store's doctor order.
pub fn doctors_with_free_slots(world: &World, store: &Store, department_id: Id, date: NaiveDate) -> Vec<(OrderedDoctor, Vec<Slot>)> {
    let in_dept: Vec<&Doctor> = store_doctors(world, store.id).into_iter().filter(|d| d.department_ids.contains(&department_id)).collect();
    order_doctors(world.doctor_orders.get(&store.id), in_dept)
        .into_iter()
        .filter_map(|od| {
            let free: Vec<Slot> = doctor_slots(world, store, od.doctor_id, date).into_iter().filter(Slot::is_free).collect();
            (!free.is_empty()).then_some((od, free))
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitTypeDecision {
    pub code: String,
    /// No rule matched: first visit without a previous completed visit, else return visit.
    pub by_fallback: bool,
}

/// The visit type by rules (first matching rule wins) with the first/return fallback.
pub fn decide_visit_type(
    rules: &[VisitTypeRule],
    complaint_id: Option<Id>,
    department_id: Id,
    has_previous_visit: bool,
) -> VisitTypeDecision {
    let matched = rules.iter().find(|r| {
        r.complaint_id.is_none_or(|c| Some(c) == complaint_id)
            && r.department_id.is_none_or(|d| d == department_id)
            && r.has_previous_visit.is_none_or(|h| h == has_previous_visit)
    });
    match matched {
        Some(rule) => VisitTypeDecision { code: rule.visit_type.clone(), by_fallback: false },
        None => VisitTypeDecision { code: if has_previous_visit { VISIT_RETURN } else { VISIT_FIRST }.to_string(), by_fallback: true },
    }
}

/// How many bookings the fallback decided, so managers see weak rule coverage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FallbackShare {
    pub by_fallback: usize,
    pub total: usize,
}

impl FallbackShare {
    pub fn of<'a>(appointments: impl IntoIterator<Item = &'a Appointment>) -> Self {
        let mut s = FallbackShare::default();
        for a in appointments {
            s.total += 1;
            s.by_fallback += usize::from(a.visit_type_by_fallback);
        }
        s
    }
    /// Percent, rounded down; 0 when nothing was booked.
    pub fn percent(&self) -> u32 {
        (self.by_fallback * 100).checked_div(self.total).unwrap_or(0) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visit_type_follows_the_first_matching_rule_else_first_or_return_visit() {
        let ortho = Id::from_u128(10);
        let braces = Id::from_u128(20);
        let rules = vec![
            VisitTypeRule {
                complaint_id: Some(braces),
                department_id: None,
                has_previous_visit: Some(true),
                visit_type: "ortho_review".into(),
            },
            VisitTypeRule { complaint_id: None, department_id: Some(ortho), has_previous_visit: None, visit_type: "ortho_consult".into() },
        ];
        let other = Id::from_u128(30);
        let cases = [
            (Some(braces), other, true, "ortho_review", false),
            (Some(braces), ortho, false, "ortho_consult", false),
            (None, ortho, true, "ortho_consult", false),
            (None, other, false, "first", true),
            (None, other, true, "return", true),
        ];
        for (complaint, dept, prev, code, fallback) in cases {
            let d = decide_visit_type(&rules, complaint, dept, prev);
            assert_eq!((d.code.as_str(), d.by_fallback), (code, fallback), "{complaint:?} {dept:?} {prev}");
        }
    }

    #[test]
    fn the_fallback_share_counts_bookings_no_rule_decided() {
        assert_eq!(FallbackShare::default().percent(), 0);
        let s = FallbackShare { by_fallback: 1, total: 3 };
        assert_eq!(s.percent(), 33);
    }
}
