//! What the app shell answers besides the request vocabulary: the device's status, enrolment,
//! sync, pending receipts and the territory. The Tauri shell serves these as commands
//! (`status`, `enrol`, `sync_now`, `pending`, `territory`, `request`); the device bridge
//! (`gridvoice ui`, for browsers and tests) serves the same as `POST /device/<command>` with the
//! same JSON. The UI reaches both through one typed module.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::ids::{DelegateId, GridId, StationId};

/// `POST /device/enrol` / command `enrol`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolInput {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`.
    pub server: String,
    /// The one-time enrolment code the office handed out.
    pub code: String,
    #[serde(default)]
    pub device_name: String,
}

/// Where this device stands: shown on the home screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceStatus {
    pub enrolled: bool,
    pub delegate: Option<DelegateId>,
    pub delegate_name: Option<String>,
    pub station: Option<StationId>,
    pub station_name: Option<String>,
    /// The delegate's grids (入格).
    pub grids: Vec<GridId>,
    pub server: Option<String>,
    /// The server answered lately: the last sync reached it, or a reachability check made when
    /// the status was asked (`gridvoice_sync::device::REACH_EVERY`).
    pub online: bool,
    /// Records the server has not yet confirmed.
    pub pending: u32,
    pub last_sync: Option<Timestamp>,
    /// Why the last sync failed, for people (Chinese), with its stable code.
    pub last_error: Option<SyncFailure>,
    /// A sync is running now, with its progress.
    pub syncing: Option<SyncProgress>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncFailure {
    pub code: String,
    pub message: String,
    /// The credential was refused: offer re-enrolment rather than retry.
    pub reenrol: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProgress {
    pub documents_done: u32,
    pub documents_total: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// The outcome of `sync_now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncSummary {
    pub ok: bool,
    pub documents: u32,
    pub changes_received: u32,
    pub receipts_confirmed: u32,
    pub pending_left: u32,
    pub error: Option<SyncFailure>,
    /// Set when the server had refused one of this device's changes and the device started over
    /// (its honest records written again).
    #[serde(default)]
    pub recovered: Option<Recovered>,
}

/// What a device's recovery after a refused change did: records and events written again, and
/// those the authority rule refuses (not written).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovered {
    pub rewritten: u32,
    pub dropped: u32,
}

/// A record not yet confirmed by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingItem {
    pub record: String,
    pub created_at: Timestamp,
}

/// A photo as the UI sends it: the image bytes, base64-encoded (standard alphabet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoInput {
    pub data_base64: String,
}

/// A photo to show, by its name (SHA-256, hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoRef {
    pub hash: String,
}

/// A photo's bytes for display (base64, standard alphabet) and media type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoData {
    pub hash: String,
    pub mime: String,
    pub data_base64: String,
}

/// `POST /device/reset` / command `reset`: wipe the device (its records, photos, credential and
/// identity) so it can be enrolled anew — the one way to move it to another server. Refused with
/// `UNSENT` while the server has not confirmed everything, unless `discard_unsent`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetInput {
    #[serde(default)]
    pub discard_unsent: bool,
}

/// What a reset threw away that the server had not confirmed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetDone {
    pub unsent_records: u32,
    pub unsent_photos: u32,
}

/// A photo stored on the device: its name (SHA-256, hex) for `RecordDemand::attachments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoSaved {
    pub hash: String,
    pub bytes: u64,
    pub mime: String,
}
