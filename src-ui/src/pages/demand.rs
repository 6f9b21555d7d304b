//! One demand 诉求详情: the full text, its status, category, grid, who recorded it and when, the
//! visit it was recorded on, how many residents left a contact, whether the server has it yet,
//! the residents' contacts (to those the service lets see them: the recording delegate, their
//! station head, the office; phones masked until asked), its timeline and its photos.

use gridvoice_core::api::ApiError;
use gridvoice_core::category::Category;
use gridvoice_core::clock::Timestamp;
use gridvoice_core::deadline::StageClock;
use gridvoice_core::device::PendingItem;
use gridvoice_core::ids::DemandId;
use gridvoice_core::model::{Contact, mask_phone};
use gridvoice_core::territory::HandlingLevel;
use gridvoice_core::workflow::DemandStatus;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::{DemandView, Event};
use crate::i18n::I18n;
use crate::widgets::{
    category_label, error_list, esc, outcome_label, stage_label, status_label, when,
};
use crate::{Geo, api, ctx};

/// An event as the timeline names it, with the words it carries (an answer, a reason, a note;
/// units by their names). Kinds are `EventKind`'s wire names (`api::Event`).
fn event_label(e: &Event, i18n: I18n, geo: Option<&Geo>) -> String {
    let unit = |code: &str| geo.map_or_else(|| code.to_owned(), |g| g.unit_name(code));
    let k = match e.kind.as_str() {
        "reviewed" => "ev.reviewed",
        "joined_into" => "ev.joined",
        "added_to_suggestion" => "ev.suggestion",
        "contact_attached" => "ev.contact",
        "withdrawn" => "ev.withdrawn",
        "answered_on_spot" => "ev.on_spot",
        "handed_to_workroom" => "ev.workroom",
        "out_of_scope" => "ev.out_of_scope",
        "routed" => "ev.routed",
        "returned" => "ev.returned",
        "answered" => "ev.answered",
        "paused" => "ev.paused",
        "resumed" => "ev.resumed",
        "extended" => "ev.extended",
        "called_back" => "ev.called_back",
        "fed_back" => "ev.fed_back",
        "closed" => "ev.closed",
        "reopened" => "ev.reopened",
        "note" => "ev.note",
        "classified" => "ev.classified",
        "whistled" => "ev.whistled",
        "visit_ended" => "ev.visit_ended",
        _ => "ev.unknown",
    };
    let mut parts: Vec<String> = Vec::new();
    match e.kind.as_str() {
        "routed" => {
            if let Some(u) = &e.unit {
                parts.push(unit(u));
            }
            if !e.assisting.is_empty() {
                let names: Vec<String> = e.assisting.iter().map(|u| unit(u)).collect();
                parts.push(i18n.fmt1("ev.assisting", names.join("、")));
            }
            if let Some(d) = e.deadline {
                parts.push(format!("{} {}", i18n.t("ev.deadline"), when(d)));
            }
        }
        "returned" | "answered" => parts.extend(e.unit.as_deref().map(unit)),
        "extended" => {
            if let Some(d) = e.deadline {
                parts.push(format!("{} {}", i18n.t("ev.new_deadline"), when(d)));
            }
        }
        "called_back" => {
            if let Some(s) = e.satisfaction() {
                parts.push(outcome_label(s, i18n).to_owned());
            }
        }
        _ => {}
    }
    // The words: an answer, a reason, a note (each kind carries at most one of them).
    parts.extend(
        [&e.text, &e.answer, &e.reason, &e.note]
            .into_iter()
            .flatten()
            .filter(|w| !w.trim().is_empty())
            .cloned(),
    );
    if parts.is_empty() {
        i18n.t(k).to_owned()
    } else {
        format!("{}：{}", i18n.t(k), parts.join("；"))
    }
}

/// Residents who left a contact: the one recorded with the demand, and each one added later.
fn residents(d: &DemandView) -> usize {
    usize::from(d.demand.contacts_in.is_some())
        + d.history
            .iter()
            .filter(|e| e.kind == "contact_attached")
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

/// The demand's facts that react only to the language: status, clock, the units on the case,
/// reopenings, category, grid, who recorded it and when.
#[derive(Debug, Clone)]
struct Facts {
    status: DemandStatus,
    clock: Option<StageClock>,
    /// Each unit's name, whether it leads, and its answer this round.
    units: Vec<(String, bool, Option<String>)>,
    reopened: u32,
    category: Category,
    grid: String,
    recorded_at: Timestamp,
    by: String,
}

impl Facts {
    /// As the `<dt>`/`<dd>` pairs of a `<dl>`, every text escaped. One string rather than a
    /// `view!`: each element of a `view!` is code of its own in the wasm, which is at its budget.
    fn html(&self, i18n: I18n) -> String {
        use std::fmt::Write;
        let lang = i18n.lang.get();
        let mut h = String::new();
        // `write!` into a String cannot fail; the results are ignored for that reason.
        let _ = write!(
            h,
            "<dt>{}</dt><dd><span class='badge' data-testid='demand-status'>{}</span></dd>",
            i18n.t("demands.page.status"),
            status_label(self.status, lang)
        );
        // The stage under way and its due day, in working days (the clock the service computed).
        if let Some(c) = &self.clock {
            let light = c.light.code();
            let stage = stage_label(c.stage, lang);
            let due = c.due_day();
            let words = if c.left < 0 {
                i18n.fmt3("demands.clock.over", stage, -c.left, due)
            } else if c.left == 0 {
                i18n.fmt2("demands.clock.today", stage, due)
            } else {
                i18n.fmt3("demands.clock.left", stage, due, c.left)
            };
            let _ = write!(
                h,
                "<dt>{}</dt><dd><span class='badge light-{light}' data-testid='demand-clock' data-light='{light}'>{}</span></dd>",
                i18n.t("demands.clock"),
                esc(&words)
            );
        }
        // The units the case is routed to, the lead first, each with its answer this round.
        if !self.units.is_empty() {
            let _ = write!(
                h,
                "<dt>{}</dt><dd><ul class='units' data-testid='demand-units'>",
                i18n.t("demands.page.units")
            );
            for (name, lead, answer) in &self.units {
                let role = if *lead {
                    "demands.page.lead"
                } else {
                    "demands.page.assisting"
                };
                let answer = answer.as_deref().map_or_else(
                    || {
                        format!(
                            "<span class='muted'>{}</span>",
                            i18n.t("demands.page.not_answered")
                        )
                    },
                    esc,
                );
                let _ = write!(
                    h,
                    "<li data-testid='demand-unit' data-lead='{lead}'><strong>{}</strong> <span class='badge'>{}</span><span class='unit-answer'>{answer}</span></li>",
                    esc(name),
                    i18n.t(role)
                );
            }
            h.push_str("</ul></dd>");
        }
        if self.reopened > 0 {
            let _ = write!(
                h,
                "<dt>{}</dt><dd data-testid='demand-reopened'>{}</dd>",
                i18n.t("demands.page.reopened"),
                i18n.fmt1("demands.page.reopened_n", self.reopened)
            );
        }
        let _ = write!(
            h,
            "<dt>{}</dt><dd>{}</dd><dt>{}</dt><dd data-testid='demand-grid'>{}</dd><dt>{}</dt><dd><span class='date'>{}</span> · {}</dd>",
            i18n.t("record.category"),
            category_label(self.category, lang),
            i18n.t("record.grid"),
            esc(&self.grid),
            i18n.t("demands.page.recorded"),
            when(self.recorded_at),
            esc(&self.by)
        );
        h
    }
}

/// The residents who left a contact, the co-signers (when any) and whether the server has it.
fn counts_html(n: usize, cosigners: usize, sync: Synced, i18n: I18n) -> String {
    use std::fmt::Write;
    let mut h = format!(
        "<dt>{}</dt><dd data-testid='demand-residents' data-count='{n}'>{}</dd>",
        i18n.t("demands.page.residents"),
        i18n.fmt1("demands.page.residents_n", n)
    );
    // `write!` into a String cannot fail; the results are ignored for that reason.
    if cosigners > 0 {
        let _ = write!(
            h,
            "<dt>{}</dt><dd data-testid='demand-cosigners' data-count='{cosigners}'>{}</dd>",
            i18n.t("demands.page.cosigners"),
            i18n.fmt1("demands.page.cosigners_n", cosigners)
        );
    }
    let words = match sync {
        Synced::Yes => i18n.t("demands.page.synced"),
        Synced::DemandWaiting => i18n.t("demands.page.not_synced"),
        Synced::PhotosWaiting => i18n.t("demands.page.photos_not_synced"),
    };
    let _ = write!(
        h,
        "<dt>{}</dt><dd data-testid='demand-sync' data-synced='{}'>{words}</dd>",
        i18n.t("demands.page.sync"),
        sync == Synced::Yes
    );
    h
}

/// The timeline's items: recorded, then each event (dates and labels escaped).
fn timeline_html(recorded_at: Timestamp, events: &[(Timestamp, String)], i18n: I18n) -> String {
    use std::fmt::Write;
    let mut h = format!(
        "<li><span class='date'>{}</span> {}</li>",
        when(recorded_at),
        i18n.t("ev.recorded")
    );
    for (at, label) in events {
        // `write!` into a String cannot fail.
        let _ = write!(
            h,
            "<li><span class='date'>{}</span> {}</li>",
            when(*at),
            esc(label)
        );
    }
    h
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
    let cat = d.demand.category;
    let n = residents(d);
    let cosigners = d.joined.len();
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
    // The facts that react only to the language, as one piece of HTML (`facts_html`).
    let facts = Facts {
        status: d.state.status,
        clock: d.clock.clone(),
        units: d
            .state
            .units
            .iter()
            .map(|u| {
                let name = geo.map_or_else(|| u.unit.clone(), |g| g.unit_name(&u.unit));
                (name, u.lead, u.answer.clone())
            })
            .collect(),
        reopened: d.state.reopened,
        category: cat,
        grid,
        recorded_at,
        by,
    };
    let timeline = history
        .iter()
        .map(|e| (e.at, event_label(e, i18n, geo)))
        .collect::<Vec<_>>();
    let hashes = d.demand.attachments.clone();
    view! {
        <p class="full-text" data-testid="demand-full-text">{d.demand.text.clone()}</p>
        // One grid of facts in three parts (two of them HTML): the parts lay their items out in
        // the grid (`display: contents`), so the labels line up.
        <div class="facts">
        <dl class="contents" inner_html=move || facts.html(i18n)></dl>
        <dl class="contents">
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
        </dl>
        <dl class="contents" inner_html=move || counts_html(n, cosigners, sync, i18n)></dl>
        </div>
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
        <ol class="timeline" data-testid="timeline" inner_html=move || timeline_html(recorded_at, &timeline, i18n)></ol>
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
