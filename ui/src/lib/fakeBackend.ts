// An in-memory Backend with a small, deterministic, realistic board: for unit tests and for the UI in a plain browser.

import type { AppointmentState } from "../bindings/AppointmentState";
import type { BoardAppointment } from "../bindings/BoardAppointment";
import type { BoardDay } from "../bindings/BoardDay";
import type { BoardDoctor } from "../bindings/BoardDoctor";
import type { FeeState } from "../bindings/FeeState";
import type { Period } from "../bindings/Period";
import type { StoreRef } from "../bindings/StoreRef";
import type { SyncState } from "../bindings/SyncState";
import type { Backend, BackendError } from "./backend";
import { isIsoDate, wallClock } from "./format";

export type FakeBackendOptions = {
  /** How many doctors each store has; 8 by default. The last one is unlisted. */
  doctorCount?: number;
  /** The stores' today (YYYY-MM-DD); by default read from the clock in each store's time zone. */
  today?: string;
  /** Every call rejects with this error. */
  fail?: BackendError;
};

export const FAKE_STORES: ReadonlyArray<StoreRef> = [
  { id: "store-chaoyang", name: "朝阳门诊部", timezone: "Asia/Shanghai" },
  { id: "store-haidian", name: "海淀门诊部", timezone: "Asia/Shanghai" },
  { id: "store-xinyi", name: "信义诊所", timezone: "Asia/Taipei" },
];

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

export class FakeBackend implements Backend {
  readonly #options: FakeBackendOptions;

  constructor(options: FakeBackendOptions = {}) {
    this.#options = options;
  }

  async boardDay(storeId: string | null, date: string | null): Promise<BoardDay> {
    const { fail, doctorCount = DOCTORS.length } = this.#options;
    if (fail) throw { ...fail };
    const store = storeId === null ? FAKE_STORES[0] : FAKE_STORES.find((s) => s.id === storeId);
    if (!store) throw { code: "store_not_found", message: "找不到该门店，请重新选择门店。" } satisfies BackendError;
    const today = this.#options.today ?? wallClock(new Date(), store.timezone).date;
    const day = date ?? today;
    if (!isIsoDate(day)) throw { code: "invalid_date", message: "日期无效，请使用 YYYY-MM-DD 格式。" } satisfies BackendError;

    const doctors = doctorsOf(store.id, doctorCount);
    return {
      store: { ...store },
      stores: FAKE_STORES.map((s) => ({ ...s })),
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
