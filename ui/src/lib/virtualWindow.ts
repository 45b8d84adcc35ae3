// Board virtualisation: which doctor columns and which time rows of the grid are near the scroll viewport,
// and how far to scroll to reveal an item. Pure; the board measures the viewport and renders what this says.

import { MIN_DOCTOR_COL_PX, TIME_COL_PX, type Grid, type Span } from "./geometry";

/** The scroll viewport of the board, in CSS pixels: scroll offsets and the visible size (without scrollbars). */
export type Viewport = { left: number; top: number; width: number; height: number };

/** Half-open index range [first, end) of doctor columns. */
export type ColumnRange = { first: number; end: number };

/** Vertical pixel range [top, bottom) of the grid body (0 = the grid's first minute). */
export type RowRange = { top: number; bottom: number };

/** Columns rendered beyond each edge of the viewport, so a small horizontal scroll shows no gap. */
export const OVERSCAN_COLUMNS = 1;
/**
 * A time row of the board: half an hour. Hour rows drew about a tenth more cards outside the view on every day
 * switch (60 × 40 at 1920 × 1080: 420 against 390); one row beyond each edge still covers a frame of a fast scroll.
 */
export const ROW_MINUTES = 30;
/** Rows rendered beyond the top and the bottom of the viewport. */
export const OVERSCAN_ROWS = 1;
/**
 * A newly shown day is drawn without the overscan rows and columns first, and with them this long after: the
 * first frame then holds only what is seen (on the 60 × 40 board at 1920 × 1080, about 300 cards instead of 360),
 * and a scroll in the meantime draws what it reveals as it would anyway.
 */
export const OVERSCAN_DELAY_MS = 150;
/**
 * A day with at most this many cards draws whole columns (only the columns are windowed): every card of the
 * columns in view stays in the page for find-in-page, screen readers and look-ups by id, at a cost the desk
 * does not feel. Bigger days also window the time rows.
 */
export const ROW_WINDOW_MIN_CARDS = 600;

/**
 * Width of one doctor column: the grid stretches the columns (1fr each) to fill the viewport beside the time
 * column, and never below the minimum width (the grid then scrolls sideways).
 */
export function columnWidth(count: number, viewportWidth: number, timeColPx = TIME_COL_PX, minColPx = MIN_DOCTOR_COL_PX): number {
  if (count <= 0) return minColPx;
  return Math.max(minColPx, (viewportWidth - timeColPx) / count);
}

/**
 * The columns to render: those intersecting the part of the viewport right of the sticky time column, plus
 * `overscan` on each side, clamped to [0, count). Column i spans [timeColPx + i·colWidth, timeColPx + (i+1)·colWidth)
 * in grid coordinates; the viewport shows [left + timeColPx, left + width) beside the sticky time column.
 */
export function visibleColumns(
  count: number,
  view: Pick<Viewport, "left" | "width">,
  colWidth: number,
  overscan = OVERSCAN_COLUMNS,
  timeColPx = TIME_COL_PX,
): ColumnRange {
  if (count <= 0 || !(colWidth > 0)) return { first: 0, end: 0 };
  const from = Math.max(0, view.left); // grid x of the first pixel beside the time column, minus timeColPx
  const to = Math.max(from, view.left + view.width - timeColPx);
  const first = Math.floor(from / colWidth);
  const end = to > from ? Math.ceil(to / colWidth) : first + 1;
  return { first: clamp(first - overscan, 0, count), end: clamp(end + overscan, 0, count) };
}

/**
 * The body rows to render, as a pixel range of the grid body: the half-hour rows (from the grid's first minute)
 * intersecting the viewport below the sticky doctor headers (`headerPx` tall; the body's pixel y shows at
 * viewport y + headerPx − top), plus `overscan` rows above and below, clamped to the grid. null: every row (the day is small enough, see
 * {@link ROW_WINDOW_MIN_CARDS}).
 */
export function visibleRows(
  grid: Grid,
  view: Pick<Viewport, "top" | "height">,
  cardCount: number,
  headerPx = 0,
  overscan = OVERSCAN_ROWS,
  rowMinutes = ROW_MINUTES,
): RowRange | null {
  if (cardCount <= ROW_WINDOW_MIN_CARDS) return null;
  const total = (grid.endMin - grid.startMin) * grid.pxPerMin;
  const rowPx = rowMinutes * grid.pxPerMin;
  const from = Math.max(0, view.top);
  const to = Math.max(from, view.top + view.height - headerPx);
  const first = Math.floor(from / rowPx) - overscan;
  const end = Math.ceil(to / rowPx) + overscan;
  return { top: clamp(first * rowPx, 0, total), bottom: clamp(Math.max(end, first + 1) * rowPx, 0, total) };
}

/** True when a vertical span of the body intersects the rendered rows (null rows: all are rendered). */
export function inRows(span: Span, rows: RowRange | null): boolean {
  return rows === null || (span.top < rows.bottom && span.top + span.height > rows.top);
}

/** True when two ranges hold the same columns (keeps the board from re-rendering on a scroll inside a column). */
export function sameColumns(a: ColumnRange, b: ColumnRange): boolean {
  return a.first === b.first && a.end === b.end;
}

/** True when two row ranges are the same. */
export function sameRows(a: RowRange | null, b: RowRange | null): boolean {
  return a === b || (a !== null && b !== null && a.top === b.top && a.bottom === b.bottom);
}

/**
 * The scroll offsets that bring an item (a box in grid coordinates: `x` from the grid's left edge, `y` from the
 * grid body's top) fully into view past the sticky time column (`timeColPx`) and doctor headers (`headerPx`),
 * moving as little as possible; an item larger than the visible area is aligned to its top/left edge.
 */
export function revealScroll(
  item: { x: number; y: number; width: number; height: number },
  view: Viewport,
  headerPx: number,
  timeColPx = TIME_COL_PX,
): { left: number; top: number } {
  const axis = (offset: number, visible: number, start: number, size: number) => {
    if (start < offset || size > visible) return Math.max(0, start);
    if (start + size > offset + visible) return Math.max(0, start + size - visible);
    return offset;
  };
  return {
    left: axis(view.left, view.width - timeColPx, item.x - timeColPx, item.width),
    top: axis(view.top, view.height - headerPx, item.y, item.height),
  };
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}
