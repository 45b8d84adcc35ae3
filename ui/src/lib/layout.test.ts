import { describe, expect, test } from "vitest";
import { assignLanes, type Interval } from "./layout";

const iv = (id: string, startMin: number, endMin: number): Interval => ({ id, startMin, endMin });

/** The lanes as "id:lane/lanes" strings, sorted by id, for compact assertions. */
function lanesOf(items: Interval[], minMinutes = 0): string[] {
  const placed = assignLanes(items, minMinutes);
  return [...placed].map(([id, p]) => `${id}:${p.lane}/${p.lanes}`).sort();
}

describe("assignLanes", () => {
  test("appointments that do not overlap each span the whole column", () => {
    expect(lanesOf([iv("a", 540, 570), iv("b", 600, 630)])).toEqual(["a:0/1", "b:0/1"]);
  });

  test("back-to-back appointments (one ends as the next starts) do not overlap", () => {
    expect(lanesOf([iv("a", 540, 570), iv("b", 570, 600)])).toEqual(["a:0/1", "b:0/1"]);
  });

  test("two appointments in the same slot go side by side", () => {
    expect(lanesOf([iv("a", 540, 570), iv("b", 540, 570)])).toEqual(["a:0/2", "b:1/2"]);
  });

  test("a lane is reused once its appointment has ended, and the whole chain shares one width", () => {
    // a overlaps b, b overlaps c, a ends before c starts: c takes a's lane; all three are half width.
    expect(lanesOf([iv("a", 540, 570), iv("b", 555, 600), iv("c", 570, 600)])).toEqual(["a:0/2", "b:1/2", "c:0/2"]);
  });

  test("separate clusters get their own lane counts", () => {
    const items = [iv("a", 540, 570), iv("b", 540, 570), iv("c", 540, 570), iv("d", 600, 630)];
    expect(lanesOf(items)).toEqual(["a:0/3", "b:1/3", "c:2/3", "d:0/1"]);
  });

  test("a short appointment stretched to a touchable card counts as overlapping the next one", () => {
    const items = [iv("a", 540, 545), iv("b", 550, 580)];
    expect(lanesOf(items)).toEqual(["a:0/1", "b:0/1"]);
    expect(lanesOf(items, 22)).toEqual(["a:0/2", "b:1/2"]);
  });

  test("the result does not depend on the input order", () => {
    const items = [iv("a", 540, 600), iv("b", 560, 580), iv("c", 590, 620), iv("d", 540, 560), iv("e", 700, 720)];
    const expected = lanesOf(items);
    expect(lanesOf([...items].reverse())).toEqual(expected);
    expect(lanesOf([items[2]!, items[4]!, items[0]!, items[3]!, items[1]!])).toEqual(expected);
  });

  test("no two appointments in one lane overlap, over many random days", () => {
    let seed = 7;
    const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let day = 0; day < 200; day++) {
      const items = Array.from({ length: 12 }, (_, i) => {
        const start = 480 + Math.floor(rand() * 40) * 15;
        return iv(`x${i}`, start, start + 15 * (1 + Math.floor(rand() * 3)));
      });
      const placed = assignLanes(items);
      expect(placed.size).toBe(items.length);
      for (const a of items) {
        for (const b of items) {
          if (a.id >= b.id) continue;
          const pa = placed.get(a.id)!;
          const pb = placed.get(b.id)!;
          const overlap = a.startMin < b.endMin && b.startMin < a.endMin;
          if (overlap) {
            expect(pa.lane).not.toBe(pb.lane);
            expect(pa.lanes).toBe(pb.lanes);
          }
          expect(pa.lane).toBeLessThan(pa.lanes);
        }
      }
    }
  });
});
