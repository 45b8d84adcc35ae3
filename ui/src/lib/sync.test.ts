import { describe, expect, test } from "vitest";
import type { ConflictItem } from "../bindings/ConflictItem";
import type { Session } from "../bindings/Session";
import type { SyncLine } from "../bindings/SyncLine";
import type { SyncView } from "../bindings/SyncView";
import { translate, type Locale, type MessageKey } from "./i18n";
import { rolePermissions } from "./permissions";
import {
  ago,
  bookingPrefill,
  rebookedHow,
  clockSkew,
  commandLabel,
  firstSlotFrom,
  fixButtons,
  groupConflicts,
  indicatorModel,
  lineChip,
  predictedText,
  progressModel,
  resolvedLabel,
  resolveMsg,
  serverErrorField,
  syncChanges,
  yuanText,
  type Msg,
} from "./sync";

const NOW = new Date("2025-03-10T02:00:00Z");
const text = (msg: Msg, locale: Locale = "zh-CN") =>
  resolveMsg((key: MessageKey, params?: Record<string, string | number>) => translate(locale, key, params), msg);

const view = (over: Partial<SyncView> = {}): SyncView => ({
  serverUrl: "https://sync.example.cn",
  signedInAs: "杨建华",
  state: "online",
  pending: 0,
  attention: 0,
  openConflicts: 0,
  lastSyncAt: "2025-03-10T01:58:00Z",
  lastError: null,
  progress: null,
  clockSkewSecs: 3,
  deviceCode: "D7A3F21",
  ...over,
});

const sessionOf = (role: Session["role"]): Session => ({
  staffId: "s",
  name: "刘婷",
  role,
  stores: [{ id: "store-1", name: "朝阳门诊部", timezone: "Asia/Shanghai" }],
  storeId: "store-1",
  permissions: rolePermissions(role),
});

function conflict(over: Partial<ConflictItem> = {}): ConflictItem {
  return {
    id: "c1",
    storeId: "store-1",
    commandName: "booking.create@1",
    code: "slot_conflict",
    message: "该时段已被其他前台的预约占用。",
    createdAt: "2025-03-10T00:30:00Z",
    rejectedAt: "2025-03-10T01:00:00Z",
    deskLabel: "前台2",
    actorName: "王芳",
    ours: {
      appointmentId: "a1",
      patientName: "李雨桐",
      patientPhone: "13900139002",
      doctorName: "王建国",
      departmentName: "内科",
      start: "2025-03-10T02:30:00Z",
      end: "2025-03-10T02:45:00Z",
      deskLabel: "前台2",
    },
    theirs: [],
    booking: {
      patientId: "p2",
      doctorId: "doc-1",
      departmentId: "dept-1",
      complaintId: "cc-fever",
      start: "2025-03-10T02:30:00Z",
      end: "2025-03-10T02:45:00Z",
      visitType: "return",
      fee: { amount: 1250, paidWith: "cash" },
    },
    fixes: ["next_free_slot", "other_doctor", "call_patient", "dismiss"],
    refundFeeId: null,
    resolved: null,
    ...over,
  };
}

const line = (over: Partial<SyncLine> = {}): SyncLine => ({
  deviceSeq: 7,
  name: "booking.create@1",
  createdAt: "2025-03-10T01:00:00Z",
  actorName: "刘婷",
  status: "pending",
  code: null,
  message: null,
  predicted: null,
  ...over,
});

describe("the indicator", () => {
  test("online, nothing pending: green, all synced, last sync 2 minutes ago", () => {
    const m = indicatorModel(view(), NOW);
    expect(m.tone).toBe("ok");
    expect(text(m.label)).toBe("在线");
    expect(m.pendingText).toBeNull();
    expect(text(m.lastSync)).toBe("上次同步：2 分钟前");
    expect(m.summary.map((s) => text(s))).toEqual(["在线", "全部已同步", "上次同步：2 分钟前"]);
  });

  test("offline with pending commands, conflicts and attention: amber, '3 条待同步' in each language", () => {
    const m = indicatorModel(view({ state: "offline", pending: 3, openConflicts: 1, attention: 2 }), NOW);
    expect(m.tone).toBe("warn");
    expect(text(m.pendingText!)).toBe("3 条待同步");
    expect(text(m.pendingText!, "zh-TW")).toBe("3 筆待同步");
    expect(text(m.pendingText!, "en")).toBe("3 to sync");
    expect(m.summary.map((s) => text(s))).toEqual(["离线", "3 条待同步", "上次同步：2 分钟前", "1 个冲突待处理", "2 个预约需要处理"]);
  });

  test("each phase has its tone; a local-only desk says nothing of a last sync", () => {
    expect(indicatorModel(view({ state: "syncing" }), NOW).tone).toBe("busy");
    expect(indicatorModel(view({ state: "halted" }), NOW).tone).toBe("error");
    const local = indicatorModel(view({ state: "local_only", serverUrl: null, lastSyncAt: null, pending: 2 }), NOW);
    expect(local.tone).toBe("idle");
    expect(local.summary.map((s) => text(s))).toEqual(["仅本机", "2 条待同步"]);
    expect(text(local.lastSync)).toBe("尚未同步");
  });

  test("progress only while syncing: percent of a known total, else indeterminate", () => {
    const p = indicatorModel(view({ state: "syncing", progress: { phase: "snapshot", done: 450, total: 1000 } }), NOW).progress!;
    expect(p.percent).toBe(45);
    expect(text(p.label)).toBe("首次同步：下载门店数据 450/1000（45%）");
    const open = progressModel({ phase: "pull", done: 120, total: null });
    expect(open.percent).toBeNull();
    expect(text(open.label, "en")).toBe("Getting the server's updates: 120 done");
    expect(progressModel({ phase: "push", done: 12, total: 10 }).percent).toBe(100);
    expect(indicatorModel(view({ state: "online", progress: { phase: "push", done: 1, total: 2 } }), NOW).progress).toBeNull();
  });

  test("relative times per locale: just now, minutes, hours, days (a future time is 'just now')", () => {
    const at = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
    expect(text(ago(at(0.5), NOW))).toBe("刚刚");
    expect(text(ago(at(-3), NOW))).toBe("刚刚");
    expect(text(ago(at(1), NOW), "en")).toBe("1 minute ago");
    expect(text(ago(at(2), NOW))).toBe("2 分钟前");
    expect(text(ago(at(59), NOW), "zh-TW")).toBe("59 分鐘前");
    expect(text(ago(at(60), NOW), "en")).toBe("1 hour ago");
    expect(text(ago(at(5 * 60 + 30), NOW))).toBe("5 小时前");
    expect(text(ago(at(24 * 60), NOW))).toBe("1 天前");
    expect(text(ago(at(3 * 24 * 60), NOW), "en")).toBe("3 days ago");
  });

  test("the clock is warned about over 120 s either way, never at or under it", () => {
    expect(clockSkew(null)).toBeNull();
    expect(clockSkew(120)).toBeNull();
    expect(clockSkew(-120)).toBeNull();
    expect(text(clockSkew(121)!.text)).toBe("本机时钟比服务器快 2 分钟，请校准电脑的日期和时间。");
    expect(clockSkew(-300)!.direction).toBe("behind");
    expect(text(clockSkew(-300)!.text, "en")).toBe("This computer's clock is 5 minutes behind the server's. Please correct its date and time.");
    expect(text(clockSkew(3 * 3600)!.amount)).toBe("3 小时");
    expect(text(clockSkew(-2 * 86400)!.amount, "zh-TW")).toBe("2 天");
    expect(indicatorModel(view({ clockSkewSecs: -400 }), NOW).clock?.direction).toBe("behind");
  });

  test("a new conflict and a sync that brought changes are told apart from the first state", () => {
    expect(syncChanges(null, view({ openConflicts: 2 }))).toEqual({ newConflict: false, synced: false });
    expect(syncChanges(view(), view({ openConflicts: 1 }))).toEqual({ newConflict: true, synced: false });
    expect(syncChanges(view({ openConflicts: 2 }), view({ openConflicts: 1 })).newConflict).toBe(false);
    expect(syncChanges(view(), view({ lastSyncAt: "2025-03-10T02:00:00Z" })).synced).toBe(true);
    expect(syncChanges(view(), view({ lastSyncAt: null })).synced).toBe(false);
  });
});

describe("the conflict inbox", () => {
  test("open first, newest first; resolved after, newest first", () => {
    const items = [
      conflict({ id: "old", rejectedAt: "2025-03-09T01:00:00Z" }),
      conflict({ id: "done", rejectedAt: "2025-03-10T01:30:00Z", resolved: { by: "刘婷", how: "dismissed", at: "2025-03-10T01:40:00Z" } }),
      conflict({ id: "new", rejectedAt: "2025-03-10T01:00:00Z" }),
      conflict({ id: "done-old", rejectedAt: "2025-03-08T01:00:00Z", resolved: { by: "刘婷", how: "called", at: "2025-03-08T02:00:00Z" } }),
    ];
    const { open, resolved } = groupConflicts(items);
    expect(open.map((c) => c.id)).toEqual(["new", "old"]);
    expect(resolved.map((c) => c.id)).toEqual(["done", "done-old"]);
  });

  test("fix buttons: known, permitted and workable fixes of an open conflict, in the backend's order", () => {
    const reception = sessionOf("receptionist");
    expect(fixButtons(conflict(), reception)).toEqual(["next_free_slot", "other_doctor", "call_patient", "dismiss"]);
    expect(fixButtons(conflict({ fixes: ["dismiss", "teleport", "dismiss"] }), reception)).toEqual(["dismiss"]);
    // No booking to rebook, no phone to call.
    const bare = conflict({ booking: null, ours: { ...conflict().ours!, patientPhone: null } });
    expect(fixButtons(bare, reception)).toEqual(["dismiss"]);
    // An optometrist may look but not fix; a manager may fix anything.
    expect(fixButtons(conflict({ fixes: ["hand_back_cash", "dismiss"] }), sessionOf("optometrist"))).toEqual([]);
    expect(fixButtons(conflict({ fixes: ["hand_back_cash", "transfer_refund", "reinstate"] }), sessionOf("manager"))).toEqual([
      "hand_back_cash",
      "transfer_refund",
      "reinstate",
    ]);
    expect(fixButtons(conflict({ resolved: { by: "x", how: "dismissed", at: "2025-03-10T01:00:00Z" } }), reception)).toEqual([]);
  });

  test("a rejected booking prefills the dialog: same patient, department, complaint, fee; the doctor for next_free_slot only", () => {
    const next = bookingPrefill(conflict(), "next_free_slot", "Asia/Shanghai")!;
    expect(next).toEqual({
      patient: { id: "p2", name: "李雨桐", phone: "13900139002" },
      complaintId: "cc-fever",
      departmentId: "dept-1",
      doctorId: "doc-1",
      otherThanDoctorId: null,
      date: "2025-03-10",
      fromMin: 10 * 60 + 30,
      searchDays: 14,
      visitType: "return",
      feeText: "12.50",
      payWith: "cash",
    });
    const other = bookingPrefill(conflict(), "other_doctor", "Asia/Shanghai")!;
    expect(other.doctorId).toBeNull();
    expect(other.otherThanDoctorId).toBe("doc-1");
    expect(other.searchDays).toBe(0);
    const free = bookingPrefill(conflict({ booking: { ...conflict().booking!, fee: null } }), "other_doctor", "Asia/Shanghai")!;
    expect([free.feeText, free.payWith]).toEqual(["0", ""]);
    expect(bookingPrefill(conflict({ booking: null }), "next_free_slot", "Asia/Shanghai")).toBeNull();
  });

  test("a visit refused because the patient cancelled books the same doctor and slot again, that day only", () => {
    const again = bookingPrefill(conflict({ commandName: "appointment.check_in@1", code: "invalid_transition" }), "reinstate", "Asia/Shanghai")!;
    expect([again.doctorId, again.otherThanDoctorId, again.date, again.fromMin, again.searchDays]).toEqual([
      "doc-1",
      null,
      "2025-03-10",
      10 * 60 + 30,
      0,
    ]);
    expect(rebookedHow("appt-9", "reinstate")).toBe("reinstated:appt-9");
    expect(rebookedHow("appt-9", "other_doctor")).toBe("rebooked:appt-9");
    expect(text(resolvedLabel("reinstated:appt-9"), "en")).toBe("Booked the same doctor again");
  });

  test("yuan text, the first slot from a time, and resolutions in words", () => {
    expect([yuanText(2500), yuanText(1250), yuanText(5), yuanText(0)]).toEqual(["25", "12.50", "0.05", "0"]);
    const slots = [{ startMin: 540 }, { startMin: 600 }, { startMin: 660 }];
    expect(firstSlotFrom(slots, 590)).toEqual({ startMin: 600 });
    expect(firstSlotFrom(slots, 600)).toEqual({ startMin: 600 });
    expect(firstSlotFrom(slots, 700)).toBeNull();
    expect(text(resolvedLabel("rebooked:appt-9"))).toBe("已重新预约");
    expect(text(resolvedLabel("dismissed"), "en")).toBe("Dismissed");
    expect(text(resolvedLabel("moved_to_mars"))).toBe("已处理（moved_to_mars）");
  });
});

describe("sync details", () => {
  test("each status has its chip; a predicted rejection is shown while pending only", () => {
    expect(lineChip(line()).tone).toBe("pending");
    expect(text(lineChip(line({ status: "applied" })).label)).toBe("已同步");
    expect(lineChip(line({ status: "applied_with_warning" })).tone).toBe("warn");
    expect(text(lineChip(line({ status: "rejected" })).label, "zh-TW")).toBe("被拒絕");
    expect(lineChip(line({ status: "unknown" })).tone).toBe("unknown");
    expect(text(predictedText(line({ predicted: "slot_conflict" }))!)).toBe("预计会被拒绝：该时段已被其他预约占用");
    expect(text(predictedText(line({ predicted: "outside_schedule" }))!, "en")).toBe("Likely to be rejected (outside_schedule)");
    expect(predictedText(line({ status: "rejected", predicted: "slot_conflict" }))).toBeNull();
  });

  test("command names in words, per locale; an unknown command keeps its name", () => {
    expect(text(commandLabel("booking.create@1"))).toBe("新预约");
    expect(text(commandLabel("booking.create@1"), "zh-TW")).toBe("新預約");
    expect(text(commandLabel("booking.create@1"), "en")).toBe("New booking");
    expect(text(commandLabel("fee.refund_cash@1"))).toBe("现金退费");
    expect(text(commandLabel("booking.create@2"))).toBe("其他操作（booking.create@2）");
  });

  test("server errors go next to the field they concern", () => {
    expect(serverErrorField({ code: "bad_server_url" })).toBe("url");
    expect(serverErrorField({ code: "server_unreachable" })).toBe("url");
    expect(serverErrorField({ code: "sign_in_failed" })).toBe("password");
    expect(serverErrorField({ code: "forbidden" })).toBe("form");
    expect(serverErrorField({ code: "sign_in_failed", field: "login" })).toBe("login");
  });
});
