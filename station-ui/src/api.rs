//! The one door for the station and office pages. They run in two places:
//! - **served by the server** (a browser at the station or the office): the browser session
//!   (`/api/session`) and the request vocabulary (`POST /api/request`), same-origin, with the
//!   cookie the server set and the header a cross-site form cannot send (`X-Gridvoice-Csrf: 1`);
//! - **on a station head's device** (the Tauri app, or the CLI's bridge, under `/station/`): the
//!   device's own commands through `gridvoice_ui_device`, so the head decides offline and the
//!   decisions sync like any other change. Who acts is the device's delegate, whose role the
//!   territory says.
//!
//! Every failure, the network's included, comes back as an [`ApiError`] with a Chinese message.

use gridvoice_core::ErrorCode;
use gridvoice_core::access::{Author, Person, Role};
use gridvoice_core::api::{ApiError, Request, Response};
use gridvoice_core::boundary::{DeviceCommand, SessionRequest, SessionView};
use gridvoice_core::device::{DeviceStatus, SyncSummary};
use gridvoice_core::ids::StationId;
use gridvoice_core::territory::Territory;
use gridvoice_ui_device::NoInput;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub type Result<T> = std::result::Result<T, ApiError>;

fn failed(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Internal, message)
}

/// One same-origin request: `method` on `path` with an optional JSON body; the status and the
/// answer's text.
async fn fetch(method: &str, path: &str, body: Option<String>) -> Result<(u16, String)> {
    let window = web_sys::window().ok_or_else(|| failed("没有浏览器窗口"))?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let headers = web_sys::Headers::new().map_err(|_| failed("请求无法编码"))?;
    headers
        .set("X-Gridvoice-Csrf", "1")
        .map_err(|_| failed("请求无法编码"))?;
    if let Some(b) = &body {
        headers
            .set("content-type", "application/json")
            .map_err(|_| failed("请求无法编码"))?;
        init.set_body(&JsValue::from_str(b));
    }
    init.set_headers(&headers);
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|_| failed("连接不上服务器，请检查网络后重试"))?
        .dyn_into()
        .map_err(|_| failed("服务器的回答无法读取"))?;
    let text = JsFuture::from(resp.text().map_err(|_| failed("服务器的回答无法读取"))?)
        .await
        .map_err(|_| failed("服务器的回答无法读取"))?
        .as_string()
        .unwrap_or_default();
    Ok((resp.status(), text))
}

/// One same-origin call: `method` on `path` with an optional JSON body; the answer's JSON, or
/// the server's `ApiError`.
async fn call<O: DeserializeOwned>(method: &str, path: &str, body: Option<String>) -> Result<O> {
    let (status, text) = fetch(method, path, body).await?;
    if (200..300).contains(&status) {
        let text = if text.is_empty() { "null" } else { &text };
        serde_json::from_str(text).map_err(|_| failed("服务器的回答无法读取"))
    } else {
        Err(serde_json::from_str::<ApiError>(&text)
            .unwrap_or_else(|_| failed(&format!("服务器出错（HTTP {status}）"))))
    }
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|_| failed("请求无法编码"))
}

/// Where the copy of these pages that a device carries lives (beside the delegate's pages).
const ON_DEVICE_PATH: &str = "/station/";

/// Whether these pages run on a device (the app, or the CLI's bridge) rather than being served
/// by the server.
pub fn on_device() -> bool {
    gridvoice_ui_device::in_tauri()
        || web_sys::window()
            .and_then(|w| w.location().pathname().ok())
            .is_some_and(|p| p.starts_with(ON_DEVICE_PATH))
}

/// Who the pages act for: a browser session, or a head's device.
#[derive(Debug, Clone, PartialEq)]
pub struct Who {
    pub person: Person,
    pub role: Role,
    pub station: Option<StationId>,
    /// On a device: no sign-in or sign-out, a sync button, no workbook downloads.
    pub on_device: bool,
}

impl From<SessionView> for Who {
    fn from(s: SessionView) -> Self {
        Who {
            person: s.person,
            role: s.role,
            station: s.station,
            on_device: false,
        }
    }
}

/// Who these pages act for. In a browser: the session, `UNAUTHORIZED` when nobody is signed in.
/// On a device: its delegate, who must head a station (`NOT_PERMITTED` otherwise).
pub async fn session() -> Result<Who> {
    if !on_device() {
        let s: SessionView = call("GET", "/api/session", None).await?;
        return Ok(s.into());
    }
    let status = device_status().await?;
    let Some(delegate) = status.delegate.filter(|_| status.enrolled) else {
        return Err(ApiError::new(
            ErrorCode::NotInitialised,
            "本设备尚未绑定，请先在代表页面用绑定码绑定本设备",
        ));
    };
    let territory = territory().await?;
    let person = Person::Delegate(delegate);
    match Author::of(&person, &territory) {
        Some(a) if a.role == Role::StationHead => Ok(Who {
            person,
            role: a.role,
            station: a.station,
            on_device: true,
        }),
        _ => Err(ApiError::new(
            ErrorCode::NotPermitted,
            "本设备的代表不是工作站站长，工作站页面只供站长使用",
        )),
    }
}

/// Trades the office's one-time code for a session (the cookie is set by the server).
pub async fn sign_in(code: String, name: String) -> Result<Who> {
    let s: SessionView = call(
        "POST",
        "/api/session",
        Some(json(&SessionRequest { code, name })?),
    )
    .await?;
    Ok(s.into())
}

/// The device's state (enrolment, records waiting, the last sync); on a device only.
pub async fn device_status() -> Result<DeviceStatus> {
    gridvoice_ui_device::call(DeviceCommand::Status, &NoInput {}).await
}

/// Syncs the device now; on a device only.
pub async fn sync_now() -> Result<SyncSummary> {
    gridvoice_ui_device::call(DeviceCommand::SyncNow, &NoInput {}).await
}

pub async fn sign_out() -> Result<()> {
    let _: serde_json::Value = call("DELETE", "/api/session", None).await?;
    Ok(())
}

/// The territory's public layout (names, grids to draw).
pub async fn territory() -> Result<Territory> {
    if on_device() {
        return gridvoice_ui_device::call(DeviceCommand::Territory, &NoInput {}).await;
    }
    call("GET", "/api/territory", None).await
}

/// One request of the vocabulary, answered by the one request service: the server's, or the
/// device's own (its effects sync later).
pub async fn request(req: &Request) -> Result<Response> {
    if on_device() {
        return gridvoice_ui_device::call(DeviceCommand::Request, req).await;
    }
    call("POST", "/api/request", Some(json(req)?)).await
}

/// A response of another kind than the request asks for (named by kind only: it may hold
/// personal data).
pub fn unexpected() -> ApiError {
    failed("服务器返回了意外的结果")
}

/// A one-time enrolment code with its QR code (office and admins; served by the server only).
pub async fn create_enrolment(
    req: &gridvoice_core::boundary::NewEnrolment,
) -> Result<gridvoice_core::boundary::Enrolment> {
    call("POST", "/api/admin/enrolments", Some(json(req)?)).await
}

/// The devices and browser sessions the server knows, newest first.
pub async fn devices() -> Result<Vec<gridvoice_core::boundary::DeviceEntry>> {
    call("GET", "/api/admin/devices", None).await
}

/// Revokes a device or a session at once.
pub async fn revoke(device: gridvoice_core::ids::DeviceId) -> Result<()> {
    let _: serde_json::Value = call(
        "POST",
        &format!("/api/admin/devices/{device}/revoke"),
        Some("{}".into()),
    )
    .await?;
    Ok(())
}

/// Checks a territory's files (and installs them when `install` and they pass): the report,
/// which lists every problem when they do not.
pub async fn territory_report(
    upload: &gridvoice_core::boundary::TerritoryUpload,
    install: bool,
) -> Result<gridvoice_core::boundary::TerritoryReport> {
    let path = if install {
        "/api/admin/territory?install=true"
    } else {
        "/api/admin/territory"
    };
    let (status, text) = fetch("POST", path, Some(json(upload)?)).await?;
    if let Ok(report) = serde_json::from_str(&text) {
        return Ok(report);
    }
    Err(serde_json::from_str::<ApiError>(&text)
        .unwrap_or_else(|_| failed(&format!("服务器出错（HTTP {status}）"))))
}

/// Installs one of the office's files (`calendar` or `policy`): the report, which lists every
/// problem when the file does not pass.
pub async fn install_file(
    which: &str,
    upload: &gridvoice_core::boundary::FileUpload,
) -> Result<gridvoice_core::boundary::FileReport> {
    let (status, text) = fetch("POST", &format!("/api/admin/{which}"), Some(json(upload)?)).await?;
    if let Ok(report) = serde_json::from_str(&text) {
        return Ok(report);
    }
    Err(serde_json::from_str::<ApiError>(&text)
        .unwrap_or_else(|_| failed(&format!("服务器出错（HTTP {status}）"))))
}
