// The pointer handlers of a board whose cards can be dragged to another slot (the day board and the week
// view): wires the DOM events to the rules of lib/cardDrag and keeps the drag for the ghost.

import type { Grid } from "./geometry";
import type { Slot } from "./slots";
import { beginDrag, columnRects, dragTo, dropTargetAt, endDrag, type Drag, type DropColumn, type DropTarget } from "./cardDrag";

export type CardDraggerOptions<T> = {
  /** The element holding the board's columns and cards. */
  root: () => HTMLElement | undefined;
  /** The item of a card element (data-testid="appointment"), when it can be dragged now. */
  movableItem: (card: HTMLElement) => T | undefined;
  /** The slot grid of a drop column, by its data-column-key. */
  column: (key: string) => DropColumn | undefined;
  grid: () => Grid;
  /** Where an item is now: its column key and start minute (a drop there moves nothing). */
  at: (item: T) => { key: string; startMin: number };
  ondrop: (item: T, target: DropTarget) => void;
};

export class CardDragger<T> {
  drag = $state<Drag<T> | null>(null);
  #swallowClick = false;
  readonly #o: CardDraggerOptions<T>;

  constructor(options: CardDraggerOptions<T>) {
    this.#o = options;
  }

  /** Where the dragged card would land in column `key`, for its ghost; null: not over this column. */
  ghost(key: string): Slot | null {
    const d = this.drag;
    return d?.moving && d.target?.key === key ? d.target.slot : null;
  }

  #targetAt = (x: number, y: number, grabY: number): DropTarget | null => {
    const root = this.#o.root();
    return root ? dropTargetAt(x, y, grabY, columnRects(root), this.#o.column, this.#o.grid()) : null;
  };

  pointerdown = (event: PointerEvent): void => {
    if (this.drag) return;
    const card = (event.target as HTMLElement).closest<HTMLElement>('[data-testid="appointment"]');
    const item = card ? this.#o.movableItem(card) : undefined;
    if (!card || item === undefined) return;
    this.drag = beginDrag(item, event, card.getBoundingClientRect().top);
  };

  pointermove = (event: PointerEvent): void => {
    if (!this.drag) return;
    const next = dragTo(this.drag, event, this.#targetAt);
    if (next === this.drag) return;
    event.preventDefault();
    this.drag = next;
  };

  pointerup = (event: PointerEvent): void => {
    const done = this.drag;
    if (!done || event.pointerId !== done.pointerId) return;
    this.drag = null;
    const end = endDrag(done, event, this.#targetAt, this.#o.at(done.item));
    if (end.kind === "click") return;
    // The click that ends a drag does not open the card.
    this.#swallowClick = true;
    setTimeout(() => (this.#swallowClick = false), 0);
    if (end.kind === "drop") this.#o.ondrop(end.item, end.target);
  };

  cancel = (): void => {
    this.drag = null;
  };

  clickcapture = (event: MouseEvent): void => {
    if (!this.#swallowClick) return;
    this.#swallowClick = false;
    event.stopPropagation();
    event.preventDefault();
  };
}
