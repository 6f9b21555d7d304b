//! One demand 诉求详情: the full text, its status, category, grid, who recorded it and when, the
//! visit it was recorded on, how many residents left a contact, whether the server has it yet,
//! the residents' contacts (to those the service lets see them: the recording delegate, their
//! station head, the office; phones masked until asked), its timeline and its photos.

use gridvoice_core::api::{ApiError, DemandView};
use gridvoice_core::device::PendingItem;
use gridvoice_core::ids::DemandId;
use gridvoice_core::model::{Contact, mask_phone};
use gridvoice_core::territory::HandlingLevel;
use gridvoice_core::workflow::{Event, EventKind};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::i18n::I18n;
use crate::widgets::{category_label, error_list, stage_label, status_label, when};
use crate::{Geo, api, ctx};

fn event_label(e: &Event, i18n: I18n) -> String {
    let k = match &e.what {
        EventKind::Reviewed { .. } => "ev.reviewed",
        EventKind::JoinedInto { .. } => "ev.joined",
        EventKind::AddedToSuggestion { .. } => "ev.suggestion",
        EventKind::ContactAttached { .. } => "ev.contact",
        EventKind::Withdrawn { .. } => "ev.withdrawn",
        EventKind::AnsweredOnSpot { .. } => "ev.on_spot",
        EventKind::HandedToWorkroom { .. } => "ev.workroom",
        EventKind::OutOfScope { .. } => "ev.out_of_scope",
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
        EventKind::Answered { text, .. }
        | EventKind::Note { text }
        | EventKind::AnsweredOnSpot { answer: text }
        | EventKind::OutOfScope { reason: text } => Some(text.clone()),
        EventKind::HandedToWorkroom { note, .. } => note.clone(),
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

/// Residents who left a contact: the one recorded with the demand, and each one added later.
fn residents(d: &DemandView) -> usize {
    usize::from(d.demand.contacts_in.is_some())
        + d.history
            .iter()
            .filter(|e| matches!(e.what, EventKind::ContactAttached { .. }))
            .count()
}

/// Whether the server has confirmed the demand, and its photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Synced {
    Yes,
    DemandWaiting,
    PhotosWaiting,
}

fn synced(d: &DemandView, pending: &[PendingItem]) -> Synced {
    let id = d.demand.id.to_string();
    // A record is its id (older builds and the test backend prefix a collection: `demand/<id>`).
    if pending
        .iter()
        .any(|p| p.record.rsplit('/').next() == Some(id.as_str()))
    {
        return Synced::DemandWaiting;
    }
    let photo_waiting = |h: &String| {
        pending
            .iter()
            .any(|p| p.record.strip_prefix("photo:") == Some(h.as_str()))
    };
    if d.demand.attachments.iter().any(photo_waiting) {
        Synced::PhotosWaiting
    } else {
        Synced::Yes
    }
}

/// One photo of a demand, loaded when its page opens (from the device, else the server); a tap
/// shows it full width.
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

/// A resident's contact: the phone masked until the delegate asks to see it (then it can be
/// called with a tap).
#[component]
fn ContactLine(contact: Contact) -> impl IntoView {
    let i18n = ctx().i18n;
    let shown = RwSignal::new(false);
    let masked = mask_phone(&contact.phone);
    let phone = contact.phone.clone();
    view! {
        <li data-testid="contact-item">
            <strong>{contact.name.clone()}</strong>" "
            <Show when=move || shown.get() fallback=move || view! {
                <span data-testid="contact-phone-masked">{masked.clone()}</span>" "
                <button type="button" class="btn link" data-testid="contact-show" on:click=move |_| shown.set(true)>
                    {move || i18n.t("demands.page.show_phone")}
                </button>
            }>
                <a href=format!("tel:{phone}") data-testid="contact-phone-full">{phone.clone()}</a>
            </Show>
            " "<span class="muted date">{when(contact.recorded_at)}</span>
        </li>
    }
}

fn page(
    d: &DemandView,
    pending: &[PendingItem],
    geo: Option<&Geo>,
    i18n: I18n,
) -> impl IntoView + use<> {
    let t = move |k: &'static str| move || i18n.t(k);
    let id = d.demand.id;
    let grid = geo.map_or_else(
        || d.demand.grid.to_string(),
        |g| g.grid_name(&d.demand.grid),
    );
    let by = geo
        .and_then(|g| g.territory.delegate(&d.demand.recorded_by))
        .map_or_else(|| d.demand.recorded_by.to_string(), |x| x.name.clone());
    let st = d.state.status;
    let cat = d.demand.category;
    let n = residents(d);
    let joined = d.joined.clone();
    let sync = synced(d, pending);
    let visit = d.demand.visit;
    let visits = LocalResource::new(move || async move {
        match visit {
            Some(_) => api::list_visits().await,
            None => Ok(Vec::new()),
        }
    });
    let contacts = LocalResource::new(move || api::contacts_of(id));
    // What became of the suggestion it went into, as of the last sync.
    let in_suggestion = d.state.suggestion;
    let suggestion = LocalResource::new(move || async move {
        match in_suggestion {
            Some(s) => api::suggestion(s).await.map(Some),
            None => Ok(None),
        }
    });
    let recorded_at = d.demand.recorded_at;
    let history = d.history.clone();
    // The stage under way and its due day, in working days (the clock the service computed).
    let clock = d.clock.clone().map(|c| {
        let light = c.light.code();
        let words = move || {
            let stage = stage_label(c.stage, i18n.lang.get());
            let due = c.due_day();
            if c.left < 0 {
                i18n.fmt3("demands.clock.over", stage, -c.left, due)
            } else if c.left == 0 {
                i18n.fmt2("demands.clock.today", stage, due)
            } else {
                i18n.fmt3("demands.clock.left", stage, due, c.left)
            }
        };
        view! {
            <dt>{t("demands.clock")}</dt>
            <dd><span class=format!("badge light-{light}") data-testid="demand-clock" data-light=light>{words}</span></dd>
        }
    });
    let hashes = d.demand.attachments.clone();
    view! {
        <p class="full-text" data-testid="demand-full-text">{d.demand.text.clone()}</p>
        <dl class="facts">
            <dt>{t("demands.page.status")}</dt>
            <dd><span class="badge" data-testid="demand-status">{move || status_label(st, i18n.lang.get())}</span></dd>
            {clock}
            <dt>{t("record.category")}</dt>
            <dd>{move || category_label(cat, i18n.lang.get())}</dd>
            <dt>{t("record.grid")}</dt>
            <dd data-testid="demand-grid">{grid}</dd>
            <dt>{t("demands.page.recorded")}</dt>
            <dd><span class="date">{when(recorded_at)}</span>" · "{by}</dd>
            <dt>{t("demands.page.visit")}</dt>
            <dd data-testid="demand-visit">
                <Suspense fallback=move || view! { <span class="muted">{t("loading")}</span> }>
                    {move || Suspend::new(async move {
                        let found = visits.await.ok().and_then(|vs| {
                            vs.into_iter().find(|v| Some(v.visit.id) == visit)
                        });
                        match (visit, found) {
                            (None, _) => view! { <span class="muted">{t("demands.page.no_visit")}</span> }.into_any(),
                            (Some(_), Some(v)) => view! {
                                {v.visit.topic}" · "{v.visit.place}" · "<span class="date">{when(v.visit.started_at)}</span>
                            }.into_any(),
                            (Some(_), None) => view! { <span>{t("demands.page.visit_unknown")}</span> }.into_any(),
                        }
                    })}
                </Suspense>
            </dd>
            <dt>{t("demands.page.residents")}</dt>
            <dd data-testid="demand-residents" data-count=n.to_string()>{move || i18n.fmt1("demands.page.residents_n", n)}</dd>
            {(!joined.is_empty()).then(|| { let k = joined.len(); view! {
                <dt>{t("demands.page.cosigners")}</dt>
                <dd data-testid="demand-cosigners" data-count=k.to_string()>{move || i18n.fmt1("demands.page.cosigners_n", k)}</dd>
            }})}
            <dt>{t("demands.page.sync")}</dt>
            <dd data-testid="demand-sync" data-synced=(sync == Synced::Yes).to_string()>
                {move || match sync {
                    Synced::Yes => i18n.t("demands.page.synced"),
                    Synced::DemandWaiting => i18n.t("demands.page.not_synced"),
                    Synced::PhotosWaiting => i18n.t("demands.page.photos_not_synced"),
                }}
            </dd>
        </dl>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                suggestion.await.ok().flatten().map(|s| {
                    let level = s.state.level.unwrap_or(s.suggestion.level);
                    let level_key = match level {
                        HandlingLevel::Community => "demands.page.level_community",
                        HandlingLevel::Street => "demands.page.level_street",
                        HandlingLevel::District => "demands.page.level_district",
                        HandlingLevel::City => "demands.page.level_city",
                    };
                    let whistles: Vec<&'static str> = s.state.whistles.iter().map(|w| w.zh()).collect();
                    view! {
                        <div class="card suggestion-status" data-testid="demand-suggestion">
                            <h3>{t("demands.page.suggestion")}</h3>
                            <p data-testid="demand-suggestion-title">{s.suggestion.title.clone()}</p>
                            <p class="muted">
                                <span data-testid="demand-suggestion-level">{move || i18n.fmt1("demands.page.level", i18n.t(level_key))}</span>" · "
                                <span data-testid="demand-suggestion-whistles">{move || if whistles.is_empty() {
                                    i18n.t("demands.page.not_whistled").to_owned()
                                } else {
                                    i18n.fmt1("demands.page.whistled", whistles.join("；"))
                                }}</span>
                            </p>
                        </div>
                    }
                })
            })}
        </Suspense>

        <h3>{t("demands.page.contacts")}</h3>
        <Suspense fallback=move || view! { <p class="muted">{t("loading")}</p> }>
            {move || Suspend::new(async move {
                match contacts.await {
                    Ok(items) if items.is_empty() => view! {
                        <p class="muted" data-testid="contacts-none">{move || if n == 0 { i18n.t("demands.page.contacts_none") } else { i18n.t("demands.page.contacts_hidden") }}</p>
                    }.into_any(),
                    Ok(items) => view! {
                        <ul class="contacts" data-testid="contacts">
                            {items.into_iter().map(|contact| view! { <ContactLine contact /> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="muted" data-testid="contacts-error">{e.message}</p> }.into_any(),
                }
            })}
        </Suspense>

        <h3>{t("demands.page.timeline")}</h3>
        <ol class="timeline" data-testid="timeline">
            <li><span class="date">{when(recorded_at)}</span>" "{t("ev.recorded")}</li>
            {history.iter().map(|e| view! { <li><span class="date">{when(e.at)}</span>" "{event_label(e, i18n)}</li> }).collect_view()}
        </ol>
        {(!hashes.is_empty()).then(|| view! {
            <div class="photos" data-testid="demand-photo-strip">
                {hashes.clone().into_iter().map(|hash| view! { <PhotoThumb hash /> }).collect_view()}
            </div>
        })}
    }
}

#[component]
pub fn DemandPage() -> impl IntoView {
    let c = ctx();
    let i18n = c.i18n;
    let t = move |k: &'static str| move || i18n.t(k);
    let params = use_params_map();
    let demand = LocalResource::new(move || {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        async move {
            let id: DemandId = id
                .parse::<uuid::Uuid>()
                .map(DemandId)
                .map_err(|_| ApiError::new(gridvoice_core::ErrorCode::NotFound, "没有这条诉求"))?;
            let d = api::get_demand(id).await?;
            // The sync state is the device's; a list that cannot be read says nothing of it.
            let pending = api::pending().await.unwrap_or_default();
            Ok::<_, ApiError>((d, pending))
        }
    });
    view! {
        <section class="card" data-testid="page-demand">
            <A href="/demands" attr:class="back" attr:data-testid="back-to-demands">{t("demands.page.back")}</A>
            <h2>{t("demands.page.title")}</h2>
            <Suspense fallback=move || view! { <p class="muted">{t("loading")}</p> }>
                <ErrorBoundary fallback=error_list>
                    {move || Suspend::new(async move {
                        let (d, pending) = demand.await?;
                        let geo = c.geo.get_untracked().and_then(Result::ok);
                        Ok::<_, ApiError>(page(&d, &pending, geo.as_deref(), i18n))
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
