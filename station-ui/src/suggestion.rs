//! Forming a delegate suggestion 代表建议 from the demands the head picked in the inbox: a title and
//! body drafted from them (counts, grids, dates, short quotes; `core::suggest::draft`), editable;
//! the handling level with the rule that suggested it; then the whistle 吹哨 by a route that fits
//! the level, naming whom it calls. Below, the station's suggestions, each with the demands it
//! carries (a demand in the inbox links here, and here back to its words).

use std::collections::BTreeMap;

use gridvoice_core::api::{
    ApiError, DemandFilter, DemandView, FormSuggestion, Request, Response, SuggestionView,
};
use gridvoice_core::ids::DemandId;
use gridvoice_core::model::WhistleRoute;
use gridvoice_core::suggest::{draft, suggest_level};
use gridvoice_core::territory::HandlingLevel;
use gridvoice_core::workflow::DemandStatus;
use leptos::prelude::*;

use crate::{api, ctx, error_view};

const LEVELS: [HandlingLevel; 4] = [
    HandlingLevel::Community,
    HandlingLevel::Street,
    HandlingLevel::District,
    HandlingLevel::City,
];
const ROUTES: [WhistleRoute; 4] = [
    WhistleRoute::OnSiteCoordination,
    WhistleRoute::SupervisionTracking,
    WhistleRoute::SpecialResearch,
    WhistleRoute::LawEnforcement,
];

fn level_code(l: HandlingLevel) -> &'static str {
    match l {
        HandlingLevel::Community => "community",
        HandlingLevel::Street => "street",
        HandlingLevel::District => "district",
        HandlingLevel::City => "city",
    }
}

fn route_code(r: WhistleRoute) -> &'static str {
    match r {
        WhistleRoute::OnSiteCoordination => "on_site_coordination",
        WhistleRoute::SupervisionTracking => "supervision_tracking",
        WhistleRoute::SpecialResearch => "special_research",
        WhistleRoute::LawEnforcement => "law_enforcement",
    }
}

#[component]
pub fn Suggestion() -> impl IntoView {
    let c = ctx();
    // The office forms no suggestions: it routes and follows those the stations formed.
    if c.who.role == gridvoice_core::access::Role::Office {
        return view! { <StationSuggestions /> }.into_any();
    }
    let picked = c.picked;
    let formed: RwSignal<Option<SuggestionView>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let chosen = picked.get_untracked();
    let (title0, body0) = draft(&chosen, &c.territory);
    let (level0, why) = suggest_level(&chosen, &c.territory);
    let title = RwSignal::new(title0);
    let body = RwSignal::new(body0);
    let level = RwSignal::new(level0);
    let c2 = c.clone();
    let form = move |_| {
        let demands: Vec<_> = picked.get().iter().map(|d| d.demand.id).collect();
        let req = Request::FormSuggestion(FormSuggestion {
            demands,
            title: Some(title.get()),
            text: Some(body.get()),
            level: Some(level.get()),
            id: None,
        });
        let c = c2.clone();
        leptos::task::spawn_local(async move {
            match api::request(&req).await {
                Ok(Response::Suggestion(v)) => {
                    error.set(None);
                    formed.set(Some(*v));
                    c.picked.set(Vec::new());
                    c.bump();
                }
                Ok(_) => error.set(Some(api::unexpected())),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let items: Vec<_> = chosen
        .iter()
        .map(|d| view! { <li data-testid="picked">{d.demand.text.clone()}<span class="muted">{format!(" · {}", c.grid_name(&d.demand.grid))}</span></li> })
        .collect();
    view! {
        <section class="card" data-testid="page-suggestion">
            <h2>"形成代表建议"</h2>
            {move || match formed.get() {
                Some(s) => view! { <Formed s=s /> }.into_any(),
                None if picked.get().is_empty() => view! {
                    <p class="empty" data-testid="suggestion-none">"请先在收件箱中点“选入建议”，选择要形成建议的诉求。"</p>
                }.into_any(),
                None => ().into_any(),
            }}
            <div class:hidden=move || formed.get().is_some() || picked.get().is_empty()>
                <h3>"所含诉求"</h3>
                <ul>{items}</ul>
                <label class="label" for="s-title">"标题"</label>
                <input id="s-title" data-testid="suggestion-title" type="text" prop:value=move || title.get()
                    on:input=move |ev| title.set(event_target_value(&ev)) />
                <label class="label" for="s-body">"内容（可修改）"</label>
                <textarea id="s-body" data-testid="suggestion-body" rows="8" prop:value=move || body.get()
                    on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                <label class="label" for="s-level">"办理层级"</label>
                <select id="s-level" data-testid="suggestion-level"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(l) = LEVELS.into_iter().find(|l| level_code(*l) == v) { level.set(l); }
                    }>
                    {LEVELS.into_iter().map(|l| view! {
                        <option value=level_code(l) selected=l == level0>{format!("{}级", l.zh())}</option>
                    }).collect_view()}
                </select>
                <p class="muted" data-testid="suggestion-level-why">{format!("建议：{}级 — {why}", level0.zh())}</p>
                {move || error.get().map(|e| error_view(&e))}
                <button type="button" class="btn primary big" data-testid="suggestion-form" on:click=form>"形成建议"</button>
            </div>
        </section>
        <StationSuggestions />
    }
    .into_any()
}

/// The station's suggestions, and the words of the demands they carry (those in a suggestion).
async fn station_suggestions()
-> Result<(Vec<SuggestionView>, BTreeMap<DemandId, DemandView>), ApiError> {
    let Response::Suggestions { items, .. } = api::request(&Request::ListSuggestions {
        station: None,
        limit: None,
        offset: None,
    })
    .await?
    else {
        return Err(api::unexpected());
    };
    // The demands they carry, in whatever state their handling has reached.
    let mut carried = Vec::new();
    for status in [
        DemandStatus::InSuggestion,
        DemandStatus::Routed,
        DemandStatus::Answered,
        DemandStatus::FedBack,
        DemandStatus::Closed,
    ] {
        let Response::Demands { items: page, .. } =
            api::request(&Request::ListDemands(DemandFilter {
                status: Some(status.code().to_owned()),
                limit: Some(500),
                ..DemandFilter::default()
            }))
            .await?
        else {
            return Err(api::unexpected());
        };
        carried.extend(page.into_iter().filter(|d| d.state.suggestion.is_some()));
    }
    Ok((
        items,
        carried.into_iter().map(|d| (d.demand.id, d)).collect(),
    ))
}

/// 本站代表建议: newest first; the one a demand in the inbox pointed at comes first, marked.
#[component]
fn StationSuggestions() -> impl IntoView {
    let c = ctx();
    let changed = c.changed;
    let focus = c.focus;
    let list = LocalResource::new(move || {
        changed.track();
        station_suggestions()
    });
    view! {
        <section class="card" data-testid="station-suggestions">
            <h2>{if c.who.role == gridvoice_core::access::Role::Office { "各站代表建议" } else { "本站代表建议" }}</h2>
            <Suspense fallback=|| view! { <p class="muted">"正在加载…"</p> }>
                {move || { let c = c.clone(); Suspend::new(async move {
                    match list.await {
                        Err(e) => error_view(&e).into_any(),
                        Ok((mut items, carried)) => {
                            if items.is_empty() {
                                return view! { <p class="empty" data-testid="suggestions-empty">"本站还没有代表建议"</p> }.into_any();
                            }
                            let focused = focus.get_untracked();
                            items.sort_by_key(|s| Some(s.suggestion.id) != focused);
                            items.into_iter().map(|s| {
                                let is_focus = Some(s.suggestion.id) == focused;
                                let whistles = if s.state.whistles.is_empty() {
                                    "尚未吹哨".to_owned()
                                } else {
                                    format!("已吹哨：{}", s.state.whistles.iter().map(|r| r.zh()).collect::<Vec<_>>().join("；"))
                                };
                                let level = s.state.level.unwrap_or(s.suggestion.level);
                                let demands = s.suggestion.demands.iter().map(|id| {
                                    let (text, meta) = carried.get(id).map_or_else(
                                        || ("（诉求未同步到此处）".to_owned(), String::new()),
                                        |d| (d.demand.text.clone(), format!(" · {} · {}", c.grid_name(&d.demand.grid), c.delegate_name(&d.demand.recorded_by))),
                                    );
                                    view! { <li data-testid="suggestion-demand" data-demand-id=id.to_string()>{text}<span class="muted">{meta}</span></li> }
                                }).collect_view();
                                // Routing and answers are written on each demand it carries: the
                                // first one still carried says where the handling stands.
                                let handling = s.suggestion.demands.iter().find_map(|id| carried.get(id)).map(|d| {
                                    let case = gridvoice_core::api::Case::Suggestion(s.suggestion.id);
                                    let clock = d.clock.clone();
                                    view! {
                                        {clock.as_ref().map(crate::inbox::clock_badge)}
                                        <crate::handling::Handling case=case state=d.state.clone() />
                                    }
                                });
                                let station = c.territory.station(&s.suggestion.station).map(|x| x.name.clone()).unwrap_or_default();
                                view! {
                                    <div class="suggestion" class:focused=is_focus data-testid="station-suggestion"
                                        data-suggestion-id=s.suggestion.id.to_string() data-focused=is_focus.to_string()>
                                        <p><strong>{s.suggestion.title.clone()}</strong></p>
                                        <p class="muted">{format!("{}级 · {station} · {} · {}", level.zh(), s.suggestion.formed_at.beijing(), c.delegate_name(&s.suggestion.formed_by))}</p>
                                        <p>{whistles}</p>
                                        <ol>{demands}</ol>
                                        {handling}
                                    </div>
                                }
                            }).collect_view().into_any()
                        }
                    }
                })}}
            </Suspense>
        </section>
    }
}

/// A suggestion just formed: its level and whistles, and a whistle to blow.
#[component]
fn Formed(s: SuggestionView) -> impl IntoView {
    let current: RwSignal<SuggestionView> = RwSignal::new(s);
    let level = current
        .get_untracked()
        .state
        .level
        .unwrap_or(current.get_untracked().suggestion.level);
    let fitting: Vec<WhistleRoute> = ROUTES.into_iter().filter(|r| r.fits(level)).collect();
    let route = RwSignal::new(fitting.first().copied());
    let target = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let whistle = move |_| {
        let Some(r) = route.get() else { return };
        let note = Some(target.get().trim().to_owned()).filter(|s| !s.is_empty());
        let req = Request::Whistle {
            suggestion: current.get().suggestion.id,
            route: r,
            note,
        };
        leptos::task::spawn_local(async move {
            match api::request(&req).await {
                Ok(Response::Suggestion(v)) => {
                    error.set(None);
                    current.set(*v);
                }
                Ok(_) => error.set(Some(api::unexpected())),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <div class="formed" data-testid="suggestion-formed" data-suggestion-id=move || current.get().suggestion.id.to_string()>
            <p class="ok">"建议已形成：" {move || current.get().suggestion.title}</p>
            <p>{format!("办理层级：{}级", level.zh())}" · 涉及诉求 "{move || current.get().suggestion.demands.len()}" 条"</p>
            <p data-testid="suggestion-whistles">{move || {
                let w = current.get().state.whistles;
                if w.is_empty() { "尚未吹哨".to_owned() } else { format!("已吹哨：{}", w.iter().map(|r| r.zh()).collect::<Vec<_>>().join("；")) }
            }}</p>
            <h3>"代表吹哨"</h3>
            <select data-testid="whistle-route" on:change=move |ev| {
                let v = event_target_value(&ev);
                route.set(ROUTES.into_iter().find(|r| route_code(*r) == v));
            }>
                {fitting.into_iter().map(|r| view! { <option value=route_code(r)>{r.zh()}</option> }).collect_view()}
            </select>
            <label class="label" for="w-target">"吹哨对象（部门或机构）"</label>
            <input id="w-target" data-testid="whistle-target" type="text" prop:value=move || target.get()
                on:input=move |ev| target.set(event_target_value(&ev)) />
            {move || error.get().map(|e| error_view(&e))}
            <button type="button" class="btn primary" data-testid="whistle-send" on:click=whistle>"吹哨"</button>
        </div>
    }
}
