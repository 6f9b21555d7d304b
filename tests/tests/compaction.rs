//! "A year of a street's demands on one server": the server compacts each document once enough
//! changes pile up beside its snapshot, and nothing is lost to sync — a phone enrolled afterwards
//! receives every demand, the phone that sent them has every receipt confirmed, and a change the
//! server compacted away is still known to it when a device sends it again.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use gridvoice_core::ids::{DocId, StationId};
use gridvoice_server::Config;
use gridvoice_store::Store;
use gridvoice_sync::{SyncConfig, enrol, sync_once};

async fn phone(dir: &std::path::Path, url: &str, delegate: &str) -> (Store, SyncConfig) {
    let mut s = Store::open(dir.join(format!("{delegate}.sqlite"))).unwrap();
    let code = gridvoice_tests::enrolment_code(&dir.join("server"), delegate).unwrap();
    enrol(&mut s, url, &code, delegate).await.unwrap();
    let cfg = SyncConfig::from_store(&s).unwrap();
    (s, cfg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compacted_server_still_gives_every_change_to_sync() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    gridvoice_server::init_data(&data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let mut cfg = Config::new(&data, "127.0.0.1:0".parse().unwrap());
    cfg.compact_after = 5;
    let server = gridvoice_server::start(cfg).await.unwrap();
    let url = format!("http://{}", server.addr);
    let station = DocId::for_station(&StationId::new("S01"));

    let (mut wang, wang_cfg) = phone(dir.path(), &url, "D01").await;
    for i in 0..12 {
        gridvoice_tests::record_on_device(&mut wang, i, &format!("第{i}条诉求"), "other", None)
            .unwrap();
        sync_once(&mut wang, &wang_cfg, &mut |_| {}).await.unwrap();
    }
    assert!(
        wang.pending_receipts().unwrap().is_empty(),
        "every receipt confirmed"
    );
    let (snapshot, rows) = server
        .app
        .with_store(move |s| {
            let rows: i64 = s
                .connection()
                .query_row(
                    "SELECT COUNT(*) FROM changes WHERE doc_id = ?1",
                    [station.to_string()],
                    |r| r.get(0),
                )
                .unwrap();
            (s.snapshot(&station).unwrap().is_some(), rows)
        })
        .await
        .unwrap();
    assert!(snapshot, "the server compacted S01");
    assert!(
        rows < 12,
        "changes covered by the snapshot are gone from the rows: {rows}"
    );

    // li's phone, enrolled now, gets all twelve.
    let (mut li, li_cfg) = phone(dir.path(), &url, "D02").await;
    sync_once(&mut li, &li_cfg, &mut |_| {}).await.unwrap();
    let Ok(gridvoice_core::api::Response::Demands { total, .. }) = gridvoice_tests::ask_device(
        &mut li,
        3,
        gridvoice_core::api::Request::ListDemands(Default::default()),
    ) else {
        panic!("li lists the station's demands")
    };
    assert_eq!(total, 12);

    // wang's first change, compacted into the snapshot, sent again by li (a relay): still the
    // server's own, not a change under another device's actor.
    let first: Vec<automerge::Change> = wang
        .changes_since(&station, &[])
        .unwrap()
        .into_iter()
        .filter_map(|b| automerge::Change::from_bytes(b).ok())
        .collect();
    let li_device = li.identity().unwrap().device;
    let app = server.app.clone();
    let verdict = tokio::task::spawn_blocking(move || {
        gridvoice_server::ws::check_actors(&app, &li_device, &station, &first)
    })
    .await
    .unwrap();
    assert_eq!(verdict, Ok(()));
    server.stop().await;
}
