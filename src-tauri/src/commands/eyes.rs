//! The eye-health record (DOMAIN.md §7): a patient's exam table, an exam's audit trail and
//! the eye-growth view (charts on a published reference).
//! Exams are recorded and amended through `execute` (`eye_exam.record@1`,
//! `eye_exam.amend@1`), which checks the role and every value; a refused value comes back
//! with the `field` it is about.

use chrono::Utc;
use clinicdesk_domain::roles::Permission;
use clinicdesk_domain::Lang;
use clinicdesk_eyecare::{EyeView, ReferenceId};
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

/// A reference slug from the UI ("sanz-diez-2022", "he-2023"); none means the default for the age.
pub(crate) fn parse_reference(lang: Lang, reference: Option<String>) -> Result<Option<ReferenceId>, ApiError> {
    reference
        .map(|r| {
            ReferenceId::parse(&r).ok_or_else(|| ApiError { field: Some("reference".into()), ..ApiError::bad_input(lang, "reference") })
        })
        .transpose()
}

/// A patient's eye-growth view: both eyes' axial-length and SER charts, a point per exam with
/// percentile and growth, the reference used and the plain-language summary. Clinical data.
#[tauri::command]
pub async fn eye_view(state: State<'_, AppState>, patient_id: String, reference: Option<String>) -> Result<EyeView, ApiError> {
    let lang = state.lang().await;
    let id: clinicdesk_domain::model::Id = patient_id.parse().map_err(|_| ApiError::bad_input(lang, "patient"))?;
    let reference = parse_reference(lang, reference)?;
    let (ready, _actor) = state.act(Permission::ViewClinical, None).await?;
    clinicdesk_print::eye_view(&ready.store, &id.to_string(), reference, lang, Utc::now()).await.map_err(|e| ApiError::from_print(&e, lang))
}
