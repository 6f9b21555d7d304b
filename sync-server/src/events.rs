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

/// A stream of the stations the caller may read whose documents just changed.
#[utoipa::path(
    get,
    path = "/api/events",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "text/event-stream: `changed` events naming a station", content_type = "text/event-stream"),
        (status = 401, description = "no valid credential or session", body = gridvoice_core::api::ApiError),
    )
)]
pub(crate) async fn events(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let who = caller(&app, &Method::GET, &headers).await?;
    let cancel = app.cancel_token(&who.device);
    let a = app.clone();
    let stream = BroadcastStream::new(app.changed.subscribe())
        .take_until(cancel.cancelled_owned())
        .filter_map(move |doc| {
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
