//! What the server takes in a request's body: each route's size limit (the JSON routes, a photo,
//! a territory upload), refused one byte over with the API's `PAYLOAD_TOO_LARGE` and taken at the
//! limit; and the office's territory check.

use axum::http::StatusCode;
use gridvoice_core::access::Role;
use gridvoice_core::capture::MAX_PHOTO_BYTES;
use gridvoice_core::ids::StationId;
use gridvoice_core::limits::{MAX_BODY_BYTES, MAX_TERRITORY_BYTES};

use crate::{app, call, call_with, enrol, staff};

/// A JSON body of exactly `size` bytes: a search for a run of 'x'.
fn search_of(size: usize) -> String {
    let frame = r#"{"op":"search","query":""}"#;
    format!(
        r#"{{"op":"search","query":"{}"}}"#,
        "x".repeat(size - frame.len())
    )
}

#[tokio::test]
async fn each_body_one_byte_over_its_limit_is_refused_and_at_the_limit_is_read() {
    let dir = tempfile::tempdir().unwrap();
    gridvoice_server::init_data(dir.path(), &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let office = enrol(
        dir.path(),
        "office",
        staff("office-1"),
        Role::Office,
        None,
        5,
    );
    let wang = enrol(
        dir.path(),
        "wang",
        gridvoice_core::access::Person::Delegate("D01".into()),
        Role::Delegate,
        Some(StationId::new("S01")),
        6,
    );
    let router = gridvoice_server::http::router(app(dir.path()).await);
    let too_large = |status: StatusCode, body: &serde_json::Value| {
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert_eq!(
            body["code"], "PAYLOAD_TOO_LARGE",
            "the API's own error: {body}"
        );
    };

    // A request's JSON: 1 MiB.
    let (status, body) = call(
        &router,
        "POST",
        "/api/request",
        &office,
        &search_of(MAX_BODY_BYTES + 1),
    )
    .await;
    too_large(status, &body);
    let (status, body) = call(
        &router,
        "POST",
        "/api/request",
        &office,
        &search_of(MAX_BODY_BYTES),
    )
    .await;
    assert_ne!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "read, and its words are over the limit: {body}"
    );

    // A photo: 8 MiB. At the limit it is read (and refused as no demand names it).
    let photo = |size: usize| {
        let mut b = b"RIFF\x20\0\0\0WEBPVP8 ".to_vec();
        b.resize(size, 7);
        b
    };
    let path = format!("/api/photos/{}", "a".repeat(64));
    let (status, body) = call_with(
        &router,
        "PUT",
        &path,
        &wang,
        "image/webp",
        photo(MAX_PHOTO_BYTES + 1),
    )
    .await;
    too_large(status, &body);
    let (status, body) = call_with(
        &router,
        "PUT",
        &path,
        &wang,
        "image/webp",
        photo(MAX_PHOTO_BYTES),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "INVALID_PHOTO", "{body}");

    // A territory upload: 16 MiB. At the limit it is read (and is not a territory).
    let upload = |size: usize| {
        let frame = r#"{"street":""}"#;
        format!(r#"{{"street":"{}"}}"#, "x".repeat(size - frame.len()))
    };
    let (status, body) = call(
        &router,
        "POST",
        "/api/admin/territory",
        &office,
        &upload(MAX_TERRITORY_BYTES + 1),
    )
    .await;
    too_large(status, &body);
    let (status, body) = call(
        &router,
        "POST",
        "/api/admin/territory",
        &office,
        &upload(MAX_TERRITORY_BYTES),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_ne!(body["code"], "PAYLOAD_TOO_LARGE", "{body}");
}

/// The office checks the street's territory files before installing them: the demo's pass with
/// their counts; the same files with one grid dragged over its neighbour are refused with the
/// grids named, and nothing is installed; then the good files are installed.
#[tokio::test]
async fn the_office_checks_a_territory_and_installs_it_only_when_it_passes() {
    let dir = tempfile::tempdir().unwrap();
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(dir.path(), &t).unwrap();
    let office = enrol(
        dir.path(),
        "office",
        staff("office-01"),
        Role::Office,
        None,
        5,
    );
    let router = gridvoice_server::http::router(app(dir.path()).await);
    let files = gridvoice_core::geography::geojson::export_files(&t);
    let upload = |grids: &str| {
        serde_json::json!({
            "street": files.street, "communities": files.communities,
            "quarters": files.quarters, "grids": grids, "stations": files.stations,
            "organisation": files.organisation,
        })
        .to_string()
    };
    let (status, report) = call(
        &router,
        "POST",
        "/api/admin/territory",
        &office,
        &upload(&files.grids),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["grids"], t.grids.len());
    assert_eq!(report["stations"], t.stations.len());
    assert_eq!(report["installed"], false, "a check installs nothing");

    // One grid moved onto its neighbour: its first corner shifted by a few hundred metres.
    let mut grids: serde_json::Value = serde_json::from_str(&files.grids).unwrap();
    let ring = &mut grids["features"][0]["geometry"]["coordinates"][0];
    let n = ring.as_array().unwrap().len();
    for i in [0, n - 1] {
        let lon = ring[i][0].as_f64().unwrap();
        ring[i][0] = serde_json::json!(lon + 0.004);
    }
    let (status, report) = call(
        &router,
        "POST",
        "/api/admin/territory?install=true",
        &office,
        &upload(&grids.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{report}");
    assert_eq!(report["installed"], false);
    let problems = report["problems"].as_array().unwrap();
    let first = t.grids[0].id.to_string();
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().is_some_and(|p| p.contains(&first))),
        "the moved grid is named: {problems:?}"
    );

    let (status, report) = call(
        &router,
        "POST",
        "/api/admin/territory?install=true",
        &office,
        &upload(&files.grids),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["installed"], true);
}
