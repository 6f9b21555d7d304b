//! Record a demand 记诉求: the heart of the app, under a minute in the field.
//!
//! Text, an optional resident contact (one tap says the resident agrees and opens name and
//! phone), a category chip (kept for the next demand of the same visit), the grid (from the
//! location source without a tap when the fix is good, confirmed near a boundary, or picked on the
//! station's map), optional photos (shrunk in the webview, stored on the device by hash, synced
//! after the demand), and the similar demands already in the grid, to add this resident to one of
//! them instead of recording a duplicate. The save button sits in a bar fixed to the bottom of
//! the screen, with the grid the demand will be filed in.
//!
//! On 保存 with errors the first one is brought into view and its field focused; each error line
//! goes as soon as its cause is fixed. Everything typed lives in a localStorage draft until the
//! backend has answered OK; only then "已保存" appears. A pick on the map is not carried to the next
//! demand when the position can be found again (and is asked to be confirmed when it cannot).
//!
//! Work that ends after the page may have gone (locating, saving, a photo) writes through
//! `try_set`/`try_update`: a signal of a page the delegate left is gone, and writing to it would
//! panic.

mod check;
mod draft;
mod photos;
mod place;
mod similar;

use std::sync::Arc;
use std::time::Duration;

use gridvoice_core::Error as CoreError;
use gridvoice_core::api::{DemandFilter, NewContact, RecordDemand};
use gridvoice_core::capture::check_text;
use gridvoice_core::category::{Category, CategoryGroup};
use gridvoice_core::geography::locate::Placement;
use gridvoice_core::ids::{DemandId, GridId, StationId};
use gridvoice_core::model::Location;
use leptos::prelude::*;
use leptos::task::spawn_local;

use self::check::{Errors, contact_errors};
use self::draft::{Draft, new_demand_id};
use self::photos::photo_section;
use self::place::{Asked, Fix, map_pick, placement_view};
use self::similar::similar_section;
use crate::location::{self, NoFix};
use crate::pages::visit::CurrentVisit;
use crate::widgets::{FieldError, bring_into_view, category_label, focus};
use crate::{Geo, api, ctx, local};

#[derive(Debug, Clone, PartialEq)]
enum Save {
    Idle,
    Saving,
    /// 保存 was refused by the form itself (the reasons are next to the fields).
    Invalid,
    Saved {
        message: String,
        demand: String,
    },
    Failed(String),
}

#[component]
pub fn Record() -> impl IntoView {
    let c = ctx();
    let i18n = c.i18n;
    let t = move |k: &'static str| move || i18n.t(k);

    let draft: Draft = local::get(local::keys::DRAFT_RECORD).unwrap_or_default();
    let id = RwSignal::new(if draft.id.is_empty() {
        new_demand_id().to_string()
    } else {
        draft.id.clone()
    });
    // The contact part is open once the delegate said the resident agrees, or holds something.
    let contact_open =
        RwSignal::new(draft.consent || !draft.name.is_empty() || !draft.phone.is_empty());
    let text = RwSignal::new(draft.text);
    let category = RwSignal::new(draft.category);
    let name = RwSignal::new(draft.name);
    let phone = RwSignal::new(draft.phone);
    let consent = RwSignal::new(draft.consent);
    let photos = RwSignal::new(draft.photos);
    // Previews of the photos added in this session (a reopened draft shows a placeholder).
    let previews = RwSignal::new(std::collections::HashMap::<String, String>::new());
    let fix = RwSignal::new(Fix::Locating);
    let confirmed = RwSignal::new(false);
    // The grid is the last demand's, kept because the position could not be found again.
    let carried = RwSignal::new(false);
    let show_map = RwSignal::new(false);
    let errors = RwSignal::new(Errors::default());
    // "Add this resident" needs a contact; a new demand does not.
    let require_contact = RwSignal::new(false);
    let save = RwSignal::new(Save::Idle);
    let visit: Option<CurrentVisit> = local::get(local::keys::CURRENT_VISIT);
    let visit_id = visit.as_ref().map(|v| v.id);
    let status = LocalResource::new(api::status);
    let my_station = move || -> Option<StationId> {
        match status.get() {
            Some(Ok(s)) => s.station,
            _ => None,
        }
    };
    let station_name = move |id: &StationId| match c.geo.get_untracked() {
        Some(Ok(g)) => g
            .territory
            .station(id)
            .map_or_else(|| id.to_string(), |s| s.name.clone()),
        _ => id.to_string(),
    };

    // Every keystroke goes to the draft.
    Effect::new(move || {
        let d = Draft {
            id: id.get(),
            text: text.get(),
            category: category.get(),
            name: name.get(),
            phone: phone.get(),
            consent: consent.get(),
            photos: photos.get(),
        };
        local::set(local::keys::DRAFT_RECORD, &d);
    });

    // A new demand starts in its text: no tap to get there (once the page is on screen).
    if text.get_untracked().is_empty() {
        set_timeout(|| focus("demand-text"), Duration::ZERO);
    }

    // Find the position, then the grid. `fallback`: the last demand's grid, kept (to be
    // confirmed) when no position can be had now.
    let locate = move |g: Arc<Geo>, fallback: Option<Placement>| {
        let _ = fix.try_set(Fix::Locating);
        let _ = confirmed.try_set(false);
        let _ = carried.try_set(false);
        spawn_local(async move {
            let next = match location::current().await {
                Ok(loc) => match g.locator.locate_location(&loc) {
                    Ok(p) => Fix::Located(loc, p),
                    Err(_) => Fix::None(NoFix::Failed),
                },
                Err(why) => Fix::None(why),
            };
            let next = match (next, fallback) {
                (Fix::None(_), Some(p)) => {
                    let _ = carried.try_set(true);
                    Fix::Picked(None, p)
                }
                (next, _) => next,
            };
            if matches!(next, Fix::None(_)) {
                let _ = show_map.try_set(true);
            }
            let _ = fix.try_set(next);
        });
    };
    let started = StoredValue::new(false);
    Effect::new(move || {
        if let Some(Ok(g)) = c.geo.get()
            && !started.get_value()
        {
            started.set_value(true);
            locate(g, None);
        }
    });
    let relocate = move |_| {
        if let Some(Ok(g)) = c.geo.get_untracked() {
            locate(g, None);
        }
    };
    // A position in another station's grid: the map, with the station's own grids, at once.
    Effect::new(move || {
        if let (Fix::Located(_, p), Some(mine)) = (fix.get(), my_station())
            && p.station != mine
        {
            show_map.set(true);
        }
    });

    let pick = move |grid: GridId, keep: Option<Location>| {
        if let Some(Ok(g)) = c.geo.get_untracked()
            && let Ok(p) = g.locator.pick(&grid)
        {
            fix.set(Fix::Picked(keep, p));
            confirmed.set(true);
            carried.set(false);
        }
    };
    // What the form would say now (tracked: the effect below re-reads it as the fields change).
    let validate = move || -> Errors {
        let mut e = Errors::default();
        match check_text(&text.get()) {
            Ok(_) => {}
            Err(CoreError::TextTooLong { len, max }) => {
                e.text = Some(i18n.fmt2("record.err.text_long", len, max));
            }
            Err(_) => e.text = Some(i18n.t("record.err.text_empty").into()),
        }
        if category.get().is_none() {
            e.category = Some(i18n.t("record.err.category").into());
        }
        match fix.get() {
            Fix::Locating | Fix::None(_) => {
                e.location = Some(i18n.t("record.err.no_grid").into());
            }
            Fix::Located(_, p) | Fix::Picked(_, p) => {
                let asked = carried.get() || p.needs_confirmation();
                if asked && !confirmed.get() {
                    e.location = Some(i18n.t("record.err.confirm").into());
                } else if let Some(mine) = my_station()
                    && mine != p.station
                {
                    e.location = Some(i18n.t("record.err.other_station").into());
                }
            }
        }
        contact_errors(
            &mut e,
            i18n,
            &name.get(),
            &phone.get(),
            consent.get(),
            require_contact.get(),
        );
        e
    };
    // Error lines go as soon as their cause is fixed (and the summary with the last of them).
    Effect::new(move || {
        let now = validate();
        let Some(shown) = errors.try_get_untracked() else {
            return;
        };
        let left = shown.fixed(&now);
        if left != shown {
            errors.set(left.clone());
        }
        if !left.any() && save.get_untracked() == Save::Invalid {
            save.set(Save::Idle);
        }
    });
    // Shows errors, then brings the first into view (its field focused; the contact part opened
    // when it is there).
    let show_errors = move |e: Errors| {
        let first = e.first();
        errors.set(e);
        if let Some((field, in_contact)) = first {
            if in_contact {
                contact_open.set(true);
            }
            // After the page has drawn what was just opened.
            set_timeout(move || bring_into_view(field, true), Duration::ZERO);
        }
    };

    let contact = move || -> Option<NewContact> {
        let (n, p) = (name.get_untracked(), phone.get_untracked());
        (!n.trim().is_empty() || !p.trim().is_empty()).then(|| NewContact {
            name: n.trim().to_owned(),
            phone: p.trim().to_owned(),
            consent: consent.get_untracked(),
        })
    };
    let open_contact = move |_| {
        contact_open.set(true);
        consent.set(true);
        set_timeout(|| bring_into_view("contact-name", true), Duration::ZERO);
    };
    let remove_contact = move |_| {
        name.set(String::new());
        phone.set(String::new());
        consent.set(false);
        contact_open.set(false);
    };

    // After a save: a fresh form. The category stays within a visit (the same topic, usually).
    // Runs when the backend answers, maybe after the delegate left the page: every write tries.
    let reset = move || {
        local::remove(local::keys::DRAFT_RECORD);
        let _ = id.try_set(new_demand_id().to_string());
        let _ = text.try_set(String::new());
        if visit_id.is_none() {
            let _ = category.try_set(None);
        }
        let _ = name.try_set(String::new());
        let _ = phone.try_set(String::new());
        let _ = consent.try_set(false);
        let _ = contact_open.try_set(false);
        let _ = require_contact.try_set(false);
        let _ = photos.try_set(Vec::new());
        let _ = previews.try_set(std::collections::HashMap::new());
        // The next demand is placed anew: a pick is not carried over when a position can be had.
        if let (Some(Ok(g)), Some(f)) = (c.geo.get_untracked(), fix.try_get_untracked()) {
            locate(g, f.placement().cloned());
        }
    };

    // Similar demands already in this grid, from the device's own data.
    let grid_of_fix = Memo::new(move |_| fix.get().placement().map(|p| p.grid.clone()));
    let in_grid = LocalResource::new(move || {
        let grid = grid_of_fix.get();
        async move {
            match grid {
                None => Ok(Vec::new()),
                Some(grid) => api::list_demands(DemandFilter {
                    grid: Some(grid),
                    limit: Some(200),
                    ..DemandFilter::default()
                })
                .await
                .map(|(items, _)| items),
            }
        }
    });
    let on_save = move |_| {
        if save.get_untracked() == Save::Saving {
            return;
        }
        require_contact.set(false);
        let e = untrack(validate);
        if e.any() {
            save.set(Save::Invalid);
            show_errors(e);
            return;
        }
        errors.set(Errors::default());
        let (location, grid) = match fix.get_untracked() {
            Fix::Located(l, p) => (Some(l), p.grid),
            Fix::Picked(l, p) => (l, p.grid),
            _ => return,
        };
        let Ok(demand_id) = id.get_untracked().parse::<uuid::Uuid>() else {
            id.set(new_demand_id().to_string());
            return;
        };
        let req = RecordDemand {
            text: text.get_untracked().trim().to_owned(),
            category: category
                .get_untracked()
                .map(|c| c.code().to_owned())
                .unwrap_or_default(),
            grid: Some(grid),
            location,
            visit: visit_id,
            contact: contact(),
            id: Some(DemandId(demand_id)),
            attachments: photos.get_untracked(),
        };
        save.set(Save::Saving);
        spawn_local(async move {
            match api::record_demand(req).await {
                Ok(d) => {
                    let grid = match c.geo.get_untracked() {
                        Some(Ok(g)) => g.grid_name(&d.demand.grid),
                        _ => d.demand.grid.to_string(),
                    };
                    let _ = save.try_set(Save::Saved {
                        message: format!("{} · {grid}", i18n.t("record.saved")),
                        demand: d.demand.id.to_string(),
                    });
                    reset();
                    in_grid.refetch();
                }
                Err(e) => {
                    let _ = save.try_set(Save::Failed(e.message));
                }
            }
        });
    };

    let attach = move |demand: DemandId| {
        require_contact.set(true);
        let mut e = Errors::default();
        contact_errors(
            &mut e,
            i18n,
            &name.get_untracked(),
            &phone.get_untracked(),
            consent.get_untracked(),
            true,
        );
        if e.any() {
            save.set(Save::Failed(
                i18n.t("record.err.attach_needs_contact").into(),
            ));
            show_errors(e);
            return;
        }
        let Some(contact) = contact() else { return };
        save.set(Save::Saving);
        spawn_local(async move {
            match api::attach_contact(demand, contact).await {
                Ok(d) => {
                    let _ = save.try_set(Save::Saved {
                        message: i18n.t("record.attached").into(),
                        demand: d.to_string(),
                    });
                    reset();
                    in_grid.refetch();
                }
                Err(e) => {
                    let _ = save.try_set(Save::Failed(e.message));
                }
            }
        });
    };

    let chip_group = move |group: CategoryGroup, title: &'static str| {
        let chips = Category::ALL
            .iter()
            .copied()
            .filter(move |c| c.group() == group)
            .map(|cat| {
                view! {
                    <button
                        type="button"
                        class="chip"
                        class:selected=move || category.get() == Some(cat)
                        aria-pressed=move || (category.get() == Some(cat)).to_string()
                        data-testid=format!("chip-{}", cat.code())
                        data-category=cat.code()
                        on:click=move |_| category.set(Some(cat))
                    >
                        {move || category_label(cat, i18n.lang.get())}
                    </button>
                }
            })
            .collect_view();
        view! {
            <div class="chip-group">
                <span class="chip-group-title">{t(title)}</span>
                <div class="chips">{chips}</div>
            </div>
        }
    };

    let fix_view = move || {
        let geo = match c.geo.get() {
            Some(Ok(g)) => g,
            Some(Err(e)) => return view! { <p class="error">{e.message}</p> }.into_any(),
            None => return view! { <p class="muted">{t("loading")}</p> }.into_any(),
        };
        let f = fix.get();
        let Some(p) = f.placement().cloned() else {
            return match f {
                Fix::None(why) => {
                    let reason = match why {
                        NoFix::Unsupported => "record.nofix.unsupported",
                        NoFix::Denied => "record.nofix.denied",
                        NoFix::Timeout => "record.nofix.timeout",
                        NoFix::Failed => "record.nofix.failed",
                    };
                    view! { <p class="warn" data-testid="no-fix">{t(reason)}" "{t("record.pick_hint")}</p> }.into_any()
                }
                _ => view! { <p class="muted" data-testid="locating">{t("record.locating")}</p> }
                    .into_any(),
            };
        };
        let loc = match &f {
            Fix::Located(l, _) | Fix::Picked(Some(l), _) => Some(*l),
            _ => None,
        };
        let elsewhere = my_station()
            .filter(|mine| *mine != p.station)
            .map(|_| station_name(&p.station));
        placement_view(
            &geo,
            &p,
            loc.as_ref(),
            Asked {
                confirmed,
                carried: carried.get(),
                elsewhere,
            },
            i18n,
            pick,
        )
        .into_any()
    };

    let filed_in = move || match (fix.get().placement(), c.geo.get()) {
        (Some(p), Some(Ok(g))) => i18n.fmt1("record.filed_in", g.grid_name(&p.grid)),
        _ => i18n.t("record.filed_in_none").to_owned(),
    };

    view! {
        <section class="card record" data-testid="page-record">
            <h2>{t("record.title")}</h2>
            {visit.map(|v| view! { <p class="muted" data-testid="record-visit">{t("record.in_visit")}" "{v.topic}" · "{v.place}</p> })}

            <label for="demand-text" class="label">{t("record.text")}</label>
            <textarea
                id="demand-text"
                data-testid="demand-text"
                rows="3"
                placeholder=move || i18n.t("record.text_ph")
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
            <FieldError id="demand-text" msg=Signal::derive(move || errors.get().text) />

            <Show
                when=move || contact_open.get()
                fallback=move || view! {
                    <button type="button" class="btn contact-add" id="contact-add" data-testid="contact-add" on:click=open_contact>
                        {t("record.contact_add")}
                    </button>
                }
            >
                <div class="contact" data-testid="contact">
                    <span class="label">{t("record.contact")}</span>
                    <label for="contact-name" class="sublabel">{t("record.contact_name")}</label>
                    <input
                        id="contact-name"
                        data-testid="contact-name"
                        type="text"
                        autocomplete="off"
                        enterkeyhint="next"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    <FieldError id="contact-name" msg=Signal::derive(move || errors.get().name) />
                    <label for="contact-phone" class="sublabel">{t("record.contact_phone")}</label>
                    <input
                        id="contact-phone"
                        data-testid="contact-phone"
                        type="tel"
                        inputmode="tel"
                        autocomplete="off"
                        prop:value=move || phone.get()
                        on:input=move |ev| phone.set(event_target_value(&ev))
                    />
                    <FieldError id="contact-phone" msg=Signal::derive(move || errors.get().phone) />
                    <label class="check">
                        <input
                            id="contact-consent"
                            data-testid="contact-consent"
                            type="checkbox"
                            prop:checked=move || consent.get()
                            on:change=move |ev| consent.set(event_target_checked(&ev))
                        />
                        <span>{t("record.consent")}</span>
                    </label>
                    <FieldError id="contact-consent" msg=Signal::derive(move || errors.get().consent) />
                    <button type="button" class="btn link" data-testid="contact-remove" on:click=remove_contact>
                        {t("record.contact_remove")}
                    </button>
                </div>
            </Show>

            <span class="label">{t("record.category")}</span>
            <div id="demand-category" tabindex="-1">
                {chip_group(CategoryGroup::SevenHaves, "cat.seven")}
                {chip_group(CategoryGroup::FiveQualities, "cat.five")}
                {chip_group(CategoryGroup::Topic, "cat.topics")}
            </div>
            <FieldError id="demand-category" msg=Signal::derive(move || errors.get().category) />

            <span class="label">{t("record.where")}</span>
            <div class="fix" data-testid="fix">{fix_view}</div>
            <div class="row">
                <button type="button" class="btn" id="relocate" data-testid="relocate" on:click=relocate>{t("record.relocate")}</button>
                <button type="button" class="btn" id="pick-on-map" data-testid="pick-on-map" on:click=move |_| show_map.update(|s| *s = !*s)>{t("record.pick_on_map")}</button>
            </div>
            <FieldError id="demand-location" msg=Signal::derive(move || errors.get().location) />
            {map_pick(i18n, status, fix, show_map, move |grid| pick(grid, None))}
            {photo_section(i18n, photos, previews, errors)}

            <div class="save-bar" data-testid="save-bar">
                {move || match save.get() {
                    Save::Saved { message, demand } => view! {
                        <p class="ok" id="save-ok" data-testid="saved" data-demand-id=demand role="status">{message}</p>
                    }.into_any(),
                    Save::Failed(m) => view! {
                        <p class="error" id="save-error" data-testid="save-error" role="alert">{m}</p>
                    }.into_any(),
                    Save::Invalid => view! {
                        <p class="error" id="save-error" data-testid="save-error" role="alert">{t("form.fix_fields")}</p>
                    }.into_any(),
                    _ => view! { <p class="muted filed-in" data-testid="filed-in">{filed_in}</p> }.into_any(),
                }}
                <button
                    type="button"
                    class="btn primary big"
                    id="save-demand"
                    data-testid="save-demand"
                    disabled=move || save.get() == Save::Saving
                    on:click=on_save
                >
                    {move || if save.get() == Save::Saving { i18n.t("saving") } else { i18n.t("record.save") }}
                </button>
            </div>
        </section>
        {similar_section(i18n, in_grid, text, grid_of_fix, attach)}
    }
}
