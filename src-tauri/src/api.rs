//! The one error shape at the IPC edge: `{code, message}`, message in the user's language,
//! plus `field` when a form value was refused (so the form can show it next to the field).

use clinicdesk_domain::roles::Role;
use clinicdesk_domain::Lang;
use clinicdesk_store::views::StoreRef;
use clinicdesk_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    /// The form field a refusal is about (`"od.sphere_cd"`, `"examined_at"`), when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

/// The signed-in staff member as the UI sees them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub staff_id: String,
    pub name: String,
    pub role: Role,
    pub stores: Vec<StoreRef>,
    /// The store the desk opens on: this desk's store when the staff member works there.
    pub store_id: String,
    /// Permission names the role holds ("book_appointment", …): the UI offers only these.
    pub permissions: Vec<String>,
}

impl ApiError {
    pub fn not_signed_in(lang: Lang) -> Self {
        ApiError {
            code: "not_signed_in".into(),
            message: lang.pick("请先登录。", "請先登入。", "Please sign in first.").into(),
            field: None,
        }
    }

    pub fn forbidden(lang: Lang) -> Self {
        ApiError {
            code: "forbidden".into(),
            message: lang
                .pick(
                    "您的账号未分配任何门店，请联系店长。",
                    "您的帳號未分配任何門店，請聯絡店長。",
                    "Your account has no store; ask a manager.",
                )
                .into(),
            field: None,
        }
    }

    pub fn too_many_attempts(lang: Lang, seconds: u64) -> Self {
        ApiError {
            code: "too_many_attempts".into(),
            message: match lang {
                Lang::ZhCn => format!("登录失败次数过多，请 {seconds} 秒后再试。"),
                Lang::ZhTw => format!("登入失敗次數過多，請 {seconds} 秒後再試。"),
                Lang::En => format!("Too many failed sign-ins; try again in {seconds} seconds."),
            },
            field: None,
        }
    }

    pub fn from_domain(e: &clinicdesk_domain::DomainError, lang: Lang) -> Self {
        ApiError { code: e.code().to_string(), message: e.message(lang), field: e.field() }
    }

    pub fn from_store(e: &StoreError, lang: Lang) -> Self {
        if !matches!(e, StoreError::Domain(_)) {
            // Details for IT; no patient data is in store errors.
            tracing::warn!(code = e.code(), error = %e, "desk command failed");
        }
        let field = match e {
            StoreError::Domain(d) => d.field(),
            _ => None,
        };
        ApiError { code: e.code().to_string(), message: e.message(lang), field }
    }

    /// A printout or eye view could not be made. Database details go to the log (they hold
    /// no patient data); the rest is said to the user.
    pub fn from_print(e: &clinicdesk_print::Failure, lang: Lang) -> Self {
        match e {
            clinicdesk_print::Failure::Db(store) => Self::from_store(store, lang),
            other => {
                if matches!(other, clinicdesk_print::Failure::Render(_)) {
                    tracing::warn!(code = other.code(), "printout could not be drawn");
                }
                ApiError { code: other.code().to_string(), message: other.message(lang), field: None }
            }
        }
    }

    /// The system viewer could not be started: the file is saved, open it by hand.
    pub fn open_failed(lang: Lang, path: &str) -> Self {
        ApiError {
            code: "open_failed".into(),
            message: match lang {
                Lang::ZhCn => format!("无法打开 PDF 查看器。文件已保存在 {path}，请手动打开。"),
                Lang::ZhTw => format!("無法開啟 PDF 檢視器。檔案已儲存在 {path}，請手動開啟。"),
                Lang::En => format!("The PDF viewer could not be opened. The file is saved at {path}; please open it by hand."),
            },
            field: None,
        }
    }

    pub fn bad_input(lang: Lang, what: &str) -> Self {
        ApiError {
            code: "invalid_input".into(),
            message: match lang {
                Lang::ZhCn => format!("输入有误：{what}"),
                Lang::ZhTw => format!("輸入有誤：{what}"),
                Lang::En => format!("Invalid input: {what}"),
            },
            field: None,
        }
    }

    /// The desk is connected to a server but the keychain holds no token for it.
    pub fn token_missing(lang: Lang) -> Self {
        ApiError {
            code: "token_missing".into(),
            message: lang
                .pick(
                    "本机的服务器凭据已丢失，请店长在“同步 › 服务器”中重新连接。未同步的记录都还在。",
                    "本機的伺服器憑據已遺失，請店長在「同步 › 伺服器」中重新連線。未同步的紀錄都還在。",
                    "This desk's server credentials are gone; a manager must reconnect under Sync › Server. Unsynced records are kept.",
                )
                .into(),
            field: None,
        }
    }

    /// The OS keychain could not be used (locked, or no keychain service).
    pub fn keychain(lang: Lang) -> Self {
        ApiError {
            code: "keychain_unavailable".into(),
            message: lang
                .pick(
                    "无法使用系统钥匙串保存服务器凭据。请解锁钥匙串后重试，或联系 IT。",
                    "無法使用系統鑰匙圈儲存伺服器憑據。請解鎖鑰匙圈後重試，或聯絡 IT。",
                    "The system keychain could not store the server credentials. Unlock it and try again, or call IT.",
                )
                .into(),
            field: None,
        }
    }

    /// A sync attempt that failed (offline is one of these: shown, never blocking).
    pub fn from_sync(e: &clinicdesk_sync::SyncError, lang: Lang) -> Self {
        ApiError { code: e.code(), message: e.message(lang), field: None }
    }

    /// Connecting the desk to a server failed, with the form field it is about.
    pub fn from_connect(e: &clinicdesk_sync::ConnectError, lang: Lang) -> Self {
        ApiError { code: e.code().to_string(), message: e.message(lang), field: e.field().map(str::to_string) }
    }
}
