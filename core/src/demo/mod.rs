//! The demo data set: a synthetic Gulou Street (鼓楼街道, Miyun District) with the article's figures,
//! and a seeded history of visits, demands and suggestions on it.
//!
//! The real grid boundaries are not public, so the territory is generated: a jittered lattice of
//! ~130 m cells around 40.37° N, 116.84° E is grown into 29 communities, each community into 2–4 grids,
//! and neighbouring communities are grouped into 13 stations. The generator is pure arithmetic on a
//! seeded SplitMix64 stream (no trigonometry, no global randomness), so every platform produces the
//! same bytes; the result is committed under `data/gulou/` and [`gulou`] loads that copy.
//!
//! ```
//! let t = gridvoice_core::demo::gulou().unwrap();
//! assert_eq!(t.grids.len(), 79);
//! assert_eq!(t.stations.len(), 13);
//! ```
//!
//! To regenerate the committed files after changing the generator:
//! `cargo run -p gridvoice-core --example gen_demo` (a test fails until you do).

pub mod history;
mod names;
pub mod synthetic;
pub mod territory;

use crate::error::Result;
use crate::geography::gcj02::Datum;
use crate::geography::geojson::{TerritoryFiles, territory_from_files};
use crate::territory::Territory;

pub use history::{DemoHistory, HISTORY_SEED, HistoryStats, generate_history};
pub use territory::{DEMO_SEED, generate_territory};

/// The committed demo territory files, as text (WGS-84 GeoJSON plus the organisation JSON).
pub fn gulou_files() -> TerritoryFiles<'static> {
    TerritoryFiles {
        street: include_str!("../../../data/gulou/street.geojson"),
        communities: include_str!("../../../data/gulou/communities.geojson"),
        quarters: Some(include_str!("../../../data/gulou/quarters.geojson")),
        grids: include_str!("../../../data/gulou/grids.geojson"),
        stations: include_str!("../../../data/gulou/stations.geojson"),
        organisation: include_str!("../../../data/gulou/organisation.json"),
    }
}

/// The demo Gulou Street territory, parsed and validated from the committed files.
pub fn gulou() -> Result<Territory> {
    territory_from_files(&gulou_files(), Datum::Wgs84)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::geography::geojson::export_files;
    use crate::geography::{LocalFrame, area_m2};
    use crate::territory::DelegateLevel;

    #[test]
    fn the_committed_files_are_exactly_what_the_generator_makes() {
        let fresh = export_files(&generate_territory(DEMO_SEED).unwrap());
        let committed = gulou_files();
        // Compare file by file so a failure names the file; regenerate with the example.
        for ((name, want), have) in fresh.named().iter().zip([
            committed.street,
            committed.communities,
            committed.quarters.unwrap_or_default(),
            committed.grids,
            committed.stations,
            committed.organisation,
        ]) {
            assert!(
                *want == have,
                "data/gulou/{name} is stale: run `cargo run -p gridvoice-core --example gen_demo`"
            );
        }
    }

    #[test]
    fn gulou_street_has_the_articles_figures() {
        let t = gulou().unwrap();
        assert_eq!(t.street.name, "鼓楼街道");
        assert_eq!(t.communities.len(), 29);
        assert_eq!(t.quarters.len(), 108);
        assert_eq!(t.grids.len(), 79);
        assert_eq!(t.stations.len(), 13);
        assert_eq!(t.delegates.len(), 30);
        assert_eq!(t.workrooms.len(), 29);
        assert_eq!(t.office.name, "鼓楼街道人大街工委代表工作室");

        // ≈ 13.06 km² around 40.37° N, 116.84° E.
        let frame = LocalFrame::for_territory(&t);
        let area = area_m2(&frame, &t.street.boundary);
        assert!(
            (area - 13.06e6).abs() < 0.01 * 13.06e6,
            "street area {area} m²"
        );
        assert!((frame.lon0 - 116.84).abs() < 0.01 && (frame.lat0 - 40.37).abs() < 0.01);

        // Grid areas add up to the street: a partition (overlaps and gaps are validated on load).
        let grids: f64 = t.grids.iter().map(|g| area_m2(&frame, &g.boundary)).sum();
        assert!(
            (grids - area).abs() < 1.0,
            "grids {grids} m² vs street {area} m²"
        );

        // 15-digit codes: 110118 + street 003 + community + grid, the community being the grid's.
        for g in &t.grids {
            let code = g.id.as_str();
            assert!(
                code.len() == 15 && code.bytes().all(|b| b.is_ascii_digit()),
                "{code}"
            );
            assert!(code.starts_with("110118003"), "{code}");
            assert_eq!(&code[..12], g.community.as_str(), "{code}");
        }

        // 13 stations cover all 79 grids exactly once (each grid names one station).
        let per_station = t.grids_per_station();
        assert_eq!(per_station.len(), 13);
        assert_eq!(per_station.values().sum::<usize>(), 79);

        // Quarters: inside their communities, 3 or 4 each.
        let mut quarters: BTreeMap<_, usize> = BTreeMap::new();
        for q in &t.quarters {
            *quarters.entry(&q.community).or_default() += 1;
        }
        assert_eq!(quarters.len(), 29);
        assert!(quarters.values().all(|&n| n == 3 || n == 4));

        // One workroom per community.
        let rooms: BTreeSet<_> = t.workrooms.iter().map(|w| &w.community).collect();
        assert_eq!(rooms.len(), 29);

        // Delegates: city and district level, in their station's grids, every grid with one.
        let city = t
            .delegates
            .iter()
            .filter(|d| d.level == DelegateLevel::City)
            .count();
        assert!(city > 0 && city < 30, "{city} city delegates");
        let mut covered = BTreeSet::new();
        for d in &t.delegates {
            assert!(!d.grids.is_empty(), "delegate {} has no grid", d.id);
            for g in &d.grids {
                assert_eq!(t.grid(g).unwrap().station, d.station, "{} in {}", d.id, g);
                covered.insert(g.clone());
            }
        }
        assert_eq!(covered.len(), 79);
        for s in &t.stations {
            let head = s.head.as_ref().unwrap();
            assert_eq!(t.delegate(head).unwrap().station, s.id);
        }

        // The handling-unit catalogue spans every level.
        let levels: BTreeSet<_> = t.handling_units.iter().map(|h| h.level).collect();
        assert_eq!(levels.len(), 4);
    }
}
