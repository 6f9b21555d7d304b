//! Home 首页: who this device records for, its grids and station, the visit under way (with
//! "record a demand for this visit"), and how sync stands: "online" only while the server answers
//! (the device asks it), with the time of the last sync that succeeded.

use gridvoice_core::api::ApiError;
use gridvoice_core::device::DeviceStatus;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::pages::visit::CurrentVisit;
use crate::widgets::{error_list, when};
use crate::{api, ctx, local};

/// The station's pages that a head's device carries beside these (scripts/build-ui puts them
/// there; a full navigation, not a route of this app).
const STATION_PAGES: &str = "/station/index.html";

#[component]
pub fn Home() -> impl IntoView {
    let c = ctx();
    let i18n = c.i18n;
    let t = move |k: &'static str| move || i18n.t(k);
    let status = LocalResource::new(api::status);
    let visit = StoredValue::new(local::get::<CurrentVisit>(local::keys::CURRENT_VISIT));

    let body = move |s: DeviceStatus| {
        if !s.enrolled {
            return view! {
                <div data-testid="not-enrolled">
                    <p>{t("home.not_enrolled")}</p>
                    <A href="/enrol" attr:class="btn primary big" attr:id="go-enrol" attr:data-testid="go-enrol">{t("home.enrol")}</A>
                </div>
            }
            .into_any();
        }
        let grids = s.grids.clone();
        let grid_names = move || match c.geo.get() {
            Some(Ok(g)) => grids
                .iter()
                .map(|id| g.grid_name(id))
                .collect::<Vec<_>>()
                .join("、"),
            _ => grids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("、"),
        };
        let online = s.online;
        let failure = s.last_error.clone();
        // A head's device carries the station's pages too (`/station/`, the station-ui bundle).
        let me = s.delegate.clone();
        let station = s.station.clone();
        let heads = move || match (c.geo.get(), &me, &station) {
            (Some(Ok(g)), Some(me), Some(st)) => g
                .territory
                .station(st)
                .is_some_and(|x| x.head.as_ref() == Some(me)),
            _ => false,
        };
        view! {
            <dl class="facts">
                <dt>{t("home.delegate")}</dt>
                <dd data-testid="delegate-name">{s.delegate_name.clone().unwrap_or_default()}</dd>
                <dt>{t("home.station")}</dt>
                <dd data-testid="station-name">{s.station_name.clone().unwrap_or_default()}</dd>
                <dt>{t("home.grids")}</dt>
                <dd data-testid="my-grids">{grid_names}</dd>
                <dt>{t("home.network")}</dt>
                <dd>
                    <span class=if online { "badge ok" } else { "badge off" } data-testid="online-state" data-online=online.to_string()>
                        {move || if online { i18n.t("home.online") } else { i18n.t("home.offline") }}
                    </span>
                </dd>
                <dt>{t("home.pending")}</dt>
                <dd data-testid="pending-count" data-count=s.pending.to_string()>{s.pending}</dd>
                <dt>{t("home.last_sync")}</dt>
                <dd data-testid="last-sync" class="date">
                    {match s.last_sync {
                        Some(ts) => when(ts).into_any(),
                        None => view! { <span>{t("home.never")}</span> }.into_any(),
                    }}
                </dd>
            </dl>
            {failure.map(|f| view! {
                <div class="error" data-testid="home-sync-error">
                    <p>{f.message}</p>
                    {f.reenrol.then(|| view! { <A href="/enrol" attr:class="btn" attr:data-testid="home-reenrol">{t("sync.reenrol")}</A> })}
                </div>
            })}
            {match visit.get_value() {
                Some(v) => {
                    let grid = v.grid.clone();
                    let grid_name = move || match c.geo.get() {
                        Some(Ok(g)) => g.grid_name(&grid),
                        _ => grid.to_string(),
                    };
                    view! {
                        <div class="visit-now" data-testid="home-visit-now">
                            <p><strong>{t("home.visit_now")}</strong>" "{v.topic}" · "{v.place}" · "{grid_name}</p>
                            <A href="/record" attr:class="btn primary big" attr:id="home-record" attr:data-testid="home-record">{t("visit.record_for")}</A>
                            <A href="/visit" attr:class="btn big" attr:data-testid="home-visit">{t("home.visit_end")}</A>
                        </div>
                    }
                    .into_any()
                }
                None => view! {
                    <div class="row">
                        <A href="/record" attr:class="btn primary big" attr:id="home-record" attr:data-testid="home-record">{t("home.record")}</A>
                        <A href="/visit" attr:class="btn big" attr:data-testid="home-visit">{t("home.visit")}</A>
                    </div>
                }
                .into_any(),
            }}
            {move || heads().then(|| view! {
                <div class="station-pages" data-testid="home-station">
                    <p class="muted">{t("home.station_pages_why")}</p>
                    <a href=STATION_PAGES rel="external" class="btn big" data-testid="go-station">{t("home.station_pages")}</a>
                </div>
            })}
        }
        .into_any()
    };

    view! {
        <section class="card" data-testid="page-home">
            <h2>{t("home.title")}</h2>
            <Suspense fallback=move || view! { <p class="muted">{t("loading")}</p> }>
                <ErrorBoundary fallback=error_list>
                    {move || Suspend::new(async move {
                        let s = status.await?;
                        Ok::<_, ApiError>(body(s))
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
