//! Gridvoice's station and office pages (代表工作站): a station head signs in with the office's
//! one-time code and works the station's inbox — reads every demand of the station, joins
//! duplicates, decides, forms delegate suggestions with their level and whistle — and keeps the
//! registers 三簿一册. Leptos 0.8 CSR, its own wasm bundle (the delegate app's stays within its
//! budget), served by `gridvoice-server` at `/`, and carried by the delegate's app beside its own
//! pages (`/station/`) for a device whose delegate heads a station: there the head decides
//! offline and the decisions sync like any other change ([`device`]). Every call goes through
//! [`api`]; every write is a request of the one vocabulary, decided by the one request service
//! (the server's, or the device's own).
//!
//! Pages are tabs of one screen (no client routes: the server serves one `index.html`). The
//! territory is read once for names and the map.

use std::sync::Arc;

use gridvoice_core::api::ApiError;
use gridvoice_core::territory::Territory;
use leptos::prelude::*;

pub use api::Who;

mod admin;
pub mod api;
mod device;
mod handling;
mod inbox;
mod registers;
mod signin;
mod suggestion;

/// What every page of a signed-in session shares.
#[derive(Clone)]
pub struct Ctx {
    pub who: Who,
    pub territory: Arc<Territory>,
    /// Bumped after every decision: lists read again.
    pub changed: RwSignal<u64>,
    /// Demands picked for a suggestion, in the order picked.
    pub picked: RwSignal<Vec<gridvoice_core::api::DemandView>>,
    pub tab: RwSignal<Tab>,
    /// The suggestion a demand in the inbox pointed at (shown first on the suggestion tab).
    pub focus: RwSignal<Option<gridvoice_core::ids::SuggestionId>>,
}

impl Ctx {
    pub fn bump(&self) {
        self.changed.update(|n| *n += 1);
    }

    pub fn grid_name(&self, g: &gridvoice_core::ids::GridId) -> String {
        self.territory
            .grid(g)
            .map_or_else(|| g.to_string(), |x| x.name.clone())
    }

    pub fn delegate_name(&self, d: &gridvoice_core::ids::DelegateId) -> String {
        self.territory
            .delegate(d)
            .map_or_else(|| d.to_string(), |x| x.name.clone())
    }
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("role", &self.who.role)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Inbox,
    Clusters,
    Suggestion,
    Registers,
    Admin,
}

pub fn ctx() -> Ctx {
    expect_context::<Ctx>()
}

/// An error as a person reads it, with its stable code for support.
pub fn error_view(e: &ApiError) -> impl IntoView + use<> {
    view! { <p class="error" role="alert" data-testid="error" data-code=e.code.as_str()>{e.message.clone()}</p> }
}

async fn territory() -> Result<Territory, ApiError> {
    api::territory().await
}

#[component]
pub fn App() -> impl IntoView {
    // Who the pages act for: read at start, set by signing in, cleared by signing out. On a
    // device there is no signing in: its delegate heads a station, or the pages say why not.
    let who: RwSignal<Option<Who>> = RwSignal::new(None);
    let checked = RwSignal::new(false);
    let refused: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let on_device = api::on_device();
    leptos::task::spawn_local(async move {
        match api::session().await {
            Ok(s) => who.set(Some(s)),
            Err(e) if on_device => refused.set(Some(e)),
            Err(_) => {}
        }
        checked.set(true);
    });
    view! {
        <header class="topbar"><h1 class="brand">"网格民声 · 代表工作站"</h1></header>
        <main class="page">
            {move || match (checked.get(), who.get()) {
                (false, _) => view! { <p class="muted">"正在加载…"</p> }.into_any(),
                (true, None) if on_device => view! {
                    <div class="card narrow" data-testid="page-not-head">
                        {refused.get().map(|e| error_view(&e))}
                        <a class="btn" data-testid="back-to-delegate" href=device::DELEGATE_PAGES>"返回代表页面"</a>
                    </div>
                }.into_any(),
                (true, None) => view! { <signin::SignIn who=who /> }.into_any(),
                (true, Some(s)) => view! { <Station who=s signed=who /> }.into_any(),
            }}
        </main>
    }
}

/// Listens to the server's `changed` events (`/api/events`) while the station's pages are open:
/// each one reads the lists again, so demands synced by the station's devices appear without a
/// reload. The browser reconnects by itself after a dropped connection. (On a device, its syncs
/// do this: `device::watch_syncs`.)
fn live(changed: RwSignal<u64>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Ok(source) = web_sys::EventSource::new("/api/events") else {
        return;
    };
    let on_change =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
            changed.try_update(|n| *n += 1);
        });
    let _ = source.add_event_listener_with_callback("changed", on_change.as_ref().unchecked_ref());
    let listening = send_wrapper::SendWrapper::new((source, on_change));
    on_cleanup(move || listening.0.close());
}

#[component]
fn Station(who: Who, signed: RwSignal<Option<Who>>) -> impl IntoView {
    let t = LocalResource::new(territory);
    let role = match who.role {
        gridvoice_core::access::Role::StationHead => "站长",
        gridvoice_core::access::Role::Office => "代表工作室",
        gridvoice_core::access::Role::Delegate => "代表",
        gridvoice_core::access::Role::Admin => "管理员",
    };
    let station = who.station.clone();
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::sign_out().await;
            signed.set(None);
        });
    };
    view! {
        <Suspense fallback=|| view! { <p class="muted">"正在加载辖区…"</p> }>
            {move || {
                let who = who.clone();
                let station = station.clone();
                Suspend::new(async move {
                    match t.await {
                        Err(e) => error_view(&e).into_any(),
                        Ok(territory) => {
                            // A station's people are of their station; office staff of the office.
                            let station_name = match station.as_ref() {
                                Some(s) => territory
                                    .station(s)
                                    .map_or_else(String::new, |s| s.name.clone()),
                                None => territory.office.name.clone(),
                            };
                            let person = match &who.person {
                                gridvoice_core::access::Person::Delegate(d) => territory
                                    .delegate(d)
                                    .map_or_else(|| d.to_string(), |x| x.name.clone()),
                                gridvoice_core::access::Person::Staff(s) => s.to_string(),
                            };
                            let c = Ctx {
                                who,
                                territory: Arc::new(territory),
                                changed: RwSignal::new(0),
                                picked: RwSignal::new(Vec::new()),
                                tab: RwSignal::new(Tab::Inbox),
                                focus: RwSignal::new(None),
                            };
                            provide_context(c.clone());
                            let on_device = c.who.on_device;
                            // Administration is the office's, in a browser at the server.
                            let is_office = !on_device
                                && matches!(c.who.role, gridvoice_core::access::Role::Office | gridvoice_core::access::Role::Admin);
                            if on_device {
                                device::watch_syncs(c.changed);
                            } else {
                                live(c.changed);
                            }
                            let tab = c.tab;
                            let picked = c.picked;
                            let tab_button = move |which: Tab, label: &'static str, id: &'static str| view! {
                                <button type="button" class="tab" data-testid=id
                                    aria-pressed=move || (tab.get() == which).to_string()
                                    on:click=move |_| tab.set(which)>{label}</button>
                            };
                            view! {
                                <div class="whoami" data-testid="whoami">
                                    <span>{station_name}" · "{person}"（"{role}"）"</span>
                                    {if on_device {
                                        view! { <device::DeviceBar /> }.into_any()
                                    } else {
                                        view! { <button type="button" class="btn small" data-testid="sign-out" on:click=sign_out>"退出登录"</button> }.into_any()
                                    }}
                                </div>
                                <nav class="tabs">
                                    {tab_button(Tab::Inbox, "收件箱", "tab-inbox")}
                                    {tab_button(Tab::Clusters, "疑似重复", "tab-clusters")}
                                    <button type="button" class="tab" data-testid="tab-suggestion"
                                        aria-pressed=move || (tab.get() == Tab::Suggestion).to_string()
                                        on:click=move |_| tab.set(Tab::Suggestion)>
                                        "代表建议"{move || { let n = picked.get().len(); (n > 0).then(|| format!("（已选 {n}）")) }}
                                    </button>
                                    {tab_button(Tab::Registers, "三簿一册", "tab-registers")}
                                    {is_office.then(|| tab_button(Tab::Admin, "系统管理", "tab-admin"))}
                                </nav>
                                {move || match tab.get() {
                                    Tab::Inbox => view! { <inbox::Inbox /> }.into_any(),
                                    Tab::Clusters => view! { <inbox::Clusters /> }.into_any(),
                                    Tab::Suggestion => view! { <suggestion::Suggestion /> }.into_any(),
                                    Tab::Registers => view! { <registers::Registers /> }.into_any(),
                                    Tab::Admin => view! { <admin::Admin /> }.into_any(),
                                }}
                            }
                            .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}
