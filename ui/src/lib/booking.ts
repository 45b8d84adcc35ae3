// Booking-dialog rules that need no framework: the fee in yuan, narrowing by complaint, and which field an error concerns.

import type { BookingOptions } from "../bindings/BookingOptions";
import type { NamedRef } from "../bindings/NamedRef";

/** What an empty board slot pre-selects: that doctor (and a department of theirs) and that slot. */
export type BookingPreset = { doctorId: string; departmentNames: string[]; startMin: number };

export type YuanResult = { ok: true; fen: number } | { ok: false; problem: "format" | "negative" | "decimals" };

/** An amount typed in yuan ("", "0", "25", "12.5", "12.50") as integer fen; empty is 0 (no fee). */
export function parseYuan(text: string): YuanResult {
  const t = text.trim();
  if (t === "") return { ok: true, fen: 0 };
  if (/^-/.test(t)) return { ok: false, problem: "negative" };
  const m = /^(\d+)(?:\.(\d*))?$/.exec(t);
  if (!m) return { ok: false, problem: "format" };
  const decimals = m[2] ?? "";
  if (decimals.length > 2) return { ok: false, problem: "decimals" };
  const fen = Number(m[1]) * 100 + Number(decimals.padEnd(2, "0"));
  if (!Number.isSafeInteger(fen)) return { ok: false, problem: "format" };
  return { ok: true, fen };
}

/** The departments offered: all, or those treating the chosen complaint. */
export function departmentsFor(options: Pick<BookingOptions, "complaints" | "departments">, complaintId: string | null): NamedRef[] {
  const complaint = complaintId ? options.complaints.find((c) => c.id === complaintId) : undefined;
  if (!complaint) return options.departments;
  return options.departments.filter((d) => complaint.departmentIds.includes(d.id));
}

export type BookingField = "name" | "sex" | "birthDate" | "phone" | "patient" | "doctor" | "slot" | "visitType" | "fee" | "form";

/** The field of the booking dialog a command's error code is shown next to. */
export function bookingErrorField(command: "patient.create@1" | "booking.create@1", code: string): BookingField {
  if (command === "patient.create@1") {
    switch (code) {
      case "empty_text":
      case "text_too_long":
        return "name";
      case "invalid_phone":
        return "phone";
      case "invalid_birth_date":
        return "birthDate";
      default:
        return "form";
    }
  }
  switch (code) {
    case "slot_conflict":
    case "outside_schedule":
    case "not_on_slot_grid":
      return "slot";
    case "doctor_not_in_department":
      return "doctor";
    case "invalid_amount":
      return "fee";
    case "invalid_visit_type":
      return "visitType";
    case "not_found":
      return "patient";
    default:
      return "form";
  }
}
