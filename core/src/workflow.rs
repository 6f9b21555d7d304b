//! Workflow: every record carries an append-only list of events (who, device, when, what), and its
//! current state is derived from that list, deterministically, on every replica.
//!
//! Each event names the events its author had seen (`prev`, the heads of the record's event graph
//! when it was written). Two *decisions* that did not see each other are concurrent: when the latest
//! decisions of a record are concurrent and disagree, the record is flagged **needs decision** and
//! both are kept; a later decision that has seen them all settles it. Nothing is ever dropped.
//!
//! ```
//! use gridvoice_core::clock::Timestamp;
//! use gridvoice_core::ids::{DeviceId, EventId};
//! use gridvoice_core::workflow::{Actor, Event, EventKind, derive_demand, DemandStatus};
//! use uuid::Uuid;
//!
//! let ev = |n: u128, prev: Vec<EventId>, what| Event {
//!     id: EventId(Uuid::from_u128(n)),
//!     at: Timestamp(n as i64),
//!     by: Actor::Staff("office-1".into()),
//!     device: DeviceId(Uuid::nil()),
//!     prev,
//!     what,
//! };
//! let a = ev(1, vec![], EventKind::Closed { note: None });
//! let b = ev(2, vec![], EventKind::Withdrawn { reason: "重复".into() });
//! let state = derive_demand(&[a, b]);
//! assert!(state.needs_decision);
//! assert_eq!(state.conflicting.len(), 2);
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::ids::{DelegateId, DemandId, DeviceId, EventId, HandlingUnitId, StaffId, SuggestionId};
use crate::model::WhistleRoute;
use crate::territory::HandlingLevel;

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "role", content = "id", rename_all = "snake_case")]
pub enum Actor {
    Delegate(DelegateId),
    Staff(StaffId),
}

/// One workflow event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub at: Timestamp,
    pub by: Actor,
    pub device: DeviceId,
    /// The record's event heads the author had seen when writing this one.
    #[serde(default)]
    pub prev: Vec<EventId>,
    #[serde(flatten)]
    pub what: EventKind,
}

/// What happened. Unknown kinds from newer versions are kept as [`EventKind::Unknown`] and ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    // ---- demands ----
    /// The station head has read it (分析研判).
    Reviewed {
        note: Option<String>,
    },
    /// Joined into another demand as a duplicate; its residents are kept.
    JoinedInto {
        target: DemandId,
    },
    /// Taken into a delegate suggestion.
    AddedToSuggestion {
        suggestion: SuggestionId,
    },
    /// A resident contact was attached (the contact itself lives in the delegate's contacts document).
    ContactAttached {
        delegate: DelegateId,
    },
    Withdrawn {
        reason: String,
    },
    // ---- demands and suggestions ----
    /// Sent to a handling unit with a deadline.
    Routed {
        unit: HandlingUnitId,
        deadline: Timestamp,
    },
    /// The handling unit answered.
    Answered {
        text: String,
        resolved: bool,
    },
    /// The answer was fed back to the resident (件件有回音).
    FedBack {
        satisfied: Option<bool>,
        note: Option<String>,
    },
    Closed {
        note: Option<String>,
    },
    Reopened {
        reason: String,
    },
    Note {
        text: String,
    },
    // ---- suggestions ----
    Classified {
        level: HandlingLevel,
    },
    Whistled {
        route: WhistleRoute,
        note: Option<String>,
    },
    // ---- visits ----
    VisitEnded {
        attendance: u32,
        delegates: Vec<DelegateId>,
    },
    #[serde(other)]
    Unknown,
}

impl EventKind {
    /// Decisions move a record's state; two concurrent, different decisions need a person.
    pub fn is_decision(&self) -> bool {
        matches!(
            self,
            EventKind::JoinedInto { .. }
                | EventKind::AddedToSuggestion { .. }
                | EventKind::Withdrawn { .. }
                | EventKind::Routed { .. }
                | EventKind::Answered { .. }
                | EventKind::FedBack { .. }
                | EventKind::Closed { .. }
                | EventKind::Reopened { .. }
                | EventKind::Classified { .. }
                | EventKind::Whistled { .. }
                | EventKind::VisitEnded { .. }
        )
    }
}

/// The events in a deterministic causal order: an event after everything it names in `prev`,
/// ties broken by time and then id. References to unknown events are ignored.
pub fn causal_order(events: &[Event]) -> Vec<&Event> {
    let index: HashMap<EventId, usize> =
        events.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
    let mut waiting_on = vec![0usize; events.len()];
    let mut unlocks: Vec<Vec<usize>> = vec![Vec::new(); events.len()];
    for (i, e) in events.iter().enumerate() {
        let known: BTreeSet<usize> = e
            .prev
            .iter()
            .filter_map(|p| index.get(p).copied())
            .collect();
        for p in known {
            if p != i {
                waiting_on[i] += 1;
                unlocks[p].push(i);
            }
        }
    }
    let key = |i: usize| (events[i].at, events[i].id, i);
    let mut ready: BTreeSet<(Timestamp, EventId, usize)> = (0..events.len())
        .filter(|&i| waiting_on[i] == 0)
        .map(key)
        .collect();
    let mut out = Vec::with_capacity(events.len());
    let mut placed = vec![false; events.len()];
    while let Some(first) = ready.pop_first() {
        let i = first.2;
        placed[i] = true;
        out.push(&events[i]);
        for &j in &unlocks[i] {
            waiting_on[j] -= 1;
            if waiting_on[j] == 0 {
                ready.insert(key(j));
            }
        }
    }
    // A cycle cannot be written by this program; if a peer sent one, keep its events anyway.
    let mut rest: Vec<usize> = (0..events.len()).filter(|&i| !placed[i]).collect();
    rest.sort_by_key(|&i| key(i));
    out.extend(rest.into_iter().map(|i| &events[i]));
    out
}

/// The current heads of a record's event graph: the events no other event names in `prev`.
/// A new event's `prev` is this.
pub fn heads(events: &[Event]) -> Vec<EventId> {
    let named: BTreeSet<EventId> = events.iter().flat_map(|e| e.prev.iter().copied()).collect();
    let mut out: Vec<EventId> = events
        .iter()
        .map(|e| e.id)
        .filter(|id| !named.contains(id))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The latest decisions that disagree without having seen each other; empty when settled.
pub fn concurrent_decisions(events: &[Event]) -> Vec<EventId> {
    let index: HashMap<EventId, &Event> = events.iter().map(|e| (e.id, e)).collect();
    // Ancestors of each decision, by walking `prev`.
    let ancestors = |start: &Event| -> BTreeSet<EventId> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<EventId> = start.prev.clone();
        while let Some(id) = stack.pop() {
            if seen.insert(id)
                && let Some(e) = index.get(&id)
            {
                stack.extend(e.prev.iter().copied());
            }
        }
        seen
    };
    let decisions: Vec<&Event> = events.iter().filter(|e| e.what.is_decision()).collect();
    let mut superseded = BTreeSet::new();
    for d in &decisions {
        for a in ancestors(d) {
            superseded.insert(a);
        }
    }
    let latest: Vec<&Event> = decisions
        .into_iter()
        .filter(|d| !superseded.contains(&d.id))
        .collect();
    let disagree = latest.windows(2).any(|w| w[0].what != w[1].what);
    if latest.len() > 1 && disagree {
        let mut ids: Vec<EventId> = latest.iter().map(|e| e.id).collect();
        ids.sort();
        ids
    } else {
        Vec::new()
    }
}

/// Where a demand stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandStatus {
    Recorded,
    Reviewed,
    Joined,
    InSuggestion,
    Routed,
    Answered,
    FedBack,
    Closed,
    Withdrawn,
}

impl DemandStatus {
    pub const ALL: &'static [DemandStatus] = &[
        DemandStatus::Recorded,
        DemandStatus::Reviewed,
        DemandStatus::Joined,
        DemandStatus::InSuggestion,
        DemandStatus::Routed,
        DemandStatus::Answered,
        DemandStatus::FedBack,
        DemandStatus::Closed,
        DemandStatus::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DemandStatus::Recorded => "recorded",
            DemandStatus::Reviewed => "reviewed",
            DemandStatus::Joined => "joined",
            DemandStatus::InSuggestion => "in_suggestion",
            DemandStatus::Routed => "routed",
            DemandStatus::Answered => "answered",
            DemandStatus::FedBack => "fed_back",
            DemandStatus::Closed => "closed",
            DemandStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            DemandStatus::Recorded => "已记录",
            DemandStatus::Reviewed => "已研判",
            DemandStatus::Joined => "已合并",
            DemandStatus::InSuggestion => "已形成建议",
            DemandStatus::Routed => "办理中",
            DemandStatus::Answered => "已答复",
            DemandStatus::FedBack => "已反馈",
            DemandStatus::Closed => "已办结",
            DemandStatus::Withdrawn => "已撤回",
        }
    }

    pub fn parse(s: &str) -> Option<DemandStatus> {
        let s = s.trim();
        DemandStatus::ALL
            .iter()
            .copied()
            .find(|st| st.code() == s || st.zh() == s)
    }
}

/// A demand's derived state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandState {
    pub status: DemandStatus,
    pub joined_into: Option<DemandId>,
    pub suggestion: Option<SuggestionId>,
    pub unit: Option<HandlingUnitId>,
    pub deadline: Option<Timestamp>,
    pub answer: Option<String>,
    pub resolved: Option<bool>,
    pub satisfied: Option<bool>,
    /// Delegates whose contacts documents hold residents of this demand (beyond the recorder).
    pub contacts_in: BTreeSet<DelegateId>,
    pub needs_decision: bool,
    pub conflicting: Vec<EventId>,
    pub last_event_at: Option<Timestamp>,
}

/// Folds a demand's events into its state.
pub fn derive_demand(events: &[Event]) -> DemandState {
    let mut s = DemandState {
        status: DemandStatus::Recorded,
        joined_into: None,
        suggestion: None,
        unit: None,
        deadline: None,
        answer: None,
        resolved: None,
        satisfied: None,
        contacts_in: BTreeSet::new(),
        needs_decision: false,
        conflicting: Vec::new(),
        last_event_at: None,
    };
    for e in causal_order(events) {
        s.last_event_at = Some(s.last_event_at.map_or(e.at, |t| t.max(e.at)));
        match &e.what {
            EventKind::Reviewed { .. } => {
                if s.status == DemandStatus::Recorded {
                    s.status = DemandStatus::Reviewed;
                }
            }
            EventKind::JoinedInto { target } => {
                s.status = DemandStatus::Joined;
                s.joined_into = Some(*target);
            }
            EventKind::AddedToSuggestion { suggestion } => {
                s.status = DemandStatus::InSuggestion;
                s.suggestion = Some(*suggestion);
            }
            EventKind::ContactAttached { delegate } => {
                s.contacts_in.insert(delegate.clone());
            }
            EventKind::Withdrawn { .. } => s.status = DemandStatus::Withdrawn,
            EventKind::Routed { unit, deadline } => {
                s.status = DemandStatus::Routed;
                s.unit = Some(unit.clone());
                s.deadline = Some(*deadline);
            }
            EventKind::Answered { text, resolved } => {
                s.status = DemandStatus::Answered;
                s.answer = Some(text.clone());
                s.resolved = Some(*resolved);
            }
            EventKind::FedBack { satisfied, .. } => {
                s.status = DemandStatus::FedBack;
                s.satisfied = *satisfied;
            }
            EventKind::Closed { .. } => s.status = DemandStatus::Closed,
            EventKind::Reopened { .. } => {
                s.status = if s.suggestion.is_some() {
                    DemandStatus::InSuggestion
                } else {
                    DemandStatus::Reviewed
                };
            }
            EventKind::Note { .. }
            | EventKind::Classified { .. }
            | EventKind::Whistled { .. }
            | EventKind::VisitEnded { .. }
            | EventKind::Unknown => {}
        }
    }
    s.conflicting = concurrent_decisions(events);
    s.needs_decision = !s.conflicting.is_empty();
    s
}

/// A visit's derived state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitState {
    pub ended_at: Option<Timestamp>,
    pub attendance: Option<u32>,
    pub delegates: Vec<DelegateId>,
    pub needs_decision: bool,
}

pub fn derive_visit(started_with: &[DelegateId], events: &[Event]) -> VisitState {
    let mut s = VisitState {
        ended_at: None,
        attendance: None,
        delegates: started_with.to_vec(),
        needs_decision: false,
    };
    for e in causal_order(events) {
        if let EventKind::VisitEnded {
            attendance,
            delegates,
        } = &e.what
        {
            s.ended_at = Some(e.at);
            s.attendance = Some(*attendance);
            for d in delegates {
                if !s.delegates.contains(d) {
                    s.delegates.push(d.clone());
                }
            }
        }
    }
    s.needs_decision = !concurrent_decisions(events).is_empty();
    s
}

/// A suggestion's derived state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionState {
    pub level: Option<HandlingLevel>,
    pub whistles: Vec<WhistleRoute>,
    pub unit: Option<HandlingUnitId>,
    pub deadline: Option<Timestamp>,
    pub answered: bool,
    pub resolved: Option<bool>,
    pub closed: bool,
    pub needs_decision: bool,
}

pub fn derive_suggestion(level: HandlingLevel, events: &[Event]) -> SuggestionState {
    let mut s = SuggestionState {
        level: Some(level),
        whistles: Vec::new(),
        unit: None,
        deadline: None,
        answered: false,
        resolved: None,
        closed: false,
        needs_decision: false,
    };
    for e in causal_order(events) {
        match &e.what {
            EventKind::Classified { level } => s.level = Some(*level),
            EventKind::Whistled { route, .. } => s.whistles.push(*route),
            EventKind::Routed { unit, deadline } => {
                s.unit = Some(unit.clone());
                s.deadline = Some(*deadline);
            }
            EventKind::Answered { resolved, .. } => {
                s.answered = true;
                s.resolved = Some(*resolved);
            }
            EventKind::Closed { .. } => s.closed = true,
            EventKind::Reopened { .. } => s.closed = false,
            _ => {}
        }
    }
    s.needs_decision = !concurrent_decisions(events).is_empty();
    s
}

/// Groups events by the record they belong to (keyed by the record's id string).
pub type EventsByRecord = BTreeMap<String, Vec<Event>>;

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn ev(n: u128, prev: &[u128], what: EventKind) -> Event {
        Event {
            id: EventId(Uuid::from_u128(n)),
            at: Timestamp(i64::try_from(n).unwrap() * 1000),
            by: Actor::Staff("office".into()),
            device: DeviceId(Uuid::nil()),
            prev: prev.iter().map(|p| EventId(Uuid::from_u128(*p))).collect(),
            what,
        }
    }

    fn routed() -> EventKind {
        EventKind::Routed {
            unit: "U01".into(),
            deadline: Timestamp(9_000),
        }
    }

    #[test]
    fn the_office_routes_answers_and_closes_a_demand_in_sequence() {
        let events = vec![
            ev(1, &[], EventKind::Reviewed { note: None }),
            ev(2, &[1], routed()),
            ev(
                3,
                &[2],
                EventKind::Answered {
                    text: "已维修".into(),
                    resolved: true,
                },
            ),
            ev(
                4,
                &[3],
                EventKind::FedBack {
                    satisfied: Some(true),
                    note: None,
                },
            ),
            ev(5, &[4], EventKind::Closed { note: None }),
        ];
        let s = derive_demand(&events);
        assert_eq!(s.status, DemandStatus::Closed);
        assert_eq!(s.resolved, Some(true));
        assert_eq!(s.satisfied, Some(true));
        assert!(!s.needs_decision);
        assert_eq!(heads(&events), vec![EventId(Uuid::from_u128(5))]);
    }

    #[test]
    fn causal_order_beats_clock_skew() {
        // The device that answered had its clock an hour behind: causality still puts the answer
        // after the routing it had seen.
        let mut answer = ev(
            3,
            &[2],
            EventKind::Answered {
                text: "好".into(),
                resolved: false,
            },
        );
        answer.at = Timestamp(0);
        let events = vec![answer, ev(2, &[], routed())];
        assert_eq!(derive_demand(&events).status, DemandStatus::Answered);
    }

    #[test]
    fn a_station_head_and_the_office_decide_differently_offline() {
        let events = vec![
            ev(1, &[], EventKind::Reviewed { note: None }),
            ev(
                2,
                &[1],
                EventKind::AddedToSuggestion {
                    suggestion: SuggestionId(Uuid::from_u128(77)),
                },
            ),
            ev(
                3,
                &[1],
                EventKind::Withdrawn {
                    reason: "居民撤回".into(),
                },
            ),
        ];
        let s = derive_demand(&events);
        assert!(s.needs_decision);
        assert_eq!(s.conflicting.len(), 2);
        // Both decisions are kept in the history; a later decision that saw both settles it.
        let mut settled = events;
        settled.push(ev(
            4,
            &[2, 3],
            EventKind::Reopened {
                reason: "继续办理".into(),
            },
        ));
        let s = derive_demand(&settled);
        assert!(!s.needs_decision);
        assert_eq!(s.status, DemandStatus::InSuggestion);
    }

    #[test]
    fn the_same_decision_made_twice_concurrently_is_not_a_conflict() {
        let events = vec![
            ev(1, &[], EventKind::Closed { note: None }),
            ev(2, &[], EventKind::Closed { note: None }),
            ev(
                3,
                &[],
                EventKind::Note {
                    text: "备注".into(),
                },
            ),
        ];
        assert!(!derive_demand(&events).needs_decision);
    }

    #[test]
    fn unknown_kinds_and_dangling_prev_are_tolerated() {
        let json = r#"{"id":"00000000-0000-0000-0000-000000000001","at":5,
            "by":{"role":"staff","id":"x"},"device":"00000000-0000-0000-0000-000000000000",
            "prev":["00000000-0000-0000-0000-0000000000ff"],"kind":"from_the_future","extra":1}"#;
        let e: Event = serde_json::from_str(json).unwrap();
        assert_eq!(e.what, EventKind::Unknown);
        let s = derive_demand(&[e]);
        assert_eq!(s.status, DemandStatus::Recorded);
    }

    #[test]
    fn events_round_trip_through_json() {
        let e = ev(
            9,
            &[1, 2],
            EventKind::Whistled {
                route: WhistleRoute::LawEnforcement,
                note: None,
            },
        );
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains("\"kind\":\"whistled\""), "{json}");
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
    }
}
