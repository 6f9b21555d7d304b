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

use std::sync::Arc;
use std::time::Duration;

use gridvoice_core::Error as CoreError;
use gridvoice_core::api::{ApiError, DemandFilter, DemandView, NewContact, RecordDemand};
use gridvoice_core::capture::{MAX_PHOTOS, MAX_SHORT_CHARS, PhoneProblem, check_phone, check_text};
use gridvoice_core::category::{Category, CategoryGroup};
use gridvoice_core::geography::locate::Placement;
use gridvoice_core::ids::{DemandId, GridId, StationId};
use gridvoice_core::model::{Location, LocationSource};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;

use crate::i18n::I18n;
use crate::location::{self, NoFix};
use crate::pages::visit::CurrentVisit;
use crate::photo::{self, PhotoError};
use crate::widgets::{
    FieldError, bring_into_view, category_label, clip, error_list, focus, now_ms, status_label,
    when,
};
use crate::{Geo, api, ctx, local, map};

/// What survives the app being closed mid-form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Draft {
    /// The demand's id, made once per draft, so a retried save stores the record once.
    id: String,
    text: String,
    category: Option<Category>,
    name: String,
    phone: String,
    consent: bool,
    /// Photos already stored on the device, by hash.
    #[serde(default)]
    photos: Vec<String>,
}

/// A fresh UUIDv7 (time-ordered, like the core's ids), from the browser's clock and randomness.
fn new_demand_id() -> DemandId {
    let mut rand = [0u8; 10];
    // crypto.getRandomValues cannot fail for 10 bytes; on the odd failure the time part alone
    // still makes the id unique enough for one device's drafts.
    let _ = getrandom_fill(&mut rand);
    let ms = u64::try_from(now_ms()).unwrap_or_default();
    DemandId(uuid::Builder::from_unix_timestamp_millis(ms, &rand).into_uuid())
}

#[cfg(target_arch = "wasm32")]
fn getrandom_fill(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    getrandom::fill(buf)
}

#[cfg(not(target_arch = "wasm32"))]
fn getrandom_fill(buf: &mut [u8]) -> Result<(), ()> {
    // Host builds only type-check the UI; it never runs there.
    for (i, b) in buf.iter_mut().enumerate() {
        *b = u8::try_from(i).unwrap_or_default();
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
enum Fix {
    Locating,
    /// A position, and where it falls.
    Located(Location, Placement),
    /// Picked on the map (or chosen between two grids near a boundary, or the last demand's grid
    /// kept when the position could not be found again).
    Picked(Option<Location>, Placement),
    None(NoFix),
}

impl Fix {
    fn placement(&self) -> Option<&Placement> {
        match self {
            Fix::Located(_, p) | Fix::Picked(_, p) => Some(p),
            _ => None,
        }
    }
}

/// The reason next to each field (in the order the fields stand on the page).
#[derive(Debug, Clone, Default, PartialEq)]
struct Errors {
    text: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    consent: Option<String>,
    category: Option<String>,
    location: Option<String>,
    photo: Option<String>,
}

impl Errors {
    fn any(&self) -> bool {
        *self != Errors::default()
    }

    /// The errors shown, less those whose cause is gone: `now` is what the form would say today.
    /// A field that had no error keeps none (new errors wait for the next 保存); a field whose
    /// error changed says the new one. Photo errors come from adding a photo, not from the form.
    fn fixed(&self, now: &Errors) -> Errors {
        let keep = |old: &Option<String>, new: &Option<String>| old.as_ref().and(new.clone());
        Errors {
            text: keep(&self.text, &now.text),
            name: keep(&self.name, &now.name),
            phone: keep(&self.phone, &now.phone),
            consent: keep(&self.consent, &now.consent),
            category: keep(&self.category, &now.category),
            location: keep(&self.location, &now.location),
            photo: self.photo.clone(),
        }
    }

    /// The id of the first field in error (what 保存 brings into view), and whether it is in the
    /// contact part.
    fn first(&self) -> Option<(&'static str, bool)> {
        [
            (self.text.is_some(), "demand-text", false),
            (self.name.is_some(), "contact-name", true),
            (self.phone.is_some(), "contact-phone", true),
            (self.consent.is_some(), "contact-consent", true),
            (self.category.is_some(), "demand-category", false),
            (self.location.is_some(), "demand-location-error", false),
            (self.photo.is_some(), "demand-photo-error", false),
        ]
        .into_iter()
        .find(|(on, _, _)| *on)
        .map(|(_, id, contact)| (id, contact))
    }
}

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

/// Similarity of two texts: Dice coefficient over character bigrams (works for Chinese without
/// a tokenizer).
fn similarity(a: &str, b: &str) -> f64 {
    fn bigrams(s: &str) -> Vec<(char, char)> {
        let cs: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
        let mut v: Vec<(char, char)> = cs.windows(2).map(|w| (w[0], w[1])).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    let (x, y) = (bigrams(a), bigrams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let common = x.iter().filter(|g| y.binary_search(g).is_ok()).count();
    2.0 * common as f64 / (x.len() + y.len()) as f64
}

const SIMILAR_MIN: f64 = 0.2;

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
    let photo_busy = RwSignal::new(false);
    let fix = RwSignal::new(Fix::Locating);
    let confirmed = RwSignal::new(false);
    // The grid is the last demand's, kept because the position could not be found again.
    let carried = RwSignal::new(false);
    let show_map = RwSignal::new(false);
    // The whole street on the map, rather than the station's part of it.
    let whole_street = RwSignal::new(false);
    let pick_warning = RwSignal::new(None::<String>);
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
    let on_map_click = move |ev: leptos::ev::MouseEvent| {
        let code = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("[data-grid]").ok().flatten())
            .and_then(|el| el.get_attribute("data-grid"));
        let Some(code) = code else { return };
        let grid = GridId::new(code);
        let Some(Ok(g)) = c.geo.get_untracked() else {
            return;
        };
        let theirs = g.territory.grid(&grid).map(|x| x.station.clone());
        // Warned before it is taken: a demand is filed in a grid of the delegate's own station.
        if let (Some(theirs), Some(Ok(s))) = (theirs, status.get_untracked())
            && let Some(mine) = s.station
            && theirs != mine
        {
            pick_warning.set(Some(i18n.fmt2(
                "record.pick_other_station",
                g.grid_name(&grid),
                station_name(&theirs),
            )));
            return;
        }
        pick_warning.set(None);
        pick(grid, None);
        show_map.set(false);
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

    let on_photo = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        // Cleared so that choosing the same picture again fires again.
        input.set_value("");
        if photos.get_untracked().len() >= MAX_PHOTOS {
            errors.update(|e| e.photo = Some(i18n.fmt1("record.photo_max", MAX_PHOTOS)));
            return;
        }
        photo_busy.set(true);
        errors.update(|e| e.photo = None);
        spawn_local(async move {
            let stored = match photo::shrink(&file).await {
                Ok(small) => api::put_photo(small.base64)
                    .await
                    .map(|saved| (saved.hash, small.data_url))
                    .map_err(|e| e.message),
                Err(PhotoError::NotAnImage) => Err(i18n.t("record.photo_not_image").to_owned()),
                Err(PhotoError::Failed) => Err(i18n.t("record.photo_failed").to_owned()),
            };
            match stored {
                Ok((hash, url)) => {
                    let _ = photos.try_update(|p| {
                        if !p.contains(&hash) {
                            p.push(hash.clone());
                        }
                    });
                    let _ = previews.try_update(|m| {
                        m.insert(hash, url);
                    });
                }
                Err(m) => {
                    let _ = errors.try_update(|e| e.photo = Some(m));
                }
            }
            let _ = photo_busy.try_set(false);
        });
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

    // The station's part of the map, labelled, the delegate's own grids apart (built once).
    let station_svg = Memo::new(move |_| match (status.get(), c.geo.get()) {
        (Some(Ok(s)), Some(Ok(g))) => s
            .station
            .and_then(|st| map::station_map(&g.territory, &st, &s.grids, 360)),
        _ => None,
    });
    let map_svg = move || match c.geo.get() {
        Some(Ok(g)) => match station_svg.get() {
            Some(svg) if !whole_street.get() => svg,
            _ => g.svg.clone(),
        },
        _ => String::new(),
    };
    // The picked grid, and on the street map the delegate's own grids and the station's.
    let map_style = move || {
        let mut css = String::new();
        if let (Some(Ok(s)), Some(Ok(g))) = (status.get(), c.geo.get()) {
            let station = s.station.clone();
            for grid in g
                .territory
                .grids
                .iter()
                .filter(|x| Some(&x.station) == station.as_ref())
            {
                let fill = if s.grids.contains(&grid.id) {
                    "#5aa469"
                } else {
                    "#b9dcbf"
                };
                css.push_str(&format!(
                    "#grid-map path[data-grid=\"{}\"]{{fill:{fill};}}",
                    grid.id
                ));
            }
        }
        if let Some(p) = fix.get().placement() {
            css.push_str(&format!(
                "#grid-map path[data-grid=\"{}\"]{{fill:#f5a623;}}",
                p.grid
            ));
        }
        css
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
            <Show when=move || show_map.get()>
                <style>{map_style}</style>
                <p class="muted">{t("record.map_hint")}</p>
                <p class="map-legend" data-testid="map-legend">
                    <span class="key g-mine"></span>{t("record.map_mine")}
                    <span class="key g-station"></span>{t("record.map_station")}
                    <span class="key g-other"></span>{t("record.map_other")}
                </p>
                {move || pick_warning.get().map(|w| view! { <p class="warn" data-testid="pick-warning" role="alert">{w}</p> })}
                <div
                    id="grid-map"
                    data-testid="grid-map"
                    class="map"
                    class:whole=move || whole_street.get() || station_svg.get().is_none()
                    on:click=on_map_click
                    inner_html=map_svg
                ></div>
                <button type="button" class="btn" data-testid="map-whole" on:click=move |_| whole_street.update(|w| *w = !*w)>
                    {move || if whole_street.get() { i18n.t("record.map_station_only") } else { i18n.t("record.map_whole") }}
                </button>
            </Show>

            <span class="label">{t("record.photo")}</span>
            <div class="photos" data-testid="photos">
                <For each=move || photos.get() key=|h| h.clone() let:hash>
                    {
                        let (h1, h2) = (hash.clone(), hash.clone());
                        view! {
                            <div class="photo" data-testid="photo-item" data-hash=hash>
                                {move || match previews.get().get(&h1) {
                                    Some(url) => view! { <img src=url.clone() alt="" /> }.into_any(),
                                    None => view! { <span class="photo-stored">"📷"</span> }.into_any(),
                                }}
                                <button type="button" class="btn small" data-testid="photo-remove"
                                    on:click=move |_| photos.update(|p| p.retain(|x| *x != h2))>
                                    {t("record.photo_remove")}
                                </button>
                            </div>
                        }
                    }
                </For>
            </div>
            <Show when=move || { photos.get().len() < MAX_PHOTOS }>
                <label for="demand-photo" class="btn" class:busy=move || photo_busy.get() data-testid="photo-add">
                    {move || if photo_busy.get() { i18n.t("record.photo_busy") } else { i18n.t("record.photo_add") }}
                </label>
            </Show>
            <input id="demand-photo" data-testid="demand-photo" class="visually-hidden" type="file"
                accept="image/*" capture="environment" on:change=on_photo />
            <FieldError id="demand-photo" msg=Signal::derive(move || errors.get().photo) />

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

        <section class="card" data-testid="similar">
            <h3>{t("record.similar")}</h3>
            <Suspense fallback=move || view! { <p class="muted">{t("loading")}</p> }>
                <ErrorBoundary fallback=error_list>
                    {move || Suspend::new(async move {
                        let items = in_grid.await?;
                        let view = move || {
                            let typed = text.get();
                            let lang = i18n.lang.get();
                            let mut ranked: Vec<(f64, &DemandView)> = items
                                .iter()
                                .map(|d| (similarity(&typed, &d.demand.text), d))
                                .filter(|(s, _)| *s >= SIMILAR_MIN)
                                .collect();
                            ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
                            if ranked.is_empty() {
                                let msg = if grid_of_fix.get().is_none() {
                                    i18n.t("record.similar_no_grid").to_owned()
                                } else {
                                    i18n.fmt1("record.similar_none", items.len())
                                };
                                return view! { <p class="muted" data-testid="similar-empty">{msg}</p> }.into_any();
                            }
                            ranked
                                .into_iter()
                                .take(5)
                                .map(|(_, d)| {
                                    let did = d.demand.id;
                                    view! {
                                        <div class="similar-item" data-testid="similar-item" data-demand-id=did.to_string()>
                                            <p class="clip">{clip(&d.demand.text, LIST_CHARS)}</p>
                                            <p class="muted">
                                                {category_label(d.demand.category, lang)}" · "
                                                {status_label(d.state.status, lang)}" · "
                                                <span class="date">{when(d.demand.recorded_at)}</span>
                                            </p>
                                            <button
                                                type="button"
                                                class="btn"
                                                data-testid=format!("attach-{did}")
                                                on:click=move |_| attach(did)
                                            >
                                                {i18n.t("record.attach")}
                                            </button>
                                        </div>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        };
                        Ok::<_, ApiError>(view)
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

/// How much of a demand's text a list shows (the demand's page shows all of it).
const LIST_CHARS: usize = 120;

/// Errors of the optional contact. `required`: attaching a resident needs one.
fn contact_errors(
    e: &mut Errors,
    i18n: I18n,
    name: &str,
    phone: &str,
    consent: bool,
    required: bool,
) {
    let given = !name.trim().is_empty() || !phone.trim().is_empty();
    if !given && !required {
        return;
    }
    if !consent {
        e.consent = Some(i18n.t("record.err.consent").into());
    }
    let n = name.trim();
    if n.is_empty() {
        e.name = Some(i18n.t("record.err.name").into());
    } else if n.chars().count() > MAX_SHORT_CHARS {
        e.name = Some(i18n.t("record.err.name_long").into());
    }
    // The core's own phone rule, so the form refuses exactly what the backend would, and says
    // which part is wrong.
    if let Err(why) = check_phone(phone) {
        e.phone = Some(phone_problem(why, i18n));
    }
}

fn phone_problem(p: PhoneProblem, i18n: I18n) -> String {
    match p {
        PhoneProblem::Missing => i18n.t("record.err.phone_missing").into(),
        PhoneProblem::NotDigits => i18n.t("record.err.phone_digits").into(),
        PhoneProblem::MobileLength { len } => i18n.fmt1("record.err.phone_mobile", len),
        PhoneProblem::LandlineLength => i18n.t("record.err.phone_landline").into(),
        PhoneProblem::NoAreaCode => i18n.t("record.err.phone_area").into(),
        PhoneProblem::Unrecognised => i18n.t("record.err.phone_unknown").into(),
    }
}

/// What the placement asks of the delegate.
struct Asked {
    confirmed: RwSignal<bool>,
    /// The last demand's grid, kept because no position could be had: to be confirmed.
    carried: bool,
    /// The grid is another station's (its name): said at once, not on 保存.
    elsewhere: Option<String>,
}

fn placement_view(
    geo: &Geo,
    p: &Placement,
    loc: Option<&Location>,
    asked: Asked,
    i18n: I18n,
    pick: impl Fn(GridId, Option<Location>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let Asked {
        confirmed,
        carried,
        elsewhere,
    } = asked;
    let grid = geo.grid_name(&p.grid);
    let community = geo.community_name(&p.community);
    let accuracy = loc
        .and_then(|l| l.accuracy_m)
        .filter(|_| p.source != LocationSource::GridPick)
        .map(|a| format!("{a:.0}"));
    let source = match p.source {
        _ if carried => "record.src.carried",
        LocationSource::Gps => "record.src.gps",
        LocationSource::Manual => "record.src.manual",
        LocationSource::GridPick => "record.src.pick",
    };
    let ask = carried || p.needs_confirmation();
    let other = p.nearest_other.clone().filter(|_| !carried);
    let other_name = other.as_ref().map(|o| geo.grid_name(o)).unwrap_or_default();
    let other_m = format!("{:.0}", p.nearest_other_m.unwrap_or_default());
    let outside = p.outside;
    let this_grid = p.grid.clone();
    let keep = loc.copied();
    view! {
        <dl class="placement" data-testid="placement" data-grid=p.grid.to_string()>
            <dt>{move || i18n.t("record.grid")}</dt>
            <dd data-testid="detected-grid">{grid.clone()}</dd>
            <dt>{move || i18n.t("record.community")}</dt>
            <dd data-testid="detected-community">{community}</dd>
            <dt>{move || i18n.t("record.source")}</dt>
            <dd data-testid="detected-accuracy">
                {move || i18n.t(source)}
                {accuracy.map(|a| view! { " "<span class="date">"±"{move || i18n.fmt1("record.meters", &a)}</span> })}
            </dd>
        </dl>
        {elsewhere.map(|station| view! {
            <p class="warn" data-testid="other-station" role="alert">
                {move || i18n.fmt1("record.other_station_here", &station)}
            </p>
        })}
        {ask.then(|| {
            let other2 = other.clone();
            view! {
                <div class="confirm" data-testid="boundary-confirm" class:done=move || confirmed.get()>
                    <p class="warn">
                        {move || if carried {
                            i18n.t("record.carried").to_owned()
                        } else if outside {
                            i18n.t("record.outside").to_owned()
                        } else {
                            i18n.fmt2("record.near_boundary", &other_name, &other_m)
                        }}
                    </p>
                    <Show
                        when=move || !confirmed.get()
                        fallback=move || view! { <p class="ok" data-testid="grid-confirmed">{i18n.t("record.confirmed")}</p> }
                    >
                        <div class="row">
                            <button type="button" class="btn primary" id="confirm-grid" data-testid="confirm-grid" on:click=move |_| confirmed.set(true)>
                                {i18n.t("record.confirm_this")}" "{grid.clone()}
                            </button>
                            {other2.clone().map(|o| view! {
                                <button type="button" class="btn" id="choose-other-grid" data-testid="choose-other-grid" on:click=move |_| pick(o.clone(), keep)>
                                    {i18n.t("record.choose_other")}
                                </button>
                            })}
                        </div>
                    </Show>
                </div>
            }
        })}
        <span class="hidden" data-testid="current-grid-code">{this_grid.to_string()}</span>
    }
}
