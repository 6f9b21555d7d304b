//! Geometry validation of a territory: every polygon well-formed, the grids partitioning the street
//! (no overlaps, no gaps above a tolerance, nothing outside), each grid inside exactly one community,
//! each grid covered by exactly one station and each station's grids contiguous.
//!
//! Every problem names the feature(s) at fault, and all problems are reported at once, so an office
//! can fix an import in one pass. Areas are computed in a [`LocalFrame`] (m²).

use std::fmt;

use geo::{Area, BooleanOps, BoundingRect, InteriorPoint, Validation};
use serde::Serialize;

use super::LocalFrame;
use crate::error::{Error, Result};
use crate::territory::{Polygon, Territory};

/// Tolerances. Shared boundaries drawn by hand never match to the centimetre, so slivers below
/// these areas are not worth an office's time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidationOptions {
    /// A hole in the grid cover smaller than this (m²) is ignored.
    pub gap_tolerance_m2: f64,
    /// Two shapes sharing less area than this (m²) do not overlap.
    pub overlap_tolerance_m2: f64,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self {
            gap_tolerance_m2: 100.0,
            overlap_tolerance_m2: 1.0,
        }
    }
}

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Missing, too few points, non-finite or out-of-range coordinates, no area.
    InvalidPolygon,
    SelfIntersecting,
    /// Two grids share area.
    Overlap,
    /// Part of the street is in no grid.
    Gap,
    /// A grid reaches outside the street.
    OutsideStreet,
    /// A grid lies in two communities.
    TwoCommunities,
    /// A grid lies in another community than the one it names.
    WrongCommunity,
    /// A grid names no station.
    NoStation,
    /// A station covers no grid.
    StationWithoutGrids,
    /// A station's grids are not one connected area.
    StationNotContiguous,
}

/// One problem, naming the features involved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// Labels such as `grid 110118003001001`.
    pub features: Vec<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Validates a territory's references and geometry, as an [`Error::InvalidTerritory`] listing
/// every problem.
pub fn check(t: &Territory) -> Result<()> {
    t.check_references()?;
    validate(t, &ValidationOptions::default()).map_err(|ps| {
        Error::InvalidTerritory(
            ps.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// Checks one polygon; returns it in the frame if it is usable for the area checks.
fn polygon_ok(
    frame: &LocalFrame,
    label: &str,
    p: &Polygon,
    problems: &mut Vec<Problem>,
) -> Option<geo::Polygon<f64>> {
    let mut bad = |kind, msg: String| {
        problems.push(Problem {
            kind,
            features: vec![label.to_owned()],
            message: format!("{label} {msg}"),
        });
    };
    if p.0.is_empty() || p.0[0].is_empty() {
        bad(ProblemKind::InvalidPolygon, "has no boundary".into());
        return None;
    }
    for ring in &p.0 {
        if ring.iter().any(|c| {
            !c[0].is_finite() || !c[1].is_finite() || c[0].abs() > 180.0 || c[1].abs() > 90.0
        }) {
            bad(
                ProblemKind::InvalidPolygon,
                "has a coordinate out of range".into(),
            );
            return None;
        }
        let mut distinct: Vec<[f64; 2]> = ring.clone();
        distinct.dedup();
        if distinct.len() > 1 && distinct.first() == distinct.last() {
            distinct.pop();
        }
        if distinct.len() < 3 {
            bad(
                ProblemKind::InvalidPolygon,
                "has a ring with fewer than 3 distinct points".into(),
            );
            return None;
        }
    }
    let g = frame.polygon(p);
    let errors = g.validation_errors();
    if !errors.is_empty() {
        let self_x = errors.iter().any(|e| {
            matches!(
                e,
                geo::algorithm::validation::InvalidPolygon::SelfIntersection(_)
            )
        });
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        if self_x {
            bad(
                ProblemKind::SelfIntersecting,
                format!("is self-intersecting ({})", text.join(", ")),
            );
        } else {
            bad(
                ProblemKind::InvalidPolygon,
                format!("is not a valid polygon ({})", text.join(", ")),
            );
        }
        return None;
    }
    if g.unsigned_area() < 1.0 {
        bad(ProblemKind::InvalidPolygon, "has no area".into());
        return None;
    }
    Some(g)
}

fn boxes_meet(a: &geo::Polygon<f64>, b: &geo::Polygon<f64>) -> bool {
    match (a.bounding_rect(), b.bounding_rect()) {
        (Some(a), Some(b)) => {
            a.min().x <= b.max().x
                && b.min().x <= a.max().x
                && a.min().y <= b.max().y
                && b.min().y <= a.max().y
        }
        _ => false,
    }
}

/// All geometry problems of a territory (references are [`Territory::check_references`]'s job).
pub fn validate(t: &Territory, o: &ValidationOptions) -> std::result::Result<(), Vec<Problem>> {
    let frame = LocalFrame::for_territory(t);
    let mut problems = Vec::new();
    let street = polygon_ok(&frame, "street", &t.street.boundary, &mut problems);
    let grids: Vec<Option<geo::Polygon<f64>>> = t
        .grids
        .iter()
        .map(|g| {
            polygon_ok(
                &frame,
                &format!("grid {}", g.id),
                &g.boundary,
                &mut problems,
            )
        })
        .collect();
    let communities: Vec<Vec<geo::Polygon<f64>>> = t
        .communities
        .iter()
        .map(|c| {
            c.boundary
                .iter()
                .filter_map(|p| {
                    polygon_ok(&frame, &format!("community {}", c.id), p, &mut problems)
                })
                .collect()
        })
        .collect();
    for q in &t.quarters {
        polygon_ok(
            &frame,
            &format!("quarter {}", q.id),
            &q.boundary,
            &mut problems,
        );
    }
    let at = |p: &geo::Polygon<f64>| {
        p.interior_point()
            .map(|c| frame.to_lonlat([c.x(), c.y()]))
            .map_or_else(String::new, |c| format!(" near [{:.5}, {:.5}]", c[0], c[1]))
    };

    // Overlaps between grids.
    for i in 0..t.grids.len() {
        for j in i + 1..t.grids.len() {
            let (Some(a), Some(b)) = (&grids[i], &grids[j]) else {
                continue;
            };
            if !boxes_meet(a, b) {
                continue;
            }
            let shared = a.intersection(b).unsigned_area();
            if shared > o.overlap_tolerance_m2 {
                let (x, y) = (&t.grids[i].id, &t.grids[j].id);
                problems.push(Problem {
                    kind: ProblemKind::Overlap,
                    features: vec![format!("grid {x}"), format!("grid {y}")],
                    message: format!("grids {x} and {y} overlap by {shared:.0} m²"),
                });
            }
        }
    }

    // Gaps in the cover and grids reaching outside the street.
    let valid_grids: Vec<&geo::Polygon<f64>> = grids.iter().flatten().collect();
    if let Some(street) = &street
        && !valid_grids.is_empty()
    {
        let cover = geo::unary_union(valid_grids.iter().copied());
        for gap in street.difference(&cover) {
            let area = gap.unsigned_area();
            if area > o.gap_tolerance_m2 {
                problems.push(Problem {
                    kind: ProblemKind::Gap,
                    features: vec!["street".into()],
                    message: format!("a gap of {area:.0} m²{} lies in no grid", at(&gap)),
                });
            }
        }
        for (g, p) in t.grids.iter().zip(&grids) {
            let Some(p) = p else { continue };
            let out = p.difference(street).unsigned_area();
            if out > o.gap_tolerance_m2 {
                problems.push(Problem {
                    kind: ProblemKind::OutsideStreet,
                    features: vec![format!("grid {}", g.id)],
                    message: format!("grid {} reaches {out:.0} m² outside the street", g.id),
                });
            }
        }
    }

    // Each grid inside exactly one community, and the one it names.
    for (g, p) in t.grids.iter().zip(&grids) {
        let Some(p) = p else { continue };
        let mut inside = Vec::new();
        for (c, polys) in t.communities.iter().zip(&communities) {
            let shared: f64 = polys
                .iter()
                .filter(|cp| boxes_meet(p, cp))
                .map(|cp| p.intersection(cp).unsigned_area())
                .sum();
            if shared > o.gap_tolerance_m2 {
                inside.push(&c.id);
            }
        }
        let named_has_shape = t
            .communities
            .iter()
            .zip(&communities)
            .any(|(c, polys)| c.id == g.community && !polys.is_empty());
        match inside.as_slice() {
            [a, b, ..] => problems.push(Problem {
                kind: ProblemKind::TwoCommunities,
                features: vec![
                    format!("grid {}", g.id),
                    format!("community {a}"),
                    format!("community {b}"),
                ],
                message: format!("grid {} lies in two communities, {a} and {b}", g.id),
            }),
            [only] if named_has_shape && **only != g.community => problems.push(Problem {
                kind: ProblemKind::WrongCommunity,
                features: vec![format!("grid {}", g.id), format!("community {only}")],
                message: format!(
                    "grid {} names community {} but lies in {only}",
                    g.id, g.community
                ),
            }),
            _ => {}
        }
    }

    // Stations: every grid in exactly one (the model holds one per grid; empty is none), every
    // station with grids, and a station's grids one connected area.
    for g in &t.grids {
        if g.station.as_str().trim().is_empty() {
            problems.push(Problem {
                kind: ProblemKind::NoStation,
                features: vec![format!("grid {}", g.id)],
                message: format!("grid {} has no station", g.id),
            });
        }
    }
    for s in &t.stations {
        let mine: Vec<&geo::Polygon<f64>> = t
            .grids
            .iter()
            .zip(&grids)
            .filter(|(g, _)| g.station == s.id)
            .filter_map(|(_, p)| p.as_ref())
            .collect();
        if !t.grids.iter().any(|g| g.station == s.id) {
            problems.push(Problem {
                kind: ProblemKind::StationWithoutGrids,
                features: vec![format!("station {}", s.id)],
                message: format!("station {} covers no grid", s.id),
            });
        } else if mine.len() > 1 {
            let parts = geo::unary_union(mine.iter().copied()).0.len();
            if parts > 1 {
                problems.push(Problem {
                    kind: ProblemKind::StationNotContiguous,
                    features: vec![format!("station {}", s.id)],
                    message: format!("station {} covers grids in {parts} separate areas", s.id),
                });
            }
        }
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
