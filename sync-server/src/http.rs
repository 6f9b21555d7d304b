//! The HTTP API: enrolment, receipts, the request vocabulary for station and office clients,
//! photos, health, metrics, the OpenAPI document, and the sync WebSocket.
//!
//! Errors leave as `{"code": STABLE_CODE, "message": 中文}` with a matching status; the detail
//! stays in the log. Credentials are never logged or echoed.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridvoice_core::access::{Principal, access};
use gridvoice_core::api::{ApiError, Request, Response as ApiResponse};
use gridvoice_core::boundary::{
    Credential, Health, PhotoStored, ReceiptsRequest, ReceiptsResponse,
};
use gridvoice_core::doc::DocKind;
use gridvoice_core::{Error as CoreError, ErrorCode};
use serde::Deserialize;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::App;

/// An [`ApiError`] with its HTTP status.
#[derive(Debug)]
pub struct HttpError(pub ApiError, pub Option<Duration>);

impl HttpError {
    pub fn new(code: ErrorCode, message: &str) -> HttpError {
        HttpError(ApiError::new(code, message), None)
    }

    pub fn unauthorized() -> HttpError {
        HttpError::new(
            ErrorCode::Unauthorized,
            "设备凭证无效或已被停用，请重新绑定设备",
        )
    }

    /// Too many of something in too short a time: try again after `wait` (`Retry-After`).
    pub fn rate_limited(wait: Duration) -> HttpError {
        let secs = wait.as_secs().max(1);
        HttpError(
            ApiError::new(
                ErrorCode::RateLimited,
                format!("操作过于频繁，请 {secs} 秒后重试"),
            ),
            Some(wait),
        )
    }

    pub(crate) fn internal() -> HttpError {
        HttpError::new(ErrorCode::Internal, "服务器内部错误，请稍后重试")
    }
}

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        HttpError(e, None)
    }
}

impl From<gridvoice_store::Error> for HttpError {
    fn from(e: gridvoice_store::Error) -> Self {
        HttpError(e.into(), None)
    }
}

impl From<CoreError> for HttpError {
    fn from(e: CoreError) -> Self {
        HttpError(e.into(), None)
    }
}

pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound | ErrorCode::UnknownVisit => StatusCode::NOT_FOUND,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::EnrolmentInvalid | ErrorCode::EnrolmentExpired | ErrorCode::EnrolmentUsed => {
            StatusCode::UNAUTHORIZED
        }
        ErrorCode::UseSync | ErrorCode::ChangeRefused => StatusCode::CONFLICT,
        ErrorCode::NotPermitted | ErrorCode::CrossSite => StatusCode::FORBIDDEN,
        // A decision on a demand that is already settled: the state, not the request, is in the way.
        ErrorCode::DemandSettled
        | ErrorCode::NoAnswerYet
        | ErrorCode::NotRouted
        | ErrorCode::AlreadyPaused
        | ErrorCode::NotPaused => StatusCode::CONFLICT,
        ErrorCode::Offline | ErrorCode::ServerBusy => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::RateLimited | ErrorCode::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Internal | ErrorCode::CorruptStore | ErrorCode::CorruptDocument => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        if self.0.code == ErrorCode::Internal {
            tracing::error!(code = self.0.code.as_str(), "request failed");
        }
        let mut r = (status_of(self.0.code), axum::Json(self.0)).into_response();
        if let Some(wait) = self.1 {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            r.headers_mut()
                .insert(header::RETRY_AFTER, secs.max(1).into());
        }
        r
    }
}

/// Every route, declared once: `routes!` takes each handler's method and path from its
/// `#[utoipa::path]`, which also writes its entry in the OpenAPI document, so the router and the
/// document cannot disagree (the route test in `tests/server/routes.rs` checks the built router
/// against the document all the same). The JSON routes share a body limit of `limit` bytes; a
/// photo may be up to `capture::MAX_PHOTO_BYTES`.
pub(crate) fn routes(limit: usize) -> OpenApiRouter<App> {
    let photo_limit = gridvoice_core::capture::MAX_PHOTO_BYTES;
    let photos = OpenApiRouter::default()
        .routes(routes!(put_photo, get_photo))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(photo_limit));
    // A territory's GeoJSON files may be larger than a request's JSON.
    let territory = OpenApiRouter::default()
        .routes(routes!(crate::admin::territory))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(
            gridvoice_core::limits::MAX_TERRITORY_BYTES,
        ));
    OpenApiRouter::with_openapi(crate::openapi::base())
        .routes(routes!(healthz))
        .routes(routes!(metrics))
        .routes(routes!(openapi))
        .routes(routes!(crate::credentials::enrol))
        .routes(routes!(crate::credentials::renew))
        .routes(routes!(
            crate::session::open_session,
            crate::session::current_session,
            crate::session::close_session
        ))
        .routes(routes!(receipts))
        .routes(routes!(api_request))
        .routes(routes!(crate::registers::register_xlsx))
        .routes(routes!(crate::registers::territory))
        .routes(routes!(crate::events::events))
        .routes(routes!(crate::admin::create_enrolment))
        .routes(routes!(crate::admin::devices))
        .routes(routes!(crate::admin::revoke))
        .routes(routes!(crate::admin::calendar))
        .routes(routes!(crate::admin::policy))
        .routes(routes!(sync))
        .layer(RequestBodyLimitLayer::new(limit))
        .merge(photos)
        .merge(territory)
}

/// The station and office pages: static files, `index.html` for any other path, under a content
/// security policy that allows this server's own scripts (and their wasm) only.
fn pages(dir: &std::path::Path) -> Router {
    use tower_http::services::{ServeDir, ServeFile};
    use tower_http::set_header::SetResponseHeaderLayer;
    let files = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    Router::new()
        .fallback_service(files)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(
                "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
                 img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            header::HeaderValue::from_static("nosniff"),
        ))
}

/// The router. Layers, outermost first: trace, timeout, body limit (see [`routes`]).
pub fn router(app: App) -> Router {
    let (routes, _document) = routes(app.config.max_body_bytes).split_for_parts();
    let routes = match &app.config.pages_dir {
        Some(dir) => routes.fallback_service(pages(dir)),
        None => routes,
    };
    routes
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        // Spans name the method and path only: the sync URL may carry `?token=` (browsers), and a
        // credential must never reach a log.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::debug_span!("http", method = %req.method(), path = %req.uri().path())
        }))
        // A handler that panics answers 500 like any failure (its message, which may quote a
        // request, is not logged); the store's lock, if it held it, is then found poisoned and
        // `/healthz` fails, so the server is restarted rather than run on a store in doubt.
        // A body over its route's limit, refused by the limit layers with a bare 413: answered
        // with the API's own error, as every other refusal.
        .layer(axum::middleware::map_response(too_large_as_api_error))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                tracing::error!("a request handler panicked");
                HttpError::internal().into_response()
            },
        ))
        .with_state(app)
}

async fn too_large_as_api_error(r: Response) -> Response {
    let json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE && !json {
        return HttpError::new(ErrorCode::PayloadTooLarge, "提交的内容超过大小上限")
            .into_response();
    }
    r
}

/// The credential of a request: `Authorization: Bearer …`.
pub fn bearer(headers: &HeaderMap) -> Option<Credential> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|t| Credential::new(t.trim()))
}

/// Who makes a request: a bearer credential (devices, tools), else a browser session's cookie —
/// checked against cross-site use when the request changes something (`session::cross_site`).
pub(crate) async fn caller(
    app: &App,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Principal, HttpError> {
    let token = match bearer(headers) {
        Some(token) => token,
        None => {
            let token = crate::session::from_cookie(headers).ok_or_else(HttpError::unauthorized)?;
            if crate::session::cross_site(method, headers) {
                return Err(crate::session::cross_site_refused());
            }
            token
        }
    };
    let p = app
        .authenticate(token)
        .await
        .ok_or_else(HttpError::unauthorized)?;
    app.requests.take(&p.device).map_err(|wait| {
        app.metrics.rate_limited.inc();
        HttpError::rate_limited(wait)
    })?;
    Ok(p)
}

pub(crate) fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, HttpError> {
    serde_json::from_slice(body).map_err(|e| {
        HttpError::new(
            ErrorCode::BadRequest,
            &format!("请求格式不正确：{}", e.classify_name()),
        )
    })
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "读取失败",
            serde_json::error::Category::Syntax => "不是合法的 JSON",
            serde_json::error::Category::Data => "字段缺失或类型不符",
            serde_json::error::Category::Eof => "内容不完整",
        }
    }
}

/// Health: the store answers and storage can be trusted (else 503, and the server is stopping).
#[utoipa::path(get, path = "/healthz", responses(
    (status = 200, description = "up", body = Health),
    (status = 503, description = "storage failed: the server is stopping", body = Health),
))]
async fn healthz(State(app): State<App>) -> Response {
    app.metrics.http_requests.inc();
    let a = app.clone();
    let why = tokio::task::spawn_blocking(move || a.unhealthy())
        .await
        .unwrap_or(Some("the health check failed"));
    let status = why.map_or(StatusCode::OK, |_| StatusCode::SERVICE_UNAVAILABLE);
    (
        status,
        axum::Json(Health {
            status: why.map_or_else(|| "ok".to_owned(), |w| format!("failing: {w}")),
            peer_id: app.peer_id.clone(),
        }),
    )
        .into_response()
}

/// Prometheus metrics.
#[utoipa::path(
    get,
    path = "/metrics",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain; version=0.0.4", body = String))
)]
async fn metrics(State(app): State<App>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
        .into_response()
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
async fn openapi() -> Response {
    axum::Json(crate::openapi::served()).into_response()
}

/// The request vocabulary, scoped to the caller's role and station.
// The route's declaration (for the router and the OpenAPI document); `request` answers it.
#[utoipa::path(
    post,
    path = "/api/request",
    security(("bearer" = [])),
    request_body = Request,
    responses(
        (status = 200, description = "the answer", body = ApiResponse),
        (status = 400, description = "not a request of the vocabulary, or refused by its rules", body = ApiError),
        (status = 401, description = "no valid credential", body = ApiError),
        (status = 403, description = "the caller's role may not read this, or NOT_PERMITTED: the authority rule refuses this write for the caller", body = ApiError),
        (status = 404, description = "not found, or not visible to the caller", body = ApiError),
    )
)]
async fn api_request(State(app): State<App>, req: axum::extract::Request) -> Response {
    Handler::call(request, req, app).await
}

/// The automerge-repo sync WebSocket; the credential is checked before the upgrade.
// The route's declaration (for the router and the OpenAPI document); `ws::sync_ws` answers it.
#[utoipa::path(
    get,
    path = "/sync",
    security(("bearer" = [])),
    params((
        "token" = Option<String>, Query,
        description = "the credential, for clients that cannot set headers (browsers); prefer the Authorization header"
    )),
    responses(
        (status = 101, description = "switching protocols: automerge-repo sync, binary CBOR frames"),
        (status = 401, description = "no valid credential", body = ApiError),
    )
)]
async fn sync(State(app): State<App>, req: axum::extract::Request) -> Response {
    Handler::call(crate::ws::sync_ws, req, app).await
}

/// Which of these changes of one document the server has committed.
#[utoipa::path(
    post,
    path = "/api/receipts",
    security(("bearer" = [])),
    request_body = ReceiptsRequest,
    responses(
        (status = 200, description = "the committed hashes among those asked", body = ReceiptsResponse),
        (status = 400, description = "not the expected JSON", body = ApiError),
        (status = 401, description = "no valid credential", body = ApiError),
        (status = 404, description = "document unknown or not readable by the caller", body = ApiError),
        (status = 413, description = "more than 10,000 hashes", body = ApiError),
    )
)]
async fn receipts(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let p = caller(&app, &Method::POST, &headers).await?;
    let req: ReceiptsRequest = parse(&body)?;
    if req.hashes.len() > 10_000 {
        return Err(HttpError::new(
            ErrorCode::PayloadTooLarge,
            "一次查询的回执过多",
        ));
    }
    // A document the caller may not read answers like one that does not exist.
    if !app
        .acl
        .borrow()
        .access(&req.doc, &crate::policy::peer_id_of(&p))
        .can_read()
    {
        return Err(HttpError::new(ErrorCode::NotFound, "未找到该文档"));
    }
    let hashes: Vec<automerge::ChangeHash> =
        req.hashes.iter().filter_map(|h| h.parse().ok()).collect();
    let doc = req.doc;
    let committed = app
        .with_store(move |s| s.has_changes(&doc, &hashes))
        .await
        .ok_or_else(HttpError::internal)??;
    Ok(axum::Json(ReceiptsResponse {
        committed: committed.iter().map(ToString::to_string).collect(),
    })
    .into_response())
}

/// A delegate's device uploads a photo its demand names (the demand synced first: a photo no
/// demand of the station names is refused). The body is the image; its SHA-256 must be the name
/// in the path. Each device may upload `limits::MAX_PHOTO_BYTES_PER_DAY` a day. The photo belongs to the uploader's station (and to every other station
/// that uploads the same bytes) and is read under the station document's rule (`core::access`):
/// those stations' people and the office.
#[utoipa::path(
    put,
    path = "/api/photos/{hash}",
    security(("bearer" = [])),
    params(("hash" = String, Path, pattern = "^[0-9a-f]{64}$", description = "SHA-256 of the image bytes, lowercase hex")),
    request_body(
        description = "JPEG, PNG or WebP, at most 8 MB",
        content(("image/jpeg"), ("image/png"), ("image/webp"))
    ),
    responses(
        (status = 200, description = "stored (again: nothing changed)", body = PhotoStored),
        (status = 400, description = "INVALID_PHOTO: not an image, the bytes are not the name, or no demand of the uploader's station names it", body = ApiError),
        (status = 401, description = "no valid credential", body = ApiError),
        (status = 403, description = "not a delegate's device", body = ApiError),
        (status = 413, description = "larger than 8 MB"),
        (status = 429, description = "QUOTA_EXCEEDED: the device's photos today are over 1 GiB", body = ApiError),
    )
)]
async fn put_photo(
    State(app): State<App>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let p = caller(&app, &Method::PUT, &headers).await?;
    // Only a station's own devices add to it (the office writes decisions, not field photos).
    let Some(station) = p
        .station
        .clone()
        .filter(|s| access(&p, DocKind::Station, s.as_str(), &app.territory).can_write())
    else {
        return Err(HttpError::new(
            ErrorCode::Forbidden,
            "只有代表的设备可以上传照片",
        ));
    };
    let now = gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock);
    let (device, quota) = (p.device, app.config.photo_quota);
    let stored = app
        .with_store(move |s| s.accept_upload((&device, &station), &hash, &body, quota, now))
        .await
        .ok_or_else(HttpError::internal)??;
    Ok(axum::Json(PhotoStored { hash: stored }).into_response())
}

/// A photo, for whoever may read one of its stations' documents. Anyone else gets the answer a missing
/// photo gets, so names cannot be probed.
#[utoipa::path(
    get,
    path = "/api/photos/{hash}",
    security(("bearer" = [])),
    params(("hash" = String, Path, pattern = "^[0-9a-f]{64}$", description = "SHA-256 of the image bytes, lowercase hex")),
    responses(
        (status = 200, description = "the image", content(("image/jpeg"), ("image/png"), ("image/webp"))),
        (status = 401, description = "no valid credential", body = ApiError),
        (status = 404, description = "unknown, or not visible to the caller (the station document's read rule)", body = ApiError),
    )
)]
async fn get_photo(
    State(app): State<App>,
    Path(hash): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let p = caller(&app, &Method::GET, &headers).await?;
    let missing = || HttpError::new(ErrorCode::NotFound, "未找到该照片");
    if !gridvoice_core::capture::is_photo_hash(&hash) {
        return Err(missing());
    }
    let photo = app
        .with_store(move |s| s.photo(&hash))
        .await
        .ok_or_else(HttpError::internal)??
        .filter(|ph| {
            ph.stations
                .iter()
                .any(|st| access(&p, DocKind::Station, st.as_str(), &app.territory).can_read())
        })
        .ok_or_else(missing)?;
    Ok((
        [
            (header::CONTENT_TYPE, photo.mime),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_owned(),
            ),
        ],
        photo.bytes,
    )
        .into_response())
}

async fn request(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let p = caller(&app, &Method::POST, &headers).await?;
    let req: Request = parse(&body)?;
    let resp = crate::entry::serve(&app, &p, req).await?;
    Ok(axum::Json(resp).into_response())
}
