//! The one typed door to the backend. Every screen calls these functions; nothing else in the UI
//! talks to the device.
//!
//! Two transports carry the same JSON (the core's `device` and `api` types) under the same command
//! names (`gridvoice_core::boundary::DeviceCommand`):
//! - in the Tauri webview (`window.__TAURI__` present, `withGlobalTauri`):
//!   `window.__TAURI__.core.invoke(command, { input })`, a rejection carrying an `ApiError`;
//! - in a plain browser (the device bridge `gridvoice ui`): `POST /device/<command>` with the input
//!   as the body (`{}` when there is none); a non-2xx answer carries an `ApiError`.
//!
//! Failures of the transport itself (no bridge, a body that is not JSON) become an `ApiError` with
//! a Chinese message too, so a screen has exactly one error type to show.

use gridvoice_core::ErrorCode;
use gridvoice_core::api::{
    ApiError, DemandFilter, DemandView, NewContact, RecordDemand, Request, StartVisit, VisitView,
};
use gridvoice_core::boundary::DeviceCommand;
use gridvoice_core::device::{
    DeviceStatus, EnrolInput, PendingItem, PhotoData, PhotoInput, PhotoRef, PhotoSaved, SyncSummary,
};
use gridvoice_core::ids::{DemandId, VisitId};
use gridvoice_core::model::Contact;
use gridvoice_core::territory::Territory;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub type Result<T> = std::result::Result<T, ApiError>;

/// An empty input for commands that take none.
#[derive(Debug, Serialize)]
struct NoInput {}

fn transport_error(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Internal, message)
}

/// An answer of another kind than asked for, named by its kind only (an answer may hold personal
/// data, such as contacts).
fn unexpected(kind: &str) -> ApiError {
    transport_error(format!("本机服务返回了意外的结果（{kind}）"))
}

/// Whether the page runs inside the Tauri webview.
pub fn in_tauri() -> bool {
    tauri_invoke().is_some()
}

/// `window.__TAURI__.core.invoke`, when present.
fn tauri_invoke() -> Option<js_sys::Function> {
    let window = web_sys::window()?;
    let tauri = js_sys::Reflect::get(&window, &JsValue::from_str("__TAURI__")).ok()?;
    if tauri.is_undefined() || tauri.is_null() {
        return None;
    }
    let core = js_sys::Reflect::get(&tauri, &JsValue::from_str("core")).ok()?;
    js_sys::Reflect::get(&core, &JsValue::from_str("invoke"))
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()
}

fn parse_error(text: &str, fallback: &str) -> ApiError {
    serde_json::from_str::<ApiError>(text).unwrap_or_else(|_| transport_error(fallback))
}

/// Turns a JS value (an invoke result or rejection) into JSON text.
fn js_to_json(v: &JsValue) -> Option<String> {
    if let Some(s) = v.as_string() {
        // Tauri rejects with a plain string when a command fails before it runs.
        return Some(serde_json::Value::String(s).to_string());
    }
    js_sys::JSON::stringify(v).ok()?.as_string()
}

async fn call<I: Serialize, O: DeserializeOwned>(command: DeviceCommand, input: &I) -> Result<O> {
    let text = call_text(command, input).await?;
    serde_json::from_str(&text).map_err(|_| transport_error("本机服务的回答无法读取"))
}

/// The answer's JSON text.
async fn call_text<I: Serialize>(command: DeviceCommand, input: &I) -> Result<String> {
    let body = serde_json::to_string(input).map_err(|_| transport_error("请求无法编码"))?;
    match tauri_invoke() {
        Some(invoke) => invoke_tauri(&invoke, command.as_str(), &body).await,
        None => fetch_bridge(command.as_str(), body).await,
    }
}

async fn invoke_tauri(invoke: &js_sys::Function, command: &str, body: &str) -> Result<String> {
    let input = js_sys::JSON::parse(body).map_err(|_| transport_error("请求无法编码"))?;
    let args = js_sys::Object::new();
    js_sys::Reflect::set(&args, &JsValue::from_str("input"), &input)
        .map_err(|_| transport_error("请求无法编码"))?;
    let promise = invoke
        .call2(&JsValue::NULL, &JsValue::from_str(command), &args)
        .map_err(|_| transport_error("无法调用应用后台"))?
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| transport_error("无法调用应用后台"))?;
    match JsFuture::from(promise).await {
        Ok(v) => js_to_json(&v).ok_or_else(|| transport_error("本机服务的回答无法读取")),
        Err(e) => Err(js_to_json(&e)
            .map(|t| parse_error(&t, "应用后台出错"))
            .unwrap_or_else(|| transport_error("应用后台出错"))),
    }
}

async fn fetch_bridge(command: &str, body: String) -> Result<String> {
    let window = web_sys::window().ok_or_else(|| transport_error("没有浏览器窗口"))?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&body));
    let headers = web_sys::Headers::new().map_err(|_| transport_error("请求无法编码"))?;
    headers
        .set("content-type", "application/json")
        .map_err(|_| transport_error("请求无法编码"))?;
    init.set_headers(&headers);
    let url = format!("/device/{command}");
    let resp = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|_| transport_error("连接不上本机服务，请确认应用后台在运行"))?
        .dyn_into::<web_sys::Response>()
        .map_err(|_| transport_error("本机服务的回答无法读取"))?;
    let text_promise = resp
        .text()
        .map_err(|_| transport_error("本机服务的回答无法读取"))?;
    let text = JsFuture::from(text_promise)
        .await
        .map_err(|_| transport_error("本机服务的回答无法读取"))?
        .as_string()
        .unwrap_or_default();
    if resp.ok() {
        Ok(text)
    } else {
        let status = resp.status();
        Err(parse_error(
            &text,
            &format!("本机服务出错（HTTP {status}）"),
        ))
    }
}

// ---- device commands ----

pub async fn status() -> Result<DeviceStatus> {
    call(DeviceCommand::Status, &NoInput {}).await
}

pub async fn enrol(input: EnrolInput) -> Result<DeviceStatus> {
    call(DeviceCommand::Enrol, &input).await
}

pub async fn sync_now() -> Result<SyncSummary> {
    call(DeviceCommand::SyncNow, &NoInput {}).await
}

pub async fn pending() -> Result<Vec<PendingItem>> {
    call(DeviceCommand::Pending, &NoInput {}).await
}

pub async fn territory() -> Result<Territory> {
    call(DeviceCommand::Territory, &NoInput {}).await
}

/// Stores a photo on the device; the answer names it for `RecordDemand::attachments`.
pub async fn put_photo(data_base64: String) -> Result<PhotoSaved> {
    call(DeviceCommand::PutPhoto, &PhotoInput { data_base64 }).await
}

/// A photo to show: from the device, else fetched from the server once (needs the network).
pub async fn photo(hash: String) -> Result<PhotoData> {
    call(DeviceCommand::Photo, &PhotoRef { hash }).await
}

// ---- the request vocabulary, typed ----
//
// Each call reads the one variant of `api::Response` it asks for, by that variant's JSON shape
// (`{"type": "<variant>", ...}`), instead of decoding the whole `Response` enum: the delegate's
// wasm then carries decoders only for what its screens show, not for the station's and office's
// payloads (clusters, registers) — the difference kept it within its size budget.

/// `{"type": …}` of an answer.
#[derive(serde::Deserialize)]
struct Tag {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(serde::Deserialize)]
struct Items<T> {
    items: Vec<T>,
    #[serde(default)]
    total: u64,
}

#[derive(serde::Deserialize)]
struct Attached {
    demand: DemandId,
}

/// Sends `req` and reads its answer as the variant `kind`; any other answer is unexpected.
async fn ask<T: DeserializeOwned>(req: &Request, kind: &'static str) -> Result<T> {
    let text = call_text(DeviceCommand::Request, req).await?;
    let tag: Tag = serde_json::from_str(&text).map_err(|_| unexpected("?"))?;
    if tag.kind != kind {
        return Err(unexpected(&tag.kind));
    }
    serde_json::from_str(&text).map_err(|_| unexpected(kind))
}

pub async fn record_demand(req: RecordDemand) -> Result<DemandView> {
    ask(&Request::RecordDemand(req), "demand").await
}

pub async fn list_demands(filter: DemandFilter) -> Result<(Vec<DemandView>, u64)> {
    let got: Items<DemandView> = ask(&Request::ListDemands(filter), "demands").await?;
    Ok((got.items, got.total))
}

pub async fn search(query: String, limit: u32) -> Result<Vec<DemandView>> {
    let req = Request::Search {
        query,
        limit: Some(limit),
    };
    let got: Items<DemandView> = ask(&req, "demands").await?;
    Ok(got.items)
}

pub async fn attach_contact(demand: DemandId, contact: NewContact) -> Result<DemandId> {
    let got: Attached = ask(
        &Request::AttachContact { demand, contact },
        "contact_attached",
    )
    .await?;
    Ok(got.demand)
}

pub async fn start_visit(req: StartVisit) -> Result<VisitView> {
    ask(&Request::StartVisit(req), "visit").await
}

pub async fn end_visit(visit: VisitId, attendance: u32) -> Result<VisitView> {
    let req = Request::EndVisit {
        visit,
        attendance,
        delegates: Vec::new(),
    };
    ask(&req, "visit").await
}

pub async fn get_demand(id: DemandId) -> Result<DemandView> {
    ask(&Request::GetDemand { id }, "demand").await
}

/// The residents' contacts of a demand that this device's delegate may see (the service leaves
/// out the others).
pub async fn contacts_of(demand: DemandId) -> Result<Vec<Contact>> {
    let got: Items<Contact> = ask(&Request::ContactsOf { demand }, "contacts").await?;
    Ok(got.items)
}

/// The delegate suggestion a demand went into, as this device last synced it.
pub async fn suggestion(
    id: gridvoice_core::ids::SuggestionId,
) -> Result<gridvoice_core::api::SuggestionView> {
    ask(&Request::GetSuggestion { id }, "suggestion").await
}

pub async fn list_visits() -> Result<Vec<VisitView>> {
    let got: Items<VisitView> = ask(&Request::ListVisits, "visits").await?;
    Ok(got.items)
}
