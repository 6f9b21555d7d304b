//! The fast path of [`super::locate::Locator`]: a raster of square cells over the territory, each
//! holding what any point inside it needs, worked out once when the locator is built.
//!
//! - **Containment.** When no grid boundary comes within [`EDGE_TOLERANCE_M`] of a cell, every point
//!   of the cell lies in the same grids, so the boundary rule's answer is stored with the cell; the
//!   other cells keep the grids whose box touches them and test those.
//! - **Distances.** For the nearest grid and the nearest *other* grid, a cell keeps only the boundary
//!   segments that can matter: let `u1 ≤ u2` be the two smallest upper bounds, over distinct grids, of
//!   the distance from a point of the cell to a grid's boundary (distance from the cell's centre plus
//!   half its diagonal). Whatever grid is excluded, the answer is at most `u2`, so a segment whose
//!   distance to the cell is more than `u2` (plus the tolerance, for ties) can never be the one that
//!   decides, and is dropped. What remains is usually a few segments of two or three grids.
//!
//! Points outside the raster (far outside the street) take the general R-tree path.

use super::locate::{EDGE_TOLERANCE_M, seg_dist2};

/// The most grids a cell may name; a cell that would need more takes the general path.
pub const MAX_CELL_GRIDS: usize = 32;
/// The most cells per side: bounds the memory and the build time on a very large territory.
const MAX_SIDE: usize = 256;
/// The preferred cell side in metres.
const CELL_M: f64 = 40.0;

/// A boundary segment and the grid it bounds.
#[derive(Debug, Clone, Copy)]
pub struct Seg {
    pub grid: u32,
    pub a: [f64; 2],
    pub b: [f64; 2],
}

/// What the raster knows about containment in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contain {
    /// The same answer for every point of the cell.
    Fixed(Option<u32>),
    /// Test these grids (a range of [`Cells::candidates`]).
    Test(u32, u32),
}

#[derive(Debug, Clone, Copy)]
pub struct Cell {
    pub contain: Contain,
    /// A range of [`Cells::segs`], grouped by grid.
    pub segs: (u32, u32),
    /// More than [`MAX_CELL_GRIDS`] grids: use the general path.
    pub general: bool,
}

/// One grid as the raster sees it: its rings (closed, local metres) and their box.
pub struct Shape<'a> {
    pub rings: &'a [Vec<[f64; 2]>],
    pub lo: [f64; 2],
    pub hi: [f64; 2],
}

#[derive(Debug)]
pub struct Cells {
    origin: [f64; 2],
    side: f64,
    nx: usize,
    ny: usize,
    cells: Vec<Cell>,
    pub candidates: Vec<u32>,
    pub segs: Vec<Seg>,
}

/// Squared distance between two axis-aligned boxes (0 when they meet).
fn box_box_dist2(alo: [f64; 2], ahi: [f64; 2], blo: [f64; 2], bhi: [f64; 2]) -> f64 {
    let dx = (blo[0] - ahi[0]).max(alo[0] - bhi[0]).max(0.0);
    let dy = (blo[1] - ahi[1]).max(alo[1] - bhi[1]).max(0.0);
    dx * dx + dy * dy
}

/// Distance from a segment to a box: 0 if they meet, else the least of the end points' distances to
/// the box and the box corners' distances to the segment.
fn seg_box_dist(a: [f64; 2], b: [f64; 2], lo: [f64; 2], hi: [f64; 2]) -> f64 {
    if seg_meets_box(a, b, lo, hi) {
        return 0.0;
    }
    let mut best = box_box_dist2(a, a, lo, hi).min(box_box_dist2(b, b, lo, hi));
    for c in [lo, hi, [lo[0], hi[1]], [hi[0], lo[1]]] {
        best = best.min(seg_dist2(c, a, b));
    }
    best.sqrt()
}

/// Whether a segment meets a closed box (Liang–Barsky clipping).
fn seg_meets_box(a: [f64; 2], b: [f64; 2], lo: [f64; 2], hi: [f64; 2]) -> bool {
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    let d = [b[0] - a[0], b[1] - a[1]];
    for axis in 0..2 {
        if d[axis] == 0.0 {
            if a[axis] < lo[axis] || a[axis] > hi[axis] {
                return false;
            }
            continue;
        }
        let (mut ta, mut tb) = (
            (lo[axis] - a[axis]) / d[axis],
            (hi[axis] - a[axis]) / d[axis],
        );
        if ta > tb {
            std::mem::swap(&mut ta, &mut tb);
        }
        t0 = t0.max(ta);
        t1 = t1.min(tb);
        if t0 > t1 {
            return false;
        }
    }
    true
}

impl Cells {
    /// Builds the raster over the shapes' joint box plus a margin; `inside(k, p)` is the boundary
    /// rule's containment test of grid `k` at a point, `rank(k)` its tie-break rank.
    pub fn build(
        shapes: &[Shape<'_>],
        inside: impl Fn(usize, [f64; 2]) -> bool,
        rank: impl Fn(usize) -> usize,
    ) -> Self {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for s in shapes {
            lo = [lo[0].min(s.lo[0]), lo[1].min(s.lo[1])];
            hi = [hi[0].max(s.hi[0]), hi[1].max(s.hi[1])];
        }
        let extent = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(1.0);
        // A margin of an eighth of the extent: positions a little outside the street stay fast.
        let margin = extent / 8.0;
        let (lo, hi) = (
            [lo[0] - margin, lo[1] - margin],
            [hi[0] + margin, hi[1] + margin],
        );
        let side = CELL_M.max((hi[0] - lo[0]).max(hi[1] - lo[1]) / MAX_SIDE as f64);
        let nx = (((hi[0] - lo[0]) / side).ceil() as usize).max(1);
        let ny = (((hi[1] - lo[1]) / side).ceil() as usize).max(1);
        let all: Vec<Vec<Seg>> = shapes
            .iter()
            .enumerate()
            .map(|(k, s)| {
                s.rings
                    .iter()
                    .flat_map(|r| r.windows(2))
                    .map(|w| Seg {
                        grid: k as u32,
                        a: w[0],
                        b: w[1],
                    })
                    .collect()
            })
            .collect();
        let mut out = Self {
            origin: lo,
            side,
            nx,
            ny,
            cells: Vec::with_capacity(nx * ny),
            candidates: Vec::new(),
            segs: Vec::new(),
        };
        let half_diag = side * std::f64::consts::FRAC_1_SQRT_2;
        let tol = EDGE_TOLERANCE_M;
        // Grids by distance from the cell to their box: kept from cell to cell, where it changes
        // little, so the (run-adaptive) sort does little work.
        let mut order: Vec<(f64, usize)> = (0..shapes.len()).map(|k| (0.0, k)).collect();
        for j in 0..ny {
            for i in 0..nx {
                let clo = [lo[0] + i as f64 * side, lo[1] + j as f64 * side];
                let chi = [clo[0] + side, clo[1] + side];
                let centre = [clo[0] + side / 2.0, clo[1] + side / 2.0];
                // Grids by the distance from the cell to their box: a lower bound of the distance
                // to their boundary.
                for entry in &mut order {
                    let s = &shapes[entry.1];
                    entry.0 = box_box_dist2(clo, chi, s.lo, s.hi).sqrt();
                }
                // Insertion sort: linear on the nearly sorted order the previous cell left.
                for i in 1..order.len() {
                    let mut j = i;
                    while j > 0 && order[j - 1].0 > order[j].0 {
                        order.swap(j - 1, j);
                        j -= 1;
                    }
                }
                // The two smallest upper bounds over distinct grids.
                let (mut u1, mut u2) = (f64::INFINITY, f64::INFINITY);
                for &(lb, k) in &order {
                    if lb > u2 {
                        break;
                    }
                    let d = all[k]
                        .iter()
                        .map(|s| seg_dist2(centre, s.a, s.b))
                        .fold(f64::INFINITY, f64::min)
                        .sqrt()
                        + half_diag;
                    if d < u1 {
                        u2 = u1;
                        u1 = d;
                    } else if d < u2 {
                        u2 = d;
                    }
                }
                let keep = u2 + tol;
                let seg_start = out.segs.len();
                let mut grids = 0;
                let mut boundary_touches = false;
                for &(lb, k) in &order {
                    if lb > keep {
                        break;
                    }
                    let before = out.segs.len();
                    for s in &all[k] {
                        // The segment's box is a cheap lower bound of its distance to the cell:
                        // keeping by it keeps every segment that can matter (and a few more).
                        let slo = [s.a[0].min(s.b[0]), s.a[1].min(s.b[1])];
                        let shi = [s.a[0].max(s.b[0]), s.a[1].max(s.b[1])];
                        let lb = box_box_dist2(slo, shi, clo, chi).sqrt();
                        if lb > keep {
                            continue;
                        }
                        if lb <= tol && seg_box_dist(s.a, s.b, clo, chi) <= tol {
                            boundary_touches = true;
                        }
                        out.segs.push(*s);
                    }
                    if out.segs.len() > before {
                        grids += 1;
                    }
                }
                let general = grids > MAX_CELL_GRIDS;
                // Containment: the grids whose box (grown by the tolerance) meets the cell.
                let touching = order.iter().take_while(|x| x.0 <= tol).map(|x| x.1);
                let contain = if boundary_touches {
                    let start = out.candidates.len();
                    out.candidates.extend(touching.map(|k| k as u32));
                    Contain::Test(start as u32, out.candidates.len() as u32)
                } else {
                    // No boundary near the cell: the centre's answer holds for all of it.
                    Contain::Fixed(
                        touching
                            .filter(|&k| inside(k, centre))
                            .min_by_key(|&k| rank(k))
                            .map(|k| k as u32),
                    )
                };
                out.cells.push(Cell {
                    contain,
                    segs: (seg_start as u32, out.segs.len() as u32),
                    general,
                });
            }
        }
        out
    }

    /// The cell holding a local point, if the raster covers it.
    pub fn cell(&self, p: [f64; 2]) -> Option<&Cell> {
        let x = (p[0] - self.origin[0]) / self.side;
        let y = (p[1] - self.origin[1]) / self.side;
        if !(x >= 0.0 && y >= 0.0) {
            return None;
        }
        let (i, j) = (x as usize, y as usize);
        if i >= self.nx || j >= self.ny {
            return None;
        }
        self.cells.get(j * self.nx + i).filter(|c| !c.general)
    }

    /// The number of cells (for the locator's debug output).
    pub fn len(&self) -> usize {
        self.cells.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_box_distance_is_zero_when_they_cross_and_euclidean_otherwise() {
        let (lo, hi) = ([0.0, 0.0], [1.0, 1.0]);
        // Crossing the box without an end point inside.
        assert_eq!(seg_box_dist([-1.0, 0.5], [2.0, 0.5], lo, hi), 0.0);
        // Diagonal past a corner, 1/√2 from it... shifted by 1: the corner (1,1) to x + y = 3.
        let d = seg_box_dist([3.0, 0.0], [0.0, 3.0], lo, hi);
        assert!((d - 1.0 / std::f64::consts::SQRT_2).abs() < 1e-12, "{d}");
        // Beside the box: end point to edge.
        assert!((seg_box_dist([2.0, 0.2], [2.0, 0.8], lo, hi) - 1.0).abs() < 1e-12);
        // A point-like segment inside.
        assert_eq!(seg_box_dist([0.5, 0.5], [0.5, 0.5], lo, hi), 0.0);
    }
}
