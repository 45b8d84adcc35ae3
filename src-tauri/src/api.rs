//! The one error shape at the IPC edge: `{code, message}`, message in the user's language.

use clinicdesk_domain::Lang;
use clinicdesk_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn from_store(e: &StoreError, lang: Lang) -> Self {
        if !matches!(e, StoreError::Domain(_)) {
            // Details for IT; no patient data is in store errors.
            tracing::warn!(code = e.code(), error = %e, "desk command failed");
        }
        ApiError { code: e.code().to_string(), message: e.message(lang) }
    }

    pub fn bad_input(lang: Lang, what: &str) -> Self {
        ApiError {
            code: "invalid_input".into(),
            message: match lang {
                Lang::ZhCn => format!("输入有误：{what}"),
                Lang::ZhTw => format!("輸入有誤：{what}"),
                Lang::En => format!("Invalid input: {what}"),
            },
        }
    }
}
