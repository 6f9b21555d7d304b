//! `handle`: the one entry point for the request vocabulary. The Tauri shell, the HTTP server and
//! the CLI all call this; each is a thin adapter around it.

use gridvoice_core::api::{ApiError, DemandView, Request, Response, VisitView};
use gridvoice_core::capture::{self, Recorder};
use gridvoice_core::clock::{Clock, IdSource};
use gridvoice_core::doc::{self, Collection, DocKind};
use gridvoice_core::ids::{ContactId, DemandId, DocId, EventId, VisitId};
use gridvoice_core::model::{Contact, Visit};
use gridvoice_core::workflow::{self, Actor, Event, EventKind};
use gridvoice_core::{Error as CoreError, ErrorCode};

use crate::{DeviceIdentity, Error, Result, Store, projection};

/// Where time and ids come from for one call.
#[allow(missing_debug_implementations, reason = "holds trait objects only")]
pub struct Ctx<'a> {
    pub clock: &'a dyn Clock,
    pub ids: &'a mut dyn IdSource,
}

/// Handles one request. Errors come back as a stable code and a Chinese message; nothing is
/// stored half.
pub fn handle(store: &mut Store, ctx: &mut Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    dispatch(store, ctx, req).map_err(ApiError::from)
}

fn dispatch(store: &mut Store, ctx: &mut Ctx<'_>, req: Request) -> Result<Response> {
    match req {
        Request::StartVisit(r) => {
            let (me, territory) = device(store)?;
            let now = ctx.clock.now();
            let who = Recorder {
                delegate: &me.delegate,
                station: &me.station,
                device: me.device,
                territory: &territory,
            };
            let visit = capture::new_visit(&who, &r, VisitId::new(ctx.ids, now), now)?;
            let doc_id = DocId::for_station(&me.station);
            let id = visit.id.to_string();
            store.write(None, |b| {
                b.edit(&doc_id, |tx| {
                    doc::put_record(tx, Collection::Visits, &id, &visit)
                })?;
                b.project(&doc_id, Collection::Visits, &id)
            })?;
            visit_response(store, &id)
        }
        Request::EndVisit {
            visit,
            attendance,
            delegates,
        } => {
            let (me, territory) = device(store)?;
            let id = visit.to_string();
            let doc_id = DocId::for_station(&me.station);
            let stored = doc::read_record::<Visit>(store.doc(&doc_id)?, Collection::Visits, &id)?
                .ok_or_else(|| CoreError::UnknownVisit(id.clone()))?;
            if VisitView::new(stored.record, &stored.events)
                .state
                .ended_at
                .is_some()
            {
                return Err(CoreError::VisitEnded(id).into());
            }
            for d in &delegates {
                if territory.delegate(d).is_none() {
                    return Err(CoreError::UnknownDelegate(d.to_string()).into());
                }
            }
            let now = ctx.clock.now();
            let event = Event {
                id: EventId::new(ctx.ids, now),
                at: now,
                by: Actor::Delegate(me.delegate.clone()),
                device: me.device,
                prev: workflow::heads(&stored.events),
                what: EventKind::VisitEnded {
                    attendance,
                    delegates,
                },
            };
            store.write(None, |b| {
                b.edit(&doc_id, |tx| {
                    doc::append_event(tx, Collection::Visits, &id, &event)
                })?;
                b.project(&doc_id, Collection::Visits, &id)
            })?;
            visit_response(store, &id)
        }
        Request::RecordDemand(mut r) => {
            let me = identity(store)?;
            if r.grid.is_none()
                && let Some(loc) = &r.location
            {
                capture::check_location(loc)?;
                let placed = store
                    .locate(loc)
                    .map_err(|_| CoreError::MissingField { field: "grid" })?;
                r.grid = Some(placed.grid);
            }
            let now = ctx.clock.now();
            let id = r.id.unwrap_or_else(|| DemandId::new(ctx.ids, now));
            let key = id.to_string();
            // A retry of a capture that was already saved returns what was saved.
            if let Some(existing) = projection::get_demand(store.connection(), &key)? {
                return Ok(Response::Demand(Box::new(existing)));
            }
            let station_doc = DocId::for_station(&me.station);
            let visit_known = match &r.visit {
                Some(v) => {
                    doc::has_record(store.doc(&station_doc)?, Collection::Visits, &v.to_string())?
                }
                None => true,
            };
            let territory = store.territory().ok_or(Error::NotInitialised)?;
            let who = Recorder {
                delegate: &me.delegate,
                station: &me.station,
                device: me.device,
                territory,
            };
            let (demand, contact) =
                capture::new_demand(&who, &r, id, ContactId::new(ctx.ids, now), now, |_| {
                    visit_known
                })?;
            // Photos travel on their own: each must already be stored here.
            for h in &demand.attachments {
                if !store.has_photo(h)? {
                    return Err(
                        CoreError::InvalidPhoto("照片未保存在本机，请重新添加".into()).into(),
                    );
                }
            }
            // A new record has no events yet: its view is known without reading it back.
            let view = DemandView::new(demand, &[]);
            store.write(None, |b| {
                let hash = b.edit(&station_doc, |tx| {
                    doc::put_record(tx, Collection::Demands, &key, &view.demand)
                })?;
                if let Some(h) = hash {
                    b.expect_receipt(&station_doc, h, &key, now)?;
                }
                if let Some(c) = &contact {
                    let contacts_doc = DocId::for_contacts(&me.delegate);
                    if let Some(h) = put_contact(b, &me, c)? {
                        b.expect_receipt(&contacts_doc, h, &c.id.to_string(), now)?;
                    }
                }
                projection::upsert_demand(&b.sql, &station_doc, &view)
            })?;
            store.maybe_compact()?;
            Ok(Response::Demand(Box::new(view)))
        }
        Request::GetDemand { id } => demand_response(store, &id.to_string()),
        Request::ListDemands(filter) => {
            let f = filter.parse()?;
            let (items, total) = projection::list_demands(store.connection(), &f)?;
            Ok(Response::Demands { items, total })
        }
        Request::Search { query, limit } => {
            store.write(None, |b| projection::catch_up_fts(&b.sql))?;
            let items = projection::search(store.connection(), &query, limit.unwrap_or(50), None)?;
            let total = items.len() as u64;
            Ok(Response::Demands { items, total })
        }
        Request::AttachContact { demand, contact } => {
            let (me, _) = device(store)?;
            let key = demand.to_string();
            let view = projection::get_demand(store.connection(), &key)?
                .ok_or_else(|| CoreError::NotFound(format!("demand {key}")))?;
            let (name, phone) = capture::check_contact(&contact)?;
            let now = ctx.clock.now();
            let c = Contact {
                id: ContactId::new(ctx.ids, now),
                demand,
                name,
                phone,
                consent: true,
                recorded_at: now,
                recorded_by: me.delegate.clone(),
            };
            let station_doc = DocId::for_station(&view.demand.station);
            let already = view.demand.contacts_in.as_ref() == Some(&me.delegate)
                || view.state.contacts_in.contains(&me.delegate);
            let event = Event {
                id: EventId::new(ctx.ids, now),
                at: now,
                by: Actor::Delegate(me.delegate.clone()),
                device: me.device,
                prev: view.history.iter().map(|e| e.id).collect::<Vec<_>>(),
                what: EventKind::ContactAttached {
                    delegate: me.delegate.clone(),
                },
            };
            let event = Event {
                prev: workflow::heads(&view.history),
                ..event
            };
            store.write(None, |b| {
                put_contact(b, &me, &c)?;
                if !already {
                    b.edit(&station_doc, |tx| {
                        doc::append_event(tx, Collection::Demands, &key, &event)
                    })?;
                    b.project(&station_doc, Collection::Demands, &key)?;
                }
                Ok(())
            })?;
            Ok(Response::ContactAttached {
                contact: c.id,
                demand,
            })
        }
        Request::ContactsOf { demand } => Ok(Response::Contacts {
            items: contacts_of(store, &demand)?,
        }),
        Request::ListVisits => Ok(Response::Visits {
            items: projection::list_visits(store.connection())?,
        }),
    }
}

fn put_contact(
    b: &mut crate::Batch<'_>,
    me: &DeviceIdentity,
    c: &Contact,
) -> Result<Option<automerge::ChangeHash>> {
    let contacts_doc = b.ensure_doc(DocKind::Contacts, me.delegate.as_str())?;
    let key = c.id.to_string();
    b.edit(&contacts_doc, |tx| {
        doc::put_record(tx, Collection::Contacts, &key, c)
    })
}

fn identity(store: &Store) -> Result<DeviceIdentity> {
    store.identity().cloned().ok_or(Error::NotInitialised)
}

fn device(store: &Store) -> Result<(DeviceIdentity, gridvoice_core::territory::Territory)> {
    match (store.identity(), store.territory()) {
        (Some(i), Some(t)) => Ok((i.clone(), t.clone())),
        _ => Err(Error::NotInitialised),
    }
}

fn demand_response(store: &Store, id: &str) -> Result<Response> {
    let view: DemandView = projection::get_demand(store.connection(), id)?
        .ok_or_else(|| CoreError::NotFound(format!("demand {id}")))?;
    Ok(Response::Demand(Box::new(view)))
}

fn visit_response(store: &Store, id: &str) -> Result<Response> {
    let view = projection::get_visit(store.connection(), id)?
        .ok_or_else(|| CoreError::NotFound(format!("visit {id}")))?;
    Ok(Response::Visit(Box::new(view)))
}

/// Contacts of a demand held in this store's contacts documents (for the delegate who recorded
/// them; access rules for others are the server's).
pub fn contacts_of(store: &mut Store, demand: &DemandId) -> Result<Vec<Contact>> {
    let mut out = Vec::new();
    for (id, kind, _) in store.documents()? {
        if kind != DocKind::Contacts.code() {
            continue;
        }
        let doc = store.doc(&id)?;
        for key in doc::record_ids(doc, Collection::Contacts)? {
            if let Some(s) = doc::read_record::<Contact>(doc, Collection::Contacts, &key)?
                && &s.record.demand == demand
            {
                out.push(s.record);
            }
        }
    }
    Ok(out)
}

/// Kept for callers that want to signal a bad request built outside the vocabulary.
pub fn bad_request(message: &str) -> ApiError {
    ApiError::new(ErrorCode::BadRequest, message)
}
