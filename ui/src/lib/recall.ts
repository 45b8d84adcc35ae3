// The daily recall task list for display (DOMAIN.md §8): order and grouping, filter by kind, counts per
// kind, each task's facts line in the chosen language, and parsing of the thresholds editor's fields.
// Framework-free: the Svelte screens and the fake backend both use it.

import type { RecallItem } from "../bindings/RecallItem";
import type { RecallListView } from "../bindings/RecallListView";
import type { RecallOutcome } from "../bindings/RecallOutcome";
import type { RecallThresholds } from "../bindings/RecallThresholds";
import type { TaskFacts } from "../bindings/TaskFacts";
import type { TaskKind } from "../bindings/TaskKind";
import type { Locale } from "./i18n";
import { translate } from "./i18n";
import type { RecallMessageKey } from "./i18nRecall";

/** The kinds in the order the list shows them (Rust `TaskKind::ALL`). */
export const TASK_KINDS: ReadonlyArray<TaskKind> = ["lens_replacement", "recheck_overdue", "ortho_k_candidate", "referral_candidate"];

/** The outcomes the desk records, in the order the buttons show them. */
export const RECALL_OUTCOMES: ReadonlyArray<RecallOutcome> = ["contacted", "booked", "declined", "unreachable"];

/** DOMAIN.md §8's defaults, as the Rust `impl Default for RecallThresholds`. */
export function defaultRecallThresholds(): RecallThresholds {
  return {
    ortho_k_min_frames_months: 6,
    ortho_k_long_window_months: 6,
    ortho_k_long_window_cd: 50,
    ortho_k_short_window_months: 3,
    ortho_k_short_window_cd: 25,
    window_tolerance_days: 30,
    lens_replacement_days: 550,
    recheck_grace_days: 14,
    referral_min_age_years: 18,
    referral_stable_window_months: 12,
    referral_max_change_cd: 50,
    myopia_min_cd: 50,
    min_corneal_thickness_um: 480,
    task_overdue_after_hours: 24,
  };
}

export type ThresholdField = keyof RecallThresholds;

/** Every thresholds field, in the editor's order. */
export const THRESHOLD_FIELDS: ReadonlyArray<ThresholdField> = Object.keys(defaultRecallThresholds()) as ThresholdField[];

const kindRank = (kind: TaskKind) => {
  const i = TASK_KINDS.indexOf(kind);
  return i < 0 ? TASK_KINDS.length : i;
};

/** Plain Unicode order, as the Rust side sorts names (not pinyin). */
const cmpText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Display order: open tasks before done ones; among open ones, overdue first; then by kind
 * (TaskKind order), patient name, patient id.
 */
export function compareItems(a: RecallItem, b: RecallItem): number {
  const open = (i: RecallItem) => (i.status === "open" ? 0 : 1);
  const late = (i: RecallItem) => (i.status === "open" && i.overdue ? 0 : 1);
  return (
    open(a) - open(b) ||
    late(a) - late(b) ||
    kindRank(a.kind) - kindRank(b.kind) ||
    cmpText(a.patientName, b.patientName) ||
    cmpText(a.patientId, b.patientId)
  );
}

/** The items of one kind; `kind` null: all of them. The order is kept. */
export function filterByKind(items: ReadonlyArray<RecallItem>, kind: TaskKind | null): RecallItem[] {
  return kind === null ? [...items] : items.filter((i) => i.kind === kind);
}

/** The list as the screen shows it: open tasks (overdue first) and done ones, each in display order. */
export function groupItems(items: ReadonlyArray<RecallItem>, kind: TaskKind | null = null): { open: RecallItem[]; done: RecallItem[] } {
  const sorted = filterByKind(items, kind).sort(compareItems);
  return { open: sorted.filter((i) => i.status === "open"), done: sorted.filter((i) => i.status !== "open") };
}

export type KindCount = { kind: TaskKind; count: number };

/**
 * The chips: open tasks per kind, every kind listed (zero included), in TaskKind order. The backend's
 * `counts` are used where given; a kind it leaves out is counted from the open items.
 */
export function kindCounts(view: Pick<RecallListView, "counts" | "items">): KindCount[] {
  return TASK_KINDS.map((kind) => ({
    kind,
    count: view.counts[kind] ?? view.items.filter((i) => i.kind === kind && i.status === "open").length,
  }));
}

/** Open tasks in all. */
export function openCount(view: Pick<RecallListView, "counts" | "items">): number {
  return kindCounts(view).reduce((sum, c) => sum + c.count, 0);
}

/** "0.75": a magnitude in dioptres from 度 (0.01 D). */
export function dioptres(cd: number): string {
  return (Math.abs(cd) / 100).toFixed(2);
}

/**
 * The facts line of a task, e.g. "复查超期 21 天 · 距上次检查 7 个月 · 右眼近视增加 0.75 D": first the
 * kind's own fact (lens age, days overdue, qualifying progression), then months since the last check and
 * the change at the last exam. Facts the backend left out (null) are left out.
 */
export function factsLine(facts: TaskFacts, locale: Locale): string {
  const t = (key: RecallMessageKey, params?: Record<string, string | number>) => translate(locale, key, params);
  const eye = (e: "od" | "os" | null) => (e === null ? "" : t(e === "od" ? "recall.eye.od" : "recall.eye.os"));
  const parts: string[] = [];
  if (facts.lens_age_days !== null) parts.push(t("recall.facts.lensAge", { n: facts.lens_age_days }));
  if (facts.days_overdue !== null) parts.push(t("recall.facts.daysOverdue", { n: facts.days_overdue }));
  if (facts.progression !== null) {
    const p = facts.progression;
    parts.push(t("recall.facts.progression", { eye: eye(p.eye), months: p.window_months, d: dioptres(p.myopic_cd) }));
  }
  const m = facts.months_since_last_check;
  if (m !== null) parts.push(m === 0 ? t("recall.facts.underMonth") : m === 1 ? t("recall.facts.oneMonth") : t("recall.facts.monthsSince", { n: m }));
  const c = facts.change_since_last_exam_cd;
  if (c !== null) {
    parts.push(c < 0 ? t("recall.facts.change", { eye: eye(facts.change_eye), d: dioptres(c) }) : t("recall.facts.noChange"));
  }
  const line = parts.join(t("recall.facts.sep"));
  return line.charAt(0).toUpperCase() + line.slice(1);
}

export type ThresholdProblem = "empty" | "notInteger" | "negative" | "tooLarge";

/** Larger than any sane threshold and well inside u32 / i32. */
export const THRESHOLD_MAX = 100_000;

/** A thresholds field as typed: a whole number from 0, or what is wrong with it. */
export function parseThreshold(raw: string): { ok: true; value: number } | { ok: false; problem: ThresholdProblem } {
  const text = raw.trim();
  if (text === "") return { ok: false, problem: "empty" };
  if (/^-\s*\d+(\.\d*)?$/.test(text)) return { ok: false, problem: "negative" };
  if (!/^\d+$/.test(text)) return { ok: false, problem: "notInteger" };
  const value = Number(text);
  if (value > THRESHOLD_MAX) return { ok: false, problem: "tooLarge" };
  return { ok: true, value };
}

/**
 * The thresholds field a backend refusal names (`field` "recall.lens_replacement_days" or
 * "lens_replacement_days"), or null.
 */
export function thresholdFieldOf(field: string | undefined | null): ThresholdField | null {
  if (!field) return null;
  const name = field.startsWith("recall.") ? field.slice("recall.".length) : field;
  return (THRESHOLD_FIELDS as ReadonlyArray<string>).includes(name) ? (name as ThresholdField) : null;
}

/**
 * Puts `text` on the clipboard: the async Clipboard API where there is one (the Tauri webview, a secure
 * page), else the old hidden-textarea `execCommand("copy")`. False when both fail.
 */
export async function copyText(text: string, doc: Document = document, nav: Navigator | undefined = globalThis.navigator): Promise<boolean> {
  try {
    if (nav?.clipboard?.writeText) {
      await nav.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Denied (no focus, no permission): try the fallback.
  }
  try {
    const area = doc.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    doc.body.appendChild(area);
    area.select();
    const ok = typeof doc.execCommand === "function" && doc.execCommand("copy");
    area.remove();
    return ok;
  } catch {
    return false;
  }
}
