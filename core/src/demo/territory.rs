//! The demo territory generator.
//!
//! Steps, all on a lattice of cells whose corners are shared (so neighbouring polygons share their
//! vertices exactly and the partition has no slivers):
//! 1. a blob of rows of cells is the street; the corners are jittered, then the whole plane is scaled
//!    so that the street measures 13.06 km²;
//! 2. the street's cells are grown from 29 far-apart seeds into 29 connected communities;
//! 3. each community's cells are grown into 2–4 grids (79 in all);
//! 4. neighbouring communities are grouped into 13 stations;
//! 5. every region is traced into one ring; a seed whose partition leaves a region with a hole or a
//!    pinch is skipped, deterministically, for the next.

use std::collections::{BTreeMap, BTreeSet};

use crate::clock::SeededIds;
use crate::error::{Error, Result};
use crate::ids::{
    CommunityId, DelegateId, GridId, HandlingUnitId, QuarterId, StaffId, StationId, WorkroomId,
};
use crate::territory::{
    Community, Delegate, DelegateLevel, DelegateOffice, Grid, HandlingUnit, Polygon, Quarter,
    Station, Street, Territory, Workroom,
};

use super::names;

/// The seed of the committed demo territory.
pub const DEMO_SEED: u64 = 0x6775_6c6f_7500_0001;

/// Where the street is centred, `[lon, lat]`.
pub const CENTRE: [f64; 2] = [116.84, 40.37];
/// The street's area, m².
pub const STREET_AREA_M2: f64 = 13.06e6;
/// The street's 9-digit code (Miyun 110118 + street 003).
pub const STREET_CODE: &str = "110118003";

/// Metres per degree at 40.37° N on WGS-84 (meridional, and along the parallel). Constants rather
/// than `cos()` so that the output is bit-identical on every platform.
const M_PER_DEG_LAT: f64 = 111_041.75;
const M_PER_DEG_LON: f64 = 84_931.17;

const COLS: usize = 40;
const ROWS: usize = 32;
const CELL_M: f64 = 130.0;
const COMMUNITIES: usize = 29;
const GRIDS: usize = 79;
const STATIONS: usize = 13;
const QUARTERS: usize = 108;
const CITY_DELEGATES: usize = 5;
const DELEGATES: usize = 30;

/// A small SplitMix64-backed random helper.
struct Rng(SeededIds);

impl Rng {
    fn unit(&mut self) -> f64 {
        // 53 random bits → [0, 1): exact in an f64.
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n.max(1) as u64) as usize
    }
}

/// Lattice geometry: vertex `(i, j)` for `i ∈ 0..=COLS`, `j ∈ 0..=ROWS`; cell `(c, r)` has corners
/// `(c, r)`, `(c+1, r)`, `(c+1, r+1)`, `(c, r+1)`.
struct Lattice {
    verts: Vec<[f64; 2]>,
}

fn vid(i: usize, j: usize) -> usize {
    j * (COLS + 1) + i
}

fn cid(c: usize, r: usize) -> usize {
    r * COLS + c
}

fn cell_of(cell: usize) -> (usize, usize) {
    (cell % COLS, cell / COLS)
}

/// The cells edge-adjacent to `cell`.
fn neighbours(cell: usize) -> impl Iterator<Item = usize> {
    let (c, r) = cell_of(cell);
    let mut out = Vec::with_capacity(4);
    if c > 0 {
        out.push(cid(c - 1, r));
    }
    if c + 1 < COLS {
        out.push(cid(c + 1, r));
    }
    if r > 0 {
        out.push(cid(c, r - 1));
    }
    if r + 1 < ROWS {
        out.push(cid(c, r + 1));
    }
    out.into_iter()
}

impl Lattice {
    fn new(rng: &mut Rng) -> Self {
        let mut verts = Vec::with_capacity((COLS + 1) * (ROWS + 1));
        for j in 0..=ROWS {
            for i in 0..=COLS {
                // A fifth of a cell each way keeps every quad convex, so unions stay simple.
                let jx = (rng.unit() - 0.5) * 0.4 * CELL_M;
                let jy = (rng.unit() - 0.5) * 0.4 * CELL_M;
                verts.push([
                    (i as f64 - COLS as f64 / 2.0) * CELL_M + jx,
                    (j as f64 - ROWS as f64 / 2.0) * CELL_M + jy,
                ]);
            }
        }
        Self { verts }
    }

    fn corners(&self, cell: usize) -> [[f64; 2]; 4] {
        let (c, r) = cell_of(cell);
        [
            self.verts[vid(c, r)],
            self.verts[vid(c + 1, r)],
            self.verts[vid(c + 1, r + 1)],
            self.verts[vid(c, r + 1)],
        ]
    }

    fn centre(&self, cell: usize) -> [f64; 2] {
        let k = self.corners(cell);
        [
            (k[0][0] + k[1][0] + k[2][0] + k[3][0]) / 4.0,
            (k[0][1] + k[1][1] + k[2][1] + k[3][1]) / 4.0,
        ]
    }
}

/// The street: in each row a contiguous run of cells, the runs of neighbouring rows overlapping, so
/// the blob is one simple polygon with no holes.
fn street_cells(rng: &mut Rng) -> Vec<usize> {
    let mut cells = Vec::new();
    let mid_r = ROWS as f64 / 2.0;
    let half_h = mid_r - 1.0;
    let mut centre = COLS as f64 / 2.0;
    let mut wobble = 0.0;
    for r in 1..ROWS - 1 {
        let t = (r as f64 + 0.5 - mid_r) / half_h;
        let half_w = (COLS as f64 / 2.0 - 2.0) * (1.0 - t * t).max(0.0).sqrt();
        wobble = (wobble + (rng.unit() - 0.5) * 1.6).clamp(-2.5, 2.5);
        centre = (centre + (rng.unit() - 0.5) * 0.8)
            .clamp(COLS as f64 / 2.0 - 2.0, COLS as f64 / 2.0 + 2.0);
        let w = (half_w + wobble).max(2.0);
        let lo = (centre - w).round().max(1.0) as usize;
        let hi = ((centre + w).round() as usize).min(COLS - 1);
        for c in lo..hi {
            cells.push(cid(c, r));
        }
    }
    cells
}

/// Grows `k` connected regions over `cells`, from far-apart seeds, always growing the smallest
/// region by the frontier cell with the most neighbours already in it (which keeps regions compact).
fn grow(lat: &Lattice, cells: &[usize], k: usize, rng: &mut Rng) -> Vec<Vec<usize>> {
    let inside: BTreeSet<usize> = cells.iter().copied().collect();
    let mut label: BTreeMap<usize, usize> = BTreeMap::new();
    let dist2 = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2);
    // Farthest-point seeds: the first is random, each next one is the cell farthest from all seeds.
    let mut seeds = vec![cells[rng.below(cells.len())]];
    while seeds.len() < k {
        let mut best = (f64::MIN, cells[0]);
        for &c in cells {
            let d = seeds
                .iter()
                .map(|&s| dist2(lat.centre(c), lat.centre(s)))
                .fold(f64::MAX, f64::min);
            if d > best.0 {
                best = (d, c);
            }
        }
        seeds.push(best.1);
    }
    let mut regions: Vec<Vec<usize>> = seeds.iter().map(|&s| vec![s]).collect();
    for (i, &s) in seeds.iter().enumerate() {
        label.insert(s, i);
    }
    while label.len() < inside.len() {
        // Smallest region that can still grow; ties by index.
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by_key(|&i| (regions[i].len(), i));
        let mut grew = false;
        for i in order {
            let mut best: Option<(usize, f64, usize)> = None;
            for &c in &regions[i] {
                for n in neighbours(c) {
                    if !inside.contains(&n) || label.contains_key(&n) {
                        continue;
                    }
                    let same = neighbours(n).filter(|m| label.get(m) == Some(&i)).count();
                    let d = dist2(lat.centre(n), lat.centre(seeds[i]));
                    let better = match best {
                        None => true,
                        Some((bs, bd, bn)) => {
                            same > bs || (same == bs && (d < bd || (d == bd && n < bn)))
                        }
                    };
                    if better {
                        best = Some((same, d, n));
                    }
                }
            }
            if let Some((_, _, n)) = best {
                label.insert(n, i);
                regions[i].push(n);
                grew = true;
                break;
            }
        }
        if !grew {
            // Unreachable cells (the input was not connected): leave them; tracing will reject.
            break;
        }
    }
    for r in &mut regions {
        r.sort_unstable();
    }
    regions
}

/// Traces the boundary of a set of cells into rings of vertex ids, counter-clockwise (the region on
/// the left). At a vertex where the region touches itself diagonally the trace turns left, so a
/// pinch comes out as two rings, which the caller rejects.
fn trace(cells: &BTreeSet<usize>) -> Vec<Vec<usize>> {
    let mut out: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let has = |c: Option<usize>| c.is_some_and(|c| cells.contains(&c));
    for &cell in cells {
        let (c, r) = cell_of(cell);
        let below = (r > 0).then(|| cid(c, r - 1));
        let right = (c + 1 < COLS).then(|| cid(c + 1, r));
        let above = (r + 1 < ROWS).then(|| cid(c, r + 1));
        let left = (c > 0).then(|| cid(c - 1, r));
        let (bl, br, tr, tl) = (vid(c, r), vid(c + 1, r), vid(c + 1, r + 1), vid(c, r + 1));
        for (n, a, b) in [
            (below, bl, br),
            (right, br, tr),
            (above, tr, tl),
            (left, tl, bl),
        ] {
            if !has(n) {
                out.entry(a).or_default().push(b);
            }
        }
    }
    let pos = |v: usize| ((v % (COLS + 1)) as i64, (v / (COLS + 1)) as i64);
    let mut rings = Vec::new();
    while let Some((&start, _)) = out.iter().find(|(_, v)| !v.is_empty()) {
        let mut ring = vec![start];
        let mut prev = start;
        let Some(mut cur) = out.get_mut(&start).and_then(Vec::pop) else {
            break;
        };
        while cur != start {
            ring.push(cur);
            let Some(outs) = out.get_mut(&cur) else {
                break;
            };
            if outs.is_empty() {
                break;
            }
            let (px, py) = pos(prev);
            let (cx, cy) = pos(cur);
            let d_in = (cx - px, cy - py);
            // Prefer a left turn (cross product > 0), then straight, then right.
            let score = |v: usize| {
                let (nx, ny) = pos(v);
                let d = (nx - cx, ny - cy);
                let cross = d_in.0 * d.1 - d_in.1 * d.0;
                -cross.signum()
            };
            let mut best = 0;
            for (k, &v) in outs.iter().enumerate() {
                if score(v) < score(outs[best]) {
                    best = k;
                }
            }
            let next = outs.remove(best);
            prev = cur;
            cur = next;
        }
        rings.push(ring);
    }
    rings
}

fn area_m2(ring: &[[f64; 2]]) -> f64 {
    let mut s = 0.0;
    for k in 0..ring.len() {
        let a = ring[k];
        let b = ring[(k + 1) % ring.len()];
        s += a[0] * b[1] - b[0] * a[1];
    }
    s / 2.0
}

/// Rounds to 1e-7° (about a centimetre) so that the committed GeoJSON round-trips exactly.
fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

struct Frame {
    scale: f64,
}

impl Frame {
    fn lonlat(&self, p: [f64; 2]) -> [f64; 2] {
        [
            round7(CENTRE[0] + p[0] * self.scale / M_PER_DEG_LON),
            round7(CENTRE[1] + p[1] * self.scale / M_PER_DEG_LAT),
        ]
    }

    fn polygon(&self, lat: &Lattice, ring: &[usize]) -> Polygon {
        let mut pts: Vec<[f64; 2]> = ring.iter().map(|&v| self.lonlat(lat.verts[v])).collect();
        if let Some(&first) = pts.first() {
            pts.push(first);
        }
        Polygon(vec![pts])
    }
}

/// One region traced to exactly one ring, or `None`.
fn single_ring(cells: &[usize]) -> Option<Vec<usize>> {
    let set: BTreeSet<usize> = cells.iter().copied().collect();
    let mut rings = trace(&set);
    (rings.len() == 1).then(|| rings.remove(0))
}

fn centroid(lat: &Lattice, cells: &[usize]) -> [f64; 2] {
    let n = cells.len().max(1) as f64;
    let s = cells.iter().fold([0.0, 0.0], |a, &c| {
        let p = lat.centre(c);
        [a[0] + p[0], a[1] + p[1]]
    });
    [s[0] / n, s[1] / n]
}

/// Reading order: north to south in bands of three cells, then west to east.
fn reading_key(p: [f64; 2]) -> (i64, i64) {
    (
        -((p[1] / (3.0 * CELL_M)).floor() as i64),
        (p[0] * 10.0) as i64,
    )
}

/// A layout that passed every shape check.
struct Layout {
    lattice: Lattice,
    street: Vec<usize>,
    /// Communities in code order, each with its grids in code order (cell lists).
    communities: Vec<(Vec<usize>, Vec<Vec<usize>>)>,
    /// For each community, its station index.
    station_of: Vec<usize>,
}

fn layout(seed: u64) -> Option<Layout> {
    let mut rng = Rng(SeededIds::new(seed));
    let lattice = Lattice::new(&mut rng);
    let street = street_cells(&mut rng);
    single_ring(&street)?;
    let mut comms = grow(&lattice, &street, COMMUNITIES, &mut rng);
    if comms.iter().map(Vec::len).sum::<usize>() != street.len() {
        return None;
    }
    for c in &comms {
        single_ring(c)?;
    }
    comms.sort_by_key(|c| reading_key(centroid(&lattice, c)));
    // The largest communities get more grids: 5 × 4, 11 × 3, 13 × 2 = 79.
    let mut by_size: Vec<usize> = (0..COMMUNITIES).collect();
    by_size.sort_by_key(|&i| (std::cmp::Reverse(comms[i].len()), i));
    let mut grid_count = [2; COMMUNITIES];
    for (rank, &i) in by_size.iter().enumerate() {
        grid_count[i] = if rank < 5 {
            4
        } else if rank < 16 {
            3
        } else {
            2
        };
    }
    debug_assert_eq!(grid_count.iter().sum::<usize>(), GRIDS);
    let mut communities = Vec::new();
    for (i, c) in comms.into_iter().enumerate() {
        let mut grids = grow(&lattice, &c, grid_count[i], &mut rng);
        if grids.iter().map(Vec::len).sum::<usize>() != c.len() {
            return None;
        }
        for g in &grids {
            single_ring(g)?;
        }
        grids.sort_by_key(|g| reading_key(centroid(&lattice, g)));
        communities.push((c, grids));
    }
    let station_of = group_stations(&lattice, &communities)?;
    Some(Layout {
        lattice,
        street,
        communities,
        station_of,
    })
}

/// Groups communities into connected stations, in the order of their first community.
fn group_stations(lat: &Lattice, comms: &[(Vec<usize>, Vec<Vec<usize>>)]) -> Option<Vec<usize>> {
    let n = comms.len();
    let mut owner = BTreeMap::new();
    for (i, (cells, _)) in comms.iter().enumerate() {
        for &c in cells {
            owner.insert(c, i);
        }
    }
    let mut adj = vec![BTreeSet::new(); n];
    for (i, (cells, _)) in comms.iter().enumerate() {
        for &c in cells {
            for m in neighbours(c) {
                if let Some(&j) = owner.get(&m)
                    && j != i
                {
                    adj[i].insert(j);
                }
            }
        }
    }
    let centres: Vec<[f64; 2]> = comms.iter().map(|(c, _)| centroid(lat, c)).collect();
    let d2 = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2);
    let mut seeds = vec![0usize];
    while seeds.len() < STATIONS {
        let next = (0..n).filter(|i| !seeds.contains(i)).max_by(|&a, &b| {
            let da = seeds
                .iter()
                .map(|&s| d2(centres[a], centres[s]))
                .fold(f64::MAX, f64::min);
            let db = seeds
                .iter()
                .map(|&s| d2(centres[b], centres[s]))
                .fold(f64::MAX, f64::min);
            da.total_cmp(&db).then(b.cmp(&a))
        })?;
        seeds.push(next);
    }
    let mut group: Vec<Option<usize>> = vec![None; n];
    let mut members: Vec<Vec<usize>> = seeds.iter().map(|&s| vec![s]).collect();
    for (g, &s) in seeds.iter().enumerate() {
        group[s] = Some(g);
    }
    while group.iter().any(Option::is_none) {
        let mut order: Vec<usize> = (0..STATIONS).collect();
        order.sort_by_key(|&g| (members[g].len(), g));
        let mut grew = false;
        for g in order {
            let cand = members[g]
                .iter()
                .flat_map(|&m| adj[m].iter().copied())
                .filter(|&j| group[j].is_none())
                .min_by(|&a, &b| {
                    d2(centres[a], centres[seeds[g]])
                        .total_cmp(&d2(centres[b], centres[seeds[g]]))
                        .then(a.cmp(&b))
                });
            if let Some(j) = cand {
                group[j] = Some(g);
                members[g].push(j);
                grew = true;
                break;
            }
        }
        if !grew {
            return None;
        }
    }
    // Number stations in the order of their first community.
    let mut firsts: Vec<(usize, usize)> = members
        .iter()
        .enumerate()
        .map(|(g, m)| (m.iter().copied().min().unwrap_or(usize::MAX), g))
        .collect();
    firsts.sort_unstable();
    let mut renumber = [0; STATIONS];
    for (new, &(_, old)) in firsts.iter().enumerate() {
        renumber[old] = new;
    }
    group.into_iter().map(|g| g.map(|g| renumber[g])).collect()
}

/// Generates the demo territory from a seed. Seeds whose layout fails a shape check are skipped
/// (deterministically), so every seed yields a territory.
pub fn generate_territory(seed: u64) -> Result<Territory> {
    let mut found = None;
    for attempt in 0..64u64 {
        if let Some(l) = layout(seed.wrapping_add(attempt.wrapping_mul(0x9E37_79B9))) {
            found = Some(l);
            break;
        }
    }
    let Some(l) = found else {
        return Err(Error::InvalidTerritory(format!(
            "no valid demo layout from seed {seed}"
        )));
    };
    let mut rng = Rng(SeededIds::new(seed ^ 0x5EED));
    build(&l, &mut rng)
}

fn build(l: &Layout, rng: &mut Rng) -> Result<Territory> {
    let street_ring = single_ring(&l.street)
        .ok_or_else(|| Error::InvalidTerritory("street is not one ring".into()))?;
    let pts: Vec<[f64; 2]> = street_ring.iter().map(|&v| l.lattice.verts[v]).collect();
    let frame = Frame {
        scale: (STREET_AREA_M2 / area_m2(&pts).abs()).sqrt(),
    };
    let ring_of = |cells: &[usize]| {
        single_ring(cells).ok_or_else(|| Error::InvalidTerritory("region is not one ring".into()))
    };

    let mut communities = Vec::new();
    let mut grids = Vec::new();
    let mut quarters = Vec::new();
    let mut workrooms = Vec::new();
    let station_ids: Vec<StationId> = (1..=STATIONS)
        .map(|s| StationId::new(format!("S{s:02}")))
        .collect();

    // 108 quarters: the 21 largest communities hold 4, the others 3.
    let mut by_size: Vec<usize> = (0..l.communities.len()).collect();
    by_size.sort_by_key(|&i| (std::cmp::Reverse(l.communities[i].0.len()), i));
    let extra = QUARTERS - 3 * COMMUNITIES;
    let four: BTreeSet<usize> = by_size.iter().take(extra).copied().collect();

    for (ci, (cells, cgrids)) in l.communities.iter().enumerate() {
        let stem = names::COMMUNITIES[ci];
        let code = format!("{STREET_CODE}{:03}", ci + 1);
        let cid = CommunityId::new(code.clone());
        communities.push(Community {
            id: cid.clone(),
            name: format!("{stem}社区"),
            boundary: vec![frame.polygon(&l.lattice, &ring_of(cells)?)],
        });
        workrooms.push(Workroom {
            id: WorkroomId::new(format!("W{:03}", ci + 1)),
            name: format!("{stem}社区接诉即办工作室"),
            community: cid.clone(),
        });
        for (gi, g) in cgrids.iter().enumerate() {
            grids.push(Grid {
                id: GridId::new(format!("{code}{:03}", gi + 1)),
                name: format!("{stem}第{}网格", names::ORDINALS[gi]),
                community: cid.clone(),
                station: station_ids[l.station_of[ci]].clone(),
                boundary: frame.polygon(&l.lattice, &ring_of(g)?),
            });
        }
        let nq = if four.contains(&ci) { 4 } else { 3 };
        for q in 0..nq {
            // Spread the quarters over the community's cells; each is its cell shrunk by 40%.
            let cell = cells[(q * cells.len()) / nq + rng.below(cells.len() / nq)];
            let c = l.lattice.centre(cell);
            let mut ring: Vec<[f64; 2]> = l
                .lattice
                .corners(cell)
                .iter()
                .map(|p| frame.lonlat([c[0] + (p[0] - c[0]) * 0.6, c[1] + (p[1] - c[1]) * 0.6]))
                .collect();
            ring.push(ring[0]);
            quarters.push(Quarter {
                id: QuarterId::new(format!("{code}Q{}", q + 1)),
                name: format!("{stem}{}", names::QUARTER_SUFFIXES[q]),
                community: cid.clone(),
                boundary: Polygon(vec![ring]),
            });
        }
    }

    // Stations: named after their first community, sited at the cell nearest their centre.
    let mut delegates = Vec::new();
    let mut stations = Vec::new();
    let mut next_delegate = 0usize;
    // 30 delegates: the four stations with the most grids have three, the others two.
    let mut by_grids: Vec<usize> = (0..STATIONS).collect();
    by_grids.sort_by_key(|&s| {
        let n = grids.iter().filter(|g| g.station == station_ids[s]).count();
        (std::cmp::Reverse(n), s)
    });
    let three: BTreeSet<usize> = by_grids
        .iter()
        .take(DELEGATES - 2 * STATIONS)
        .copied()
        .collect();
    for (s, sid) in station_ids.iter().enumerate() {
        let comm_idx: Vec<usize> = (0..l.communities.len())
            .filter(|&c| l.station_of[c] == s)
            .collect();
        let cells: Vec<usize> = comm_idx
            .iter()
            .flat_map(|&c| l.communities[c].0.iter().copied())
            .collect();
        let centre = centroid(&l.lattice, &cells);
        let site = cells
            .iter()
            .copied()
            .min_by(|&a, &b| {
                let da = dist2(l.lattice.centre(a), centre);
                let db = dist2(l.lattice.centre(b), centre);
                da.total_cmp(&db).then(a.cmp(&b))
            })
            .map(|c| frame.lonlat(l.lattice.centre(c)));
        let first = comm_idx.first().copied().unwrap_or(0);
        let station_grids: Vec<GridId> = grids
            .iter()
            .filter(|g| &g.station == sid)
            .map(|g| g.id.clone())
            .collect();
        let n = if three.contains(&s) { 3 } else { 2 };
        let mut head = None;
        for k in 0..n {
            let did = DelegateId::new(format!("D{:02}", next_delegate + 1));
            let level = if next_delegate.is_multiple_of(6) && next_delegate / 6 < CITY_DELEGATES {
                DelegateLevel::City
            } else {
                DelegateLevel::District
            };
            // 入格: each delegate takes every n-th grid of the station, so every grid has one.
            let mine: Vec<GridId> = station_grids.iter().skip(k).step_by(n).cloned().collect();
            delegates.push(Delegate {
                id: did.clone(),
                name: names::DELEGATES[next_delegate].to_owned(),
                level,
                station: sid.clone(),
                grids: mine,
            });
            if head.is_none() {
                head = Some(did);
            }
            next_delegate += 1;
        }
        stations.push(Station {
            id: sid.clone(),
            name: format!("{}代表工作站", names::COMMUNITIES[first]),
            head,
            location: site,
        });
    }

    Ok(Territory {
        version: 1,
        street: Street {
            code: STREET_CODE.to_owned(),
            name: "鼓楼街道".to_owned(),
            district: "密云区".to_owned(),
            boundary: frame.polygon(&l.lattice, &street_ring),
        },
        communities,
        quarters,
        grids,
        stations,
        delegates,
        workrooms,
        office: DelegateOffice {
            name: "鼓楼街道人大街工委代表工作室".to_owned(),
            staff: names::STAFF.iter().map(|s| StaffId::new(*s)).collect(),
        },
        handling_units: names::HANDLING_UNITS
            .iter()
            .map(|(id, name, level)| HandlingUnit {
                id: HandlingUnitId::new(*id),
                name: (*name).to_owned(),
                level: *level,
            })
            .collect(),
    })
}

fn dist2(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}
