//! Every string a delegate reads in the app exists in Chinese and in English, once: the UI's
//! string table (`src-ui/src/i18n.rs`) against every key its pages use. Read as text, because the
//! UI crate only builds for wasm32.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::collections::BTreeSet;
use std::path::Path;

const KEY_PREFIXES: &[&str] = &[
    "app.", "nav.", "lang.", "form.", "home.", "enrol.", "record.", "cat.", "visit.", "demands.",
    "ev.", "sync.", "tasks.",
];

fn ui_file(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../src-ui/src")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The string literals of `src`, in order (the UI's strings hold no escaped quotes).
fn literals(src: &str) -> Vec<&str> {
    src.split('"').skip(1).step_by(2).collect()
}

fn is_key(s: &str) -> bool {
    (KEY_PREFIXES.iter().any(|p| s.starts_with(p)) || s == "loading" || s == "saving")
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
}

#[test]
fn every_key_the_pages_use_is_translated_once_in_both_languages() {
    let i18n = ui_file("i18n/strings.rs");
    let start = i18n.find("pub const STRINGS").unwrap();
    let body = start + i18n[start..].find("= &[").unwrap() + 4;
    let table = &i18n[body..body + i18n[body..].find("\n];").unwrap()];
    let lits = literals(table);
    assert_eq!(
        lits.len() % 3,
        0,
        "the table is (key, 中文, English) triples"
    );
    let mut seen = BTreeSet::new();
    for t in lits.chunks(3) {
        let (k, zh, en) = (t[0], t[1], t[2]);
        assert!(
            is_key(k),
            "{k:?} is not a key: is a string in the table missing its quotes?"
        );
        assert!(seen.insert(k), "duplicate key {k}");
        assert!(!zh.is_empty() && !en.is_empty(), "empty string for {k}");
        // (The language switch names the other language: "English" in the Chinese UI.)
        assert!(
            k == "lang.switch" || zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{k}: the Chinese string has no Chinese"
        );
        assert_eq!(zh.matches("{}").count(), en.matches("{}").count(), "{k}");
    }
    assert!(
        seen.len() > 100,
        "only {} keys: the table was not read",
        seen.len()
    );

    // Every source file of the UI but the table itself, however the pages are split.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src-ui/src");
    let mut pages = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("i18n.rs") {
                pages.push(
                    path.strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    pages.sort();
    assert!(
        pages.iter().any(|p| p.starts_with("pages/record/")),
        "{pages:?}"
    );
    let mut used = 0;
    for page in &pages {
        let src = ui_file(page);
        for piece in literals(&src) {
            if is_key(piece) {
                used += 1;
                assert!(
                    seen.contains(piece),
                    "{page} uses {piece}, which has no translation"
                );
            }
        }
    }
    assert!(used > 100, "only {used} keys found in the pages");
}
