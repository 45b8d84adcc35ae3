import { describe, expect, test } from "vitest";
import { localIsoDate, suggestedName } from "./printing.svelte";

describe("suggestedName", () => {
  test("save as proposes the name printing gives the same document: kind, who, date", () => {
    const report = { kind: "parent_report" as const, patientId: "p1", reference: null };
    expect(suggestedName(report, "张佳琪", "2026-11-23")).toBe("parent-report-张佳琪-2026-11-23.pdf");
    const sheet = { kind: "day_sheet" as const, storeId: "s1", date: "2026-11-24" };
    expect(suggestedName(sheet, "悦康口腔·望京店", "2026-11-23")).toBe("day-sheet-悦康口腔·望京店-2026-11-24.pdf");
  });

  test("characters file systems refuse are replaced, and a blank name falls back to the id", () => {
    const report = { kind: "parent_report" as const, patientId: "p1", reference: null };
    expect(suggestedName(report, ' a/b:c*? ', "2026-11-23")).toBe("parent-report-a_b_c-2026-11-23.pdf");
    expect(suggestedName(report, "  ", "2026-11-23")).toBe("parent-report-p1-2026-11-23.pdf");
    expect(suggestedName({ kind: "refund_slip", refund: "TK-BJ01-D1-000007" }, "", "2026-11-23")).toBe(
      "refund-slip-TK-BJ01-D1-000007-2026-11-23.pdf",
    );
  });
});

describe("localIsoDate", () => {
  test("is this machine's calendar date, zero-padded", () => {
    expect(localIsoDate(new Date(2026, 0, 5, 23, 59))).toBe("2026-01-05");
    expect(localIsoDate(new Date(2026, 10, 23, 0, 0))).toBe("2026-11-23");
  });
});
