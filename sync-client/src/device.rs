//! The device's runtime behind the app shell: one store, its sync, its status. The Tauri commands
//! and the device bridge (`gridvoice ui`) are one-line adapters over [`DeviceService`].
//!
//! The store sits behind an async mutex: a sync session holds it for its duration (the engine
//! reads and writes documents throughout), so a capture made during a sync waits for the session;
//! status and progress are kept apart and answer at once.
//!
//! "Online" is what the server last said, not a guess: a sync that reached it, or, when the
//! status is asked and the last word is older than [`REACH_EVERY`], a `GET /healthz` bounded by
//! [`REACH_TIMEOUT`]. A server that went down after a good sync is "offline" within seconds,
//! not at the next failed sync.

use std::path::Path;
use std::sync::Mutex as StdMutex;
use std::time::{Duration, Instant};

use gridvoice_core::ErrorCode;
use gridvoice_core::api::{ApiError, Request, Response};
use gridvoice_core::clock::{Clock, Timestamp};
use gridvoice_core::device::{
    DeviceStatus, EnrolInput, PendingItem, PhotoData, PhotoInput, PhotoRef, PhotoSaved, ResetDone,
    ResetInput, SyncFailure, SyncProgress, SyncSummary,
};
use gridvoice_core::territory::Territory;
use gridvoice_store::Store;
use gridvoice_store::service::{Ctx, handle};
use gridvoice_store::system::{OsIds, SystemClock};
use tokio::sync::Mutex;

use crate::{Error, Event, Limits, SyncConfig, http, sync_once};

/// Who the device records for, as the store last said (answers while a sync holds the store).
#[derive(Debug, Clone, Default)]
struct Identity {
    enrolled: bool,
    delegate: Option<gridvoice_core::ids::DelegateId>,
    delegate_name: Option<String>,
    station: Option<gridvoice_core::ids::StationId>,
    station_name: Option<String>,
    grids: Vec<gridvoice_core::ids::GridId>,
    server: Option<String>,
}

impl Identity {
    fn of(store: &Store) -> Identity {
        let mut id = Identity::default();
        if let (Some(me), Some(t)) = (store.identity(), store.territory()) {
            id.enrolled = true;
            id.delegate = Some(me.delegate.clone());
            id.station = Some(me.station.clone());
            if let Some(d) = t.delegate(&me.delegate) {
                id.delegate_name = Some(d.name.clone());
                id.grids = d.grids.clone();
            }
            id.station_name = t.station(&me.station).map(|s| s.name.clone());
        }
        id.server = store.server_link().ok().flatten().map(|l| l.server);
        id
    }
}

/// How old the server's last word may be before the status asks again.
pub const REACH_EVERY: Duration = Duration::from_secs(15);
/// The longest a reachability check may hold the status (the home screen waits for it).
pub const REACH_TIMEOUT: Duration = Duration::from_millis(1500);

#[derive(Debug, Default)]
struct SyncInfo {
    identity: Identity,
    last_sync: Option<Timestamp>,
    last_error: Option<SyncFailure>,
    syncing: Option<SyncProgress>,
    online: bool,
    /// When `online` was last learnt from the server (a sync or a reachability check).
    heard_at: Option<Instant>,
    pending: u32,
}

/// Whether the server answers `GET /healthz` within [`REACH_TIMEOUT`].
async fn reachable(server: &str) -> bool {
    let Ok(base) = http::base_url(server) else {
        return false;
    };
    let Ok(client) = http::client(REACH_TIMEOUT) else {
        return false;
    };
    let probe = client.get(format!("{base}/healthz")).send();
    matches!(
        tokio::time::timeout(REACH_TIMEOUT, probe).await,
        Ok(Ok(r)) if r.status().is_success()
    )
}

/// Records and photos the server has not yet confirmed.
fn pending_count(store: &Store) -> Option<u32> {
    let records = store.pending_receipts().ok()?.len();
    let photos = store.photos_to_upload().ok()?.len();
    u32::try_from(records + photos).ok()
}

/// A device: its store and what its syncs have said.
#[derive(Debug)]
pub struct DeviceService {
    store: Mutex<Store>,
    info: StdMutex<SyncInfo>,
    /// Wakes the background loop early (a fresh enrolment syncs at once).
    wake: tokio::sync::Notify,
}

fn failure(e: &Error) -> SyncFailure {
    SyncFailure {
        code: e.code().to_owned(),
        message: e.zh().to_owned(),
        reenrol: matches!(e.code(), "credential_refused" | "credential_missing"),
    }
}

impl DeviceService {
    /// Opens (creating if needed) the device store at `path`.
    pub fn open(path: &Path) -> Result<DeviceService, ApiError> {
        let mut store = Store::open(path).map_err(ApiError::from)?;
        // The credential in the OS keystore where there is one (`store::vault`).
        if let Some(vault) = gridvoice_store::vault::system() {
            store.use_vault(vault).map_err(ApiError::from)?;
        }
        let pending = pending_count(&store).unwrap_or(0);
        let identity = Identity::of(&store);
        Ok(DeviceService {
            store: Mutex::new(store),
            info: StdMutex::new(SyncInfo {
                identity,
                pending,
                ..SyncInfo::default()
            }),
            wake: tokio::sync::Notify::new(),
        })
    }

    fn info(&self) -> std::sync::MutexGuard<'_, SyncInfo> {
        // A poisoned lock only means a panic elsewhere; the info itself is plain data.
        self.info
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Where the device stands (answers at once during a sync; otherwise at most
    /// [`REACH_TIMEOUT`] later, when the server's last word is older than [`REACH_EVERY`]).
    pub async fn status(&self) -> DeviceStatus {
        // During a sync the store is busy; then the figures it last gave answer.
        if let Ok(store) = self.store.try_lock() {
            let identity = Identity::of(&store);
            let pending = pending_count(&store);
            let mut info = self.info();
            info.identity = identity;
            if let Some(n) = pending {
                info.pending = n;
            }
        }
        let ask = {
            let mut i = self.info();
            let stale = i.heard_at.is_none_or(|t| t.elapsed() >= REACH_EVERY);
            match i.identity.server.clone() {
                Some(server) if i.syncing.is_none() && stale => {
                    // Marked now, so that status calls arriving meanwhile do not ask too.
                    i.heard_at = Some(Instant::now());
                    Some(server)
                }
                _ => None,
            }
        };
        if let Some(server) = ask {
            let up = reachable(&server).await;
            let mut i = self.info();
            i.online = up;
            i.heard_at = Some(Instant::now());
        }
        let i = self.info();
        let who = i.identity.clone();
        DeviceStatus {
            enrolled: who.enrolled,
            delegate: who.delegate,
            delegate_name: who.delegate_name,
            station: who.station,
            station_name: who.station_name,
            grids: who.grids,
            server: who.server,
            online: i.online,
            pending: i.pending,
            last_sync: i.last_sync,
            last_error: i.last_error.clone(),
            syncing: i.syncing.clone(),
        }
    }

    /// Binds the device to a delegate with a one-time code from the office.
    pub async fn enrol(&self, input: EnrolInput) -> Result<DeviceStatus, ApiError> {
        {
            let mut store = self.store.lock().await;
            let name = if input.device_name.trim().is_empty() {
                "网格民声终端"
            } else {
                input.device_name.trim()
            };
            // A phone already bound (its credential refused, the office handed out a new code) is
            // bound anew, to the same delegate; its records stay.
            http::enrol(
                &mut store,
                input.server.trim(),
                input.code.trim(),
                name,
                Limits::default().connect_timeout,
                true,
            )
            .await
            .map_err(|e| {
                let code = match &e {
                    Error::EnrolRefused { code, .. } if code == "ENROLMENT_EXPIRED" => {
                        ErrorCode::EnrolmentExpired
                    }
                    Error::EnrolRefused { code, .. } if code == "ENROLMENT_USED" => {
                        ErrorCode::EnrolmentUsed
                    }
                    Error::EnrolRefused { .. } => ErrorCode::EnrolmentInvalid,
                    Error::AlreadyEnrolled | Error::OtherDelegate | Error::OtherServer => {
                        ErrorCode::AlreadyInitialised
                    }
                    Error::BadServerUrl(_) | Error::InsecureServer(_) => ErrorCode::BadRequest,
                    _ => ErrorCode::Internal,
                };
                let message = match &e {
                    Error::EnrolRefused { message, .. } => message.clone(),
                    other => other.zh().to_owned(),
                };
                ApiError::new(code, message)
            })?;
            self.info().identity = Identity::of(&store);
        }
        {
            // The server just answered: online, and the background loop fetches the station's
            // record now rather than at its next tick.
            let mut info = self.info();
            info.last_error = None;
            info.online = true;
            info.heard_at = Some(Instant::now());
        }
        self.wake.notify_one();
        Ok(self.status().await)
    }

    /// Wipes the device (records, photos, credential, identity) so it can be enrolled anew, at
    /// another server: refused with `UNSENT` while the server has not confirmed everything,
    /// unless told to discard it.
    pub async fn reset(&self, input: ResetInput) -> Result<ResetDone, ApiError> {
        let mut store = self.store.lock().await;
        let wiped = store
            .reset_device(input.discard_unsent)
            .map_err(ApiError::from)?;
        let mut info = self.info();
        *info = SyncInfo::default();
        info.identity = Identity::of(&store);
        Ok(ResetDone {
            unsent_records: u32::try_from(wiped.unsent_records).unwrap_or(u32::MAX),
            unsent_photos: u32::try_from(wiped.unsent_photos).unwrap_or(u32::MAX),
        })
    }

    /// Syncs every document now; the answer says what happened, in plain words when it failed.
    pub async fn sync_now(&self) -> SyncSummary {
        let mut store = self.store.lock().await;
        let cfg = match SyncConfig::from_store(&store) {
            Ok(c) => c,
            Err(e) => {
                return SyncSummary {
                    ok: false,
                    documents: 0,
                    changes_received: 0,
                    receipts_confirmed: 0,
                    pending_left: 0,
                    error: Some(failure(&e)),
                    recovered: None,
                };
            }
        };
        self.info().syncing = Some(SyncProgress {
            documents_done: 0,
            documents_total: 0,
            bytes_sent: 0,
            bytes_received: 0,
        });
        let info = &self.info;
        let mut on_event = |e: &Event| {
            if let Event::Progress(p) = e {
                let mut i = info
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                i.syncing = Some(SyncProgress {
                    documents_done: p.documents_done as u32,
                    documents_total: p.documents_total as u32,
                    bytes_sent: p.bytes_sent,
                    bytes_received: p.bytes_received,
                });
            }
        };
        let result = sync_once(&mut store, &cfg, &mut on_event).await;
        let pending = pending_count(&store).unwrap_or(0);
        drop(store);
        let mut i = self.info();
        i.syncing = None;
        i.pending = pending;
        i.heard_at = Some(Instant::now());
        match result {
            Ok(r) => {
                i.online = true;
                i.last_sync = Some(SystemClock.now());
                i.last_error = None;
                SyncSummary {
                    ok: true,
                    documents: r.documents as u32,
                    changes_received: r.changes_received as u32,
                    receipts_confirmed: r.receipts_confirmed as u32,
                    pending_left: r.pending_left as u32,
                    error: None,
                    recovered: r.recovered,
                }
            }
            Err(e) => {
                i.online = false;
                let f = failure(&e);
                i.last_error = Some(f.clone());
                SyncSummary {
                    ok: false,
                    documents: 0,
                    changes_received: 0,
                    receipts_confirmed: 0,
                    pending_left: pending,
                    error: Some(f),
                    recovered: None,
                }
            }
        }
    }

    /// Records the server has not yet confirmed.
    pub async fn pending(&self) -> Result<Vec<PendingItem>, ApiError> {
        let store = self.store.lock().await;
        let items = store.pending_receipts().map_err(ApiError::from)?;
        let photos = store.photos_to_upload().map_err(ApiError::from)?;
        Ok(items
            .into_iter()
            .map(|r| PendingItem {
                record: r.record,
                created_at: r.created_at,
            })
            .chain(photos.into_iter().map(|(hash, at)| PendingItem {
                record: format!("photo:{hash}"),
                created_at: at,
            }))
            .collect())
    }

    /// Stores a photo on the device (checked: JPEG, PNG or WebP, at most 8 MB). It is uploaded
    /// once a saved demand names it; a photo whose form was abandoned never leaves the device.
    pub async fn put_photo(&self, input: PhotoInput) -> Result<PhotoSaved, ApiError> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(input.data_base64.trim())
            .map_err(|_| ApiError::new(ErrorCode::InvalidPhoto, "照片数据无法读取"))?;
        let mime = gridvoice_core::capture::check_photo(&bytes)
            .map_err(ApiError::from)?
            .to_owned();
        let store = self.store.lock().await;
        let hash = store
            .put_photo(&bytes, None, SystemClock.now())
            .map_err(ApiError::from)?;
        drop(store);
        Ok(PhotoSaved {
            hash,
            bytes: bytes.len() as u64,
            mime,
        })
    }

    /// A photo to show: from this device, else fetched once from the server (its station's
    /// people and the office may read it) and kept here.
    pub async fn photo(&self, input: PhotoRef) -> Result<PhotoData, ApiError> {
        use base64::Engine as _;
        let hash = input.hash.trim().to_ascii_lowercase();
        if !gridvoice_core::capture::is_photo_hash(&hash) {
            return Err(ApiError::new(ErrorCode::InvalidPhoto, "照片编号格式不正确"));
        }
        let encode = |p: gridvoice_store::Photo| PhotoData {
            hash: p.hash,
            mime: p.mime,
            data_base64: base64::engine::general_purpose::STANDARD.encode(&p.bytes),
        };
        let link = {
            let store = self.store.lock().await;
            if let Some(p) = store.photo(&hash).map_err(ApiError::from)? {
                return Ok(encode(p));
            }
            store.server_link().map_err(ApiError::from)?
        };
        let Some(link) = link else {
            return Err(ApiError::new(ErrorCode::NotFound, "本机没有这张照片"));
        };
        let fetched = http::download_photo(
            &link.server,
            &link.credential,
            &hash,
            Limits::default().connect_timeout,
        )
        .await
        .map_err(|e| match e {
            Error::CredentialRefused => ApiError::new(ErrorCode::Unauthorized, e.zh()),
            _ => ApiError::new(
                ErrorCode::Offline,
                "照片还没有下载到本机，联网后再打开即可查看",
            ),
        })?;
        let Some(bytes) = fetched else {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                "服务器上还没有这张照片（拍照的代表可能尚未同步）",
            ));
        };
        let store = self.store.lock().await;
        store
            .keep_fetched_photo(&hash, &bytes, SystemClock.now())
            .map_err(ApiError::from)?;
        let photo = store
            .photo(&hash)
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "照片保存失败"))?;
        Ok(encode(photo))
    }

    /// The territory this device works in (for the map and point → grid).
    pub async fn territory(&self) -> Result<Territory, ApiError> {
        let store = self.store.lock().await;
        store
            .territory()
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::NotInitialised, "本设备尚未绑定代表身份"))
    }

    /// One request of the vocabulary, against the device's own store.
    pub async fn request(&self, req: Request) -> Result<Response, ApiError> {
        let mut store = self.store.lock().await;
        let clock = SystemClock;
        let mut ids = OsIds;
        let mut ctx = Ctx {
            clock: &clock,
            ids: &mut ids,
        };
        let out = handle(&mut store, &mut ctx, req);
        if out.is_ok() {
            self.info().pending = store
                .pending_receipts()
                .map(|p| p.len() as u32)
                .unwrap_or(0);
        }
        out
    }

    /// Syncs in the background every `every` while `stop` is not done; failures wait for the next
    /// round (the status says why).
    pub async fn background(&self, every: Duration, stop: impl Future<Output = ()>) {
        let mut stop = std::pin::pin!(stop);
        loop {
            let enrolled = self
                .store
                .lock()
                .await
                .server_link()
                .ok()
                .flatten()
                .is_some();
            if enrolled {
                let _ = self.sync_now().await;
            }
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(every) => {}
                () = self.wake.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod send_check {
    fn is_send<T: Send>(_: &T) {}
    #[allow(dead_code, reason = "compile-time check only")]
    fn futures_are_send(s: &super::DeviceService) {
        is_send(&s.status());
        is_send(&s.sync_now());
        is_send(&s.request(gridvoice_core::api::Request::ListVisits {
            limit: None,
            offset: None,
        }));
        is_send(&s.pending());
        is_send(&s.put_photo(gridvoice_core::device::PhotoInput {
            data_base64: String::new(),
        }));
        is_send(&s.territory());
        is_send(&s.enrol(gridvoice_core::device::EnrolInput {
            server: String::new(),
            code: String::new(),
            device_name: String::new(),
        }));
    }
}

#[cfg(test)]
mod tests;
