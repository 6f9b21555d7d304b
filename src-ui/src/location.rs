//! Where the delegate stands: one interface over the location sources.
//!
//! 1. A fixed location for tests and desktops without GPS:
//!    `localStorage["gridvoice.fixedLocation"] = {"lat":..,"lon":..,"accuracy_m":..}`
//!    (stored as a manual position, since no satellite measured it), or `"none"`: this device
//!    has no position source, go straight to the map (a desktop without GPS, a test);
//! 2. the webview's `navigator.geolocation`, when present and granted (bounded by a timeout: a
//!    permission prompt nobody answers must not hang the form);
//! 3. otherwise no fix, and the delegate picks the grid on the offline map.

use gridvoice_core::model::{Location, LocationSource};
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;

use crate::local;

/// How long to wait for the device's position before offering the map.
const TIMEOUT_MS: i32 = 8_000;

#[derive(Debug, Deserialize)]
struct Fixed {
    lat: f64,
    lon: f64,
    #[serde(default)]
    accuracy_m: Option<f64>,
}

/// Why there is no position (shown to the delegate, with the map as the way on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoFix {
    Unsupported,
    Denied,
    Timeout,
    Failed,
}

/// What the override in localStorage says.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Override {
    Fixed(Fixed),
    /// `"none"`: no position source on this device.
    Off(String),
}

/// The fixed override, if set and well formed: a position, or "this device has none".
pub fn fixed() -> Option<Result<Location, NoFix>> {
    match local::get::<Override>(local::keys::FIXED_LOCATION)? {
        Override::Fixed(f) => (f.lat.is_finite() && f.lon.is_finite()).then_some(Ok(Location {
            lat: f.lat,
            lon: f.lon,
            accuracy_m: f.accuracy_m.filter(|a| a.is_finite() && *a >= 0.0),
            source: LocationSource::Manual,
        })),
        Override::Off(s) if s == "none" => Some(Err(NoFix::Unsupported)),
        Override::Off(_) => None,
    }
}

/// The current position from the best source available.
pub async fn current() -> Result<Location, NoFix> {
    if let Some(answer) = fixed() {
        return answer;
    }
    geolocation().await
}

async fn geolocation() -> Result<Location, NoFix> {
    let window = web_sys::window().ok_or(NoFix::Unsupported)?;
    let geo = window
        .navigator()
        .geolocation()
        .map_err(|_| NoFix::Unsupported)?;
    let position = js_sys::Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move |pos: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &pos);
        });
        let reject2 = reject.clone();
        let err = Closure::once_into_js(move |e: JsValue| {
            let _ = reject2.call1(&JsValue::NULL, &e);
        });
        let opts = web_sys::PositionOptions::new();
        opts.set_enable_high_accuracy(true);
        opts.set_timeout(TIMEOUT_MS as u32);
        opts.set_maximum_age(30_000);
        if geo
            .get_current_position_with_error_callback_and_options(
                ok.unchecked_ref(),
                Some(err.unchecked_ref()),
                &opts,
            )
            .is_err()
        {
            let _ = reject.call1(&JsValue::NULL, &JsValue::NULL);
        }
    });
    // The options' timeout starts only once permission is given; this one covers the prompt.
    let timer = js_sys::Promise::new(&mut |_resolve, reject| {
        let _ =
            window.set_timeout_with_callback_and_timeout_and_arguments_0(&reject, TIMEOUT_MS + 500);
    });
    let raced = js_sys::Promise::race(&js_sys::Array::of2(&position, &timer));
    match JsFuture::from(raced).await {
        Ok(v) => {
            let pos: web_sys::Position = v.dyn_into().map_err(|_| NoFix::Failed)?;
            let c = pos.coords();
            Ok(Location {
                lat: c.latitude(),
                lon: c.longitude(),
                accuracy_m: Some(c.accuracy()),
                source: LocationSource::Gps,
            })
        }
        // Read `code` by name: a GeolocationPositionError, or the timer's rejection (no code).
        Err(e) => {
            let code = js_sys::Reflect::get(&e, &JsValue::from_str("code"))
                .ok()
                .and_then(|c| c.as_f64());
            Err(match code {
                Some(c) if c == f64::from(web_sys::PositionError::PERMISSION_DENIED) => {
                    NoFix::Denied
                }
                Some(c) if c == f64::from(web_sys::PositionError::TIMEOUT) => NoFix::Timeout,
                Some(_) => NoFix::Failed,
                None => NoFix::Timeout,
            })
        }
    }
}
