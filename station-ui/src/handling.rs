//! The office's handling of a case (交办 → 答复 → 回访), on a demand or on a suggestion with the
//! demands it carries: the units it is with (主办, 协办) and what each answered, the residents
//! called back, and — for the office — route, answer per unit, return, pause and resume, extend,
//! reopen, close. Every step is a request of the one vocabulary; the service refuses bad input
//! in plain words (an unknown unit, a due day before today, an answer to a closed case).

use gridvoice_core::access::Role;
use gridvoice_core::api::{ApiError, Case, Request, RouteCase};
use gridvoice_core::ids::HandlingUnitId;
use gridvoice_core::workflow::{Actor, DemandState, DemandStatus};
use leptos::prelude::*;

use crate::{api, ctx, error_view};

/// Which form is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Route,
    Answer,
    Return,
    Pause,
    Extend,
    Reopen,
    Close,
}

/// What the panel shows of a case: the state of the demand (for a suggestion, of a demand it
/// carries: routing and answers are written on each).
#[component]
#[allow(
    clippy::needless_pass_by_value,
    reason = "a component's props are owned"
)]
pub fn Handling(
    case: Case,
    state: DemandState,
    /// The office's buttons (off for a demand handled with its suggestion).
    #[prop(default = true)]
    actions: bool,
) -> impl IntoView {
    let c = ctx();
    let office = c.who.role == Role::Office;
    let units_now = state.units.clone();
    let name = {
        let t = c.territory.clone();
        move |u: &HandlingUnitId| {
            t.handling_units
                .iter()
                .find(|h| &h.id == u)
                .map_or_else(|| u.to_string(), |h| h.name.clone())
        }
    };
    let settled = matches!(
        state.status,
        DemandStatus::Closed | DemandStatus::Withdrawn | DemandStatus::Joined
    );
    let routed = !state.units.is_empty();
    let paused = state.paused;
    let answered = matches!(state.status, DemandStatus::Answered | DemandStatus::FedBack);

    let form: RwSignal<Option<Form>> = RwSignal::new(None);
    let lead = RwSignal::new(String::new());
    let assisting: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let unit = RwSignal::new(
        state
            .units
            .iter()
            .find(|u| u.answer.is_none())
            .or(state.units.first())
            .map(|u| u.unit.to_string())
            .unwrap_or_default(),
    );
    let due = RwSignal::new(String::new());
    let words = RwSignal::new(String::new());
    let resolved = RwSignal::new(true);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let open = move |f: Form| {
        error.set(None);
        words.set(String::new());
        form.set(Some(f));
    };

    let send = {
        let c = c.clone();
        move |_| {
            let Some(f) = form.get() else { return };
            let text = words.get().trim().to_owned();
            let opt = |s: String| Some(s).filter(|s| !s.is_empty());
            let req = match f {
                Form::Route => Request::Route(RouteCase {
                    case,
                    lead: HandlingUnitId::new(lead.get()),
                    assisting: assisting
                        .get()
                        .into_iter()
                        .map(HandlingUnitId::new)
                        .collect(),
                    due: opt(due.get().trim().to_owned()),
                    reason: opt(text),
                }),
                Form::Answer => Request::Answer {
                    case,
                    unit: HandlingUnitId::new(unit.get()),
                    text,
                    resolved: resolved.get(),
                },
                Form::Return => Request::Return {
                    case,
                    unit: HandlingUnitId::new(unit.get()),
                    reason: text,
                },
                Form::Pause => Request::Pause { case, reason: text },
                Form::Extend => Request::Extend {
                    case,
                    due: due.get().trim().to_owned(),
                    reason: text,
                },
                Form::Reopen => Request::Reopen { case, reason: text },
                Form::Close => Request::Close {
                    case,
                    note: opt(text),
                },
            };
            if f == Form::Route && lead.get().is_empty() {
                error.set(Some(ApiError::new(
                    gridvoice_core::error::ErrorCode::MissingField,
                    "请选择主办单位",
                )));
                return;
            }
            let c = c.clone();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let r = api::request(&req).await;
                busy.set(false);
                match r {
                    Ok(_) => {
                        form.set(None);
                        c.bump();
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let resume = {
        let c = c.clone();
        move |_| {
            let c = c.clone();
            leptos::task::spawn_local(async move {
                match api::request(&Request::Resume { case, note: None }).await {
                    Ok(_) => c.bump(),
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };

    let unit_rows = state
        .units
        .iter()
        .map(|u| {
            let role = if u.lead { "主办" } else { "协办" };
            let due = state.deadline.and_then(|d| d.beijing_date());
            let late = u
                .answered_at
                .and_then(|t| t.beijing_date())
                .zip(due)
                .is_some_and(|(answered, due)| answered > due);
            let said = u.answer.clone().map_or_else(
                || "尚未答复".to_owned(),
                |a| {
                    let when = u.answered_at.map(|t| t.beijing()).unwrap_or_default();
                    let late = if late { "，逾期答复" } else { "" };
                    format!("已答复（{when}{late}）：{a}")
                },
            );
            view! {
                <li data-testid="unit" data-unit=u.unit.to_string() data-answered=u.answer.is_some().to_string()>
                    <span class="badge">{role}</span>" "<strong>{name(&u.unit)}</strong>" · "{said}
                </li>
            }
        })
        .collect_view();
    let calls = state
        .callbacks
        .iter()
        .map(|cb| {
            let by = match &cb.by {
                Actor::Delegate(d) => c.delegate_name(d),
                Actor::Staff(s) => s.to_string(),
            };
            let note = cb.note.clone().map(|n| format!("：{n}")).unwrap_or_default();
            let round = if cb.round < state.reopened {
                format!("（第 {} 次答复后）", cb.round + 1)
            } else {
                String::new()
            };
            view! {
                <li data-testid="callback" data-outcome=cb.outcome.code() data-round=cb.round.to_string()>
                    {format!("{by} 回访居民{round} · {}{note}", cb.outcome.zh())}
                </li>
            }
        })
        .collect_view();
    let reopened = state.reopened;
    let due_day = state
        .deadline
        .filter(|_| routed)
        .and_then(|d| d.beijing_date())
        .map(gridvoice_core::deadline::day_text);
    let all_units: Vec<(String, String, &'static str)> = c
        .territory
        .handling_units
        .iter()
        .map(|h| (h.id.to_string(), h.name.clone(), h.level.zh()))
        .collect();
    let routed_units: Vec<(String, String)> = units_now
        .iter()
        .map(|u| (u.unit.to_string(), name(&u.unit)))
        .collect();

    view! {
        <div class="handling" data-testid="handling" data-routed=routed.to_string() data-paused=paused.to_string()
            data-reopened=reopened.to_string()>
            {routed.then(|| view! { <ul class="units">{unit_rows}</ul> })}
            {due_day.map(|d| view! { <p class="muted" data-testid="handling-deadline">{format!("办理期限 {d}")}</p> })}
            {paused.then(|| view! { <p class="badge warn" data-testid="paused">"计时已暂停"</p> })}
            {(reopened > 0).then(|| view! { <p class="badge warn" data-testid="reopened">{format!("重新办理 {reopened} 次")}</p> })}
            {(!state.callbacks.is_empty()).then(|| view! { <ul class="callbacks">{calls}</ul> })}
            {(office && actions && !settled).then(|| view! {
                <div class="row actions">
                    <button type="button" class="btn small" data-testid="act-route" on:click=move |_| open(Form::Route)>
                        {if routed { "重新交办" } else { "交办" }}</button>
                    {routed.then(|| view! {
                        <button type="button" class="btn small" data-testid="act-unit-answer" on:click=move |_| open(Form::Answer)>"录入答复"</button>
                        <button type="button" class="btn small" data-testid="act-return" on:click=move |_| open(Form::Return)>"退回"</button>
                        <button type="button" class="btn small" data-testid="act-extend" on:click=move |_| open(Form::Extend)>"延期"</button>
                    })}
                    {(routed && !paused).then(|| view! {
                        <button type="button" class="btn small" data-testid="act-pause" on:click=move |_| open(Form::Pause)>"暂停计时"</button>
                    })}
                    {paused.then(|| view! {
                        <button type="button" class="btn small" data-testid="act-resume" on:click=resume.clone()>"恢复计时"</button>
                    })}
                    {answered.then(|| view! {
                        <button type="button" class="btn small" data-testid="act-reopen" on:click=move |_| open(Form::Reopen)>"重新办理"</button>
                    })}
                    <button type="button" class="btn small" data-testid="act-close" on:click=move |_| open(Form::Close)>"办结"</button>
                </div>
            })}
            {move || form.get().map(|f| {
                let send = send.clone();
                let (all, routed_units) = (all_units.clone(), routed_units.clone());
                let label = match f {
                    Form::Route => "交办理由（重新交办时必填）",
                    Form::Answer => "答复内容（将由代表反馈给群众）",
                    Form::Return => "退回理由",
                    Form::Pause => "暂停理由",
                    Form::Extend => "延期理由",
                    Form::Reopen => "重新办理的理由",
                    Form::Close => "办结说明（可不填）",
                };
                view! {
                    <div class="words" data-testid="handling-form" data-form=format!("{f:?}").to_lowercase()>
                        {(f == Form::Route).then(|| {
                            let all2 = all.clone();
                            view! {
                                <label class="label" for="h-lead">"主办单位"</label>
                                <select id="h-lead" data-testid="route-lead" on:change=move |ev| lead.set(event_target_value(&ev))>
                                    <option value="">"请选择"</option>
                                    {all.into_iter().map(|(id, n, lvl)| view! { <option value=id>{format!("{n}（{lvl}级）")}</option> }).collect_view()}
                                </select>
                                <p class="label">"协办单位（可多选）"</p>
                                <div class="checks">
                                {all2.into_iter().map(|(id, n, _)| {
                                    let id2 = id.clone();
                                    view! {
                                        <label class="check"><input type="checkbox" data-testid="route-assist" value=id
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                let id = id2.clone();
                                                assisting.update(|a| { a.retain(|x| *x != id); if on { a.push(id); } });
                                            } />{n}</label>
                                    }
                                }).collect_view()}
                                </div>
                            }
                        })}
                        {matches!(f, Form::Answer | Form::Return).then(|| view! {
                            <label class="label" for="h-unit">"办理单位"</label>
                            <select id="h-unit" data-testid="handling-unit" on:change=move |ev| unit.set(event_target_value(&ev))>
                                {routed_units.into_iter().map(|(id, n)| {
                                    let selected = id == unit.get_untracked();
                                    view! { <option value=id selected=selected>{n}</option> }
                                }).collect_view()}
                            </select>
                        })}
                        {matches!(f, Form::Route | Form::Extend).then(|| view! {
                            <label class="label" for="h-due">{if f == Form::Route { "办理期限（不填则按时限规定自动计算）" } else { "新的办理期限" }}</label>
                            <input id="h-due" type="date" data-testid="handling-due" prop:value=move || due.get()
                                on:input=move |ev| due.set(event_target_value(&ev)) />
                        })}
                        {(f == Form::Answer).then(|| view! {
                            <label class="check"><input type="checkbox" data-testid="answer-resolved" prop:checked=move || resolved.get()
                                on:change=move |ev| resolved.set(event_target_checked(&ev)) />"问题已解决"</label>
                        })}
                        <label class="label" for="h-words">{label}</label>
                        <textarea id="h-words" data-testid="handling-words" prop:value=move || words.get()
                            on:input=move |ev| words.set(event_target_value(&ev))></textarea>
                        <div class="row">
                            <button type="button" class="btn primary" data-testid="handling-send" disabled=move || busy.get() on:click=send>"确定"</button>
                            <button type="button" class="btn" on:click=move |_| form.set(None)>"取消"</button>
                        </div>
                    </div>
                }
            })}
            {move || error.get().map(|e| error_view(&e))}
        </div>
    }
}
