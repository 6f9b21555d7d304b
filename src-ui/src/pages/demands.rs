//! My demands 我的诉求: the demands this delegate recorded (the whole station's a tap away), with
//! Chinese full-text search and filters. Long texts are cut in the list; each demand opens its own
//! page (`demand`) with the full text, its residents, its visit, its sync state and its timeline.

use gridvoice_core::api::{ApiError, DemandFilter};
use gridvoice_core::category::Category;
use gridvoice_core::workflow::DemandStatus;
use leptos::prelude::*;

use crate::api::DemandView;
use crate::widgets::{category_label, clip, error_list, esc, status_label, when};
use crate::{api, ctx};

/// How much of a demand's text the list shows.
const LIST_CHARS: usize = 80;

#[component]
pub fn Demands() -> impl IntoView {
    let c = ctx();
    let i18n = c.i18n;
    let t = move |k: &'static str| move || i18n.t(k);
    let query = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    // The delegate's own demands, or the whole station's.
    let mine_only = RwSignal::new(true);
    let me = LocalResource::new(api::status);

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
                    limit: Some(500),
                    ..DemandFilter::default()
                })
                .await?;
                Ok::<_, ApiError>(items)
            } else {
                // Search answers by text; the filters then narrow it here.
                let items = api::search(q, 500).await?;
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
        let href = format!("/demands/{id}");
        let open = format!("open-{id}");
        let grid = match c.geo.get_untracked() {
            Some(Ok(g)) => g.grid_name(&d.demand.grid),
            _ => d.demand.grid.to_string(),
        };
        let st = d.state.status;
        let cat = d.demand.category;
        let photos = d.demand.attachments.len();
        let cosigners = d.joined.len();
        let text = esc(&clip(&d.demand.text, LIST_CHARS));
        let grid = esc(&grid);
        let date = when(d.demand.recorded_at);
        // One piece of HTML per item (every text escaped): each element of a `view!` is code of
        // its own in the wasm, which is at its budget. The router follows the link like an `<A>`.
        let html = move || {
            use std::fmt::Write;
            let lang = i18n.lang.get();
            let mut h = format!(
                "<a class='item-head' href='{href}' data-testid='{open}'><span class='item-text clip' data-testid='demand-text-short'>{text}</span><span class='badge' data-testid='demand-status'>{}</span></a><p class='muted'>{} · {grid} · <span class='date'>{date}</span>",
                status_label(st, lang),
                category_label(cat, lang)
            );
            // `write!` into a String cannot fail; the results are ignored for that reason.
            if photos > 0 {
                let _ = write!(
                    h,
                    "<span data-testid='demand-photos'> · {}</span>",
                    i18n.fmt1("demands.photos", photos)
                );
            }
            if cosigners > 0 {
                let _ = write!(
                    h,
                    "<span data-testid='demand-cosigners'> · {}</span>",
                    i18n.fmt1("demands.cosigners", cosigners)
                );
            }
            h.push_str("</p>");
            h
        };
        view! {
            <div class="list-item" data-testid="demand-item" data-demand-id=id data-status=st.code() inner_html=html></div>
        }
    };

    view! {
        <section class="card" data-testid="page-demands">
            <h2>{t("demands.title")}</h2>
            <div class="segmented" role="group">
                <button type="button" class="btn" data-testid="scope-mine" aria-pressed=move || mine_only.get().to_string()
                    on:click=move |_| mine_only.set(true)>{t("demands.scope_mine")}</button>
                <button type="button" class="btn" data-testid="scope-station" aria-pressed=move || (!mine_only.get()).to_string()
                    on:click=move |_| mine_only.set(false)>{t("demands.scope_station")}</button>
            </div>
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
                    {move || { let mine = mine_only.get(); Suspend::new(async move {
                        let items = list.await?;
                        let me = me.await?.delegate;
                        let items: Vec<DemandView> = if mine {
                            items.into_iter().filter(|d| Some(&d.demand.recorded_by) == me.as_ref()).collect()
                        } else {
                            items
                        };
                        if items.is_empty() {
                            return Ok::<_, ApiError>(view! { <p class="empty" data-testid="demands-empty">{t("demands.none")}</p> }.into_any());
                        }
                        let n = items.len();
                        Ok(view! {
                            <p class="muted" data-testid="demands-count" data-count=n.to_string()>{move || i18n.fmt1("demands.count", n)}</p>
                            {items.into_iter().map(item).collect_view()}
                        }.into_any())
                    })}}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
