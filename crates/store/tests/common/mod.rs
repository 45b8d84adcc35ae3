//! Shared by the store's tests: the demo chain in a fresh desk database, a desk set up for one
//! of its stores, its staff as actors, and row counts.
#![allow(dead_code)]

use chrono::NaiveDate;
use clinicdesk_demo::{generate, DemoChain, DemoConfig};
use clinicdesk_domain::model::Id;
use clinicdesk_domain::roles::{Actor, Role};
use clinicdesk_store::{open, Device, LocalStore, OpenOptions};
use uuid::Uuid;

/// The demo chain's today.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

pub struct Desk {
    pub _dir: tempfile::TempDir,
    pub store: LocalStore,
    pub chain: DemoChain,
    pub device: Device,
}

/// The demo chain (seed 7, a quarter size, as of [`today`]) in a fresh desk database that is
/// not yet set up for a store.
pub async fn demo_database() -> (tempfile::TempDir, LocalStore, DemoChain) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("desk.sqlite3"), OpenOptions::default()).await.unwrap();
    let chain = generate(&DemoConfig { seed: 7, size: 0.25, today: today() });
    store.import_chain(&chain.world, &chain.history, &chain.exams, &chain.corrections).await.unwrap();
    (dir, store, chain)
}

/// That database set up as the desk `device` of `store_id`.
pub async fn set_up(db: (tempfile::TempDir, LocalStore, DemoChain), store_id: Id, device: u128) -> Desk {
    let (dir, store, chain) = db;
    let device = store.set_up_device(store_id, Uuid::from_u128(device)).await.unwrap();
    Desk { _dir: dir, store, chain, device }
}

/// A staff member of `store_id` with `role`, as the actor of commands: one who works only
/// there when the chain has one (not a chain-wide account), else any who works there.
pub fn staff_of(chain: &DemoChain, store_id: Id, role: Role) -> Option<Actor> {
    let of_store = || chain.world.staff.values().filter(move |s| s.role == role && s.store_ids.contains(&store_id));
    let s = of_store().find(|s| s.store_ids.len() == 1).or_else(|| of_store().next())?;
    Some(Actor::Staff { staff_id: s.id, name: s.name.clone(), role: s.role, store_ids: s.store_ids.clone() })
}

/// The one integer a query returns (a count).
pub async fn scalar(store: &LocalStore, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(store.pool()).await.unwrap();
    n
}

/// The rows of a table.
pub async fn count(store: &LocalStore, table: &str) -> i64 {
    scalar(store, &format!("SELECT COUNT(*) FROM {table}")).await
}
