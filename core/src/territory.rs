//! The territory: street, communities, quarters, grids, stations, delegates, workrooms, the
//! delegate office and the handling units. Office-owned; devices hold a copy and validate against it.
//!
//! Coordinates are WGS-84 `[lon, lat]` pairs (GeoJSON order). Geometry algorithms (point → grid,
//! validation of polygons, maps) live in the geography modules; this module holds the shapes and the
//! reference checks.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{
    CommunityId, DelegateId, GridId, HandlingUnitId, QuarterId, StaffId, StationId, WorkroomId,
};

/// A polygon: an outer ring then holes, each ring closed or not, `[lon, lat]` in WGS-84.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Polygon(pub Vec<Vec<[f64; 2]>>);

/// The street 街道 the system serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Street {
    /// 9-digit code: 6-digit district admin code + 3-digit street code.
    pub code: String,
    pub name: String,
    pub district: String,
    #[serde(default)]
    pub boundary: Polygon,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Community {
    pub id: CommunityId,
    pub name: String,
    #[serde(default)]
    pub boundary: Vec<Polygon>,
}

/// A residential quarter 居民小区 inside a community.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quarter {
    pub id: QuarterId,
    pub name: String,
    pub community: CommunityId,
    #[serde(default)]
    pub boundary: Polygon,
}

/// A grid 网格: the smallest management cell, in one community, covered by one station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub id: GridId,
    pub name: String,
    pub community: CommunityId,
    pub station: StationId,
    #[serde(default)]
    pub boundary: Polygon,
}

/// A delegate work station 代表工作站.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Station {
    pub id: StationId,
    pub name: String,
    /// The station head 站长, a delegate of the station.
    pub head: Option<DelegateId>,
    /// Where the station sits, `[lon, lat]`.
    pub location: Option<[f64; 2]>,
}

/// The level of the congress a delegate sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelegateLevel {
    /// 市人大代表
    City,
    /// 区人大代表
    District,
}

impl DelegateLevel {
    pub fn zh(self) -> &'static str {
        match self {
            DelegateLevel::City => "市人大代表",
            DelegateLevel::District => "区人大代表",
        }
    }
}

/// A people's-congress delegate 人大代表, in a station and in grids (入站入网入格).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delegate {
    pub id: DelegateId,
    pub name: String,
    pub level: DelegateLevel,
    pub station: StationId,
    pub grids: Vec<GridId>,
}

/// A community's 12345 workroom 接诉即办工作室.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workroom {
    pub id: WorkroomId,
    pub name: String,
    pub community: CommunityId,
}

/// The street's delegate office 代表工作室 (at the 人大街工委).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DelegateOffice {
    pub name: String,
    #[serde(default)]
    pub staff: Vec<StaffId>,
}

/// The level that must handle a suggestion ("小事不出社区、大事不出街道").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandlingLevel {
    Community,
    Street,
    District,
    City,
}

impl HandlingLevel {
    pub fn zh(self) -> &'static str {
        match self {
            HandlingLevel::Community => "社区",
            HandlingLevel::Street => "街道",
            HandlingLevel::District => "区",
            HandlingLevel::City => "市",
        }
    }
}

/// A unit that handles suggestions: a street department, a district body, a city-level channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandlingUnit {
    pub id: HandlingUnitId,
    pub name: String,
    pub level: HandlingLevel,
}

/// The whole territory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Territory {
    /// Bumped by the office on every edit.
    pub version: u32,
    pub street: Street,
    pub communities: Vec<Community>,
    pub quarters: Vec<Quarter>,
    pub grids: Vec<Grid>,
    pub stations: Vec<Station>,
    pub delegates: Vec<Delegate>,
    pub workrooms: Vec<Workroom>,
    pub office: DelegateOffice,
    pub handling_units: Vec<HandlingUnit>,
}

impl Territory {
    pub fn grid(&self, id: &GridId) -> Option<&Grid> {
        self.grids.iter().find(|g| &g.id == id)
    }

    pub fn station(&self, id: &StationId) -> Option<&Station> {
        self.stations.iter().find(|s| &s.id == id)
    }

    pub fn delegate(&self, id: &DelegateId) -> Option<&Delegate> {
        self.delegates.iter().find(|d| &d.id == id)
    }

    pub fn community(&self, id: &CommunityId) -> Option<&Community> {
        self.communities.iter().find(|c| &c.id == id)
    }

    /// The grids a station covers.
    pub fn station_grids<'a>(&'a self, station: &'a StationId) -> impl Iterator<Item = &'a Grid> {
        self.grids.iter().filter(move |g| &g.station == station)
    }

    /// Checks that ids are unique and every reference points at something that exists. Geometry
    /// is checked separately. Returns every problem found, not just the first.
    pub fn check_references(&self) -> Result<()> {
        let mut problems = Vec::new();
        let communities = unique(
            self.communities.iter().map(|c| c.id.as_str()),
            "community",
            &mut problems,
        );
        let stations = unique(
            self.stations.iter().map(|s| s.id.as_str()),
            "station",
            &mut problems,
        );
        let grids = unique(
            self.grids.iter().map(|g| g.id.as_str()),
            "grid",
            &mut problems,
        );
        let delegates = unique(
            self.delegates.iter().map(|d| d.id.as_str()),
            "delegate",
            &mut problems,
        );
        unique(
            self.quarters.iter().map(|q| q.id.as_str()),
            "quarter",
            &mut problems,
        );
        unique(
            self.workrooms.iter().map(|w| w.id.as_str()),
            "workroom",
            &mut problems,
        );
        unique(
            self.handling_units.iter().map(|h| h.id.as_str()),
            "handling unit",
            &mut problems,
        );
        for g in &self.grids {
            if !communities.contains(g.community.as_str()) {
                problems.push(format!(
                    "grid {} names unknown community {}",
                    g.id, g.community
                ));
            }
            if !stations.contains(g.station.as_str()) {
                problems.push(format!("grid {} names unknown station {}", g.id, g.station));
            }
        }
        for q in &self.quarters {
            if !communities.contains(q.community.as_str()) {
                problems.push(format!(
                    "quarter {} names unknown community {}",
                    q.id, q.community
                ));
            }
        }
        for w in &self.workrooms {
            if !communities.contains(w.community.as_str()) {
                problems.push(format!(
                    "workroom {} names unknown community {}",
                    w.id, w.community
                ));
            }
        }
        for d in &self.delegates {
            if !stations.contains(d.station.as_str()) {
                problems.push(format!(
                    "delegate {} names unknown station {}",
                    d.id, d.station
                ));
            }
            for g in &d.grids {
                if !grids.contains(g.as_str()) {
                    problems.push(format!("delegate {} names unknown grid {}", d.id, g));
                }
            }
        }
        for s in &self.stations {
            if let Some(head) = &s.head
                && !delegates.contains(head.as_str())
            {
                problems.push(format!("station {} names unknown head {}", s.id, head));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidTerritory(problems.join("; ")))
        }
    }

    /// How many grids each station covers.
    pub fn grids_per_station(&self) -> BTreeMap<&StationId, usize> {
        let mut out = BTreeMap::new();
        for g in &self.grids {
            *out.entry(&g.station).or_insert(0) += 1;
        }
        out
    }
}

fn unique<'a>(
    ids: impl Iterator<Item = &'a str>,
    kind: &str,
    problems: &mut Vec<String>,
) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            problems.push(format!("{kind} {id} appears twice"));
        }
    }
    seen
}

pub mod sample {
    //! A two-station territory small enough to read, for tests and examples.
    use super::*;

    pub fn small() -> Territory {
        let grid = |code: &str, community: &str, station: &str| Grid {
            id: GridId::new(code),
            name: format!("网格{}", &code[12..]),
            community: CommunityId::new(community),
            station: StationId::new(station),
            boundary: Polygon::default(),
        };
        Territory {
            version: 1,
            street: Street {
                code: "110118003".into(),
                name: "鼓楼街道".into(),
                district: "密云区".into(),
                boundary: Polygon::default(),
            },
            communities: vec![
                Community {
                    id: "C01".into(),
                    name: "东菜园社区".into(),
                    boundary: vec![],
                },
                Community {
                    id: "C02".into(),
                    name: "西门社区".into(),
                    boundary: vec![],
                },
            ],
            quarters: vec![],
            grids: vec![
                grid("110118003001001", "C01", "S01"),
                grid("110118003001002", "C01", "S01"),
                grid("110118003002001", "C02", "S02"),
            ],
            stations: vec![
                Station {
                    id: "S01".into(),
                    name: "东菜园代表工作站".into(),
                    head: Some("D01".into()),
                    location: None,
                },
                Station {
                    id: "S02".into(),
                    name: "西门代表工作站".into(),
                    head: None,
                    location: None,
                },
            ],
            delegates: vec![
                Delegate {
                    id: "D01".into(),
                    name: "王建国".into(),
                    level: DelegateLevel::District,
                    station: "S01".into(),
                    grids: vec!["110118003001001".into()],
                },
                Delegate {
                    id: "D03".into(),
                    name: "赵敏".into(),
                    level: DelegateLevel::District,
                    station: "S01".into(),
                    grids: vec!["110118003001002".into()],
                },
                Delegate {
                    id: "D02".into(),
                    name: "李秀英".into(),
                    level: DelegateLevel::City,
                    station: "S02".into(),
                    grids: vec!["110118003002001".into()],
                },
            ],
            workrooms: vec![],
            office: DelegateOffice {
                name: "鼓楼街道代表工作室".into(),
                staff: vec!["office-1".into()],
            },
            handling_units: vec![
                HandlingUnit {
                    id: "U-S02".into(),
                    name: "街道城市管理办公室".into(),
                    level: HandlingLevel::Street,
                },
                HandlingUnit {
                    id: "U-S03".into(),
                    name: "街道社区建设办公室".into(),
                    level: HandlingLevel::Street,
                },
                HandlingUnit {
                    id: "U-D04".into(),
                    name: "区住房和城乡建设委员会".into(),
                    level: HandlingLevel::District,
                },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consistent_territory_passes_and_a_dangling_reference_is_named() {
        let mut t = sample::small();
        t.check_references().unwrap();
        t.grids[0].station = StationId::new("S99");
        t.delegates.push(t.delegates[0].clone());
        let err = t.check_references().unwrap_err().to_string();
        assert!(
            err.contains("grid 110118003001001 names unknown station S99"),
            "{err}"
        );
        assert!(err.contains("delegate D01 appears twice"), "{err}");
    }
}
