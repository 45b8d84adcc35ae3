//! Writes sample charts to a folder for looking at them:
//! `cargo run -p clinicdesk-eyecare --example dump -- OUT_DIR`.

#[path = "../tests/common/mod.rs"]
mod common;

use clinicdesk_domain::eye::Eye;
use clinicdesk_domain::model::Sex;
use clinicdesk_domain::recall::RecallThresholds;
use clinicdesk_domain::Lang;
use clinicdesk_eyecare::{axial_chart_svg, ser_chart_svg, ChartInput, ReferenceId};

fn main() {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    std::fs::create_dir_all(&out).unwrap();
    let exams = common::exams();
    let t = RecallThresholds::default();
    for reference in ReferenceId::ALL {
        for (eye, lang) in [(Eye::Od, Lang::ZhCn), (Eye::Os, Lang::En)] {
            let input = ChartInput { sex: Sex::Female, birth_date: common::birth(), exams: &exams, eye, reference, lang, thresholds: &t };
            std::fs::write(out.join(format!("axial-{reference}-{eye:?}.svg")), axial_chart_svg(&input).unwrap()).unwrap();
            std::fs::write(out.join(format!("ser-{reference}-{eye:?}.svg")), ser_chart_svg(&input).unwrap()).unwrap();
        }
    }
}
