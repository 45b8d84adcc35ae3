// The eye-exam form as the optometrist types it (dioptres, millimetres, decimal acuity) and the
// integer units the core stores (0.01 D, µm, acuity × 100, 0.1 mmHg). The core checks ranges and
// steps and names the field it refuses; this only turns text into numbers and back.

import type { Correction } from "../bindings/Correction";
import type { CorrectionKind } from "../bindings/CorrectionKind";
import type { Eye } from "../bindings/Eye";
import type { EyeExam } from "../bindings/EyeExam";
import type { EyeReading } from "../bindings/EyeReading";

/** The numeric fields of one eye, in the order the form shows them. */
export const READING_FIELDS = [
  "ucva_hundredths",
  "bcva_hundredths",
  "sphere_cd",
  "cylinder_cd",
  "axis_deg",
  "axial_length_um",
  "k1_cd",
  "k2_cd",
  "iop_dmmhg",
  "central_corneal_thickness_um",
] as const;
export type ReadingField = (typeof READING_FIELDS)[number];

/** How a field is typed: the factor from the typed number to the stored integer, and the decimals shown. */
const UNITS: Record<ReadingField, { factor: number; decimals: number; signed: boolean }> = {
  ucva_hundredths: { factor: 100, decimals: 2, signed: false },
  bcva_hundredths: { factor: 100, decimals: 2, signed: false },
  sphere_cd: { factor: 100, decimals: 2, signed: true },
  cylinder_cd: { factor: 100, decimals: 2, signed: true },
  axis_deg: { factor: 1, decimals: 0, signed: false },
  axial_length_um: { factor: 1000, decimals: 2, signed: false },
  k1_cd: { factor: 100, decimals: 2, signed: false },
  k2_cd: { factor: 100, decimals: 2, signed: false },
  iop_dmmhg: { factor: 10, decimals: 1, signed: false },
  central_corneal_thickness_um: { factor: 1, decimals: 0, signed: false },
};

export type EyeText = Record<ReadingField, string>;

export type ExamText = {
  examinedAt: string;
  biometer: string;
  nextRecheck: string;
  od: EyeText;
  os: EyeText;
  correctionKind: CorrectionKind | "";
  fittedOn: string;
  brand: string;
  manufacturer: string;
};

export function emptyEye(): EyeText {
  return Object.fromEntries(READING_FIELDS.map((f) => [f, ""])) as EyeText;
}

export function emptyExam(today: string): ExamText {
  return {
    examinedAt: today,
    biometer: "",
    nextRecheck: "",
    od: emptyEye(),
    os: emptyEye(),
    correctionKind: "",
    fittedOn: "",
    brand: "",
    manufacturer: "",
  };
}

/** A stored integer as the form shows it: `-225` sphere → "-2.25", `24120` µm → "24.12". */
export function showValue(field: ReadingField, value: number | null): string {
  if (value === null) return "";
  const u = UNITS[field];
  const text = (value / u.factor).toFixed(u.decimals);
  return u.signed && value > 0 ? `+${text}` : text;
}

/** The form text of a recorded exam, for amending it. */
export function examToText(exam: EyeExam): ExamText {
  const eye = (r: EyeReading): EyeText =>
    Object.fromEntries(READING_FIELDS.map((f) => [f, showValue(f, r[f])])) as EyeText;
  return {
    ...emptyExam(exam.examined_at),
    biometer: exam.biometer,
    nextRecheck: exam.next_recheck ?? "",
    od: eye(exam.od),
    os: eye(exam.os),
  };
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string };

/**
 * Typed text → stored integer. Empty is "not measured" (null). Accepts a comma as the decimal sign,
 * full-width digits and signs as Chinese input methods type them, and a leading "+".
 */
export function parseValue(field: ReadingField, text: string): number | null | undefined {
  const cleaned = text
    .trim()
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[，,。]/g, ".")
    .replace(/[－—–]/g, "-")
    .replace(/＋/g, "+");
  if (cleaned === "") return null;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(cleaned)) return undefined;
  const n = Number(cleaned);
  if (!Number.isFinite(n)) return undefined;
  if (!UNITS[field].signed && n < 0) return undefined;
  return Math.round(n * UNITS[field].factor);
}

function readEye(eye: Eye, text: EyeText): Parsed<EyeReading> {
  const reading: Record<string, unknown> = { eye };
  for (const f of READING_FIELDS) {
    const v = parseValue(f, text[f]);
    if (v === undefined) return { ok: false, field: `${eye}.${f}` };
    reading[f] = v;
  }
  return { ok: true, value: reading as EyeReading };
}

/**
 * The exam the form describes, or the first field that is not a number. The id, patient and store
 * come from the caller (a new id for a new exam, the same for an amendment).
 */
export function textToExam(
  text: ExamText,
  ids: { id: string; patientId: string; storeId: string },
): Parsed<{ exam: EyeExam; correction: Correction | null }> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text.examinedAt)) return { ok: false, field: "examined_at" };
  if (text.nextRecheck !== "" && !/^\d{4}-\d{2}-\d{2}$/.test(text.nextRecheck)) return { ok: false, field: "next_recheck" };
  if (text.fittedOn !== "" && !/^\d{4}-\d{2}-\d{2}$/.test(text.fittedOn)) return { ok: false, field: "correction.fitted_on" };
  const od = readEye("od", text.od);
  if (!od.ok) return od;
  const os = readEye("os", text.os);
  if (!os.ok) return os;
  const orNull = (s: string) => (s.trim() === "" ? null : s.trim());
  const correction: Correction | null =
    text.correctionKind === ""
      ? null
      : { kind: text.correctionKind, fitted_on: orNull(text.fittedOn), brand: orNull(text.brand), manufacturer: orNull(text.manufacturer) };
  return {
    ok: true,
    value: {
      exam: {
        id: ids.id,
        patient_id: ids.patientId,
        store_id: ids.storeId,
        examined_at: text.examinedAt,
        biometer: text.biometer.trim(),
        od: od.value,
        os: os.value,
        next_recheck: orNull(text.nextRecheck),
      },
      correction,
    },
  };
}

/** 0.01 D → "-1.25 D"; null → "—". */
export function dioptres(cd: number | null): string {
  if (cd === null) return "—";
  const t = (cd / 100).toFixed(2);
  return `${cd > 0 ? "+" : ""}${t} D`;
}

/** A change in 0.01 D with its sign always shown: "-0.50", "+0.25", "±0.00". */
export function dioptreChange(cd: number | null): string {
  if (cd === null) return "—";
  if (cd === 0) return "±0.00";
  return `${cd > 0 ? "+" : ""}${(cd / 100).toFixed(2)}`;
}

/** µm → "24.12 mm"; a change → "+0.18 mm". */
export function millimetres(um: number | null, change = false): string {
  if (um === null) return "—";
  const t = (um / 1000).toFixed(2);
  return `${change && um > 0 ? "+" : ""}${t} mm`;
}
