//! The device commands are one table (`gridvoice_core::boundary::DeviceCommand`). The Rust sides
//! use it directly (the bridge dispatches by it, the UI calls by it, the Tauri build step declares
//! it); what cannot import it is checked against it here, read as text: the Tauri handler list and
//! commands, the capability that grants them, and the JavaScript test backend.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::collections::BTreeSet;
use std::path::Path;

use gridvoice_core::boundary::DeviceCommand;

fn read(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn names() -> BTreeSet<String> {
    DeviceCommand::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect()
}

/// The text between `start` and the first `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not found"))
        + start.len();
    let to = from
        + text[from..]
            .find(end)
            .unwrap_or_else(|| panic!("{end:?} not found after {start:?}"));
    &text[from..to]
}

#[test]
fn the_tauri_shell_registers_every_device_command_and_no_other() {
    let main = read("src-tauri/src/main.rs");
    let handlers: BTreeSet<String> = between(&main, "generate_handler![", "]")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.strip_prefix("commands::")
                .unwrap_or_else(|| panic!("{s}: not a command of commands.rs"))
                .to_owned()
        })
        .collect();
    assert_eq!(handlers, names(), "src-tauri/src/main.rs generate_handler!");

    let commands = read("src-tauri/src/commands.rs");
    let defined: BTreeSet<String> = commands
        .split("#[tauri::command]")
        .skip(1)
        .map(|item| between(item, "pub async fn ", "(").trim().to_owned())
        .collect();
    assert_eq!(defined, names(), "src-tauri/src/commands.rs");

    // The build step declares the commands (and so their permissions) from the same table.
    let build = read("src-tauri/build.rs");
    assert!(
        build.contains("core/src/boundary/command.rs") && build.contains("DeviceCommand::ALL"),
        "src-tauri/build.rs must take its command list from DeviceCommand::ALL"
    );
}

#[test]
fn the_capability_grants_each_device_command_by_name_and_nothing_else() {
    let cap: serde_json::Value =
        serde_json::from_str(&read("src-tauri/capabilities/default.json")).unwrap();
    let granted: BTreeSet<String> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    let wanted: BTreeSet<String> = DeviceCommand::ALL.iter().map(|c| c.permission()).collect();
    assert_eq!(
        granted, wanted,
        "src-tauri/capabilities/default.json grants the app's commands and nothing of Tauri's own"
    );
}

/// What the capability resolves to — each permission with the commands it allows, read from the
/// ACL manifests Tauri's build step writes — against the snapshot committed beside it, so that a
/// new grant (a plugin's, Tauri's own) shows as a diff in review.
/// `GRIDVOICE_UPDATE_SNAPSHOT=1` rewrites the snapshot.
#[test]
fn the_resolved_permissions_match_their_snapshot() {
    let cap: serde_json::Value =
        serde_json::from_str(&read("src-tauri/capabilities/default.json")).unwrap();
    let manifests: serde_json::Value =
        serde_json::from_str(&read("src-tauri/gen/schemas/acl-manifests.json")).unwrap();
    let mut lines = Vec::new();
    for p in cap["permissions"].as_array().unwrap() {
        let id = p.as_str().unwrap();
        let (manifest, name) = match id.rsplit_once(':') {
            Some((plugin, name)) => (plugin, name),
            None => ("__app-acl__", id),
        };
        let perm = &manifests[manifest]["permissions"][name];
        let allowed: Vec<String> = perm["commands"]["allow"]
            .as_array()
            .map(|a| a.iter().map(|c| c.as_str().unwrap().to_owned()).collect())
            .unwrap_or_else(|| vec![format!("(a set: {})", perm["permissions"])]);
        lines.push(format!("{id} -> {}", allowed.join(", ")));
    }
    lines.sort();
    let resolved = lines.join("\n") + "\n";
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../src-tauri/capabilities/resolved.snapshot");
    if std::env::var_os("GRIDVOICE_UPDATE_SNAPSHOT").is_some() {
        std::fs::write(&path, &resolved).unwrap();
    }
    let snapshot = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        resolved, snapshot,
        "the app's resolved permissions changed; review, then GRIDVOICE_UPDATE_SNAPSHOT=1"
    );
}

#[test]
fn the_javascript_test_backend_answers_every_device_command() {
    let js = read("src-ui/e2e/dev-backend.mjs");
    let dispatch = between(&js, "function command(name, input)", "default:");
    let handled: BTreeSet<String> = dispatch
        .split("case \"")
        .skip(1)
        .map(|rest| between(rest, "", "\"").to_owned())
        .collect();
    assert_eq!(handled, names(), "src-ui/e2e/dev-backend.mjs command()");
}
