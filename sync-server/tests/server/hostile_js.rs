//! Hostile writers through the stock JavaScript automerge-repo client (`tests/js/hostile.mjs`)
//! holding a real delegate credential of station S01: each forgery is refused whole, station S02's
//! head and the office see exactly what they saw before, the metric counts each refusal by its
//! reason, and S01's honest devices keep syncing.

use std::time::Duration;

use gridvoice_core::access::{Person, Principal, Role};
use gridvoice_core::api::{Request, Response};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::ids::{DemandId, DeviceId, DocId, EventId, StationId};
use gridvoice_core::model::Demand;
use gridvoice_core::workflow::{Actor, Event, EventKind};
use serde_json::json;

use crate::{deliver, device, enrol, record};

/// What the station head of S02 and the office see: every demand's id, status and text.
async fn views(app: &gridvoice_server::App, people: &[&Principal]) -> Vec<String> {
    let mut out = Vec::new();
    for p in people {
        let req = Request::ListDemands(gridvoice_core::api::DemandFilter {
            limit: Some(500),
            ..Default::default()
        });
        match gridvoice_server::entry::serve(app, p, req).await {
            Ok(Response::Demands { items, total }) => {
                out.push(format!("{:?} sees {total}", p.role));
                for v in items {
                    out.push(format!(
                        "{} {} {} {}",
                        v.demand.id,
                        v.demand.station,
                        v.state.status.code(),
                        v.demand.text
                    ));
                }
            }
            other => panic!("{:?} cannot list: {other:?}", p.role),
        }
    }
    out
}

fn refused(app: &gridvoice_server::App, reason: &str) -> u64 {
    let text = app.metrics.render();
    let prefix = format!("gridvoice_sync_refused_total{{reason=\"{reason}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_delegate_credential_in_a_stock_client_cannot_forge_another_stations_demands_or_decisions()
 {
    let js = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/js");
    assert!(
        js.join("node_modules/@automerge/automerge-repo").is_dir(),
        "run `npm install` in tests/js (scripts/test does) before this test"
    );
    let dir = tempfile::tempdir().unwrap();
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(dir.path(), &t).unwrap();
    // 王 (D01) of S01 and 李 (D02) of S02 have each recorded a demand that reached the server.
    let grid_a = t.delegate(&"D01".into()).unwrap().grids[0].to_string();
    let s02 = StationId::new("S02");
    let b_delegate = t.delegates.iter().find(|d| d.station == s02).unwrap();
    let grid_b = b_delegate.grids[0].to_string();
    let mut wang = device(&t, "D01", 31);
    let a_demand = record(&mut wang, "小区路灯不亮", &grid_a, None);
    deliver(&mut wang, dir.path());
    let mut li = device(&t, b_delegate.id.as_str(), 32);
    let b_demand = record(&mut li, "菜市场门口积水", &grid_b, None);
    deliver(&mut li, dir.path());

    let forger = enrol(
        dir.path(),
        "stock client",
        Person::Delegate("D03".into()),
        Role::Delegate,
        Some("S01".into()),
        33,
    );
    let fp = forger.principal.clone().unwrap();
    let b_head = t.station(&s02).unwrap().head.clone().unwrap();
    let head_b = enrol(
        dir.path(),
        "head of S02",
        Person::Delegate(b_head),
        Role::StationHead,
        Some(s02.clone()),
        34,
    )
    .principal
    .unwrap();
    let office = enrol(
        dir.path(),
        "office",
        Person::Staff(t.office.staff[0].clone()),
        Role::Office,
        None,
        35,
    )
    .principal
    .unwrap();
    // The stock client passes its credential in the URL: a server for browser-style clients.
    let mut config = gridvoice_server::Config::new(dir.path(), "127.0.0.1:0".parse().unwrap());
    config.browser_tokens = true;
    let running = gridvoice_server::start(config).await.unwrap();
    let app = running.app.clone();
    let before = views(&app, &[&head_b, &office]).await;
    assert!(before.iter().any(|l| l.contains("菜市场门口积水")));

    let station_a = DocId::for_station(&StationId::new("S01"));
    let bs58 = gridvoice_server::storage::document_id(&station_a)
        .unwrap()
        .to_string();
    let forged = |id: u128, station: &str| Demand {
        id: DemandId(uuid::Uuid::from_u128(id)),
        station: StationId::new(station),
        text: "伪造的诉求".into(),
        category: gridvoice_core::category::Category::Other,
        grid: grid_a.as_str().into(),
        location: None,
        recorded_at: Timestamp(1_614_556_900_000),
        recorded_by: "D03".into(),
        device: DeviceId(fp.device.0),
        visit: None,
        contacts_in: None,
        attachments: vec![],
    };
    let event = |n: u128, what: EventKind| Event {
        id: EventId(uuid::Uuid::from_u128(n)),
        at: Timestamp(1_614_556_950_000),
        by: Actor::Delegate("D03".into()),
        device: DeviceId(fp.device.0),
        prev: vec![],
        what,
    };
    let mut edited: Demand = forged(0, "S01");
    edited.id = a_demand.parse().unwrap();
    edited.text = "篡改后的内容".into();
    edited.recorded_by = "D01".into();
    let b_id: DemandId = b_demand.parse().unwrap();
    let cases = [
        (
            "a demand naming station S02",
            "put",
            json!({"key": forged(0x71, "S02").id.to_string(), "record": forged(0x71, "S02")}),
            "wrong_document",
        ),
        (
            "a demand under a key that is not its id",
            "put",
            json!({"key": DemandId(uuid::Uuid::from_u128(0x73)).to_string(), "record": forged(0x72, "S01")}),
            "key_mismatch",
        ),
        (
            "a demand reusing the id of S02's demand",
            "put",
            json!({"key": b_demand, "record": Demand { id: b_id, ..forged(0, "S01") }}),
            "key_mismatch",
        ),
        (
            "an edited fixed field of 王's demand",
            "edit",
            json!({"key": a_demand, "record": edited}),
            "fixed_field_changed",
        ),
        (
            "a closed event",
            "event",
            json!({"key": a_demand, "id": EventId(uuid::Uuid::from_u128(0x81)).to_string(),
                   "event": event(0x81, EventKind::Closed { note: None })}),
            "kind_not_allowed",
        ),
        (
            "a routed event",
            "event",
            json!({"key": a_demand, "id": EventId(uuid::Uuid::from_u128(0x82)).to_string(),
                   "event": event(0x82, EventKind::Routed {
                       unit: t.handling_units[0].id.clone(), deadline: Timestamp(1_615_000_000_000), assisting: vec![], reason: None })}),
            "kind_not_allowed",
        ),
    ];
    for (what, kind, arg, reason) in cases {
        let counted = refused(&app, reason);
        let out = tokio::process::Command::new("node")
            .current_dir(&js)
            .arg("hostile.mjs")
            .arg(format!("ws://{}/sync", running.addr))
            .arg(forger.credential.clone().unwrap())
            .arg(format!("dev-{}", fp.device))
            .arg(&bs58)
            .arg(kind)
            .arg(arg.to_string())
            .output()
            .await
            .expect("node runs");
        assert!(
            out.status.success(),
            "{what}: node failed: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            refused(&app, reason) > counted,
            "{what}: not counted as {reason}:\n{}",
            app.metrics.render()
        );
        assert_eq!(
            views(&app, &[&head_b, &office]).await,
            before,
            "{what}: S02's head or the office sees something else"
        );
    }
    // Nothing of it reached the station view of S01 either: 王's demand is as he recorded it.
    let wang_p = enrol(
        dir.path(),
        "王's phone",
        Person::Delegate("D01".into()),
        Role::StationHead,
        Some("S01".into()),
        36,
    );
    let wp = wang_p.principal.clone().unwrap();
    let Ok(Response::Demand(v)) = gridvoice_server::entry::serve(
        &app,
        &wp,
        Request::GetDemand {
            id: a_demand.parse().unwrap(),
        },
    )
    .await
    else {
        panic!("王 reads his demand")
    };
    assert_eq!(v.demand.text, "小区路灯不亮");
    assert!(v.history.is_empty(), "no forged event: {:?}", v.history);

    // 王's phone, honest, keeps syncing with the same server afterwards.
    let mut phone = device(&t, "D01", 36);
    phone
        .set_server_link(&gridvoice_store::ServerLink {
            server: format!("http://{}", running.addr),
            credential: gridvoice_core::boundary::Credential::new(
                wang_p.credential.clone().unwrap(),
            ),
            server_peer_id: Some("gridvoice-server".into()),
            role: Role::StationHead.code().into(),
            server_id: None,
            issued_at: None,
        })
        .unwrap();
    let id = record(&mut phone, "楼下快递柜坏了", &grid_a, None);
    assert_ne!(id, b_demand, "a fresh demand, not a copy of S02's");
    let mut cfg = gridvoice_sync::SyncConfig::from_store(&phone).unwrap();
    cfg.backoff.max_attempts = Some(3);
    let report = gridvoice_sync::sync_once(&mut phone, &cfg, &mut |_| {})
        .await
        .expect("an honest device of S01 still syncs");
    assert!(
        report.unavailable.is_empty() && report.recovered.is_none(),
        "the phone syncs its documents as it is: {report:?}"
    );
    let mut seen = false;
    for _ in 0..50 {
        let ok = matches!(
            gridvoice_server::entry::serve(
                &app,
                &office,
                Request::GetDemand {
                    id: id.parse().unwrap()
                }
            )
            .await,
            Ok(Response::Demand(v)) if v.demand.text == "楼下快递柜坏了"
        );
        if ok {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "the office sees the honest demand");
    assert!(
        views(&app, &[&wp])
            .await
            .iter()
            .any(|l| l.contains("楼下快递柜坏了")),
        "王 sees it in his station's list"
    );
    running.stop().await;
}
