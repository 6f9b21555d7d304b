//! Territory import and export as GeoJSON (RFC 7946, WGS-84).
//!
//! A territory travels as five GeoJSON FeatureCollections plus one JSON file for the organisation:
//!
//! | file | features | `properties` |
//! | --- | --- | --- |
//! | `street.geojson` | one Polygon | `code`, `name`, `district` |
//! | `communities.geojson` | Polygon / MultiPolygon | `code`, `name` |
//! | `quarters.geojson` (optional) | Polygon | `code`, `name`, `community` |
//! | `grids.geojson` | Polygon (or a one-part MultiPolygon) | `code`, `name`, `community`, `station` |
//! | `stations.geojson` | Point or `null` geometry | `code`, `name`, `head` |
//! | `organisation.json` | — | `version`, `delegates`, `workrooms`, `office`, `handling_units` |
//!
//! A collection may declare its datum in a foreign member `"datum": "GCJ-02"` (or `"WGS-84"`); the
//! caller passes the datum to assume when it does not. GCJ-02 input is converted to WGS-84.
//!
//! Import is a pure function: it parses, converts, then validates references and geometry
//! ([`super::validate`]), and returns a new [`Territory`] or an error naming every bad feature. A
//! rejected import therefore changes nothing: the caller keeps the territory it had.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::gcj02::Datum;
use super::validate::{ValidationOptions, validate};
use crate::error::{Error, Result};
use crate::ids::{CommunityId, DelegateId, GridId, QuarterId, StationId};
use crate::territory::{
    Community, Delegate, DelegateOffice, Grid, HandlingUnit, Polygon, Quarter, Station, Street,
    Territory, Workroom,
};

/// The territory files, borrowed (what an import reads).
#[derive(Debug, Clone, Copy)]
pub struct TerritoryFiles<'a> {
    pub street: &'a str,
    pub communities: &'a str,
    pub quarters: Option<&'a str>,
    pub grids: &'a str,
    pub stations: &'a str,
    pub organisation: &'a str,
}

/// The territory files, owned (what an export writes).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedFiles {
    pub street: String,
    pub communities: String,
    pub quarters: String,
    pub grids: String,
    pub stations: String,
    pub organisation: String,
}

impl ExportedFiles {
    pub fn as_files(&self) -> TerritoryFiles<'_> {
        TerritoryFiles {
            street: &self.street,
            communities: &self.communities,
            quarters: Some(&self.quarters),
            grids: &self.grids,
            stations: &self.stations,
            organisation: &self.organisation,
        }
    }

    /// `(file name, contents)` pairs, in a fixed order, for writing to a directory.
    pub fn named(&self) -> [(&'static str, &str); 6] {
        [
            ("street.geojson", &self.street),
            ("communities.geojson", &self.communities),
            ("quarters.geojson", &self.quarters),
            ("grids.geojson", &self.grids),
            ("stations.geojson", &self.stations),
            ("organisation.json", &self.organisation),
        ]
    }
}

/// The non-geographic part of a territory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    pub version: u32,
    pub delegates: Vec<Delegate>,
    pub workrooms: Vec<Workroom>,
    pub office: DelegateOffice,
    pub handling_units: Vec<HandlingUnit>,
}

#[derive(Deserialize)]
struct CollectionIn {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    datum: Option<String>,
    #[serde(default)]
    features: Vec<FeatureIn>,
}

#[derive(Deserialize)]
struct FeatureIn {
    #[serde(default)]
    geometry: Option<GeometryIn>,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum GeometryIn {
    Point {
        coordinates: Vec<f64>,
    },
    Polygon {
        coordinates: Vec<Vec<Vec<f64>>>,
    },
    MultiPolygon {
        coordinates: Vec<Vec<Vec<Vec<f64>>>>,
    },
    #[serde(other)]
    Other,
}

/// One parsed feature: its properties and geometry already in WGS-84.
struct Feature {
    label: String,
    props: Map<String, Value>,
    geometry: Option<GeometryIn>,
    datum: Datum,
}

impl Feature {
    fn text(&self, key: &str) -> Option<String> {
        match self.props.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }

    fn required(&self, key: &str, problems: &mut Vec<String>) -> String {
        self.text(key).unwrap_or_else(|| {
            problems.push(format!("{} has no property {key}", self.label));
            String::new()
        })
    }

    fn position(&self, c: &[f64], problems: &mut Vec<String>) -> [f64; 2] {
        if c.len() < 2 || !c[0].is_finite() || !c[1].is_finite() {
            problems.push(format!("{} has a malformed position", self.label));
            return [0.0, 0.0];
        }
        self.datum.to_wgs84([c[0], c[1]])
    }

    fn polygon_of(&self, rings: &[Vec<Vec<f64>>], problems: &mut Vec<String>) -> Polygon {
        Polygon(
            rings
                .iter()
                .map(|r| r.iter().map(|c| self.position(c, problems)).collect())
                .collect(),
        )
    }

    /// The polygons of a Polygon or MultiPolygon geometry.
    fn polygons(&self, problems: &mut Vec<String>) -> Vec<Polygon> {
        match &self.geometry {
            Some(GeometryIn::Polygon { coordinates }) => {
                vec![self.polygon_of(coordinates, problems)]
            }
            Some(GeometryIn::MultiPolygon { coordinates }) => coordinates
                .iter()
                .map(|p| self.polygon_of(p, problems))
                .collect(),
            _ => {
                problems.push(format!("{} is not a polygon", self.label));
                vec![]
            }
        }
    }

    /// Exactly one polygon (grids, quarters, the street).
    fn polygon(&self, problems: &mut Vec<String>) -> Polygon {
        let mut ps = self.polygons(problems);
        match ps.len() {
            0 => Polygon::default(),
            1 => ps.remove(0),
            n => {
                problems.push(format!(
                    "{} has {n} separate parts; it must be one polygon",
                    self.label
                ));
                ps.remove(0)
            }
        }
    }
}

fn features(
    file: &str,
    kind: &str,
    text: &str,
    datum: Datum,
    problems: &mut Vec<String>,
) -> Vec<Feature> {
    let fc: CollectionIn = match serde_json::from_str(text) {
        Ok(fc) => fc,
        Err(e) => {
            problems.push(format!("{file} is not valid GeoJSON: {e}"));
            return vec![];
        }
    };
    if fc.kind != "FeatureCollection" {
        problems.push(format!("{file} is a {}, not a FeatureCollection", fc.kind));
    }
    let datum = match fc.datum.as_deref() {
        None => datum,
        Some(d) => Datum::parse(d).unwrap_or_else(|| {
            problems.push(format!("{file} declares an unknown datum {d:?}"));
            datum
        }),
    };
    fc.features
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let props = f.properties.unwrap_or_default();
            let code = match props.get("code") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => format!("#{}", i + 1),
            };
            Feature {
                label: format!("{kind} {code}"),
                props,
                geometry: f.geometry,
                datum,
            }
        })
        .collect()
}

/// Builds a territory from its files and validates it (references and geometry). `datum` is what
/// a collection without a `datum` member is taken to be in.
pub fn territory_from_files(files: &TerritoryFiles<'_>, datum: Datum) -> Result<Territory> {
    territory_from_files_with(files, datum, &ValidationOptions::default())
}

/// [`territory_from_files`] with explicit validation tolerances.
pub fn territory_from_files_with(
    files: &TerritoryFiles<'_>,
    datum: Datum,
    options: &ValidationOptions,
) -> Result<Territory> {
    let mut problems = Vec::new();
    let org: Option<Organisation> = match serde_json::from_str(files.organisation) {
        Ok(o) => Some(o),
        Err(e) => {
            problems.push(format!("organisation.json is not valid: {e}"));
            None
        }
    };

    let street_fs = features(
        "street.geojson",
        "street",
        files.street,
        datum,
        &mut problems,
    );
    let street = match street_fs.as_slice() {
        [f] => Street {
            code: f.required("code", &mut problems),
            name: f.required("name", &mut problems),
            district: f.text("district").unwrap_or_default(),
            boundary: f.polygon(&mut problems),
        },
        other => {
            problems.push(format!(
                "street.geojson must hold one street, not {}",
                other.len()
            ));
            Street {
                code: String::new(),
                name: String::new(),
                district: String::new(),
                boundary: Polygon::default(),
            }
        }
    };

    let communities = features(
        "communities.geojson",
        "community",
        files.communities,
        datum,
        &mut problems,
    )
    .iter()
    .map(|f| Community {
        id: CommunityId::new(f.required("code", &mut problems)),
        name: f.required("name", &mut problems),
        boundary: f.polygons(&mut problems),
    })
    .collect();

    let quarters = match files.quarters {
        None => vec![],
        Some(text) => features("quarters.geojson", "quarter", text, datum, &mut problems)
            .iter()
            .map(|f| Quarter {
                id: QuarterId::new(f.required("code", &mut problems)),
                name: f.required("name", &mut problems),
                community: CommunityId::new(f.required("community", &mut problems)),
                boundary: f.polygon(&mut problems),
            })
            .collect(),
    };

    let grids = grids_from(files.grids, datum, &mut problems);

    let stations = features(
        "stations.geojson",
        "station",
        files.stations,
        datum,
        &mut problems,
    )
    .iter()
    .map(|f| Station {
        id: StationId::new(f.required("code", &mut problems)),
        name: f.required("name", &mut problems),
        head: f.text("head").map(DelegateId::new),
        location: match &f.geometry {
            Some(GeometryIn::Point { coordinates }) => Some(f.position(coordinates, &mut problems)),
            None => None,
            Some(_) => {
                problems.push(format!("{} must be a point", f.label));
                None
            }
        },
    })
    .collect();

    let Some(org) = org else {
        return Err(Error::InvalidTerritory(problems.join("; ")));
    };
    let territory = Territory {
        version: org.version,
        street,
        communities,
        quarters,
        grids,
        stations,
        delegates: org.delegates,
        workrooms: org.workrooms,
        office: org.office,
        handling_units: org.handling_units,
    };
    finish(territory, problems, options)
}

/// Parses a grid layer. The `station` property must name exactly one station: a missing or empty
/// one and a list of two are both problems.
fn grids_from(text: &str, datum: Datum, problems: &mut Vec<String>) -> Vec<Grid> {
    features("grids.geojson", "grid", text, datum, problems)
        .iter()
        .map(|f| {
            let station = match f.props.get("station") {
                Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
                Some(Value::Array(a)) if a.len() == 1 => {
                    a[0].as_str().map(str::to_owned).unwrap_or_default()
                }
                Some(Value::Array(a)) if a.len() > 1 => {
                    let names: Vec<String> = a
                        .iter()
                        .map(|v| v.as_str().unwrap_or("?").to_owned())
                        .collect();
                    problems.push(format!(
                        "{} is covered by {} stations ({}); it must be covered by exactly one",
                        f.label,
                        a.len(),
                        names.join(", ")
                    ));
                    names.first().cloned().unwrap_or_default()
                }
                _ => {
                    problems.push(format!("{} has no station", f.label));
                    String::new()
                }
            };
            Grid {
                id: GridId::new(f.required("code", problems)),
                name: f.required("name", problems),
                community: CommunityId::new(f.required("community", problems)),
                station: StationId::new(station),
                boundary: f.polygon(problems),
            }
        })
        .collect()
}

fn finish(
    territory: Territory,
    mut problems: Vec<String>,
    options: &ValidationOptions,
) -> Result<Territory> {
    if let Err(Error::InvalidTerritory(p)) = territory.check_references() {
        problems.push(p);
    }
    // Geometry checks on parse failures would only repeat them.
    if problems.is_empty()
        && let Err(problem_list) = validate(&territory, options)
    {
        problems.extend(problem_list.iter().map(ToString::to_string));
    }
    if problems.is_empty() {
        Ok(territory)
    } else {
        Err(Error::InvalidTerritory(problems.join("; ")))
    }
}

/// Replaces the grid layer of `base` with the grids of a GeoJSON collection and validates the
/// result. `base` is not touched: on error the caller still has it, unchanged.
pub fn import_grids(base: &Territory, grids_geojson: &str, datum: Datum) -> Result<Territory> {
    let mut problems = Vec::new();
    let grids = grids_from(grids_geojson, datum, &mut problems);
    let mut next = base.clone();
    next.grids = grids;
    next.version = base.version.saturating_add(1);
    finish(next, problems, &ValidationOptions::default())
}

fn ring_json(r: &[[f64; 2]]) -> Value {
    Value::Array(r.iter().map(|p| json!([p[0], p[1]])).collect())
}

fn polygon_json(p: &Polygon) -> Value {
    json!({"type": "Polygon", "coordinates": p.0.iter().map(|r| ring_json(r)).collect::<Vec<_>>()})
}

/// One feature per line: compact, yet a change to one grid is a one-line diff.
fn collection(features: &[Value]) -> String {
    let lines: Vec<String> = features.iter().map(Value::to_string).collect();
    format!(
        "{{\"type\": \"FeatureCollection\", \"datum\": \"WGS-84\", \"features\": [\n{}\n]}}\n",
        lines.join(",\n")
    )
}

/// Exports a territory as its files (WGS-84, pretty-printed, stable key order).
pub fn export_files(t: &Territory) -> ExportedFiles {
    let street = collection(&[json!({
        "type": "Feature",
        "properties": {"code": t.street.code, "name": t.street.name, "district": t.street.district},
        "geometry": polygon_json(&t.street.boundary),
    })]);
    let communities = collection(&
        t.communities
            .iter()
            .map(|c| {
                let geometry = match c.boundary.as_slice() {
                    [one] => polygon_json(one),
                    many => json!({"type": "MultiPolygon", "coordinates":
                        many.iter().map(|p| p.0.iter().map(|r| ring_json(r)).collect::<Vec<_>>()).collect::<Vec<_>>()}),
                };
                json!({"type": "Feature", "properties": {"code": c.id, "name": c.name}, "geometry": geometry})
            })
            .collect::<Vec<_>>(),
    );
    let quarters = collection(
        &t.quarters
            .iter()
            .map(|q| {
                json!({"type": "Feature",
                "properties": {"code": q.id, "name": q.name, "community": q.community},
                "geometry": polygon_json(&q.boundary)})
            })
            .collect::<Vec<_>>(),
    );
    let grids = collection(&
        t.grids
            .iter()
            .map(|g| json!({"type": "Feature",
                "properties": {"code": g.id, "name": g.name, "community": g.community, "station": g.station},
                "geometry": polygon_json(&g.boundary)}))
            .collect::<Vec<_>>(),
    );
    let stations = collection(&
        t.stations
            .iter()
            .map(|s| json!({"type": "Feature",
                "properties": {"code": s.id, "name": s.name, "head": s.head},
                "geometry": s.location.map(|p| json!({"type": "Point", "coordinates": [p[0], p[1]]}))}))
            .collect::<Vec<_>>(),
    );
    let org = Organisation {
        version: t.version,
        delegates: t.delegates.clone(),
        workrooms: t.workrooms.clone(),
        office: t.office.clone(),
        handling_units: t.handling_units.clone(),
    };
    let mut organisation = serde_json::to_string_pretty(&org).unwrap_or_default();
    organisation.push('\n');
    ExportedFiles {
        street,
        communities,
        quarters,
        grids,
        stations,
        organisation,
    }
}
