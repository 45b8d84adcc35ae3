// Desk keyboard: which key does what, and where arrow keys move the focus on the board grid. Framework-free.

/** A focusable thing on the board: a card or an empty slot, in doctor column `col` at `startMin`. */
export type NavItem = { key: string; col: number; startMin: number };
export type Direction = "up" | "down" | "left" | "right";

export type DeskKey = {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  /** The event comes from a text field, select or other editable element. */
  inField: boolean;
  /** The focus is on a card or an empty slot of the board. */
  onBoardItem: boolean;
};

export type DeskAction =
  | { kind: "move"; direction: Direction }
  | { kind: "activate" }
  | { kind: "new-booking" }
  | { kind: "search-patient" }
  | { kind: "close" }
  | null;

const ARROWS: Record<string, Direction> = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };

/** What a key pressed on the desk does; null: nothing (leave it to the browser). */
export function deskAction(e: DeskKey): DeskAction {
  if (e.key === "Escape") return { kind: "close" };
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.onBoardItem) {
    const direction = ARROWS[e.key];
    if (direction) return { kind: "move", direction };
    if (e.key === "Enter") return { kind: "activate" };
  }
  if (e.inField) return null;
  if (e.key === "n" || e.key === "N") return { kind: "new-booking" };
  if (e.key === "/") return { kind: "search-patient" };
  return null;
}

/**
 * The item the focus moves to from `current`: up/down the previous/next item of the same column (by time),
 * left/right the item of the nearest non-empty column on that side closest in time (the earlier on a tie).
 * null when there is none that way (the focus stays).
 */
export function nextFocus(items: ReadonlyArray<NavItem>, current: string, direction: Direction): string | null {
  const here = items.find((i) => i.key === current);
  if (!here) return items[0]?.key ?? null;
  const order = (a: NavItem, b: NavItem) => a.startMin - b.startMin || items.indexOf(a) - items.indexOf(b);
  if (direction === "up" || direction === "down") {
    const column = items.filter((i) => i.col === here.col).sort(order);
    const at = column.indexOf(here);
    return column[direction === "up" ? at - 1 : at + 1]?.key ?? null;
  }
  const step = direction === "left" ? -1 : 1;
  const cols = [...new Set(items.map((i) => i.col))].filter((c) => (c - here.col) * step > 0).sort((a, b) => (a - b) * step);
  const col = cols[0];
  if (col === undefined) return null;
  const candidates = items.filter((i) => i.col === col).sort(order);
  let best = candidates[0]!;
  for (const c of candidates) if (Math.abs(c.startMin - here.startMin) < Math.abs(best.startMin - here.startMin)) best = c;
  return best.key;
}
