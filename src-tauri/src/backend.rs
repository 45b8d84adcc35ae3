//! App state registered once in `setup`: the local store, this desk's identity, the language.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use clinicdesk_domain::model::Id;
use clinicdesk_domain::roles::{Actor, Permission};
use clinicdesk_domain::Lang;
use clinicdesk_store::auth::SignInLimiter;
use clinicdesk_store::{Device, LocalStore, OpenOptions, StoreError};
use tokio::sync::{Mutex, OnceCell, RwLock};

use crate::api::ApiError;

#[derive(Clone)]
pub struct Ready {
    pub store: LocalStore,
    pub device: Device,
}

#[derive(Clone)]
pub struct AppState {
    ready: Arc<OnceCell<Result<Ready, String>>>,
    notify: Arc<tokio::sync::Notify>,
    pub lang: Arc<RwLock<Lang>>,
    /// The signed-in staff member; every command acts as them.
    pub session: Arc<RwLock<Option<Actor>>>,
    pub limiter: Arc<Mutex<SignInLimiter>>,
    /// Sync with the central server (idle until the desk is connected to one).
    pub syncer: Arc<crate::sync::Syncer>,
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

impl AppState {
    pub fn new() -> Self {
        AppState {
            ready: Arc::new(OnceCell::new()),
            notify: Arc::new(tokio::sync::Notify::new()),
            lang: Arc::new(RwLock::new(Lang::ZhCn)),
            session: Arc::new(RwLock::new(None)),
            limiter: Arc::new(Mutex::new(SignInLimiter::default())),
            syncer: crate::sync::Syncer::new(),
        }
    }

    pub async fn lang(&self) -> Lang {
        *self.lang.read().await
    }

    /// The database and the signed-in staff member, who must hold `permission` in `store`.
    pub async fn act(&self, permission: Permission, store_id: Option<Id>) -> Result<(Ready, Actor), ApiError> {
        let lang = self.lang().await;
        let ready = self.ready().await.map_err(|e| ApiError::from_store(&e, lang))?;
        let actor = self.session.read().await.clone().ok_or_else(|| ApiError::not_signed_in(lang))?;
        actor.require(permission, store_id).map_err(|e| ApiError::from_domain(&e, lang))?;
        Ok((ready, actor))
    }

    /// Opens the desk database under `data_dir`; on first start loads the demo clinic and
    /// sets this desk up for its first store.
    pub async fn init(&self, data_dir: &Path) -> Result<(), StoreError> {
        let result = open_desk(data_dir).await;
        if let Ok(ready) = &result {
            self.syncer.attach(data_dir, &ready.device.device_code).await;
        }
        let stored = result.as_ref().map(Clone::clone).map_err(|e| format!("{}: {e}", e.code()));
        let _ = self.ready.set(stored);
        self.notify.notify_waiters();
        result.map(|_| ())
    }

    /// Waits until the database is open.
    pub async fn ready(&self) -> Result<Ready, StoreError> {
        loop {
            let notified = self.notify.notified();
            if let Some(r) = self.ready.get() {
                return r.clone().map_err(StoreError::NotOpen);
            }
            notified.await;
        }
    }

    pub fn is_ready(&self) -> bool {
        self.ready.get().is_some()
    }
}

async fn open_desk(data_dir: &Path) -> Result<Ready, StoreError> {
    let store = clinicdesk_store::open(&data_dir.join("desk.sqlite3"), OpenOptions::default()).await?;
    if store.is_empty().await? {
        let started = std::time::Instant::now();
        let today = clinicdesk_domain::slots::local_date(clinicdesk_domain::slots::DEFAULT_TZ, Utc::now());
        let chain = clinicdesk_demo::generate(&clinicdesk_demo::DemoConfig { seed: 2026, size: 1.0, today });
        store.import_chain(&chain.world, &chain.history, &chain.exams, &chain.corrections).await?;
        store.set_password(None, chain.staff_password).await?;
        tracing::info!(ms = started.elapsed().as_millis() as u64, "demo clinic loaded");
    }
    if crate::backup::take_restore_marker(data_dir) {
        // Put back from a backup: sync renumbers what the server numbered differently since.
        store.note_restored_from_backup().await?;
    }
    let device = match store.device().await? {
        Some(d) => d,
        None => {
            let first = store.stores().await?.into_iter().next().ok_or(StoreError::NotSetUp("no store"))?;
            let store_id: Id = first.id.parse().map_err(|_| StoreError::Corrupt("store id".into()))?;
            store.set_up_device(store_id, uuid::Uuid::now_v7()).await?
        }
    };
    Ok(Ready { store, device })
}
