//! The station's pages on a head's device (the delegate's app, or the CLI's bridge): the way back
//! to the delegate's pages, a sync button that says what the sync did or why it failed, and the
//! lists read again after every sync the device makes (the app syncs in the background too).
//! Decisions made here wait on the device until a sync carries them to the server.

use gridvoice_core::clock::Timestamp;
use leptos::prelude::*;

use crate::{api, ctx};

/// The delegate's pages, beside these on the device.
pub const DELEGATE_PAGES: &str = "/";

/// How often the pages look whether the device synced (a background sync brings the other
/// delegates' demands).
const LOOK_EVERY_MS: i32 = 10_000;

/// Reads the lists again whenever the device's last sync changes.
pub fn watch_syncs(changed: RwSignal<u64>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let last: StoredValue<Option<Timestamp>> = StoredValue::new(None);
    let look = Closure::<dyn FnMut()>::new(move || {
        leptos::task::spawn_local(async move {
            let Ok(s) = api::device_status().await else {
                return;
            };
            let seen = last.try_get_value().flatten();
            if s.last_sync.is_some() && s.last_sync != seen {
                if seen.is_some() {
                    changed.try_update(|n| *n += 1);
                }
                last.try_set_value(s.last_sync);
            }
        });
    });
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(timer) = window.set_interval_with_callback_and_timeout_and_arguments_0(
        look.as_ref().unchecked_ref(),
        LOOK_EVERY_MS,
    ) else {
        return;
    };
    let looking = send_wrapper::SendWrapper::new((window, look));
    on_cleanup(move || looking.0.clear_interval_with_handle(timer));
}

/// 返回代表页面, 立即同步 and what the last sync did.
#[component]
pub fn DeviceBar() -> impl IntoView {
    let c = ctx();
    let said: RwSignal<Option<(bool, String)>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let waiting = RwSignal::new(None::<u32>);
    let count_waiting = move || {
        leptos::task::spawn_local(async move {
            if let Ok(s) = api::device_status().await {
                waiting.try_set(Some(s.pending));
            }
        });
    };
    count_waiting();
    // A decision made here waits for the next sync: the count follows the lists.
    Effect::new(move |_| {
        c.changed.track();
        count_waiting();
    });
    let changed = c.changed;
    let sync = move |_| {
        busy.set(true);
        said.set(None);
        leptos::task::spawn_local(async move {
            let words = match api::sync_now().await {
                Ok(s) if s.ok => (
                    true,
                    if s.pending_left == 0 {
                        "已全部同步".to_owned()
                    } else {
                        format!("已同步，还有 {} 条待服务器确认", s.pending_left)
                    },
                ),
                Ok(s) => (
                    false,
                    s.error.map_or_else(|| "同步失败".to_owned(), |e| e.message),
                ),
                Err(e) => (false, e.message),
            };
            said.try_set(Some(words));
            busy.try_set(false);
            changed.try_update(|n| *n += 1);
        });
    };
    view! {
        <span class="device-bar">
            <span class="muted" data-testid="device-pending" data-count=move || waiting.get().map(|n| n.to_string())>
                {move || waiting.get().map(|n| if n == 0 { "本机记录已全部同步".to_owned() } else { format!("本机有 {n} 条待同步") })}
            </span>
            <button type="button" class="btn small" data-testid="device-sync" disabled=move || busy.get() on:click=sync>
                {move || if busy.get() { "正在同步…" } else { "立即同步" }}
            </button>
            {move || said.get().map(|(ok, words)| view! {
                <span class=if ok { "muted" } else { "error" } data-testid="device-sync-result" data-ok=ok.to_string()>{words}</span>
            })}
            <a class="btn small" data-testid="back-to-delegate" href=DELEGATE_PAGES>"返回代表页面"</a>
        </span>
    }
}
