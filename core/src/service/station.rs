//! The station head's decisions (站长分析研判): review; answer on the spot, hand to the community's
//! 12345 workroom, or say why a demand is out of scope; join duplicates; form delegate
//! suggestions, classify their level, whistle; settle contradicting decisions.
//! Each is an event (or a new suggestion record) under the authority rule, with the bad input
//! of each refused before anything is written.

use super::{Ctx, DocRef, Effect, Outcome, Record, State, author, new_event};
use crate::access::Principal;
use crate::access::{Target, may_append, may_put};
use crate::api::{DemandView, FormSuggestion, Response, SuggestionView};
use crate::doc::Collection;
use crate::error::Error;
use crate::ids::{DemandId, EventId, SuggestionId};
use crate::model::{Suggestion, WhistleRoute};
use crate::territory::HandlingLevel;
use crate::workflow::{DemandStatus, EventKind};

/// A demand of the head's station that is still open to decisions.
fn open_demand<S: State>(
    state: &mut S,
    who: &Principal,
    id: &DemandId,
) -> Result<DemandView, S::Error> {
    let station = super::scope(who)?;
    let v = state
        .demand(id, station.as_ref())?
        .ok_or_else(|| Error::NotFound(format!("demand {id}")))?;
    let settled = match v.state.status {
        DemandStatus::Joined => Some("已合并"),
        DemandStatus::Withdrawn => Some("已撤回"),
        DemandStatus::Closed => Some("已办结"),
        DemandStatus::InSuggestion => Some("已形成建议"),
        _ => None,
    };
    if let Some(status) = settled {
        return Err(Error::DemandSettled {
            id: id.to_string(),
            status,
        }
        .into());
    }
    Ok(v)
}

/// An event on a demand, checked against the rule, with the demand's view after it.
pub(super) fn on_demand<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    v: &DemandView,
    what: EventKind,
) -> Result<(Effect, DemandView), S::Error> {
    let me = author(state, who)?;
    let now = ctx.clock.now();
    let event = new_event(&me, who, ctx, now, &v.history, what);
    let target = Target {
        collection: Collection::Demands,
        station: &v.demand.station,
        recorded_by: &v.demand.recorded_by,
    };
    may_append(&me, &event.what, target).map_err(Error::NotPermitted)?;
    let mut events = v.history.clone();
    events.push(event.clone());
    let after = DemandView::new(v.demand.clone(), &events, state.territory()?);
    Ok((
        Effect::Append {
            doc: DocRef::Station(v.demand.station.clone()),
            collection: Collection::Demands,
            id: v.demand.id.to_string(),
            event,
        },
        after,
    ))
}

pub(super) fn review<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    demand: DemandId,
    note: Option<String>,
) -> Result<Outcome, S::Error> {
    let v = open_demand(state, who, &demand)?;
    let (effect, after) = on_demand(state, who, ctx, &v, EventKind::Reviewed { note })?;
    Ok(Outcome {
        response: Response::Demand(Box::new(after)),
        effects: vec![effect],
    })
}

/// A decision on an open demand that settles it or sends it on, with the text it carries
/// checked first (`field` names it in the error).
fn decide<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    demand: DemandId,
    what: impl FnOnce(&DemandView, &crate::territory::Territory) -> Result<EventKind, Error>,
) -> Result<Outcome, S::Error> {
    let v = open_demand(state, who, &demand)?;
    let what = what(&v, state.territory()?)?;
    let (effect, after) = on_demand(state, who, ctx, &v, what)?;
    Ok(Outcome {
        response: Response::Demand(Box::new(after)),
        effects: vec![effect],
    })
}

/// Required text of a decision: trimmed, not empty, within the short-text limit.
fn said(text: &str, field: &'static str) -> Result<String, Error> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::MissingField { field });
    }
    crate::capture::check_text(t)
}

pub(super) fn answer_on_spot<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    demand: DemandId,
    answer: &str,
) -> Result<Outcome, S::Error> {
    let answer = said(answer, "answer")?;
    decide(state, who, ctx, demand, |_, _| {
        Ok(EventKind::AnsweredOnSpot { answer })
    })
}

/// To the workroom of the community the demand's grid lies in.
pub(super) fn hand_to_workroom<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    demand: DemandId,
    note: Option<String>,
) -> Result<Outcome, S::Error> {
    decide(state, who, ctx, demand, |v, t| {
        let community = t
            .grid(&v.demand.grid)
            .map(|g| g.community.clone())
            .ok_or_else(|| Error::NotFound(format!("grid {}", v.demand.grid)))?;
        let workroom = t
            .workrooms
            .iter()
            .find(|w| w.community == community)
            .ok_or_else(|| Error::NotFound(format!("12345 workroom of community {community}")))?;
        Ok(EventKind::HandedToWorkroom {
            workroom: workroom.id.clone(),
            note: note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        })
    })
}

pub(super) fn out_of_scope<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    demand: DemandId,
    reason: &str,
) -> Result<Outcome, S::Error> {
    let reason = said(reason, "reason")?;
    decide(state, who, ctx, demand, |_, _| {
        Ok(EventKind::OutOfScope { reason })
    })
}

pub(super) fn join<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    demand: DemandId,
    into: DemandId,
) -> Result<Outcome, S::Error> {
    if demand == into {
        return Err(Error::JoinSelf.into());
    }
    let v = open_demand(state, who, &demand)?;
    let target = state.demand(&into, Some(&v.demand.station))?;
    let Some(target) = target else {
        return Err(match state.demand(&into, None)? {
            Some(_) => Error::JoinAcrossStations,
            None => Error::NotFound(format!("demand {into}")),
        }
        .into());
    };
    if matches!(
        target.state.status,
        DemandStatus::Joined | DemandStatus::Withdrawn
    ) {
        return Err(Error::DemandSettled {
            id: into.to_string(),
            status: if target.state.status == DemandStatus::Joined {
                "已合并"
            } else {
                "已撤回"
            },
        }
        .into());
    }
    let (effect, after) = on_demand(state, who, ctx, &v, EventKind::JoinedInto { target: into })?;
    Ok(Outcome {
        response: Response::Demand(Box::new(after)),
        effects: vec![effect],
    })
}

pub(super) fn form_suggestion<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    r: FormSuggestion,
) -> Result<Outcome, S::Error> {
    if r.demands.is_empty() {
        return Err(Error::EmptySuggestion.into());
    }
    let me = author(state, who)?;
    let (delegate, station) = super::as_delegate(&me)?;
    may_put(&me, Collection::Suggestions, station.as_str(), &delegate)
        .map_err(Error::NotPermitted)?;
    let mut sources = Vec::new();
    for id in &r.demands {
        if sources.iter().any(|d: &DemandView| d.demand.id == *id) {
            continue;
        }
        sources.push(open_demand(state, who, id)?);
    }
    let now = ctx.clock.now();
    let id = r.id.unwrap_or_else(|| SuggestionId::new(ctx.ids, now));
    if let Some(existing) = state.suggestion(&id, Some(&station))? {
        return Ok(Outcome {
            response: Response::Suggestion(Box::new(existing)),
            effects: Vec::new(),
        });
    }
    let t = state.territory()?;
    let (title, text) = crate::suggest::draft(&sources, t);
    let level = r
        .level
        .unwrap_or_else(|| crate::suggest::suggest_level(&sources, t).0);
    let suggestion = Suggestion {
        id,
        station: station.clone(),
        title: r.title.filter(|s| !s.trim().is_empty()).unwrap_or(title),
        text: r.text.filter(|s| !s.trim().is_empty()).unwrap_or(text),
        demands: sources.iter().map(|d| d.demand.id).collect(),
        level,
        formed_at: now,
        formed_by: delegate,
        device: who.device,
    };
    let mut effects = vec![Effect::Put {
        doc: DocRef::Station(station),
        record: Record::Suggestion(suggestion.clone()),
        receipt: true,
    }];
    for v in &sources {
        let (effect, _) = on_demand(
            state,
            who,
            ctx,
            v,
            EventKind::AddedToSuggestion { suggestion: id },
        )?;
        effects.push(effect);
    }
    let view = SuggestionView::new(suggestion, &[], state.territory()?);
    Ok(Outcome {
        response: Response::Suggestion(Box::new(view)),
        effects,
    })
}

/// An event on a suggestion of the head's station, checked against the rule.
fn on_suggestion<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    id: &SuggestionId,
    what: impl FnOnce(&SuggestionView) -> Result<EventKind, Error>,
) -> Result<Outcome, S::Error> {
    let station = super::scope(who)?;
    let v = state
        .suggestion(id, station.as_ref())?
        .ok_or_else(|| Error::NotFound(format!("suggestion {id}")))?;
    let what = what(&v)?;
    let (effect, after) = on_suggestion_view(state, who, ctx, &v, what)?;
    Ok(Outcome {
        response: Response::Suggestion(Box::new(after)),
        effects: vec![effect],
    })
}

/// An event on a suggestion already read, checked against the rule, with its view after it.
pub(super) fn on_suggestion_view<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    v: &SuggestionView,
    what: EventKind,
) -> Result<(Effect, SuggestionView), S::Error> {
    let me = author(state, who)?;
    let now = ctx.clock.now();
    let event = new_event(&me, who, ctx, now, &v.history, what);
    let target = Target {
        collection: Collection::Suggestions,
        station: &v.suggestion.station,
        recorded_by: &v.suggestion.formed_by,
    };
    may_append(&me, &event.what, target).map_err(Error::NotPermitted)?;
    let mut events = v.history.clone();
    events.push(event.clone());
    let after = SuggestionView::new(v.suggestion.clone(), &events, state.territory()?);
    Ok((
        Effect::Append {
            doc: DocRef::Station(v.suggestion.station.clone()),
            collection: Collection::Suggestions,
            id: v.suggestion.id.to_string(),
            event,
        },
        after,
    ))
}

pub(super) fn classify<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    suggestion: SuggestionId,
    level: HandlingLevel,
) -> Result<Outcome, S::Error> {
    on_suggestion(state, who, ctx, &suggestion, |_| {
        Ok(EventKind::Classified { level })
    })
}

pub(super) fn whistle<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    suggestion: SuggestionId,
    route: WhistleRoute,
    note: Option<String>,
) -> Result<Outcome, S::Error> {
    on_suggestion(state, who, ctx, &suggestion, |v| {
        let level = v.state.level.unwrap_or(v.suggestion.level);
        if !route.fits(level) {
            return Err(Error::RouteDoesNotFit {
                route: route.zh(),
                level: level.zh(),
            });
        }
        Ok(EventKind::Whistled { route, note })
    })
}

/// Settles concurrent, contradicting decisions on a demand: the decision kept is made again by
/// the one who resolves, after both (its `prev` names every head of the demand's history), so
/// every replica derives the same settled state. The kept decision's kind must be one the
/// resolver's role may append (the office settles in favour of its own routing, a head of a
/// head's decision).
pub(super) fn resolve<S: State>(
    state: &mut S,
    who: &Principal,
    ctx: &mut Ctx<'_>,
    demand: DemandId,
    keep: EventId,
) -> Result<Outcome, S::Error> {
    let station = super::scope(who)?;
    let v = state
        .demand(&demand, station.as_ref())?
        .ok_or_else(|| Error::NotFound(format!("demand {demand}")))?;
    if !v.state.needs_decision {
        return Err(Error::NothingToResolve(demand.to_string()).into());
    }
    let kept = v
        .history
        .iter()
        .find(|e| e.id == keep && v.state.conflicting.contains(&e.id))
        .ok_or_else(|| Error::NotFound(format!("decision {keep} among the contradicting ones")))?
        .what
        .clone();
    let (effect, after) = on_demand(state, who, ctx, &v, kept)?;
    Ok(Outcome {
        response: Response::Demand(Box::new(after)),
        effects: vec![effect],
    })
}
