//! Local backups of the desk database (SYNC.md §9: a dead disk during a long outage is the
//! likeliest way to lose writes): a consistent copy (`VACUUM INTO`) in `backups/` beside the
//! database every hour while the app runs, the newest [`KEEP`] kept. Restoring is for clinic
//! IT, with the app closed: `clinicdesk --restore <backup file>` puts the backup in place and
//! keeps the replaced database beside it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use clinicdesk_store::LocalStore;

/// How often a backup is taken while the app runs.
pub const EVERY: Duration = Duration::from_secs(60 * 60);
/// How many backups are kept (two days of hourly copies).
pub const KEEP: usize = 48;

const PREFIX: &str = "desk-";
const SUFFIX: &str = ".sqlite3";

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}

/// The backups in `data_dir`, newest first.
pub fn list(data_dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir(data_dir))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX)))
        .collect();
    // The names hold a sortable UTC stamp.
    files.sort();
    files.reverse();
    files
}

/// Takes a backup now (written under a temporary name, then renamed, so a backup file is
/// always whole) and prunes the oldest beyond [`KEEP`].
pub async fn take(store: &LocalStore, data_dir: &Path, now: DateTime<Utc>) -> Result<PathBuf, clinicdesk_store::StoreError> {
    let folder = dir(data_dir);
    std::fs::create_dir_all(&folder)?;
    let target = folder.join(format!("{PREFIX}{}{SUFFIX}", now.format("%Y%m%d-%H%M%S")));
    let partial = folder.join("partial.sqlite3.tmp");
    store.backup_to(&partial).await?;
    std::fs::rename(&partial, &target)?;
    for old in list(data_dir).into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(old);
    }
    Ok(target)
}

/// The background loop: a backup at start when the newest is older than [`EVERY`], then
/// every [`EVERY`].
pub async fn run(store: LocalStore, data_dir: PathBuf) {
    let newest_age =
        list(&data_dir).first().and_then(|p| std::fs::metadata(p).ok()).and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
    let mut wait = match newest_age {
        Some(age) if age < EVERY => EVERY - age,
        _ => Duration::ZERO,
    };
    loop {
        tokio::time::sleep(wait).await;
        match take(&store, &data_dir, Utc::now()).await {
            Ok(path) => tracing::info!(file = %path.display(), "desk database backed up"),
            Err(e) => tracing::warn!(code = e.code(), error = %e, "desk database backup failed"),
        }
        wait = EVERY;
    }
}

/// Puts `backup` in place of the desk database `db` (the app must be closed). The replaced
/// file is kept as `<db>.before-restore-<stamp>`; returns its path.
pub fn restore(db: &Path, backup: &Path, now: DateTime<Utc>) -> std::io::Result<PathBuf> {
    let header = {
        use std::io::Read;
        let mut h = [0u8; 16];
        std::fs::File::open(backup)?.read_exact(&mut h)?;
        h
    };
    if &header != b"SQLite format 3\0" {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "not a desk database backup"));
    }
    let kept = db.with_extension(format!("sqlite3.before-restore-{}", now.format("%Y%m%d-%H%M%S")));
    if db.exists() {
        std::fs::rename(db, &kept)?;
    }
    for side in ["-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{side}", db.display()));
        if p.exists() {
            std::fs::rename(&p, PathBuf::from(format!("{}{side}", kept.display())))?;
        }
    }
    std::fs::copy(backup, db)?;
    // Noted in the database when it opens (`take_restore_marker`).
    std::fs::write(marker(db), now.to_rfc3339())?;
    Ok(kept)
}

fn marker(db: &Path) -> PathBuf {
    db.with_extension("sqlite3.restored")
}

/// True (once) when `restore` put a backup in place since the database last opened.
pub fn take_restore_marker(data_dir: &Path) -> bool {
    std::fs::remove_file(marker(&data_dir.join("desk.sqlite3"))).is_ok()
}
