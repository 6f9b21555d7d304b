//! Durable capture against a plain baseline, in the same run.
//!
//! `cargo bench -p gridvoice-store --bench capture` writes the `capture` section of BENCHMARKS.md.
//! The figure that matters is the ratio: capture (Automerge change + projection + full-text row, one
//! `synchronous=FULL` commit) over a raw `synchronous=FULL` insert of the same demand as a JSON row.

#![allow(clippy::expect_used, reason = "a benchmark that cannot go on stops")]
use std::time::{Duration, Instant};

use gridvoice_core::api::{RecordDemand, Request};
use gridvoice_core::clock::{SeededIds, Timestamp};
use gridvoice_core::doc::{self, Collection};
use gridvoice_core::ids::{DemandId, DeviceId, DocId};
use gridvoice_core::model::{Demand, Location, LocationSource};
use gridvoice_core::territory::sample;
use gridvoice_store::service::{Ctx, handle};
use gridvoice_store::system::SystemClock;
use gridvoice_store::{DeviceIdentity, Store};

const TEXTS: &[&str] = &[
    "3号楼电梯经常停运，老人上下楼困难，希望尽快维修并明确维保责任",
    "小区停车位严重不足，晚上车辆占用消防通道，存在安全隐患",
    "老旧小区供暖管道老化，冬天室温达不到标准，希望纳入改造计划",
    "社区养老驿站助餐服务名额太少，希望增加供餐点",
];

fn request(i: usize) -> RecordDemand {
    RecordDemand {
        text: format!("{}（第{i}户）", TEXTS[i % TEXTS.len()]),
        category: [
            "lift_maintenance",
            "parking",
            "old_estate_renovation",
            "elderly_care",
        ][i % 4]
            .into(),
        grid: Some("110118003001001".into()),
        location: Some(Location {
            lat: 40.37 + (i % 100) as f64 * 1e-5,
            lon: 116.84,
            accuracy_m: Some(8.0),
            source: LocationSource::Gps,
        }),
        visit: None,
        contact: None,
        id: None,
        attachments: Vec::new(),
    }
}

fn device(path: &std::path::Path) -> Store {
    let mut store = Store::open(path).expect("open store");
    store
        .init_device(
            DeviceIdentity {
                device: DeviceId(uuid::Uuid::from_u128(1)),
                delegate: "D01".into(),
                station: "S01".into(),
            },
            sample::small(),
        )
        .expect("init");
    store
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rounds = 10;
    let per_round = 200;

    // --- durable capture vs raw insert, interleaved so both see the same disk weather ---
    let mut store = device(&dir.path().join("device.sqlite"));
    let raw = rusqlite::Connection::open(dir.path().join("raw.sqlite")).expect("raw");
    raw.pragma_update(None, "journal_mode", "WAL").ok();
    raw.pragma_update(None, "synchronous", "FULL")
        .expect("sync");
    raw.execute_batch("CREATE TABLE demands (id TEXT PRIMARY KEY, json TEXT NOT NULL)")
        .expect("table");
    let clock = SystemClock;
    let mut ids = SeededIds::new(1);
    let mut capture = Vec::new();
    let mut baseline = Vec::new();
    let mut n = 0;
    for _ in 0..rounds {
        for _ in 0..per_round {
            n += 1;
            let req = Request::RecordDemand(request(n));
            let t = Instant::now();
            let mut ctx = Ctx {
                clock: &clock,
                ids: &mut ids,
            };
            handle(&mut store, &mut ctx, req).expect("capture");
            capture.push(t.elapsed());
        }
        for _ in 0..per_round {
            n += 1;
            let r = request(n);
            let demand = Demand {
                id: DemandId(uuid::Uuid::from_u128(n as u128)),
                station: "S01".into(),
                text: r.text,
                category: r.category.parse().expect("category"),
                grid: r.grid.expect("grid"),
                location: r.location,
                recorded_at: Timestamp(n as i64),
                recorded_by: "D01".into(),
                device: DeviceId(uuid::Uuid::from_u128(1)),
                visit: None,
                contacts_in: None,
                attachments: vec![],
            };
            let t = Instant::now();
            let json = serde_json::to_string(&demand).expect("json");
            raw.execute(
                "INSERT INTO demands (id, json) VALUES (?1, ?2)",
                (demand.id.to_string(), json),
            )
            .expect("insert");
            baseline.push(t.elapsed());
        }
    }
    // The same capture on an in-memory store: its CPU cost alone, with no disk at all.
    let mut mem = Store::open_in_memory().expect("memory store");
    mem.init_device(
        DeviceIdentity {
            device: DeviceId(uuid::Uuid::from_u128(1)),
            delegate: "D01".into(),
            station: "S01".into(),
        },
        sample::small(),
    )
    .expect("init");
    let mut cpu = Vec::new();
    for i in 0..(rounds * per_round) {
        let req = Request::RecordDemand(request(i));
        let t = Instant::now();
        let mut ctx = Ctx {
            clock: &clock,
            ids: &mut ids,
        };
        handle(&mut mem, &mut ctx, req).expect("capture");
        cpu.push(t.elapsed());
    }
    cpu.sort();
    capture.sort();
    baseline.sort();
    let (c50, c99) = (percentile(&capture, 0.5), percentile(&capture, 0.99));
    let (b50, b99) = (percentile(&baseline, 0.5), percentile(&baseline, 0.99));

    // --- bulk import: 10k demands, 500 per commit, vs raw inserts in the same batching ---
    let total = 10_000;
    let batch = 500;
    let mut bulk = device(&dir.path().join("bulk.sqlite"));
    let station = DocId::for_station(&"S01".into());
    // Realistic texts (the demo history's, each made unique), so the size per demand is honest.
    let history = gridvoice_core::demo::generate_history(
        &gridvoice_core::demo::gulou().expect("demo territory"),
        gridvoice_core::demo::HISTORY_SEED,
    )
    .expect("demo history");
    let demands: Vec<Demand> = (0..total)
        .map(|i| {
            let r = request(i);
            let text = format!(
                "{}（{}号）",
                history.demands[i % history.demands.len()].0.text,
                i
            );
            Demand {
                id: DemandId::new(&mut ids, Timestamp(1_600_000_000_000 + i as i64)),
                station: "S01".into(),
                text,
                category: r.category.parse().expect("category"),
                grid: r.grid.expect("grid"),
                location: r.location,
                recorded_at: Timestamp(1_600_000_000_000 + i as i64),
                recorded_by: "D01".into(),
                device: DeviceId(uuid::Uuid::from_u128(1)),
                visit: None,
                contacts_in: None,
                attachments: vec![],
            }
        })
        .collect();
    let t = Instant::now();
    for chunk in demands.chunks(batch) {
        bulk.write(None, |b| {
            b.edit(&station, |tx| {
                for d in chunk {
                    doc::put_record(tx, Collection::Demands, &d.id.to_string(), d)?;
                }
                Ok(())
            })?;
            for d in chunk {
                b.project(&station, Collection::Demands, &d.id.to_string())?;
            }
            Ok(())
        })
        .expect("bulk");
    }
    let bulk_time = t.elapsed();
    let mut raw_bulk = rusqlite::Connection::open(dir.path().join("rawbulk.sqlite")).expect("raw");
    raw_bulk.pragma_update(None, "journal_mode", "WAL").ok();
    raw_bulk
        .pragma_update(None, "synchronous", "FULL")
        .expect("sync");
    raw_bulk
        .execute_batch("CREATE TABLE demands (id TEXT PRIMARY KEY, json TEXT NOT NULL)")
        .expect("table");
    let t = Instant::now();
    for chunk in demands.chunks(batch) {
        let tx = raw_bulk.transaction().expect("tx");
        for d in chunk {
            tx.execute(
                "INSERT INTO demands (id, json) VALUES (?1, ?2)",
                (d.id.to_string(), serde_json::to_string(d).expect("json")),
            )
            .expect("insert");
        }
        tx.commit().expect("commit");
    }
    let raw_bulk_time = t.elapsed();
    let saved = bulk.doc(&station).expect("doc").save();
    let json_bytes: usize = demands
        .iter()
        .map(|d| serde_json::to_string(d).map(|s| s.len()).unwrap_or(0))
        .sum();

    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    let body = format!(
        "## Durable capture (issue 2)\n\n\
         Command: `cargo bench -p gridvoice-store --bench capture` — {samples} samples each, interleaved in \
         blocks of {per_round}, on a file store (WAL, `synchronous=FULL`).\n\n\
         | what | p50 ms | p99 ms |\n|---|---|---|\n\
         | capture: validate + Automerge change + projection row + receipt, one commit | {c50} | {c99} |\n\
         | baseline: raw `INSERT` of the same demand as a JSON row, one commit | {b50} | {b99} |\n\
         | **ratio capture / baseline** | **{r50:.2}×** | **{r99:.2}×** |\n\
         | capture on an in-memory store (its CPU share, no disk) | {m50} | {m99} |\n\n\
         Target: ≤ 1.5× at p50: **{verdict}**. The floor: the capture's CPU alone (in-memory row) plus the \
         baseline's whole commit is {floor} ms, {fr:.2}× the baseline — what the ratio would be if the capture's \
         commit cost no more I/O than one JSON row. Most of that CPU is Automerge inserting the record into a map \
         of thousands of records and building the change (hash, columns); the rest is the projection and receipt \
         rows. Already done: the full-text index is filled before the next search, not in the capture's commit; \
         changes are stored uncompressed (compaction compresses them); receipts touch two pages, not three.\n\n\
         | bulk import, {total} demands, {batch} per commit | time s | demands/s |\n|---|---|---|\n\
         | store (Automerge + projections) | {bt:.2} | {br:.0} |\n\
         | raw JSON rows | {rt:.2} | {rr:.0} |\n\n\
         Saved {total}-demand station document: {size} bytes, **{per:.0} B/demand** \
         (the same demands as raw JSON: {jper:.0} B/demand).\n",
        samples = capture.len(),
        c50 = ms(c50),
        c99 = ms(c99),
        b50 = ms(b50),
        b99 = ms(b99),
        m50 = ms(percentile(&cpu, 0.5)),
        m99 = ms(percentile(&cpu, 0.99)),
        r50 = c50.as_secs_f64() / b50.as_secs_f64(),
        verdict = if c50.as_secs_f64() / b50.as_secs_f64() <= 1.5 {
            "met"
        } else {
            "not met"
        },
        floor = ms(percentile(&cpu, 0.5) + b50),
        fr = (percentile(&cpu, 0.5) + b50).as_secs_f64() / b50.as_secs_f64(),
        r99 = c99.as_secs_f64() / b99.as_secs_f64(),
        bt = bulk_time.as_secs_f64(),
        br = rate(bulk_time),
        rt = raw_bulk_time.as_secs_f64(),
        rr = rate(raw_bulk_time),
        size = saved.len(),
        per = saved.len() as f64 / total as f64,
        jper = json_bytes as f64 / total as f64,
    );
    println!("{body}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(
        &path,
        gridvoice_core::report::replace_section(&old, "capture", &body),
    )
    .expect("write BENCHMARKS.md");
}
