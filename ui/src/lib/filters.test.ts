import { describe, expect, test } from "vitest";
import type { BoardDay } from "../bindings/BoardDay";
import type { BoardDoctor } from "../bindings/BoardDoctor";
import { departmentsOf, doctorChoices, filterDay, filterDoctors, NO_FILTER, normalizeFilter } from "./filters";

const doctor = (id: string, departments: string[]): BoardDoctor => ({
  id,
  name: id,
  title: "",
  departments,
  listed: true,
  hiddenFromPatients: false,
  periods: [],
  slotMinutes: 15,
});
const doctors = [doctor("a", ["内科"]), doctor("b", ["口腔科", "正畸"]), doctor("c", ["内科", "儿科"])];
const appt = (id: string, doctorId: string) => ({
  id,
  doctorId,
  patientName: "",
  startMin: 540,
  endMin: 555,
  state: "pending" as const,
  visitType: "",
  department: "",
  fee: "none" as const,
  sync: "confirmed" as const,
});
const day: BoardDay = {
  store: { id: "s", name: "s", timezone: "Asia/Shanghai" },
  stores: [],
  date: "2025-03-10",
  today: "2025-03-10",
  dayStartMin: 480,
  dayEndMin: 1080,
  doctors,
  appointments: [appt("1", "a"), appt("2", "b"), appt("3", "c")],
  openRequests: 0,
};

describe("filters", () => {
  test("departments once each, in the doctors' order", () => {
    expect(departmentsOf(doctors)).toEqual(["内科", "口腔科", "正畸", "儿科"]);
  });

  test("no filter shows every column, in the backend's order", () => {
    expect(filterDoctors(doctors, NO_FILTER).map((d) => d.id)).toEqual(["a", "b", "c"]);
    expect(filterDay(day, NO_FILTER)).toBe(day);
  });

  test("by department: the doctors of that department keep their order", () => {
    expect(filterDoctors(doctors, { department: "内科", doctorId: null }).map((d) => d.id)).toEqual(["a", "c"]);
    expect(doctorChoices(doctors, "正畸").map((d) => d.id)).toEqual(["b"]);
  });

  test("by doctor: one column and only their appointments", () => {
    const f = filterDay(day, { department: null, doctorId: "b" });
    expect(f.doctors.map((d) => d.id)).toEqual(["b"]);
    expect(f.appointments.map((a) => a.id)).toEqual(["2"]);
  });

  test("a doctor outside the chosen department, or unknown values, are dropped", () => {
    expect(normalizeFilter(doctors, { department: "内科", doctorId: "b" })).toEqual({ department: "内科", doctorId: null });
    expect(normalizeFilter(doctors, { department: "眼科", doctorId: "zz" })).toEqual(NO_FILTER);
    expect(filterDoctors(doctors, { department: "内科", doctorId: "c" }).map((d) => d.id)).toEqual(["c"]);
  });
});
