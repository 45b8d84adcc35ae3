// Hand-written to match the Rust DTOs until ts-rs generates this folder; keep the ts-rs shape.
import type { Period } from "./Period";

export type BoardDoctor = { id: string, name: string, title: string, departments: Array<string>, 
/**
 * false = not yet in the store's doctor order: shown last with an "unlisted" marker.
 */
listed: boolean, hiddenFromPatients: boolean, periods: Array<Period>, slotMinutes: number, };
