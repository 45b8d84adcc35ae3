//! ClinicDesk printouts from a desk database, shared by the desk app and the
//! `clinicdesk-print` command: the parent report, a store's day sheet, a refund slip, and the
//! eye-growth screen's data. Each function reads the [`LocalStore`] it is given and returns
//! the document (or view); drawing is `clinicdesk-eyecare`'s, writing the file the caller's
//! ([`write_atomically`]).
//!
//! [`LocalStore`]: clinicdesk_store::LocalStore

mod messages;
mod printouts;

use std::path::Path;

pub use messages::Failure;
pub use printouts::{day_sheet, eye_view, find_patient, parent_report, refund_card, refund_slip, state_name};

/// The day a day sheet is for; relative days are taken in the store's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    Today,
    Tomorrow,
    On(chrono::NaiveDate),
}

/// A finished document and what the caller needs to save and report it.
#[derive(Debug, Clone)]
pub struct Printout {
    pub bytes: Vec<u8>,
    /// Number of pages, when it can be read from the document.
    pub pages: Option<u32>,
    /// `<kind>-<who>-<YYYY-MM-DD>.pdf`, safe as a file name on every desktop system.
    pub file_name: String,
}

/// `<kind>-<who>-<date>.pdf` with the characters file systems refuse replaced by `_`.
pub fn file_name(kind: &str, who: &str, date: chrono::NaiveDate) -> String {
    let who: String = who
        .trim()
        .chars()
        .map(|c| if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') { '_' } else { c })
        .collect();
    let who = who.trim_matches(['.', ' ']);
    let who = if who.is_empty() { "_" } else { who };
    format!("{kind}-{who}-{}.pdf", date.format("%Y-%m-%d"))
}

/// The page count of a PDF written by the eyecare printouts (one `/Type /Page` object per
/// page, uncompressed); `None` when none is found.
pub fn count_pages(pdf: &[u8]) -> Option<u32> {
    let n = (0..pdf.len())
        .filter(|&i| pdf[i..].starts_with(b"/Type"))
        .filter(|&i| {
            let rest = &pdf[i + 5..];
            let rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
            rest.starts_with(b"/Page") && !rest.get(5).is_some_and(|b| b.is_ascii_alphanumeric())
        })
        .count();
    (n > 0).then_some(n as u32)
}

/// Writes next to the target and renames, so a failure never leaves a half-written PDF.
pub fn write_atomically(out: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out.pdf".into());
    let tmp = out.with_file_name(format!(".{name}.partial"));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, out));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Failure::Io(format!("{}: {e}", out.display())));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_the_name_and_drop_what_file_systems_refuse() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(file_name("parent-report", "王小明", d), "parent-report-王小明-2026-03-01.pdf");
        assert_eq!(file_name("day-sheet", "a/b:c*?", d), "day-sheet-a_b_c__-2026-03-01.pdf");
        assert_eq!(file_name("refund-slip", " .. ", d), "refund-slip-_-2026-03-01.pdf");
    }

    #[test]
    fn pages_are_counted_without_the_pages_tree() {
        assert_eq!(count_pages(b"<< /Type /Pages /Kids [] >> << /Type /Page >> << /Type/Page/Parent 1 0 R >>"), Some(2));
        assert_eq!(count_pages(b"<</Type/Pages/Count 1>><</Type/Page/MediaBox[0 0 1 1]>>"), Some(1));
        assert_eq!(count_pages(b"no pdf"), None);
    }
}
