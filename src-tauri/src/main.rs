//! The delegate app: a Tauri 2 shell. Each command is one line over the device service
//! (`gridvoice_sync::device::DeviceService`), which owns the device store in the app-data
//! directory and syncs in the background when the server is reachable. Nothing here is
//! desktop-only, so the same shell builds for Android and iOS.

// On Windows release builds, no console window behind the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use std::sync::Arc;
use std::time::Duration;

use gridvoice_sync::device::DeviceService;
use tauri::Manager;

/// How often the app tries to sync in the background.
const SYNC_EVERY: Duration = Duration::from_secs(60);

fn main() {
    let app = tauri::Builder::default()
        .setup(|app| {
            let dir = match std::env::var_os("GRIDVOICE_APP_DATA") {
                Some(d) => std::path::PathBuf::from(d),
                None => app.path().app_data_dir()?,
            };
            std::fs::create_dir_all(&dir)?;
            // The webview keeps the form drafts (a resident's name and phone typed but not yet
            // saved among them) in its local storage under this directory.
            if let Ok(webview_data) = app.path().app_local_data_dir() {
                let _ = std::fs::create_dir_all(&webview_data);
                restrict_to_owner(&webview_data, 0o700);
            }
            let path = dir.join("device.sqlite");
            // The directory first, so the store's files are never reachable by others, even
            // between their creation and the chmod below.
            restrict_to_owner(&dir, 0o700);
            let service = DeviceService::open(&path).map_err(|e| e.message)?;
            for p in [
                path.clone(),
                path.with_extension("sqlite-wal"),
                path.with_extension("sqlite-shm"),
            ] {
                restrict_to_owner(&p, 0o600);
            }
            let service = Arc::new(service);
            app.manage(service.clone());
            tauri::async_runtime::spawn(async move {
                service
                    .background(SYNC_EVERY, std::future::pending::<()>())
                    .await;
            });
            Ok(())
        })
        // One per `gridvoice_core::boundary::DeviceCommand` (the macro needs the function names;
        // tests/tests/device_commands.rs checks the two lists agree).
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::enrol,
            commands::sync_now,
            commands::pending,
            commands::territory,
            commands::request,
            commands::put_photo,
            commands::photo,
            commands::reset
        ])
        .run(tauri::generate_context!());
    if let Err(e) = app {
        eprintln!("gridvoice-app: {e}");
        std::process::exit(1);
    }
}

/// The store holds the device credential: its directory and files are this user's only (see
/// SECURITY.md). Elsewhere (Android, iOS) the app's sandbox already does this.
fn restrict_to_owner(path: &std::path::Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if path.exists() {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}
