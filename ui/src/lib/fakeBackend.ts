// An in-memory Backend with a small, deterministic, realistic board: for unit tests and for the UI in a plain browser.

import type { AppointmentDetail } from "../bindings/AppointmentDetail";
import type { AppointmentState } from "../bindings/AppointmentState";
import type { ChargeStatus } from "../bindings/ChargeStatus";
import type { FeeDetail } from "../bindings/FeeDetail";
import type { HistoryLine } from "../bindings/HistoryLine";
import type { InboxItem } from "../bindings/InboxItem";
import type { Outcome } from "../bindings/Outcome";
import type { PayMethod } from "../bindings/PayMethod";
import type { RefundLine } from "../bindings/RefundLine";
import type { RefundOption } from "../bindings/RefundOption";
import type { BoardAppointment } from "../bindings/BoardAppointment";
import type { BoardDay } from "../bindings/BoardDay";
import type { BoardDoctor } from "../bindings/BoardDoctor";
import type { BookingOptions } from "../bindings/BookingOptions";
import type { ComplaintOption } from "../bindings/ComplaintOption";
import type { NamedRef } from "../bindings/NamedRef";
import type { PatientHit } from "../bindings/PatientHit";
import type { VisitTypeOption } from "../bindings/VisitTypeOption";
import type { FeeState } from "../bindings/FeeState";
import type { Period } from "../bindings/Period";
import type { Role } from "../bindings/Role";
import type { Session } from "../bindings/Session";
import type { StoreRef } from "../bindings/StoreRef";
import type { SyncState } from "../bindings/SyncState";
import type { DoctorWeek } from "../bindings/DoctorWeek";
import type { StoreSettings } from "../bindings/StoreSettings";
import type { ExamAuditLine } from "../bindings/ExamAuditLine";
import type { EyeView } from "../bindings/EyeView";
import type { PatientExamRow } from "../bindings/PatientExamRow";
import type { Printed } from "../bindings/Printed";
import type { RecallListView } from "../bindings/RecallListView";
import type { ConflictItem } from "../bindings/ConflictItem";
import type { SyncLine } from "../bindings/SyncLine";
import type { SyncView } from "../bindings/SyncView";
import { NOT_SIGNED_IN, type Backend, type BackendError, type CommandName, type Commands, type PrintJob } from "./backend";
import { FakeEyes } from "./fakeEyes";
import { FakeRecall } from "./fakeRecall";
import { FakeSync } from "./fakeSync";
import { defaultRecallThresholds, THRESHOLD_FIELDS } from "./recall";
import { DEMO_PASSWORD } from "./demo";
import { isIsoDate, shiftDate, wallClock } from "./format";
import { mondayOf } from "./week";
import { DEFAULT_LOCALE, type Locale } from "./i18n";
import { can, rolePermissions, worksIn } from "./permissions";
import { holdsSlot, workingSlots } from "./slots";

export type FakeBackendOptions = {
  /** How many doctors each store has; 8 by default. The last one is unlisted. */
  doctorCount?: number;
  /** The stores' today (YYYY-MM-DD); by default read from the clock in each store's time zone. */
  today?: string;
  /** Every board load rejects with this error (the session calls still work). */
  fail?: BackendError;
  /** Start signed in with this login (one of {@link FAKE_ACCOUNTS}); by default nobody is signed in. */
  login?: string;
  /** Milliseconds since the epoch, for the sign-in lockout; `Date.now` by default. */
  clock?: () => number;
  /** The demo: a long sync shows its progress in steps this far apart (ms), and the first sync brings a conflict. */
  syncStepMs?: number;
  demoSync?: boolean;
};

/** Failed sign-ins in a row that lock the desk, and for how long (as the Rust core does). */
export const MAX_FAILED_SIGN_INS = 5;
export const SIGN_IN_LOCK_MS = 60_000;

export const FAKE_STORES: ReadonlyArray<StoreRef> = [
  { id: "store-chaoyang", name: "朝阳门诊部", timezone: "Asia/Shanghai" },
  { id: "store-haidian", name: "海淀门诊部", timezone: "Asia/Shanghai" },
  { id: "store-xinyi", name: "信义诊所", timezone: "Asia/Taipei" },
];

/** The demo logins (password {@link DEMO_PASSWORD}); names and stores as in the demo chain. `stores` null: all. */
export const FAKE_ACCOUNTS: ReadonlyArray<{ login: string; name: string; role: Role; stores: string[] | null }> = [
  { login: "front.bj01", name: "刘婷", role: "receptionist", stores: ["store-chaoyang"] },
  { login: "manager.bj01", name: "杨建华", role: "manager", stores: ["store-chaoyang"] },
  { login: "opto.bj02", name: "林雨桐", role: "optometrist", stores: ["store-haidian"] },
  { login: "admin", name: "陈立明", role: "manager", stores: null },
];

/** The fake's error messages, in the language set with `setLanguage`, as the Rust side words them. */
const MESSAGES: Record<Locale, Record<string, string>> = {
  "zh-CN": {
    sign_in_failed: "账号或密码不正确。",
    too_many_attempts: "登录失败次数过多，请 {seconds} 秒后再试。",
    [NOT_SIGNED_IN]: "登录已失效，请重新登录。",
    forbidden: "你的账号没有权限进行此操作。",
    not_in_store: "你不在该门店工作，请选择你所在的门店。",
    store_not_found: "找不到该门店，请重新选择门店。",
    invalid_date: "日期无效，请使用 YYYY-MM-DD 格式。",
    not_found: "找不到该预约或记录，请刷新后再试。",
    invalid_transition: "该预约当前的状态不允许此操作，请刷新后再试。",
    cancel_after_check_in: "患者已签到，不能再取消预约。",
    refund_first: "挂号费已收取，请先退费再取消预约。",
    already_refunded: "该笔挂号费已经退过，不能再次退费。",
    refund_not_allowed: "该笔费用不能在本前台以这种方式退回。",
    reason_required: "请填写原因。",
    unknown_command: "前台程序不认识这个操作，请升级后再试。",
    slot_conflict: "该时段已被预约，请选择其他时段。",
    outside_schedule: "该时间不在医生的排班内。",
    not_on_slot_grid: "请选择排班中的整点时段。",
    doctor_not_in_department: "该医生不属于这个科室。",
    invalid_amount: "金额无效。",
    empty_text: "请填写此项。",
    text_too_long: "内容太长。",
    invalid_phone: "手机号码无效，请输入 11 位手机号。",
    invalid_birth_date: "出生日期无效。",
    invalid_setting: "设置无效：每个时段最多预约人数须为 1 到 10。",
    bad_input: "输入无效，请检查后重试。",
    invalid_visit_type: "就诊类型“{code}”无效，请从列表中选择。",
    duplicate_in_order: "医生排序无效：同一位医生不能出现两次。",
  },
  "zh-TW": {
    sign_in_failed: "帳號或密碼不正確。",
    too_many_attempts: "登入失敗次數過多，請 {seconds} 秒後再試。",
    [NOT_SIGNED_IN]: "登入已失效，請重新登入。",
    forbidden: "你的帳號沒有權限進行此操作。",
    not_in_store: "你不在該門店工作，請選擇你所在的門店。",
    store_not_found: "找不到該門店，請重新選擇門店。",
    invalid_date: "日期無效，請使用 YYYY-MM-DD 格式。",
    not_found: "找不到該預約或紀錄，請重新整理後再試。",
    invalid_transition: "該預約目前的狀態不允許此操作，請重新整理後再試。",
    cancel_after_check_in: "病患已報到，不能再取消預約。",
    refund_first: "掛號費已收取，請先退費再取消預約。",
    already_refunded: "該筆掛號費已經退過，不能再次退費。",
    refund_not_allowed: "該筆費用不能在本櫃台以這種方式退回。",
    reason_required: "請填寫原因。",
    unknown_command: "櫃台程式不認識這個操作，請升級後再試。",
    slot_conflict: "該時段已被預約，請選擇其他時段。",
    outside_schedule: "該時間不在醫師的排班內。",
    not_on_slot_grid: "請選擇排班中的時段。",
    doctor_not_in_department: "該醫師不屬於這個科別。",
    invalid_amount: "金額無效。",
    empty_text: "請填寫此項。",
    text_too_long: "內容太長。",
    invalid_phone: "手機號碼無效，請輸入 11 位手機號碼。",
    invalid_birth_date: "出生日期無效。",
    invalid_setting: "設定無效：每個時段最多預約人數須為 1 到 10。",
    bad_input: "輸入無效，請檢查後重試。",
    invalid_visit_type: "就診類型「{code}」無效，請從列表中選擇。",
    duplicate_in_order: "醫師排序無效：同一位醫師不能出現兩次。",
  },
  en: {
    sign_in_failed: "The login or password is not correct.",
    too_many_attempts: "Too many failed sign-ins. Try again in {seconds} seconds.",
    [NOT_SIGNED_IN]: "Your session has ended. Please sign in again.",
    forbidden: "Your account is not allowed to do this.",
    not_in_store: "You do not work in this store. Choose one of your stores.",
    store_not_found: "This store was not found. Choose a store again.",
    invalid_date: "The date is not valid. Use the YYYY-MM-DD format.",
    not_found: "This appointment or record was not found. Refresh and try again.",
    invalid_transition: "The appointment's current state does not allow this. Refresh and try again.",
    cancel_after_check_in: "The patient has checked in; the appointment can no longer be cancelled.",
    refund_first: "The registration fee was charged. Refund it first, then cancel.",
    already_refunded: "This registration fee was already refunded; it cannot be refunded again.",
    refund_not_allowed: "This fee cannot be refunded this way at this desk.",
    reason_required: "Please enter a reason.",
    unknown_command: "This desk does not know this action. Update the app and try again.",
    slot_conflict: "This slot is already booked. Choose another slot.",
    outside_schedule: "This time is outside the doctor's schedule.",
    not_on_slot_grid: "Choose a slot of the doctor's schedule.",
    doctor_not_in_department: "This doctor does not work in this department.",
    invalid_amount: "The amount is not valid.",
    empty_text: "Please fill this in.",
    text_too_long: "This text is too long.",
    invalid_phone: "The phone number is not valid. Enter an 11-digit mobile number.",
    invalid_birth_date: "The birth date is not valid.",
    invalid_setting: "Invalid setting: appointments per slot must be from 1 to 10.",
    bad_input: "The input is not valid; check it and try again.",
    invalid_visit_type: "Visit type “{code}” is not valid; pick one from the list.",
    duplicate_in_order: "Invalid doctor order: a doctor cannot appear twice.",
  },
};

const DAY_START = 8 * 60;
const DAY_END = 18 * 60;
const MORNING: Period = { startMin: 8 * 60 + 30, endMin: 12 * 60 };
const AFTERNOON: Period = { startMin: 13 * 60 + 30, endMin: 17 * 60 + 30 };

const DOCTORS: ReadonlyArray<{ name: string; title: string; departments: string[]; slot: number; periods: Period[] }> = [
  { name: "王建国", title: "主任医师", departments: ["内科"], slot: 15, periods: [MORNING, AFTERNOON] },
  { name: "李敏", title: "副主任医师", departments: ["儿科"], slot: 20, periods: [MORNING, AFTERNOON] },
  { name: "张伟", title: "主治医师", departments: ["口腔科", "正畸"], slot: 30, periods: [MORNING, AFTERNOON] },
  { name: "刘洋", title: "主治医师", departments: ["皮肤科"], slot: 15, periods: [MORNING] },
  { name: "陈静", title: "副主任医师", departments: ["妇科"], slot: 20, periods: [AFTERNOON] },
  { name: "赵磊", title: "医师", departments: ["中医科", "针灸"], slot: 30, periods: [MORNING, AFTERNOON] },
  { name: "孙丽", title: "主治医师", departments: ["眼科"], slot: 15, periods: [MORNING, AFTERNOON] },
  { name: "周涛", title: "医师", departments: ["康复科"], slot: 30, periods: [AFTERNOON] },
];

/** The departments of every fake store, in the order the doctors list them; ids are stable. */
const DEPARTMENTS: ReadonlyArray<NamedRef> = [...new Set(DOCTORS.flatMap((d) => d.departments))].map((name, i) => ({
  id: `dept-${i + 1}`,
  name,
}));
const departmentId = (name: string) => DEPARTMENTS.find((d) => d.name === name)!.id;

const COMPLAINTS: ReadonlyArray<ComplaintOption> = [
  { id: "cc-fever", name: "发热咳嗽", departmentIds: ["内科", "儿科"].map(departmentId) },
  { id: "cc-vision", name: "视力下降", departmentIds: ["眼科"].map(departmentId) },
  { id: "cc-tooth", name: "牙痛", departmentIds: ["口腔科"].map(departmentId) },
  { id: "cc-braces", name: "牙齿不齐", departmentIds: ["正畸", "口腔科"].map(departmentId) },
  { id: "cc-rash", name: "皮疹瘙痒", departmentIds: ["皮肤科"].map(departmentId) },
  { id: "cc-back", name: "腰背疼痛", departmentIds: ["康复科", "中医科", "针灸"].map(departmentId) },
  { id: "cc-period", name: "月经不调", departmentIds: ["妇科", "中医科"].map(departmentId) },
];

const VISIT_TYPE_OPTIONS: ReadonlyArray<VisitTypeOption> = [
  { code: "first", name: "初诊" },
  { code: "return", name: "复诊" },
  { code: "exam", name: "检查" },
  { code: "treatment", name: "治疗" },
];
/** The store whose desk picks the visit type; the others decide it by rules. */
const VISIT_TYPE_CHOSEN_STORE = "store-haidian";

/** Each fake store's settings until a manager changes them. */
function defaultSettings(storeId: string): StoreSettings {
  return {
    cancellation_policy: storeId === "store-xinyi" ? "direct_before_check_in" : "request_only",
    visit_type_mode: storeId === VISIT_TYPE_CHOSEN_STORE ? "patient_chooses" : "auto_by_rules",
    visit_type_rules: [],
    capacity_per_slot: 1,
    recall: defaultRecallThresholds(),
  };
}

function copySettings(s: StoreSettings): StoreSettings {
  return { ...s, visit_type_rules: s.visit_type_rules.map((r) => ({ ...r })), recall: { ...s.recall } };
}

const DEMO_PATIENTS: ReadonlyArray<PatientHit> = [
  { id: "patient-demo-1", name: "张晓明", initials: "zxm", phone: "13800138001", birthDate: "2015-06-01" },
  { id: "patient-demo-2", name: "李雨桐", initials: "lyt", phone: "13900139002", birthDate: "2012-09-15" },
  { id: "patient-demo-3", name: "王子涵", initials: "wzh", phone: "13700137003", birthDate: "2018-02-20" },
  { id: "patient-demo-4", name: "陈建华", initials: "cjh", phone: "13600136004", birthDate: "1978-11-03" },
  { id: "patient-demo-5", name: "林秀英", initials: "lxy", phone: "13500135005", birthDate: "1955-04-12" },
  { id: "patient-demo-6", name: "黄浩然", initials: "hhr", phone: "13800138006", birthDate: "2010-07-30" },
  { id: "patient-demo-7", name: "吴欣怡", initials: "wxy", phone: "13900139007", birthDate: "1995-01-25" },
  { id: "patient-demo-8", name: "徐志强", initials: "xzq", phone: "13700137008", birthDate: "1983-08-08" },
];
/** Pinyin initials of the characters the demo names use; the Rust core has a full table. */
const INITIALS: Record<string, string> = {
  张: "z", 晓: "x", 明: "m", 李: "l", 雨: "y", 桐: "t", 王: "w", 子: "z", 涵: "h", 陈: "c", 建: "j", 华: "h",
  林: "l", 秀: "x", 英: "y", 黄: "h", 浩: "h", 然: "r", 吴: "w", 欣: "x", 怡: "y", 徐: "x", 志: "z", 强: "q",
  何: "h", 高: "g", 郭: "g", 马: "m", 罗: "l", 梁: "l", 宋: "s", 郑: "z", 思: "s", 远: "y", 佳: "j", 国: "g",
  平: "p", 婷: "t", 刘: "l", 杨: "y", 赵: "z", 周: "z", 孙: "s", 丽: "l", 伟: "w", 敏: "m", 静: "j", 磊: "l",
};
function initialsOf(name: string): string {
  return [...name].map((ch) => INITIALS[ch] ?? (/[a-z]/i.test(ch) ? ch.toLowerCase() : "")).join("");
}
const PHONE_RE = /^1[3-9]\d{9}$/;
const MAX_TEXT = 50;

const SURNAMES = ["黄", "吴", "徐", "林", "何", "高", "郭", "马", "罗", "梁", "宋", "郑"];
const GIVEN = ["晓明", "雨桐", "子涵", "建华", "秀英", "浩然", "欣怡", "志强", "思远", "佳怡", "国平", "婷"];
const VISIT_TYPES = ["初诊", "复诊", "复诊", "检查", "治疗"];

/** mulberry32: a tiny seeded PRNG, so the same store and day always give the same board. */
function rng(seedText: string): () => number {
  let seed = 0;
  for (const ch of seedText) seed = (Math.imul(seed, 31) + ch.charCodeAt(0)) | 0;
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: ReadonlyArray<T>): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function doctorsOf(storeId: string, count: number): BoardDoctor[] {
  return Array.from({ length: count }, (_, i) => {
    const base = DOCTORS[i % DOCTORS.length]!;
    const round = Math.floor(i / DOCTORS.length);
    return {
      id: `${storeId}-doc-${i + 1}`,
      name: round === 0 ? base.name : `${base.name}${round + 1}`,
      title: base.title,
      departments: [...base.departments],
      listed: i < count - 1,
      hiddenFromPatients: i % DOCTORS.length === 5,
      periods: base.periods.map((p) => ({ ...p })),
      slotMinutes: base.slot,
    };
  });
}

function stateFor(rand: () => number, when: "past" | "today" | "future"): AppointmentState {
  const r = rand();
  if (r < 0.08) return "cancelled";
  if (when === "past") return r < 0.14 ? "no_show" : "completed";
  if (when === "future") return r < 0.4 ? "pending" : "confirmed";
  if (r < 0.12) return "no_show";
  return pick(rand, ["completed", "checked_in", "confirmed", "pending"] as const);
}

function feeFor(rand: () => number, state: AppointmentState): FeeState {
  switch (state) {
    case "completed":
      return rand() < 0.9 ? "paid" : "pending";
    case "checked_in":
      return rand() < 0.5 ? "pending" : "paid";
    case "cancelled":
      return rand() < 0.3 ? "refunded" : "none";
    default:
      return rand() < 0.2 ? "paid" : "none";
  }
}

function syncFor(rand: () => number): SyncState {
  const r = rand();
  return r < 0.05 ? "attention" : r < 0.2 ? "pending" : "confirmed";
}

function appointmentsOf(doctor: BoardDoctor, date: string, today: string): BoardAppointment[] {
  const rand = rng(`${doctor.id}|${date}`);
  const when = date < today ? "past" : date > today ? "future" : "today";
  const result: BoardAppointment[] = [];
  for (const period of doctor.periods) {
    for (let start = period.startMin; start + doctor.slotMinutes <= period.endMin; start += doctor.slotMinutes) {
      const r = rand();
      if (r > 0.55) continue;
      // Now and then a second patient is booked into the same slot, which the board shows side by side.
      const copies = r < 0.05 ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        const state = stateFor(rand, when);
        const department = pick(rand, doctor.departments);
        result.push({
          id: `${doctor.id}-${date}-${start}-${c}`,
          doctorId: doctor.id,
          patientName: pick(rand, SURNAMES) + pick(rand, GIVEN),
          startMin: start,
          endMin: start + doctor.slotMinutes,
          state,
          visitType: pick(rand, VISIT_TYPES),
          department,
          fee: feeFor(rand, state),
          sync: syncFor(rand),
        });
      }
    }
  }
  return result;
}

function sessionOf(login: string): Session | null {
  const account = FAKE_ACCOUNTS.find((a) => a.login === login);
  if (!account) return null;
  const stores = FAKE_STORES.filter((s) => account.stores?.includes(s.id) ?? true);
  return {
    staffId: `staff-${account.login}`,
    name: account.name,
    role: account.role,
    stores: stores.map((s) => ({ ...s })),
    storeId: stores[0]!.id,
    permissions: rolePermissions(account.role),
  };
}

function copySession(session: Session): Session {
  return { ...session, stores: session.stores.map((s) => ({ ...s })), permissions: [...session.permissions] };
}

/** How a fee was paid, for {@link FakeBackend.patch}: who may refund it follows from this (DOMAIN.md §6). */
export type FakeFeeKind = "none" | "pending" | "desk" | "online" | "online_old" | "other_store" | "refunded";

/** The registration fee every fake appointment with a fee has: ¥25.00. */
export const FAKE_FEE_FEN = 2500;
/** Both fake time zones (Shanghai, Taipei) are UTC+8 all year. */
const STORE_OFFSET_MIN = 8 * 60;
const DAY_MS = 86_400_000;

type FeeRecord = {
  id: string;
  amountFen: number;
  status: ChargeStatus;
  method: PayMethod | null;
  paidAt: string | null;
  receiptNo: string | null;
  refund: RefundLine | null;
  /** The store whose desk took the money (desk methods only). */
  paidStoreId: string | null;
  refundRequested: boolean;
};

type AppointmentRecord = {
  id: string;
  storeId: string;
  date: string;
  doctorId: string;
  doctorName: string;
  department: string;
  patientId: string;
  patientName: string;
  patientPhone: string;
  startMin: number;
  endMin: number;
  state: AppointmentState;
  visitType: string;
  sync: SyncState;
  fee: FeeRecord | null;
  history: HistoryLine[];
};

type RequestRecord = { id: string; appointmentId: string; storeId: string; reason: string; requestedAt: string; open: boolean };

const REQUEST_REASONS = ["临时有事，去不了了", "孩子发烧，改天再来", "出差，下周回来再约", "约错了时间"];

/** The instant of `minutes` after local midnight of `date` in a fake store, as ISO UTC. */
function instant(date: string, minutes: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d, 0, minutes - STORE_OFFSET_MIN)).toISOString();
}

const ID_RE = /^(.+)-doc-(\d+)-(\d{4}-\d{2}-\d{2})-(\d+)-(\d+)$/;

function hashOf(text: string): number {
  let h = 0;
  for (const ch of text) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h >>> 0;
}

function feeState(fee: FeeRecord | null): FeeState {
  if (!fee || fee.status === "not_billed") return "none";
  if (fee.status === "pending") return "pending";
  return fee.refund ? "refunded" : "paid";
}

const PRE_CHECK_IN: ReadonlyArray<AppointmentState> = ["pending", "confirmed"];

export class FakeBackend implements Backend {
  readonly #options: FakeBackendOptions;
  #session: Session | null;
  #lang: Locale = DEFAULT_LOCALE;
  #failures = 0;
  #lockedUntil = 0;
  /** Appointments touched by a detail or a command; they override the generated board. */
  readonly #records = new Map<string, AppointmentRecord>();
  readonly #requests = new Map<string, RequestRecord>();
  readonly #seededStores = new Set<string>();
  readonly #patients = new Map<string, PatientHit>(DEMO_PATIENTS.map((p) => [p.id, { ...p }]));
  #deviceSeq = 0;
  #numberSeq = 0;
  /** A store's doctor order and hidden doctors once a manager changed them; generated until then. */
  readonly #orders = new Map<string, string[]>();
  readonly #hidden = new Map<string, Set<string>>();
  readonly #settings = new Map<string, StoreSettings>();
  readonly #eyes = new FakeEyes(FAKE_STORES[0]!.id, DEMO_PATIENTS);
  readonly #recall = new FakeRecall({
    clock: () => this.#now(),
    thresholdsOf: (storeId) => this.#settingsOf(storeId).recall,
    error: (code, params) => this.#error(code, params),
  });
  /** Every document "printed", by path: the fake writes no files. */
  readonly printed = new Map<string, PrintJob>();
  /** Documents "opened" in the system viewer. */
  readonly opened: string[] = [];
  /** What the fake save dialog answers; null: the user cancels. */
  savePath: string | null = "/tmp/clinicdesk-save.pdf";

  /** This desk's sync: outbox, pretend server, conflicts; its test hooks (offline, conflicts, clock) are public. */
  readonly sync: FakeSync;

  constructor(options: FakeBackendOptions = {}) {
    this.#options = options;
    this.sync = new FakeSync({
      clock: () => this.#now(),
      lang: () => this.#lang,
      deskStoreId: FAKE_STORES[0]!.id,
      deviceCode: "D3C91E",
      stepMs: options.syncStepMs ?? 0,
      demo: options.demoSync ?? false,
      hooks: {
        side: (id) => this.#conflictSide(id),
        acknowledged: () => {
          for (const rec of this.#records.values()) if (rec.sync === "pending") rec.sync = "confirmed";
        },
        attention: (id) => {
          const rec = this.#records.get(id);
          if (rec) rec.sync = "attention";
        },
        resolved: (id, how) => {
          const rec = this.#records.get(id);
          if (rec && how === "reinstated") rec.sync = "pending";
          else if (rec) this.#records.delete(id);
        },
        demoSlot: (storeId) => this.#demoSlot(storeId),
      },
    });
    this.#session = options.login === undefined ? null : sessionOf(options.login);
    if (options.login !== undefined && !this.#session) throw new Error(`unknown fake login ${options.login}`);
  }

  /** The language error messages are currently worded in. */
  get language(): Locale {
    return this.#lang;
  }

  #error(code: string, params: Record<string, string | number> = {}): BackendError {
    const text = MESSAGES[this.#lang][code] ?? "";
    return { code, message: text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)) };
  }

  async signIn(login: string, password: string): Promise<Session> {
    const now = (this.#options.clock ?? Date.now)();
    if (now < this.#lockedUntil) {
      throw this.#error("too_many_attempts", { seconds: Math.ceil((this.#lockedUntil - now) / 1000) });
    }
    const session = password === DEMO_PASSWORD ? sessionOf(login.trim()) : null;
    if (!session) {
      this.#failures += 1;
      if (this.#failures >= MAX_FAILED_SIGN_INS) {
        this.#failures = 0;
        this.#lockedUntil = now + SIGN_IN_LOCK_MS;
        throw this.#error("too_many_attempts", { seconds: SIGN_IN_LOCK_MS / 1000 });
      }
      throw this.#error("sign_in_failed");
    }
    this.#failures = 0;
    this.#session = session;
    return copySession(session);
  }

  async session(): Promise<Session | null> {
    return this.#session && copySession(this.#session);
  }

  async signOut(): Promise<void> {
    this.#session = null;
  }

  async setLanguage(lang: Locale): Promise<void> {
    this.#lang = lang;
  }

  async boardDay(storeId: string | null, date: string | null): Promise<BoardDay> {
    const { fail } = this.#options;
    const session = this.#session;
    if (!session) throw this.#error(NOT_SIGNED_IN);
    if (!can(session, "view_board")) throw this.#error("forbidden");
    if (fail) throw { ...fail };
    const store = FAKE_STORES.find((s) => s.id === (storeId ?? session.storeId));
    if (!store) throw this.#error("store_not_found");
    if (!worksIn(session, store.id)) throw this.#error("not_in_store");
    const today = this.#options.today ?? wallClock(new Date(), store.timezone).date;
    const day = date ?? today;
    if (!isIsoDate(day)) throw this.#error("invalid_date");

    const doctors = this.#doctors(store.id);
    return {
      store: { ...store },
      stores: session.stores.map((s) => ({ ...s })),
      date: day,
      today,
      dayStartMin: DAY_START,
      dayEndMin: DAY_END,
      doctors,
      appointments: this.#dayAppointments(store, day),
      openRequests: this.#openRequestsOf(store.id).length,
    };
  }

  async appointmentDetail(appointmentId: string): Promise<AppointmentDetail> {
    const session = this.#signedIn();
    if (!can(session, "view_board")) throw this.#error("forbidden");
    const rec = this.#record(appointmentId);
    if (!rec) throw this.#error("not_found");
    if (!worksIn(session, rec.storeId)) throw this.#error("not_in_store");
    const request = [...this.#requests.values()].find((r) => r.open && r.appointmentId === rec.id);
    return {
      id: rec.id,
      storeId: rec.storeId,
      doctorId: rec.doctorId,
      doctorName: rec.doctorName,
      department: rec.department,
      patientId: rec.patientId,
      patientName: rec.patientName,
      patientPhone: rec.patientPhone,
      start: instant(rec.date, rec.startMin),
      end: instant(rec.date, rec.endMin),
      state: rec.state,
      visitType: rec.visitType,
      sync: rec.sync,
      fee: rec.fee && this.#feeDetail(rec),
      openRequest: request ? { id: request.id, reason: request.reason, requestedAt: request.requestedAt } : null,
      actions: this.#actions(session, rec),
      history: rec.history.map((h) => ({ ...h })),
    };
  }

  async cancellationInbox(storeId: string): Promise<InboxItem[]> {
    const session = this.#signedIn();
    if (!can(session, "handle_cancellation_requests")) throw this.#error("forbidden");
    if (!FAKE_STORES.some((s) => s.id === storeId)) throw this.#error("store_not_found");
    if (!worksIn(session, storeId)) throw this.#error("not_in_store");
    return this.#openRequestsOf(storeId)
      .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt))
      .map((r) => {
        const rec = this.#record(r.appointmentId)!;
        return {
          requestId: r.id,
          appointmentId: rec.id,
          patientName: rec.patientName,
          doctorName: rec.doctorName,
          start: instant(rec.date, rec.startMin),
          reason: r.reason,
          requestedAt: r.requestedAt,
          feeState: feeState(rec.fee),
        };
      });
  }

  async bookingOptions(storeId: string, date: string, departmentId: string | null): Promise<BookingOptions> {
    const session = this.#signedIn();
    if (!can(session, "book_appointment") && !can(session, "manage_appointment")) throw this.#error("forbidden");
    const store = FAKE_STORES.find((s) => s.id === storeId);
    if (!store) throw this.#error("store_not_found");
    if (!worksIn(session, store.id)) throw this.#error("not_in_store");
    if (!isIsoDate(date)) throw this.#error("invalid_date");
    const department = departmentId === null ? null : DEPARTMENTS.find((d) => d.id === departmentId);
    if (department === undefined) throw this.#error("not_found");
    const doctors = department
      ? this.#doctors(store.id)
          .filter((d) => d.departments.includes(department.name))
          .map((d) => ({
            id: d.id,
            name: d.name,
            title: d.title,
            listed: d.listed,
            slots: this.#freeSlots(store, d, date).map((s) => ({
              start: instant(date, s.startMin),
              end: instant(date, s.endMin),
              startMin: s.startMin,
              endMin: s.endMin,
            })),
          }))
          .filter((d) => d.slots.length > 0)
      : [];
    return {
      complaints: COMPLAINTS.map((c) => ({ ...c, departmentIds: [...c.departmentIds] })),
      departments: DEPARTMENTS.map((d) => ({ ...d })),
      doctors,
      visitTypeChosen: this.#settingsOf(store.id).visit_type_mode === "patient_chooses",
      visitTypes: VISIT_TYPE_OPTIONS.map((v) => ({ ...v })),
    };
  }

  async searchPatients(query: string): Promise<PatientHit[]> {
    const session = this.#signedIn();
    if (!can(session, "book_appointment") && !can(session, "register_patient") && !can(session, "view_clinical")) throw this.#error("forbidden");
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const digits = /^\d+$/.test(q);
    return [...this.#patients.values()]
      .filter((p) => (digits ? p.phone.includes(q) : p.name.includes(q) || p.initials.startsWith(q)))
      .slice(0, 20)
      .map((p) => ({ ...p }));
  }

  async execute<N extends CommandName>(name: N, args: Commands[N]): Promise<Outcome> {
    const session = this.#signedIn();
    const a = args as Record<string, string>;
    switch (name) {
      case "appointment.confirm@1":
        this.#transition(session, a.appointment_id!, "confirm", ["pending"], "confirmed");
        break;
      case "appointment.check_in@1":
        this.#transition(session, a.appointment_id!, "check_in", PRE_CHECK_IN, "checked_in");
        break;
      case "appointment.complete@1":
        this.#transition(session, a.appointment_id!, "complete", ["checked_in"], "completed");
        break;
      case "appointment.no_show@1":
        this.#transition(session, a.appointment_id!, "no_show", PRE_CHECK_IN, "no_show");
        break;
      case "appointment.undo_check_in@1":
        if (!can(session, "undo_check_in")) throw this.#error("forbidden");
        this.#transition(session, a.appointment_id!, "undo_check_in", ["checked_in"], "confirmed", this.#reason(a.reason));
        break;
      case "appointment.cancel@1":
        this.#cancel(session, this.#mine(session, a.appointment_id!), "cancel", this.#reason(a.reason));
        break;
      case "fee.charge@1":
        this.#charge(session, a.fee_id!, a.method === "card" ? "card" : "cash");
        break;
      case "fee.refund_cash@1":
        this.#refund(session, a.fee_id!, "refund_at_desk", a.reason ?? "");
        break;
      case "fee.request_refund@1":
        this.#refund(session, a.fee_id!, "request_server_refund", "");
        break;
      case "fee.refund_manual@1":
        this.#refund(session, a.fee_id!, "manual_refund", a.reason ?? "");
        break;
      case "cancel_request.approve@1": {
        const request = this.#openRequest(session, a.request_id!);
        const rec = this.#record(request.appointmentId)!;
        this.#cancel(session, rec, "cancel", request.reason);
        break;
      }
      case "cancel_request.reject@1": {
        const reason = this.#reason(a.reason);
        const request = this.#openRequest(session, a.request_id!);
        request.open = false;
        const rec = this.#record(request.appointmentId)!;
        rec.history.push(this.#line(session, "cancel_request_rejected", null, null, reason));
        break;
      }
      case "patient.create@1":
        this.#createPatient(session, args as Commands["patient.create@1"]);
        break;
      case "booking.create@1":
        this.#book(session, args as Commands["booking.create@1"]);
        break;
      case "appointment.reschedule@1":
        this.#reschedule(session, args as Commands["appointment.reschedule@1"]);
        break;
      case "store.set_doctor_order@1":
        this.#setOrder(session, args as Commands["store.set_doctor_order@1"]);
        break;
      case "store.set_doctor_hidden@1":
        this.#setHidden(session, args as Commands["store.set_doctor_hidden@1"]);
        break;
      case "store.update_settings@1":
        this.#updateSettings(session, args as Commands["store.update_settings@1"]);
        break;
      case "recall.record_outcome@1":
        this.#recall.record(session, args as Commands["recall.record_outcome@1"]);
        break;
      case "eye_exam.record@1":
      case "eye_exam.amend@1":
        this.#eyes.write(
          name === "eye_exam.record@1" ? "record" : "amend",
          args as Commands["eye_exam.record@1"],
          { name: session.name, mayEdit: can(session, "edit_clinical") },
          this.#lang,
          new Date(this.#now()).toISOString(),
        );
        break;
      default:
        throw this.#error("unknown_command");
    }
    this.#deviceSeq += 1;
    this.sync.record(name, args, session.name, this.#deviceSeq);
    return { deviceSeq: this.#deviceSeq, mutationId: crypto.randomUUID(), warnings: [] };
  }

  async syncStatus(): Promise<SyncView> {
    return this.sync.view();
  }

  async syncNow(): Promise<SyncView> {
    this.#signedIn();
    return this.sync.syncNow();
  }

  async syncDetails(limit: number): Promise<SyncLine[]> {
    this.#signedIn();
    return this.sync.details(limit);
  }

  async syncConflicts(storeId: string): Promise<ConflictItem[]> {
    return this.sync.conflicts(this.#storeOf(this.#signedIn(), storeId).id);
  }

  async serverConnect(url: string, login: string, password: string): Promise<SyncView> {
    const account = password === DEMO_PASSWORD ? sessionOf(login.trim()) : null;
    return this.sync.connect(this.#signedIn(), url, account);
  }

  async serverDisconnect(): Promise<SyncView> {
    return this.sync.disconnect(this.#signedIn());
  }

  async resolveConflict(id: string, how: string): Promise<void> {
    return this.sync.resolve(this.#signedIn(), id, how);
  }

  onSyncStatus(callback: (view: SyncView) => void): () => void {
    return this.sync.subscribe(callback);
  }

  /** An appointment of this desk as a sync conflict shows it. */
  #conflictSide(appointmentId: string) {
    const rec = this.#records.get(appointmentId);
    if (!rec) return null;
    return {
      appointmentId: rec.id,
      patientName: rec.patientName,
      patientPhone: rec.patientPhone,
      doctorName: rec.doctorName,
      departmentName: rec.department,
      start: instant(rec.date, rec.startMin),
      end: instant(rec.date, rec.endMin),
    };
  }

  /** The demo conflict's slot: the first appointment of today's board that holds its slot before check-in. */
  #demoSlot(storeId: string) {
    const store = FAKE_STORES.find((s) => s.id === storeId)!;
    const a = this.#dayAppointments(store, this.#todayOf(store)).find((x) => PRE_CHECK_IN.includes(x.state));
    const side = a ? this.#conflictSide(this.#record(a.id)!.id) : null;
    return a && side ? { side, doctorId: a.doctorId, departmentId: departmentId(a.department) } : null;
  }

  async patientExams(patientId: string): Promise<PatientExamRow[]> {
    if (!can(this.#signedIn(), "view_clinical")) throw this.#error("forbidden");
    return this.#eyes.rows(patientId);
  }

  async examAudit(examId: string): Promise<ExamAuditLine[]> {
    if (!can(this.#signedIn(), "view_clinical")) throw this.#error("forbidden");
    return this.#eyes.audit(examId);
  }

  async eyeView(patientId: string, reference: string | null): Promise<EyeView> {
    const session = this.#signedIn();
    if (!can(session, "view_clinical")) throw this.#error("forbidden");
    const patient = this.#patients.get(patientId);
    if (!patient) throw this.#error("not_found");
    return this.#eyes.view(patient, reference, this.#lang, this.#todayOf(FAKE_STORES[0]!));
  }

  async print(job: PrintJob, path: string | null): Promise<Printed> {
    this.#signedIn();
    const where = path ?? `/home/desk/Documents/ClinicDesk/${job.kind}.pdf`;
    this.printed.set(where, job);
    return { path: where, sizeBytes: 51_200, pages: 1 };
  }

  async openDocument(path: string): Promise<void> {
    if (!this.printed.has(path)) throw this.#error("not_found");
    this.opened.push(path);
  }

  async chooseSavePath(_defaultName: string): Promise<string | null> {
    return this.savePath;
  }

  async recallList(storeId: string): Promise<RecallListView> {
    const session = this.#signedIn();
    const store = this.#storeOf(session, storeId);
    return this.#recall.list(store.id, this.#todayOf(store), this.#lang, session);
  }

  async storeSettings(storeId: string): Promise<StoreSettings> {
    const session = this.#signedIn();
    if (!can(session, "edit_store_settings")) throw this.#error("forbidden");
    this.#storeOf(session, storeId);
    return copySettings(this.#settingsOf(storeId));
  }

  async doctorWeek(storeId: string, doctorId: string, from: string | null): Promise<DoctorWeek> {
    const session = this.#signedIn();
    if (!can(session, "view_board")) throw this.#error("forbidden");
    const store = this.#storeOf(session, storeId);
    const doctor = this.#doctors(store.id).find((d) => d.id === doctorId);
    if (!doctor) throw this.#error("not_found");
    const first = from ?? mondayOf(this.#todayOf(store));
    if (!isIsoDate(first)) throw this.#error("invalid_date");
    return {
      store: { ...store },
      doctorId: doctor.id,
      doctorName: doctor.name,
      doctorTitle: doctor.title,
      dayStartMin: DAY_START,
      dayEndMin: DAY_END,
      days: Array.from({ length: 7 }, (_, i) => {
        const date = shiftDate(first, i);
        return {
          date,
          periods: doctor.periods.map((p) => ({ ...p })),
          slotMinutes: doctor.slotMinutes,
          appointments: this.#dayAppointments(store, date).filter((a) => a.doctorId === doctor.id),
        };
      }),
    };
  }

  /** A store the signed-in user works in, or the error the backend gives. */
  #storeOf(session: Session, storeId: string): StoreRef {
    const store = FAKE_STORES.find((s) => s.id === storeId);
    if (!store) throw this.#error("store_not_found");
    if (!worksIn(session, store.id)) throw this.#error("not_in_store");
    return store;
  }

  #settingsOf(storeId: string): StoreSettings {
    return this.#settings.get(storeId) ?? defaultSettings(storeId);
  }

  #setOrder(session: Session, c: Commands["store.set_doctor_order@1"]): void {
    if (!can(session, "edit_doctor_order")) throw this.#error("forbidden");
    this.#storeOf(session, c.store_id);
    if (new Set(c.doctor_ids).size !== c.doctor_ids.length) throw this.#error("duplicate_in_order");
    const known = new Set(this.#generatedDoctors(c.store_id).map((d) => d.id));
    if (!c.doctor_ids.every((id) => known.has(id))) throw this.#error("not_found");
    this.#orders.set(c.store_id, [...c.doctor_ids]);
  }

  #setHidden(session: Session, c: Commands["store.set_doctor_hidden@1"]): void {
    if (!can(session, "edit_doctor_order")) throw this.#error("forbidden");
    this.#storeOf(session, c.store_id);
    if (!this.#generatedDoctors(c.store_id).some((d) => d.id === c.doctor_id)) throw this.#error("not_found");
    const hidden = new Set(this.#doctors(c.store_id).filter((d) => d.hiddenFromPatients).map((d) => d.id));
    if (c.hidden) hidden.add(c.doctor_id);
    else hidden.delete(c.doctor_id);
    this.#hidden.set(c.store_id, hidden);
  }

  #updateSettings(session: Session, c: Commands["store.update_settings@1"]): void {
    if (!can(session, "edit_store_settings")) throw this.#error("forbidden");
    this.#storeOf(session, c.store_id);
    const capacity = c.settings.capacity_per_slot;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 10) throw this.#error("invalid_setting");
    // As the domain: every rule names a visit type the chain knows.
    const unknown = c.settings.visit_type_rules.find((r) => !VISIT_TYPE_OPTIONS.some((v) => v.code === r.visit_type));
    if (unknown) throw this.#error("invalid_visit_type", { code: unknown.visit_type });
    const bad = THRESHOLD_FIELDS.find((f) => !Number.isInteger(c.settings.recall[f]) || c.settings.recall[f] < 0);
    if (bad) throw { ...this.#error("bad_input"), field: `recall.${bad}` };
    this.#settings.set(c.store_id, copySettings(c.settings));
  }

  /** Test and demo hook: sets an appointment's state and how its fee was paid. */
  patch(appointmentId: string, change: { state?: AppointmentState; fee?: FakeFeeKind }): void {
    const rec = this.#record(appointmentId);
    if (!rec) throw new Error(`unknown fake appointment ${appointmentId}`);
    if (change.state) rec.state = change.state;
    if (change.fee) rec.fee = this.#makeFee(rec, change.fee);
  }

  /** Test and demo hook: a patient asks to cancel `appointmentId` now; returns the request id. */
  addCancellationRequest(appointmentId: string, reason: string): string {
    const rec = this.#record(appointmentId);
    if (!rec) throw new Error(`unknown fake appointment ${appointmentId}`);
    this.#seedRequests(rec.storeId);
    const id = `req-${this.#requests.size + 1}-${rec.id}`;
    const at = new Date(this.#now()).toISOString();
    this.#requests.set(id, { id, appointmentId: rec.id, storeId: rec.storeId, reason, requestedAt: at, open: true });
    rec.history.push({ at, actor: `patient:${rec.patientName}`, action: "cancel_requested", fromState: null, toState: null, reason });
    return id;
  }

  #now(): number {
    return (this.#options.clock ?? Date.now)();
  }

  #signedIn(): Session {
    if (!this.#session) throw this.#error(NOT_SIGNED_IN);
    return this.#session;
  }

  #todayOf(store: StoreRef): string {
    return this.#options.today ?? wallClock(new Date(), store.timezone).date;
  }

  #reason(reason: string | undefined): string {
    const text = (reason ?? "").trim();
    if (!text) throw this.#error("reason_required");
    return text;
  }

  #line(session: Session, action: string, from: AppointmentState | null, to: AppointmentState | null, reason: string | null): HistoryLine {
    return { at: new Date(this.#now()).toISOString(), actor: `${session.role}:${session.name}`, action, fromState: from, toState: to, reason };
  }

  /** The record of an appointment of the fake board, made on first use from the generated board. */
  #record(appointmentId: string): AppointmentRecord | null {
    const known = this.#records.get(appointmentId);
    if (known) return known;
    const m = ID_RE.exec(appointmentId);
    if (!m) return null;
    const store = FAKE_STORES.find((s) => s.id === m[1]);
    if (!store) return null;
    const date = m[3]!;
    const doctors = doctorsOf(store.id, this.#options.doctorCount ?? DOCTORS.length);
    const doctor = doctors[Number(m[2]) - 1];
    if (!doctor) return null;
    const generated = appointmentsOf(doctor, date, this.#todayOf(store)).find((a) => a.id === appointmentId);
    if (!generated) return null;
    const h = hashOf(appointmentId);
    const rec: AppointmentRecord = {
      id: generated.id,
      storeId: store.id,
      date,
      doctorId: doctor.id,
      doctorName: doctor.name,
      department: generated.department,
      patientId: `patient-${h % 100000}`,
      patientName: generated.patientName,
      patientPhone: `13${String(h % 1_000_000_000).padStart(9, "0")}`,
      startMin: generated.startMin,
      endMin: generated.endMin,
      state: generated.state,
      visitType: generated.visitType,
      sync: generated.sync,
      fee: null,
      history: [],
    };
    const booked = new Date(Date.parse(instant(date, 9 * 60)) - 3 * DAY_MS).toISOString();
    rec.history.push({ at: booked, actor: "receptionist:刘婷", action: "booked", fromState: null, toState: "pending", reason: null });
    const start = instant(date, generated.startMin);
    const steps: Record<AppointmentState, Array<[string, AppointmentState, AppointmentState]>> = {
      pending: [],
      confirmed: [["confirm", "pending", "confirmed"]],
      checked_in: [["confirm", "pending", "confirmed"], ["check_in", "confirmed", "checked_in"]],
      completed: [["confirm", "pending", "confirmed"], ["check_in", "confirmed", "checked_in"], ["complete", "checked_in", "completed"]],
      cancelled: [["cancel", "pending", "cancelled"]],
      no_show: [["confirm", "pending", "confirmed"], ["no_show", "confirmed", "no_show"]],
    };
    for (const [action, from, to] of steps[generated.state]) {
      const at = action === "confirm" || action === "cancel" ? new Date(Date.parse(booked) + 3_600_000).toISOString() : start;
      rec.history.push({ at, actor: "receptionist:刘婷", action, fromState: from, toState: to, reason: action === "cancel" ? "患者来电取消" : null });
    }
    const kinds: Record<FeeState, FakeFeeKind> = { none: "none", pending: "pending", paid: "desk", refunded: "refunded" };
    let kind = kinds[generated.fee];
    if (kind === "desk") {
      const r = (h % 100) / 100;
      kind = r < 0.6 ? "desk" : r < 0.8 ? "online" : r < 0.93 ? "online_old" : "other_store";
    }
    rec.fee = this.#makeFee(rec, kind);
    this.#records.set(rec.id, rec);
    return rec;
  }

  #number(prefix: string, storeId: string): string {
    this.#numberSeq += 1;
    const code = storeId.replace("store-", "").slice(0, 2).toUpperCase();
    return `${prefix}-${code}-${String(this.#numberSeq).padStart(5, "0")}`;
  }

  #makeFee(rec: AppointmentRecord, kind: FakeFeeKind): FeeRecord | null {
    if (kind === "none") return null;
    const fee: FeeRecord = {
      id: `fee-${rec.id}`,
      amountFen: FAKE_FEE_FEN,
      status: kind === "pending" ? "pending" : "charged",
      method: null,
      paidAt: null,
      receiptNo: null,
      refund: null,
      paidStoreId: null,
      refundRequested: false,
    };
    if (kind === "pending") return fee;
    const paidDaysBefore = kind === "online_old" ? 400 : kind === "online" ? 2 : 0;
    fee.paidAt = new Date(Date.parse(instant(rec.date, rec.startMin)) - paidDaysBefore * DAY_MS - 3_600_000).toISOString();
    fee.method = kind === "online" || kind === "online_old" ? "wechat_app" : hashOf(rec.id) % 3 === 0 ? "card" : "cash";
    const other = FAKE_STORES.find((s) => s.id !== rec.storeId)!.id;
    fee.paidStoreId = fee.method === "wechat_app" ? null : kind === "other_store" ? other : rec.storeId;
    fee.receiptNo = this.#number("SJ", fee.paidStoreId ?? "store-online");
    if (kind === "refunded") {
      fee.refund = {
        number: this.#number("TK", rec.storeId),
        kind: "desk_cash",
        amountFen: fee.amountFen,
        at: fee.paidAt,
        actor: "receptionist:刘婷",
      };
    }
    return fee;
  }

  #refundOption(rec: AppointmentRecord): RefundOption {
    const fee = rec.fee;
    if (!fee || fee.status !== "charged" || fee.refund) return "none";
    if (fee.method === "wechat_app" || fee.method === "points") {
      if (fee.refundRequested) return "server_refund_requested";
      const today = Date.parse(`${this.#todayOf(FAKE_STORES.find((s) => s.id === rec.storeId)!)}T04:00:00Z`);
      const old = fee.method === "wechat_app" && fee.paidAt !== null && today > Date.parse(fee.paidAt) + 365 * DAY_MS;
      return old ? "manual_refund" : "request_server_refund";
    }
    return fee.paidStoreId === rec.storeId ? "refund_at_desk" : "other_store";
  }

  #feeDetail(rec: AppointmentRecord): FeeDetail {
    const fee = rec.fee!;
    return {
      id: fee.id,
      amountFen: fee.amountFen,
      status: fee.status,
      method: fee.method,
      paidAt: fee.paidAt,
      receiptNo: fee.receiptNo,
      refund: fee.refund && { ...fee.refund },
      refundOption: this.#refundOption(rec),
      refundDesk: null,
    };
  }

  #actions(session: Session, rec: AppointmentRecord): string[] {
    const actions: string[] = [];
    if (can(session, "manage_appointment")) {
      if (rec.state === "pending") actions.push("confirm", "check_in", "no_show", "cancel", "reschedule");
      if (rec.state === "confirmed") actions.push("check_in", "no_show", "cancel", "reschedule");
      if (rec.state === "checked_in") actions.push("complete");
    }
    if (rec.state === "checked_in" && can(session, "undo_check_in")) actions.push("undo_check_in");
    return actions;
  }

  #boardOf(rec: AppointmentRecord): BoardAppointment {
    return {
      id: rec.id,
      doctorId: rec.doctorId,
      patientName: rec.patientName,
      startMin: rec.startMin,
      endMin: rec.endMin,
      state: rec.state,
      visitType: rec.visitType,
      department: rec.department,
      fee: feeState(rec.fee),
      sync: rec.sync,
    };
  }

  /** A store's appointments on a day: the generated ones, as changed by commands, and the booked or moved ones. */
  #dayAppointments(store: StoreRef, date: string): BoardAppointment[] {
    const today = this.#todayOf(store);
    const generated = new Set<string>();
    const result: BoardAppointment[] = [];
    for (const a of this.#doctors(store.id).flatMap((d) => appointmentsOf(d, date, today))) {
      generated.add(a.id);
      const rec = this.#records.get(a.id);
      if (!rec) result.push(a);
      else if (rec.storeId === store.id && rec.date === date) result.push(this.#boardOf(rec));
    }
    for (const rec of this.#records.values()) {
      if (rec.storeId === store.id && rec.date === date && !generated.has(rec.id)) result.push(this.#boardOf(rec));
    }
    return result;
  }

  #generatedDoctors(storeId: string): BoardDoctor[] {
    return doctorsOf(storeId, this.#options.doctorCount ?? DOCTORS.length);
  }

  /**
   * The store's doctors in its order (DOMAIN.md §2): the listed ones as the manager ordered them, then the
   * others by name. Hidden is a separate flag.
   */
  #doctors(storeId: string): BoardDoctor[] {
    const generated = this.#generatedDoctors(storeId);
    const order = this.#orders.get(storeId);
    const hidden = this.#hidden.get(storeId);
    const withHidden = (d: BoardDoctor): BoardDoctor => (hidden ? { ...d, hiddenFromPatients: hidden.has(d.id) } : d);
    if (!order) return generated.map(withHidden);
    const byId = new Map(generated.map((d) => [d.id, d]));
    const listed = order.flatMap((id) => {
      const d = byId.get(id);
      return d ? [{ ...withHidden(d), listed: true }] : [];
    });
    const rest = generated
      .filter((d) => !order.includes(d.id))
      .map((d) => ({ ...withHidden(d), listed: false }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return [...listed, ...rest];
  }

  /** The doctor's free slots on a day: working slots no appointment holding its slot overlaps. */
  #freeSlots(store: StoreRef, doctor: BoardDoctor, date: string) {
    const taken = this.#dayAppointments(store, date).filter((a) => a.doctorId === doctor.id && holdsSlot(a.state));
    return workingSlots(doctor.periods, doctor.slotMinutes).filter(
      (s) => !taken.some((a) => a.startMin < s.endMin && s.startMin < a.endMin),
    );
  }

  /** Local date and minutes of an instant in a store; rejects anything that is not an ISO instant. */
  #local(store: StoreRef, iso: string, code: string): { date: string; minutes: number } {
    const t = new Date(iso);
    if (Number.isNaN(t.getTime())) throw this.#error(code);
    return wallClock(t, store.timezone);
  }

  /** Checks that [start, end) is a free slot of `doctor`'s schedule; returns its local date and minutes. */
  #place(store: StoreRef, doctor: BoardDoctor, start: string, end: string, movingId: string | null) {
    const s = this.#local(store, start, "outside_schedule");
    const e = this.#local(store, end, "outside_schedule");
    const endMin = e.date === s.date ? e.minutes : e.minutes + 24 * 60;
    const period = doctor.periods.find((p) => p.startMin <= s.minutes && endMin <= p.endMin);
    if (!period || endMin <= s.minutes) throw this.#error("outside_schedule");
    if ((s.minutes - period.startMin) % doctor.slotMinutes !== 0 || endMin - s.minutes !== doctor.slotMinutes) {
      throw this.#error("not_on_slot_grid");
    }
    const clash = this.#dayAppointments(store, s.date).some(
      (a) => a.doctorId === doctor.id && a.id !== movingId && holdsSlot(a.state) && a.startMin < endMin && s.minutes < a.endMin,
    );
    if (clash) throw this.#error("slot_conflict");
    return { date: s.date, startMin: s.minutes, endMin };
  }

  #createPatient(session: Session, p: Commands["patient.create@1"]): void {
    if (!can(session, "register_patient")) throw this.#error("forbidden");
    const text = (value: string) => {
      const t = value.trim();
      if (!t) throw this.#error("empty_text");
      if ([...t].length > MAX_TEXT) throw this.#error("text_too_long");
      return t;
    };
    const phone = (value: string) => {
      const digits = value.replace(/[\s-]/g, "");
      if (!PHONE_RE.test(digits)) throw this.#error("invalid_phone");
      return digits;
    };
    const name = text(p.name);
    const today = this.#todayOf(FAKE_STORES.find((s) => s.id === session.storeId)!);
    if (!isIsoDate(p.birth_date) || p.birth_date < "1900-01-01" || p.birth_date > today) throw this.#error("invalid_birth_date");
    const digits = phone(p.phone);
    if (p.guardian) {
      text(p.guardian.name);
      phone(p.guardian.phone);
    }
    if (this.#patients.has(p.patient_id)) throw this.#error("invalid_transition");
    this.#patients.set(p.patient_id, { id: p.patient_id, name, initials: initialsOf(name), phone: digits, birthDate: p.birth_date });
  }

  #book(session: Session, b: Commands["booking.create@1"]): void {
    if (!can(session, "book_appointment")) throw this.#error("forbidden");
    const store = FAKE_STORES.find((s) => s.id === b.store_id);
    if (!store) throw this.#error("store_not_found");
    if (!worksIn(session, store.id)) throw this.#error("not_in_store");
    if (this.#records.has(b.appointment_id)) throw this.#error("invalid_transition");
    const patient = this.#patients.get(b.patient_id);
    const department = DEPARTMENTS.find((d) => d.id === b.department_id);
    const doctor = this.#doctors(store.id).find((d) => d.id === b.doctor_id);
    if (!patient || !department || !doctor) throw this.#error("not_found");
    if (!doctor.departments.includes(department.name)) throw this.#error("doctor_not_in_department");
    if (b.fee && (!Number.isSafeInteger(b.fee.amount) || b.fee.amount < 0)) throw this.#error("invalid_amount");
    const at = this.#place(store, doctor, b.start, b.end, null);
    let visitType: string;
    if (this.#settingsOf(store.id).visit_type_mode === "patient_chooses" && b.visit_type !== null) {
      const option = VISIT_TYPE_OPTIONS.find((v) => v.code === b.visit_type);
      if (!option) throw this.#error("not_found");
      visitType = option.name;
    } else {
      const seen = [...this.#records.values()].some((r) => r.patientId === patient.id && r.state === "completed");
      visitType = seen ? "复诊" : "初诊";
    }
    const rec: AppointmentRecord = {
      id: b.appointment_id,
      storeId: store.id,
      date: at.date,
      doctorId: doctor.id,
      doctorName: doctor.name,
      department: department.name,
      patientId: patient.id,
      patientName: patient.name,
      patientPhone: patient.phone,
      startMin: at.startMin,
      endMin: at.endMin,
      state: "pending",
      visitType,
      sync: "pending",
      fee: null,
      history: [this.#line(session, "booked", null, "pending", null)],
    };
    if (b.fee && b.fee.amount > 0) {
      const paid = b.fee.paid_with !== null;
      rec.fee = {
        id: b.fee.fee_id,
        amountFen: b.fee.amount,
        status: paid ? "charged" : "pending",
        method: b.fee.paid_with,
        paidAt: paid ? new Date(this.#now()).toISOString() : null,
        receiptNo: paid ? this.#number("SJ", store.id) : null,
        refund: null,
        paidStoreId: paid ? store.id : null,
        refundRequested: false,
      };
    }
    this.#records.set(rec.id, rec);
  }

  #reschedule(session: Session, r: Commands["appointment.reschedule@1"]): void {
    if (!can(session, "manage_appointment")) throw this.#error("forbidden");
    const rec = this.#mine(session, r.appointment_id);
    if (!PRE_CHECK_IN.includes(rec.state)) throw this.#error("invalid_transition");
    const store = FAKE_STORES.find((s) => s.id === rec.storeId)!;
    const doctor = this.#doctors(store.id).find((d) => d.id === (r.doctor_id ?? rec.doctorId));
    if (!doctor) throw this.#error("not_found");
    if (!doctor.departments.includes(rec.department)) throw this.#error("doctor_not_in_department");
    const at = this.#place(store, doctor, r.start, r.end, rec.id);
    rec.history.push(this.#line(session, "reschedule", null, null, null));
    rec.doctorId = doctor.id;
    rec.doctorName = doctor.name;
    rec.date = at.date;
    rec.startMin = at.startMin;
    rec.endMin = at.endMin;
    rec.sync = "pending";
  }

  /** An appointment of a store the user works in, or an error. */
  #mine(session: Session, appointmentId: string): AppointmentRecord {
    const rec = this.#record(appointmentId);
    if (!rec) throw this.#error("not_found");
    if (!worksIn(session, rec.storeId)) throw this.#error("not_in_store");
    return rec;
  }

  #transition(
    session: Session,
    appointmentId: string,
    action: string,
    from: ReadonlyArray<AppointmentState>,
    to: AppointmentState,
    reason: string | null = null,
  ): void {
    if (!can(session, "manage_appointment")) throw this.#error("forbidden");
    const rec = this.#mine(session, appointmentId);
    if (!from.includes(rec.state)) throw this.#error("invalid_transition");
    rec.history.push(this.#line(session, action, rec.state, to, reason));
    rec.state = to;
    rec.sync = "pending";
  }

  #cancel(session: Session, rec: AppointmentRecord, action: string, reason: string): void {
    if (!can(session, "manage_appointment")) throw this.#error("forbidden");
    if (!PRE_CHECK_IN.includes(rec.state)) {
      throw this.#error(rec.state === "cancelled" ? "invalid_transition" : "cancel_after_check_in");
    }
    if (rec.fee?.status === "charged" && !rec.fee.refund) throw this.#error("refund_first");
    rec.history.push(this.#line(session, action, rec.state, "cancelled", reason));
    rec.state = "cancelled";
    rec.sync = "pending";
    for (const r of this.#requests.values()) if (r.appointmentId === rec.id) r.open = false;
  }

  #feeRecord(session: Session, feeId: string): AppointmentRecord {
    const booked = [...this.#records.values()].find((r) => r.fee?.id === feeId);
    const rec = booked ? this.#mine(session, booked.id) : feeId.startsWith("fee-") ? this.#mine(session, feeId.slice(4)) : null;
    if (!rec?.fee || rec.fee.id !== feeId) throw this.#error("not_found");
    return rec;
  }

  #charge(session: Session, feeId: string, method: "cash" | "card"): void {
    if (!can(session, "charge_fee")) throw this.#error("forbidden");
    const rec = this.#feeRecord(session, feeId);
    const fee = rec.fee!;
    if (fee.status !== "pending") throw this.#error("invalid_transition");
    fee.status = "charged";
    fee.method = method;
    fee.paidAt = new Date(this.#now()).toISOString();
    fee.paidStoreId = rec.storeId;
    fee.receiptNo = this.#number("SJ", rec.storeId);
    rec.history.push(this.#line(session, "charge", null, null, null));
  }

  #refund(session: Session, feeId: string, way: "refund_at_desk" | "request_server_refund" | "manual_refund", reason: string): void {
    if (!can(session, "refund_fee")) throw this.#error("forbidden");
    const rec = this.#feeRecord(session, feeId);
    const fee = rec.fee!;
    if (fee.refund) throw this.#error("already_refunded");
    if (fee.status !== "charged") throw this.#error("invalid_transition");
    const option = this.#refundOption(rec);
    if (way === "request_server_refund") {
      if (option !== "request_server_refund" && option !== "server_refund_requested") throw this.#error("refund_not_allowed");
      fee.refundRequested = true;
      rec.history.push(this.#line(session, "refund_requested", null, null, null));
      return;
    }
    if (option !== way) throw this.#error("refund_not_allowed");
    fee.refund = {
      number: this.#number("TK", rec.storeId),
      kind: way === "manual_refund" ? "manual" : "desk_cash",
      amountFen: fee.amountFen,
      at: new Date(this.#now()).toISOString(),
      actor: `${session.role}:${session.name}`,
    };
    rec.history.push(this.#line(session, "refund", null, null, reason.trim() || null));
  }

  #openRequest(session: Session, requestId: string): RequestRecord {
    if (!can(session, "handle_cancellation_requests")) throw this.#error("forbidden");
    const request = this.#requests.get(requestId);
    if (!request?.open) throw this.#error("not_found");
    if (!worksIn(session, request.storeId)) throw this.#error("not_in_store");
    return request;
  }

  /** The first time a store is looked at, a few of today's patients have asked to cancel. */
  #seedRequests(storeId: string): void {
    if (this.#seededStores.has(storeId)) return;
    this.#seededStores.add(storeId);
    const store = FAKE_STORES.find((s) => s.id === storeId)!;
    const today = this.#todayOf(store);
    const count = Math.floor(rng(`${store.id}|${today}|requests`)() * 5);
    const candidates = doctorsOf(store.id, this.#options.doctorCount ?? DOCTORS.length)
      .flatMap((d) => appointmentsOf(d, today, today))
      .filter((a) => PRE_CHECK_IN.includes(a.state))
      .slice(0, count);
    candidates.forEach((a, i) => {
      const rec = this.#record(a.id)!;
      const id = `req-${store.id}-${i + 1}`;
      const at = new Date(this.#now() - (count - i) * 47 * 60_000).toISOString();
      const reason = REQUEST_REASONS[i % REQUEST_REASONS.length]!;
      this.#requests.set(id, { id, appointmentId: rec.id, storeId: store.id, reason, requestedAt: at, open: true });
      rec.history.push({ at, actor: `patient:${rec.patientName}`, action: "cancel_requested", fromState: null, toState: null, reason });
    });
  }

  #openRequestsOf(storeId: string): RequestRecord[] {
    this.#seedRequests(storeId);
    return [...this.#requests.values()].filter((r) => r.open && r.storeId === storeId);
  }
}
