//! Time limits 时限 ("有记录、有时限、有答复"): each demand runs through stage clocks — received →
//! classified → responded → resolved → fed back → called back — each stage given a number of
//! working days by a configurable [`Policy`] (by handling level, category and urgency), counted on
//! the working-day [`Calendar`] from the day the stage before it ended. The clock shows the stage
//! under way, its due day, the working days left and a light: green, yellow when little is left,
//! red once overdue.
//!
//! Everything is derived from the demand's events in causal order (the same on every replica)
//! and the day asked about; nothing is stored.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::calendar::Calendar;
use crate::category::Category;
use crate::clock::Timestamp;
use crate::territory::HandlingLevel;
use crate::workflow::{Event, EventKind, Satisfaction, causal_order};

/// The stages a demand's clock runs through, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Received → classified: the station head's decision (分析研判).
    Classify,
    /// → responded: the handling unit's first word, or the head's answer on the spot.
    Respond,
    /// → resolved: an answer that resolves it.
    Resolve,
    /// → fed back: the answer carried back to the resident.
    FeedBack,
    /// → called back: the resident asked whether they are satisfied (回访).
    CallBack,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Classify,
        Stage::Respond,
        Stage::Resolve,
        Stage::FeedBack,
        Stage::CallBack,
    ];

    pub fn zh(self) -> &'static str {
        match self {
            Stage::Classify => "研判",
            Stage::Respond => "响应",
            Stage::Resolve => "办理",
            Stage::FeedBack => "反馈",
            Stage::CallBack => "回访",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Working days for each stage, in [`Stage::ALL`]'s order.
pub type Limits = [u32; 5];

/// One line of a policy: the limits for demands that match every field given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    #[serde(default)]
    pub level: Option<HandlingLevel>,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default)]
    pub urgent: Option<bool>,
    pub limits: Limits,
}

impl Rule {
    fn matches(&self, level: Option<HandlingLevel>, category: Category, urgent: bool) -> bool {
        self.level.is_none_or(|l| Some(l) == level)
            && self.category.is_none_or(|c| c == category)
            && self.urgent.is_none_or(|u| u == urgent)
    }

    /// More fields given: more specific.
    fn specificity(&self) -> usize {
        usize::from(self.level.is_some())
            + usize::from(self.category.is_some())
            + usize::from(self.urgent.is_some())
    }
}

/// How many working days each stage gets: the most specific matching rule wins (the first of
/// equals), else the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub default: Limits,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

impl Default for Policy {
    /// As commonly cited (DOMAIN.md): a first response the next working day; ordinary demands
    /// answered within 7 working days, district and city matters within 15; urgent ones the same
    /// day; feedback within 2 working days of the answer, the call-back within 5.
    fn default() -> Self {
        Policy {
            default: [2, 1, 7, 2, 5],
            rules: vec![
                Rule {
                    level: Some(HandlingLevel::District),
                    category: None,
                    urgent: None,
                    limits: [2, 1, 15, 2, 5],
                },
                Rule {
                    level: Some(HandlingLevel::City),
                    category: None,
                    urgent: None,
                    limits: [2, 1, 15, 2, 5],
                },
                Rule {
                    level: None,
                    category: None,
                    urgent: Some(true),
                    limits: [0, 0, 1, 1, 2],
                },
            ],
        }
    }
}

/// The longest a stage may be given, in working days (about a year).
pub const MAX_STAGE_DAYS: u32 = 250;

impl Policy {
    /// An office's policy file (JSON: `{"default": [研判, 响应, 办理, 反馈, 回访], "rules": [{"level":
    /// "district", "category": "lift_maintenance", "urgent": true, "limits": [...]}]}`), checked
    /// whole: every problem in Chinese, nothing half-taken.
    pub fn parse(text: &str) -> Result<Policy, Vec<String>> {
        let p: Policy = serde_json::from_str(text)
            .map_err(|e| vec![format!("时限规定文件格式不对（第 {} 行）：{e}", e.line())])?;
        let mut problems = Vec::new();
        let too_long = |limits: &Limits| limits.iter().any(|d| *d > MAX_STAGE_DAYS);
        if too_long(&p.default) {
            problems.push(format!("默认时限超过 {MAX_STAGE_DAYS} 个工作日"));
        }
        for (i, r) in p.rules.iter().enumerate() {
            let n = i + 1;
            if r.specificity() == 0 {
                problems.push(format!(
                    "第 {n} 条规则没有任何条件（无条件的时限请写在 default）"
                ));
            }
            if too_long(&r.limits) {
                problems.push(format!("第 {n} 条规则的时限超过 {MAX_STAGE_DAYS} 个工作日"));
            }
            if let Some(j) = p.rules[..i]
                .iter()
                .position(|o| (o.level, o.category, o.urgent) == (r.level, r.category, r.urgent))
            {
                problems.push(format!("第 {n} 条规则与第 {} 条的条件相同", j + 1));
            }
        }
        if problems.is_empty() {
            Ok(p)
        } else {
            Err(problems)
        }
    }

    pub fn limits(&self, level: Option<HandlingLevel>, category: Category, urgent: bool) -> Limits {
        let mut best: Option<&Rule> = None;
        for r in &self.rules {
            if r.matches(level, category, urgent)
                && best.is_none_or(|b| r.specificity() > b.specificity())
            {
                best = Some(r);
            }
        }
        best.map_or(self.default, |r| r.limits)
    }
}

/// Red, yellow or green.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    Green,
    Yellow,
    Red,
}

impl Light {
    /// `green`, `yellow` or `red`, as on the wire (pages use it for their colours).
    pub fn code(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Light::Green => "正常",
            Light::Yellow => "临期",
            Light::Red => "超期",
        }
    }
}

/// A demand's clock on a given day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageClock {
    pub stage: Stage,
    /// The day the stage began (the day the stage before it ended, or the day it was received).
    #[serde(with = "day")]
    pub started: Date,
    /// The last working day of the stage's limit (due by its end).
    #[serde(with = "day")]
    pub due: Date,
    /// Working days after today up to the due day; negative once overdue (by that many).
    pub left: i64,
    pub light: Light,
    /// The clock stands still (暂停计时): it reads as on the day it stopped.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
}

/// A day as `YYYY-MM-DD` on the wire (hand-written: the delegate's wasm stays small without
/// `time`'s serde and format machinery).
mod day {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use time::{Date, Month};

    pub fn text(d: Date) -> String {
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&text(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        let mut parts = text.splitn(3, '-').map(str::parse::<i32>);
        let bad = || D::Error::custom("a day is YYYY-MM-DD");
        let (Some(Ok(y)), Some(Ok(m)), Some(Ok(day))) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let month = u8::try_from(m)
            .ok()
            .and_then(|m| Month::try_from(m).ok())
            .ok_or_else(bad)?;
        let day = u8::try_from(day).map_err(|_| bad())?;
        Date::from_calendar_date(y, month, day).map_err(|_| bad())
    }
}

/// A day as `YYYY-MM-DD`.
pub fn day_text(d: Date) -> String {
    day::text(d)
}

impl StageClock {
    /// The due day as `YYYY-MM-DD` (written by hand: `time`'s formatting is not in the
    /// delegate's wasm).
    pub fn due_day(&self) -> String {
        day::text(self.due)
    }
}

/// What the clock needs to know about a demand besides its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub received: Timestamp,
    pub level: Option<HandlingLevel>,
    pub category: Category,
    pub urgent: bool,
    /// How many residents' records the case answers for (itself and each demand joined into it):
    /// the call-back stage ends when each has been reached.
    pub cosigners: usize,
}

impl Subject {
    /// What a demand's view says of it: the level of the lead unit it is routed to, or the
    /// community's when handed to a community workroom; whether it was marked urgent.
    pub fn of(view: &crate::api::DemandView, t: &crate::territory::Territory) -> Subject {
        let lead = view.state.units.iter().find(|u| u.lead);
        let level = lead
            .and_then(|u| t.handling_units.iter().find(|h| h.id == u.unit))
            .map(|h| h.level)
            .or_else(|| {
                view.state
                    .workroom
                    .as_ref()
                    .map(|_| HandlingLevel::Community)
            });
        Subject {
            received: view.demand.recorded_at,
            level,
            category: view.demand.category,
            urgent: view.state.urgent,
            cosigners: 1 + view.joined.len(),
        }
    }
}

/// The stage each event ends, if any (a stage may end several at once: an answer on the spot
/// classifies, responds and resolves). Units' own answers and call-backs are counted apart.
fn ends(kind: &EventKind) -> Option<Stage> {
    match kind {
        EventKind::Reviewed { .. }
        | EventKind::AddedToSuggestion { .. }
        | EventKind::Classified { .. }
        | EventKind::Routed { .. }
        | EventKind::HandedToWorkroom { .. } => Some(Stage::Classify),
        EventKind::Answered {
            resolved: false,
            unit: None,
            ..
        } => Some(Stage::Respond),
        EventKind::Answered {
            resolved: true,
            unit: None,
            ..
        } => Some(Stage::Resolve),
        EventKind::FedBack {
            satisfied: None, ..
        } => Some(Stage::FeedBack),
        EventKind::FedBack {
            satisfied: Some(_), ..
        } => Some(Stage::CallBack),
        _ => None,
    }
}

/// Whether the demand's clock has stopped for good: joined into another (that one's clock runs),
/// withdrawn, out of scope, answered on the spot (the resident heard it there), closed.
fn stopped(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::JoinedInto { .. }
            | EventKind::Withdrawn { .. }
            | EventKind::OutOfScope { .. }
            | EventKind::AnsweredOnSpot { .. }
            | EventKind::Closed { .. }
    )
}

/// The clock as it runs through a case's events.
struct Run {
    next: Stage,
    since: Date,
    done: bool,
    /// The units routed and those that answered in this round.
    assigned: Vec<crate::ids::HandlingUnitId>,
    answered: Vec<crate::ids::HandlingUnitId>,
    /// The routing's due day (or its extension): resolving is due then, not by the policy.
    routed_due: Option<Date>,
    /// Residents' records reached by a call-back in this round.
    called: Vec<crate::ids::DemandId>,
    pause_from: Option<Date>,
    paused_days: u32,
}

impl Run {
    fn end(&mut self, s: Stage, day: Date) {
        if self.done || s < self.next {
            return;
        }
        match Stage::ALL.get(s.index() + 1) {
            Some(&after) => {
                self.next = after;
                self.since = day;
            }
            None => self.done = true,
        }
    }

    fn restart_resolving(&mut self, day: Date) {
        self.next = Stage::Resolve;
        self.since = day;
        self.done = false;
        self.answered.clear();
        self.called.clear();
        self.routed_due = None;
    }
}

/// The demand's clock on `today`, or `None` when no stage is under way (all done, or stopped).
/// A reopening (不满意, or the office's) starts the clock again at resolving, from the day it
/// reopened. A routed case is due to be resolved on the routing's due day (moved by an
/// extension); working days the clock stood paused are added to the due day.
pub fn clock(
    subject: &Subject,
    events: &[Event],
    policy: &Policy,
    calendar: &Calendar,
    today: Date,
) -> Option<StageClock> {
    let received = subject.received.beijing_date()?;
    let mut run = Run {
        next: Stage::Classify,
        since: received,
        done: false,
        assigned: Vec::new(),
        answered: Vec::new(),
        routed_due: None,
        called: Vec::new(),
        pause_from: None,
        paused_days: 0,
    };
    for e in causal_order(events) {
        let Some(day) = e.at.beijing_date() else {
            continue;
        };
        match &e.what {
            EventKind::Reopened { .. } => {
                run.restart_resolving(day);
                continue;
            }
            EventKind::CalledBack {
                outcome: Satisfaction::Dissatisfied,
                ..
            } if run.next >= Stage::FeedBack && !run.done => {
                run.restart_resolving(day);
                continue;
            }
            EventKind::CalledBack {
                cosigner, outcome, ..
            } if outcome.reached() && run.next >= Stage::FeedBack => {
                run.end(Stage::FeedBack, day);
                if !run.called.contains(cosigner) {
                    run.called.push(*cosigner);
                }
                if run.called.len() >= subject.cosigners {
                    run.end(Stage::CallBack, day);
                }
                continue;
            }
            EventKind::Routed {
                unit,
                deadline,
                assisting,
                ..
            } => {
                run.assigned = std::iter::once(unit.clone())
                    .chain(assisting.iter().cloned())
                    .collect();
                run.answered.clear();
                run.routed_due = deadline.beijing_date();
                if run.next >= Stage::Respond && !run.done {
                    // The units' clock starts when they receive it (and starts over when it is
                    // routed again).
                    run.next = Stage::Respond;
                    run.since = day;
                }
            }
            EventKind::Returned { unit, .. } => {
                if run.assigned.first() == Some(unit) {
                    run.assigned.clear();
                    run.answered.clear();
                    run.routed_due = None;
                    if !run.done {
                        run.next = Stage::Classify;
                        run.since = day;
                    }
                } else {
                    run.assigned.retain(|a| a != unit);
                    run.answered.retain(|a| a != unit);
                    if !run.assigned.is_empty()
                        && run.assigned.iter().all(|a| run.answered.contains(a))
                    {
                        run.end(Stage::Resolve, day);
                    }
                }
                continue;
            }
            EventKind::Answered {
                unit: Some(unit), ..
            } => {
                if run.assigned.contains(unit) && !run.answered.contains(unit) {
                    run.answered.push(unit.clone());
                    run.end(Stage::Respond, day);
                    if run.assigned.iter().all(|a| run.answered.contains(a)) {
                        run.end(Stage::Resolve, day);
                    }
                }
                continue;
            }
            EventKind::Extended { deadline, .. } => {
                run.routed_due = deadline.beijing_date();
                continue;
            }
            EventKind::Paused { .. } => {
                run.pause_from.get_or_insert(day);
                continue;
            }
            EventKind::Resumed { .. } => {
                if let Some(from) = run.pause_from.take()
                    && day > from
                {
                    run.paused_days +=
                        u32::try_from(calendar.working_days_between(from, day)).unwrap_or(0);
                }
                continue;
            }
            _ => {}
        }
        if stopped(&e.what) {
            run.done = true;
            continue;
        }
        if let Some(s) = ends(&e.what) {
            run.end(s, day);
        }
    }
    if run.done {
        return None;
    }
    let paused = run.pause_from.is_some();
    // While paused the clock reads as on the day it stopped.
    let as_of = run.pause_from.map_or(today, |p| p.min(today));
    let limits = policy.limits(subject.level, subject.category, subject.urgent);
    let limit = limits[run.next.index()];
    let base = match (run.next, run.routed_due) {
        (Stage::Resolve, Some(due)) => due,
        _ => calendar.add_working_days(run.since, limit),
    };
    let due = calendar.add_working_days(base, run.paused_days);
    let left = if as_of <= due {
        calendar.working_days_between(as_of, due)
    } else {
        -calendar.working_days_between(due, as_of)
    };
    // Yellow: on the due day, or within a third of the stage's limit (at least one day).
    let warn = i64::from((limit / 3).max(1));
    let light = if as_of > due {
        Light::Red
    } else if left < warn || as_of == due {
        Light::Yellow
    } else {
        Light::Green
    };
    Some(StageClock {
        stage: run.next,
        started: run.since,
        due,
        left,
        light,
        paused,
    })
}

#[cfg(test)]
mod tests;
