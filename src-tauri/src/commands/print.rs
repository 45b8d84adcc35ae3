//! Printing at the desk: the parent report, a store's day sheet and a refund slip as PDF files
//! (made by `clinicdesk-print`, the same code as the command line), the system viewer, and
//! the native save dialog. Without a path a document goes to
//! `<documents>/ClinicDesk/<kind>-<who>-<YYYY-MM-DD>.pdf`.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use clinicdesk_domain::roles::Permission;
use clinicdesk_domain::Lang;
use clinicdesk_print::{write_atomically, Day, Printout};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;

use crate::api::ApiError;
use crate::backend::AppState;
use crate::commands::eyes::parse_reference;

/// A document written to disk.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Printed {
    pub path: String,
    pub size_bytes: u32,
    pub pages: Option<u32>,
}

/// Where documents go by default: `$CLINICDESK_DOCUMENTS_DIR` (tests), else the user's
/// documents folder, else their home folder; then `ClinicDesk/`.
fn documents_dir(app: &AppHandle) -> Option<PathBuf> {
    let base = match std::env::var_os("CLINICDESK_DOCUMENTS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => app.path().document_dir().or_else(|_| app.path().home_dir()).ok()?,
    };
    Some(base.join("ClinicDesk"))
}

/// Writes the document to `path`, or under the documents folder by its own name.
fn save(app: &AppHandle, lang: Lang, doc: Printout, path: Option<String>) -> Result<Printed, ApiError> {
    let target = match path.filter(|p| !p.trim().is_empty()) {
        Some(p) if Path::new(&p).is_absolute() => PathBuf::from(p),
        Some(_) => return Err(ApiError { field: Some("path".into()), ..ApiError::bad_input(lang, "path") }),
        None => {
            let dir =
                documents_dir(app).ok_or_else(|| ApiError::from_print(&clinicdesk_print::Failure::Io("documents folder".into()), lang))?;
            std::fs::create_dir_all(&dir)
                .map_err(|e| ApiError::from_print(&clinicdesk_print::Failure::Io(format!("{}: {e}", dir.display())), lang))?;
            dir.join(&doc.file_name)
        }
    };
    write_atomically(&target, &doc.bytes).map_err(|e| ApiError::from_print(&e, lang))?;
    Ok(Printed { path: target.display().to_string(), size_bytes: u32::try_from(doc.bytes.len()).unwrap_or(u32::MAX), pages: doc.pages })
}

/// A patient's parent report in the desk's language, on the chosen reference (none: the
/// default for the age). Clinical data: optometrists and managers.
#[tauri::command]
pub async fn print_parent_report(
    app: AppHandle,
    state: State<'_, AppState>,
    patient_id: String,
    reference: Option<String>,
    path: Option<String>,
) -> Result<Printed, ApiError> {
    let lang = state.lang().await;
    let id: clinicdesk_domain::model::Id = patient_id.parse().map_err(|_| ApiError::bad_input(lang, "patient"))?;
    let reference = parse_reference(lang, reference)?;
    let (ready, _actor) = state.act(Permission::ViewClinical, None).await?;
    let doc = clinicdesk_print::parent_report(&ready.store, &id.to_string(), reference, lang, Utc::now())
        .await
        .map_err(|e| ApiError::from_print(&e, lang))?;
    save(&app, lang, doc, path)
}

/// A store's day sheet for `date` (YYYY-MM-DD): its doctors in the store's order, each with
/// their appointments in time order.
#[tauri::command]
pub async fn print_day_sheet(
    app: AppHandle,
    state: State<'_, AppState>,
    store_id: String,
    date: String,
    path: Option<String>,
) -> Result<Printed, ApiError> {
    let lang = state.lang().await;
    let store: clinicdesk_domain::model::Id = store_id.parse().map_err(|_| ApiError::bad_input(lang, "store"))?;
    let date = NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| ApiError::bad_input(lang, "date YYYY-MM-DD"))?;
    let (ready, _actor) = state.act(Permission::ViewBoard, Some(store)).await?;
    let doc = clinicdesk_print::day_sheet(&ready.store, &store.to_string(), Day::On(date), lang, Utc::now())
        .await
        .map_err(|e| ApiError::from_print(&e, lang))?;
    save(&app, lang, doc, path)
}

/// The slip of a refund, for staff who may refund in the refund's store.
#[tauri::command]
pub async fn print_refund_slip(
    app: AppHandle,
    state: State<'_, AppState>,
    refund_id: String,
    path: Option<String>,
) -> Result<Printed, ApiError> {
    let lang = state.lang().await;
    // The refund's id, or its slip number as the panel shows it (TK-…).
    let refund = refund_id.trim();
    if refund.is_empty() || refund.chars().count() > 64 {
        return Err(ApiError::bad_input(lang, "refund"));
    }
    let (ready, actor) = state.act(Permission::RefundFee, None).await?;
    let card = clinicdesk_print::refund_card(&ready.store, refund).await.map_err(|e| ApiError::from_print(&e, lang))?;
    let store = card.store_id.parse().ok();
    actor.require(Permission::RefundFee, store).map_err(|e| ApiError::from_domain(&e, lang))?;
    let doc = clinicdesk_print::refund_slip(card, lang).map_err(|e| ApiError::from_print(&e, lang))?;
    save(&app, lang, doc, path)
}

/// The system's way of opening a file in its default viewer.
fn viewer(path: &Path) -> std::process::Command {
    #[cfg(target_os = "windows")]
    let mut cmd = {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    };
    #[cfg(target_os = "macos")]
    let mut cmd = std::process::Command::new("open");
    #[cfg(not(any(target_os = "windows", target_os = "macos")))]
    let mut cmd = std::process::Command::new("xdg-open");
    cmd.arg(path).stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    cmd
}

/// Opens a saved document in the system viewer without waiting for it.
#[tauri::command]
pub async fn open_document(state: State<'_, AppState>, path: String) -> Result<(), ApiError> {
    let lang = state.lang().await;
    state.act(Permission::ViewBoard, None).await?;
    let file = PathBuf::from(&path);
    if !file.is_absolute() || !file.is_file() {
        return Err(ApiError { field: Some("path".into()), ..ApiError::bad_input(lang, "path") });
    }
    let mut child = viewer(&file).spawn().map_err(|_| ApiError::open_failed(lang, &path))?;
    // Reap the launcher when it exits; nobody waits for it.
    std::thread::spawn(move || child.wait());
    Ok(())
}

/// The native save dialog, starting in the documents folder with `default_name`; `None`
/// when cancelled.
#[tauri::command]
pub async fn choose_save_path(app: AppHandle, state: State<'_, AppState>, default_name: String) -> Result<Option<String>, ApiError> {
    let lang = state.lang().await;
    state.act(Permission::ViewBoard, None).await?;
    let mut dialog = app.dialog().file().set_file_name(default_name).add_filter("PDF", &["pdf"]);
    if let Some(dir) = documents_dir(&app).filter(|d| std::fs::create_dir_all(d).is_ok()) {
        dialog = dialog.set_directory(dir);
    }
    if let Some(window) = app.get_webview_window("main") {
        dialog = dialog.set_parent(&window);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog.save_file(move |picked| {
        let _ = tx.send(picked);
    });
    match rx.await.ok().flatten() {
        None => Ok(None),
        Some(picked) => picked.into_path().map(|p| Some(p.display().to_string())).map_err(|_| ApiError::bad_input(lang, "path")),
    }
}
