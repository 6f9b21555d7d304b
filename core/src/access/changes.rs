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
    let mut made = std::collections::HashMap::new();
    for c in &fresh {
        // Decoding a forged change can panic inside Automerge (an operation naming an actor its
        // change does not list: found by fuzzing, `tests/fixtures/fuzz/sync_message-2.bin`):
        // such a change is unreadable, refused like any other.
        let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.decode()))
            .map_err(|_| Refusal::Unreadable)?;
        let mut counter = decoded.start_op.get();
        for op in &decoded.operations {
            if op.obj == automerge::legacy::ObjectId::Root {
                return Err(Refusal::FixedFieldChanged);
            }
            if matches!(op.action, automerge::legacy::OpType::Make(_)) {
                let id = automerge::legacy::OpId(counter, decoded.actor_id.clone());
                made.insert(id, op.obj.clone());
            }
            counter = counter.saturating_add(1);
        }
    }
    nesting_fits(&made)?;
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

/// The objects the fresh changes make, each nested no deeper than `limits::MAX_NESTING` and none
/// inside itself. Automerge follows an object's parents to build each patch's path: a change that
/// makes an object inside itself sends it round the loop for ever, and a chain of thousands of
/// nested objects — a few hundred bytes once compressed — costs memory by the square of its
/// length (found by fuzzing: `tests/fixtures/fuzz/ws_frame-3.bin`). Checked before applying.
fn nesting_fits(
    made: &std::collections::HashMap<automerge::legacy::OpId, automerge::legacy::ObjectId>,
) -> Result<(), Refusal> {
    use automerge::legacy::{ObjectId, OpId};
    let most = crate::limits::MAX_NESTING;
    let mut depth: std::collections::HashMap<&OpId, usize> = std::collections::HashMap::new();
    for start in made.keys() {
        let mut path: Vec<&OpId> = Vec::new();
        let mut at = start;
        let below = loop {
            if let Some(d) = depth.get(at) {
                break *d;
            }
            if path.contains(&at) {
                return Err(Refusal::Unreadable);
            }
            if path.len() >= most {
                return Err(Refusal::TooLarge);
            }
            path.push(at);
            match made.get(at) {
                Some(ObjectId::Id(parent)) => at = parent,
                _ => break 0,
            }
        };
        if below + path.len() > most {
            return Err(Refusal::TooLarge);
        }
        for (i, id) in path.iter().rev().enumerate() {
            depth.insert(id, below + i + 1);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
