// The sync UI's rules that need no framework: the indicator's model from a SyncView and "now", how long ago,
// the clock-skew warning, the conflict inbox's order and fix buttons, the booking-dialog prefill of a rejected
// booking, and the status chip of an outbox line. Texts are catalogue keys with their parameters.

import type { ConflictItem } from "../bindings/ConflictItem";
import type { Session } from "../bindings/Session";
import type { SyncLine } from "../bindings/SyncLine";
import type { SyncPhase } from "../bindings/SyncPhase";
import type { SyncProgress } from "../bindings/SyncProgress";
import type { SyncView } from "../bindings/SyncView";
import type { CommandName } from "./backend";
import { wallClock } from "./format";
import type { MessageKey } from "./i18n";
import { can, type Permission } from "./permissions";

/** A text to show: a catalogue key, its parameters, and parameters that are texts themselves ("上次同步：{ago}"). */
export type Msg = { key: MessageKey; params?: Record<string, string | number>; nested?: Record<string, Msg> };

/** Translates a message with `t`, its nested parameters first. */
export function resolveMsg(t: (key: MessageKey, params?: Record<string, string | number>) => string, msg: Msg): string {
  const params: Record<string, string | number> = { ...msg.params };
  for (const [name, inner] of Object.entries(msg.nested ?? {})) params[name] = resolveMsg(t, inner);
  return t(msg.key, params);
}

/** A desk clock further off the server's than this (either way) is warned about, never blocking. */
export const CLOCK_SKEW_LIMIT_SECS = 120;

/** The sync panel's tabs; "server" is offered to managers only. */
export type SyncTab = "conflicts" | "details" | "server";

/** How the indicator is coloured. */
export type Tone = "ok" | "busy" | "warn" | "error" | "idle";

const TONES: Record<SyncPhase, Tone> = {
  local_only: "idle",
  online: "ok",
  offline: "warn",
  syncing: "busy",
  halted: "error",
};

export type ProgressModel = {
  phase: SyncProgress["phase"];
  /** 0–100; null: indeterminate (the total is not known yet). */
  percent: number | null;
  label: Msg;
};

export type ClockSkew = { direction: "ahead" | "behind"; amount: Msg; text: Msg };

export type IndicatorModel = {
  phase: SyncPhase;
  tone: Tone;
  label: Msg;
  pending: number;
  /** "3 条待同步"; null when nothing waits. */
  pendingText: Msg | null;
  lastSync: Msg;
  progress: ProgressModel | null;
  conflicts: number;
  attention: number;
  clock: ClockSkew | null;
  /** Everything worth saying, in order, for the tooltip and the screen reader. */
  summary: Msg[];
};

/** The header indicator's model of a SyncView at `now`. */
export function indicatorModel(view: SyncView, now: Date): IndicatorModel {
  const pendingText: Msg | null = view.pending > 0 ? { key: "syncui.pending", params: { n: view.pending } } : null;
  const lastSync: Msg = view.lastSyncAt
    ? { key: "syncui.lastSync", nested: { ago: ago(view.lastSyncAt, now) } }
    : { key: "syncui.never" };
  const progress = view.state === "syncing" && view.progress ? progressModel(view.progress) : null;
  const clock = clockSkew(view.clockSkewSecs);
  const label: Msg = { key: `syncui.phase.${view.state}` };
  const summary: Msg[] = [label];
  if (progress) summary.push(progress.label);
  summary.push(pendingText ?? { key: "syncui.allSynced" });
  if (view.serverUrl !== null) summary.push(lastSync);
  if (view.openConflicts > 0) summary.push({ key: "syncui.conflicts", params: { n: view.openConflicts } });
  if (view.attention > 0) summary.push({ key: "syncui.attention", params: { n: view.attention } });
  if (clock) summary.push(clock.text);
  return {
    phase: view.state,
    tone: TONES[view.state],
    label,
    pending: view.pending,
    pendingText,
    lastSync,
    progress,
    conflicts: view.openConflicts,
    attention: view.attention,
    clock,
    summary,
  };
}

/** How long ago `iso` was at `now`: 刚刚 (under a minute, or in the future), minutes, hours, then days. */
export function ago(iso: string, now: Date): Msg {
  const seconds = (now.getTime() - Date.parse(iso)) / 1000;
  if (!Number.isFinite(seconds) || seconds < 60) return { key: "syncui.ago.now" };
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return minutes === 1 ? { key: "syncui.ago.minute" } : { key: "syncui.ago.minutes", params: { n: minutes } };
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return hours === 1 ? { key: "syncui.ago.hour" } : { key: "syncui.ago.hours", params: { n: hours } };
  const days = Math.floor(hours / 24);
  return days === 1 ? { key: "syncui.ago.day" } : { key: "syncui.ago.days", params: { n: days } };
}

/** A long sync's progress: percent of a known total, or indeterminate. */
export function progressModel(progress: SyncProgress): ProgressModel {
  const phase: Msg = { key: `syncui.progress.${progress.phase}` };
  const { done, total } = progress;
  if (total === null || total <= 0) {
    return { phase: progress.phase, percent: null, label: { key: "syncui.progress.open", params: { done }, nested: { phase } } };
  }
  const percent = Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
  return {
    phase: progress.phase,
    percent,
    label: { key: "syncui.progress.counted", params: { done, total, percent }, nested: { phase } },
  };
}

/**
 * The warning for a desk clock more than {@link CLOCK_SKEW_LIMIT_SECS} off the server's (`skewSecs` = desk − server),
 * or null (within the limit, or not known). The amount is in whole minutes below 2 hours, then hours, then days.
 */
export function clockSkew(skewSecs: number | null): ClockSkew | null {
  if (skewSecs === null || !Number.isFinite(skewSecs) || Math.abs(skewSecs) <= CLOCK_SKEW_LIMIT_SECS) return null;
  const direction = skewSecs > 0 ? "ahead" : "behind";
  const minutes = Math.round(Math.abs(skewSecs) / 60);
  const amount: Msg =
    minutes < 120
      ? { key: "syncui.duration.minutes", params: { n: minutes } }
      : minutes < 48 * 60
        ? { key: "syncui.duration.hours", params: { n: Math.round(minutes / 60) } }
        : { key: "syncui.duration.days", params: { n: Math.round(minutes / (24 * 60)) } };
  const text: Msg = { key: direction === "ahead" ? "syncui.clock.ahead" : "syncui.clock.behind", nested: { amount } };
  return { direction, amount, text };
}

/** What changed between two states the desk saw: a new conflict arrived, a sync brought changes in. */
export function syncChanges(prev: SyncView | null, next: SyncView): { newConflict: boolean; synced: boolean } {
  if (prev === null) return { newConflict: false, synced: false };
  return {
    newConflict: next.openConflicts > prev.openConflicts,
    synced: next.lastSyncAt !== null && next.lastSyncAt !== prev.lastSyncAt,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Conflicts

/** The store's conflicts: open ones first, then resolved ones; newest (by rejection) first within each. */
export function groupConflicts(items: ReadonlyArray<ConflictItem>): { open: ConflictItem[]; resolved: ConflictItem[] } {
  const newestFirst = (a: ConflictItem, b: ConflictItem) =>
    b.rejectedAt.localeCompare(a.rejectedAt) || b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);
  return {
    open: items.filter((c) => c.resolved === null).sort(newestFirst),
    resolved: items.filter((c) => c.resolved !== null).sort(newestFirst),
  };
}

export const FIXES = ["next_free_slot", "other_doctor", "call_patient", "reinstate", "hand_back_cash", "transfer_refund", "dismiss"] as const;
export type Fix = (typeof FIXES)[number];

/**
 * How each fix is done: book again in the booking dialog, call the patient, or confirm and record. `resolvedAs`
 * is what `resolveConflict` records (a rebooking records "rebooked:<new appointment id>").
 */
export const FIX_WAYS: Record<Fix, { way: "rebook" | "call" | "confirm"; permission: Permission; resolvedAs: string }> = {
  next_free_slot: { way: "rebook", permission: "book_appointment", resolvedAs: "rebooked" },
  other_doctor: { way: "rebook", permission: "book_appointment", resolvedAs: "rebooked" },
  call_patient: { way: "call", permission: "book_appointment", resolvedAs: "called" },
  reinstate: { way: "rebook", permission: "book_appointment", resolvedAs: "reinstated" },
  hand_back_cash: { way: "confirm", permission: "refund_fee", resolvedAs: "cash_handed_back" },
  transfer_refund: { way: "confirm", permission: "refund_fee", resolvedAs: "refund_transferred" },
  dismiss: { way: "confirm", permission: "book_appointment", resolvedAs: "dismissed" },
};

function isFix(fix: string): fix is Fix {
  return (FIXES as ReadonlyArray<string>).includes(fix);
}

/**
 * The fix buttons a conflict shows, in the backend's order: only open conflicts, only fixes the UI knows, only
 * those the session may do (the fix's permission, or `resolve_conflicts`), and only when they can work (a rebooking
 * needs the original booking, a call needs a phone number).
 */
export function fixButtons(item: ConflictItem, session: Session | null): Fix[] {
  if (item.resolved !== null) return [];
  const seen = new Set<Fix>();
  for (const fix of item.fixes) {
    if (!isFix(fix) || seen.has(fix)) continue;
    const { way, permission } = FIX_WAYS[fix];
    if (!can(session, permission) && !can(session, "resolve_conflicts")) continue;
    if (way === "rebook" && item.booking === null) continue;
    if (way === "call" && !phoneOf(item)) continue;
    seen.add(fix);
  }
  return [...seen];
}

/** The patient's phone to call about a conflict: ours, else none. */
export function phoneOf(item: ConflictItem): string | null {
  const phone = item.ours?.patientPhone?.trim();
  return phone ? phone : null;
}

/** The `how` recorded for a rebooking (or a reinstatement: the same slot booked again). */
export function rebookedHow(appointmentId: string, fix: "next_free_slot" | "other_doctor" | "reinstate" = "next_free_slot"): string {
  return `${fix === "reinstate" ? "reinstated" : "rebooked"}:${appointmentId}`;
}

/** A resolution's `how` in words. */
export function resolvedLabel(how: string): Msg {
  const kind = how.split(":", 1)[0] ?? how;
  switch (kind) {
    case "rebooked":
    case "called":
    case "dismissed":
    case "reinstated":
    case "cash_handed_back":
    case "refund_transferred":
      return { key: `conflict.how.${kind}` };
    default:
      return { key: "conflict.how.other", params: { how } };
  }
}

/** What the booking dialog starts from when a rejected booking is booked again: nothing typed is lost. */
export type BookingPrefill = {
  patient: { id: string; name: string; phone: string | null };
  complaintId: string | null;
  departmentId: string;
  /** next_free_slot: the same doctor; other_doctor: null (any doctor of the department). */
  doctorId: string | null;
  /** other_doctor: the doctor whose slot was taken, left out of the choice. */
  otherThanDoctorId: string | null;
  /** The store's calendar date of the original start (YYYY-MM-DD). */
  date: string;
  /** The first slot at or after this minute of `date` is chosen (on later days, the first slot). */
  fromMin: number;
  /** next_free_slot looks this many days ahead for the doctor's next free slot. */
  searchDays: number;
  visitType: string | null;
  /** The fee as the dialog's yuan field shows it. */
  feeText: string;
  payWith: "" | "cash" | "card";
};

/** How far next_free_slot looks ahead for the same doctor. */
export const NEXT_FREE_SLOT_DAYS = 14;

/**
 * The booking dialog's prefill for a rebooking fix, or null when the conflict carries no booking. `reinstate` books
 * the same doctor at the same time again (or that day's next free slot of the doctor).
 */
export function bookingPrefill(
  item: ConflictItem,
  fix: "next_free_slot" | "other_doctor" | "reinstate",
  timeZone: string,
): BookingPrefill | null {
  const b = item.booking;
  if (!b) return null;
  const start = new Date(b.start);
  if (Number.isNaN(start.getTime())) return null;
  const wall = wallClock(start, timeZone);
  const sameDoctor = fix !== "other_doctor";
  return {
    patient: { id: b.patientId, name: item.ours?.patientName ?? "", phone: item.ours?.patientPhone ?? null },
    complaintId: b.complaintId,
    departmentId: b.departmentId,
    doctorId: sameDoctor ? b.doctorId : null,
    otherThanDoctorId: sameDoctor ? null : b.doctorId,
    date: wall.date,
    fromMin: wall.minutes,
    searchDays: fix === "next_free_slot" ? NEXT_FREE_SLOT_DAYS : 0,
    visitType: b.visitType,
    feeText: b.fee ? yuanText(b.fee.amount) : "0",
    payWith: b.fee?.paidWith ?? "",
  };
}

/** Integer fen as the yuan the fee field takes: 2500 → "25", 1250 → "12.50". */
export function yuanText(fen: number): string {
  const whole = Math.floor(fen / 100);
  const cents = fen % 100;
  return cents === 0 ? String(whole) : `${whole}.${String(cents).padStart(2, "0")}`;
}

/** The first slot starting at or after `fromMin`, or null. */
export function firstSlotFrom<S extends { startMin: number }>(slots: ReadonlyArray<S>, fromMin: number): S | null {
  return slots.find((s) => s.startMin >= fromMin) ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// Sync details

/** Each command's name in words; a command the UI does not know is shown as "其他操作（name）". */
const COMMAND_KEYS = {
  "appointment.confirm@1": "command.appointment.confirm",
  "appointment.check_in@1": "command.appointment.check_in",
  "appointment.complete@1": "command.appointment.complete",
  "appointment.no_show@1": "command.appointment.no_show",
  "appointment.undo_check_in@1": "command.appointment.undo_check_in",
  "appointment.cancel@1": "command.appointment.cancel",
  "appointment.reschedule@1": "command.appointment.reschedule",
  "fee.charge@1": "command.fee.charge",
  "fee.refund_cash@1": "command.fee.refund_cash",
  "fee.request_refund@1": "command.fee.request_refund",
  "fee.refund_manual@1": "command.fee.refund_manual",
  "cancel_request.approve@1": "command.cancel_request.approve",
  "cancel_request.reject@1": "command.cancel_request.reject",
  "patient.create@1": "command.patient.create",
  "booking.create@1": "command.booking.create",
  "store.set_doctor_order@1": "command.store.set_doctor_order",
  "store.set_doctor_hidden@1": "command.store.set_doctor_hidden",
  "store.update_settings@1": "command.store.update_settings",
  "eye_exam.record@1": "command.eye_exam.record",
  "eye_exam.amend@1": "command.eye_exam.amend",
  "recall.record_outcome@1": "command.recall.record_outcome",
} as const satisfies Record<CommandName, MessageKey>;

export function commandLabel(name: string): Msg {
  const key = (COMMAND_KEYS as Record<string, MessageKey>)[name];
  return key ? { key } : { key: "command.other", params: { name } };
}

export type ChipTone = "pending" | "ok" | "warn" | "error" | "unknown";

/** The status chip of an outbox line. */
export function lineChip(line: SyncLine): { tone: ChipTone; label: Msg } {
  const tone: Record<SyncLine["status"], ChipTone> = {
    pending: "pending",
    applied: "ok",
    applied_with_warning: "warn",
    rejected: "error",
    unknown: "unknown",
  };
  return { tone: tone[line.status], label: { key: `details.status.${line.status}` } };
}

/** The warning of a rejection predicted for a pending line, or null. */
export function predictedText(line: SyncLine): Msg | null {
  if (line.predicted === null || line.status !== "pending") return null;
  return line.predicted === "slot_conflict"
    ? { key: "details.predicted.slot_conflict" }
    : { key: "details.predicted.other", params: { code: line.predicted } };
}

// ---------------------------------------------------------------------------------------------------------------
// Server connection

export type ServerField = "url" | "login" | "password" | "form";

/** The server form's field an error belongs next to: the backend's `field` when it names one, else by code. */
export function serverErrorField(error: { code: string; field?: string }): ServerField {
  if (error.field === "url" || error.field === "login" || error.field === "password") return error.field;
  switch (error.code) {
    case "bad_server_url":
    case "server_unreachable":
      return "url";
    case "sign_in_failed":
      return "password";
    default:
      return "form";
  }
}
