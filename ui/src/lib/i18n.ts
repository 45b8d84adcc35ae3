// Translation catalogues. zh-CN is the source; the others are typed against it, so a missing key fails `npm run check`.

export const LOCALES = ["zh-CN", "zh-TW", "en"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "zh-CN";

/** Each language's name in that language, for the switcher. */
export const LOCALE_NAMES: Record<Locale, string> = {
  "zh-CN": "简体中文",
  "zh-TW": "繁體中文",
  en: "English",
};

const zhCN = {
  "app.title": "诊所前台",
  "app.demo": "演示数据",
  "app.demoHint": "未连接桌面程序，这里显示的是演示数据",
  "header.store": "门店",
  "header.date": "日期",
  "header.prevDay": "前一天",
  "header.nextDay": "后一天",
  "header.today": "今天",
  "header.language": "语言",
  "header.openRequests": "取消申请",
  "header.openRequestsHint": "{count} 条取消申请待处理",
  "board.loading": "加载中…",
  "board.noDoctors": "这一天没有出诊医生",
  "board.label": "{store} {date} 预约看板",
  "doctor.unlisted": "未排序",
  "doctor.unlistedHint": "该医生尚未加入本店的医生排序",
  "doctor.hidden": "患者不可见",
  "doctor.hiddenHint": "患者预约时看不到该医生",
  "state.pending": "待确认",
  "state.confirmed": "已确认",
  "state.checked_in": "已签到",
  "state.completed": "已完成",
  "state.cancelled": "已取消",
  "state.no_show": "爽约",
  "fee.none": "无费用",
  "fee.pending": "待缴费",
  "fee.paid": "已缴费",
  "fee.refunded": "已退费",
  "sync.pending": "待同步",
  "sync.confirmed": "已同步",
  "sync.attention": "同步异常",
  "error.loadFailed": "无法加载预约看板",
  "error.unexpected": "发生了意外错误。请重试；如果仍然失败，请联系管理员。",
  "error.retry": "重试",
  "error.dismiss": "关闭",
};

export type MessageKey = keyof typeof zhCN;
export type Catalogue = Record<MessageKey, string>;

const zhTW: Catalogue = {
  "app.title": "診所前台",
  "app.demo": "示範資料",
  "app.demoHint": "未連接桌面程式，這裡顯示的是示範資料",
  "header.store": "門店",
  "header.date": "日期",
  "header.prevDay": "前一天",
  "header.nextDay": "後一天",
  "header.today": "今天",
  "header.language": "語言",
  "header.openRequests": "取消申請",
  "header.openRequestsHint": "{count} 筆取消申請待處理",
  "board.loading": "載入中…",
  "board.noDoctors": "這一天沒有看診醫師",
  "board.label": "{store} {date} 預約看板",
  "doctor.unlisted": "未排序",
  "doctor.unlistedHint": "該醫師尚未加入本店的醫師排序",
  "doctor.hidden": "病患不可見",
  "doctor.hiddenHint": "病患預約時看不到該醫師",
  "state.pending": "待確認",
  "state.confirmed": "已確認",
  "state.checked_in": "已報到",
  "state.completed": "已完成",
  "state.cancelled": "已取消",
  "state.no_show": "未到診",
  "fee.none": "無費用",
  "fee.pending": "待繳費",
  "fee.paid": "已繳費",
  "fee.refunded": "已退費",
  "sync.pending": "待同步",
  "sync.confirmed": "已同步",
  "sync.attention": "同步異常",
  "error.loadFailed": "無法載入預約看板",
  "error.unexpected": "發生了意外錯誤。請重試；如果仍然失敗，請聯絡管理員。",
  "error.retry": "重試",
  "error.dismiss": "關閉",
};

const en: Catalogue = {
  "app.title": "Front desk",
  "app.demo": "Demo data",
  "app.demoHint": "Not connected to the desktop app; this is demo data",
  "header.store": "Store",
  "header.date": "Date",
  "header.prevDay": "Previous day",
  "header.nextDay": "Next day",
  "header.today": "Today",
  "header.language": "Language",
  "header.openRequests": "Cancellation requests",
  "header.openRequestsHint": "{count} cancellation requests waiting",
  "board.loading": "Loading…",
  "board.noDoctors": "No doctors are working on this day",
  "board.label": "Appointment board, {store}, {date}",
  "doctor.unlisted": "Unsorted",
  "doctor.unlistedHint": "This doctor is not yet in the store's doctor order",
  "doctor.hidden": "Hidden from patients",
  "doctor.hiddenHint": "Patients cannot see this doctor when booking",
  "state.pending": "Pending",
  "state.confirmed": "Confirmed",
  "state.checked_in": "Checked in",
  "state.completed": "Completed",
  "state.cancelled": "Cancelled",
  "state.no_show": "No-show",
  "fee.none": "No fee",
  "fee.pending": "Unpaid",
  "fee.paid": "Paid",
  "fee.refunded": "Refunded",
  "sync.pending": "Syncing",
  "sync.confirmed": "Synced",
  "sync.attention": "Sync problem",
  "error.loadFailed": "Could not load the appointment board",
  "error.unexpected": "Something unexpected went wrong. Try again; if it keeps failing, contact your administrator.",
  "error.retry": "Retry",
  "error.dismiss": "Dismiss",
};

export const CATALOGUES: Record<Locale, Catalogue> = { "zh-CN": zhCN, "zh-TW": zhTW, en };

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as ReadonlyArray<string>).includes(value);
}

/** The message for `key` in `locale`, with each `{name}` replaced by `params[name]`. */
export function translate(locale: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  return CATALOGUES[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
