//! Test support shared by the server's HTTP tests and the sync client's (feature `testkit`,
//! never in a release build): a fresh server database per test, on SQLite (a temporary file)
//! or PostgreSQL (a new database on 127.0.0.1:5432, dropped afterwards), and the small demo
//! chains those tests load.

use std::sync::OnceLock;

use chrono::NaiveDate;
use clinicdesk_demo::{DemoChain, DemoConfig};
use clinicdesk_domain::model::Id;
use sqlx::Connection;

use crate::Backend;

/// PostgreSQL's maintenance database on the test machines (trust auth).
pub const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh, empty server database, gone with this value.
pub struct TestDb {
    pub url: String,
    _guard: Guard,
}

enum Guard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(String),
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Postgres(name) = self {
            let name = name.clone();
            // Dropped from a plain thread: a test's runtime may be shutting down.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(mut c) = sqlx::postgres::PgConnection::connect(PG_ADMIN).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).await;
                    }
                });
            })
            .join();
        }
    }
}

impl TestDb {
    /// A new database on `backend`. None when PostgreSQL is asked for and unreachable outside
    /// CI (a note says it was skipped); with `CI` set that is a failure.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                Some(TestDb { url: format!("sqlite:{}", dir.path().join("server.db").display()), _guard: Guard::Sqlite(dir) })
            }
            Backend::Postgres => {
                let mut admin = match sqlx::postgres::PgConnection::connect(PG_ADMIN).await {
                    Ok(c) => c,
                    Err(e) if std::env::var_os("CI").is_none() => {
                        eprintln!("SKIPPED on PostgreSQL: {PG_ADMIN} is not reachable ({e}); set CI=1 to make this a failure");
                        return None;
                    }
                    Err(e) => panic!("PostgreSQL at {PG_ADMIN} is required in CI: {e}"),
                };
                let name = format!("cd_test_{}", uuid::Uuid::new_v4().simple());
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create a test database");
                Some(TestDb { url: format!("postgres://postgres@127.0.0.1:5432/{name}"), _guard: Guard::Postgres(name) })
            }
        }
    }
}

/// The demo day the small chains are generated for.
pub fn demo_today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

/// A small demo chain (5 % of the full demo) for `demo_today`: seed 2026 is the desk's demo.
pub fn small_chain(seed: u64) -> DemoChain {
    clinicdesk_demo::generate(&DemoConfig { seed, size: 0.05, today: demo_today() })
}

/// The demo password's hash, made once per test binary (Argon2id is slow on purpose).
pub fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| clinicdesk_store::auth::hash_password(clinicdesk_demo::STAFF_PASSWORD))
}

/// The chain's one tenant.
pub fn tenant_of(chain: &DemoChain) -> Id {
    *chain.world.tenants.keys().next().expect("a chain has a tenant")
}

/// The store with this code.
pub fn store_by_code(chain: &DemoChain, code: &str) -> Id {
    chain.world.stores.values().find(|s| s.code == code).expect("a store with that code").id
}
