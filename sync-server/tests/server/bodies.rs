//! What the server takes in a request's body: each route's size limit (the JSON routes, a photo,
//! a territory upload), refused one byte over with the API's `PAYLOAD_TOO_LARGE` and taken at the
//! limit; and the office's territory check.

use axum::http::StatusCode;
use gridvoice_core::access::Role;
use gridvoice_core::capture::MAX_PHOTO_BYTES;
use gridvoice_core::ids::StationId;
use gridvoice_core::limits::{MAX_BODY_BYTES, MAX_TERRITORY_BYTES};

use crate::{app, call, call_with, enrol, staff};

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

    // (what, method, path, who, content type, a body of n bytes, its limit, the code at the limit)
    type Body = Box<dyn Fn(usize) -> Vec<u8>>;
    let padded = |head: &'static str, tail: &'static str| -> Body {
        Box::new(move |n| {
            format!("{head}{}{tail}", "x".repeat(n - head.len() - tail.len())).into_bytes()
        })
    };
    let photo: Body = Box::new(|n| {
        let mut b = b"RIFF\x20\0\0\0WEBPVP8 ".to_vec();
        b.resize(n, 7);
        b
    });
    let photo_path = format!("/api/photos/{}", "a".repeat(64));
    let cases: Vec<(&str, &str, &str, _, &str, Body, usize, Option<&str>)> = vec![
        // A search of a million characters: read, and its words are over their limit.
        (
            "a request's JSON",
            "POST",
            "/api/request",
            &office,
            "application/json",
            padded(r#"{"op":"search","query":""#, r#""}"#),
            MAX_BODY_BYTES,
            Some("TEXT_TOO_LONG"),
        ),
        // A photo no demand names.
        (
            "a photo",
            "PUT",
            photo_path.as_str(),
            &wang,
            "image/webp",
            photo,
            MAX_PHOTO_BYTES,
            Some("INVALID_PHOTO"),
        ),
        // Not a territory.
        (
            "a territory upload",
            "POST",
            "/api/admin/territory",
            &office,
            "application/json",
            padded(r#"{"street":""#, r#""}"#),
            MAX_TERRITORY_BYTES,
            None,
        ),
    ];
    for (what, method, path, who, content_type, body_of, limit, code_at_limit) in cases {
        let (status, body) =
            call_with(&router, method, path, who, content_type, body_of(limit + 1)).await;
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{what} one byte over: {body}"
        );
        assert_eq!(
            body["code"], "PAYLOAD_TOO_LARGE",
            "{what}: the API's own error: {body}"
        );
        let (status, body) =
            call_with(&router, method, path, who, content_type, body_of(limit)).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{what} at the limit is read: {body}"
        );
        match code_at_limit {
            Some(code) => assert_eq!(body["code"], code, "{what}: {body}"),
            None => assert_ne!(body["code"], "PAYLOAD_TOO_LARGE", "{what}: {body}"),
        }
    }
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
