//! Geography: where a point falls, whether a territory's geometry holds together, how territories
//! travel as GeoJSON, how Chinese basemap coordinates convert, and offline SVG maps.
//!
//! Everything is stored in WGS-84 `[lon, lat]`. Work that needs metres (distances, areas, overlap
//! and gap checks) runs in a [`LocalFrame`]: an equirectangular plane centred on the street. Over a
//! street a few kilometres across its distance error is far below GPS accuracy (< 0.1%).
//!
//! ```
//! use gridvoice_core::geography::locate::Locator;
//! let territory = gridvoice_core::demo::gulou().unwrap();
//! let locator = Locator::new(&territory).unwrap();
//! let here = locator.locate(116.84, 40.37, Some(10.0)).unwrap();
//! assert!(!here.outside);
//! assert_eq!(territory.grid(&here.grid).unwrap().community, here.community);
//! ```

mod cells;
pub mod gcj02;
pub mod geojson;
pub mod locate;
pub mod svg;
pub mod validate;

use crate::territory::{Polygon, Territory};

/// An equirectangular plane in metres around a centre point: x east, y north.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    pub lon0: f64,
    pub lat0: f64,
    /// Metres per degree of longitude at `lat0`.
    pub kx: f64,
    /// Metres per degree of latitude at `lat0`.
    pub ky: f64,
}

impl LocalFrame {
    /// A frame centred on `[lon0, lat0]`, with the WGS-84 lengths of a degree there.
    pub fn around(lon0: f64, lat0: f64) -> Self {
        let phi = lat0.to_radians();
        // The usual series for the lengths of a degree on the WGS-84 ellipsoid.
        let ky = 111_132.954 - 559.822 * (2.0 * phi).cos() + 1.175 * (4.0 * phi).cos();
        let kx = 111_412.84 * phi.cos() - 93.5 * (3.0 * phi).cos() + 0.118 * (5.0 * phi).cos();
        Self { lon0, lat0, kx, ky }
    }

    /// A frame centred on the middle of the territory's bounding box (street, else grids).
    pub fn for_territory(t: &Territory) -> Self {
        let mut b = Bounds::empty();
        for p in &t.street.boundary.0 {
            b.extend(p);
        }
        if b.is_empty() {
            for g in &t.grids {
                for r in &g.boundary.0 {
                    b.extend(r);
                }
            }
        }
        if b.is_empty() {
            return Self::around(0.0, 0.0);
        }
        Self::around((b.min[0] + b.max[0]) / 2.0, (b.min[1] + b.max[1]) / 2.0)
    }

    pub fn to_local(&self, p: [f64; 2]) -> [f64; 2] {
        [(p[0] - self.lon0) * self.kx, (p[1] - self.lat0) * self.ky]
    }

    pub fn to_lonlat(&self, p: [f64; 2]) -> [f64; 2] {
        [self.lon0 + p[0] / self.kx, self.lat0 + p[1] / self.ky]
    }

    /// The polygon in this frame as a `geo` polygon (rings closed by `geo`).
    pub fn polygon(&self, p: &Polygon) -> geo::Polygon<f64> {
        let ring = |r: &Vec<[f64; 2]>| {
            geo::LineString::from(
                r.iter()
                    .map(|&c| {
                        let [x, y] = self.to_local(c);
                        geo::Coord { x, y }
                    })
                    .collect::<Vec<_>>(),
            )
        };
        let mut rings = p.0.iter();
        let exterior = rings
            .next()
            .map(ring)
            .unwrap_or_else(|| geo::LineString::new(vec![]));
        geo::Polygon::new(exterior, rings.map(ring).collect())
    }
}

/// A bounding box in whatever plane its points are in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: [f64; 2],
    pub max: [f64; 2],
}

impl Bounds {
    pub fn empty() -> Self {
        Self {
            min: [f64::INFINITY; 2],
            max: [f64::NEG_INFINITY; 2],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.min[0] > self.max[0] || self.min[1] > self.max[1]
    }

    pub fn add(&mut self, p: [f64; 2]) {
        if p[0].is_finite() && p[1].is_finite() {
            self.min = [self.min[0].min(p[0]), self.min[1].min(p[1])];
            self.max = [self.max[0].max(p[0]), self.max[1].max(p[1])];
        }
    }

    pub fn extend(&mut self, ring: &[[f64; 2]]) {
        for &p in ring {
            self.add(p);
        }
    }
}

/// Area of a polygon in m² (outer ring minus holes), through the frame.
pub fn area_m2(frame: &LocalFrame, p: &Polygon) -> f64 {
    use geo::Area;
    frame.polygon(p).unsigned_area()
}
