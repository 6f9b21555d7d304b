//! Starting over after the server refused one of this device's changes.
//!
//! A refused change stays in the device's documents, and every later change of the device builds
//! on it (Automerge changes depend on their author's previous ones), so the server would refuse
//! those too. The device recovers without losing its honest records:
//!
//! 1. [`Store::begin_recovery`] — in one transaction: each document is saved whole into `stash`,
//!    its changes, sync states, receipts and projection rows are dropped, it starts again from its
//!    genesis, and the device takes a fresh actor (`actor_epoch`).
//! 2. A sync pulls the server's version of every document.
//! 3. [`Store::finish_recovery`] — in one transaction: every record and event of this device's
//!    person that the server's version lacks is written again, under the fresh actor, after the
//!    same authority check the request service makes (what the rule refuses is dropped and
//!    counted); the stash is deleted.
//! 4. A sync sends them; receipts follow as for any record.
//!
//! A crash between 1 and 3 loses nothing: the stash stays until 3 commits, and the next sync
//! finishes the recovery.

use automerge::Automerge;
use gridvoice_core::access::{Author, Person, Target, may_append, may_put};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::doc::{self, Collection, DocKind};
use gridvoice_core::ids::DocId;
use gridvoice_core::model::{Contact, Demand, Visit};
use gridvoice_core::service::{DocRef, Effect, Record};
use gridvoice_core::workflow::{Actor, Event};
use rusqlite::{OptionalExtension, params};

use crate::{Error, Result, Store, projection, write_meta};

pub use gridvoice_core::device::Recovered;

impl Store {
    /// The actor this device writes under now: fresh for each opening of the store (its random
    /// session) and each recovery in it (the epoch). The server binds each actor to the device
    /// that first sends a change under it.
    pub(crate) fn actor(&self) -> Option<automerge::ActorId> {
        self.identity.as_ref().map(|_| self.session_actor())
    }

    pub(crate) fn session_actor(&self) -> automerge::ActorId {
        let fresh = uuid::Uuid::new_v5(&self.session, &self.actor_epoch.to_be_bytes());
        automerge::ActorId::from(fresh.as_bytes().as_slice())
    }

    /// Whether a recovery has begun and not finished.
    pub fn recovering(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM stash LIMIT 1", [], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Step 1 (see the module): keep what this device holds aside and start its documents again
    /// from genesis under a fresh actor. Does nothing when a recovery is already under way.
    pub fn begin_recovery(&mut self) -> Result<()> {
        if self.identity.is_none() {
            return Err(Error::NotInitialised);
        }
        if self.recovering()? {
            return Ok(());
        }
        let docs = self.documents()?;
        let mut saved = Vec::new();
        for (id, kind, owner) in &docs {
            let bytes = self.doc(id)?.clone().save();
            saved.push((*id, kind.clone(), owner.clone(), bytes));
        }
        let epoch = self.actor_epoch + 1;
        self.write(None, |b| {
            for (id, kind, owner, bytes) in &saved {
                let key = id.to_string();
                b.sql.execute(
                    "INSERT INTO stash (doc_id, bytes) VALUES (?1, ?2)",
                    params![key, bytes],
                )?;
                projection::clear(&b.sql, id)?;
                for table in [
                    "changes",
                    "snapshots",
                    "sync_states",
                    "receipts",
                    "documents",
                ] {
                    b.sql
                        .execute(&format!("DELETE FROM {table} WHERE doc_id = ?1"), [&key])?;
                }
                if let Some(k) = DocKind::parse(kind) {
                    b.ensure_doc(k, owner)?;
                }
            }
            write_meta(&b.sql, "actor_epoch", &epoch)?;
            Ok(())
        })?;
        self.actor_epoch = epoch;
        self.docs.clear();
        self.change_counts.clear();
        Ok(())
    }

    /// Step 3 (see the module): writes again what the server's version lacks of this device's
    /// person's records and events. `None` when no recovery is under way.
    pub fn finish_recovery(&mut self, now: Timestamp) -> Result<Option<Recovered>> {
        if !self.recovering()? {
            return Ok(None);
        }
        let (Some(me), Some(t)) = (self.identity.clone(), self.territory.clone()) else {
            return Err(Error::NotInitialised);
        };
        let person = Person::Delegate(me.delegate.clone());
        let author = Author::of(&person, &t);
        let stash: Vec<(String, Vec<u8>)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT doc_id, bytes FROM stash ORDER BY doc_id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut report = Recovered::default();
        let mut puts = Vec::new();
        let mut appends = Vec::new();
        for (key, bytes) in stash {
            let id: DocId = key
                .parse()
                .map_err(|_| Error::CorruptStore(format!("stash names {key}")))?;
            let old = crate::chunks::guarded("a stash", || Automerge::load(&bytes))?
                .map_err(|e| Error::CorruptStore(format!("stash of {key}: {e}")))?;
            let Ok(info) = doc::info(&old) else { continue };
            let target = match info.kind {
                DocKind::Station => DocRef::Station(info.owner.as_str().into()),
                DocKind::Contacts => DocRef::Contacts(info.owner.as_str().into()),
            };
            let now_doc = self.doc(&id)?.clone();
            for &c in collections(info.kind) {
                for rid in doc::record_ids(&old, c)? {
                    let fresh = doc::has_record(&now_doc, c, &rid)?;
                    let Some((record, station, by)) = mine(&old, c, &rid, &me.delegate)? else {
                        // Someone else's record: only this person's events on it come back.
                        let events = events_of(&old, c, &rid)?;
                        let facts = facts(&old, c, &rid)?;
                        queue_events(
                            &now_doc,
                            c,
                            &rid,
                            fresh,
                            events,
                            facts.as_ref(),
                            &person,
                            &me,
                            author.as_ref(),
                            &target,
                            &mut appends,
                            &mut report,
                        )?;
                        continue;
                    };
                    if !fresh {
                        let allowed = author
                            .as_ref()
                            .is_some_and(|a| may_put(a, c, &info.owner, &by).is_ok());
                        if !allowed {
                            report.dropped += 1;
                            continue;
                        }
                        let receipt = matches!(record, Record::Demand(_) | Record::Contact(_));
                        puts.push(Effect::Put {
                            doc: target.clone(),
                            record,
                            receipt,
                        });
                        report.rewritten += 1;
                    }
                    let events = events_of(&old, c, &rid)?;
                    queue_events(
                        &now_doc,
                        c,
                        &rid,
                        true,
                        events,
                        station.as_ref().map(|s| (s.clone(), by.clone())).as_ref(),
                        &person,
                        &me,
                        author.as_ref(),
                        &target,
                        &mut appends,
                        &mut report,
                    )?;
                }
            }
        }
        puts.extend(appends);
        self.write(None, |b| {
            crate::service::apply_in(b, &puts, now)?;
            b.sql.execute("DELETE FROM stash", [])?;
            Ok(())
        })?;
        Ok(Some(report))
    }
}

fn collections(kind: DocKind) -> &'static [Collection] {
    match kind {
        DocKind::Station => &[Collection::Visits, Collection::Demands],
        DocKind::Contacts => &[Collection::Contacts],
    }
}

type Facts = (
    gridvoice_core::ids::StationId,
    gridvoice_core::ids::DelegateId,
);

/// A record this person made, as a record to write again, with its station and recorder.
fn mine(
    old: &Automerge,
    c: Collection,
    id: &str,
    me: &gridvoice_core::ids::DelegateId,
) -> Result<
    Option<(
        Record,
        Option<gridvoice_core::ids::StationId>,
        gridvoice_core::ids::DelegateId,
    )>,
> {
    Ok(match c {
        Collection::Demands => doc::read_record::<Demand>(old, c, id)?
            .filter(|s| &s.record.recorded_by == me && s.record.id.to_string() == id)
            .map(|s| {
                let (st, by) = (s.record.station.clone(), s.record.recorded_by.clone());
                (Record::Demand(s.record), Some(st), by)
            }),
        Collection::Visits => doc::read_record::<Visit>(old, c, id)?
            .filter(|s| &s.record.started_by == me && s.record.id.to_string() == id)
            .map(|s| {
                let (st, by) = (s.record.station.clone(), s.record.started_by.clone());
                (Record::Visit(s.record), Some(st), by)
            }),
        Collection::Contacts => doc::read_record::<Contact>(old, c, id)?
            .filter(|s| &s.record.recorded_by == me && s.record.id.to_string() == id)
            .map(|s| {
                let by = s.record.recorded_by.clone();
                (Record::Contact(s.record), None, by)
            }),
        Collection::Suggestions => None,
    })
}

/// The station and recorder of someone else's record (for the authority check of events on it).
fn facts(old: &Automerge, c: Collection, id: &str) -> Result<Option<Facts>> {
    Ok(match c {
        Collection::Demands => doc::read_record::<Demand>(old, c, id)?
            .map(|s| (s.record.station, s.record.recorded_by)),
        Collection::Visits => {
            doc::read_record::<Visit>(old, c, id)?.map(|s| (s.record.station, s.record.started_by))
        }
        _ => None,
    })
}

fn events_of(old: &Automerge, c: Collection, id: &str) -> Result<Vec<Event>> {
    Ok(match c {
        Collection::Contacts => Vec::new(),
        _ => doc::read_record::<serde_json::Value>(old, c, id)?
            .map(|s| s.events)
            .unwrap_or_default(),
    })
}

/// Queues this person's events on a record that the server's version lacks, under the device's
/// current id (the event's author must be the device that sends it).
#[allow(
    clippy::too_many_arguments,
    reason = "one call site, the recovery loop"
)]
fn queue_events(
    now_doc: &Automerge,
    c: Collection,
    rid: &str,
    record_there: bool,
    events: Vec<Event>,
    facts: Option<&Facts>,
    person: &Person,
    me: &crate::DeviceIdentity,
    author: Option<&Author>,
    target: &DocRef,
    appends: &mut Vec<Effect>,
    report: &mut Recovered,
) -> Result<()> {
    let known: std::collections::BTreeSet<String> = if doc::has_record(now_doc, c, rid)? {
        doc::read_record::<serde_json::Value>(now_doc, c, rid)?
            .map(|s| s.events.iter().map(|e| e.id.to_string()).collect())
            .unwrap_or_default()
    } else {
        Default::default()
    };
    for e in events {
        let ours = gridvoice_core::access::authority::person_of(&e.by) == *person
            && matches!(e.by, Actor::Delegate(_));
        if !ours || known.contains(&e.id.to_string()) {
            continue;
        }
        let allowed = record_there
            && match (author, facts) {
                (Some(a), Some((station, by))) => may_append(
                    a,
                    &e.what,
                    Target {
                        collection: c,
                        station,
                        recorded_by: by,
                    },
                )
                .is_ok(),
                _ => false,
            };
        if !allowed {
            report.dropped += 1;
            continue;
        }
        appends.push(Effect::Append {
            doc: target.clone(),
            collection: c,
            id: rid.to_owned(),
            event: Event {
                device: me.device,
                ..e
            },
        });
        report.rewritten += 1;
    }
    Ok(())
}
