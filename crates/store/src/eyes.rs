//! Read-only access for printouts outside the desk app (the `clinicdesk-print` command):
//! opening a desk database without creating or migrating it, finding a store by code or id,
//! a patient by id or phone, a patient's eye exams, and the extras the day sheet prints
//! (phone numbers, visit type names), and a refund as its slip prints it. Also the desk's
//! exam table of a patient and the audit trail of each exam.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clinicdesk_domain::eye::{exam_table, EyeExam, EyeTrend, FieldChange};
use clinicdesk_domain::model::Id;
use clinicdesk_domain::model::{PayMethod, RefundKind, Sex};
use clinicdesk_domain::money::Fen;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::Row;

use crate::views::StoreRef;
use serde::{Deserialize, Serialize};

use crate::{from_ts, id_str, LocalStore, StoreError};

/// A patient as the printouts need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientCard {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub sex: Sex,
    pub birth_date: String,
    pub phone: String,
}

/// A refund with what its slip prints: the fee's method and store, the chain, the patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundCard {
    pub id: String,
    /// `TK-…`.
    pub number: String,
    pub amount: Fen,
    pub kind: RefundKind,
    pub at: DateTime<Utc>,
    /// Who refunded it, as history lines name them ("receptionist:王芳").
    pub actor: String,
    pub reason: String,
    /// How the fee was paid (and so refunded); `None` only for a fee never charged.
    pub method: Option<PayMethod>,
    pub store_id: String,
    pub store_name: String,
    pub store_timezone: String,
    pub clinic_name: String,
    pub patient_name: String,
}

/// One row of a patient's exam table: the exam as recorded (the form's values), each eye's
/// SER and axial length with the change since the previous exam, and who entered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PatientExamRow {
    pub exam: EyeExam,
    /// The visit the exam was made at, when recorded at one.
    pub appointment_id: Option<String>,
    pub od: EyeTrend,
    pub os: EyeTrend,
    /// Who recorded the exam at this desk, and when (none for imported exams).
    pub recorded_by: Option<String>,
    pub recorded_at: Option<String>,
    /// Who last amended it, and when.
    pub amended_by: Option<String>,
    pub amended_at: Option<String>,
}

/// One line of an exam's audit trail, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExamAuditLine {
    pub at: String,
    pub actor: String,
    /// "recorded" or "amended".
    pub action: String,
    pub reason: Option<String>,
    /// The values set, or replaced (`from`) and set (`to`), by dotted field path.
    pub changes: Vec<FieldChange>,
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Opens an existing desk database read-only: no file is created, no migration runs, no
/// pragma is changed. Fails with [`StoreError::NotOpen`] when the file is missing and with
/// [`StoreError::NotSetUp`] when its schema is older than this build (the desk app
/// upgrades it on its next start).
pub async fn open_read_only(path: &Path) -> Result<LocalStore, StoreError> {
    if !path.is_file() {
        return Err(StoreError::NotOpen(format!("{} does not exist", path.display())));
    }
    let connect = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .read_only(true)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new().max_connections(2).connect_with(connect).await?;
    let store = LocalStore { pool };
    let applied: Vec<i64> =
        match sqlx::query_as::<_, (i64,)>("SELECT version FROM _sqlx_migrations WHERE success = 1").fetch_all(&store.pool).await {
            Ok(rows) => rows.into_iter().map(|r| r.0).collect(),
            Err(_) => Vec::new(),
        };
    if crate::db::MIGRATOR.iter().any(|m| !applied.contains(&m.version)) {
        store.pool.close().await;
        return Err(StoreError::NotSetUp("the database schema is not current; start the desk app once to upgrade it"));
    }
    Ok(store)
}

/// A snake_case enum word as stored ("cash", "desk_cash").
fn word<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(corrupt)
}

fn sex_from(s: &str) -> Result<Sex, StoreError> {
    match s {
        "female" => Ok(Sex::Female),
        "male" => Ok(Sex::Male),
        other => Err(StoreError::Corrupt(format!("bad sex {other:?}"))),
    }
}

impl LocalStore {
    /// The store whose code (e.g. "BJ01", any case) or id is `code_or_id`.
    pub async fn find_store(&self, code_or_id: &str) -> Result<Option<StoreRef>, StoreError> {
        let row = sqlx::query("SELECT id, name, timezone FROM stores WHERE id = ?1 OR code = ?1 COLLATE NOCASE LIMIT 1")
            .bind(code_or_id.trim())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(StoreRef { id: r.try_get("id")?, name: r.try_get("name")?, timezone: r.try_get("timezone")? })).transpose()
    }

    /// Patients whose id or phone is `id_or_phone` (a phone may be shared by siblings).
    pub async fn find_patients(&self, id_or_phone: &str) -> Result<Vec<PatientCard>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, name, sex, birth_date, phone FROM patients WHERE id = ?1 OR phone = ?1 ORDER BY birth_date, id",
        )
        .bind(id_or_phone.trim())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PatientCard {
                    id: r.try_get("id")?,
                    tenant_id: r.try_get("tenant_id")?,
                    name: r.try_get("name")?,
                    sex: sex_from(r.try_get("sex")?)?,
                    birth_date: r.try_get("birth_date")?,
                    phone: r.try_get("phone")?,
                })
            })
            .collect()
    }

    /// A patient's eye exams, oldest first, with the id of the store of each.
    pub async fn patient_eye_exams(&self, patient_id: &str) -> Result<Vec<EyeExam>, StoreError> {
        let rows = sqlx::query("SELECT data FROM eye_exams WHERE patient_id = ? ORDER BY examined_on, id")
            .bind(patient_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| serde_json::from_str(r.try_get("data")?).map_err(|e| StoreError::Corrupt(e.to_string()))).collect()
    }

    /// A patient's exam table, newest first (DOMAIN.md §7): per eye the SER (0.01 D) and axial
    /// length (µm) with the change since the latest earlier exam that measured them, and who
    /// recorded and last amended each exam.
    pub async fn patient_exams(&self, patient_id: Id) -> Result<Vec<PatientExamRow>, StoreError> {
        let exams = self.patient_eye_exams(&id_str(patient_id)).await?;
        let rows = sqlx::query(
            "SELECT e.id, e.appointment_id, r.actor AS recorded_by, r.at AS recorded_at, m.actor AS amended_by, m.at AS amended_at
             FROM eye_exams e
             LEFT JOIN eye_exam_audit r ON r.rowid = (SELECT rowid FROM eye_exam_audit WHERE exam_id = e.id AND action = 'recorded'
                                                     ORDER BY at, mutation_id, idx LIMIT 1)
             LEFT JOIN eye_exam_audit m ON m.rowid = (SELECT rowid FROM eye_exam_audit WHERE exam_id = e.id AND action = 'amended'
                                                     ORDER BY at DESC, mutation_id DESC, idx DESC LIMIT 1)
             WHERE e.patient_id = ?",
        )
        .bind(id_str(patient_id))
        .fetch_all(&self.pool)
        .await?;
        let at = |r: &sqlx::sqlite::SqliteRow, col: &str| -> Result<Option<String>, StoreError> {
            Ok(r.try_get::<Option<i64>, _>(col)?.map(|t| iso(from_ts(t))))
        };
        // By exam id: the visit, who recorded it and when, who last amended it and when.
        type Extra = (Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);
        let mut extra: HashMap<String, Extra> = HashMap::new();
        for r in &rows {
            extra.insert(
                r.try_get("id")?,
                (
                    r.try_get("appointment_id")?,
                    r.try_get("recorded_by")?,
                    at(r, "recorded_at")?,
                    r.try_get("amended_by")?,
                    at(r, "amended_at")?,
                ),
            );
        }
        Ok(exam_table(&exams)
            .into_iter()
            .map(|row| {
                let (appointment_id, recorded_by, recorded_at, amended_by, amended_at) =
                    extra.remove(&id_str(row.exam.id)).unwrap_or_default();
                PatientExamRow { exam: row.exam, appointment_id, od: row.od, os: row.os, recorded_by, recorded_at, amended_by, amended_at }
            })
            .collect())
    }

    /// The audit trail of one exam, oldest first: who recorded or amended it, when, why, and
    /// which values from what to what.
    pub async fn exam_audit(&self, exam_id: Id) -> Result<Vec<ExamAuditLine>, StoreError> {
        let rows =
            sqlx::query("SELECT at, actor, action, reason, changes FROM eye_exam_audit WHERE exam_id = ? ORDER BY at, mutation_id, idx")
                .bind(id_str(exam_id))
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(ExamAuditLine {
                    at: iso(from_ts(r.try_get("at")?)),
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    reason: r.try_get("reason")?,
                    changes: serde_json::from_str(r.try_get("changes")?).map_err(corrupt)?,
                })
            })
            .collect()
    }

    /// The name of the chain (tenant).
    pub async fn tenant_name(&self, tenant_id: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT name FROM tenants WHERE id = ?").bind(tenant_id).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.0))
    }

    /// The chain (tenant) a store belongs to, and its name.
    pub async fn store_tenant(&self, store_id: &str) -> Result<Option<(String, String)>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT t.id, t.name FROM stores s JOIN tenants t ON t.id = s.tenant_id WHERE s.id = ?")
                .bind(store_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row)
    }

    /// Patient phone numbers by appointment id, for the given appointments.
    pub async fn appointment_phones(&self, appointment_ids: &[String]) -> Result<HashMap<String, String>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, p.phone FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE a.id IN (SELECT value FROM json_each(?))",
        )
        .bind(serde_json::to_string(appointment_ids).expect("json"))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("phone")?))).collect()
    }

    /// Visit type names by code for a chain (tenant).
    pub async fn visit_type_names(&self, tenant_id: &str) -> Result<HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT code, name FROM visit_types WHERE tenant_id = ?").bind(tenant_id).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().collect())
    }

    /// A refund by id or by its slip number (both unique), with what its slip prints; `None`
    /// when there is no such refund.
    pub async fn refund_card(&self, refund_id: &str) -> Result<Option<RefundCard>, StoreError> {
        let row = sqlx::query(
            "SELECT r.id, r.number, r.amount, r.kind, r.at, r.actor, r.reason, f.method, f.store_id,
                    s.name AS store_name, s.timezone, t.name AS clinic_name, p.name AS patient_name
             FROM refunds r
             JOIN fees f ON f.id = r.fee_id
             JOIN stores s ON s.id = f.store_id
             JOIN tenants t ON t.id = s.tenant_id
             JOIN appointments a ON a.id = f.appointment_id
             JOIN patients p ON p.id = a.patient_id
             WHERE r.id = ?1 OR r.number = ?1",
        )
        .bind(refund_id.trim())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(RefundCard {
                id: r.try_get("id")?,
                number: r.try_get("number")?,
                amount: Fen(r.try_get("amount")?),
                kind: word(r.try_get("kind")?)?,
                at: from_ts(r.try_get("at")?),
                actor: r.try_get("actor")?,
                reason: r.try_get("reason")?,
                method: r.try_get::<Option<String>, _>("method")?.map(|m| word(&m)).transpose()?,
                store_id: r.try_get("store_id")?,
                store_name: r.try_get("store_name")?,
                store_timezone: r.try_get("timezone")?,
                clinic_name: r.try_get("clinic_name")?,
                patient_name: r.try_get("patient_name")?,
            })
        })
        .transpose()
    }
}
