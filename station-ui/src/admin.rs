//! 系统管理, the office's administration (in a browser served by the server; the admin commands
//! stay): one-time enrolment codes for delegates, station heads and staff, each with a QR code
//! and a card to print; the devices and browser sessions, each revoked at once; the catalogue of
//! handling units the office routes to (from the territory).

use gridvoice_core::access::Role;
use gridvoice_core::api::ApiError;
use gridvoice_core::boundary::{DeviceEntry, Enrolment, NewEnrolment};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::territory::HandlingLevel;
use leptos::prelude::*;

use crate::{api, ctx, error_view};

#[component]
pub fn Admin() -> impl IntoView {
    view! {
        <NewCode />
        <Devices />
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
