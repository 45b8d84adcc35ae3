// Dragging a card to another slot with pointer events (mouse, pen and touch), shared by the day board and
// the week view: when a press becomes a drag, which column and slot it would land on, and what a release does.
// Framework-free; the boards keep the returned state and draw the ghost.

import type { Period } from "../bindings/Period";
import type { Grid } from "./geometry";
import { snapToSlot, type Slot } from "./slots";

/** How far (px) the pointer moves before a press on a card becomes a drag rather than a click. */
export const DRAG_THRESHOLD_PX = 6;

/** States of an appointment that can be moved to another time. */
const MOVABLE_STATES: ReadonlyArray<string> = ["pending", "confirmed"];

export function isMovableState(state: string): boolean {
  return MOVABLE_STATES.includes(state);
}

/** A column cards can be dropped in (a doctor on the day board, a day in the week view) and its slot grid. */
export type DropColumn = { key: string; periods: ReadonlyArray<Period>; slotMinutes: number };

/** Where a dragged card would land: the column and its working slot under the card's top edge. */
export type DropTarget = { key: string; slot: Slot };

/** A column on screen: its key and horizontal extent, and the top of its grid body (client pixels). */
export type ColumnRect = { key: string; left: number; right: number; top: number };

export type PointerPoint = { pointerId: number; clientX: number; clientY: number };

/** A press on a card, and (once past the threshold) where it would land. */
export type Drag<T> = {
  item: T;
  pointerId: number;
  x0: number;
  y0: number;
  /** Distance from the card's top edge to the pointer: the card keeps this offset while dragged. */
  grabY: number;
  moving: boolean;
  target: DropTarget | null;
};

/** A press on a movable card: mouse presses count with the primary button only; touch and pen always. */
export function beginDrag<T>(
  item: T,
  e: PointerPoint & { pointerType: string; button: number },
  cardTop: number,
): Drag<T> | null {
  if (e.pointerType === "mouse" && e.button !== 0) return null;
  return { item, pointerId: e.pointerId, x0: e.clientX, y0: e.clientY, grabY: e.clientY - cardTop, moving: false, target: null };
}

/**
 * The column under `x` and the working slot nearest the dragged card's top edge (`y − grabY`); null outside
 * every column or over off hours.
 */
export function dropTargetAt(
  x: number,
  y: number,
  grabY: number,
  rects: Iterable<ColumnRect>,
  columnOf: (key: string) => DropColumn | undefined,
  grid: Grid,
): DropTarget | null {
  for (const rect of rects) {
    if (x < rect.left || x >= rect.right) continue;
    const column = columnOf(rect.key);
    if (!column) return null;
    const slot = snapToSlot(y - grabY - rect.top, grid, column.periods, column.slotMinutes);
    return slot && { key: column.key, slot };
  }
  return null;
}

/**
 * The pointer moved: the same drag until it passed the threshold, then a moving drag with its current target.
 * Other pointers (a second finger) do not move it.
 */
export function dragTo<T>(drag: Drag<T>, e: PointerPoint, targetAt: (x: number, y: number, grabY: number) => DropTarget | null): Drag<T> {
  if (e.pointerId !== drag.pointerId) return drag;
  if (!drag.moving && Math.hypot(e.clientX - drag.x0, e.clientY - drag.y0) < DRAG_THRESHOLD_PX) return drag;
  return { ...drag, moving: true, target: targetAt(e.clientX, e.clientY, drag.grabY) };
}

/** What a release does: a click (the press never became a drag), nothing, or a move of the card. */
export type DragEnd<T> = { kind: "click" } | { kind: "none" } | { kind: "drop"; item: T; target: DropTarget };

/**
 * The pointer was released: a press that never moved is a click; a drag drops on the target under the pointer
 * (or the last one shown, if the release is outside every column); a drop where the card already is, or on
 * no slot, moves nothing. `at` is where the card is now: its column key and start minute.
 */
export function endDrag<T>(
  drag: Drag<T>,
  e: PointerPoint,
  targetAt: (x: number, y: number, grabY: number) => DropTarget | null,
  at: { key: string; startMin: number },
): DragEnd<T> {
  if (!drag.moving) return { kind: "click" };
  const target = targetAt(e.clientX, e.clientY, drag.grabY) ?? drag.target;
  if (!target || (target.key === at.key && target.slot.startMin === at.startMin)) return { kind: "none" };
  return { kind: "drop", item: drag.item, target };
}

/** The drop columns drawn under `root` (elements with data-testid="doctor-column" and data-column-key). */
export function columnRects(root: ParentNode): ColumnRect[] {
  return [...root.querySelectorAll<HTMLElement>('[data-testid="doctor-column"]')].map((el) => {
    const r = el.getBoundingClientRect();
    return { key: el.dataset.columnKey ?? "", left: r.left, right: r.right, top: r.top };
  });
}
