//! An in-memory view of the chain that handlers read, and the changes they return.
//!
//! The simulator keeps a whole `World`; the desk and server stores load just the rows a
//! command needs into one, run the handler, and write the returned [`Effects`] back.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Entity};
use crate::eye::{Correction, EyeExam, EyeExamAudit};
use crate::model::*;
use crate::recall::RecallOutcomeRecord;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct World {
    pub tenants: BTreeMap<Id, Tenant>,
    pub stores: BTreeMap<Id, Store>,
    pub departments: BTreeMap<Id, Department>,
    pub doctors: BTreeMap<Id, Doctor>,
    pub doctor_orders: BTreeMap<Id, DoctorOrder>,
    pub complaints: BTreeMap<Id, Complaint>,
    /// Visit types per tenant.
    pub visit_types: BTreeMap<Id, Vec<VisitTypeDef>>,
    pub patients: BTreeMap<Id, Patient>,
    pub guardians: BTreeMap<Id, Guardian>,
    pub channels: BTreeMap<String, Channel>,
    pub staff: BTreeMap<Id, Staff>,
    pub schedules: BTreeMap<Id, Schedule>,
    pub blocks: BTreeMap<Id, BlockedTime>,
    pub appointments: BTreeMap<Id, Appointment>,
    pub fees: BTreeMap<Id, Fee>,
    pub refunds: BTreeMap<Id, Refund>,
    pub requests: BTreeMap<Id, CancellationRequest>,
    /// Patients known to have a completed visit in the chain (loaded by stores that do not
    /// load every appointment of a patient).
    pub patients_with_completed_visit: std::collections::BTreeSet<Id>,
    /// Eye exams by id (DOMAIN.md §7).
    #[serde(default)]
    pub eye_exams: BTreeMap<Id, EyeExam>,
    /// Each patient's current optical correction, by patient id.
    #[serde(default)]
    pub corrections: BTreeMap<Id, Correction>,
    /// Recorded recall outcomes, oldest first (the simulator's; stores keep them in tables).
    #[serde(default)]
    pub recall_outcomes: Vec<RecallOutcomeRecord>,
    /// Sync conflicts (rejected commands) by id: the mutation id of the rejected command.
    #[serde(default)]
    pub conflicts: BTreeMap<Id, crate::sync::ConflictRecord>,
}

/// One row a handler creates or replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "row", rename_all = "snake_case")]
pub enum Change {
    Patient(Patient),
    Guardian(Guardian),
    Appointment(Appointment),
    Fee(Fee),
    Refund(Refund),
    Request(CancellationRequest),
    DoctorOrder(DoctorOrder),
    StoreSettings {
        store_id: Id,
        settings: StoreSettings,
    },
    /// A new exam, or a corrected one (same id). `appointment_id` links a new exam to its
    /// visit; an amendment keeps the link the exam already has.
    EyeExam {
        exam: EyeExam,
        appointment_id: Option<Id>,
    },
    /// A patient's current correction, replacing the previous one.
    Correction {
        patient_id: Id,
        correction: Correction,
    },
    /// What came of a recall call: a new row each time (history kept).
    RecallOutcome(RecallOutcomeRecord),
    /// A sync conflict handled at a desk (the record with its resolution set).
    Conflict(crate::sync::ConflictRecord),
}

/// Something the desk should show although the command applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub code: String,
}

/// What a handler decided: rows to write, history lines, warnings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Effects {
    pub changes: Vec<Change>,
    pub history: Vec<HistoryEntry>,
    pub warnings: Vec<Warning>,
    /// Audit lines of the eye-health record (who entered or changed which exam values).
    #[serde(default)]
    pub eye_audit: Vec<EyeExamAudit>,
}

impl World {
    pub fn store(&self, id: Id) -> Result<&Store, DomainError> {
        self.stores.get(&id).ok_or(DomainError::NotFound { what: Entity::Store, id })
    }
    pub fn department(&self, id: Id) -> Result<&Department, DomainError> {
        self.departments.get(&id).ok_or(DomainError::NotFound { what: Entity::Department, id })
    }
    pub fn doctor(&self, id: Id) -> Result<&Doctor, DomainError> {
        self.doctors.get(&id).ok_or(DomainError::NotFound { what: Entity::Doctor, id })
    }
    pub fn patient(&self, id: Id) -> Result<&Patient, DomainError> {
        self.patients.get(&id).ok_or(DomainError::NotFound { what: Entity::Patient, id })
    }
    pub fn complaint(&self, id: Id) -> Result<&Complaint, DomainError> {
        self.complaints.get(&id).ok_or(DomainError::NotFound { what: Entity::Complaint, id })
    }
    pub fn appointment(&self, id: Id) -> Result<&Appointment, DomainError> {
        self.appointments.get(&id).ok_or(DomainError::NotFound { what: Entity::Appointment, id })
    }
    pub fn fee(&self, id: Id) -> Result<&Fee, DomainError> {
        self.fees.get(&id).ok_or(DomainError::NotFound { what: Entity::Fee, id })
    }
    pub fn request(&self, id: Id) -> Result<&CancellationRequest, DomainError> {
        self.requests.get(&id).ok_or(DomainError::NotFound { what: Entity::CancellationRequest, id })
    }
    pub fn eye_exam(&self, id: Id) -> Result<&EyeExam, DomainError> {
        self.eye_exams.get(&id).ok_or(DomainError::NotFound { what: Entity::EyeExam, id })
    }

    /// The fee of an appointment, if it has one.
    pub fn fee_of(&self, appointment: &Appointment) -> Option<&Fee> {
        appointment.fee_id.and_then(|id| self.fees.get(&id))
    }

    /// The refund of a fee, if any. At most one exists (the invariant of DOMAIN.md §6).
    pub fn refund_of(&self, fee_id: Id) -> Option<&Refund> {
        self.refunds.values().find(|r| r.fee_id == fee_id)
    }

    pub fn open_request_of(&self, appointment_id: Id) -> Option<&CancellationRequest> {
        self.requests.values().find(|r| r.appointment_id == appointment_id && r.status == RequestStatus::Open)
    }

    /// Active appointments of a doctor (in any store) that overlap [start, end).
    pub fn active_overlapping(&self, doctor_id: Id, start: DateTime<Utc>, end: DateTime<Utc>, except: Option<Id>) -> Vec<&Appointment> {
        self.appointments
            .values()
            .filter(|a| a.doctor_id == doctor_id && a.state.is_active() && Some(a.id) != except)
            .filter(|a| a.start < end && start < a.end)
            .collect()
    }

    pub fn has_completed_visit(&self, patient_id: Id) -> bool {
        self.patients_with_completed_visit.contains(&patient_id)
            || self.appointments.values().any(|a| a.patient_id == patient_id && a.state == AppointmentState::Completed)
    }

    /// Writes a handler's effects into this world (the simulator's and tests' store).
    pub fn apply(&mut self, effects: &Effects) {
        for change in &effects.changes {
            match change.clone() {
                Change::Patient(p) => {
                    self.patients.insert(p.id, p);
                }
                Change::Guardian(g) => {
                    self.guardians.insert(g.id, g);
                }
                Change::Appointment(a) => {
                    if a.state == AppointmentState::Completed {
                        self.patients_with_completed_visit.insert(a.patient_id);
                    }
                    self.appointments.insert(a.id, a);
                }
                Change::Fee(f) => {
                    self.fees.insert(f.id, f);
                }
                Change::Refund(r) => {
                    self.refunds.insert(r.id, r);
                }
                Change::Request(r) => {
                    self.requests.insert(r.id, r);
                }
                Change::DoctorOrder(o) => {
                    self.doctor_orders.insert(o.store_id, o);
                }
                Change::StoreSettings { store_id, settings } => {
                    if let Some(s) = self.stores.get_mut(&store_id) {
                        s.settings = settings;
                    }
                }
                Change::EyeExam { exam, .. } => {
                    self.eye_exams.insert(exam.id, exam);
                }
                Change::Correction { patient_id, correction } => {
                    self.corrections.insert(patient_id, correction);
                }
                Change::RecallOutcome(o) => self.recall_outcomes.push(o),
                Change::Conflict(c) => {
                    self.conflicts.insert(c.id, c);
                }
            }
        }
    }
}
