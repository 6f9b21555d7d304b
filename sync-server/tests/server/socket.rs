//! The sync route on a real socket: credentials are checked before the upgrade.

use gridvoice_core::access::{Person, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{enrol, staff};

/// Sends a WebSocket upgrade request by hand and returns the status line.
async fn upgrade(addr: std::net::SocketAddr, path: &str, bearer: Option<&str>) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = bearer
        .map(|b| format!("Authorization: Bearer {b}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{auth}\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn sync_route_answers_401_before_upgrading_and_101_to_a_valid_device() {
    let dir = tempfile::tempdir().unwrap();
    gridvoice_server::init_data(dir.path(), &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let d = enrol(
        dir.path(),
        "delegate",
        Person::Delegate("D01".into()),
        Role::Delegate,
        Some("S01".into()),
        1,
    );
    let o = enrol(
        dir.path(),
        "office",
        staff("office-1"),
        Role::Office,
        None,
        2,
    );
    let revoked = enrol(
        dir.path(),
        "revoked",
        Person::Delegate("D01".into()),
        Role::Delegate,
        Some("S01".into()),
        3,
    );
    gridvoice_server::auth::AuthDb::open(&gridvoice_server::auth_path(dir.path()))
        .unwrap()
        .revoke(
            &revoked.principal.unwrap().device,
            gridvoice_core::clock::Timestamp(5),
        )
        .unwrap();
    let running = gridvoice_server::start(gridvoice_server::Config::new(
        dir.path(),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    let addr = running.addr;
    let cred = d.credential.unwrap();
    assert!(upgrade(addr, "/sync", None).await.contains("401"));
    assert!(
        upgrade(addr, "/sync", Some("gv1.forged"))
            .await
            .contains("401")
    );
    assert!(
        upgrade(addr, "/sync", revoked.credential.as_deref())
            .await
            .contains("401")
    );
    assert!(upgrade(addr, "/sync", Some(&cred)).await.contains("101"));
    assert!(
        upgrade(addr, &format!("/sync?token={cred}"), None)
            .await
            .contains("401"),
        "a server not configured for browser-style clients takes no token in the URL"
    );
    assert!(
        upgrade(addr, "/sync", o.credential.as_deref())
            .await
            .contains("101")
    );
    let metrics = reqwest_free_get(addr, "/metrics").await;
    assert!(
        metrics.contains("gridvoice_sync_connections_refused_total 4"),
        "{metrics}"
    );
    running.stop().await;
}

/// A plain HTTP GET without a client library.
pub async fn reqwest_free_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Both sides keep the same limit on a sync message (16 MiB): the server's default and the
/// device engine's. (That an oversized message is refused at the socket is tungstenite's
/// `max_message_size`, set from it in `ws.rs`; a garbage message of any size also closes the
/// socket, so a wire test could not tell the two apart.)
#[test]
fn the_server_and_the_devices_keep_one_sync_message_limit() {
    let limit = gridvoice_core::boundary::MAX_SYNC_MESSAGE_BYTES;
    assert_eq!(limit, 16 * 1024 * 1024);
    let server = gridvoice_server::Config::new("/nonexistent", "127.0.0.1:0".parse().unwrap());
    assert_eq!(server.max_message_bytes, limit);
    assert_eq!(gridvoice_sync::Limits::default().max_message_bytes, limit);
}
