// Board geometry: minutes since local midnight ↔ pixels on the vertical time axis, and column widths.

import type { Period } from "../bindings/Period";

/** The vertical time axis of one board: the minutes it shows and its scale. */
export type Grid = { startMin: number; endMin: number; pxPerMin: number };

/** A vertical span in pixels from the top of the grid body. */
export type Span = { top: number; height: number };

export const PX_PER_MIN = 2;
/** Smallest card height: keeps a 10-minute appointment a usable touch target. */
export const MIN_CARD_PX = 44;
export const TIME_COL_PX = 64;
export const MIN_DOCTOR_COL_PX = 140;

export function makeGrid(startMin: number, endMin: number, pxPerMin = PX_PER_MIN): Grid {
  if (!(endMin > startMin)) throw new RangeError(`empty grid: ${startMin}..${endMin}`);
  if (!(pxPerMin > 0)) throw new RangeError(`pxPerMin must be positive: ${pxPerMin}`);
  return { startMin, endMin, pxPerMin };
}

/**
 * The scale of a board: PX_PER_MIN, or more when needed for the shortest slot of the day to be as
 * tall as a touch target, so back-to-back short appointments do not have to share a row.
 * Rounded up to quarter pixels to keep hour lines on crisp positions.
 */
export function pxPerMinFor(slotMinutes: ReadonlyArray<number>, minHeightPx = MIN_CARD_PX): number {
  const shortest = Math.min(...slotMinutes.filter((m) => m > 0));
  if (!Number.isFinite(shortest)) return PX_PER_MIN;
  return Math.max(PX_PER_MIN, Math.ceil((minHeightPx / shortest) * 4) / 4);
}

/**
 * The grid of a board: the store's day bounds, widened to whole hours around any appointment that
 * falls outside them, so that no appointment is ever cut off the board.
 */
export function boardGrid(
  dayStartMin: number,
  dayEndMin: number,
  appointments: ReadonlyArray<{ startMin: number; endMin: number }>,
  pxPerMin: number,
): Grid {
  let start = dayStartMin;
  let end = dayEndMin;
  for (const a of appointments) {
    if (a.startMin < start) start = Math.max(0, Math.floor(a.startMin / 60) * 60);
    if (a.endMin > end) end = Math.min(24 * 60, Math.ceil(a.endMin / 60) * 60);
  }
  return makeGrid(start, end, pxPerMin);
}

export function gridHeight(grid: Grid): number {
  return (grid.endMin - grid.startMin) * grid.pxPerMin;
}

/** Pixel offset of a minute from the grid top; not clamped. */
export function minToPx(min: number, grid: Grid): number {
  return (min - grid.startMin) * grid.pxPerMin;
}

/** The minute at a pixel offset, rounded to a multiple of `step` minutes and kept inside the grid. */
export function pxToMin(px: number, grid: Grid, step = 1): number {
  const raw = grid.startMin + px / grid.pxPerMin;
  const snapped = Math.round(raw / step) * step;
  return Math.min(grid.endMin, Math.max(grid.startMin, snapped));
}

/** Minutes a card needs so that its height reaches `minHeightPx`. */
export function minCardMinutes(grid: Grid, minHeightPx = MIN_CARD_PX): number {
  return minHeightPx / grid.pxPerMin;
}

/** The height of a card lasting `minutes`: to scale, and at least `minHeightPx` (a touch target). */
export function cardHeight(minutes: number, grid: Grid, minHeightPx = MIN_CARD_PX): number {
  return Math.max(minutes * grid.pxPerMin, minHeightPx);
}

/**
 * Where a card for [startMin, endMin) goes: clipped to the grid, at least `minHeightPx` tall,
 * and moved up rather than overflowing the grid bottom. null when it lies wholly outside the grid.
 */
export function cardBox(startMin: number, endMin: number, grid: Grid, minHeightPx = MIN_CARD_PX): Span | null {
  const s = Math.max(startMin, grid.startMin);
  const e = Math.min(endMin, grid.endMin);
  if (e <= s) return null;
  const total = gridHeight(grid);
  const height = Math.min(total, cardHeight(e - s, grid, minHeightPx));
  const top = Math.min(minToPx(s, grid), total - height);
  return { top, height };
}

/** Top of the now-line, or null when now is outside the grid. */
export function nowLineTop(nowMin: number, grid: Grid): number | null {
  if (nowMin < grid.startMin || nowMin > grid.endMin) return null;
  return minToPx(nowMin, grid);
}

/** Every full hour inside the grid, inclusive of both edges. */
export function hourTicks(grid: Grid): Array<{ min: number; top: number }> {
  const ticks = [];
  for (let min = Math.ceil(grid.startMin / 60) * 60; min <= grid.endMin; min += 60) {
    ticks.push({ min, top: minToPx(min, grid) });
  }
  return ticks;
}

/** The non-working spans of a column: the grid minus the union of the working periods. */
export function offHours(periods: ReadonlyArray<Period>, grid: Grid): Span[] {
  const sorted = [...periods].sort((a, b) => a.startMin - b.startMin);
  const spans: Span[] = [];
  let cursor = grid.startMin;
  const pushGap = (until: number) => {
    const end = Math.min(until, grid.endMin);
    if (end > cursor) spans.push({ top: minToPx(cursor, grid), height: (end - cursor) * grid.pxPerMin });
  };
  for (const p of sorted) {
    pushGap(p.startMin);
    cursor = Math.max(cursor, Math.min(p.endMin, grid.endMin));
  }
  pushGap(grid.endMin);
  return spans;
}

/** Width the grid needs so every doctor column keeps its minimum width; wider screens stretch the columns. */
export function gridMinWidth(doctorCount: number): number {
  return TIME_COL_PX + doctorCount * MIN_DOCTOR_COL_PX;
}
