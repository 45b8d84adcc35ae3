import { describe, expect, test } from "vitest";
import type { EyeExam } from "../bindings/EyeExam";
import { emptyExam, examToText, parseValue, showValue, textToExam } from "./examForm";

const IDS = { id: "e1", patientId: "p1", storeId: "s1" };

describe("the exam form reads what the optometrist types", () => {
  test("dioptres, millimetres, decimal acuity and mmHg become the stored integers", () => {
    expect(parseValue("sphere_cd", "-2.25")).toBe(-225);
    expect(parseValue("sphere_cd", "+0.5")).toBe(50);
    expect(parseValue("axial_length_um", "24.12")).toBe(24120);
    expect(parseValue("ucva_hundredths", "0.8")).toBe(80);
    expect(parseValue("iop_dmmhg", "15.5")).toBe(155);
    expect(parseValue("axis_deg", "180")).toBe(180);
  });

  test("empty is 'not measured', not zero", () => {
    expect(parseValue("sphere_cd", "  ")).toBeNull();
  });

  test("Chinese input: full-width digits, a full-width minus and a comma decimal", () => {
    expect(parseValue("sphere_cd", "－１，２５")).toBe(-125);
    expect(parseValue("axial_length_um", "23，9")).toBe(23900);
  });

  test("text that is not a number, or a negative length, is refused (undefined)", () => {
    expect(parseValue("axial_length_um", "24.1x")).toBeUndefined();
    expect(parseValue("axial_length_um", "-24")).toBeUndefined();
    expect(parseValue("sphere_cd", "--1")).toBeUndefined();
  });

  test("the first field that is not a number is named with its eye", () => {
    const t = emptyExam("2025-03-12");
    t.os.k1_cd = "abc";
    expect(textToExam(t, IDS)).toEqual({ ok: false, field: "os.k1_cd" });
    const d = emptyExam("12/03/2025");
    expect(textToExam(d, IDS)).toEqual({ ok: false, field: "examined_at" });
  });

  test("a recorded exam shows in the form as typed and reads back the same", () => {
    const t = emptyExam("2025-03-12");
    t.biometer = " IOLMaster 700 ";
    t.od.sphere_cd = "-2.25";
    t.od.cylinder_cd = "-0.50";
    t.od.axis_deg = "175";
    t.od.axial_length_um = "24.12";
    t.os.sphere_cd = "+0.75";
    const parsed = textToExam(t, IDS);
    if (!parsed.ok) throw new Error(parsed.field);
    const exam: EyeExam = parsed.value.exam;
    expect(exam.biometer).toBe("IOLMaster 700");
    expect(exam.od.sphere_cd).toBe(-225);
    expect(exam.os.sphere_cd).toBe(75);
    expect(exam.od.k1_cd).toBeNull();
    expect(parsed.value.correction).toBeNull();
    const again = examToText(exam);
    expect(again.od.sphere_cd).toBe("-2.25");
    expect(again.os.sphere_cd).toBe("+0.75");
    expect(again.od.axial_length_um).toBe("24.12");
    expect(showValue("ucva_hundredths", 80)).toBe("0.80");
  });

  test("a correction is sent only when one is chosen", () => {
    const t = emptyExam("2025-03-12");
    t.correctionKind = "ortho_k";
    t.fittedOn = "2024-01-05";
    t.brand = "  ";
    const parsed = textToExam(t, IDS);
    expect(parsed.ok && parsed.value.correction).toEqual({ kind: "ortho_k", fitted_on: "2024-01-05", brand: null, manufacturer: null });
  });
});
