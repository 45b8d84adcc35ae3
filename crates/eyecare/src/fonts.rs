//! The one CJK font the crate ships (`fonts/README.md`): registered with plotters from
//! bytes and embedded (subset) in PDFs, so nothing depends on the user's system fonts.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef};
use plotters::style::FontStyle;

/// WenQuanYi Micro Hei, Apache-2.0 (`fonts/LICENSE-Apache-2.0.txt`).
pub static CJK_FONT: &[u8] = include_bytes!("../fonts/wqy-microhei.ttf");

/// The family name charts use. In SVG it is written out verbatim as the CSS font-family,
/// so it lists fallbacks for viewers that do not have WenQuanYi installed; for measuring
/// and raster output it names the shipped font registered below.
pub const FAMILY: &str = "WenQuanYi Micro Hei, Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif";

/// Registers the shipped font with plotters (once; later calls do nothing).
pub fn register() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            plotters::style::register_font(FAMILY, style, CJK_FONT).unwrap_or_else(|_| panic!("the shipped font parses"));
        }
    });
}

/// Glyph metrics of the shipped font, for laying text out in PDFs.
pub struct Metrics {
    font: FontRef<'static>,
    units_per_em: f32,
}

impl Metrics {
    pub fn get() -> &'static Metrics {
        static M: OnceLock<Metrics> = OnceLock::new();
        M.get_or_init(|| {
            let font = FontRef::try_from_slice(CJK_FONT).expect("the shipped font parses");
            let units_per_em = font.units_per_em().unwrap_or(1000.0);
            Metrics { font, units_per_em }
        })
    }

    /// Advance width of `text` in ems.
    pub fn width_em(&self, text: &str) -> f32 {
        text.chars().map(|c| self.font.h_advance_unscaled(self.font.glyph_id(c))).sum::<f32>() / self.units_per_em
    }

    /// Ascent above the baseline, in ems (positive).
    pub fn ascent_em(&self) -> f32 {
        self.font.ascent_unscaled() / self.units_per_em
    }

    /// Descent below the baseline, in ems (negative).
    pub fn descent_em(&self) -> f32 {
        self.font.descent_unscaled() / self.units_per_em
    }

    /// True when the font has a glyph for every character of `text` (spaces aside).
    pub fn covers(&self, text: &str) -> bool {
        text.chars().filter(|c| !c.is_whitespace()).all(|c| self.font.glyph_id(c).0 != 0)
    }
}
