//! The desk's local SQLite store: opens and migrates the database (with a backup first),
//! runs every command in one write transaction together with its outbox row, and answers
//! the board's queries.
//!
//! Discipline: runtime `sqlx::query` calls (no compile-time macros), each tested against a
//! real SQLite file. Ids are stored as hyphenated TEXT, instants as Unix seconds.

pub mod auth;
pub mod booking;
mod db;
mod demo;
pub mod detail;
mod error;
mod exec;
pub mod eyes;
mod load;
mod raw;
pub mod recall;
mod rows;
pub mod sync;
pub mod sync_view;
pub mod views;
mod write;

pub use db::{open, OpenOptions};
pub use error::StoreError;
pub use exec::{payload_hash, Device, Executed, OutboxRow};

use sqlx::SqlitePool;

/// A desk's database.
#[derive(Clone)]
pub struct LocalStore {
    pool: SqlitePool,
}

impl LocalStore {
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

pub(crate) fn id_str(id: uuid::Uuid) -> String {
    id.hyphenated().to_string()
}

pub(crate) fn parse_id(s: &str) -> Result<uuid::Uuid, StoreError> {
    uuid::Uuid::parse_str(s).map_err(|_| StoreError::Corrupt(format!("bad id {s:?}")))
}

pub(crate) fn ts(at: chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp()
}

pub(crate) fn from_ts(secs: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default()
}
