import { expect, test } from "vitest";
import { mondayOf } from "./week";

test("mondayOf gives the Monday of the week a date falls in", () => {
  expect(mondayOf("2025-03-10")).toBe("2025-03-10"); // Monday
  expect(mondayOf("2025-03-16")).toBe("2025-03-10"); // Sunday
  expect(mondayOf("2025-03-12")).toBe("2025-03-10");
  expect(mondayOf("2025-01-01")).toBe("2024-12-30"); // across a year
});
