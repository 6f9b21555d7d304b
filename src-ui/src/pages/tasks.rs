//! Tasks 任务: call-back tasks the office assigns to this delegate. The office issue fills them;
//! until then this says so honestly rather than showing made-up work.

use leptos::prelude::*;

use crate::ctx;

#[component]
pub fn Tasks() -> impl IntoView {
    let i18n = ctx().i18n;
    view! {
        <section class="card" data-testid="page-tasks">
            <h2>{move || i18n.t("tasks.title")}</h2>
            <p class="empty" data-testid="tasks-empty">{move || i18n.t("tasks.empty")}</p>
        </section>
    }
}
