//! The authority rule where changes enter the server: `access::changes::judge` on a station
//! document of N demands receiving one device's upload of 10 new demands, beside the plain
//! baseline in the same run — applying the same changes to a copy of the document (what the server
//! must do anyway) and applying them in place. Writes the `judge` section of the root
//! `BENCHMARKS.md`.
//!
//! `cargo bench -p gridvoice-core --bench judge`

use std::hint::black_box;
use std::time::Instant;

use automerge::{Automerge, Change};
use gridvoice_core::access::changes::{Writer, judge};
use gridvoice_core::access::{Person, Principal, Role};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::doc::{self, Collection};
use gridvoice_core::ids::{DemandId, DeviceId, StationId};
use gridvoice_core::model::Demand;
use gridvoice_core::report::replace_section;
use gridvoice_core::territory::Territory;

fn demand(n: u128, t: &Territory, by: &str) -> Demand {
    let d = t
        .delegate(&by.into())
        .map(|d| (d.station.clone(), d.grids[0].clone()));
    let (station, grid) = d.unwrap_or_else(|| (StationId::new("S01"), "110118003001001".into()));
    Demand {
        id: DemandId(uuid::Uuid::from_u128(
            0x0190_0000_0000_7000_8000_0000_0000_0000 + n,
        )),
        station,
        text: format!("第{n}条：小区楼道灯坏了，居民夜间出行不便，希望尽快维修"),
        category: gridvoice_core::category::Category::Livability,
        grid,
        location: None,
        recorded_at: Timestamp(1_614_556_800_000 + n as i64),
        recorded_by: by.into(),
        device: DeviceId(uuid::Uuid::from_u128(7)),
        visit: None,
        contacts_in: None,
        attachments: Vec::new(),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let t = gridvoice_core::demo::gulou()?;
    let who = Principal {
        device: DeviceId(uuid::Uuid::from_u128(7)),
        person: Person::Delegate("D03".into()),
        role: Role::Delegate,
        station: Some("S01".into()),
    };
    let mut rows = Vec::new();
    for size in [1_000u128, 10_000] {
        let mut base = doc::station_genesis(&StationId::new("S01"))?;
        base.set_actor(DeviceId(uuid::Uuid::from_u128(1)).actor());
        for chunk in (0..size).collect::<Vec<_>>().chunks(100) {
            let mut tx = base.transaction();
            for &n in chunk {
                let d = demand(n, &t, "D01");
                doc::put_record(&mut tx, Collection::Demands, &d.id.to_string(), &d)?;
            }
            tx.commit();
        }
        // One device's upload: ten demands, one change each.
        let mut device = base
            .fork()
            .with_actor(DeviceId(uuid::Uuid::from_u128(7)).actor());
        let heads = base.get_heads();
        for n in 0..10 {
            let d = demand(size + n, &t, "D03");
            let mut tx = device.transaction();
            doc::put_record(&mut tx, Collection::Demands, &d.id.to_string(), &d)?;
            tx.commit();
        }
        let upload: Vec<Change> = device.get_changes(&heads);
        let elsewhere = |_: Collection, _: &str| false;
        let writer = Writer {
            who: &who,
            territory: &t,
        };
        assert_eq!(judge(&base, &upload, writer, &elsewhere), Ok(()));
        let runs = 15;
        let time = |f: &dyn Fn()| {
            median(
                (0..runs)
                    .map(|_| {
                        let s = Instant::now();
                        f();
                        s.elapsed().as_secs_f64() * 1e3
                    })
                    .collect(),
            )
        };
        let judged = time(&|| {
            black_box(judge(black_box(&base), &upload, writer, &elsewhere)).ok();
        });
        let copy_apply = time(&|| {
            let mut c: Automerge = base.clone();
            c.apply_changes(upload.clone()).ok();
            black_box(c.get_heads());
        });
        println!("{size:>6} demands: judge {judged:.2} ms, copy + apply {copy_apply:.2} ms");
        rows.push(format!(
            "| {size} demands, upload of 10 new demands | {judged:.2} ms | {copy_apply:.2} ms |"
        ));
    }
    let body = format!(
        "## The authority rule where changes enter (issue 8)\n\n\
         Command: `cargo bench -p gridvoice-core --bench judge` — median of 15 runs on this machine (2 cores, shared).\n\n\
         | station document | `access::changes::judge` (copy, apply with a patch log, read and check each touched record) | baseline in the same run: copy the document and apply the same changes |\n\
         |---|---|---|\n{}\n\n\
         The judge works on a copy of the document as samod holds it, so its floor is that copy plus the apply: what it adds beyond \
         the baseline is the patch log and the reading of the records the upload touched. It runs only for sync messages that carry \
         changes; a device in step sends none.",
        rows.join("\n")
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../BENCHMARKS.md");
    let old = std::fs::read_to_string(path).unwrap_or_default();
    std::fs::write(path, replace_section(&old, "judge", &body))?;
    Ok(())
}
