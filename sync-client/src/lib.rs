//! Gridvoice's device sync engine.
//!
//! The device does not run a samod `Repo`: the [`Store`] owns every document on the device, and
//! this engine speaks the automerge-repo WebSocket protocol ([`wire`]) itself, generating and
//! receiving Automerge sync messages against the store's documents ([`session`]). So a change is
//! stored durably (and projected) before the sync state hears about it, and there is one copy of
//! each document on the device.
//!
//! - [`enrol`]: trade a one-time enrolment code for this device's credential, bind the store.
//! - [`sync_once`]: one session: connect (credential on the upgrade), sync every document the
//!   store holds until both sides have the same heads, close, then ask the server which pending
//!   per-record receipts it has committed.
//! - [`run`]: [`sync_once`] with exponential backoff and jitter on network failures, until one
//!   session succeeds, a non-retryable error (e.g. [`Error::CredentialRefused`]) or a stop signal.
//!
//! ```no_run
//! # async fn f(store: &mut gridvoice_store::Store) -> gridvoice_sync::Result<()> {
//! let cfg = gridvoice_sync::SyncConfig::from_store(store)?;
//! let report = gridvoice_sync::run(store, &cfg, std::future::pending(), &mut |e| println!("{e:?}")).await?;
//! println!("{} documents, {} receipts confirmed", report.documents, report.receipts_confirmed);
//! # Ok(()) }
//! ```

pub mod backoff;
pub mod device;
mod error;
mod http;
pub mod session;
pub mod wire;

use std::future::Future;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gridvoice_core::boundary::Credential;
use gridvoice_core::ids::{DeviceId, DocId};
use gridvoice_store::Store;
use gridvoice_store::system::SystemClock;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub use backoff::Backoff;
pub use error::{Error, Result};
pub use http::Enrolled;
use session::Session;

/// The peer id a device uses on the wire: `dev-<device uuid>` (the server binds it to the
/// credential).
pub fn peer_id(device: &DeviceId) -> String {
    format!("dev-{device}")
}

/// Bounds on a session, so a slow or hostile server cannot hold the device forever.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest WebSocket message accepted (and frame).
    pub max_message_bytes: usize,
    /// TCP + TLS + upgrade, and each HTTP call.
    pub connect_timeout: Duration,
    /// Longest silence from the server while documents are still syncing.
    pub idle_timeout: Duration,
    /// Longest whole session.
    pub session_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: gridvoice_core::boundary::MAX_SYNC_MESSAGE_BYTES,
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(20),
            session_timeout: Duration::from_secs(300),
        }
    }
}

/// Everything a session needs besides the store.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncConfig {
    /// Base URL, `http(s)://host[:port][/prefix]`; the socket is `<server>/sync` (ws/wss).
    pub server: String,
    pub credential: Credential,
    /// Our peer id (`dev-<device uuid>`).
    pub peer_id: String,
    /// The server's peer id from enrolment; `None` accepts whatever its `peer` message says.
    pub server_peer_id: Option<String>,
    /// Also put the credential in `?token=` (for servers behind proxies that strip headers).
    /// Off by default: URLs end up in logs more easily than headers.
    pub token_in_query: bool,
    pub limits: Limits,
    pub backoff: Backoff,
}

impl SyncConfig {
    /// The configuration enrolment left in the store.
    pub fn from_store(store: &Store) -> Result<SyncConfig> {
        let identity = store.identity().ok_or(Error::NotEnrolled)?;
        let link = store.server_link()?.ok_or(Error::NotEnrolled)?;
        Ok(SyncConfig {
            server: http::base_url(&link.server)?,
            credential: link.credential,
            peer_id: peer_id(&identity.device),
            server_peer_id: link.server_peer_id,
            token_in_query: false,
            limits: Limits::default(),
            backoff: Backoff::default(),
        })
    }

    /// The same, against another server address (e.g. `gridvoice sync --server`).
    #[must_use]
    pub fn with_server(mut self, server: impl Into<String>) -> SyncConfig {
        self.server = server.into();
        self
    }

    fn socket_url(&self) -> Result<String> {
        let base = http::base_url(&self.server)?;
        let ws = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}/sync")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}/sync")
        } else {
            return Err(Error::BadServerUrl(base));
        };
        Ok(ws)
    }
}

/// What the engine tells its caller while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Attempt `attempt` (1-based) is connecting.
    Connecting { attempt: u32 },
    /// Documents done so far and bytes moved in this session.
    Progress(Progress),
    /// Asking the server which records it has committed.
    Receipts,
    /// Attempt `attempt` failed with a retryable error; the next starts after `delay`.
    Retrying {
        attempt: u32,
        delay: Duration,
        code: &'static str,
    },
}

/// Progress of one session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub documents_done: usize,
    pub documents_total: usize,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// The result of a successful sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Documents both sides now hold identically.
    pub documents: usize,
    /// Documents the server does not have or will not share with us (not fatal).
    pub unavailable: Vec<DocId>,
    /// Changes new to this device.
    pub changes_received: usize,
    /// Records whose projection was updated from what arrived.
    pub records_updated: usize,
    /// WebSocket payload bytes (sync traffic, not HTTP).
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Receipts the server confirmed in this sync.
    pub receipts_confirmed: usize,
    /// Records and photos on this device the server has not yet confirmed.
    pub pending_left: usize,
    /// Photos the server confirmed in this sync.
    pub photos_uploaded: usize,
    /// Sessions tried (1 when the first one succeeded).
    pub attempts: u32,
    /// Set when the device started over after the server refused one of its changes.
    pub recovered: Option<gridvoice_store::Recovered>,
}

/// Installs rustls' `ring` provider once per process (the TLS stacks of both the socket and the
/// HTTP client use the process default; installing twice is harmless and ignored). Any other
/// reqwest client in a process that links this crate needs it too (reqwest is built without one).
pub fn install_crypto_provider() {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}

/// Exchanges a one-time enrolment code for this device's credential and binds the store to the
/// person the server enrolled (delegates and station heads). The credential is kept in the store,
/// never returned or logged.
pub async fn enrol(
    store: &mut Store,
    server: &str,
    code: &str,
    device_name: &str,
) -> Result<Enrolled> {
    http::enrol(
        store,
        server,
        code,
        device_name,
        Limits::default().connect_timeout,
        false,
    )
    .await
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(cfg: &SyncConfig) -> Result<Socket> {
    install_crypto_provider();
    let mut url = cfg.socket_url()?;
    if cfg.token_in_query {
        url = format!("{url}?token={}", encode_query(cfg.credential.expose()));
    }
    let mut request = url
        .into_client_request()
        .map_err(|_| Error::BadServerUrl(cfg.server.clone()))?;
    let bearer = format!("Bearer {}", cfg.credential.expose());
    let value =
        tungstenite::http::HeaderValue::from_str(&bearer).map_err(|_| Error::CredentialRefused)?;
    request
        .headers_mut()
        .insert(tungstenite::http::header::AUTHORIZATION, value);
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(cfg.limits.max_message_bytes))
        .max_frame_size(Some(cfg.limits.max_message_bytes));
    let connecting = tokio_tungstenite::connect_async_with_config(request, Some(ws_config), true);
    match tokio::time::timeout(cfg.limits.connect_timeout, connecting).await {
        Err(_) => Err(Error::Timeout),
        Ok(Ok((socket, _response))) => Ok(socket),
        Ok(Err(e)) => Err(map_ws_error(e)),
    }
}

/// The configuration a sync runs with: the caller's, with the credential the store holds now (an
/// earlier sync may have renewed it), renewed first when it is older than
/// `limits::CREDENTIAL_RENEW_AFTER` (or of unknown age). A renewal that fails for any reason but
/// a refused credential leaves the current one in use, to be renewed at a later sync.
async fn current(store: &mut Store, cfg: &SyncConfig) -> Result<SyncConfig> {
    let mut cfg = cfg.clone();
    let Some(mut link) = store.server_link()? else {
        return Ok(cfg);
    };
    cfg.credential = link.credential.clone();
    let now = gridvoice_core::clock::Clock::now(&SystemClock).0;
    let after = i64::try_from(gridvoice_core::limits::CREDENTIAL_RENEW_AFTER.as_millis())
        .unwrap_or(i64::MAX);
    if link.issued_at.is_some_and(|t| now - t <= after) {
        return Ok(cfg);
    }
    let base = http::base_url(&cfg.server)?;
    match http::renew(&base, &cfg.credential, cfg.limits.connect_timeout).await {
        Ok(fresh) => {
            link.credential = fresh.clone();
            link.issued_at = Some(now);
            store.set_server_link(&link)?;
            cfg.credential = fresh;
            tracing::info!("device credential renewed");
        }
        Err(Error::CredentialRefused) => return Err(Error::CredentialRefused),
        Err(e) => tracing::warn!(
            code = e.code(),
            "credential renewal failed; trying again later"
        ),
    }
    Ok(cfg)
}

/// Percent-encodes a query value (credentials are URL-safe in practice; this makes sure).
fn encode_query(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn map_ws_error(e: tungstenite::Error) -> Error {
    use tungstenite::Error as E;
    match e {
        E::Http(resp) => match resp.status().as_u16() {
            401 | 403 => Error::CredentialRefused,
            s => Error::HttpStatus(s),
        },
        E::Capacity(_) => Error::MessageTooLarge,
        E::Protocol(p) => Error::Protocol(p.to_string()),
        E::Url(_) => Error::BadServerUrl("unusable socket url".into()),
        // Io, Tls, ConnectionClosed, AlreadyClosed …: the network; worth retrying.
        other => Error::Network(other.to_string()),
    }
}

/// One sync session against the server in `cfg`, then the receipt query.
pub async fn sync_once(
    store: &mut Store,
    cfg: &SyncConfig,
    events: &mut (dyn FnMut(&Event) + Send),
) -> Result<SyncReport> {
    let current = current(store, cfg).await?;
    let cfg = &current;
    let limits = &cfg.limits;
    let mut recovered = None;
    // A recovery left half-way (the app closed, the connection broke) goes on first.
    if store.recovering()? {
        recovered = Some(recover(store, cfg, events).await?);
    }
    let first = timed_session(store, cfg, events).await;
    let (mut report, synced) = match first {
        Err(Error::ChangeRefused(reason)) if recovered.is_none() => {
            // Every later change of ours builds on the refused one: start over from the server's
            // documents under a fresh actor and write our honest records again (see
            // `gridvoice_store::recovery`). Once per sync: a second refusal is reported.
            tracing::warn!(
                reason,
                "the server refused a change of this device; starting over"
            );
            store.begin_recovery()?;
            recovered = Some(recover(store, cfg, events).await?);
            timed_session(store, cfg, events).await?
        }
        other => other?,
    };
    report.recovered = recovered;
    events(&Event::Receipts);
    let (confirmed, pending) = http::confirm_receipts(
        store,
        &http::base_url(&cfg.server)?,
        &cfg.credential,
        &synced,
        limits.connect_timeout,
        &SystemClock,
    )
    .await?;
    // Photos go after their demands: a photo on the server is only ever one a record names.
    let (uploaded, photos_left) = http::upload_photos(
        store,
        &http::base_url(&cfg.server)?,
        &cfg.credential,
        limits.connect_timeout,
        &SystemClock,
    )
    .await?;
    report.receipts_confirmed = confirmed;
    report.photos_uploaded = uploaded;
    report.pending_left = pending + photos_left;
    report.attempts = 1;
    Ok(report)
}

async fn timed_session(
    store: &mut Store,
    cfg: &SyncConfig,
    events: &mut (dyn FnMut(&Event) + Send),
) -> Result<(SyncReport, Vec<DocId>)> {
    tokio::time::timeout(cfg.limits.session_timeout, session(store, cfg, events))
        .await
        .map_err(|_| Error::Timeout)?
}

/// Steps 2 and 3 of a recovery: pull the server's documents, then write this device's records
/// again on top of them.
async fn recover(
    store: &mut Store,
    cfg: &SyncConfig,
    events: &mut (dyn FnMut(&Event) + Send),
) -> Result<gridvoice_store::Recovered> {
    timed_session(store, cfg, events).await?;
    let now = gridvoice_core::clock::Clock::now(&SystemClock);
    Ok(store.finish_recovery(now)?.unwrap_or_default())
}

async fn session(
    store: &mut Store,
    cfg: &SyncConfig,
    events: &mut (dyn FnMut(&Event) + Send),
) -> Result<(SyncReport, Vec<DocId>)> {
    let socket = connect(cfg).await?;
    let (mut sink, mut stream) = socket.split();
    let mut s = Session::new(store, cfg.peer_id.clone(), cfg.server_peer_id.clone())?;
    let mut progress = Progress::default();
    let join = s.join()?;
    progress.bytes_sent += join.len() as u64;
    sink.send(tungstenite::Message::binary(join))
        .await
        .map_err(map_ws_error)?;
    while !s.finished() {
        let next = tokio::time::timeout(cfg.limits.idle_timeout, stream.next()).await;
        let frame = match next {
            Err(_) => return Err(Error::Timeout),
            Ok(None) => return Err(Error::Network("connection closed mid-sync".into())),
            Ok(Some(Err(e))) => return Err(map_ws_error(e)),
            Ok(Some(Ok(frame))) => frame,
        };
        let bytes = match frame {
            tungstenite::Message::Binary(b) => b,
            tungstenite::Message::Text(_) => {
                // The protocol is binary CBOR only; samod closes on text frames too.
                return Err(Error::Protocol("text frame".into()));
            }
            tungstenite::Message::Close(_) => {
                return Err(Error::Network(
                    "server closed the connection mid-sync".into(),
                ));
            }
            // Pings are answered by tungstenite while we read.
            _ => continue,
        };
        progress.bytes_received += bytes.len() as u64;
        for out in s.on_frame(&bytes)? {
            progress.bytes_sent += out.len() as u64;
            sink.send(tungstenite::Message::binary(out))
                .await
                .map_err(map_ws_error)?;
        }
        (progress.documents_done, progress.documents_total) = s.progress();
        events(&Event::Progress(progress.clone()));
    }
    // Our last frames are on the wire before the close frame; a failed close loses nothing.
    let closing = async {
        let _ = sink.close().await;
        while let Some(Ok(_)) = stream.next().await {}
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), closing).await;
    let report = SyncReport {
        documents: s.synced().len(),
        unavailable: s.unavailable(),
        changes_received: s.stats.changes_received,
        records_updated: s.stats.records_updated,
        bytes_sent: progress.bytes_sent,
        bytes_received: progress.bytes_received,
        ..SyncReport::default()
    };
    Ok((report, s.synced()))
}

/// Syncs until one session succeeds: network failures are retried after [`Backoff::delay`];
/// anything else (a refused credential above all) returns at once. `stop` ends the loop with
/// [`Error::Stopped`]; stopping mid-session is safe because every store write is one
/// transaction that happens between awaits.
pub async fn run(
    store: &mut Store,
    cfg: &SyncConfig,
    stop: impl Future<Output = ()>,
    events: &mut (dyn FnMut(&Event) + Send),
) -> Result<SyncReport> {
    let mut stop = std::pin::pin!(stop);
    // A Send rng (the thread-local one is not), so `run` can be spawned on a multi-thread runtime.
    let mut rng = {
        use rand::SeedableRng;
        // Jitter needs spread, not secrecy: without OS randomness, the clock's nanoseconds do.
        rand::rngs::StdRng::try_from_os_rng().unwrap_or_else(|_| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            rand::rngs::StdRng::seed_from_u64(u64::from(nanos))
        })
    };
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        events(&Event::Connecting { attempt });
        let result = tokio::select! {
            r = sync_once(store, cfg, events) => r,
            () = &mut stop => return Err(Error::Stopped),
        };
        match result {
            Ok(mut report) => {
                report.attempts = attempt;
                return Ok(report);
            }
            Err(e) if e.is_retryable() && cfg.backoff.allows(attempt) => {
                let delay = cfg.backoff.delay(attempt, &mut rng);
                tracing::info!(attempt, code = e.code(), ?delay, "sync failed; retrying");
                events(&Event::Retrying {
                    attempt,
                    delay,
                    code: e.code(),
                });
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = &mut stop => return Err(Error::Stopped),
                }
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn socket_url_follows_the_server_scheme() {
        let mut cfg = SyncConfig {
            server: "https://sync.example.cn/".into(),
            credential: Credential::new("c"),
            peer_id: "dev-x".into(),
            server_peer_id: None,
            token_in_query: false,
            limits: Limits::default(),
            backoff: Backoff::default(),
        };
        assert_eq!(cfg.socket_url().unwrap(), "wss://sync.example.cn/sync");
        cfg.server = "http://127.0.0.1:8080".into();
        assert_eq!(cfg.socket_url().unwrap(), "ws://127.0.0.1:8080/sync");
        cfg.server = "ftp://x".into();
        assert_eq!(cfg.socket_url().unwrap_err().code(), "bad_server_url");
        assert!(!format!("{cfg:?}").contains("\"c\""));
    }

    #[test]
    fn only_network_trouble_is_retried() {
        assert!(Error::Network("x".into()).is_retryable());
        assert!(Error::Timeout.is_retryable());
        assert!(Error::HttpStatus(503).is_retryable());
        assert!(!Error::HttpStatus(404).is_retryable());
        assert!(!Error::CredentialRefused.is_retryable());
        assert!(!Error::Protocol("x".into()).is_retryable());
        assert_eq!(Error::CredentialRefused.code(), "credential_refused");
        assert_eq!(encode_query("a b/+"), "a%20b%2F%2B");
    }
}
