//! The device bridge: the app's UI in a browser, talking to this device's store over HTTP on
//! localhost — the same commands the Tauri shell serves (`gridvoice_core::boundary::DeviceCommand`),
//! as `POST /device/<command>` with the same JSON. It listens on 127.0.0.1 only: the device's data
//! never leaves the machine except through sync.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use gridvoice_core::ErrorCode;
use gridvoice_core::api::ApiError;
use gridvoice_core::boundary::DeviceCommand;
use gridvoice_sync::device::DeviceService;

type Service = Arc<DeviceService>;

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

async fn command(State(s): State<Service>, Path(cmd): Path<String>, body: Bytes) -> Response {
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
    }
}

/// Serves until Ctrl-C.
pub async fn serve(
    service: Service,
    port: u16,
    dist: PathBuf,
    sync_every: Duration,
) -> anyhow::Result<()> {
    let app = Router::new()
        .route("/device/{command}", post(command))
        // A photo arrives base64-encoded: 8 MB of image is about 11 MB of JSON.
        .layer(axum::extract::DefaultBodyLimit::max(12 * 1024 * 1024))
        // Unknown paths are the UI's own routes (/record, /sync …): they get index.html.
        .fallback_service(tower_http::services::ServeDir::new(&dist).fallback(
            tower_http::services::ServeFile::new(dist.join("index.html")),
        ))
        .with_state(service.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "网格民声：请在浏览器打开 http://{}/",
        listener.local_addr()?
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
