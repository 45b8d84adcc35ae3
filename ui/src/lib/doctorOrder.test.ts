import { describe, expect, test } from "vitest";
import type { BoardDoctor } from "../bindings/BoardDoctor";
import {
  addDoctor,
  draftFrom,
  dropIndex,
  hiddenChanges,
  moveDoctor,
  moveDoctorTo,
  moveItem,
  orderChanged,
  setHidden,
} from "./doctorOrder";

const doctor = (id: string, listed = true, hidden = false): BoardDoctor => ({
  id,
  name: id,
  title: "",
  departments: [],
  listed,
  hiddenFromPatients: hidden,
  periods: [],
  slotMinutes: 15,
});
const doctors = [doctor("a"), doctor("b", true, true), doctor("c"), doctor("x", false)];

describe("doctor order draft", () => {
  test("starts from the board: listed in order, unlisted apart, hidden flags", () => {
    expect(draftFrom(doctors)).toEqual({ listed: ["a", "b", "c"], unlisted: ["x"], hidden: { a: false, b: true, c: false, x: false } });
  });

  test("moveItem moves one item and clamps the target", () => {
    expect(moveItem([1, 2, 3, 4], 0, 2)).toEqual([2, 3, 1, 4]);
    expect(moveItem([1, 2, 3, 4], 3, 0)).toEqual([4, 1, 2, 3]);
    expect(moveItem([1, 2, 3], 1, 99)).toEqual([1, 3, 2]);
    expect(moveItem([1, 2, 3], 5, 0)).toEqual([1, 2, 3]);
  });

  test("up and down move a doctor by one place, not past the ends", () => {
    const d = draftFrom(doctors);
    expect(moveDoctor(d, "c", -1).listed).toEqual(["a", "c", "b"]);
    expect(moveDoctor(d, "a", -1).listed).toEqual(["a", "b", "c"]);
    expect(moveDoctor(d, "c", 1).listed).toEqual(["a", "b", "c"]);
    expect(moveDoctorTo(d, "a", 2).listed).toEqual(["b", "c", "a"]);
  });

  test("adding an unlisted doctor puts them last of the listed", () => {
    const d = addDoctor(draftFrom(doctors), "x");
    expect(d.listed).toEqual(["a", "b", "c", "x"]);
    expect(d.unlisted).toEqual([]);
    expect(addDoctor(d, "x")).toBe(d);
  });

  test("hiding keeps the position", () => {
    const before = draftFrom(doctors);
    const d = setHidden(setHidden(before, "a", true), "b", false);
    expect(d.listed).toEqual(before.listed);
    expect(orderChanged(doctors, d)).toBe(false);
    expect(hiddenChanges(doctors, d)).toEqual([
      { doctorId: "a", hidden: true },
      { doctorId: "b", hidden: false },
    ]);
  });

  test("orderChanged sees a move and an addition, not a no-op", () => {
    const d = draftFrom(doctors);
    expect(orderChanged(doctors, d)).toBe(false);
    expect(orderChanged(doctors, moveDoctor(d, "b", 1))).toBe(true);
    expect(orderChanged(doctors, addDoctor(d, "x"))).toBe(true);
  });

  test("dropIndex: where a dragged row lands among the rows' midpoints", () => {
    const mids = [10, 30, 50, 70];
    expect(dropIndex(mids, 12, 0)).toBe(0);
    expect(dropIndex(mids, 55, 0)).toBe(2);
    expect(dropIndex(mids, 99, 0)).toBe(3);
    expect(dropIndex(mids, 0, 3)).toBe(0);
    expect(dropIndex(mids, 45, 3)).toBe(2);
  });
});
