//! Offline maps as SVG, drawn from the grid polygons (no tile server exists in the field).
//!
//! Layers, bottom to top: grids (plain, or a choropleth by a value per grid with a legend),
//! community outlines, the street outline, points, station labels. The output is a pure function of
//! its inputs, with every number printed to 0.1 px, so the same territory and options give the same
//! bytes on every device (maps can be cached, diffed and snapshot-tested).
//!
//! ```
//! use gridvoice_core::geography::svg::{MapOptions, render_svg};
//! let t = gridvoice_core::demo::gulou().unwrap();
//! let svg = render_svg(&t, &MapOptions::default());
//! assert!(svg.starts_with("<svg") && svg.matches("<path").count() >= 79);
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Bounds, LocalFrame};
use crate::ids::GridId;
use crate::territory::{Polygon, Territory};

/// Five sequential classes (light to dark blue), colour-blind safe.
pub const PALETTE: [&str; 5] = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
/// A grid with no value on a choropleth.
pub const NO_DATA: &str = "#e0e0e0";
/// A grid on a plain map.
pub const PLAIN: &str = "#e8efe0";

/// A value per grid, drawn in five equal-interval classes between the smallest and largest value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Choropleth {
    pub title: String,
    pub values: BTreeMap<GridId, f64>,
}

impl Choropleth {
    fn range(&self) -> (f64, f64) {
        let finite = self.values.values().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        if lo > hi { (0.0, 0.0) } else { (lo, hi) }
    }

    /// The class (0–4) of a value.
    pub fn class_of(&self, v: f64) -> usize {
        let (lo, hi) = self.range();
        if hi <= lo {
            return 0;
        }
        let k = ((v - lo) / (hi - lo) * PALETTE.len() as f64).floor();
        (k.max(0.0) as usize).min(PALETTE.len() - 1)
    }

    /// The fill of a grid.
    pub fn colour(&self, grid: &GridId) -> &'static str {
        match self.values.get(grid) {
            Some(v) if v.is_finite() => PALETTE[self.class_of(*v)],
            _ => NO_DATA,
        }
    }
}

/// A marker on the map (a demand, a visit, the delegate's position).
#[derive(Debug, Clone, PartialEq)]
pub struct MapPoint {
    pub lon: f64,
    pub lat: f64,
    pub colour: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapOptions {
    /// Width in px; the height follows the territory's shape.
    pub width: u32,
    pub choropleth: Option<Choropleth>,
    pub community_outlines: bool,
    pub station_labels: bool,
    pub points: Vec<MapPoint>,
}

impl Default for MapOptions {
    fn default() -> Self {
        Self {
            width: 800,
            choropleth: None,
            community_outlines: true,
            station_labels: true,
            points: Vec::new(),
        }
    }
}

const MARGIN: f64 = 16.0;
const LEGEND_H: f64 = 36.0;

/// Where WGS-84 positions land on the map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapProjection {
    frame: LocalFrame,
    min: [f64; 2],
    max: [f64; 2],
    scale: f64,
    pub width: f64,
    /// Height of the map area (the legend, if any, is below it).
    pub map_height: f64,
}

impl MapProjection {
    pub fn new(t: &Territory, width: u32) -> Self {
        let frame = LocalFrame::for_territory(t);
        let mut b = Bounds::empty();
        let mut add = |p: &Polygon| {
            for r in &p.0 {
                for &c in r {
                    b.add(frame.to_local(c));
                }
            }
        };
        add(&t.street.boundary);
        for g in &t.grids {
            add(&g.boundary);
        }
        if b.is_empty() {
            b.add([0.0, 0.0]);
        }
        let w = f64::from(width.max(64));
        let scale = (w - 2.0 * MARGIN) / (b.max[0] - b.min[0]).max(1.0);
        let map_height = (b.max[1] - b.min[1]) * scale + 2.0 * MARGIN;
        Self {
            frame,
            min: b.min,
            max: b.max,
            scale,
            width: w,
            map_height,
        }
    }

    /// SVG user coordinates of a WGS-84 `[lon, lat]` (y down).
    pub fn to_svg(&self, p: [f64; 2]) -> [f64; 2] {
        let q = self.frame.to_local(p);
        [
            MARGIN + (q[0] - self.min[0]) * self.scale,
            MARGIN + (self.max[1] - q[1]) * self.scale,
        ]
    }
}

/// Text made safe inside SVG/XML text and attribute values.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG path data (`d`) of a polygon, every ring closed; non-finite points are skipped.
pub fn path_d(pr: &MapProjection, p: &Polygon) -> String {
    let mut d = String::new();
    for ring in &p.0 {
        for (i, &c) in ring.iter().enumerate() {
            if !(c[0].is_finite() && c[1].is_finite()) {
                continue;
            }
            let [x, y] = pr.to_svg(c);
            let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
        }
        if !ring.is_empty() {
            d.push('Z');
        }
    }
    d
}

/// Renders the territory as a standalone SVG document.
pub fn render_svg(t: &Territory, o: &MapOptions) -> String {
    let pr = MapProjection::new(t, o.width);
    let legend = o.choropleth.is_some();
    let height = pr.map_height + if legend { LEGEND_H } else { 0.0 };
    let mut s = String::new();
    // `write!` into a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{height:.0}" viewBox="0 0 {w:.0} {height:.0}" font-family="sans-serif">"#,
        w = pr.width
    );
    let _ = write!(s, "\n<title>{}</title>", escape(&t.street.name));
    let _ = write!(
        s,
        "\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    );
    s.push_str("\n<g id=\"grids\" stroke=\"#ffffff\" stroke-width=\"0.8\">");
    for g in &t.grids {
        let fill = o.choropleth.as_ref().map_or(PLAIN, |c| c.colour(&g.id));
        let _ = write!(
            s,
            "\n<path data-grid=\"{}\" fill=\"{fill}\" d=\"{}\"><title>{}</title></path>",
            escape(g.id.as_str()),
            path_d(&pr, &g.boundary),
            escape(&g.name)
        );
    }
    s.push_str("\n</g>");
    if o.community_outlines {
        s.push_str(
            "\n<g id=\"communities\" fill=\"none\" stroke=\"#5a5a5a\" stroke-width=\"1.4\">",
        );
        for c in &t.communities {
            for p in &c.boundary {
                let _ = write!(
                    s,
                    "\n<path data-community=\"{}\" d=\"{}\"/>",
                    escape(c.id.as_str()),
                    path_d(&pr, p)
                );
            }
        }
        s.push_str("\n</g>");
    }
    let _ = write!(
        s,
        "\n<path id=\"street\" fill=\"none\" stroke=\"#222222\" stroke-width=\"2.2\" d=\"{}\"/>",
        path_d(&pr, &t.street.boundary)
    );
    if !o.points.is_empty() {
        s.push_str("\n<g id=\"points\" stroke=\"#ffffff\" stroke-width=\"1\">");
        for p in &o.points {
            let [x, y] = pr.to_svg([p.lon, p.lat]);
            if x.is_finite() && y.is_finite() {
                let _ = write!(
                    s,
                    "\n<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{}\"/>",
                    escape(&p.colour)
                );
            }
        }
        s.push_str("\n</g>");
    }
    if o.station_labels {
        s.push_str("\n<g id=\"stations\" font-size=\"11\" fill=\"#1a1a1a\">");
        for st in &t.stations {
            let Some(at) = st.location else { continue };
            let [x, y] = pr.to_svg(at);
            let _ = write!(
                s,
                "\n<rect x=\"{:.1}\" y=\"{:.1}\" width=\"6\" height=\"6\" fill=\"#c0392b\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x - 3.0,
                y - 3.0,
                x + 5.0,
                y + 4.0,
                escape(&st.name)
            );
        }
        s.push_str("\n</g>");
    }
    if let Some(c) = &o.choropleth {
        let (lo, hi) = c.range();
        let y = pr.map_height + 4.0;
        let _ = write!(
            s,
            "\n<g id=\"legend\" font-size=\"10\"><text x=\"{MARGIN:.1}\" y=\"{:.1}\">{}</text>",
            y + 8.0,
            escape(&c.title)
        );
        let step = (hi - lo) / PALETTE.len() as f64;
        // Counts (every value whole) read as whole numbers: "≥2", not "≥1.8"; of classes with
        // the same whole label only the last holds any whole value, and only it is listed.
        let whole = c.values.values().all(|v| v.fract() == 0.0);
        let labels: Vec<String> = (0..PALETTE.len())
            .map(|k| {
                let from = lo + step * k as f64;
                if whole {
                    format!("{}", from.ceil())
                } else {
                    format!("{from:.1}")
                }
            })
            .collect();
        let shown: Vec<usize> = (0..PALETTE.len())
            .filter(|&k| !whole || labels.get(k + 1) != labels.get(k))
            .collect();
        // The entries share the width left of the title.
        let room = (f64::from(o.width) - 2.0 * MARGIN - 120.0).max(0.0);
        let gap = (room / shown.len().max(1) as f64).min(70.0);
        for (i, &k) in shown.iter().enumerate() {
            let x = MARGIN + 120.0 + i as f64 * gap;
            let (colour, label) = (PALETTE[k], &labels[k]);
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"16\" height=\"12\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\">≥{label}</text>",
                x + 20.0,
                y + 10.0
            );
        }
        s.push_str("</g>");
    }
    s.push_str("\n</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use geo::InteriorPoint;

    use super::*;
    use crate::demo::gulou;

    fn hex(c: &str) -> [u8; 3] {
        let v = u32::from_str_radix(c.trim_start_matches('#'), 16).unwrap();
        [(v >> 16) as u8, (v >> 8) as u8, v as u8]
    }

    #[test]
    fn a_legend_of_counts_reads_in_whole_numbers_and_of_rates_in_tenths() {
        let t = gulou().unwrap();
        let legend = |values: BTreeMap<GridId, f64>| {
            let svg = render_svg(
                &t,
                &MapOptions {
                    width: 400,
                    choropleth: Some(Choropleth {
                        title: "诉求数".into(),
                        values,
                    }),
                    community_outlines: false,
                    station_labels: false,
                    points: vec![],
                },
            );
            let at = svg.find("<g id=\"legend\"").unwrap();
            svg[at..]
                .split('≥')
                .skip(1)
                .map(|x| x[..x.find('<').unwrap()].to_owned())
                .collect::<Vec<_>>()
        };
        // Three grids holding 0, 1 and 3 demands: classes start at 0, 0.6, 1.2, 1.8, 2.4; the
        // class from 1.2 holds no whole number (2 falls in the one from 1.8): listed once, as ≥2.
        let counts = |v: [f64; 3]| -> BTreeMap<GridId, f64> {
            t.grids
                .iter()
                .zip(v)
                .map(|(g, n)| (g.id.clone(), n))
                .collect()
        };
        assert_eq!(legend(counts([0.0, 1.0, 3.0])), ["0", "1", "2", "3"]);
        assert_eq!(
            legend(counts([0.0, 0.5, 3.0])),
            ["0.0", "0.6", "1.2", "1.8", "2.4"]
        );
    }

    #[test]
    fn a_choropleth_renders_with_the_expected_colour_at_every_grid() {
        let t = gulou().unwrap();
        // Value = index: five equal classes over 0..78.
        let values: BTreeMap<GridId, f64> = t
            .grids
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.clone(), i as f64))
            .collect();
        let options = MapOptions {
            width: 900,
            choropleth: Some(Choropleth {
                title: "诉求数".into(),
                values,
            }),
            community_outlines: false,
            station_labels: false,
            points: vec![],
        };
        let svg = render_svg(&t, &options);
        assert_eq!(svg, render_svg(&t, &options), "deterministic");

        let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).unwrap();
        let size = tree.size().to_int_size();
        let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
        resvg::render(
            &tree,
            resvg::tiny_skia::Transform::default(),
            &mut pixmap.as_mut(),
        );
        assert!(
            pixmap.pixels().iter().any(|p| p.red() < 200),
            "the map is not blank"
        );

        let pr = MapProjection::new(&t, 900);
        let frame = LocalFrame::for_territory(&t);
        let c = options.choropleth.as_ref().unwrap();
        for g in &t.grids {
            let inner = frame.polygon(&g.boundary).interior_point().unwrap();
            let [x, y] = pr.to_svg(frame.to_lonlat([inner.x(), inner.y()]));
            let px = pixmap.pixel(x as u32, y as u32).unwrap();
            let want = hex(c.colour(&g.id));
            let got = [px.red(), px.green(), px.blue()];
            let close = want.iter().zip(got).all(|(a, b)| a.abs_diff(b) <= 3);
            assert!(
                close,
                "grid {} at ({x:.0},{y:.0}): want {want:?}, got {got:?}",
                g.id
            );
        }
    }

    #[test]
    fn labels_points_and_outlines_are_drawn_and_names_escaped() {
        let mut t = gulou().unwrap();
        t.stations[0].name = "A&B<站>".into();
        let svg = render_svg(
            &t,
            &MapOptions {
                points: vec![MapPoint {
                    lon: 116.84,
                    lat: 40.37,
                    colour: "#d7301f".into(),
                }],
                ..MapOptions::default()
            },
        );
        assert!(svg.contains("A&amp;B&lt;站&gt;"));
        assert_eq!(svg.matches("data-community=").count(), 29);
        assert_eq!(svg.matches("<circle").count(), 1);
        assert_eq!(svg.matches("<text").count(), 13);
        resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).unwrap();
    }
}
