//! Gridvoice's sync server: enrolment and device credentials, the automerge-repo sync protocol
//! (samod) with per-document authorisation, the station and office views over HTTP, metrics.
//!
//! Layers (outermost first): tracing, request body limit, timeout; then each route authenticates
//! its caller itself (the sync route before the WebSocket upgrade).

pub mod admin;
pub mod auth;
pub mod credentials;
pub mod entry;
pub mod events;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod policy;
pub mod registers;
pub mod session;
pub mod storage;
pub mod ws;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridvoice_core::access::Principal;
use gridvoice_core::boundary::Credential;
use gridvoice_core::ids::{DeviceId, DocId};
use gridvoice_core::territory::Territory;
use gridvoice_store::Store;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::auth::AuthDb;
use crate::metrics::Metrics;
use crate::policy::{Acl, AclTable};
use crate::storage::StoreStorage;

/// The server's errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("store: {0}")]
    Store(#[from] gridvoice_store::Error),
    #[error("auth: {0}")]
    Auth(#[from] auth::AuthError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("the data directory {0} is not initialised (run `gridvoice-server init`)")]
    NotInitialised(PathBuf),
    #[error("the sync repo stopped")]
    Stopped,
    /// A calendar file that does not pass its check: every problem, by line, in Chinese.
    #[error("工作日历文件有误：{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("；"))]
    Calendar(Vec<gridvoice_core::calendar::Problem>),
    /// A time-limits file that does not pass its check: every problem, in Chinese.
    #[error("时限规定文件有误：{}", .0.join("；"))]
    Policy(Vec<String>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    /// Largest WebSocket message and HTTP body accepted.
    pub max_message_bytes: usize,
    pub max_body_bytes: usize,
    /// How often revocations made by the admin commands are picked up.
    pub revocation_poll: Duration,
    /// The station and office pages (a built `dist-station/`), served at `/` when set.
    pub pages_dir: Option<PathBuf>,
    /// The clock the request service reads: the day decisions are dated and deadlines counted.
    pub clock: ServiceClock,
    /// Accept the credential in the sync URL's `?token=` too: only for browser-style clients
    /// (the stock automerge-repo client cannot set headers). Off by default: a URL reaches logs
    /// and proxies more easily than a header.
    pub browser_tokens: bool,
    /// Operations and inflated bytes a device's sync message may carry, counted before any change
    /// in it is decoded (`core::limits`).
    pub change_bounds: gridvoice_store::chunks::measure::Bounds,
    /// A sync socket on which the device sends nothing this long is closed.
    pub sync_idle: Duration,
    /// A sync socket is closed after this long whatever it does (the device connects again, with
    /// its credential checked again).
    pub sync_session: Duration,
    /// Sync sockets open at once, in all and for one device.
    pub max_connections: usize,
    pub max_device_connections: usize,
    /// Requests (and sync sockets) one authenticated device may make.
    pub request_rate: limits::Rate,
    /// Failed enrolments one source address may make.
    pub failed_enrolment_rate: limits::Rate,
    /// Photo bytes one device may upload in a day.
    pub photo_quota: u64,
    /// A document is compacted once this many changes are stored beside its snapshot.
    pub compact_after: usize,
}

/// The request service's clock: the system's, moved by an offset that tests (and a demo that
/// replays a past season) set; sessions and enrolment codes always use the system clock.
#[derive(Debug, Clone, Default)]
pub struct ServiceClock {
    offset_ms: Arc<std::sync::atomic::AtomicI64>,
}

impl ServiceClock {
    /// From now on the service reads `at` as now (and time runs on from there).
    pub fn set(&self, at: gridvoice_core::clock::Timestamp) {
        let now = gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock);
        self.offset_ms
            .store(at.0 - now.0, std::sync::atomic::Ordering::SeqCst);
    }
}

impl gridvoice_core::clock::Clock for ServiceClock {
    fn now(&self) -> gridvoice_core::clock::Timestamp {
        let now = gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock);
        gridvoice_core::clock::Timestamp(
            now.0 + self.offset_ms.load(std::sync::atomic::Ordering::SeqCst),
        )
    }
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>, bind: SocketAddr) -> Config {
        Config {
            data_dir: data_dir.into(),
            bind,
            max_message_bytes: gridvoice_core::boundary::MAX_SYNC_MESSAGE_BYTES,
            max_body_bytes: gridvoice_core::limits::MAX_BODY_BYTES,
            revocation_poll: Duration::from_millis(500),
            pages_dir: None,
            clock: ServiceClock::default(),
            browser_tokens: false,
            change_bounds: gridvoice_store::chunks::measure::Bounds::default(),
            sync_idle: gridvoice_core::limits::SYNC_IDLE,
            sync_session: gridvoice_core::limits::SYNC_SESSION,
            max_connections: gridvoice_core::limits::MAX_CONNECTIONS,
            max_device_connections: gridvoice_core::limits::MAX_DEVICE_CONNECTIONS,
            request_rate: limits::Rate::REQUESTS,
            failed_enrolment_rate: limits::Rate::FAILED_ENROLMENTS,
            photo_quota: gridvoice_core::limits::MAX_PHOTO_BYTES_PER_DAY as u64,
            compact_after: 2_000,
        }
    }
}

pub fn store_path(dir: &Path) -> PathBuf {
    dir.join("store.sqlite")
}

/// The office's working-day calendar, when it gave one (`gridvoice-server calendar FILE`).
pub fn calendar_path(dir: &Path) -> PathBuf {
    dir.join("calendar.csv")
}

/// Checks a calendar file and, when it passes, makes it the one this server counts deadlines on
/// (from its next start). A file that fails changes nothing.
pub fn import_calendar(dir: &Path, text: &str) -> Result<gridvoice_core::calendar::Calendar> {
    if !store_path(dir).exists() {
        return Err(Error::NotInitialised(dir.to_owned()));
    }
    let calendar = gridvoice_core::calendar::Calendar::parse(text).map_err(Error::Calendar)?;
    let path = calendar_path(dir);
    let part = path.with_extension("csv.part");
    std::fs::write(&part, text)?;
    std::fs::rename(&part, &path)?;
    Ok(calendar)
}

/// The office's calendar in the data directory, checked; `None` when it gave none.
pub fn load_calendar(dir: &Path) -> Result<Option<gridvoice_core::calendar::Calendar>> {
    let path = calendar_path(dir);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)?;
    gridvoice_core::calendar::Calendar::parse(&text)
        .map(Some)
        .map_err(Error::Calendar)
}

/// The office's time limits per stage, when it gave them (`gridvoice-server policy FILE`).
pub fn policy_path(dir: &Path) -> PathBuf {
    dir.join("policy.json")
}

/// Checks a time-limits file and, when it passes, makes it the one this server counts stages by
/// (from its next start). A file that fails changes nothing.
pub fn import_policy(dir: &Path, text: &str) -> Result<gridvoice_core::deadline::Policy> {
    if !store_path(dir).exists() {
        return Err(Error::NotInitialised(dir.to_owned()));
    }
    let policy = gridvoice_core::deadline::Policy::parse(text).map_err(Error::Policy)?;
    let path = policy_path(dir);
    let part = path.with_extension("json.part");
    std::fs::write(&part, text)?;
    std::fs::rename(&part, &path)?;
    Ok(policy)
}

/// The office's time limits in the data directory, checked; `None` when it gave none.
pub fn load_policy(dir: &Path) -> Result<Option<gridvoice_core::deadline::Policy>> {
    let path = policy_path(dir);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)?;
    gridvoice_core::deadline::Policy::parse(&text)
        .map(Some)
        .map_err(Error::Policy)
}

pub fn auth_path(dir: &Path) -> PathBuf {
    dir.join("auth.sqlite")
}

/// Shared state of the running server.
pub struct AppInner {
    pub config: Config,
    pub store: Arc<Mutex<Store>>,
    pub auth: Arc<AuthDb>,
    pub territory: Arc<Territory>,
    pub metrics: Arc<Metrics>,
    pub acl: watch::Sender<Arc<AclTable>>,
    pub repo: samod::Repo,
    pub acceptor: samod::AcceptorHandle,
    pub peer_id: String,
    /// The actor of what the server itself writes (requests served over HTTP): fresh at every
    /// start, so a restored backup can never reuse a sequence number devices have already seen.
    pub actor: automerge::ActorId,
    /// Each document the store has just committed changes of (`events`: pages watching a
    /// station's inbox are told at once).
    pub changed: tokio::sync::broadcast::Sender<DocId>,
    /// Raised when storage can no longer be trusted: `/healthz` fails and `serve` exits.
    pub fatal: storage::Fatal,
    cancels: Mutex<HashMap<DeviceId, CancellationToken>>,
    /// Sync sockets open (`Config::max_connections`).
    pub connections: Arc<limits::Connections>,
    /// Each authenticated device's requests and sync sockets (`Config::request_rate`).
    pub requests: limits::Buckets<DeviceId>,
    /// This server's identity, made once with its data (devices pin it at enrolment).
    pub server_id: String,
    /// Failed enrolments by the socket's peer address (`Config::failed_enrolment_rate`).
    pub failed_enrolments: limits::Buckets<std::net::IpAddr>,
}

impl std::fmt::Debug for AppInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppInner")
            .field("peer_id", &self.peer_id)
            .finish_non_exhaustive()
    }
}

pub type App = Arc<AppInner>;

impl AppInner {
    /// Why the server is not healthy: storage raised [`storage::Fatal`], the store's lock is
    /// poisoned, or the store does not answer.
    pub fn unhealthy(&self) -> Option<&'static str> {
        if let Some(why) = self.fatal.reason() {
            return Some(why);
        }
        match self.store.lock() {
            Err(_) => Some("the store lock is poisoned"),
            Ok(s) => s.check().err().map(|_| "the store does not answer"),
        }
    }

    /// The device a credential belongs to (not revoked), checked off the async threads.
    pub async fn authenticate(self: &Arc<Self>, credential: Credential) -> Option<Principal> {
        let auth = self.auth.clone();
        tokio::task::spawn_blocking(move || auth.authenticate(credential.expose()).ok().flatten())
            .await
            .ok()
            .flatten()
    }

    /// The token that ends a device's sync sockets when it is revoked.
    pub fn cancel_token(&self, device: &DeviceId) -> CancellationToken {
        match self.cancels.lock() {
            Ok(mut m) => m.entry(*device).or_default().clone(),
            Err(_) => CancellationToken::new(),
        }
    }

    pub fn is_document(&self, id: &DocId) -> bool {
        self.acl.borrow().has_document(id)
    }

    /// Re-reads the active devices; revoked ones lose access at once and their sockets close.
    pub fn refresh_devices(&self) -> Result<()> {
        let active = self.auth.active()?;
        let table = AclTable::new(self.territory.clone(), active.clone());
        self.acl.send_replace(Arc::new(table));
        if let Ok(mut cancels) = self.cancels.lock() {
            let live: std::collections::HashSet<DeviceId> =
                active.iter().map(|p| p.device).collect();
            cancels.retain(|device, token| {
                if live.contains(device) {
                    true
                } else {
                    token.cancel();
                    false
                }
            });
        }
        Ok(())
    }

    /// Runs a closure on the store off the async threads.
    pub async fn with_store<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Store) -> T + Send + 'static,
    ) -> Option<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.lock().ok().map(|mut s| f(&mut s)))
            .await
            .ok()
            .flatten()
    }
}

/// A server that is running.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub app: App,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets in-flight requests and storage commits finish, then returns.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
        self.app.repo.stop().await;
    }
}

/// Creates a data directory for a territory: the store with every station's and delegate's
/// document, and an empty credential database. Refuses a directory that already has a store.
pub fn init_data(dir: &Path, territory: &Territory) -> Result<usize> {
    if store_path(dir).exists() {
        return Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} is already initialised", dir.display()),
        )));
    }
    territory
        .check_references()
        .map_err(gridvoice_store::Error::from)?;
    std::fs::create_dir_all(dir)?;
    let mut store = Store::open(store_path(dir))?;
    store.set_server_territory(territory.clone())?;
    let seeded = store.seed_documents(territory)?;
    AuthDb::open(&auth_path(dir))?;
    Ok(seeded)
}

/// Opens the data directory: the store (with its territory) and the auth database.
pub fn open_data(dir: &Path) -> Result<(Store, AuthDb, Territory)> {
    let store_file = store_path(dir);
    if !store_file.exists() {
        return Err(Error::NotInitialised(dir.to_owned()));
    }
    let mut store = Store::open(&store_file)?;
    let territory = store
        .territory()
        .cloned()
        .ok_or_else(|| Error::NotInitialised(dir.to_owned()))?;
    if let Some(calendar) = load_calendar(dir)? {
        store.set_calendar(calendar);
    }
    if let Some(policy) = load_policy(dir)? {
        store.set_policy(policy);
    }
    let auth = AuthDb::open(&auth_path(dir))?;
    Ok((store, auth, territory))
}

/// The server's identity: a random id kept in its store, made the first time it is asked for.
fn server_id(store: &Store) -> Result<String> {
    if let Some(id) = store.meta("server_id")? {
        return Ok(id);
    }
    let now = gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock);
    let id = gridvoice_core::clock::IdSource::next_uuid(&mut gridvoice_store::system::OsIds, now)
        .to_string();
    store.set_meta("server_id", &id)?;
    Ok(id)
}

/// Builds the server's state from its data directory: store, credentials, share policy, sync repo.
pub async fn build(config: Config) -> Result<App> {
    let rates = (config.request_rate, config.failed_enrolment_rate);
    let (mut store, auth, territory) = open_data(&config.data_dir)?;
    store.set_compact_after(config.compact_after);
    let server_id = server_id(&store)?;
    let store = Arc::new(Mutex::new(store));
    let auth = Arc::new(auth);
    let territory = Arc::new(territory);
    let metrics = Arc::new(Metrics::default());
    let (acl_tx, acl_rx) =
        watch::channel(Arc::new(AclTable::new(territory.clone(), auth.active()?)));
    let peer_id = "gridvoice-server".to_owned();
    let (changed, _) = tokio::sync::broadcast::channel(256);
    let fatal = storage::Fatal::default();
    let repo = samod::Repo::build_tokio()
        .with_storage(StoreStorage::new(
            store.clone(),
            metrics.clone(),
            changed.clone(),
            fatal.clone(),
        ))
        .with_peer_id(samod::PeerId::from(peer_id.as_str()))
        .with_share_policy(Acl::new(acl_rx))
        .load()
        .await;
    let url = samod::Url::parse("ws://gridvoice/sync")
        .map_err(|e| Error::Io(std::io::Error::other(e)))?;
    let acceptor = repo.make_acceptor(url).map_err(|_| Error::Stopped)?;
    Ok(Arc::new(AppInner {
        config,
        store,
        auth,
        territory,
        metrics,
        acl: acl_tx,
        repo,
        acceptor,
        peer_id,
        actor: automerge::ActorId::random(),
        changed,
        fatal,
        cancels: Mutex::new(HashMap::new()),
        connections: Arc::new(limits::Connections::default()),
        requests: limits::Buckets::new(rates.0),
        failed_enrolments: limits::Buckets::new(rates.1),
        server_id,
    }))
}

/// Starts the server on `config.bind` (port 0 picks a free one).
pub async fn start(config: Config) -> Result<Running> {
    let bind = config.bind;
    let app = build(config).await?;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    // Revocations made by `gridvoice-server devices revoke` (another process) reach us here.
    {
        let app = app.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(app.config.revocation_poll);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => {
                        let a = app.clone();
                        let _ = tokio::task::spawn_blocking(move || a.refresh_devices()).await;
                    }
                }
            }
        });
    }
    let router = http::router(app.clone());
    let stop = shutdown.clone();
    // Sync is many small request/response messages: Nagle's algorithm would hold each reply back
    // for the peer's delayed ACK (~40 ms a round).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let task = tokio::spawn(async move {
        let serve = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { stop.cancelled().await });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    tracing::info!(%addr, "gridvoice-server listening");
    Ok(Running {
        addr,
        app,
        shutdown,
        task,
    })
}
