//! The store's side of the one request service (`gridvoice_core::service`): the store is the
//! [`State`] requests read, and [`apply`] commits a request's effects in one transaction. [`handle`]
//! is the device's door: the Tauri shell, the device bridge and the CLI call it; the server calls
//! `gridvoice_core::service::handle` with the same state and applies the effects to its own
//! documents.

use gridvoice_core::access::{Author, Person, Principal, Role};
use gridvoice_core::api::{ApiError, DemandView, ParsedFilter, Request, Response, VisitView};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::doc::{self, Collection, DocKind};
use gridvoice_core::geography::locate::Placement;
use gridvoice_core::ids::{DelegateId, DemandId, StationId, VisitId};
use gridvoice_core::model::{Contact, Location};
use gridvoice_core::service::{self, DocRef, Effect, Record, State};
use gridvoice_core::territory::Territory;

pub use gridvoice_core::service::Ctx;

use crate::{Batch, Error, Result, Store, projection};

/// Handles one request on a device, as the device's person: the answer, with every effect
/// committed (or nothing, on a refusal or a failure).
pub fn handle(store: &mut Store, ctx: &mut Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    let run = |store: &mut Store, ctx: &mut Ctx<'_>| -> Result<Response> {
        let who = device_principal(store)?;
        let now = ctx.clock.now();
        let outcome = service::handle(store, &who, ctx, req)?;
        if !outcome.effects.is_empty() {
            apply(store, &outcome.effects, now)?;
            store.maybe_compact()?;
        }
        Ok(outcome.response)
    };
    run(store, ctx).map_err(ApiError::from)
}

/// The device's person as every replica judges them (the territory names heads).
pub fn device_principal(store: &Store) -> Result<Principal> {
    let (Some(me), Some(t)) = (store.identity(), store.territory()) else {
        return Err(Error::NotInitialised);
    };
    let person = Person::Delegate(me.delegate.clone());
    let role = Author::of(&person, t).map_or(Role::Delegate, |a| a.role);
    Ok(Principal {
        device: me.device,
        person,
        role,
        station: Some(me.station.clone()),
    })
}

/// Commits effects in one transaction under the store's actor: records and events into their
/// documents, projections, receipts (every event's, and the records' that ask for one).
pub fn apply(store: &mut Store, effects: &[Effect], now: Timestamp) -> Result<()> {
    store.write(None, |b| apply_in(b, effects, now))
}

/// [`apply`] inside a batch the caller commits.
pub(crate) fn apply_in(b: &mut Batch<'_>, effects: &[Effect], now: Timestamp) -> Result<()> {
    for e in effects {
        apply_one(b, e, now)?;
    }
    Ok(())
}

fn apply_one(b: &mut Batch<'_>, effect: &Effect, now: Timestamp) -> Result<()> {
    match effect {
        Effect::Put {
            doc: target,
            record,
            receipt,
        } => {
            let id = ensure(b, target)?;
            let key = record.id();
            let c = record.collection();
            let hash = b.edit(&id, |tx| record.put(tx))?;
            if *receipt && let Some(h) = hash {
                b.expect_receipt(&id, h, &key, now)?;
            }
            if let Record::Demand(d) = record {
                // A new demand has no events: its row is known without reading it back.
                projection::upsert_demand(&b.sql, &id, &DemandView::from_admitted(d.clone(), &[]))
            } else {
                b.project(&id, c, &key)
            }
        }
        Effect::Append {
            doc: target,
            collection,
            id: key,
            event,
        } => {
            let id = ensure(b, target)?;
            let hash = b.edit(&id, |tx| doc::append_event(tx, *collection, key, event))?;
            // A decision waits for the server like a record does: it counts as not yet synced
            // (the pending list names its record) until the server confirms the change.
            if let Some(h) = hash {
                b.expect_receipt(&id, h, key, now)?;
            }
            b.project(&id, *collection, key)
        }
    }
}

fn ensure(b: &mut Batch<'_>, target: &DocRef) -> Result<gridvoice_core::ids::DocId> {
    match target.kind() {
        DocKind::Contacts => b.ensure_doc(DocKind::Contacts, target.owner()),
        DocKind::Station => Ok(target.id()),
    }
}

fn station_str(s: Option<&StationId>) -> Option<&str> {
    s.map(StationId::as_str)
}

impl State for Store {
    type Error = Error;

    fn territory(&self) -> Result<&Territory> {
        Store::territory(self).ok_or(Error::NotInitialised)
    }

    fn demand(&mut self, id: &DemandId, station: Option<&StationId>) -> Result<Option<DemandView>> {
        projection::get_demand(self.connection(), &id.to_string(), station_str(station))
    }

    fn visit(&mut self, id: &VisitId, station: Option<&StationId>) -> Result<Option<VisitView>> {
        projection::get_visit(self.connection(), &id.to_string(), station_str(station))
    }

    fn list_demands(&mut self, f: &ParsedFilter) -> Result<(Vec<DemandView>, u64)> {
        projection::list_demands(self.connection(), f)
    }

    fn search(
        &mut self,
        query: &str,
        limit: u32,
        station: Option<&StationId>,
    ) -> Result<Vec<DemandView>> {
        self.write(None, |b| projection::catch_up_fts(&b.sql))?;
        projection::search(self.connection(), query, limit, station_str(station))
    }

    fn list_visits(&mut self, station: Option<&StationId>) -> Result<Vec<VisitView>> {
        projection::list_visits(self.connection(), station_str(station))
    }

    fn visits_page(
        &mut self,
        station: Option<&StationId>,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<VisitView>, u64)> {
        projection::visits_page(self.connection(), station_str(station), limit, offset)
    }

    fn contacts(&mut self, holder: &DelegateId, demand: &DemandId) -> Result<Vec<Contact>> {
        let id = gridvoice_core::ids::DocId::for_contacts(holder);
        if !self.has_doc(&id)? {
            return Ok(Vec::new());
        }
        contacts_in(self, &id, demand)
    }

    fn contacts_held_by(&mut self, holder: &DelegateId) -> Result<Vec<Contact>> {
        let id = gridvoice_core::ids::DocId::for_contacts(holder);
        if !self.has_doc(&id)? {
            return Ok(Vec::new());
        }
        let doc = self.doc(&id)?;
        let mut out = Vec::new();
        for key in doc::record_ids(doc, Collection::Contacts)? {
            if let Ok(Some(s)) = doc::read_record::<Contact>(doc, Collection::Contacts, &key)
                && s.record.id.to_string() == key
            {
                out.push(s.record);
            }
        }
        Ok(out)
    }

    fn suggestion(
        &mut self,
        id: &gridvoice_core::ids::SuggestionId,
        station: Option<&StationId>,
    ) -> Result<Option<gridvoice_core::api::SuggestionView>> {
        projection::get_suggestion(self.connection(), &id.to_string(), station_str(station))
    }

    fn list_suggestions(
        &mut self,
        station: &StationId,
    ) -> Result<Vec<gridvoice_core::api::SuggestionView>> {
        projection::list_suggestions(self.connection(), station.as_str())
    }

    fn open_demands(&mut self, station: &StationId) -> Result<Vec<DemandView>> {
        projection::open_demands(self.connection(), station.as_str())
    }

    fn calendar(&self) -> &gridvoice_core::calendar::Calendar {
        Store::calendar(self)
    }

    fn policy(&self) -> &gridvoice_core::deadline::Policy {
        static DEFAULT: std::sync::OnceLock<gridvoice_core::deadline::Policy> =
            std::sync::OnceLock::new();
        Store::policy(self)
            .unwrap_or_else(|| DEFAULT.get_or_init(gridvoice_core::deadline::Policy::default))
    }

    fn unsettled_demands(&mut self, station: Option<&StationId>) -> Result<Vec<DemandView>> {
        projection::unsettled_demands(self.connection(), station_str(station))
    }

    fn has_photo(&mut self, hash: &str) -> Result<bool> {
        Store::has_photo(self, hash)
    }

    fn locate(&mut self, loc: &Location) -> Result<Placement> {
        Store::locate(self, loc)
    }
}

fn contacts_in(
    store: &mut Store,
    id: &gridvoice_core::ids::DocId,
    demand: &DemandId,
) -> Result<Vec<Contact>> {
    let doc = store.doc(id)?;
    let mut out = Vec::new();
    for key in doc::record_ids(doc, Collection::Contacts)? {
        if let Ok(Some(s)) = doc::read_record::<Contact>(doc, Collection::Contacts, &key)
            && &s.record.demand == demand
            && s.record.id.to_string() == key
        {
            out.push(s.record);
        }
    }
    Ok(out)
}

/// Contacts of a demand held in any of this store's contacts documents (tests and the crash check
/// read what a device holds; people read through the service, under its access rule).
pub fn contacts_of(store: &mut Store, demand: &DemandId) -> Result<Vec<Contact>> {
    let mut out = Vec::new();
    for (id, kind, _) in store.documents()? {
        if kind == DocKind::Contacts.code() {
            out.extend(contacts_in(store, &id, demand)?);
        }
    }
    Ok(out)
}
