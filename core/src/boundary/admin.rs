//! The bodies of the office's administration over HTTP (`/api/admin/*`): one-time enrolment
//! codes to hand out (with a QR code to print), and the devices and browser sessions enrolled.

use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::ids::DeviceId;

/// A one-time code asked for: a delegate (as delegate or station head) or a staff member (as
/// office or admin), valid for `ttl_hours` (72 when not given, at most 30 days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewEnrolment {
    #[serde(default)]
    pub delegate: Option<String>,
    #[serde(default)]
    pub staff: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub role: Role,
    #[serde(default)]
    pub ttl_hours: Option<u32>,
}

/// A code made: shown once, to print or read out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enrolment {
    pub code: String,
    /// Who it enrols, in words (姓名 · 角色 · 工作站).
    pub who: String,
    /// Unix ms after which the code no longer works.
    pub expires_at: i64,
    /// What the QR code holds: `{"server": …, "code": …}`, for the app's enrol page.
    pub payload: String,
    /// The QR code as an SVG image.
    pub qr_svg: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("who", &self.who)
            .finish_non_exhaustive()
    }
}

/// A device or browser session the server knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceEntry {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub device: DeviceId,
    /// A browser session rather than a device.
    pub browser: bool,
    /// The person's code (delegate or staff).
    pub person: String,
    /// Their name from the territory, or the code.
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub role: Role,
    #[serde(default)]
    pub station: Option<String>,
    /// What the device was called at enrolment.
    pub device_name: String,
    pub enrolled_at: i64,
    #[serde(default)]
    pub revoked_at: Option<i64>,
}

/// A territory to check or install: the five GeoJSON files and `organisation.json`, as the
/// admin command reads them from a directory (`quarters` optional; `gcj02` when the files are in
/// the datum of Chinese basemaps).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerritoryUpload {
    pub street: String,
    pub communities: String,
    #[serde(default)]
    pub quarters: Option<String>,
    pub grids: String,
    pub stations: String,
    pub organisation: String,
    #[serde(default)]
    pub gcj02: bool,
}

impl std::fmt::Debug for TerritoryUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerritoryUpload")
            .field("grids_bytes", &self.grids.len())
            .finish_non_exhaustive()
    }
}

/// What a territory check found: the counts of what the files hold, or every problem, each
/// naming its features. `installed` when it was also made the server's territory.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerritoryReport {
    pub installed: bool,
    pub grids: usize,
    pub communities: usize,
    pub quarters: usize,
    pub stations: usize,
    pub delegates: usize,
    pub units: usize,
    pub problems: Vec<String>,
}

/// One of the office's text files (the working-day calendar, the time limits).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileUpload {
    pub text: String,
}

impl std::fmt::Debug for FileUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileUpload")
            .field("bytes", &self.text.len())
            .finish()
    }
}

/// What installing an office's file did: installed with a summary, or every problem.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileReport {
    pub installed: bool,
    pub summary: String,
    pub problems: Vec<String>,
}
