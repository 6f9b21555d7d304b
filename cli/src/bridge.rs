//! The device bridge: the app's UI in a browser, talking to this device's store over HTTP on
//! localhost — the same commands the Tauri shell serves (`gridvoice_core::boundary::DeviceCommand`),
//! as `POST /device/<command>` with the same JSON. It listens on 127.0.0.1 only: the device's data
//! never leaves the machine except through sync.
//!
//! Other pages in the same browser must not reach it: each launch makes a secret, printed in the
//! address to open (`/?key=…`), which the bridge trades for an `HttpOnly; SameSite=Strict` cookie;
//! every command needs that cookie, and an `Origin`, when sent, must be this bridge's own. Every
//! request's `Host` must name this bridge (127.0.0.1 or localhost at its port), so a page behind a
//! rebinding DNS name cannot read it either.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use gridvoice_core::ErrorCode;
use gridvoice_core::api::ApiError;
use gridvoice_core::boundary::DeviceCommand;
use gridvoice_sync::device::DeviceService;

/// What the bridge serves with: the device, this launch's secret and its port.
#[derive(Clone)]
struct Bridge {
    service: Arc<DeviceService>,
    secret: Arc<str>,
    port: u16,
}

const COOKIE: &str = "gv_bridge";

fn forbidden(message: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        axum::Json(ApiError::new(ErrorCode::Forbidden, message)),
    )
        .into_response()
}

/// The hosts this bridge answers to (a rebinding name is none of them).
fn own_host(host: &str, port: u16) -> bool {
    host == format!("127.0.0.1:{port}") || host == format!("localhost:{port}")
}

fn cookie_secret(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// Compares two secrets in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The guard in front of everything: the Host first; the secret in the address becomes the
/// cookie; a command needs the cookie and, when the browser names one, this bridge's Origin.
async fn guard(
    State(b): State<Bridge>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if !own_host(host, b.port) {
        return forbidden("本机页面只接受本机地址的访问");
    }
    if let Some(key) = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("key=")))
    {
        if !same(key, &b.secret) {
            return forbidden("访问密钥不对，请使用启动时显示的地址");
        }
        let cookie = format!("{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", b.secret);
        return (
            StatusCode::SEE_OTHER,
            [
                (header::SET_COOKIE, cookie),
                (header::LOCATION, req.uri().path().to_owned()),
            ],
        )
            .into_response();
    }
    if req.uri().path().starts_with("/device/") {
        if !cookie_secret(headers).is_some_and(|c| same(c, &b.secret)) {
            return forbidden("请使用启动时显示的地址打开本机页面");
        }
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
            && !origin
                .strip_prefix("http://")
                .is_some_and(|h| own_host(h, b.port))
        {
            return forbidden("其他网站的页面不能使用本机的数据");
        }
    }
    next.run(req).await
}

fn refuse(e: ApiError) -> Response {
    let status = match e.code {
        ErrorCode::Internal | ErrorCode::CorruptStore | ErrorCode::CorruptDocument => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    };
    (status, axum::Json(e)).into_response()
}

fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("请求格式不正确（第 {} 行第 {} 列）", e.line(), e.column()),
        )
    })
}

async fn command(State(b): State<Bridge>, Path(cmd): Path<String>, body: Bytes) -> Response {
    let s = &b.service;
    let ok = |v: serde_json::Result<serde_json::Value>| match v {
        Ok(v) => axum::Json(v).into_response(),
        Err(_) => refuse(ApiError::new(ErrorCode::Internal, "本机出错，请重试")),
    };
    let Some(cmd) = DeviceCommand::parse(&cmd) else {
        return refuse(ApiError::new(ErrorCode::NotFound, "没有这个命令"));
    };
    match cmd {
        DeviceCommand::Status => ok(serde_json::to_value(s.status().await)),
        DeviceCommand::Enrol => match parse(&body) {
            Ok(input) => match s.enrol(input).await {
                Ok(v) => ok(serde_json::to_value(v)),
                Err(e) => refuse(e),
            },
            Err(e) => refuse(e),
        },
        DeviceCommand::SyncNow => ok(serde_json::to_value(s.sync_now().await)),
        DeviceCommand::Pending => match s.pending().await {
            Ok(v) => ok(serde_json::to_value(v)),
            Err(e) => refuse(e),
        },
        DeviceCommand::Territory => match s.territory().await {
            Ok(v) => ok(serde_json::to_value(v)),
            Err(e) => refuse(e),
        },
        DeviceCommand::PutPhoto => match parse(&body) {
            Ok(input) => match s.put_photo(input).await {
                Ok(v) => ok(serde_json::to_value(v)),
                Err(e) => refuse(e),
            },
            Err(e) => refuse(e),
        },
        DeviceCommand::Photo => match parse(&body) {
            Ok(input) => match s.photo(input).await {
                Ok(v) => ok(serde_json::to_value(v)),
                Err(e) => refuse(e),
            },
            Err(e) => refuse(e),
        },
        DeviceCommand::Request => match parse(&body) {
            Ok(req) => match s.request(req).await {
                Ok(v) => ok(serde_json::to_value(v)),
                Err(e) => refuse(e),
            },
            Err(e) => refuse(e),
        },
        DeviceCommand::Reset => match parse(&body) {
            Ok(input) => match s.reset(input).await {
                Ok(v) => ok(serde_json::to_value(v)),
                Err(e) => refuse(e),
            },
            Err(e) => refuse(e),
        },
    }
}

/// Serves until Ctrl-C.
pub async fn serve(
    service: Arc<DeviceService>,
    port: u16,
    dist: PathBuf,
    sync_every: Duration,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let port = listener.local_addr()?.port();
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("no randomness for the secret: {e}"))?;
    let bridge = Bridge {
        service: service.clone(),
        secret: hex::encode(raw).into(),
        port,
    };
    let app = Router::new()
        .route("/device/{command}", post(command))
        // A photo arrives base64-encoded: 8 MB of image is about 11 MB of JSON.
        .layer(axum::extract::DefaultBodyLimit::max(12 * 1024 * 1024))
        // Unknown paths are the UI's own routes (/record, /sync …): they get index.html.
        .fallback_service(tower_http::services::ServeDir::new(&dist).fallback(
            tower_http::services::ServeFile::new(dist.join("index.html")),
        ))
        .layer(axum::middleware::from_fn_with_state(bridge.clone(), guard))
        .with_state(bridge.clone());
    // The address with this launch's secret: whoever opens it gets the cookie.
    println!(
        "网格民声：请在浏览器打开 http://127.0.0.1:{port}/?key={}",
        bridge.secret
    );
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let background = {
        let s = service.clone();
        tokio::spawn(async move { s.background(sync_every, std::future::pending::<()>()).await })
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await?;
    background.abort();
    Ok(())
}
