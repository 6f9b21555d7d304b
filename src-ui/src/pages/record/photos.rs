//! The demand's photos: chosen or taken, shrunk in the webview, stored on the device by hash
//! (synced after the demand), with a preview while the page is open.

use std::collections::HashMap;

use gridvoice_core::capture::MAX_PHOTOS;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use super::check::Errors;
use crate::api;
use crate::i18n::I18n;
use crate::photo::{self, PhotoError};
use crate::widgets::FieldError;

/// The photos part of the form. Work that ends after the page may have gone writes through
/// `try_update`.
pub(super) fn photo_section(
    i18n: I18n,
    photos: RwSignal<Vec<String>>,
    previews: RwSignal<HashMap<String, String>>,
    errors: RwSignal<Errors>,
) -> impl IntoView {
    let t = move |k: &'static str| move || i18n.t(k);
    let photo_busy = RwSignal::new(false);
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
    view! {
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
    }
}
