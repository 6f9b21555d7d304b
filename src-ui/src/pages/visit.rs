//! Visit 走访: start a voter-contact visit (grid, place, topic, the station's other delegates who
//! come along), then end it with the attendance.
//! The visit under way is kept in localStorage, so demands recorded meanwhile carry its id; the
//! screen offers "record a demand for this visit". Visits are listed newest first.

use gridvoice_core::api::{ApiError, StartVisit};
use gridvoice_core::capture::MAX_SHORT_CHARS;
use gridvoice_core::ids::{DelegateId, GridId, VisitId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::widgets::{FieldError, error_list, esc, when};
use crate::{api, ctx, local};

/// The visit under way on this device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentVisit {
    pub id: VisitId,
    pub grid: GridId,
    pub place: String,
    pub topic: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Draft {
    grid: String,
    place: String,
    topic: String,
    attendance: String,
    #[serde(default)]
    with: Vec<String>,
}

fn short(v: &str) -> Option<&'static str> {
    let v = v.trim();
    if v.is_empty() {
        Some("form.required")
    } else if v.chars().count() > MAX_SHORT_CHARS {
        Some("form.too_long")
    } else {
        None
    }
}

#[component]
pub fn Visit() -> impl IntoView {
    let c = ctx();
    let i18n = c.i18n;
    let t = move |k: &'static str| move || i18n.t(k);
    let d: Draft = local::get(local::keys::DRAFT_VISIT).unwrap_or_default();
    let grid = RwSignal::new(d.grid);
    let place = RwSignal::new(d.place);
    let topic = RwSignal::new(d.topic);
    let attendance = RwSignal::new(d.attendance);
    let with = RwSignal::new(d.with);
    let current = RwSignal::new(local::get::<CurrentVisit>(local::keys::CURRENT_VISIT));
    let errs = RwSignal::new([None::<String>, None, None, None]);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let status = LocalResource::new(api::status);
    let visits = LocalResource::new(api::list_visits);

    Effect::new(move || {
        local::set(
            local::keys::DRAFT_VISIT,
            &Draft {
                grid: grid.get(),
                place: place.get(),
                topic: topic.get(),
                attendance: attendance.get(),
                with: with.get(),
            },
        );
    });
    let err = move |k: usize| Signal::derive(move || errs.get()[k].clone());
    let set_err = move |k: usize, v: Option<&'static str>| {
        errs.update(|e| e[k] = v.map(|key| i18n.t(key).to_owned()));
    };

    let start = move |_| {
        let g = grid.get_untracked();
        set_err(0, g.is_empty().then_some("visit.err.grid"));
        set_err(1, short(&place.get_untracked()));
        set_err(2, short(&topic.get_untracked()));
        if errs.get_untracked()[..3].iter().any(Option::is_some) || busy.get_untracked() {
            return;
        }
        let req = StartVisit {
            grid: GridId::new(g),
            place: place.get_untracked().trim().to_owned(),
            topic: topic.get_untracked().trim().to_owned(),
            delegates: with
                .get_untracked()
                .into_iter()
                .map(DelegateId::new)
                .collect(),
        };
        busy.set(true);
        // The answer may come after the delegate left the page: every write tries.
        spawn_local(async move {
            match api::start_visit(req).await {
                Ok(v) => {
                    let cv = CurrentVisit {
                        id: v.visit.id,
                        grid: v.visit.grid,
                        place: v.visit.place,
                        topic: v.visit.topic,
                    };
                    local::set(local::keys::CURRENT_VISIT, &cv);
                    let _ = current.try_set(Some(cv));
                    let _ = place.try_set(String::new());
                    let _ = topic.try_set(String::new());
                    let _ = with.try_set(Vec::new());
                    let _ = outcome.try_set(Some(Ok(i18n.t("visit.started").to_owned())));
                    visits.refetch();
                }
                Err(e) => {
                    let _ = outcome.try_set(Some(Err(e.message)));
                }
            }
            let _ = busy.try_set(false);
        });
    };

    let end = move |_| {
        let Some(cv) = current.get_untracked() else {
            return;
        };
        let n = attendance.get_untracked().trim().parse::<u32>();
        set_err(3, n.is_err().then_some("visit.err.attendance"));
        let Ok(n) = n else { return };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::end_visit(cv.id, n).await {
                Ok(_) => {
                    local::remove(local::keys::CURRENT_VISIT);
                    let _ = current.try_set(None);
                    let _ = attendance.try_set(String::new());
                    let _ = outcome.try_set(Some(Ok(i18n.t("visit.ended").to_owned())));
                    visits.refetch();
                }
                Err(e) => {
                    let _ = outcome.try_set(Some(Err(e.message)));
                }
            }
            let _ = busy.try_set(false);
        });
    };

    let grid_options = move || {
        let mine = match status.get() {
            Some(Ok(s)) => s.grids,
            _ => Vec::new(),
        };
        let geo = c.geo.get().and_then(Result::ok);
        mine.into_iter()
            .map(|id| {
                let label = geo
                    .as_ref()
                    .map_or_else(|| id.to_string(), |g| g.grid_name(&id));
                let code = id.to_string();
                let selected = grid.get_untracked() == code;
                view! { <option value=code selected=selected>{label}</option> }
            })
            .collect_view()
    };

    // The station's other delegates, who may come along (联合走访).
    let fellows = move || {
        let (me, station) = match status.get() {
            Some(Ok(s)) => (s.delegate, s.station),
            _ => (None, None),
        };
        let geo = c.geo.get().and_then(Result::ok);
        let list: Vec<(String, String)> = geo
            .map(|g| {
                g.territory
                    .delegates
                    .iter()
                    .filter(|d| Some(&d.station) == station.as_ref() && Some(&d.id) != me.as_ref())
                    .map(|d| (d.id.to_string(), d.name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        (!list.is_empty()).then(|| view! {
            <fieldset class="fellows" data-testid="visit-fellows">
                <legend class="label">{t("visit.with")}</legend>
                {list.into_iter().map(|(id, name)| {
                    let checked = with.get_untracked().contains(&id);
                    let id2 = id.clone();
                    view! {
                        <label class="check">
                            <input type="checkbox" data-testid=format!("with-{id}") value=id checked=checked
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    with.update(|w| {
                                        w.retain(|x| x != &id2);
                                        if on { w.push(id2.clone()); }
                                    });
                                } />
                            " "{name}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
        })
    };

    view! {
        <section class="card" data-testid="page-visit">
            <h2>{t("visit.title")}</h2>
            <Show
                when=move || current.get().is_some()
                fallback=move || view! {
                    <label for="visit-grid" class="label">{t("visit.grid")}</label>
                    <select id="visit-grid" data-testid="visit-grid"
                        on:change=move |ev| { grid.set(event_target_value(&ev)); set_err(0, None); }>
                        <option value="">{t("visit.choose_grid")}</option>
                        {grid_options}
                    </select>
                    <FieldError id="visit-grid" msg=err(0) />
                    <label for="visit-place" class="label">{t("visit.place")}</label>
                    <input id="visit-place" data-testid="visit-place" type="text"
                        prop:value=move || place.get()
                        on:input=move |ev| { place.set(event_target_value(&ev)); set_err(1, None); } />
                    <FieldError id="visit-place" msg=err(1) />
                    <label for="visit-topic" class="label">{t("visit.topic")}</label>
                    <input id="visit-topic" data-testid="visit-topic" type="text"
                        prop:value=move || topic.get()
                        on:input=move |ev| { topic.set(event_target_value(&ev)); set_err(2, None); } />
                    <FieldError id="visit-topic" msg=err(2) />
                    {fellows}
                    <button type="button" class="btn primary big" id="start-visit" data-testid="start-visit"
                        disabled=move || busy.get() on:click=start>{t("visit.start")}</button>
                }
            >
                <div data-testid="current-visit">
                    <p><strong>{t("visit.under_way")}</strong>" "
                        {move || current.get().map(|v| format!("{} · {}", v.topic, v.place)).unwrap_or_default()}</p>
                    <A href="/record" attr:class="btn primary big" attr:id="visit-record" attr:data-testid="visit-record">{t("visit.record_for")}</A>
                    <label for="visit-attendance" class="label">{t("visit.attendance")}</label>
                    <input id="visit-attendance" data-testid="visit-attendance" type="number" min="0" inputmode="numeric"
                        prop:value=move || attendance.get()
                        on:input=move |ev| { attendance.set(event_target_value(&ev)); set_err(3, None); } />
                    <FieldError id="visit-attendance" msg=err(3) />
                    <button type="button" class="btn primary big" id="end-visit" data-testid="end-visit"
                        disabled=move || busy.get() on:click=end>{t("visit.end")}</button>
                </div>
            </Show>
            {move || outcome.get().map(|r| match r {
                Ok(m) => view! { <p class="ok" data-testid="visit-ok" role="status">{m}</p> }.into_any(),
                Err(m) => view! { <p class="error" data-testid="visit-error" role="alert">{m}</p> }.into_any(),
            })}
        </section>
        <section class="card">
            <h3>{t("visit.list")}</h3>
            <Suspense fallback=move || view! { <p class="muted">{t("loading")}</p> }>
                <ErrorBoundary fallback=error_list>
                    {move || Suspend::new(async move {
                        let items = visits.await?;
                        if items.is_empty() {
                            return Ok::<_, ApiError>(view! { <p class="empty" data-testid="visits-empty">{t("visit.none")}</p> }.into_any());
                        }
                        let mut items = items;
                        // Newest first: today's visit on top.
                        items.sort_by_key(|v| std::cmp::Reverse(v.visit.started_at));
                        Ok(items.into_iter().map(|v| {
                            let ended = v.state.ended_at.is_some();
                            let attendance = v.state.attendance;
                            // The delegates who came along (联合走访), by name.
                            let names = (v.visit.delegates.len() > 1).then(|| {
                                c.geo.get_untracked().and_then(Result::ok).map_or_else(
                                    || v.visit.delegates.iter().map(ToString::to_string).collect::<Vec<_>>(),
                                    |g| v.visit.delegates.iter().map(|d| g.territory.delegate(d).map_or_else(|| d.to_string(), |x| x.name.clone())).collect(),
                                ).join("、")
                            });
                            view! {
                                // As HTML, escaped: each element of a `view!` is code of its own in
                                // the wasm, which is at its budget.
                                <div class="list-item" data-testid="visit-item" inner_html=move || {
                                    let mut h = format!("<p><strong>{}</strong> · {}</p>", esc(&v.visit.topic), esc(&v.visit.place));
                                    if let Some(names) = &names {
                                        h.push_str(&format!("<p class='muted' data-testid='visit-delegates'>{}</p>", esc(names)));
                                    }
                                    let state = if ended {
                                        format!("{} {}", i18n.t("visit.ended_with"), attendance.unwrap_or_default())
                                    } else {
                                        i18n.t("visit.open").to_owned()
                                    };
                                    h.push_str(&format!("<p class='muted'><span class='date'>{}</span> · {state}</p>", when(v.visit.started_at)));
                                    h
                                }>
                                </div>
                            }
                        }).collect_view().into_any())
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
