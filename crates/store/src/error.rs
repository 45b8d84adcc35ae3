//! Errors of the local store: a domain rule said no, or the database failed.

use clinicdesk_domain::{DomainError, Lang};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("sign-in failed")]
    SignInFailed,
    #[error("the desk database could not be opened: {0}")]
    NotOpen(String),
    #[error("the desk is not set up: {0}")]
    NotSetUp(&'static str),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Domain(e) => e.code(),
            StoreError::Db(sqlx::Error::Database(d)) if d.is_unique_violation() => "constraint",
            StoreError::Db(_) => "database",
            StoreError::Migrate(_) => "migration",
            StoreError::Io(_) => "file",
            StoreError::Corrupt(_) => "corrupt",
            StoreError::NotSetUp(_) => "not_set_up",
            StoreError::NotOpen(_) => "not_open",
            StoreError::SignInFailed => "sign_in_failed",
        }
    }

    /// What to tell the person at the desk. Database details stay in the log.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            StoreError::Domain(e) => e.message(lang),
            StoreError::Db(sqlx::Error::Database(d)) if d.is_unique_violation() => lang
                .pick(
                    "数据冲突：该记录已存在或已处理（例如已退过费）。请刷新后查看。",
                    "資料衝突：該記錄已存在或已處理（例如已退過費）。請重新整理後查看。",
                    "Conflict: this record already exists or was already handled (e.g. already refunded). Refresh to see it.",
                )
                .into(),
            StoreError::Db(_) | StoreError::Io(_) => lang
                .pick(
                    "本地数据库暂时无法写入，操作未保存。请重试；如反复出现请联系 IT。",
                    "本地資料庫暫時無法寫入，操作未儲存。請重試；如反覆出現請聯絡 IT。",
                    "The local database could not be written; nothing was saved. Try again, and call IT if it keeps happening.",
                )
                .into(),
            StoreError::Migrate(_) => lang
                .pick(
                    "数据库升级失败，已保留升级前的备份。请联系 IT。",
                    "資料庫升級失敗，已保留升級前的備份。請聯絡 IT。",
                    "Upgrading the database failed; the backup taken before it is kept. Please call IT.",
                )
                .into(),
            StoreError::Corrupt(_) => lang
                .pick(
                    "本地数据损坏，请联系 IT 从备份恢复。",
                    "本地資料損壞，請聯絡 IT 從備份還原。",
                    "Local data is damaged; call IT to restore from a backup.",
                )
                .into(),
            StoreError::SignInFailed => lang
                .pick("账号或密码错误，请重新输入。", "帳號或密碼錯誤，請重新輸入。", "Wrong login or password; please try again.")
                .into(),
            StoreError::NotOpen(_) => lang
                .pick(
                    "本地数据库无法打开，请重启应用；如仍失败请联系 IT（数据未丢失，备份在数据目录中）。",
                    "本地資料庫無法開啟，請重新啟動應用程式；如仍失敗請聯絡 IT（資料未遺失，備份在資料目錄中）。",
                    "The local database could not be opened. Restart the app; if it still fails, call IT (no data is lost; backups are in the data folder).",
                )
                .into(),
            StoreError::NotSetUp(_) => lang
                .pick(
                    "本机尚未设置门店，请先登录。",
                    "本機尚未設定門店，請先登入。",
                    "This desk is not set up for a store yet; sign in first.",
                )
                .into(),
        }
    }
}
