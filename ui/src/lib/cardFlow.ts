// A doctor column's cards in normal flow, not absolutely positioned: each absolutely positioned card is a
// layer of its own that the page must order and paint on its own, which took WebKit about 25 ms more to paint
// a day of 360 cards (60 × 40 board at 1920 × 1080) than the same cards in flow. Each card keeps its box: a top
// margin for the gap above it and its height. Overlapping cards (a cluster, see lib/layout) share a row split
// into equal lanes, each lane a flow of its own. Pure.

import type { Span } from "./geometry";
import type { Placement } from "./layout";

/** A card as the column places it: its box from the grid top and its lane among overlapping cards. */
export type Placed = { box: Span; place: Placement };

/**
 * One card in the flow: `style` gives its gap above (margin) and its height, each only when it differs from the
 * usual (no gap, the column's usual card height); undefined when neither does. A card without an inline style can
 * share its computed style with the cards beside it, which WebKit cannot do for a card with one.
 */
export type FlowCard<T> = { item: T; style: string | undefined };

/** What a column draws, in order from the top: lone cards, and clusters of overlapping cards in lanes. */
export type FlowEntry<T> =
  | { kind: "card"; card: FlowCard<T> }
  | { kind: "cluster"; style: string | undefined; lanes: FlowCard<T>[][]; first: T };

/** Below half a pixel, a gap is rounding (boxes are in quarter pixels at most). */
const EPS = 0.5;

function px(n: number): string {
  return `${Math.round(n * 100) / 100}px`;
}

function boxStyle(gap: number, height: number, usualHeight: number): string | undefined {
  const parts: string[] = [];
  if (Math.abs(gap) >= 0.005) parts.push(`margin-top:${px(gap)}`);
  if (Math.abs(height - usualHeight) >= 0.005) parts.push(`height:${px(height)}`);
  return parts.length ? parts.join(";") : undefined;
}

/**
 * The flow of a column's cards: sorted by top, cards whose boxes overlap (directly or through a chain) form a
 * cluster with as many lanes as their placements say; every other card stands alone. Each entry's and each
 * lane card's margin is the gap from the bottom of what is above it, so every card ends up exactly at its box.
 * `usualHeight` is the height the column's style gives a card (the doctor's slot): a card of that height has none
 * of its own.
 */
export function cardFlow<T extends Placed>(items: ReadonlyArray<T>, usualHeight: number): FlowEntry<T>[] {
  const sorted = [...items].sort((a, b) => a.box.top - b.box.top || a.place.lane - b.place.lane);
  const out: FlowEntry<T>[] = [];
  let cursor = 0;
  let group: T[] = [];
  let bottom = -Infinity;
  const close = () => {
    const [first] = group;
    if (!first) return;
    const top = first.box.top;
    if (group.length === 1) {
      out.push({ kind: "card", card: { item: first, style: boxStyle(top - cursor, first.box.height, usualHeight) } });
    } else {
      const count = Math.max(...group.map((g) => Math.max(g.place.lanes, g.place.lane + 1)));
      const lanes: FlowCard<T>[][] = Array.from({ length: count }, () => []);
      const laneCursor = new Array<number>(count).fill(top);
      for (const g of group) {
        const lane = g.place.lane;
        lanes[lane]?.push({ item: g, style: boxStyle(g.box.top - (laneCursor[lane] ?? top), g.box.height, usualHeight) });
        laneCursor[lane] = g.box.top + g.box.height;
      }
      // A cluster always has its own height: no usual height applies to it.
      out.push({ kind: "cluster", style: boxStyle(top - cursor, bottom - top, Infinity), lanes, first });
    }
    cursor = bottom;
    group = [];
  };
  for (const item of sorted) {
    if (group.length > 0 && item.box.top >= bottom - EPS) close();
    if (group.length === 0) bottom = item.box.top + item.box.height;
    else bottom = Math.max(bottom, item.box.top + item.box.height);
    group.push(item);
  }
  close();
  return out;
}
