import { describe, expect, test } from "vitest";
import { FAKE_STORES, FakeBackend } from "./fakeBackend";

const fake = new FakeBackend({ today: "2025-03-10" });

describe("FakeBackend", () => {
  test("null store and date give the first store's today", async () => {
    const day = await fake.boardDay(null, null);
    expect(day.store.id).toBe(FAKE_STORES[0]!.id);
    expect(day.date).toBe("2025-03-10");
    expect(day.stores).toHaveLength(FAKE_STORES.length);
  });

  test("the same store and day always give the same board", async () => {
    expect(await fake.boardDay("store-haidian", "2025-03-11")).toEqual(await fake.boardDay("store-haidian", "2025-03-11"));
  });

  test("lists doctors first and the unlisted ones after, as the real backend does", async () => {
    const day = await new FakeBackend({ doctorCount: 60, today: "2025-03-10" }).boardDay(null, null);
    expect(day.doctors).toHaveLength(60);
    const firstUnlisted = day.doctors.findIndex((d) => !d.listed);
    expect(firstUnlisted).toBeGreaterThan(0);
    expect(day.doctors.slice(firstUnlisted).every((d) => !d.listed)).toBe(true);
    expect(new Set(day.doctors.map((d) => d.id)).size).toBe(60);
  });

  test("every appointment belongs to a doctor of the board and lies in one of their working periods", async () => {
    const day = await fake.boardDay(null, "2025-03-10");
    expect(day.appointments.length).toBeGreaterThan(0);
    for (const a of day.appointments) {
      const doctor = day.doctors.find((d) => d.id === a.doctorId)!;
      expect(doctor).toBeDefined();
      expect(doctor.periods.some((p) => p.startMin <= a.startMin && a.endMin <= p.endMin)).toBe(true);
      expect(a.startMin >= day.dayStartMin && a.endMin <= day.dayEndMin).toBe(true);
    }
  });

  test("past days hold no appointments still waiting to happen", async () => {
    const day = await fake.boardDay(null, "2025-03-01");
    expect(day.appointments.filter((a) => a.state === "pending" || a.state === "confirmed")).toEqual([]);
  });

  test("rejects an unknown store or a malformed date with a {code, message} error", async () => {
    await expect(fake.boardDay("nope", null)).rejects.toMatchObject({ code: "store_not_found" });
    await expect(fake.boardDay(null, "2025-02-30")).rejects.toMatchObject({ code: "invalid_date" });
  });
});
