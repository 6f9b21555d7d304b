//! The browser's `localStorage`: drafts, the current visit, the language and the test/desktop
//! location override. Every access is fallible (private mode, quota, no window) and failing quietly
//! is right here: a lost draft must never stop a save.

use serde::Serialize;
use serde::de::DeserializeOwned;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn get_string(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

pub fn set_string(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

pub fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

pub fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_str(&get_string(key)?).ok()
}

pub fn set<T: Serialize>(key: &str, value: &T) {
    if let Ok(s) = serde_json::to_string(value) {
        set_string(key, &s);
    }
}

/// Keys, in one place so tests and the shell can find them.
pub mod keys {
    pub const LANG: &str = "gridvoice.lang";
    pub const FIXED_LOCATION: &str = "gridvoice.fixedLocation";
    pub const DRAFT_RECORD: &str = "gridvoice.draft.record";
    pub const DRAFT_VISIT: &str = "gridvoice.draft.visit";
    pub const DRAFT_ENROL: &str = "gridvoice.draft.enrol";
    pub const CURRENT_VISIT: &str = "gridvoice.currentVisit";
}
