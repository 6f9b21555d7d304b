//! The map a delegate picks a grid on, drawn in the webview from the territory (offline): their
//! station's grids and the neighbours around them, each of the station's grids labelled with its
//! name, the delegate's own grids (入格) set apart. The whole street (`Geo::svg`) stays one tap
//! away for a pick far from the station.
//!
//! Grids carry `data-grid="<code>"` (the page reads taps from it) and a class the style sheet
//! colours: `g-mine` (the delegate's grids), `g-station` (the station's others), `g-other`
//! (another station's).

use std::fmt::Write as _;

use gridvoice_core::geography::svg::{MapProjection, escape, path_d};
use gridvoice_core::ids::{GridId, StationId};
use gridvoice_core::territory::{Polygon, Territory};

/// Room around the station's grids, as a share of their extent (neighbours show at the edges).
const MARGIN: f64 = 0.12;

/// Where a grid's name goes: the centroid of its outer ring on the map (the grids are compact;
/// the vertices' mean when the ring has no area).
fn label_at(pr: &MapProjection, p: &Polygon) -> Option<[f64; 2]> {
    let ring: Vec<[f64; 2]> = p.0.first()?.iter().map(|&c| pr.to_svg(c)).collect();
    let (mut a, mut x, mut y) = (0.0, 0.0, 0.0);
    for w in ring.windows(2) {
        let f = w[0][0] * w[1][1] - w[1][0] * w[0][1];
        a += f;
        x += (w[0][0] + w[1][0]) * f;
        y += (w[0][1] + w[1][1]) * f;
    }
    if a.abs() > 1e-9 {
        return Some([x / (3.0 * a), y / (3.0 * a)]);
    }
    let n = ring.len().max(1) as f64;
    Some([
        ring.iter().map(|c| c[0]).sum::<f64>() / n,
        ring.iter().map(|c| c[1]).sum::<f64>() / n,
    ])
}

/// Bounds `[min_lon, min_lat, max_lon, max_lat]` of some polygons.
fn bounds<'a>(polys: impl Iterator<Item = &'a Polygon>) -> Option<[f64; 4]> {
    let mut b: Option<[f64; 4]> = None;
    for c in polys.flat_map(|p| p.0.iter().flatten()) {
        if !(c[0].is_finite() && c[1].is_finite()) {
            continue;
        }
        let v = b.get_or_insert([c[0], c[1], c[0], c[1]]);
        v[0] = v[0].min(c[0]);
        v[1] = v[1].min(c[1]);
        v[2] = v[2].max(c[0]);
        v[3] = v[3].max(c[1]);
    }
    b
}

/// The station's map as an SVG document `width` wide, or `None` when the station has no grids
/// with a boundary (the street map then serves).
pub fn station_map(
    t: &Territory,
    station: &StationId,
    mine: &[GridId],
    width: u32,
) -> Option<String> {
    let own = || t.grids.iter().filter(|g| &g.station == station);
    let [x0, y0, x1, y1] = bounds(own().map(|g| &g.boundary))?;
    let (mx, my) = (
        ((x1 - x0) * MARGIN).max(0.001),
        ((y1 - y0) * MARGIN).max(0.001),
    );
    let frame = [x0 - mx, y0 - my, x1 + mx, y1 + my];
    // The projection is fitted to the frame alone: a territory whose street is the frame.
    let mut framed = t.clone();
    framed.grids.clear();
    framed.street.boundary = Polygon(vec![vec![
        [frame[0], frame[1]],
        [frame[2], frame[1]],
        [frame[2], frame[3]],
        [frame[0], frame[3]],
        [frame[0], frame[1]],
    ]]);
    let pr = MapProjection::new(&framed, width);
    let overlaps = |p: &Polygon| {
        bounds(std::iter::once(p)).is_some_and(|b| {
            b[0] <= frame[2] && b[2] >= frame[0] && b[1] <= frame[3] && b[3] >= frame[1]
        })
    };

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="sans-serif">"#,
        w = pr.width,
        h = pr.map_height
    );
    s.push_str(r##"<rect width="100%" height="100%" fill="#f4f4f0"/><g class="grids">"##);
    for g in t.grids.iter().filter(|g| overlaps(&g.boundary)) {
        let class = if mine.contains(&g.id) {
            "g-mine"
        } else if &g.station == station {
            "g-station"
        } else {
            "g-other"
        };
        let _ = write!(
            s,
            r#"<path data-grid="{}" class="{class}" d="{}"><title>{}</title></path>"#,
            escape(g.id.as_str()),
            path_d(&pr, &g.boundary),
            escape(&g.name)
        );
    }
    s.push_str(r#"</g><g class="labels">"#);
    for g in own() {
        if let Some([x, y]) = label_at(&pr, &g.boundary) {
            // "东菜园第一网格" → "东菜园第一": every label is a grid's, and neighbours' labels
            // must not run into each other on a phone.
            let label = g.name.strip_suffix("网格").unwrap_or(&g.name);
            let _ = write!(
                s,
                r#"<text x="{x:.1}" y="{y:.1}" data-label="{}">{}</text>"#,
                escape(g.id.as_str()),
                escape(label)
            );
        }
    }
    s.push_str("</g></svg>");
    Some(s)
}
