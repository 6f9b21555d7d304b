//! The pages' one door to the device they run on. Two transports carry the same JSON (the core's
//! `device` and `api` types) under the same command names (`gridvoice_core::boundary::DeviceCommand`):
//! - in the Tauri webview (`window.__TAURI__` present, `withGlobalTauri`):
//!   `window.__TAURI__.core.invoke(command, { input })`, a rejection carrying an `ApiError`;
//! - in a plain browser (the device bridge `gridvoice ui`): `POST /device/<command>` with the input
//!   as the body (`{}` when there is none); a non-2xx answer carries an `ApiError`.
//!
//! Failures of the transport itself (no bridge, a body that is not JSON) become an `ApiError` with
//! a Chinese message too, so a screen has exactly one error type to show. The delegate's pages
//! (`gridvoice-ui`) and the station's pages run on a head's device (`gridvoice-station-ui`) both
//! call through here.

use gridvoice_core::ErrorCode;
use gridvoice_core::api::ApiError;
use gridvoice_core::boundary::DeviceCommand;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub type Result<T> = std::result::Result<T, ApiError>;

/// An empty input for commands that take none.
#[derive(Debug, Serialize)]
pub struct NoInput {}

/// A failure of the way to the device, not of the device's answer.
pub fn transport_error(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Internal, message)
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

/// One device command, its answer decoded.
pub async fn call<I: Serialize, O: DeserializeOwned>(
    command: DeviceCommand,
    input: &I,
) -> Result<O> {
    let text = call_text(command, input).await?;
    serde_json::from_str(&text).map_err(|_| transport_error("本机服务的回答无法读取"))
}

/// One device command, its answer's JSON text.
pub async fn call_text<I: Serialize>(command: DeviceCommand, input: &I) -> Result<String> {
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
