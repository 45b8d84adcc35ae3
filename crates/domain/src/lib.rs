//! ClinicDesk's front-desk rules (DOMAIN.md §1–6, §8) as pure functions and data.
//!
//! Invariants of this crate: it does no IO, reads no clock and makes no random ids.
//! Time, ids and the acting person arrive in a [`commands::Ctx`] or as arguments, so
//! the same handler gives the same answer on the desk, on the server and in the simulator.

pub mod appointment;
pub mod booking;
pub mod commands;
pub mod error;
pub mod eye;
pub mod fees;
pub mod model;
pub mod money;
pub mod order;
pub mod recall;
pub mod roles;
pub mod slots;
pub mod sync;
pub mod text;
pub mod world;

pub use error::DomainError;
pub use model::Id;

/// The languages the product speaks (DOMAIN.md §9). Simplified Chinese is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "zh-TW")]
    ZhTw,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// Picks the text for this language from the three translations.
    pub fn pick<'a>(self, zh_cn: &'a str, zh_tw: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::ZhCn => zh_cn,
            Lang::ZhTw => zh_tw,
            Lang::En => en,
        }
    }

    pub fn parse(tag: &str) -> Option<Lang> {
        match tag {
            "zh-CN" | "zh-Hans" | "zh" => Some(Lang::ZhCn),
            "zh-TW" | "zh-Hant" | "zh-HK" => Some(Lang::ZhTw),
            "en" | "en-US" | "en-GB" => Some(Lang::En),
            _ => None,
        }
    }
}
