//! The station's inbox 收件箱: every demand of the station, merged from all its delegates, newest
//! first, filtered (grid, category, status, delegate, visit, date, needs decision) or searched in
//! Chinese, a page at a time; the station's map shaded by how many demands each grid holds (a
//! click filters by it) with the page's demands as points; and, on each open demand, the head's
//! decisions ([`item`]). The proposed duplicate clusters 疑似重复 live here too ([`clusters`]).

use std::collections::BTreeMap;

use gridvoice_core::api::VisitView;
use gridvoice_core::api::{ApiError, DemandFilter, DemandView, Request, Response};
use gridvoice_core::category::Category;
use gridvoice_core::geography::svg::{Choropleth, MapOptions, MapPoint, render_svg};
use gridvoice_core::ids::{DelegateId, GridId, VisitId};
use gridvoice_core::workflow::DemandStatus;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::{Ctx, api, ctx, error_view};

mod clusters;
mod item;

pub use clusters::Clusters;
use item::DemandItem;
pub(crate) use item::clock_badge;

const PAGE: u32 = 50;

async fn demands(filter: DemandFilter) -> Result<(Vec<DemandView>, u64), ApiError> {
    match api::request(&Request::ListDemands(filter)).await? {
        Response::Demands { items, total } => Ok((items, total)),
        _ => Err(api::unexpected()),
    }
}

/// The red ones: past their stage's due day, most overdue first.
async fn overdue() -> Result<(Vec<DemandView>, u64), ApiError> {
    match api::request(&Request::Overdue { station: None }).await? {
        Response::Demands { items, total } => Ok((items, total)),
        _ => Err(api::unexpected()),
    }
}

async fn search(query: String) -> Result<Vec<DemandView>, ApiError> {
    match api::request(&Request::Search {
        query,
        limit: Some(200),
    })
    .await?
    {
        Response::Demands { items, .. } => Ok(items),
        _ => Err(api::unexpected()),
    }
}

/// The station's visits, newest first (for the visit filter).
async fn visits() -> Result<Vec<VisitView>, ApiError> {
    match api::request(&Request::ListVisits {
        limit: None,
        offset: None,
    })
    .await?
    {
        Response::Visits { items, .. } => Ok(items),
        _ => Err(api::unexpected()),
    }
}

/// How many visits the visit filter offers (the newest).
const VISITS_OFFERED: usize = 100;

/// How many demands each of the station's grids holds under `filter` (one count per grid).
async fn per_grid(c: &Ctx, filter: &DemandFilter) -> Result<BTreeMap<GridId, f64>, ApiError> {
    let mut out = BTreeMap::new();
    let Some(station) = c.who.station.clone() else {
        return Ok(out);
    };
    for g in c.territory.station_grids(&station) {
        let (_, total) = demands(DemandFilter {
            grid: Some(g.id.clone()),
            limit: Some(1),
            offset: None,
            ..filter.clone()
        })
        .await?;
        out.insert(g.id.clone(), total as f64);
    }
    Ok(out)
}

/// How many demands each category holds under `filter` (the categories that have any).
async fn per_category(filter: &DemandFilter) -> Result<Vec<(Category, u64)>, ApiError> {
    let mut out = Vec::new();
    for &k in Category::ALL.iter() {
        let (_, total) = demands(DemandFilter {
            category: Some(k.code().into()),
            limit: Some(1),
            offset: None,
            ..filter.clone()
        })
        .await?;
        if total > 0 {
            out.push((k, total));
        }
    }
    Ok(out)
}

/// Whether the screen is wide enough to show every filter at once (a phone folds them away
/// under 筛选).
fn wide_screen() -> bool {
    web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .is_none_or(|w| w > 600.0)
}

/// A point's colour: red while the head may still decide, grey once settled.
fn point_colour(d: &DemandView) -> &'static str {
    if item::open(d) { "#c0392b" } else { "#7f8c8d" }
}

/// The station's grids shaded by their counts, the listed demands as points; `data-grid` names
/// each grid for a click.
fn map_svg(c: &Ctx, counts: BTreeMap<GridId, f64>, listed: &[DemandView]) -> Option<String> {
    let station = c.who.station.as_ref()?;
    // The station's grids alone: the map is drawn (and scaled) to them, not to the street.
    let mut t = (*c.territory).clone();
    t.grids.retain(|g| &g.station == station);
    t.street.boundary = gridvoice_core::territory::Polygon::default();
    t.communities.clear();
    if t.grids.is_empty() {
        return None;
    }
    let options = MapOptions {
        width: 340,
        choropleth: Some(Choropleth {
            title: "诉求数".into(),
            values: counts,
        }),
        community_outlines: false,
        station_labels: false,
        points: listed
            .iter()
            .filter_map(|d| {
                d.demand.location.as_ref().map(|l| MapPoint {
                    lon: l.lon,
                    lat: l.lat,
                    colour: point_colour(d).to_owned(),
                })
            })
            .collect(),
    };
    Some(render_svg(&t, &options))
}

#[component]
pub fn Inbox() -> impl IntoView {
    let c = ctx();
    let query = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let grid = RwSignal::new(String::new());
    let needs_decision = RwSignal::new(false);
    let only_overdue = RwSignal::new(false);
    let delegate = RwSignal::new(String::new());
    let visit = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let offset = RwSignal::new(0u32);
    let changed = c.changed;
    let filter = move || {
        let some = |s: String| (!s.is_empty()).then_some(s);
        DemandFilter {
            status: some(status.get()),
            category: some(category.get()),
            grid: some(grid.get()).map(|g| GridId::from(g.as_str())),
            needs_decision: needs_decision.get().then_some(true),
            recorded_by: some(delegate.get()).map(|d| DelegateId::from(d.as_str())),
            visit: visit.get().parse::<VisitId>().ok(),
            from: some(from.get()),
            to: some(to.get()),
            limit: Some(PAGE),
            offset: Some(offset.get()),
        }
    };
    let list = LocalResource::new(move || {
        changed.track();
        let f = filter();
        let q = query.get().trim().to_owned();
        let late = only_overdue.get();
        async move {
            if late {
                overdue().await
            } else if q.is_empty() {
                demands(f).await
            } else {
                let items = search(q).await?;
                let n = items.len() as u64;
                Ok((items, n))
            }
        }
    });
    let c2 = c.clone();
    // What the counts are of: the filters but the grid and category (those are what they count).
    let counted = move || {
        let some = |s: String| (!s.is_empty()).then_some(s);
        DemandFilter {
            status: some(status.get()),
            from: some(from.get()),
            to: some(to.get()),
            needs_decision: needs_decision.get().then_some(true),
            recorded_by: some(delegate.get()).map(|d| DelegateId::from(d.as_str())),
            visit: visit.get().parse::<VisitId>().ok(),
            ..DemandFilter::default()
        }
    };
    let counts = LocalResource::new(move || {
        changed.track();
        let f = DemandFilter {
            category: (!category.get().is_empty()).then(|| category.get()),
            ..counted()
        };
        let c = c2.clone();
        async move { per_grid(&c, &f).await }
    });
    let by_category = LocalResource::new(move || {
        changed.track();
        let f = DemandFilter {
            grid: (!grid.get().is_empty()).then(|| GridId::from(grid.get().as_str())),
            ..counted()
        };
        async move { per_category(&f).await }
    });
    let station_visits = LocalResource::new(move || {
        changed.track();
        visits()
    });
    let reset = move || offset.set(0);
    let station_grids: Vec<(String, String)> = c
        .who
        .station
        .as_ref()
        .map(|s| {
            c.territory
                .station_grids(s)
                .map(|g| (g.id.to_string(), g.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let station_delegates: Vec<(String, String)> = c
        .who
        .station
        .as_ref()
        .map(|s| {
            c.territory
                .delegates
                .iter()
                .filter(|d| &d.station == s)
                .map(|d| (d.id.to_string(), d.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let c3 = c;
    let on_map = move |ev: leptos::ev::MouseEvent| {
        let hit = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.get_attribute("data-grid"));
        if let Some(g) = hit {
            grid.set(if grid.get_untracked() == g {
                String::new()
            } else {
                g
            });
            reset();
        }
    };
    view! {
        <section class="card" data-testid="page-inbox">
            <h2>"收件箱"</h2>
            <div class="filters">
                <input type="search" data-testid="inbox-search" placeholder="搜索诉求内容（中文）"
                    prop:value=move || query.get()
                    on:change=move |ev| { query.set(event_target_value(&ev)); reset(); } />
                <details class="more-filters" data-testid="filters" open=wide_screen()>
                <summary>"筛选"</summary>
                <div class="filters">
                <select data-testid="filter-grid" prop:value=move || grid.get()
                    on:change=move |ev| { grid.set(event_target_value(&ev)); reset(); }>
                    <option value="">"全部网格"</option>
                    {station_grids.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                </select>
                <select data-testid="filter-status" on:change=move |ev| { status.set(event_target_value(&ev)); reset(); }>
                    <option value="">"全部状态"</option>
                    {DemandStatus::ALL.iter().map(|s| view! { <option value=s.code()>{s.zh()}</option> }).collect_view()}
                </select>
                <select data-testid="filter-category" on:change=move |ev| { category.set(event_target_value(&ev)); reset(); }>
                    <option value="">"全部类别"</option>
                    {Category::ALL.iter().map(|k| view! { <option value=k.code()>{k.zh()}</option> }).collect_view()}
                </select>
                <select data-testid="filter-delegate" on:change=move |ev| { delegate.set(event_target_value(&ev)); reset(); }>
                    <option value="">"全部代表"</option>
                    {station_delegates.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                </select>
                <select data-testid="filter-visit" on:change=move |ev| { visit.set(event_target_value(&ev)); reset(); }>
                    <option value="">"全部走访"</option>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            station_visits.await.map(|list| list.into_iter().take(VISITS_OFFERED).map(|v| {
                                let label = format!("{} · {} · {}", v.visit.started_at.beijing(), v.visit.topic, v.visit.place);
                                view! { <option value=v.visit.id.to_string()>{label}</option> }
                            }).collect_view()).ok()
                        })}
                    </Transition>
                </select>
                <label>"从"<input type="date" data-testid="filter-from" prop:value=move || from.get()
                    on:change=move |ev| { from.set(event_target_value(&ev)); reset(); } /></label>
                <label>"到"<input type="date" data-testid="filter-to" prop:value=move || to.get()
                    on:change=move |ev| { to.set(event_target_value(&ev)); reset(); } /></label>
                <label class="check"><input type="checkbox" data-testid="filter-needs-decision"
                    on:change=move |ev| { needs_decision.set(event_target_checked(&ev)); reset(); } />"只看待裁定"</label>
                <label class="check" title="超过本阶段期限的诉求（按工作日计，含节假日调休）"><input type="checkbox" data-testid="filter-overdue"
                    on:change=move |ev| { only_overdue.set(event_target_checked(&ev)); reset(); } />"只看超期"</label>
                </div>
                </details>
            </div>
            <div class="category-counts" data-testid="category-counts">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match by_category.await {
                            Err(e) => error_view(&e).into_any(),
                            Ok(list) => list.into_iter().map(|(k, n)| view! {
                                <button type="button" class="chip" data-testid="category-count" data-category=k.code() data-count=n.to_string()
                                    aria-pressed=move || (category.get() == k.code()).to_string()
                                    on:click=move |_| {
                                        category.set(if category.get_untracked() == k.code() { String::new() } else { k.code().to_owned() });
                                        reset();
                                    }>{format!("{} {n}", k.zh())}</button>
                            }).collect_view().into_any(),
                        }
                    })}
                </Transition>
            </div>
            <div class="inbox-body">
            <div class="inbox-list">
            <Transition fallback=|| view! { <p class="muted">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => error_view(&e).into_any(),
                        Ok((items, total)) => {
                            let from = offset.get_untracked();
                            let shown = items.len() as u32;
                            view! {
                                <p class="muted" data-testid="inbox-count" data-total=total.to_string()>
                                    {format!("共 {total} 条")}{(total > 0).then(|| format!("，第 {}–{} 条", from + 1, from + shown))}
                                </p>
                                {items.is_empty().then(|| view! { <p class="empty" data-testid="inbox-empty">"没有符合条件的诉求"</p> })}
                                <ul class="list">{items.into_iter().map(|d| view! { <DemandItem d=d /> }).collect_view()}</ul>
                                <div class="row pager">
                                    <button type="button" class="btn" data-testid="page-prev" disabled={from == 0}
                                        on:click=move |_| offset.set(from.saturating_sub(PAGE))>"上一页"</button>
                                    <button type="button" class="btn" data-testid="page-next" disabled={u64::from(from + shown) >= total}
                                        on:click=move |_| offset.set(from + PAGE)>"下一页"</button>
                                </div>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            </div>
            <aside class="map" data-testid="inbox-map" on:click=on_map>
                <Transition fallback=|| ()>
                    {move || { let c = c3.clone(); Suspend::new(async move {
                        let listed = list.await.map(|(items, _)| items).unwrap_or_default();
                        match counts.await {
                            Ok(n) => map_svg(&c, n, &listed).map(|svg| view! { <div inner_html=svg></div> }.into_any()).unwrap_or_else(|| ().into_any()),
                            Err(e) => error_view(&e).into_any(),
                        }
                    })}}
                </Transition>
            </aside>
            </div>
        </section>
    }
}
