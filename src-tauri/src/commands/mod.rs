//! Tauri commands, one module per screen. Each is a few lines over the store.
pub mod board;
pub mod desk;
pub mod eyes;
pub mod print;
pub mod recall;
pub mod session;
pub mod sync;
