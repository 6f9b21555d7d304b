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
use crate::ids::{
    DelegateId, DemandId, DeviceId, EventId, HandlingUnitId, StaffId, SuggestionId, WorkroomId,
};
use crate::model::WhistleRoute;
use crate::territory::HandlingLevel;

/// What a resident said when called back (回访).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
    /// The resident could not be reached: recorded as such, never counted as satisfied.
    Unreachable,
}

impl Satisfaction {
    pub const ALL: [Satisfaction; 4] = [
        Satisfaction::Satisfied,
        Satisfaction::BasicallySatisfied,
        Satisfaction::Dissatisfied,
        Satisfaction::Unreachable,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::BasicallySatisfied => "basically_satisfied",
            Satisfaction::Dissatisfied => "dissatisfied",
            Satisfaction::Unreachable => "unreachable",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "满意",
            Satisfaction::BasicallySatisfied => "基本满意",
            Satisfaction::Dissatisfied => "不满意",
            Satisfaction::Unreachable => "未能联系上",
        }
    }

    /// Whether the resident gave an answer (an unreachable resident is still owed the call).
    pub fn reached(self) -> bool {
        self != Satisfaction::Unreachable
    }
}

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
    /// The head answered it on the spot (政策解释、当场答复): settled, nothing to route.
    AnsweredOnSpot {
        answer: String,
    },
    /// Handed to the community's 12345 workroom (小事不出社区).
    HandedToWorkroom {
        workroom: WorkroomId,
        note: Option<String>,
    },
    /// Not for the congress's channels (a private dispute, a court case…), with the reason.
    OutOfScope {
        reason: String,
    },
    // ---- demands and suggestions ----
    /// Sent to a handling unit (the lead) with a deadline, and to the units that assist it
    /// (co-handling, 协办); a reassignment after a return carries its reason.
    Routed {
        unit: HandlingUnitId,
        deadline: Timestamp,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        assisting: Vec<HandlingUnitId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A handling unit sent the matter back (退回): not theirs, with the reason. The lead's
    /// return leaves the case to be routed again; an assisting unit's leaves the others on it.
    Returned {
        unit: HandlingUnitId,
        reason: String,
    },
    /// A handling unit answered (`unit` names which; older events name none). Under co-handling
    /// the case is answered once every unit routed has.
    Answered {
        text: String,
        resolved: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<HandlingUnitId>,
    },
    /// The clock stops (a matter waiting on something outside the units' hands), with the reason.
    Paused {
        reason: String,
    },
    /// The clock runs again; the working days it stood still are added to the due day.
    Resumed {
        #[serde(default)]
        note: Option<String>,
    },
    /// The routing's due day moved, with the reason (延期).
    Extended {
        deadline: Timestamp,
        reason: String,
    },
    /// Marked urgent, or no longer (紧急: utilities, safety): the clock's policy has urgent limits.
    Urgency {
        urgent: bool,
        #[serde(default)]
        reason: Option<String>,
    },
    /// A delegate called a resident back with the answer (回访): `cosigner` is the demand record
    /// that resident stands behind (this case, or one joined into it). 不满意 reopens the case.
    CalledBack {
        cosigner: DemandId,
        outcome: Satisfaction,
        #[serde(default)]
        note: Option<String>,
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
    /// What happened, in the words of the station's and office's pages (the delegate's app has
    /// its own, in two languages).
    pub fn zh(&self) -> &'static str {
        match self {
            EventKind::Reviewed { .. } => "站长已研判",
            EventKind::JoinedInto { .. } => "作为附议并入另一条诉求",
            EventKind::AddedToSuggestion { .. } => "选入代表建议",
            EventKind::ContactAttached { .. } => "添加了居民联系方式",
            EventKind::Withdrawn { .. } => "撤回",
            EventKind::AnsweredOnSpot { .. } => "当场答复",
            EventKind::HandedToWorkroom { .. } => "转社区接诉即办",
            EventKind::OutOfScope { .. } => "不属受理范围",
            EventKind::Routed { .. } => "交办理单位",
            EventKind::Returned { .. } => "办理单位退回",
            EventKind::Answered { .. } => "办理单位已答复",
            EventKind::Paused { .. } => "暂停计时",
            EventKind::Resumed { .. } => "恢复计时",
            EventKind::Extended { .. } => "延长办理期限",
            EventKind::CalledBack { .. } => "代表回访居民",
            EventKind::Urgency { urgent: true, .. } => "标为紧急",
            EventKind::Urgency { urgent: false, .. } => "取消紧急",
            EventKind::FedBack { .. } => "已反馈居民",
            EventKind::Closed { .. } => "办结",
            EventKind::Reopened { .. } => "重新打开",
            EventKind::Note { .. } => "备注",
            EventKind::Classified { .. } => "确定办理层级",
            EventKind::Whistled { .. } => "代表吹哨",
            EventKind::VisitEnded { .. } => "走访结束",
            EventKind::Unknown => "（新版本的事件）",
        }
    }

    /// The words an event carries for people to read: an answer, a reason, a note.
    pub fn words(&self) -> Option<&str> {
        match self {
            EventKind::Reviewed { note }
            | EventKind::HandedToWorkroom { note, .. }
            | EventKind::Whistled { note, .. }
            | EventKind::FedBack { note, .. }
            | EventKind::CalledBack { note, .. }
            | EventKind::Urgency { reason: note, .. }
            | EventKind::Resumed { note }
            | EventKind::Closed { note } => note.as_deref(),
            EventKind::Routed { reason, .. } => reason.as_deref(),
            EventKind::AnsweredOnSpot { answer: text }
            | EventKind::Answered { text, .. }
            | EventKind::Note { text }
            | EventKind::OutOfScope { reason: text }
            | EventKind::Withdrawn { reason: text }
            | EventKind::Reopened { reason: text }
            | EventKind::Returned { reason: text, .. }
            | EventKind::Paused { reason: text }
            | EventKind::Extended { reason: text, .. } => Some(text),
            _ => None,
        }
    }

    /// Decisions move a record's state; two concurrent, different decisions need a person. Each
    /// unit's own answer under co-handling, call-backs (one per resident) and the clock's pauses
    /// are not: two of them side by side do not contradict each other.
    pub fn is_decision(&self) -> bool {
        matches!(
            self,
            EventKind::JoinedInto { .. }
                | EventKind::AddedToSuggestion { .. }
                | EventKind::AnsweredOnSpot { .. }
                | EventKind::HandedToWorkroom { .. }
                | EventKind::OutOfScope { .. }
                | EventKind::Withdrawn { .. }
                | EventKind::Routed { .. }
                | EventKind::Returned { .. }
                | EventKind::Answered { unit: None, .. }
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

/// Groups events by the record they belong to (keyed by the record's id string).
pub type EventsByRecord = BTreeMap<String, Vec<Event>>;

mod state;

pub use state::*;
