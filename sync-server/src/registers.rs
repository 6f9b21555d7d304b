//! The registers 三簿一册 as workbooks: `GET /api/registers/{kind}/xlsx?from=&to=` (and `station=`
//! for the office, `delegate=` for a duty book); and the territory the station pages draw
//! (`GET /api/territory`). The register itself comes from the one request
//! service (`Request::Register`, also answered as JSON on `/api/request` for the screen), so who
//! may read which register, and which residents' contacts it shows, is decided there.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use gridvoice_core::ErrorCode;
use gridvoice_core::api::{ApiError, Request, Response as ApiResponse};
use gridvoice_core::register::{RegisterKind, RegisterRequest};

use crate::App;
use crate::http::{HttpError, caller};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A register for a period, as an XLSX workbook laid out the way offices file it.
#[utoipa::path(
    get,
    path = "/api/registers/{kind}/xlsx",
    security(("bearer" = [])),
    params(
        ("kind" = String, Path, description = "visits | opinions | suggestions | duty_book"),
        ("from" = String, Query, description = "first day, YYYY-MM-DD (Beijing time)"),
        ("to" = String, Query, description = "last day, YYYY-MM-DD, inclusive"),
        ("station" = Option<String>, Query, description = "the station (office only; a station's people get their own)"),
        ("delegate" = Option<String>, Query, description = "whose duty book (a delegate's own when left out)"),
    ),
    responses(
        (status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, description = "bad period (INVALID_DATE), nothing in it (EMPTY_PERIOD), unknown kind, missing station", body = ApiError),
        (status = 401, description = "no valid credential or session", body = ApiError),
        (status = 403, description = "a register this person may not read", body = ApiError),
    )
)]
pub(crate) async fn register_xlsx(
    State(app): State<App>,
    Path(kind): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    let who = caller(&app, &Method::GET, &headers).await?;
    let kind = RegisterKind::parse(&kind).ok_or_else(|| {
        HttpError::new(
            ErrorCode::NotFound,
            "没有这种登记簿（可选：visits、opinions、suggestions、duty_book）",
        )
    })?;
    let field = |name: &'static str| -> Result<String, HttpError> {
        q.get(name)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                HttpError::from(ApiError::from(gridvoice_core::Error::MissingField {
                    field: name,
                }))
            })
    };
    let req = RegisterRequest {
        kind,
        station: q
            .get("station")
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str().into()),
        delegate: q
            .get("delegate")
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str().into()),
        from: field("from")?,
        to: field("to")?,
    };
    let name = format!("{}_{}_{}.xlsx", kind.title(), req.from, req.to);
    let ApiResponse::Register(register) =
        crate::entry::serve(&app, &who, Request::Register(req)).await?
    else {
        return Err(HttpError::internal());
    };
    let bytes = tokio::task::spawn_blocking(move || gridvoice_xlsx::workbook(&register))
        .await
        .map_err(|_| HttpError::internal())?
        .map_err(|_| {
            // The error's text may quote a cell (a resident's words): the log names only the kind.
            tracing::error!(
                kind = kind.code(),
                "a register's workbook could not be written"
            );
            HttpError::internal()
        })?;
    let disposition = format!(
        "attachment; filename=\"register.xlsx\"; filename*=UTF-8''{}",
        percent_encode(&name)
    );
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// RFC 5987 encoding of a file name: unreserved characters as they are, every other byte as %XX.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_chinese_file_name_is_percent_encoded_byte_by_byte() {
        assert_eq!(
            super::percent_encode("簿_2026-11.xlsx"),
            "%E7%B0%BF_2026-11.xlsx"
        );
    }
}

/// The territory: the public layout of stations, grids, delegates, workrooms and handling units,
/// for the station and office pages that name and draw them (devices receive it at enrolment).
#[utoipa::path(
    get,
    path = "/api/territory",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the territory (stations, grids with boundaries, delegates, workrooms, handling units)", body = Object),
        (status = 401, description = "no valid credential or session", body = ApiError),
    )
)]
pub(crate) async fn territory(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    app.metrics.http_requests.inc();
    caller(&app, &Method::GET, &headers).await?;
    Ok(axum::Json(&*app.territory).into_response())
}
