import { describe, expect, test } from "vitest";
import { deskAction, nextFocus, type DeskKey, type NavItem } from "./keyboard";

const key = (k: string, more: Partial<DeskKey> = {}): DeskKey => ({ key: k, inField: false, onBoardItem: false, ...more });

describe("deskAction", () => {
  test("arrows move and Enter opens only on a card or slot of the board", () => {
    expect(deskAction(key("ArrowDown", { onBoardItem: true }))).toEqual({ kind: "move", direction: "down" });
    expect(deskAction(key("ArrowLeft", { onBoardItem: true }))).toEqual({ kind: "move", direction: "left" });
    expect(deskAction(key("Enter", { onBoardItem: true }))).toEqual({ kind: "activate" });
    expect(deskAction(key("ArrowDown"))).toBeNull();
    expect(deskAction(key("Enter"))).toBeNull();
  });

  test("N opens the booking dialog and / the patient search, but not while typing or with a modifier", () => {
    expect(deskAction(key("n"))).toEqual({ kind: "new-booking" });
    expect(deskAction(key("N", { onBoardItem: true }))).toEqual({ kind: "new-booking" });
    expect(deskAction(key("/"))).toEqual({ kind: "search-patient" });
    expect(deskAction(key("n", { inField: true }))).toBeNull();
    expect(deskAction(key("/", { inField: true }))).toBeNull();
    expect(deskAction(key("n", { ctrlKey: true }))).toBeNull();
    expect(deskAction(key("x"))).toBeNull();
  });

  test("Esc closes, even from a text field", () => {
    expect(deskAction(key("Escape"))).toEqual({ kind: "close" });
    expect(deskAction(key("Escape", { inField: true }))).toEqual({ kind: "close" });
  });
});

describe("nextFocus", () => {
  // Column 0: 09:00 card, 09:30 slot; column 1: nothing; column 2: 08:30 and 09:40 cards.
  const items: NavItem[] = [
    { key: "a", col: 0, startMin: 540 },
    { key: "b", col: 0, startMin: 570 },
    { key: "c", col: 2, startMin: 510 },
    { key: "d", col: 2, startMin: 580 },
  ];

  test("up and down follow time within a column and stop at its ends", () => {
    expect(nextFocus(items, "a", "down")).toBe("b");
    expect(nextFocus(items, "b", "up")).toBe("a");
    expect(nextFocus(items, "a", "up")).toBeNull();
    expect(nextFocus(items, "b", "down")).toBeNull();
  });

  test("left and right skip empty columns and land on the item nearest in time", () => {
    expect(nextFocus(items, "b", "right")).toBe("d");
    expect(nextFocus(items, "a", "right")).toBe("c");
    expect(nextFocus(items, "c", "left")).toBe("a");
    expect(nextFocus(items, "c", "right")).toBeNull();
  });

  test("same-time items keep their given order; an unknown focus starts at the first item", () => {
    const twins: NavItem[] = [
      { key: "x", col: 0, startMin: 540 },
      { key: "y", col: 0, startMin: 540 },
    ];
    expect(nextFocus(twins, "x", "down")).toBe("y");
    expect(nextFocus(items, "zzz", "down")).toBe("a");
  });
});
