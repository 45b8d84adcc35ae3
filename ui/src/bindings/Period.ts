// Hand-written to match the Rust DTOs until ts-rs generates this folder; keep the ts-rs shape.

/**
 * A working period of a doctor, in minutes since local midnight; outside periods is non-working time.
 */
export type Period = { startMin: number, endMin: number, };
