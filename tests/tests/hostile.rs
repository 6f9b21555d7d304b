//! Hostile and broken peers: malformed, oversized and unexpected frames, a peer id that is not the
//! credential's, a device delivering changes under another device's actor. Each is refused (the
//! connection closed where the protocol requires), nothing is applied, the server does not panic,
//! and honest devices keep syncing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::path::Path;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gridvoice_core::api::{RecordDemand, Request, Response};
use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
use gridvoice_core::ids::StationId;
use gridvoice_server::Config;
use gridvoice_store::Store;
use gridvoice_store::service::{Ctx, handle};
use gridvoice_sync::wire::{WireMessage, doc_to_wire};
use gridvoice_sync::{SyncConfig, enrol, sync_once};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(addr: std::net::SocketAddr, credential: &str) -> Ws {
    let mut req = format!("ws://{addr}/sync").into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {credential}").parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

/// Whether the server closes the socket within a few seconds.
async fn closed(ws: &mut Ws) -> bool {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Err(_) => return false,
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

fn join(peer: &str) -> Vec<u8> {
    WireMessage::Join {
        sender_id: peer.into(),
        supported_protocol_versions: vec!["1".into()],
    }
    .encode()
    .unwrap()
}

fn code(dir: &Path, delegate: &str) -> String {
    gridvoice_tests::enrolment_code(dir, delegate).unwrap()
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
    let clock = FixedClock(Timestamp(1_614_556_800_000));
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
    assert!(matches!(
        handle(store, &mut ctx, req).unwrap(),
        Response::Demand(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_and_hostile_frames_are_refused_and_honest_devices_carry_on() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    gridvoice_server::init_data(&data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let mut cfg = Config::new(&data, "127.0.0.1:0".parse().unwrap());
    cfg.max_message_bytes = 256 * 1024;
    let server = gridvoice_server::start(cfg).await.unwrap();
    let url = format!("http://{}", server.addr);

    let mut wang = Store::open(dir.path().join("wang.sqlite")).unwrap();
    enrol(&mut wang, &url, &code(&data, "D01"), "wang")
        .await
        .unwrap();
    record(&mut wang, 1, "3号楼电梯经常停运");
    let wang_cfg = SyncConfig::from_store(&wang).unwrap();
    sync_once(&mut wang, &wang_cfg, &mut |_| {}).await.unwrap();
    assert_eq!(
        gridvoice_tests::demands_on_server(&server.app)
            .await
            .unwrap(),
        1
    );
    let cred = wang
        .server_link()
        .unwrap()
        .unwrap()
        .credential
        .expose()
        .to_owned();
    let me = wang_cfg.peer_id.clone();

    // A text frame: the protocol is binary.
    let mut ws = connect(server.addr, &cred).await;
    ws.send(Message::Text("hello".into())).await.unwrap();
    assert!(closed(&mut ws).await, "text frame closes the connection");

    // Bytes that are not CBOR.
    let mut ws = connect(server.addr, &cred).await;
    ws.send(Message::Binary(vec![0xff, 0x00, 0x13, 0x37].into()))
        .await
        .unwrap();
    assert!(closed(&mut ws).await, "garbage closes the connection");

    // Announcing a peer id that is not the credential's.
    let mut ws = connect(server.addr, &cred).await;
    ws.send(Message::Binary(
        join("dev-00000000-0000-0000-0000-000000000000").into(),
    ))
    .await
    .unwrap();
    assert!(
        closed(&mut ws).await,
        "a borrowed peer id closes the connection"
    );

    // A frame over the size limit.
    let mut ws = connect(server.addr, &cred).await;
    let _ = ws.send(Message::Binary(vec![0u8; 512 * 1024].into())).await;
    assert!(
        closed(&mut ws).await,
        "an oversized frame closes the connection"
    );

    // A proper session with a sync message that does not decode, and a message type nobody knows:
    // nothing is applied.
    let mut ws = connect(server.addr, &cred).await;
    ws.send(Message::Binary(join(&me).into())).await.unwrap();
    let doc = doc_to_wire(&gridvoice_core::ids::DocId::for_station(&StationId::new(
        "S01",
    )));
    let bad = WireMessage::Sync {
        document_id: doc,
        sender_id: me.clone(),
        target_id: "gridvoice-server".into(),
        data: vec![0x42; 64],
    };
    ws.send(Message::Binary(bad.encode().unwrap().into()))
        .await
        .unwrap();
    let mut unknown = minicbor_map_with_type("from-the-future");
    ws.send(Message::Binary(std::mem::take(&mut unknown).into()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(ws);
    assert_eq!(
        gridvoice_tests::demands_on_server(&server.app)
            .await
            .unwrap(),
        1,
        "nothing applied"
    );

    // Another device of the station (li's phone, D02) sends a change made by hand under the
    // actor wang's phone writes under, continuing wang's history: refused whole, and li's phone
    // reads why before its socket closes. (A copied phone cannot do it by accident: every opening
    // of a store writes under a fresh actor.)
    let mut li = Store::open(dir.path().join("li.sqlite")).unwrap();
    enrol(&mut li, &url, &code(&data, "D02"), "li")
        .await
        .unwrap();
    let li_cfg = SyncConfig::from_store(&li).unwrap();
    let li_cred = li
        .server_link()
        .unwrap()
        .unwrap()
        .credential
        .expose()
        .to_owned();
    let station = gridvoice_core::ids::DocId::for_station(&StationId::new("S01"));
    let wangs: Vec<automerge::Change> = wang
        .changes_since(&station, &[])
        .unwrap()
        .into_iter()
        .filter_map(|b| automerge::Change::from_bytes(b).ok())
        .collect();
    let wang_actor = wangs.last().unwrap().actor_id().clone();
    let mut copy = automerge::Automerge::new();
    copy.apply_changes(wangs.clone()).unwrap();
    let mut copy = copy.with_actor(wang_actor.clone());
    let mut tx = copy.transaction();
    automerge::transaction::Transactable::put(&mut tx, automerge::ROOT, "forged", "by li").unwrap();
    tx.commit();
    let forged = copy.get_last_local_change().unwrap().raw_bytes().to_vec();
    let mut ws = connect(server.addr, &li_cred).await;
    ws.send(Message::Binary(join(&li_cfg.peer_id).into()))
        .await
        .unwrap();
    let msg = automerge::sync::Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: vec![forged].into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    };
    let sync = WireMessage::Sync {
        document_id: doc_to_wire(&station),
        sender_id: li_cfg.peer_id.clone(),
        target_id: "gridvoice-server".into(),
        data: msg.encode(),
    };
    ws.send(Message::Binary(sync.encode().unwrap().into()))
        .await
        .unwrap();
    let mut told = String::new();
    while let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
        if let Message::Binary(b) = m {
            told.push_str(&String::from_utf8_lossy(&b));
        }
    }
    assert!(
        told.contains("actor_of_another_device"),
        "li's phone reads why: {told}"
    );
    let on_server = server
        .app
        .with_store(move |s| s.changes_since(&station, &[]).unwrap())
        .await
        .unwrap();
    let by_wang = on_server
        .into_iter()
        .filter_map(|b| automerge::Change::from_bytes(b).ok())
        .filter(|c| c.actor_id() == &wang_actor)
        .count();
    assert_eq!(
        by_wang,
        wangs.iter().filter(|c| c.actor_id() == &wang_actor).count(),
        "no change under wang's actor came from li"
    );
    // li's own demand, under li's own actor, goes through.
    record(&mut li, 9, "楼下商铺噪音扰民");
    sync_once(&mut li, &li_cfg, &mut |_| {}).await.unwrap();

    // Honest devices carry on.
    record(&mut wang, 2, "小区停车位不足");
    sync_once(&mut wang, &wang_cfg, &mut |_| {}).await.unwrap();
    // wang's two, and li's own.
    assert_eq!(
        gridvoice_tests::demands_on_server(&server.app)
            .await
            .unwrap(),
        3
    );
    server.stop().await;
}

/// A CBOR map `{"type": kind, "senderId": "x"}` (a message type from a future protocol version).
fn minicbor_map_with_type(kind: &str) -> Vec<u8> {
    let mut out = vec![0xa2];
    for s in ["type", kind, "senderId", "x"] {
        assert!(s.len() < 24);
        out.push(0x60 + s.len() as u8);
        out.extend_from_slice(s.as_bytes());
    }
    out
}
