//! Browser sessions for the station head and the office at their desks: a one-time code from the
//! office is redeemed in the browser for a session — a credential like a device's, stored hashed,
//! listed and revocable with the devices (revocation holds at the next request), ended after
//! [`SESSION_IDLE_MS`] without use — kept in an `HttpOnly`, `SameSite=Strict` cookie that page
//! scripts cannot read.
//!
//! Cross-site requests: a request that changes something with the cookie (anything but `GET` and
//! `HEAD`) must carry `X-Gridvoice-Csrf: 1` — a header a form or a simple request from another
//! site cannot send without the server's CORS consent, which it never gives — and, when the
//! browser names its `Origin`, one of this server's own. Requests with a bearer credential
//! (devices, tools) carry no ambient authority and are not checked.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use gridvoice_core::ErrorCode;
use gridvoice_core::api::ApiError;
use gridvoice_core::boundary::{Credential, SessionRequest, SessionView};

use crate::App;
use crate::auth::SESSION_IDLE_MS;
use crate::http::{HttpError, parse};

/// The cookie that holds a browser session's credential.
pub const COOKIE: &str = "gv_session";
/// The header a page of this server adds to every request that changes something.
pub const CSRF_HEADER: &str = "x-gridvoice-csrf";

/// The session credential of a request's `Cookie` header, if any.
pub fn from_cookie(headers: &HeaderMap) -> Option<Credential> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| Credential::new(value.trim()))
        .filter(|c| !c.expose().is_empty())
}

/// Whether a cookie-authenticated request must be refused as cross-site.
pub fn cross_site(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD) {
        return false;
    }
    let marked = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "1");
    if !marked {
        return true;
    }
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (None, _) => false,
        (Some(origin), Some(host)) => {
            let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else {
                return true;
            };
            let own = [format!("http://{host}"), format!("https://{host}")];
            !own.iter().any(|o| o == origin)
        }
        (Some(_), None) => true,
    }
}

pub fn cross_site_refused() -> HttpError {
    HttpError::new(
        ErrorCode::CrossSite,
        "请求不是从本系统的页面发出的，已拒绝。请在本系统页面内操作",
    )
}

fn cookie(value: &str, max_age_s: i64) -> Result<HeaderValue, HttpError> {
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_s}"
    ))
    .map_err(|_| HttpError::internal())
}

fn view(p: &gridvoice_core::access::Principal) -> SessionView {
    SessionView {
        session: p.device,
        person: p.person.clone(),
        role: p.role,
        station: p.station.clone(),
        idle_days: u32::try_from(SESSION_IDLE_MS / 86_400_000).unwrap_or(u32::MAX),
    }
}

/// Redeem a one-time code for a browser session (the credential is set as a cookie).
#[utoipa::path(
    post,
    path = "/api/session",
    request_body = SessionRequest,
    params(("X-Gridvoice-Csrf" = String, Header, description = "must be 1")),
    responses(
        (status = 200, description = "signed in; the session cookie is set (HttpOnly, SameSite=Strict)", body = SessionView),
        (status = 400, description = "not the expected JSON", body = ApiError),
        (status = 401, description = "ENROLMENT_INVALID, ENROLMENT_EXPIRED or ENROLMENT_USED", body = ApiError),
        (status = 403, description = "CROSS_SITE: not sent by a page of this server", body = ApiError),
    )
)]
pub(crate) async fn open_session(
    State(app): State<App>,
    source: crate::credentials::Source,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    // A code typed into another site must not sign this browser in (login forgery).
    if cross_site(&Method::POST, &headers) {
        return Err(cross_site_refused());
    }
    let req: SessionRequest = parse(&body)?;
    let auth = app.auth.clone();
    let (p, credential) =
        crate::credentials::redeem_throttled(&app, &source, "sign-in", move || {
            let clock = gridvoice_store::system::SystemClock;
            let now = gridvoice_core::clock::Clock::now(&clock);
            let session =
                gridvoice_core::ids::DeviceId::new(&mut gridvoice_store::system::OsIds, now);
            let name = if req.name.trim().is_empty() {
                "浏览器"
            } else {
                req.name.trim()
            };
            auth.redeem_session(&req.code, name, now, session)
        })
        .await?;
    let a = app.clone();
    let _ = tokio::task::spawn_blocking(move || a.refresh_devices()).await;
    tracing::info!(session = %p.device, role = p.role.code(), "browser session opened");
    let set = cookie(credential.expose(), SESSION_IDLE_MS / 1000)?;
    Ok(([(header::SET_COOKIE, set)], axum::Json(view(&p))).into_response())
}

/// Who this browser's session acts for.
#[utoipa::path(
    get,
    path = "/api/session",
    responses(
        (status = 200, description = "the session", body = SessionView),
        (status = 401, description = "no session, or it ended (revoked, idle)", body = ApiError),
    )
)]
pub(crate) async fn current_session(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let token = from_cookie(&headers).ok_or_else(HttpError::unauthorized)?;
    let p = app
        .authenticate(token)
        .await
        .ok_or_else(HttpError::unauthorized)?;
    Ok(axum::Json(view(&p)).into_response())
}

/// Sign out: the session is revoked at once and its cookie cleared.
#[utoipa::path(
    delete,
    path = "/api/session",
    params(("X-Gridvoice-Csrf" = String, Header, description = "must be 1")),
    responses(
        (status = 204, description = "signed out"),
        (status = 401, description = "no session", body = ApiError),
        (status = 403, description = "CROSS_SITE: not sent by a page of this server", body = ApiError),
    )
)]
pub(crate) async fn close_session(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let token = from_cookie(&headers).ok_or_else(HttpError::unauthorized)?;
    if cross_site(&Method::DELETE, &headers) {
        return Err(cross_site_refused());
    }
    let p = app
        .authenticate(token)
        .await
        .ok_or_else(HttpError::unauthorized)?;
    let auth = app.auth.clone();
    let a = app.clone();
    tokio::task::spawn_blocking(move || {
        let clock = gridvoice_store::system::SystemClock;
        let now = gridvoice_core::clock::Clock::now(&clock);
        let revoked = auth.revoke(&p.device, now);
        let _ = a.refresh_devices();
        revoked
    })
    .await
    .map_err(|_| HttpError::internal())?
    .map_err(|_| HttpError::internal())?;
    let clear = cookie("", 0)?;
    Ok((
        axum::http::StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear)],
    )
        .into_response())
}
