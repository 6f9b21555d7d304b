//! Where credentials are made: a device's enrolment (a one-time code for a credential), a
//! browser's sign-in shares the code throttle (`session.rs`), and a device's renewal of its
//! credential during sync before its term ends (`auth::CREDENTIAL_TTL_MS`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use gridvoice_core::ErrorCode;
use gridvoice_core::api::ApiError;
use gridvoice_core::boundary::{EnrolRequest, EnrolResponse, RenewResponse};

use crate::App;
use crate::http::{HttpError, bearer, caller, parse};

/// The socket's peer, where the server was started with it (`start`): never a header the client
/// writes.
pub(crate) type Source = Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>;

/// Redeems a one-time code (a device's enrolment, a browser's sign-in) under the throttle on
/// failures: a source over its rate is refused before its code is looked at; each failure is
/// charged to the source and logged with the source and the reason — never the code.
pub(crate) async fn redeem_throttled<T: Send + 'static>(
    app: &App,
    source: &Source,
    what: &'static str,
    redeem: impl FnOnce() -> Result<T, crate::auth::AuthError> + Send + 'static,
) -> Result<T, HttpError> {
    let ip = source
        .as_ref()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |s| s.0.0.ip());
    if let Err(wait) = app.failed_enrolments.peek(&ip) {
        app.metrics.rate_limited.inc();
        tracing::warn!(%ip, what, "code refused unread: too many failed codes from this address");
        return Err(HttpError::rate_limited(wait));
    }
    let outcome = tokio::task::spawn_blocking(redeem)
        .await
        .map_err(|_| HttpError::internal())?;
    outcome.map_err(|e| {
        app.metrics.errors.inc();
        let _ = app.failed_enrolments.take(&ip);
        tracing::warn!(%ip, what, reason = %e, "code refused");
        enrolment_refused(&e)
    })
}

/// A refused enrolment code, in the person's words.
pub(crate) fn enrolment_refused(e: &crate::auth::AuthError) -> HttpError {
    match e {
        crate::auth::AuthError::InvalidCode => {
            HttpError::new(ErrorCode::EnrolmentInvalid, "绑定码无效，请核对后重试")
        }
        crate::auth::AuthError::Expired => HttpError::new(
            ErrorCode::EnrolmentExpired,
            "绑定码已过期，请向代表工作室重新申请",
        ),
        crate::auth::AuthError::Used => HttpError::new(
            ErrorCode::EnrolmentUsed,
            "绑定码已被使用，请向代表工作室重新申请",
        ),
        crate::auth::AuthError::Store(_) => HttpError::internal(),
    }
}

/// Exchange a one-time enrolment code for a device credential.
#[utoipa::path(
    post,
    path = "/api/enrol",
    request_body = EnrolRequest,
    responses(
        (status = 200, description = "enrolled; the credential is shown this once", body = EnrolResponse),
        (status = 400, description = "not the expected JSON", body = ApiError),
        (status = 401, description = "ENROLMENT_INVALID, ENROLMENT_EXPIRED or ENROLMENT_USED", body = ApiError),
    )
)]
pub(crate) async fn enrol(
    State(app): State<App>,
    source: Source,
    body: Bytes,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let req: EnrolRequest = parse(&body)?;
    let auth = app.auth.clone();
    let (p, credential) = redeem_throttled(&app, &source, "enrolment", move || {
        let clock = gridvoice_store::system::SystemClock;
        let now = gridvoice_core::clock::Clock::now(&clock);
        let device = gridvoice_core::ids::DeviceId::new(&mut gridvoice_store::system::OsIds, now);
        auth.redeem(&req.code, &req.device_name, now, device)
    })
    .await?;
    let a = app.clone();
    let _ = tokio::task::spawn_blocking(move || a.refresh_devices()).await;
    tracing::info!(device = %p.device, role = p.role.code(), "device enrolled");
    Ok(axum::Json(EnrolResponse {
        device: p.device,
        peer_id: crate::policy::peer_id_of(&p),
        credential,
        person: p.person,
        role: p.role,
        station: p.station,
        territory: (*app.territory).clone(),
        server_peer_id: Some(app.peer_id.clone()),
        server_id: Some(app.server_id.clone()),
    })
    .into_response())
}

/// A device renews its credential (during sync, once it is a month old): the answer carries the
/// new one; the old one is taken until the new one is first used, so a lost answer locks nobody
/// out. Browser sessions are not renewed (they end when idle).
#[utoipa::path(
    post,
    path = "/api/renew",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the new credential, shown this once", body = RenewResponse),
        (status = 401, description = "no valid device credential (unknown, revoked, expired, or a browser session)", body = ApiError),
    )
)]
pub(crate) async fn renew(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let p = caller(&app, &Method::POST, &headers).await?;
    let Some(token) = bearer(&headers) else {
        return Err(HttpError::unauthorized());
    };
    let auth = app.auth.clone();
    let now = gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock);
    let renewed = tokio::task::spawn_blocking(move || auth.renew(token.expose(), now))
        .await
        .map_err(|_| HttpError::internal())?
        .map_err(|_| HttpError::internal())?;
    let Some(credential) = renewed else {
        return Err(HttpError::unauthorized());
    };
    tracing::info!(device = %p.device, "credential renewed");
    Ok(axum::Json(RenewResponse { credential }).into_response())
}
