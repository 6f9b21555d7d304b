//! Tauri's build step. Each app command gets its own permission (`allow-<command>`), so the
//! capability file grants them one by one rather than everything by default.
//!
//! The command list is the core's `DeviceCommand::ALL`. The file that declares it uses `std` only
//! and is included here by path, so the build step does not compile the whole core for the host.
//! `tests/tests/device_commands.rs` checks that `capabilities/default.json` and the handler list in
//! `src/main.rs` name the same commands.

#[path = "../core/src/boundary/command.rs"]
#[allow(dead_code, reason = "the build step needs only the list of names")]
mod command;

fn main() {
    println!("cargo:rerun-if-changed=../core/src/boundary/command.rs");
    // `AppManifest::commands` keeps the names for the whole build: a slice that lives as long.
    let commands: &'static [&'static str] = Box::leak(
        command::DeviceCommand::ALL
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .unwrap_or_else(|e| {
        eprintln!("tauri build step failed: {e:#}");
        std::process::exit(1);
    });
}
