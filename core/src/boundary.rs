//! The bodies that cross the HTTP boundary between a device and the server, spelled once: the
//! server answers with them, the device sync engine reads them, and the OpenAPI document is
//! generated from them (feature `openapi`). Also the device's [`Credential`], a secret that never
//! prints, and the device commands ([`DeviceCommand`]).
//!
//! ```
//! use gridvoice_core::boundary::{Credential, EnrolRequest};
//! let req: EnrolRequest = serde_json::from_str(r#"{"code":"AB12-CD34-EF56"}"#).unwrap();
//! assert_eq!(req.device_name, "");
//! let c = Credential::new("gv1.secret");
//! assert_eq!(format!("{c:?} {c}"), "Credential(…) Credential(…)");
//! assert_eq!(serde_json::to_string(&c).unwrap(), r#""gv1.secret""#);
//! ```

mod admin;
mod command;

pub use admin::{
    DeviceEntry, Enrolment, FileReport, FileUpload, NewEnrolment, TerritoryReport, TerritoryUpload,
};

use serde::{Deserialize, Serialize};

pub use crate::limits::MAX_SYNC_MESSAGE_BYTES;

use crate::access::{Person, Role};
use crate::ids::{DeviceId, DocId, StationId};
use crate::territory::Territory;

pub use command::DeviceCommand;

/// A device credential (`gv1.…`, 256 bits). `Debug` and `Display` never show it; it travels as a
/// plain JSON string. Read it with [`Credential::expose`] only where it is sent or hashed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Credential(String);

impl Credential {
    pub fn new(secret: impl Into<String>) -> Self {
        Credential(secret.into())
    }

    /// The secret itself: for an `Authorization` header, a query the user asked for, or hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(…)")
    }
}

impl std::fmt::Display for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(…)")
    }
}

/// `POST /api/enrol`: a one-time enrolment code for a device credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolRequest {
    /// The code the office handed out (Crockford base32, dashes optional).
    pub code: String,
    /// A name for the device, shown in the office's device list.
    #[serde(default)]
    pub device_name: String,
}

/// The answer to a redeemed enrolment code: who the device now acts for, and its credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolResponse {
    pub device: DeviceId,
    /// The peer id the device must use on the sync socket (`dev-<device>`).
    pub peer_id: String,
    pub credential: Credential,
    /// `{"kind": "delegate", "id": "<delegate id>"}` or `{"kind": "staff", "id": "<staff id>"}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub person: Person,
    /// `delegate`, `station_head`, `office` or `admin`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub role: Role,
    pub station: Option<StationId>,
    /// The street's territory (grids, communities, stations, delegates …) as the device keeps it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub territory: Territory,
    /// The server's own peer id on the sync socket. Always sent by this server; a device accepts
    /// its absence (it then trusts the server's `peer` message).
    #[serde(default)]
    pub server_peer_id: Option<String>,
    /// This server's own identity (a random id made once, when its data was initialised). A
    /// device pins it at its first enrolment: enrolling again at another server takes an explicit
    /// reset that wipes the device's copies first.
    #[serde(default)]
    pub server_id: Option<String>,
}

/// `POST /api/renew`: a device's new credential (the old one is taken until this one is used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenewResponse {
    pub credential: Credential,
}

/// `POST /api/session`: a browser redeems a one-time code for a session (station heads and the
/// office at their desks). The credential goes into an `HttpOnly` cookie, never into the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionRequest {
    /// The code the office handed out (Crockford base32, dashes optional).
    pub code: String,
    /// A name for the session, shown in the office's device list (for example "站长办公室电脑").
    #[serde(default)]
    pub name: String,
}

/// Who a browser session acts for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionView {
    /// The session's id: listed and revoked with the devices.
    pub session: DeviceId,
    /// `{"kind": "delegate", "id": "<delegate id>"}` or `{"kind": "staff", "id": "<staff id>"}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub person: Person,
    /// `delegate`, `station_head`, `office` or `admin`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub role: Role,
    pub station: Option<StationId>,
    /// Days without use after which the session ends.
    pub idle_days: u32,
}

/// `POST /api/receipts`: which of these changes of one document the server has committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptsRequest {
    pub doc: DocId,
    /// Automerge change hashes (hex); at most 10,000 per query.
    pub hashes: Vec<String>,
}

/// The hashes of the query the server has committed (a subset of what was asked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptsResponse {
    pub committed: Vec<String>,
}

/// `PUT /api/photos/{hash}`: the photo is stored under this name (again: nothing changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoStored {
    /// SHA-256 of the bytes, lowercase hex.
    pub hash: String,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The server's peer id on the sync socket.
    pub peer_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_never_prints_and_travels_as_a_plain_string() {
        let c = Credential::new("gv1.0123456789abcdef");
        for shown in [format!("{c:?}"), format!("{c}"), format!("{c:#?}")] {
            assert!(!shown.contains("0123"), "{shown}");
        }
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#""gv1.0123456789abcdef""#);
        assert_eq!(serde_json::from_str::<Credential>(&json).unwrap(), c);
        assert_eq!(c.expose(), "gv1.0123456789abcdef");
    }

    #[test]
    fn an_enrol_answer_in_a_log_shows_no_credential() {
        let answer = EnrolResponse {
            device: DeviceId(uuid::Uuid::from_u128(1)),
            peer_id: "dev-1".into(),
            credential: Credential::new("gv1.topsecret"),
            person: Person::Delegate("D01".into()),
            role: Role::Delegate,
            station: Some("S01".into()),
            territory: crate::territory::sample::small(),
            server_peer_id: Some("server".into()),
            server_id: Some("3f9c".into()),
        };
        assert!(!format!("{answer:?}").contains("topsecret"));
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(json["credential"], "gv1.topsecret");
        let back: EnrolResponse = serde_json::from_value(json).unwrap();
        assert_eq!(back, answer);
    }

    #[test]
    fn an_enrol_answer_without_the_server_peer_id_still_reads() {
        let mut json = serde_json::to_value(EnrolResponse {
            device: DeviceId(uuid::Uuid::from_u128(1)),
            peer_id: "dev-1".into(),
            credential: Credential::new("c"),
            person: Person::Delegate("D01".into()),
            role: Role::Delegate,
            station: Some("S01".into()),
            territory: crate::territory::sample::small(),
            server_peer_id: None,
            server_id: None,
        })
        .unwrap();
        json.as_object_mut().unwrap().remove("server_peer_id");
        let back: EnrolResponse = serde_json::from_value(json).unwrap();
        assert_eq!(back.server_peer_id, None);
    }
}
