// The doctor-order editor's draft: listed doctors in order, the ones not yet in the order, and who is
// hidden from patients. Pure; the panel keeps one draft and saves it with store.set_doctor_order@1 and
// store.set_doctor_hidden@1. Hiding never changes anyone's position (DOMAIN.md §2).

import type { BoardDoctor } from "../bindings/BoardDoctor";

export type OrderDraft = {
  /** Doctor ids in the store's order. */
  listed: string[];
  /** Doctors not in the order yet, as the backend sends them (after the listed ones). */
  unlisted: string[];
  /** Hidden from patients, by doctor id. */
  hidden: Record<string, boolean>;
};

/** The draft of the order as the board has it. */
export function draftFrom(doctors: ReadonlyArray<BoardDoctor>): OrderDraft {
  return {
    listed: doctors.filter((d) => d.listed).map((d) => d.id),
    unlisted: doctors.filter((d) => !d.listed).map((d) => d.id),
    hidden: Object.fromEntries(doctors.map((d) => [d.id, d.hiddenFromPatients])),
  };
}

/** `list` with the item at `from` moved to index `to` (clamped); the same list when nothing moves. */
export function moveItem<T>(list: ReadonlyArray<T>, from: number, to: number): T[] {
  const result = [...list];
  if (from < 0 || from >= list.length) return result;
  const target = Math.max(0, Math.min(list.length - 1, to));
  if (target === from) return result;
  const [item] = result.splice(from, 1);
  result.splice(target, 0, item as T);
  return result;
}

/** Moves a listed doctor by `delta` places (−1 up, +1 down). */
export function moveDoctor(draft: OrderDraft, doctorId: string, delta: number): OrderDraft {
  const from = draft.listed.indexOf(doctorId);
  if (from < 0) return draft;
  return { ...draft, listed: moveItem(draft.listed, from, from + delta) };
}

/** Moves a listed doctor to index `to`. */
export function moveDoctorTo(draft: OrderDraft, doctorId: string, to: number): OrderDraft {
  const from = draft.listed.indexOf(doctorId);
  if (from < 0) return draft;
  return { ...draft, listed: moveItem(draft.listed, from, to) };
}

/** Adds an unlisted doctor to the order: last of the listed. */
export function addDoctor(draft: OrderDraft, doctorId: string): OrderDraft {
  if (!draft.unlisted.includes(doctorId)) return draft;
  return { ...draft, listed: [...draft.listed, doctorId], unlisted: draft.unlisted.filter((id) => id !== doctorId) };
}

/** Shows or hides a doctor to patients; the order stays as it is. */
export function setHidden(draft: OrderDraft, doctorId: string, hidden: boolean): OrderDraft {
  return { ...draft, hidden: { ...draft.hidden, [doctorId]: hidden } };
}

/** True when the listed order differs from the one the board has. */
export function orderChanged(doctors: ReadonlyArray<BoardDoctor>, draft: OrderDraft): boolean {
  const before = draftFrom(doctors).listed;
  return before.length !== draft.listed.length || before.some((id, i) => draft.listed[i] !== id);
}

/** The hidden flags the draft changes, in the draft's order. */
export function hiddenChanges(doctors: ReadonlyArray<BoardDoctor>, draft: OrderDraft): Array<{ doctorId: string; hidden: boolean }> {
  const before = new Map(doctors.map((d) => [d.id, d.hiddenFromPatients]));
  return [...draft.listed, ...draft.unlisted]
    .filter((id) => before.has(id) && (draft.hidden[id] ?? false) !== before.get(id))
    .map((id) => ({ doctorId: id, hidden: draft.hidden[id] ?? false }));
}

/**
 * Where a dragged row lands: the index among the rows whose vertical midpoints are `mids` (top to bottom)
 * for a pointer at `y`. The dragged row's own midpoint counts, so a small move keeps it in place.
 */
export function dropIndex(mids: ReadonlyArray<number>, y: number, from: number): number {
  let index = 0;
  for (let i = 0; i < mids.length; i++) {
    if (i === from) continue;
    if (y > (mids[i] as number)) index++;
  }
  return index;
}
