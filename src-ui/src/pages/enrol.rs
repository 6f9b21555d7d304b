//! Enrol 绑定设备: the server's address and the one-time code the office handed out bind this
//! device to its delegate. Also the way back after the server refused the credential, and — when
//! the device is pinned to another server — the way to reset it first.

use gridvoice_core::ErrorCode;
use gridvoice_core::device::EnrolInput;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use serde::{Deserialize, Serialize};

use crate::widgets::FieldError;
use crate::{api, ctx, local};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Draft {
    server: String,
    code: String,
    device_name: String,
}

#[component]
pub fn Enrol() -> impl IntoView {
    let i18n = ctx().i18n;
    let geo = ctx().geo;
    let t = move |k: &'static str| move || i18n.t(k);
    let d: Draft = local::get(local::keys::DRAFT_ENROL).unwrap_or_default();
    let server = RwSignal::new(d.server);
    let code = RwSignal::new(d.code);
    let device_name = RwSignal::new(d.device_name);
    let server_err = RwSignal::new(None::<String>);
    let code_err = RwSignal::new(None::<String>);
    let result = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    // Enrolment refused because the device is bound to another server: offer the reset.
    let pinned = RwSignal::new(false);
    let unsent = RwSignal::new(false);
    let navigate = use_navigate();

    Effect::new(move || {
        local::set(
            local::keys::DRAFT_ENROL,
            &Draft {
                server: server.get(),
                // The code is a one-time secret: kept only until it is used.
                code: code.get(),
                device_name: device_name.get(),
            },
        );
    });

    let submit = move |_| {
        let s = server.get_untracked().trim().to_owned();
        let k = code.get_untracked().trim().to_owned();
        let s_ok = (s.starts_with("http://") || s.starts_with("https://")) && s.len() > 8;
        server_err.set((!s_ok).then(|| i18n.t("enrol.err.server").to_owned()));
        code_err.set(k.is_empty().then(|| i18n.t("enrol.err.code").to_owned()));
        if !s_ok || k.is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        let input = EnrolInput {
            server: s,
            code: k,
            device_name: device_name.get_untracked().trim().to_owned(),
        };
        let navigate = navigate.clone();
        // The answer may come after the page is gone (the delegate left it, or it navigated
        // home itself): every write tries.
        spawn_local(async move {
            match api::enrol(input).await {
                Ok(st) => {
                    local::remove(local::keys::DRAFT_ENROL);
                    let _ = code.try_set(String::new());
                    let _ = result.try_set(Some(Ok(format!(
                        "{} {}",
                        i18n.t("enrol.ok"),
                        st.delegate_name.unwrap_or_default()
                    ))));
                    // The territory (grid names, the map) exists only now.
                    geo.refetch();
                    navigate("/", Default::default());
                }
                Err(e) => {
                    let _ = pinned.try_set(e.code == ErrorCode::AlreadyInitialised);
                    let _ = result.try_set(Some(Err(e.message)));
                }
            }
            let _ = busy.try_set(false);
        });
    };

    let reset = move |discard: bool| {
        busy.set(true);
        spawn_local(async move {
            let r = api::reset(discard).await;
            let _ = unsent.try_set(matches!(&r, Err(e) if e.code == ErrorCode::Unsent));
            let _ = pinned.try_set(r.is_err());
            let _ = result.try_set(Some(
                r.map(|_| i18n.t("enrol.reset_done").to_owned())
                    .map_err(|e| e.message),
            ));
            let _ = busy.try_set(false);
        });
    };

    view! {
        <section class="card" data-testid="page-enrol">
            <h2>{t("enrol.title")}</h2>
            <p class="muted">{t("enrol.hint")}</p>
            <label for="enrol-server" class="label">{t("enrol.server")}</label>
            <input id="enrol-server" data-testid="enrol-server" type="url" inputmode="url" placeholder="http://192.168.1.10:8080"
                prop:value=move || server.get()
                on:input=move |ev| { server.set(event_target_value(&ev)); server_err.set(None); } />
            <FieldError id="enrol-server" msg=Signal::derive(move || server_err.get()) />
            <label for="enrol-code" class="label">{t("enrol.code")}</label>
            <input id="enrol-code" data-testid="enrol-code" type="text" autocomplete="off" autocapitalize="characters"
                prop:value=move || code.get()
                on:input=move |ev| { code.set(event_target_value(&ev)); code_err.set(None); } />
            <FieldError id="enrol-code" msg=Signal::derive(move || code_err.get()) />
            <label for="enrol-device-name" class="label">{t("enrol.device_name")}</label>
            <input id="enrol-device-name" data-testid="enrol-device-name" type="text"
                prop:value=move || device_name.get()
                on:input=move |ev| device_name.set(event_target_value(&ev)) />
            <button type="button" class="btn primary big" id="enrol-submit" data-testid="enrol-submit"
                disabled=move || busy.get() on:click=submit>
                {move || if busy.get() { i18n.t("enrol.busy") } else { i18n.t("enrol.submit") }}
            </button>
            {move || result.get().map(|r| match r {
                Ok(m) => view! { <p class="ok" data-testid="enrol-ok" role="status">{m}</p> }.into_any(),
                Err(m) => view! { <p class="error" data-testid="enrol-error" role="alert">{m}</p> }.into_any(),
            })}
            // One button: a plain reset, or — once told records are unsent — a reset that discards them.
            {move || pinned.get().then(|| view! {
                <p class="warn" data-testid="reset">{t("enrol.reset_hint")}</p>
                <button type="button" class="btn" data-testid="reset-submit"
                    disabled=move || busy.get() on:click=move |_| reset(unsent.get_untracked())>
                    {move || i18n.t(if unsent.get() { "enrol.reset_discard" } else { "enrol.reset_submit" })}
                </button>
            })}
        </section>
    }
}
