//! The delegate's work in the field (联系选民): start and end a visit, record a demand with its
//! place and photos, attach a resident's contact (with consent). Each is a new record or an event
//! under the authority rule, checked before anything is written.

use super::{Ctx, DocRef, Effect, Outcome, Record, State, as_delegate, author, new_event};
use crate::access::{Principal, Target, may_append, may_put};
use crate::api::{DemandView, RecordDemand, Response, StartVisit, VisitView};
use crate::capture::{self, Recorder};
use crate::doc::Collection;
use crate::error::Error;
use crate::ids::{ContactId, DelegateId, DemandId, VisitId};
use crate::model::Contact;
use crate::workflow::{Event, EventKind};

pub(super) fn start_visit<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    r: &StartVisit,
) -> Result<Outcome, S::Error> {
    let me = author(state, who)?;
    let (delegate, station) = as_delegate(&me)?;
    may_put(&me, Collection::Visits, station.as_str(), &delegate).map_err(Error::NotPermitted)?;
    let now = ctx.clock.now();
    let t = state.territory()?;
    let recorder = Recorder {
        delegate: &delegate,
        station: &station,
        device: who.device,
        territory: t,
    };
    let visit = capture::new_visit(&recorder, r, VisitId::new(ctx.ids, now), now)?;
    let view = VisitView::new(visit.clone(), &[], t);
    Ok(Outcome {
        response: Response::Visit(Box::new(view)),
        effects: vec![Effect::Put {
            doc: DocRef::Station(station),
            record: Record::Visit(visit),
            receipt: false,
        }],
    })
}

pub(super) fn end_visit<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    visit: VisitId,
    attendance: u32,
    delegates: Vec<DelegateId>,
) -> Result<Outcome, S::Error> {
    let me = author(state, who)?;
    let view = state
        .visit(&visit, me.station.as_ref())?
        .ok_or_else(|| Error::UnknownVisit(visit.to_string()))?;
    if view.state.ended_at.is_some() {
        return Err(Error::VisitEnded(visit.to_string()).into());
    }
    let t = state.territory()?;
    for d in &delegates {
        if t.delegate(d).is_none() {
            return Err(Error::UnknownDelegate(d.to_string()).into());
        }
    }
    let now = ctx.clock.now();
    let what = EventKind::VisitEnded {
        attendance,
        delegates,
    };
    let event = new_event(&me, who, ctx, now, &workflow_events(&view), what);
    let target = Target {
        collection: Collection::Visits,
        station: &view.visit.station,
        recorded_by: &view.visit.started_by,
    };
    may_append(&me, &event.what, target).map_err(Error::NotPermitted)?;
    let station = view.visit.station.clone();
    let mut events = workflow_events(&view);
    events.push(event.clone());
    let response = VisitView::new(view.visit, &events, t);
    Ok(Outcome {
        response: Response::Visit(Box::new(response)),
        effects: vec![Effect::Append {
            doc: DocRef::Station(station),
            collection: Collection::Visits,
            id: visit.to_string(),
            event,
        }],
    })
}

/// A visit's events as its view holds them (the admitted ones).
fn workflow_events(view: &VisitView) -> Vec<Event> {
    view.history.clone()
}

pub(super) fn record_demand<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    mut r: RecordDemand,
) -> Result<Outcome, S::Error> {
    let me = author(state, who)?;
    let (delegate, station) = as_delegate(&me)?;
    may_put(&me, Collection::Demands, station.as_str(), &delegate).map_err(Error::NotPermitted)?;
    if r.grid.is_none()
        && let Some(loc) = &r.location
    {
        capture::check_location(loc)?;
        let placed = state
            .locate(loc)
            .map_err(|_| Error::MissingField { field: "grid" })?;
        r.grid = Some(placed.grid);
    }
    let now = ctx.clock.now();
    let id = r.id.unwrap_or_else(|| DemandId::new(ctx.ids, now));
    // A retry of a capture that was already saved returns what was saved.
    if let Some(existing) = state.demand(&id, Some(&station))? {
        return Ok(Outcome::read(Response::Demand(Box::new(existing))));
    }
    let visit_known = match &r.visit {
        Some(v) => state.visit(v, Some(&station))?.is_some(),
        None => true,
    };
    let t = state.territory()?;
    let recorder = Recorder {
        delegate: &delegate,
        station: &station,
        device: who.device,
        territory: t,
    };
    let (demand, contact) =
        capture::new_demand(&recorder, &r, id, ContactId::new(ctx.ids, now), now, |_| {
            visit_known
        })?;
    // Photos travel on their own: each must already be stored here.
    for h in &demand.attachments {
        if !state.has_photo(h)? {
            return Err(Error::InvalidPhoto("照片未保存在本机，请重新添加".into()).into());
        }
    }
    let t = state.territory()?;
    let view = DemandView::new(demand.clone(), &[], t);
    let mut effects = vec![Effect::Put {
        doc: DocRef::Station(station),
        record: Record::Demand(demand),
        receipt: true,
    }];
    if let Some(c) = contact {
        may_put(&me, Collection::Contacts, delegate.as_str(), &delegate)
            .map_err(Error::NotPermitted)?;
        effects.push(Effect::Put {
            doc: DocRef::Contacts(delegate),
            record: Record::Contact(c),
            receipt: true,
        });
    }
    Ok(Outcome {
        response: Response::Demand(Box::new(view)),
        effects,
    })
}

pub(super) fn attach_contact<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    demand: DemandId,
    contact: &crate::api::NewContact,
) -> Result<Outcome, S::Error> {
    let me = author(state, who)?;
    let (delegate, _) = as_delegate(&me)?;
    let view = state
        .demand(&demand, me.station.as_ref())?
        .ok_or_else(|| Error::NotFound(format!("demand {demand}")))?;
    let (name, phone) = capture::check_contact(contact)?;
    may_put(&me, Collection::Contacts, delegate.as_str(), &delegate)
        .map_err(Error::NotPermitted)?;
    let now = ctx.clock.now();
    let c = Contact {
        id: ContactId::new(ctx.ids, now),
        demand,
        name,
        phone,
        consent: true,
        recorded_at: now,
        recorded_by: delegate.clone(),
    };
    let contact_id = c.id;
    let mut effects = vec![Effect::Put {
        doc: DocRef::Contacts(delegate.clone()),
        record: Record::Contact(c),
        receipt: false,
    }];
    let already = view.demand.contacts_in.as_ref() == Some(&delegate)
        || view.state.contacts_in.contains(&delegate);
    if !already {
        let what = EventKind::ContactAttached { delegate };
        let event = new_event(&me, who, ctx, now, &view.history, what);
        let target = Target {
            collection: Collection::Demands,
            station: &view.demand.station,
            recorded_by: &view.demand.recorded_by,
        };
        may_append(&me, &event.what, target).map_err(Error::NotPermitted)?;
        effects.push(Effect::Append {
            doc: DocRef::Station(view.demand.station.clone()),
            collection: Collection::Demands,
            id: demand.to_string(),
            event,
        });
    }
    Ok(Outcome {
        response: Response::ContactAttached {
            contact: contact_id,
            demand,
        },
        effects,
    })
}
