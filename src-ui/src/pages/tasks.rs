//! Tasks 任务: the residents to call back (回访). Once every unit on a case has answered, each
//! resident behind it (the delegate's own, and co-signers the delegate added) is owed a call: the
//! delegate reads the answer out and records what the resident said. Soonest due first, as the
//! service sorts them. A resident who could not be reached stays on the list, marked; any other
//! outcome takes the task off (不满意 reopens the case). Works offline: the device answers, and
//! the call-back goes out at the next sync.

use gridvoice_core::Error as CoreError;
use gridvoice_core::api::{CallBackTask, UnitAnswer};
use gridvoice_core::capture::check_text;
use gridvoice_core::deadline::Stage;
use gridvoice_core::workflow::Satisfaction;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::I18n;
use crate::widgets::{clip, esc, outcome_label, stage_label};
use crate::{api, ctx};

/// How much of the resident's words a task shows (the demand's page has all of it).
const LIST_CHARS: usize = 60;

/// The call-back's due day in the words of a demand's clock (empty when the service gave none).
fn due_words(task: &CallBackTask, i18n: I18n) -> String {
    let (Some(due), Some(left)) = (task.due.as_deref(), task.left) else {
        return String::new();
    };
    let stage = stage_label(Stage::CallBack, i18n.lang.get());
    if left < 0 {
        i18n.fmt3("demands.clock.over", stage, -left, due)
    } else if left == 0 {
        i18n.fmt2("demands.clock.today", stage, due)
    } else {
        i18n.fmt3("demands.clock.left", stage, due, left)
    }
}

/// What the note's field says of the note: `Ok(None)` when there is none, else the core's rule
/// (so the form refuses exactly what the device would).
fn check_note(typed: &str, i18n: I18n) -> Result<Option<String>, String> {
    match check_text(typed) {
        Ok(n) => Ok(Some(n)),
        Err(CoreError::TextTooLong { len, max }) => {
            Err(i18n.fmt2("record.err.text_long", len, max))
        }
        // Empty once trimmed: no note.
        Err(_) => Ok(None),
    }
}

/// What a task says, as HTML: the resident's words (cut), the due day in its colour, an earlier
/// unreachable try, the answer to read out (each unit's under co-handling), the resident to call.
/// Every text is escaped; the phone goes into `tel:` as its digits only.
///
/// Built as one string rather than a `view!`: none of it reacts but to the language and the
/// earlier try, and each element of a `view!` is code of its own in the wasm (which is at its size
/// budget); a string costs one function.
fn card_html(task: &CallBackTask, last: Option<Satisfaction>, i18n: I18n) -> String {
    use std::fmt::Write;
    let mut h = String::new();
    // `write!` into a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        h,
        "<p class='task-words' data-testid='task-text'>{}</p><p class='task-meta'>",
        esc(&clip(&task.text, LIST_CHARS))
    );
    if task.due.is_some() {
        let light = task.light.map_or("green", |l| l.code());
        let _ = write!(
            h,
            "<span class='badge light-{light}' data-testid='task-due' data-light='{light}'>{}</span>",
            esc(&due_words(task, i18n))
        );
    }
    if last == Some(Satisfaction::Unreachable) {
        let _ = write!(
            h,
            "<span class='badge off' data-testid='task-unreachable'>{}</span>",
            i18n.t("tasks.tried_unreachable")
        );
    }
    let _ = write!(
        h,
        "<a class='btn link' data-testid='task-open' href='/demands/{}'>{}</a></p><div class='answer'><p class='label'>{}",
        task.demand,
        i18n.t("tasks.open"),
        i18n.t("tasks.answer")
    );
    if let Some(r) = task.resolved {
        let k = if r {
            "tasks.resolved"
        } else {
            "tasks.unresolved"
        };
        let _ = write!(
            h,
            " <span class='badge' data-testid='task-resolved'>{}</span>",
            i18n.t(k)
        );
    }
    h.push_str("</p><ul class='units' data-testid='task-units'>");
    let co = task.units.len() > 1;
    let lone = [UnitAnswer {
        unit: String::new(),
        lead: true,
        answer: task.answer.clone(),
    }];
    let units = if task.units.is_empty() {
        &lone[..]
    } else {
        &task.units[..]
    };
    for u in units {
        let _ = write!(
            h,
            "<li data-testid='task-unit'><strong>{}</strong> ",
            esc(&u.unit)
        );
        if co {
            let k = if u.lead {
                "demands.page.lead"
            } else {
                "demands.page.assisting"
            };
            let _ = write!(h, "<span class='badge'>{}</span>", i18n.t(k));
        }
        let _ = write!(
            h,
            "<span class='unit-answer read-out'>{}</span></li>",
            esc(&u.answer)
        );
    }
    h.push_str("</ul></div>");
    if task.contacts.is_empty() {
        let _ = write!(
            h,
            "<p class='muted' data-testid='task-no-contact'>{}</p>",
            i18n.t("tasks.no_contact")
        );
    } else {
        h.push_str("<ul class='contacts'>");
        for c in &task.contacts {
            let dial: String = c
                .phone
                .chars()
                .filter(|x| x.is_ascii_digit() || *x == '+' || *x == '-')
                .collect();
            let _ = write!(
                h,
                "<li data-testid='task-contact'><strong data-testid='task-contact-name'>{}</strong> <a class='btn call' data-testid='task-call' href='tel:{dial}'>{}</a></li>",
                esc(&c.name),
                esc(&c.phone)
            );
        }
        h.push_str("</ul>");
    }
    h
}

/// One resident to call back, with the form that records the call. Drawn once; a recorded task
/// hides itself (nothing else on the page is redrawn, so nothing typed elsewhere is lost), one
/// whose resident was not reached stays, marked.
#[component]
fn TaskCard(
    task: CallBackTask,
    /// Called once the device has stored the call-back.
    on_saved: Callback<(String, Satisfaction)>,
) -> impl IntoView {
    let i18n = ctx().i18n;
    let t = move |k: &'static str| move || i18n.t(k);
    let demand = task.demand;
    let id = demand.to_string();
    let note_id = format!("note-{id}");
    let outcome = RwSignal::new(None::<Satisfaction>);
    let note = RwSignal::new(String::new());
    // The reasons beside the choices and beside the note, and why a save failed.
    let outcome_err = RwSignal::new(None::<&'static str>);
    let note_err = RwSignal::new(None::<String>);
    let failed = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let gone = RwSignal::new(false);
    let last = RwSignal::new(task.last);
    let short = clip(&task.text, 16);

    let save = move |_| {
        if busy.get_untracked() {
            return;
        }
        let choice = outcome.get_untracked();
        outcome_err.set(choice.is_none().then_some("tasks.err.outcome"));
        let checked = check_note(&note.get_untracked(), i18n);
        note_err.set(checked.clone().err());
        let (Some(choice), Ok(text)) = (choice, checked) else {
            return;
        };
        busy.set(true);
        failed.set(None);
        let short = short.clone();
        // The answer may come after the delegate left the page: every write tries.
        spawn_local(async move {
            match api::call_back(demand, choice, text).await {
                Ok(_) => {
                    let _ = note.try_set(String::new());
                    let _ = outcome.try_set(None);
                    let _ = last.try_set(Some(choice));
                    let _ = gone.try_set(choice.reached());
                    on_saved.run((short, choice));
                }
                // The typed note stays in its field.
                Err(e) => {
                    let _ = failed.try_set(Some(i18n.fmt1("tasks.failed", e.message)));
                }
            }
            let _ = busy.try_set(false);
        });
    };

    view! {
        <article class="list-item task" data-testid="task-item" data-demand-id=id hidden=move || gone.get()>
            <div inner_html=move || card_html(&task, last.get(), i18n)></div>
            <fieldset class="outcome">
                <legend class="label">{t("tasks.outcome")}</legend>
                <div class="chips" role="group">
                    {Satisfaction::ALL.into_iter().map(|s| view! {
                        <button type="button" class="chip" aria-pressed=move || (outcome.get() == Some(s)).to_string()
                            data-testid=format!("outcome-{}", s.code())
                            on:click=move |_| { outcome.set(Some(s)); outcome_err.set(None); }>
                            {move || outcome_label(s, i18n)}
                        </button>
                    }).collect_view()}
                </div>
                <p class="field-error" id=format!("outcome-{id}-error") data-testid="task-outcome-error" role="alert">
                    {move || outcome_err.get().map_or("", |k| i18n.t(k))}
                </p>
            </fieldset>
            <label for=note_id.clone() class="label">{t("tasks.note")}</label>
            <textarea id=note_id.clone() data-testid="task-note" rows="2" placeholder=t("tasks.note_ph")
                prop:value=move || note.get()
                on:input=move |ev| { note.set(event_target_value(&ev)); note_err.set(None); }></textarea>
            <p class="field-error" id=format!("{note_id}-error") data-testid="task-note-error" role="alert">
                {move || note_err.get().unwrap_or_default()}
            </p>
            <button type="button" class="btn primary big" data-testid="task-save"
                disabled=move || busy.get() on:click=save>
                {move || i18n.t(if busy.get() { "saving" } else { "tasks.save" })}
            </button>
            <p class="error" data-testid="task-error" role="alert">{move || failed.get().unwrap_or_default()}</p>
        </article>
    }
}

#[component]
pub fn Tasks() -> impl IntoView {
    let i18n = ctx().i18n;
    let t = move |k: &'static str| move || i18n.t(k);
    let loaded = LocalResource::new(api::call_backs);
    // What the last save did, said above the list (its task may be gone).
    let said = RwSignal::new(None::<String>);

    view! {
        <section class="card" data-testid="page-tasks">
            <h2>{t("tasks.title")}</h2>
            <p class="ok" data-testid="task-saved" role="status">{move || said.get().unwrap_or_default()}</p>
            <Suspense fallback=move || view! { <p class="muted">{t("loading")}</p> }>
                {move || Suspend::new(async move {
                    // A list that cannot be read says why, in the one line an error takes here
                    // (no `<ErrorBoundary>`: one view either way keeps the wasm within its budget).
                    let (items, error) = match loaded.await {
                        Ok(items) => (items, String::new()),
                        Err(e) => (Vec::new(), e.message),
                    };
                    // The residents still to call (an unreachable one counts: still owed).
                    let open = RwSignal::new(items.len());
                    let on_saved = Callback::new(move |(text, outcome): (String, Satisfaction)| {
                        if outcome.reached() {
                            open.update(|n| *n = n.saturating_sub(1));
                        }
                        let key = match outcome {
                            Satisfaction::Unreachable => "tasks.saved_unreachable",
                            Satisfaction::Dissatisfied => "tasks.saved_dissatisfied",
                            _ => "tasks.saved",
                        };
                        let _ = said.try_set(Some(i18n.fmt2(key, text, outcome_label(outcome, i18n))));
                    });
                    let failed = !error.is_empty();
                    view! {
                        <p class="error" data-testid="load-error" role="alert">{error}</p>
                        <p class="muted" data-testid="tasks-count" data-count=move || open.get().to_string()>
                            {move || match open.get() {
                                _ if failed => String::new(),
                                0 => i18n.t("tasks.empty").to_owned(),
                                n => i18n.fmt1("tasks.count", n),
                            }}
                        </p>
                        {items.into_iter().map(|task| view! { <TaskCard task on_saved /> }).collect_view()}
                    }
                })}
            </Suspense>
        </section>
    }
}
