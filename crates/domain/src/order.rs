//! Per-store doctor order (DOMAIN.md §2): listed doctors first in the manager's order,
//! doctors not yet listed after them by name; "hidden" only hides from patients.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::model::{Doctor, DoctorOrder, Id};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderedDoctor {
    pub doctor_id: Id,
    /// In the store's list (false: shown last until a manager adds them).
    pub listed: bool,
    /// Hidden from patients; still a column at the desk.
    pub hidden: bool,
}

/// Orders the doctors who work in a store. `doctors` are all doctors with slots,
/// appointments or a department in the store; listed ids that are not among them are skipped.
pub fn order_doctors<'a>(order: Option<&DoctorOrder>, doctors: impl IntoIterator<Item = &'a Doctor>) -> Vec<OrderedDoctor> {
    let mut present: Vec<&Doctor> = doctors.into_iter().collect();
    present.sort_by_key(|d| d.id);
    present.dedup_by(|a, b| a.id == b.id);
    let hidden = |id: Id| order.is_some_and(|o| o.hidden.contains(&id));
    let mut out = Vec::with_capacity(present.len());
    let mut seen = BTreeSet::new();
    if let Some(order) = order {
        for id in &order.doctor_ids {
            if present.iter().any(|d| d.id == *id) && seen.insert(*id) {
                out.push(OrderedDoctor { doctor_id: *id, listed: true, hidden: hidden(*id) });
            }
        }
    }
    let mut rest: Vec<&Doctor> = present.into_iter().filter(|d| !seen.contains(&d.id)).collect();
    // Stable: by name, then id so equal names never swap between calls.
    rest.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    out.extend(rest.into_iter().map(|d| OrderedDoctor { doctor_id: d.id, listed: false, hidden: hidden(d.id) }));
    out
}

/// The list the patient app gets: the same order, hidden doctors left out.
pub fn patient_facing<'a>(order: Option<&DoctorOrder>, doctors: impl IntoIterator<Item = &'a Doctor>) -> Vec<Id> {
    order_doctors(order, doctors).into_iter().filter(|d| !d.hidden).map(|d| d.doctor_id).collect()
}

/// A new order as a manager saved it: no doctor twice.
pub fn validate_order(ids: &[Id]) -> Result<(), DomainError> {
    let mut seen = BTreeSet::new();
    if ids.iter().all(|id| seen.insert(*id)) {
        Ok(())
    } else {
        Err(DomainError::DuplicateInOrder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(n: u128, name: &str) -> Doctor {
        Doctor { id: Id::from_u128(n), tenant_id: Id::nil(), name: name.into(), title: String::new(), department_ids: vec![] }
    }

    fn ids(v: &[OrderedDoctor]) -> Vec<u128> {
        v.iter().map(|d| d.doctor_id.as_u128()).collect()
    }

    #[test]
    fn listed_doctors_come_first_in_the_managers_order_unlisted_last_by_name() {
        let docs = [doc(1, "赵"), doc(2, "钱"), doc(3, "孙"), doc(4, "李"), doc(5, "Adams")];
        let order = DoctorOrder { store_id: Id::nil(), doctor_ids: vec![Id::from_u128(3), Id::from_u128(1)], hidden: Default::default() };
        let cases: &[(Option<&DoctorOrder>, Vec<u128>)] = &[
            // No list yet: everyone by name (code-point order; stable).
            (None, vec![5, 3, 4, 1, 2]),
            (Some(&order), vec![3, 1, 5, 4, 2]),
        ];
        for (order, expected) in cases {
            let got = order_doctors(*order, docs.iter());
            assert_eq!(ids(&got), *expected);
        }
        let got = order_doctors(Some(&order), docs.iter());
        assert_eq!(got.iter().map(|d| d.listed).collect::<Vec<_>>(), vec![true, true, false, false, false]);
    }

    #[test]
    fn unlisted_doctors_keep_a_stable_order_whatever_the_input_order() {
        let a = [doc(7, "王"), doc(8, "王"), doc(9, "陈")];
        let b = [doc(9, "陈"), doc(8, "王"), doc(7, "王")];
        assert_eq!(ids(&order_doctors(None, a.iter())), ids(&order_doctors(None, b.iter())));
    }

    #[test]
    fn hiding_a_doctor_never_changes_positions_only_the_patient_list() {
        let docs = [doc(1, "赵"), doc(2, "钱"), doc(3, "孙")];
        let mut order = DoctorOrder {
            store_id: Id::nil(),
            doctor_ids: vec![Id::from_u128(2), Id::from_u128(1), Id::from_u128(3)],
            hidden: Default::default(),
        };
        let before = ids(&order_doctors(Some(&order), docs.iter()));
        order.hidden.insert(Id::from_u128(1));
        let after = order_doctors(Some(&order), docs.iter());
        assert_eq!(ids(&after), before);
        assert!(after[1].hidden);
        assert_eq!(patient_facing(Some(&order), docs.iter()), vec![Id::from_u128(2), Id::from_u128(3)]);
    }

    #[test]
    fn listed_doctors_who_no_longer_work_in_the_store_are_skipped() {
        let docs = [doc(1, "赵")];
        let order = DoctorOrder { store_id: Id::nil(), doctor_ids: vec![Id::from_u128(99), Id::from_u128(1)], hidden: Default::default() };
        assert_eq!(ids(&order_doctors(Some(&order), docs.iter())), vec![1]);
    }

    #[test]
    fn an_order_with_a_doctor_twice_is_refused() {
        assert!(validate_order(&[Id::from_u128(1), Id::from_u128(2)]).is_ok());
        assert_eq!(validate_order(&[Id::from_u128(1), Id::from_u128(1)]).unwrap_err().code(), "duplicate_in_order");
    }
}
