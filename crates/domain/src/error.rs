//! The one error type of the domain. Each variant has a stable `code()` for programs and a
//! `message(lang)` for people that says what happened and what to do.

use chrono::{DateTime, NaiveDate, Utc};

use crate::eye::EyeError;
use crate::model::{AppointmentState, CancellationPolicy, Id};
use crate::roles::{Permission, Role};
use crate::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Tenant,
    Store,
    Department,
    Doctor,
    Patient,
    Guardian,
    Complaint,
    Appointment,
    Fee,
    CancellationRequest,
    Channel,
    EyeExam,
    Conflict,
}

impl Entity {
    fn name(self, lang: Lang) -> &'static str {
        match self {
            Entity::Tenant => lang.pick("机构", "機構", "clinic chain"),
            Entity::Store => lang.pick("门店", "門店", "store"),
            Entity::Department => lang.pick("科室", "科室", "department"),
            Entity::Doctor => lang.pick("医生", "醫生", "doctor"),
            Entity::Patient => lang.pick("患者", "患者", "patient"),
            Entity::Guardian => lang.pick("监护人", "監護人", "guardian"),
            Entity::Complaint => lang.pick("主诉", "主訴", "chief complaint"),
            Entity::Appointment => lang.pick("预约", "預約", "appointment"),
            Entity::Fee => lang.pick("挂号费", "掛號費", "registration fee"),
            Entity::CancellationRequest => lang.pick("取消申请", "取消申請", "cancellation request"),
            Entity::Channel => lang.pick("渠道码", "渠道碼", "channel code"),
            Entity::EyeExam => lang.pick("检查记录", "檢查記錄", "eye exam"),
            Entity::Conflict => lang.pick("同步冲突", "同步衝突", "sync conflict"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("role {role:?} lacks permission {permission:?}")]
    Forbidden { role: Option<Role>, permission: Permission },
    #[error("actor does not work in store {store_id}")]
    NotInStore { store_id: Id },
    #[error("{what:?} {id} not found")]
    NotFound { what: Entity, id: Id },
    #[error("invalid amount {input:?}")]
    InvalidAmount { input: String },
    #[error("{field} is empty")]
    EmptyText { field: &'static str },
    #[error("{field} longer than {max} characters")]
    TextTooLong { field: &'static str, max: usize },
    #[error("invalid phone number")]
    InvalidPhone,
    #[error("invalid birth date")]
    InvalidBirthDate,
    #[error("end is not after start")]
    EndBeforeStart,
    #[error("time outside the doctor's schedule")]
    OutsideSchedule,
    #[error("time not on the {slot_minutes}-minute slot grid")]
    NotOnSlotGrid { slot_minutes: u16 },
    #[error("time blocked: {reason}")]
    SlotBlocked { reason: String },
    #[error("slot already taken by {taken_by:?}")]
    SlotConflict { taken_by: Vec<Id> },
    #[error("doctor {doctor_id} does not work in department {department_id}")]
    DoctorNotInDepartment { doctor_id: Id, department_id: Id },
    #[error("department {department_id} is not in store {store_id}")]
    DepartmentNotInStore { department_id: Id, store_id: Id },
    #[error("complaint is not treated by department {department_id}")]
    ComplaintNotForDepartment { department_id: Id },
    #[error("cannot {action} an appointment that is {from:?}")]
    InvalidTransition { from: AppointmentState, action: &'static str },
    #[error("cannot cancel after check-in (state {state:?})")]
    CancelAfterCheckIn { state: AppointmentState },
    #[error("fee {fee_id} must be refunded before cancelling")]
    RefundFirst { fee_id: Id },
    #[error("fee already refunded ({number})")]
    AlreadyRefunded { number: String },
    #[error("fee was not charged")]
    NotCharged,
    #[error("fee already charged")]
    AlreadyCharged,
    #[error("this side does not hold the refund right")]
    NotRefundAuthority { online: bool },
    /// A desk-paid fee is refunded only at the desk that took it.
    #[error("the fee is refunded at the desk that took it ({desk})")]
    RefundAtCollectingDesk { desk: String },
    #[error("online refund impossible after 365 days (paid {paid_at})")]
    OnlineRefundExpired { paid_at: DateTime<Utc> },
    #[error("manual refund only for online payments past the 365-day limit")]
    ManualRefundNotAllowed,
    #[error("refund already requested")]
    RefundAlreadyRequested,
    #[error("patient cancellation not allowed under policy {policy:?}")]
    CancellationNotAllowed { policy: CancellationPolicy },
    #[error("a cancellation request is already open")]
    RequestAlreadyOpen,
    #[error("the cancellation request was already decided")]
    RequestNotOpen,
    #[error("not the patient's own appointment")]
    NotOwnAppointment,
    #[error("guardian already bound to 10 patients")]
    GuardianLimit,
    #[error("visit type {code:?} unknown")]
    InvalidVisitType { code: String },
    #[error("invalid setting: {what}")]
    InvalidSetting { what: &'static str },
    #[error("duplicate doctor in order")]
    DuplicateInOrder,
    #[error("unknown command {name}")]
    UnknownCommand { name: String },
    #[error("invalid command payload: {detail}")]
    InvalidPayload { detail: String },
    #[error("id already used")]
    IdTaken { what: Entity },
    #[error("payment method not possible here")]
    PayMethodNotHere { online: bool },
    /// A value of the exam form is out of its clinical range or step (the field is in the error).
    #[error("eye exam: {0}")]
    InvalidEyeExam(EyeError),
    #[error("exam date {examined_at} is in the future or before the patient's birth")]
    InvalidExamDate { examined_at: NaiveDate },
    #[error("correction field {field} is not valid")]
    InvalidCorrection { field: &'static str },
    #[error("the visit is not this patient's in this store")]
    ExamVisitMismatch,
    #[error("the amendment changes nothing")]
    ExamUnchanged,
    /// A recall threshold of the store settings is outside its sane range (the field is in the error).
    #[error("recall threshold {field} outside {min}–{max}")]
    InvalidRecallThreshold { field: &'static str, min: i64, max: i64 },
}

impl DomainError {
    /// Stable machine-readable code (also the `code` at the IPC and HTTP edges).
    pub fn code(&self) -> &'static str {
        use DomainError::*;
        match self {
            Forbidden { .. } => "forbidden",
            NotInStore { .. } => "not_in_store",
            NotFound { .. } => "not_found",
            InvalidAmount { .. } => "invalid_amount",
            EmptyText { .. } => "empty_text",
            TextTooLong { .. } => "text_too_long",
            InvalidPhone => "invalid_phone",
            InvalidBirthDate => "invalid_birth_date",
            EndBeforeStart => "end_before_start",
            OutsideSchedule => "outside_schedule",
            NotOnSlotGrid { .. } => "not_on_slot_grid",
            SlotBlocked { .. } => "slot_blocked",
            SlotConflict { .. } => "slot_conflict",
            DoctorNotInDepartment { .. } => "doctor_not_in_department",
            DepartmentNotInStore { .. } => "department_not_in_store",
            ComplaintNotForDepartment { .. } => "complaint_not_for_department",
            InvalidTransition { .. } => "invalid_transition",
            CancelAfterCheckIn { .. } => "cancel_after_check_in",
            RefundFirst { .. } => "refund_first",
            AlreadyRefunded { .. } => "already_refunded",
            NotCharged => "not_charged",
            AlreadyCharged => "already_charged",
            NotRefundAuthority { .. } => "not_refund_authority",
            RefundAtCollectingDesk { .. } => "refund_at_collecting_desk",
            OnlineRefundExpired { .. } => "online_refund_expired",
            ManualRefundNotAllowed => "manual_refund_not_allowed",
            RefundAlreadyRequested => "refund_already_requested",
            CancellationNotAllowed { .. } => "cancellation_not_allowed",
            RequestAlreadyOpen => "request_already_open",
            RequestNotOpen => "request_not_open",
            NotOwnAppointment => "not_own_appointment",
            GuardianLimit => "guardian_limit",
            InvalidVisitType { .. } => "invalid_visit_type",
            InvalidSetting { .. } => "invalid_setting",
            DuplicateInOrder => "duplicate_in_order",
            UnknownCommand { .. } => "unknown_command",
            InvalidPayload { .. } => "invalid_payload",
            IdTaken { .. } => "id_taken",
            PayMethodNotHere { .. } => "pay_method_not_here",
            InvalidEyeExam(e) => e.code(),
            InvalidExamDate { .. } => "exam_date_invalid",
            InvalidCorrection { .. } => "correction_invalid",
            ExamVisitMismatch => "exam_visit_mismatch",
            ExamUnchanged => "exam_unchanged",
            InvalidRecallThreshold { .. } => "recall_threshold_invalid",
        }
    }

    /// The form field a refusal is about, as the path of the value in the command's
    /// arguments relative to the exam (`"od.sphere_cd"`, `"examined_at"`, `"correction.fitted_on"`,
    /// `"reason"`), so the form can show the message next to it. `None` when it is not about
    /// one field.
    pub fn field(&self) -> Option<String> {
        use DomainError::*;
        match self {
            InvalidEyeExam(e) => Some(e.field()),
            InvalidExamDate { .. } => Some("examined_at".into()),
            InvalidCorrection { field } => Some(format!("correction.{field}")),
            EmptyText { field } | TextTooLong { field, .. } => Some((*field).into()),
            ExamVisitMismatch => Some("appointment_id".into()),
            InvalidRecallThreshold { field, .. } => Some(format!("recall.{field}")),
            _ => None,
        }
    }

    /// What happened and what to do, in the user's language.
    pub fn message(&self, lang: Lang) -> String {
        use DomainError::*;
        let l = lang;
        match self {
            Forbidden { permission, .. } => format!(
                "{} ({})",
                l.pick(
                    "您的角色无权执行此操作，请联系店长。",
                    "您的角色無權執行此操作，請聯絡店長。",
                    "Your role may not do this; ask a manager."
                ),
                permission.as_str()
            ),
            NotInStore { .. } => l
                .pick(
                    "您不属于该门店，无法操作其数据。",
                    "您不屬於該門店，無法操作其資料。",
                    "You do not work in this store and cannot change its data.",
                )
                .into(),
            NotFound { what, .. } => match l {
                Lang::ZhCn => format!("找不到该{}，可能已被删除，请刷新后重试。", what.name(l)),
                Lang::ZhTw => format!("找不到該{}，可能已被刪除，請重新整理後重試。", what.name(l)),
                Lang::En => format!("That {} does not exist (any more); refresh and try again.", what.name(l)),
            },
            InvalidAmount { input } => match l {
                Lang::ZhCn => format!("金额“{input}”无效：请输入不小于 0 的金额，最多两位小数（如 25 或 25.50）。"),
                Lang::ZhTw => format!("金額「{input}」無效：請輸入不小於 0 的金額，最多兩位小數（如 25 或 25.50）。"),
                Lang::En => format!("Amount “{input}” is not valid: enter 0 or more with at most two decimals (e.g. 25 or 25.50)."),
            },
            EmptyText { field } => match l {
                Lang::ZhCn => format!("请填写{}。", field_name(field, l)),
                Lang::ZhTw => format!("請填寫{}。", field_name(field, l)),
                Lang::En => format!("Please fill in the {}.", field_name(field, l)),
            },
            TextTooLong { field, max } => match l {
                Lang::ZhCn => format!("{}太长：最多 {max} 个字，请缩短。", field_name(field, l)),
                Lang::ZhTw => format!("{}太長：最多 {max} 個字，請縮短。", field_name(field, l)),
                Lang::En => format!("The {} is too long: at most {max} characters.", field_name(field, l)),
            },
            InvalidPhone => l
                .pick(
                    "手机号无效：请输入 11 位手机号（如 13800138000）。",
                    "手機號無效：請輸入 11 位手機號（如 13800138000）。",
                    "Phone number not valid: enter an 11-digit mobile number (e.g. 13800138000).",
                )
                .into(),
            InvalidBirthDate => l
                .pick(
                    "出生日期无效：不能晚于今天，也不能早于 120 年前。",
                    "出生日期無效：不能晚於今天，也不能早於 120 年前。",
                    "Birth date not valid: it cannot be in the future or more than 120 years ago.",
                )
                .into(),
            EndBeforeStart => {
                l.pick("结束时间必须晚于开始时间。", "結束時間必須晚於開始時間。", "The end time must be after the start time.").into()
            }
            OutsideSchedule => l
                .pick(
                    "该时间不在医生的排班内，请选择排班内的时段。",
                    "該時間不在醫生的排班內，請選擇排班內的時段。",
                    "The doctor does not work at that time; pick a slot inside the schedule.",
                )
                .into(),
            NotOnSlotGrid { slot_minutes } => match l {
                Lang::ZhCn => format!("时间须对齐 {slot_minutes} 分钟的号源，请选择列表中的时段。"),
                Lang::ZhTw => format!("時間須對齊 {slot_minutes} 分鐘的號源，請選擇列表中的時段。"),
                Lang::En => format!("Times must follow the {slot_minutes}-minute slots; pick one from the list."),
            },
            SlotBlocked { reason } => match l {
                Lang::ZhCn => format!("该时段已停诊（{reason}），请选择其他时段。"),
                Lang::ZhTw => format!("該時段已停診（{reason}），請選擇其他時段。"),
                Lang::En => format!("That time is blocked ({reason}); pick another slot."),
            },
            SlotConflict { .. } => l
                .pick(
                    "该时段已约满，请选择其他时段或其他医生。",
                    "該時段已約滿，請選擇其他時段或其他醫生。",
                    "That slot is already taken; pick another slot or doctor.",
                )
                .into(),
            DoctorNotInDepartment { .. } => l
                .pick(
                    "该医生不属于所选科室，请重新选择医生。",
                    "該醫生不屬於所選科室，請重新選擇醫生。",
                    "That doctor does not work in the chosen department; pick another doctor.",
                )
                .into(),
            DepartmentNotInStore { .. } => l
                .pick(
                    "所选科室不在本门店，请重新选择科室。",
                    "所選科室不在本門店，請重新選擇科室。",
                    "That department is not in this store; pick another.",
                )
                .into(),
            ComplaintNotForDepartment { .. } => l
                .pick(
                    "该主诉不由所选科室接诊，请重新选择科室。",
                    "該主訴不由所選科室接診，請重新選擇科室。",
                    "That department does not treat this complaint; pick another department.",
                )
                .into(),
            InvalidTransition { from, action } => match l {
                Lang::ZhCn => format!("预约当前为“{}”，不能{}。", state_name(*from, l), action_name(action, l)),
                Lang::ZhTw => format!("預約目前為「{}」，不能{}。", state_name(*from, l), action_name(action, l)),
                Lang::En => format!("The appointment is {}; it cannot be {}.", state_name(*from, l), action_name(action, l)),
            },
            CancelAfterCheckIn { .. } => l
                .pick(
                    "患者已到店挂号，不能取消。如为误操作，请店长撤销到店。",
                    "患者已到店掛號，不能取消。如為誤操作，請店長撤銷到店。",
                    "The patient has checked in; it can no longer be cancelled. If check-in was a mistake, a manager can undo it.",
                )
                .into(),
            RefundFirst { .. } => l
                .pick(
                    "该预约已收挂号费，请先退费再取消。",
                    "該預約已收掛號費，請先退費再取消。",
                    "A registration fee was paid: refund it first, then cancel.",
                )
                .into(),
            AlreadyRefunded { number } => match l {
                Lang::ZhCn => format!("该费用已退过（退费单号 {number}），不能重复退费。"),
                Lang::ZhTw => format!("該費用已退過（退費單號 {number}），不能重複退費。"),
                Lang::En => format!("This fee was already refunded (slip {number}); it cannot be refunded twice."),
            },
            NotCharged => l
                .pick("该费用尚未收取，无需退费。", "該費用尚未收取，無需退費。", "This fee was never charged; there is nothing to refund.")
                .into(),
            AlreadyCharged => l.pick("该费用已收取。", "該費用已收取。", "This fee is already charged.").into(),
            NotRefundAuthority { online: true } => l
                .pick(
                    "该费用为线上支付，只能由服务器原路退回；请提交退费申请。",
                    "該費用為線上支付，只能由伺服器原路退回；請提交退費申請。",
                    "This fee was paid online and can only be refunded by the server to the original account; send a refund request.",
                )
                .into(),
            NotRefundAuthority { online: false } => l
                .pick(
                    "该费用在其他门店前台收取，只能由该门店前台退费。",
                    "該費用在其他門店前台收取，只能由該門店前台退費。",
                    "This fee was paid at another store's desk; only that store's desk can refund it.",
                )
                .into(),
            RefundAtCollectingDesk { desk } => match l {
                Lang::ZhCn => format!("该费用由本店 {desk} 号前台收取，只能在该前台退费（防止离线时重复退款）。"),
                Lang::ZhTw => format!("該費用由本店 {desk} 號前台收取，只能在該前台退費（防止離線時重複退款）。"),
                Lang::En => format!("This fee was taken at desk {desk} of this store; only that desk can refund it (so it is never refunded twice offline)."),
            },
            OnlineRefundExpired { .. } => l
                .pick(
                    "支付已超过 365 天，微信无法原路退回；请改为线下人工退费并登记。",
                    "支付已超過 365 天，微信無法原路退回；請改為線下人工退費並登記。",
                    "Paid more than 365 days ago: WeChat Pay can no longer refund it. Record a manual refund instead.",
                )
                .into(),
            ManualRefundNotAllowed => l
                .pick(
                    "仅超过 365 天的线上支付可登记人工退费，其余请原路退回。",
                    "僅超過 365 天的線上支付可登記人工退費，其餘請原路退回。",
                    "A manual refund is only for online payments older than 365 days; refund the others the normal way.",
                )
                .into(),
            RefundAlreadyRequested => l
                .pick(
                    "已提交过退费申请，请等待服务器处理。",
                    "已提交過退費申請，請等待伺服器處理。",
                    "A refund was already requested; wait for the server.",
                )
                .into(),
            CancellationNotAllowed { .. } => l
                .pick(
                    "本门店不支持患者自行取消，请联系门店前台。",
                    "本門店不支援患者自行取消，請聯絡門店前台。",
                    "This store does not let patients cancel themselves; please contact the front desk.",
                )
                .into(),
            RequestAlreadyOpen => l
                .pick(
                    "已有待处理的取消申请，请耐心等待门店处理。",
                    "已有待處理的取消申請，請耐心等待門店處理。",
                    "A cancellation request is already waiting for the store.",
                )
                .into(),
            RequestNotOpen => {
                l.pick("该取消申请已处理过。", "該取消申請已處理過。", "This cancellation request was already decided.").into()
            }
            NotOwnAppointment => {
                l.pick("只能操作本人的预约。", "只能操作本人的預約。", "You can only change your own appointments.").into()
            }
            GuardianLimit => l
                .pick("一位监护人最多绑定 10 位患者。", "一位監護人最多綁定 10 位患者。", "A guardian can be bound to at most 10 patients.")
                .into(),
            InvalidVisitType { code } => match l {
                Lang::ZhCn => format!("就诊类型“{code}”无效，请从列表中选择。"),
                Lang::ZhTw => format!("就診類型「{code}」無效，請從列表中選擇。"),
                Lang::En => format!("Visit type “{code}” is not valid; pick one from the list."),
            },
            InvalidSetting { what } => match l {
                Lang::ZhCn => format!("设置无效：{what}。"),
                Lang::ZhTw => format!("設定無效：{what}。"),
                Lang::En => format!("Invalid setting: {what}."),
            },
            DuplicateInOrder => {
                l.pick("医生排序中有重复的医生。", "醫生排序中有重複的醫生。", "A doctor appears twice in the order.").into()
            }
            UnknownCommand { name } => match l {
                Lang::ZhCn => format!("未知的操作 {name}，请升级应用。"),
                Lang::ZhTw => format!("未知的操作 {name}，請升級應用程式。"),
                Lang::En => format!("Unknown operation {name}; please update the app."),
            },
            InvalidPayload { detail } => match l {
                Lang::ZhCn => format!("数据格式错误：{detail}"),
                Lang::ZhTw => format!("資料格式錯誤：{detail}"),
                Lang::En => format!("Malformed data: {detail}"),
            },
            PayMethodNotHere { online: true } => l
                .pick(
                    "线上支付只能由患者在小程序内完成；前台请选择现金或刷卡。",
                    "線上支付只能由患者在小程序內完成；前台請選擇現金或刷卡。",
                    "Online payment happens in the patient app; at the desk choose cash or card.",
                )
                .into(),
            PayMethodNotHere { online: false } => {
                l.pick("患者端只能线上支付。", "患者端只能線上支付。", "The patient app only takes online payment.").into()
            }
            InvalidEyeExam(e) => e.message(l),
            InvalidExamDate { examined_at } => match l {
                Lang::ZhCn => format!("检查日期 {examined_at} 无效：不能晚于今天，也不能早于患者出生日期，请更正后保存。"),
                Lang::ZhTw => format!("檢查日期 {examined_at} 無效：不能晚於今天，也不能早於患者出生日期，請更正後儲存。"),
                Lang::En => format!(
                    "Exam date {examined_at} is not valid: it cannot be in the future or before the patient's birth; please correct it."
                ),
            },
            InvalidCorrection { field: "fitted_on" } => l
                .pick(
                    "配镜/定片日期不能晚于今天，请更正后保存。",
                    "配鏡/定片日期不能晚於今天，請更正後儲存。",
                    "The fitting date cannot be in the future; please correct it.",
                )
                .into(),
            InvalidCorrection { .. } => l
                .pick(
                    "矫正方式为“无”时不能填写配镜日期、品牌或厂家，请清空后保存。",
                    "矯正方式為「無」時不能填寫配鏡日期、品牌或廠家，請清空後儲存。",
                    "With no correction, leave the fitting date, brand and manufacturer empty.",
                )
                .into(),
            ExamVisitMismatch => l
                .pick(
                    "所选就诊不是该患者在本门店的预约，请重新选择。",
                    "所選就診不是該患者在本門店的預約，請重新選擇。",
                    "That visit is not this patient's appointment in this store; please pick another.",
                )
                .into(),
            ExamUnchanged => l
                .pick(
                    "检查记录没有任何修改，无需保存。",
                    "檢查記錄沒有任何修改，無需儲存。",
                    "Nothing in the exam was changed; there is nothing to save.",
                )
                .into(),
            InvalidRecallThreshold { field, min, max } => {
                let name = threshold_name(field, l);
                match l {
                    Lang::ZhCn => format!("提醒规则“{name}”须在 {min}–{max} 之间，请更正后保存。"),
                    Lang::ZhTw => format!("提醒規則「{name}」須在 {min}–{max} 之間，請更正後儲存。"),
                    Lang::En => format!("The recall rule “{name}” must be between {min} and {max}; please correct it."),
                }
            }
            IdTaken { what } => match l {
                Lang::ZhCn => format!("该{}已存在。", what.name(l)),
                Lang::ZhTw => format!("該{}已存在。", what.name(l)),
                Lang::En => format!("That {} already exists.", what.name(l)),
            },
        }
    }
}

pub fn state_name(s: AppointmentState, l: Lang) -> &'static str {
    match s {
        AppointmentState::Pending => l.pick("待确认", "待確認", "pending"),
        AppointmentState::Confirmed => l.pick("已确认", "已確認", "confirmed"),
        AppointmentState::CheckedIn => l.pick("已到店", "已到店", "checked in"),
        AppointmentState::Completed => l.pick("已完成", "已完成", "completed"),
        AppointmentState::Cancelled => l.pick("已取消", "已取消", "cancelled"),
        AppointmentState::NoShow => l.pick("爽约", "爽約", "a no-show"),
    }
}

fn action_name(action: &str, l: Lang) -> &'static str {
    match action {
        "confirm" => l.pick("确认", "確認", "confirmed"),
        "check_in" => l.pick("到店", "到店", "checked in"),
        "complete" => l.pick("完成", "完成", "completed"),
        "no_show" => l.pick("标记爽约", "標記爽約", "marked a no-show"),
        "cancel" => l.pick("取消", "取消", "cancelled"),
        "reschedule" => l.pick("改约", "改約", "rescheduled"),
        "undo_check_in" => l.pick("撤销到店", "撤銷到店", "un-checked-in"),
        _ => l.pick("执行此操作", "執行此操作", "changed"),
    }
}

/// A recall threshold's name as the settings screen shows it.
fn threshold_name(field: &str, l: Lang) -> &'static str {
    match field {
        "ortho_k_min_frames_months" => {
            l.pick("拟转角塑：戴框架镜至少（月）", "擬轉角塑：戴框架鏡至少（月）", "ortho-k candidate: months in frames")
        }
        "ortho_k_long_window_months" => {
            l.pick("拟转角塑：长观察期（月）", "擬轉角塑：長觀察期（月）", "ortho-k candidate: long window (months)")
        }
        "ortho_k_long_window_cd" => l.pick(
            "拟转角塑：长观察期加深（度）",
            "擬轉角塑：長觀察期加深（度）",
            "ortho-k candidate: progression over the long window (0.01 D)",
        ),
        "ortho_k_short_window_months" => {
            l.pick("拟转角塑：短观察期（月）", "擬轉角塑：短觀察期（月）", "ortho-k candidate: short window (months)")
        }
        "ortho_k_short_window_cd" => l.pick(
            "拟转角塑：短观察期加深（度）",
            "擬轉角塑：短觀察期加深（度）",
            "ortho-k candidate: progression over the short window (0.01 D)",
        ),
        "window_tolerance_days" => l.pick("观察期起点容差（天）", "觀察期起點容差（天）", "window start tolerance (days)"),
        "lens_replacement_days" => l.pick("换片周期（天）", "換片週期（天）", "lens replacement after (days)"),
        "recheck_grace_days" => l.pick("复查超期宽限（天）", "複查超期寬限（天）", "recheck grace (days)"),
        "referral_min_age_years" => l.pick("拟转屈光：最低年龄（岁）", "擬轉屈光：最低年齡（歲）", "referral: minimum age (years)"),
        "referral_stable_window_months" => {
            l.pick("拟转屈光：稳定观察期（月）", "擬轉屈光：穩定觀察期（月）", "referral: stability window (months)")
        }
        "referral_max_change_cd" => {
            l.pick("拟转屈光：稳定变化上限（度）", "擬轉屈光：穩定變化上限（度）", "referral: largest stable change (0.01 D)")
        }
        "myopia_min_cd" => l.pick("近视判定（度）", "近視判定（度）", "myopia from (0.01 D)"),
        "min_corneal_thickness_um" => l.pick("角膜厚度正常下限（µm）", "角膜厚度正常下限（µm）", "normal corneal thickness from (µm)"),
        "task_overdue_after_hours" => l.pick("任务超时（小时）", "任務超時（小時）", "task overdue after (hours)"),
        _ => l.pick("提醒规则", "提醒規則", "recall rule"),
    }
}

fn field_name(field: &str, l: Lang) -> &'static str {
    match field {
        "note" => l.pick("备注", "備註", "note"),
        "name" => l.pick("姓名", "姓名", "name"),
        "reason" => l.pick("原因", "原因", "reason"),
        "phone" => l.pick("手机号", "手機號", "phone number"),
        "guardian_name" => l.pick("监护人姓名", "監護人姓名", "guardian's name"),
        "biometer" => l.pick("生物测量仪", "生物測量儀", "biometer"),
        "correction.brand" => l.pick("镜片品牌", "鏡片品牌", "lens brand"),
        "correction.manufacturer" => l.pick("生产厂家", "生產廠家", "manufacturer"),
        _ => l.pick("内容", "內容", "text"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_speaks_all_three_languages() {
        let samples = vec![
            DomainError::RefundFirst { fee_id: Id::nil() },
            DomainError::AlreadyRefunded { number: "R-1".into() },
            DomainError::CancelAfterCheckIn { state: AppointmentState::CheckedIn },
            DomainError::EmptyText { field: "name" },
            DomainError::InvalidTransition { from: AppointmentState::Completed, action: "check_in" },
        ];
        for e in samples {
            let zh = e.message(Lang::ZhCn);
            let tw = e.message(Lang::ZhTw);
            let en = e.message(Lang::En);
            assert!(!zh.is_empty() && !tw.is_empty() && !en.is_empty());
            assert_ne!(zh, en, "{e:?}");
            assert!(en.is_ascii() || en.contains('“'), "{en}");
        }
    }
}
