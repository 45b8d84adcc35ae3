//! Desk printouts: a store's day sheet (预约日程表) and the refund slip (退费单). Plain data
//! in, PDF bytes out; the caller does the IO and any database work.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use clinicdesk_domain::model::PayMethod;
use clinicdesk_domain::money::Fen;
use clinicdesk_domain::Lang;

use crate::pdfkit::{wrap, Align, Canvas, Doc, ACCENT, BLACK, GREY, LIGHT};
use crate::report::{format_date, A4};

/// One appointment line of the day sheet. Texts arrive ready to print (already in the
/// sheet's language, e.g. the status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySheetRow {
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub patient_name: String,
    pub phone: Option<String>,
    /// Visit type (初诊 / 复诊 …), if any.
    pub visit_type: Option<String>,
    /// Status as shown at the desk (已预约 / 已到店 …).
    pub status: String,
    pub note: Option<String>,
}

/// A store's appointments for one day, per doctor in the store's doctor order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySheet {
    pub store_name: String,
    pub date: NaiveDate,
    /// (doctor name, that doctor's appointments in time order), in the order to print.
    pub doctors: Vec<(String, Vec<DaySheetRow>)>,
    pub lang: Lang,
}

/// Column (left edge, width) in mm from the left margin of the day sheet.
const DAY_COLS: [(f32, f32); 6] = [(0.0, 24.0), (24.0, 34.0), (58.0, 28.0), (86.0, 22.0), (108.0, 22.0), (130.0, 50.0)];
const MARGIN: f32 = 15.0;

pub fn day_sheet_pdf(s: &DaySheet) -> Vec<u8> {
    let lang = s.lang;
    let title = lang.pick("预约日程表", "預約日程表", "Day sheet");
    let mut doc = Doc::new(&format!("{} · {} · {}", s.store_name, title, s.date));
    let (pw, ph) = A4;
    let bottom = ph - 16.0;
    let heads = [
        lang.pick("时间", "時間", "Time"),
        lang.pick("患者", "患者", "Patient"),
        lang.pick("电话", "電話", "Phone"),
        lang.pick("类型", "類型", "Visit"),
        lang.pick("状态", "狀態", "Status"),
        lang.pick("备注", "備註", "Note"),
    ];
    let total: usize = s.doctors.iter().map(|(_, r)| r.len()).sum();
    let page_header = |c: &mut Canvas| -> f32 {
        c.text_fit(MARGIN, 20.0, 16.0, &s.store_name, 120.0, Align::Left, BLACK);
        c.text(pw - MARGIN, 20.0, 13.0, title, Align::Right, ACCENT);
        let summary = match lang {
            Lang::ZhCn => format!("{}　共 {} 位医生，{} 个预约", format_date(s.date, lang), s.doctors.len(), total),
            Lang::ZhTw => format!("{}　共 {} 位醫師，{} 個預約", format_date(s.date, lang), s.doctors.len(), total),
            Lang::En => format!("{}  ·  {} doctors, {} appointments", format_date(s.date, lang), s.doctors.len(), total),
        };
        c.text(MARGIN, 27.0, 9.5, &summary, Align::Left, GREY);
        c.line(MARGIN, 30.0, pw - MARGIN, 30.0, 0.8, ACCENT);
        36.0
    };
    let col_header = |c: &mut Canvas, y: f32| -> f32 {
        for (i, (x, w)) in DAY_COLS.iter().enumerate() {
            c.text_fit(MARGIN + x + 1.0, y + 3.8, 8.5, heads[i], w - 2.0, Align::Left, GREY);
        }
        c.line(MARGIN, y + 5.5, pw - MARGIN, y + 5.5, 0.3, LIGHT);
        y + 6.0
    };
    let mut pages: Vec<Canvas> = Vec::new();
    let mut c = doc.canvas(pw, ph);
    let mut y = page_header(&mut c);
    if s.doctors.is_empty() {
        c.text(MARGIN, y + 6.0, 10.0, lang.pick("当天没有预约", "當天沒有預約", "No appointments on this day"), Align::Left, GREY);
    }
    for (doctor, rows) in &s.doctors {
        // Keep a doctor's heading with at least two rows.
        if y + 8.0 + 6.0 + 2.0 * 6.0 > bottom {
            pages.push(c);
            c = doc.canvas(pw, ph);
            y = page_header(&mut c);
        }
        let count = match lang {
            Lang::ZhCn => format!("{} 个预约", rows.len()),
            Lang::ZhTw => format!("{} 個預約", rows.len()),
            Lang::En => format!("{} appointments", rows.len()),
        };
        c.fill_rect(MARGIN, y, pw - 2.0 * MARGIN, 7.0, (0xee, 0xf4, 0xfb));
        c.text_fit(MARGIN + 2.0, y + 5.0, 11.0, doctor, 120.0, Align::Left, BLACK);
        c.text(pw - MARGIN - 2.0, y + 5.0, 9.0, &count, Align::Right, GREY);
        y = col_header(&mut c, y + 8.0);
        if rows.is_empty() {
            c.text(MARGIN + 1.0, y + 4.2, 9.0, lang.pick("无预约", "無預約", "No appointments"), Align::Left, GREY);
            y += 6.0;
        }
        for (i, r) in rows.iter().enumerate() {
            if y + 6.0 > bottom {
                pages.push(c);
                c = doc.canvas(pw, ph);
                y = page_header(&mut c);
                let cont = format!("{doctor}{}", lang.pick("（续）", "（續）", " (continued)"));
                c.text_fit(MARGIN + 2.0, y + 5.0, 11.0, &cont, 150.0, Align::Left, BLACK);
                y = col_header(&mut c, y + 8.0);
            }
            if i % 2 == 1 {
                c.fill_rect(MARGIN, y, pw - 2.0 * MARGIN, 6.0, (0xfa, 0xfa, 0xfa));
            }
            let cells = [
                format!("{}–{}", r.start.format("%H:%M"), r.end.format("%H:%M")),
                r.patient_name.clone(),
                r.phone.clone().unwrap_or_default(),
                r.visit_type.clone().unwrap_or_default(),
                r.status.clone(),
                r.note.clone().unwrap_or_default(),
            ];
            for (k, (x, w)) in DAY_COLS.iter().enumerate() {
                c.text_fit(MARGIN + x + 1.0, y + 4.3, 9.0, &cells[k], w - 2.0, Align::Left, BLACK);
            }
            y += 6.0;
        }
        y += 4.0;
    }
    pages.push(c);
    let n = pages.len();
    for (i, mut page) in pages.into_iter().enumerate() {
        let label = match lang {
            Lang::ZhCn => format!("第 {} / {} 页", i + 1, n),
            Lang::ZhTw => format!("第 {} / {} 頁", i + 1, n),
            Lang::En => format!("Page {} of {}", i + 1, n),
        };
        page.text(pw - MARGIN, ph - 8.0, 8.0, &label, Align::Right, GREY);
        doc.push(page);
    }
    doc.finish()
}

/// A refund slip, as printed at the desk and handed to the patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundSlip {
    pub clinic_name: String,
    pub store_name: String,
    /// `TK-…` (DOMAIN.md §6: unique even when issued offline).
    pub slip_number: String,
    pub patient_name: String,
    pub amount: Fen,
    pub method: PayMethod,
    /// Local time of the refund in the store's time zone.
    pub refunded_at: NaiveDateTime,
    pub staff_name: String,
    pub reason: Option<String>,
    pub lang: Lang,
}

/// "¥25.00".
pub fn format_money(amount: Fen) -> String {
    let s = amount.yuan_string();
    match s.strip_prefix('-') {
        Some(rest) => format!("-¥{rest}"),
        None => format!("¥{s}"),
    }
}

pub fn pay_method_name(m: PayMethod, lang: Lang) -> &'static str {
    match m {
        PayMethod::Cash => lang.pick("现金", "現金", "Cash"),
        PayMethod::Card => lang.pick("银行卡", "銀行卡", "Bank card"),
        PayMethod::WechatApp => lang.pick("微信支付（小程序）", "微信支付（小程式）", "WeChat Pay (app)"),
        PayMethod::Points => lang.pick("积分", "積分", "Points"),
    }
}

/// The refund slip: a receipt-sized page (80 × 130 mm).
pub fn refund_slip_pdf(s: &RefundSlip) -> Vec<u8> {
    let lang = s.lang;
    let (w, h) = (80.0, 130.0);
    let m = 6.0;
    let title = lang.pick("退费单", "退費單", "Refund slip");
    let mut doc = Doc::new(&format!("{title} {}", s.slip_number));
    let mut c = doc.canvas(w, h);
    c.text_fit(w / 2.0, 12.0, 13.0, &s.clinic_name, w - 2.0 * m, Align::Center, BLACK);
    let mut y = 12.0;
    if !s.store_name.trim().is_empty() {
        y += 5.5;
        c.text_fit(w / 2.0, y, 9.0, &s.store_name, w - 2.0 * m, Align::Center, GREY);
    }
    y += 8.0;
    c.text(w / 2.0, y, 14.0, title, Align::Center, ACCENT);
    y += 4.0;
    c.line(m, y, w - m, y, 0.6, ACCENT);
    let label_w = 18.0;
    let fields: Vec<(&str, String)> = vec![
        (lang.pick("单号", "單號", "No."), s.slip_number.clone()),
        (lang.pick("患者", "患者", "Patient"), s.patient_name.clone()),
        (lang.pick("退款方式", "退款方式", "Method"), pay_method_name(s.method, lang).to_string()),
        (lang.pick("退款时间", "退款時間", "Time"), s.refunded_at.format("%Y-%m-%d %H:%M").to_string()),
        (lang.pick("经办人", "經辦人", "Staff"), s.staff_name.clone()),
    ];
    y += 7.0;
    for (label, value) in &fields {
        c.text(m, y, 9.0, label, Align::Left, GREY);
        c.text_fit(m + label_w, y, 9.5, value, w - 2.0 * m - label_w, Align::Left, BLACK);
        y += 6.0;
    }
    if let Some(reason) = s.reason.as_deref().filter(|r| !r.trim().is_empty()) {
        c.text(m, y, 9.0, lang.pick("原因", "原因", "Reason"), Align::Left, GREY);
        for (i, line) in wrap(reason, 9.0, w - 2.0 * m - label_w).iter().take(3).enumerate() {
            c.text(m + label_w, y + i as f32 * 4.6, 9.0, line, Align::Left, BLACK);
        }
        y += 6.0 + 4.6 * (wrap(reason, 9.0, w - 2.0 * m - label_w).len().clamp(1, 3) - 1) as f32;
    }
    y += 1.0;
    c.line(m, y, w - m, y, 0.3, LIGHT);
    y += 10.0;
    c.text(m, y, 10.0, lang.pick("退款金额", "退款金額", "Amount refunded"), Align::Left, GREY);
    c.text(w - m, y, 18.0, &format_money(s.amount), Align::Right, BLACK);
    y += 12.0;
    c.line(m, y, w - m, y, 0.3, LIGHT);
    y += 9.0;
    let sign = lang.pick("患者签字：", "患者簽字：", "Patient signature:");
    c.text(m, y, 9.0, sign, Align::Left, GREY);
    c.line(m + Canvas::text_width(9.0, sign) + 2.0, y + 1.0, w - m, y + 1.0, 0.3, GREY);
    let keep = lang.pick("请妥善保管本单据", "請妥善保管本單據", "Please keep this slip");
    c.text(w / 2.0, h - 6.0, 7.5, keep, Align::Center, GREY);
    doc.push(c);
    doc.finish()
}
