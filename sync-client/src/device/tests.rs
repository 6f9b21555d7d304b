#![allow(clippy::unwrap_used, reason = "tests")]

use std::time::{Duration, Instant};

use super::{DeviceService, REACH_EVERY, REACH_TIMEOUT};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::ids::{DelegateId, DeviceId, StationId};
use gridvoice_core::territory::sample;
use gridvoice_store::DeviceIdentity;

fn enrolled_store(path: &std::path::Path, server: &str) {
    let mut store = gridvoice_store::Store::open(path).unwrap();
    let device = DeviceId::new(&mut gridvoice_store::system::OsIds, Timestamp(0));
    store
        .init_device(
            DeviceIdentity {
                device,
                delegate: DelegateId::new("D01"),
                station: StationId::new("S01"),
            },
            sample::small(),
        )
        .unwrap();
    store
        .set_server_link(&gridvoice_store::ServerLink {
            server: server.into(),
            credential: gridvoice_core::boundary::Credential::new("x"),
            server_peer_id: None,
            role: "delegate".into(),
            server_id: None,
            issued_at: None,
        })
        .unwrap();
}

/// Issue 9: home said 在线 while the server was down, until a sync failed. After a good sync
/// the server stops; once the last word is stale the status asks again and says offline.
/// A server that answers /healthz is online.
#[tokio::test]
async fn online_means_the_server_answered_lately() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on: taken, then let go.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}", gone.local_addr().unwrap());
    drop(gone);
    let path = dir.path().join("down.sqlite");
    enrolled_store(&path, &down);
    let svc = DeviceService::open(&path).unwrap();
    {
        // What a good sync a while ago left behind.
        let mut i = svc.info();
        i.online = true;
        i.heard_at = Some(Instant::now());
    }
    assert!(
        svc.status().await.online,
        "fresh word from the server stands"
    );
    svc.info().heard_at = Some(Instant::now() - REACH_EVERY);
    let started = Instant::now();
    assert!(!svc.status().await.online, "the server is down: offline");
    assert!(started.elapsed() <= REACH_TIMEOUT + Duration::from_millis(500));

    // The smallest server that answers /healthz.
    let up = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", up.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut sock in up.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf);
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    let path = dir.path().join("up.sqlite");
    enrolled_store(&path, &url);
    let svc = DeviceService::open(&path).unwrap();
    assert!(svc.status().await.online, "the server answers: online");
}

/// The home screen asks for the status while a sync holds the store: it must still say who
/// the phone belongs to, not "not enrolled".
#[tokio::test]
async fn status_during_a_sync_still_names_the_delegate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    {
        let mut store = gridvoice_store::Store::open(&path).unwrap();
        let device = DeviceId::new(&mut gridvoice_store::system::OsIds, Timestamp(0));
        store
            .init_device(
                DeviceIdentity {
                    device,
                    delegate: DelegateId::new("D01"),
                    station: StationId::new("S01"),
                },
                sample::small(),
            )
            .unwrap();
    }
    let svc = DeviceService::open(&path).unwrap();
    let idle = svc.status().await;
    assert!(idle.enrolled);
    let _sync = svc.store.lock().await; // what a sync session holds
    let busy = svc.status().await;
    assert!(busy.enrolled);
    assert_eq!(busy.delegate_name, idle.delegate_name);
    assert_eq!(busy.grids, idle.grids);
}
