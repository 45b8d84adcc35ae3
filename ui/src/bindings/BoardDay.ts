// Hand-written to match the Rust DTOs until ts-rs generates this folder; keep the ts-rs shape.
import type { BoardAppointment } from "./BoardAppointment";
import type { BoardDoctor } from "./BoardDoctor";
import type { StoreRef } from "./StoreRef";

export type BoardDay = { store: StoreRef, stores: Array<StoreRef>, 
/**
 * YYYY-MM-DD, in the store's local time zone.
 */
date: string, today: string, 
/**
 * Minutes since local midnight bounding the grid.
 */
dayStartMin: number, dayEndMin: number, 
/**
 * Already in the store's order: listed doctors first, unlisted after. Not re-sorted by the UI.
 */
doctors: Array<BoardDoctor>, appointments: Array<BoardAppointment>, openRequests: number, };
