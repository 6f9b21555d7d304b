//! The authority rule: which role may add which record and append which event kind, to which
//! record. One table ([`GRANTS`]), used three times with one meaning:
//!
//! 1. before writing, by `core::service` (an honest device never writes what would be refused);
//! 2. where changes enter the server (a sync message that breaks it is refused whole);
//! 3. in derivation ([`admitted`]): every replica computes a record's state from the events that
//!    pass, so a change that got in elsewhere changes nobody's view.
//!
//! Who holds which role must be knowable on every replica, so it is read from the territory, which
//! every device holds: a delegate is a station head when the territory names them head of their
//! station; a staff member is office staff when the territory's delegate office lists them. Anyone
//! else (admins, unknown people) holds no authority over records.

use serde::{Deserialize, Serialize};

use super::{Person, Role};
use crate::doc::Collection;
use crate::ids::{DelegateId, StationId};
use crate::territory::Territory;
use crate::workflow::{Actor, Event, EventKind};

/// Which records of a collection a grant covers, relative to the author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reach {
    /// Records of the author's own station.
    OwnStation,
    /// Records of the author's own station that the author recorded.
    OwnRecord,
    /// Records of every station.
    AnyStation,
}

/// One row of the table: `role` may append `kind` to records of `on` within `reach`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub kind: &'static str,
    pub on: Collection,
    pub role: Role,
    pub reach: Reach,
}

const fn g(kind: &'static str, on: Collection, role: Role, reach: Reach) -> Grant {
    Grant {
        kind,
        on,
        role,
        reach,
    }
}

use Collection::{Demands, Suggestions, Visits};
use Reach::{AnyStation, OwnRecord, OwnStation};
use Role::{Delegate, Office, StationHead};

/// Who may append which event kind (the event's `kind` code) to which record. Anything not listed
/// is refused. Station heads are delegates too and hold every delegate grant (see [`holds`]).
pub const GRANTS: &[Grant] = &[
    // Delegates, in the field.
    g("visit_ended", Visits, Delegate, OwnStation),
    g("contact_attached", Demands, Delegate, OwnStation),
    g("withdrawn", Demands, Delegate, OwnRecord),
    g("fed_back", Demands, Delegate, OwnStation),
    g("called_back", Demands, Delegate, OwnStation),
    g("urgency", Demands, Delegate, OwnRecord),
    g("note", Visits, Delegate, OwnStation),
    g("note", Demands, Delegate, OwnStation),
    // Station heads, back at the station.
    g("reviewed", Demands, StationHead, OwnStation),
    g("joined_into", Demands, StationHead, OwnStation),
    g("added_to_suggestion", Demands, StationHead, OwnStation),
    g("withdrawn", Demands, StationHead, OwnStation),
    g("answered_on_spot", Demands, StationHead, OwnStation),
    g("handed_to_workroom", Demands, StationHead, OwnStation),
    g("out_of_scope", Demands, StationHead, OwnStation),
    g("urgency", Demands, StationHead, OwnStation),
    g("classified", Suggestions, StationHead, OwnStation),
    g("whistled", Suggestions, StationHead, OwnStation),
    g("fed_back", Suggestions, StationHead, OwnStation),
    g("note", Suggestions, StationHead, OwnStation),
    // The street's delegate office.
    g("routed", Demands, Office, AnyStation),
    g("returned", Demands, Office, AnyStation),
    g("answered", Demands, Office, AnyStation),
    g("paused", Demands, Office, AnyStation),
    g("resumed", Demands, Office, AnyStation),
    g("extended", Demands, Office, AnyStation),
    g("urgency", Demands, Office, AnyStation),
    g("closed", Demands, Office, AnyStation),
    g("reopened", Demands, Office, AnyStation),
    g("note", Demands, Office, AnyStation),
    g("classified", Suggestions, Office, AnyStation),
    g("routed", Suggestions, Office, AnyStation),
    g("returned", Suggestions, Office, AnyStation),
    g("answered", Suggestions, Office, AnyStation),
    g("paused", Suggestions, Office, AnyStation),
    g("resumed", Suggestions, Office, AnyStation),
    g("extended", Suggestions, Office, AnyStation),
    g("closed", Suggestions, Office, AnyStation),
    g("reopened", Suggestions, Office, AnyStation),
    g("note", Suggestions, Office, AnyStation),
    g("note", Visits, Office, AnyStation),
];

/// Who may add new records: delegates record visits, demands and residents' contacts; station heads
/// form suggestions. Always in their own station (or their own contacts document), as themselves.
pub const RECORD_GRANTS: &[(Collection, Role)] = &[
    (Visits, Delegate),
    (Demands, Delegate),
    (Collection::Contacts, Delegate),
    (Suggestions, StationHead),
];

/// Whether `role` holds the grants given to `to`: a station head is also a delegate.
pub fn holds(role: Role, to: Role) -> bool {
    role == to || (role == StationHead && to == Delegate)
}

/// A person as every replica knows them, from the territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub person: Person,
    pub role: Role,
    pub station: Option<StationId>,
}

impl Author {
    /// The role the territory gives a person. `None` for people it does not know.
    pub fn of(person: &Person, t: &Territory) -> Option<Author> {
        match person {
            Person::Delegate(d) => {
                let delegate = t.delegate(d)?;
                let head = t
                    .station(&delegate.station)
                    .is_some_and(|s| s.head.as_ref() == Some(d));
                Some(Author {
                    person: person.clone(),
                    role: if head { StationHead } else { Delegate },
                    station: Some(delegate.station.clone()),
                })
            }
            Person::Staff(s) => t.office.staff.contains(s).then(|| Author {
                person: person.clone(),
                role: Office,
                station: None,
            }),
        }
    }

    pub fn of_actor(actor: &Actor, t: &Territory) -> Option<Author> {
        Author::of(&person_of(actor), t)
    }

    fn delegate(&self) -> Option<&DelegateId> {
        match &self.person {
            Person::Delegate(d) => Some(d),
            Person::Staff(_) => None,
        }
    }
}

/// The person an event names.
pub fn person_of(actor: &Actor) -> Person {
    match actor {
        Actor::Delegate(d) => Person::Delegate(d.clone()),
        Actor::Staff(s) => Person::Staff(s.clone()),
    }
}

/// The event author an actor of the system writes as.
pub fn actor_of(person: &Person) -> Actor {
    match person {
        Person::Delegate(d) => Actor::Delegate(d.clone()),
        Person::Staff(s) => Actor::Staff(s.clone()),
    }
}

/// What the rule needs to know of the record an event is appended to.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub collection: Collection,
    /// The station of the document that holds the record.
    pub station: &'a StationId,
    /// Who recorded it (`recorded_by`, `started_by`, `formed_by`).
    pub recorded_by: &'a DelegateId,
}

/// Why a write is refused. Each has a stable code and a sentence for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The territory does not know the author, or gives them no authority over records.
    UnknownAuthor,
    /// This role may not append this kind of event to this record.
    KindNotAllowed,
    /// The record belongs to another station.
    OtherStation,
    /// Only the person who recorded it may do this.
    NotOwnRecord,
    /// The event names someone other than the device's person, or another device.
    NotTheAuthor,
    /// This role may not add records to this collection.
    RecordNotAllowed,
    /// A record stored under a key that is not its id.
    KeyMismatch,
    /// A record naming another station (or owner) than the document that holds it.
    WrongDocument,
    /// A record's fixed fields were changed, or a record or event was removed.
    FixedFieldChanged,
    /// A record or event this version cannot read.
    Unreadable,
    /// Over a size limit (`core::limits`): a record's or an event's text, or a change's or a
    /// message's operations or bytes.
    TooLarge,
}

impl Refusal {
    pub const ALL: &'static [Refusal] = &[
        Refusal::UnknownAuthor,
        Refusal::KindNotAllowed,
        Refusal::OtherStation,
        Refusal::NotOwnRecord,
        Refusal::NotTheAuthor,
        Refusal::RecordNotAllowed,
        Refusal::KeyMismatch,
        Refusal::WrongDocument,
        Refusal::FixedFieldChanged,
        Refusal::Unreadable,
        Refusal::TooLarge,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Refusal::UnknownAuthor => "unknown_author",
            Refusal::KindNotAllowed => "kind_not_allowed",
            Refusal::OtherStation => "other_station",
            Refusal::NotOwnRecord => "not_own_record",
            Refusal::NotTheAuthor => "not_the_author",
            Refusal::RecordNotAllowed => "record_not_allowed",
            Refusal::KeyMismatch => "key_mismatch",
            Refusal::WrongDocument => "wrong_document",
            Refusal::FixedFieldChanged => "fixed_field_changed",
            Refusal::Unreadable => "unreadable",
            Refusal::TooLarge => "too_large",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Refusal::UnknownAuthor => "辖区名册中没有此人，或此人无权处理记录",
            Refusal::KindNotAllowed => "您的角色无权进行此项操作",
            Refusal::OtherStation => "该记录属于其他代表工作站",
            Refusal::NotOwnRecord => "只有记录人本人可以进行此项操作",
            Refusal::NotTheAuthor => "操作人与本设备绑定的人员不符",
            Refusal::RecordNotAllowed => "您的角色无权新增此类记录",
            Refusal::KeyMismatch => "记录编号与存放位置不符",
            Refusal::WrongDocument => "记录所属的工作站与所在文档不符",
            Refusal::FixedFieldChanged => "已保存的记录不能修改或删除",
            Refusal::Unreadable => "记录格式无法识别",
            Refusal::TooLarge => "内容超过允许的长度或大小",
        }
    }
}

/// Whether `author` may append `kind` to `target`.
pub fn may_append(author: &Author, kind: &EventKind, target: Target<'_>) -> Result<(), Refusal> {
    let code = kind_code(kind).ok_or(Refusal::Unreadable)?;
    let mut found = None;
    for grant in GRANTS
        .iter()
        .filter(|g| g.kind == code && g.on == target.collection && holds(author.role, g.role))
    {
        let ok = match grant.reach {
            AnyStation => Ok(()),
            OwnStation => own_station(author, target.station),
            OwnRecord => own_station(author, target.station).and_then(|()| {
                if author.delegate() == Some(target.recorded_by) {
                    Ok(())
                } else {
                    Err(Refusal::NotOwnRecord)
                }
            }),
        };
        match ok {
            Ok(()) => return payload(author, kind),
            Err(r) => found = Some(r),
        }
    }
    Err(found.unwrap_or(Refusal::KindNotAllowed))
}

fn own_station(author: &Author, station: &StationId) -> Result<(), Refusal> {
    if author.station.as_ref() == Some(station) {
        Ok(())
    } else {
        Err(Refusal::OtherStation)
    }
}

/// Rules on an event's content: a contact is attached by the delegate who holds it.
fn payload(author: &Author, kind: &EventKind) -> Result<(), Refusal> {
    match kind {
        EventKind::ContactAttached { delegate } if author.delegate() != Some(delegate) => {
            Err(Refusal::NotTheAuthor)
        }
        _ => Ok(()),
    }
}

/// Whether `author` may add a record to `collection` of the document owned by `owner` (a station
/// code, or a delegate code for contacts), recorded as `recorded_by`.
pub fn may_put(
    author: &Author,
    collection: Collection,
    owner: &str,
    recorded_by: &DelegateId,
) -> Result<(), Refusal> {
    if !RECORD_GRANTS
        .iter()
        .any(|(c, r)| *c == collection && holds(author.role, *r))
    {
        return Err(Refusal::RecordNotAllowed);
    }
    if author.delegate() != Some(recorded_by) {
        return Err(Refusal::NotTheAuthor);
    }
    let home = match collection {
        Collection::Contacts => author.delegate().map(DelegateId::as_str),
        _ => author.station.as_ref().map(StationId::as_str),
    };
    if home == Some(owner) {
        Ok(())
    } else {
        Err(Refusal::OtherStation)
    }
}

/// The events of a record that pass the rule, in their stored order. Every replica derives state
/// from these only.
pub fn admitted(events: &[Event], target: Target<'_>, t: &Territory) -> Vec<Event> {
    events
        .iter()
        .filter(|e| {
            Author::of_actor(&e.by, t).is_some_and(|a| may_append(&a, &e.what, target).is_ok())
        })
        .cloned()
        .collect()
}

/// The `kind` code an event is stored under; `None` for kinds this version does not know.
pub fn kind_code(kind: &EventKind) -> Option<&'static str> {
    Some(match kind {
        EventKind::Reviewed { .. } => "reviewed",
        EventKind::JoinedInto { .. } => "joined_into",
        EventKind::AddedToSuggestion { .. } => "added_to_suggestion",
        EventKind::ContactAttached { .. } => "contact_attached",
        EventKind::Withdrawn { .. } => "withdrawn",
        EventKind::AnsweredOnSpot { .. } => "answered_on_spot",
        EventKind::HandedToWorkroom { .. } => "handed_to_workroom",
        EventKind::OutOfScope { .. } => "out_of_scope",
        EventKind::Routed { .. } => "routed",
        EventKind::Returned { .. } => "returned",
        EventKind::Answered { .. } => "answered",
        EventKind::Paused { .. } => "paused",
        EventKind::Resumed { .. } => "resumed",
        EventKind::Extended { .. } => "extended",
        EventKind::CalledBack { .. } => "called_back",
        EventKind::Urgency { .. } => "urgency",
        EventKind::FedBack { .. } => "fed_back",
        EventKind::Closed { .. } => "closed",
        EventKind::Reopened { .. } => "reopened",
        EventKind::Note { .. } => "note",
        EventKind::Classified { .. } => "classified",
        EventKind::Whistled { .. } => "whistled",
        EventKind::VisitEnded { .. } => "visit_ended",
        EventKind::Unknown => return None,
    })
}

#[cfg(test)]
mod tests;
