//! The eye-health record (DOMAIN.md §7, seed 004 §4.3): per exam and per eye, visual
//! acuity, refraction, axial length, keratometry, IOP and central corneal thickness, plus
//! the patient's current optical correction.
//!
//! Every measurement is an integer in a fixed unit so that equality, ordering and
//! serialisation are exact (no floats):
//!
//! | field                          | unit                          | example            |
//! |--------------------------------|-------------------------------|--------------------|
//! | `sphere_cd`, `cylinder_cd`     | 0.01 D (Chinese 度)            | -275 = -2.75 D     |
//! | `k1_cd`, `k2_cd`               | 0.01 D                        | 4325 = 43.25 D     |
//! | `axis_deg`                     | degrees                       | 180                |
//! | `axial_length_um`              | micrometres                   | 24350 = 24.35 mm   |
//! | `iop_dmmhg`                    | 0.1 mmHg                      | 155 = 15.5 mmHg    |
//! | `ucva_hundredths`, `bcva_hundredths` | decimal VA × 100        | 100 = 1.0          |
//! | `central_corneal_thickness_um` | micrometres                   | 540                |

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Lang;

/// Which eye: OD is the right eye, OS the left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Eye {
    Od,
    Os,
}

impl Eye {
    pub const BOTH: [Eye; 2] = [Eye::Od, Eye::Os];

    /// "右眼" / "右眼" / "right eye".
    pub fn name(self, lang: Lang) -> &'static str {
        match self {
            Eye::Od => lang.pick("右眼", "右眼", "right eye"),
            Eye::Os => lang.pick("左眼", "左眼", "left eye"),
        }
    }
}

/// One eye's readings at one exam. A field is `None` when it was not measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EyeReading {
    pub eye: Eye,
    /// Uncorrected visual acuity (裸眼视力), decimal notation × 100.
    pub ucva_hundredths: Option<u16>,
    /// Best-corrected visual acuity (矫正视力), decimal notation × 100.
    pub bcva_hundredths: Option<u16>,
    /// Sphere (球镜) in 0.01 D.
    pub sphere_cd: Option<i32>,
    /// Cylinder (柱镜) in 0.01 D; `None` or 0 means no astigmatism recorded.
    pub cylinder_cd: Option<i32>,
    /// Cylinder axis (轴位) in degrees, 0..=180; required when the cylinder is not 0.
    pub axis_deg: Option<u16>,
    /// Axial length (眼轴) in micrometres.
    pub axial_length_um: Option<i32>,
    /// Flat keratometry (K1) in 0.01 D.
    pub k1_cd: Option<i32>,
    /// Steep keratometry (K2) in 0.01 D.
    pub k2_cd: Option<i32>,
    /// Intraocular pressure (眼压) in 0.1 mmHg.
    pub iop_dmmhg: Option<i32>,
    /// Central corneal thickness (角膜厚度) in micrometres.
    pub central_corneal_thickness_um: Option<i32>,
}

impl EyeReading {
    /// A reading with nothing measured yet.
    pub fn empty(eye: Eye) -> EyeReading {
        EyeReading {
            eye,
            ucva_hundredths: None,
            bcva_hundredths: None,
            sphere_cd: None,
            cylinder_cd: None,
            axis_deg: None,
            axial_length_um: None,
            k1_cd: None,
            k2_cd: None,
            iop_dmmhg: None,
            central_corneal_thickness_um: None,
        }
    }
}

/// One eye exam (both eyes) of one patient in one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EyeExam {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub store_id: Uuid,
    pub examined_at: NaiveDate,
    /// The biometer used (readings from different devices are not strictly comparable).
    pub biometer: String,
    pub od: EyeReading,
    pub os: EyeReading,
    /// The recheck date the optometrist asked for at this exam.
    pub next_recheck: Option<NaiveDate>,
}

impl EyeExam {
    pub fn reading(&self, eye: Eye) -> &EyeReading {
        match eye {
            Eye::Od => &self.od,
            Eye::Os => &self.os,
        }
    }
}

/// The patient's current optical correction (当前矫正方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CorrectionKind {
    None,
    SingleVisionFrames,
    DefocusFrames,
    OrthoK,
    Other,
}

impl CorrectionKind {
    /// Spectacles of either kind (single-vision or defocus).
    pub fn is_frames(self) -> bool {
        matches!(self, CorrectionKind::SingleVisionFrames | CorrectionKind::DefocusFrames)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Correction {
    pub kind: CorrectionKind,
    /// Fitting date (定片/配镜日期) of the current lenses or frames.
    pub fitted_on: Option<NaiveDate>,
    pub brand: Option<String>,
    pub manufacturer: Option<String>,
}

/// Spherical equivalent SER = sphere + cylinder / 2, in 0.01 D.
///
/// `None` when the sphere was not measured; a missing cylinder counts as 0 (a sphere-only
/// prescription). The exact value can end in half a hundredth (odd cylinder); it is rounded
/// half away from zero: sphere -200, cylinder -25 → -212.5 → **-213**; sphere +100,
/// cylinder -25 → +87.5 → **+88**. The whole sum is rounded, not the half cylinder.
pub fn ser_cd(reading: &EyeReading) -> Option<i32> {
    let sphere = i64::from(reading.sphere_cd?);
    let cylinder = i64::from(reading.cylinder_cd.unwrap_or(0));
    let twice = 2 * sphere + cylinder;
    // Integer division truncates toward zero; add half a unit away from zero first.
    let rounded = if twice >= 0 { (twice + 1) / 2 } else { (twice - 1) / 2 };
    i32::try_from(rounded).ok()
}

/// "-2.75", "+0.50", "0.00": dioptres with sign, as an optometrist writes them.
pub fn format_dioptres(cd: i32) -> String {
    let sign = match cd.signum() {
        1 => "+",
        -1 => "-",
        _ => "",
    };
    let v = cd.unsigned_abs();
    format!("{sign}{}.{:02}", v / 100, v % 100)
}

/// Clinical plausibility limits used by [`validate_reading`] (all inclusive).
pub mod limits {
    pub const SPHERE_MIN_CD: i32 = -3000;
    pub const SPHERE_MAX_CD: i32 = 2500;
    pub const CYLINDER_MIN_CD: i32 = -1000;
    pub const CYLINDER_MAX_CD: i32 = 1000;
    /// Sphere and cylinder come in quarter-dioptre steps.
    pub const STEP_CD: i32 = 25;
    pub const AXIS_MAX_DEG: u16 = 180;
    pub const AXIAL_LENGTH_MIN_UM: i32 = 15_000;
    pub const AXIAL_LENGTH_MAX_UM: i32 = 35_000;
    pub const K_MIN_CD: i32 = 3500;
    pub const K_MAX_CD: i32 = 5500;
    pub const IOP_MIN_DMMHG: i32 = 50;
    pub const IOP_MAX_DMMHG: i32 = 600;
    pub const VA_MIN_HUNDREDTHS: u16 = 1;
    pub const VA_MAX_HUNDREDTHS: u16 = 200;
    /// Not in DOMAIN.md: a plausibility band for central corneal thickness.
    pub const CCT_MIN_UM: i32 = 300;
    pub const CCT_MAX_UM: i32 = 800;
}

/// Which keratometry reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum KReading {
    K1,
    K2,
}

/// Which visual-acuity reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum VaKind {
    /// Uncorrected (裸眼).
    Ucva,
    /// Best-corrected (矫正).
    Bcva,
}

/// Why an eye reading or exam cannot be saved. Each variant names the eye, the field and
/// the offending value (in its stored integer unit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EyeError {
    #[error("{eye:?} sphere {value} cd is outside -3000..=2500")]
    SphereOutOfRange { eye: Eye, value: i32 },
    #[error("{eye:?} sphere {value} cd is not a multiple of 25")]
    SphereStep { eye: Eye, value: i32 },
    #[error("{eye:?} cylinder {value} cd is outside -1000..=1000")]
    CylinderOutOfRange { eye: Eye, value: i32 },
    #[error("{eye:?} cylinder {value} cd is not a multiple of 25")]
    CylinderStep { eye: Eye, value: i32 },
    #[error("{eye:?} axis {value}° is outside 0..=180")]
    AxisOutOfRange { eye: Eye, value: u16 },
    #[error("{eye:?} cylinder {cylinder_cd} cd has no axis")]
    AxisMissing { eye: Eye, cylinder_cd: i32 },
    #[error("{eye:?} axial length {value} µm is outside 15000..=35000")]
    AxialLengthOutOfRange { eye: Eye, value: i32 },
    #[error("{eye:?} {which:?} {value} cd is outside 3500..=5500")]
    KeratometryOutOfRange { eye: Eye, which: KReading, value: i32 },
    #[error("{eye:?} IOP {value} (0.1 mmHg) is outside 50..=600")]
    IopOutOfRange { eye: Eye, value: i32 },
    #[error("{eye:?} {which:?} {value} (VA×100) is outside 1..=200")]
    VisualAcuityOutOfRange { eye: Eye, which: VaKind, value: u16 },
    #[error("{eye:?} central corneal thickness {value} µm is outside 300..=800")]
    CornealThicknessOutOfRange { eye: Eye, value: i32 },
    #[error("the {slot:?} slot of the exam holds a reading for {found:?}")]
    EyeMismatch { slot: Eye, found: Eye },
    #[error("next recheck {next_recheck} is not after the exam date {examined_at}")]
    RecheckNotAfterExam { examined_at: NaiveDate, next_recheck: NaiveDate },
}

impl EyeError {
    /// A stable machine code, e.g. `"eye.sphere_step"`.
    pub fn code(&self) -> &'static str {
        match self {
            EyeError::SphereOutOfRange { .. } => "eye.sphere_range",
            EyeError::SphereStep { .. } => "eye.sphere_step",
            EyeError::CylinderOutOfRange { .. } => "eye.cylinder_range",
            EyeError::CylinderStep { .. } => "eye.cylinder_step",
            EyeError::AxisOutOfRange { .. } => "eye.axis_range",
            EyeError::AxisMissing { .. } => "eye.axis_missing",
            EyeError::AxialLengthOutOfRange { .. } => "eye.axial_length_range",
            EyeError::KeratometryOutOfRange { .. } => "eye.k_range",
            EyeError::IopOutOfRange { .. } => "eye.iop_range",
            EyeError::VisualAcuityOutOfRange { .. } => "eye.va_range",
            EyeError::CornealThicknessOutOfRange { .. } => "eye.cct_range",
            EyeError::EyeMismatch { .. } => "eye.eye_mismatch",
            EyeError::RecheckNotAfterExam { .. } => "eye.recheck_before_exam",
        }
    }

    /// The form field the error belongs to, as the path of the value in the exam's JSON
    /// (`"od.sphere_cd"`, `"os.k2_cd"`, `"next_recheck"`), so the form can show the message
    /// next to it.
    pub fn field(&self) -> String {
        let at = |eye: &Eye, name: &str| format!("{}.{name}", eye_key(*eye));
        match self {
            EyeError::SphereOutOfRange { eye, .. } | EyeError::SphereStep { eye, .. } => at(eye, "sphere_cd"),
            EyeError::CylinderOutOfRange { eye, .. } | EyeError::CylinderStep { eye, .. } => at(eye, "cylinder_cd"),
            EyeError::AxisOutOfRange { eye, .. } | EyeError::AxisMissing { eye, .. } => at(eye, "axis_deg"),
            EyeError::AxialLengthOutOfRange { eye, .. } => at(eye, "axial_length_um"),
            EyeError::KeratometryOutOfRange { eye, which: KReading::K1, .. } => at(eye, "k1_cd"),
            EyeError::KeratometryOutOfRange { eye, which: KReading::K2, .. } => at(eye, "k2_cd"),
            EyeError::IopOutOfRange { eye, .. } => at(eye, "iop_dmmhg"),
            EyeError::VisualAcuityOutOfRange { eye, which: VaKind::Ucva, .. } => at(eye, "ucva_hundredths"),
            EyeError::VisualAcuityOutOfRange { eye, which: VaKind::Bcva, .. } => at(eye, "bcva_hundredths"),
            EyeError::CornealThicknessOutOfRange { eye, .. } => at(eye, "central_corneal_thickness_um"),
            EyeError::EyeMismatch { slot, .. } => at(slot, "eye"),
            EyeError::RecheckNotAfterExam { .. } => "next_recheck".to_string(),
        }
    }

    /// A sentence for the person at the desk: what is wrong and what to do.
    pub fn message(&self, lang: Lang) -> String {
        let d = format_dioptres;
        // Millimetres with two decimals, or three when the micrometres need them.
        let mm = |um: i32| if um % 10 == 0 { decimal(um / 10, 2) } else { decimal(um, 3) };
        let tenth = |v: i32| decimal(v, 1);
        let va = |v: u16| decimal(i32::from(v), 2);
        match (self, lang) {
            (EyeError::SphereOutOfRange { eye, value }, Lang::ZhCn) => format!(
                "{}球镜 {}D 超出范围（-30.00 至 +25.00D），请核对后重新录入",
                eye.name(lang),
                d(*value)
            ),
            (EyeError::SphereOutOfRange { eye, value }, Lang::ZhTw) => format!(
                "{}球鏡 {}D 超出範圍（-30.00 至 +25.00D），請核對後重新輸入",
                eye.name(lang),
                d(*value)
            ),
            (EyeError::SphereOutOfRange { eye, value }, Lang::En) => format!(
                "The {} sphere {} D is outside -30.00 to +25.00 D; please check it and enter it again.",
                eye.name(lang),
                d(*value)
            ),
            (EyeError::SphereStep { eye, value }, Lang::ZhCn) => format!(
                "{}球镜 {}D 不是 0.25D 的整数倍，球镜须为 0.25D 的整数倍（如 -2.25、-2.50），请更正后保存",
                eye.name(lang),
                d(*value)
            ),
            (EyeError::SphereStep { eye, value }, Lang::ZhTw) => format!(
                "{}球鏡 {}D 不是 0.25D 的整數倍，球鏡須為 0.25D 的整數倍（如 -2.25、-2.50），請更正後儲存",
                eye.name(lang),
                d(*value)
            ),
            (EyeError::SphereStep { eye, value }, Lang::En) => format!(
                "The {} sphere {} D is not in 0.25 D steps (e.g. -2.25, -2.50); please correct it and save again.",
                eye.name(lang),
                d(*value)
            ),
            (EyeError::CylinderOutOfRange { eye, value }, Lang::ZhCn) => format!(
                "{}柱镜 {}D 超出范围（-10.00 至 +10.00D），请核对后重新录入",
                eye.name(lang),
                d(*value)
            ),
            (EyeError::CylinderOutOfRange { eye, value }, Lang::ZhTw) => format!(
                "{}柱鏡 {}D 超出範圍（-10.00 至 +10.00D），請核對後重新輸入",
                eye.name(lang),
                d(*value)
            ),
            (EyeError::CylinderOutOfRange { eye, value }, Lang::En) => format!(
                "The {} cylinder {} D is outside -10.00 to +10.00 D; please check it and enter it again.",
                eye.name(lang),
                d(*value)
            ),
            (EyeError::CylinderStep { eye, value }, Lang::ZhCn) => format!(
                "{}柱镜 {}D 不是 0.25D 的整数倍，柱镜须为 0.25D 的整数倍（如 -0.75、-1.00），请更正后保存",
                eye.name(lang),
                d(*value)
            ),
            (EyeError::CylinderStep { eye, value }, Lang::ZhTw) => format!(
                "{}柱鏡 {}D 不是 0.25D 的整數倍，柱鏡須為 0.25D 的整數倍（如 -0.75、-1.00），請更正後儲存",
                eye.name(lang),
                d(*value)
            ),
            (EyeError::CylinderStep { eye, value }, Lang::En) => format!(
                "The {} cylinder {} D is not in 0.25 D steps (e.g. -0.75, -1.00); please correct it and save again.",
                eye.name(lang),
                d(*value)
            ),
            (EyeError::AxisOutOfRange { eye, value }, Lang::ZhCn) => {
                format!("{}轴位 {}° 超出范围，轴位须在 0 至 180° 之间，请更正后保存", eye.name(lang), value)
            }
            (EyeError::AxisOutOfRange { eye, value }, Lang::ZhTw) => {
                format!("{}軸位 {}° 超出範圍，軸位須在 0 至 180° 之間，請更正後儲存", eye.name(lang), value)
            }
            (EyeError::AxisOutOfRange { eye, value }, Lang::En) => format!(
                "The {} axis {}° is out of range; the axis must be between 0 and 180°. Please correct it and save again.",
                eye.name(lang),
                value
            ),
            (EyeError::AxisMissing { eye, cylinder_cd }, Lang::ZhCn) => format!(
                "{}有柱镜 {}D 但未填写轴位，请补填轴位（0 至 180°）后保存",
                eye.name(lang),
                d(*cylinder_cd)
            ),
            (EyeError::AxisMissing { eye, cylinder_cd }, Lang::ZhTw) => format!(
                "{}有柱鏡 {}D 但未填寫軸位，請補填軸位（0 至 180°）後儲存",
                eye.name(lang),
                d(*cylinder_cd)
            ),
            (EyeError::AxisMissing { eye, cylinder_cd }, Lang::En) => format!(
                "The {} has a cylinder of {} D but no axis; please enter the axis (0 to 180°) and save again.",
                eye.name(lang),
                d(*cylinder_cd)
            ),
            (EyeError::AxialLengthOutOfRange { eye, value }, Lang::ZhCn) => format!(
                "{}眼轴 {}mm 超出范围（15.00 至 35.00mm），请确认单位为毫米并核对后重新录入",
                eye.name(lang),
                mm(*value)
            ),
            (EyeError::AxialLengthOutOfRange { eye, value }, Lang::ZhTw) => format!(
                "{}眼軸 {}mm 超出範圍（15.00 至 35.00mm），請確認單位為毫米並核對後重新輸入",
                eye.name(lang),
                mm(*value)
            ),
            (EyeError::AxialLengthOutOfRange { eye, value }, Lang::En) => format!(
                "The {} axial length {} mm is outside 15.00 to 35.00 mm; please check that it is in millimetres and enter it again.",
                eye.name(lang),
                mm(*value)
            ),
            (EyeError::KeratometryOutOfRange { eye, which, value }, Lang::ZhCn) => format!(
                "{}角膜曲率 {} {}D 超出范围（35.00 至 55.00D），请核对后重新录入",
                eye.name(lang),
                k_name(*which),
                d(*value)
            ),
            (EyeError::KeratometryOutOfRange { eye, which, value }, Lang::ZhTw) => format!(
                "{}角膜曲率 {} {}D 超出範圍（35.00 至 55.00D），請核對後重新輸入",
                eye.name(lang),
                k_name(*which),
                d(*value)
            ),
            (EyeError::KeratometryOutOfRange { eye, which, value }, Lang::En) => format!(
                "The {} keratometry {} {} D is outside 35.00 to 55.00 D; please check it and enter it again.",
                eye.name(lang),
                k_name(*which),
                d(*value)
            ),
            (EyeError::IopOutOfRange { eye, value }, Lang::ZhCn) => format!(
                "{}眼压 {}mmHg 超出范围（5 至 60mmHg），请核对后重新录入",
                eye.name(lang),
                tenth(*value)
            ),
            (EyeError::IopOutOfRange { eye, value }, Lang::ZhTw) => format!(
                "{}眼壓 {}mmHg 超出範圍（5 至 60mmHg），請核對後重新輸入",
                eye.name(lang),
                tenth(*value)
            ),
            (EyeError::IopOutOfRange { eye, value }, Lang::En) => format!(
                "The {} IOP {} mmHg is outside 5 to 60 mmHg; please check it and enter it again.",
                eye.name(lang),
                tenth(*value)
            ),
            (EyeError::VisualAcuityOutOfRange { eye, which, value }, Lang::ZhCn) => format!(
                "{}{} {} 超出范围，视力须在 0.01 至 2.0 之间（小数记录），请更正后保存",
                eye.name(lang),
                match which {
                    VaKind::Ucva => "裸眼视力",
                    VaKind::Bcva => "矫正视力",
                },
                va(*value)
            ),
            (EyeError::VisualAcuityOutOfRange { eye, which, value }, Lang::ZhTw) => format!(
                "{}{} {} 超出範圍，視力須在 0.01 至 2.0 之間（小數記錄），請更正後儲存",
                eye.name(lang),
                match which {
                    VaKind::Ucva => "裸眼視力",
                    VaKind::Bcva => "矯正視力",
                },
                va(*value)
            ),
            (EyeError::VisualAcuityOutOfRange { eye, which, value }, Lang::En) => format!(
                "The {} {} {} is out of range; visual acuity must be between 0.01 and 2.0 (decimal notation). Please correct it and save again.",
                eye.name(lang),
                match which {
                    VaKind::Ucva => "uncorrected visual acuity",
                    VaKind::Bcva => "corrected visual acuity",
                },
                va(*value)
            ),
            (EyeError::CornealThicknessOutOfRange { eye, value }, Lang::ZhCn) => format!(
                "{}角膜厚度 {}μm 超出范围（300 至 800μm），请确认单位为微米并核对后重新录入",
                eye.name(lang),
                value
            ),
            (EyeError::CornealThicknessOutOfRange { eye, value }, Lang::ZhTw) => format!(
                "{}角膜厚度 {}μm 超出範圍（300 至 800μm），請確認單位為微米並核對後重新輸入",
                eye.name(lang),
                value
            ),
            (EyeError::CornealThicknessOutOfRange { eye, value }, Lang::En) => format!(
                "The {} central corneal thickness {} µm is outside 300 to 800 µm; please check that it is in micrometres and enter it again.",
                eye.name(lang),
                value
            ),
            (EyeError::EyeMismatch { slot, found }, Lang::ZhCn) => format!(
                "{}一栏录入的是{}的数据，请把数据放回对应的眼别后保存",
                slot.name(lang),
                found.name(lang)
            ),
            (EyeError::EyeMismatch { slot, found }, Lang::ZhTw) => format!(
                "{}一欄輸入的是{}的資料，請把資料放回對應的眼別後儲存",
                slot.name(lang),
                found.name(lang)
            ),
            (EyeError::EyeMismatch { slot, found }, Lang::En) => format!(
                "The {} column holds the {} readings; please move them to the matching eye and save again.",
                slot.name(lang),
                found.name(lang)
            ),
            (EyeError::RecheckNotAfterExam { examined_at, next_recheck }, Lang::ZhCn) => format!(
                "下次复查日期 {next_recheck} 不晚于检查日期 {examined_at}，请选择检查日之后的日期"
            ),
            (EyeError::RecheckNotAfterExam { examined_at, next_recheck }, Lang::ZhTw) => format!(
                "下次複查日期 {next_recheck} 不晚於檢查日期 {examined_at}，請選擇檢查日之後的日期"
            ),
            (EyeError::RecheckNotAfterExam { examined_at, next_recheck }, Lang::En) => format!(
                "The next recheck date {next_recheck} is not after the exam date {examined_at}; please pick a later date."
            ),
        }
    }
}

/// "od" / "os": the key of an eye's reading in an exam's JSON.
fn eye_key(eye: Eye) -> &'static str {
    match eye {
        Eye::Od => "od",
        Eye::Os => "os",
    }
}

/// One value an exam entry set or changed, for the audit trail: the field's path in the
/// exam's JSON (`"od.sphere_cd"`, `"biometer"`, `"correction.kind"`), the value before
/// (`null` when there was none) and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldChange {
    pub field: String,
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

/// Flattens a JSON object into (dotted path, leaf value) pairs.
fn leaves(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                leaves(&path, v, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// The fields that differ between `old` (nothing, for a new entry) and `new`, in a stable
/// order, as dotted paths under `prefix`. Fields listed in `skip` (identity, not content)
/// are left out; a new entry lists only the values it sets.
fn diff<T: Serialize>(prefix: &str, old: Option<&T>, new: &T, skip: &[&str]) -> Vec<FieldChange> {
    let to_json = |v: &T| serde_json::to_value(v).expect("eye records serialize");
    let mut after = Vec::new();
    leaves(prefix, &to_json(new), &mut after);
    let mut before = Vec::new();
    if let Some(old) = old {
        leaves(prefix, &to_json(old), &mut before);
    }
    let before: std::collections::BTreeMap<String, serde_json::Value> = before.into_iter().collect();
    after
        .into_iter()
        .filter(|(field, _)| !skip.contains(&field.as_str()))
        .filter_map(|(field, to)| {
            let from = before.get(&field).cloned().unwrap_or(serde_json::Value::Null);
            (from != to).then_some(FieldChange { field, from, to })
        })
        .collect()
}

/// What an exam entry sets or changes, field by field (`od.eye`/`os.eye` and the ids are
/// identity, not values, and are not listed).
pub fn exam_changes(old: Option<&EyeExam>, new: &EyeExam) -> Vec<FieldChange> {
    diff("", old, new, &["id", "patient_id", "store_id", "od.eye", "os.eye"])
}

/// What a correction entry sets or changes, as `correction.*` fields.
pub fn correction_changes(old: Option<&Correction>, new: &Correction) -> Vec<FieldChange> {
    diff("correction", old, new, &[])
}

/// Whether an audit line records a new exam or a correction of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExamAuditAction {
    Recorded,
    Amended,
}

impl ExamAuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ExamAuditAction::Recorded => "recorded",
            ExamAuditAction::Amended => "amended",
        }
    }
}

/// One audit line of the eye-health record: who entered or changed which values of an
/// exam (and of the patient's correction), when and why. An amendment keeps the values it
/// replaced in `changes[].from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EyeExamAudit {
    /// The command that made the change, and the line's index within it.
    pub mutation_id: Uuid,
    pub index: u16,
    pub exam_id: Uuid,
    pub patient_id: Uuid,
    pub store_id: Uuid,
    pub at: DateTime<Utc>,
    /// The actor's label (`"optometrist:赵视光"`).
    pub actor: String,
    pub action: ExamAuditAction,
    pub reason: Option<String>,
    pub changes: Vec<FieldChange>,
}

/// One eye's line in the exam table: its SER and axial length, and the change since the
/// patient's latest earlier exam that measured the same value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EyeTrend {
    pub eye: Eye,
    /// SER in 0.01 D ([`ser_cd`]).
    pub ser_cd: Option<i32>,
    /// SER minus the SER of the latest earlier exam with one, in 0.01 D (negative: more myopic).
    pub ser_change_cd: Option<i32>,
    /// The date of the exam `ser_change_cd` compares with.
    pub ser_since: Option<NaiveDate>,
    pub axial_length_um: Option<i32>,
    /// Axial length minus that of the latest earlier exam with one, in µm.
    pub axial_change_um: Option<i32>,
    /// The date of the exam `axial_change_um` compares with.
    pub axial_since: Option<NaiveDate>,
    /// True when that earlier axial length came from another biometer (not strictly comparable).
    pub axial_other_biometer: bool,
}

/// One row of a patient's exam table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExamTableRow {
    pub exam: EyeExam,
    pub od: EyeTrend,
    pub os: EyeTrend,
}

/// A patient's exam table, newest first, from their exams **oldest first** (exams of the same
/// day keep the given order: the later one counts as newer). Each eye's SER and axial
/// length are compared with the latest earlier exam that measured them, so a pressure-only
/// recheck in between does not hide the change.
pub fn exam_table(exams_oldest_first: &[EyeExam]) -> Vec<ExamTableRow> {
    let mut exams: Vec<&EyeExam> = exams_oldest_first.iter().collect();
    exams.sort_by_key(|e| e.examined_at); // stable: same-day exams keep their order
    let mut rows: Vec<ExamTableRow> = Vec::with_capacity(exams.len());
    for (i, exam) in exams.iter().enumerate() {
        let earlier = &exams[..i];
        let trend = |eye: Eye| {
            let r = exam.reading(eye);
            let ser = ser_cd(r);
            let axial = r.axial_length_um;
            let prev_ser = earlier.iter().rev().find_map(|e| ser_cd(e.reading(eye)).map(|v| (v, e.examined_at)));
            let prev_axial = earlier.iter().rev().find_map(|e| e.reading(eye).axial_length_um.map(|v| (v, e)));
            let (ser_change_cd, ser_since) = match (ser, prev_ser) {
                (Some(now), Some((before, on))) => (Some(now - before), Some(on)),
                _ => (None, None),
            };
            let (axial_change_um, axial_since, axial_other_biometer) = match (axial, prev_axial) {
                (Some(now), Some((before, e))) => (Some(now - before), Some(e.examined_at), e.biometer.trim() != exam.biometer.trim()),
                _ => (None, None, false),
            };
            EyeTrend {
                eye,
                ser_cd: ser,
                ser_change_cd,
                ser_since,
                axial_length_um: axial,
                axial_change_um,
                axial_since,
                axial_other_biometer,
            }
        };
        rows.push(ExamTableRow { exam: (*exam).clone(), od: trend(Eye::Od), os: trend(Eye::Os) });
    }
    rows.reverse();
    rows
}

/// An integer in units of 10^-decimals printed exactly: `decimal(-5, 1)` = "-0.5".
fn decimal(value: i32, decimals: u32) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let v = value.unsigned_abs();
    let scale = 10u32.pow(decimals);
    format!("{sign}{}.{:0width$}", v / scale, v % scale, width = decimals as usize)
}

fn k_name(which: KReading) -> &'static str {
    match which {
        KReading::K1 => "K1",
        KReading::K2 => "K2",
    }
}

/// Checks one eye's readings against clinical ranges (all bounds inclusive, see [`limits`]):
/// sphere −30.00..=+25.00 D and cylinder −10.00..=+10.00 D, both in 0.25 D steps; axis
/// 0..=180°, required when the cylinder is not 0; axial length 15.00–35.00 mm; K1/K2
/// 35.00–55.00 D; IOP 5–60 mmHg; UCVA/BCVA 0.01–2.0; central corneal thickness 300–800 µm.
/// Missing values are fine. Fields are checked in that order and the first problem is
/// returned (range before step for the same field).
pub fn validate_reading(r: &EyeReading) -> Result<(), EyeError> {
    use limits::*;
    let eye = r.eye;
    if let Some(value) = r.sphere_cd {
        if !(SPHERE_MIN_CD..=SPHERE_MAX_CD).contains(&value) {
            return Err(EyeError::SphereOutOfRange { eye, value });
        }
        if value % STEP_CD != 0 {
            return Err(EyeError::SphereStep { eye, value });
        }
    }
    if let Some(value) = r.cylinder_cd {
        if !(CYLINDER_MIN_CD..=CYLINDER_MAX_CD).contains(&value) {
            return Err(EyeError::CylinderOutOfRange { eye, value });
        }
        if value % STEP_CD != 0 {
            return Err(EyeError::CylinderStep { eye, value });
        }
    }
    if let Some(value) = r.axis_deg {
        if value > AXIS_MAX_DEG {
            return Err(EyeError::AxisOutOfRange { eye, value });
        }
    }
    if let Some(cylinder_cd) = r.cylinder_cd {
        if cylinder_cd != 0 && r.axis_deg.is_none() {
            return Err(EyeError::AxisMissing { eye, cylinder_cd });
        }
    }
    if let Some(value) = r.axial_length_um {
        if !(AXIAL_LENGTH_MIN_UM..=AXIAL_LENGTH_MAX_UM).contains(&value) {
            return Err(EyeError::AxialLengthOutOfRange { eye, value });
        }
    }
    for (which, k) in [(KReading::K1, r.k1_cd), (KReading::K2, r.k2_cd)] {
        if let Some(value) = k {
            if !(K_MIN_CD..=K_MAX_CD).contains(&value) {
                return Err(EyeError::KeratometryOutOfRange { eye, which, value });
            }
        }
    }
    if let Some(value) = r.iop_dmmhg {
        if !(IOP_MIN_DMMHG..=IOP_MAX_DMMHG).contains(&value) {
            return Err(EyeError::IopOutOfRange { eye, value });
        }
    }
    for (which, va) in [(VaKind::Ucva, r.ucva_hundredths), (VaKind::Bcva, r.bcva_hundredths)] {
        if let Some(value) = va {
            if !(VA_MIN_HUNDREDTHS..=VA_MAX_HUNDREDTHS).contains(&value) {
                return Err(EyeError::VisualAcuityOutOfRange { eye, which, value });
            }
        }
    }
    if let Some(value) = r.central_corneal_thickness_um {
        if !(CCT_MIN_UM..=CCT_MAX_UM).contains(&value) {
            return Err(EyeError::CornealThicknessOutOfRange { eye, value });
        }
    }
    Ok(())
}

/// Checks a whole exam: the OD slot holds an OD reading and the OS slot an OS reading,
/// both readings pass [`validate_reading`] (OD first), and the next recheck, if set, is
/// after the exam date.
pub fn validate_exam(exam: &EyeExam) -> Result<(), EyeError> {
    for slot in Eye::BOTH {
        let found = exam.reading(slot).eye;
        if found != slot {
            return Err(EyeError::EyeMismatch { slot, found });
        }
    }
    validate_reading(&exam.od)?;
    validate_reading(&exam.os)?;
    if let Some(next_recheck) = exam.next_recheck {
        if next_recheck <= exam.examined_at {
            return Err(EyeError::RecheckNotAfterExam { examined_at: exam.examined_at, next_recheck });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(sphere: Option<i32>, cylinder: Option<i32>) -> EyeReading {
        EyeReading { sphere_cd: sphere, cylinder_cd: cylinder, axis_deg: cylinder.map(|_| 90), ..EyeReading::empty(Eye::Od) }
    }

    fn full_reading(eye: Eye) -> EyeReading {
        EyeReading {
            eye,
            ucva_hundredths: Some(50),
            bcva_hundredths: Some(100),
            sphere_cd: Some(-275),
            cylinder_cd: Some(-50),
            axis_deg: Some(180),
            axial_length_um: Some(24_350),
            k1_cd: Some(4300),
            k2_cd: Some(4400),
            iop_dmmhg: Some(155),
            central_corneal_thickness_um: Some(540),
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn exam() -> EyeExam {
        EyeExam {
            id: Uuid::from_u128(1),
            patient_id: Uuid::from_u128(2),
            store_id: Uuid::from_u128(3),
            examined_at: date(2025, 3, 1),
            biometer: "IOLMaster 700".into(),
            od: full_reading(Eye::Od),
            os: full_reading(Eye::Os),
            next_recheck: Some(date(2025, 6, 1)),
        }
    }

    #[test]
    fn ser_is_sphere_plus_half_cylinder_rounded_half_away_from_zero() {
        let cases = [
            // (sphere, cylinder, expected SER)
            (Some(-275), Some(-50), Some(-300)),
            (Some(-200), Some(-25), Some(-213)), // -212.5 → -213
            (Some(100), Some(-25), Some(88)),    // +87.5 → +88 (whole sum rounded, not -12.5 → -13)
            (Some(0), Some(-25), Some(-13)),     // -12.5 → -13
            (Some(0), Some(25), Some(13)),       // +12.5 → +13
            (Some(-25), Some(25), Some(-13)),    // -12.5 → -13
            (Some(300), Some(0), Some(300)),
            (Some(-150), None, Some(-150)), // a sphere-only prescription
            (Some(0), None, Some(0)),
            (None, Some(-100), None), // no sphere, no SER
            (None, None, None),
            (Some(-3000), Some(-1000), Some(-3500)),
        ];
        for (sphere, cylinder, expected) in cases {
            assert_eq!(ser_cd(&reading(sphere, cylinder)), expected, "sphere {sphere:?} cylinder {cylinder:?}");
        }
    }

    #[test]
    fn fixed_point_values_print_exactly_including_negative_fractions() {
        let cases = [(-5, 1, "-0.5"), (655, 1, "65.5"), (40_505, 3, "40.505"), (1, 2, "0.01"), (-500, 3, "-0.500"), (0, 2, "0.00")];
        for (value, decimals, expected) in cases {
            assert_eq!(decimal(value, decimals), expected);
        }
        let e = EyeError::AxialLengthOutOfRange { eye: Eye::Od, value: -500 };
        assert!(e.message(Lang::En).contains("-0.50 mm"), "{}", e.message(Lang::En));
        let e = EyeError::AxialLengthOutOfRange { eye: Eye::Od, value: 40_505 };
        assert!(e.message(Lang::En).contains("40.505 mm"), "{}", e.message(Lang::En));
    }

    #[test]
    fn dioptres_print_with_sign_and_two_decimals() {
        let cases = [(-275, "-2.75"), (50, "+0.50"), (0, "0.00"), (-5, "-0.05"), (2500, "+25.00"), (-3000, "-30.00")];
        for (cd, expected) in cases {
            assert_eq!(format_dioptres(cd), expected);
        }
    }

    #[test]
    fn a_complete_plausible_exam_is_valid_and_an_empty_reading_too() {
        assert_eq!(validate_exam(&exam()), Ok(()));
        assert_eq!(validate_reading(&EyeReading::empty(Eye::Os)), Ok(()));
    }

    #[test]
    fn every_reading_field_is_checked_at_its_clinical_bounds() {
        type Edit = fn(&mut EyeReading);
        // (what, edit applied to a valid reading, expected error code or None when valid)
        let cases: &[(&str, Edit, Option<&str>)] = &[
            ("sphere at min", |r| r.sphere_cd = Some(-3000), None),
            ("sphere at max", |r| r.sphere_cd = Some(2500), None),
            ("sphere below min", |r| r.sphere_cd = Some(-3025), Some("eye.sphere_range")),
            ("sphere above max", |r| r.sphere_cd = Some(2525), Some("eye.sphere_range")),
            ("sphere off-step", |r| r.sphere_cd = Some(-230), Some("eye.sphere_step")),
            ("sphere off-step by 1", |r| r.sphere_cd = Some(-276), Some("eye.sphere_step")),
            ("sphere far out and off-step reports range", |r| r.sphere_cd = Some(-5001), Some("eye.sphere_range")),
            ("cylinder at min", |r| r.cylinder_cd = Some(-1000), None),
            ("cylinder at max", |r| r.cylinder_cd = Some(1000), None),
            ("cylinder below min", |r| r.cylinder_cd = Some(-1025), Some("eye.cylinder_range")),
            ("cylinder above max", |r| r.cylinder_cd = Some(1025), Some("eye.cylinder_range")),
            ("cylinder off-step", |r| r.cylinder_cd = Some(-60), Some("eye.cylinder_step")),
            ("axis 0", |r| r.axis_deg = Some(0), None),
            ("axis 180", |r| r.axis_deg = Some(180), None),
            ("axis 181", |r| r.axis_deg = Some(181), Some("eye.axis_range")),
            ("cylinder without axis", |r| r.axis_deg = None, Some("eye.axis_missing")),
            (
                "zero cylinder needs no axis",
                |r| {
                    r.cylinder_cd = Some(0);
                    r.axis_deg = None
                },
                None,
            ),
            (
                "no cylinder needs no axis",
                |r| {
                    r.cylinder_cd = None;
                    r.axis_deg = None
                },
                None,
            ),
            ("axial length 15.00 mm", |r| r.axial_length_um = Some(15_000), None),
            ("axial length 35.00 mm", |r| r.axial_length_um = Some(35_000), None),
            ("axial length 14.99 mm", |r| r.axial_length_um = Some(14_990), Some("eye.axial_length_range")),
            ("axial length 35.01 mm", |r| r.axial_length_um = Some(35_010), Some("eye.axial_length_range")),
            ("axial length typed in mm", |r| r.axial_length_um = Some(24), Some("eye.axial_length_range")),
            ("K1 35.00", |r| r.k1_cd = Some(3500), None),
            ("K2 55.00", |r| r.k2_cd = Some(5500), None),
            ("K1 34.99", |r| r.k1_cd = Some(3499), Some("eye.k_range")),
            ("K2 55.01", |r| r.k2_cd = Some(5501), Some("eye.k_range")),
            ("IOP 5.0", |r| r.iop_dmmhg = Some(50), None),
            ("IOP 60.0", |r| r.iop_dmmhg = Some(600), None),
            ("IOP 4.9", |r| r.iop_dmmhg = Some(49), Some("eye.iop_range")),
            ("IOP 60.1", |r| r.iop_dmmhg = Some(601), Some("eye.iop_range")),
            ("UCVA 0.01", |r| r.ucva_hundredths = Some(1), None),
            ("BCVA 2.0", |r| r.bcva_hundredths = Some(200), None),
            ("UCVA 0", |r| r.ucva_hundredths = Some(0), Some("eye.va_range")),
            ("BCVA 2.01", |r| r.bcva_hundredths = Some(201), Some("eye.va_range")),
            ("CCT 300", |r| r.central_corneal_thickness_um = Some(300), None),
            ("CCT 800", |r| r.central_corneal_thickness_um = Some(800), None),
            ("CCT 299", |r| r.central_corneal_thickness_um = Some(299), Some("eye.cct_range")),
            ("CCT 801", |r| r.central_corneal_thickness_um = Some(801), Some("eye.cct_range")),
        ];
        for (what, edit, expected) in cases {
            let mut r = full_reading(Eye::Os);
            edit(&mut r);
            let got = validate_reading(&r).err().map(|e| e.code());
            assert_eq!(got, *expected, "{what}");
        }
    }

    #[test]
    fn validation_errors_name_the_eye_the_field_and_the_value() {
        let mut r = full_reading(Eye::Os);
        r.sphere_cd = Some(-230);
        assert_eq!(validate_reading(&r), Err(EyeError::SphereStep { eye: Eye::Os, value: -230 }));

        let mut r = full_reading(Eye::Od);
        r.axis_deg = None;
        assert_eq!(validate_reading(&r), Err(EyeError::AxisMissing { eye: Eye::Od, cylinder_cd: -50 }));

        let mut r = full_reading(Eye::Od);
        r.k2_cd = Some(6000);
        assert_eq!(validate_reading(&r), Err(EyeError::KeratometryOutOfRange { eye: Eye::Od, which: KReading::K2, value: 6000 }));

        let mut r = full_reading(Eye::Od);
        r.bcva_hundredths = Some(300);
        assert_eq!(validate_reading(&r), Err(EyeError::VisualAcuityOutOfRange { eye: Eye::Od, which: VaKind::Bcva, value: 300 }));
    }

    #[test]
    fn exam_checks_eye_slots_readings_and_recheck_date() {
        type Edit = fn(&mut EyeExam);
        let cases: &[(&str, Edit, Result<(), EyeError>)] = &[
            ("valid", |_| {}, Ok(())),
            ("OS reading in OD slot", |e| e.od.eye = Eye::Os, Err(EyeError::EyeMismatch { slot: Eye::Od, found: Eye::Os })),
            ("OD reading in OS slot", |e| e.os.eye = Eye::Od, Err(EyeError::EyeMismatch { slot: Eye::Os, found: Eye::Od })),
            ("bad OS reading", |e| e.os.iop_dmmhg = Some(700), Err(EyeError::IopOutOfRange { eye: Eye::Os, value: 700 })),
            (
                "recheck on the exam day",
                |e| e.next_recheck = Some(e.examined_at),
                Err(EyeError::RecheckNotAfterExam { examined_at: date(2025, 3, 1), next_recheck: date(2025, 3, 1) }),
            ),
            ("recheck the day after", |e| e.next_recheck = e.examined_at.succ_opt(), Ok(())),
            ("no recheck", |e| e.next_recheck = None, Ok(())),
        ];
        for (what, edit, expected) in cases {
            let mut e = exam();
            edit(&mut e);
            assert_eq!(&validate_exam(&e), expected, "{what}");
        }
    }

    fn every_error() -> Vec<EyeError> {
        let eye = Eye::Od;
        vec![
            EyeError::SphereOutOfRange { eye, value: -3100 },
            EyeError::SphereStep { eye, value: -230 },
            EyeError::CylinderOutOfRange { eye, value: -1100 },
            EyeError::CylinderStep { eye, value: -60 },
            EyeError::AxisOutOfRange { eye, value: 200 },
            EyeError::AxisMissing { eye, cylinder_cd: -75 },
            EyeError::AxialLengthOutOfRange { eye, value: 40_500 },
            EyeError::KeratometryOutOfRange { eye, which: KReading::K1, value: 3000 },
            EyeError::IopOutOfRange { eye, value: 655 },
            EyeError::VisualAcuityOutOfRange { eye, which: VaKind::Ucva, value: 0 },
            EyeError::CornealThicknessOutOfRange { eye, value: 900 },
            EyeError::EyeMismatch { slot: Eye::Od, found: Eye::Os },
            EyeError::RecheckNotAfterExam { examined_at: date(2025, 3, 1), next_recheck: date(2025, 2, 1) },
        ]
    }

    #[test]
    fn every_error_has_a_distinct_code_and_a_message_in_each_language() {
        let errors = every_error();
        let mut codes: Vec<&str> = errors.iter().map(|e| e.code()).collect();
        assert!(codes.iter().all(|c| c.starts_with("eye.")));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len(), "codes must be distinct");
        for e in &errors {
            let zh_cn = e.message(Lang::ZhCn);
            let zh_tw = e.message(Lang::ZhTw);
            let en = e.message(Lang::En);
            assert!(zh_cn.contains('请'), "zh-CN says what to do: {zh_cn}");
            assert!(zh_tw.contains('請'), "zh-TW says what to do: {zh_tw}");
            assert!(en.to_lowercase().contains("please"), "en says what to do: {en}");
            assert_ne!(zh_cn, zh_tw, "zh-TW is not a copy of zh-CN: {zh_cn}");
        }
    }

    #[test]
    fn every_error_names_the_form_field_it_belongs_to() {
        let fields: Vec<String> = every_error().iter().map(EyeError::field).collect();
        let expected = [
            "od.sphere_cd",
            "od.sphere_cd",
            "od.cylinder_cd",
            "od.cylinder_cd",
            "od.axis_deg",
            "od.axis_deg",
            "od.axial_length_um",
            "od.k1_cd",
            "od.iop_dmmhg",
            "od.ucva_hundredths",
            "od.central_corneal_thickness_um",
            "od.eye",
            "next_recheck",
        ];
        assert_eq!(fields, expected);
        // Each field path names a value of the exam's JSON.
        let json = serde_json::to_value(exam()).unwrap();
        for f in &fields {
            let pointer = format!("/{}", f.replace('.', "/"));
            assert!(json.pointer(&pointer).is_some(), "{f} is not a field of the exam");
        }
    }

    #[test]
    fn messages_show_the_bad_value_in_clinical_units() {
        let cases = [
            (
                EyeError::SphereStep { eye: Eye::Od, value: -230 },
                Lang::ZhCn,
                "右眼球镜 -2.30D 不是 0.25D 的整数倍，球镜须为 0.25D 的整数倍（如 -2.25、-2.50），请更正后保存",
            ),
            (EyeError::SphereStep { eye: Eye::Os, value: -230 }, Lang::En, "The left eye sphere -2.30 D is not in 0.25 D steps"),
            (EyeError::AxialLengthOutOfRange { eye: Eye::Os, value: 40_500 }, Lang::ZhCn, "左眼眼轴 40.50mm"),
            (EyeError::IopOutOfRange { eye: Eye::Od, value: 655 }, Lang::ZhTw, "右眼眼壓 65.5mmHg"),
            (EyeError::VisualAcuityOutOfRange { eye: Eye::Od, which: VaKind::Bcva, value: 250 }, Lang::ZhCn, "右眼矫正视力 2.50"),
            (EyeError::KeratometryOutOfRange { eye: Eye::Od, which: KReading::K2, value: 5600 }, Lang::En, "keratometry K2 +56.00 D"),
            (EyeError::AxisMissing { eye: Eye::Os, cylinder_cd: -75 }, Lang::ZhCn, "左眼有柱镜 -0.75D 但未填写轴位"),
        ];
        for (e, lang, expected) in cases {
            let m = e.message(lang);
            assert!(m.contains(expected), "{m:?} should contain {expected:?}");
        }
    }

    #[test]
    fn readings_round_trip_through_json_with_snake_case_eyes() {
        let e = exam();
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["od"]["eye"], "od");
        assert_eq!(json["os"]["sphere_cd"], -275);
        let back: EyeExam = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
        assert_eq!(serde_json::to_value(CorrectionKind::OrthoK).unwrap(), "ortho_k");
        assert_eq!(serde_json::to_value(CorrectionKind::SingleVisionFrames).unwrap(), "single_vision_frames");
    }
}
