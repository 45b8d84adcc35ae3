import { describe, expect, test } from "vitest";
import { planMove } from "./reschedule";

const TZ = "Asia/Shanghai";
const from = { doctorId: "doc-1", date: "2025-03-10", startMin: 9 * 60, endMin: 9 * 60 + 15 };

describe("planMove", () => {
  test("a move to another time of the same doctor sends no doctor, and the undo returns to the old time", () => {
    const { forward, back } = planMove("a1", from, { doctorId: "doc-1", date: "2025-03-10", slot: { startMin: 600, endMin: 615 } }, TZ);
    expect(forward).toEqual({ appointmentId: "a1", start: "2025-03-10T02:00:00.000Z", end: "2025-03-10T02:15:00.000Z", doctorId: null });
    expect(back).toEqual({ appointmentId: "a1", start: "2025-03-10T01:00:00.000Z", end: "2025-03-10T01:15:00.000Z", doctorId: null });
  });
  test("a move to another doctor sends the new doctor, and the undo sends the old one", () => {
    const { forward, back } = planMove("a1", from, { doctorId: "doc-2", date: "2025-03-10", slot: { startMin: 540, endMin: 560 } }, TZ);
    expect(forward.doctorId).toBe("doc-2");
    expect(back.doctorId).toBe("doc-1");
  });
  test("a move to another day (week view) lands on that day in the store's time zone, and the undo on the first day", () => {
    const { forward, back } = planMove("a1", from, { doctorId: "doc-1", date: "2025-03-13", slot: { startMin: 840, endMin: 855 } }, TZ);
    expect(forward.start).toBe("2025-03-13T06:00:00.000Z");
    expect(back.start).toBe("2025-03-10T01:00:00.000Z");
  });
});
