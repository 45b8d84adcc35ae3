// The fake backend's sync: outbox, acknowledgements, offline, conflicts, server connection, pushed states.
import { describe, expect, test } from "vitest";
import type { SyncView } from "../bindings/SyncView";
import { FakeBackend } from "./fakeBackend";

const TODAY = "2025-03-10";
const NOW = Date.UTC(2025, 2, 10, 2, 0);

async function bookFirstFreeSlot(backend: FakeBackend) {
  const opts = await backend.bookingOptions("store-chaoyang", TODAY, "dept-1");
  const doctor = opts.doctors[0]!;
  const slot = doctor.slots[0]!;
  const id = `appt-${slot.startMin}`;
  await backend.execute("booking.create@1", {
    appointment_id: id,
    store_id: "store-chaoyang",
    doctor_id: doctor.id,
    department_id: "dept-1",
    patient_id: "patient-demo-1",
    complaint_id: "cc-fever",
    start: slot.start,
    end: slot.end,
    visit_type: null,
    source: "desk",
    fee: { fee_id: `fee-${id}`, amount: 2500, paid_with: "cash" },
  });
  return { id, doctor, slot };
}

function setup(login = "manager.bj01") {
  const backend = new FakeBackend({ today: TODAY, login, clock: () => NOW });
  const pushed: SyncView[] = [];
  backend.onSyncStatus((v) => pushed.push(v));
  return { backend, pushed };
}

describe("fake sync", () => {
  test("local only until connected; commands wait in the outbox and go out with the first sync", async () => {
    const { backend, pushed } = setup();
    expect(await backend.syncStatus()).toMatchObject({ state: "local_only", serverUrl: null, pending: 0, clockSkewSecs: null });
    await bookFirstFreeSlot(backend);
    expect(pushed.at(-1)).toMatchObject({ state: "local_only", pending: 1 });
    expect((await backend.syncDetails(10)).map((l) => [l.name, l.status, l.actorName])).toEqual([["booking.create@1", "pending", "杨建华"]]);
    // A local-only "sync now" does nothing.
    expect((await backend.syncNow()).pending).toBe(1);

    const view = await backend.serverConnect("https://sync.example.cn/", "manager.bj01", "demo1234");
    expect(view).toMatchObject({ state: "online", serverUrl: "https://sync.example.cn", signedInAs: "杨建华", pending: 0, clockSkewSecs: 0 });
    expect(view.lastSyncAt).toBe(new Date(NOW).toISOString());
    expect((await backend.syncDetails(10))[0]!.status).toBe("applied");
    const day = await backend.boardDay(null, null);
    expect(day.appointments.find((a) => a.id.startsWith("appt-"))!.sync).toBe("confirmed");
  });

  test("connect errors: bad address, unreachable, wrong password, not a manager", async () => {
    const { backend } = setup();
    await expect(backend.serverConnect("ftp://x", "manager.bj01", "demo1234")).rejects.toMatchObject({ code: "bad_server_url" });
    await expect(backend.serverConnect("https://sync.example.cn", "manager.bj01", "nope")).rejects.toMatchObject({
      code: "sign_in_failed",
      message: "服务器上的账号或密码不正确。",
    });
    await expect(backend.serverConnect("https://sync.example.cn", "front.bj01", "demo1234")).rejects.toMatchObject({ code: "forbidden" });
    backend.sync.setOnline(false);
    await expect(backend.serverConnect("https://sync.example.cn", "manager.bj01", "demo1234")).rejects.toMatchObject({
      code: "server_unreachable",
    });
    const reception = setup("front.bj01").backend;
    await expect(reception.serverConnect("https://sync.example.cn", "manager.bj01", "demo1234")).rejects.toMatchObject({ code: "forbidden" });
  });

  test("offline: commands pile up; the attempt fails with the reason; back online, a sync acknowledges them", async () => {
    const { backend } = setup();
    await backend.serverConnect("https://sync.example.cn", "manager.bj01", "demo1234");
    backend.sync.setOnline(false);
    await bookFirstFreeSlot(backend);
    const failed = await backend.syncNow();
    expect(failed).toMatchObject({ state: "offline", pending: 1, lastError: { code: "server_unreachable" } });
    backend.sync.setOnline(true);
    expect(await backend.syncNow()).toMatchObject({ state: "online", pending: 0, lastError: null });
  });

  test("a booking whose slot the server gave away: predicted, then rejected into the store's conflict inbox", async () => {
    const { backend } = setup("front.bj01");
    const { id } = await bookFirstFreeSlot(backend);
    backend.sync.conflictOnNextSync(id);
    expect((await backend.syncDetails(1))[0]!.predicted).toBe("slot_conflict");
    expect((await backend.syncStatus()).attention).toBe(1);
    expect((await backend.boardDay(null, null)).appointments.find((a) => a.id === id)!.sync).toBe("attention");
  });

  test("rejected at sync: both sides, the typed booking and the fixes; resolving it drops the card", async () => {
    const { backend } = setup();
    await backend.serverConnect("https://sync.example.cn", "manager.bj01", "demo1234");
    const { id, doctor } = await bookFirstFreeSlot(backend);
    backend.sync.conflictOnNextSync(id);
    const after = await backend.syncNow();
    expect(after).toMatchObject({ pending: 0, openConflicts: 1, attention: 1 });
    const line = (await backend.syncDetails(1))[0]!;
    expect([line.status, line.code, line.message]).toEqual(["rejected", "slot_conflict", "该时段已被其他前台的预约占用。"]);
    const [item] = await backend.syncConflicts("store-chaoyang");
    expect(item).toMatchObject({
      commandName: "booking.create@1",
      code: "slot_conflict",
      actorName: "杨建华",
      ours: { appointmentId: id, patientName: "张晓明", doctorName: doctor.name },
      theirs: [{ doctorName: doctor.name, patientName: "郑佳怡" }],
      booking: { patientId: "patient-demo-1", doctorId: doctor.id, complaintId: "cc-fever", fee: { amount: 2500, paidWith: "cash" } },
      fixes: ["next_free_slot", "other_doctor", "call_patient", "dismiss"],
      resolved: null,
    });
    await backend.resolveConflict(item!.id, "dismissed");
    await expect(backend.resolveConflict(item!.id, "dismissed")).rejects.toMatchObject({ code: "already_resolved" });
    expect(await backend.syncStatus()).toMatchObject({ openConflicts: 0, attention: 0 });
    expect((await backend.syncConflicts("store-chaoyang"))[0]!.resolved).toMatchObject({ by: "杨建华", how: "dismissed" });
    expect((await backend.boardDay(null, null)).appointments.some((a) => a.id === id)).toBe(false);
  });

  test("disconnecting keeps the outbox; halting keeps everything; the clock skew is known only when connected", async () => {
    const { backend } = setup();
    backend.sync.setClockSkew(-300);
    expect((await backend.syncStatus()).clockSkewSecs).toBeNull();
    await backend.serverConnect("https://sync.example.cn", "manager.bj01", "demo1234");
    expect((await backend.syncStatus()).clockSkewSecs).toBe(-300);
    backend.sync.setOnline(false);
    await bookFirstFreeSlot(backend);
    expect(await backend.serverDisconnect()).toMatchObject({ state: "local_only", pending: 1, serverUrl: null });
    backend.sync.halt();
    expect(await backend.syncStatus()).toMatchObject({ state: "halted", pending: 1, lastError: { code: "protocol_error" } });
  });

  test("the demo's first sync brings a conflict from another desk, and a long sync shows its steps", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "manager.bj01", clock: () => NOW, demoSync: true, syncStepMs: 1 });
    const phases = new Set<string>();
    backend.onSyncStatus((v) => v.progress && phases.add(v.progress.phase));
    const view = await backend.serverConnect("https://sync.example.cn", "manager.bj01", "demo1234");
    expect(view).toMatchObject({ state: "online", openConflicts: 1, progress: null });
    expect([...phases]).toEqual(["snapshot", "pull"]);
    const [item] = await backend.syncConflicts("store-chaoyang");
    expect(item).toMatchObject({ deskLabel: "前台2", actorName: "王芳", ours: { patientName: "李雨桐" } });
    expect(item!.fixes).toContain("hand_back_cash");
  });
});
