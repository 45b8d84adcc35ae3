import { expect, test } from "vitest";
import { parseCapacity, settingsFieldOf } from "./settings";

test("capacity per slot is a whole number from 1 to 10", () => {
  expect(parseCapacity("1")).toBe(1);
  expect(parseCapacity(" 10 ")).toBe(10);
  expect(parseCapacity(3)).toBe(3);
  for (const bad of ["0", "11", "", "2.5", "-1", "abc", "1e1"]) expect(parseCapacity(bad), bad).toBeNull();
});

test("a settings error is shown next to its field", () => {
  expect(settingsFieldOf("invalid_setting")).toBe("capacity");
  expect(settingsFieldOf("invalid_visit_type")).toBe("visitType");
  expect(settingsFieldOf("forbidden")).toBeNull();
});
