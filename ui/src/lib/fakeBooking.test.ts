import { describe, expect, test } from "vitest";
import { FakeBackend } from "./fakeBackend";
import { zonedInstant } from "./format";

const TODAY = "2025-03-10";
const STORE = "store-chaoyang";
const at = (min: number) => zonedInstant(TODAY, min, "Asia/Shanghai");

async function fake() {
  const backend = new FakeBackend({ today: TODAY, login: "front.bj01" });
  const day = await backend.boardDay(null, TODAY);
  return { backend, day };
}

describe("fake booking commands follow the backend's rules", () => {
  test("patient.create@1 rejects an empty name, a bad phone and a future birth date, and the patient is then found", async () => {
    const { backend } = await fake();
    const base = { patient_id: "p-new", name: "赵小雨", sex: "female" as const, birth_date: "2016-05-04", phone: "13912345678", guardian: null, channel_code: null };
    await expect(backend.execute("patient.create@1", { ...base, name: "  " })).rejects.toMatchObject({ code: "empty_text" });
    await expect(backend.execute("patient.create@1", { ...base, phone: "5551234" })).rejects.toMatchObject({ code: "invalid_phone" });
    await expect(backend.execute("patient.create@1", { ...base, birth_date: "2030-01-01" })).rejects.toMatchObject({ code: "invalid_birth_date" });
    await backend.execute("patient.create@1", base);
    expect((await backend.searchPatients("1391234")).map((p) => p.id)).toEqual(["p-new"]);
    expect((await backend.searchPatients("zxm")).map((p) => p.name)).toEqual(["张晓明"]);
  });

  test("appointment.reschedule@1 keeps to the slot grid, the department and the state", async () => {
    const { backend, day } = await fake();
    const a = day.appointments.find((x) => x.doctorId === `${STORE}-doc-1` && x.state !== "cancelled" && x.state !== "no_show")!;
    backend.patch(a.id, { state: "confirmed" });
    const free = (await backend.bookingOptions(STORE, TODAY, "dept-1")).doctors[0]!.slots[0]!;
    await expect(
      backend.execute("appointment.reschedule@1", { appointment_id: a.id, start: at(free.startMin + 5), end: at(free.endMin + 5), doctor_id: null }),
    ).rejects.toMatchObject({ code: "not_on_slot_grid" });
    await expect(
      backend.execute("appointment.reschedule@1", { appointment_id: a.id, start: at(12 * 60 + 30), end: at(12 * 60 + 45), doctor_id: null }),
    ).rejects.toMatchObject({ code: "outside_schedule" });
    await expect(
      backend.execute("appointment.reschedule@1", { appointment_id: a.id, start: free.start, end: free.end, doctor_id: `${STORE}-doc-2` }),
    ).rejects.toMatchObject({ code: "doctor_not_in_department" });
    await backend.execute("appointment.reschedule@1", { appointment_id: a.id, start: free.start, end: free.end, doctor_id: null });
    expect((await backend.boardDay(null, TODAY)).appointments.find((x) => x.id === a.id)!.startMin).toBe(free.startMin);
    backend.patch(a.id, { state: "checked_in" });
    await expect(
      backend.execute("appointment.reschedule@1", { appointment_id: a.id, start: a.id, end: a.id, doctor_id: null }),
    ).rejects.toMatchObject({ code: "invalid_transition" });
  });

  test("booking.create@1 refuses a taken slot and a negative amount", async () => {
    const { backend } = await fake();
    const slot = (await backend.bookingOptions(STORE, TODAY, "dept-1")).doctors[0]!.slots[0]!;
    const args = {
      appointment_id: "ap-1",
      store_id: STORE,
      doctor_id: `${STORE}-doc-1`,
      department_id: "dept-1",
      patient_id: "patient-demo-1",
      complaint_id: null,
      start: slot.start,
      end: slot.end,
      visit_type: null,
      source: "desk" as const,
      fee: null,
    };
    await expect(backend.execute("booking.create@1", { ...args, fee: { fee_id: "f", amount: -1, paid_with: null } })).rejects.toMatchObject({
      code: "invalid_amount",
    });
    await backend.execute("booking.create@1", args);
    await expect(backend.execute("booking.create@1", { ...args, appointment_id: "ap-2" })).rejects.toMatchObject({ code: "slot_conflict" });
  });
});
