//! How the desk reaches the server: a [`Transport`] with two calls, and [`HttpTransport`]
//! over `POST /sync/v1/push` and `POST /sync/v1/pull` (JSON, gzip-compressed answers, a
//! bearer device token, the user's language).

use std::future::Future;
use std::time::Duration;

use clinicdesk_domain::sync::{PullRequest, PullResponse, PushRequest, PushResponse};
use clinicdesk_domain::Lang;
use serde::{Deserialize, Serialize};

/// Error codes after which the desk must stop syncing and alert (SYNC.md §2): the server and
/// the desk disagree about this device's commands, and going on could lose or duplicate work.
/// (`device_seq_gap` right after a server restore is first answered by pushing the recently
/// acknowledged commands again; see `sync_once`.)
pub const HALT_CODES: &[&str] = &["mutation_id_reused", "device_seq_reused", "payload_hash_mismatch", "device_seq_gap"];

/// Why a request did not get an answer the desk can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransportError {
    /// The server could not be reached (no network, refused, timed out): try again later.
    #[error("the server is unreachable: {detail}")]
    Offline { detail: String },
    /// The server answered with an error (`{code, message}`, message in the request's
    /// language): a bad token (401), an unsupported version, an overloaded server (5xx) …
    #[error("the server answered {status} {code}: {message}")]
    Server { status: u16, code: String, message: String },
    /// The server refused this device's commands as inconsistent ([`HALT_CODES`]): stop
    /// syncing and alert; nothing is deleted.
    #[error("sync protocol error {code}: {message}")]
    Protocol { code: String, message: String },
}

impl TransportError {
    /// `offline`, or the server's code.
    pub fn code(&self) -> &str {
        match self {
            TransportError::Offline { .. } => "offline",
            TransportError::Server { code, .. } | TransportError::Protocol { code, .. } => code,
        }
    }

    /// Classifies an error answer of the server.
    pub fn from_answer(status: u16, code: String, message: String) -> TransportError {
        if HALT_CODES.contains(&code.as_str()) {
            TransportError::Protocol { code, message }
        } else {
            TransportError::Server { status, code, message }
        }
    }
}

/// The two calls of the sync protocol. Implemented over HTTP by [`HttpTransport`]; tests and
/// the simulator implement it in memory (dropping requests or answers at will).
pub trait Transport {
    fn push(&self, req: PushRequest) -> impl Future<Output = Result<PushResponse, TransportError>> + Send;
    fn pull(&self, req: PullRequest) -> impl Future<Output = Result<PullResponse, TransportError>> + Send;
}

impl<T: Transport + Sync> Transport for &T {
    fn push(&self, req: PushRequest) -> impl Future<Output = Result<PushResponse, TransportError>> + Send {
        (**self).push(req)
    }
    fn pull(&self, req: PullRequest) -> impl Future<Output = Result<PullResponse, TransportError>> + Send {
        (**self).pull(req)
    }
}

/// The server over HTTP(S). HTTPS needs this crate's `tls` feature.
#[derive(Clone)]
pub struct HttpTransport {
    base_url: String,
    token: String,
    lang: Lang,
    client: reqwest::Client,
}

/// Never shows the token (it would end up in logs).
impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport").field("base_url", &self.base_url).field("lang", &self.lang).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    message: String,
}

impl HttpTransport {
    /// A transport to `base_url` (`http://127.0.0.1:8080`, `https://sync.example.cn`) with the
    /// device token the server gave at sign-in, asking for messages in `lang`.
    pub fn new(base_url: impl Into<String>, token: impl Into<String>, lang: Lang) -> Result<HttpTransport, TransportError> {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        if base_url.starts_with("https://") && !cfg!(feature = "tls") {
            return Err(TransportError::Server {
                status: 0,
                code: "tls_unavailable".into(),
                message: "this build speaks plain HTTP only (enable clinicdesk-sync's `tls` feature)".into(),
            });
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| TransportError::Offline { detail: e.to_string() })?;
        Ok(HttpTransport { base_url, token: token.into(), lang, client })
    }

    /// A new token after signing in again (the old one expired or was revoked).
    pub fn set_token(&mut self, token: impl Into<String>) {
        self.token = token.into();
    }

    pub fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn lang_tag(&self) -> &'static str {
        match self.lang {
            Lang::ZhCn => "zh-CN",
            Lang::ZhTw => "zh-TW",
            Lang::En => "en",
        }
    }

    /// One POST. `Accept-Encoding: gzip` is sent and the answer decompressed by reqwest's
    /// `gzip` feature.
    async fn call<Q: Serialize, A: serde::de::DeserializeOwned>(&self, path: &str, body: &Q) -> Result<A, TransportError> {
        let resp = self
            .client
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .header(reqwest::header::ACCEPT_LANGUAGE, self.lang_tag())
            .json(body)
            .send()
            .await
            .map_err(|e| TransportError::Offline { detail: e.to_string() })?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| TransportError::Offline { detail: e.to_string() })?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(b) => TransportError::from_answer(status.as_u16(), b.code, b.message),
                Err(_) => TransportError::Server {
                    status: status.as_u16(),
                    code: format!("http_{}", status.as_u16()),
                    message: String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
                },
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| TransportError::Server {
            status: status.as_u16(),
            code: "bad_response".into(),
            message: e.to_string(),
        })
    }
}

impl Transport for HttpTransport {
    async fn push(&self, req: PushRequest) -> Result<PushResponse, TransportError> {
        self.call("/sync/v1/push", &req).await
    }
    async fn pull(&self, req: PullRequest) -> Result<PullResponse, TransportError> {
        self.call("/sync/v1/pull", &req).await
    }
}

#[cfg(all(test, feature = "tls"))]
mod tls_tests {
    use super::*;
    use clinicdesk_domain::sync::Versions;

    /// With the `tls` feature (the desk app's build) an https server address is accepted and a
    /// request really opens a TLS connection: a plain-HTTP listener's answer is not valid TLS,
    /// so the handshake fails and the desk reports the server unreachable.
    #[tokio::test]
    async fn https_addresses_are_spoken_to_over_tls() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            while let Ok((mut socket, _)) = listener.accept().await {
                let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").await;
            }
        });
        let t = HttpTransport::new(format!("https://127.0.0.1:{port}"), "token", Lang::En).expect("https is accepted");
        let v = Versions { protocol: 1, schema: 1, app: "test".into() };
        let err = t.push(PushRequest { versions: v, commands: Vec::new() }).await.expect_err("plain HTTP is not TLS");
        assert!(matches!(err, TransportError::Offline { .. }), "{err:?}");
    }
}
