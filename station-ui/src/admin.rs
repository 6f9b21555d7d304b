//! 系统管理, the office's administration (in a browser served by the server; the admin commands
//! stay): one-time enrolment codes for delegates, station heads and staff, each with a QR code
//! and a card to print; the devices and browser sessions, each revoked at once; a territory's
//! files checked with every problem listed, and installed; the working-day calendar and the time
//! limits, each checked and installed; the catalogue of handling units the office routes to
//! (from the territory).

use gridvoice_core::access::Role;
use gridvoice_core::api::ApiError;
use gridvoice_core::boundary::{
    DeviceEntry, Enrolment, FileReport, FileUpload, NewEnrolment, TerritoryReport, TerritoryUpload,
};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::territory::HandlingLevel;
use leptos::prelude::*;

use crate::{api, ctx, error_view};

#[component]
pub fn Admin() -> impl IntoView {
    view! {
        <NewCode />
        <Devices />
        <TerritoryImport />
        <OfficeFiles />
        <Units />
    }
}

/// 生成绑定码: who (a delegate, or a staff member's code), as what, for how long.
#[component]
fn NewCode() -> impl IntoView {
    let c = ctx();
    let delegates: Vec<(String, String)> = {
        let mut d: Vec<(String, String)> = c
            .territory
            .delegates
            .iter()
            .map(|d| {
                let station = c
                    .territory
                    .station(&d.station)
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                (d.id.to_string(), format!("{} · {station}", d.name))
            })
            .collect();
        d.sort();
        d
    };
    let kind = RwSignal::new("delegate".to_owned());
    let delegate = RwSignal::new(String::new());
    let staff = RwSignal::new(String::new());
    let hours = RwSignal::new("72".to_owned());
    let made: RwSignal<Option<Enrolment>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let make = move |_| {
        let role = match kind.get().as_str() {
            "station_head" => Role::StationHead,
            "office" => Role::Office,
            _ => Role::Delegate,
        };
        let for_staff = role == Role::Office;
        let Ok(ttl) = hours.get().trim().parse::<u32>() else {
            error.set(Some(ApiError::new(
                gridvoice_core::ErrorCode::BadRequest,
                "有效期请填写小时数（1 到 720）",
            )));
            return;
        };
        let req = NewEnrolment {
            delegate: (!for_staff).then(|| delegate.get()),
            staff: for_staff.then(|| staff.get()),
            role,
            ttl_hours: Some(ttl),
        };
        leptos::task::spawn_local(async move {
            match api::create_enrolment(&req).await {
                Ok(e) => {
                    error.set(None);
                    made.set(Some(e));
                }
                Err(e) => {
                    made.set(None);
                    error.set(Some(e));
                }
            }
        });
    };
    view! {
        <section class="card" data-testid="admin-enrol">
            <h2>"生成绑定码"</h2>
            <p class="muted">"绑定码只显示一次，有效期内只能使用一次。代表在手机上打开“绑定设备”，扫码或输入服务器地址和绑定码。"</p>
            <div class="row">
                <label class="label" for="e-kind">"身份"</label>
                <select id="e-kind" data-testid="enrol-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="delegate">"代表"</option>
                    <option value="station_head">"站长"</option>
                    <option value="office">"代表工作室人员"</option>
                </select>
            </div>
            {move || if kind.get() == "office" {
                view! {
                    <label class="label" for="e-staff">"工作人员编号"</label>
                    <input id="e-staff" type="text" data-testid="enrol-staff" prop:value=move || staff.get()
                        on:input=move |ev| staff.set(event_target_value(&ev)) />
                }.into_any()
            } else {
                let list = delegates.clone();
                view! {
                    <label class="label" for="e-delegate">"代表"</label>
                    <select id="e-delegate" data-testid="enrol-delegate" on:change=move |ev| delegate.set(event_target_value(&ev))>
                        <option value="">"请选择"</option>
                        {list.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                    </select>
                }.into_any()
            }}
            <label class="label" for="e-hours">"有效期（小时）"</label>
            <input id="e-hours" type="number" min="1" max="720" data-testid="enrol-hours" prop:value=move || hours.get()
                on:input=move |ev| hours.set(event_target_value(&ev)) />
            {move || error.get().map(|e| error_view(&e))}
            <button type="button" class="btn primary" data-testid="enrol-make" on:click=make>"生成绑定码"</button>
            {move || made.get().map(|e| view! {
                <div class="enrol-card" data-testid="enrol-card">
                    <p><strong>{e.who.clone()}</strong></p>
                    <p class="code" data-testid="enrol-code">{e.code.clone()}</p>
                    <div class="qr" data-testid="enrol-qr" inner_html=e.qr_svg.clone()></div>
                    <p class="muted">{format!("有效期至 {}", Timestamp(e.expires_at).beijing())}</p>
                    <button type="button" class="btn small noprint" data-testid="enrol-print"
                        on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>"打印"</button>
                </div>
            })}
        </section>
    }
}

/// 设备与会话: every device and browser session, revoked at once.
#[component]
fn Devices() -> impl IntoView {
    let c = ctx();
    let changed = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        changed.track();
        api::devices()
    });
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let revoke = move |d: gridvoice_core::ids::DeviceId| {
        let ok = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message("停用后该设备将立即无法同步，确定停用吗？")
                    .ok()
            })
            .unwrap_or(false);
        if !ok {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::revoke(d).await {
                Ok(()) => {
                    error.set(None);
                    changed.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card" data-testid="admin-devices">
            <h2>"设备与登录会话"</h2>
            {move || error.get().map(|e| error_view(&e))}
            <Suspense fallback=|| view! { <p class="muted">"正在加载…"</p> }>
                {move || { let c = c.clone(); Suspend::new(async move {
                    match list.await {
                        Err(e) => error_view(&e).into_any(),
                        Ok(rows) => view! {
                            <table class="table" data-testid="devices-table">
                                <thead><tr><th>"人员"</th><th>"身份"</th><th>"工作站"</th><th>"类型"</th><th>"名称"</th><th>"绑定时间"</th><th>"状态"</th><th></th></tr></thead>
                                <tbody>
                                {rows.into_iter().map(|d: DeviceEntry| {
                                    let id = d.device;
                                    let active = d.revoked_at.is_none();
                                    let station = d.station.as_ref().map(|s| {
                                        c.territory.station(&gridvoice_core::ids::StationId::new(s.as_str())).map_or_else(|| s.clone(), |x| x.name.clone())
                                    }).unwrap_or_default();
                                    view! {
                                        <tr data-testid="device-row" data-device=id.to_string() data-active=active.to_string()>
                                            <td>{d.name.clone()}</td>
                                            <td>{d.role.zh()}</td>
                                            <td>{station}</td>
                                            <td>{if d.browser { "浏览器会话" } else { "设备" }}</td>
                                            <td>{d.device_name.clone()}</td>
                                            <td>{Timestamp(d.enrolled_at).beijing()}</td>
                                            <td>{d.revoked_at.map_or_else(|| "在用".to_owned(), |t| format!("已停用 {}", Timestamp(t).beijing()))}</td>
                                            <td>{active.then(|| view! {
                                                <button type="button" class="btn small" data-testid="device-revoke" on:click=move |_| revoke(id)>"停用"</button>
                                            })}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}}
            </Suspense>
        </section>
    }
}

/// The six files a territory is made of, as the admin command reads them from a directory.
const FILES: [&str; 6] = [
    "street.geojson",
    "communities.geojson",
    "quarters.geojson",
    "grids.geojson",
    "stations.geojson",
    "organisation.json",
];

/// A chosen file's text, `None` when the browser cannot read it.
async fn file_text(f: &web_sys::File) -> Option<String> {
    wasm_bindgen_futures::JsFuture::from(f.text())
        .await
        .ok()
        .and_then(|v| v.as_string())
}

/// The chosen files, read, by name: every one but `quarters.geojson` is needed.
async fn read_upload(
    input: &web_sys::HtmlInputElement,
    gcj02: bool,
) -> Result<TerritoryUpload, ApiError> {
    let missing = |what: String| ApiError::new(gridvoice_core::ErrorCode::MissingField, what);
    let list = input
        .files()
        .ok_or_else(|| missing("请先选择辖区文件".into()))?;
    let mut texts = std::collections::BTreeMap::new();
    for i in 0..list.length() {
        let Some(f) = list.item(i) else { continue };
        let text = file_text(&f)
            .await
            .ok_or_else(|| missing(format!("文件 {} 无法读取", f.name())))?;
        texts.insert(f.name(), text);
    }
    let mut need = |name: &str| {
        texts
            .remove(name)
            .ok_or_else(|| missing(format!("缺少文件：{name}")))
    };
    Ok(TerritoryUpload {
        street: need("street.geojson")?,
        communities: need("communities.geojson")?,
        quarters: need("quarters.geojson").ok(),
        grids: need("grids.geojson")?,
        stations: need("stations.geojson")?,
        organisation: need("organisation.json")?,
        gcj02,
    })
}

/// 导入辖区: the territory's files checked, every problem listed by the features it names;
/// installed only when they pass (from the server's next start).
#[component]
fn TerritoryImport() -> impl IntoView {
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let gcj02 = RwSignal::new(false);
    let report: RwSignal<Option<TerritoryReport>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let run = move |install: bool| {
        let Some(el) = input.get() else { return };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = match read_upload(&el, gcj02.get_untracked()).await {
                Ok(up) => api::territory_report(&up, install).await,
                Err(e) => Err(e),
            };
            busy.set(false);
            match result {
                Ok(r) => {
                    error.set(None);
                    report.set(Some(r));
                }
                Err(e) => {
                    report.set(None);
                    error.set(Some(e));
                }
            }
        });
    };
    view! {
        <section class="card" data-testid="admin-territory">
            <h2>"导入辖区"</h2>
            <p class="muted">{format!("选择辖区的文件（{}；小区文件可不选），先检查，无问题后再导入。导入后重启服务生效。", FILES.join("、"))}</p>
            <input type="file" multiple accept=".geojson,.json" data-testid="territory-files" node_ref=input />
            <label class="check"><input type="checkbox" data-testid="territory-gcj02"
                on:change=move |ev| gcj02.set(event_target_checked(&ev)) />"文件使用 GCJ-02 坐标（国内地图底图）"</label>
            <div class="row">
                <button type="button" class="btn" data-testid="territory-check" disabled=move || busy.get() on:click=move |_| run(false)>"检查"</button>
                <button type="button" class="btn primary" data-testid="territory-install"
                    disabled=move || busy.get() || !report.get().is_some_and(|r| r.problems.is_empty())
                    on:click=move |_| run(true)>"导入"</button>
            </div>
            {move || error.get().map(|e| error_view(&e))}
            {move || report.get().map(|r| if r.problems.is_empty() {
                view! {
                    <p class="ok" data-testid="territory-ok" data-installed=r.installed.to_string()>
                        {format!("检查通过：{} 个社区、{} 个小区、{} 个网格、{} 个代表工作站、{} 位代表、{} 个办理单位。{}",
                            r.communities, r.quarters, r.grids, r.stations, r.delegates, r.units,
                            if r.installed { "已导入，重启服务后生效。" } else { "" })}
                    </p>
                }.into_any()
            } else {
                let n = r.problems.len();
                view! {
                    <div class="error" data-testid="territory-problems" data-count=n.to_string()>
                        <p>{format!("辖区数据有 {n} 处问题，未导入：")}</p>
                        <ul>{r.problems.into_iter().map(|p| view! { <li data-testid="territory-problem">{p}</li> }).collect_view()}</ul>
                    </div>
                }.into_any()
            })}
        </section>
    }
}

/// 办理单位目录: the units the office routes to, by level.
#[component]
fn Units() -> impl IntoView {
    let c = ctx();
    let levels = [
        HandlingLevel::Community,
        HandlingLevel::Street,
        HandlingLevel::District,
        HandlingLevel::City,
    ];
    view! {
        <section class="card" data-testid="admin-units">
            <h2>"办理单位目录"</h2>
            <p class="muted">"目录随辖区数据导入（gridvoice-server import-territory），交办时从中选择。"</p>
            {levels.into_iter().map(|l| {
                let units: Vec<String> = c.territory.handling_units.iter().filter(|u| u.level == l).map(|u| u.name.clone()).collect();
                view! {
                    <p data-testid="units-level"><strong>{format!("{}级（{}）", l.zh(), units.len())}</strong>"："{units.join("、")}</p>
                }
            }).collect_view()}
        </section>
    }
}

/// 工作日历与时限规定: the office's working-day calendar (the State Council's holidays and 调休 as
/// `date,type,name` lines) and its time limits per stage (JSON), each checked whole and installed
/// from the server's next start.
#[component]
fn OfficeFiles() -> impl IntoView {
    view! {
        <section class="card" data-testid="admin-files">
            <h2>"工作日历与时限规定"</h2>
            <p class="muted">"工作日历每行：日期,类型（holiday 放假 / workday 调休上班）,名称；时限规定为 JSON：default 与 rules（按层级、类别、是否紧急，各阶段工作日数）。文件有任何问题都不会导入。"</p>
            <OfficeFile which="calendar" label="工作日历（.csv）" accept=".csv,.txt" />
            <OfficeFile which="policy" label="时限规定（.json）" accept=".json" />
        </section>
    }
}

#[component]
fn OfficeFile(which: &'static str, label: &'static str, accept: &'static str) -> impl IntoView {
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let report: RwSignal<Option<FileReport>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let send = move |_| {
        let Some(el) = input.get() else { return };
        leptos::task::spawn_local(async move {
            let Some(file) = el.files().and_then(|l| l.item(0)) else {
                error.set(Some(ApiError::new(
                    gridvoice_core::ErrorCode::MissingField,
                    "请先选择文件",
                )));
                return;
            };
            let Some(text) = file_text(&file).await else {
                error.set(Some(ApiError::new(
                    gridvoice_core::ErrorCode::BadRequest,
                    format!("文件 {} 无法读取", file.name()),
                )));
                return;
            };
            match api::install_file(which, &FileUpload { text }).await {
                Ok(r) => {
                    error.set(None);
                    report.set(Some(r));
                }
                Err(e) => {
                    report.set(None);
                    error.set(Some(e));
                }
            }
        });
    };
    view! {
        <div class="row" data-testid=format!("file-{which}")>
            <label class="label">{label}</label>
            <input type="file" accept=accept data-testid=format!("file-{which}-input") node_ref=input />
            <button type="button" class="btn" data-testid=format!("file-{which}-send") on:click=send>"检查并导入"</button>
        </div>
        {move || error.get().map(|e| error_view(&e))}
        {move || report.get().map(|r| if r.installed {
            view! { <p class="ok" data-testid=format!("file-{which}-ok")>{r.summary}</p> }.into_any()
        } else {
            let n = r.problems.len();
            view! {
                <div class="error" data-testid=format!("file-{which}-problems") data-count=n.to_string()>
                    <p>{format!("文件有 {n} 处问题，未导入：")}</p>
                    <ul>{r.problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                </div>
            }.into_any()
        })}
    }
}
