//! Duplicate clusters for a station of 10,000 open demands (issue 10's target: under 1 s), beside a
//! plain baseline in the same run: fingerprinting the same texts and sorting the demands by grid
//! and time (the least any grouping must do). Writes the `cluster` section of `BENCHMARKS.md`.
//!
//! `cargo bench -p gridvoice-core --bench cluster` (DEMANDS=… to change the count).

use std::hint::black_box;
use std::time::Instant;

use gridvoice_core::api::DemandView;
use gridvoice_core::category::Category;
use gridvoice_core::clock::{SeededIds, Timestamp};
use gridvoice_core::cluster::{clusters, fingerprint};
use gridvoice_core::demo::synthetic::{demand_text, pick};
use gridvoice_core::ids::{DemandId, DeviceId, StationId};
use gridvoice_core::model::Demand;
use gridvoice_core::report::replace_section;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::var("DEMANDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let t = gridvoice_core::demo::gulou()?;
    let station = StationId::new("S01");
    let grids: Vec<_> = t.station_grids(&station).map(|g| g.id.clone()).collect();
    let mut rng = SeededIds::new(7);
    let views: Vec<DemandView> = (0..n)
        .map(|i| {
            let text = demand_text(&mut rng);
            let mut pick = |k: usize| pick(&mut rng, k);
            let d = Demand {
                id: DemandId(uuid::Uuid::from_u128(i as u128 + 1)),
                station: station.clone(),
                text,
                category: Category::ALL[pick(Category::ALL.len())],
                grid: grids[pick(grids.len())].clone(),
                location: None,
                recorded_at: Timestamp(1_614_556_800_000 + pick(365) as i64 * 86_400_000),
                recorded_by: "D01".into(),
                device: DeviceId(uuid::Uuid::nil()),
                visit: None,
                contacts_in: None,
                attachments: Vec::new(),
            };
            DemandView::from_admitted(d, &[])
        })
        .collect();
    let median = |f: &dyn Fn() -> usize| {
        let mut v: Vec<f64> = (0..5)
            .map(|_| {
                let s = Instant::now();
                black_box(f());
                s.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v[2]
    };
    let found = clusters(&views, &t);
    let grouped: usize = found.iter().map(|c| c.demands.len()).sum();
    let full = median(&|| clusters(black_box(&views), &t).len());
    let baseline = median(&|| {
        let prints: Vec<_> = views.iter().map(|v| fingerprint(&v.demand.text)).collect();
        let mut order: Vec<usize> = (0..views.len()).collect();
        order.sort_by_key(|&i| (&views[i].demand.grid, views[i].demand.recorded_at));
        prints.len() + order.len()
    });
    println!(
        "{n} demands: clusters {full:.0} ms ({} clusters, {grouped} demands in them); baseline {baseline:.0} ms",
        found.len()
    );
    let body = format!(
        "## Duplicate clusters (issue 10)\n\n\
         Command: `cargo bench -p gridvoice-core --bench cluster` — one station of the demo territory ({} grids), \
         {n} open demands with synthetic texts, median of 5 runs on this machine (2 cores, shared).\n\n\
         | figure | `cluster::clusters` | baseline in the same run: fingerprint every text and sort by grid and time | target |\n\
         |---|---|---|---|\n\
         | {n} open demands → {} proposed clusters | {full:.0} ms | {baseline:.0} ms | < 1,000 ms: {} |",
        grids.len(),
        found.len(),
        if full < 1000.0 { "met" } else { "not met" }
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../BENCHMARKS.md");
    let old = std::fs::read_to_string(path).unwrap_or_default();
    std::fs::write(path, replace_section(&old, "cluster", &body))?;
    Ok(())
}
