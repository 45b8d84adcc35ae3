// Hand-written to match the Rust DTOs until ts-rs generates this folder; keep the ts-rs shape.

export type FeeState = "none" | "pending" | "paid" | "refunded";
