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

#[cfg(test)]
mod tests {
    //! One fixture per kind of broken grid layer (`core/tests/fixtures/territory/`), each imported
    //! onto the same small two-community street: four north–south strips, two per community, two
    //! stations.
    use super::*;
    use crate::geography::gcj02::{Datum, wgs84_to_gcj02};
    use crate::geography::geojson::import_grids;
    use crate::territory::{Community, DelegateOffice, Station, Street};

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!(
                "../../tests/fixtures/territory/",
                $name,
                ".geojson"
            ))
        };
    }

    fn rect(a: f64, b: f64) -> Polygon {
        Polygon(vec![vec![
            [a, 40.36],
            [b, 40.36],
            [b, 40.37],
            [a, 40.37],
            [a, 40.36],
        ]])
    }

    fn base() -> Territory {
        let community = |code: &str, name: &str, a, b| Community {
            id: code.into(),
            name: name.into(),
            boundary: vec![rect(a, b)],
        };
        let station = |code: &str| Station {
            id: code.into(),
            name: format!("{code}站"),
            head: None,
            location: None,
        };
        let skeleton = Territory {
            version: 1,
            street: Street {
                code: "110118003".into(),
                name: "鼓楼街道".into(),
                district: "密云区".into(),
                boundary: rect(116.80, 116.84),
            },
            communities: vec![
                community("110118003001", "西社区", 116.80, 116.82),
                community("110118003002", "东社区", 116.82, 116.84),
            ],
            quarters: vec![],
            grids: vec![],
            stations: vec![station("S01"), station("S02")],
            delegates: vec![],
            workrooms: vec![],
            office: DelegateOffice {
                name: "代表工作室".into(),
                staff: vec![],
            },
            handling_units: vec![],
        };
        import_grids(&skeleton, fixture!("valid"), Datum::Wgs84).unwrap()
    }

    /// Imports a broken layer onto the base: it must fail, name the feature, and leave the base as
    /// it was.
    fn rejected(layer: &str, expected: &[&str]) {
        let base = base();
        let before = base.clone();
        let err = import_grids(&base, layer, Datum::Wgs84)
            .unwrap_err()
            .to_string();
        for e in expected {
            assert!(err.contains(e), "expected {e:?} in: {err}");
        }
        assert_eq!(base, before);
    }

    #[test]
    fn the_valid_layer_imports_and_bumps_the_version() {
        let t = base();
        assert_eq!(t.grids.len(), 4);
        assert_eq!(t.version, 2);
        check(&t).unwrap();
    }

    #[test]
    fn a_bow_tie_grid_is_self_intersecting() {
        rejected(
            fixture!("self_intersecting"),
            &["grid 110118003001001 is self-intersecting"],
        );
    }

    #[test]
    fn a_grid_of_two_points_is_not_a_polygon() {
        rejected(
            fixture!("invalid_polygon"),
            &["grid 110118003001002 has a ring with fewer than 3"],
        );
    }

    #[test]
    fn overlapping_grids_are_both_named() {
        rejected(
            fixture!("overlap"),
            &["grids 110118003001001 and 110118003001002 overlap by"],
        );
    }

    #[test]
    fn a_gap_above_the_tolerance_is_located() {
        rejected(
            fixture!("gap"),
            &["a gap of", "near [116.81", "lies in no grid"],
        );
    }

    #[test]
    fn a_grid_across_two_communities_is_named() {
        rejected(
            fixture!("two_communities"),
            &["grid 110118003001002 lies in two communities, 110118003001 and 110118003002"],
        );
    }

    #[test]
    fn a_grid_reaching_out_of_the_street_is_named() {
        rejected(
            fixture!("outside_street"),
            &["grid 110118003002002 reaches", "outside the street"],
        );
    }

    #[test]
    fn a_grid_with_no_station_is_named() {
        rejected(
            fixture!("no_station"),
            &["grid 110118003002001 has no station"],
        );
    }

    #[test]
    fn a_grid_claimed_by_two_stations_is_named() {
        rejected(
            fixture!("two_stations"),
            &["grid 110118003002001 is covered by 2 stations (S01, S02)"],
        );
    }

    #[test]
    fn an_unknown_community_is_named() {
        rejected(
            fixture!("unknown_reference"),
            &["grid 110118003002001 names unknown community 110118003099"],
        );
    }

    #[test]
    fn a_station_in_two_pieces_is_named() {
        rejected(
            fixture!("station_not_contiguous"),
            &["station S01 covers grids in 2 separate areas"],
        );
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        rejected(
            fixture!("malformed"),
            &["grids.geojson is not valid GeoJSON"],
        );
        rejected("{", &["not valid GeoJSON"]);
        rejected(r#"{"type":"Feature"}"#, &["not a FeatureCollection"]);
        rejected(
            r#"{"type":"FeatureCollection","datum":"BD-09","features":[]}"#,
            &["unknown datum"],
        );
    }

    #[test]
    fn a_layer_declared_gcj02_is_converted_to_wgs84() {
        let wgs = base();
        let mut layer: serde_json::Value = serde_json::from_str(fixture!("valid")).unwrap();
        layer["datum"] = "GCJ-02".into();
        for f in layer["features"].as_array_mut().unwrap() {
            for ring in f["geometry"]["coordinates"].as_array_mut().unwrap() {
                for p in ring.as_array_mut().unwrap() {
                    let g = wgs84_to_gcj02([p[0].as_f64().unwrap(), p[1].as_f64().unwrap()]);
                    *p = serde_json::json!([g[0], g[1]]);
                }
            }
        }
        let t = import_grids(&base(), &layer.to_string(), Datum::Wgs84).unwrap();
        for (a, b) in t.grids.iter().zip(&wgs.grids) {
            for (p, q) in a.boundary.0[0].iter().zip(&b.boundary.0[0]) {
                assert!(
                    (p[0] - q[0]).abs() < 1e-9 && (p[1] - q[1]).abs() < 1e-9,
                    "{p:?} {q:?}"
                );
            }
        }
    }
}
