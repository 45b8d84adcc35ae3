//! Connecting to the server database (an embedded SQLite file or PostgreSQL) through sqlx's
//! `Any` driver, applying the backend's migrations, and opening write transactions.
//!
//! Discipline: runtime `sqlx::query` with `$1, $2 …` placeholders (both backends accept
//! them), only types the `Any` driver carries (TEXT, BIGINT, BOOLEAN), tested on both.

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::apply::CommandOutcome;
use crate::writer::{Job, Pending, Writers};
use crate::ServerError;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, ServerError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(ServerError::BadDatabaseUrl(url.to_string()))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        }
    }
}

/// The server's database.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    /// SQLite has one writer at a time; queueing writers here instead of in SQLite's busy
    /// handler keeps them fair and fast. PostgreSQL needs no such lock.
    write_lock: Option<Arc<Mutex<()>>>,
    /// Where commands are applied (`writer.rs`: SQLite's group-commit writer; on PostgreSQL
    /// each in its own transaction); None in the writer's own handle.
    writers: Option<Arc<Writers>>,
}

/// A write transaction (and, on SQLite, this process's writer slot).
pub struct WriteTx {
    pub tx: Transaction<'static, Any>,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), ServerError> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Db {
    /// Connects and applies pending migrations. `sqlite:path` creates the file if needed.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, ServerError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' }),
            _ => url.to_string(),
        };
        let options: AnyConnectOptions = url.parse()?;
        let mut pool = AnyPoolOptions::new().max_connections(max_connections).acquire_timeout(Duration::from_secs(30));
        if backend == Backend::Sqlite {
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(options).await?;
        backend.migrator().run(&pool).await?;
        let mut db = Db { pool, backend, write_lock: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))), writers: None };
        db.ensure_epoch().await?;
        db.writers = Some(Arc::new(Writers::start(db.clone())));
        Ok(db)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite (the write lock at once),
    /// a plain READ COMMITTED transaction on PostgreSQL (the tenant's counter row lock,
    /// taken first thing, orders writers of one tenant).
    pub async fn begin_write(&self) -> Result<WriteTx, ServerError> {
        let writer = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx { tx, _writer: writer })
    }

    /// Applies a command through `writer.rs` and waits for its durable outcome.
    pub(crate) async fn submit(&self, job: (Job, Pending)) -> Result<CommandOutcome, ServerError> {
        match &self.writers {
            Some(w) => w.submit(self, job).await,
            None => Err(ServerError::Db(sqlx::Error::PoolClosed)),
        }
    }

    /// The newest applied migration: the schema version.
    pub async fn schema_version(&self) -> Result<i64, ServerError> {
        let (v,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = $1")
            .bind(true)
            .fetch_one(&self.pool)
            .await?;
        Ok(v)
    }

    /// A random id made when the database was created: a restore from backup keeps it, a
    /// new database gets a new one, so cursors can tell them apart (SYNC.md §4).
    pub async fn epoch(&self) -> Result<String, ServerError> {
        let (v,): (String,) = sqlx::query_as("SELECT value FROM server_meta WHERE key = $1").bind("epoch").fetch_one(&self.pool).await?;
        Ok(v)
    }

    async fn ensure_epoch(&self) -> Result<(), ServerError> {
        sqlx::query("INSERT INTO server_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind("epoch")
            .bind(uuid::Uuid::new_v4().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// True when no chain has been loaded yet.
    pub async fn is_empty(&self) -> Result<bool, ServerError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tenant_seq").fetch_one(&self.pool).await?;
        Ok(n == 0)
    }
}
