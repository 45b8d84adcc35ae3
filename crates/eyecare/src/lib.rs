//! ClinicDesk eye care (DOMAIN.md §7): where a child's axial length lies on published
//! references, growth rates between exams, growth charts (SVG, and PDF vectors), the
//! printouts (parent report, day sheet, refund slip) and the eye-growth screen's data
//! ([`view`]). Pure library: no Tauri, no database, no clock (dates come in as arguments);
//! every printout takes plain structs and returns bytes.

pub mod chart;
pub mod fonts;
pub mod growth;
pub mod pdfkit;
pub mod reference;
pub mod report;
pub mod sheets;
pub mod stats;
pub mod view;

pub use chart::{axial_chart_svg, ser_chart_svg, ChartError, ChartInput};
pub use growth::{FastProgressionRule, Measure, Step};
pub use reference::{assess, default_for_age, describe, AssessError, Assessment, Band, ReferenceId};
pub use report::{parent_report_pdf, summary_sentence, ParentReport};
pub use sheets::{day_sheet_pdf, refund_slip_pdf, DaySheet, DaySheetRow, RefundSlip};
pub use view::{eye_view, ChartPoint, EyeChart, EyeView, EyeViewInput, ReferenceOption};
