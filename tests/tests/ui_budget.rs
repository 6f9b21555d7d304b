//! The delegate's app stays small enough for a phone on a weak network: the UI's wasm, as
//! `scripts/build-ui` leaves it in `dist/`, under 1.5 MB raw and 504 KB gzipped (maximum
//! compression). A size, not a time: the same on every machine. When the station and office
//! pages would push it over, they get a bundle of their own. The gzip budget was 500 KB until the
//! device's reset (issue 12) took it 1.3 KB over; it was raised by 4 KB rather than the reset left
//! out, and the next screen that needs room finds it first (ARCHITECTURE.md, "UI size").

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::io::Write;
use std::path::Path;

const RAW_BUDGET: usize = 1_500_000;
const GZIP_BUDGET: usize = 504_000;

#[test]
fn the_delegate_apps_wasm_stays_within_its_budget() {
    let wasm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist/gridvoice-ui_bg.wasm");
    let bytes = std::fs::read(&wasm).unwrap_or_else(|e| {
        panic!(
            "{}: {e} — build the UI first (scripts/build-ui; scripts/test does)",
            wasm.display()
        )
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes).unwrap();
    let gzipped = gz.finish().unwrap().len();
    println!(
        "UI wasm: {} B raw (budget {RAW_BUDGET}), {gzipped} B gzip (budget {GZIP_BUDGET})",
        bytes.len()
    );
    assert!(bytes.len() < RAW_BUDGET, "{} B raw", bytes.len());
    assert!(gzipped < GZIP_BUDGET, "{gzipped} B gzipped");
}
