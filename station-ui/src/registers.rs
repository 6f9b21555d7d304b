//! The registers 三簿一册 for a period: shown on screen as the service builds them, and downloaded
//! as workbooks laid out the way offices file them (`/api/registers/{kind}/xlsx`). An empty
//! period says so in Chinese instead of an empty file.

use gridvoice_core::api::{ApiError, Request, Response};
use gridvoice_core::register::{Register, RegisterKind, RegisterRequest};
use leptos::prelude::*;

use crate::{api, ctx, error_view};

/// The first and last day of this month, Beijing time, `YYYY-MM-DD`.
fn this_month() -> (String, String) {
    let now = js_sys::Date::new_0();
    // Beijing is UTC+8 all year.
    let ms = now.get_time() + 8.0 * 3_600_000.0;
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    let (y, m) = (d.get_utc_full_year(), d.get_utc_month() + 1);
    let last = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        js_sys::Date::utc(f64::from(y), f64::from(m)) - 86_400_000.0,
    ))
    .get_utc_date();
    (
        format!("{y:04}-{m:02}-01"),
        format!("{y:04}-{m:02}-{last:02}"),
    )
}

async fn fetch(req: RegisterRequest) -> Result<Register, ApiError> {
    match api::request(&Request::Register(req)).await? {
        Response::Register(r) => Ok(*r),
        _ => Err(api::unexpected()),
    }
}

#[component]
pub fn Registers() -> impl IntoView {
    let c = ctx();
    let (from0, to0) = this_month();
    let from = RwSignal::new(from0);
    let to = RwSignal::new(to0);
    let kind = RwSignal::new(RegisterKind::Opinions);
    let shown: RwSignal<Option<Result<Register, ApiError>>> = RwSignal::new(None);
    let station = c.who.station.clone();
    let show = move |_| {
        let req = RegisterRequest {
            kind: kind.get(),
            station: station.clone(),
            delegate: None,
            from: from.get(),
            to: to.get(),
        };
        leptos::task::spawn_local(async move { shown.set(Some(fetch(req).await)) });
    };
    let station_q = c
        .who
        .station
        .as_ref()
        .map(|s| format!("&station={s}"))
        .unwrap_or_default();
    // The workbook is written by the server; a device shows the register on screen only.
    let on_device = c.who.on_device;
    let href = move || {
        format!(
            "/api/registers/{}/xlsx?from={}&to={}{station_q}",
            kind.get().code(),
            from.get(),
            to.get()
        )
    };
    view! {
        <section class="card" data-testid="page-registers">
            <h2>"三簿一册"</h2>
            <div class="filters">
                <select data-testid="register-kind" on:change=move |ev| {
                    if let Some(k) = RegisterKind::parse(&event_target_value(&ev)) { kind.set(k); }
                }>
                    {RegisterKind::ALL.into_iter().filter(|k| *k != RegisterKind::DutyBook).map(|k| view! {
                        <option value=k.code() selected=k == RegisterKind::Opinions>{k.title()}</option>
                    }).collect_view()}
                </select>
                <label>"从"<input type="date" data-testid="register-from" prop:value=move || from.get()
                    on:change=move |ev| from.set(event_target_value(&ev)) /></label>
                <label>"到"<input type="date" data-testid="register-to" prop:value=move || to.get()
                    on:change=move |ev| to.set(event_target_value(&ev)) /></label>
                <button type="button" class="btn primary" data-testid="register-show" on:click=show>"查看"</button>
                {if on_device {
                    view! { <span class="muted" data-testid="register-download-elsewhere">"Excel 表格请在工作站电脑的浏览器中下载"</span> }.into_any()
                } else {
                    view! { <a class="btn" data-testid="register-download" href=href download="">"下载 Excel"</a> }.into_any()
                }}
            </div>
            {move || shown.get().map(|r| match r {
                Err(e) => error_view(&e).into_any(),
                Ok(r) => view! { <RegisterTable r=r /> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn RegisterTable(r: Register) -> impl IntoView {
    let head: Vec<_> = r
        .columns
        .iter()
        .map(|c| {
            let label = match &c.group {
                Some(g) => format!("{g}·{}", c.name),
                None => c.name.clone(),
            };
            view! { <th>{label}</th> }
        })
        .collect();
    let rows: Vec<_> = r
        .rows
        .iter()
        .map(|row| view! { <tr data-testid="register-row">{row.iter().map(|v| view! { <td>{v.clone()}</td> }).collect_view()}</tr> })
        .collect();
    view! {
        <div class="register" data-testid="register">
            <h3>{r.title.clone()}</h3>
            <p class="muted">{format!("填报单位：{}　期间：{}", r.unit, r.period)}</p>
            <div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>
        </div>
    }
}
