//! Sign-in with the office's one-time code (绑定码): the server sets an `HttpOnly` cookie, the page
//! never sees the credential. A wrong, used or expired code says so in Chinese.

use crate::Who;
use gridvoice_core::api::ApiError;
use leptos::prelude::*;

use crate::{api, error_view};

#[component]
pub fn SignIn(who: RwSignal<Option<Who>>) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let name = RwSignal::new("工作站电脑".to_owned());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let c = code.get().trim().to_owned();
        if c.is_empty() {
            error.set(Some(ApiError::new(
                gridvoice_core::ErrorCode::MissingField,
                "请输入代表工作室给您的绑定码",
            )));
            return;
        }
        busy.set(true);
        let n = name.get();
        leptos::task::spawn_local(async move {
            match api::sign_in(c, n).await {
                Ok(s) => {
                    error.set(None);
                    who.set(Some(s));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="card narrow" data-testid="page-signin" on:submit=submit>
            <h2>"登录"</h2>
            <p class="muted">"请输入代表工作室发给您的一次性绑定码。登录后本浏览器保持登录 7 天（不使用时），可随时退出。"</p>
            <label class="label" for="code">"绑定码"</label>
            <input id="code" data-testid="signin-code" type="text" autocomplete="one-time-code"
                prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
            <label class="label" for="name">"这台电脑的名称（在设备列表中显示）"</label>
            <input id="name" data-testid="signin-name" type="text"
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            {move || error.get().map(|e| error_view(&e))}
            <button type="submit" class="btn primary big" data-testid="signin-submit" disabled=move || busy.get()>"登录"</button>
        </form>
    }
}
