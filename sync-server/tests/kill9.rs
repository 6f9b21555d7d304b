//! The server's power is cut (`kill -9`) while three delegates' phones sync: at a random instant,
//! round after round, in the middle of its group commits. A receipt the server gave — a record a
//! phone was told is safe on the server — must be on the server after every restart. Between cuts
//! the power stays on long enough for the phones to catch up, as it does in a station's day.
//!
//! Rounds: `GRIDVOICE_SERVER_KILLS` (default 6); the random instants come from `GRIDVOICE_SEED`
//! (printed).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use gridvoice_core::access::{Person, Role};
use gridvoice_core::api::{RecordDemand, Request};
use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
use gridvoice_core::ids::StationId;
use gridvoice_store::Store;
use gridvoice_store::service::{Ctx, handle};
use gridvoice_sync::{SyncConfig, enrol, sync_once};

fn serve(data: &Path, addr: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_gridvoice-server"))
        .arg("--data")
        .arg(data)
        .args(["serve", "--bind", addr])
        .env("GRIDVOICE_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until `/healthz` answers 200.
async fn until_up(addr: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for _ in 0..400 {
        if let Ok(mut s) = tokio::net::TcpStream::connect(addr).await {
            let ask = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            let mut answer = Vec::new();
            if s.write_all(ask.as_bytes()).await.is_ok()
                && s.read_to_end(&mut answer).await.is_ok()
                && answer.starts_with(b"HTTP/1.1 200")
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not come up");
}

/// The records this phone was told the server holds.
fn confirmed(store: &Store) -> BTreeSet<String> {
    let mut st = store
        .connection()
        .prepare("SELECT DISTINCT record FROM receipts WHERE synced_at IS NOT NULL")
        .unwrap();
    st.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn record(store: &mut Store, seed: u64, text: &str) {
    let me = store.identity().unwrap().clone();
    let grid = store
        .territory()
        .unwrap()
        .delegate(&me.delegate)
        .unwrap()
        .grids[0]
        .clone();
    let clock = FixedClock(Timestamp(1_614_556_800_000 + seed as i64));
    let mut ids = SeededIds::new(seed);
    let mut ctx = Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    let req = Request::RecordDemand(RecordDemand {
        text: text.into(),
        category: "other".into(),
        grid: Some(grid),
        location: None,
        visit: None,
        contact: None,
        id: None,
        attachments: Vec::new(),
    });
    handle(store, &mut ctx, req).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_receipt_the_server_gave_survives_its_power_being_cut_mid_commit() {
    let seed: u64 = std::env::var("GRIDVOICE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    let rounds: u64 = std::env::var("GRIDVOICE_SERVER_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    println!("server kills: {rounds} rounds (GRIDVOICE_SEED={seed})");

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    gridvoice_server::init_data(&data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let url = format!("http://{addr}");
    let mut server = serve(&data, &addr);
    until_up(&addr).await;

    let auth = gridvoice_server::auth::AuthDb::open(&gridvoice_server::auth_path(&data)).unwrap();
    let mut phones = Vec::new();
    for (n, d) in ["D01", "D02", "D03"].iter().enumerate() {
        let code = auth
            .create_enrolment(
                &Person::Delegate((*d).into()),
                Role::Delegate,
                Some(&StationId::new("S01")),
                Timestamp(0),
                i64::MAX / 4,
            )
            .unwrap();
        let mut s = Store::open(dir.path().join(format!("{d}.sqlite"))).unwrap();
        enrol(&mut s, &url, &code, d).await.unwrap();
        let mut cfg = SyncConfig::from_store(&s).unwrap();
        cfg.backoff.max_attempts = Some(1);
        phones.push((s, cfg, n as u64));
    }
    drop(auth);

    let mut rng = seed;
    let mut next = || {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        rng >> 33
    };
    let mut told_safe = BTreeSet::new();
    let mut kills = 0;
    let mut mid_sync = 0;
    // A phone holding another phone's change that the server had passed on and then lost is
    // refused for it (the actor is the other phone's) and starts over, losing nothing: counted.
    let mut recoveries = 0;
    for round in 0..rounds {
        for (s, _, n) in &mut phones {
            for k in 0..12 {
                record(
                    s,
                    round * 10_000 + *n * 100 + k,
                    &format!("第{round}轮 第{n}台 第{k}条"),
                );
            }
        }
        // The phones sync all at once; the power is cut somewhere in the middle.
        let cut = Duration::from_millis(next() % 120);
        {
            let syncing = futures::future::join_all(
                phones
                    .iter_mut()
                    .map(|(s, cfg, _)| async move { sync_once(s, cfg, &mut |_| {}).await }),
            );
            tokio::pin!(syncing);
            let mut reports = None;
            tokio::select! {
                r = &mut syncing => reports = Some(r),
                () = tokio::time::sleep(cut) => mid_sync += 1,
            }
            server.kill().unwrap();
            server.wait().unwrap();
            kills += 1;
            // The syncs end (their sockets are gone); what they heard before is what counts.
            if reports.is_none() {
                reports = tokio::time::timeout(Duration::from_secs(30), &mut syncing)
                    .await
                    .ok();
            }
            recoveries += reports
                .unwrap_or_default()
                .iter()
                .filter(|r| r.as_ref().is_ok_and(|r| r.recovered.is_some()))
                .count();
        }
        for (s, _, _) in &phones {
            told_safe.extend(confirmed(s));
        }
        server = serve(&data, &addr);
        until_up(&addr).await;
        // Whatever the server confirmed is still there after the restart.
        server.kill().unwrap();
        server.wait().unwrap();
        let store = Store::open(gridvoice_server::store_path(&data)).unwrap();
        // Every demand the server holds (not a page of them: the run outgrows any page).
        let held: BTreeSet<String> = store
            .connection()
            .prepare("SELECT id FROM demands")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for r in &told_safe {
            assert!(
                held.contains(r),
                "round {round}: record {r} was confirmed to a phone and is gone (GRIDVOICE_SEED={seed})"
            );
        }
        drop(store);
        server = serve(&data, &addr);
        until_up(&addr).await;
        // The power stays on for a while: the phones catch up (as they do when it comes back),
        // so the next cut falls on a round's work, not on a backlog that grows with every cut.
        for (s, cfg, _) in &mut phones {
            let mut tries = 0;
            loop {
                match sync_once(s, cfg, &mut |_| {}).await {
                    Ok(r) => {
                        recoveries += usize::from(r.recovered.is_some());
                        break;
                    }
                    Err(e) if tries < 5 => {
                        tries += 1;
                        println!("round {round}: a catch-up sync failed ({e}); again");
                    }
                    Err(e) => panic!("round {round}: a phone cannot catch up: {e:?}"),
                }
            }
            told_safe.extend(confirmed(s));
        }
    }
    // Once the server stays up, everything gets there.
    for (s, cfg, _) in &mut phones {
        match sync_once(s, cfg, &mut |_| {}).await {
            Err(e) => panic!("the last sync: {e:?}"),
            Ok(r) => recoveries += usize::from(r.recovered.is_some()),
        }
        assert!(s.pending_receipts().unwrap().is_empty());
        told_safe.extend(confirmed(s));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let store = Store::open(gridvoice_server::store_path(&data)).unwrap();
    let (_, total) = gridvoice_store::projection::list_demands(
        store.connection(),
        &gridvoice_core::api::DemandFilter::default()
            .parse()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        total,
        rounds * 3 * 12,
        "every demand of every phone is on the server"
    );
    println!(
        "server kills: {kills} kills -9 ({mid_sync} while phones were still syncing), {} receipts given, none lost; {recoveries} phones started over",
        told_safe.len()
    );
    assert!(
        !told_safe.is_empty(),
        "the phones were told something was safe"
    );
}
