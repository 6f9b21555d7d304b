//! The similar demands already in the grid, from the device's own data, each with "add this
//! resident" (a contact joined to it instead of a duplicate recorded).

use gridvoice_core::api::ApiError;
use gridvoice_core::ids::{DemandId, GridId};
use leptos::prelude::*;

use crate::api::DemandView;
use crate::i18n::I18n;
use crate::widgets::{category_label, clip, error_list, esc, status_label, when};

/// Similarity of two texts: Dice coefficient over character bigrams (works for Chinese without
/// a tokenizer).
fn similarity(a: &str, b: &str) -> f64 {
    fn bigrams(s: &str) -> Vec<(char, char)> {
        let cs: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
        let mut v: Vec<(char, char)> = cs.windows(2).map(|w| (w[0], w[1])).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    let (x, y) = (bigrams(a), bigrams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let common = x.iter().filter(|g| y.binary_search(g).is_ok()).count();
    2.0 * common as f64 / (x.len() + y.len()) as f64
}

const SIMILAR_MIN: f64 = 0.2;

/// How much of a demand's text a list shows (the demand's page shows all of it).
const LIST_CHARS: usize = 120;

/// The section: `in_grid` holds the grid's demands, ranked here by their likeness to `text`.
pub(super) fn similar_section(
    i18n: I18n,
    in_grid: LocalResource<Result<Vec<DemandView>, ApiError>>,
    text: RwSignal<String>,
    grid_of_fix: Memo<Option<GridId>>,
    attach: impl Fn(DemandId) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let t = move |k: &'static str| move || i18n.t(k);
    view! {
        <section class="card" data-testid="similar">
            <h3>{t("record.similar")}</h3>
            <Suspense fallback=move || view! { <p class="muted">{t("loading")}</p> }>
                <ErrorBoundary fallback=error_list>
                    {move || Suspend::new(async move {
                        let items = in_grid.await?;
                        let view = move || {
                            let typed = text.get();
                            let lang = i18n.lang.get();
                            let mut ranked: Vec<(f64, &DemandView)> = items
                                .iter()
                                .map(|d| (similarity(&typed, &d.demand.text), d))
                                .filter(|(s, _)| *s >= SIMILAR_MIN)
                                .collect();
                            ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
                            if ranked.is_empty() {
                                let msg = if grid_of_fix.get().is_none() {
                                    i18n.t("record.similar_no_grid").to_owned()
                                } else {
                                    i18n.fmt1("record.similar_none", items.len())
                                };
                                return view! { <p class="muted" data-testid="similar-empty">{msg}</p> }.into_any();
                            }
                            ranked
                                .into_iter()
                                .take(5)
                                .map(|(_, d)| {
                                    let did = d.demand.id;
                                    view! {
                                        <div class="similar-item" data-testid="similar-item" data-demand-id=did.to_string()>
                                            // As HTML, escaped: each element of a `view!` is code of its own in
                                            // the wasm, which is at its budget.
                                            <div inner_html=format!(
                                                "<p class='clip'>{}</p><p class='muted'>{} · {} · <span class='date'>{}</span></p>",
                                                esc(&clip(&d.demand.text, LIST_CHARS)),
                                                category_label(d.demand.category, lang),
                                                status_label(d.state.status, lang),
                                                when(d.demand.recorded_at)
                                            )></div>
                                            <button
                                                type="button"
                                                class="btn"
                                                data-testid=format!("attach-{did}")
                                                on:click=move |_| attach(did)
                                            >
                                                {i18n.t("record.attach")}
                                            </button>
                                        </div>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        };
                        Ok::<_, ApiError>(view)
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
