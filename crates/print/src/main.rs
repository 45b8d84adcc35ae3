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

use std::path::Path;
use std::process::ExitCode;

use chrono::Utc;
use clinicdesk_domain::Lang;
use clinicdesk_print::{write_atomically, Failure};
use clinicdesk_store::eyes::open_read_only;
use clinicdesk_store::{LocalStore, StoreError};

use crate::args::Command;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let lang = args::lang_hint(&argv);
    let result = args::parse(&argv).and_then(|cmd| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| Failure::Io(e.to_string()))?;
        rt.block_on(run(&cmd))
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

async fn open(db: &Path) -> Result<LocalStore, Failure> {
    match open_read_only(db).await {
        Ok(s) => Ok(s),
        Err(StoreError::NotSetUp(_)) => Err(Failure::OldDatabase),
        Err(StoreError::NotOpen(_)) | Err(StoreError::Db(_)) => Err(Failure::NoDatabase(db.display().to_string())),
        Err(e) => Err(Failure::Db(e)),
    }
}

/// Opens the database read-only, makes the document with the library and writes it.
async fn run(cmd: &Command) -> Result<Done, Failure> {
    let (db, out) = match cmd {
        Command::DaySheet { db, out, .. } | Command::ParentReport { db, out, .. } => (db, out),
    };
    let store = open(db).await?;
    let now = Utc::now();
    let made = match cmd {
        Command::DaySheet { store: code, day, lang, .. } => clinicdesk_print::day_sheet(&store, code, *day, *lang, now).await,
        Command::ParentReport { patient, reference, lang, .. } => {
            clinicdesk_print::parent_report(&store, patient, *reference, *lang, now).await
        }
    };
    store.close().await;
    let bytes = made?.bytes;
    write_atomically(out, &bytes)?;
    Ok(Done { path: out.clone(), pages_of: format!("{} KB", bytes.len().div_ceil(1024)) })
}
