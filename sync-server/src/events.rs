//! `GET /api/events`: server-sent events telling an open page that a station it may read has new
//! changes (`event: changed`, `data: {"station":"S01"}`), so a head at the station watches the
//! delegates' demands arrive without reloading. Only the station's id travels; the page reads what
//! changed through the one request service, under its rules.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use gridvoice_core::access::{Access, access};
use gridvoice_core::doc::DocKind;
use tokio_stream::wrappers::BroadcastStream;

use crate::App;
use crate::http::{HttpError, caller};
use crate::limits::Full;
use gridvoice_core::ErrorCode;

/// A stream of the stations the caller may read whose documents just changed.
#[utoipa::path(
    get,
    path = "/api/events",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "text/event-stream: `changed` events naming a station", content_type = "text/event-stream"),
        (status = 401, description = "no valid credential or session", body = gridvoice_core::api::ApiError),
        (status = 429, description = "RATE_LIMITED: this browser holds its share of streams (16)", body = gridvoice_core::api::ApiError),
        (status = 503, description = "SERVER_BUSY: the server holds its most connections", body = gridvoice_core::api::ApiError),
    )
)]
pub(crate) async fn events(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let who = caller(&app, &Method::GET, &headers).await?;
    // An open page holds a place among the server's connections (a desk's tabs: a share of its
    // own), released when the stream ends; and the stream ends after a session's length, as a
    // sync socket does: the page's `EventSource` opens the next one by itself.
    let slot = app
        .connections
        .take(
            who.device,
            app.config.max_connections,
            gridvoice_core::limits::MAX_DEVICE_EVENT_STREAMS,
        )
        .map_err(|full| match full {
            Full::Server => HttpError::new(ErrorCode::ServerBusy, "服务器繁忙，请稍后刷新页面"),
            Full::Device => HttpError::rate_limited(Duration::from_secs(5)),
        })?;
    let cancel = app.cancel_token(&who.device);
    let a = app.clone();
    let stream = BroadcastStream::new(app.changed.subscribe())
        .take_until(cancel.cancelled_owned())
        .take_until(tokio::time::sleep(app.config.sync_session))
        .filter_map(move |doc| {
            let _held = &slot;
            let found = doc.ok().and_then(|d| a.acl.borrow().document(&d));
            let event = found.and_then(|(kind, owner)| {
                (kind == DocKind::Station
                    && access(&who, kind, &owner, &a.territory) != Access::None)
                    .then(|| {
                        Event::default()
                            .event("changed")
                            .data(serde_json::json!({ "station": owner }).to_string())
                    })
            });
            futures::future::ready(event.map(Ok::<_, Infallible>))
        });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
        .into_response())
}
