//! Sync 同步: sync now with progress, the records the server has not yet confirmed (each named by
//! what it is: a demand by its text, a visit by its topic), errors in plain words with a retry,
//! and re-enrolment when the credential is refused.
//!
//! A sync outlives this page: its state is the app's ([`SyncState`], provided by `App`), so the
//! delegate may switch tabs while it runs and find the result here on coming back. Nothing the
//! running sync writes belongs to the page (a page's signals are gone once it is left).

use std::collections::HashMap;

use gridvoice_core::api::{ApiError, DemandFilter};
use gridvoice_core::device::SyncSummary;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::i18n::I18n;
use crate::widgets::{clip, error_list, when};
use crate::{api, ctx};

#[derive(Debug, Clone, PartialEq)]
pub enum Run {
    Idle,
    Running,
    Done(SyncSummary),
    Failed(ApiError),
}

/// The sync started from the sync page, kept by the app.
#[derive(Debug, Clone, Copy)]
pub struct SyncState {
    pub run: RwSignal<Run>,
    /// Documents done / total while it runs.
    pub progress: RwSignal<Option<(u32, u32)>>,
    /// Bumped when a sync ends: what the pages show of the device is read again.
    pub finished: RwSignal<u32>,
}

impl SyncState {
    pub fn new() -> Self {
        SyncState {
            run: RwSignal::new(Run::Idle),
            progress: RwSignal::new(None),
            finished: RwSignal::new(0),
        }
    }

    /// Starts a sync unless one runs. Only the app's signals are written, so leaving the page
    /// meanwhile is harmless.
    pub fn start(self) {
        if self.run.get_untracked() == Run::Running {
            return;
        }
        self.run.set(Run::Running);
        self.progress.set(None);
        let SyncState {
            run,
            progress,
            finished,
        } = self;
        spawn_local(async move {
            // The bridge answers when the sync is over; meanwhile the status carries its progress.
            spawn_local(async move {
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
            });
            let outcome = api::sync_now().await;
            run.set(match outcome {
                Ok(s) => Run::Done(s),
                Err(e) => Run::Failed(e),
            });
            finished.update(|n| *n += 1);
        });
    }
}

impl Default for SyncState {
    fn default() -> Self {
        Self::new()
    }
}

/// The sync state `App` provides.
pub fn sync_state() -> SyncState {
    expect_context::<SyncState>()
}

/// Records by id: what kind (a string key) and their words.
type Names = HashMap<String, (&'static str, String)>;

/// What a pending record is, for people: the demand's text, the visit's topic, a photo, a
/// resident's contact. `record` is the store's key (an id, `photo:<hash>`; older builds and the
/// test backend prefix a collection, `demand/<id>`).
fn pending_label(record: &str, texts: &Names, i18n: I18n) -> String {
    if record.starts_with("photo:") {
        return i18n.t("sync.item.photo").to_owned();
    }
    let id = record.rsplit('/').next().unwrap_or(record);
    match texts.get(id) {
        Some((kind, text)) => format!("{}：{text}", i18n.t(kind)),
        // Contacts are kept under their own ids, apart from the station's records.
        None => i18n.t("sync.item.contact").to_owned(),
    }
}

#[component]
pub fn Sync() -> impl IntoView {
    let i18n = ctx().i18n;
    let t = move |k: &'static str| move || i18n.t(k);
    let state = sync_state();
    let SyncState {
        run,
        progress,
        finished,
    } = state;
    let pending = LocalResource::new(move || {
        finished.track();
        async move {
            let items = api::pending().await?;
            if items.is_empty() {
                return Ok::<_, ApiError>((items, Names::new()));
            }
            // Names for the records: the device's demands and visits, by id.
            let mut texts = Names::new();
            let (demands, _) = api::list_demands(DemandFilter {
                limit: Some(500),
                ..DemandFilter::default()
            })
            .await?;
            for d in demands {
                texts.insert(
                    d.demand.id.to_string(),
                    ("sync.item.demand", clip(&d.demand.text, 40)),
                );
            }
            for v in api::list_visits().await? {
                texts.insert(
                    v.visit.id.to_string(),
                    (
                        "sync.item.visit",
                        format!("{} · {}", v.visit.topic, v.visit.place),
                    ),
                );
            }
            Ok((items, texts))
        }
    });
    let status = LocalResource::new(move || {
        finished.track();
        api::status()
    });
    let sync = move |_| state.start();

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
                {move || match (s.pending_left, s.receipts_confirmed) {
                    (0, 0) => i18n.t("sync.done_all").to_owned(),
                    (0, n) => i18n.fmt1("sync.done_all_n", n),
                    (left, _) => i18n.fmt1("sync.done_left", left),
                }}
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
                                <span data-testid="sync-online" data-online=s.online.to_string()>
                                    {move || if s.online { i18n.t("home.online") } else { i18n.t("home.offline") }}
                                </span>" · "
                                {t("home.last_sync")}" "
                                <span class="date">{s.last_sync.map(when).unwrap_or_else(|| i18n.t("home.never").to_owned())}</span>
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
                        let (items, texts) = pending.await?;
                        if items.is_empty() {
                            return Ok::<_, ApiError>(view! { <p class="ok" data-testid="pending-empty">{t("sync.all_confirmed")}</p> }.into_any());
                        }
                        let n = items.len();
                        Ok(view! {
                            <p data-testid="pending-total" data-count=n.to_string()>{move || i18n.fmt1("sync.pending_n", n)}</p>
                            <ul class="pending">
                                {items.into_iter().map(|p| {
                                    let label = pending_label(&p.record, &texts, i18n);
                                    view! {
                                        <li data-testid="pending-item" data-record=p.record>
                                            <span class="clip">{label}</span>" "
                                            <span class="muted date">{when(p.created_at)}</span>
                                        </li>
                                    }
                                }).collect_view()}
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
    i18n: I18n,
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
