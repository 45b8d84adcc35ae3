//! ClinicDesk's central server: the authority the desks sync with (SYNC.md).
//!
//! One schema on two backends (an embedded SQLite file by default, PostgreSQL with
//! `--database postgres://…`) through sqlx's `Any` driver. Domain rows live as JSON
//! documents (`entities`) beside a few narrow tables that let the database itself guard
//! the invariants: `appointment_slots` (capacity lanes; an exclusion constraint on
//! PostgreSQL), `refunds_live` (one live refund per fee), `commands` (every command's one
//! durable outcome, numbered by the per-tenant `tenant_seq`).
//!
//! Codemap: `db` connect/migrate/transactions · `docs` documents · `loader` the rows a
//! command reads (mirrors the desk's loader) · `apply` one command in a savepoint of a write
//! transaction · `writer` SQLite group commit (one transaction and fsync for the commands
//! waiting) · `lanes` capacity lanes · `auth` sign-in and device tokens · `import` loading a chain ·
//! `http` the axum edge · `patient` the patient app's API · `pay` online refunds through the
//! payment provider (`SimWeChatPay` by default) · `sync` the desks' push and pull
//! (`/sync/v1/…`) · `openapi` the API document.
//!
//! Invariants: every read and write names the tenant of the signed-in device, so one chain
//! never sees another's rows; a desk acts only in its own store; the rules live only in
//! `clinicdesk_domain::commands::handle`; logs carry names of commands, codes and ids,
//! never patient data.

pub mod apply;
pub mod auth;
pub mod db;
pub mod docs;
mod error;
pub mod http;
pub mod import;
pub mod lanes;
pub mod loader;
pub mod openapi;
pub mod patient;
pub mod pay;
pub mod sync;
#[cfg(feature = "testkit")]
pub mod testkit;
mod writer;

use std::sync::Arc;

pub use db::{Backend, Db};
pub use error::{domain_status, status_of_code, ServerError};

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite:path` (created if missing) or `postgres://…`.
    pub database: String,
    pub max_connections: u32,
    /// How long a device token lasts before the desk must sign in again.
    pub token_ttl: chrono::Duration,
    /// Largest request body accepted (bigger ones get 413).
    pub body_limit: usize,
    /// Largest (decompressed) body of a sync request: a push carries up to 500 commands.
    pub sync_body_limit: usize,
    /// The verification code patients sign in with (no SMS in this build).
    pub patient_code: String,
    /// How long a patient's sign-in lasts.
    pub patient_token_ttl: chrono::Duration,
}

impl Config {
    pub fn new(database: impl Into<String>) -> Config {
        Config {
            database: database.into(),
            max_connections: 10,
            token_ttl: chrono::Duration::days(180),
            body_limit: 256 * 1024,
            sync_body_limit: 8 * 1024 * 1024,
            patient_code: patient::DEMO_VERIFICATION_CODE.to_string(),
            patient_token_ttl: chrono::Duration::days(30),
        }
    }
}

/// A running server's core: its database and sign-in state.
#[derive(Clone)]
pub struct App {
    state: http::AppState,
}

impl App {
    /// Connects to the database and applies pending migrations; online refunds go to a
    /// simulated WeChat Pay.
    pub async fn open(config: &Config) -> Result<App, ServerError> {
        App::open_with_provider(config, Arc::new(pay::SimWeChatPay::new())).await
    }

    /// Like [`App::open`], with the payment provider online refunds go to.
    pub async fn open_with_provider(config: &Config, provider: Arc<dyn pay::PaymentProvider>) -> Result<App, ServerError> {
        let db = Db::connect(&config.database, config.max_connections).await?;
        let auth = Arc::new(auth::Auth::new(config.token_ttl));
        Ok(App {
            state: http::AppState {
                db,
                auth,
                body_limit: config.body_limit,
                sync_body_limit: config.sync_body_limit,
                pay: provider,
                patient_code: config.patient_code.clone(),
                patient_token_ttl: config.patient_token_ttl,
            },
        })
    }

    pub fn payments(&self) -> &Arc<dyn pay::PaymentProvider> {
        &self.state.pay
    }

    /// Sends refunds left pending by a crash or a provider outage (the same out_refund_no
    /// again) and records those the provider confirmed since. Run at start and periodically.
    pub async fn reconcile_refunds(&self) -> Result<(), ServerError> {
        pay::resend_pending(self.db(), self.state.pay.as_ref()).await?;
        pay::refresh_processing(self.db(), self.state.pay.as_ref()).await?;
        Ok(())
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub fn router(&self) -> axum::Router {
        http::router(self.state.clone())
    }

    /// Loads the demo chain (the desk's: seed 2026) with its demo staff password, if the
    /// database holds no chain yet. Returns whether it loaded it.
    pub async fn load_demo_if_empty(&self, today: chrono::NaiveDate) -> Result<bool, ServerError> {
        if !self.db().is_empty().await? {
            return Ok(false);
        }
        let chain = clinicdesk_demo::generate(&clinicdesk_demo::DemoConfig { seed: 2026, size: 1.0, today });
        import::import_chain(self.db(), &chain, chain.staff_password).await?;
        Ok(true)
    }

    /// Serves HTTP on `listener` until `shutdown` completes.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router()).with_graceful_shutdown(shutdown).await
    }
}
