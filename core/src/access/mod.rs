//! Who may read and write which document. Pure rules; the sync server enforces them at the
//! connection (a peer can neither request nor receive a document it may not read, and changes from a
//! peer without write right are never applied).
//!
//! | role | own station document | other station documents | own contacts | contacts of the station's delegates | other contacts |
//! | --- | --- | --- | --- | --- | --- |
//! | delegate | read/write | — | read/write | — | — |
//! | station head | read/write | — | read/write | read | — |
//! | office staff | read/write (all stations) | read/write | read | read | read |
//! | admin | — | — | — | — | — |
//!
//! Within a document, *what* a writer may add — which records, which event kinds on which records —
//! is the authority rule of [`authority`], enforced before writing, where changes enter the server,
//! and in derivation on every replica.

pub mod authority;
pub mod changes;

pub use authority::{Author, Refusal, Target, admitted, may_append, may_put};

use serde::{Deserialize, Serialize};

use crate::doc::DocKind;
use crate::ids::{DelegateId, DeviceId, StaffId, StationId};
use crate::territory::Territory;

/// What a person does in the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Delegate,
    StationHead,
    Office,
    Admin,
}

impl Role {
    pub fn zh(self) -> &'static str {
        match self {
            Role::Delegate => "代表",
            Role::StationHead => "站长",
            Role::Office => "代表工作室",
            Role::Admin => "管理员",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "delegate" => Some(Role::Delegate),
            "station_head" => Some(Role::StationHead),
            "office" => Some(Role::Office),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Role::Delegate => "delegate",
            Role::StationHead => "station_head",
            Role::Office => "office",
            Role::Admin => "admin",
        }
    }
}

/// The person a device acts for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Person {
    Delegate(DelegateId),
    Staff(StaffId),
}

/// An authenticated device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub device: DeviceId,
    pub person: Person,
    pub role: Role,
    /// Delegates and heads belong to a station.
    pub station: Option<StationId>,
}

/// What a principal may do with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    None,
    ReadOnly,
    ReadWrite,
}

impl Access {
    pub fn can_read(self) -> bool {
        self != Access::None
    }

    pub fn can_write(self) -> bool {
        self == Access::ReadWrite
    }
}

/// The access rule. `owner` is the station code of a station document or the delegate code of a
/// contacts document.
pub fn access(p: &Principal, kind: DocKind, owner: &str, territory: &Territory) -> Access {
    let own_delegate = match &p.person {
        Person::Delegate(d) => Some(d),
        Person::Staff(_) => None,
    };
    let own_station = p.station.as_ref().map(StationId::as_str);
    match (p.role, kind) {
        (Role::Admin, _) => Access::None,
        (Role::Office, DocKind::Station) => Access::ReadWrite,
        (Role::Office, DocKind::Contacts) => Access::ReadOnly,
        (Role::Delegate | Role::StationHead, DocKind::Station) => {
            if own_station == Some(owner) {
                Access::ReadWrite
            } else {
                Access::None
            }
        }
        (Role::Delegate | Role::StationHead, DocKind::Contacts) => {
            if own_delegate.is_some_and(|d| d.as_str() == owner) {
                Access::ReadWrite
            } else if p.role == Role::StationHead
                && territory
                    .delegate(&DelegateId::new(owner))
                    .is_some_and(|d| Some(d.station.as_str()) == own_station)
            {
                Access::ReadOnly
            } else {
                Access::None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::territory::sample;
    use uuid::Uuid;

    fn who(role: Role, person: Person, station: Option<&str>) -> Principal {
        Principal {
            device: DeviceId(Uuid::nil()),
            person,
            role,
            station: station.map(StationId::new),
        }
    }

    #[test]
    fn the_access_table_holds_for_every_role_and_document() {
        let t = sample::small();
        let wang = who(
            Role::StationHead,
            Person::Delegate("D01".into()),
            Some("S01"),
        );
        let zhao = who(Role::Delegate, Person::Delegate("D03".into()), Some("S01"));
        let li = who(Role::Delegate, Person::Delegate("D02".into()), Some("S02"));
        let office = who(Role::Office, Person::Staff("O1".into()), Option::None);
        let admin = who(Role::Admin, Person::Staff("A1".into()), Option::None);
        use Access::*;
        use DocKind::*;
        let cases = [
            (&zhao, Station, "S01", ReadWrite),
            (&zhao, Station, "S02", None),
            (&zhao, Contacts, "D03", ReadWrite),
            (&zhao, Contacts, "D01", None),
            (&wang, Contacts, "D03", ReadOnly),
            (&wang, Contacts, "D01", ReadWrite),
            (&wang, Contacts, "D02", None),
            (&wang, Station, "S02", None),
            (&li, Station, "S01", None),
            (&li, Contacts, "D03", None),
            (&office, Station, "S02", ReadWrite),
            (&office, Contacts, "D02", ReadOnly),
            (&admin, Station, "S01", None),
            (&admin, Contacts, "D01", None),
        ];
        for (p, kind, owner, expected) in cases {
            assert_eq!(
                access(p, kind, owner, &t),
                expected,
                "{:?} {kind:?} {owner}",
                p.role
            );
        }
    }
}
