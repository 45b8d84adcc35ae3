// The store-settings form: validation and where a backend error belongs. Pure.

import type { CancellationPolicy } from "../bindings/CancellationPolicy";
import type { VisitTypeMode } from "../bindings/VisitTypeMode";

export const POLICIES: ReadonlyArray<CancellationPolicy> = ["not_allowed", "request_only", "direct_before_check_in"];
export const VISIT_TYPE_MODES: ReadonlyArray<VisitTypeMode> = ["auto_by_rules", "patient_chooses"];
export const MIN_CAPACITY = 1;
export const MAX_CAPACITY = 10;

/** The capacity typed in the field as a number, or null when it is not a whole number from 1 to 10. */
export function parseCapacity(text: string | number): number | null {
  const s = String(text).trim();
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= MIN_CAPACITY && n <= MAX_CAPACITY ? n : null;
}

/** Which field of the form a backend error code belongs to; null: shown next to 保存. */
export function settingsFieldOf(code: string): "capacity" | "visitType" | null {
  if (code === "invalid_setting") return "capacity";
  if (code === "invalid_visit_type") return "visitType";
  return null;
}
