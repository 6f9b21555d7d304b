//! Sync over real WebSockets on loopback, beside in-process `automerge::sync` in the same run.
//!
//! `cargo bench -p gridvoice-tests --bench sync` writes the `sync` section of BENCHMARKS.md:
//! - device syncs per second against a server restricted to one core (1k-demand station document);
//! - bytes per demand of a from-scratch station sync (1k demands);
//! - bytes of a sync carrying 10 new demands on a 10k-demand document.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot go on stops"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use automerge::Automerge;
use automerge::sync::{State, SyncDoc};
use gridvoice_core::clock::{SeededIds, Timestamp};
use gridvoice_core::doc::{self, Collection};
use gridvoice_core::ids::{DemandId, DocId, StationId};
use gridvoice_core::model::Demand;
use gridvoice_server::Config;
use gridvoice_store::Store;
use gridvoice_sync::{SyncConfig, enrol, sync_once};

fn code(dir: &Path, delegate: &str) -> String {
    gridvoice_tests::enrolment_code(dir, delegate).unwrap()
}

/// `n` realistic demands (the demo history's texts), written into a device store in batches.
fn bulk(store: &mut Store, n: usize, seed: u64) {
    let t = store.territory().unwrap().clone();
    let me = store.identity().unwrap().clone();
    let history =
        gridvoice_core::demo::generate_history(&t, gridvoice_core::demo::HISTORY_SEED).unwrap();
    let mut ids = SeededIds::new(seed);
    let station = DocId::for_station(&me.station);
    let demands: Vec<Demand> = (0..n)
        .map(|i| {
            let (h, _) = &history.demands[i % history.demands.len()];
            Demand {
                id: DemandId::new(&mut ids, Timestamp(1_600_000_000_000 + i as i64)),
                station: me.station.clone(),
                text: format!("{}（{}号）", h.text, i),
                category: h.category,
                grid: t.delegate(&me.delegate).unwrap().grids[0].clone(),
                location: h.location,
                recorded_at: Timestamp(1_600_000_000_000 + i as i64 * 60_000),
                recorded_by: me.delegate.clone(),
                device: me.device,
                visit: None,
                contacts_in: None,
                attachments: vec![],
            }
        })
        .collect();
    for chunk in demands.chunks(500) {
        store
            .write(None, |b| {
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
            .unwrap();
    }
}

/// In-process baseline: bytes automerge's sync protocol moves to bring `to` up to `from`.
fn in_process(from: &Automerge, to: &mut Automerge, sf: &mut State, st: &mut State) -> usize {
    let mut bytes = 0;
    let mut to_doc = to.fork();
    for _ in 0..20 {
        let mut moved = false;
        if let Some(m) = from.generate_sync_message(sf) {
            let e = m.encode();
            bytes += e.len();
            to_doc
                .receive_sync_message(st, automerge::sync::Message::decode(&e).unwrap())
                .unwrap();
            moved = true;
        }
        if let Some(m) = to_doc.generate_sync_message(st) {
            let e = m.encode();
            bytes += e.len();
            let mut f = from.fork();
            f.receive_sync_message(sf, automerge::sync::Message::decode(&e).unwrap())
                .unwrap();
            moved = true;
        }
        if !moved {
            break;
        }
    }
    *to = to_doc;
    bytes
}

/// CPU seconds of this process (all threads), from /proc.
fn process_cpu() -> f64 {
    cpu_of("/proc/self/stat")
}

/// CPU seconds of the calling thread, from /proc.
fn thread_cpu() -> f64 {
    cpu_of("/proc/thread-self/stat")
}

fn cpu_of(path: &str) -> f64 {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    gridvoice_server::init_data(&data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    // The server on its own one-thread runtime: "one server core".
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server_data = data.clone();
    let server_thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let running =
                gridvoice_server::start(Config::new(&server_data, "127.0.0.1:0".parse().unwrap()))
                    .await
                    .unwrap();
            addr_tx.send(running.addr).unwrap();
            let _ = stop_rx.await;
            running.stop().await;
        });
    });
    let addr = addr_rx.recv().unwrap();
    let url = format!("http://{addr}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = rt.block_on(async {
        // A delegate uploads 1,000 demands.
        let mut writer = Store::open_in_memory().unwrap();
        enrol(&mut writer, &url, &code(&data, "D01"), "writer").await.unwrap();
        bulk(&mut writer, 1_000, 1);
        let wcfg = SyncConfig::from_store(&writer).unwrap();
        sync_once(&mut writer, &wcfg, &mut |_| {}).await.unwrap();
        let station = DocId::for_station(&StationId::new("S01"));

        // From scratch: a new device of the station pulls the 1k-demand document.
        let mut fresh = Store::open_in_memory().unwrap();
        enrol(&mut fresh, &url, &code(&data, "D02"), "fresh").await.unwrap();
        let fcfg = SyncConfig::from_store(&fresh).unwrap();
        let scratch = sync_once(&mut fresh, &fcfg, &mut |_| {}).await.unwrap();
        let demands = gridvoice_store::projection::list_demands(fresh.connection(), &gridvoice_core::api::DemandFilter::default().parse().unwrap()).unwrap().1;
        assert_eq!(demands, 1_000);
        let scratch_bytes = scratch.bytes_received + scratch.bytes_sent;
        let full = writer.doc(&station).unwrap().clone();
        let mut empty = doc::station_genesis(&StationId::new("S01")).unwrap();
        let baseline_scratch = in_process(&full, &mut empty, &mut State::new(), &mut State::new());

        // Device syncs per second: devices already in step, each sync a new connection + session.
        let mut devices = Vec::new();
        for i in 0..4 {
            let mut s = Store::open_in_memory().unwrap();
            enrol(&mut s, &url, &code(&data, "D03"), &format!("d{i}")).await.unwrap();
            let cfg = SyncConfig::from_store(&s).unwrap();
            sync_once(&mut s, &cfg, &mut |_| {}).await.unwrap();
            devices.push((s, cfg));
        }
        let started = Instant::now();
        let (proc0, client0) = (process_cpu(), thread_cpu());
        let mut sessions = 0u32;
        while started.elapsed() < Duration::from_secs(5) {
            let futs = devices.iter_mut().map(|(s, cfg)| {
                let cfg = cfg.clone();
                async move { sync_once(s, &cfg, &mut |_| {}).await.unwrap() }
            });
            // Sequential awaits on one client thread: the client side is deliberately simple.
            for f in futs {
                f.await;
                sessions += 1;
            }
        }
        let rate = f64::from(sessions) / started.elapsed().as_secs_f64();
        // The server's CPU: the whole process's minus this (client) thread's.
        let server_cpu = (process_cpu() - proc0) - (thread_cpu() - client0);
        let per_core = f64::from(sessions) / server_cpu.max(1e-9);
        // In-process baseline: sessions of automerge::sync between two in-step 1k documents.
        let mut a = full.clone();
        let mut b = full.clone();
        let t = Instant::now();
        let mut n = 0u32;
        while t.elapsed() < Duration::from_secs(2) {
            in_process(&a, &mut b, &mut State::new(), &mut State::new());
            n += 1;
        }
        let baseline_rate = f64::from(n) / t.elapsed().as_secs_f64();
        let _ = &mut a;

        // 10 new demands on a 10k document.
        bulk(&mut writer, 9_000, 2);
        sync_once(&mut writer, &wcfg, &mut |_| {}).await.unwrap();
        sync_once(&mut fresh, &fcfg, &mut |_| {}).await.unwrap();
        bulk(&mut fresh, 10, 3);
        let before = fresh.doc(&station).unwrap().clone();
        let ten = sync_once(&mut fresh, &fcfg, &mut |_| {}).await.unwrap();
        let ten_bytes = ten.bytes_sent + ten.bytes_received;
        // Baseline: the same 10 changes between two in-process documents with persisted states.
        let mut server_copy = writer.doc(&station).unwrap().clone();
        let (mut s1, mut s2) = (State::new(), State::new());
        let mut base_doc = before.clone();
        base_doc.merge(&mut server_copy.clone()).unwrap();
        let mut behind = server_copy.fork();
        in_process(&behind.clone(), &mut server_copy, &mut s1, &mut s2);
        let mut newer = base_doc.clone();
        let baseline_ten = in_process(&newer, &mut behind, &mut s1, &mut s2);
        let _ = &mut newer;

        format!(
            "## Sync over WebSockets (issue 4)\n\n\
             Command: `cargo bench -p gridvoice-tests --bench sync` — server on a one-thread runtime, \
             clients on another thread of the same 2-core machine, loopback.\n\n\
             | what | Gridvoice over WebSocket | in-process `automerge::sync` | target |\n|---|---|---|---|\n\
             | device syncs per second of server CPU (one core), 1k-demand station document, devices in step | {per_core:.0}/s | {baseline_rate:.0}/s | ≥ 1,000/s |\n\
             | device syncs per second of wall clock (client and server sharing 2 cores) | {rate:.0}/s | | |\n\
             | from-scratch station sync, bytes per demand (1k demands) | {sp:.0} B | {bp:.0} B | ≤ 450 B |\n\
             | 10 new demands on a 10k-demand document, bytes in total | {ten_bytes} B | {baseline_ten} B | ≤ 5 KB |\n\n\
             A WebSocket sync is a new connection, the join handshake and one round per document (station and \
             contacts), so it carries fixed overhead beyond the Automerge messages the baseline counts.\n",
            sp = scratch_bytes as f64 / 1_000.0,
            bp = baseline_scratch as f64 / 1_000.0,
        )
    });
    let _ = stop_tx.send(());
    server_thread.join().unwrap();
    println!("{body}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(
        &path,
        gridvoice_core::report::replace_section(&old, "sync", &body),
    )
    .unwrap();
}
