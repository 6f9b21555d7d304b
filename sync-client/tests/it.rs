//! The device sync engine against a real samod server on loopback.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::{ChangeHash, ReadDoc};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use gridvoice_core::api::{RecordDemand, Request, Response as ApiResponse};
use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
use gridvoice_core::ids::DeviceId;
use gridvoice_core::territory::sample;
use gridvoice_store::service::{Ctx, handle};
use gridvoice_store::{DeviceIdentity, ServerLink, Store};
use gridvoice_sync::{Backoff, Error, Event, Limits, SyncConfig, run, sync_once};
use samod::{AcceptorEvent, AcceptorHandle, DocumentId, PeerId, Repo, ShareConfig, Transport};

const SERVER_PEER: &str = "srv-test";
const GRID_A1: &str = "110118003001001";

// ---------------------------------------------------------------- the test server

#[derive(Clone)]
struct App {
    repo: Repo,
    acceptor: AcceptorHandle,
    /// token → the peer id the credential is bound to
    tokens: Arc<HashMap<String, String>>,
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_owned)
}

async fn sync_ws(State(app): State<App>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    let Some(peer) = bearer(&headers).and_then(|t| app.tokens.get(&t).cloned()) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    ws.on_upgrade(move |socket| async move {
        let t = Transport::from_axum(socket).with_expected_peer_id(PeerId::from(peer.as_str()));
        let Ok(conn) = app.acceptor.accept(t) else {
            return;
        };
        let mut events = conn.events();
        while let Some(e) = events.next().await {
            if matches!(e, AcceptorEvent::ClientDisconnected { .. }) {
                break;
            }
        }
    })
}

#[derive(serde::Deserialize)]
struct ReceiptQuery {
    doc: uuid::Uuid,
    hashes: Vec<String>,
}

/// Answers from the server repo's document: a change it holds counts as committed here (the real
/// server answers from its durable storage).
async fn receipts(
    State(app): State<App>,
    headers: HeaderMap,
    Json(q): Json<ReceiptQuery>,
) -> Response {
    if bearer(&headers).is_none_or(|t| !app.tokens.contains_key(&t)) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let id = DocumentId::try_from(q.doc.as_bytes().to_vec()).unwrap();
    let committed: Vec<String> = match app.repo.find(id).await {
        Ok(Some(h)) => h.with_document(|d| {
            q.hashes
                .iter()
                .filter(|s| {
                    s.parse::<ChangeHash>()
                        .is_ok_and(|c| d.get_change_by_hash(&c).is_some())
                })
                .cloned()
                .collect()
        }),
        _ => Vec::new(),
    };
    Json(serde_json::json!({ "committed": committed })).into_response()
}

struct Server {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(listener: tokio::net::TcpListener, tokens: &[(&str, &str)]) -> Server {
        let addr = listener.local_addr().unwrap();
        let repo = Repo::build_tokio()
            .with_peer_id(PeerId::from(SERVER_PEER))
            .with_share_policy(ShareConfig::read_write().with_announce(false))
            .load()
            .await;
        let acceptor = repo
            .make_acceptor(samod::Url::parse("ws://test/sync").unwrap())
            .unwrap();
        let app = App {
            repo,
            acceptor,
            tokens: Arc::new(
                tokens
                    .iter()
                    .map(|(t, p)| ((*t).to_owned(), (*p).to_owned()))
                    .collect(),
            ),
        };
        let router = Router::new()
            .route("/sync", get(sync_ws))
            .route("/api/receipts", post(receipts))
            .with_state(app);
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Server { addr, task }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

// ---------------------------------------------------------------- devices

struct Device {
    store: Store,
    clock: FixedClock,
    ids: SeededIds,
    token: String,
}

impl Device {
    fn new(delegate: &str, seed: u64) -> Device {
        let mut store = Store::open_in_memory().unwrap();
        let territory = sample::small();
        let station = territory
            .delegate(&delegate.into())
            .unwrap()
            .station
            .clone();
        store
            .init_device(
                DeviceIdentity {
                    device: DeviceId(uuid::Uuid::from_u64_pair(seed, 1)),
                    delegate: delegate.into(),
                    station,
                },
                territory,
            )
            .unwrap();
        Device {
            store,
            clock: FixedClock(Timestamp(1_614_556_800_000)),
            ids: SeededIds::new(seed),
            token: format!("token-{seed}"),
        }
    }

    fn peer(&self) -> String {
        gridvoice_sync::peer_id(&self.store.identity().unwrap().device)
    }

    fn link(&self, server: &str) {
        self.store
            .set_server_link(&ServerLink {
                server: server.to_owned(),
                credential: gridvoice_core::boundary::Credential::new(self.token.clone()),
                server_peer_id: Some(SERVER_PEER.into()),
                role: "delegate".into(),
                server_id: None,
                issued_at: None,
            })
            .unwrap();
    }

    fn config(&self) -> SyncConfig {
        let mut cfg = SyncConfig::from_store(&self.store).unwrap();
        cfg.limits = Limits {
            idle_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            ..Limits::default()
        };
        cfg
    }

    async fn sync(
        &mut self,
        events: &mut (dyn FnMut(&Event) + Send),
    ) -> gridvoice_sync::Result<gridvoice_sync::SyncReport> {
        let cfg = self.config();
        sync_once(&mut self.store, &cfg, events).await
    }

    fn record(&mut self, text: &str) -> String {
        self.clock.0 = Timestamp(self.clock.0.0 + 60_000);
        let mut ctx = Ctx {
            clock: &self.clock,
            ids: &mut self.ids,
        };
        let req = Request::RecordDemand(RecordDemand {
            text: text.into(),
            category: "safety".into(),
            grid: Some(GRID_A1.into()),
            location: None,
            visit: None,
            contact: None,
            id: None,
            attachments: Vec::new(),
        });
        match handle(&mut self.store, &mut ctx, req).unwrap() {
            ApiResponse::Demand(v) => v.demand.id.to_string(),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn projected(&self, demand: &str) -> bool {
        self.store
            .connection()
            .query_row(
                "SELECT count(*) FROM demands WHERE id = ?1",
                [demand],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            == 1
    }
}

fn quiet(_: &Event) {}

// ---------------------------------------------------------------- stories

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegate_records_offline_syncs_and_a_colleague_sees_it() {
    let mut alice = Device::new("D01", 1);
    let mut bob = Device::new("D03", 2);
    let server = Server::start(
        listener().await,
        &[(&alice.token, &alice.peer()), (&bob.token, &bob.peer())],
    )
    .await;
    alice.link(&server.url());
    bob.link(&server.url());

    // Offline: two hundred demands, none confirmed by any server yet.
    let demands: Vec<String> = (0..200)
        .map(|i| alice.record(&format!("第{i}号路灯不亮")))
        .collect();
    assert_eq!(alice.store.pending_receipts().unwrap().len(), 200);

    let mut seen = Vec::new();
    let first = alice.sync(&mut |e| seen.push(e.clone())).await.unwrap();
    assert_eq!(first.documents, 2, "station and contacts documents");
    assert!(first.unavailable.is_empty());
    assert_eq!(first.receipts_confirmed, 200);
    assert_eq!(first.pending_left, 0);
    assert!(
        alice
            .store
            .receipt(&demands[0])
            .unwrap()
            .unwrap()
            .synced_at
            .is_some()
    );
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::Progress(p) if p.documents_done == 2))
    );

    // Bob, same station, sees Alice's demands in his own projections.
    let b = bob.sync(&mut quiet).await.unwrap();
    assert!(b.changes_received >= 200, "{b:?}");
    assert!(demands.iter().all(|d| bob.projected(d)));

    // Alice reconnects with nothing new: the persisted sync state keeps it small.
    let again = alice.sync(&mut quiet).await.unwrap();
    let (first_bytes, again_bytes) = (
        first.bytes_sent + first.bytes_received,
        again.bytes_sent + again.bytes_received,
    );
    eprintln!("first sync of 200 demands: {first_bytes} B; reconnect: {again_bytes} B");
    assert_eq!(again.changes_received, 0);
    assert!(
        again_bytes * 10 < first_bytes,
        "reconnect moved {again_bytes} bytes, first sync {first_bytes}"
    );

    // One more demand from Bob reaches Alice.
    let late = bob.record("垃圾桶满了");
    bob.sync(&mut quiet).await.unwrap();
    let r = alice.sync(&mut quiet).await.unwrap();
    assert!(r.changes_received >= 1);
    assert!(alice.projected(&late));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_credential_is_final_and_distinct() {
    let alice = Device::new("D01", 1);
    let server = Server::start(listener().await, &[("other-token", "dev-other")]).await;
    alice.link(&server.url());
    let mut alice = alice;
    let mut cfg = alice.config();
    cfg.backoff = Backoff {
        initial: Duration::from_secs(5),
        ..Backoff::default()
    };
    let started = Instant::now();
    let err = run(&mut alice.store, &cfg, std::future::pending(), &mut quiet)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CredentialRefused), "{err:?}");
    assert_eq!(err.code(), "credential_refused");
    assert!(!err.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(3), "not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_is_retried_until_it_comes_up() {
    let mut alice = Device::new("D01", 1);
    alice.record("井盖缺失");
    // Reserve a port, then free it: nothing listens there until the server starts.
    let port = listener().await.local_addr().unwrap().port();
    alice.link(&format!("http://127.0.0.1:{port}"));
    let mut cfg = alice.config();
    cfg.backoff = Backoff {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(200),
        factor: 2.0,
        max_attempts: Some(60),
    };
    let (token, peer) = (alice.token.clone(), alice.peer());
    let sync = tokio::spawn(async move {
        let mut retries = 0;
        let r = run(&mut alice.store, &cfg, std::future::pending(), &mut |e| {
            if matches!(
                e,
                Event::Retrying {
                    code: "network",
                    ..
                }
            ) {
                retries += 1;
            }
        })
        .await;
        (r, retries)
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let l = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let _server = Server::start(l, &[(&token, &peer)]).await;
    let (r, retries) = tokio::time::timeout(Duration::from_secs(20), sync)
        .await
        .unwrap()
        .unwrap();
    let report = r.unwrap();
    assert!(retries >= 1 && report.attempts > 1, "{retries} {report:?}");
    assert_eq!(report.pending_left, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_signal_ends_the_retry_loop() {
    let mut alice = Device::new("D01", 1);
    let port = listener().await.local_addr().unwrap().port();
    alice.link(&format!("http://127.0.0.1:{port}"));
    let mut cfg = alice.config();
    cfg.backoff.initial = Duration::from_millis(20);
    let stop = tokio::time::sleep(Duration::from_millis(300));
    let err = run(&mut alice.store, &cfg, stop, &mut quiet)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "stopped");
}

/// A server that answers the upgrade and then sends `frames` (after reading our `join`).
async fn hostile_server(frames: Vec<Message>) -> String {
    async fn ws(State(frames): State<Arc<Vec<Message>>>, ws: WebSocketUpgrade) -> Response {
        ws.on_upgrade(move |mut socket| async move {
            let _join = socket.recv().await;
            for f in frames.iter() {
                if socket.send(f.clone()).await.is_err() {
                    return;
                }
            }
            // Stay open so the client's reaction, not a close, ends the session.
            tokio::time::sleep(Duration::from_secs(5)).await;
        })
    }
    let l = listener().await;
    let addr = l.local_addr().unwrap();
    let router = Router::new()
        .route("/sync", get(ws))
        .with_state(Arc::new(frames));
    tokio::spawn(async move {
        axum::serve(l, router).await.unwrap();
    });
    format!("http://{addr}")
}

fn cbor_peer(target: &str) -> Vec<u8> {
    gridvoice_sync::wire::WireMessage::Peer {
        sender_id: SERVER_PEER.into(),
        target_id: target.into(),
        selected_protocol_version: "1".into(),
    }
    .encode()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_end_the_session_with_an_error_not_a_panic() {
    let peer = Device::new("D01", 1).peer();
    let station =
        gridvoice_sync::wire::doc_to_wire(&gridvoice_core::ids::DocId::for_station(&"S01".into()));
    let bad_sync = gridvoice_sync::wire::WireMessage::Sync {
        document_id: station,
        sender_id: SERVER_PEER.into(),
        target_id: peer.clone(),
        data: vec![0x42, 0xff, 0x00],
    }
    .encode()
    .unwrap();
    let cases: Vec<(Vec<Message>, &str)> = vec![
        (
            vec![Message::Binary(vec![0xff, 0x00, 0x13].into())],
            "protocol",
        ),
        (vec![Message::Text("hello".into())], "protocol"),
        (
            vec![
                Message::Binary(cbor_peer(&peer).into()),
                Message::Binary(bad_sync.into()),
            ],
            "protocol",
        ),
        (
            vec![Message::Binary(
                gridvoice_sync::wire::WireMessage::Error {
                    message: "peer ID mismatch".into(),
                }
                .encode()
                .unwrap()
                .into(),
            )],
            "server_error",
        ),
    ];
    for (frames, code) in cases {
        let url = hostile_server(frames).await;
        let mut alice = Device::new("D01", 1);
        let heads_before = alice
            .store
            .heads(&gridvoice_core::ids::DocId::for_station(&"S01".into()))
            .unwrap();
        alice.link(&url);
        let err = alice.sync(&mut quiet).await.unwrap_err();
        assert_eq!(err.code(), code, "{err:?}");
        assert_eq!(
            alice
                .store
                .heads(&gridvoice_core::ids::DocId::for_station(&"S01".into()))
                .unwrap(),
            heads_before,
            "nothing applied"
        );
    }
}
