//! Gridvoice UI (网格民声): the delegate's screens, Leptos 0.8 client-side rendered, compiled to wasm.
//!
//! `App` holds the router and the shared context (language, the territory with its point → grid
//! index and offline map, and the sync the delegate started, which outlives its page). One page per file under `pages/`; every backend call goes through
//! [`api`]; fallible data renders inside `<Suspense>` + `<ErrorBoundary>`.

use std::sync::Arc;

use gridvoice_core::api::ApiError;
use gridvoice_core::geography::locate::Locator;
use gridvoice_core::geography::svg::{MapOptions, render_svg};
use gridvoice_core::territory::Territory;
use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

pub mod api;
pub mod i18n;
pub mod local;
pub mod location;
mod map;
mod pages;
pub mod photo;
mod widgets;

use i18n::{I18n, Lang};

/// The territory as the UI uses it: grid names, the point → grid index, the offline map.
pub struct Geo {
    pub territory: Territory,
    pub locator: Locator,
    /// The map's SVG (grids carry `data-grid="<code>"`).
    pub svg: String,
}

impl std::fmt::Debug for Geo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Geo")
            .field("grids", &self.territory.grids.len())
            .finish_non_exhaustive()
    }
}

impl Geo {
    pub fn new(territory: Territory) -> Result<Self, ApiError> {
        let locator = Locator::new(&territory).map_err(ApiError::from)?;
        let svg = render_svg(
            &territory,
            &MapOptions {
                width: 720,
                station_labels: false,
                ..MapOptions::default()
            },
        );
        Ok(Geo {
            territory,
            locator,
            svg,
        })
    }

    /// A grid's name, or its code when unknown.
    pub fn grid_name(&self, id: &gridvoice_core::ids::GridId) -> String {
        self.territory
            .grid(id)
            .map_or_else(|| id.to_string(), |g| g.name.clone())
    }

    /// A handling unit's name from the catalogue, or its code when the catalogue does not list it.
    pub fn unit_name(&self, code: &str) -> String {
        self.territory
            .handling_units
            .iter()
            .find(|u| u.id.as_str() == code)
            .map_or_else(|| code.to_owned(), |u| u.name.clone())
    }

    pub fn community_name(&self, id: &gridvoice_core::ids::CommunityId) -> String {
        self.territory
            .community(id)
            .map_or_else(|| id.to_string(), |c| c.name.clone())
    }
}

/// Shared state every page reads through `use_context`.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub i18n: I18n,
    /// Loaded once per app start; the offline map and the locator are built from it.
    pub geo: LocalResource<Result<Arc<Geo>, ApiError>>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("i18n", &self.i18n)
            .finish_non_exhaustive()
    }
}

/// The context `App` provides. Pages only ever render under `App`.
pub fn ctx() -> Ctx {
    expect_context::<Ctx>()
}

#[component]
pub fn App() -> impl IntoView {
    let lang = RwSignal::new(Lang::load());
    Effect::new(move || lang.get().store());
    let i18n = I18n { lang };
    let geo = LocalResource::new(|| async {
        let t = api::territory().await?;
        Geo::new(t).map(Arc::new)
    });
    provide_context(Ctx { i18n, geo });
    // A sync started on the sync page outlives the page (the delegate may switch tabs).
    provide_context(pages::sync::SyncState::new());
    let t = move |k: &'static str| move || i18n.t(k);
    Effect::new(move || {
        if let Some(el) = document().document_element() {
            let _ = el.set_attribute("lang", lang.get().html());
        }
    });

    view! {
        <Router>
            <header class="topbar">
                <h1 class="brand">{t("app.title")}</h1>
                <button
                    id="lang-toggle"
                    data-testid="lang-toggle"
                    class="btn small"
                    on:click=move |_| lang.update(|l| *l = l.other())
                >
                    {t("lang.switch")}
                </button>
            </header>
            <nav class="tabs" aria-label="main">
                <A href="/" attr:data-testid="nav-home">{t("nav.home")}</A>
                <A href="/record" attr:data-testid="nav-record">{t("nav.record")}</A>
                <A href="/visit" attr:data-testid="nav-visit">{t("nav.visit")}</A>
                <A href="/demands" attr:data-testid="nav-demands">{t("nav.demands")}</A>
                <A href="/sync" attr:data-testid="nav-sync">{t("nav.sync")}</A>
                <A href="/tasks" attr:data-testid="nav-tasks">{t("nav.tasks")}</A>
            </nav>
            <main class="page">
                <Routes fallback=move || view! { <p class="empty">{t("app.not_found")}</p> }>
                    <Route path=path!("/") view=pages::home::Home />
                    <Route path=path!("/enrol") view=pages::enrol::Enrol />
                    <Route path=path!("/record") view=pages::record::Record />
                    <Route path=path!("/visit") view=pages::visit::Visit />
                    <Route path=path!("/demands") view=pages::demands::Demands />
                    <Route path=path!("/demands/:id") view=pages::demand::DemandPage />
                    <Route path=path!("/sync") view=pages::sync::Sync />
                    <Route path=path!("/tasks") view=pages::tasks::Tasks />
                </Routes>
            </main>
        </Router>
    }
}
