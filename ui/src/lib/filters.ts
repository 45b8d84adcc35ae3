// The board header's filters: which doctor columns are shown. Pure; the board keeps the backend's order.

import type { BoardDay } from "../bindings/BoardDay";
import type { BoardDoctor } from "../bindings/BoardDoctor";

/** A department name (as BoardDoctor.departments has it) and a doctor id; null: all. */
export type BoardFilter = { department: string | null; doctorId: string | null };

export const NO_FILTER: BoardFilter = { department: null, doctorId: null };

/** The departments of the doctors, once each, in the order the doctors first name them. */
export function departmentsOf(doctors: ReadonlyArray<BoardDoctor>): string[] {
  return [...new Set(doctors.flatMap((d) => d.departments))];
}

/** The doctors the doctor picker offers: those of the chosen department. */
export function doctorChoices(doctors: ReadonlyArray<BoardDoctor>, department: string | null): BoardDoctor[] {
  return department === null ? [...doctors] : doctors.filter((d) => d.departments.includes(department));
}

/** The filter with what this board does not have dropped (another store, a doctor outside the department). */
export function normalizeFilter(doctors: ReadonlyArray<BoardDoctor>, filter: BoardFilter): BoardFilter {
  const department = filter.department !== null && departmentsOf(doctors).includes(filter.department) ? filter.department : null;
  const doctorId =
    filter.doctorId !== null && doctorChoices(doctors, department).some((d) => d.id === filter.doctorId) ? filter.doctorId : null;
  return { department, doctorId };
}

/** The doctors shown under the filter, in the backend's order. */
export function filterDoctors(doctors: ReadonlyArray<BoardDoctor>, filter: BoardFilter): BoardDoctor[] {
  const f = normalizeFilter(doctors, filter);
  return doctorChoices(doctors, f.department).filter((d) => f.doctorId === null || d.id === f.doctorId);
}

/** The day with only the filtered doctors' columns (and their appointments). The same day with no filter. */
export function filterDay(day: BoardDay, filter: BoardFilter): BoardDay {
  const f = normalizeFilter(day.doctors, filter);
  if (f.department === null && f.doctorId === null) return day;
  const doctors = filterDoctors(day.doctors, f);
  const ids = new Set(doctors.map((d) => d.id));
  return { ...day, doctors, appointments: day.appointments.filter((a) => ids.has(a.doctorId)) };
}
