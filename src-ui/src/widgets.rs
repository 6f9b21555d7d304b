//! Small pieces shared by the pages: the error fallback, field messages, labels.

use gridvoice_core::api::ApiError;
use gridvoice_core::category::Category;
use gridvoice_core::clock::Timestamp;
use gridvoice_core::workflow::{DemandStatus, Satisfaction};
use leptos::prelude::*;

use crate::i18n::Lang;

/// The message of an error thrown inside an `<ErrorBoundary>`: the Chinese message of an
/// `ApiError`, else the error's text.
pub fn error_text(e: &Error) -> String {
    match e.downcast_ref::<ApiError>() {
        Some(api) => api.message.clone(),
        None => e.to_string(),
    }
}

/// The fallback of every `<ErrorBoundary>`: each error in plain words.
pub fn error_list(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="error" role="alert" data-testid="load-error">
            {move || {
                errors
                    .get()
                    .into_iter()
                    .map(|(_, e)| view! { <p>{error_text(&e)}</p> })
                    .collect_view()
            }}
        </div>
    }
}

/// The reason a field is refused, shown next to it (empty when valid).
#[component]
pub fn FieldError(
    /// Used as `<id>-error` (tests read it).
    id: &'static str,
    msg: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <Show when=move || msg.get().is_some()>
            <p class="field-error" id=format!("{id}-error") data-testid=format!("{id}-error") role="alert">
                {move || msg.get().unwrap_or_default()}
            </p>
        </Show>
    }
}

pub fn category_label(c: Category, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => c.zh(),
        Lang::En => c.en(),
    }
}

pub fn status_label(s: DemandStatus, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => s.zh(),
        Lang::En => match s {
            DemandStatus::Recorded => "Recorded",
            DemandStatus::Reviewed => "Reviewed",
            DemandStatus::Joined => "Joined",
            DemandStatus::InSuggestion => "In a suggestion",
            DemandStatus::Routed => "Being handled",
            DemandStatus::Answered => "Answered",
            DemandStatus::FedBack => "Fed back",
            DemandStatus::Closed => "Closed",
            DemandStatus::Withdrawn => "Withdrawn",
        },
    }
}

/// What a resident said when called back (回访).
pub fn outcome_label(s: Satisfaction, i18n: crate::i18n::I18n) -> &'static str {
    i18n.t(match s {
        Satisfaction::Satisfied => "tasks.outcome.satisfied",
        Satisfaction::BasicallySatisfied => "tasks.outcome.basically_satisfied",
        Satisfaction::Dissatisfied => "tasks.outcome.dissatisfied",
        Satisfaction::Unreachable => "tasks.outcome.unreachable",
    })
}

/// A stage of a demand's clock, as the delegate reads it.
pub fn stage_label(s: gridvoice_core::deadline::Stage, lang: Lang) -> &'static str {
    use gridvoice_core::deadline::Stage;
    match lang {
        Lang::Zh => s.zh(),
        Lang::En => match s {
            Stage::Classify => "Review",
            Stage::Respond => "First response",
            Stage::Resolve => "Handling",
            Stage::FeedBack => "Feedback",
            Stage::CallBack => "Call-back",
        },
    }
}

/// Beijing time, as people read it.
pub fn when(t: Timestamp) -> String {
    t.beijing()
}

/// A text made safe to put into HTML built as a string (`inner_html`): `&`, `<`, `>` and both
/// quotes escaped. The pages that build HTML so (each element of a `view!` is code of its own in
/// the wasm, which is at its size budget) put people's words only into element contents, and
/// into attributes only ids, codes and numbers, in single quotes.
pub fn esc(s: &str) -> String {
    gridvoice_core::geography::svg::escape(s).replace('\'', "&#39;")
}

/// At most `max` characters of `s`, with "…" when cut (lists show the start of long texts; the
/// demand's page shows all of it).
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", s[..at].trim_end()),
        None => s.to_owned(),
    }
}

/// Scrolls the element with this id to the middle of the screen (clear of the save bar) and,
/// when `focus`, focuses it. Quiet when it is not on the page.
pub fn bring_into_view(id: &str, focus: bool) {
    use wasm_bindgen::JsCast;
    let Some(el) = document().get_element_by_id(id) else {
        return;
    };
    let opts = web_sys::ScrollIntoViewOptions::new();
    opts.set_block(web_sys::ScrollLogicalPosition::Center);
    el.scroll_into_view_with_scroll_into_view_options(&opts);
    if focus && let Ok(h) = el.dyn_into::<web_sys::HtmlElement>() {
        let _ = h.focus();
    }
}

/// Focuses the element with this id (the browser scrolls only if it is out of sight).
pub fn focus(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(h) = document()
        .get_element_by_id(id)
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = h.focus();
    }
}

/// Now, in Unix milliseconds (the browser's clock).
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}
