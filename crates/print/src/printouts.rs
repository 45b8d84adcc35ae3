//! Reading the desk database into the eyecare printouts (and the eye-growth view).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use clinicdesk_domain::eye::EyeExam;
use clinicdesk_domain::model::{AppointmentState, VISIT_FIRST, VISIT_RETURN};
use clinicdesk_domain::recall::RecallThresholds;
use clinicdesk_domain::slots;
use clinicdesk_domain::Lang;
use clinicdesk_eyecare::{
    day_sheet_pdf, parent_report_pdf, refund_slip_pdf, DaySheet, DaySheetRow, EyeView, EyeViewInput, ParentReport, ReferenceId, RefundSlip,
};
use clinicdesk_store::eyes::{PatientCard, RefundCard};
use clinicdesk_store::views::StoreRef;
use clinicdesk_store::{LocalStore, StoreError};

use crate::{count_pages, file_name, Day, Failure, Printout};

fn db_err(e: StoreError) -> Failure {
    Failure::Db(e)
}

pub fn state_name(s: AppointmentState, lang: Lang) -> &'static str {
    match s {
        AppointmentState::Pending => lang.pick("待确认", "待確認", "Pending"),
        AppointmentState::Confirmed => lang.pick("已确认", "已確認", "Confirmed"),
        AppointmentState::CheckedIn => lang.pick("已签到", "已報到", "Checked in"),
        AppointmentState::Completed => lang.pick("已完成", "已完成", "Completed"),
        AppointmentState::Cancelled => lang.pick("已取消", "已取消", "Cancelled"),
        AppointmentState::NoShow => lang.pick("爽约", "未到診", "No-show"),
    }
}

/// The built-in visit types (by code, or by the name the board gives) in the sheet's
/// language; a chain's own types by their name.
fn visit_name(code: &str, names: &HashMap<String, String>, lang: Lang) -> Option<String> {
    match code {
        "" => None,
        VISIT_FIRST | "初诊" => Some(lang.pick("初诊", "初診", "First visit").into()),
        VISIT_RETURN | "复诊" => Some(lang.pick("复诊", "複診", "Return visit").into()),
        other => Some(names.get(other).cloned().unwrap_or_else(|| other.to_string())),
    }
}

fn minute_time(min: u32) -> NaiveTime {
    let min = min.min(24 * 60 - 1);
    NaiveTime::from_hms_opt(min / 60, min % 60, 0).expect("in range")
}

/// A store's day sheet: every doctor on the store's board that day, in the store's order,
/// with their appointments in time order (cancelled ones left out: they hold no slot).
pub async fn day_sheet(store: &LocalStore, code: &str, day: Day, lang: Lang, now: DateTime<Utc>) -> Result<Printout, Failure> {
    let found = store.find_store(code).await.map_err(db_err)?.ok_or_else(|| Failure::UnknownStore(code.to_string()))?;
    let tz = slots::zone(&found.timezone);
    let today = slots::local_date(tz, now);
    let date = match day {
        Day::Today => today,
        Day::Tomorrow => today.succ_opt().ok_or_else(|| Failure::BadDate("tomorrow".into()))?,
        Day::On(d) => d,
    };
    let store_id = found.id.parse().map_err(|_| Failure::Db(StoreError::Corrupt(format!("bad store id {:?}", found.id))))?;
    let board = store.board_day(store_id, date, today).await.map_err(db_err)?;
    let (tenant_id, _) = store.store_tenant(&found.id).await.map_err(db_err)?.unwrap_or_default();
    let visit_names = store.visit_type_names(&tenant_id).await.map_err(db_err)?;
    let ids: Vec<String> = board.appointments.iter().map(|a| a.id.clone()).collect();
    let phones = store.appointment_phones(&ids).await.map_err(db_err)?;

    let doctors = board
        .doctors
        .iter()
        .map(|d| {
            let mut rows: Vec<(u32, DaySheetRow)> = board
                .appointments
                .iter()
                .filter(|a| a.doctor_id == d.id && a.state != AppointmentState::Cancelled)
                .map(|a| {
                    let row = DaySheetRow {
                        start: minute_time(a.start_min),
                        end: minute_time(a.end_min),
                        patient_name: a.patient_name.clone(),
                        phone: phones.get(&a.id).cloned(),
                        visit_type: visit_name(&a.visit_type, &visit_names, lang),
                        status: state_name(a.state, lang).into(),
                        note: (!a.department.is_empty()).then(|| a.department.clone()),
                    };
                    (a.start_min, row)
                })
                .collect();
            rows.sort_by(|a, b| (a.0, &a.1.patient_name).cmp(&(b.0, &b.1.patient_name)));
            (d.name.clone(), rows.into_iter().map(|r| r.1).collect())
        })
        .collect();
    let bytes = day_sheet_pdf(&DaySheet { store_name: board.store.name.clone(), date, doctors, lang });
    Ok(Printout { pages: count_pages(&bytes), file_name: file_name("day-sheet", &board.store.name, date), bytes })
}

/// The patient `who` names: by id, or by phone when only one patient has it.
pub async fn find_patient(store: &LocalStore, who: &str) -> Result<PatientCard, Failure> {
    let mut found = store.find_patients(who).await.map_err(db_err)?;
    match found.len() {
        0 => Err(Failure::UnknownPatient(who.to_string())),
        1 => Ok(found.remove(0)),
        _ => match found.iter().position(|p| p.id == who) {
            Some(i) => Ok(found.remove(i)),
            None => Err(Failure::AmbiguousPatient(who.to_string(), found.into_iter().map(|p| (p.id, p.name, p.birth_date)).collect())),
        },
    }
}

fn birth_date(patient: &PatientCard) -> Result<NaiveDate, Failure> {
    NaiveDate::parse_from_str(&patient.birth_date, "%Y-%m-%d")
        .map_err(|_| Failure::Db(StoreError::Corrupt(format!("patient {} has a bad birth date", patient.id))))
}

/// The store of the patient's latest exam (reports are printed for it), if any.
async fn latest_exam_store(store: &LocalStore, exams: &[EyeExam]) -> Result<Option<StoreRef>, Failure> {
    let Some(latest) = exams.iter().max_by_key(|e| (e.examined_at, e.id)) else { return Ok(None) };
    let id = latest.store_id.hyphenated().to_string();
    Ok(store.stores().await.map_err(db_err)?.into_iter().find(|s| s.id == id))
}

/// The recall thresholds (fast progression) of the store of the patient's latest exam;
/// the defaults when there is none.
async fn thresholds_of(store: &LocalStore, exam_store: Option<&StoreRef>) -> Result<RecallThresholds, Failure> {
    let Some(id) = exam_store.and_then(|s| s.id.parse().ok()) else { return Ok(RecallThresholds::default()) };
    Ok(store.store_settings(id).await.map_err(db_err)?.recall)
}

/// A patient's eye-growth view (charts, points, summary) on the chosen reference (`None`:
/// the default for the age), dated today in the time zone of the store of their latest exam
/// and judged by that store's fast-progression thresholds.
pub async fn eye_view(
    store: &LocalStore,
    patient_id: &str,
    reference: Option<ReferenceId>,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<EyeView, Failure> {
    let patient = find_patient(store, patient_id).await?;
    let exams = store.patient_eye_exams(&patient.id).await.map_err(db_err)?;
    let exam_store = latest_exam_store(store, &exams).await?;
    let thresholds = &thresholds_of(store, exam_store.as_ref()).await?;
    let today = slots::local_date(slots::zone(exam_store.as_ref().map(|s| s.timezone.as_str()).unwrap_or("")), now);
    let input = EyeViewInput {
        patient_id: &patient.id,
        patient_name: &patient.name,
        sex: patient.sex,
        birth_date: birth_date(&patient)?,
        exams: &exams,
        reference,
        thresholds,
        today,
        lang,
    };
    clinicdesk_eyecare::eye_view(&input).map_err(|e| Failure::Render(e.to_string()))
}

/// The parent report of one patient (by id, or by phone when only one patient has it),
/// printed for the store of their latest exam, dated today in that store's time zone, with
/// that store's fast-progression thresholds.
pub async fn parent_report(
    store: &LocalStore,
    who: &str,
    reference: Option<ReferenceId>,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<Printout, Failure> {
    let patient = find_patient(store, who).await?;
    let exams = store.patient_eye_exams(&patient.id).await.map_err(db_err)?;
    if exams.is_empty() {
        return Err(Failure::NoExams(patient.name));
    }
    let exam_store = latest_exam_store(store, &exams).await?;
    let thresholds = thresholds_of(store, exam_store.as_ref()).await?;
    let tz = slots::zone(exam_store.as_ref().map(|s| s.timezone.as_str()).unwrap_or(""));
    let clinic_name = store.tenant_name(&patient.tenant_id).await.map_err(db_err)?.unwrap_or_default();
    let report_date = slots::local_date(tz, now);
    let report = ParentReport {
        clinic_name,
        store_name: exam_store.map(|s| s.name).unwrap_or_default(),
        report_date,
        birth_date: birth_date(&patient)?,
        patient_name: patient.name,
        sex: patient.sex,
        exams,
        reference,
        thresholds,
        lang,
    };
    let bytes = parent_report_pdf(&report).map_err(|e| Failure::Render(e.to_string()))?;
    Ok(Printout { pages: count_pages(&bytes), file_name: file_name("parent-report", &report.patient_name, report_date), bytes })
}

/// A refund by id with what its slip prints (read first, so the caller can check the
/// refund's store before printing).
pub async fn refund_card(store: &LocalStore, refund_id: &str) -> Result<RefundCard, Failure> {
    store.refund_card(refund_id).await.map_err(db_err)?.ok_or_else(|| Failure::UnknownRefund(refund_id.to_string()))
}

/// The slip of a refund: the chain and the fee's store, the slip number, the patient, the
/// amount and method, the local time in that store's zone, and who refunded it (the name
/// from the history label "role:name").
pub fn refund_slip(card: RefundCard, lang: Lang) -> Result<Printout, Failure> {
    let method = card.method.ok_or_else(|| Failure::Db(StoreError::Corrupt(format!("refund {} of a fee without a method", card.id))))?;
    let refunded_at = card.at.with_timezone(&slots::zone(&card.store_timezone)).naive_local();
    let staff_name = card.actor.split_once(':').map_or(card.actor.as_str(), |(_, name)| name).to_string();
    let slip = RefundSlip {
        clinic_name: card.clinic_name,
        store_name: card.store_name,
        slip_number: card.number,
        patient_name: card.patient_name,
        amount: card.amount,
        method,
        refunded_at,
        staff_name,
        reason: Some(card.reason).filter(|r| !r.trim().is_empty()),
        lang,
    };
    let bytes = refund_slip_pdf(&slip);
    Ok(Printout { pages: count_pages(&bytes), file_name: file_name("refund-slip", &slip.slip_number, refunded_at.date()), bytes })
}
