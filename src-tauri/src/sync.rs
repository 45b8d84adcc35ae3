//! Sync in the app: the server connection (address in `server.json` beside the database, the
//! token in the OS keychain), a background loop that syncs every 15 seconds, soon after every
//! local command and at once on "立即同步", and the state the indicator shows, pushed to the
//! window as the `sync-status` event whenever it changes.
//!
//! Offline is normal: a failed attempt only changes the indicator; the outbox keeps every
//! command until the server has answered it. A protocol error (a reused mutation id, a
//! payload that does not match its hash) halts syncing until IT looks: nothing is deleted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clinicdesk_domain::model::Id;
use clinicdesk_domain::sync::{Versions, PROTOCOL_VERSION};
use clinicdesk_domain::Lang;
use clinicdesk_store::LocalStore;
use clinicdesk_sync::{HttpTransport, Progress, SyncError};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, Notify, RwLock};

use crate::api::ApiError;
use crate::commands::sync::{SyncPhase, SyncProgress, SyncView};
use crate::keychain;

/// How often the desk syncs while nothing else asks it to.
const PERIOD: Duration = Duration::from_secs(15);
/// How long after a local command the desk syncs (commands in quick succession go together).
const AFTER_COMMAND: Duration = Duration::from_millis(300);

/// This desk's registration on a server (no secret: the token is in the keychain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerLink {
    pub url: String,
    /// The keychain account of the token: `<server device id>@<url>`.
    pub account: String,
    pub server_device_id: Id,
    pub staff_name: String,
}

impl ServerLink {
    fn file(data_dir: &Path) -> PathBuf {
        data_dir.join("server.json")
    }

    pub fn load(data_dir: &Path) -> Option<ServerLink> {
        let text = std::fs::read_to_string(Self::file(data_dir)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Written atomically (a temporary file renamed over the old one).
    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        let tmp = data_dir.join("server.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self).expect("json"))?;
        std::fs::rename(tmp, Self::file(data_dir))
    }

    pub fn remove(data_dir: &Path) -> std::io::Result<()> {
        match std::fs::remove_file(Self::file(data_dir)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Called with the new state whenever it changes (the app emits it as `sync-status`).
pub type Publish = Arc<dyn Fn(&SyncView) + Send + Sync>;

pub struct Syncer {
    /// Set once the desk database is found (`attach`).
    data_dir: std::sync::OnceLock<PathBuf>,
    link: RwLock<Option<ServerLink>>,
    view: RwLock<SyncView>,
    kick: Notify,
    /// One attempt at a time.
    running: Mutex<()>,
    publish: RwLock<Option<Publish>>,
}

impl Syncer {
    pub fn new() -> Arc<Syncer> {
        Arc::new(Syncer {
            data_dir: std::sync::OnceLock::new(),
            link: RwLock::new(None),
            view: RwLock::new(SyncView::local(None)),
            kick: Notify::new(),
            running: Mutex::new(()),
            publish: RwLock::new(None),
        })
    }

    /// Reads this desk's server link from `data_dir` and shows this desk's number (once, when
    /// the database opens).
    pub async fn attach(&self, data_dir: &Path, device_code: &str) {
        if self.data_dir.set(data_dir.to_path_buf()).is_err() {
            return;
        }
        let link = ServerLink::load(data_dir);
        *self.view.write().await = SyncView { device_code: Some(device_code.to_string()), ..SyncView::local(link.as_ref()) };
        *self.link.write().await = link;
    }

    fn dir(&self) -> std::io::Result<&Path> {
        self.data_dir.get().map(PathBuf::as_path).ok_or_else(|| std::io::Error::other("the desk database is not open yet"))
    }

    pub async fn set_publisher(&self, publish: Publish) {
        *self.publish.write().await = Some(publish);
    }

    pub async fn link(&self) -> Option<ServerLink> {
        self.link.read().await.clone()
    }

    pub async fn view(&self) -> SyncView {
        self.view.read().await.clone()
    }

    /// Asks the loop to sync soon (after a local command).
    pub fn nudge(&self) {
        self.kick.notify_one();
    }

    async fn update(&self, change: impl FnOnce(&mut SyncView)) {
        let view = {
            let mut v = self.view.write().await;
            change(&mut v);
            v.clone()
        };
        if let Some(p) = self.publish.read().await.as_ref() {
            p(&view);
        }
    }

    /// The counts the indicator shows, read from the desk database.
    pub async fn refresh_counts(&self, store: &LocalStore, store_id: Id) {
        let pending = store.pending_count().await.unwrap_or(0);
        let attention = store.attention_count().await.unwrap_or(0);
        let open = store.open_conflict_count(store_id).await.unwrap_or(0);
        self.update(|v| {
            v.pending = pending as u32;
            v.attention = attention as u32;
            v.open_conflicts = open as u32;
        })
        .await;
    }

    /// Connects this desk: keeps the link and the token (in the keychain), then syncs.
    pub async fn connect(&self, link: ServerLink, token: &str) -> Result<(), keychain::KeychainError> {
        if let Some(old) = self.link.read().await.as_ref() {
            let _ = keychain::forget(&old.account);
        }
        keychain::save(&link.account, token)?;
        self.dir().and_then(|dir| link.save(dir)).map_err(|e| keychain::KeychainError::Platform(e.to_string()))?;
        *self.link.write().await = Some(link.clone());
        self.update(|v| {
            v.server_url = Some(link.url.clone());
            v.signed_in_as = Some(link.staff_name.clone());
            v.state = SyncPhase::Offline;
            v.last_error = None;
        })
        .await;
        self.nudge();
        Ok(())
    }

    /// Disconnects: forgets the token and the link. The outbox stays: its commands go out
    /// after the desk is connected again.
    pub async fn disconnect(&self) {
        let old = self.link.write().await.take();
        if let Some(old) = old {
            let _ = keychain::forget(&old.account);
        }
        if let Ok(dir) = self.dir() {
            let _ = ServerLink::remove(dir);
        }
        self.update(|v| {
            v.server_url = None;
            v.signed_in_as = None;
            v.state = SyncPhase::LocalOnly;
            v.progress = None;
            v.last_error = None;
        })
        .await;
    }

    /// One attempt now: push the outbox, pull the server's changes. Returns when it ended.
    pub async fn sync_now(&self, store: &LocalStore, store_id: Id, lang: Lang) {
        let _one = self.running.lock().await;
        let Some(link) = self.link().await else {
            self.refresh_counts(store, store_id).await;
            return;
        };
        if self.view.read().await.state == SyncPhase::Halted {
            return;
        }
        let token = match keychain::load(&link.account) {
            Ok(Some(t)) => t,
            Ok(None) => {
                let e = ApiError::token_missing(lang);
                self.update(|v| {
                    v.state = SyncPhase::Offline;
                    v.last_error = Some(e);
                })
                .await;
                return;
            }
            Err(err) => {
                tracing::warn!(error = %err, "keychain unavailable");
                let e = ApiError::keychain(lang);
                self.update(|v| {
                    v.state = SyncPhase::Offline;
                    v.last_error = Some(e);
                })
                .await;
                return;
            }
        };
        self.update(|v| v.state = SyncPhase::Syncing).await;
        let transport = match HttpTransport::new(&link.url, &token, lang) {
            Ok(t) => t,
            Err(e) => {
                let shown = ApiError::from_sync(&SyncError::Transport(e), lang);
                self.update(|v| {
                    v.state = SyncPhase::Offline;
                    v.last_error = Some(shown);
                })
                .await;
                return;
            }
        };
        let versions = Versions {
            protocol: PROTOCOL_VERSION,
            schema: store.schema_version().await.unwrap_or(0),
            app: env!("CARGO_PKG_VERSION").into(),
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
        let mut on_progress = move |p: Progress| {
            let _ = tx.send(p);
        };
        let run = clinicdesk_sync::sync_once(store, &transport, versions, &mut on_progress);
        tokio::pin!(run);
        let result = loop {
            tokio::select! {
                r = &mut run => break r,
                Some(p) = rx.recv() => {
                    let shown = SyncProgress::from(&p);
                    self.update(|v| v.progress = Some(shown)).await;
                }
            }
        };
        let now = Utc::now();
        match result {
            Ok(report) => {
                let skew =
                    report.server_time.map(|t: DateTime<Utc>| (now - t).num_seconds().clamp(i32::MIN as i64, i32::MAX as i64) as i32);
                self.update(|v| {
                    v.state = SyncPhase::Online;
                    v.last_sync_at = Some(now.to_rfc3339());
                    v.last_error = None;
                    v.progress = None;
                    v.clock_skew_secs = skew;
                })
                .await;
            }
            Err(e) => {
                let halted = e.is_halt();
                tracing::warn!(code = %e.code(), "sync attempt failed");
                let shown = ApiError::from_sync(&e, lang);
                self.update(|v| {
                    v.state = if halted { SyncPhase::Halted } else { SyncPhase::Offline };
                    v.last_error = Some(shown);
                    v.progress = None;
                })
                .await;
            }
        }
        self.refresh_counts(store, store_id).await;
    }

    /// The background loop: every [`PERIOD`], or soon after a nudge.
    pub async fn run(self: Arc<Self>, store: LocalStore, store_id: Id, lang: Arc<RwLock<Lang>>) {
        self.refresh_counts(&store, store_id).await;
        loop {
            let nudged = tokio::time::timeout(PERIOD, self.kick.notified()).await.is_ok();
            if nudged {
                tokio::time::sleep(AFTER_COMMAND).await;
            }
            let lang = *lang.read().await;
            self.sync_now(&store, store_id, lang).await;
        }
    }
}
