// A card dropped on another slot as the arguments of appointment.reschedule@1, and the move that undoes it.
// Shared by the day board (another doctor or time) and the week view (another day or time). Pure.

import { zonedInstant } from "./format";
import type { Slot } from "./slots";

/** The arguments of one appointment.reschedule@1 (doctorId null: the same doctor). */
export type Move = { appointmentId: string; start: string; end: string; doctorId: string | null };

/** Where a card is or goes: a doctor, a store-local date and minutes. */
export type Place = { doctorId: string; date: string; startMin: number; endMin: number };

/**
 * The move of appointment `id` from `from` to the `slot` of `to.doctorId` on `to.date`, and the move back.
 * Times are instants in the store's time zone; the doctor is sent only when it changes.
 */
export function planMove(
  id: string,
  from: Place,
  to: { doctorId: string; date: string; slot: Slot },
  timeZone: string,
): { forward: Move; back: Move } {
  const otherDoctor = to.doctorId !== from.doctorId;
  return {
    forward: {
      appointmentId: id,
      start: zonedInstant(to.date, to.slot.startMin, timeZone),
      end: zonedInstant(to.date, to.slot.endMin, timeZone),
      doctorId: otherDoctor ? to.doctorId : null,
    },
    back: {
      appointmentId: id,
      start: zonedInstant(from.date, from.startMin, timeZone),
      end: zonedInstant(from.date, from.endMin, timeZone),
      doctorId: otherDoctor ? from.doctorId : null,
    },
  };
}
