import { describe, expect, test } from "vitest";
import { bookingErrorField, departmentsFor, parseYuan } from "./booking";
import { zonedInstant } from "./format";

describe("parseYuan (fee in yuan → integer fen)", () => {
  test("empty or 0 means no fee; whole and decimal yuan become fen", () => {
    expect(parseYuan("")).toEqual({ ok: true, fen: 0 });
    expect(parseYuan("0")).toEqual({ ok: true, fen: 0 });
    expect(parseYuan("25")).toEqual({ ok: true, fen: 2500 });
    expect(parseYuan(" 12.5 ")).toEqual({ ok: true, fen: 1250 });
    expect(parseYuan("0.01")).toEqual({ ok: true, fen: 1 });
    expect(parseYuan("19.99")).toEqual({ ok: true, fen: 1999 });
  });

  test("negative, more than two decimals and non-numbers are refused", () => {
    expect(parseYuan("-5")).toEqual({ ok: false, problem: "negative" });
    expect(parseYuan("1.234")).toEqual({ ok: false, problem: "decimals" });
    expect(parseYuan("abc")).toEqual({ ok: false, problem: "format" });
    expect(parseYuan("1e3")).toEqual({ ok: false, problem: "format" });
  });
});

describe("booking rules", () => {
  const options = {
    complaints: [{ id: "c1", name: "牙痛", departmentIds: ["d2"] }],
    departments: [
      { id: "d1", name: "内科" },
      { id: "d2", name: "口腔科" },
    ],
  };

  test("picking a complaint narrows the departments to those treating it", () => {
    expect(departmentsFor(options, null).map((d) => d.id)).toEqual(["d1", "d2"]);
    expect(departmentsFor(options, "c1").map((d) => d.id)).toEqual(["d2"]);
  });

  test("each command error is shown next to the field it concerns", () => {
    expect(bookingErrorField("patient.create@1", "invalid_phone")).toBe("phone");
    expect(bookingErrorField("patient.create@1", "invalid_birth_date")).toBe("birthDate");
    expect(bookingErrorField("patient.create@1", "empty_text")).toBe("name");
    expect(bookingErrorField("booking.create@1", "slot_conflict")).toBe("slot");
    expect(bookingErrorField("booking.create@1", "invalid_amount")).toBe("fee");
    expect(bookingErrorField("booking.create@1", "forbidden")).toBe("form");
  });

  test("a local time of a store becomes the UTC instant the commands take", () => {
    expect(zonedInstant("2025-03-10", 9 * 60, "Asia/Shanghai")).toBe("2025-03-10T01:00:00.000Z");
    expect(zonedInstant("2025-03-10", 30, "Asia/Shanghai")).toBe("2025-03-09T16:30:00.000Z");
    // Across the US DST change (2025-03-09 02:00 → 03:00).
    expect(zonedInstant("2025-03-09", 12 * 60, "America/New_York")).toBe("2025-03-09T16:00:00.000Z");
  });
});
