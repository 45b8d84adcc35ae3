// What an appointment card on the board shows, worked out in one plain object per card: the column draws the
// card from it with one reactive update per card instead of a component with a reactive value per label and
// style property (those cost the page's live script heap about 3 KB more a card, 60 × 40 board). Pure.

import type { BoardAppointment } from "../bindings/BoardAppointment";
import { formatClock } from "./format";
import type { Span } from "./geometry";
import type { MessageKey } from "./i18n";

/** A card this tall shows a third line (time and state); shorter ones have both in their tooltip. */
export const THREE_LINES_PX = 56;
export const SYNC_ICON = { pending: "↻", confirmed: "✓", attention: "!" } as const;

export type CardView = {
  /** Tooltip and accessible name: time, patient, visit type, department, state, fee, sync. */
  summary: string;
  /** The fee badge; empty when there is no fee. */
  fee: string;
  sync: string;
  syncIcon: string;
  /**
   * The lines after the first, each after a line break (the card is `white-space: pre`): visit type and
   * department, then on a tall card time and state.
   */
  lines: string;
  /** Can be dragged to another time or doctor. */
  movable: boolean;
};

export function cardView(
  a: BoardAppointment,
  box: Span,
  t: (key: MessageKey) => string,
  movable = false,
): CardView {
  const time = `${formatClock(a.startMin)}–${formatClock(a.endMin)}`;
  const state = t(`state.${a.state}`);
  const fee = t(`fee.${a.fee}`);
  const sync = t(`sync.${a.sync}`);
  const meta = `${a.visitType} · ${a.department}`;
  const third = box.height >= THREE_LINES_PX ? `${time} · ${state}` : "";
  return {
    summary: [time, a.patientName, a.visitType, a.department, state, fee, sync].join(" · "),
    fee: a.fee === "none" ? "" : fee,
    sync,
    syncIcon: SYNC_ICON[a.sync],
    lines: third ? `\n${meta}\n${third}` : `\n${meta}`,
    movable,
  };
}

/** The appointment id of the card an event happened on (or inside), if any. */
export function cardIdOf(target: EventTarget | null): string | null {
  const el = target instanceof Element ? target.closest<HTMLElement>("[data-appointment-id]") : null;
  return el?.dataset.appointmentId ?? null;
}
