//! What can go wrong, said in the chosen language.

use clinicdesk_domain::Lang;
use clinicdesk_store::StoreError;

#[derive(Debug)]
pub enum Failure {
    /// Bad command line (the usage follows the message).
    Usage(String),
    BadDate(String),
    UnknownReference(String),
    /// The database file is missing or not a desk database.
    NoDatabase(String),
    /// The database is older than this build; the desk app upgrades it.
    OldDatabase,
    UnknownStore(String),
    UnknownPatient(String),
    /// Several patients share the phone: (id, name, birth date).
    AmbiguousPatient(String, Vec<(String, String, String)>),
    NoExams(String),
    /// No refund has this id.
    UnknownRefund(String),
    /// Reading the database failed (details for IT; no patient data in them).
    Db(StoreError),
    /// Drawing the report failed.
    Render(String),
    /// Writing the output failed.
    Io(String),
}

impl Failure {
    /// 2 for anything the caller can fix (arguments, names, data); 1 when the machine failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Db(_) | Failure::Render(_) | Failure::Io(_) => 1,
            _ => 2,
        }
    }

    /// The stable code the desk app shows the UI (`ApiError.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Failure::Usage(_) | Failure::BadDate(_) | Failure::UnknownReference(_) => "invalid_input",
            Failure::NoDatabase(_) => "not_open",
            Failure::OldDatabase => "not_set_up",
            Failure::UnknownStore(_) | Failure::UnknownPatient(_) | Failure::UnknownRefund(_) => "not_found",
            Failure::AmbiguousPatient(..) => "ambiguous_patient",
            Failure::NoExams(_) => "no_exams",
            Failure::Db(e) => e.code(),
            Failure::Render(_) => "render_failed",
            Failure::Io(_) => "write_failed",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let t = |zh_cn: String, zh_tw: String, en: String| match lang {
            Lang::ZhCn => zh_cn,
            Lang::ZhTw => zh_tw,
            Lang::En => en,
        };
        match self {
            Failure::Usage(m) => t(format!("参数有误：{m}"), format!("參數有誤：{m}"), format!("bad arguments: {m}")),
            Failure::BadDate(d) => t(
                format!("日期无效：{d:?}。请用 YYYY-MM-DD、today 或 tomorrow。"),
                format!("日期無效：{d:?}。請用 YYYY-MM-DD、today 或 tomorrow。"),
                format!("bad date {d:?}: use YYYY-MM-DD, today or tomorrow."),
            ),
            Failure::UnknownReference(r) => t(
                format!("未知的参考标准：{r:?}（可选 sanz-diez-2022、he-2023）。"),
                format!("未知的參考標準：{r:?}（可選 sanz-diez-2022、he-2023）。"),
                format!("unknown reference {r:?} (sanz-diez-2022 or he-2023)."),
            ),
            Failure::NoDatabase(p) => t(
                format!("无法打开前台数据库 {p}：文件不存在或不是前台数据库。"),
                format!("無法開啟櫃台資料庫 {p}：檔案不存在或不是櫃台資料庫。"),
                format!("cannot open the desk database {p}: the file is missing or is not a desk database."),
            ),
            Failure::OldDatabase => t(
                "该数据库版本较旧，请先启动一次前台应用完成升级（本工具不修改数据库）。".into(),
                "該資料庫版本較舊，請先啟動一次櫃台應用完成升級（本工具不修改資料庫）。".into(),
                "the database is from an older version: start the desk app once to upgrade it (this tool never changes the database)."
                    .into(),
            ),
            Failure::UnknownStore(s) => t(
                format!("找不到门店 {s:?}（请用门店代码，如 BJ01，或门店 ID）。"),
                format!("找不到門店 {s:?}（請用門店代碼，如 BJ01，或門店 ID）。"),
                format!("unknown store {s:?} (use the store code, e.g. BJ01, or its id)."),
            ),
            Failure::UnknownPatient(p) => t(
                format!("找不到患者 {p:?}（请用患者 ID 或登记的手机号）。"),
                format!("找不到患者 {p:?}（請用患者 ID 或登記的手機號碼）。"),
                format!("unknown patient {p:?} (use the patient id or the registered phone number)."),
            ),
            Failure::AmbiguousPatient(phone, who) => {
                let list: Vec<String> = who.iter().map(|(id, name, birth)| format!("  {id}  {name}  {birth}")).collect();
                let list = list.join("\n");
                t(
                    format!("手机号 {phone} 对应多位患者，请改用患者 ID：\n{list}"),
                    format!("手機號碼 {phone} 對應多位患者，請改用患者 ID：\n{list}"),
                    format!("several patients have phone {phone}; use the patient id:\n{list}"),
                )
            }
            Failure::NoExams(name) => t(
                format!("患者 {name} 没有眼科检查记录，无法生成家长报告。"),
                format!("患者 {name} 沒有眼科檢查記錄，無法產生家長報告。"),
                format!("patient {name} has no eye exams: there is nothing to report."),
            ),
            Failure::UnknownRefund(r) => {
                t(format!("找不到退费记录 {r:?}。"), format!("找不到退費記錄 {r:?}。"), format!("unknown refund {r:?}."))
            }
            Failure::Db(e) => {
                t(format!("读取数据库失败：{e}"), format!("讀取資料庫失敗：{e}"), format!("reading the database failed: {e}"))
            }
            Failure::Render(e) => t(format!("生成 PDF 失败：{e}"), format!("產生 PDF 失敗：{e}"), format!("making the PDF failed: {e}")),
            Failure::Io(e) => t(format!("写入文件失败：{e}"), format!("寫入檔案失敗：{e}"), format!("writing the file failed: {e}")),
        }
    }
}
