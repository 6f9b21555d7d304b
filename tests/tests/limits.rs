//! The limits a server holds every device to (`core::limits`, `sync-server/src/limits.rs`), told as
//! what happens to the one device that goes over: the next one over each limit gets the documented
//! refusal, and the other devices of the street carry on.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gridvoice_core::api::{Request, Response};
use gridvoice_core::ids::{DocId, StationId};
use gridvoice_core::limits::{MAX_INFLATED_BYTES, MAX_OPS_PER_CHANGE, MAX_TEXT_CHARS};
use gridvoice_server::Config;
use gridvoice_server::limits::Rate;
use gridvoice_store::Store;
use gridvoice_store::chunks::measure::{Bounds, Oversize, measure};
use gridvoice_sync::wire::{WireMessage, doc_to_wire};
use gridvoice_sync::{SyncConfig, enrol, sync_once};
use gridvoice_tests::forge;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const ACTOR: [u8; 16] = [7; 16];

#[test]
fn chunks_are_measured_off_their_columns_before_anything_decodes_them() {
    // The forged change is well-formed: Automerge reads ten operations, and so does the measure.
    let ten = forge::puts(ACTOR, 10);
    assert_eq!(
        automerge::Change::from_bytes(ten.clone()).unwrap().len(),
        10
    );
    let m = measure(std::slice::from_ref(&ten), Bounds::default()).unwrap();
    assert_eq!((m.ops, m.largest_change), (10, 10));

    // Changes and a saved document as Automerge itself writes them.
    let mut doc = automerge::AutoCommit::new();
    for i in 0..1_000 {
        use automerge::transaction::Transactable;
        doc.put(automerge::ROOT, format!("k{i}"), "居民诉求".repeat(20))
            .unwrap();
    }
    let saved = doc.save();
    let m = measure(&[saved], Bounds::default()).unwrap();
    assert_eq!(m.ops, 1_000, "every put in the saved document");
    let change = doc.get_changes(&[]).first().unwrap().raw_bytes().to_vec();
    assert_eq!(
        measure(&[change], Bounds::default()).unwrap().ops,
        1_000,
        "one change of a thousand puts"
    );

    // A hundred million puts in a few dozen bytes: refused from its header.
    let bomb = forge::puts(ACTOR, 100_000_000);
    assert!(bomb.len() < 100, "{} bytes", bomb.len());
    assert_eq!(
        measure(&[bomb], Bounds::default()),
        Err(Oversize::TooLarge("operations in one change"))
    );
    // One over the limit, and the limit itself.
    let over = forge::puts(ACTOR, MAX_OPS_PER_CHANGE as u64 + 1);
    assert!(measure(&[over], Bounds::default()).is_err());
    let at = forge::puts(ACTOR, MAX_OPS_PER_CHANGE as u64);
    assert!(measure(&[at], Bounds::default()).is_ok());

    // A compressed change that would inflate past the budget: inflated no further than it.
    let zip = forge::inflating(ACTOR, MAX_INFLATED_BYTES + 1024);
    assert!(zip.len() < 1024 * 1024, "{} bytes on the wire", zip.len());
    assert_eq!(
        measure(&[zip], Bounds::default()),
        Err(Oversize::TooLarge("bytes once inflated"))
    );

    // Many small changes add up per message.
    let small = Bounds {
        ops_per_message: 100,
        ..Bounds::default()
    };
    let many: Vec<Vec<u8>> = (0..11).map(|_| forge::puts(ACTOR, 10)).collect();
    assert_eq!(
        measure(&many, small),
        Err(Oversize::TooLarge("operations in one message"))
    );
    assert!(measure(&many[..10], small).is_ok());

    // Bytes that are not chunks.
    assert!(matches!(
        measure(
            &[vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1, 50]],
            Bounds::default()
        ),
        Err(Oversize::Unreadable(_))
    ));
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A sync socket with a device's credential, or the HTTP status it was refused with.
async fn socket(addr: std::net::SocketAddr, credential: &str) -> Result<Ws, u16> {
    let mut req = format!("ws://{addr}/sync").into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {credential}").parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

/// Everything the server says until it closes the socket (or goes quiet for `quiet`).
async fn until_closed(ws: &mut Ws, quiet: Duration) -> Option<Vec<Vec<u8>>> {
    let mut heard = Vec::new();
    loop {
        match tokio::time::timeout(quiet, ws.next()).await {
            Err(_) => return None,
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return Some(heard),
            Ok(Some(Ok(Message::Binary(b)))) => heard.push(b.to_vec()),
            Ok(Some(Ok(_))) => {}
        }
    }
}

fn record(store: &mut Store, seed: u64, text: &str) {
    gridvoice_tests::record_on_device(store, seed, text, "other", None).unwrap();
}

fn metric(app: &gridvoice_server::App, line: &str) -> u64 {
    let text = app.metrics.render();
    text.lines()
        .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {line} in\n{text}"))
}

/// An enrolled delegate of station S01 on a phone of their own, synced once.
async fn phone(
    dir: &std::path::Path,
    url: &str,
    delegate: &str,
    seed: u64,
) -> (Store, SyncConfig, String) {
    let mut s = Store::open(dir.join(format!("{delegate}.sqlite"))).unwrap();
    let code = gridvoice_tests::enrolment_code(&dir.join("server"), delegate).unwrap();
    enrol(&mut s, url, &code, delegate).await.unwrap();
    record(&mut s, seed, &format!("{delegate} 记录的诉求"));
    let cfg = SyncConfig::from_store(&s).unwrap();
    sync_once(&mut s, &cfg, &mut |_| {}).await.unwrap();
    let cred = s
        .server_link()
        .unwrap()
        .unwrap()
        .credential
        .expose()
        .to_owned();
    (s, cfg, cred)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_that_sends_a_change_bomb_is_refused_and_the_station_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    gridvoice_server::init_data(&data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let server = gridvoice_server::start(Config::new(&data, "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let url = format!("http://{}", server.addr);
    let (mut wang, wang_cfg, cred) = phone(dir.path(), &url, "D01", 1).await;
    assert_eq!(
        gridvoice_tests::demands_on_server(&server.app)
            .await
            .unwrap(),
        1
    );

    // wang's credential in a hand-made client: a sync message carrying a hundred million puts.
    let mut ws = socket(server.addr, &cred).await.unwrap();
    let me = wang_cfg.peer_id.clone();
    let join = WireMessage::Join {
        sender_id: me.clone(),
        supported_protocol_versions: vec!["1".into()],
    };
    ws.send(Message::Binary(join.encode().unwrap().into()))
        .await
        .unwrap();
    let actor = wang.identity().unwrap().device.actor();
    let actor: [u8; 16] = actor.to_bytes().try_into().unwrap();
    let message = automerge::sync::Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: vec![forge::puts(actor, 100_000_000)].into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    };
    let sync = WireMessage::Sync {
        document_id: doc_to_wire(&DocId::for_station(&StationId::new("S01"))),
        sender_id: me,
        target_id: "gridvoice-server".into(),
        data: message.encode(),
    };
    ws.send(Message::Binary(sync.encode().unwrap().into()))
        .await
        .unwrap();
    let heard = until_closed(&mut ws, Duration::from_secs(20))
        .await
        .expect("the server closes the socket");
    let told: Vec<String> = heard
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(
        told.iter()
            .any(|t| t.contains("too_large") && t.contains("CHANGE_REFUSED")),
        "the phone reads why: {told:?}"
    );
    assert_eq!(
        metric(
            &server.app,
            "gridvoice_sync_refused_total{reason=\"too_large\"} "
        ),
        1
    );

    // The station carries on: wang's own phone and li's.
    record(&mut wang, 2, "小区路灯不亮");
    sync_once(&mut wang, &wang_cfg, &mut |_| {}).await.unwrap();
    let (_li, _, _) = phone(dir.path(), &url, "D02", 3).await;
    assert_eq!(
        gridvoice_tests::demands_on_server(&server.app)
            .await
            .unwrap(),
        3
    );

    // The same limits hold for what the station's head writes through the request service.
    let (head, _) = gridvoice_tests::enrolled(
        &data,
        &gridvoice_core::access::Person::Delegate("D01".into()),
        gridvoice_core::access::Role::StationHead,
        Some("S01"),
        90,
    )
    .unwrap();
    let list = Request::ListDemands(gridvoice_core::api::DemandFilter::default());
    let Ok(Response::Demands { items, .. }) =
        gridvoice_tests::serve_as(&server.app, &head, list).await
    else {
        panic!("the head lists the station's demands");
    };
    let demand = items[0].demand.id;
    let review = |n: usize| Request::Review {
        demand,
        note: Some("核".repeat(n)),
    };
    assert_eq!(
        gridvoice_tests::serve_as(&server.app, &head, review(MAX_TEXT_CHARS + 1))
            .await
            .err(),
        Some((400, "TEXT_TOO_LONG".to_owned()))
    );
    assert!(
        gridvoice_tests::serve_as(&server.app, &head, review(MAX_TEXT_CHARS))
            .await
            .is_ok()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_over_a_share_or_left_idle_are_closed_and_the_others_carry_on() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    gridvoice_server::init_data(&data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let mut cfg = Config::new(&data, "127.0.0.1:0".parse().unwrap());
    cfg.max_connections = 2;
    cfg.max_device_connections = 1;
    cfg.sync_idle = Duration::from_millis(800);
    let server = gridvoice_server::start(cfg).await.unwrap();
    let url = format!("http://{}", server.addr);
    let (_wang, _, wang) = phone(dir.path(), &url, "D01", 1).await;
    let (_li, _, li) = phone(dir.path(), &url, "D02", 2).await;
    let (mut zhao, zhao_cfg, zhao_key) = phone(dir.path(), &url, "D03", 3).await;

    // wang holds one socket: a second of his is told to wait; li gets the server's last place;
    // nobody else gets one now.
    let mut first = socket(server.addr, &wang).await.unwrap();
    assert_eq!(socket(server.addr, &wang).await.err(), Some(429));
    let _li_socket = socket(server.addr, &li).await.unwrap();
    assert_eq!(socket(server.addr, &zhao_key).await.err(), Some(503));
    assert_eq!(
        metric(&server.app, "gridvoice_sync_connections_over_cap_total "),
        2
    );

    // wang's socket says nothing: the server closes it, and so its place is free again.
    let closed = until_closed(&mut first, Duration::from_secs(10)).await;
    assert!(closed.is_some(), "an idle socket is closed");
    assert!(metric(&server.app, "gridvoice_sync_sockets_timed_out_total ") >= 1);
    // li's idle socket goes the same way; then zhao syncs as if nothing happened.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    record(&mut zhao, 4, "菜市场门口积水");
    sync_once(&mut zhao, &zhao_cfg, &mut |_| {}).await.unwrap();
    assert_eq!(
        gridvoice_tests::demands_on_server(&server.app)
            .await
            .unwrap(),
        4
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heads_open_pages_hold_places_like_sockets_and_their_streams_end_after_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    gridvoice_server::init_data(&data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let mut cfg = Config::new(&data, "127.0.0.1:0".parse().unwrap());
    let share = gridvoice_core::limits::MAX_DEVICE_EVENT_STREAMS;
    cfg.max_connections = share + 1;
    cfg.sync_session = Duration::from_secs(3);
    let server = gridvoice_server::start(cfg).await.unwrap();
    let url = format!("http://{}", server.addr);
    let (_li, _, li) = phone(dir.path(), &url, "D02", 2).await;
    let (mut zhao, zhao_cfg, zhao_key) = phone(dir.path(), &url, "D03", 3).await;
    let (_, head) = gridvoice_tests::enrolled(
        &data,
        &gridvoice_core::access::Person::Delegate("D01".into()),
        gridvoice_core::access::Role::StationHead,
        Some("S01"),
        90,
    )
    .unwrap();

    // The head has the station's inbox open in sixteen tabs: the seventeenth is told to wait.
    gridvoice_sync::install_crypto_provider();
    let http = reqwest::Client::new();
    let events = || {
        http.get(format!("{url}/api/events"))
            .bearer_auth(&head)
            .send()
    };
    let mut tabs = Vec::new();
    for _ in 0..share {
        let r = events().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        tabs.push(r);
    }
    let r = events().await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "RATE_LIMITED");
    // The streams count among the server's places: li takes the last, zhao finds none.
    let li_socket = socket(server.addr, &li).await.unwrap();
    assert_eq!(socket(server.addr, &zhao_key).await.err(), Some(503));
    drop(li_socket);

    // Each stream ends by itself after a session, and its place is free again.
    for tab in &mut tabs {
        loop {
            match tokio::time::timeout(Duration::from_secs(20), tab.chunk()).await {
                Err(_) => panic!("a stream outlived its session"),
                Ok(Ok(Some(_))) => {}
                Ok(Ok(None) | Err(_)) => break,
            }
        }
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.app.connections.open() > 0 {
        assert!(std::time::Instant::now() < deadline, "places still held");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(events().await.unwrap().status().as_u16(), 200);
    record(&mut zhao, 4, "菜市场门口积水");
    sync_once(&mut zhao, &zhao_cfg, &mut |_| {}).await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_over_its_rate_is_told_when_to_retry_and_code_guessing_is_throttled() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    gridvoice_server::init_data(&data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let mut cfg = Config::new(&data, "127.0.0.1:0".parse().unwrap());
    // Enough for enrolling and one sync; then one request every 100 seconds.
    cfg.request_rate = Rate {
        burst: 12.0,
        per_second: 0.01,
    };
    cfg.failed_enrolment_rate = Rate {
        burst: 3.0,
        per_second: 0.001,
    };
    let server = gridvoice_server::start(cfg).await.unwrap();
    let url = format!("http://{}", server.addr);
    let (_wang, _, wang) = phone(dir.path(), &url, "D01", 1).await;
    let (_li, _, li) = phone(dir.path(), &url, "D02", 2).await;

    gridvoice_sync::install_crypto_provider();
    let http = reqwest::Client::new();
    let ask = |key: &str| {
        http.post(format!("{url}/api/request"))
            .bearer_auth(key)
            .json(&Request::ListVisits {
                limit: None,
                offset: None,
            })
            .send()
    };
    let mut statuses = Vec::new();
    let mut retry = None;
    for _ in 0..30 {
        let r = ask(&wang).await.unwrap();
        statuses.push(r.status().as_u16());
        if r.status().as_u16() == 429 {
            retry = r.headers().get("retry-after").cloned();
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["code"], "RATE_LIMITED");
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&429), "wang is stopped: {statuses:?}");
    assert!(statuses.iter().filter(|s| **s == 200).count() >= 1);
    let secs: u64 = retry.unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=100).contains(&secs), "Retry-After {secs}");
    // li's own rate is untouched.
    assert_eq!(ask(&li).await.unwrap().status().as_u16(), 200);

    // Guessing codes from one address: three wrong ones are refused as wrong, then the address
    // waits — even a right code is not looked at until then.
    let guess = |code: String| {
        http.post(format!("{url}/api/enrol"))
            .json(&serde_json::json!({ "code": code, "device_name": "guess" }))
            .send()
    };
    for n in 0..3 {
        let r = guess(format!("AAAA-BBBB-{n:04}")).await.unwrap();
        assert_eq!(r.status().as_u16(), 401);
    }
    let right = gridvoice_tests::enrolment_code(&data, "D03").unwrap();
    let r = guess(right).await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert!(metric(&server.app, "gridvoice_rate_limited_total ") >= 2);
    server.stop().await;
}

/// A demand naming a photo of `size` bytes, recorded on the device (the photo stored there).
fn record_with_photo(store: &mut Store, seed: u64, text: &str, size: usize) -> String {
    use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
    let mut bytes = b"RIFF\x20\0\0\0WEBPVP8 ".to_vec();
    bytes.extend(text.bytes().cycle().take(size));
    let clock = FixedClock(Timestamp(1_614_556_800_000));
    let hash = store.put_photo(&bytes, None, clock.0).unwrap();
    let grid = {
        let me = store.identity().unwrap().delegate.clone();
        store.territory().unwrap().delegate(&me).unwrap().grids[0].clone()
    };
    let mut ids = SeededIds::new(seed);
    let mut ctx = gridvoice_store::service::Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    let req = Request::RecordDemand(gridvoice_core::api::RecordDemand {
        text: text.into(),
        category: "other".into(),
        grid: Some(grid),
        location: None,
        visit: None,
        contact: None,
        id: None,
        attachments: vec![hash.clone()],
    });
    gridvoice_store::service::handle(store, &mut ctx, req).unwrap();
    hash
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_past_a_devices_daily_quota_wait_on_the_phone_and_others_upload_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    gridvoice_server::init_data(&data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let mut cfg = Config::new(&data, "127.0.0.1:0".parse().unwrap());
    cfg.photo_quota = 100_000;
    let server = gridvoice_server::start(cfg).await.unwrap();
    let url = format!("http://{}", server.addr);
    let (mut wang, wang_cfg, _) = phone(dir.path(), &url, "D01", 1).await;
    let (mut li, li_cfg, _) = phone(dir.path(), &url, "D02", 2).await;

    // Two 60 kB photos in a day's quota of 100 kB: one goes, the other waits.
    let first = record_with_photo(&mut wang, 11, "楼道墙皮脱落", 60_000);
    let second = record_with_photo(&mut wang, 12, "井盖松动", 60_000);
    let report = sync_once(&mut wang, &wang_cfg, &mut |_| {}).await.unwrap();
    assert_eq!(report.photos_uploaded, 1, "{report:?}");
    assert_eq!(report.pending_left, 1, "{report:?}");
    let on_server = |h: String| server.app.with_store(move |s| s.has_photo(&h).unwrap());
    let held = (
        on_server(first.clone()).await.unwrap(),
        on_server(second.clone()).await.unwrap(),
    );
    assert!(held.0 != held.1, "exactly one is on the server: {held:?}");
    let waiting = if held.0 { second } else { first };
    // Syncing again changes nothing today: the photo is still on the phone, not lost.
    let report = sync_once(&mut wang, &wang_cfg, &mut |_| {}).await.unwrap();
    assert_eq!((report.photos_uploaded, report.pending_left), (0, 1));
    assert!(wang.photo(&waiting).unwrap().is_some());

    // li's quota is his own.
    record_with_photo(&mut li, 21, "路口积水", 60_000);
    let report = sync_once(&mut li, &li_cfg, &mut |_| {}).await.unwrap();
    assert_eq!((report.photos_uploaded, report.pending_left), (1, 0));
    server.stop().await;
}

#[test]
fn a_phone_refuses_a_bomb_from_a_server_before_decoding_it() {
    let mut phone = Store::open_in_memory().unwrap();
    phone
        .init_device(
            gridvoice_store::DeviceIdentity {
                device: gridvoice_core::ids::DeviceId(uuid::Uuid::from_u128(1)),
                delegate: "D01".into(),
                station: StationId::new("S01"),
            },
            gridvoice_core::demo::gulou().unwrap(),
        )
        .unwrap();
    let station = DocId::for_station(&StationId::new("S01"));
    let before = phone.heads(&station).unwrap();
    let message = automerge::sync::Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: vec![forge::puts(ACTOR, 100_000_000)].into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    };
    let mut state = automerge::sync::State::new();
    let e = phone
        .receive_sync_message(&station, &mut state, message)
        .unwrap_err();
    assert!(e.to_string().contains("over the limits"), "{e}");
    assert_eq!(phone.heads(&station).unwrap(), before, "nothing applied");
}
