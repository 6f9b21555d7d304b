//! Where the demand is filed: the position's fate (`Fix`), what the placement shows and asks
//! (confirm near a boundary, a grid of another station), and the station's map to pick a grid on.

use gridvoice_core::api::ApiError;
use gridvoice_core::device::DeviceStatus;
use gridvoice_core::geography::locate::Placement;
use gridvoice_core::ids::GridId;
use gridvoice_core::model::{Location, LocationSource};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::i18n::I18n;
use crate::location::NoFix;
use crate::{Geo, ctx, map};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Fix {
    Locating,
    /// A position, and where it falls.
    Located(Location, Placement),
    /// Picked on the map (or chosen between two grids near a boundary, or the last demand's grid
    /// kept when the position could not be found again).
    Picked(Option<Location>, Placement),
    None(NoFix),
}

impl Fix {
    pub(super) fn placement(&self) -> Option<&Placement> {
        match self {
            Fix::Located(_, p) | Fix::Picked(_, p) => Some(p),
            _ => None,
        }
    }
}

/// What the placement asks of the delegate.
pub(super) struct Asked {
    pub(super) confirmed: RwSignal<bool>,
    /// The last demand's grid, kept because no position could be had: to be confirmed.
    pub(super) carried: bool,
    /// The grid is another station's (its name): said at once, not on 保存.
    pub(super) elsewhere: Option<String>,
}

pub(super) fn placement_view(
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

/// The station's map to pick the grid on: labelled, the delegate's own grids and the station's
/// marked, the whole street a tap away. A grid of another station is refused at the pick, with
/// its station named; a good pick calls `on_pick` and closes the map.
pub(super) fn map_pick(
    i18n: I18n,
    status: LocalResource<Result<DeviceStatus, ApiError>>,
    fix: RwSignal<Fix>,
    show_map: RwSignal<bool>,
    on_pick: impl Fn(GridId) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let c = ctx();
    let t = move |k: &'static str| move || i18n.t(k);
    // The whole street on the map, rather than the station's part of it.
    let whole_street = RwSignal::new(false);
    let pick_warning = RwSignal::new(None::<String>);
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
            pick_warning.set(Some(
                i18n.fmt2(
                    "record.pick_other_station",
                    g.grid_name(&grid),
                    g.territory
                        .station(&theirs)
                        .map_or_else(|| theirs.to_string(), |s| s.name.clone()),
                ),
            ));
            return;
        }
        pick_warning.set(None);
        on_pick(grid);
        show_map.set(false);
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
    view! {
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
    }
}
