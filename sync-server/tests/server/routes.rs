//! The routes, as the router itself answers them, against the OpenAPI document: every route
//! (path and method) of the built router is documented, and every documented operation is routed.
//!
//! axum does not list a router's routes, so they are read from the router in two steps: its
//! paths from its `Debug` output (axum prints its path table there), then, for each path, its
//! methods from the `Allow` header of the 405 that a request with a method nobody routes gets.
//! Both steps fail loudly if axum ever stops answering this way.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use tower::ServiceExt;

use crate::app;

/// A route: (method, path as declared, e.g. `/api/photos/{hash}`).
pub type Route = (String, String);

/// The paths of the router's path table (nested fallbacks axum adds itself left out).
fn paths(router: &axum::Router) -> BTreeSet<String> {
    let debug = format!("{router:?}");
    // `Router { path_router: …, fallback_router: …, … }`: the routes are the first part's.
    let table = debug
        .split_once("path_router:")
        .and_then(|(_, rest)| rest.split_once("fallback_router:"))
        .map_or("", |(table, _)| table);
    // Entries of the path table print as `RouteId(3): "/api/photos/{hash}"` (the route table's
    // as `RouteId(3): MethodRouter(…)`).
    let paths: BTreeSet<String> = table
        .split("RouteId(")
        .skip(1)
        .filter_map(|rest| {
            let (id, after) = rest.split_once("): \"")?;
            id.chars().all(|c| c.is_ascii_digit()).then_some(())?;
            Some(after.split_once('"')?.0.to_owned())
        })
        .filter(|p| !p.contains("__private__axum"))
        .collect();
    assert!(
        !paths.is_empty(),
        "no paths found in the router's Debug output; has axum changed it?\n{debug}"
    );
    paths
}

/// A request path matching a declared path: each `{param}` becomes `probe`.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') && seg.ends_with('}') {
                "probe"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every (method, path) the router answers. `HEAD` is left out where `GET` is routed (axum
/// answers it with the `GET` handler).
pub async fn of(router: &axum::Router) -> BTreeSet<Route> {
    let nobody_routes_this = Method::from_bytes(b"PROBE").unwrap();
    let mut routes = BTreeSet::new();
    for path in paths(router) {
        let resp = router
            .clone()
            .oneshot(
                Request::builder()
                    .method(nobody_routes_this.clone())
                    .uri(concrete(&path))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{path} answers any method; a route must name its methods"
        );
        let allow = resp
            .headers()
            .get(header::ALLOW)
            .unwrap_or_else(|| panic!("{path}: 405 without an Allow header"))
            .to_str()
            .unwrap()
            .to_owned();
        let methods: BTreeSet<&str> = allow.split(',').map(str::trim).collect();
        for m in &methods {
            if *m == "HEAD" && methods.contains("GET") {
                continue;
            }
            routes.insert((m.to_string(), path.clone()));
        }
    }
    routes
}

/// Every (method, path) the OpenAPI document describes.
pub fn documented(doc: &serde_json::Value) -> BTreeSet<Route> {
    const METHODS: &[&str] = &[
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            if item.get(*m).is_some() {
                routes.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

fn document() -> serde_json::Value {
    serde_json::to_value(gridvoice_server::openapi::document()).unwrap()
}

#[tokio::test]
async fn every_route_of_the_router_is_in_the_openapi_document_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    gridvoice_server::init_data(dir.path(), &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let router = gridvoice_server::http::router(app(dir.path()).await);
    let routed = of(&router).await;
    let documented = documented(&document());
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the OpenAPI document: {undocumented:?}"
    );
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );
    // What the issue promises, so that the two cannot agree on losing a route.
    for (m, p) in [
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("POST", "/api/enrol"),
        ("POST", "/api/receipts"),
        ("POST", "/api/request"),
        ("PUT", "/api/photos/{hash}"),
        ("GET", "/api/photos/{hash}"),
        ("GET", "/sync"),
    ] {
        assert!(routed.contains(&(m.into(), p.into())), "{m} {p}");
    }
}

#[tokio::test]
async fn a_route_added_beside_the_declaration_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    gridvoice_server::init_data(dir.path(), &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let router = gridvoice_server::http::router(app(dir.path()).await)
        .route("/api/extra", axum::routing::delete(|| async { "x" }))
        .route(
            "/healthz/{deep}",
            axum::routing::get(|| async { "x" }).post(|| async { "y" }),
        );
    let routed = of(&router).await;
    let missing: BTreeSet<Route> = routed
        .difference(&documented(&document()))
        .cloned()
        .collect();
    let expected: BTreeSet<Route> = [
        ("DELETE", "/api/extra"),
        ("GET", "/healthz/{deep}"),
        ("POST", "/healthz/{deep}"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(missing, expected);
}

#[test]
fn the_document_carries_the_schemas_of_the_boundary_and_the_vocabulary() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "ApiError",
        "ErrorCode",
        "Credential",
        "EnrolRequest",
        "EnrolResponse",
        "ReceiptsRequest",
        "ReceiptsResponse",
        "Request",
        "Response",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    // Every request and response of the vocabulary appears, by its tag.
    let text = serde_json::to_string(&doc["components"]["schemas"]["Request"]).unwrap();
    for op in [
        "start_visit",
        "end_visit",
        "record_demand",
        "get_demand",
        "list_demands",
        "search",
        "attach_contact",
        "list_visits",
        "contacts_of",
    ] {
        assert!(
            text.contains(&format!("\"{op}\"")),
            "Request op {op}: {text}"
        );
    }
    let text = serde_json::to_string(&doc["components"]["schemas"]["Response"]).unwrap();
    for ty in [
        "visit",
        "visits",
        "demand",
        "demands",
        "contact_attached",
        "contacts",
    ] {
        assert!(
            text.contains(&format!("\"{ty}\"")),
            "Response type {ty}: {text}"
        );
    }
    // Error codes are listed by their stable names.
    let codes = serde_json::to_string(&doc["components"]["schemas"]["ErrorCode"]).unwrap();
    assert!(codes.contains("\"USE_SYNC\"") && codes.contains("\"ENROLMENT_INVALID\""));
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
