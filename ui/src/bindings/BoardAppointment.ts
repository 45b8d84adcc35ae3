// Hand-written to match the Rust DTOs until ts-rs generates this folder; keep the ts-rs shape.
import type { AppointmentState } from "./AppointmentState";
import type { FeeState } from "./FeeState";
import type { SyncState } from "./SyncState";

export type BoardAppointment = { id: string, doctorId: string, patientName: string, startMin: number, endMin: number, state: AppointmentState, visitType: string, department: string, fee: FeeState, sync: SyncState, };
