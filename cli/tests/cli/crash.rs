//! Nothing acknowledged is ever lost: a device recording in a loop is killed with SIGKILL at random
//! instants; after each kill the store passes `PRAGMA integrity_check` and holds every demand the
//! device had acknowledged, complete (record, projection and, where one was given, the contact).
//!
//! Kills: `GRIDVOICE_KILLS` (default 200); seed printed, `GRIDVOICE_SEED` repeats a run. Every
//! 1,000 kills the loop moves on to a fresh device (as a station hands out a new phone), so each
//! round's check — which reads the whole store — stays the size of one phone's records, and a
//! run of 10,000 kills takes minutes per thousand rather than hours.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use gridvoice_core::doc::{self, Collection};
use gridvoice_core::ids::{DemandId, DocId};
use gridvoice_core::model::Demand;
use gridvoice_store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::{BIN, device};

/// Kills on one device before the loop moves on to a fresh one.
const KILLS_PER_DEVICE: u32 = 1_000;

fn check(store_path: &std::path::Path, acked: &BTreeSet<String>, fresh: &[String]) {
    let mut store = Store::open(store_path).expect("the store opens after a kill");
    let ok: String = store
        .connection()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let station = DocId::for_station(&"S01".into());
    let in_doc: BTreeSet<String> =
        doc::record_ids(store.doc(&station).unwrap(), Collection::Demands)
            .unwrap()
            .into_iter()
            .collect();
    let missing: Vec<&String> = acked.iter().filter(|id| !in_doc.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged demands lost: {missing:?}",
        missing.len()
    );
    for id in fresh {
        let view = gridvoice_store::projection::get_demand(store.connection(), id, None)
            .unwrap()
            .unwrap_or_else(|| panic!("demand {id} is in the document but not in the projection"));
        let stored: Demand =
            doc::read_record(store.doc(&station).unwrap(), Collection::Demands, id)
                .unwrap()
                .unwrap()
                .record;
        assert_eq!(view.demand, stored);
        assert!(
            stored.text.ends_with("小区东门路灯不亮，夜间出行不便"),
            "complete text"
        );
        if stored.contacts_in.is_some() {
            let demand: DemandId = id.parse().unwrap();
            let contacts = gridvoice_store::service::contacts_of(&mut store, &demand).unwrap();
            assert_eq!(contacts.len(), 1, "the contact of {id} was saved with it");
        }
    }
}

#[test]
fn acknowledged_demands_survive_kill_minus_nine_at_random_instants() {
    let seed: u64 = std::env::var("GRIDVOICE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
        });
    let kills: u32 = std::env::var("GRIDVOICE_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    println!("crash test: seed {seed}, {kills} kills (GRIDVOICE_SEED={seed} to repeat)");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut dir = tempfile::tempdir().unwrap();
    let mut store = device(dir.path());
    let mut acked: BTreeSet<String> = BTreeSet::new();
    let mut acked_before = 0;
    let mut kills_after_ack = 0;
    for round in 0..kills {
        if round > 0 && round % KILLS_PER_DEVICE == 0 {
            acked_before += acked.len();
            acked.clear();
            dir = tempfile::tempdir().unwrap();
            store = device(dir.path());
        }
        let mut child = Command::new(BIN)
            .arg("--store")
            .arg(&store)
            .args(["capture-loop", "--grid", "110118003001001"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Kill at a random instant: sometimes while it opens the store, mostly mid-capture.
        let wait = Duration::from_micros(rng.random_range(0..60_000));
        let target_acks = rng.random_range(0..12);
        let started = std::time::Instant::now();
        let mut this_round = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_millis(1)) {
                Ok(line) => {
                    if let Some(id) = line.strip_prefix("ACK ") {
                        this_round.push(id.to_owned());
                    }
                    if this_round.len() >= target_acks && started.elapsed() >= wait {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if started.elapsed() >= wait
                        && (this_round.len() >= target_acks
                            || started.elapsed() > Duration::from_secs(5))
                    {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        // Lines the child printed before it died were acknowledged too.
        reader.join().unwrap();
        while let Ok(line) = rx.try_recv() {
            if let Some(id) = line.strip_prefix("ACK ") {
                this_round.push(id.to_owned());
            }
        }
        if !this_round.is_empty() {
            kills_after_ack += 1;
        }
        acked.extend(this_round.iter().cloned());
        check(&store, &acked, &this_round);
        if round % 50 == 49 {
            println!(
                "  {} kills, {} acknowledged demands, none lost",
                round + 1,
                acked_before + acked.len()
            );
        }
    }
    println!(
        "crash test: {kills} kills, {} acknowledged demands, 0 lost",
        acked_before + acked.len()
    );
    assert!(kills_after_ack > kills / 2, "most kills landed mid-capture");
    assert!(!acked.is_empty());
}
