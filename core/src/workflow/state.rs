//! What a record's events add up to: the statuses and the derivations, the same on every replica.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Actor, Event, EventKind, Satisfaction, causal_order, concurrent_decisions};
use crate::clock::Timestamp;
use crate::ids::{DelegateId, DemandId, EventId, HandlingUnitId, SuggestionId, WorkroomId};
use crate::model::WhistleRoute;
use crate::territory::HandlingLevel;

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
    /// The community's 12345 workroom it was handed to.
    #[serde(default)]
    pub workroom: Option<WorkroomId>,
    pub deadline: Option<Timestamp>,
    pub answer: Option<String>,
    pub resolved: Option<bool>,
    pub satisfied: Option<bool>,
    /// Delegates whose contacts documents hold residents of this demand (beyond the recorder).
    pub contacts_in: BTreeSet<DelegateId>,
    pub needs_decision: bool,
    pub conflicting: Vec<EventId>,
    pub last_event_at: Option<Timestamp>,
    /// The units the case is routed to, the lead first, each with its answer in this round.
    #[serde(default)]
    pub units: Vec<Assignment>,
    /// The clock stands still (暂停计时).
    #[serde(default)]
    pub paused: bool,
    /// How many times the case was reopened (a resident 不满意, or the office).
    #[serde(default)]
    pub reopened: u32,
    /// Marked urgent (紧急): the policy's urgent limits apply.
    #[serde(default)]
    pub urgent: bool,
    /// Every call-back, each with the round (the answer) it was about.
    #[serde(default)]
    pub callbacks: Vec<CallBack>,
}

/// One handling unit on a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub unit: HandlingUnitId,
    /// The lead unit (主办); the others assist (协办).
    pub lead: bool,
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub resolved: Option<bool>,
    #[serde(default)]
    pub answered_at: Option<Timestamp>,
}

/// One resident called back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallBack {
    /// The demand record the resident stands behind (the case, or one joined into it).
    pub cosigner: DemandId,
    pub by: Actor,
    pub outcome: Satisfaction,
    #[serde(default)]
    pub note: Option<String>,
    pub at: Timestamp,
    /// Which answer it was about: 0 for the first, one more after each reopening.
    #[serde(default)]
    pub round: u32,
}

impl DemandState {
    /// Every unit routed has answered in this round (and at least one was routed).
    pub fn all_answered(&self) -> bool {
        !self.units.is_empty() && self.units.iter().all(|u| u.answer.is_some())
    }

    /// The case has an answer a resident can be called back with.
    pub fn answered(&self) -> bool {
        matches!(self.status, DemandStatus::Answered | DemandStatus::FedBack)
            && self.answer.is_some()
    }

    /// The latest call-back of a resident in this round, by who called.
    pub fn callback_of(&self, cosigner: &DemandId, by: &Actor) -> Option<&CallBack> {
        self.callbacks
            .iter()
            .rev()
            .find(|c| c.round == self.reopened && &c.cosigner == cosigner && &c.by == by)
    }

    /// Back to handling: the round's answers and call-backs are history now.
    fn reopen(&mut self) {
        self.reopened += 1;
        // The units answer again, by the policy's limit from the day it reopened.
        self.deadline = None;
        self.answer = None;
        self.resolved = None;
        for u in &mut self.units {
            u.answer = None;
            u.resolved = None;
            u.answered_at = None;
        }
        self.status = self.waiting_status();
    }

    /// Where a case stands that is not answered: with its units, or back with the station.
    fn waiting_status(&self) -> DemandStatus {
        if !self.units.is_empty() || self.workroom.is_some() {
            DemandStatus::Routed
        } else if self.suggestion.is_some() {
            DemandStatus::InSuggestion
        } else {
            DemandStatus::Reviewed
        }
    }

    /// After a unit's answer or return: answered once every unit has.
    fn settle_answers(&mut self) {
        if self.all_answered() {
            self.status = DemandStatus::Answered;
            let lead = self.units.iter().find(|u| u.lead).or(self.units.first());
            self.answer = lead.and_then(|u| u.answer.clone());
            self.resolved = lead.and_then(|u| u.resolved);
        }
    }
}

/// Folds a demand's events into its state.
pub fn derive_demand(events: &[Event]) -> DemandState {
    let mut s = DemandState {
        status: DemandStatus::Recorded,
        joined_into: None,
        suggestion: None,
        unit: None,
        workroom: None,
        deadline: None,
        answer: None,
        resolved: None,
        satisfied: None,
        contacts_in: BTreeSet::new(),
        needs_decision: false,
        conflicting: Vec::new(),
        last_event_at: None,
        units: Vec::new(),
        paused: false,
        reopened: 0,
        urgent: false,
        callbacks: Vec::new(),
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
            EventKind::AnsweredOnSpot { answer } => {
                s.status = DemandStatus::Closed;
                s.answer = Some(answer.clone());
                s.resolved = Some(true);
            }
            EventKind::HandedToWorkroom { workroom, .. } => {
                s.status = DemandStatus::Routed;
                s.workroom = Some(workroom.clone());
            }
            EventKind::OutOfScope { .. } => s.status = DemandStatus::Closed,
            EventKind::Routed {
                unit,
                deadline,
                assisting,
                ..
            } => {
                s.status = DemandStatus::Routed;
                s.unit = Some(unit.clone());
                s.deadline = Some(*deadline);
                s.answer = None;
                s.resolved = None;
                s.units = std::iter::once(unit)
                    .chain(assisting.iter().filter(|a| *a != unit))
                    .enumerate()
                    .map(|(i, u)| Assignment {
                        unit: u.clone(),
                        lead: i == 0,
                        answer: None,
                        resolved: None,
                        answered_at: None,
                    })
                    .collect();
                s.units.dedup_by(|a, b| a.unit == b.unit);
            }
            EventKind::Returned { unit, .. } => {
                let lead = s.units.iter().any(|u| u.lead && &u.unit == unit);
                if lead {
                    s.units.clear();
                    s.unit = None;
                    s.deadline = None;
                    s.status = s.waiting_status();
                } else {
                    s.units.retain(|u| &u.unit != unit);
                    s.settle_answers();
                }
            }
            EventKind::Answered {
                text,
                resolved,
                unit: Some(unit),
            } => {
                if let Some(a) = s.units.iter_mut().find(|a| &a.unit == unit) {
                    a.answer = Some(text.clone());
                    a.resolved = Some(*resolved);
                    a.answered_at = Some(e.at);
                    s.settle_answers();
                }
            }
            EventKind::Answered {
                text,
                resolved,
                unit: None,
            } => {
                s.status = DemandStatus::Answered;
                s.answer = Some(text.clone());
                s.resolved = Some(*resolved);
            }
            EventKind::FedBack { satisfied, .. } => {
                s.status = DemandStatus::FedBack;
                s.satisfied = *satisfied;
            }
            EventKind::CalledBack {
                cosigner,
                outcome,
                note,
            } => {
                // A call-back counts in the round whose answer it read out; one that arrives
                // after the case was reopened is history.
                if s.answered() {
                    s.callbacks.push(CallBack {
                        cosigner: *cosigner,
                        by: e.by.clone(),
                        outcome: *outcome,
                        note: note.clone(),
                        at: e.at,
                        round: s.reopened,
                    });
                    match outcome {
                        Satisfaction::Dissatisfied => {
                            s.satisfied = Some(false);
                            s.reopen();
                        }
                        Satisfaction::Satisfied | Satisfaction::BasicallySatisfied => {
                            s.status = DemandStatus::FedBack;
                            s.satisfied = Some(true);
                        }
                        Satisfaction::Unreachable => {}
                    }
                }
            }
            EventKind::Closed { .. } => s.status = DemandStatus::Closed,
            EventKind::Reopened { .. } => s.reopen(),
            EventKind::Paused { .. } => s.paused = true,
            EventKind::Resumed { .. } => s.paused = false,
            EventKind::Extended { deadline, .. } => s.deadline = Some(*deadline),
            EventKind::Urgency { urgent, .. } => s.urgent = *urgent,
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
    /// The units assisting the lead (协办).
    #[serde(default)]
    pub assisting: Vec<HandlingUnitId>,
    pub deadline: Option<Timestamp>,
    pub answered: bool,
    pub resolved: Option<bool>,
    pub closed: bool,
    pub needs_decision: bool,
    /// The clock stands still (暂停计时).
    #[serde(default)]
    pub paused: bool,
}

pub fn derive_suggestion(level: HandlingLevel, events: &[Event]) -> SuggestionState {
    let mut s = SuggestionState {
        level: Some(level),
        whistles: Vec::new(),
        unit: None,
        assisting: Vec::new(),
        deadline: None,
        answered: false,
        resolved: None,
        closed: false,
        needs_decision: false,
        paused: false,
    };
    for e in causal_order(events) {
        match &e.what {
            EventKind::Classified { level } => s.level = Some(*level),
            EventKind::Whistled { route, .. } => s.whistles.push(*route),
            EventKind::Routed {
                unit,
                deadline,
                assisting,
                ..
            } => {
                s.unit = Some(unit.clone());
                s.assisting = assisting.clone();
                s.deadline = Some(*deadline);
                s.answered = false;
            }
            EventKind::Returned { unit, .. } => {
                if s.unit.as_ref() == Some(unit) {
                    s.unit = None;
                    s.assisting.clear();
                    s.deadline = None;
                } else {
                    s.assisting.retain(|a| a != unit);
                }
            }
            EventKind::Answered { resolved, .. } => {
                s.answered = true;
                s.resolved = Some(*resolved);
            }
            EventKind::Extended { deadline, .. } => s.deadline = Some(*deadline),
            EventKind::Paused { .. } => s.paused = true,
            EventKind::Resumed { .. } => s.paused = false,
            EventKind::Closed { .. } => s.closed = true,
            EventKind::Reopened { .. } => {
                s.closed = false;
                s.answered = false;
            }
            _ => {}
        }
    }
    s.needs_decision = !concurrent_decisions(events).is_empty();
    s
}

#[cfg(test)]
mod tests;
