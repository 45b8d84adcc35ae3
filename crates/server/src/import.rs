//! Loading a whole chain (the demo clinic, a second test chain) into the server database in
//! one transaction. Loaded rows carry `server_seq` 0: they are the chain's starting point,
//! and the first command of the chain gets 1.

use clinicdesk_demo::DemoChain;
use clinicdesk_domain::model::Id;

use crate::db::Db;
use crate::docs::{self, id_str, kind, ts, Doc};
use crate::{lanes, ServerError};

/// Writes `chain` (one tenant) and gives every staff login the password `password`.
pub async fn import_chain(db: &Db, chain: &DemoChain, password: &str) -> Result<Id, ServerError> {
    let p = password.to_string();
    let hash = tokio::task::spawn_blocking(move || clinicdesk_store::auth::hash_password(&p))
        .await
        .map_err(|e| ServerError::Corrupt(e.to_string()))?;
    import_chain_with_hash(db, chain, &hash).await
}

/// Like [`import_chain`], with the password's Argon2id hash (PHC form) made beforehand.
pub async fn import_chain_with_hash(db: &Db, chain: &DemoChain, password_hash: &str) -> Result<Id, ServerError> {
    let w = &chain.world;
    let tenant = match w.tenants.keys().collect::<Vec<_>>().as_slice() {
        [t] => **t,
        _ => return Err(ServerError::Corrupt("a chain to load must have exactly one tenant".into())),
    };
    let mut tx = db.begin_write().await?;
    let conn = &mut *tx.tx;
    let mut all = docs::chain_docs(w, &chain.history);
    all.extend(chain.exams.iter().map(|e| {
        let mut d = Doc::new(kind::EYE_EXAM, id_str(e.id), Some(e.store_id), e);
        d.ref_id = Some(e.patient_id);
        d
    }));
    all.extend(chain.corrections.iter().map(|(p, c)| Doc::new(kind::CORRECTION, id_str(*p), None, c)));
    docs::insert_many(conn, tenant, 0, &all).await?;

    let appts: Vec<_> = w.appointments.values().collect();
    let lanes: std::collections::BTreeMap<Id, i64> = lanes::initial_lanes(&appts).into_iter().collect();
    for chunk in appts.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO appointment_slots (appointment_id, tenant_id, store_id, doctor_id, start_ts, end_ts, lane, active) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 8;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8));
        }
        let mut q = sqlx::query(&sql);
        for a in chunk {
            let lane = lanes.get(&a.id).copied();
            q = q
                .bind(id_str(a.id))
                .bind(id_str(tenant))
                .bind(id_str(a.store_id))
                .bind(id_str(a.doctor_id))
                .bind(ts(a.start))
                .bind(ts(a.end))
                .bind(lane.unwrap_or(0))
                .bind(lane.is_some());
        }
        q.execute(&mut *conn).await?;
    }
    let t = id_str(tenant);
    let completed = appts
        .iter()
        .filter(|a| a.state == clinicdesk_domain::model::AppointmentState::Completed)
        .map(|a| vec![t.clone(), id_str(a.patient_id), id_str(a.id)]);
    text_rows(conn, "completed_visits (tenant_id, patient_id, appointment_id)", completed.collect()).await?;
    let bound = w.patients.values().flat_map(|p| p.guardian_ids.iter().map(|g| vec![t.clone(), id_str(p.id), id_str(*g)]));
    text_rows(conn, "patient_guardians (tenant_id, patient_id, guardian_id)", bound.collect()).await?;
    let refunds = w.refunds.values().map(|r| vec![id_str(r.fee_id), id_str(r.id), t.clone()]);
    text_rows(conn, "refunds_live (fee_id, refund_id, tenant_id)", refunds.collect()).await?;
    let staff = w.staff.values().map(|s| vec![id_str(s.id), t.clone(), s.login.clone(), password_hash.to_string()]);
    text_rows(conn, "staff_credentials (staff_id, tenant_id, login, password_hash)", staff.collect()).await?;
    sqlx::query("INSERT INTO tenant_seq (tenant_id, seq) VALUES ($1, 0)").bind(id_str(tenant)).execute(&mut *conn).await?;
    tx.commit().await?;
    tracing::info!(tenant = %tenant, rows = all.len(), "chain loaded");
    Ok(tenant)
}

/// Inserts rows of TEXT values into `table (columns)` in few statements.
async fn text_rows(conn: &mut sqlx::AnyConnection, table: &str, rows: Vec<Vec<String>>) -> Result<(), ServerError> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    for chunk in rows.chunks(200) {
        let mut sql = format!("INSERT INTO {table} VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let params: Vec<String> = (0..width).map(|c| format!("${}", i * width + c + 1)).collect();
            sql.push_str(&format!("({})", params.join(", ")));
        }
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = q.bind(v.clone());
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
