//! The one door to the server for the station and office pages: the browser session
//! (`/api/session`) and the request vocabulary (`POST /api/request`), same-origin, with the cookie
//! the server set and the header a cross-site form cannot send (`X-Gridvoice-Csrf: 1`). Every
//! failure, the network's included, comes back as an [`ApiError`] with a Chinese message.

use gridvoice_core::ErrorCode;
use gridvoice_core::api::{ApiError, Request, Response};
use gridvoice_core::boundary::{SessionRequest, SessionView};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub type Result<T> = std::result::Result<T, ApiError>;

fn failed(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Internal, message)
}

/// One same-origin call: `method` on `path` with an optional JSON body; the answer's JSON, or
/// the server's `ApiError`.
async fn call<O: DeserializeOwned>(method: &str, path: &str, body: Option<String>) -> Result<O> {
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
    if resp.ok() {
        let text = if text.is_empty() { "null" } else { &text };
        serde_json::from_str(text).map_err(|_| failed("服务器的回答无法读取"))
    } else {
        let status = resp.status();
        Err(serde_json::from_str::<ApiError>(&text)
            .unwrap_or_else(|_| failed(&format!("服务器出错（HTTP {status}）"))))
    }
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|_| failed("请求无法编码"))
}

/// Who this browser acts for; `UNAUTHORIZED` when nobody is signed in.
pub async fn session() -> Result<SessionView> {
    call("GET", "/api/session", None).await
}

/// Trades the office's one-time code for a session (the cookie is set by the server).
pub async fn sign_in(code: String, name: String) -> Result<SessionView> {
    call(
        "POST",
        "/api/session",
        Some(json(&SessionRequest { code, name })?),
    )
    .await
}

pub async fn sign_out() -> Result<()> {
    let _: serde_json::Value = call("DELETE", "/api/session", None).await?;
    Ok(())
}

/// The territory's public layout (names, grids to draw).
pub async fn territory() -> Result<gridvoice_core::territory::Territory> {
    call("GET", "/api/territory", None).await
}

/// One request of the vocabulary, answered by the server's one request service.
pub async fn request(req: &Request) -> Result<Response> {
    call("POST", "/api/request", Some(json(req)?)).await
}

/// A response of another kind than the request asks for (named by kind only: it may hold
/// personal data).
pub fn unexpected() -> ApiError {
    failed("服务器返回了意外的结果")
}
