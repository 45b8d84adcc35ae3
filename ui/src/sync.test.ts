// @vitest-environment jsdom
// The sync UI on the fake backend: the header's indicator, the sync panel (conflicts, details, server) and the notices.
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, test } from "vitest";
import App from "./App.svelte";
import type { ConflictItem } from "./bindings/ConflictItem";
import { DEMO_PASSWORD } from "./lib/demo";
import { FakeBackend } from "./lib/fakeBackend";
import { formatClock } from "./lib/format";
import type { Locale } from "./lib/i18n";

const TODAY = "2025-03-10";
/** 10:00 in Shanghai on TODAY. */
const NOW = Date.UTC(2025, 2, 10, 2, 0);
const clock = () => new Date(NOW);
const STORE = "store-chaoyang";
const SERVER = "https://sync.example.cn";

/** A desk signed in as `login`; `connected`: a manager registered it with the server first. */
async function desk(login: string, { connected = true, doctorCount }: { connected?: boolean; doctorCount?: number } = {}) {
  const backend = new FakeBackend({ today: TODAY, login: "manager.bj01", clock: () => NOW, doctorCount });
  if (connected) await backend.serverConnect(SERVER, "manager.bj01", DEMO_PASSWORD);
  if (login !== "manager.bj01") {
    await backend.signOut();
    await backend.signIn(login, DEMO_PASSWORD);
  }
  return backend;
}

/** Books patient 张晓明 into the first free 内科 slot (as another screen of the desk would). */
async function book(backend: FakeBackend) {
  const options = await backend.bookingOptions(STORE, TODAY, "dept-1");
  const doctor = options.doctors[0]!;
  const slot = doctor.slots[0]!;
  const id = `appt-${doctor.id}-${slot.startMin}`;
  await backend.execute("booking.create@1", {
    appointment_id: id,
    store_id: STORE,
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

async function show(backend: FakeBackend, locale: Locale = "zh-CN") {
  render(App, { backend, clock, locale });
  const indicator = await screen.findByTestId("sync-indicator");
  await screen.findAllByTestId("appointment");
  return indicator;
}

/** The desk with one booking the server rejected (slot_conflict) in the store's conflict inbox. */
async function withConflict(login = "front.bj01", doctorCount?: number) {
  const backend = await desk(login, { doctorCount });
  const booked = await book(backend);
  backend.sync.conflictOnNextSync(booked.id);
  await backend.syncNow();
  return { backend, ...booked };
}

async function openPanel(indicator: HTMLElement) {
  await fireEvent.click(indicator);
  return screen.findByTestId("sync-panel");
}

describe("sync indicator", () => {
  test("offline with the pending count, then online after 立即同步; Enter opens the panel", async () => {
    const backend = await desk("front.bj01");
    backend.sync.setOnline(false);
    const indicator = await show(backend);
    expect(indicator.dataset.state).toBe("offline");
    expect(within(indicator).getByTestId("sync-label").textContent).toBe("离线");
    expect(within(indicator).queryByTestId("sync-pending")).toBeNull();

    await book(backend);
    await book(backend);
    await waitFor(() => expect(within(indicator).getByTestId("sync-pending").textContent).toBe("↑2"));
    expect(indicator.getAttribute("title")).toContain("2 条待同步");

    indicator.focus();
    await userEvent.keyboard("{Enter}");
    const panel = await screen.findByTestId("sync-panel");
    expect(within(panel).getByTestId("sync-tab-details").getAttribute("aria-selected")).toBe("true");
    const lines = await within(panel).findAllByTestId("sync-line");
    expect(lines.map((l) => l.dataset.status)).toEqual(["pending", "pending"]);
    expect(lines[0]!.textContent).toContain("新预约");
    expect(within(lines[0]!).getByTestId("sync-chip").textContent).toBe("待同步");

    // Still offline: the attempt fails and says why; nothing is lost.
    await fireEvent.click(within(panel).getByTestId("sync-now"));
    expect((await within(panel).findByTestId("sync-last-error")).textContent).toContain("无法连接服务器");
    expect(within(indicator).getByTestId("sync-pending").textContent).toBe("↑2");

    backend.sync.setOnline(true);
    await fireEvent.click(within(panel).getByTestId("sync-now"));
    await waitFor(() => expect(indicator.dataset.state).toBe("online"));
    expect(within(indicator).getByTestId("sync-label").textContent).toBe("在线");
    expect(within(indicator).queryByTestId("sync-pending")).toBeNull();
    expect(indicator.getAttribute("title")).toContain("上次同步：刚刚");
    await waitFor(() => expect(within(panel).getAllByTestId("sync-line").map((l) => l.dataset.status)).toEqual(["applied", "applied"]));
    expect(within(panel).queryByTestId("sync-last-error")).toBeNull();
  });

  test("a sync that brought changes refreshes the board: the booked card turns confirmed", async () => {
    const backend = await desk("front.bj01");
    const indicator = await show(backend);
    const { id } = await book(backend);
    const card = () => document.querySelector<HTMLElement>(`[data-appointment-id="${id}"]`);
    // The board's own poll is 30 s away: only the sync's change brings the card in, confirmed.
    await new Promise((r) => setTimeout(r, 50));
    expect(card()).toBeNull();
    await backend.syncNow();
    await waitFor(() => expect(card()?.querySelector(".sync.confirmed") ?? null).not.toBeNull());
    expect(indicator.dataset.state).toBe("online");
  });

  test("a long sync shows a progress bar with its percent, or a running bar while the total is unknown", async () => {
    const backend = await desk("front.bj01");
    const indicator = await show(backend);
    backend.sync.setProgress({ phase: "snapshot", done: 450, total: 1000 });
    await waitFor(() => expect(indicator.dataset.state).toBe("syncing"));
    const bar = screen.getByTestId("sync-progress");
    expect(bar.getAttribute("aria-valuenow")).toBe("45");
    expect(bar.getAttribute("aria-label")).toBe("首次同步：下载门店数据 450/1000（45%）");

    const panel = await openPanel(indicator);
    expect(within(panel).getByTestId("sync-summary").textContent).toContain("首次同步：下载门店数据 450/1000（45%）");
    expect((within(panel).getByTestId("sync-now") as HTMLButtonElement).disabled).toBe(true);

    backend.sync.setProgress({ phase: "pull", done: 80, total: null });
    await waitFor(() => expect(screen.getAllByTestId("sync-progress")[0]!.hasAttribute("aria-valuenow")).toBe(false));
    expect(within(panel).getByTestId("sync-summary").textContent).toContain("下载服务器更新：已处理 80");

    backend.sync.setProgress(null);
    await waitFor(() => expect(screen.queryByTestId("sync-progress")).toBeNull());
    expect(indicator.dataset.state).toBe("online");
  });

  test("speaks the chosen language", async () => {
    const backend = await desk("front.bj01", { connected: false });
    await book(backend);
    const indicator = await show(backend, "en");
    expect(indicator.dataset.state).toBe("local_only");
    expect(indicator.textContent).toContain("Local only");
    expect(indicator.getAttribute("title")).toBe("Local only · 1 to sync");
  });
});

describe("conflict inbox", () => {
  test("a new slot conflict is announced; the inbox shows both patients, who and when, and the fix buttons", async () => {
    const backend = await desk("front.bj01");
    const { id, doctor } = await book(backend);
    const indicator = await show(backend);
    backend.sync.conflictOnNextSync(id);
    await backend.syncNow();

    const notice = await screen.findByTestId("sync-conflict-notice");
    expect(notice.textContent).toContain("有新的同步冲突需要处理");
    expect(within(indicator).getByTestId("sync-conflicts").textContent).toBe("!1");
    await fireEvent.click(within(notice).getByText("查看"));
    const panel = await screen.findByTestId("sync-panel");
    expect(screen.queryByTestId("sync-conflict-notice")).toBeNull();
    expect(within(panel).getByTestId("sync-tab-conflicts").getAttribute("aria-selected")).toBe("true");

    const item = await within(panel).findByTestId("conflict");
    expect(item.dataset.code).toBe("slot_conflict");
    expect(item.textContent).toContain("新预约");
    expect(item.textContent).toContain("该时段已被其他前台的预约占用。");
    const ours = within(item).getByTestId("conflict-ours");
    const theirs = within(item).getByTestId("conflict-theirs");
    expect(within(ours).getByTestId("side-patient").textContent).toContain("张晓明");
    expect(within(theirs).getByTestId("side-patient").textContent).toContain("郑佳怡");
    for (const side of [ours, theirs]) expect(side.textContent).toContain(doctor.name);
    expect(within(item).getByTestId("conflict-meta").textContent!.replace(/\s+/g, " ").trim()).toMatch(/^刘婷 于 .+ 在 前台1 提交 · 服务器于 .+ 拒绝$/);
    expect(within(item).getAllByRole("button").map((b) => b.dataset.testid)).toEqual([
      "fix-next_free_slot",
      "fix-other_doctor",
      "fix-call_patient",
      "fix-dismiss",
    ]);
    // The card on the board needs attention until the conflict is resolved.
    await waitFor(() => expect(document.querySelector(`[data-appointment-id="${id}"] .sync.attention`)).not.toBeNull());
  });

  test("next_free_slot opens the booking dialog prefilled and resolves the conflict once booked", async () => {
    const { backend, id, doctor, slot } = await withConflict();
    const indicator = await show(backend);
    const panel = await openPanel(indicator);
    const item = await within(panel).findByTestId("conflict");
    await fireEvent.click(within(item).getByTestId("fix-next_free_slot"));

    const dialog = await screen.findByTestId("booking");
    expect(dialog.textContent).toContain("重新预约（同步冲突）");
    expect(within(dialog).getByTestId("patient-chosen").textContent).toContain("张晓明");
    expect(within(dialog).getByTestId<HTMLSelectElement>("complaint").value).toBe("cc-fever");
    expect(within(dialog).getByTestId<HTMLInputElement>("fee").value).toBe("25");
    expect(within(dialog).getByTestId<HTMLSelectElement>("pay-with").value).toBe("cash");
    // The same doctor, at the first slot still free from the original time on.
    const options = await backend.bookingOptions(STORE, TODAY, "dept-1");
    const next = options.doctors.find((d) => d.id === doctor.id)!.slots.find((s) => s.startMin >= slot.startMin)!;
    await waitFor(() => expect(within(dialog).getByTestId<HTMLSelectElement>("department").value).toBe("dept-1"));
    await waitFor(() => expect(dialog.querySelector('[data-testid="slot"][aria-pressed="true"]')?.textContent?.trim()).toBe(formatClock(next.startMin)));
    expect(dialog.querySelector<HTMLElement>('[data-testid="doctor"][aria-pressed="true"]')!.dataset.doctorId).toBe(doctor.id);

    await fireEvent.click(within(dialog).getByTestId("booking-submit"));
    await waitFor(() => expect(screen.queryByTestId("booking")).toBeNull());
    const [resolved] = await backend.syncConflicts(STORE);
    expect(resolved!.resolved).toMatchObject({ by: "刘婷", how: expect.stringMatching(/^rebooked:/) });
    const newId = resolved!.resolved!.how.slice("rebooked:".length);
    const detail = await backend.appointmentDetail(newId);
    expect([detail.patientName, detail.doctorId, detail.fee?.amountFen, detail.fee?.method]).toEqual(["张晓明", doctor.id, 2500, "cash"]);
    await waitFor(() => expect(within(panel).queryByTestId("conflicts-open")).toBeNull());
    expect(within(panel).getByTestId("conflicts-resolved").textContent).toContain("已重新预约 · 刘婷");
    await waitFor(() => expect(within(indicator).queryByTestId("sync-conflicts")).toBeNull());
    // The rejected card is gone, the new one is on the board.
    await waitFor(() => expect(document.querySelector(`[data-appointment-id="${newId}"]`)).not.toBeNull());
    expect(document.querySelector(`[data-appointment-id="${id}"]`)).toBeNull();
  });

  test("other_doctor offers the department's other doctors only", async () => {
    // Sixteen doctors: 内科 has 王建国 and 王建国2.
    const { backend, doctor } = await withConflict("front.bj01", 16);
    const panel = await openPanel(await show(backend));
    await fireEvent.click(within(await within(panel).findByTestId("conflict")).getByTestId("fix-other_doctor"));
    const dialog = await screen.findByTestId("booking");
    await waitFor(() => expect(within(dialog).getByTestId<HTMLSelectElement>("department").value).toBe("dept-1"));
    const offered = await waitFor(() => {
      const ids = within(dialog).getAllByTestId("doctor").map((d) => d.dataset.doctorId);
      if (ids.length === 0) throw new Error("no doctors yet");
      return ids;
    });
    expect(offered).toEqual(["store-chaoyang-doc-9"]);
    expect(doctor.id).toBe("store-chaoyang-doc-1");
    expect(dialog.querySelector('[data-testid="doctor"][aria-pressed="true"]')).toBeNull();
    // Esc closes the dialog, not the panel; nothing was resolved.
    await fireEvent.keyDown(window, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("booking")).toBeNull());
    expect(screen.getByTestId("sync-panel")).toBeDefined();
    expect((await backend.syncConflicts(STORE))[0]!.resolved).toBeNull();
  });

  test("dismiss asks for confirmation first; going back changes nothing", async () => {
    const { backend } = await withConflict();
    const panel = await openPanel(await show(backend));
    let item = await within(panel).findByTestId("conflict");
    await fireEvent.click(within(item).getByTestId("fix-dismiss"));
    const dialog = screen.getByRole("dialog");
    expect(dialog.textContent).toContain("忽略这个冲突？");
    await fireEvent.click(within(dialog).getByText("返回"));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect((await backend.syncConflicts(STORE))[0]!.resolved).toBeNull();

    item = await within(panel).findByTestId("conflict");
    await fireEvent.click(within(item).getByTestId("fix-dismiss"));
    await fireEvent.click(screen.getByTestId("confirm-ok"));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect((await backend.syncConflicts(STORE))[0]!.resolved).toMatchObject({ how: "dismissed", by: "刘婷" });
    await waitFor(() => expect(within(panel).getByTestId("conflicts-resolved").textContent).toContain("已忽略 · 刘婷"));
  });

  test("call_patient shows a tel: link and records the call", async () => {
    const { backend } = await withConflict();
    const panel = await openPanel(await show(backend));
    const item = await within(panel).findByTestId("conflict");
    await fireEvent.click(within(item).getByTestId("fix-call_patient"));
    expect(within(item).getByTestId("call-link").getAttribute("href")).toBe("tel:13800138001");
    await fireEvent.click(within(item).getByTestId("called"));
    await waitFor(async () => expect((await backend.syncConflicts(STORE))[0]!.resolved?.how).toBe("called"));
  });

  test("money fixes: hand back cash asks first, naming the amount; a refund transferred asks the server to refund; an optometrist sees conflicts but no fixes", async () => {
    const conflict = (storeId: string, fixes: string[]): ConflictItem => ({
      id: `c-${storeId}`,
      storeId,
      commandName: "booking.create@1",
      code: "slot_conflict",
      message: "该时段已被其他前台的预约占用。",
      createdAt: "2025-03-10T00:30:00Z",
      rejectedAt: "2025-03-10T01:00:00Z",
      deskLabel: "前台2",
      actorName: "王芳",
      ours: {
        appointmentId: "a-1",
        patientName: "李雨桐",
        patientPhone: "13900139002",
        doctorName: "王建国",
        departmentName: "内科",
        start: "2025-03-10T02:30:00Z",
        end: "2025-03-10T02:45:00Z",
        deskLabel: "前台2",
      },
      theirs: [],
      booking: null,
      fixes,
      refundFeeId: null,
      resolved: null,
    });
    const backend = await desk("manager.bj01");
    backend.sync.addConflict({
      ...conflict(STORE, ["hand_back_cash", "transfer_refund", "dismiss"]),
      booking: {
        patientId: "patient-demo-2",
        doctorId: "store-chaoyang-doc-1",
        departmentId: "dept-1",
        complaintId: null,
        start: "2025-03-10T02:30:00Z",
        end: "2025-03-10T02:45:00Z",
        visitType: null,
        fee: { amount: 2500, paidWith: "cash" },
      },
    });
    const panel = await openPanel(await show(backend));
    const item = await within(panel).findByTestId("conflict");
    expect(within(item).getByTestId("conflict-theirs").textContent).toContain("服务器没有给出占用该时段的预约");
    await fireEvent.click(within(item).getByTestId("fix-hand_back_cash"));
    expect(screen.getByRole("dialog").textContent).toContain("请把现金 ¥25.00 当面退还给 李雨桐，然后确认。");
    await fireEvent.click(screen.getByTestId("confirm-ok"));
    await waitFor(async () => expect((await backend.syncConflicts(STORE))[0]!.resolved?.how).toBe("cash_handed_back"));

    // A cancel refused because the patient had paid online meanwhile: the server is asked to
    // refund, then the conflict is resolved.
    const day = await backend.boardDay(null, null);
    const paidOnline = day.appointments[0]!.id;
    backend.patch(paidOnline, { state: "confirmed", fee: "online" });
    const feeId = (await backend.appointmentDetail(paidOnline)).fee!.id;
    backend.sync.addConflict({
      ...conflict(STORE, ["transfer_refund", "dismiss"]),
      id: "c-online",
      commandName: "appointment.cancel@1",
      code: "refund_first",
      rejectedAt: "2025-03-10T01:30:00Z",
      refundFeeId: feeId,
    });
    cleanup();
    const again = await openPanel(await show(backend));
    const online = (await within(again).findAllByTestId("conflict")).find((c) => within(c).queryByTestId("fix-transfer_refund"))!;
    await fireEvent.click(within(online).getByTestId("fix-transfer_refund"));
    expect(screen.getByRole("dialog").textContent).toContain("转给服务器");
    await fireEvent.click(screen.getByTestId("confirm-ok"));
    await waitFor(async () =>
      expect((await backend.syncConflicts(STORE)).find((c) => c.id === "c-online")!.resolved?.how).toBe("refund_transferred"),
    );
    expect((await backend.appointmentDetail(paidOnline)).fee?.refundOption).toBe("server_refund_requested");

    const opto = new FakeBackend({ today: TODAY, login: "opto.bj02", clock: () => NOW });
    opto.sync.addConflict(conflict("store-haidian", ["other_doctor", "dismiss"]));
    cleanup();
    const optoPanel = await openPanel(await show(opto));
    await fireEvent.click(within(optoPanel).getByTestId("sync-tab-conflicts"));
    const seen = await within(optoPanel).findByTestId("conflict");
    expect(within(seen).getByTestId("conflict-ours").textContent).toContain("李雨桐");
    expect(within(seen).queryAllByRole("button")).toEqual([]);
  });
});

describe("server connection", () => {
  test("the sync panel names this desk, as a refund that only this desk may make names it", async () => {
    const backend = await desk("front.bj01", { connected: false });
    const panel = await openPanel(await show(backend));
    expect(within(panel).getByTestId("sync-this-desk").textContent).toBe("本机是本店 D3C91E 号前台");
  });

  test("the server tab is absent for a receptionist, who is told to ask a manager", async () => {
    const backend = await desk("front.bj01", { connected: false });
    const panel = await openPanel(await show(backend));
    expect(within(panel).queryByTestId("sync-tab-server")).toBeNull();
    expect(within(panel).getAllByRole("tab").map((t) => t.textContent?.trim())).toEqual(["冲突", "同步详情"]);
    expect(within(panel).getByTestId("sync-local-only").textContent).toContain("连接服务器请找店长。");
    expect((within(panel).getByTestId("sync-now") as HTMLButtonElement).disabled).toBe(true);
  });

  test("a manager connects (errors next to their field, typed values kept) and disconnects after confirming", async () => {
    const backend = await desk("manager.bj01", { connected: false });
    await book(backend);
    const indicator = await show(backend);
    expect(indicator.dataset.state).toBe("local_only");
    const panel = await openPanel(indicator);
    await fireEvent.click(within(panel).getByTestId("sync-tab-server"));
    expect(within(panel).getByTestId("server-keychain").textContent).toContain("系统钥匙串");

    const type = (id: string, value: string) => fireEvent.input(within(panel).getByTestId(id), { target: { value } });
    await fireEvent.click(within(panel).getByTestId("server-connect"));
    expect(within(panel).getByTestId("error-url").textContent).toBe("请填写此项");
    await type("server-url", "sync.example.cn");
    await type("server-login", "manager.bj01");
    await type("server-password", "wrong");
    await fireEvent.click(within(panel).getByTestId("server-connect"));
    expect((await within(panel).findByTestId("error-url")).textContent).toBe("服务器地址无效，请填写以 https:// 开头的完整地址。");
    await type("server-url", SERVER);
    await fireEvent.click(within(panel).getByTestId("server-connect"));
    expect((await within(panel).findByTestId("error-password")).textContent).toBe("服务器上的账号或密码不正确。");
    expect(within(panel).getByTestId<HTMLInputElement>("server-login").value).toBe("manager.bj01");
    await type("server-password", DEMO_PASSWORD);
    await fireEvent.click(within(panel).getByTestId("server-connect"));

    expect((await within(panel).findByTestId("server-connected")).textContent).toContain(`已连接到 ${SERVER}`);
    expect(within(panel).getByTestId("server-connected").textContent).toContain("登记账号：杨建华");
    await waitFor(() => expect(indicator.dataset.state).toBe("online"));
    expect(within(indicator).queryByTestId("sync-pending")).toBeNull();

    await book(backend);
    await waitFor(() => expect(within(indicator).getByTestId("sync-pending").textContent).toBe("↑1"));
    await fireEvent.click(within(panel).getByTestId("server-disconnect"));
    const dialog = screen.getByRole("dialog");
    expect(dialog.textContent).toContain("1 条待同步的操作会留在本机，重新连接后再发送。");
    await fireEvent.click(within(dialog).getByTestId("confirm-ok"));
    await waitFor(() => expect(indicator.dataset.state).toBe("local_only"));
    expect(within(indicator).getByTestId("sync-pending").textContent).toBe("↑1");
    expect(within(panel).queryByTestId("server-connected")).toBeNull();
  });
});

describe("desk clock", () => {
  test("more than 2 minutes off the server's is warned about, never blocking; within 2 minutes it is not", async () => {
    const backend = await desk("front.bj01");
    const indicator = await show(backend);
    expect(screen.queryByTestId("clock-warning")).toBeNull();
    backend.sync.setClockSkew(300);
    const warning = await screen.findByTestId("clock-warning");
    expect(warning.textContent).toContain("本机时钟比服务器快 5 分钟，请校准电脑的日期和时间。");
    expect(within(indicator).getByTestId("sync-clock")).toBeDefined();
    expect((screen.getByTestId("new-booking") as HTMLButtonElement).disabled).toBe(false);

    backend.sync.setClockSkew(-90);
    await waitFor(() => expect(screen.queryByTestId("clock-warning")).toBeNull());
    backend.sync.setClockSkew(-121);
    expect((await screen.findByTestId("clock-warning")).textContent).toContain("本机时钟比服务器慢 2 分钟");
    await fireEvent.click(within(screen.getByTestId("clock-warning")).getByRole("button"));
    await waitFor(() => expect(screen.queryByTestId("clock-warning")).toBeNull());
    // Still shown in the panel.
    const panel = await openPanel(indicator);
    expect(within(panel).getByTestId("sync-clock-warning").textContent).toContain("慢 2 分钟");
  });
});
