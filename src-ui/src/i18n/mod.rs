//! Every string people read, in Simplified Chinese (the default) and English. One table, looked
//! up by key; `{}` in a string is filled by [`I18n::fmt1`] / [`I18n::fmt2`]. A test
//! (`tests/tests/ui_strings.rs`, which reads this file and the pages as text, since the UI only
//! builds for wasm) checks that every key the pages use is here, once, in both languages.

use leptos::prelude::*;

use crate::local;

mod strings;
pub use strings::STRINGS;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language chosen last time on this device (Chinese when none).
    pub fn load() -> Lang {
        match local::get_string(local::keys::LANG).as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    pub fn store(self) {
        local::set_string(
            local::keys::LANG,
            if self == Lang::En { "en" } else { "zh" },
        );
    }
}

/// The language signal, shared through the context.
#[derive(Debug, Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<Lang>,
}

impl I18n {
    /// The string for `key` in the current language (tracked: re-renders on a switch).
    pub fn t(&self, key: &'static str) -> &'static str {
        tr(self.lang.get(), key)
    }

    pub fn fmt1(&self, key: &'static str, a: impl std::fmt::Display) -> String {
        self.t(key).replacen("{}", &a.to_string(), 1)
    }

    pub fn fmt2(
        &self,
        key: &'static str,
        a: impl std::fmt::Display,
        b: impl std::fmt::Display,
    ) -> String {
        self.fmt1(key, a).replacen("{}", &b.to_string(), 1)
    }

    pub fn fmt3(
        &self,
        key: &'static str,
        a: impl std::fmt::Display,
        b: impl std::fmt::Display,
        c: impl std::fmt::Display,
    ) -> String {
        self.fmt2(key, a, b).replacen("{}", &c.to_string(), 1)
    }
}

/// Looks a key up; an unknown key shows itself (and fails `ui_strings`).
pub fn tr(lang: Lang, key: &'static str) -> &'static str {
    STRINGS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(key, |(_, zh, en)| match lang {
            Lang::Zh => zh,
            Lang::En => en,
        })
}
