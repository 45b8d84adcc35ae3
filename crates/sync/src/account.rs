//! Connecting a desk to a server: the address as the user typed it, made canonical, and the
//! staff sign-in (`POST /api/v1/auth/sign-in`) that registers this desk under its own
//! permanent id and returns the device token (which the app keeps in the OS keychain).

use std::time::Duration;

use clinicdesk_domain::model::Id;
use clinicdesk_domain::Lang;
use serde::Deserialize;

/// Why a desk could not be connected. Each names the form field it is about, if any.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("not a server address")]
    BadUrl,
    #[error("the server is unreachable: {0}")]
    Unreachable(String),
    #[error("wrong login or password")]
    SignInFailed,
    /// Any other refusal, with the server's own code and message (already in `lang`).
    #[error("the server refused: {code}")]
    Refused { code: String, message: String },
}

impl ConnectError {
    pub fn code(&self) -> &str {
        match self {
            ConnectError::BadUrl => "bad_server_url",
            ConnectError::Unreachable(_) => "server_unreachable",
            ConnectError::SignInFailed => "sign_in_failed",
            ConnectError::Refused { code, .. } => code,
        }
    }

    /// The form field to show the message next to.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ConnectError::BadUrl | ConnectError::Unreachable(_) => Some("url"),
            ConnectError::SignInFailed => Some("password"),
            ConnectError::Refused { .. } => None,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match self {
            ConnectError::BadUrl => lang
                .pick(
                    "服务器地址无效，请输入如 http://192.168.1.10:8080 的地址。",
                    "伺服器位址無效，請輸入如 http://192.168.1.10:8080 的位址。",
                    "Not a server address; enter one like http://192.168.1.10:8080.",
                )
                .into(),
            ConnectError::Unreachable(_) => lang
                .pick(
                    "无法连接该服务器，请检查地址和网络后重试。",
                    "無法連線該伺服器，請檢查位址和網路後重試。",
                    "The server cannot be reached; check the address and the network, then try again.",
                )
                .into(),
            ConnectError::SignInFailed => lang
                .pick("账号或密码错误，请重新输入。", "帳號或密碼錯誤，請重新輸入。", "Wrong login or password; please enter them again.")
                .into(),
            ConnectError::Refused { message, .. } => message.clone(),
        }
    }
}

/// The address as typed, made canonical: a scheme (`http://` when none was typed), no path,
/// no trailing slash. `192.168.1.10:8080` → `http://192.168.1.10:8080`.
pub fn normalize_server_url(input: &str) -> Result<String, ConnectError> {
    let t = input.trim();
    if t.is_empty() || t.chars().any(char::is_whitespace) {
        return Err(ConnectError::BadUrl);
    }
    let with_scheme = if t.contains("://") { t.to_string() } else { format!("http://{t}") };
    let url = reqwest::Url::parse(&with_scheme).map_err(|_| ConnectError::BadUrl)?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(ConnectError::BadUrl);
    }
    let mut out = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    Ok(out)
}

/// What the server gave this desk at sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub device_id: Id,
    /// The bearer token: keep it in the keychain, never in a file or a log.
    pub token: String,
    pub staff_name: String,
}

impl std::fmt::Display for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "device {} ({})", self.device_id, self.staff_name)
    }
}

#[derive(Deserialize)]
struct SignedIn {
    device_id: Id,
    token: String,
    staff: Staff,
}

#[derive(Deserialize)]
struct Staff {
    name: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    message: String,
}

/// Signs `login` in at `url` for this desk's store; the desk keeps its own id (`desk_id`)
/// as its device id on the server across sign-ins, so its commands form one numbered line.
pub async fn sign_in(
    url: &str,
    login: &str,
    password: &str,
    store_id: Id,
    desk_id: Id,
    device_name: &str,
    lang: Lang,
) -> Result<Registered, ConnectError> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
    let tag = match lang {
        Lang::ZhCn => "zh-CN",
        Lang::ZhTw => "zh-TW",
        Lang::En => "en",
    };
    let body = serde_json::json!({
        "login": login, "password": password, "store_id": store_id, "device_name": device_name, "desk_id": desk_id,
    });
    let resp = client
        .post(format!("{url}/api/v1/auth/sign-in"))
        .header(reqwest::header::ACCEPT_LANGUAGE, tag)
        .json(&body)
        .send()
        .await
        .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| ConnectError::Unreachable(e.to_string()))?;
    if status.is_success() {
        let s: SignedIn = serde_json::from_slice(&bytes).map_err(|_| ConnectError::Unreachable("not a ClinicDesk server".into()))?;
        return Ok(Registered { device_id: s.device_id, token: s.token, staff_name: s.staff.name });
    }
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(b) if b.code == "sign_in_failed" => Err(ConnectError::SignInFailed),
        Ok(b) => Err(ConnectError::Refused { code: b.code, message: b.message }),
        Err(_) => Err(ConnectError::Unreachable(format!("HTTP {status}: not a ClinicDesk server"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_server_address_is_made_canonical() {
        assert_eq!(normalize_server_url(" 192.168.1.10:8080 ").unwrap(), "http://192.168.1.10:8080");
        assert_eq!(normalize_server_url("http://127.0.0.1:9/").unwrap(), "http://127.0.0.1:9");
        assert_eq!(normalize_server_url("https://sync.example.cn/api").unwrap(), "https://sync.example.cn");
        for bad in ["", "   ", "ftp://x", "http://", "a b"] {
            assert_eq!(normalize_server_url(bad), Err(ConnectError::BadUrl), "{bad:?}");
        }
    }
}
