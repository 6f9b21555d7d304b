//! Administration for the office's pages, the same as the admin commands do (which stay):
//! one-time enrolment codes with a QR code to print (`POST /api/admin/enrolments`), the devices
//! and browser sessions (`GET /api/admin/devices`), revocation at once
//! (`POST /api/admin/devices/{device}/revoke`), a territory checked with its report and
//! installed (`POST /api/admin/territory`), the working-day calendar and the time limits
//! (`POST /api/admin/calendar`, `/api/admin/policy`). Office staff and admins only; an admin's code is
//! made by an admin. Codes are never logged.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use gridvoice_core::ErrorCode;
use gridvoice_core::access::{Person, Principal, Role};
use gridvoice_core::api::ApiError;
use gridvoice_core::boundary::{
    DeviceEntry, Enrolment, FileReport, FileUpload, NewEnrolment, TerritoryReport, TerritoryUpload,
};
use gridvoice_core::ids::{DelegateId, DeviceId, StaffId};

use crate::App;
use crate::http::{HttpError, caller, parse};

/// Longest a code may stay valid.
const MAX_TTL_HOURS: u32 = 30 * 24;

fn administrator(who: &Principal) -> Result<(), HttpError> {
    if matches!(who.role, Role::Office | Role::Admin) {
        Ok(())
    } else {
        Err(HttpError::new(
            ErrorCode::Forbidden,
            "只有代表工作室可以管理绑定码和设备",
        ))
    }
}

/// A one-time enrolment code for a delegate, a station head or a staff member, with its QR code.
#[utoipa::path(
    post,
    path = "/api/admin/enrolments",
    security(("bearer" = [])),
    request_body = NewEnrolment,
    responses(
        (status = 200, description = "the code, shown this once, with its QR code", body = Enrolment),
        (status = 400, description = "unknown delegate, a role that does not fit the person, a validity out of range", body = ApiError),
        (status = 401, description = "no valid credential or session", body = ApiError),
        (status = 403, description = "not office staff or an admin (an admin's code: not an admin)", body = ApiError),
    )
)]
pub(crate) async fn create_enrolment(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let who = caller(&app, &Method::POST, &headers).await?;
    administrator(&who)?;
    let req: NewEnrolment = parse(&body)?;
    let t = &app.territory;
    let bad = |m: &str| HttpError::new(ErrorCode::BadRequest, m);
    fn trimmed(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    let (person, station, who_words) = match (
        trimmed(req.delegate.as_deref()),
        trimmed(req.staff.as_deref()),
    ) {
        (Some(d), None) => {
            let del = t.delegate(&DelegateId::new(d)).ok_or_else(|| {
                HttpError::from(ApiError::from(gridvoice_core::Error::UnknownDelegate(
                    d.to_owned(),
                )))
            })?;
            if !matches!(req.role, Role::Delegate | Role::StationHead) {
                return Err(bad("代表只能以“代表”或“站长”身份绑定"));
            }
            let station = t.station(&del.station).map(|s| s.name.clone());
            (
                Person::Delegate(del.id.clone()),
                Some(del.station.clone()),
                format!(
                    "{} · {} · {}",
                    del.name,
                    req.role.zh(),
                    station.unwrap_or_default()
                ),
            )
        }
        (None, Some(s)) => {
            if !matches!(req.role, Role::Office | Role::Admin) {
                return Err(bad("工作人员只能以“代表工作室”或“管理员”身份绑定"));
            }
            if req.role == Role::Admin && who.role != Role::Admin {
                return Err(HttpError::new(
                    ErrorCode::Forbidden,
                    "管理员的绑定码只能由管理员生成",
                ));
            }
            (
                Person::Staff(StaffId::new(s)),
                None,
                format!("{s} · {}", req.role.zh()),
            )
        }
        _ => return Err(bad("请选择一位代表，或填写工作人员编号（二者选一）")),
    };
    let hours = req.ttl_hours.unwrap_or(72);
    if hours == 0 || hours > MAX_TTL_HOURS {
        return Err(bad("有效期应在 1 小时到 30 天之间"));
    }
    let now = gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock);
    let ttl = i64::from(hours) * 3_600_000;
    let auth = app.auth.clone();
    let (p2, s2) = (person.clone(), station.clone());
    let code = tokio::task::spawn_blocking(move || {
        auth.create_enrolment(&p2, req.role, s2.as_ref(), now, ttl)
    })
    .await
    .map_err(|_| HttpError::internal())?
    .map_err(|_| HttpError::internal())?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let payload =
        serde_json::json!({ "server": format!("http://{host}"), "code": code }).to_string();
    let qr = qrcode::QrCode::new(payload.as_bytes()).map_err(|_| HttpError::internal())?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    tracing::info!(role = req.role.code(), "enrolment code made");
    Ok(axum::Json(Enrolment {
        code,
        who: who_words,
        expires_at: now.0 + ttl,
        payload,
        qr_svg,
    })
    .into_response())
}

/// Every device and browser session, newest first, with who holds it.
#[utoipa::path(
    get,
    path = "/api/admin/devices",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the devices and sessions", body = Vec<DeviceEntry>),
        (status = 401, description = "no valid credential or session", body = ApiError),
        (status = 403, description = "not office staff or an admin", body = ApiError),
    )
)]
pub(crate) async fn devices(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let who = caller(&app, &Method::GET, &headers).await?;
    administrator(&who)?;
    let auth = app.auth.clone();
    let rows = tokio::task::spawn_blocking(move || auth.devices())
        .await
        .map_err(|_| HttpError::internal())?
        .map_err(|_| HttpError::internal())?;
    let t = &app.territory;
    let mut out: Vec<DeviceEntry> = rows
        .into_iter()
        .map(|d| {
            let (person, name) = match &d.person {
                Person::Delegate(x) => (
                    x.to_string(),
                    t.delegate(x)
                        .map_or_else(|| x.to_string(), |del| del.name.clone()),
                ),
                Person::Staff(x) => (x.to_string(), x.to_string()),
            };
            DeviceEntry {
                device: d.device,
                browser: d.browser,
                person,
                name,
                role: d.role,
                station: d.station.map(|s| s.to_string()),
                device_name: d.name,
                enrolled_at: d.enrolled_at.0,
                revoked_at: d.revoked_at.map(|r| r.0),
            }
        })
        .collect();
    out.reverse();
    Ok(axum::Json(out).into_response())
}

/// Revokes a device or session at once: its syncs and requests end.
#[utoipa::path(
    post,
    path = "/api/admin/devices/{device}/revoke",
    security(("bearer" = [])),
    params(("device" = String, Path, description = "the device's id")),
    responses(
        (status = 200, description = "revoked"),
        (status = 401, description = "no valid credential or session", body = ApiError),
        (status = 403, description = "not office staff or an admin", body = ApiError),
        (status = 404, description = "no such active device", body = ApiError),
    )
)]
pub(crate) async fn revoke(
    State(app): State<App>,
    Path(device): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let who = caller(&app, &Method::POST, &headers).await?;
    administrator(&who)?;
    let device: DeviceId = device
        .parse()
        .map_err(|_| HttpError::new(ErrorCode::InvalidId, "设备编号格式不正确"))?;
    let (auth, a) = (app.auth.clone(), app.clone());
    let now = gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock);
    let done = tokio::task::spawn_blocking(move || {
        let done = auth.revoke(&device, now);
        // Its open syncs and event streams end now, not at the next poll of the device table.
        if a.refresh_devices().is_err() {
            tracing::warn!("device table not re-read after a revocation");
        }
        done
    })
    .await
    .map_err(|_| HttpError::internal())?
    .map_err(|_| HttpError::internal())?;
    if !done {
        return Err(HttpError::new(ErrorCode::NotFound, "没有这台在用的设备"));
    }
    Ok(axum::Json(serde_json::json!({ "revoked": true })).into_response())
}

/// Checks a territory's files and, with `?install=true`, makes it the server's territory (new
/// stations' and delegates' documents made; the running server counts on it from its next
/// start, as after `gridvoice-server import-territory`). A territory with any problem is
/// answered with every problem and installs nothing.
#[utoipa::path(
    post,
    path = "/api/admin/territory",
    security(("bearer" = [])),
    params(("install" = Option<bool>, Query, description = "install it when it passes (default: check only)")),
    request_body = TerritoryUpload,
    responses(
        (status = 200, description = "passed (and installed when asked)", body = TerritoryReport),
        (status = 400, description = "the report of every problem (INVALID_TERRITORY): nothing installed", body = TerritoryReport),
        (status = 401, description = "no valid credential or session", body = ApiError),
        (status = 403, description = "not office staff or an admin", body = ApiError),
    )
)]
pub(crate) async fn territory(
    State(app): State<App>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let who = caller(&app, &Method::POST, &headers).await?;
    administrator(&who)?;
    let up: TerritoryUpload = parse(&body)?;
    let install = q.get("install").is_some_and(|v| v == "true" || v == "1");
    let data = app.config.data_dir.clone();
    let report = tokio::task::spawn_blocking(move || -> Result<TerritoryReport, HttpError> {
        let files = gridvoice_core::geography::geojson::TerritoryFiles {
            street: &up.street,
            communities: &up.communities,
            quarters: up.quarters.as_deref(),
            grids: &up.grids,
            stations: &up.stations,
            organisation: &up.organisation,
        };
        let datum = if up.gcj02 {
            gridvoice_core::geography::gcj02::Datum::Gcj02
        } else {
            gridvoice_core::geography::gcj02::Datum::Wgs84
        };
        let t = match gridvoice_core::geography::geojson::territory_from_files(&files, datum) {
            Ok(t) => t,
            Err(gridvoice_core::Error::InvalidTerritory(p)) => {
                return Ok(TerritoryReport {
                    problems: p.split("; ").map(str::to_owned).collect(),
                    ..TerritoryReport::default()
                });
            }
            Err(e) => {
                return Ok(TerritoryReport {
                    problems: vec![e.message_zh()],
                    ..TerritoryReport::default()
                });
            }
        };
        let mut report = TerritoryReport {
            installed: false,
            grids: t.grids.len(),
            communities: t.communities.len(),
            quarters: t.quarters.len(),
            stations: t.stations.len(),
            delegates: t.delegates.len(),
            units: t.handling_units.len(),
            problems: Vec::new(),
        };
        if install {
            // As the admin command does: another connection to the store file, so the running
            // server's documents and rule keep one territory until it restarts.
            let mut store = gridvoice_store::Store::open(crate::store_path(&data))
                .map_err(|_| HttpError::internal())?;
            store
                .set_server_territory(t.clone())
                .and_then(|()| store.seed_documents(&t))
                .map_err(|_| HttpError::internal())?;
            report.installed = true;
            tracing::info!(
                grids = report.grids,
                "territory installed (from the next start)"
            );
        }
        Ok(report)
    })
    .await
    .map_err(|_| HttpError::internal())??;
    let status = if report.problems.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    };
    Ok((status, axum::Json(report)).into_response())
}

/// Which of the office's files a request installs.
#[derive(Debug, Clone, Copy)]
enum OfficeFile {
    Calendar,
    Policy,
}

/// Checks an office's file and, when it passes, installs it (from the server's next start), as
/// `gridvoice-server calendar FILE` and `policy FILE` do; every problem in Chinese otherwise.
async fn install_file(
    app: App,
    headers: HeaderMap,
    body: Bytes,
    which: OfficeFile,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let who = caller(&app, &Method::POST, &headers).await?;
    administrator(&who)?;
    let up: FileUpload = parse(&body)?;
    let data = app.config.data_dir.clone();
    let report = tokio::task::spawn_blocking(move || match which {
        OfficeFile::Calendar => match crate::import_calendar(&data, &up.text) {
            Ok(c) => Ok(FileReport {
                installed: true,
                summary: format!(
                    "工作日历已更新：{}–{} 年，重启服务后生效",
                    c.years().start(),
                    c.years().end()
                ),
                problems: Vec::new(),
            }),
            Err(crate::Error::Calendar(ps)) => Ok(FileReport {
                problems: ps.iter().map(ToString::to_string).collect(),
                ..FileReport::default()
            }),
            Err(_) => Err(HttpError::internal()),
        },
        OfficeFile::Policy => match crate::import_policy(&data, &up.text) {
            Ok(p) => Ok(FileReport {
                installed: true,
                summary: format!(
                    "时限规定已更新：默认 {:?} 个工作日，{} 条规则，重启服务后生效",
                    p.default,
                    p.rules.len()
                ),
                problems: Vec::new(),
            }),
            Err(crate::Error::Policy(ps)) => Ok(FileReport {
                problems: ps,
                ..FileReport::default()
            }),
            Err(_) => Err(HttpError::internal()),
        },
    })
    .await
    .map_err(|_| HttpError::internal())??;
    let status = if report.installed {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    };
    Ok((status, axum::Json(report)).into_response())
}

/// The office's working-day calendar (`date,type,name` lines), checked whole and installed.
#[utoipa::path(
    post,
    path = "/api/admin/calendar",
    security(("bearer" = [])),
    request_body = FileUpload,
    responses(
        (status = 200, description = "installed, from the next start", body = FileReport),
        (status = 400, description = "every problem by line; nothing installed", body = FileReport),
        (status = 401, description = "no valid credential or session", body = ApiError),
        (status = 403, description = "not office staff or an admin", body = ApiError),
    )
)]
pub(crate) async fn calendar(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    install_file(app, headers, body, OfficeFile::Calendar).await
}

/// The office's time limits per stage (JSON), checked whole and installed.
#[utoipa::path(
    post,
    path = "/api/admin/policy",
    security(("bearer" = [])),
    request_body = FileUpload,
    responses(
        (status = 200, description = "installed, from the next start", body = FileReport),
        (status = 400, description = "every problem; nothing installed", body = FileReport),
        (status = 401, description = "no valid credential or session", body = ApiError),
        (status = 403, description = "not office staff or an admin", body = ApiError),
    )
)]
pub(crate) async fn policy(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    install_file(app, headers, body, OfficeFile::Policy).await
}
