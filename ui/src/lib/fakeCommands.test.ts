// The domain rules the fake backend follows (DOMAIN.md §4–6), so UI tests on it prove the real flows.
import { describe, expect, test } from "vitest";
import type { AppointmentState } from "../bindings/AppointmentState";
import { FakeBackend, type FakeFeeKind } from "./fakeBackend";

const TODAY = "2025-03-10";
const NOW = Date.UTC(2025, 2, 10, 2, 0);

async function appointment(login: string, state: AppointmentState, fee: FakeFeeKind) {
  const backend = new FakeBackend({ today: TODAY, login, clock: () => NOW });
  const day = await backend.boardDay(null, null);
  // One no patient has asked to cancel yet.
  const inbox = new Set((await backend.cancellationInbox("store-chaoyang").catch(() => [])).map((r) => r.appointmentId));
  const id = day.appointments.find((a) => !inbox.has(a.id))!.id;
  backend.patch(id, { state, fee });
  const detail = await backend.appointmentDetail(id);
  return { backend, id, feeId: detail.fee?.id ?? "" };
}

describe("refund, then cancel", () => {
  test("refund_first: a charged fee that is not refunded blocks the cancel", async () => {
    const { backend, id } = await appointment("front.bj01", "confirmed", "desk");
    await expect(backend.execute("appointment.cancel@1", { appointment_id: id, reason: "患者来电" })).rejects.toMatchObject({
      code: "refund_first",
    });
    expect((await backend.appointmentDetail(id)).state).toBe("confirmed");
  });

  test("a desk fee is refunded at the desk, then the cancel goes through", async () => {
    const { backend, id, feeId } = await appointment("front.bj01", "confirmed", "desk");
    expect((await backend.appointmentDetail(id)).fee?.refundOption).toBe("refund_at_desk");
    await backend.execute("fee.refund_cash@1", { refund_id: crypto.randomUUID(), fee_id: feeId, reason: "" });
    const refunded = await backend.appointmentDetail(id);
    expect(refunded.fee?.refund?.number).toMatch(/^TK-/);
    expect(refunded.fee?.refundOption).toBe("none");
    await backend.execute("appointment.cancel@1", { appointment_id: id, reason: "患者来电" });
    const cancelled = await backend.appointmentDetail(id);
    expect(cancelled.state).toBe("cancelled");
    expect(cancelled.history.map((h) => h.action).slice(-2)).toEqual(["refund", "cancel"]);
  });

  test("already_refunded: a fee is refunded at most once", async () => {
    const { backend, feeId } = await appointment("front.bj01", "confirmed", "desk");
    await backend.execute("fee.refund_cash@1", { refund_id: crypto.randomUUID(), fee_id: feeId, reason: "" });
    await expect(
      backend.execute("fee.refund_cash@1", { refund_id: crypto.randomUUID(), fee_id: feeId, reason: "" }),
    ).rejects.toMatchObject({ code: "already_refunded" });
  });

  test("an online fee can only be requested from the server, and that does not refund or cancel", async () => {
    const { backend, id, feeId } = await appointment("front.bj01", "confirmed", "online");
    expect((await backend.appointmentDetail(id)).fee?.refundOption).toBe("request_server_refund");
    await expect(
      backend.execute("fee.refund_cash@1", { refund_id: crypto.randomUUID(), fee_id: feeId, reason: "" }),
    ).rejects.toMatchObject({ code: "refund_not_allowed" });
    await backend.execute("fee.request_refund@1", { fee_id: feeId });
    const detail = await backend.appointmentDetail(id);
    expect(detail.fee?.refundOption).toBe("server_refund_requested");
    expect(detail.fee?.refund).toBeNull();
    expect(detail.state).toBe("confirmed");
  });

  test("365-day rule: an online payment older than a year is refunded manually at the desk", async () => {
    const { backend, id, feeId } = await appointment("front.bj01", "confirmed", "online_old");
    expect((await backend.appointmentDetail(id)).fee?.refundOption).toBe("manual_refund");
    await backend.execute("fee.refund_manual@1", { refund_id: crypto.randomUUID(), fee_id: feeId, reason: "微信超期" });
    expect((await backend.appointmentDetail(id)).fee?.refund?.kind).toBe("manual");
  });

  test("a desk fee of another store is refunded only there", async () => {
    const { backend, id, feeId } = await appointment("front.bj01", "confirmed", "other_store");
    expect((await backend.appointmentDetail(id)).fee?.refundOption).toBe("other_store");
    await expect(
      backend.execute("fee.refund_cash@1", { refund_id: crypto.randomUUID(), fee_id: feeId, reason: "" }),
    ).rejects.toMatchObject({ code: "refund_not_allowed" });
  });
});

describe("lifecycle", () => {
  test("cancel_after_check_in: no cancel once the patient has checked in", async () => {
    const { backend, id } = await appointment("front.bj01", "checked_in", "none");
    expect((await backend.appointmentDetail(id)).actions).not.toContain("cancel");
    await expect(backend.execute("appointment.cancel@1", { appointment_id: id, reason: "x" })).rejects.toMatchObject({
      code: "cancel_after_check_in",
    });
  });

  test("actions follow role and state: only managers undo a check-in, with a reason", async () => {
    const front = await appointment("front.bj01", "checked_in", "none");
    expect((await front.backend.appointmentDetail(front.id)).actions).toEqual(["complete"]);
    await expect(
      front.backend.execute("appointment.undo_check_in@1", { appointment_id: front.id, reason: "点错了" }),
    ).rejects.toMatchObject({ code: "forbidden" });

    const manager = await appointment("manager.bj01", "checked_in", "none");
    expect((await manager.backend.appointmentDetail(manager.id)).actions).toEqual(["complete", "undo_check_in"]);
    await expect(
      manager.backend.execute("appointment.undo_check_in@1", { appointment_id: manager.id, reason: " " }),
    ).rejects.toMatchObject({ code: "reason_required" });
    await manager.backend.execute("appointment.undo_check_in@1", { appointment_id: manager.id, reason: "点错了" });
    expect((await manager.backend.appointmentDetail(manager.id)).state).toBe("confirmed");
  });

  test("every command shows on the board and in the history", async () => {
    const { backend, id } = await appointment("front.bj01", "pending", "none");
    await backend.execute("appointment.confirm@1", { appointment_id: id });
    await backend.execute("appointment.check_in@1", { appointment_id: id });
    const day = await backend.boardDay(null, null);
    expect(day.appointments.find((a) => a.id === id)?.state).toBe("checked_in");
    const history = (await backend.appointmentDetail(id)).history;
    expect(history.at(-1)).toMatchObject({ actor: "receptionist:刘婷", action: "check_in", fromState: "confirmed", toState: "checked_in" });
  });
});

describe("cancellation inbox", () => {
  test("approve cancels, but refund_first when the fee is charged and not refunded", async () => {
    const { backend, id, feeId } = await appointment("front.bj01", "confirmed", "desk");
    const before = (await backend.boardDay(null, null)).openRequests;
    const requestId = backend.addCancellationRequest(id, "临时有事");
    expect((await backend.boardDay(null, null)).openRequests).toBe(before + 1);
    const inbox = await backend.cancellationInbox("store-chaoyang");
    expect(inbox.at(-1)).toMatchObject({ requestId, appointmentId: id, reason: "临时有事", feeState: "paid" });
    await expect(backend.execute("cancel_request.approve@1", { request_id: requestId })).rejects.toMatchObject({
      code: "refund_first",
    });
    await backend.execute("fee.refund_cash@1", { refund_id: crypto.randomUUID(), fee_id: feeId, reason: "" });
    await backend.execute("cancel_request.approve@1", { request_id: requestId });
    expect((await backend.appointmentDetail(id)).state).toBe("cancelled");
    expect((await backend.boardDay(null, null)).openRequests).toBe(before);
  });

  test("reject needs a reason, which the history keeps; the appointment stays", async () => {
    const { backend, id } = await appointment("front.bj01", "confirmed", "none");
    const requestId = backend.addCancellationRequest(id, "想改期");
    await expect(backend.execute("cancel_request.reject@1", { request_id: requestId, reason: "" })).rejects.toMatchObject({
      code: "reason_required",
    });
    await backend.execute("cancel_request.reject@1", { request_id: requestId, reason: "请直接来电改期" });
    const detail = await backend.appointmentDetail(id);
    expect(detail.state).toBe("confirmed");
    expect(detail.openRequest).toBeNull();
    expect(detail.history.at(-1)).toMatchObject({ action: "cancel_request_rejected", reason: "请直接来电改期" });
  });

  test("the inbox needs handle_cancellation_requests", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "opto.bj02" });
    await expect(backend.cancellationInbox("store-haidian")).rejects.toMatchObject({ code: "forbidden" });
  });
});
