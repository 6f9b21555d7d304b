//! My demands 我的诉求: the list with Chinese full-text search and filters; each demand opens its
//! timeline (recorded → reviewed → suggestion → handling → answered → fed back → closed) from the
//! events that came back from the station and the office.

use gridvoice_core::api::{ApiError, DemandFilter, DemandView};
use gridvoice_core::category::Category;
use gridvoice_core::workflow::{DemandStatus, Event, EventKind};
use leptos::prelude::*;

use crate::i18n::I18n;
use crate::widgets::{category_label, error_list, status_label, when};
use crate::{api, ctx};

fn event_label(e: &Event, i18n: I18n) -> String {
    let k = match &e.what {
        EventKind::Reviewed { .. } => "ev.reviewed",
        EventKind::JoinedInto { .. } => "ev.joined",
        EventKind::AddedToSuggestion { .. } => "ev.suggestion",
        EventKind::ContactAttached { .. } => "ev.contact",
        EventKind::Withdrawn { .. } => "ev.withdrawn",
        EventKind::Routed { .. } => "ev.routed",
        EventKind::Answered { .. } => "ev.answered",
        EventKind::FedBack { .. } => "ev.fed_back",
        EventKind::Closed { .. } => "ev.closed",
        EventKind::Reopened { .. } => "ev.reopened",
        EventKind::Note { .. } => "ev.note",
        EventKind::Classified { .. } => "ev.classified",
        EventKind::Whistled { .. } => "ev.whistled",
        EventKind::VisitEnded { .. } => "ev.visit_ended",
        EventKind::Unknown => "ev.unknown",
    };
    let detail = match &e.what {
        EventKind::Answered { text, .. } | EventKind::Note { text } => Some(text.clone()),
        EventKind::Routed { deadline, .. } => {
            Some(format!("{} {}", i18n.t("ev.deadline"), when(*deadline)))
        }
        EventKind::Withdrawn { reason } | EventKind::Reopened { reason } => Some(reason.clone()),
        _ => None,
    };
    match detail {
        Some(d) => format!("{}：{d}", i18n.t(k)),
        None => i18n.t(k).to_owned(),
    }
}

/// One photo of a demand, loaded when its timeline opens (from the device, else the server);
/// a tap shows it full width.
#[component]
fn PhotoThumb(hash: String) -> impl IntoView {
    let i18n = ctx().i18n;
    let big = RwSignal::new(false);
    let data = LocalResource::new(move || api::photo(hash.clone()));
    view! {
        <Suspense fallback=move || view! { <span class="muted">{move || i18n.t("loading")}</span> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(p) => view! {
                        <button type="button" class="photo" on:click=move |_| big.update(|b| *b = !*b)>
                            <img data-testid="demand-photo" class=("photo-big", move || big.get())
                                src=format!("data:{};base64,{}", p.mime, p.data_base64)
                                alt=move || i18n.t("demands.photo_alt") />
                        </button>
                    }.into_any(),
                    Err(e) => view! {
                        <span class="field-error" data-testid="demand-photo-error" data-code=e.code.as_str()>{e.message}</span>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn Demands() -> impl IntoView {
    let c = ctx();
    let i18n = c.i18n;
    let t = move |k: &'static str| move || i18n.t(k);
    let query = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let open = RwSignal::new(None::<String>);

    let list = LocalResource::new(move || {
        let q = query.get().trim().to_owned();
        let st = status.get();
        let cat = category.get();
        async move {
            let none_if_empty = |s: String| (!s.is_empty()).then_some(s);
            let (st, cat) = (none_if_empty(st), none_if_empty(cat));
            if q.is_empty() {
                let (items, _) = api::list_demands(DemandFilter {
                    status: st,
                    category: cat,
                    limit: Some(200),
                    ..DemandFilter::default()
                })
                .await?;
                Ok::<_, ApiError>(items)
            } else {
                // Search answers by text; the filters then narrow it here.
                let items = api::search(q, 200).await?;
                Ok(items
                    .into_iter()
                    .filter(|d| st.as_deref().is_none_or(|s| d.state.status.code() == s))
                    .filter(|d| cat.as_deref().is_none_or(|k| d.demand.category.code() == k))
                    .collect())
            }
        }
    });

    let item = move |d: DemandView| {
        let id = d.demand.id.to_string();
        let id2 = id.clone();
        let id3 = id.clone();
        let grid = match c.geo.get_untracked() {
            Some(Ok(g)) => g.grid_name(&d.demand.grid),
            _ => d.demand.grid.to_string(),
        };
        let history = d.history.clone();
        let recorded_at = d.demand.recorded_at;
        let st = d.state.status;
        let cat = d.demand.category;
        let photos = d.demand.attachments.len();
        let hashes = d.demand.attachments.clone();
        view! {
            <div class="list-item" data-testid="demand-item" data-demand-id=id data-status=st.code()>
                <button type="button" class="item-head" data-testid=format!("open-{id}")
                    on:click=move |_| open.update(|o| *o = if o.as_deref() == Some(id2.as_str()) { None } else { Some(id2.clone()) })>
                    <span class="item-text">{d.demand.text}</span>
                    <span class="badge" data-testid="demand-status">{move || status_label(st, i18n.lang.get())}</span>
                </button>
                <p class="muted">{move || category_label(cat, i18n.lang.get())}" · "{grid}" · "{when(recorded_at)}
                    {(photos > 0).then(|| view! { <span data-testid="demand-photos">" · "{move || i18n.fmt1("demands.photos", photos)}</span> })}
                </p>
                <Show when=move || open.get().as_deref() == Some(id3.as_str())>
                    <ol class="timeline" data-testid="timeline">
                        <li>{when(recorded_at)}" "{t("ev.recorded")}</li>
                        {history.iter().map(|e| view! { <li>{when(e.at)}" "{event_label(e, i18n)}</li> }).collect_view()}
                    </ol>
                    {(!hashes.is_empty()).then(|| view! {
                        <div class="photos" data-testid="demand-photo-strip">
                            {hashes.clone().into_iter().map(|hash| view! { <PhotoThumb hash /> }).collect_view()}
                        </div>
                    })}
                </Show>
            </div>
        }
    };

    view! {
        <section class="card" data-testid="page-demands">
            <h2>{t("demands.title")}</h2>
            <input id="demand-search" data-testid="demand-search" type="search" placeholder=move || i18n.t("demands.search_ph")
                prop:value=move || query.get()
                on:change=move |ev| query.set(event_target_value(&ev)) />
            <div class="row">
                <select id="filter-status" data-testid="filter-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">{t("demands.any_status")}</option>
                    {DemandStatus::ALL.iter().map(|s| view! { <option value=s.code()>{move || status_label(*s, i18n.lang.get())}</option> }).collect_view()}
                </select>
                <select id="filter-category" data-testid="filter-category" on:change=move |ev| category.set(event_target_value(&ev))>
                    <option value="">{t("demands.any_category")}</option>
                    {Category::ALL.iter().map(|k| view! { <option value=k.code()>{move || category_label(*k, i18n.lang.get())}</option> }).collect_view()}
                </select>
            </div>
            <Suspense fallback=move || view! { <p class="muted">{t("loading")}</p> }>
                <ErrorBoundary fallback=error_list>
                    {move || Suspend::new(async move {
                        let items = list.await?;
                        if items.is_empty() {
                            return Ok::<_, ApiError>(view! { <p class="empty" data-testid="demands-empty">{t("demands.none")}</p> }.into_any());
                        }
                        let n = items.len();
                        Ok(view! {
                            <p class="muted" data-testid="demands-count" data-count=n.to_string()>{move || i18n.fmt1("demands.count", n)}</p>
                            {items.into_iter().map(item).collect_view()}
                        }.into_any())
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
