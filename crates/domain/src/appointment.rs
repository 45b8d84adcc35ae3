//! The appointment state machine (DOMAIN.md §4).
//!
//! pending → confirmed → checked_in → completed; cancelled and no_show are side exits taken
//! only before check-in; a manager may undo a mistaken check-in.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::model::AppointmentState::{self, *};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Confirm,
    CheckIn,
    Complete,
    NoShow,
    Cancel,
    UndoCheckIn,
    Reschedule,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Confirm => "confirm",
            Action::CheckIn => "check_in",
            Action::Complete => "complete",
            Action::NoShow => "no_show",
            Action::Cancel => "cancel",
            Action::UndoCheckIn => "undo_check_in",
            Action::Reschedule => "reschedule",
        }
    }
}

/// The state an action leads to, or why it cannot be taken.
pub fn next_state(from: AppointmentState, action: Action) -> Result<AppointmentState, DomainError> {
    let to = match (action, from) {
        (Action::Confirm, Pending) => Confirmed,
        (Action::CheckIn, Pending | Confirmed) => CheckedIn,
        (Action::Complete, CheckedIn) => Completed,
        (Action::NoShow, Pending | Confirmed) => NoShow,
        (Action::Cancel, Pending | Confirmed) => Cancelled,
        (Action::Cancel, CheckedIn | Completed) => return Err(DomainError::CancelAfterCheckIn { state: from }),
        (Action::UndoCheckIn, CheckedIn) => Confirmed,
        (Action::Reschedule, Pending | Confirmed) => from,
        _ => return Err(DomainError::InvalidTransition { from, action: action.as_str() }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_action_has_the_documented_outcome() {
        use Action::*;
        let states = [Pending, Confirmed, CheckedIn, Completed, Cancelled, AppointmentState::NoShow];
        // Expected next state per (action, from); None = refused.
        let table: &[(Action, [Option<AppointmentState>; 6])] = &[
            (Confirm, [Some(Confirmed), None, None, None, None, None]),
            (CheckIn, [Some(CheckedIn), Some(CheckedIn), None, None, None, None]),
            (Complete, [None, None, Some(Completed), None, None, None]),
            (Action::NoShow, [Some(AppointmentState::NoShow), Some(AppointmentState::NoShow), None, None, None, None]),
            (Cancel, [Some(Cancelled), Some(Cancelled), None, None, None, None]),
            (UndoCheckIn, [None, None, Some(Confirmed), None, None, None]),
            (Reschedule, [Some(Pending), Some(Confirmed), None, None, None, None]),
        ];
        for (action, row) in table {
            for (from, expected) in states.iter().zip(row) {
                assert_eq!(next_state(*from, *action).ok(), *expected, "{action:?} from {from:?}");
            }
        }
    }

    #[test]
    fn cancelling_after_check_in_says_so_rather_than_a_generic_error() {
        assert_eq!(next_state(CheckedIn, Action::Cancel).unwrap_err().code(), "cancel_after_check_in");
        assert_eq!(next_state(Completed, Action::Cancel).unwrap_err().code(), "cancel_after_check_in");
        assert_eq!(next_state(Cancelled, Action::Cancel).unwrap_err().code(), "invalid_transition");
    }
}

/// What the desk may offer for an appointment right now: the state allows it and the actor
/// holds the permission. The UI shows only these; the handlers check again anyway.
pub fn allowed_actions(state: AppointmentState, actor: &crate::roles::Actor, store_id: crate::model::Id) -> Vec<Action> {
    use crate::roles::Permission;
    [Action::Confirm, Action::CheckIn, Action::Complete, Action::NoShow, Action::Cancel, Action::UndoCheckIn, Action::Reschedule]
        .into_iter()
        .filter(|a| next_state(state, *a).is_ok())
        .filter(|a| {
            let p = if *a == Action::UndoCheckIn { Permission::UndoCheckIn } else { Permission::ManageAppointment };
            actor.require(p, Some(store_id)).is_ok()
        })
        .collect()
}

#[cfg(test)]
mod allowed_tests {
    use super::*;
    use crate::model::Id;
    use crate::roles::{Actor, Role};

    fn staff(role: Role) -> Actor {
        Actor::Staff { staff_id: Id::from_u128(1), name: "x".into(), role, store_ids: vec![Id::from_u128(7)] }
    }

    #[test]
    fn the_desk_offers_only_actions_the_state_and_the_role_allow() {
        let store = Id::from_u128(7);
        let cases: &[(AppointmentState, Role, &[Action])] = &[
            (Pending, Role::Receptionist, &[Action::Confirm, Action::CheckIn, Action::NoShow, Action::Cancel, Action::Reschedule]),
            (Confirmed, Role::Receptionist, &[Action::CheckIn, Action::NoShow, Action::Cancel, Action::Reschedule]),
            (CheckedIn, Role::Receptionist, &[Action::Complete]),
            (CheckedIn, Role::Manager, &[Action::Complete, Action::UndoCheckIn]),
            (Completed, Role::Manager, &[]),
            (Cancelled, Role::Manager, &[]),
        ];
        for (state, role, expected) in cases {
            assert_eq!(allowed_actions(*state, &staff(*role), store), expected.to_vec(), "{state:?} {role:?}");
        }
        assert!(allowed_actions(Pending, &staff(Role::Manager), Id::from_u128(8)).is_empty(), "another store's appointment");
    }
}
