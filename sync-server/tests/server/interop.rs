//! A stock JavaScript automerge-repo client (npm `@automerge/automerge-repo` with its WebSocket
//! adapter, under node) with a valid delegate credential syncs the station document, sees the
//! demands the Rust devices recorded, and a demand it adds appears in the station view.

use std::path::Path;
use std::time::Duration;

use gridvoice_core::access::{Person, Role};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::ids::{DemandId, DeviceId, DocId, StationId};
use gridvoice_core::model::Demand;

use crate::{deliver, device, enrol, record};

fn js_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/js")
}

#[tokio::test]
async fn a_stock_automerge_repo_client_reads_and_writes_the_station_document() {
    let js = js_dir();
    assert!(
        js.join("node_modules/@automerge/automerge-repo").is_dir(),
        "run `npm ci` in tests/js (scripts/test does) before this test"
    );
    let dir = tempfile::tempdir().unwrap();
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(dir.path(), &t).unwrap();
    let grid = t.delegate(&"D01".into()).unwrap().grids[0].to_string();
    let mut wang = device(&t, "D01", 21);
    record(&mut wang, "社区卫生服务站排队太久", &grid, None);
    record(&mut wang, "希望增设老年食堂", &grid, None);
    deliver(&mut wang, dir.path());
    let js_device = enrol(
        dir.path(),
        "node client",
        Person::Delegate("D03".into()),
        Role::Delegate,
        Some("S01".into()),
        22,
    );
    let p = js_device.principal.clone().unwrap();
    // The stock client passes its credential in the URL: a server for browser-style clients.
    let mut config = gridvoice_server::Config::new(dir.path(), "127.0.0.1:0".parse().unwrap());
    config.browser_tokens = true;
    let running = gridvoice_server::start(config).await.unwrap();

    let station = DocId::for_station(&StationId::new("S01"));
    let bs58 = gridvoice_server::storage::document_id(&station)
        .unwrap()
        .to_string();
    let demand = Demand {
        id: DemandId(uuid::Uuid::from_u128(
            0x0190_0000_0000_7000_8000_0000_0000_0042,
        )),
        station: StationId::new("S01"),
        text: "从网页端提交：公交站没有遮雨棚".into(),
        category: gridvoice_core::category::Category::Traffic,
        grid: grid.as_str().into(),
        location: None,
        recorded_at: Timestamp(1_614_556_900_000),
        recorded_by: "D03".into(),
        device: DeviceId(p.device.0),
        visit: None,
        contacts_in: None,
        attachments: vec![],
    };
    let out = tokio::process::Command::new("node")
        .current_dir(&js)
        .arg("interop.mjs")
        .arg(format!("ws://{}/sync", running.addr))
        .arg(js_device.credential.unwrap())
        .arg(format!("dev-{}", p.device))
        .arg(&bs58)
        .arg(serde_json::to_string(&demand).unwrap())
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("社区卫生服务站排队太久") && stdout.contains("希望增设老年食堂"),
        "{stdout}"
    );

    // The server's station view gains the JS client's demand.
    let id = demand.id.to_string();
    let mut found = None;
    for _ in 0..50 {
        let key = id.clone();
        found = running
            .app
            .with_store(move |s| {
                gridvoice_store::projection::get_demand(s.connection(), &key, None)
                    .ok()
                    .flatten()
            })
            .await
            .flatten();
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let view = found.expect("the demand added by the JS client reached the station view");
    assert_eq!(view.demand.text, "从网页端提交：公交站没有遮雨棚");
    running.stop().await;
}
