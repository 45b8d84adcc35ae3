import { describe, expect, test } from "vitest";
import { beginDrag, dragTo, dropTargetAt, endDrag, isMovableState, type DropTarget } from "./cardDrag";
import { makeGrid } from "./geometry";

const grid = makeGrid(480, 1080, 3); // 08:00–18:00, 3 px/min
const columns = [
  { key: "doc-1", periods: [{ startMin: 480, endMin: 720 }], slotMinutes: 15 },
  { key: "doc-2", periods: [{ startMin: 780, endMin: 1080 }], slotMinutes: 20 },
];
const rects = [
  { key: "doc-1", left: 64, right: 264, top: 50 },
  { key: "doc-2", left: 264, right: 464, top: 50 },
];
const columnOf = (key: string) => columns.find((c) => c.key === key);
const at = (x: number, y: number, grabY: number) => dropTargetAt(x, y, grabY, rects, columnOf, grid);
const press = { pointerId: 1, pointerType: "mouse", button: 0, clientX: 100, clientY: 110 };

describe("isMovableState", () => {
  test("only pending and confirmed appointments can be dragged", () => {
    expect(["pending", "confirmed", "checked_in", "completed", "cancelled", "no_show"].filter(isMovableState)).toEqual(["pending", "confirmed"]);
  });
});

describe("beginDrag", () => {
  test("a mouse press starts a drag with the primary button only; touch and pen always", () => {
    expect(beginDrag("a", { ...press, button: 2 }, 100)).toBeNull();
    expect(beginDrag("a", { ...press, pointerType: "touch", button: -1 }, 100)).not.toBeNull();
    expect(beginDrag("a", press, 100)).toMatchObject({ grabY: 10, moving: false, target: null });
  });
});

describe("dropTargetAt", () => {
  test("the card's top edge (pointer minus where it was grabbed) snaps to the nearest working slot of the column under the pointer", () => {
    // y 50 + (9:00 − 8:00) · 3 = 230 for the card's top, grabbed 10 px below it.
    expect(at(100, 240, 10)).toEqual({ key: "doc-1", slot: { startMin: 540, endMin: 555 } });
    expect(at(300, 50 + 300 * 3 + 4, 0)).toEqual({ key: "doc-2", slot: { startMin: 780, endMin: 800 } });
  });
  test("outside every column, or over off hours, there is no target", () => {
    expect(at(10, 240, 10)).toBeNull();
    expect(at(300, 240, 10)).toBeNull();
  });
});

describe("dragTo and endDrag", () => {
  const start = beginDrag("a", press, 100)!;
  test("a press becomes a drag only after the pointer moved 6 px", () => {
    expect(dragTo(start, { pointerId: 1, clientX: 103, clientY: 113 }, at)).toBe(start);
    expect(dragTo(start, { pointerId: 1, clientX: 100, clientY: 240 }, at)).toMatchObject({ moving: true, target: { key: "doc-1" } });
  });
  test("another pointer (a second finger) does not move the drag", () => {
    expect(dragTo(start, { pointerId: 2, clientX: 300, clientY: 400 }, at)).toBe(start);
  });
  test("releasing a press that never moved is a click", () => {
    expect(endDrag(start, { pointerId: 1, clientX: 100, clientY: 110 }, at, { key: "doc-1", startMin: 500 })).toEqual({ kind: "click" });
  });
  test("a drop on another slot moves the card there", () => {
    const moving = dragTo(start, { pointerId: 1, clientX: 100, clientY: 240 }, at);
    expect(endDrag(moving, { pointerId: 1, clientX: 300, clientY: 50 + 300 * 3 + 10 }, at, { key: "doc-1", startMin: 500 })).toEqual({
      kind: "drop",
      item: "a",
      target: { key: "doc-2", slot: { startMin: 780, endMin: 800 } },
    });
  });
  test("a release outside every column drops on the last target shown", () => {
    const moving = dragTo(start, { pointerId: 1, clientX: 100, clientY: 240 }, at);
    const end = endDrag(moving, { pointerId: 1, clientX: 5, clientY: 240 }, at, { key: "doc-1", startMin: 500 });
    expect(end).toMatchObject({ kind: "drop", target: moving.target as DropTarget });
  });
  test("a drop where the card already is moves nothing", () => {
    const moving = dragTo(start, { pointerId: 1, clientX: 100, clientY: 240 }, at);
    expect(endDrag(moving, { pointerId: 1, clientX: 100, clientY: 240 }, at, { key: "doc-1", startMin: 540 })).toEqual({ kind: "none" });
  });
});
