//! Record a demand 记录诉求: the heart of the app, under a minute in the field.
//!
//! Text, a category chip, the grid (from the location source, confirmed near a boundary, or
//! picked on the offline map), an optional resident contact that needs a consent tick, and the
//! similar demands already in the grid, to add this resident to one of them instead of recording
//! a duplicate; optional photos (shrunk in the webview, stored on the device by hash, synced after
//! the demand). Everything typed lives in a localStorage draft until the backend has answered OK;
//! only then "已保存" appears.

use std::sync::Arc;

use gridvoice_core::api::{ApiError, DemandFilter, DemandView, NewContact, RecordDemand};
use gridvoice_core::capture::{MAX_PHOTOS, MAX_SHORT_CHARS, check_contact, check_text};
use gridvoice_core::category::{Category, CategoryGroup};
use gridvoice_core::geography::locate::Placement;
use gridvoice_core::ids::{DemandId, GridId};
use gridvoice_core::model::{Location, LocationSource};
use gridvoice_core::{Error as CoreError, ErrorCode};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;

use crate::location::{self, NoFix};
use crate::pages::visit::CurrentVisit;
use crate::photo::{self, PhotoError};
use crate::widgets::{FieldError, category_label, error_list, now_ms, status_label, when};
use crate::{Geo, api, ctx, local};

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
    /// Picked on the map (or chosen between two grids near a boundary).
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

#[derive(Debug, Clone, Default, PartialEq)]
struct Errors {
    text: Option<String>,
    category: Option<String>,
    location: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    consent: Option<String>,
    photo: Option<String>,
}

impl Errors {
    fn any(&self) -> bool {
        *self != Errors::default()
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Save {
    Idle,
    Saving,
    Saved { message: String, demand: String },
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
    let show_map = RwSignal::new(false);
    let errors = RwSignal::new(Errors::default());
    let save = RwSignal::new(Save::Idle);
    let visit: Option<CurrentVisit> = local::get(local::keys::CURRENT_VISIT);
    let visit_id = visit.as_ref().map(|v| v.id);
    let status = LocalResource::new(api::status);

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

    // Find the position, then the grid, once the territory is here.
    let locate = move |g: Arc<Geo>| {
        fix.set(Fix::Locating);
        confirmed.set(false);
        spawn_local(async move {
            let next = match location::current().await {
                Ok(loc) => match g.locator.locate_location(&loc) {
                    Ok(p) => Fix::Located(loc, p),
                    Err(_) => Fix::None(NoFix::Failed),
                },
                Err(why) => Fix::None(why),
            };
            if matches!(next, Fix::None(_)) {
                show_map.set(true);
            }
            fix.set(next);
        });
    };
    let started = StoredValue::new(false);
    Effect::new(move || {
        if let Some(Ok(g)) = c.geo.get()
            && !started.get_value()
        {
            started.set_value(true);
            locate(g);
        }
    });
    let relocate = move |_| {
        if let Some(Ok(g)) = c.geo.get_untracked() {
            locate(g);
        }
    };

    let pick = move |grid: GridId, keep: Option<Location>| {
        if let Some(Ok(g)) = c.geo.get_untracked()
            && let Ok(p) = g.locator.pick(&grid)
        {
            fix.set(Fix::Picked(keep, p));
            confirmed.set(true);
            errors.update(|e| e.location = None);
        }
    };
    let on_map_click = move |ev: leptos::ev::MouseEvent| {
        let code = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("[data-grid]").ok().flatten())
            .and_then(|el| el.get_attribute("data-grid"));
        if let Some(code) = code {
            pick(GridId::new(code), None);
        }
    };

    let validate = move || -> Errors {
        let mut e = Errors::default();
        let lang = i18n.lang.get_untracked();
        let _ = lang;
        match check_text(&text.get_untracked()) {
            Ok(_) => {}
            Err(CoreError::TextTooLong { len, max }) => {
                e.text = Some(i18n.fmt2("record.err.text_long", len, max));
            }
            Err(_) => e.text = Some(i18n.t("record.err.text_empty").into()),
        }
        if category.get_untracked().is_none() {
            e.category = Some(i18n.t("record.err.category").into());
        }
        match fix.get_untracked() {
            Fix::Locating | Fix::None(_) => {
                e.location = Some(i18n.t("record.err.no_grid").into());
            }
            Fix::Located(_, p) | Fix::Picked(_, p) => {
                if p.needs_confirmation() && !confirmed.get_untracked() {
                    e.location = Some(i18n.t("record.err.confirm").into());
                } else if let Some(Ok(s)) = status.get_untracked()
                    && let Some(st) = s.station
                    && st != p.station
                {
                    e.location = Some(i18n.t("record.err.other_station").into());
                }
            }
        }
        contact_errors(
            &mut e,
            i18n,
            &name.get_untracked(),
            &phone.get_untracked(),
            consent.get_untracked(),
            false,
        );
        e
    };

    let contact = move || -> Option<NewContact> {
        let (n, p) = (name.get_untracked(), phone.get_untracked());
        (!n.trim().is_empty() || !p.trim().is_empty()).then(|| NewContact {
            name: n.trim().to_owned(),
            phone: p.trim().to_owned(),
            consent: consent.get_untracked(),
        })
    };

    let reset = move || {
        local::remove(local::keys::DRAFT_RECORD);
        id.set(new_demand_id().to_string());
        text.set(String::new());
        category.set(None);
        name.set(String::new());
        phone.set(String::new());
        consent.set(false);
        photos.set(Vec::new());
        previews.set(std::collections::HashMap::new());
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
                    photos.update(|p| {
                        if !p.contains(&hash) {
                            p.push(hash.clone());
                        }
                    });
                    previews.update(|m| {
                        m.insert(hash, url);
                    });
                }
                Err(m) => errors.update(|e| e.photo = Some(m)),
            }
            photo_busy.set(false);
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
        let e = validate();
        let failed = e.any();
        errors.set(e);
        if failed {
            save.set(Save::Failed(i18n.t("form.fix_fields").into()));
            return;
        }
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
                    save.set(Save::Saved {
                        message: format!("{} · {grid}", i18n.t("record.saved")),
                        demand: d.demand.id.to_string(),
                    });
                    reset();
                    in_grid.refetch();
                }
                Err(e) => save.set(Save::Failed(e.message)),
            }
        });
    };

    let attach = move |demand: DemandId| {
        let mut e = Errors::default();
        contact_errors(
            &mut e,
            i18n,
            &name.get_untracked(),
            &phone.get_untracked(),
            consent.get_untracked(),
            true,
        );
        let failed = e.any();
        errors.set(e);
        if failed {
            save.set(Save::Failed(
                i18n.t("record.err.attach_needs_contact").into(),
            ));
            return;
        }
        let Some(contact) = contact() else { return };
        save.set(Save::Saving);
        spawn_local(async move {
            match api::attach_contact(demand, contact).await {
                Ok(d) => {
                    save.set(Save::Saved {
                        message: i18n.t("record.attached").into(),
                        demand: d.to_string(),
                    });
                    reset();
                    in_grid.refetch();
                }
                Err(e) => save.set(Save::Failed(e.message)),
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
                        on:click=move |_| {
                            category.set(Some(cat));
                            errors.update(|e| e.category = None);
                        }
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
        match fix.get() {
            Fix::Locating => {
                view! { <p class="muted" data-testid="locating">{t("record.locating")}</p> }
                    .into_any()
            }
            Fix::None(why) => {
                let reason = match why {
                    NoFix::Unsupported => "record.nofix.unsupported",
                    NoFix::Denied => "record.nofix.denied",
                    NoFix::Timeout => "record.nofix.timeout",
                    NoFix::Failed => "record.nofix.failed",
                };
                view! { <p class="warn" data-testid="no-fix">{t(reason)}" "{t("record.pick_hint")}</p> }.into_any()
            }
            Fix::Located(loc, p) | Fix::Picked(Some(loc), p)
                if p.source != LocationSource::GridPick || loc.accuracy_m.is_some() =>
            {
                placement_view(&geo, &p, Some(&loc), i18n, confirmed, pick).into_any()
            }
            Fix::Located(_, p) | Fix::Picked(_, p) => {
                placement_view(&geo, &p, None, i18n, confirmed, pick).into_any()
            }
        }
    };

    let map_style = move || {
        fix.get()
            .placement()
            .map(|p| format!("#grid-map path[data-grid=\"{}\"]{{fill:#f5a623;}}", p.grid))
            .unwrap_or_default()
    };

    view! {
        <section class="card" data-testid="page-record">
            <h2>{t("record.title")}</h2>
            {visit.map(|v| view! { <p class="muted" data-testid="record-visit">{t("record.in_visit")}" "{v.topic}" · "{v.place}</p> })}

            <label for="demand-text" class="label">{t("record.text")}</label>
            <textarea
                id="demand-text"
                data-testid="demand-text"
                rows="4"
                placeholder=move || i18n.t("record.text_ph")
                prop:value=move || text.get()
                on:input=move |ev| {
                    text.set(event_target_value(&ev));
                    errors.update(|e| e.text = None);
                }
            ></textarea>
            <FieldError id="demand-text" msg=Signal::derive(move || errors.get().text) />

            <span class="label">{t("record.category")}</span>
            {chip_group(CategoryGroup::SevenHaves, "cat.seven")}
            {chip_group(CategoryGroup::FiveQualities, "cat.five")}
            {chip_group(CategoryGroup::Topic, "cat.topics")}
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
                <div
                    id="grid-map"
                    data-testid="grid-map"
                    class="map"
                    on:click=on_map_click
                    inner_html=move || match c.geo.get() {
                        Some(Ok(g)) => g.svg.clone(),
                        _ => String::new(),
                    }
                ></div>
            </Show>

            <details class="contact" open=move || !name.get().is_empty() || !phone.get().is_empty()>
                <summary>{t("record.contact")}</summary>
                <label for="contact-name" class="label">{t("record.contact_name")}</label>
                <input
                    id="contact-name"
                    data-testid="contact-name"
                    type="text"
                    autocomplete="off"
                    prop:value=move || name.get()
                    on:input=move |ev| {
                        name.set(event_target_value(&ev));
                        errors.update(|e| e.name = None);
                    }
                />
                <FieldError id="contact-name" msg=Signal::derive(move || errors.get().name) />
                <label for="contact-phone" class="label">{t("record.contact_phone")}</label>
                <input
                    id="contact-phone"
                    data-testid="contact-phone"
                    type="tel"
                    inputmode="tel"
                    autocomplete="off"
                    prop:value=move || phone.get()
                    on:input=move |ev| {
                        phone.set(event_target_value(&ev));
                        errors.update(|e| e.phone = None);
                    }
                />
                <FieldError id="contact-phone" msg=Signal::derive(move || errors.get().phone) />
                <label class="check">
                    <input
                        id="contact-consent"
                        data-testid="contact-consent"
                        type="checkbox"
                        prop:checked=move || consent.get()
                        on:change=move |ev| {
                            consent.set(event_target_checked(&ev));
                            errors.update(|e| e.consent = None);
                        }
                    />
                    <span>{t("record.consent")}</span>
                </label>
                <FieldError id="contact-consent" msg=Signal::derive(move || errors.get().consent) />
            </details>

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

            <div class="save-bar">
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
                {move || match save.get() {
                    Save::Saved { message, demand } => view! {
                        <p class="ok" id="save-ok" data-testid="saved" data-demand-id=demand role="status">{message}</p>
                    }.into_any(),
                    Save::Failed(m) => view! {
                        <p class="error" id="save-error" data-testid="save-error" role="alert">{m}</p>
                    }.into_any(),
                    _ => ().into_any(),
                }}
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
                                            <p>{d.demand.text.clone()}</p>
                                            <p class="muted">
                                                {category_label(d.demand.category, lang)}" · "
                                                {status_label(d.state.status, lang)}" · "
                                                {when(d.demand.recorded_at)}
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

/// Errors of the optional contact. `required`: attaching a resident needs one.
fn contact_errors(
    e: &mut Errors,
    i18n: crate::i18n::I18n,
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
    // The core's own phone rule, so the form refuses exactly what the backend would.
    let probe = NewContact {
        name: "x".into(),
        phone: phone.to_owned(),
        consent: true,
    };
    if let Err(err) = check_contact(&probe)
        && err.code() == ErrorCode::InvalidPhone
    {
        e.phone = Some(i18n.t("record.err.phone").into());
    }
}

fn placement_view(
    geo: &Geo,
    p: &Placement,
    loc: Option<&Location>,
    i18n: crate::i18n::I18n,
    confirmed: RwSignal<bool>,
    pick: impl Fn(GridId, Option<Location>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let grid = geo.grid_name(&p.grid);
    let community = geo.community_name(&p.community);
    let accuracy = loc.and_then(|l| l.accuracy_m).map(|a| format!("±{a:.0} m"));
    let source = match p.source {
        LocationSource::Gps => "record.src.gps",
        LocationSource::Manual => "record.src.manual",
        LocationSource::GridPick => "record.src.pick",
    };
    let ask = p.needs_confirmation();
    let other = p.nearest_other.clone();
    let other_name = other.as_ref().map(|o| geo.grid_name(o)).unwrap_or_default();
    let other_m = p.nearest_other_m.unwrap_or_default();
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
            <dd data-testid="detected-accuracy">{move || i18n.t(source)}{accuracy.map(|a| format!(" {a}"))}</dd>
        </dl>
        {ask.then(|| {
            let other2 = other.clone();
            view! {
                <div class="confirm" data-testid="boundary-confirm" class:done=move || confirmed.get()>
                    <p class="warn">
                        {if outside {
                            i18n.t("record.outside").to_owned()
                        } else {
                            format!("{} {other_name}（{other_m:.0} m）", i18n.t("record.near_boundary"))
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
