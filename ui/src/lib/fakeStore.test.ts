// The store commands the fake backend runs as the Rust core does (DOMAIN.md §2, §5): doctor order, hidden, settings, week.
import { describe, expect, test } from "vitest";
import { FakeBackend } from "./fakeBackend";

const TODAY = "2025-03-12"; // a Wednesday
const STORE = "store-chaoyang";
const ids = async (b: FakeBackend) => (await b.boardDay(STORE, null)).doctors.map((d) => d.id.replace(`${STORE}-`, ""));

describe("doctor order", () => {
  test("reorder moves a doctor and the board's columns follow", async () => {
    const b = new FakeBackend({ today: TODAY, login: "manager.bj01" });
    const listed = (await b.boardDay(STORE, null)).doctors.filter((d) => d.listed).map((d) => d.id);
    const order = [listed[2]!, ...listed.filter((_, i) => i !== 2)];
    await b.execute("store.set_doctor_order@1", { store_id: STORE, doctor_ids: order });
    expect((await ids(b)).slice(0, 3)).toEqual(["doc-3", "doc-1", "doc-2"]);
    expect((await ids(b)).at(-1)).toBe("doc-8");
  });

  test("hiding keeps the position", async () => {
    const b = new FakeBackend({ today: TODAY, login: "manager.bj01" });
    const before = await ids(b);
    await b.execute("store.set_doctor_hidden@1", { store_id: STORE, doctor_id: `${STORE}-doc-2`, hidden: true });
    const day = await b.boardDay(STORE, null);
    expect(await ids(b)).toEqual(before);
    expect(day.doctors.find((d) => d.id === `${STORE}-doc-2`)?.hiddenFromPatients).toBe(true);
    // A later reorder keeps the flag.
    await b.execute("store.set_doctor_order@1", { store_id: STORE, doctor_ids: day.doctors.filter((d) => d.listed).map((d) => d.id).reverse() });
    expect((await b.boardDay(STORE, null)).doctors.find((d) => d.id === `${STORE}-doc-2`)?.hiddenFromPatients).toBe(true);
  });

  test("adding an unlisted doctor puts them last of the listed", async () => {
    const b = new FakeBackend({ today: TODAY, login: "manager.bj01", doctorCount: 9 });
    const day = await b.boardDay(STORE, null);
    const unlisted = day.doctors.filter((d) => !d.listed).map((d) => d.id);
    expect(unlisted).toEqual([`${STORE}-doc-9`]);
    await b.execute("store.set_doctor_order@1", { store_id: STORE, doctor_ids: [...day.doctors.filter((d) => d.listed).map((d) => d.id), unlisted[0]!] });
    const after = await b.boardDay(STORE, null);
    expect(after.doctors.at(-1)).toMatchObject({ id: `${STORE}-doc-9`, listed: true });
  });

  test("doctors left out of the order come after the listed ones, by name", async () => {
    const b = new FakeBackend({ today: TODAY, login: "manager.bj01" });
    await b.execute("store.set_doctor_order@1", { store_id: STORE, doctor_ids: [`${STORE}-doc-5`, `${STORE}-doc-1`] });
    const day = await b.boardDay(STORE, null);
    expect(day.doctors.slice(0, 2).map((d) => [d.id, d.listed])).toEqual([
      [`${STORE}-doc-5`, true],
      [`${STORE}-doc-1`, true],
    ]);
    const rest = day.doctors.slice(2);
    expect(rest.every((d) => !d.listed)).toBe(true);
    expect(rest.map((d) => d.name)).toEqual([...rest.map((d) => d.name)].sort());
  });

  test("a duplicate or unknown doctor is refused", async () => {
    const b = new FakeBackend({ today: TODAY, login: "manager.bj01" });
    const one = `${STORE}-doc-1`;
    await expect(b.execute("store.set_doctor_order@1", { store_id: STORE, doctor_ids: [one, one] })).rejects.toMatchObject({ code: "duplicate_in_order" });
    await expect(b.execute("store.set_doctor_order@1", { store_id: STORE, doctor_ids: ["nobody"] })).rejects.toMatchObject({ code: "not_found" });
  });

  test("receptionists get forbidden for order, hidden and settings", async () => {
    const b = new FakeBackend({ today: TODAY, login: "front.bj01" });
    const before = await ids(b);
    await expect(b.execute("store.set_doctor_order@1", { store_id: STORE, doctor_ids: [`${STORE}-doc-2`] })).rejects.toMatchObject({ code: "forbidden" });
    await expect(b.execute("store.set_doctor_hidden@1", { store_id: STORE, doctor_id: `${STORE}-doc-2`, hidden: true })).rejects.toMatchObject({ code: "forbidden" });
    await expect(b.storeSettings(STORE)).rejects.toMatchObject({ code: "forbidden" });
    expect(await ids(b)).toEqual(before);
  });
});

describe("store settings", () => {
  test("settings validation and save: capacity 1–10, read back what was saved", async () => {
    const b = new FakeBackend({ today: TODAY, login: "manager.bj01" });
    const s = await b.storeSettings(STORE);
    expect(s).toMatchObject({ cancellation_policy: "request_only", visit_type_mode: "auto_by_rules", capacity_per_slot: 1 });
    for (const bad of [0, 11, 2.5]) {
      await expect(b.execute("store.update_settings@1", { store_id: STORE, settings: { ...s, capacity_per_slot: bad } })).rejects.toMatchObject({ code: "invalid_setting" });
    }
    await b.execute("store.update_settings@1", { store_id: STORE, settings: { ...s, cancellation_policy: "not_allowed", capacity_per_slot: 3 } });
    expect(await b.storeSettings(STORE)).toMatchObject({ cancellation_policy: "not_allowed", capacity_per_slot: 3 });
  });

  test("visit-type mode decides whether the booking dialog offers the visit type", async () => {
    const b = new FakeBackend({ today: TODAY, login: "manager.bj01" });
    expect((await b.bookingOptions(STORE, TODAY, null)).visitTypeChosen).toBe(false);
    const s = await b.storeSettings(STORE);
    await b.execute("store.update_settings@1", { store_id: STORE, settings: { ...s, visit_type_mode: "patient_chooses" } });
    expect((await b.bookingOptions(STORE, TODAY, null)).visitTypeChosen).toBe(true);
  });
});

describe("doctor week", () => {
  test("week view shows 7 days for one doctor, from this Monday by default", async () => {
    const b = new FakeBackend({ today: TODAY, login: "front.bj01" });
    const week = await b.doctorWeek(STORE, `${STORE}-doc-1`, null);
    expect(week.days.map((d) => d.date)).toEqual(["2025-03-10", "2025-03-11", "2025-03-12", "2025-03-13", "2025-03-14", "2025-03-15", "2025-03-16"]);
    expect(week.doctorName).toBe("王建国");
    expect(week.days.every((d) => d.appointments.every((a) => a.doctorId === `${STORE}-doc-1`))).toBe(true);
    const board = await b.boardDay(STORE, TODAY);
    expect(week.days[2]!.appointments).toEqual(board.appointments.filter((a) => a.doctorId === `${STORE}-doc-1`));
    expect((await b.doctorWeek(STORE, `${STORE}-doc-1`, "2025-03-17")).days[0]!.date).toBe("2025-03-17");
    await expect(b.doctorWeek(STORE, "nobody", null)).rejects.toMatchObject({ code: "not_found" });
  });
});
