//! One demand in the inbox: its words, where and by whom, its status and co-signers, the head's
//! decisions while it is open, and — when two people decided differently at once (two heads
//! offline, or a head and the office) — both decisions side by side, to keep one.

use gridvoice_core::access::Role;
use gridvoice_core::api::{ApiError, Case, DemandView, Request};
use gridvoice_core::workflow::DemandStatus;
use leptos::prelude::*;

use crate::{api, ctx, error_view};

/// The stage under way, its due day and the working days left, coloured by its light.
pub(crate) fn clock_badge(c: &gridvoice_core::deadline::StageClock) -> impl IntoView + use<> {
    let light = c.light.code();
    let words = match c.left {
        n if n < 0 => format!(
            "{}超期 {} 个工作日（期限 {}）",
            c.stage.zh(),
            -n,
            c.due_day()
        ),
        0 => format!("{}今天到期", c.stage.zh()),
        n => format!("{}期限 {}，剩 {n} 个工作日", c.stage.zh(), c.due_day()),
    };
    view! { " · "<span class=format!("badge light-{light}") data-testid="demand-clock" data-light=light
    data-left=c.left.to_string()>{words}</span> }
}

/// What the head may still decide on a demand: it is open (recorded or read).
pub(super) fn open(d: &DemandView) -> bool {
    matches!(
        d.state.status,
        DemandStatus::Recorded | DemandStatus::Reviewed
    )
}

/// One demand in a list, with the head's decisions when it is open.
#[component]
pub(super) fn DemandItem(d: DemandView) -> impl IntoView {
    let c = ctx();
    let id = d.demand.id;
    let head = c.who.role == Role::StationHead;
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    // Which decision's words are being written: "answer" or "scope".
    let writing: RwSignal<Option<&'static str>> = RwSignal::new(None);
    let words = RwSignal::new(String::new());
    let c2 = c.clone();
    let decide = move |req: Request| {
        let c = c2.clone();
        leptos::task::spawn_local(async move {
            match api::request(&req).await {
                Ok(_) => {
                    error.set(None);
                    writing.set(None);
                    c.bump();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let send_words = {
        let decide = decide.clone();
        move |_| {
            let text = words.get().trim().to_owned();
            let req = match writing.get() {
                Some("answer") => Request::AnswerOnSpot {
                    demand: id,
                    answer: text,
                },
                _ => Request::OutOfScope {
                    demand: id,
                    reason: text,
                },
            };
            decide(req);
        }
    };
    let picked = c.picked;
    let is_picked = move || picked.get().iter().any(|p| p.demand.id == id);
    let view_for_pick = d.clone();
    let toggle_pick = move |_| {
        let v = view_for_pick.clone();
        picked.update(|list| {
            if let Some(i) = list.iter().position(|p| p.demand.id == v.demand.id) {
                list.remove(i);
            } else {
                list.push(v);
            }
        });
    };
    let can_decide = head && open(&d);
    let status = d.state.status;
    let conflict = d.state.needs_decision;
    let cosigners = d.joined.len();
    let meta = format!(
        "{} · {} · {} · {}",
        c.grid_name(&d.demand.grid),
        d.demand.category.zh(),
        c.delegate_name(&d.demand.recorded_by),
        d.demand.recorded_at.beijing()
    );
    let (r1, r2, r3) = (decide.clone(), decide.clone(), decide.clone());
    let urgent = d.state.urgent;
    // The head (own station) and the office may mark a demand urgent while it is handled.
    let may_mark = matches!(c.who.role, Role::StationHead | Role::Office)
        && !matches!(
            status,
            DemandStatus::Closed | DemandStatus::Withdrawn | DemandStatus::Joined
        );
    let mark = move |_| {
        decide(Request::SetUrgency {
            demand: id,
            urgent: !urgent,
            reason: None,
        });
    };
    // Contradicting decisions made at once, side by side; anyone who may make such a decision may
    // keep one (the service checks the kind against the authority rule).
    let versions: Vec<_> = d
        .state
        .conflicting
        .iter()
        .filter_map(|e| d.history.iter().find(|h| &h.id == e))
        .map(|e| {
            let by = match &e.by {
                gridvoice_core::workflow::Actor::Delegate(x) => c.delegate_name(x),
                gridvoice_core::workflow::Actor::Staff(x) => format!("代表工作室 {x}"),
            };
            (
                e.id,
                e.what.zh(),
                e.what.words().map(str::to_owned),
                by,
                e.at.beijing(),
            )
        })
        .collect();
    let may_resolve = matches!(c.who.role, Role::StationHead | Role::Office);
    // The office handles a demand on its own; one in a suggestion is handled with the suggestion.
    let own_case = d.state.suggestion.is_none();
    let show_handling = c.who.role == Role::Office
        || !d.state.units.is_empty()
        || d.state.reopened > 0
        || !d.state.callbacks.is_empty();
    let handling_state = d.state.clone();
    view! {
        <li class="list-item" data-testid="demand-item" data-demand-id=id.to_string() data-status=status.code()>
            <p class="item-text">{d.demand.text}</p>
            <p class="muted">{meta}" · "<span class="badge" data-testid="demand-status">{status.zh()}</span>
                {conflict.then(|| view! { <span class="badge warn" data-testid="needs-decision">"待裁定"</span> })}
                {urgent.then(|| view! { " "<span class="badge light-red" data-testid="urgent">"紧急"</span> })}
                {d.clock.as_ref().map(clock_badge)}
                {d.state.suggestion.map(|sid| {
                    let (focus, tab) = (c.focus, c.tab);
                    view! { " · "<button type="button" class="link" data-testid="demand-suggestion" data-suggestion-id=sid.to_string()
                        on:click=move |_| { focus.set(Some(sid)); tab.set(crate::Tab::Suggestion); }>"查看所在建议"</button> }
                })}
                {(cosigners > 0).then(|| view! { " · "<span class="badge" data-testid="demand-cosigners" data-count=cosigners.to_string()>{format!("附议 {cosigners} 人")}</span> })}
            </p>
            {d.state.answer.clone().map(|a| view! { <p class="answer" data-testid="demand-answer">"答复："{a}</p> })}
            {show_handling.then(|| view! { <crate::handling::Handling case=Case::Demand(id) state=handling_state.clone() actions=own_case /> })}
            {(conflict && !versions.is_empty()).then(|| view! {
                <div class="versions" data-testid="versions">
                    <p class="muted">"以下决定是同时作出的，互相矛盾，请保留其中一项："</p>
                    <div class="row">
                    {versions.into_iter().map(|(event, what, words, by, at)| {
                        let keep = r3.clone();
                        view! {
                            <div class="version" data-testid="version" data-event=event.to_string()>
                                <p><strong>{what}</strong></p>
                                {words.map(|w| view! { <p>{w}</p> })}
                                <p class="muted">{format!("{by} · {at}")}</p>
                                {may_resolve.then(|| view! {
                                    <button type="button" class="btn small primary" data-testid="version-keep"
                                        on:click=move |_| keep(Request::Resolve { demand: id, keep: event })>"保留此项"</button>
                                })}
                            </div>
                        }
                    }).collect_view()}
                    </div>
                </div>
            })}
            {may_mark.then(|| view! {
                <div class="row actions">
                    <button type="button" class="btn small" data-testid="act-urgent" aria-pressed=urgent.to_string() on:click=mark>
                        {if urgent { "取消紧急" } else { "标为紧急" }}</button>
                </div>
            })}
            {can_decide.then(|| view! {
                <div class="row actions">
                    <button type="button" class="btn small" data-testid="act-review" on:click=move |_| r1(Request::Review { demand: id, note: None })>"已阅"</button>
                    <button type="button" class="btn small" data-testid="act-answer" on:click=move |_| { words.set(String::new()); writing.set(Some("answer")); }>"当场答复"</button>
                    <button type="button" class="btn small" data-testid="act-workroom" on:click=move |_| r2(Request::HandToWorkroom { demand: id, note: None })>"转社区接诉即办"</button>
                    <button type="button" class="btn small" data-testid="act-scope" on:click=move |_| { words.set(String::new()); writing.set(Some("scope")); }>"不属受理范围"</button>
                    <button type="button" class="btn small" data-testid="act-pick" aria-pressed=move || is_picked().to_string() on:click=toggle_pick>
                        {move || if is_picked() { "已选入建议" } else { "选入建议" }}</button>
                </div>
            })}
            {move || writing.get().map(|w| {
                let send = send_words.clone();
                let label = if w == "answer" { "答复内容（将反馈给群众）" } else { "不属受理范围的理由（将告知群众）" };
                view! {
                    <div class="words">
                        <label class="label">{label}</label>
                        <textarea data-testid="decision-words" prop:value=move || words.get() on:input=move |ev| words.set(event_target_value(&ev))></textarea>
                        <div class="row">
                            <button type="button" class="btn primary" data-testid="decision-send" on:click=send>"确定"</button>
                            <button type="button" class="btn" on:click=move |_| writing.set(None)>"取消"</button>
                        </div>
                    </div>
                }
            })}
            {move || error.get().map(|e| error_view(&e))}
        </li>
    }
}
