//! A new user follows the README literally: the fixed position it gives lies well inside a grid of
//! the demo delegate's (D01 王建国) own station, so a demand recorded there can be saved without a
//! boundary question; the grid its `gv record` line names is one of that station's too. If the
//! README or the demo data drift apart, this fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use gridvoice_core::geography::locate::Locator;
use gridvoice_core::ids::GridId;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap()
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("README lacks {start:?}"))
        + start.len();
    let len = text[from..].find(end).unwrap();
    &text[from..from + len]
}

#[test]
fn the_readme_position_and_grid_belong_to_the_demo_delegates_station() {
    let text = readme();
    let t = gridvoice_core::demo::gulou().unwrap();
    assert!(
        text.contains("D01 王建国"),
        "the README names the demo delegate"
    );
    let station = t.delegate(&"D01".into()).unwrap().station.clone();

    let json = between(
        &text,
        "localStorage.setItem(\"gridvoice.fixedLocation\", '",
        "'",
    );
    let fix: serde_json::Value = serde_json::from_str(json).unwrap();
    let (lat, lon) = (fix["lat"].as_f64().unwrap(), fix["lon"].as_f64().unwrap());
    let placed = Locator::new(&t)
        .unwrap()
        .locate(lon, lat, fix["accuracy_m"].as_f64())
        .unwrap();
    assert_eq!(
        placed.station, station,
        "the README's position ({lat}, {lon}) lies in grid {} of another station",
        placed.grid
    );
    assert!(
        !placed.needs_confirmation(),
        "the README's position needs a boundary confirmation: {placed:?}"
    );

    let grid: GridId = between(&text, "gv record", "\n")
        .split_whitespace()
        .skip_while(|w| *w != "--grid")
        .nth(1)
        .expect("the record line names a grid")
        .into();
    assert_eq!(t.grid(&grid).map(|g| &g.station), Some(&station));
}
