//! The `gridvoice` binary, driven as scripts and field simulations drive it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

mod bridge;
mod commands;
mod crash;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_gridvoice");

/// A territory file for `init`: the two-station sample.
pub fn territory_file(dir: &Path) -> PathBuf {
    let path = dir.join("territory.json");
    let t = gridvoice_core::territory::sample::small();
    std::fs::write(&path, serde_json::to_string(&t).unwrap()).unwrap();
    path
}

pub fn gv(store: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh store initialised for delegate D01.
pub fn device(dir: &Path) -> PathBuf {
    let store = dir.join("device.sqlite");
    let t = territory_file(dir);
    let o = gv(
        &store,
        &[
            "init",
            "--delegate",
            "D01",
            "--territory",
            t.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    store
}
