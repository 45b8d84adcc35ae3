//! Who may do what (DOMAIN.md §1): a role check is part of every command.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::model::Id;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    Receptionist,
    Optometrist,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Receptionist => "receptionist",
            Role::Optometrist => "optometrist",
            Role::Manager => "manager",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "receptionist" => Role::Receptionist,
            "optometrist" => Role::Optometrist,
            "manager" => Role::Manager,
            _ => return None,
        })
    }
}

/// Everything a command can require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    ViewBoard,
    RegisterPatient,
    BookAppointment,
    /// Confirm, check in, complete, no-show, reschedule, cancel.
    ManageAppointment,
    UndoCheckIn,
    ChargeFee,
    RefundFee,
    HandleCancellationRequests,
    EditDoctorOrder,
    EditStoreSettings,
    ViewClinical,
    EditClinical,
    ViewReports,
    ResolveConflicts,
    EditRecallThresholds,
    /// See the store's recall task list and record what came of a call (`recall.record_outcome@1`).
    WorkRecallList,
}

impl Permission {
    pub const ALL: [Permission; 16] = [
        Permission::ViewBoard,
        Permission::RegisterPatient,
        Permission::BookAppointment,
        Permission::ManageAppointment,
        Permission::UndoCheckIn,
        Permission::ChargeFee,
        Permission::RefundFee,
        Permission::HandleCancellationRequests,
        Permission::EditDoctorOrder,
        Permission::EditStoreSettings,
        Permission::ViewClinical,
        Permission::EditClinical,
        Permission::ViewReports,
        Permission::ResolveConflicts,
        Permission::EditRecallThresholds,
        Permission::WorkRecallList,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewBoard => "view_board",
            Permission::RegisterPatient => "register_patient",
            Permission::BookAppointment => "book_appointment",
            Permission::ManageAppointment => "manage_appointment",
            Permission::UndoCheckIn => "undo_check_in",
            Permission::ChargeFee => "charge_fee",
            Permission::RefundFee => "refund_fee",
            Permission::HandleCancellationRequests => "handle_cancellation_requests",
            Permission::EditDoctorOrder => "edit_doctor_order",
            Permission::EditStoreSettings => "edit_store_settings",
            Permission::ViewClinical => "view_clinical",
            Permission::EditClinical => "edit_clinical",
            Permission::ViewReports => "view_reports",
            Permission::ResolveConflicts => "resolve_conflicts",
            Permission::EditRecallThresholds => "edit_recall_thresholds",
            Permission::WorkRecallList => "work_recall_list",
        }
    }
}

/// The role matrix of DOMAIN.md §1 (seed 004 §3, §5.3).
pub fn role_allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    match role {
        Role::Manager => true,
        Role::Receptionist => matches!(
            permission,
            ViewBoard
                | RegisterPatient
                | BookAppointment
                | ManageAppointment
                | ChargeFee
                | RefundFee
                | HandleCancellationRequests
                | WorkRecallList
        ),
        Role::Optometrist => matches!(permission, ViewBoard | ManageAppointment | ViewClinical | EditClinical | WorkRecallList),
    }
}

/// Who is acting on a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    Staff {
        staff_id: Id,
        name: String,
        role: Role,
        store_ids: Vec<Id>,
    },
    /// A patient through the patient app (identified by the server).
    Patient {
        patient_id: Id,
    },
    /// The server itself (payment-provider callbacks, scheduled work).
    System,
}

impl Actor {
    /// A short, non-personal label for history lines ("manager:张主任" is staff data, not patient data).
    pub fn label(&self) -> String {
        match self {
            Actor::Staff { name, role, .. } => format!("{}:{}", role.as_str(), name),
            Actor::Patient { .. } => "patient".to_string(),
            Actor::System => "system".to_string(),
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Staff { role, .. } => Some(*role),
            _ => None,
        }
    }

    /// Staff must hold the permission and work in the store; patients and the system are
    /// checked by the commands that accept them.
    pub fn require(&self, permission: Permission, store_id: Option<Id>) -> Result<(), DomainError> {
        match self {
            Actor::Staff { role, store_ids, .. } => {
                if !role_allows(*role, permission) {
                    return Err(DomainError::Forbidden { role: Some(*role), permission });
                }
                if let Some(store) = store_id {
                    if !store_ids.contains(&store) {
                        return Err(DomainError::NotInStore { store_id: store });
                    }
                }
                Ok(())
            }
            Actor::Patient { .. } | Actor::System => Err(DomainError::Forbidden { role: None, permission }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn each_role_may_do_exactly_what_domain_section_1_allows() {
        let table: &[(Role, Permission, bool)] = &[
            (Role::Receptionist, BookAppointment, true),
            (Role::Receptionist, RefundFee, true),
            (Role::Receptionist, HandleCancellationRequests, true),
            (Role::Receptionist, UndoCheckIn, false),
            (Role::Receptionist, EditDoctorOrder, false),
            (Role::Receptionist, EditStoreSettings, false),
            (Role::Receptionist, EditClinical, false),
            (Role::Receptionist, ViewClinical, false),
            (Role::Receptionist, ResolveConflicts, false),
            (Role::Optometrist, EditClinical, true),
            (Role::Optometrist, ViewClinical, true),
            (Role::Optometrist, RefundFee, false),
            (Role::Optometrist, BookAppointment, false),
            (Role::Optometrist, EditDoctorOrder, false),
            (Role::Manager, UndoCheckIn, true),
            (Role::Manager, EditDoctorOrder, true),
            (Role::Manager, EditStoreSettings, true),
            (Role::Manager, ResolveConflicts, true),
            (Role::Manager, EditRecallThresholds, true),
            (Role::Receptionist, WorkRecallList, true),
            (Role::Optometrist, WorkRecallList, true),
            (Role::Manager, WorkRecallList, true),
            (Role::Receptionist, EditRecallThresholds, false),
            (Role::Optometrist, EditRecallThresholds, false),
        ];
        for (role, perm, expected) in table {
            assert_eq!(role_allows(*role, *perm), *expected, "{role:?} {perm:?}");
        }
    }

    #[test]
    fn staff_of_one_store_cannot_act_in_another() {
        let a = Id::from_u128(1);
        let b = Id::from_u128(2);
        let actor = Actor::Staff { staff_id: Id::from_u128(9), name: "王".into(), role: Role::Manager, store_ids: vec![a] };
        assert!(actor.require(BookAppointment, Some(a)).is_ok());
        assert_eq!(actor.require(BookAppointment, Some(b)).unwrap_err().code(), "not_in_store");
    }

    #[test]
    fn patients_and_the_system_hold_no_staff_permission() {
        let p = Actor::Patient { patient_id: Id::from_u128(3) };
        assert_eq!(p.require(ViewBoard, None).unwrap_err().code(), "forbidden");
        assert_eq!(Actor::System.require(RefundFee, None).unwrap_err().code(), "forbidden");
    }
}
