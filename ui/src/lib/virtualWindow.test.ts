import { describe, expect, test } from "vitest";
import { makeGrid } from "./geometry";
import {
  columnWidth,
  inRows,
  revealScroll,
  ROW_WINDOW_MIN_CARDS,
  visibleColumns,
  visibleRows,
} from "./virtualWindow";

const H = 60;
/** 08:00–20:00 at 2 px/min: an hour is 120 px (a half-hour row 60 px), the body 1440 px. */
const grid = makeGrid(8 * H, 20 * H, 2);
const BIG = ROW_WINDOW_MIN_CARDS + 1;

describe("columnWidth", () => {
  test("columns stretch to fill the viewport beside the 64 px time column", () => {
    expect(columnWidth(8, 1920)).toBe((1920 - 64) / 8);
  });
  test("columns never get narrower than 140 px; the grid scrolls sideways instead", () => {
    expect(columnWidth(60, 1920)).toBe(140);
  });
  test("a board without doctors has the minimum width", () => {
    expect(columnWidth(0, 1920)).toBe(140);
  });
});

describe("visibleColumns", () => {
  test("only columns intersecting the viewport plus overscan are rendered", () => {
    // 60 columns of 140 px; the viewport shows 1920 − 64 px of them from the left edge: columns 0..13 (14 partly).
    expect(visibleColumns(60, { left: 0, width: 1920 }, 140, 1)).toEqual({ first: 0, end: 15 });
    // Scrolled to 30 columns: 30..43 visible, one more each side.
    expect(visibleColumns(60, { left: 30 * 140, width: 1920 }, 140, 1)).toEqual({ first: 29, end: 45 });
  });
  test("a column partly scrolled under the sticky time column still counts as visible", () => {
    expect(visibleColumns(60, { left: 140 * 5 + 139, width: 1000 }, 140, 0).first).toBe(5);
    expect(visibleColumns(60, { left: 140 * 6, width: 1000 }, 140, 0).first).toBe(6);
  });
  test("the range is clamped to the columns there are", () => {
    expect(visibleColumns(60, { left: 59 * 140, width: 1920 }, 140, 2)).toEqual({ first: 57, end: 60 });
    expect(visibleColumns(5, { left: 0, width: 1920 }, 371.2, 1)).toEqual({ first: 0, end: 5 });
  });
  test("every column of a demo store (12 doctors) is drawn at 1920 px", () => {
    expect(visibleColumns(12, { left: 0, width: 1920 }, columnWidth(12, 1920), 0)).toEqual({ first: 0, end: 12 });
  });
  test("an unmeasured viewport still draws the first column", () => {
    expect(visibleColumns(60, { left: 0, width: 0 }, 140, 0)).toEqual({ first: 0, end: 1 });
  });
  test("no columns: nothing to draw", () => {
    expect(visibleColumns(0, { left: 0, width: 1920 }, 140)).toEqual({ first: 0, end: 0 });
  });
});

describe("visibleRows", () => {
  test("a day with few cards draws every row (find-in-page and look-ups by id keep working)", () => {
    expect(visibleRows(grid, { top: 600, height: 500 }, ROW_WINDOW_MIN_CARDS)).toBeNull();
  });
  test("only the half-hour rows intersecting the viewport below the sticky headers plus overscan are rendered", () => {
    // Body pixels 600..(600 + 500 − 60) = 1040 are visible: rows 10..17 (60 px each), one more each side.
    expect(visibleRows(grid, { top: 600, height: 500 }, BIG, 60, 1)).toEqual({ top: 9 * 60, bottom: 19 * 60 });
  });
  test("hour rows when asked: the same viewport draws rows 5..8 (120 px each) and one more each side", () => {
    expect(visibleRows(grid, { top: 600, height: 500 }, BIG, 60, 1, 60)).toEqual({ top: 4 * 120, bottom: 10 * 120 });
  });
  test("rows are clamped to the grid body", () => {
    expect(visibleRows(grid, { top: 0, height: 300 }, BIG, 60, 1)).toEqual({ top: 0, bottom: 5 * 60 });
    expect(visibleRows(grid, { top: 1300, height: 900 }, BIG, 60, 1)).toEqual({ top: 20 * 60, bottom: 1440 });
  });
  test("a scroll inside the same rows gives the same range", () => {
    expect(visibleRows(grid, { top: 250, height: 500 }, BIG, 60)).toEqual(visibleRows(grid, { top: 260, height: 500 }, BIG, 60));
  });
});

describe("inRows", () => {
  test("a card overlapping the drawn rows by any pixel is drawn; one touching the edge is not", () => {
    const rows = { top: 240, bottom: 480 };
    expect(inRows({ top: 200, height: 44 }, rows)).toBe(true);
    expect(inRows({ top: 479, height: 44 }, rows)).toBe(true);
    expect(inRows({ top: 196, height: 44 }, rows)).toBe(false);
    expect(inRows({ top: 480, height: 44 }, rows)).toBe(false);
  });
  test("no row window: every card is drawn", () => {
    expect(inRows({ top: 99999, height: 44 }, null)).toBe(true);
  });
});

describe("revealScroll", () => {
  const view = { left: 0, top: 0, width: 1000, height: 700 };
  const colAt = (i: number) => 64 + i * 140;
  test("an item already in view does not scroll", () => {
    expect(revealScroll({ x: colAt(2), y: 100, width: 140, height: 44 }, view, 60)).toEqual({ left: 0, top: 0 });
  });
  test("an item right of the viewport scrolls just far enough to show its right edge", () => {
    // Column 10 ends at 64 + 11·140 = 1604; the viewport is 1000 wide.
    expect(revealScroll({ x: colAt(10), y: 100, width: 140, height: 44 }, view, 60).left).toBe(1604 - 1000);
  });
  test("an item left of the viewport shows beside the sticky time column, not under it", () => {
    expect(revealScroll({ x: colAt(3), y: 100, width: 140, height: 44 }, { ...view, left: 1000 }, 60).left).toBe(3 * 140);
  });
  test("an item below the viewport scrolls its bottom into view; above, its top below the sticky headers", () => {
    expect(revealScroll({ x: colAt(0), y: 1000, width: 140, height: 44 }, view, 60).top).toBe(1044 - (700 - 60));
    expect(revealScroll({ x: colAt(0), y: 200, width: 140, height: 44 }, { ...view, top: 500 }, 60).top).toBe(200);
  });
});
