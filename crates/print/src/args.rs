//! Command-line parsing (no dependency: a handful of `--flag value` pairs).

use std::path::PathBuf;

use chrono::NaiveDate;
use clinicdesk_domain::Lang;
use clinicdesk_eyecare::ReferenceId;

pub use clinicdesk_print::Day;
use clinicdesk_print::Failure;

pub const USAGE: &str = "usage:
  clinicdesk-print day-sheet --db PATH --store CODE_OR_ID [--date YYYY-MM-DD|today|tomorrow] [--lang zh-CN|zh-TW|en] --out FILE.pdf
  clinicdesk-print parent-report --db PATH --patient ID_OR_PHONE [--reference sanz-diez-2022|he-2023] [--lang zh-CN|zh-TW|en] --out FILE.pdf";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    DaySheet { db: PathBuf, store: String, day: Day, lang: Lang, out: PathBuf },
    ParentReport { db: PathBuf, patient: String, reference: Option<ReferenceId>, lang: Lang, out: PathBuf },
}

/// The language asked for, if it can be read at all (so that even argument errors are
/// reported in it); zh-CN otherwise.
pub fn lang_hint(argv: &[String]) -> Lang {
    argv.windows(2).filter(|w| w[0] == "--lang").find_map(|w| Lang::parse(&w[1])).unwrap_or_default()
}

pub fn parse_day(s: &str) -> Result<Day, Failure> {
    match s.trim().to_ascii_lowercase().as_str() {
        "today" => Ok(Day::Today),
        "tomorrow" => Ok(Day::Tomorrow),
        other => NaiveDate::parse_from_str(other, "%Y-%m-%d").map(Day::On).map_err(|_| Failure::BadDate(s.to_string())),
    }
}

pub fn parse(argv: &[String]) -> Result<Command, Failure> {
    let Some((cmd, rest)) = argv.split_first() else { return Err(Failure::Usage("missing command".into())) };
    let (mut db, mut store, mut patient, mut day, mut reference, mut lang, mut out) = (None, None, None, None, None, Lang::default(), None);
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| Failure::Usage(format!("{flag} needs a value")));
        match (cmd.as_str(), flag.as_str()) {
            (_, "--db") => db = Some(PathBuf::from(value()?)),
            (_, "--out") => out = Some(PathBuf::from(value()?)),
            (_, "--lang") => {
                let v = value()?;
                lang = Lang::parse(&v).ok_or(Failure::Usage(format!("unknown language {v:?} (zh-CN, zh-TW or en)")))?
            }
            ("day-sheet", "--store") => store = Some(value()?),
            ("day-sheet", "--date") => day = Some(parse_day(&value()?)?),
            ("parent-report", "--patient") => patient = Some(value()?),
            ("parent-report", "--reference") => {
                let v = value()?;
                reference = Some(ReferenceId::parse(&v).ok_or(Failure::UnknownReference(v))?)
            }
            ("day-sheet" | "parent-report", other) => return Err(Failure::Usage(format!("unknown option {other:?}"))),
            _ => return Err(Failure::Usage(format!("unknown command {cmd:?}"))),
        }
    }
    let need = |what: &str| Failure::Usage(format!("{what} is required"));
    match cmd.as_str() {
        "day-sheet" => Ok(Command::DaySheet {
            db: db.ok_or_else(|| need("--db"))?,
            store: store.ok_or_else(|| need("--store"))?,
            day: day.unwrap_or(Day::Tomorrow),
            lang,
            out: out.ok_or_else(|| need("--out"))?,
        }),
        "parent-report" => Ok(Command::ParentReport {
            db: db.ok_or_else(|| need("--db"))?,
            patient: patient.ok_or_else(|| need("--patient"))?,
            reference,
            lang,
            out: out.ok_or_else(|| need("--out"))?,
        }),
        other => Err(Failure::Usage(format!("unknown command {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn day_sheet_date_defaults_to_tomorrow_and_language_to_simplified_chinese() {
        let cmd = parse(&argv("day-sheet --db d.sqlite3 --store BJ01 --out x.pdf")).unwrap();
        assert_eq!(
            cmd,
            Command::DaySheet { db: "d.sqlite3".into(), store: "BJ01".into(), day: Day::Tomorrow, lang: Lang::ZhCn, out: "x.pdf".into() }
        );
    }

    #[test]
    fn dates_are_iso_days_or_today_or_tomorrow() {
        assert_eq!(parse_day("2026-03-01").unwrap(), Day::On(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()));
        assert_eq!(parse_day("Tomorrow").unwrap(), Day::Tomorrow);
        assert_eq!(parse_day("today").unwrap(), Day::Today);
        for bad in ["2026-02-30", "01/03/2026", "yesterday", ""] {
            assert!(matches!(parse_day(bad), Err(Failure::BadDate(_))), "{bad}");
        }
    }

    #[test]
    fn options_of_the_other_command_and_missing_values_are_usage_errors() {
        assert!(matches!(parse(&argv("day-sheet --patient 1 --db d --store s --out o")), Err(Failure::Usage(_))));
        assert!(matches!(parse(&argv("parent-report --db")), Err(Failure::Usage(_))));
        assert!(matches!(parse(&argv("print-everything")), Err(Failure::Usage(_))));
        assert!(matches!(parse(&argv("parent-report --db d --patient 1 --out o --reference who")), Err(Failure::UnknownReference(_))));
    }

    #[test]
    fn the_language_hint_is_read_before_parsing_so_errors_speak_it() {
        assert_eq!(lang_hint(&argv("day-sheet --date nope --lang en")), Lang::En);
        assert_eq!(lang_hint(&argv("day-sheet --lang xx")), Lang::ZhCn);
    }
}
