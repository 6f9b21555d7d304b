//! The one request service: a [`Principal`] and a [`Request`], with the state the request reads
//! ([`State`]), become a [`Response`] and the [`Effect`]s to commit. Pure: devices apply the effects
//! to their store under the device's actor; the server applies them to its documents under its own
//! actor, so whatever either writes syncs to every replica like any other change.
//!
//! Every write is checked against the authority rule ([`crate::access::authority`]) before it
//! becomes an effect: an honest device never writes what a server or a replica would refuse.
//! Reads are scoped by role: a delegate or a station head sees their station, the office every
//! station, an admin no resident data.

mod field;
mod office;
mod station;

use crate::access::{Access, Author, Person, Principal, Role, access};
use crate::api::{ApiError, DemandView, ParsedFilter, Request, Response, VisitView};
use crate::clock::{Clock, IdSource, Timestamp};
use crate::doc::{Collection, DocKind};
use crate::error::{Error, ErrorCode};
use crate::geography::locate::Placement;
use crate::ids::{DelegateId, DemandId, DocId, EventId, StationId, VisitId};
use crate::model::{Contact, Demand, Location, Visit};
use crate::territory::Territory;
use crate::workflow::{self, Event, EventKind};

/// What a request reads. The store implements it on devices and on the server.
pub trait State {
    /// The side's own error; core errors convert into it.
    type Error: From<Error>;

    fn territory(&self) -> Result<&Territory, Self::Error>;
    /// A demand, within `station` when given.
    fn demand(
        &mut self,
        id: &DemandId,
        station: Option<&StationId>,
    ) -> Result<Option<DemandView>, Self::Error>;
    /// A visit, within `station` when given.
    fn visit(
        &mut self,
        id: &VisitId,
        station: Option<&StationId>,
    ) -> Result<Option<VisitView>, Self::Error>;
    fn list_demands(&mut self, f: &ParsedFilter) -> Result<(Vec<DemandView>, u64), Self::Error>;
    fn search(
        &mut self,
        query: &str,
        limit: u32,
        station: Option<&StationId>,
    ) -> Result<Vec<DemandView>, Self::Error>;
    fn list_visits(&mut self, station: Option<&StationId>) -> Result<Vec<VisitView>, Self::Error>;
    /// A page of [`State::list_visits`] (`limit` from `offset`), with the count of them all.
    fn visits_page(
        &mut self,
        station: Option<&StationId>,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<VisitView>, u64), Self::Error>;
    /// The contacts of `demand` held in `holder`'s contacts document, as far as this side holds it.
    fn contacts(
        &mut self,
        holder: &DelegateId,
        demand: &DemandId,
    ) -> Result<Vec<Contact>, Self::Error>;
    /// Every contact held in `holder`'s contacts document, as far as this side holds it (the
    /// registers read them once per holder, not once per demand).
    fn contacts_held_by(&mut self, holder: &DelegateId) -> Result<Vec<Contact>, Self::Error>;
    /// A suggestion, within `station` when given.
    fn suggestion(
        &mut self,
        id: &crate::ids::SuggestionId,
        station: Option<&StationId>,
    ) -> Result<Option<crate::api::SuggestionView>, Self::Error>;
    /// Every suggestion of a station.
    fn list_suggestions(
        &mut self,
        station: &StationId,
    ) -> Result<Vec<crate::api::SuggestionView>, Self::Error>;
    /// Every demand of a station that is still open to review (recorded or reviewed).
    fn open_demands(&mut self, station: &StationId) -> Result<Vec<DemandView>, Self::Error>;
    /// Every demand not yet settled (not closed, withdrawn or joined), of one station or all.
    fn unsettled_demands(
        &mut self,
        station: Option<&StationId>,
    ) -> Result<Vec<DemandView>, Self::Error>;
    /// The working-day calendar deadlines count on (the one this build carries, unless this side
    /// loaded an office's newer file).
    fn calendar(&self) -> &crate::calendar::Calendar {
        crate::calendar::carried()
    }
    /// The time limits of each stage.
    fn policy(&self) -> &crate::deadline::Policy {
        static DEFAULT: std::sync::OnceLock<crate::deadline::Policy> = std::sync::OnceLock::new();
        DEFAULT.get_or_init(crate::deadline::Policy::default)
    }
    /// Whether a photo is stored here.
    fn has_photo(&mut self, hash: &str) -> Result<bool, Self::Error>;
    /// Point → grid.
    fn locate(&mut self, loc: &Location) -> Result<Placement, Self::Error>;
}

/// A document an effect writes to: enough to make it by its deterministic genesis if this side does
/// not hold it yet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocRef {
    Station(StationId),
    Contacts(DelegateId),
}

impl DocRef {
    pub fn id(&self) -> DocId {
        match self {
            DocRef::Station(s) => DocId::for_station(s),
            DocRef::Contacts(d) => DocId::for_contacts(d),
        }
    }

    pub fn kind(&self) -> DocKind {
        match self {
            DocRef::Station(_) => DocKind::Station,
            DocRef::Contacts(_) => DocKind::Contacts,
        }
    }

    pub fn owner(&self) -> &str {
        match self {
            DocRef::Station(s) => s.as_str(),
            DocRef::Contacts(d) => d.as_str(),
        }
    }
}

/// A new record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Visit(Visit),
    Demand(Demand),
    Contact(Contact),
    Suggestion(crate::model::Suggestion),
}

impl Record {
    pub fn collection(&self) -> Collection {
        match self {
            Record::Visit(_) => Collection::Visits,
            Record::Demand(_) => Collection::Demands,
            Record::Contact(_) => Collection::Contacts,
            Record::Suggestion(_) => Collection::Suggestions,
        }
    }

    pub fn id(&self) -> String {
        match self {
            Record::Visit(v) => v.id.to_string(),
            Record::Demand(d) => d.id.to_string(),
            Record::Contact(c) => c.id.to_string(),
            Record::Suggestion(s) => s.id.to_string(),
        }
    }

    /// Its fixed fields as they are stored (JSON).
    pub fn json(&self) -> Result<String, Error> {
        let json = match self {
            Record::Visit(v) => serde_json::to_string(v),
            Record::Demand(d) => serde_json::to_string(d),
            Record::Contact(x) => serde_json::to_string(x),
            Record::Suggestion(x) => serde_json::to_string(x),
        };
        json.map_err(|e| Error::CorruptDocument(e.to_string()))
    }

    /// Writes it into a document (its fixed fields as canonical JSON, an empty event map).
    pub fn put(&self, tx: &mut impl automerge::transaction::Transactable) -> Result<(), Error> {
        let (c, key) = (self.collection(), self.id());
        match self {
            Record::Visit(v) => crate::doc::put_record(tx, c, &key, v),
            Record::Demand(d) => crate::doc::put_record(tx, c, &key, d),
            Record::Contact(x) => crate::doc::put_record(tx, c, &key, x),
            Record::Suggestion(x) => crate::doc::put_record(tx, c, &key, x),
        }
    }
}

/// One write to commit. All effects of one request commit together or not at all.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Add a record; `receipt`: the device tracks the change that carries it until the server
    /// confirms it.
    Put {
        doc: DocRef,
        record: Record,
        receipt: bool,
    },
    /// Append an event to a record.
    Append {
        doc: DocRef,
        collection: Collection,
        id: String,
        event: Event,
    },
}

/// A request's answer and what to commit for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub response: Response,
    pub effects: Vec<Effect>,
}

impl Outcome {
    fn read(response: Response) -> Outcome {
        Outcome {
            response,
            effects: Vec::new(),
        }
    }
}

/// Where time and ids come from for one call.
#[allow(missing_debug_implementations, reason = "holds trait objects only")]
pub struct Ctx<'a> {
    pub clock: &'a dyn Clock,
    pub ids: &'a mut dyn IdSource,
}

/// Handles one request for `who`. Refusals come back as [`ApiError`] (stable code, Chinese
/// message); nothing is produced half: either every effect or none.
pub fn handle<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    req: Request,
) -> Result<Outcome, S::Error> {
    let outcome = dispatch(state, who, ctx, req)?;
    within_limits(&outcome.effects)?;
    Ok(outcome)
}

/// Every record and event a request would write keeps `core::limits` — the same limits the
/// server holds a device's changes to — or the request writes nothing.
fn within_limits(effects: &[Effect]) -> Result<(), Error> {
    for e in effects {
        let fits = match e {
            Effect::Put { record, .. } => {
                let len = record.json().map(|j| j.len()).unwrap_or(usize::MAX);
                crate::limits::record_fits(len, record)
            }
            Effect::Append { event, .. } => {
                let len = serde_json::to_string(event).map_or(usize::MAX, |j| j.len());
                crate::limits::event_fits(len, event)
            }
        };
        fits.map_err(|o| Error::TextTooLong {
            len: o.len,
            max: o.max,
        })?;
    }
    Ok(())
}

fn dispatch<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    req: Request,
) -> Result<Outcome, S::Error> {
    match req {
        Request::StartVisit(r) => field::start_visit(state, who, ctx, &r),
        Request::EndVisit {
            visit,
            attendance,
            delegates,
        } => field::end_visit(state, who, ctx, visit, attendance, delegates),
        Request::RecordDemand(r) => field::record_demand(state, who, ctx, r),
        Request::AttachContact { demand, contact } => {
            field::attach_contact(state, who, ctx, demand, &contact)
        }
        Request::GetDemand { id } => {
            let scope = scope(who)?;
            let mut view = state
                .demand(&id, scope.as_ref())?
                .ok_or_else(|| Error::NotFound(format!("demand {id}")))?;
            with_clocks(state, ctx, std::slice::from_mut(&mut view));
            Ok(Outcome::read(Response::Demand(Box::new(view))))
        }
        Request::ListDemands(filter) => {
            let mut f = filter.parse()?;
            f.station = scope(who)?;
            let (mut items, total) = state.list_demands(&f)?;
            with_clocks(state, ctx, &mut items);
            Ok(Outcome::read(Response::Demands { items, total }))
        }
        Request::Search { query, limit } => {
            // Words to look for are held to a demand's length: a longer query finds nothing a
            // demand could hold, and only costs the index.
            if !crate::limits::words_fit(&query) {
                return Err(Error::TextTooLong {
                    len: query.chars().count(),
                    max: crate::limits::MAX_TEXT_CHARS,
                }
                .into());
            }
            let scope = scope(who)?;
            let mut items = state.search(&query, limit.unwrap_or(50), scope.as_ref())?;
            with_clocks(state, ctx, &mut items);
            let total = items.len() as u64;
            Ok(Outcome::read(Response::Demands { items, total }))
        }
        Request::Overdue { station } => {
            let station = match (scope(who)?, station) {
                (Some(own), _) => Some(own),
                (None, asked) => asked,
            };
            if let Some(s) = &station
                && state.territory()?.station(s).is_none()
            {
                return Err(Error::UnknownStation(s.to_string()).into());
            }
            let mut items = state.unsettled_demands(station.as_ref())?;
            with_clocks(state, ctx, &mut items);
            items.retain(|v| {
                v.clock
                    .as_ref()
                    .is_some_and(|c| c.light == crate::deadline::Light::Red)
            });
            items.sort_by_key(|v| {
                (
                    v.clock.as_ref().map_or(0, |c| c.left),
                    v.demand.recorded_at.0,
                )
            });
            let total = items.len() as u64;
            Ok(Outcome::read(Response::Demands { items, total }))
        }
        Request::ListVisits { limit, offset } => {
            let scope = scope(who)?;
            let (limit, offset) = crate::api::page(limit, offset);
            let (items, total) = state.visits_page(scope.as_ref(), limit, offset)?;
            Ok(Outcome::read(Response::Visits { items, total }))
        }
        Request::ContactsOf { demand } => {
            let items = contacts_of(state, who, &demand)?;
            Ok(Outcome::read(Response::Contacts { items }))
        }
        Request::Review { demand, note } => station::review(state, who, ctx, demand, note),
        Request::Join { demand, into } => station::join(state, who, ctx, demand, into),
        Request::FormSuggestion(r) => station::form_suggestion(state, who, ctx, r),
        Request::Classify { suggestion, level } => {
            station::classify(state, who, ctx, suggestion, level)
        }
        Request::Whistle {
            suggestion,
            route,
            note,
        } => station::whistle(state, who, ctx, suggestion, route, note),
        Request::Resolve { demand, keep } => station::resolve(state, who, ctx, demand, keep),
        Request::AnswerOnSpot { demand, answer } => {
            station::answer_on_spot(state, who, ctx, demand, &answer)
        }
        Request::HandToWorkroom { demand, note } => {
            station::hand_to_workroom(state, who, ctx, demand, note)
        }
        Request::OutOfScope { demand, reason } => {
            station::out_of_scope(state, who, ctx, demand, &reason)
        }
        Request::Clusters { station } => {
            let station = station_asked(state, who, station)?;
            let open = state.open_demands(&station)?;
            let items = crate::cluster::clusters(&open, state.territory()?);
            Ok(Outcome::read(Response::Clusters { items }))
        }
        Request::ListSuggestions {
            station,
            limit,
            offset,
        } => {
            // The office, naming no station, reads every station's.
            let stations = match (scope(who)?, station) {
                (None, None) => state
                    .territory()?
                    .stations
                    .iter()
                    .map(|s| s.id.clone())
                    .collect(),
                (_, asked) => vec![station_asked(state, who, asked)?],
            };
            let mut items = Vec::new();
            for s in &stations {
                items.extend(state.list_suggestions(s)?);
            }
            items.sort_by_key(|s| std::cmp::Reverse((s.suggestion.formed_at.0, s.suggestion.id)));
            let total = items.len() as u64;
            let (limit, offset) = crate::api::page(limit, offset);
            let items = items
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .collect();
            Ok(Outcome::read(Response::Suggestions { items, total }))
        }
        Request::GetSuggestion { id } => {
            let scope = scope(who)?;
            let view = state
                .suggestion(&id, scope.as_ref())?
                .ok_or_else(|| Error::NotFound(format!("suggestion {id}")))?;
            Ok(Outcome::read(Response::Suggestion(Box::new(view))))
        }
        Request::Route(r) => office::route(state, who, ctx, r),
        Request::Return { case, unit, reason } => {
            office::return_case(state, who, ctx, case, unit, &reason)
        }
        Request::Answer {
            case,
            unit,
            text,
            resolved,
        } => office::answer(state, who, ctx, case, unit, &text, resolved),
        Request::Pause { case, reason } => office::pause(state, who, ctx, case, &reason),
        Request::Resume { case, note } => office::resume(state, who, ctx, case, note.as_deref()),
        Request::Extend { case, due, reason } => {
            office::extend(state, who, ctx, case, &due, &reason)
        }
        Request::Reopen { case, reason } => office::reopen(state, who, ctx, case, &reason),
        Request::Close { case, note } => office::close(state, who, ctx, case, note.as_deref()),
        Request::CallBack {
            demand,
            outcome,
            note,
        } => office::call_back(state, who, ctx, demand, outcome, note.as_deref()),
        Request::CallBacks => office::call_backs(state, who, ctx),
        Request::SetUrgency {
            demand,
            urgent,
            reason,
        } => office::urgency(state, who, ctx, demand, urgent, reason.as_deref()),
        Request::Register(r) => {
            let register = crate::register::build(state, who, &r)?;
            Ok(Outcome::read(Response::Register(Box::new(register))))
        }
    }
}

/// The station a principal's reads are limited to: `None` for the office (every station).
pub fn scope(who: &Principal) -> Result<Option<StationId>, Error> {
    match who.role {
        Role::Office => Ok(None),
        Role::Delegate | Role::StationHead => who
            .station
            .clone()
            .map(Some)
            .ok_or(Error::NotPermitted(crate::access::Refusal::UnknownAuthor)),
        Role::Admin => Err(Error::NotPermitted(crate::access::Refusal::KindNotAllowed)),
    }
}

/// Each view's stage clock on the day the request is served (Beijing), by this side's calendar
/// and policy.
pub fn with_clocks<S: State>(state: &S, ctx: &Ctx<'_>, views: &mut [DemandView]) {
    let Some(today) = ctx.clock.now().beijing_date() else {
        return;
    };
    let (calendar, policy) = (state.calendar(), state.policy());
    let Ok(territory) = state.territory() else {
        return;
    };
    for v in views {
        v.clock = crate::deadline::clock(
            &crate::deadline::Subject::of(v, territory),
            &v.history,
            policy,
            calendar,
            today,
        );
    }
}

/// The station a station-wide read is of: a station's people read their own; the office names
/// one (`MISSING_FIELD` when it does not, `UNKNOWN_STATION` when there is no such station).
fn station_asked<S: State>(
    state: &S,
    who: &Principal,
    asked: Option<StationId>,
) -> Result<StationId, S::Error> {
    let station = match (scope(who)?, asked) {
        (Some(own), _) => own,
        (None, Some(s)) => s,
        (None, None) => return Err(Error::MissingField { field: "station" }.into()),
    };
    if state.territory()?.station(&station).is_none() {
        return Err(Error::UnknownStation(station.to_string()).into());
    }
    Ok(station)
}

/// The author as every replica will judge them, and the delegate they record as.
fn author<S: State>(state: &S, who: &Principal) -> Result<Author, S::Error> {
    let t = state.territory()?;
    Ok(Author::of(&who.person, t)
        .ok_or(Error::NotPermitted(crate::access::Refusal::UnknownAuthor))?)
}

fn as_delegate(author: &Author) -> Result<(DelegateId, StationId), Error> {
    match (&author.person, &author.station) {
        (Person::Delegate(d), Some(s)) => Ok((d.clone(), s.clone())),
        _ => Err(Error::NotPermitted(
            crate::access::Refusal::RecordNotAllowed,
        )),
    }
}

fn new_event(
    me: &Author,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    now: Timestamp,
    seen: &[Event],
    what: EventKind,
) -> Event {
    Event {
        id: EventId::new(ctx.ids, now),
        at: now,
        by: crate::access::authority::actor_of(&me.person),
        device: who.device,
        prev: workflow::heads(seen),
        what,
    }
}

/// The residents' contacts of a demand, for those allowed to see them: the delegates who hold
/// them, their station head, the office.
fn contacts_of<S: State>(
    state: &mut S,
    who: &Principal,
    demand: &DemandId,
) -> Result<Vec<Contact>, S::Error> {
    let scope = scope(who)?;
    let view = state
        .demand(demand, scope.as_ref())?
        .ok_or_else(|| Error::NotFound(format!("demand {demand}")))?;
    let mut holders: Vec<DelegateId> = view.demand.contacts_in.iter().cloned().collect();
    holders.extend(view.state.contacts_in.iter().cloned());
    holders.dedup();
    let mut items: Vec<Contact> = Vec::new();
    for d in holders {
        let t = state.territory()?;
        if access(who, DocKind::Contacts, d.as_str(), t) == Access::None {
            continue;
        }
        for c in state.contacts(&d, demand)? {
            if !items.iter().any(|x| x.id == c.id) {
                items.push(c);
            }
        }
    }
    Ok(items)
}

/// Kept for adapters that refuse a request built outside the vocabulary.
pub fn bad_request(message: &str) -> ApiError {
    ApiError::new(ErrorCode::BadRequest, message)
}
