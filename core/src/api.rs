//! The one request/response vocabulary. Served as Tauri `invoke` in the app, as JSON over HTTP by
//! the server and as the CLI's commands; these are the only `Serialize` types at those boundaries.
//!
//! ```
//! use gridvoice_core::api::Request;
//! let req: Request = serde_json::from_str(
//!     r#"{"op":"record_demand","text":"楼道灯坏了","category":"livability","grid":"110118003001001"}"#,
//! ).unwrap();
//! assert!(matches!(req, Request::RecordDemand(_)));
//! ```

use serde::{Deserialize, Serialize};

mod office;

pub use office::{CallBackTask, Case, RouteCase, UnitAnswer};

use crate::access::{Target, admitted};
use crate::category::Category;
use crate::clock::Timestamp;
use crate::doc::Collection;
use crate::error::{Error, ErrorCode};
use crate::ids::{ContactId, DelegateId, DemandId, GridId, VisitId};
use crate::model::{Demand, Location, Suggestion, Visit};
use crate::territory::Territory;
use crate::workflow::{DemandState, DemandStatus, Event, SuggestionState, VisitState};

/// A request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Start a voter-contact visit in a grid.
    StartVisit(StartVisit),
    /// End a visit, with how many residents attended.
    EndVisit {
        visit: VisitId,
        attendance: u32,
        #[serde(default)]
        delegates: Vec<DelegateId>,
    },
    /// Record a resident's demand.
    RecordDemand(RecordDemand),
    GetDemand {
        id: DemandId,
    },
    ListDemands(DemandFilter),
    /// Full-text search of demand texts (Chinese substrings).
    Search {
        query: String,
        #[serde(default)]
        limit: Option<u32>,
    },
    /// Attach a resident's contact to a demand (consent required).
    AttachContact {
        demand: DemandId,
        contact: NewContact,
    },
    /// Visits, newest first, a page at a time: `limit` (at most [`MAX_PAGE`], the default) from
    /// `offset`; the answer's `total` counts them all.
    ListVisits {
        #[serde(default)]
        limit: Option<u32>,
        #[serde(default)]
        offset: Option<u32>,
    },
    /// The residents' contacts of a demand, for those allowed to see them (the recording
    /// delegate, their station head, the office).
    ContactsOf {
        demand: DemandId,
    },
    /// Proposed duplicate clusters among a station's open demands (`core::cluster`). A station's
    /// people get their own station's; the office names one.
    Clusters {
        #[serde(default)]
        station: Option<crate::ids::StationId>,
    },
    /// The demands past their stage's due day (red), most overdue first, each with its clock. A
    /// station's people get their own station's; the office names one, or gets every station's.
    Overdue {
        #[serde(default)]
        station: Option<crate::ids::StationId>,
    },
    /// A station's delegate suggestions 代表建议, newest first, each with the demands it carries.
    /// A station's people get their own station's; the office names one.
    /// Paged like [`Request::ListVisits`].
    ListSuggestions {
        #[serde(default)]
        station: Option<crate::ids::StationId>,
        #[serde(default)]
        limit: Option<u32>,
        #[serde(default)]
        offset: Option<u32>,
    },
    /// A register 三簿一册 for a period (`core::register`): the visit register, the opinions
    /// register, the suggestion-handling register, or a delegate's duty book.
    Register(crate::register::RegisterRequest),
    /// A delegate suggestion with its state (level, whistles, handling), for the station's people
    /// (their own station's) and the office.
    GetSuggestion {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        id: crate::ids::SuggestionId,
    },
    // ---- the station head's decisions (分析研判) ----
    /// The head has read a demand.
    Review {
        demand: DemandId,
        #[serde(default)]
        note: Option<String>,
    },
    /// The head answered a demand on the spot (policy explained, matter settled there).
    AnswerOnSpot {
        demand: DemandId,
        answer: String,
    },
    /// Hand a demand to its community's 12345 workroom (小事不出社区).
    HandToWorkroom {
        demand: DemandId,
        #[serde(default)]
        note: Option<String>,
    },
    /// A demand the congress's channels do not handle, with the reason the resident will hear.
    OutOfScope {
        demand: DemandId,
        reason: String,
    },
    /// Join a duplicate into another demand of the station; its residents are kept.
    Join {
        demand: DemandId,
        into: DemandId,
    },
    /// Form a delegate suggestion from demands; title, text and level are drafted when absent.
    FormSuggestion(FormSuggestion),
    /// Set a suggestion's handling level.
    Classify {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        suggestion: crate::ids::SuggestionId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        level: crate::territory::HandlingLevel,
    },
    /// Settle concurrent, contradicting decisions on a demand (two heads offline, or a head and
    /// the office): the decision kept is made again, after both, by the one who resolves.
    Resolve {
        demand: DemandId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        keep: crate::ids::EventId,
    },
    /// Whistle (吹哨) a suggestion by one of the four routes.
    Whistle {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        suggestion: crate::ids::SuggestionId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        route: crate::model::WhistleRoute,
        /// Whom the whistle calls (a department, a body).
        #[serde(default)]
        note: Option<String>,
    },
    // ---- the office's loop (交办、答复、回访) ----
    /// Route a case to a lead unit and assisting units, with a due day (co-handling 主办/协办).
    Route(RouteCase),
    /// A unit sent the case back (退回), with its reason; the lead's return leaves it to be
    /// routed again.
    Return {
        case: Case,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        unit: crate::ids::HandlingUnitId,
        reason: String,
    },
    /// A unit's answer. The case is answered once every unit routed has answered; that makes
    /// a call-back task for each resident behind it, on the device of the delegate who holds them.
    Answer {
        case: Case,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        unit: crate::ids::HandlingUnitId,
        text: String,
        /// Whether the matter was solved (`false`: explained, or not solvable now).
        #[serde(default = "yes")]
        resolved: bool,
    },
    /// Stop the clock, with the reason (暂停计时).
    Pause {
        case: Case,
        reason: String,
    },
    /// Run the clock again; the working days it stood still move the due day.
    Resume {
        case: Case,
        #[serde(default)]
        note: Option<String>,
    },
    /// Move the routing's due day (延期), with the reason.
    Extend {
        case: Case,
        due: String,
        reason: String,
    },
    /// The office reopens a case (重新办理), with the reason.
    Reopen {
        case: Case,
        reason: String,
    },
    /// The office closes a case (办结).
    Close {
        case: Case,
        #[serde(default)]
        note: Option<String>,
    },
    /// The delegate's call-back (回访): what the resident behind `demand` said of the answer.
    /// 不满意 reopens the case; an unreachable resident stays on the list.
    CallBack {
        demand: DemandId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        outcome: crate::workflow::Satisfaction,
        #[serde(default)]
        note: Option<String>,
    },
    /// The residents the asking delegate is to call back, soonest due first.
    CallBacks,
    /// Mark a demand urgent (紧急), or no longer: its clock then counts the policy's urgent
    /// limits. The delegate who recorded it, the station's head, or the office.
    SetUrgency {
        demand: DemandId,
        urgent: bool,
        #[serde(default)]
        reason: Option<String>,
    },
}

fn yes() -> bool {
    true
}

/// A suggestion to form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormSuggestion {
    pub demands: Vec<DemandId>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub level: Option<crate::territory::HandlingLevel>,
    /// Made by the caller when it has one (drafts, retries).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub id: Option<crate::ids::SuggestionId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartVisit {
    pub grid: GridId,
    pub place: String,
    pub topic: String,
    /// Other delegates who come along.
    #[serde(default)]
    pub delegates: Vec<DelegateId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordDemand {
    pub text: String,
    /// A category code or its Chinese label.
    pub category: String,
    /// The grid; when absent it is found from `location` (point → grid).
    #[serde(default)]
    pub grid: Option<GridId>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub visit: Option<VisitId>,
    #[serde(default)]
    pub contact: Option<NewContact>,
    /// Ids are made by the caller when it has one already (drafts, retries): recording the same id
    /// twice stores it once.
    #[serde(default)]
    pub id: Option<DemandId>,
    /// Photos, by the SHA-256 (hex) the device gave them when they were stored
    /// (`capture::photo_hash`); at most [`crate::capture::MAX_PHOTOS`].
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// A resident's contact as typed in.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewContact {
    pub name: String,
    pub phone: String,
    pub consent: bool,
}

impl std::fmt::Debug for NewContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewContact")
            .field("consent", &self.consent)
            .finish_non_exhaustive()
    }
}

/// Filters for listing demands; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandFilter {
    #[serde(default)]
    pub grid: Option<GridId>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    /// `YYYY-MM-DD`, inclusive, Beijing time.
    #[serde(default)]
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive, Beijing time.
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub visit: Option<VisitId>,
    /// Only demands this delegate recorded.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub recorded_by: Option<DelegateId>,
    /// Only demands with concurrent, contradicting decisions (`true`), or only those without.
    #[serde(default)]
    pub needs_decision: Option<bool>,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: Option<u32>,
}

/// A filter checked and parsed, ready for a query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFilter {
    /// Set by the server from who is asking (a station's people see their station only).
    pub station: Option<crate::ids::StationId>,
    pub grid: Option<GridId>,
    pub status: Option<DemandStatus>,
    pub category: Option<Category>,
    pub from: Option<Timestamp>,
    /// Exclusive upper bound.
    pub until: Option<Timestamp>,
    pub visit: Option<VisitId>,
    pub recorded_by: Option<DelegateId>,
    pub needs_decision: Option<bool>,
    pub limit: u32,
    pub offset: u32,
}

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 500;

/// A page of `limit` (default and at most [`MAX_PAGE`]) from `offset`, for the lists whose
/// callers have always read them whole.
pub fn page(limit: Option<u32>, offset: Option<u32>) -> (u32, u32) {
    (
        limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE),
        offset.unwrap_or(0),
    )
}

impl DemandFilter {
    pub fn parse(&self) -> Result<ParsedFilter, Error> {
        let day = 24 * 3_600_000;
        let date = |s: &Option<String>| -> Result<Option<Timestamp>, Error> {
            match s {
                None => Ok(None),
                Some(s) => Timestamp::parse_date(s)
                    .map(Some)
                    .ok_or_else(|| Error::InvalidDate(s.clone())),
            }
        };
        let status = match &self.status {
            None => None,
            Some(s) => {
                Some(DemandStatus::parse(s).ok_or_else(|| Error::NotFound(format!("status {s}")))?)
            }
        };
        let category = match &self.category {
            None => None,
            Some(c) => Some(c.parse::<Category>()?),
        };
        Ok(ParsedFilter {
            station: None,
            grid: self.grid.clone(),
            status,
            category,
            from: date(&self.from)?,
            until: date(&self.to)?.map(|t| Timestamp(t.0 + day)),
            visit: self.visit,
            recorded_by: self.recorded_by.clone(),
            needs_decision: self.needs_decision,
            limit: self.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE),
            offset: self.offset.unwrap_or(0),
        })
    }
}

/// A demand as the views show it: the record, its derived state and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandView {
    #[serde(flatten)]
    pub demand: Demand,
    /// Derived from the events (`workflow::DemandState`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub state: DemandState,
    /// The events, in causal order (`workflow::Event`).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub history: Vec<Event>,
    /// The demands joined into this one (附议): each is another resident, still owed feedback.
    /// Filled where views are read (it is other records' state, not this one's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub joined: Vec<DemandId>,
    /// The stage clock on the day it was read (`deadline::clock`): the stage under way, its due
    /// day, working days left, the light. Filled by the service on every read; never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub clock: Option<crate::deadline::StageClock>,
}

impl DemandView {
    /// The view of a demand held in its station's document: state and history come from the
    /// events the authority rule admits (`access::admitted`), the same on every replica.
    pub fn new(demand: Demand, events: &[Event], t: &Territory) -> Self {
        let events = admitted(
            events,
            Target {
                collection: Collection::Demands,
                station: &demand.station,
                recorded_by: &demand.recorded_by,
            },
            t,
        );
        Self::from_admitted(demand, &events)
    }

    /// The view from events already admitted by the authority rule (or none).
    pub fn from_admitted(demand: Demand, events: &[Event]) -> Self {
        let state = crate::workflow::derive_demand(events);
        let history = crate::workflow::causal_order(events)
            .into_iter()
            .cloned()
            .collect();
        DemandView {
            demand,
            state,
            history,
            joined: Vec::new(),
            clock: None,
        }
    }

    /// How many residents this demand speaks for (at least): its own, one more per other
    /// delegate who added a resident to it, and one per demand joined into it.
    pub fn residents(&self) -> usize {
        1 + self.state.contacts_in.len() + self.joined.len()
    }

    /// Whether any resident contact is held for this demand.
    pub fn has_contact(&self) -> bool {
        self.demand.contacts_in.is_some() || !self.state.contacts_in.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitView {
    #[serde(flatten)]
    pub visit: Visit,
    /// Derived from the events (`workflow::VisitState`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub state: VisitState,
    /// The admitted events, in causal order.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub history: Vec<Event>,
}

impl VisitView {
    pub fn new(visit: Visit, events: &[Event], t: &Territory) -> Self {
        let events = admitted(
            events,
            Target {
                collection: Collection::Visits,
                station: &visit.station,
                recorded_by: &visit.started_by,
            },
            t,
        );
        Self::from_admitted(visit, &events)
    }

    /// The view from events already admitted by the authority rule (or none).
    pub fn from_admitted(visit: Visit, events: &[Event]) -> Self {
        let state = crate::workflow::derive_visit(&visit.delegates, events);
        let history = crate::workflow::causal_order(events)
            .into_iter()
            .cloned()
            .collect();
        VisitView {
            visit,
            state,
            history,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestionView {
    #[serde(flatten)]
    pub suggestion: Suggestion,
    /// Derived from the events (`workflow::SuggestionState`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub state: SuggestionState,
    /// The events, in causal order (`workflow::Event`).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub history: Vec<Event>,
}

impl SuggestionView {
    pub fn new(suggestion: Suggestion, events: &[Event], t: &Territory) -> Self {
        let events = admitted(
            events,
            Target {
                collection: Collection::Suggestions,
                station: &suggestion.station,
                recorded_by: &suggestion.formed_by,
            },
            t,
        );
        Self::from_admitted(suggestion, &events)
    }

    /// The view from events already admitted by the authority rule (or none).
    pub fn from_admitted(suggestion: Suggestion, events: &[Event]) -> Self {
        let state = crate::workflow::derive_suggestion(suggestion.level, events);
        let history = crate::workflow::causal_order(events)
            .into_iter()
            .cloned()
            .collect();
        SuggestionView {
            suggestion,
            state,
            history,
        }
    }
}

/// A response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Visit(Box<VisitView>),
    Visits {
        items: Vec<VisitView>,
        #[serde(default)]
        total: u64,
    },
    Demand(Box<DemandView>),
    Demands {
        items: Vec<DemandView>,
        total: u64,
    },
    ContactAttached {
        contact: ContactId,
        demand: DemandId,
    },
    Contacts {
        items: Vec<crate::model::Contact>,
    },
    Clusters {
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
        items: Vec<crate::cluster::Cluster>,
    },
    Suggestion(Box<SuggestionView>),
    Suggestions {
        items: Vec<SuggestionView>,
        #[serde(default)]
        total: u64,
    },
    /// A register 三簿一册, as a table (`core::register`).
    Register(Box<crate::register::Register>),
    /// The residents to call back (`Request::CallBacks`).
    CallBacks {
        items: Vec<CallBackTask>,
    },
}

/// The error every interface returns: a stable code and a message for people (Chinese). Detail
/// stays in the log of the side that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[error("{code:?}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError {
            code: e.code(),
            message: e.message_zh(),
        }
    }
}
