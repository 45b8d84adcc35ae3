//! Capacity in the database: every active appointment holds a lane 0..capacity-1 of its
//! doctor, and two active appointments of one doctor in one lane never overlap. The write
//! transaction picks the lane (the check on SQLite); on PostgreSQL an exclusion constraint
//! refuses an overlap in one lane even if something bypassed that check.

use clinicdesk_domain::model::{Appointment, AppointmentState, Id};
use clinicdesk_domain::DomainError;
use sqlx::AnyConnection;

use crate::docs::{id_str, ts, WriteError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub appointment_id: String,
    pub start: i64,
    pub end: i64,
    pub lane: i64,
}

/// Lanes for intervals sorted by start (greedy colouring, optimal for intervals): each
/// gets the lowest lane free at its start.
pub fn assign_lanes(sorted: &[(i64, i64)]) -> Vec<i64> {
    let mut lane_end: Vec<i64> = Vec::new();
    sorted
        .iter()
        .map(|(start, end)| {
            let lane = match lane_end.iter().position(|e| *e <= *start) {
                Some(l) => l,
                None => {
                    lane_end.push(i64::MIN);
                    lane_end.len() - 1
                }
            };
            lane_end[lane] = *end;
            lane as i64
        })
        .collect()
}

async fn overlapping(conn: &mut AnyConnection, doctor: Id, start: i64, end: i64, except: &str) -> Result<Vec<Held>, WriteError> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT appointment_id, start_ts, end_ts, lane FROM appointment_slots
         WHERE doctor_id = $1 AND active AND start_ts < $2 AND end_ts > $3 AND appointment_id <> $4",
    )
    .bind(id_str(doctor))
    .bind(end)
    .bind(start)
    .bind(except)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(appointment_id, start, end, lane)| Held { appointment_id, start, end, lane }).collect())
}

fn conflict(held: &[Held]) -> WriteError {
    WriteError::Conflict(DomainError::SlotConflict { taken_by: held.iter().filter_map(|h| h.appointment_id.parse().ok()).collect() })
}

/// Maps an exclusion-constraint violation to a slot conflict.
fn slot_error(e: sqlx::Error) -> WriteError {
    match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("23P01") => {
            WriteError::Conflict(DomainError::SlotConflict { taken_by: vec![] })
        }
        _ => WriteError::from(e),
    }
}

async fn put(conn: &mut AnyConnection, tenant: Id, a: &Appointment, lane: i64, active: bool) -> Result<(), WriteError> {
    let done = sqlx::query(
        "INSERT INTO appointment_slots (appointment_id, tenant_id, store_id, doctor_id, start_ts, end_ts, lane, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (appointment_id) DO UPDATE SET doctor_id = excluded.doctor_id, start_ts = excluded.start_ts,
           end_ts = excluded.end_ts, lane = excluded.lane, active = excluded.active
         WHERE appointment_slots.tenant_id = excluded.tenant_id",
    )
    .bind(id_str(a.id))
    .bind(id_str(tenant))
    .bind(id_str(a.store_id))
    .bind(id_str(a.doctor_id))
    .bind(ts(a.start))
    .bind(ts(a.end))
    .bind(lane)
    .bind(active)
    .execute(&mut *conn)
    .await
    .map_err(slot_error)?;
    if done.rows_affected() == 0 {
        return Err(WriteError::Conflict(DomainError::IdTaken { what: clinicdesk_domain::error::Entity::Appointment }));
    }
    Ok(())
}

/// Records where an appointment sits: inactive ones hold no lane; an active one keeps its
/// lane if it did not move, else takes the lowest free lane; when the lanes are
/// fragmented the doctor's overlapping appointments are re-packed; when even that cannot
/// fit it under `capacity`, the command is rejected with `slot_conflict`.
pub async fn place(conn: &mut AnyConnection, tenant: Id, a: &Appointment, capacity: u8) -> Result<(), WriteError> {
    let me = id_str(a.id);
    let (start, end) = (ts(a.start), ts(a.end));
    if !a.state.is_active() {
        return put(conn, tenant, a, 0, false).await;
    }
    let existing: Option<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT doctor_id, start_ts, end_ts, lane, CASE WHEN active THEN 1 ELSE 0 END FROM appointment_slots WHERE appointment_id = $1",
    )
    .bind(&me)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((doctor, s, e, _, 1)) = &existing {
        if *doctor == id_str(a.doctor_id) && *s == start && *e == end {
            return Ok(());
        }
    }
    let capacity = i64::from(capacity.max(1));
    let held = overlapping(conn, a.doctor_id, start, end, &me).await?;
    if let Some(lane) = (0..capacity).find(|l| held.iter().all(|h| h.lane != *l)) {
        return put(conn, tenant, a, lane, true).await;
    }
    repack(conn, tenant, a, capacity, held).await
}

/// Re-assigns the lanes of every appointment connected to `a` by overlaps, in start order.
async fn repack(conn: &mut AnyConnection, tenant: Id, a: &Appointment, capacity: i64, direct: Vec<Held>) -> Result<(), WriteError> {
    let me = id_str(a.id);
    let (mut lo, mut hi) = (ts(a.start), ts(a.end));
    let mut group: Vec<Held>;
    loop {
        group = overlapping(conn, a.doctor_id, lo, hi, &me).await?;
        let nlo = group.iter().map(|h| h.start).min().unwrap_or(lo).min(lo);
        let nhi = group.iter().map(|h| h.end).max().unwrap_or(hi).max(hi);
        if (nlo, nhi) == (lo, hi) {
            break;
        }
        (lo, hi) = (nlo, nhi);
    }
    let mut all: Vec<Held> = group.clone();
    all.push(Held { appointment_id: me.clone(), start: ts(a.start), end: ts(a.end), lane: -1 });
    all.sort_by(|x, y| (x.start, x.end, &x.appointment_id).cmp(&(y.start, y.end, &y.appointment_id)));
    let lanes = assign_lanes(&all.iter().map(|h| (h.start, h.end)).collect::<Vec<_>>());
    if lanes.iter().any(|l| *l >= capacity) {
        return Err(conflict(&direct));
    }
    for h in &group {
        sqlx::query("UPDATE appointment_slots SET active = $1 WHERE appointment_id = $2")
            .bind(false)
            .bind(&h.appointment_id)
            .execute(&mut *conn)
            .await?;
    }
    for (h, lane) in all.iter().zip(lanes) {
        if h.appointment_id == me {
            put(conn, tenant, a, lane, true).await?;
        } else {
            sqlx::query("UPDATE appointment_slots SET lane = $1, active = $2 WHERE appointment_id = $3")
                .bind(lane)
                .bind(true)
                .bind(&h.appointment_id)
                .execute(&mut *conn)
                .await
                .map_err(slot_error)?;
        }
    }
    Ok(())
}

/// Lanes for a whole chain's appointments (loading a chain): per doctor, in start order.
/// Lanes are not capped here: loaded data is taken as it is.
pub fn initial_lanes(appointments: &[&Appointment]) -> Vec<(Id, i64)> {
    let mut by_doctor: std::collections::BTreeMap<Id, Vec<&Appointment>> = Default::default();
    for a in appointments.iter().filter(|a| a.state.is_active()) {
        by_doctor.entry(a.doctor_id).or_default().push(a);
    }
    let mut out = Vec::new();
    for (_, mut list) in by_doctor {
        list.sort_by_key(|a| (a.start, a.end, a.id));
        let lanes = assign_lanes(&list.iter().map(|a| (ts(a.start), ts(a.end))).collect::<Vec<_>>());
        out.extend(list.iter().zip(lanes).map(|(a, l)| (a.id, l)));
    }
    out
}

/// Keeps the "patient has a completed visit" index in step with an appointment.
pub async fn completed_visit(conn: &mut AnyConnection, tenant: Id, a: &Appointment) -> Result<(), WriteError> {
    if a.state == AppointmentState::Completed {
        sqlx::query(
            "INSERT INTO completed_visits (tenant_id, patient_id, appointment_id) VALUES ($1, $2, $3) ON CONFLICT (patient_id, appointment_id) DO NOTHING",
        )
        .bind(id_str(tenant))
        .bind(id_str(a.patient_id))
        .bind(id_str(a.id))
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query("DELETE FROM completed_visits WHERE patient_id = $1 AND appointment_id = $2")
            .bind(id_str(a.patient_id))
            .bind(id_str(a.id))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::assign_lanes;

    #[test]
    fn lanes_are_reused_as_soon_as_they_free_up() {
        // 0-30 and 30-60 share lane 0; 0-60 needs lane 1; 15-45 lane 2.
        assert_eq!(assign_lanes(&[(0, 30), (0, 60), (15, 45), (30, 60)]), vec![0, 1, 2, 0]);
        assert_eq!(assign_lanes(&[]), Vec::<i64>::new());
    }
}
