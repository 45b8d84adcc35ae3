//! Opening the desk database: WAL, synchronous=FULL, foreign keys, busy timeout, and a
//! backup of the file before any migration runs.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{LocalStore, StoreError};

pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub busy_timeout: Duration,
    pub max_connections: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { busy_timeout: Duration::from_secs(5), max_connections: 4 }
    }
}

/// Opens (creating if needed) and migrates the database at `path`. When migrations are
/// pending on an existing file, the file is first copied next to it as
/// `<name>.before-v<N>.bak` (N = the newest migration already applied, 0 for none).
pub async fn open(path: &Path, opts: OpenOptions) -> Result<LocalStore, StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let existed = std::fs::metadata(path).map(|m| m.len() > 0).unwrap_or(false);
    let connect = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(opts.busy_timeout)
        // Reads map the file instead of copying each page through read(): the recall list
        // and the board read tens of thousands of index entries.
        .pragma("mmap_size", "268435456");
    let pool = SqlitePoolOptions::new().max_connections(opts.max_connections).connect_with(connect).await?;
    let store = LocalStore { pool };
    let applied = store.applied_migrations().await?;
    let pending = MIGRATOR.iter().any(|m| !applied.contains(&m.version));
    if pending && existed {
        let newest = applied.iter().max().copied().unwrap_or(0);
        store.backup_to(&backup_path(path, newest)).await?;
    }
    MIGRATOR.run(&store.pool).await?;
    Ok(store)
}

pub fn backup_path(db: &Path, version: i64) -> PathBuf {
    let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "desk.db".into());
    db.with_file_name(format!("{name}.before-v{version}.bak"))
}

impl LocalStore {
    async fn applied_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let exists: Option<(String,)> = sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
            .fetch_optional(&self.pool)
            .await?;
        if exists.is_none() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success = 1").fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// A consistent copy of the whole database (VACUUM INTO), safe while the desk works.
    pub async fn backup_to(&self, target: &Path) -> Result<(), StoreError> {
        if target.exists() {
            std::fs::remove_file(target)?;
        }
        sqlx::query("VACUUM INTO ?").bind(target.display().to_string()).execute(&self.pool).await?;
        Ok(())
    }

    /// The pragmas in force, for tests and the diagnostics screen.
    pub async fn pragmas(&self) -> Result<(String, i64, i64, i64), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let (journal,): (String,) = sqlx::query_as("PRAGMA journal_mode").fetch_one(&mut *conn).await?;
        let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(&mut *conn).await?;
        let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys").fetch_one(&mut *conn).await?;
        let (busy,): (i64,) = sqlx::query_as("PRAGMA busy_timeout").fetch_one(&mut *conn).await?;
        Ok((journal, sync, fk, busy))
    }
}
