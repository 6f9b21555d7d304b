//! The authority rule where changes enter: judges what a set of Automerge changes from one device
//! would do to a document, before anything of it is stored. Refused whole when any change:
//!
//! - touches the document's root (kind, schema, owner, collections);
//! - adds a record under a key that is not its id, naming another station (or contacts owner)
//!   than the document's, recorded as someone other than the device's person, of a collection that
//!   person's role may not add to, or reusing an id another document already holds;
//! - changes or removes a record's fixed fields, or removes or rewrites an event;
//! - appends an event whose id is not its key, whose author or device is not the device's, or
//!   whose kind that person's role may not append to that record ([`super::may_append`]).
//!
//! Changes whose dependencies are not yet known cannot be judged; Automerge queues them and they
//! are judged with the changes that complete them.

use std::collections::BTreeSet;

use automerge::{Automerge, Change, ObjId, ObjType, Prop, ROOT, ReadDoc, Value};
use serde::de::DeserializeOwned;

use super::Principal;
use super::authority::{Author, Refusal, Target, may_append, may_put};
use crate::doc::{self, Collection, DocKind};
use crate::ids::{DelegateId, StationId};
use crate::model::{Contact, Demand, Suggestion, Visit};
use crate::service::Record;
use crate::territory::Territory;
use crate::workflow::Event;

/// What the judge needs besides the document.
#[derive(Debug, Clone, Copy)]
pub struct Writer<'a> {
    pub who: &'a Principal,
    pub territory: &'a Territory,
}

/// Judges `changes` from `writer`'s device against `base` (the document as the receiver holds
/// it). `held_elsewhere(collection, id)` says whether another document already holds a record with
/// that id. `Ok(())` when every change that can be applied passes.
pub fn judge(
    base: &Automerge,
    changes: &[Change],
    writer: Writer<'_>,
    held_elsewhere: &dyn Fn(Collection, &str) -> bool,
) -> Result<(), Refusal> {
    let fresh: Vec<Change> = changes
        .iter()
        .filter(|c| base.get_change_by_hash(&c.hash()).is_none())
        .cloned()
        .collect();
    if fresh.is_empty() {
        return Ok(());
    }
    // Nothing of a device's touches the document's root (the genesis, made alike everywhere, is
    // held already): refused before it is applied. Applying root operations that contend with
    // the genesis's trips Automerge 0.12's own op-order invariant (found by fuzzing:
    // `fuzz/known/`).
    for c in &fresh {
        if c.decode()
            .operations
            .iter()
            .any(|op| op.obj == automerge::legacy::ObjectId::Root)
        {
            return Err(Refusal::FixedFieldChanged);
        }
    }
    let mut after = base.clone();
    let before_heads = base.get_heads();
    // The patches of this apply alone (far cheaper than diffing heads on a large document).
    let mut log = automerge::PatchLog::active();
    // A device's changes must never take the judging thread down, even where Automerge panics
    // on what it cannot apply (the fuzzer has found such panics in its decoders).
    let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        after.apply_changes_log_patches(fresh, &mut log)
    }));
    if !matches!(applied, Ok(Ok(()))) {
        return Err(Refusal::Unreadable);
    }
    if before_heads == after.get_heads() {
        return Ok(());
    }
    let patches = after.make_patches(&mut log);
    let info = doc::info(base).map_err(|_| Refusal::Unreadable)?;
    if doc::info(&after).ok().as_ref() != Some(&info) || root(base) != root(&after) {
        return Err(Refusal::FixedFieldChanged);
    }
    let author = Author::of(&writer.who.person, writer.territory).ok_or(Refusal::UnknownAuthor)?;
    for (c, key) in touched(patches)? {
        let ctx = RecordCtx {
            base,
            after: &after,
            collection: c,
            key: &key,
            kind: info.kind,
            owner: &info.owner,
            author: &author,
            writer,
        };
        ctx.judge(held_elsewhere)?;
    }
    Ok(())
}

/// The root's keys and the objects or values under them, all of them (conflicts included).
fn root(doc: &Automerge) -> Vec<(String, Vec<String>)> {
    doc.keys(ROOT)
        .map(|k| {
            let vals = doc
                .get_all(ROOT, k.as_str())
                .unwrap_or_default()
                .into_iter()
                .map(|(v, id)| format!("{v:?}@{id}"))
                .collect();
            (k, vals)
        })
        .collect()
}

/// Every record the changes touched, and refusal for anything else they touched.
fn touched(patches: Vec<automerge::Patch>) -> Result<BTreeSet<(Collection, String)>, Refusal> {
    let mut out = BTreeSet::new();
    for patch in patches {
        let mut props = patch.path.iter().map(|(_, p)| p);
        let (first, second) = (props.next(), props.next());
        let collection = |name: &str| collection_of(name).ok_or(Refusal::FixedFieldChanged);
        match (first, second) {
            (None, _) => return Err(Refusal::FixedFieldChanged),
            (Some(Prop::Map(c)), None) => {
                let c = collection(c)?;
                match &patch.action {
                    automerge::PatchAction::PutMap { key, .. } => {
                        out.insert((c, key.clone()));
                    }
                    automerge::PatchAction::Conflict {
                        prop: Prop::Map(key),
                    } => {
                        out.insert((c, key.clone()));
                    }
                    _ => return Err(Refusal::FixedFieldChanged),
                }
            }
            (Some(Prop::Map(c)), Some(Prop::Map(id))) => {
                out.insert((collection(c)?, id.clone()));
            }
            _ => return Err(Refusal::FixedFieldChanged),
        }
    }
    Ok(out)
}

fn collection_of(key: &str) -> Option<Collection> {
    [
        Collection::Visits,
        Collection::Demands,
        Collection::Suggestions,
        Collection::Contacts,
    ]
    .into_iter()
    .find(|c| c.key() == key)
}

struct RecordCtx<'a> {
    base: &'a Automerge,
    after: &'a Automerge,
    collection: Collection,
    key: &'a str,
    kind: DocKind,
    owner: &'a str,
    author: &'a Author,
    writer: Writer<'a>,
}

/// A record as stored, raw: its fixed-fields string (every value, conflicts included) and its
/// events by key (every value of each).
#[derive(Debug, PartialEq)]
struct Raw {
    fields: Vec<String>,
    events: Vec<(String, Vec<String>)>,
}

fn raw(doc: &Automerge, c: Collection, key: &str) -> Result<Option<Raw>, Refusal> {
    let bad = |_| Refusal::Unreadable;
    let Some((Value::Object(ObjType::Map), coll)) = doc.get(ROOT, c.key()).map_err(bad)? else {
        return Err(Refusal::Unreadable);
    };
    let all = doc.get_all(&coll, key).map_err(bad)?;
    let obj = match all.as_slice() {
        [] => return Ok(None),
        [(Value::Object(ObjType::Map), obj)] => obj.clone(),
        // Two records under one key, or something that is not a record.
        _ => return Err(Refusal::FixedFieldChanged),
    };
    let fields = strings(doc, &obj, "record")?;
    let mut events = Vec::new();
    let ev = doc.get_all(&obj, "events").map_err(bad)?;
    match ev.as_slice() {
        [] => {}
        [(Value::Object(ObjType::Map), ev)] => {
            for k in doc.keys(ev) {
                let vals = strings(doc, ev, &k)?;
                events.push((k, vals));
            }
        }
        _ => return Err(Refusal::FixedFieldChanged),
    }
    Ok(Some(Raw { fields, events }))
}

/// Every value under `key` as a string (text objects read as their content).
fn strings(doc: &Automerge, obj: &ObjId, key: &str) -> Result<Vec<String>, Refusal> {
    let all = doc.get_all(obj, key).map_err(|_| Refusal::Unreadable)?;
    all.into_iter()
        .map(|(v, id)| match v {
            Value::Scalar(s) => s.as_str().map(str::to_owned).ok_or(Refusal::Unreadable),
            Value::Object(ObjType::Text) => doc.text(&id).map_err(|_| Refusal::Unreadable),
            Value::Object(_) => Err(Refusal::Unreadable),
        })
        .collect()
}

fn parse<T: DeserializeOwned>(json: &str) -> Result<T, Refusal> {
    serde_json::from_str(json).map_err(|_| Refusal::Unreadable)
}

impl RecordCtx<'_> {
    fn judge(&self, held_elsewhere: &dyn Fn(Collection, &str) -> bool) -> Result<(), Refusal> {
        let before = raw(self.base, self.collection, self.key)?;
        let after =
            raw(self.after, self.collection, self.key)?.ok_or(Refusal::FixedFieldChanged)?;
        let [fields] = after.fields.as_slice() else {
            return Err(if after.fields.is_empty() {
                Refusal::Unreadable
            } else {
                Refusal::FixedFieldChanged
            });
        };
        let (station, recorded_by) = match &before {
            Some(b) => {
                if b.fields != after.fields {
                    return Err(Refusal::FixedFieldChanged);
                }
                self.facts(fields)?
            }
            None => {
                if held_elsewhere(self.collection, self.key) {
                    return Err(Refusal::KeyMismatch);
                }
                self.fits(fields)?;
                let facts = self.facts(fields)?;
                may_put(self.author, self.collection, self.owner, &facts.1)?;
                facts
            }
        };
        let old: Vec<&(String, Vec<String>)> = before
            .as_ref()
            .map(|b| b.events.iter().collect())
            .unwrap_or_default();
        for o in &old {
            if !after.events.contains(o) {
                return Err(Refusal::FixedFieldChanged);
            }
        }
        for (key, vals) in &after.events {
            if old.iter().any(|o| &o.0 == key) {
                continue;
            }
            let [json] = vals.as_slice() else {
                return Err(Refusal::FixedFieldChanged);
            };
            let event: Event = parse(json)?;
            crate::limits::event_fits(json.len(), &event).map_err(|_| Refusal::TooLarge)?;
            if &event.id.to_string() != key {
                return Err(Refusal::KeyMismatch);
            }
            if super::authority::person_of(&event.by) != self.writer.who.person
                || event.device != self.writer.who.device
            {
                return Err(Refusal::NotTheAuthor);
            }
            if self.collection == Collection::Contacts {
                return Err(Refusal::KindNotAllowed);
            }
            let station = station.as_ref().ok_or(Refusal::WrongDocument)?;
            let target = Target {
                collection: self.collection,
                station,
                recorded_by: &recorded_by,
            };
            may_append(self.author, &event.what, target)?;
        }
        Ok(())
    }

    /// Whether a new record keeps the limits its capture keeps (`core::limits`).
    fn fits(&self, json: &str) -> Result<(), Refusal> {
        let record = match self.collection {
            Collection::Demands => Record::Demand(parse(json)?),
            Collection::Visits => Record::Visit(parse(json)?),
            Collection::Suggestions => Record::Suggestion(parse(json)?),
            Collection::Contacts => Record::Contact(parse(json)?),
        };
        crate::limits::record_fits(json.len(), &record).map_err(|_| Refusal::TooLarge)
    }

    /// The record's station (for station documents) and recorder, checked against its key and
    /// its document.
    fn facts(&self, json: &str) -> Result<(Option<StationId>, DelegateId), Refusal> {
        let (id, station, by) = match self.collection {
            Collection::Demands => {
                let r: Demand = parse(json)?;
                (r.id.to_string(), Some(r.station), r.recorded_by)
            }
            Collection::Visits => {
                let r: Visit = parse(json)?;
                (r.id.to_string(), Some(r.station), r.started_by)
            }
            Collection::Suggestions => {
                let r: Suggestion = parse(json)?;
                (r.id.to_string(), Some(r.station), r.formed_by)
            }
            Collection::Contacts => {
                let r: Contact = parse(json)?;
                (r.id.to_string(), None, r.recorded_by)
            }
        };
        if id != self.key {
            return Err(Refusal::KeyMismatch);
        }
        let belongs = match (self.kind, &station) {
            (DocKind::Station, Some(s)) => s.as_str() == self.owner,
            (DocKind::Contacts, None) => by.as_str() == self.owner,
            _ => false,
        };
        if !belongs {
            return Err(Refusal::WrongDocument);
        }
        Ok((station, by))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Person, Role};
    use crate::clock::Timestamp;
    use crate::ids::{DemandId, DeviceId, EventId};
    use crate::territory::sample;
    use crate::workflow::{Actor, EventKind};
    use automerge::transaction::Transactable;
    use uuid::Uuid;

    /// 赵 (D03), a delegate of S01, on her phone.
    fn zhao() -> Principal {
        Principal {
            device: DeviceId(Uuid::from_u128(3)),
            person: Person::Delegate("D03".into()),
            role: Role::Delegate,
            station: Some("S01".into()),
        }
    }

    fn demand(id: u128, station: &str, by: &str) -> Demand {
        serde_json::from_value(serde_json::json!({
            "id": DemandId(Uuid::from_u128(id)),
            "station": station,
            "text": "楼道灯坏了",
            "category": "livability",
            "grid": "110118003001001",
            "location": null,
            "recorded_at": 1,
            "recorded_by": by,
            "device": DeviceId(Uuid::from_u128(3)),
            "visit": null,
        }))
        .unwrap()
    }

    /// S01's document as the server holds it, with one demand 赵 recorded.
    fn s01() -> Automerge {
        let mut doc = doc::station_genesis(&"S01".into()).unwrap();
        doc.set_actor(DeviceId(Uuid::from_u128(3)).actor());
        let mut tx = doc.transaction();
        doc::put_record(
            &mut tx,
            Collection::Demands,
            &key(1),
            &demand(1, "S01", "D03"),
        )
        .unwrap();
        tx.commit();
        doc
    }

    fn key(id: u128) -> String {
        DemandId(Uuid::from_u128(id)).to_string()
    }

    /// The changes a device makes with `f` on its copy of `base`.
    fn made(
        base: &Automerge,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
    ) -> Vec<Change> {
        let mut doc = base.fork().with_actor(DeviceId(Uuid::from_u128(3)).actor());
        let heads = base.get_heads();
        let mut tx = doc.transaction();
        f(&mut tx);
        tx.commit();
        doc.get_changes(&heads)
    }

    fn event(by: Actor, device: u128, what: EventKind) -> Event {
        Event {
            id: EventId(Uuid::from_u128(900)),
            at: Timestamp(2),
            by,
            device: DeviceId(Uuid::from_u128(device)),
            prev: vec![],
            what,
        }
    }

    fn verdict(base: &Automerge, changes: &[Change]) -> Result<(), Refusal> {
        let t = sample::small();
        let elsewhere = |_: Collection, id: &str| id == key(77);
        judge(
            base,
            changes,
            Writer {
                who: &zhao(),
                territory: &t,
            },
            &elsewhere,
        )
    }

    #[test]
    fn an_honest_delegate_records_a_demand_and_attaches_her_contact() {
        let base = s01();
        let put = made(&base, |tx| {
            doc::put_record(tx, Collection::Demands, &key(2), &demand(2, "S01", "D03")).unwrap();
        });
        assert_eq!(verdict(&base, &put), Ok(()));
        let attach = made(&base, |tx| {
            let e = event(
                Actor::Delegate("D03".into()),
                3,
                EventKind::ContactAttached {
                    delegate: "D03".into(),
                },
            );
            doc::append_event(tx, Collection::Demands, &key(1), &e).unwrap();
        });
        assert_eq!(verdict(&base, &attach), Ok(()));
        // Changes the receiver already holds are not judged again.
        assert_eq!(verdict(&base, &base.get_changes(&[])), Ok(()));
    }

    #[test]
    fn a_device_that_skips_its_own_checks_stores_no_more_than_capture_allows() {
        use crate::limits::MAX_TEXT_CHARS;
        let base = s01();
        let with_text = |n: usize| {
            let mut d = demand(2, "S01", "D03");
            d.text = "字".repeat(n);
            made(&base, |tx| {
                doc::put_record(tx, Collection::Demands, &key(2), &d).unwrap();
            })
        };
        assert_eq!(verdict(&base, &with_text(MAX_TEXT_CHARS)), Ok(()));
        assert_eq!(
            verdict(&base, &with_text(MAX_TEXT_CHARS + 1)),
            Err(Refusal::TooLarge)
        );
        let long_note = made(&base, |tx| {
            let e = event(
                Actor::Delegate("D03".into()),
                3,
                EventKind::Note {
                    text: "字".repeat(MAX_TEXT_CHARS + 1),
                },
            );
            doc::append_event(tx, Collection::Demands, &key(1), &e).unwrap();
        });
        assert_eq!(verdict(&base, &long_note), Err(Refusal::TooLarge));
    }

    #[test]
    fn a_hostile_delegate_is_refused_for_each_kind_of_forgery() {
        let base = s01();
        let cases: Vec<(&str, Vec<Change>, Refusal)> = vec![
            (
                "a demand naming another station",
                made(&base, |tx| {
                    doc::put_record(tx, Collection::Demands, &key(2), &demand(2, "S02", "D03"))
                        .unwrap();
                }),
                Refusal::WrongDocument,
            ),
            (
                "a demand under a key that is not its id",
                made(&base, |tx| {
                    doc::put_record(tx, Collection::Demands, &key(3), &demand(2, "S01", "D03"))
                        .unwrap();
                }),
                Refusal::KeyMismatch,
            ),
            (
                "a demand reusing another document's id",
                made(&base, |tx| {
                    doc::put_record(tx, Collection::Demands, &key(77), &demand(77, "S01", "D03"))
                        .unwrap();
                }),
                Refusal::KeyMismatch,
            ),
            (
                "a demand recorded as someone else",
                made(&base, |tx| {
                    doc::put_record(tx, Collection::Demands, &key(2), &demand(2, "S01", "D01"))
                        .unwrap();
                }),
                Refusal::NotTheAuthor,
            ),
            (
                "an edited fixed field",
                made(&base, |tx| {
                    let coll = tx.get(ROOT, "demands").unwrap().unwrap().1;
                    let rec = tx.get(&coll, key(1)).unwrap().unwrap().1;
                    let mut d = demand(1, "S01", "D03");
                    d.text = "改过的内容".into();
                    tx.put(&rec, "record", serde_json::to_string(&d).unwrap())
                        .unwrap();
                }),
                Refusal::FixedFieldChanged,
            ),
            (
                "a removed demand",
                made(&base, |tx| {
                    let coll = tx.get(ROOT, "demands").unwrap().unwrap().1;
                    tx.delete(&coll, key(1)).unwrap();
                }),
                Refusal::FixedFieldChanged,
            ),
            (
                "a rewritten owner",
                made(&base, |tx| {
                    tx.put(ROOT, "owner", "S02").unwrap();
                }),
                Refusal::FixedFieldChanged,
            ),
            (
                "a closed event",
                made(&base, |tx| {
                    let e = event(
                        Actor::Delegate("D03".into()),
                        3,
                        EventKind::Closed { note: None },
                    );
                    doc::append_event(tx, Collection::Demands, &key(1), &e).unwrap();
                }),
                Refusal::KindNotAllowed,
            ),
            (
                "a routed event",
                made(&base, |tx| {
                    let e = event(
                        Actor::Delegate("D03".into()),
                        3,
                        EventKind::Routed {
                            unit: "U1".into(),
                            deadline: Timestamp(9),
                            assisting: vec![],
                            reason: None,
                        },
                    );
                    doc::append_event(tx, Collection::Demands, &key(1), &e).unwrap();
                }),
                Refusal::KindNotAllowed,
            ),
            (
                "an event in the office's name",
                made(&base, |tx| {
                    let e = event(
                        Actor::Staff("office-1".into()),
                        3,
                        EventKind::Closed { note: None },
                    );
                    doc::append_event(tx, Collection::Demands, &key(1), &e).unwrap();
                }),
                Refusal::NotTheAuthor,
            ),
            (
                "an event from another device",
                made(&base, |tx| {
                    let e = event(
                        Actor::Delegate("D03".into()),
                        4,
                        EventKind::Note { text: "x".into() },
                    );
                    doc::append_event(tx, Collection::Demands, &key(1), &e).unwrap();
                }),
                Refusal::NotTheAuthor,
            ),
        ];
        for (what, changes, why) in cases {
            assert!(!changes.is_empty(), "{what}: no change made");
            assert_eq!(verdict(&base, &changes), Err(why), "{what}");
        }
    }
}
