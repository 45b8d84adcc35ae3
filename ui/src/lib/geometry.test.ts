import { describe, expect, test } from "vitest";
import {
  boardGrid,
  cardBox,
  cardHeight,
  gridHeight,
  gridMinWidth,
  hourTicks,
  makeGrid,
  MIN_CARD_PX,
  MIN_DOCTOR_COL_PX,
  minToPx,
  nowLineTop,
  offHours,
  PX_PER_MIN,
  pxPerMinFor,
  pxToMin,
  TIME_COL_PX,
} from "./geometry";

const H = 60;
// 08:00–18:00 at 2 px per minute: 1200 px tall.
const grid = makeGrid(8 * H, 18 * H, 2);

describe("minutes and pixels", () => {
  test("the grid top is its first minute and each minute is pxPerMin pixels", () => {
    expect(minToPx(8 * H, grid)).toBe(0);
    expect(minToPx(9 * H + 30, grid)).toBe(180);
    expect(gridHeight(grid)).toBe(1200);
  });

  test("pixels map back to the same minutes", () => {
    for (const min of [480, 495, 777, 1080]) expect(pxToMin(minToPx(min, grid), grid)).toBe(min);
  });

  test("pixels snap to the nearest step of minutes", () => {
    expect(pxToMin(2 * 14, grid, 15)).toBe(8 * H + 15); // 08:14 → 08:15
    expect(pxToMin(2 * 7, grid, 15)).toBe(8 * H); // 08:07 → 08:00
  });

  test("pixels above or below the grid give its first or last minute", () => {
    expect(pxToMin(-50, grid)).toBe(8 * H);
    expect(pxToMin(5000, grid)).toBe(18 * H);
  });

  test("an empty or inverted grid is refused", () => {
    expect(() => makeGrid(600, 600)).toThrow(RangeError);
    expect(() => makeGrid(600, 500)).toThrow(RangeError);
    expect(() => makeGrid(500, 600, 0)).toThrow(RangeError);
  });
});

describe("cardBox", () => {
  test("a card spans its start to its end", () => {
    expect(cardBox(9 * H, 10 * H, grid)).toEqual({ top: 120, height: 120 });
  });

  test("a short appointment still gets a touch-sized card", () => {
    expect(cardBox(9 * H, 9 * H + 5, grid)).toEqual({ top: 120, height: MIN_CARD_PX });
  });

  test("a card reaching outside the grid is clipped to it", () => {
    expect(cardBox(7 * H, 9 * H, grid)).toEqual({ top: 0, height: 120 });
    expect(cardBox(17 * H, 19 * H, grid)).toEqual({ top: 1080, height: 120 });
  });

  test("a short card at the very end is moved up rather than overflowing the grid", () => {
    const box = cardBox(18 * H - 5, 18 * H, grid)!;
    expect(box.top + box.height).toBe(gridHeight(grid));
    expect(box.height).toBe(MIN_CARD_PX);
  });

  test("a card as long as a slot is as tall as the column's usual card (cardHeight)", () => {
    for (const slot of [5, 15, 30, 45]) {
      expect(cardBox(10 * H, 10 * H + slot, grid)!.height).toBe(cardHeight(slot, grid));
    }
    expect(cardHeight(5, grid)).toBe(MIN_CARD_PX);
    expect(cardHeight(30, grid)).toBe(30 * grid.pxPerMin);
  });

  test("a card wholly outside the grid has no box", () => {
    expect(cardBox(6 * H, 8 * H, grid)).toBeNull();
    expect(cardBox(18 * H, 19 * H, grid)).toBeNull();
  });
});

describe("nowLineTop", () => {
  test("sits at the current minute inside the grid, edges included", () => {
    expect(nowLineTop(12 * H, grid)).toBe(480);
    expect(nowLineTop(8 * H, grid)).toBe(0);
    expect(nowLineTop(18 * H, grid)).toBe(1200);
  });

  test("is absent before and after the grid", () => {
    expect(nowLineTop(8 * H - 1, grid)).toBeNull();
    expect(nowLineTop(18 * H + 1, grid)).toBeNull();
  });
});

describe("hourTicks", () => {
  test("marks every full hour, both edges included", () => {
    const ticks = hourTicks(grid);
    expect(ticks.map((t) => t.min)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18].map((h) => h * H));
    expect(ticks[1]).toEqual({ min: 9 * H, top: 120 });
  });

  test("a grid starting at half past starts its ticks at the next full hour", () => {
    expect(hourTicks(makeGrid(8 * H + 30, 10 * H + 15, 2))).toEqual([
      { min: 9 * H, top: 60 },
      { min: 10 * H, top: 180 },
    ]);
  });
});

describe("offHours", () => {
  test("shades the time before, between and after the working periods", () => {
    const periods = [
      { startMin: 8 * H + 30, endMin: 12 * H },
      { startMin: 13 * H + 30, endMin: 17 * H + 30 },
    ];
    expect(offHours(periods, grid)).toEqual([
      { top: 0, height: 60 },
      { top: 480, height: 180 },
      { top: 1140, height: 60 },
    ]);
  });

  test("a doctor with no periods is off the whole day", () => {
    expect(offHours([], grid)).toEqual([{ top: 0, height: 1200 }]);
  });

  test("unsorted, overlapping and out-of-grid periods are merged and clipped", () => {
    const periods = [
      { startMin: 14 * H, endMin: 20 * H },
      { startMin: 6 * H, endMin: 9 * H },
      { startMin: 8 * H + 30, endMin: 10 * H },
    ];
    expect(offHours(periods, grid)).toEqual([{ top: minToPx(10 * H, grid), height: 4 * H * 2 }]);
  });
});

describe("pxPerMinFor", () => {
  test("the shortest slot of the day is at least a touch target tall", () => {
    for (const slot of [5, 10, 15, 20]) {
      expect(slot * pxPerMinFor([30, slot])).toBeGreaterThanOrEqual(MIN_CARD_PX);
    }
  });

  test("never shrinks below the default scale", () => {
    expect(pxPerMinFor([60])).toBe(PX_PER_MIN);
    expect(pxPerMinFor([])).toBe(PX_PER_MIN);
    expect(pxPerMinFor([0])).toBe(PX_PER_MIN);
  });
});

describe("boardGrid", () => {
  test("keeps the store's day bounds when every appointment is inside them", () => {
    expect(boardGrid(8 * H, 18 * H, [{ startMin: 9 * H, endMin: 10 * H }], 2)).toEqual(grid);
  });

  test("widens to whole hours so no appointment is cut off", () => {
    const g = boardGrid(8 * H, 18 * H, [
      { startMin: 7 * H + 40, endMin: 8 * H + 10 },
      { startMin: 18 * H, endMin: 18 * H + 20 },
    ], 2);
    expect([g.startMin, g.endMin]).toEqual([7 * H, 19 * H]);
  });

  test("never widens past midnight", () => {
    const g = boardGrid(8 * H, 18 * H, [{ startMin: 23 * H + 30, endMin: 24 * H }], 2);
    expect(g.endMin).toBe(24 * H);
  });
});

describe("gridMinWidth", () => {
  test("60 doctors make the grid wider than a 1920 px screen, each column at least its minimum", () => {
    expect(gridMinWidth(60)).toBe(TIME_COL_PX + 60 * MIN_DOCTOR_COL_PX);
    expect(gridMinWidth(60)).toBeGreaterThan(1920);
  });
});
