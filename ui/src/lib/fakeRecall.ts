// An in-memory model of the recall task list (DOMAIN.md §8, spec eye-ui.md part B) for the FakeBackend:
// a few realistic tasks per store, messages drafted as the Rust `draft_message` words them, outcomes kept
// as history; a task is done once an outcome other than "unreachable" was recorded in the last 30 days.

import type { BackendError, Commands } from "./backend";
import type { Eye } from "../bindings/Eye";
import type { RecallItem } from "../bindings/RecallItem";
import type { RecallListView } from "../bindings/RecallListView";
import type { RecallOutcome } from "../bindings/RecallOutcome";
import type { RecallThresholds } from "../bindings/RecallThresholds";
import type { Session } from "../bindings/Session";
import type { TaskFacts } from "../bindings/TaskFacts";
import type { TaskKind } from "../bindings/TaskKind";
import type { Locale } from "./i18n";
import { worksIn } from "./permissions";
import { compareItems, defaultRecallThresholds, dioptres, RECALL_OUTCOMES, TASK_KINDS } from "./recall";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** An outcome other than "unreachable" closes the task for this long. */
export const DONE_FOR_DAYS = 30;
/** The longest note kept with an outcome. */
export const MAX_NOTE = 200;

export type FakeRecallOptions = {
  /** Milliseconds since the epoch; `Date.now` by default. */
  clock?: () => number;
  /** The store's thresholds (StoreSettings.recall); the defaults by default. */
  thresholdsOf?: (storeId: string) => RecallThresholds;
  /** Builds the error a refusal rejects with, worded in the current language; the FakeBackend passes its own. */
  error?: (code: string, params?: Record<string, string | number>) => BackendError;
};

/** One demo patient and the data its task comes from; thresholds decide whether the task is listed. */
type DemoTask = {
  n: number;
  kind: TaskKind;
  name: string;
  guardianName: string | null;
  phone: string;
  ageYears: number;
  monthsSince: number | null;
  changeCd: number | null;
  changeEye: Eye | null;
  lensAgeDays?: number;
  daysOverdue?: number;
  /** Ortho-k: which window qualified, and the myopic progression over it (度). */
  progression?: { window: "long" | "short"; eye: Eye; cd: number };
  /** Listed this many hours before the fake's first look at the store (overdue when untouched long enough). */
  listedHoursAgo: number;
  /** Outcomes recorded before: days ago, by whom. */
  history?: Array<{ daysAgo: number; outcome: RecallOutcome; by: string; note: string | null }>;
};

const DEMO: ReadonlyArray<DemoTask> = [
  {
    n: 1,
    kind: "lens_replacement",
    name: "张晓明",
    guardianName: "张女士",
    phone: "13800138001",
    ageYears: 9,
    monthsSince: 2,
    changeCd: -25,
    changeEye: "od",
    lensAgeDays: 582,
    listedHoursAgo: 3,
  },
  {
    n: 2,
    kind: "lens_replacement",
    name: "林佳怡",
    guardianName: "林先生",
    phone: "13500135012",
    ageYears: 11,
    monthsSince: 4,
    changeCd: 0,
    changeEye: "od",
    lensAgeDays: 731,
    listedHoursAgo: 30,
  },
  {
    n: 3,
    kind: "recheck_overdue",
    name: "李雨桐",
    guardianName: "李女士",
    phone: "13900139002",
    ageYears: 12,
    monthsSince: 7,
    changeCd: -75,
    changeEye: "od",
    daysOverdue: 21,
    listedHoursAgo: 2,
  },
  {
    n: 4,
    kind: "recheck_overdue",
    name: "黄浩然",
    guardianName: "黄先生",
    phone: "13800138006",
    ageYears: 14,
    monthsSince: 9,
    changeCd: null,
    changeEye: null,
    daysOverdue: 45,
    listedHoursAgo: 27,
    history: [{ daysAgo: 1, outcome: "unreachable", by: "刘婷", note: "无人接听" }],
  },
  {
    n: 5,
    kind: "recheck_overdue",
    name: "郭思远",
    guardianName: "郭女士",
    phone: "13700137015",
    ageYears: 10,
    monthsSince: 8,
    changeCd: -50,
    changeEye: "os",
    daysOverdue: 33,
    listedHoursAgo: 50,
    history: [{ daysAgo: 2, outcome: "booked", by: "刘婷", note: "已约下周六上午复查" }],
  },
  {
    n: 6,
    kind: "ortho_k_candidate",
    name: "王子涵",
    guardianName: "王女士",
    phone: "13700137003",
    ageYears: 8,
    monthsSince: 0,
    changeCd: -75,
    changeEye: "os",
    progression: { window: "long", eye: "os", cd: 75 },
    listedHoursAgo: 1,
  },
  {
    n: 7,
    kind: "ortho_k_candidate",
    name: "马欣怡",
    guardianName: "马先生",
    phone: "13900139017",
    ageYears: 10,
    monthsSince: 1,
    changeCd: -25,
    changeEye: "od",
    progression: { window: "short", eye: "od", cd: 37 },
    listedHoursAgo: 5,
  },
  {
    n: 8,
    kind: "referral_candidate",
    name: "吴欣怡",
    guardianName: null,
    phone: "13900139007",
    ageYears: 29,
    monthsSince: 1,
    changeCd: 0,
    changeEye: "od",
    listedHoursAgo: 4,
  },
];

/** The demo patients' ids in a store. */
export function fakeRecallPatientId(storeId: string, n: number): string {
  return `${storeId}-recall-${n}`;
}

/** The demo tasks of a store: every store has the same families (their patient ids are the store's own). */
function demoOf(_storeId: string): ReadonlyArray<DemoTask> {
  return DEMO;
}

/** Whether a demo task meets the store's thresholds, and its facts then. */
function factsOf(d: DemoTask, t: RecallThresholds): TaskFacts | null {
  const facts: TaskFacts = {
    months_since_last_check: d.monthsSince,
    change_since_last_exam_cd: d.changeCd,
    change_eye: d.changeCd === null ? null : d.changeEye,
    days_overdue: null,
    lens_age_days: null,
    progression: null,
  };
  switch (d.kind) {
    case "lens_replacement":
      if ((d.lensAgeDays ?? 0) < t.lens_replacement_days) return null;
      return { ...facts, lens_age_days: d.lensAgeDays ?? null };
    case "recheck_overdue":
      if ((d.daysOverdue ?? 0) <= t.recheck_grace_days) return null;
      return { ...facts, days_overdue: d.daysOverdue ?? null };
    case "ortho_k_candidate": {
      const p = d.progression;
      if (!p) return null;
      const [months, min] =
        p.window === "long" ? [t.ortho_k_long_window_months, t.ortho_k_long_window_cd] : [t.ortho_k_short_window_months, t.ortho_k_short_window_cd];
      if (p.cd < min) return null;
      return { ...facts, progression: { eye: p.eye, window_months: months, myopic_cd: p.cd } };
    }
    case "referral_candidate":
      return d.ageYears >= t.referral_min_age_years ? facts : null;
  }
}

const eyeName = (eye: Eye | null, lang: Locale) => (eye === null ? "" : eye === "od" ? (lang === "en" ? "right eye" : "右眼") : lang === "en" ? "left eye" : "左眼");

/**
 * The message the desk sends for a task, worded exactly as the Rust `recall::draft_message`: to the
 * guardian when there is one (referral candidates, adults, are addressed themselves), naming the patient,
 * the months since the last check and the change at the last exam; clauses without data are left out.
 */
export function draftMessage(kind: TaskKind, facts: TaskFacts, patient: { name: string; guardianName: string | null }, lang: Locale): string {
  const f = facts;
  const guardian = patient.guardianName?.trim() ?? "";
  const possessive = kind !== "referral_candidate" && guardian !== "";
  const addressee = possessive ? guardian : patient.name;
  const subject = possessive ? patient.name : lang === "en" ? "you" : "您";
  if (lang !== "en") {
    const zh = (cn: string, tw: string) => (lang === "zh-TW" ? tw : cn);
    const months =
      f.months_since_last_check === null
        ? null
        : f.months_since_last_check === 0
          ? zh("距上次复查不足 1 个月", "距上次複查不足 1 個月")
          : zh(`距上次复查已 ${f.months_since_last_check} 个月`, `距上次複查已 ${f.months_since_last_check} 個月`);
    const c = f.change_since_last_exam_cd;
    const eye = eyeName(f.change_eye, lang);
    const change =
      c === null ? null : c < 0 ? zh(`近一次${eye}近视加深 ${dioptres(c)}D`, `近一次${eye}近視加深 ${dioptres(c)}D`) : zh("近一次检查近视未加深", "近一次檢查近視未加深");
    const body: string[] = [];
    switch (kind) {
      case "lens_replacement":
        body.push(
          f.lens_age_days !== null
            ? zh(`${subject}的角膜塑形镜已配戴 ${f.lens_age_days} 天，已到更换周期`, `${subject}的角膜塑形鏡已配戴 ${f.lens_age_days} 天，已到更換週期`)
            : zh(`${subject}的角膜塑形镜已到更换周期`, `${subject}的角膜塑形鏡已到更換週期`),
        );
        if (months) body.push(months);
        body.push(zh("建议尽快预约换片检查。", "建議盡快預約換片檢查。"));
        break;
      case "recheck_overdue":
        body.push(months ? `${subject}${months}` : zh(`${subject}的复查已超期`, `${subject}的複查已逾期`));
        if (change) body.push(change);
        body.push(zh("建议尽快预约复查。", "建議盡快預約複查。"));
        break;
      case "ortho_k_candidate": {
        const p = f.progression;
        body.push(
          p
            ? zh(
                `${subject}${eyeName(p.eye, lang)}近 ${p.window_months} 个月近视加深 ${dioptres(p.myopic_cd)}D`,
                `${subject}${eyeName(p.eye, lang)}近 ${p.window_months} 個月近視加深 ${dioptres(p.myopic_cd)}D`,
              )
            : zh(`${subject}近期近视加深较快`, `${subject}近期近視加深較快`),
        );
        if (months) body.push(months);
        body.push(zh("建议预约检查，评估是否适合配戴角膜塑形镜控制近视。", "建議預約檢查，評估是否適合配戴角膜塑形鏡控制近視。"));
        break;
      }
      case "referral_candidate":
        body.push(zh("您的近视度数近一年保持稳定，角膜厚度检查正常", "您的近視度數近一年保持穩定，角膜厚度檢查正常"));
        body.push(zh("如有摘镜意愿，可预约屈光手术术前检查。", "如有摘鏡意願，可預約屈光手術術前檢查。"));
        break;
    }
    return `${addressee}您好，${body.join("，")}`;
  }
  const whose = possessive ? `${subject}'s` : "your";
  const monthsEn = (first: boolean) => {
    const m = f.months_since_last_check;
    if (m === null) return null;
    const who = possessive ? subject : "you";
    const it = first ? "it" : "It";
    return m === 0
      ? `${it} has been less than a month since ${who} last had a check-up.`
      : `${it} has been ${m} ${m === 1 ? "month" : "months"} since ${who} last had a check-up.`;
  };
  const c = f.change_since_last_exam_cd;
  const changeEn =
    c === null
      ? null
      : c < 0
        ? `At the last exam myopia increased by ${dioptres(c)} D${f.change_eye ? ` in the ${eyeName(f.change_eye, lang)}` : ""}.`
        : "At the last exam myopia did not increase.";
  const v = [`Hello ${addressee},`];
  const push = (s: string | null) => {
    if (s !== null) v.push(s);
  };
  switch (kind) {
    case "lens_replacement":
      v.push(
        f.lens_age_days !== null
          ? `${whose} ortho-k lenses have been worn for ${f.lens_age_days} days and are due for replacement.`
          : `${whose} ortho-k lenses are due for replacement.`,
      );
      push(monthsEn(false));
      v.push("Please book a lens replacement check soon.");
      break;
    case "recheck_overdue":
      v.push(monthsEn(true) ?? `${whose} recheck is overdue.`);
      push(changeEn);
      v.push("Please book a recheck soon.");
      break;
    case "ortho_k_candidate": {
      const p = f.progression;
      v.push(
        p
          ? `in the last ${p.window_months} months myopia in ${whose} ${eyeName(p.eye, lang)} increased by ${dioptres(p.myopic_cd)} D.`
          : `${whose} myopia has recently been increasing quickly.`,
      );
      push(monthsEn(false));
      v.push("We suggest booking an exam to see whether ortho-k lenses would suit for myopia control.");
      break;
    }
    case "referral_candidate":
      v.push("your myopia has been stable over the past year and your corneal thickness is normal.");
      v.push("If you would like to stop wearing glasses, you can book a pre-operative exam for refractive surgery.");
      break;
  }
  return v.join(" ");
}

type OutcomeRecord = { outcome: RecallOutcome; at: number; by: string; note: string | null };

const defaultError = (code: string): BackendError => ({ code, message: "" });

export class FakeRecall {
  readonly #clock: () => number;
  readonly #thresholdsOf: (storeId: string) => RecallThresholds;
  readonly #error: (code: string, params?: Record<string, string | number>) => BackendError;
  /** When the desk first listed each task (store|patient|kind). */
  readonly #listedAt = new Map<string, number>();
  /** Outcomes per task, oldest first. */
  readonly #outcomes = new Map<string, OutcomeRecord[]>();
  readonly #seeded = new Set<string>();

  constructor(options: FakeRecallOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#thresholdsOf = options.thresholdsOf ?? (() => defaultRecallThresholds());
    this.#error = options.error ?? defaultError;
  }

  /** Today's task list of a store for `session`, messages in `lang`; `today` is the store's today (YYYY-MM-DD). */
  list(storeId: string, today: string, lang: Locale, session: Session): RecallListView {
    if (!worksIn(session, storeId)) throw this.#error("not_in_store");
    this.#seed(storeId);
    const now = this.#clock();
    const t = this.#thresholdsOf(storeId);
    const items: RecallItem[] = [];
    for (const d of demoOf(storeId)) {
      const facts = factsOf(d, t);
      if (!facts) continue;
      const key = keyOf(storeId, fakeRecallPatientId(storeId, d.n), d.kind);
      const listedAt = this.#listedAt.get(key) ?? now;
      const history = this.#outcomes.get(key) ?? [];
      const last = history[history.length - 1] ?? null;
      const done = history.some((o) => o.outcome !== "unreachable" && o.at >= now - DONE_FOR_DAYS * DAY_MS && o.at <= now);
      const touched = history.some((o) => o.at >= listedAt);
      items.push({
        patientId: fakeRecallPatientId(storeId, d.n),
        kind: d.kind,
        patientName: d.name,
        guardianName: d.guardianName,
        phone: d.phone,
        ageYears: d.ageYears,
        facts,
        message: draftMessage(d.kind, facts, d, lang),
        listedAt: new Date(listedAt).toISOString(),
        overdue: !done && !touched && now - listedAt >= t.task_overdue_after_hours * HOUR_MS,
        status: done ? "done" : "open",
        lastOutcome: last?.outcome ?? null,
        lastOutcomeAt: last ? new Date(last.at).toISOString() : null,
        lastOutcomeBy: last?.by ?? null,
        note: last?.note ?? null,
      });
    }
    items.sort(compareItems);
    const counts: RecallListView["counts"] = {};
    for (const kind of TASK_KINDS) counts[kind] = items.filter((i) => i.kind === kind && i.status === "open").length;
    return { storeId, date: today, thresholds: { ...t }, counts, items };
  }

  /** `recall.record_outcome@1` as `session` (receptionist, optometrist or manager of the store). */
  record(session: Session, args: Commands["recall.record_outcome@1"]): void {
    if (!["receptionist", "optometrist", "manager"].includes(session.role)) throw this.#error("forbidden");
    if (!worksIn(session, args.store_id)) throw this.#error("not_in_store");
    if (!RECALL_OUTCOMES.includes(args.outcome)) throw this.#error("bad_input");
    this.#seed(args.store_id);
    const known = demoOf(args.store_id).some((d) => d.kind === args.kind && fakeRecallPatientId(args.store_id, d.n) === args.patient_id);
    if (!known) throw this.#error("not_found");
    const note = args.note?.trim() ? args.note.trim() : null;
    if (note !== null && [...note].length > MAX_NOTE) throw this.#error("text_too_long");
    const key = keyOf(args.store_id, args.patient_id, args.kind);
    const history = this.#outcomes.get(key) ?? [];
    history.push({ outcome: args.outcome, at: this.#clock(), by: session.name, note });
    this.#outcomes.set(key, history);
  }

  /** The first look at a store: when its tasks were listed, and the outcomes recorded on earlier days. */
  #seed(storeId: string): void {
    if (this.#seeded.has(storeId)) return;
    this.#seeded.add(storeId);
    const now = this.#clock();
    for (const d of demoOf(storeId)) {
      const key = keyOf(storeId, fakeRecallPatientId(storeId, d.n), d.kind);
      this.#listedAt.set(key, now - d.listedHoursAgo * HOUR_MS);
      if (d.history)
        this.#outcomes.set(
          key,
          d.history.map((h) => ({ outcome: h.outcome, at: now - h.daysAgo * DAY_MS, by: h.by, note: h.note })),
        );
    }
  }
}

function keyOf(storeId: string, patientId: string, kind: TaskKind): string {
  return `${storeId}|${patientId}|${kind}`;
}
