//! Schedules → bookable slots (DOMAIN.md §3): working periods cut into slots, minus
//! blocked time, with each slot's bookings counted against the store's capacity.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::model::{Appointment, BlockedTime, Schedule};

pub const DEFAULT_TZ: Tz = chrono_tz::Asia::Shanghai;

/// The store's zone; an unknown name falls back to Asia/Shanghai.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(DEFAULT_TZ)
}

/// A local wall-clock time as a UTC instant (the earlier one when a DST change makes it ambiguous,
/// the moment after the gap when it does not exist).
pub fn to_utc(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = NaiveDateTime::new(date, time);
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => tz
            .from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&naive)),
    }
}

/// The local calendar day of an instant.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Active appointments overlapping this slot.
    pub booked: u8,
    pub capacity: u8,
}

impl Slot {
    pub fn is_free(&self) -> bool {
        self.booked < self.capacity
    }
}

/// Every slot of a schedule that is not blocked, with its bookings counted.
pub fn slots<'a>(
    schedule: &Schedule,
    tz: Tz,
    appointments: impl IntoIterator<Item = &'a Appointment> + Clone,
    blocks: &[&BlockedTime],
    capacity: u8,
) -> Vec<Slot> {
    let step = Duration::minutes(i64::from(schedule.slot_minutes.max(1)));
    let mut out = Vec::new();
    for p in &schedule.periods {
        let mut start = to_utc(tz, schedule.date, p.start);
        let period_end = to_utc(tz, schedule.date, p.end);
        while start + step <= period_end {
            let end = start + step;
            let blocked = blocks.iter().any(|b| b.doctor_id == schedule.doctor_id && b.start < end && start < b.end);
            if !blocked {
                let booked = appointments
                    .clone()
                    .into_iter()
                    .filter(|a| a.doctor_id == schedule.doctor_id && a.state.is_active() && a.start < end && start < a.end)
                    .count();
                out.push(Slot { start, end, booked: booked.min(255) as u8, capacity });
            }
            start = end;
        }
    }
    out
}

/// Checks that [start, end) can be booked with this doctor: inside one working period, on the
/// slot grid, not blocked, and every slot it covers below capacity. `others` are the doctor's
/// other active appointments that may overlap.
pub fn check_bookable(
    schedule: Option<&Schedule>,
    tz: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    others: &[&Appointment],
    blocks: &[&BlockedTime],
    capacity: u8,
) -> Result<(), DomainError> {
    if end <= start {
        return Err(DomainError::EndBeforeStart);
    }
    let schedule = schedule.ok_or(DomainError::OutsideSchedule)?;
    let step = i64::from(schedule.slot_minutes.max(1));
    let period = schedule
        .periods
        .iter()
        .map(|p| (to_utc(tz, schedule.date, p.start), to_utc(tz, schedule.date, p.end)))
        .find(|(ps, pe)| *ps <= start && end <= *pe)
        .ok_or(DomainError::OutsideSchedule)?;
    let from_period = (start - period.0).num_minutes();
    let length = (end - start).num_minutes();
    if from_period % step != 0 || length % step != 0 || (start - period.0).num_seconds() % 60 != 0 {
        return Err(DomainError::NotOnSlotGrid { slot_minutes: schedule.slot_minutes });
    }
    if let Some(b) = blocks.iter().find(|b| b.doctor_id == schedule.doctor_id && b.start < end && start < b.end) {
        return Err(DomainError::SlotBlocked { reason: b.reason.clone() });
    }
    // Each covered slot must have room.
    let mut s = start;
    while s < end {
        let e = s + Duration::minutes(step);
        let taken: Vec<_> = others.iter().filter(|a| a.state.is_active() && a.start < e && s < a.end).collect();
        if taken.len() >= usize::from(capacity.max(1)) {
            return Err(DomainError::SlotConflict { taken_by: taken.iter().map(|a| a.id).collect() });
        }
        s = e;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use chrono::NaiveTime;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }
    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }
    fn at(h: u32, m: u32) -> DateTime<Utc> {
        to_utc(DEFAULT_TZ, day(), t(h, m))
    }
    fn schedule() -> Schedule {
        Schedule {
            id: Id::from_u128(1),
            store_id: Id::from_u128(2),
            doctor_id: Id::from_u128(3),
            date: day(),
            periods: vec![Period { start: t(9, 0), end: t(12, 0) }, Period { start: t(14, 0), end: t(17, 30) }],
            slot_minutes: 30,
        }
    }
    fn appt(n: u128, start: DateTime<Utc>, mins: i64, state: AppointmentState) -> Appointment {
        Appointment {
            id: Id::from_u128(n),
            tenant_id: Id::nil(),
            store_id: Id::from_u128(2),
            doctor_id: Id::from_u128(3),
            department_id: Id::nil(),
            patient_id: Id::from_u128(100 + n),
            complaint_id: None,
            start,
            end: start + Duration::minutes(mins),
            state,
            visit_type: "first".into(),
            visit_type_by_fallback: true,
            source: Source::Desk,
            fee_id: None,
            created_at: start,
            updated_at: start,
        }
    }

    #[test]
    fn schedule_periods_are_cut_into_slots_and_breaks_have_none() {
        let s = slots(&schedule(), DEFAULT_TZ, &Vec::<Appointment>::new(), &[], 1);
        assert_eq!(s.len(), 6 + 7);
        assert_eq!(s[0].start, at(9, 0));
        assert_eq!(s[5].end, at(12, 0));
        assert_eq!(s[6].start, at(14, 0), "no slot in the lunch break");
        // Shanghai is UTC+8: 09:00 local is 01:00 UTC.
        assert_eq!(s[0].start.format("%H:%M").to_string(), "01:00");
    }

    #[test]
    fn blocked_time_removes_slots_and_bookings_fill_them() {
        let block = BlockedTime {
            id: Id::from_u128(9),
            store_id: Id::from_u128(2),
            doctor_id: Id::from_u128(3),
            start: at(10, 0),
            end: at(11, 0),
            reason: "会议".into(),
        };
        let apps = vec![appt(1, at(9, 0), 30, AppointmentState::Confirmed), appt(2, at(9, 30), 30, AppointmentState::Cancelled)];
        let s = slots(&schedule(), DEFAULT_TZ, &apps, &[&block], 1);
        assert_eq!(s.len(), 13 - 2);
        assert!(!s[0].is_free(), "09:00 taken");
        assert!(s[1].is_free(), "a cancelled appointment frees its slot");
    }

    #[test]
    fn bookability_rules_with_expected_errors() {
        let block = BlockedTime {
            id: Id::from_u128(9),
            store_id: Id::from_u128(2),
            doctor_id: Id::from_u128(3),
            start: at(16, 0),
            end: at(16, 30),
            reason: "会议".into(),
        };
        let taken = appt(1, at(9, 0), 30, AppointmentState::Confirmed);
        let sch = schedule();
        type Case<'a> = (&'a str, DateTime<Utc>, DateTime<Utc>, u8, Result<(), &'a str>);
        let cases: Vec<Case> = vec![
            ("a free slot", at(9, 30), at(10, 0), 1, Ok(())),
            ("two slots in a row", at(10, 0), at(11, 0), 1, Ok(())),
            ("end before start", at(10, 0), at(9, 30), 1, Err("end_before_start")),
            ("zero length", at(10, 0), at(10, 0), 1, Err("end_before_start")),
            ("before the schedule", at(8, 0), at(8, 30), 1, Err("outside_schedule")),
            ("in the lunch break", at(12, 0), at(12, 30), 1, Err("outside_schedule")),
            ("across the break", at(11, 30), at(14, 30), 1, Err("outside_schedule")),
            ("off the grid", at(9, 40), at(10, 10), 1, Err("not_on_slot_grid")),
            ("blocked", at(16, 0), at(16, 30), 1, Err("slot_blocked")),
            ("taken", at(9, 0), at(9, 30), 1, Err("slot_conflict")),
            ("overbooking allowed by capacity 2", at(9, 0), at(9, 30), 2, Ok(())),
        ];
        for (name, s, e, cap, expected) in cases {
            let got = check_bookable(Some(&sch), DEFAULT_TZ, s, e, &[&taken], &[&block], cap).map_err(|e| e.code());
            assert_eq!(got, expected, "{name}");
        }
        assert_eq!(
            check_bookable(None, DEFAULT_TZ, at(9, 0), at(9, 30), &[], &[], 1).unwrap_err().code(),
            "outside_schedule",
            "a doctor with no schedule that day"
        );
    }

    #[test]
    fn a_slot_conflict_names_the_appointment_that_holds_the_slot() {
        let taken = appt(7, at(9, 0), 30, AppointmentState::Pending);
        match check_bookable(Some(&schedule()), DEFAULT_TZ, at(9, 0), at(9, 30), &[&taken], &[], 1) {
            Err(DomainError::SlotConflict { taken_by }) => assert_eq!(taken_by, vec![Id::from_u128(7)]),
            other => panic!("{other:?}"),
        }
    }
}
