//! Small pieces shared by the pages: the error fallback, field messages, labels.

use gridvoice_core::api::ApiError;
use gridvoice_core::category::Category;
use gridvoice_core::clock::Timestamp;
use gridvoice_core::workflow::DemandStatus;
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

/// Beijing time, as people read it.
pub fn when(t: Timestamp) -> String {
    t.beijing()
}

/// Now, in Unix milliseconds (the browser's clock).
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}
