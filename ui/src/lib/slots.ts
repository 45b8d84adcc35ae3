// The slot grid of a doctor's day: working slots, the empty ones on the board, and snapping a drop to a slot.

import type { Period } from "../bindings/Period";
import type { Grid } from "./geometry";

export type Slot = { startMin: number; endMin: number };

/** States whose appointment no longer holds its slot. */
const RELEASED = ["cancelled", "no_show"];

/** Every slot of a doctor's working periods: each period cut into `slotMinutes` from its start. */
export function workingSlots(periods: ReadonlyArray<Period>, slotMinutes: number): Slot[] {
  if (!(slotMinutes > 0)) return [];
  const slots: Slot[] = [];
  for (const p of [...periods].sort((a, b) => a.startMin - b.startMin)) {
    for (let s = p.startMin; s + slotMinutes <= p.endMin; s += slotMinutes) slots.push({ startMin: s, endMin: s + slotMinutes });
  }
  return slots;
}

/**
 * The working slots no appointment is drawn over (a cancelled card still covers its slot on the board,
 * so it is not offered there; the booking dialog offers it).
 */
export function emptySlots(
  periods: ReadonlyArray<Period>,
  slotMinutes: number,
  appointments: ReadonlyArray<{ startMin: number; endMin: number }>,
): Slot[] {
  return workingSlots(periods, slotMinutes).filter(
    (s) => !appointments.some((a) => a.startMin < s.endMin && s.startMin < a.endMin),
  );
}

/** True when an appointment in `state` holds its slot. */
export function holdsSlot(state: string): boolean {
  return !RELEASED.includes(state);
}

/**
 * The slot a card dropped with its top at `topPx` (from the grid top) lands on: the working slot of the
 * column whose start is nearest, or null when no slot starts within one slot length (off hours).
 */
export function snapToSlot(topPx: number, grid: Grid, periods: ReadonlyArray<Period>, slotMinutes: number): Slot | null {
  const minute = grid.startMin + topPx / grid.pxPerMin;
  let best: Slot | null = null;
  let bestDistance = Infinity;
  for (const slot of workingSlots(periods, slotMinutes)) {
    const distance = Math.abs(slot.startMin - minute);
    if (distance < bestDistance) {
      best = slot;
      bestDistance = distance;
    }
  }
  return best && bestDistance < slotMinutes ? best : null;
}
