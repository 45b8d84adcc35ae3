// Hand-written to match the Rust DTOs until ts-rs generates this folder; keep the ts-rs shape.

export type StoreRef = { id: string, name: string, timezone: string, };
