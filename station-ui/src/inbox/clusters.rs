//! Proposed duplicates 疑似重复 (the `clusters` request): the head joins them into the oldest
//! (every resident kept), adds another open demand to one, or sets a proposal aside for now.

use gridvoice_core::access::Role;
use gridvoice_core::api::{ApiError, DemandFilter, DemandView, Request, Response};
use gridvoice_core::ids::DemandId;
use gridvoice_core::workflow::DemandStatus;
use leptos::prelude::*;

use super::demands;
use crate::{api, ctx, error_view};

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
