//! The document schema.
//!
//! A **station document** (one per station) holds the station's visits, demands and suggestions;
//! a **contacts document** (one per delegate) holds the residents' names and phones that delegate
//! recorded. Personal data never enters a station document: a demand only names the delegate whose
//! contacts document holds its residents.
//!
//! Layout (Automerge map keys):
//!
//! ```text
//! ROOT { kind: "station" | "contacts", schema: 1, owner: <station or delegate code>,
//!        visits | demands | suggestions | contacts: {
//!            <record id>: { record: "<canonical JSON of the fixed fields>",
//!                           events: { <event id>: "<JSON of one workflow event>" } } } }
//! ```
//!
//! Fixed fields are written once, as one JSON scalar: they never change, so splitting them into
//! CRDT fields would buy no merging and cost an op per field. Workflow events are added to a map
//! keyed by their own (unique) id, so concurrent appends never collide, and nothing is ever
//! overwritten or deleted.
//!
//! The root and its collections are made by a **deterministic genesis change** (fixed actor, time 0),
//! so every device that creates "the same" document offline makes byte-identical first changes and
//! the collections are one object everywhere, not conflicting copies.

use std::collections::BTreeSet;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ObjId, ObjType, Prop, ROOT, ReadDoc, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::ids::{DelegateId, DocId, StationId};
use crate::workflow::Event;

/// The schema version this program writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// What a document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    Station,
    Contacts,
}

impl DocKind {
    pub fn code(self) -> &'static str {
        match self {
            DocKind::Station => "station",
            DocKind::Contacts => "contacts",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        match s {
            "station" => Some(DocKind::Station),
            "contacts" => Some(DocKind::Contacts),
            _ => None,
        }
    }

    fn collections(self) -> &'static [Collection] {
        match self {
            DocKind::Station => &[
                Collection::Visits,
                Collection::Demands,
                Collection::Suggestions,
            ],
            DocKind::Contacts => &[Collection::Contacts],
        }
    }
}

/// A map of records in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Collection {
    Visits,
    Demands,
    Suggestions,
    Contacts,
}

impl Collection {
    pub fn key(self) -> &'static str {
        match self {
            Collection::Visits => "visits",
            Collection::Demands => "demands",
            Collection::Suggestions => "suggestions",
            Collection::Contacts => "contacts",
        }
    }

    fn from_key(key: &str) -> Option<Collection> {
        match key {
            "visits" => Some(Collection::Visits),
            "demands" => Some(Collection::Demands),
            "suggestions" => Some(Collection::Suggestions),
            "contacts" => Some(Collection::Contacts),
            _ => None,
        }
    }
}

/// What the root of a document says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocInfo {
    pub kind: DocKind,
    pub schema: i64,
    pub owner: String,
}

/// A new station document, identical on every device that makes it.
pub fn station_genesis(station: &StationId) -> Result<Automerge> {
    genesis(
        DocId::for_station(station),
        DocKind::Station,
        station.as_str(),
    )
}

/// A new contacts document for a delegate, identical on every device that makes it.
pub fn contacts_genesis(delegate: &DelegateId) -> Result<Automerge> {
    genesis(
        DocId::for_contacts(delegate),
        DocKind::Contacts,
        delegate.as_str(),
    )
}

fn genesis(id: DocId, kind: DocKind, owner: &str) -> Result<Automerge> {
    let mut doc = Automerge::new().with_actor(ActorId::from(id.0.as_bytes().as_slice()));
    let mut tx = doc.transaction();
    tx.put(ROOT, "kind", kind.code())?;
    tx.put(ROOT, "schema", SCHEMA_VERSION)?;
    tx.put(ROOT, "owner", owner)?;
    for c in kind.collections() {
        tx.put_object(ROOT, c.key(), ObjType::Map)?;
    }
    tx.commit_with(CommitOptions::default().with_time(0));
    Ok(doc)
}

/// Reads and checks the root of a document. A document from a newer schema is refused rather
/// than misread.
pub fn info(doc: &impl ReadDoc) -> Result<DocInfo> {
    let kind = get_str(doc, &ROOT, "kind")?
        .and_then(|k| DocKind::parse(&k))
        .ok_or_else(|| Error::CorruptDocument("no kind at root".into()))?;
    let schema = match doc.get(ROOT, "schema")? {
        Some((Value::Scalar(v), _)) => v
            .as_i64()
            .ok_or_else(|| Error::CorruptDocument("schema is not a number".into()))?,
        _ => return Err(Error::CorruptDocument("no schema at root".into())),
    };
    if schema > SCHEMA_VERSION {
        return Err(Error::UnsupportedSchema {
            found: schema,
            supported: SCHEMA_VERSION,
        });
    }
    let owner = get_str(doc, &ROOT, "owner")?
        .ok_or_else(|| Error::CorruptDocument("no owner at root".into()))?;
    Ok(DocInfo {
        kind,
        schema,
        owner,
    })
}

/// A string value. Peers written in JavaScript (Automerge 3) make strings collaborative text by
/// default, so a text object reads as its content too.
fn get_str(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Result<Option<String>> {
    Ok(match doc.get(obj, key)? {
        Some((Value::Scalar(v), _)) => v.as_str().map(str::to_owned),
        Some((Value::Object(ObjType::Text), id)) => Some(doc.text(&id)?),
        _ => None,
    })
}

fn get_map(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Result<Option<ObjId>> {
    Ok(match doc.get(obj, key)? {
        Some((Value::Object(ObjType::Map), id)) => Some(id),
        _ => None,
    })
}

fn collection(doc: &impl ReadDoc, c: Collection) -> Result<ObjId> {
    get_map(doc, &ROOT, c.key())?
        .ok_or_else(|| Error::CorruptDocument(format!("no {} map", c.key())))
}

/// Writes a new record's fixed fields and its empty event map.
pub fn put_record<T: Serialize>(
    tx: &mut impl Transactable,
    c: Collection,
    id: &str,
    record: &T,
) -> Result<()> {
    let coll = collection(tx, c)?;
    if tx.get(&coll, id)?.is_some() {
        return Err(Error::CorruptDocument(format!(
            "record {id} already exists"
        )));
    }
    let json = serde_json::to_string(record)
        .map_err(|e| Error::CorruptDocument(format!("cannot encode record: {e}")))?;
    let obj = tx.put_object(&coll, id, ObjType::Map)?;
    tx.put(&obj, "record", json)?;
    tx.put_object(&obj, "events", ObjType::Map)?;
    Ok(())
}

/// Appends a workflow event to a record.
pub fn append_event(
    tx: &mut impl Transactable,
    c: Collection,
    id: &str,
    event: &Event,
) -> Result<()> {
    let coll = collection(tx, c)?;
    let record = get_map(tx, &coll, id)?.ok_or_else(|| Error::NotFound(id.to_owned()))?;
    let events = get_map(tx, &record, "events")?
        .ok_or_else(|| Error::CorruptDocument(format!("record {id} has no events")))?;
    let json = serde_json::to_string(event)
        .map_err(|e| Error::CorruptDocument(format!("cannot encode event: {e}")))?;
    tx.put(&events, event.id.to_string(), json)?;
    Ok(())
}

/// Whether a record exists.
pub fn has_record(doc: &impl ReadDoc, c: Collection, id: &str) -> Result<bool> {
    let coll = collection(doc, c)?;
    Ok(get_map(doc, &coll, id)?.is_some())
}

/// The ids of every record in a collection, in key order.
pub fn record_ids(doc: &impl ReadDoc, c: Collection) -> Result<Vec<String>> {
    let coll = collection(doc, c)?;
    Ok(doc.keys(&coll).collect())
}

/// A record with its events, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    pub record: T,
    pub events: Vec<Event>,
    /// Events that could not be read (written by a newer or broken peer); kept out of the state.
    pub unreadable_events: usize,
}

/// Reads one record. `Ok(None)` when there is no such record; an error when it is malformed.
pub fn read_record<T: DeserializeOwned>(
    doc: &impl ReadDoc,
    c: Collection,
    id: &str,
) -> Result<Option<Stored<T>>> {
    let coll = collection(doc, c)?;
    let Some(obj) = get_map(doc, &coll, id)? else {
        return Ok(None);
    };
    let json = get_str(doc, &obj, "record")?
        .ok_or_else(|| Error::CorruptDocument(format!("record {id} has no fields")))?;
    let record = serde_json::from_str(&json)
        .map_err(|e| Error::CorruptDocument(format!("record {id}: {e}")))?;
    let mut events = Vec::new();
    let mut unreadable_events = 0;
    if let Some(ev_obj) = get_map(doc, &obj, "events")? {
        for key in doc.keys(&ev_obj) {
            match get_str(doc, &ev_obj, &key)?.map(|j| serde_json::from_str::<Event>(&j)) {
                Some(Ok(e)) => events.push(e),
                _ => unreadable_events += 1,
            }
        }
    }
    Ok(Some(Stored {
        record,
        events,
        unreadable_events,
    }))
}

/// The records a set of changes touched, found by diffing heads. Used to keep projections current
/// without recomputing everything.
pub fn touched(
    doc: &Automerge,
    before: &[automerge::ChangeHash],
    after: &[automerge::ChangeHash],
) -> BTreeSet<(Collection, String)> {
    let mut out = BTreeSet::new();
    for patch in doc.diff(before, after) {
        let mut props = patch.path.iter().map(|(_, p)| p);
        let first = props.next();
        let second = props.next();
        let key_of_action = match &patch.action {
            automerge::PatchAction::PutMap { key, .. } => Some(key.clone()),
            _ => None,
        };
        match (first, second) {
            (Some(Prop::Map(c)), Some(Prop::Map(id))) => {
                if let Some(c) = Collection::from_key(c) {
                    out.insert((c, id.clone()));
                }
            }
            (Some(Prop::Map(c)), None) => {
                if let (Some(c), Some(id)) = (Collection::from_key(c), key_of_action) {
                    out.insert((c, id));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::ids::{DeviceId, EventId};
    use crate::workflow::{Actor, EventKind};
    use uuid::Uuid;

    #[test]
    fn two_devices_make_the_same_station_document_offline() {
        let s = StationId::new("S01");
        let mut a = station_genesis(&s).unwrap();
        let b = station_genesis(&s).unwrap();
        assert_eq!(a.get_heads(), b.get_heads());
        // Each then writes under its own actor and the merge keeps one `demands` map.
        a.set_actor(DeviceId(Uuid::from_u128(1)).actor());
        let mut b = b.with_actor(DeviceId(Uuid::from_u128(2)).actor());
        let mut ta = a.transaction();
        put_record(&mut ta, Collection::Demands, "d-a", &"from a").unwrap();
        ta.commit();
        let mut tb = b.transaction();
        put_record(&mut tb, Collection::Demands, "d-b", &"from b").unwrap();
        tb.commit();
        a.merge(&mut b).unwrap();
        assert_eq!(
            record_ids(&a, Collection::Demands).unwrap(),
            vec!["d-a", "d-b"]
        );
        let info = info(&a).unwrap();
        assert_eq!((info.kind, info.owner.as_str()), (DocKind::Station, "S01"));
    }

    #[test]
    fn events_are_appended_and_touched_records_are_found() {
        let mut doc = station_genesis(&StationId::new("S01")).unwrap();
        let mut tx = doc.transaction();
        put_record(
            &mut tx,
            Collection::Demands,
            "d1",
            &serde_json::json!({"x": 1}),
        )
        .unwrap();
        tx.commit();
        let before = doc.get_heads();
        let event = Event {
            id: EventId(Uuid::from_u128(5)),
            at: Timestamp(5),
            by: Actor::Staff("o".into()),
            device: DeviceId(Uuid::nil()),
            prev: vec![],
            what: EventKind::Closed { note: None },
        };
        let mut tx = doc.transaction();
        append_event(&mut tx, Collection::Demands, "d1", &event).unwrap();
        assert!(append_event(&mut tx, Collection::Demands, "nope", &event).is_err());
        tx.commit();
        let stored: Stored<serde_json::Value> = read_record(&doc, Collection::Demands, "d1")
            .unwrap()
            .unwrap();
        assert_eq!(stored.events, vec![event]);
        let t = touched(&doc, &before, &doc.get_heads());
        assert_eq!(
            t.into_iter().collect::<Vec<_>>(),
            vec![(Collection::Demands, "d1".to_owned())]
        );
    }

    #[test]
    fn a_document_from_a_newer_schema_is_refused() {
        let mut doc = station_genesis(&StationId::new("S01")).unwrap();
        let mut tx = doc.transaction();
        tx.put(ROOT, "schema", SCHEMA_VERSION + 1).unwrap();
        tx.commit();
        assert!(matches!(info(&doc), Err(Error::UnsupportedSchema { .. })));
        assert!(matches!(
            info(&Automerge::new()),
            Err(Error::CorruptDocument(_))
        ));
    }
}
