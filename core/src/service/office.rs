//! The street office's loop (交办 → 答复 → 回访): routing a case to a lead unit and assisting units,
//! a unit's return and the reassignment after it, each unit's answer, pausing and extending the
//! clock, reopening and closing, marking a demand urgent; and the delegate's part: the residents to call back, and what
//! each said.
//!
//! A suggestion's routing and answers are written on the suggestion *and* on each demand it
//! carries, so every demand's own history — on every replica, the delegate's phone included —
//! says what became of it, and its clock and call-backs derive from its own events.

use super::station::{on_demand, on_suggestion_view};
use super::{Ctx, Outcome, State, author, scope, with_clocks};
use crate::access::{Person, Principal};
use crate::api::{
    CallBackTask, Case, DemandView, MAX_PAGE, ParsedFilter, Response, RouteCase, SuggestionView,
    UnitAnswer,
};
use crate::category::Category;
use crate::clock::Timestamp;
use crate::deadline::{Stage, day_text};
use crate::error::Error;
use crate::ids::{DelegateId, DemandId, HandlingUnitId};
use crate::territory::{HandlingUnit, Territory};
use crate::workflow::{Actor, DemandStatus, EventKind, Satisfaction};

/// A case as read for a decision: the demand, or the suggestion with the demands it carries.
enum Held {
    Demand(Box<DemandView>),
    Suggestion(Box<SuggestionView>, Vec<DemandView>),
}

/// What the checks of a decision read of a case.
struct Facts {
    /// The units it is routed to, the lead first.
    units: Vec<HandlingUnitId>,
    paused: bool,
    /// Closed, withdrawn or joined: no more handling.
    settled: Option<&'static str>,
    category: Category,
}

fn settled(status: DemandStatus) -> Option<&'static str> {
    match status {
        DemandStatus::Joined => Some("已合并"),
        DemandStatus::Withdrawn => Some("已撤回"),
        DemandStatus::Closed => Some("已办结"),
        _ => None,
    }
}

impl Held {
    fn read<S: State>(state: &mut S, who: &Principal, case: &Case) -> Result<Held, S::Error> {
        let station = scope(who)?;
        match case {
            Case::Demand(id) => {
                let v = state
                    .demand(id, station.as_ref())?
                    .ok_or_else(|| Error::NotFound(format!("demand {id}")))?;
                Ok(Held::Demand(Box::new(v)))
            }
            Case::Suggestion(id) => {
                let s = state
                    .suggestion(id, station.as_ref())?
                    .ok_or_else(|| Error::NotFound(format!("suggestion {id}")))?;
                let mut members = Vec::new();
                for d in &s.suggestion.demands {
                    if let Some(v) = state.demand(d, Some(&s.suggestion.station))? {
                        members.push(v);
                    }
                }
                Ok(Held::Suggestion(Box::new(s), members))
            }
        }
    }

    fn facts(&self) -> Facts {
        match self {
            Held::Demand(v) => Facts {
                units: v.state.units.iter().map(|u| u.unit.clone()).collect(),
                paused: v.state.paused,
                settled: settled(v.state.status),
                category: v.demand.category,
            },
            Held::Suggestion(s, members) => Facts {
                units: s
                    .state
                    .unit
                    .iter()
                    .chain(s.state.assisting.iter())
                    .cloned()
                    .collect(),
                paused: s.state.paused,
                settled: s.state.closed.then_some("已办结"),
                category: members
                    .first()
                    .map_or(Category::ALL[0], |m| m.demand.category),
            },
        }
    }
}

/// Writes one event on a case: on the demand, or on the suggestion and each demand it carries
/// that is still being handled (a reopening reaches closed ones too).
fn write<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    held: Held,
    what: EventKind,
) -> Result<Outcome, S::Error> {
    match held {
        Held::Demand(v) => {
            let (effect, mut after) = on_demand(state, who, ctx, &v, what)?;
            with_clocks(state, ctx, std::slice::from_mut(&mut after));
            Ok(Outcome {
                response: Response::Demand(Box::new(after)),
                effects: vec![effect],
            })
        }
        Held::Suggestion(s, members) => {
            let (effect, after) = on_suggestion_view(state, who, ctx, &s, what.clone())?;
            let mut effects = vec![effect];
            let reopening = matches!(what, EventKind::Reopened { .. });
            for m in &members {
                let skip = match m.state.status {
                    DemandStatus::Joined | DemandStatus::Withdrawn => true,
                    DemandStatus::Closed => !reopening,
                    _ => false,
                };
                if !skip {
                    effects.push(on_demand(state, who, ctx, m, what.clone())?.0);
                }
            }
            Ok(Outcome {
                response: Response::Suggestion(Box::new(after)),
                effects,
            })
        }
    }
}

/// A case still being handled — or, for a reopening, closed — with what the checks read of it;
/// else `DEMAND_SETTLED`.
fn still_open<S: State>(
    state: &mut S,
    who: &Principal,
    case: &Case,
    reopening: bool,
) -> Result<(Held, Facts), S::Error> {
    let held = Held::read(state, who, case)?;
    let facts = held.facts();
    if let Some(status) = facts.settled.filter(|s| !(reopening && *s == "已办结")) {
        return Err(Error::DemandSettled {
            id: case.to_string(),
            status,
        }
        .into());
    }
    Ok((held, facts))
}

fn unit<'t>(t: &'t Territory, id: &HandlingUnitId) -> Result<&'t HandlingUnit, Error> {
    t.handling_units
        .iter()
        .find(|h| &h.id == id)
        .ok_or_else(|| Error::UnknownUnit(id.to_string()))
}

fn unit_name(t: &Territory, id: &HandlingUnitId) -> String {
    unit(t, id).map_or_else(|_| id.to_string(), |u| u.name.clone())
}

/// Required words: trimmed, not empty, within the short-text limit.
fn said(text: &str, field: &'static str) -> Result<String, Error> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::MissingField { field });
    }
    crate::capture::check_text(t)
}

/// Optional words: trimmed, `None` when blank, within the short-text limit.
fn maybe(text: Option<&str>) -> Result<Option<String>, Error> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => crate::capture::check_text(t).map(Some),
    }
}

fn today(ctx: &Ctx<'_>) -> Result<time::Date, Error> {
    ctx.clock
        .now()
        .beijing_date()
        .ok_or_else(|| Error::InvalidDate(ctx.clock.now().0.to_string()))
}

/// A due day the office typed: a real date, not before today.
fn due_day(text: &str, today: time::Date) -> Result<Timestamp, Error> {
    let at = Timestamp::parse_date(text).ok_or_else(|| Error::InvalidDate(text.to_owned()))?;
    let day = at
        .beijing_date()
        .ok_or_else(|| Error::InvalidDate(text.to_owned()))?;
    if day < today {
        return Err(Error::DeadlineBeforeStart {
            due: day_text(day),
            start: day_text(today),
        });
    }
    Ok(at)
}

pub(super) fn route<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    r: RouteCase,
) -> Result<Outcome, S::Error> {
    let today = today(ctx)?;
    let t = state.territory()?;
    let level = unit(t, &r.lead)?.level;
    let mut assisting: Vec<HandlingUnitId> = Vec::new();
    for a in &r.assisting {
        unit(t, a)?;
        if *a != r.lead && !assisting.contains(a) {
            assisting.push(a.clone());
        }
    }
    let (held, facts) = still_open(state, who, &r.case, false)?;
    let reason = maybe(r.reason.as_deref())?;
    // A reassignment says why (the lead changes while the case is with units).
    if facts.units.first().is_some_and(|l| *l != r.lead) && reason.is_none() {
        return Err(Error::MissingField { field: "reason" }.into());
    }
    let deadline = match &r.due {
        Some(text) => due_day(text, today)?,
        None => {
            let limits = state.policy().limits(Some(level), facts.category, false);
            let days = limits[Stage::Respond as usize] + limits[Stage::Resolve as usize];
            let day = state.calendar().add_working_days(today, days);
            Timestamp::beijing_midnight(day).ok_or_else(|| Error::InvalidDate(day_text(day)))?
        }
    };
    write(
        state,
        who,
        ctx,
        held,
        EventKind::Routed {
            unit: r.lead,
            deadline,
            assisting,
            reason,
        },
    )
}

/// The checks every later step of handling makes: the case is still being handled, and the unit
/// named is one it is routed to.
fn handled_by<S: State>(
    state: &mut S,
    who: &Principal,
    case: &Case,
    unit_id: Option<&HandlingUnitId>,
) -> Result<(Held, Facts), S::Error> {
    let (held, facts) = still_open(state, who, case, false)?;
    match unit_id {
        Some(u) if !facts.units.contains(u) => {
            return Err(Error::NotRouted(unit_name(state.territory()?, u)).into());
        }
        None if facts.units.is_empty() => {
            return Err(Error::NotRouted("任何办理单位".into()).into());
        }
        _ => {}
    }
    Ok((held, facts))
}

pub(super) fn return_case<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    case: Case,
    unit: HandlingUnitId,
    reason: &str,
) -> Result<Outcome, S::Error> {
    let reason = said(reason, "reason")?;
    let (held, _) = handled_by(state, who, &case, Some(&unit))?;
    write(state, who, ctx, held, EventKind::Returned { unit, reason })
}

pub(super) fn answer<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    case: Case,
    unit: HandlingUnitId,
    text: &str,
    resolved: bool,
) -> Result<Outcome, S::Error> {
    let text = said(text, "answer")?;
    let (held, _) = handled_by(state, who, &case, Some(&unit))?;
    write(
        state,
        who,
        ctx,
        held,
        EventKind::Answered {
            text,
            resolved,
            unit: Some(unit),
        },
    )
}

pub(super) fn pause<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    case: Case,
    reason: &str,
) -> Result<Outcome, S::Error> {
    let reason = said(reason, "reason")?;
    let (held, facts) = handled_by(state, who, &case, None)?;
    if facts.paused {
        return Err(Error::PauseState(true).into());
    }
    write(state, who, ctx, held, EventKind::Paused { reason })
}

pub(super) fn resume<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    case: Case,
    note: Option<&str>,
) -> Result<Outcome, S::Error> {
    let note = maybe(note)?;
    let (held, facts) = handled_by(state, who, &case, None)?;
    if !facts.paused {
        return Err(Error::PauseState(false).into());
    }
    write(state, who, ctx, held, EventKind::Resumed { note })
}

pub(super) fn extend<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    case: Case,
    due: &str,
    reason: &str,
) -> Result<Outcome, S::Error> {
    let reason = said(reason, "reason")?;
    let deadline = due_day(due, today(ctx)?)?;
    let (held, _) = handled_by(state, who, &case, None)?;
    write(
        state,
        who,
        ctx,
        held,
        EventKind::Extended { deadline, reason },
    )
}

pub(super) fn reopen<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    case: Case,
    reason: &str,
) -> Result<Outcome, S::Error> {
    let reason = said(reason, "reason")?;
    let (held, _) = still_open(state, who, &case, true)?;
    write(state, who, ctx, held, EventKind::Reopened { reason })
}

pub(super) fn close<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    case: Case,
    note: Option<&str>,
) -> Result<Outcome, S::Error> {
    let note = maybe(note)?;
    let (held, _) = still_open(state, who, &case, false)?;
    write(state, who, ctx, held, EventKind::Closed { note })
}

pub(super) fn urgency<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    demand: DemandId,
    urgent: bool,
    reason: Option<&str>,
) -> Result<Outcome, S::Error> {
    let reason = maybe(reason)?;
    let held = Held::read(state, who, &Case::Demand(demand))?;
    let Held::Demand(v) = &held else {
        return Err(Error::NotFound(format!("demand {demand}")).into());
    };
    if let Some(status) = settled(v.state.status) {
        return Err(Error::DemandSettled {
            id: demand.to_string(),
            status,
        }
        .into());
    }
    if v.state.urgent == urgent {
        // Already so: nothing to write.
        let mut view = (**v).clone();
        with_clocks(state, ctx, std::slice::from_mut(&mut view));
        return Ok(Outcome {
            response: Response::Demand(Box::new(view)),
            effects: Vec::new(),
        });
    }
    write(state, who, ctx, held, EventKind::Urgency { urgent, reason })
}

/// Whether `me` holds the resident behind a demand: they recorded it, or added a resident to it.
fn holds(v: &DemandView, me: &DelegateId) -> bool {
    v.demand.recorded_by == *me
        || v.demand.contacts_in.as_ref() == Some(me)
        || v.state.contacts_in.contains(me)
}

/// The case a demand's resident waits on: the demand itself, or the one it was joined into
/// (followed a few steps: joins made offline at once can chain).
fn case_of<S: State>(state: &mut S, v: &DemandView) -> Result<DemandView, S::Error> {
    let mut case = v.clone();
    for _ in 0..8 {
        match (case.state.status, case.state.joined_into) {
            (DemandStatus::Joined, Some(into)) => {
                match state.demand(&into, Some(&case.demand.station))? {
                    Some(next) => case = next,
                    None => break,
                }
            }
            _ => break,
        }
    }
    Ok(case)
}

pub(super) fn call_back<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    demand: DemandId,
    outcome: Satisfaction,
    note: Option<&str>,
) -> Result<Outcome, S::Error> {
    let note = maybe(note)?;
    let me = author(state, who)?;
    let Person::Delegate(delegate) = &me.person else {
        return Err(Error::NotPermitted(crate::access::Refusal::KindNotAllowed).into());
    };
    let station = scope(who)?;
    let v = state
        .demand(&demand, station.as_ref())?
        .ok_or_else(|| Error::NotFound(format!("demand {demand}")))?;
    if v.state.status == DemandStatus::Withdrawn {
        return Err(Error::DemandSettled {
            id: demand.to_string(),
            status: "已撤回",
        }
        .into());
    }
    if !holds(&v, delegate) {
        return Err(Error::NotPermitted(crate::access::Refusal::NotOwnRecord).into());
    }
    let case = case_of(state, &v)?;
    if !case.state.answered() {
        return Err(Error::NoAnswerYet(case.demand.id.to_string()).into());
    }
    let (effect, mut after) = on_demand(
        state,
        who,
        ctx,
        &case,
        EventKind::CalledBack {
            cosigner: demand,
            outcome,
            note,
        },
    )?;
    with_clocks(state, ctx, std::slice::from_mut(&mut after));
    Ok(Outcome {
        response: Response::Demand(Box::new(after)),
        effects: vec![effect],
    })
}

/// The residents the asking delegate is to call back: each demand they hold whose case has an
/// answer they have not yet read out to that resident this round (an unreachable resident stays).
pub(super) fn call_backs<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
) -> Result<Outcome, S::Error> {
    let station = scope(who)?;
    // Office staff hold no residents: nothing to call back.
    let Person::Delegate(delegate) = who.person.clone() else {
        return Ok(Outcome {
            response: Response::CallBacks { items: Vec::new() },
            effects: Vec::new(),
        });
    };
    // The delegate's own demands, page by page, and those they added a resident to.
    let mut held: Vec<DemandView> = Vec::new();
    let mut offset = 0;
    loop {
        let f = ParsedFilter {
            station: station.clone(),
            recorded_by: Some(delegate.clone()),
            limit: MAX_PAGE,
            offset,
            ..ParsedFilter::default()
        };
        let (page, _) = state.list_demands(&f)?;
        let n = page.len();
        held.extend(page);
        if n < MAX_PAGE as usize {
            break;
        }
        offset += MAX_PAGE;
    }
    for v in state.unsettled_demands(station.as_ref())? {
        if v.demand.recorded_by != delegate && holds(&v, &delegate) {
            held.push(v);
        }
    }
    let by = Actor::Delegate(delegate.clone());
    let mut items = Vec::new();
    for v in held {
        if v.state.status == DemandStatus::Withdrawn {
            continue;
        }
        let mut case = case_of(state, &v)?;
        if !case.state.answered() {
            continue;
        }
        let last = case.state.callback_of(&v.demand.id, &by).map(|c| c.outcome);
        if last.is_some_and(Satisfaction::reached) {
            continue;
        }
        with_clocks(state, ctx, std::slice::from_mut(&mut case));
        let t = state.territory()?;
        let units = case
            .state
            .units
            .iter()
            .filter_map(|u| {
                u.answer.as_ref().map(|a| UnitAnswer {
                    unit: unit_name(t, &u.unit),
                    lead: u.lead,
                    answer: a.clone(),
                })
            })
            .collect();
        let contacts = state
            .contacts(&delegate, &v.demand.id)?
            .into_iter()
            .filter(|c| c.consent)
            .collect();
        let clock = case.clock.as_ref();
        items.push(CallBackTask {
            demand: v.demand.id,
            text: v.demand.text.clone(),
            case: case.demand.id,
            answer: case.state.answer.clone().unwrap_or_default(),
            resolved: case.state.resolved,
            units,
            due: clock.map(|c| c.due_day()),
            left: clock.map(|c| c.left),
            light: clock.map(|c| c.light),
            contacts,
            last,
        });
    }
    items.sort_by(|a, b| {
        (a.left.unwrap_or(i64::MAX), a.demand).cmp(&(b.left.unwrap_or(i64::MAX), b.demand))
    });
    Ok(Outcome {
        response: Response::CallBacks { items },
        effects: Vec::new(),
    })
}
