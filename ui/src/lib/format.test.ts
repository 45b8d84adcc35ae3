import { afterEach, describe, expect, test, vi } from "vitest";
import { formatClock, formatDate, formatMoney, formatWeekday, isIsoDate, shiftDate, wallClock } from "./format";

describe("formatClock", () => {
  test("pads hours and minutes to HH:MM", () => {
    expect(formatClock(0)).toBe("00:00");
    expect(formatClock(9 * 60 + 5)).toBe("09:05");
    expect(formatClock(17 * 60 + 30)).toBe("17:30");
  });

  test("the end of the day is 24:00, not 00:00", () => {
    expect(formatClock(1440)).toBe("24:00");
  });

  test("rejects minutes outside one day or fractional minutes", () => {
    expect(() => formatClock(-1)).toThrow(RangeError);
    expect(() => formatClock(1441)).toThrow(RangeError);
    expect(() => formatClock(12.5)).toThrow(RangeError);
  });
});

describe("formatMoney", () => {
  test("integer fen become yuan with two decimals in every locale", () => {
    expect(formatMoney(1250, "zh-CN")).toBe("¥12.50");
    expect(formatMoney(1250, "zh-TW")).toBe("¥12.50");
    expect(formatMoney(1250, "en")).toBe("¥12.50");
  });

  test("groups thousands and keeps single fen exact", () => {
    expect(formatMoney(123456789, "zh-CN")).toBe("¥1,234,567.89");
    expect(formatMoney(1, "en")).toBe("¥0.01");
    expect(formatMoney(0, "zh-CN")).toBe("¥0.00");
  });

  test("refunds show as negative amounts", () => {
    expect(formatMoney(-500, "zh-CN")).toBe("-¥5.00");
  });

  test("rejects amounts that are not whole fen", () => {
    expect(() => formatMoney(12.5, "zh-CN")).toThrow(RangeError);
  });
});

describe("isIsoDate", () => {
  test("accepts real calendar dates only", () => {
    expect(isIsoDate("2024-02-29")).toBe(true);
    expect(isIsoDate("2023-02-29")).toBe(false);
    expect(isIsoDate("2024-13-01")).toBe(false);
    expect(isIsoDate("2024-1-01")).toBe(false);
    expect(isIsoDate("")).toBe(false);
  });
});

describe("shiftDate", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  test("crosses month, year and leap-day boundaries", () => {
    expect(shiftDate("2024-02-28", 1)).toBe("2024-02-29");
    expect(shiftDate("2024-02-29", 1)).toBe("2024-03-01");
    expect(shiftDate("2023-02-28", 1)).toBe("2023-03-01");
    expect(shiftDate("2024-12-31", 1)).toBe("2025-01-01");
    expect(shiftDate("2025-01-01", -1)).toBe("2024-12-31");
    expect(shiftDate("2025-03-01", -1)).toBe("2025-02-28");
  });

  // UTC+8 turns a local midnight into the previous day in UTC; São Paulo once skipped midnight
  // at DST start; New York and Sydney change clocks: none of this may move a calendar date.
  test.each(["Asia/Shanghai", "America/Sao_Paulo", "America/New_York", "Australia/Sydney", "Pacific/Kiritimati"])(
    "gives the same dates whatever the machine's time zone (%s)",
    (tz) => {
      vi.stubEnv("TZ", tz);
      expect(shiftDate("2018-11-03", 1)).toBe("2018-11-04");
      expect(shiftDate("2018-11-04", -1)).toBe("2018-11-03");
      expect(shiftDate("2024-03-10", 1)).toBe("2024-03-11");
      expect(shiftDate("2024-11-03", 1)).toBe("2024-11-04");
      expect(shiftDate("2024-10-06", -1)).toBe("2024-10-05");
    },
  );

  test("rejects what is not a YYYY-MM-DD date", () => {
    expect(() => shiftDate("2024/03/10", 1)).toThrow(RangeError);
  });
});

describe("formatDate", () => {
  test("names the given calendar day in each language, whatever the machine's time zone", () => {
    try {
      for (const tz of ["Asia/Shanghai", "America/Los_Angeles"]) {
        vi.stubEnv("TZ", tz);
        // Spacing differs between ICU versions; the day, month, year and weekday must not.
        expect(formatDate("2025-03-10", "zh-CN")).toMatch(/^2025年3月10日\s?星期一$/);
        expect(formatDate("2025-03-10", "zh-TW")).toMatch(/^2025年3月10日\s?星期一$/);
        expect(formatDate("2025-03-10", "en")).toBe("Monday, March 10, 2025");
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("formatWeekday", () => {
  test("names the weekday of the calendar date, whatever the machine's time zone", () => {
    try {
      for (const tz of ["Pacific/Kiritimati", "Pacific/Pago_Pago"]) {
        vi.stubEnv("TZ", tz);
        expect(formatWeekday("2025-03-10", "zh-CN")).toBe("星期一");
        expect(formatWeekday("2025-03-16", "en")).toBe("Sunday");
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("wallClock", () => {
  test("reads the store's date and minutes, not the machine's", () => {
    // 2025-03-09 17:30 UTC is 2025-03-10 01:30 in Shanghai and 13:30 the 9th in New York (EDT).
    const instant = new Date(Date.UTC(2025, 2, 9, 17, 30));
    expect(wallClock(instant, "Asia/Shanghai")).toEqual({ date: "2025-03-10", minutes: 90 });
    expect(wallClock(instant, "America/New_York")).toEqual({ date: "2025-03-09", minutes: 13 * 60 + 30 });
  });

  test("midnight is minute 0, not 24:00", () => {
    expect(wallClock(new Date(Date.UTC(2025, 0, 1, 16, 0)), "Asia/Shanghai")).toEqual({ date: "2025-01-02", minutes: 0 });
  });
});
