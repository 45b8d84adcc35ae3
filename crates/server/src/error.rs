//! The server's one error type: every variant has a stable `code()`, an HTTP status and a
//! `message(lang)` that says what happened and what to do. Database details go to the log.

use clinicdesk_domain::{DomainError, Lang};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("request body is not JSON: {0}")]
    MalformedJson(String),
    #[error("request body does not match: {0}")]
    InvalidRequest(String),
    #[error("request body too large")]
    BodyTooLarge { limit: usize },
    #[error("no device token")]
    TokenMissing,
    #[error("unknown device token")]
    TokenInvalid,
    #[error("device token revoked")]
    TokenRevoked,
    #[error("device token expired")]
    TokenExpired,
    #[error("sign-in failed")]
    SignInFailed,
    #[error("login exists in several chains")]
    TenantRequired,
    #[error("too many failed sign-ins")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("only a manager may do this")]
    ManagerOnly,
    #[error("mutation id reused with another payload")]
    MutationReused,
    #[error("device_seq reused by another command")]
    DeviceSeqReused,
    #[error("not found")]
    NotFound,
    #[error("no such endpoint")]
    NoSuchEndpoint,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("unsupported database url")]
    BadDatabaseUrl(String),
    #[error("no patient token")]
    PatientTokenMissing,
    #[error("unknown patient token")]
    PatientTokenInvalid,
    #[error("patient token expired")]
    PatientTokenExpired,
    #[error("phone or verification code wrong")]
    VerificationFailed,
    #[error("sync protocol {got} not supported (this server speaks {supported})")]
    ProtocolUnsupported { got: u32, supported: u32 },
    #[error("device_seq gap: expected {expected}, got {got}")]
    DeviceSeqGap { expected: i64, got: i64 },
    #[error("payload hash of device_seq {device_seq} does not match its payload")]
    PayloadHashMismatch { device_seq: i64 },
}

impl ServerError {
    pub fn code(&self) -> &'static str {
        use ServerError::*;
        match self {
            Domain(e) => e.code(),
            Db(_) => "database",
            Migrate(_) => "migration",
            Corrupt(_) => "corrupt",
            MalformedJson(_) => "malformed_json",
            InvalidRequest(_) => "invalid_request",
            BodyTooLarge { .. } => "body_too_large",
            TokenMissing => "token_missing",
            TokenInvalid => "token_invalid",
            TokenRevoked => "token_revoked",
            TokenExpired => "token_expired",
            SignInFailed => "sign_in_failed",
            TenantRequired => "tenant_required",
            TooManyAttempts { .. } => "too_many_attempts",
            ManagerOnly => "forbidden",
            MutationReused => "mutation_id_reused",
            DeviceSeqReused => "device_seq_reused",
            NotFound => "not_found",
            NoSuchEndpoint => "no_such_endpoint",
            MethodNotAllowed => "method_not_allowed",
            BadDatabaseUrl(_) => "bad_database_url",
            PatientTokenMissing => "token_missing",
            PatientTokenInvalid => "token_invalid",
            PatientTokenExpired => "token_expired",
            VerificationFailed => "verification_failed",
            ProtocolUnsupported { .. } => "protocol_unsupported",
            DeviceSeqGap { .. } => "device_seq_gap",
            PayloadHashMismatch { .. } => "payload_hash_mismatch",
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> u16 {
        use ServerError::*;
        match self {
            Domain(e) => domain_status(e),
            Db(_) | Migrate(_) | Corrupt(_) | BadDatabaseUrl(_) => 500,
            MalformedJson(_) | TenantRequired => 400,
            InvalidRequest(_) => 422,
            BodyTooLarge { .. } => 413,
            TokenMissing | TokenInvalid | TokenRevoked | TokenExpired | SignInFailed => 401,
            PatientTokenMissing | PatientTokenInvalid | PatientTokenExpired | VerificationFailed => 401,
            TooManyAttempts { .. } => 429,
            ManagerOnly => 403,
            MutationReused | DeviceSeqReused | DeviceSeqGap { .. } | PayloadHashMismatch { .. } => 409,
            ProtocolUnsupported { .. } => 426,
            NotFound | NoSuchEndpoint => 404,
            MethodNotAllowed => 405,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        use ServerError::*;
        let l = lang;
        match self {
            Domain(e) => e.message(lang),
            Db(_) | Corrupt(_) => l
                .pick(
                    "服务器暂时无法处理，操作未保存。请稍后重试；如反复出现请联系 IT。",
                    "伺服器暫時無法處理，操作未儲存。請稍後重試；如反覆出現請聯絡 IT。",
                    "The server could not handle this just now; nothing was saved. Try again later, and call IT if it keeps happening.",
                )
                .into(),
            Migrate(_) | BadDatabaseUrl(_) => l
                .pick(
                    "服务器数据库配置错误，请联系 IT。",
                    "伺服器資料庫設定錯誤，請聯絡 IT。",
                    "The server's database is misconfigured; call IT.",
                )
                .into(),
            MalformedJson(detail) => match l {
                Lang::ZhCn => format!("请求不是有效的 JSON：{detail}"),
                Lang::ZhTw => format!("請求不是有效的 JSON：{detail}"),
                Lang::En => format!("The request body is not valid JSON: {detail}"),
            },
            InvalidRequest(detail) => match l {
                Lang::ZhCn => format!("请求内容不符合接口要求：{detail}"),
                Lang::ZhTw => format!("請求內容不符合介面要求：{detail}"),
                Lang::En => format!("The request does not match the API: {detail}"),
            },
            BodyTooLarge { limit } => match l {
                Lang::ZhCn => format!("请求太大：最多 {} KiB。", limit / 1024),
                Lang::ZhTw => format!("請求太大：最多 {} KiB。", limit / 1024),
                Lang::En => format!("The request is too large: at most {} KiB.", limit / 1024),
            },
            TokenMissing => l
                .pick(
                    "缺少设备令牌：请先登录本机（Authorization: Bearer <令牌>）。",
                    "缺少裝置權杖：請先登入本機（Authorization: Bearer <權杖>）。",
                    "No device token: sign this desk in first (Authorization: Bearer <token>).",
                )
                .into(),
            TokenInvalid => l
                .pick(
                    "设备令牌无效，请重新登录本机。",
                    "裝置權杖無效，請重新登入本機。",
                    "The device token is not valid; sign this desk in again.",
                )
                .into(),
            TokenRevoked => l
                .pick(
                    "本机已被店长停用，请联系店长后重新登录。",
                    "本機已被店長停用，請聯絡店長後重新登入。",
                    "A manager revoked this desk's access; talk to the manager, then sign in again.",
                )
                .into(),
            TokenExpired => l
                .pick(
                    "设备令牌已过期，请重新登录本机。",
                    "裝置權杖已過期，請重新登入本機。",
                    "The device token has expired; sign this desk in again.",
                )
                .into(),
            SignInFailed => {
                l.pick("账号或密码错误，请重新输入。", "帳號或密碼錯誤，請重新輸入。", "Wrong login or password; please try again.").into()
            }
            TenantRequired => l
                .pick(
                    "该账号存在于多个机构，请同时指定机构编号（tenant）。",
                    "該帳號存在於多個機構，請同時指定機構編號（tenant）。",
                    "This login exists in several clinic chains; give the chain's id (tenant) too.",
                )
                .into(),
            TooManyAttempts { retry_after_secs } => match l {
                Lang::ZhCn => format!("密码错误次数过多，该账号已暂时锁定，请 {retry_after_secs} 秒后再试。"),
                Lang::ZhTw => format!("密碼錯誤次數過多，該帳號已暫時鎖定，請 {retry_after_secs} 秒後再試。"),
                Lang::En => format!("Too many wrong passwords: this login is locked; try again in {retry_after_secs} seconds."),
            },
            ManagerOnly => l
                .pick("只有该门店的店长可以执行此操作。", "只有該門店的店長可以執行此操作。", "Only a manager of that store may do this.")
                .into(),
            MutationReused => l
                .pick(
                    "同一操作编号（mutation_id）已用于不同的内容：协议错误，请联系 IT，切勿删除待同步数据。",
                    "同一操作編號（mutation_id）已用於不同的內容：協定錯誤，請聯絡 IT，切勿刪除待同步資料。",
                    "This mutation_id was already used with different content: a protocol error. Call IT; do not delete pending work.",
                )
                .into(),
            DeviceSeqReused => l
                .pick(
                    "本机的操作序号（device_seq）已被另一操作使用：协议错误，请联系 IT。",
                    "本機的操作序號（device_seq）已被另一操作使用：協定錯誤，請聯絡 IT。",
                    "This desk's device_seq was already used by another command: a protocol error. Call IT.",
                )
                .into(),
            PatientTokenMissing => l
                .pick(
                    "请先登录（Authorization: Bearer <令牌>）。",
                    "請先登入（Authorization: Bearer <權杖>）。",
                    "Please sign in first (Authorization: Bearer <token>).",
                )
                .into(),
            PatientTokenInvalid => l
                .pick("登录已失效，请重新登录。", "登入已失效，請重新登入。", "Your sign-in is no longer valid; please sign in again.")
                .into(),
            PatientTokenExpired => {
                l.pick("登录已过期，请重新登录。", "登入已過期，請重新登入。", "Your sign-in has expired; please sign in again.").into()
            }
            VerificationFailed => l
                .pick(
                    "手机号或验证码不正确，请核对后重试。",
                    "手機號碼或驗證碼不正確，請核對後重試。",
                    "The phone number or verification code is wrong; please check and try again.",
                )
                .into(),
            ProtocolUnsupported { got, supported } if got > supported => match l {
                Lang::ZhCn => format!("本机使用的同步协议（v{got}）比服务器（v{supported}）新：待同步数据会保留在本机，请联系 IT 升级服务器。"),
                Lang::ZhTw => format!("本機使用的同步協定（v{got}）比伺服器（v{supported}）新：待同步資料會保留在本機，請聯絡 IT 升級伺服器。"),
                Lang::En => format!(
                    "This desk speaks sync protocol v{got}, newer than the server's v{supported}: pending work stays on this desk; ask IT to update the server."
                ),
            },
            ProtocolUnsupported { got, supported } => match l {
                Lang::ZhCn => format!("本机的前台程序太旧（同步协议 v{got}，服务器需要 v{supported}）：请更新前台程序，待同步数据会保留在本机。"),
                Lang::ZhTw => format!("本機的前台程式太舊（同步協定 v{got}，伺服器需要 v{supported}）：請更新前台程式，待同步資料會保留在本機。"),
                Lang::En => format!(
                    "This desk app is too old (sync protocol v{got}, the server needs v{supported}): please update the app; pending work stays on this desk."
                ),
            },
            DeviceSeqGap { expected, got } => match l {
                Lang::ZhCn => format!("同步缺少本机的第 {expected} 号操作（收到的第一条是第 {got} 号），本次未保存任何操作。请从第 {expected} 号起重新同步；如反复出现请联系 IT。"),
                Lang::ZhTw => format!("同步缺少本機的第 {expected} 號操作（收到的第一筆是第 {got} 號），本次未儲存任何操作。請從第 {expected} 號起重新同步；如反覆出現請聯絡 IT。"),
                Lang::En => format!(
                    "This desk's command #{expected} is missing (the push started at #{got}); nothing was saved. Push again from #{expected}; call IT if it keeps happening."
                ),
            },
            PayloadHashMismatch { device_seq } => match l {
                Lang::ZhCn => format!("本机第 {device_seq} 号操作的校验值与内容不符：协议错误，本次未保存任何操作。请联系 IT，切勿删除待同步数据。"),
                Lang::ZhTw => format!("本機第 {device_seq} 號操作的校驗值與內容不符：協定錯誤，本次未儲存任何操作。請聯絡 IT，切勿刪除待同步資料。"),
                Lang::En => format!(
                    "The checksum of this desk's command #{device_seq} does not match its content: a protocol error; nothing was saved. Call IT; do not delete pending work."
                ),
            },
            NotFound => l.pick("找不到该记录。", "找不到該記錄。", "No such record.").into(),
            NoSuchEndpoint => l.pick("没有这个接口。", "沒有這個介面。", "There is no such endpoint.").into(),
            MethodNotAllowed => l.pick("该接口不支持此方法。", "該介面不支援此方法。", "This endpoint does not accept that method.").into(),
        }
    }
}

/// The HTTP status of a rejected command.
pub fn domain_status(e: &DomainError) -> u16 {
    status_of_code(e.code())
}

/// The HTTP status of a domain error code (also for outcomes read back from the log).
pub fn status_of_code(code: &str) -> u16 {
    match code {
        "forbidden" | "not_in_store" | "not_own_appointment" => 403,
        "not_found" => 404,
        "invalid_amount" | "empty_text" | "text_too_long" | "invalid_phone" | "invalid_birth_date" | "end_before_start"
        | "invalid_visit_type" | "invalid_setting" | "duplicate_in_order" | "unknown_command" | "invalid_payload" => 422,
        _ => 409,
    }
}
