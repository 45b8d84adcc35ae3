//! Reading the desk database and writing the PDFs.

use std::collections::HashMap;
use std::path::Path;

use chrono::{NaiveDate, NaiveTime, Utc};
use clinicdesk_domain::model::{AppointmentState, VISIT_FIRST, VISIT_RETURN};
use clinicdesk_domain::recall::RecallThresholds;
use clinicdesk_domain::slots;
use clinicdesk_domain::Lang;
use clinicdesk_eyecare::{day_sheet_pdf, parent_report_pdf, DaySheet, DaySheetRow, ParentReport};
use clinicdesk_store::eyes::open_read_only;
use clinicdesk_store::{LocalStore, StoreError};

use crate::args::{Command, Day};
use crate::messages::Failure;
use crate::Done;

fn db_err(e: StoreError) -> Failure {
    Failure::Db(e.to_string())
}

async fn open(db: &Path) -> Result<LocalStore, Failure> {
    match open_read_only(db).await {
        Ok(s) => Ok(s),
        Err(StoreError::NotSetUp(_)) => Err(Failure::OldDatabase),
        Err(StoreError::NotOpen(_)) | Err(StoreError::Db(_)) => Err(Failure::NoDatabase(db.display().to_string())),
        Err(e) => Err(db_err(e)),
    }
}

pub async fn run(cmd: &Command) -> Result<Done, Failure> {
    let (db, out) = match cmd {
        Command::DaySheet { db, out, .. } | Command::ParentReport { db, out, .. } => (db, out),
    };
    let store = open(db).await?;
    let made = match cmd {
        Command::DaySheet { store: code, day, lang, .. } => day_sheet(&store, code, *day, *lang).await,
        Command::ParentReport { patient, reference, lang, .. } => parent_report(&store, patient, *reference, *lang).await,
    };
    store.close().await;
    let bytes = made?;
    write_atomically(out, &bytes)?;
    Ok(Done { path: out.clone(), pages_of: format!("{} KB", bytes.len().div_ceil(1024)) })
}

/// Writes next to the target and renames, so a failure never leaves a half-written PDF.
fn write_atomically(out: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out.pdf".into());
    let tmp = out.with_file_name(format!(".{name}.partial"));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, out));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Failure::Io(format!("{}: {e}", out.display())));
    }
    Ok(())
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
pub async fn day_sheet(store: &LocalStore, code: &str, day: Day, lang: Lang) -> Result<Vec<u8>, Failure> {
    let found = store.find_store(code).await.map_err(db_err)?.ok_or_else(|| Failure::UnknownStore(code.to_string()))?;
    let tz = slots::zone(&found.timezone);
    let today = slots::local_date(tz, Utc::now());
    let date = match day {
        Day::Today => today,
        Day::Tomorrow => today.succ_opt().ok_or_else(|| Failure::BadDate("tomorrow".into()))?,
        Day::On(d) => d,
    };
    let store_id = found.id.parse().map_err(|_| Failure::Db(format!("bad store id {:?}", found.id)))?;
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
    Ok(day_sheet_pdf(&DaySheet { store_name: board.store.name.clone(), date, doctors, lang }))
}

/// The parent report of one patient (by id, or by phone when only one patient has it),
/// printed for the store of their latest exam, dated today in that store's time zone.
pub async fn parent_report(
    store: &LocalStore,
    who: &str,
    reference: Option<clinicdesk_eyecare::ReferenceId>,
    lang: Lang,
) -> Result<Vec<u8>, Failure> {
    let mut found = store.find_patients(who).await.map_err(db_err)?;
    let patient = match found.len() {
        0 => return Err(Failure::UnknownPatient(who.to_string())),
        1 => found.remove(0),
        _ => {
            if let Some(i) = found.iter().position(|p| p.id == who) {
                found.remove(i)
            } else {
                return Err(Failure::AmbiguousPatient(who.to_string(), found.into_iter().map(|p| (p.id, p.name, p.birth_date)).collect()));
            }
        }
    };
    let exams = store.patient_eye_exams(&patient.id).await.map_err(db_err)?;
    let Some(latest) = exams.iter().max_by_key(|e| (e.examined_at, e.id)) else { return Err(Failure::NoExams(patient.name)) };
    let stores = store.stores().await.map_err(db_err)?;
    let exam_store = stores.iter().find(|s| s.id == latest.store_id.hyphenated().to_string());
    let tz = slots::zone(exam_store.map(|s| s.timezone.as_str()).unwrap_or(""));
    let clinic_name = store.tenant_name(&patient.tenant_id).await.map_err(db_err)?.unwrap_or_default();
    let birth_date = NaiveDate::parse_from_str(&patient.birth_date, "%Y-%m-%d")
        .map_err(|_| Failure::Db(format!("patient {} has a bad birth date {:?}", patient.id, patient.birth_date)))?;
    let report = ParentReport {
        clinic_name,
        store_name: exam_store.map(|s| s.name.clone()).unwrap_or_default(),
        report_date: slots::local_date(tz, Utc::now()),
        patient_name: patient.name,
        sex: patient.sex,
        birth_date,
        exams,
        reference,
        thresholds: RecallThresholds::default(),
        lang,
    };
    parent_report_pdf(&report).map_err(|e| Failure::Render(e.to_string()))
}
