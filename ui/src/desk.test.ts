// @vitest-environment jsdom
// The appointment panel, refund-then-cancel and the cancellation inbox, on the fake backend.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, test } from "vitest";
import App from "./App.svelte";
import type { AppointmentState } from "./bindings/AppointmentState";
import { FakeBackend, type FakeFeeKind } from "./lib/fakeBackend";

const TODAY = "2025-03-10";
/** 10:00 in Shanghai on TODAY. */
const NOW = Date.UTC(2025, 2, 10, 2, 0);
const clock = () => new Date(NOW);

/** The desk signed in as `login`, with one appointment (no open request) set to `state` and `fee`. */
async function setup(login: string, state: AppointmentState, fee: FakeFeeKind, pollMs?: number) {
  const backend = new FakeBackend({ today: TODAY, login, clock: () => NOW });
  const day = await backend.boardDay(null, null);
  const asked = new Set((await backend.cancellationInbox("store-chaoyang")).map((r) => r.appointmentId));
  const id = day.appointments.find((a) => !asked.has(a.id))!.id;
  backend.patch(id, { state, fee });
  render(App, { backend, clock, ...(pollMs === undefined ? {} : { pollMs }) });
  const card = await waitFor(() => {
    const el = document.querySelector<HTMLElement>(`[data-appointment-id="${id}"]`);
    if (!el) throw new Error("card not drawn yet");
    return el;
  });
  return { backend, id, card };
}

async function openPanel(card: HTMLElement): Promise<HTMLElement> {
  await fireEvent.click(card);
  const panel = await screen.findByTestId("panel");
  await within(panel).findByTestId("panel-state");
  return panel;
}

const type = (el: HTMLElement, value: string) => fireEvent.input(el, { target: { value } });

describe("appointment panel", () => {
  test("check-in then complete from the panel, and the board follows", async () => {
    const { backend, id, card } = await setup("front.bj01", "confirmed", "none");
    const panel = await openPanel(card);
    expect(within(panel).getByTestId("panel-time").textContent).toMatch(/10/);
    await fireEvent.click(within(panel).getByTestId("action-check_in"));
    await waitFor(() => expect(within(panel).getByTestId("panel-state").textContent).toBe("已签到"));
    await fireEvent.click(within(panel).getByTestId("action-complete"));
    await waitFor(() => expect(within(panel).getByTestId("panel-state").textContent).toBe("已完成"));
    await waitFor(() => expect(card.dataset.state).toBe("completed"));
    expect((await backend.appointmentDetail(id)).history.map((h) => h.action).slice(-2)).toEqual(["check_in", "complete"]);
    expect(within(panel).getByTestId("history").textContent).toContain("前台 刘婷");
  });

  test("Enter or Space on a focused card opens the panel; Esc and ✕ close it", async () => {
    const { card } = await setup("front.bj01", "confirmed", "none");
    card.focus();
    await fireEvent.keyDown(card, { key: "Enter" });
    expect(await screen.findByTestId("panel")).toBeDefined();
    await fireEvent.keyDown(window, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("panel")).toBeNull());
    card.focus();
    await fireEvent.keyDown(card, { key: " " });
    expect(await screen.findByTestId("panel")).toBeDefined();
    await fireEvent.keyDown(window, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("panel")).toBeNull());
    await openPanel(card);
    await fireEvent.click(screen.getByTestId("panel-close"));
    await waitFor(() => expect(screen.queryByTestId("panel")).toBeNull());
  });

  test("receptionists don't see undo check-in", async () => {
    const { card } = await setup("front.bj01", "checked_in", "none");
    const panel = await openPanel(card);
    expect(within(panel).queryByTestId("action-complete")).not.toBeNull();
    expect(within(panel).queryByTestId("action-undo_check_in")).toBeNull();
    expect(within(panel).queryByTestId("action-cancel")).toBeNull();
  });

  test("managers do, and it asks for a reason first", async () => {
    const { backend, id, card } = await setup("manager.bj01", "checked_in", "none");
    const panel = await openPanel(card);
    await fireEvent.click(within(panel).getByTestId("action-undo_check_in"));
    await fireEvent.click(screen.getByTestId("confirm-ok"));
    expect(screen.getByTestId("error").textContent).toBe("请填写原因。");
    expect((await backend.appointmentDetail(id)).state).toBe("checked_in");
    await type(screen.getByTestId("confirm-reason"), "误点签到");
    await fireEvent.click(screen.getByTestId("confirm-ok"));
    await waitFor(() => expect(within(panel).getByTestId("panel-state").textContent).toBe("已确认"));
    expect((await backend.appointmentDetail(id)).history.at(-1)).toMatchObject({ action: "undo_check_in", reason: "误点签到" });
  });

  test("a backend error is shown next to the action and the typed reason is kept", async () => {
    const { backend, id, card } = await setup("front.bj01", "confirmed", "none");
    const panel = await openPanel(card);
    await fireEvent.click(within(panel).getByTestId("action-cancel"));
    // Meanwhile another desk checked the patient in.
    backend.patch(id, { state: "checked_in" });
    await type(screen.getByTestId("confirm-reason"), "患者来电取消");
    await fireEvent.click(screen.getByTestId("confirm-ok"));
    expect((await screen.findByTestId("error")).textContent).toBe("患者已签到，不能再取消预约。");
    expect(screen.getByTestId<HTMLTextAreaElement>("confirm-reason").value).toBe("患者来电取消");
  });
});

describe("refund, then cancel", () => {
  test("cancel of a paid desk fee goes refund → cancel and shows the slip", async () => {
    const { backend, id, card } = await setup("front.bj01", "confirmed", "desk");
    const panel = await openPanel(card);
    await fireEvent.click(within(panel).getByTestId("action-cancel"));
    expect(screen.getByRole("dialog").textContent).toContain("先退挂号费 ¥25.00（现金/刷卡原路退回），再取消预约");
    await type(screen.getByTestId("confirm-reason"), "患者来电取消");
    await fireEvent.click(screen.getByTestId("confirm-ok"));
    const slip = await screen.findByTestId("refund-slip");
    const detail = await backend.appointmentDetail(id);
    expect(detail.state).toBe("cancelled");
    expect(slip.textContent).toContain(detail.fee!.refund!.number);
    expect(detail.history.map((h) => h.action).slice(-2)).toEqual(["refund", "cancel"]);
    await waitFor(() => expect(card.dataset.state).toBe("cancelled"));
  });

  test("no refund button after a refund, and cancel then needs no refund", async () => {
    const { backend, id, card } = await setup("front.bj01", "confirmed", "refunded");
    const panel = await openPanel(card);
    expect(within(panel).queryByTestId("action-refund")).toBeNull();
    expect(within(panel).getByTestId("refund-slip").textContent).toMatch(/^TK-/);
    await fireEvent.click(within(panel).getByTestId("action-cancel"));
    expect(screen.getByRole("dialog").textContent).not.toContain("退");
    await type(screen.getByTestId("confirm-reason"), "患者来电取消");
    await fireEvent.click(screen.getByTestId("confirm-ok"));
    await waitFor(async () => expect((await backend.appointmentDetail(id)).state).toBe("cancelled"));
  });

  test("a refund on its own removes the refund button", async () => {
    const { card } = await setup("front.bj01", "confirmed", "desk");
    const panel = await openPanel(card);
    await fireEvent.click(within(panel).getByTestId("action-refund"));
    await fireEvent.click(screen.getByTestId("confirm-ok"));
    await screen.findByTestId("refund-slip");
    await fireEvent.click(screen.getByTestId("refund-done"));
    await waitFor(() => expect(within(panel).queryByTestId("action-refund")).toBeNull());
    expect(within(panel).getByTestId("refund-slip")).toBeDefined();
  });

  test("online fee shows the request path and does not cancel", async () => {
    const { backend, id, card } = await setup("front.bj01", "confirmed", "online");
    const panel = await openPanel(card);
    await fireEvent.click(within(panel).getByTestId("action-cancel"));
    const dialog = screen.getByRole("dialog");
    expect(dialog.textContent).toContain("只有服务器能原路退回");
    expect(within(dialog).queryByTestId("confirm-ok")).toBeNull();
    await fireEvent.click(within(dialog).getByRole("button", { name: "申请线上退费" }));
    await waitFor(() => expect(dialog.textContent).toContain("已申请线上退费"));
    const detail = await backend.appointmentDetail(id);
    expect(detail.state).toBe("confirmed");
    expect(detail.fee?.refundOption).toBe("server_refund_requested");
    expect(detail.fee?.refund).toBeNull();
  });

  test("an online payment older than 365 days is refunded manually, then cancelled", async () => {
    const { backend, id, card } = await setup("front.bj01", "confirmed", "online_old");
    const panel = await openPanel(card);
    await fireEvent.click(within(panel).getByTestId("action-cancel"));
    expect(screen.getByRole("dialog").textContent).toContain("365 天");
    await type(screen.getByTestId("confirm-reason"), "患者来电取消");
    await fireEvent.click(screen.getByRole("button", { name: "登记人工退费" }));
    await screen.findByTestId("refund-slip");
    const detail = await backend.appointmentDetail(id);
    expect(detail.fee?.refund?.kind).toBe("manual");
    expect(detail.state).toBe("cancelled");
  });

  test("a fee paid at another store is only explained, never refunded here", async () => {
    const { card } = await setup("front.bj01", "confirmed", "other_store");
    const panel = await openPanel(card);
    expect(within(panel).queryByTestId("action-refund")).toBeNull();
    await fireEvent.click(within(panel).getByTestId("action-cancel"));
    expect(screen.getByRole("dialog").textContent).toContain("其他门店");
    expect(screen.queryByTestId("confirm-ok")).toBeNull();
  });
});

describe("cancellation inbox", () => {
  function item(reason: string): HTMLElement {
    const found = screen.getAllByTestId("inbox-item").find((li) => li.textContent?.includes(reason));
    if (!found) throw new Error(`no inbox item with ${reason}`);
    return found;
  }

  test("lists the requests with how long they have waited; approve cancels the appointment", async () => {
    const { backend, id } = await setup("front.bj01", "confirmed", "none");
    const requestId = backend.addCancellationRequest(id, "测试：临时出差");
    await fireEvent.click(await screen.findByTestId("open-inbox"));
    const inbox = await screen.findByTestId("inbox");
    await within(inbox).findAllByTestId("inbox-item");
    expect(within(inbox).getAllByTestId("inbox-item")).toHaveLength((await backend.cancellationInbox("store-chaoyang")).length);
    expect(item("测试：临时出差").textContent).toContain("等待 0 分钟");
    await fireEvent.click(within(item("测试：临时出差")).getByTestId("inbox-approve"));
    await waitFor(() => expect(inbox.textContent).not.toContain("测试：临时出差"));
    expect((await backend.appointmentDetail(id)).state).toBe("cancelled");
    expect((await backend.cancellationInbox("store-chaoyang")).some((r) => r.requestId === requestId)).toBe(false);
  });

  test("approving a request whose fee was charged refunds first, then approves", async () => {
    const { backend, id } = await setup("front.bj01", "confirmed", "desk");
    backend.addCancellationRequest(id, "测试：孩子生病");
    await fireEvent.click(await screen.findByTestId("open-inbox"));
    await screen.findAllByTestId("inbox-item");
    await fireEvent.click(within(item("测试：孩子生病")).getByTestId("inbox-approve"));
    expect((await screen.findByRole("dialog")).textContent).toContain("先退挂号费 ¥25.00");
    await fireEvent.click(screen.getByTestId("confirm-ok"));
    await screen.findByTestId("refund-slip");
    const detail = await backend.appointmentDetail(id);
    expect(detail.state).toBe("cancelled");
    expect(detail.fee?.refund).not.toBeNull();
    await fireEvent.click(screen.getByTestId("refund-done"));
    await waitFor(() => expect(screen.getByTestId("inbox").textContent).not.toContain("测试：孩子生病"));
  });

  test("reject needs a reason the patient will see", async () => {
    const { backend, id } = await setup("front.bj01", "confirmed", "none");
    backend.addCancellationRequest(id, "测试：想改期");
    await fireEvent.click(await screen.findByTestId("open-inbox"));
    await screen.findAllByTestId("inbox-item");
    await fireEvent.click(within(item("测试：想改期")).getByTestId("inbox-reject"));
    const reason = within(item("测试：想改期")).getByTestId("inbox-reason");
    await fireEvent.click(within(item("测试：想改期")).getByTestId("inbox-reject"));
    expect(within(item("测试：想改期")).getByTestId("error").textContent).toContain("请填写拒绝原因");
    await type(reason, "请来电改期");
    await fireEvent.click(within(item("测试：想改期")).getByTestId("inbox-reject"));
    await waitFor(() => expect(screen.getByTestId("inbox").textContent).not.toContain("测试：想改期"));
    const detail = await backend.appointmentDetail(id);
    expect(detail.state).toBe("confirmed");
    expect(detail.history.at(-1)).toMatchObject({ action: "cancel_request_rejected", reason: "请来电改期" });
  });

  test("a new request shows a toast and raises the count", async () => {
    const { backend, id } = await setup("front.bj01", "confirmed", "none", 50);
    const badge = await screen.findByTestId("open-requests");
    const before = Number(badge.textContent);
    expect(screen.queryByTestId("toast")).toBeNull();
    backend.addCancellationRequest(id, "测试：新申请");
    const toast = await screen.findByTestId("toast", {}, { timeout: 2000 });
    expect(toast.textContent).toContain("新的取消申请");
    expect(Number(screen.getByTestId("open-requests").textContent)).toBe(before + 1);
    await fireEvent.click(within(toast).getByRole("button", { name: "查看" }));
    expect(await screen.findByTestId("inbox")).toBeDefined();
  });
});
