//! Point → grid, offline.
//!
//! A [`Locator`] is built once per territory: the grids are projected to a [`LocalFrame`] (metres),
//! their bounding boxes go into an R-tree for the "which grid contains it" question, and every
//! boundary segment goes into a second R-tree for the "how far is the nearest other grid" question
//! (a nearest-segment walk stops at the first segment of another grid, so it touches a handful of
//! segments instead of every polygon).
//!
//! **The boundary rule.** A point belongs to the grid with the *smallest code* among the grids whose
//! closed polygon, grown by [`EDGE_TOLERANCE_M`] (1 mm), contains it. So a point on an edge shared by
//! two grids, on a vertex, or on a vertex shared by three or four grids goes to the smallest code, and
//! so does a point within a millimetre of one (projection rounding cannot flip the answer). A point
//! strictly inside one grid, farther than 1 mm from every other, is in that grid.
//!
//! **Outside the street.** A point in no grid gets the nearest grid, `outside = true` and
//! `distance_m` to that grid.
//!
//! **Near a boundary.** `nearest_other_m` is the distance to the nearest grid other than the one
//! returned; `near_boundary` is set when it is under `max(accuracy, 30 m)`: the UI then asks the
//! delegate to confirm the grid.

use rstar::RTree;
use rstar::primitives::{GeomWithData, Line, Rectangle};
use serde::{Deserialize, Serialize};

use super::LocalFrame;
use crate::error::{Error, Result};
use crate::ids::{CommunityId, GridId, StationId};
use crate::model::{Location, LocationSource};
use crate::territory::Territory;

/// Points this close to a grid (metres) count as on it.
pub const EDGE_TOLERANCE_M: f64 = 0.001;
/// The smallest confirmation radius: a GPS fix is rarely better than this in a street of tall blocks.
pub const NEAR_BOUNDARY_MIN_M: f64 = 30.0;

/// Where a point falls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    pub grid: GridId,
    pub community: CommunityId,
    pub station: StationId,
    /// How the grid was found: a position ([`LocationSource::Gps`] / [`LocationSource::Manual`]) or a
    /// hand pick on the map ([`LocationSource::GridPick`], with no distances).
    pub source: LocationSource,
    /// The point lies in no grid (outside the street); `grid` is the nearest one.
    pub outside: bool,
    /// Distance to `grid` in metres: 0 inside it.
    pub distance_m: f64,
    /// The nearest grid other than `grid`, and how far it is.
    pub nearest_other: Option<GridId>,
    pub nearest_other_m: Option<f64>,
    /// `nearest_other_m < max(accuracy, 30 m)`: ask the delegate to confirm.
    pub near_boundary: bool,
}

impl Placement {
    /// Whether the UI should ask the delegate to confirm the grid.
    pub fn needs_confirmation(&self) -> bool {
        self.outside || self.near_boundary
    }
}

struct GridShape {
    /// Rings in the local frame, each closed (first point repeated last).
    rings: Vec<Vec<[f64; 2]>>,
    /// Rank of the grid's code among all codes: the tie-break of the boundary rule.
    rank: usize,
}

/// The point → grid index of one territory.
pub struct Locator {
    frame: LocalFrame,
    ids: Vec<(GridId, CommunityId, StationId)>,
    shapes: Vec<GridShape>,
    boxes: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    segments: RTree<GeomWithData<Line<[f64; 2]>, usize>>,
}

impl std::fmt::Debug for Locator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locator")
            .field("grids", &self.ids.len())
            .field("segments", &self.segments.size())
            .finish()
    }
}

/// Is `p` inside the rings (even-odd), and how far is it from their boundary?
fn scan(rings: &[Vec<[f64; 2]>], p: [f64; 2]) -> (bool, f64) {
    let mut inside = false;
    let mut best = f64::INFINITY;
    for ring in rings {
        for w in ring.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a[1] > p[1]) != (b[1] > p[1]) {
                let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                if p[0] < x {
                    inside = !inside;
                }
            }
            best = best.min(seg_dist2(p, a, b));
        }
    }
    (inside, best.sqrt())
}

fn seg_dist2(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    qx * qx + qy * qy
}

impl Locator {
    /// Indexes the territory's grids. Grids without a boundary are skipped (they can only be
    /// picked by hand); an error if no grid has one.
    pub fn new(t: &Territory) -> Result<Self> {
        let frame = LocalFrame::for_territory(t);
        let mut order: Vec<usize> = (0..t.grids.len()).collect();
        order.sort_by(|&a, &b| t.grids[a].id.cmp(&t.grids[b].id));
        let mut rank = vec![0; t.grids.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r;
        }
        let mut ids = Vec::new();
        let mut shapes = Vec::new();
        let mut boxes = Vec::new();
        let mut segments = Vec::new();
        for (i, g) in t.grids.iter().enumerate() {
            let mut rings = Vec::new();
            let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
            for ring in &g.boundary.0 {
                let mut r: Vec<[f64; 2]> = ring
                    .iter()
                    .filter(|c| c[0].is_finite() && c[1].is_finite())
                    .map(|&c| frame.to_local(c))
                    .collect();
                if r.len() < 3 {
                    continue;
                }
                if r.first() != r.last() {
                    r.push(r[0]);
                }
                for &q in &r {
                    lo = [lo[0].min(q[0]), lo[1].min(q[1])];
                    hi = [hi[0].max(q[0]), hi[1].max(q[1])];
                }
                rings.push(r);
            }
            if rings.is_empty() {
                continue;
            }
            let k = shapes.len();
            for r in &rings {
                for w in r.windows(2) {
                    if w[0] != w[1] {
                        segments.push(GeomWithData::new(Line::new(w[0], w[1]), k));
                    }
                }
            }
            let e = EDGE_TOLERANCE_M;
            boxes.push(GeomWithData::new(
                Rectangle::from_corners([lo[0] - e, lo[1] - e], [hi[0] + e, hi[1] + e]),
                k,
            ));
            shapes.push(GridShape {
                rings,
                rank: rank[i],
            });
            ids.push((g.id.clone(), g.community.clone(), g.station.clone()));
        }
        if shapes.is_empty() {
            return Err(Error::InvalidTerritory(
                "no grid has a boundary to locate in".into(),
            ));
        }
        Ok(Self {
            frame,
            ids,
            shapes,
            boxes: RTree::bulk_load(boxes),
            segments: RTree::bulk_load(segments),
        })
    }

    pub fn frame(&self) -> &LocalFrame {
        &self.frame
    }

    fn check(lon: f64, lat: f64) -> Result<[f64; 2]> {
        if lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0 {
            Ok([lon, lat])
        } else {
            Err(Error::InvalidLocation)
        }
    }

    /// The grid containing a local point under the boundary rule, if any (R-tree + point in polygon).
    fn containing(&self, p: [f64; 2]) -> Option<usize> {
        let mut best: Option<usize> = None;
        for item in self.boxes.locate_all_at_point(p) {
            let k = item.data;
            if best.is_some_and(|b| self.shapes[b].rank < self.shapes[k].rank) {
                continue;
            }
            let (inside, d) = scan(&self.shapes[k].rings, p);
            if inside || d <= EDGE_TOLERANCE_M {
                best = Some(k);
            }
        }
        best
    }

    /// Just the grid a WGS-84 `[lon, lat]` lies in (no distances); `None` outside every grid.
    pub fn grid_at(&self, lon: f64, lat: f64) -> Result<Option<&GridId>> {
        let p = self.frame.to_local(Self::check(lon, lat)?);
        Ok(self.containing(p).map(|k| &self.ids[k].0))
    }

    /// Places a WGS-84 position (`accuracy_m`: the fix's 68% radius, if known).
    pub fn locate(&self, lon: f64, lat: f64, accuracy_m: Option<f64>) -> Result<Placement> {
        self.locate_as(lon, lat, accuracy_m, LocationSource::Gps)
    }

    /// Places a [`Location`] (keeps its source).
    pub fn locate_location(&self, loc: &Location) -> Result<Placement> {
        self.locate_as(loc.lon, loc.lat, loc.accuracy_m, loc.source)
    }

    fn locate_as(
        &self,
        lon: f64,
        lat: f64,
        acc: Option<f64>,
        source: LocationSource,
    ) -> Result<Placement> {
        let p = self.frame.to_local(Self::check(lon, lat)?);
        let found = self.containing(p);
        // Walk boundary segments outward from the point: the first segment belongs to the nearest
        // grid, and the first one of any other grid gives the nearest other grid.
        let mut nearest: Option<(usize, f64)> = found.map(|k| (k, 0.0));
        let mut other: Option<(usize, f64)> = None;
        for (seg, d2) in self.segments.nearest_neighbor_iter_with_distance_2(p) {
            let k = seg.data;
            match nearest {
                None => nearest = Some((k, d2.sqrt())),
                Some((n, _)) if n != k => {
                    other = Some((k, d2.sqrt()));
                    break;
                }
                Some(_) => {}
            }
        }
        let Some((k, distance_m)) = nearest else {
            return Err(Error::InvalidTerritory(
                "no grid has a boundary to locate in".into(),
            ));
        };
        Ok(self.placement(k, found.is_none(), distance_m, other, acc, source))
    }

    fn placement(
        &self,
        k: usize,
        outside: bool,
        distance_m: f64,
        other: Option<(usize, f64)>,
        acc: Option<f64>,
        source: LocationSource,
    ) -> Placement {
        let radius = acc
            .filter(|a| a.is_finite())
            .unwrap_or(0.0)
            .max(NEAR_BOUNDARY_MIN_M);
        let (grid, community, station) = self.ids[k].clone();
        Placement {
            grid,
            community,
            station,
            source,
            outside,
            distance_m,
            nearest_other: other.map(|(o, _)| self.ids[o].0.clone()),
            nearest_other_m: other.map(|(_, d)| d),
            near_boundary: other.is_some_and(|(_, d)| d < radius),
        }
    }

    /// The same answer as [`Locator::locate`] by scanning every polygon: the baseline for the
    /// benchmark and the oracle for tests.
    pub fn locate_brute_force(
        &self,
        lon: f64,
        lat: f64,
        accuracy_m: Option<f64>,
    ) -> Result<Placement> {
        let p = self.frame.to_local(Self::check(lon, lat)?);
        let scans: Vec<(bool, f64)> = self.shapes.iter().map(|s| scan(&s.rings, p)).collect();
        let found = (0..self.shapes.len())
            .filter(|&k| scans[k].0 || scans[k].1 <= EDGE_TOLERANCE_M)
            .min_by_key(|&k| self.shapes[k].rank);
        let (k, distance_m) = match found {
            Some(k) => (k, 0.0),
            None => (0..self.shapes.len())
                .map(|k| (k, scans[k].1))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((0, f64::INFINITY)),
        };
        let other = (0..self.shapes.len())
            .filter(|&o| o != k)
            .map(|o| (o, scans[o].1))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        Ok(self.placement(
            k,
            found.is_none(),
            distance_m,
            other,
            accuracy_m,
            LocationSource::Gps,
        ))
    }

    /// A grid picked by hand on the map: recorded as [`LocationSource::GridPick`], with no distances.
    pub fn pick(&self, grid: &GridId) -> Result<Placement> {
        let k = self
            .ids
            .iter()
            .position(|(g, _, _)| g == grid)
            .ok_or_else(|| Error::UnknownGrid(grid.to_string()))?;
        let (grid, community, station) = self.ids[k].clone();
        Ok(Placement {
            grid,
            community,
            station,
            source: LocationSource::GridPick,
            outside: false,
            distance_m: 0.0,
            nearest_other: None,
            nearest_other_m: None,
            near_boundary: false,
        })
    }

    /// The number of indexed grids.
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }
}
