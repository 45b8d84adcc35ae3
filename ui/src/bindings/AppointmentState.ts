// Hand-written to match the Rust DTOs until ts-rs generates this folder; keep the ts-rs shape.

export type AppointmentState = "pending" | "confirmed" | "checked_in" | "completed" | "cancelled" | "no_show";
