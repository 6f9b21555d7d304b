//! Tauri's build step. Each app command gets its own permission (`allow-<command>`), so the
//! capability file grants them one by one rather than everything by default.

fn main() {
    let commands = &[
        "status",
        "enrol",
        "sync_now",
        "pending",
        "territory",
        "request",
        "put_photo",
        "photo",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .unwrap_or_else(|e| {
        eprintln!("tauri build step failed: {e:#}");
        std::process::exit(1);
    });
}
