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
import type { FeeState } from "../bindings/FeeState";
import type { Period } from "../bindings/Period";
import type { Role } from "../bindings/Role";
import type { Session } from "../bindings/Session";
import type { StoreRef } from "../bindings/StoreRef";
import type { SyncState } from "../bindings/SyncState";
import { NOT_SIGNED_IN, type Backend, type BackendError, type CommandName, type Commands } from "./backend";
import { DEMO_PASSWORD } from "./demo";
import { isIsoDate, wallClock } from "./format";
import { DEFAULT_LOCALE, type Locale } from "./i18n";
import { can, rolePermissions, worksIn } from "./permissions";

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

export class FakeBackend implements Backend {
  readonly #options: FakeBackendOptions;
  #session: Session | null;
  #lang: Locale = DEFAULT_LOCALE;
  #failures = 0;
  #lockedUntil = 0;

  constructor(options: FakeBackendOptions = {}) {
    this.#options = options;
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
    const { fail, doctorCount = DOCTORS.length } = this.#options;
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

    const doctors = doctorsOf(store.id, doctorCount);
    return {
      store: { ...store },
      stores: session.stores.map((s) => ({ ...s })),
      date: day,
      today,
      dayStartMin: DAY_START,
      dayEndMin: DAY_END,
      doctors,
      appointments: doctors.flatMap((d) => appointmentsOf(d, day, today)),
      openRequests: Math.floor(rng(`${store.id}|${day}|requests`)() * 5),
    };
  }
}
