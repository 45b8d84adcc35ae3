//! The eye-health record (DOMAIN.md §7): a patient's exam table and an exam's audit trail.
//! Exams are recorded and amended through `execute` (`eye_exam.record@1`,
//! `eye_exam.amend@1`), which checks the role and every value; a refused value comes back
//! with the `field` it is about.

use clinicdesk_domain::roles::Permission;
use clinicdesk_store::eyes::{ExamAuditLine, PatientExamRow};
use tauri::State;

use crate::api::ApiError;
use crate::backend::AppState;

/// A patient's exams, newest first, with each eye's SER and axial length and the change
/// since the previous exam. Clinical data: optometrists and managers only.
#[tauri::command]
pub async fn patient_exams(state: State<'_, AppState>, patient_id: String) -> Result<Vec<PatientExamRow>, ApiError> {
    let lang = state.lang().await;
    let id = patient_id.parse().map_err(|_| ApiError::bad_input(lang, "patient"))?;
    let (ready, _actor) = state.act(Permission::ViewClinical, None).await?;
    ready.store.patient_exams(id).await.map_err(|e| ApiError::from_store(&e, lang))
}

/// Who recorded and amended an exam, when, why, and which values from what to what.
#[tauri::command]
pub async fn exam_audit(state: State<'_, AppState>, exam_id: String) -> Result<Vec<ExamAuditLine>, ApiError> {
    let lang = state.lang().await;
    let id = exam_id.parse().map_err(|_| ApiError::bad_input(lang, "exam"))?;
    let (ready, _actor) = state.act(Permission::ViewClinical, None).await?;
    ready.store.exam_audit(id).await.map_err(|e| ApiError::from_store(&e, lang))
}
