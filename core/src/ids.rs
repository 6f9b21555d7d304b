//! Identifier newtypes.
//!
//! Records made in the field (visits, demands, suggestions, events, contacts, devices) carry a UUIDv7
//! made on the device *before* the record is stored, so a record keeps its identity across every
//! replica without a server round trip. Territory objects (grids, communities, stations, delegates …)
//! are named by the office with stable codes, so their ids are strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::{IdSource, Timestamp};

macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh time-ordered id (UUIDv7) from the given id source.
            pub fn new(ids: &mut dyn IdSource, now: Timestamp) -> Self {
                Self(ids.next_uuid(now))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

macro_rules! code_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(code: impl Into<String>) -> Self {
                Self(code.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

record_id!(
    /// A voter-contact visit 联系选民活动.
    VisitId
);
record_id!(
    /// A resident's demand 诉求.
    DemandId
);
record_id!(
    /// A delegate suggestion 代表建议 formed by a station head.
    SuggestionId
);
record_id!(
    /// One entry of a record's append-only workflow event list.
    EventId
);
record_id!(
    /// A resident contact (name, phone, consent) in a delegate's contacts document.
    ContactId
);
record_id!(
    /// A device (phone, laptop, server) that writes changes; Automerge actor ids are bound to it.
    DeviceId
);
record_id!(
    /// An Automerge document (a station document or a delegate's contacts document).
    DocId
);

code_id!(
    /// A grid 网格, named by its 15-digit code (6 admin + 3 street + 3 community + 3 grid).
    GridId
);
code_id!(
    /// A community 社区.
    CommunityId
);
code_id!(
    /// A residential quarter 居民小区.
    QuarterId
);
code_id!(
    /// A delegate work station 代表工作站.
    StationId
);
code_id!(
    /// A people's-congress delegate 人大代表.
    DelegateId
);
code_id!(
    /// A community's 12345 workroom 接诉即办工作室.
    WorkroomId
);
code_id!(
    /// A unit that handles suggestions (street department, district body, city level).
    HandlingUnitId
);
code_id!(
    /// A person with an account who is not a delegate (office staff).
    StaffId
);

/// The namespace for document ids derived from territory objects (UUIDv5 names).
const DOC_NAMESPACE: Uuid = Uuid::from_u128(0x6772_6964_766f_6963_6500_0000_0000_0001);

impl DocId {
    /// The id of a station's document. Derived, not random, so that every device of the station
    /// agrees on it before it has ever synced.
    pub fn for_station(station: &StationId) -> Self {
        Self(Uuid::new_v5(
            &DOC_NAMESPACE,
            format!("station/{}", station.0).as_bytes(),
        ))
    }

    /// The id of a delegate's contacts document.
    pub fn for_contacts(delegate: &DelegateId) -> Self {
        Self(Uuid::new_v5(
            &DOC_NAMESPACE,
            format!("contacts/{}", delegate.0).as_bytes(),
        ))
    }
}

impl DeviceId {
    /// The Automerge actor id of this device: its 16 id bytes, so that every change names the
    /// device that wrote it.
    pub fn actor(&self) -> automerge::ActorId {
        automerge::ActorId::from(self.0.as_bytes().as_slice())
    }
}
