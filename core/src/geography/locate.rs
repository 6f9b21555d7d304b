//! Point → grid, offline.
//!
//! A [`Locator`] is built once per territory: the grids are projected to a [`LocalFrame`] (metres),
//! and their bounding boxes go into an R-tree. "Which grid contains it" tests only the grids whose
//! box holds the point; "how far is the nearest other grid" walks boxes in order of distance (a lower
//! bound of the true distance) and stops once no box can hold anything nearer, so it measures a
//! handful of polygons instead of all of them.
//!
//! **The boundary rule.** A point belongs to the grid with the *smallest code* among the grids whose
//! closed polygon, grown by [`EDGE_TOLERANCE_M`] (1 mm), contains it. So a point on an edge shared by
//! two grids, on a vertex, or on a vertex shared by three or four grids goes to the smallest code, and
//! so does a point within a millimetre of one (projection rounding cannot flip the answer). A point
//! strictly inside one grid, farther than 1 mm from every other, is in that grid.
//!
//! **Outside the street.** A point in no grid gets the nearest grid (grids within 1 mm of the
//! nearest distance tie, and the smallest code wins), `outside = true` and `distance_m` to it.
//!
//! **Near a boundary.** `nearest_other_m` is the distance to the nearest grid other than the one
//! returned; `near_boundary` is set when it is under `max(accuracy, 30 m)`: the UI then asks the
//! delegate to confirm the grid.

use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use serde::{Deserialize, Serialize};

use super::LocalFrame;
use super::cells::{Cell, Cells, Contain, MAX_CELL_GRIDS, Shape};
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
    /// The rings' box.
    lo: [f64; 2],
    hi: [f64; 2],
}

/// The point → grid index of one territory.
pub struct Locator {
    frame: LocalFrame,
    ids: Vec<(GridId, CommunityId, StationId)>,
    shapes: Vec<GridShape>,
    boxes: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    /// The fast path for points over the territory (see [`super::cells`]), when built
    /// ([`Locator::with_cells`]).
    cells: Option<Cells>,
    segments: usize,
}

impl std::fmt::Debug for Locator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locator")
            .field("grids", &self.ids.len())
            .field("segments", &self.segments)
            .field("cells", &self.cells.as_ref().map_or(0, Cells::len))
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

/// The boundary rule's containment: inside, or within the edge tolerance of the boundary.
fn within(rings: &[Vec<[f64; 2]>], p: [f64; 2]) -> bool {
    let (inside, d) = scan(rings, p);
    inside || d <= EDGE_TOLERANCE_M
}

fn boundary_distance(rings: &[Vec<[f64; 2]>], p: [f64; 2]) -> f64 {
    let mut best = f64::INFINITY;
    for ring in rings {
        for w in ring.windows(2) {
            best = best.min(seg_dist2(p, w[0], w[1]));
        }
    }
    best.sqrt()
}

pub(super) fn seg_dist2(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
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
        let mut segments = 0;
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
                        segments += 1;
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
                lo,
                hi,
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
            cells: None,
            segments,
        })
    }

    /// The same index plus the raster of cells, for heavy use (millions of points: bulk
    /// analyses, the benchmark): building it takes tens of milliseconds, after which the full
    /// answer costs about half a microsecond instead of one and a half. A device or the UI, which
    /// places a point per capture, uses [`Locator::new`].
    pub fn with_cells(t: &Territory) -> Result<Self> {
        let mut l = Self::new(t)?;
        let shapes = &l.shapes;
        l.cells = Some(Cells::build(
            &shapes
                .iter()
                .map(|s| Shape {
                    rings: &s.rings,
                    lo: s.lo,
                    hi: s.hi,
                })
                .collect::<Vec<_>>(),
            |k, p| within(&shapes[k].rings, p),
            |k| shapes[k].rank,
        ));
        Ok(l)
    }

    /// The point's raster cell, when the raster is built and covers it.
    fn cell(&self, p: [f64; 2]) -> Option<(&Cells, &Cell)> {
        let cells = self.cells.as_ref()?;
        Some((cells, cells.cell(p)?))
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
        for item in self.boxes.locate_all_at_point(&p) {
            let k = item.data;
            if best.is_some_and(|b| self.shapes[b].rank < self.shapes[k].rank) {
                continue;
            }
            if within(&self.shapes[k].rings, p) {
                best = Some(k);
            }
        }
        best
    }

    /// Just the grid a WGS-84 `[lon, lat]` lies in (no distances); `None` outside every grid.
    pub fn grid_at(&self, lon: f64, lat: f64) -> Result<Option<&GridId>> {
        let p = self.frame.to_local(Self::check(lon, lat)?);
        let found = match self.cell(p) {
            Some((cells, cell)) => self.contained_in_cell(cells, cell, p),
            None => self.containing(p),
        };
        Ok(found.map(|k| &self.ids[k].0))
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
        if let Some(answer) = self.locate_in_cell(p) {
            let (found, k, distance_m, other) = answer;
            return Ok(self.placement(k, !found, distance_m, other, acc, source));
        }
        self.locate_general(p, acc, source)
    }

    /// The general path (R-tree), for points the raster does not cover.
    fn locate_general(
        &self,
        p: [f64; 2],
        acc: Option<f64>,
        source: LocationSource,
    ) -> Result<Placement> {
        let found = self.containing(p);
        let nearest = match found {
            Some(k) => Some((k, 0.0)),
            None => self.nearest_grid(p, None),
        };
        let other = nearest.and_then(|(k, _)| self.nearest_grid(p, Some(k)));
        let Some((k, distance_m)) = nearest else {
            return Err(Error::InvalidTerritory(
                "no grid has a boundary to locate in".into(),
            ));
        };
        Ok(self.placement(k, found.is_none(), distance_m, other, acc, source))
    }

    /// The boundary rule's grid for a point of `cell`.
    fn contained_in_cell(&self, cells: &Cells, cell: &Cell, p: [f64; 2]) -> Option<usize> {
        match cell.contain {
            Contain::Fixed(g) => g.map(|g| g as usize),
            Contain::Test(a, b) => cells.candidates[a as usize..b as usize]
                .iter()
                .map(|&k| k as usize)
                .filter(|&k| within(&self.shapes[k].rings, p))
                .min_by_key(|&k| self.shapes[k].rank),
        }
    }

    /// The fast path: `(inside a grid, the grid, distance to it, nearest other grid)` from the
    /// point's raster cell; `None` where the raster does not cover the point.
    #[allow(clippy::type_complexity)]
    fn locate_in_cell(&self, p: [f64; 2]) -> Option<(bool, usize, f64, Option<(usize, f64)>)> {
        let (cells, cell) = self.cell(p)?;
        let found = self.contained_in_cell(cells, cell, p);
        // Each grid's distance over the segments the cell kept for it (grouped by grid).
        let mut near = [(0usize, f64::INFINITY); MAX_CELL_GRIDS];
        let mut n = 0;
        let segs = &cells.segs[cell.segs.0 as usize..cell.segs.1 as usize];
        for run in segs.chunk_by(|x, y| x.grid == y.grid) {
            let d2 = run
                .iter()
                .map(|s| seg_dist2(p, s.a, s.b))
                .fold(f64::INFINITY, f64::min);
            if let Some(slot) = near.get_mut(n) {
                *slot = (run[0].grid as usize, d2.sqrt());
                n += 1;
            }
        }
        let near = &near[..n];
        // Nearest grid (other than `exclude`): ties within the tolerance go to the smaller code.
        let pick = |exclude: Option<usize>| {
            let d0 = near
                .iter()
                .filter(|x| Some(x.0) != exclude)
                .fold(f64::INFINITY, |m, x| m.min(x.1));
            near.iter()
                .filter(|x| Some(x.0) != exclude && x.1 <= d0 + EDGE_TOLERANCE_M)
                .min_by_key(|x| self.shapes[x.0].rank)
                .copied()
        };
        let (k, distance_m) = match found {
            Some(k) => (k, 0.0),
            None => pick(None)?,
        };
        Some((found.is_some(), k, distance_m, pick(Some(k))))
    }

    /// The grid whose boundary is nearest to `p` (ties within the edge tolerance go to the smaller
    /// code), skipping `exclude`. Walks grids by bounding-box distance, a lower bound of the
    /// boundary distance, and stops once no box can hold anything nearer.
    fn nearest_grid(&self, p: [f64; 2], exclude: Option<usize>) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for (item, d2) in self.boxes.nearest_neighbor_iter_with_distance_2(&p) {
            if best.is_some_and(|(_, bd)| d2.sqrt() > bd + EDGE_TOLERANCE_M) {
                break;
            }
            let k = item.data;
            if Some(k) == exclude {
                continue;
            }
            let d = boundary_distance(&self.shapes[k].rings, p);
            best = match best {
                None => Some((k, d)),
                Some((_, bd)) if d < bd - EDGE_TOLERANCE_M => Some((k, d)),
                Some((b, bd))
                    if d <= bd + EDGE_TOLERANCE_M && self.shapes[k].rank < self.shapes[b].rank =>
                {
                    Some((k, d))
                }
                keep => keep,
            };
        }
        best
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
            None => {
                let d0 = scans.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);
                (0..self.shapes.len())
                    .filter(|&k| scans[k].1 <= d0 + EDGE_TOLERANCE_M)
                    .min_by_key(|&k| self.shapes[k].rank)
                    .map_or((0, f64::INFINITY), |k| (k, scans[k].1))
            }
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

    /// The general path alone (R-tree over grid boxes, no raster), which answers for points far
    /// outside the territory: the benchmark's second baseline.
    pub fn locate_without_cells(
        &self,
        lon: f64,
        lat: f64,
        accuracy_m: Option<f64>,
    ) -> Result<Placement> {
        let p = self.frame.to_local(Self::check(lon, lat)?);
        self.locate_general(p, accuracy_m, LocationSource::Gps)
    }

    /// The number of boundary segments and of raster cells (for the benchmark's report).
    pub fn size(&self) -> (usize, usize) {
        (self.segments, self.cells.as_ref().map_or(0, Cells::len))
    }

    /// The number of indexed grids.
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use geo::{Contains, Intersects};
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;
    use crate::demo::gulou;

    fn setup() -> (Territory, Locator) {
        let t = gulou().unwrap();
        let l = Locator::with_cells(&t).unwrap();
        (t, l)
    }

    /// The test's random source: `GRIDVOICE_SEED` or a fresh seed, printed for a rerun.
    fn seeded() -> (u64, StdRng) {
        let seed: u64 = std::env::var("GRIDVOICE_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(rand::random);
        println!("seed {seed} (rerun with GRIDVOICE_SEED={seed})");
        (seed, StdRng::seed_from_u64(seed))
    }

    /// Every (ordered) boundary vertex of a grid, in WGS-84.
    fn vertices(t: &Territory, code: &GridId) -> Vec<[f64; 2]> {
        t.grid(code).unwrap().boundary.0[0].clone()
    }

    #[test]
    fn the_cell_raster_answers_as_the_r_tree_does_on_vertices_edges_and_random_points() {
        let (seed, mut rng) = seeded();
        let (t, l) = setup();
        let mut points: Vec<[f64; 2]> = Vec::new();
        for g in &t.grids {
            for w in g.boundary.0[0].windows(2) {
                points.push(w[0]);
                points.push([(w[0][0] + w[1][0]) / 2.0, (w[0][1] + w[1][1]) / 2.0]);
            }
        }
        // Over the street and well beyond the raster's margin, where the general path answers.
        for _ in 0..4000 {
            points.push([
                rng.random_range(116.76..116.92),
                rng.random_range(40.32..40.42),
            ]);
        }
        let (mut fast, mut general) = (0, 0);
        for [lon, lat] in points {
            let q = l.frame.to_local([lon, lat]);
            let expected = l.locate_general(q, None, LocationSource::Gps).unwrap();
            let Some((found, k, d, other)) = l.locate_in_cell(q) else {
                general += 1;
                continue;
            };
            fast += 1;
            let at = format!("seed {seed}: [{lon}, {lat}]");
            assert_eq!(l.ids[k].0, expected.grid, "{at}");
            assert_eq!(!found, expected.outside, "{at}");
            let only_grid = l.grid_at(lon, lat).unwrap();
            assert_eq!(only_grid, found.then_some(&expected.grid), "{at}");
            assert!((d - expected.distance_m).abs() <= EDGE_TOLERANCE_M, "{at}");
            let (o, od) = other.unwrap();
            let eo = expected.nearest_other_m.unwrap();
            assert!((od - eo).abs() <= EDGE_TOLERANCE_M, "{at}: {od} vs {eo}");
            if (od - eo).abs() == 0.0 && expected.nearest_other.as_ref() != Some(&l.ids[o].0) {
                // The same distance from two other grids (a shared vertex): either is right.
                assert!(od < EDGE_TOLERANCE_M, "{at}");
            }
        }
        assert!(
            fast > 3000 && general > 300,
            "{fast} fast, {general} general"
        );
    }

    #[test]
    fn random_points_land_in_exactly_one_grid_and_outside_points_are_flagged() {
        let (seed, mut rng) = seeded();
        let (t, l) = setup();
        let frame = l.frame();
        let street = frame.polygon(&t.street.boundary);
        let grids: Vec<geo::Polygon<f64>> =
            t.grids.iter().map(|g| frame.polygon(&g.boundary)).collect();
        let (mut inside, mut outside) = (0, 0);
        for _ in 0..3000 {
            let lon = rng.random_range(116.81..116.87);
            let lat = rng.random_range(40.35..40.39);
            let p = l
                .locate(lon, lat, Some(rng.random_range(0.0..60.0)))
                .unwrap();
            let q = geo::Point::from(frame.to_local([lon, lat]));
            let in_street = street.intersects(&q);
            let containing = grids.iter().filter(|g| g.contains(&q)).count();
            assert!(
                containing <= 1,
                "seed {seed}: [{lon}, {lat}] strictly inside {containing} grids"
            );
            if in_street && street.contains(&q) {
                inside += 1;
                assert!(!p.outside, "seed {seed}: [{lon}, {lat}] is in the street");
                assert_eq!(p.distance_m, 0.0);
            } else if !in_street {
                outside += 1;
                assert!(
                    p.outside && p.distance_m > 0.0,
                    "seed {seed}: [{lon}, {lat}] {p:?}"
                );
                assert!(p.needs_confirmation());
            }
            assert_eq!(t.grid(&p.grid).unwrap().station, p.station);
            let brute = l
                .locate_brute_force(lon, lat, p.nearest_other_m.map(|_| 0.0))
                .unwrap();
            assert_eq!(brute.grid, p.grid, "seed {seed}: [{lon}, {lat}]");
            assert_eq!(brute.outside, p.outside);
            // Distances within the edge tolerance are ties (see the module docs).
            assert!((brute.distance_m - p.distance_m).abs() <= EDGE_TOLERANCE_M);
            let (a, b) = (brute.nearest_other_m.unwrap(), p.nearest_other_m.unwrap());
            assert!(
                (a - b).abs() <= EDGE_TOLERANCE_M,
                "seed {seed}: [{lon}, {lat}] {a} vs {b}"
            );
        }
        assert!(
            inside > 1000 && outside > 200,
            "{inside} inside, {outside} outside"
        );
    }

    #[test]
    fn a_point_on_a_shared_edge_goes_to_the_smaller_code_and_asks_to_confirm() {
        let (t, l) = setup();
        // Find two grids with a common edge (shared vertices are exactly equal in the demo data).
        for a in &t.grids {
            for b in &t.grids {
                if a.id >= b.id {
                    continue;
                }
                let va = vertices(&t, &a.id);
                let vb = vertices(&t, &b.id);
                for w in va.windows(2) {
                    if vb.windows(2).any(|x| x[0] == w[1] && x[1] == w[0]) {
                        let mid = [(w[0][0] + w[1][0]) / 2.0, (w[0][1] + w[1][1]) / 2.0];
                        let p = l.locate(mid[0], mid[1], None).unwrap();
                        assert_eq!(p.grid, a.id, "edge {a:?}/{b:?}", a = a.id, b = b.id);
                        assert!(!p.outside && p.near_boundary);
                        assert_eq!(p.nearest_other.as_ref(), Some(&b.id));
                        assert!(p.nearest_other_m.unwrap() < 1e-6);
                        return;
                    }
                }
            }
        }
        panic!("no shared edge in the demo territory");
    }

    #[test]
    fn a_vertex_shared_by_three_grids_goes_to_the_smallest_code() {
        let (t, l) = setup();
        let mut owners: std::collections::BTreeMap<(u64, u64), Vec<&GridId>> = Default::default();
        for g in &t.grids {
            for p in &g.boundary.0[0][1..] {
                owners
                    .entry((p[0].to_bits(), p[1].to_bits()))
                    .or_default()
                    .push(&g.id);
            }
        }
        let (key, grids) = owners.iter().find(|(_, g)| g.len() >= 3).unwrap();
        let p = l
            .locate(f64::from_bits(key.0), f64::from_bits(key.1), Some(5.0))
            .unwrap();
        assert_eq!(&&p.grid, grids.iter().min().unwrap());
        assert!(p.near_boundary);
        // A vertex on the street's outline belongs to its only grid, inside the street.
        let outline = t.street.boundary.0[0][0];
        let p = l.locate(outline[0], outline[1], None).unwrap();
        assert!(!p.outside);
        assert_eq!(p.distance_m, 0.0);
    }

    #[test]
    fn seed_14908030312748039917_outside_point_equidistant_from_two_grids() {
        // The property test found a point south of the street whose nearest boundary point is a
        // vertex shared by two grids: the tie goes to the smaller code, in the index and the scan.
        let (_, l) = setup();
        let (lon, lat) = (116.845_774_936_903_21, 40.341_823_325_105_17);
        let p = l.locate(lon, lat, None).unwrap();
        let b = l.locate_brute_force(lon, lat, None).unwrap();
        assert!(p.outside);
        assert_eq!(p.grid, b.grid);
        assert_eq!(p.grid.as_str(), "110118003027002");
    }

    #[test]
    fn seed_242625054357428322_two_grids_within_a_millimetre_of_each_other_are_a_tie() {
        // West of the street, two grids lie at 413.5647 m and 413.5650 m: within the tolerance, so
        // the smaller code is the nearest grid and the other is reported at its own distance.
        let (_, l) = setup();
        let (lon, lat) = (116.813_144_793_023_21, 40.362_484_773_228_65);
        let p = l.locate(lon, lat, None).unwrap();
        let b = l.locate_brute_force(lon, lat, None).unwrap();
        assert!(p.outside);
        assert_eq!(p.grid, b.grid);
        assert!(
            (p.nearest_other_m.unwrap() - b.nearest_other_m.unwrap()).abs() <= EDGE_TOLERANCE_M
        );
    }

    #[test]
    fn a_point_far_outside_gets_the_nearest_grid_with_its_distance() {
        let (_, l) = setup();
        let p = l.locate(116.95, 40.37, Some(10.0)).unwrap();
        assert!(p.outside && p.needs_confirmation());
        assert!(
            p.distance_m > 5_000.0 && p.distance_m < 10_000.0,
            "{}",
            p.distance_m
        );
        assert!(p.nearest_other_m.unwrap() >= p.distance_m);
    }

    #[test]
    fn accuracy_widens_the_confirmation_radius() {
        let (t, l) = setup();
        // A point about 40 m inside a grid edge: near with a 60 m fix, not with a 10 m one.
        let frame = *l.frame();
        let g = &t.grids[0];
        let v = vertices(&t, &g.id);
        let (a, b) = (frame.to_local(v[0]), frame.to_local(v[1]));
        let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = (dx * dx + dy * dy).sqrt();
        // Rings are counter-clockwise, so the interior is to the left of each edge.
        let q = frame.to_lonlat([mid[0] - dy / len * 40.0, mid[1] + dx / len * 40.0]);
        let wide = l.locate(q[0], q[1], Some(60.0)).unwrap();
        let narrow = l.locate(q[0], q[1], Some(10.0)).unwrap();
        assert_eq!(wide.grid, g.id);
        let d = wide.nearest_other_m.unwrap();
        if (30.0..60.0).contains(&d) {
            assert!(wide.near_boundary && !narrow.near_boundary);
        }
        assert_eq!(wide.near_boundary, d < 60.0);
        assert_eq!(narrow.near_boundary, d < 30.0);
    }

    #[test]
    fn a_manual_pick_is_recorded_as_such_and_bad_input_is_refused() {
        let (t, l) = setup();
        let p = l.pick(&t.grids[5].id).unwrap();
        assert_eq!(p.source, LocationSource::GridPick);
        assert_eq!(p.community, t.grids[5].community);
        assert!(matches!(
            l.pick(&GridId::new("nope")),
            Err(Error::UnknownGrid(_))
        ));
        for (lon, lat) in [(f64::NAN, 40.0), (116.0, 91.0), (f64::INFINITY, 0.0)] {
            assert_eq!(l.locate(lon, lat, None), Err(Error::InvalidLocation));
        }
        let loc = Location {
            lat: 40.37,
            lon: 116.84,
            accuracy_m: None,
            source: LocationSource::Manual,
        };
        assert_eq!(
            l.locate_location(&loc).unwrap().source,
            LocationSource::Manual
        );
    }
}
