//! `clinicdesk-print`: the desk's printouts from the command line, for clinic IT.
//!
//! ```text
//! clinicdesk-print day-sheet --db PATH --store CODE_OR_ID [--date YYYY-MM-DD|today|tomorrow] [--lang zh-CN|zh-TW|en] --out FILE.pdf
//! clinicdesk-print parent-report --db PATH --patient ID_OR_PHONE [--reference sanz-diez-2022|he-2023] [--lang …] --out FILE.pdf
//! ```
//!
//! The database is opened read-only (never created or migrated). Errors go to stderr in the
//! chosen language with exit code 2, and no file is written.

mod args;
mod messages;
mod print;

use std::process::ExitCode;

use clinicdesk_domain::Lang;

use crate::messages::Failure;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let lang = args::lang_hint(&argv);
    let result = args::parse(&argv).and_then(|cmd| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| Failure::Io(e.to_string()))?;
        rt.block_on(print::run(&cmd))
    });
    match result {
        Ok(done) => {
            println!("{}", done.message(lang));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("clinicdesk-print: {}", e.message(lang));
            if matches!(e, Failure::Usage(_)) {
                eprintln!("{}", args::USAGE);
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// What was written, for the line on stdout.
pub struct Done {
    pub path: std::path::PathBuf,
    pub pages_of: String,
}

impl Done {
    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::ZhCn => format!("已写入 {}（{}）", self.path.display(), self.pages_of),
            Lang::ZhTw => format!("已寫入 {}（{}）", self.path.display(), self.pages_of),
            Lang::En => format!("wrote {} ({})", self.path.display(), self.pages_of),
        }
    }
}
