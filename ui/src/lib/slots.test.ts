import { describe, expect, test } from "vitest";
import { makeGrid } from "./geometry";
import { emptySlots, snapToSlot, workingSlots } from "./slots";

const periods = [
  { startMin: 510, endMin: 720 },
  { startMin: 810, endMin: 1050 },
];
// 08:00–18:00 at 3 px per minute.
const grid = makeGrid(480, 1080, 3);
const px = (min: number) => (min - 480) * 3;

describe("slot grid", () => {
  test("working slots are cut from each period's start and never run past its end", () => {
    const slots = workingSlots([{ startMin: 510, endMin: 560 }], 20);
    expect(slots).toEqual([
      { startMin: 510, endMin: 530 },
      { startMin: 530, endMin: 550 },
    ]);
  });

  test("empty slots are the working slots no card overlaps", () => {
    const slots = emptySlots([{ startMin: 510, endMin: 600 }], 30, [{ startMin: 540, endMin: 570 }]);
    expect(slots.map((s) => s.startMin)).toEqual([510, 570]);
  });
});

describe("snapToSlot (drop position → slot)", () => {
  test("snapping of a drop position to the slot grid picks the nearest slot start of the column", () => {
    expect(snapToSlot(px(540), grid, periods, 30)).toEqual({ startMin: 540, endMin: 570 });
    expect(snapToSlot(px(554), grid, periods, 30)).toEqual({ startMin: 540, endMin: 570 });
    expect(snapToSlot(px(556), grid, periods, 30)).toEqual({ startMin: 570, endMin: 600 });
    // 15-minute slots of the same column snap finer.
    expect(snapToSlot(px(556), grid, periods, 15)).toEqual({ startMin: 555, endMin: 570 });
  });

  test("the grid follows the period start, not the clock hour", () => {
    expect(snapToSlot(px(815), grid, periods, 20)).toEqual({ startMin: 810, endMin: 830 });
  });

  test("a drop in the lunch break goes to the nearest working slot; far outside the schedule it is refused", () => {
    expect(snapToSlot(px(710), grid, periods, 30)).toEqual({ startMin: 690, endMin: 720 });
    expect(snapToSlot(px(765), grid, periods, 30)).toBeNull();
    expect(snapToSlot(px(1075), grid, periods, 30)).toBeNull();
  });
});
