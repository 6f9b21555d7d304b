//! The station's inbox 收件箱: every demand of the station, merged from all its delegates, newest
//! first, filtered (grid, category, status, needs decision) or searched in Chinese, a page at a
//! time; the station's map shaded by how many demands each grid holds (a click filters by it);
//! and, on each open demand, the head's decisions. The proposed duplicate clusters 疑似重复 live
//! here too: join them (every resident kept), add another demand, or set a proposal aside.

use std::collections::BTreeMap;

use gridvoice_core::access::Role;
use gridvoice_core::api::{ApiError, DemandFilter, DemandView, Request, Response};
use gridvoice_core::category::Category;
use gridvoice_core::geography::svg::{Choropleth, MapOptions, render_svg};
use gridvoice_core::ids::{DemandId, GridId};
use gridvoice_core::workflow::DemandStatus;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::{Ctx, api, ctx, error_view};

const PAGE: u32 = 50;

async fn demands(filter: DemandFilter) -> Result<(Vec<DemandView>, u64), ApiError> {
    match api::request(&Request::ListDemands(filter)).await? {
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

/// The station's grids shaded by their counts; `data-grid` names each grid for a click.
fn map_svg(c: &Ctx, counts: BTreeMap<GridId, f64>) -> Option<String> {
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
        points: Vec::new(),
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
            from: some(from.get()),
            to: some(to.get()),
            limit: Some(PAGE),
            offset: Some(offset.get()),
            ..DemandFilter::default()
        }
    };
    let list = LocalResource::new(move || {
        changed.track();
        let f = filter();
        let q = query.get().trim().to_owned();
        async move {
            if q.is_empty() {
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
                <label>"从"<input type="date" data-testid="filter-from" prop:value=move || from.get()
                    on:change=move |ev| { from.set(event_target_value(&ev)); reset(); } /></label>
                <label>"到"<input type="date" data-testid="filter-to" prop:value=move || to.get()
                    on:change=move |ev| { to.set(event_target_value(&ev)); reset(); } /></label>
                <label class="check"><input type="checkbox" data-testid="filter-needs-decision"
                    on:change=move |ev| { needs_decision.set(event_target_checked(&ev)); reset(); } />"只看待裁定"</label>
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
                        match counts.await {
                            Ok(n) => map_svg(&c, n).map(|svg| view! { <div inner_html=svg></div> }.into_any()).unwrap_or_else(|| ().into_any()),
                            Err(e) => error_view(&e).into_any(),
                        }
                    })}}
                </Transition>
            </aside>
            </div>
        </section>
    }
}

/// What the head may still decide on a demand: it is open (recorded or read).
fn open(d: &DemandView) -> bool {
    matches!(
        d.state.status,
        DemandStatus::Recorded | DemandStatus::Reviewed
    )
}

/// One demand in a list, with the head's decisions when it is open.
#[component]
fn DemandItem(d: DemandView) -> impl IntoView {
    let c = ctx();
    let id = d.demand.id;
    let head = c.who.role == Role::StationHead;
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    // Which decision's words are being written: "answer" or "scope".
    let writing: RwSignal<Option<&'static str>> = RwSignal::new(None);
    let words = RwSignal::new(String::new());
    let c2 = c.clone();
    let decide = move |req: Request| {
        let c = c2.clone();
        leptos::task::spawn_local(async move {
            match api::request(&req).await {
                Ok(_) => {
                    error.set(None);
                    writing.set(None);
                    c.bump();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let send_words = {
        let decide = decide.clone();
        move |_| {
            let text = words.get().trim().to_owned();
            let req = match writing.get() {
                Some("answer") => Request::AnswerOnSpot {
                    demand: id,
                    answer: text,
                },
                _ => Request::OutOfScope {
                    demand: id,
                    reason: text,
                },
            };
            decide(req);
        }
    };
    let picked = c.picked;
    let is_picked = move || picked.get().iter().any(|p| p.demand.id == id);
    let view_for_pick = d.clone();
    let toggle_pick = move |_| {
        let v = view_for_pick.clone();
        picked.update(|list| {
            if let Some(i) = list.iter().position(|p| p.demand.id == v.demand.id) {
                list.remove(i);
            } else {
                list.push(v);
            }
        });
    };
    let can_decide = head && open(&d);
    let status = d.state.status;
    let conflict = d.state.needs_decision;
    let cosigners = d.joined.len();
    let meta = format!(
        "{} · {} · {} · {}",
        c.grid_name(&d.demand.grid),
        d.demand.category.zh(),
        c.delegate_name(&d.demand.recorded_by),
        d.demand.recorded_at.beijing()
    );
    let (r1, r2) = (decide.clone(), decide);
    view! {
        <li class="list-item" data-testid="demand-item" data-demand-id=id.to_string() data-status=status.code()>
            <p class="item-text">{d.demand.text}</p>
            <p class="muted">{meta}" · "<span class="badge" data-testid="demand-status">{status.zh()}</span>
                {conflict.then(|| view! { <span class="badge warn" data-testid="needs-decision">"待裁定"</span> })}
                {(cosigners > 0).then(|| view! { " · "<span class="badge" data-testid="demand-cosigners" data-count=cosigners.to_string()>{format!("附议 {cosigners} 人")}</span> })}
            </p>
            {can_decide.then(|| view! {
                <div class="row actions">
                    <button type="button" class="btn small" data-testid="act-review" on:click=move |_| r1(Request::Review { demand: id, note: None })>"已阅"</button>
                    <button type="button" class="btn small" data-testid="act-answer" on:click=move |_| { words.set(String::new()); writing.set(Some("answer")); }>"当场答复"</button>
                    <button type="button" class="btn small" data-testid="act-workroom" on:click=move |_| r2(Request::HandToWorkroom { demand: id, note: None })>"转社区接诉即办"</button>
                    <button type="button" class="btn small" data-testid="act-scope" on:click=move |_| { words.set(String::new()); writing.set(Some("scope")); }>"不属受理范围"</button>
                    <button type="button" class="btn small" data-testid="act-pick" aria-pressed=move || is_picked().to_string() on:click=toggle_pick>
                        {move || if is_picked() { "已选入建议" } else { "选入建议" }}</button>
                </div>
            })}
            {move || writing.get().map(|w| {
                let send = send_words.clone();
                let label = if w == "answer" { "答复内容（将反馈给群众）" } else { "不属受理范围的理由（将告知群众）" };
                view! {
                    <div class="words">
                        <label class="label">{label}</label>
                        <textarea data-testid="decision-words" prop:value=move || words.get() on:input=move |ev| words.set(event_target_value(&ev))></textarea>
                        <div class="row">
                            <button type="button" class="btn primary" data-testid="decision-send" on:click=send>"确定"</button>
                            <button type="button" class="btn" on:click=move |_| writing.set(None)>"取消"</button>
                        </div>
                    </div>
                }
            })}
            {move || error.get().map(|e| error_view(&e))}
        </li>
    }
}

async fn clusters() -> Result<(Vec<gridvoice_core::cluster::Cluster>, Vec<DemandView>), ApiError> {
    let Response::Clusters { items } = api::request(&Request::Clusters { station: None }).await?
    else {
        return Err(api::unexpected());
    };
    // The station's open demands, to show each member's words.
    let (open, _) = demands(DemandFilter {
        limit: Some(500),
        ..DemandFilter::default()
    })
    .await?;
    Ok((items, open))
}

/// Proposed duplicates: the head joins them into the oldest (every resident kept), adds another
/// open demand to one, or sets a proposal aside for now.
#[component]
pub fn Clusters() -> impl IntoView {
    let c = ctx();
    let changed = c.changed;
    let list = LocalResource::new(move || {
        changed.track();
        clusters()
    });
    let set_aside: RwSignal<Vec<DemandId>> = RwSignal::new(Vec::new());
    view! {
        <section class="card" data-testid="page-clusters">
            <h2>"疑似重复"</h2>
            <p class="muted">"同一或相邻网格、相近类别、时间相近且内容相似的诉求。合并后每位群众都保留，都会收到反馈。"</p>
            <Suspense fallback=|| view! { <p class="muted">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => error_view(&e).into_any(),
                        Ok((items, open)) => {
                            let aside = set_aside.get();
                            let shown: Vec<_> = items.into_iter().filter(|k| !aside.contains(&k.demands[0])).collect();
                            if shown.is_empty() {
                                return view! { <p class="empty" data-testid="clusters-empty">"没有疑似重复的诉求"</p> }.into_any();
                            }
                            shown.into_iter().map(|k| view! { <ClusterCard members=k.demands open=open.clone() set_aside=set_aside /> }).collect_view().into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ClusterCard(
    members: Vec<DemandId>,
    open: Vec<DemandView>,
    set_aside: RwSignal<Vec<DemandId>>,
) -> impl IntoView {
    let c = ctx();
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let leader = members[0];
    let text_of = |id: &DemandId| {
        open.iter().find(|d| &d.demand.id == id).map(|d| {
            (
                d.demand.text.clone(),
                c.grid_name(&d.demand.grid),
                c.delegate_name(&d.demand.recorded_by),
            )
        })
    };
    let rows: Vec<_> = members
        .iter()
        .map(|id| {
            let (text, grid, by) = text_of(id).unwrap_or_default();
            view! { <li data-testid="cluster-member" data-demand-id=id.to_string()>{text}<span class="muted">{format!(" · {grid} · {by}")}</span></li> }
        })
        .collect();
    let others: Vec<(String, String)> = open
        .iter()
        .filter(|d| !members.contains(&d.demand.id))
        .filter(|d| {
            matches!(
                d.state.status,
                DemandStatus::Recorded | DemandStatus::Reviewed
            )
        })
        .map(|d| {
            (
                d.demand.id.to_string(),
                d.demand.text.chars().take(30).collect(),
            )
        })
        .collect();
    let add = RwSignal::new(String::new());
    let join_all = {
        let c = c.clone();
        let rest: Vec<DemandId> = members[1..].to_vec();
        move |_| {
            let c = c.clone();
            let rest = rest.clone();
            leptos::task::spawn_local(async move {
                for d in rest {
                    if let Err(e) = api::request(&Request::Join {
                        demand: d,
                        into: leader,
                    })
                    .await
                    {
                        error.set(Some(e));
                        return;
                    }
                }
                c.bump();
            });
        }
    };
    let add_one = {
        let c = c.clone();
        move |_| {
            let Ok(d) = add.get().parse::<DemandId>() else {
                error.set(Some(ApiError::new(
                    gridvoice_core::ErrorCode::MissingField,
                    "请先选择要并入的诉求",
                )));
                return;
            };
            let c = c.clone();
            leptos::task::spawn_local(async move {
                match api::request(&Request::Join {
                    demand: d,
                    into: leader,
                })
                .await
                {
                    Ok(_) => c.bump(),
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let head = c.who.role == Role::StationHead;
    view! {
        <div class="cluster" data-testid="cluster" data-leader=leader.to_string()>
            <ol>{rows}</ol>
            {head.then(|| view! {
                <div class="row">
                    <button type="button" class="btn primary" data-testid="cluster-join" on:click=join_all>"确认重复，合并到第一条"</button>
                    <button type="button" class="btn" data-testid="cluster-aside" on:click=move |_| set_aside.update(|v| v.push(leader))>"不是重复（拆开）"</button>
                </div>
                <div class="row">
                    <select data-testid="cluster-add-pick" on:change=move |ev| add.set(event_target_value(&ev))>
                        <option value="">"把另一条诉求并入此组…"</option>
                        {others.into_iter().map(|(id, t)| view! { <option value=id>{t}</option> }).collect_view()}
                    </select>
                    <button type="button" class="btn" data-testid="cluster-add" on:click=add_one>"并入"</button>
                </div>
            })}
            {move || error.get().map(|e| error_view(&e))}
        </div>
    }
}
