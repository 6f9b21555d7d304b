//! "The office gives the head a one-time code; the browser redeems it for a session": 王建国
//! (D01), head of station S01, signs in at the station's computer. The session lives in an
//! `HttpOnly`, `SameSite=Strict` cookie; a page of another site cannot use it (no CSRF header, or
//! a foreign `Origin`); the office sees it with the devices and revokes it, at once; unused for a
//! week it ends; signing out ends it.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gridvoice_core::access::{Person, Role};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::ids::StationId;
use gridvoice_server::auth::{AuthDb, SESSION_IDLE_MS};
use gridvoice_server::auth_path;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::app;

/// A browser's request: its cookie, whether a page of ours marked it, and where it says it
/// comes from.
struct Browser<'a> {
    cookie: Option<&'a str>,
    marked: bool,
    origin: Option<&'a str>,
}

async fn send(
    router: &axum::Router,
    method: &str,
    path: &str,
    b: &Browser<'_>,
    body: &str,
) -> (StatusCode, Option<String>, serde_json::Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "station.example:8080")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(c) = b.cookie {
        req = req.header(header::COOKIE, format!("theme=light; gv_session={c}"));
    }
    if b.marked {
        req = req.header("x-gridvoice-csrf", "1");
    }
    if let Some(o) = b.origin {
        req = req.header(header::ORIGIN, o);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let set_cookie = resp
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, set_cookie, json)
}

const OURS: Option<&str> = Some("http://station.example:8080");

#[tokio::test]
async fn the_head_signs_in_with_a_code_and_other_sites_cannot_use_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(dir.path(), &t).unwrap();
    let auth = AuthDb::open(&auth_path(dir.path())).unwrap();
    let code = || {
        auth.create_enrolment(
            &Person::Delegate("D01".into()),
            Role::StationHead,
            Some(&StationId::new("S01")),
            Timestamp(0),
            i64::MAX / 4,
        )
        .unwrap()
    };
    let router = gridvoice_server::http::router(app(dir.path()).await);
    let fresh = Browser {
        cookie: None,
        marked: true,
        origin: OURS,
    };

    // A code typed into another site's page does not sign this browser in.
    let first = code();
    let body = format!(r#"{{"code":"{first}","name":"东菜园工作站电脑"}}"#);
    let forged = Browser {
        cookie: None,
        marked: false,
        origin: Some("https://evil.example"),
    };
    let (status, set, json) = send(&router, "POST", "/api/session", &forged, &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{json}");
    assert_eq!(json["code"], "CROSS_SITE");
    assert!(set.is_none());

    // At the station's computer: signed in, the credential only in the cookie.
    let (status, set, json) = send(&router, "POST", "/api/session", &fresh, &body).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["role"], "station_head");
    assert_eq!(json["station"], "S01");
    assert_eq!(json["idle_days"], 7);
    let set = set.expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=604800"] {
        assert!(set.contains(flag), "{flag} missing from {set}");
    }
    let credential = set
        .strip_prefix("gv_session=")
        .and_then(|s| s.split(';').next())
        .unwrap()
        .to_owned();
    assert!(credential.len() > 32);
    assert!(
        !json.to_string().contains(&credential),
        "the body never holds it"
    );
    // The code was for one session only.
    let (status, _, json) = send(&router, "POST", "/api/session", &fresh, &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json["code"], "ENROLMENT_USED");

    let signed_in = Browser {
        cookie: Some(&credential),
        marked: true,
        origin: OURS,
    };
    let (status, _, json) = send(&router, "GET", "/api/session", &signed_in, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["person"]["kind"], "delegate");
    assert_eq!(json["person"]["id"], "D01");

    // He reads and decides through the one request service, from the station's pages.
    let list = r#"{"op":"list_demands"}"#;
    let (status, _, json) = send(&router, "POST", "/api/request", &signed_in, list).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["type"], "demands");
    // A form or script of another site that rides on the cookie is refused: without the page's
    // header, or with the header but another site's origin.
    for other in [
        Browser {
            cookie: Some(&credential),
            marked: false,
            origin: None,
        },
        Browser {
            cookie: Some(&credential),
            marked: true,
            origin: Some("https://evil.example"),
        },
        Browser {
            cookie: Some(&credential),
            marked: true,
            origin: Some("http://station.example:9999"),
        },
    ] {
        let (status, _, json) = send(&router, "POST", "/api/request", &other, list).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{json}");
        assert_eq!(json["code"], "CROSS_SITE");
    }

    // The office lists the session with the devices, as a browser, and revokes it: at once.
    let listed = auth.devices().unwrap();
    let row = listed
        .iter()
        .find(|d| d.name == "东菜园工作站电脑")
        .expect("the session is listed");
    assert!(row.browser);
    assert_eq!(row.role, Role::StationHead);
    auth.revoke(&row.device, Timestamp(2)).unwrap();
    let (status, _, json) = send(&router, "POST", "/api/request", &signed_in, list).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");

    // A new session, left unused for longer than a week, has ended; used within it, it has not.
    let second = code();
    let body = format!(r#"{{"code":"{second}"}}"#);
    let (status, set, _) = send(&router, "POST", "/api/session", &fresh, &body).await;
    assert_eq!(status, StatusCode::OK);
    let again = set
        .unwrap()
        .strip_prefix("gv_session=")
        .and_then(|s| s.split(';').next())
        .unwrap()
        .to_owned();
    let now = gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock);
    assert!(
        auth.authenticate_at(&again, Timestamp(now.0 + SESSION_IDLE_MS / 2))
            .unwrap()
            .is_some()
    );
    assert!(
        auth.authenticate_at(
            &again,
            Timestamp(now.0 + SESSION_IDLE_MS / 2 + SESSION_IDLE_MS + 1)
        )
        .unwrap()
        .is_none()
    );

    // Signing out: the cookie is cleared and the session is over.
    let third = code();
    let body = format!(r#"{{"code":"{third}"}}"#);
    let (_, set, _) = send(&router, "POST", "/api/session", &fresh, &body).await;
    let cred = set
        .unwrap()
        .strip_prefix("gv_session=")
        .and_then(|s| s.split(';').next())
        .unwrap()
        .to_owned();
    let me = Browser {
        cookie: Some(&cred),
        marked: true,
        origin: OURS,
    };
    let (status, set, _) = send(&router, "DELETE", "/api/session", &me, "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(set.unwrap().contains("Max-Age=0"));
    let (status, _, _) = send(&router, "GET", "/api/session", &me, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
