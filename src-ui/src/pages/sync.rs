//! Sync 同步: sync now with progress, the records the server has not yet confirmed (per-record
//! receipts), errors in plain words with a retry, and re-enrolment when the credential is refused.

use gridvoice_core::api::ApiError;
use gridvoice_core::device::SyncSummary;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::widgets::{error_list, when};
use crate::{api, ctx};

#[derive(Debug, Clone, PartialEq)]
enum Run {
    Idle,
    Running,
    Done(SyncSummary),
    Failed(ApiError),
}

#[component]
pub fn Sync() -> impl IntoView {
    let i18n = ctx().i18n;
    let t = move |k: &'static str| move || i18n.t(k);
    let run = RwSignal::new(Run::Idle);
    let pending = LocalResource::new(api::pending);
    let status = LocalResource::new(api::status);
    let progress = RwSignal::new(None::<(u32, u32)>);

    let sync = move |_| {
        if run.get_untracked() == Run::Running {
            return;
        }
        run.set(Run::Running);
        progress.set(None);
        spawn_local(async move {
            // The bridge answers when the sync is over; meanwhile the status carries its progress.
            let poll = async move {
                loop {
                    sleep_ms(400).await;
                    if run.get_untracked() != Run::Running {
                        break;
                    }
                    if let Ok(s) = api::status().await
                        && let Some(p) = s.syncing
                    {
                        progress.set(Some((p.documents_done, p.documents_total)));
                    }
                }
            };
            spawn_local(poll);
            let outcome = api::sync_now().await;
            run.set(match outcome {
                Ok(s) => Run::Done(s),
                Err(e) => Run::Failed(e),
            });
            pending.refetch();
            status.refetch();
        });
    };

    let result = move || match run.get() {
        Run::Idle => ().into_any(),
        Run::Running => view! {
            <div data-testid="sync-running">
                <progress data-testid="sync-progress"
                    max=move || progress.get().map_or(1, |p| p.1.max(1))
                    value=move || progress.get().map(|p| p.0.to_string())></progress>
                <p class="muted">{t("sync.running")}</p>
            </div>
        }
        .into_any(),
        Run::Done(s) if s.ok => view! {
            <p class="ok" data-testid="sync-ok" role="status">
                {move || i18n.fmt2("sync.done", s.receipts_confirmed, s.pending_left)}
            </p>
            {s.recovered.map(|r| view! {
                <p class="warn" data-testid="sync-recovered" role="status">
                    {move || i18n.fmt2("sync.recovered", r.rewritten, r.dropped)}
                </p>
            })}
        }
        .into_any(),
        Run::Done(s) => {
            let f = s.error;
            let reenrol = f.as_ref().is_some_and(|f| f.reenrol);
            let msg = f
                .map(|f| f.message)
                .unwrap_or_else(|| i18n.t("sync.failed").to_owned());
            failure(msg, reenrol, i18n, sync).into_any()
        }
        Run::Failed(e) => {
            let reenrol = matches!(e.code, gridvoice_core::ErrorCode::Unauthorized);
            failure(e.message, reenrol, i18n, sync).into_any()
        }
    };

    view! {
        <section class="card" data-testid="page-sync">
            <h2>{t("sync.title")}</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => view! {
                            <p class="muted" data-testid="sync-status">
                                {move || if s.online { i18n.t("home.online") } else { i18n.t("home.offline") }}" · "
                                {t("home.last_sync")}" "{s.last_sync.map(when).unwrap_or_else(|| i18n.t("home.never").to_owned())}
                            </p>
                            // The last background sync's refusal, until this page runs one itself
                            // (then its own outcome below says it, once).
                            {s.last_error.filter(|f| f.reenrol).map(|f| view! {
                                <Show when=move || matches!(run.get(), Run::Idle)>
                                    <div class="error" data-testid="sync-last-error"><p>{f.message.clone()}</p>
                                    <A href="/enrol" attr:class="btn" attr:id="sync-reenrol-status" attr:data-testid="sync-reenrol">{t("sync.reenrol")}</A></div>
                                </Show>
                            })}
                        }.into_any(),
                        Err(_) => ().into_any(),
                    }
                })}
            </Suspense>
            <button type="button" class="btn primary big" id="sync-now" data-testid="sync-now"
                disabled=move || run.get() == Run::Running on:click=sync>{t("sync.now")}</button>
            {result}
        </section>
        <section class="card">
            <h3>{t("sync.pending")}</h3>
            <Suspense fallback=move || view! { <p class="muted">{t("loading")}</p> }>
                <ErrorBoundary fallback=error_list>
                    {move || Suspend::new(async move {
                        let items = pending.await?;
                        if items.is_empty() {
                            return Ok::<_, ApiError>(view! { <p class="ok" data-testid="pending-empty">{t("sync.all_confirmed")}</p> }.into_any());
                        }
                        let n = items.len();
                        Ok(view! {
                            <p data-testid="pending-total" data-count=n.to_string()>{move || i18n.fmt1("sync.pending_n", n)}</p>
                            <ul class="pending">
                                {items.into_iter().map(|p| { let record = p.record; let shown = record.clone(); view! {
                                    <li data-testid="pending-item" data-record=record>
                                        <code>{shown}</code>" · "{when(p.created_at)}
                                    </li>
                                }}).collect_view()}
                            </ul>
                        }.into_any())
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

fn failure(
    msg: String,
    reenrol: bool,
    i18n: crate::i18n::I18n,
    retry: impl Fn(leptos::ev::MouseEvent) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <div class="error" data-testid="sync-error" role="alert">
            <p>{msg}</p>
            {if reenrol {
                view! { <A href="/enrol" attr:class="btn primary" attr:id="sync-reenrol" attr:data-testid="sync-reenrol">{move || i18n.t("sync.reenrol")}</A> }.into_any()
            } else {
                view! { <button type="button" class="btn primary" id="sync-retry" data-testid="sync-retry" on:click=retry>{move || i18n.t("sync.retry")}</button> }.into_any()
            }}
        </div>
    }
}

/// Waits in the browser's event loop.
async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}
