import { describe, expect, test } from "vitest";
import { cardFlow, type FlowEntry } from "./cardFlow";

type Item = { id: string; box: { top: number; height: number }; place: { lane: number; lanes: number } };
const item = (id: string, top: number, height: number, lane = 0, lanes = 1): Item => ({ id, box: { top, height }, place: { lane, lanes } });

/** Where each card ends up when the flow is laid out as the browser does: margins and heights stacked. */
function positions(flow: FlowEntry<Item>[], usual: number): Record<string, { top: number; height: number; lane: number; lanes: number }> {
  const read = (style: string | undefined, prop: string, fallback: number) => {
    const m = style?.match(new RegExp(`${prop}:(-?[\\d.]+)px`));
    return m ? Number(m[1]) : fallback;
  };
  const out: Record<string, { top: number; height: number; lane: number; lanes: number }> = {};
  let y = 0;
  for (const e of flow) {
    if (e.kind === "card") {
      const top = y + read(e.card.style, "margin-top", 0);
      const height = read(e.card.style, "height", usual);
      out[e.card.item.id] = { top, height, lane: 0, lanes: 1 };
      y = top + height;
    } else {
      const top = y + read(e.style, "margin-top", 0);
      e.lanes.forEach((lane, i) => {
        let ly = top;
        for (const c of lane) {
          const ctop = ly + read(c.style, "margin-top", 0);
          const height = read(c.style, "height", usual);
          out[c.item.id] = { top: ctop, height, lane: i, lanes: e.lanes.length };
          ly = ctop + height;
        }
      });
      y = top + read(e.style, "height", NaN);
    }
  }
  return out;
}

describe("cardFlow", () => {
  test("every card in flow lands exactly at its box, in its lane among overlapping cards", () => {
    const items = [
      item("a", 90, 45),
      item("b", 135, 45),
      item("c", 300, 90, 0, 2),
      item("d", 330, 45, 1, 2),
      item("e", 380, 45, 1, 2),
      item("f", 600, 60),
    ];
    const got = positions(cardFlow([...items].reverse(), 45), 45);
    for (const it of items) expect(got[it.id]).toEqual({ ...it.box, ...it.place });
  });

  test("a card of the usual height right under the one before has no inline style, so it can share its style", () => {
    const flow = cardFlow([item("a", 0, 45), item("b", 45, 45), item("c", 100, 45), item("d", 145, 60)], 45);
    expect(flow.map((e) => (e.kind === "card" ? e.card.style : "cluster"))).toEqual([undefined, undefined, "margin-top:10px", "height:60px"]);
  });

  test("overlapping cards form one cluster with the lanes of their placements; touching cards do not", () => {
    const flow = cardFlow([item("a", 0, 45, 0, 2), item("b", 20, 45, 1, 2), item("c", 65, 45)], 45);
    expect(flow.map((e) => e.kind)).toEqual(["cluster", "card"]);
    const cluster = flow[0];
    expect(cluster?.kind === "cluster" && cluster.lanes.map((l) => l.map((c) => c.item.id))).toEqual([["a"], ["b"]]);
  });
});
