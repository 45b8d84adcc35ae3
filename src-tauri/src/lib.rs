//! The desk app: Tauri shell over the local store. Commands stay thin: pull state, call the
//! store or domain, map the error to `{code, message}` in the user's language.

pub mod api;
pub mod backend;
pub mod backup;
pub mod commands;
pub mod keychain;
pub mod sync;

use tauri::{Emitter, Manager};

/// Linux (WebKitGTK): the page's JavaScript engine collects the whole heap each time instead of
/// only its young objects. A day switch replaces the whole board, and the day it replaces has
/// lived long enough to count as old: a generational collector kept every day seen until a rare
/// full collection (the web process grew by about 5 MiB per day switch at 60 doctors × 40
/// appointments and gave nothing back in a minute of idling). The heap is small (tens of MiB), so
/// a full collection costs little. Set before WebKit starts; a value given by the user is kept.
/// Windows (WebView2) and macOS (WKWebView) have their own engines and ignore it.
fn tune_webkit_gc() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("JSC_useGenerationalGC").is_none() {
        // Called first thing in `main`, before any thread exists.
        std::env::set_var("JSC_useGenerationalGC", "false");
    }
}

/// Starts the desk window. The database opens (and on first start loads the demo clinic)
/// in the background; commands wait for it.
pub fn run() {
    tune_webkit_gc();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            // For the memory benchmark: the same runtime showing an empty page, no database.
            if std::env::var_os("CLINICDESK_BARE_WINDOW").is_some() {
                if let Some(w) = app.get_webview_window("main") {
                    w.navigate("about:blank".parse().expect("url"))?;
                }
                return Ok(());
            }
            let data_dir = match std::env::var_os("CLINICDESK_DATA_DIR") {
                Some(dir) => dir.into(),
                None => app.path().app_data_dir()?,
            };
            // Clinic IT: `clinicdesk --restore <backup>` puts a backup in place before the database opens.
            let mut args = std::env::args().skip(1);
            while let Some(arg) = args.next() {
                if arg == "--restore" {
                    let file = args.next().ok_or("--restore needs a backup file")?;
                    let kept = backup::restore(&data_dir.join("desk.sqlite3"), std::path::Path::new(&file), chrono::Utc::now())?;
                    tracing::warn!(replaced = %kept.display(), "desk database restored from a backup; the replaced one is kept");
                }
            }
            let state = backend::AppState::new();
            app.manage(state.clone());
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = state.init(&data_dir).await {
                    tracing::error!(error = %e, "desk database could not be opened");
                    return;
                }
                // Sync in the background; the window hears every change of its state.
                state
                    .syncer
                    .set_publisher(std::sync::Arc::new(move |view| {
                        let _ = handle.emit("sync-status", view);
                    }))
                    .await;
                if let Ok(ready) = state.ready().await {
                    tauri::async_runtime::spawn(backup::run(ready.store.clone(), data_dir.clone()));
                    state.syncer.clone().run(ready.store, ready.device.store_id, state.lang.clone()).await;
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::board::board_day,
            commands::board::doctor_week,
            commands::board::search_patients,
            commands::board::app_status,
            commands::session::sign_in,
            commands::session::session,
            commands::session::sign_out,
            commands::session::set_language,
            commands::desk::execute,
            commands::desk::appointment_detail,
            commands::desk::cancellation_inbox,
            commands::desk::booking_options,
            commands::desk::store_settings,
            commands::eyes::patient_exams,
            commands::eyes::exam_audit,
            commands::eyes::eye_view,
            commands::print::print_parent_report,
            commands::print::print_day_sheet,
            commands::print::print_refund_slip,
            commands::print::open_document,
            commands::print::choose_save_path,
            commands::recall::recall_list,
            commands::sync::sync_status,
            commands::sync::sync_now,
            commands::sync::sync_details,
            commands::sync::sync_conflicts,
            commands::sync::resolve_conflict,
            commands::sync::server_connect,
            commands::sync::server_disconnect
        ])
        .run(tauri::generate_context!())
        .expect("error while running the ClinicDesk window");
}
