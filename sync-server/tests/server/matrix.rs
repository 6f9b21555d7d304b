//! The authorisation matrix: every HTTP route and every request type × every role → the expected
//! outcome. A route the router has (read from the router itself, `routes::of`) but the matrix
//! lacks fails the test.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use gridvoice_core::access::{Person, Role};

use crate::{Who, app, call, deliver, device, enrol, record, record_with, staff, station_doc};

#[tokio::test]
async fn every_route_and_request_answers_each_role_as_the_rules_say() {
    let dir = tempfile::tempdir().unwrap();
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(dir.path(), &t).unwrap();
    // Station A is S01 (delegates D01, D02, D03); station B is another station.
    let b_delegate = t
        .delegates
        .iter()
        .find(|d| d.station.as_str() != "S01")
        .unwrap();
    let b_station = b_delegate.station.clone();

    let d = dir.path();
    let del_a = enrol(
        d,
        "delegate A",
        Person::Delegate("D01".into()),
        Role::Delegate,
        Some("S01".into()),
        1,
    );
    let del_a2 = enrol(
        d,
        "delegate A2",
        Person::Delegate("D03".into()),
        Role::Delegate,
        Some("S01".into()),
        2,
    );
    let head_a = enrol(
        d,
        "head A",
        Person::Delegate("D02".into()),
        Role::StationHead,
        Some("S01".into()),
        3,
    );
    let del_b = enrol(
        d,
        "delegate B",
        Person::Delegate(b_delegate.id.clone()),
        Role::Delegate,
        Some(b_station.clone()),
        4,
    );
    let office = enrol(d, "office", staff("office-1"), Role::Office, None, 5);
    let admin = enrol(d, "admin", staff("admin-1"), Role::Admin, None, 6);
    let revoked = enrol(
        d,
        "revoked",
        Person::Delegate("D01".into()),
        Role::Delegate,
        Some("S01".into()),
        7,
    );
    gridvoice_server::auth::AuthDb::open(&gridvoice_server::auth_path(d))
        .unwrap()
        .revoke(
            &revoked.principal.as_ref().unwrap().device,
            gridvoice_core::clock::Timestamp(2),
        )
        .unwrap();
    let anon = Who {
        label: "anonymous",
        credential: None,
        principal: None,
    };
    let forged = Who {
        label: "forged",
        credential: Some("gv1.00ff".into()),
        principal: None,
    };

    // D01 records two demands (one with a resident's contact) and B's delegate one.
    let mut a_dev = device(&t, "D01", 11);
    let a1 = record(
        &mut a_dev,
        "3号楼电梯停运",
        &t.delegate(&"D01".into()).unwrap().grids[0].to_string(),
        Some(("刘大妈", "13912345678")),
    );
    // The second names a photo of the broken lamp (WebP by its header; ASCII, so it travels as
    // this test's text body): the one photo the server takes from A's devices.
    let photo = "RIFF\u{20}\0\0\0WEBPVP8 a photo of the broken lamp";
    let named = a_dev
        .put_photo(photo.as_bytes(), None, gridvoice_core::clock::Timestamp(1))
        .unwrap();
    record_with(
        &mut a_dev,
        "小区停车难",
        &t.delegate(&"D01".into()).unwrap().grids[0].to_string(),
        None,
        vec![named],
    );
    deliver(&mut a_dev, d);
    // B's delegate was sent the same picture and names it too.
    let mut b_dev = device(&t, b_delegate.id.as_str(), 12);
    let forwarded = b_dev
        .put_photo(photo.as_bytes(), None, gridvoice_core::clock::Timestamp(1))
        .unwrap();
    record_with(
        &mut b_dev,
        "西门路灯不亮",
        &b_delegate.grids[0].to_string(),
        None,
        vec![forwarded],
    );
    deliver(&mut b_dev, d);

    let app = app(d).await;
    let router = gridvoice_server::http::router(app);

    let everyone = [
        &del_a, &del_a2, &head_a, &del_b, &office, &admin, &revoked, &anon, &forged,
    ];
    let list = r#"{"op":"list_demands"}"#;
    let get = format!(r#"{{"op":"get_demand","id":"{a1}"}}"#);
    let contacts = format!(r#"{{"op":"contacts_of","demand":"{a1}"}}"#);
    let receipts = format!(r#"{{"doc":"{}","hashes":[]}}"#, station_doc("S01"));
    let write = r#"{"op":"record_demand","text":"x","category":"other","grid":"110118003001001"}"#;

    // (method, path, body, [(who, status, check)])
    type Check = fn(&serde_json::Value) -> bool;
    let total = |n: u64| -> Check {
        match n {
            1 => |v| v["total"] == 1,
            2 => |v| v["total"] == 2,
            3 => |v| v["total"] == 3,
            _ => |_| false,
        }
    };
    let any: Check = |_| true;
    let two_rows: Check = |v| v["rows"].as_array().is_some_and(|r| r.len() == 2);
    let not_permitted: Check = |v| v["code"] == "NOT_PERMITTED";
    let one_contact: Check = |v| {
        v["items"].as_array().map(Vec::len) == Some(1) && v["items"][0]["phone"] == "13912345678"
    };
    let no_contact: Check = |v| v["items"].as_array().map(Vec::len) == Some(0);
    let unauthorized: Check = |v| v["code"] == "UNAUTHORIZED";
    let s = StatusCode::OK;
    // A photo no demand names.
    let stray = "RIFF\u{20}\0\0\0WEBPVP8 a photo nobody recorded a demand for";
    let stray_path = format!(
        "/api/photos/{}",
        gridvoice_store::photo_hash(stray.as_bytes())
    );
    // The photo's name, and a name whose bytes the body is not.
    let photo_path = format!(
        "/api/photos/{}",
        gridvoice_store::photo_hash(photo.as_bytes())
    );
    let wrong_name = format!(
        "/api/photos/{}",
        gridvoice_store::photo_hash(b"other bytes")
    );
    let not_image = "hello, not an image";
    let not_image_path = format!(
        "/api/photos/{}",
        gridvoice_store::photo_hash(not_image.as_bytes())
    );
    let invalid_photo: Check = |v| v["code"] == "INVALID_PHOTO";
    let forbidden: Check = |v| v["code"] == "FORBIDDEN";
    let some_problems: Check =
        |v| v["installed"] == false && v["problems"].as_array().is_some_and(|p| !p.is_empty());
    let enrol_code: Check = |v| {
        v["code"].as_str().is_some_and(|c| c.len() == 14)
            && v["qr_svg"].as_str().is_some_and(|q| q.contains("<svg"))
    };
    let device_list: Check = |v| v.as_array().is_some_and(|a| a.len() >= 7);
    let revoke_path = format!(
        "/api/admin/devices/{}/revoke",
        revoked.principal.as_ref().unwrap().device
    );
    let cases: Vec<(&str, &str, String, Vec<(&Who, StatusCode, Check)>)> = vec![
        (
            "GET",
            "/healthz",
            String::new(),
            everyone.iter().map(|w| (*w, s, any)).collect(),
        ),
        (
            "GET",
            "/metrics",
            String::new(),
            everyone.iter().map(|w| (*w, s, any)).collect(),
        ),
        (
            "GET",
            "/openapi.json",
            String::new(),
            everyone.iter().map(|w| (*w, s, any)).collect(),
        ),
        (
            "POST",
            "/api/enrol",
            r#"{"code":"AAAA-BBBB-CCCC"}"#.into(),
            everyone
                .iter()
                .map(|w| {
                    (
                        *w,
                        StatusCode::UNAUTHORIZED,
                        (|v: &serde_json::Value| v["code"] == "ENROLMENT_INVALID") as Check,
                    )
                })
                .collect(),
        ),
        // A device renews its credential; the old one stays good until the new one is used (it
        // is not, here), so B's delegate goes on with it below.
        (
            "POST",
            "/api/renew",
            String::new(),
            vec![
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
                (&revoked, StatusCode::UNAUTHORIZED, unauthorized),
                (&forged, StatusCode::UNAUTHORIZED, unauthorized),
                (&del_b, s, |v| v["credential"].as_str().is_some_and(|c| c.starts_with("gv1."))),
            ],
        ),
        (
            "POST",
            "/api/receipts",
            receipts.clone(),
            vec![
                (&del_a, s, any),
                (&del_a2, s, any),
                (&head_a, s, any),
                (&office, s, any),
                (&del_b, StatusCode::NOT_FOUND, any),
                (&admin, StatusCode::NOT_FOUND, any),
                (&revoked, StatusCode::UNAUTHORIZED, unauthorized),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
                (&forged, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "POST",
            "/api/request",
            list.into(),
            vec![
                (&del_a, s, total(2)),
                (&del_a2, s, total(2)),
                (&head_a, s, total(2)),
                (&del_b, s, total(1)),
                (&office, s, total(3)),
                (&admin, StatusCode::FORBIDDEN, any),
                (&revoked, StatusCode::UNAUTHORIZED, unauthorized),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
                (&forged, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "POST",
            "/api/request",
            get.clone(),
            vec![
                (&del_a, s, any),
                (&del_a2, s, any),
                (&head_a, s, any),
                (&office, s, any),
                (&del_b, StatusCode::NOT_FOUND, any),
                (&admin, StatusCode::FORBIDDEN, any),
                (&revoked, StatusCode::UNAUTHORIZED, unauthorized),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
                (&forged, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "POST",
            "/api/request",
            contacts.clone(),
            vec![
                (&del_a, s, one_contact),
                (&head_a, s, one_contact),
                (&office, s, one_contact),
                (&del_a2, s, no_contact),
                (&del_b, StatusCode::NOT_FOUND, any),
                (&admin, StatusCode::FORBIDDEN, any),
                (&revoked, StatusCode::UNAUTHORIZED, unauthorized),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
                (&forged, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "POST",
            "/api/request",
            r#"{"op":"search","query":"电梯"}"#.into(),
            vec![
                (&del_a, s, total(1)),
                (&head_a, s, total(1)),
                (&office, s, total(1)),
                (
                    &del_b,
                    s,
                    (|v: &serde_json::Value| v["total"] == 0) as Check,
                ),
                (&admin, StatusCode::FORBIDDEN, any),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "POST",
            "/api/request",
            r#"{"op":"list_visits"}"#.into(),
            vec![
                (&del_a, s, any),
                (&office, s, any),
                (&admin, StatusCode::FORBIDDEN, any),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        // The registers 三簿一册: a head reads their station's, the office any station it names; a
        // delegate none of the station's (only their own duty book, in `registers.rs`).
        (
            "POST",
            "/api/request",
            r#"{"op":"register","kind":"opinions","from":"2021-03-01","to":"2021-03-31"}"#.into(),
            vec![
                (&head_a, s, two_rows),
                (&del_a, StatusCode::FORBIDDEN, not_permitted),
                (&del_b, StatusCode::FORBIDDEN, not_permitted),
                (
                    &office,
                    StatusCode::BAD_REQUEST,
                    (|v: &serde_json::Value| v["code"] == "MISSING_FIELD") as Check,
                ),
                (&admin, StatusCode::FORBIDDEN, any),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "POST",
            "/api/request",
            r#"{"op":"register","kind":"opinions","station":"S01","from":"2021-03-01","to":"2021-03-31"}"#.into(),
            vec![(&office, s, two_rows), (&head_a, s, two_rows)],
        ),
        (
            "GET",
            "/api/registers/opinions/xlsx?from=2021-03-01&to=2021-03-31",
            String::new(),
            vec![
                (&head_a, s, any),
                (&del_a, StatusCode::FORBIDDEN, not_permitted),
                (&del_b, StatusCode::FORBIDDEN, not_permitted),
                (&admin, StatusCode::FORBIDDEN, any),
                (&office, StatusCode::BAD_REQUEST, any),
                (&revoked, StatusCode::UNAUTHORIZED, unauthorized),
                (&forged, StatusCode::UNAUTHORIZED, unauthorized),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "GET",
            "/api/registers/opinions/xlsx?from=2021-03-01&to=2021-03-31&station=S01",
            String::new(),
            vec![(&office, s, any), (&del_b, StatusCode::FORBIDDEN, not_permitted)],
        ),
        // The pages' live updates: a stream for anyone signed in (followed in the browser story,
        // `tests/tests/station_pages.rs`); nothing without a valid credential.
        (
            "GET",
            "/api/events",
            String::new(),
            vec![
                (&revoked, StatusCode::UNAUTHORIZED, unauthorized),
                (&forged, StatusCode::UNAUTHORIZED, unauthorized),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        // The territory's public layout, for the station pages: anyone signed in.
        (
            "GET",
            "/api/territory",
            String::new(),
            everyone
                .iter()
                .map(|w| match w.credential {
                    Some(_) if w.label != "revoked" && w.label != "forged" => (
                        *w,
                        s,
                        (|v: &serde_json::Value| v["stations"].as_array().is_some_and(|a| a.len() == 13)) as Check,
                    ),
                    _ => (*w, StatusCode::UNAUTHORIZED, unauthorized),
                })
                .collect(),
        ),
        (
            "POST",
            "/api/request",
            write.into(),
            vec![
                // Written through the one request service, as the delegate, into A's document.
                (
                    &del_a,
                    s,
                    (|v: &serde_json::Value| v["type"] == "demand" && v["station"] == "S01")
                        as Check,
                ),
                // The office writes decisions, never residents' demands.
                (
                    &office,
                    StatusCode::FORBIDDEN,
                    (|v: &serde_json::Value| v["code"] == "NOT_PERMITTED") as Check,
                ),
                (&admin, StatusCode::FORBIDDEN, any),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        // The office's loop: a delegate's or a head's credential may not route (the authority
        // rule), another station's cannot see the demand, and this office credential's person
        // (office-1) is not on the territory's staff list, so the rule knows no such author
        // (the office routing for real is `tests/tests/office_pages.rs`). Each role reads its
        // own call-back list; staff have none.
        (
            "POST",
            "/api/request",
            format!(r#"{{"op":"route","case":{{"demand":"{a1}"}},"lead":"U-S02"}}"#),
            vec![
                (&del_a, StatusCode::FORBIDDEN, not_permitted),
                (&head_a, StatusCode::FORBIDDEN, not_permitted),
                (&del_b, StatusCode::NOT_FOUND, any),
                (&admin, StatusCode::FORBIDDEN, any),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
                (&office, StatusCode::FORBIDDEN, not_permitted),
            ],
        ),
        (
            "POST",
            "/api/request",
            r#"{"op":"call_backs"}"#.into(),
            vec![
                (&del_a, s, no_contact),
                (&office, s, no_contact),
                (&admin, StatusCode::FORBIDDEN, any),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "POST",
            "/api/request",
            r#"{"op":"teleport"}"#.into(),
            vec![
                (
                    &del_a,
                    StatusCode::BAD_REQUEST,
                    (|v: &serde_json::Value| v["code"] == "BAD_REQUEST") as Check,
                ),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "POST",
            "/api/request",
            "{not json".into(),
            vec![(&office, StatusCode::BAD_REQUEST, any)],
        ),
        // Browser sessions live in a cookie: a bearer credential is no session, and signing in
        // needs the page's CSRF header (the session story in `session.rs` covers the rest).
        (
            "GET",
            "/api/session",
            String::new(),
            everyone
                .iter()
                .map(|w| (*w, StatusCode::UNAUTHORIZED, unauthorized))
                .collect(),
        ),
        (
            "DELETE",
            "/api/session",
            String::new(),
            everyone
                .iter()
                .map(|w| (*w, StatusCode::UNAUTHORIZED, unauthorized))
                .collect(),
        ),
        (
            "POST",
            "/api/session",
            r#"{"code":"AAAA-BBBB-CCCC"}"#.into(),
            everyone
                .iter()
                .map(|w| {
                    (
                        *w,
                        StatusCode::FORBIDDEN,
                        (|v: &serde_json::Value| v["code"] == "CROSS_SITE") as Check,
                    )
                })
                .collect(),
        ),
        // Photos: station A's delegate uploads one; it is A's and the office's to see.
        (
            "PUT",
            &photo_path,
            photo.into(),
            vec![
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
                (&revoked, StatusCode::UNAUTHORIZED, unauthorized),
                (&office, StatusCode::FORBIDDEN, any),
                (&admin, StatusCode::FORBIDDEN, any),
                (&del_a, s, any),
                (&head_a, s, any),
            ],
        ),
        (
            "PUT",
            &wrong_name,
            photo.into(),
            vec![(&del_a, StatusCode::BAD_REQUEST, invalid_photo)],
        ),
        (
            "PUT",
            &stray_path,
            stray.into(),
            vec![(&del_a, StatusCode::BAD_REQUEST, invalid_photo)],
        ),
        (
            "PUT",
            &not_image_path,
            not_image.into(),
            vec![(&del_a, StatusCode::BAD_REQUEST, invalid_photo)],
        ),
        (
            "PUT",
            "/api/photos/..%2F..%2Fetc%2Fpasswd",
            photo.into(),
            vec![(&del_a, StatusCode::BAD_REQUEST, invalid_photo)],
        ),
        (
            "GET",
            &photo_path,
            String::new(),
            vec![
                (&del_a, s, any),
                (&del_a2, s, any),
                (&head_a, s, any),
                (&office, s, any),
                (&del_b, StatusCode::NOT_FOUND, any),
                (&admin, StatusCode::NOT_FOUND, any),
                (&revoked, StatusCode::UNAUTHORIZED, unauthorized),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "GET",
            &wrong_name,
            String::new(),
            vec![(&office, StatusCode::NOT_FOUND, any)],
        ),
        // Administration: office staff and admins make codes and see and revoke devices; nobody
        // else; an admin's code is an admin's to make.
        (
            "POST",
            "/api/admin/enrolments",
            r#"{"delegate":"D02","role":"delegate","ttl_hours":24}"#.into(),
            vec![
                (&office, s, enrol_code),
                (&admin, s, enrol_code),
                (&del_a, StatusCode::FORBIDDEN, forbidden),
                (&head_a, StatusCode::FORBIDDEN, forbidden),
                (&revoked, StatusCode::UNAUTHORIZED, unauthorized),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "POST",
            "/api/admin/enrolments",
            r#"{"staff":"new-admin","role":"admin"}"#.into(),
            vec![
                (&office, StatusCode::FORBIDDEN, forbidden),
                (&admin, s, enrol_code),
            ],
        ),
        (
            "POST",
            "/api/admin/enrolments",
            r#"{"delegate":"D99","role":"delegate"}"#.into(),
            vec![(
                &office,
                StatusCode::BAD_REQUEST,
                (|v: &serde_json::Value| v["code"] == "UNKNOWN_DELEGATE") as Check,
            )],
        ),
        (
            "GET",
            "/api/admin/devices",
            String::new(),
            vec![
                (&office, s, device_list),
                (&admin, s, device_list),
                (&del_a, StatusCode::FORBIDDEN, forbidden),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "POST",
            &revoke_path,
            String::new(),
            vec![
                (&del_a, StatusCode::FORBIDDEN, forbidden),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
                // Already revoked: no such active device.
                (&office, StatusCode::NOT_FOUND, any),
            ],
        ),
        (
            "POST",
            "/api/admin/devices/not-a-device/revoke",
            String::new(),
            vec![(
                &office,
                StatusCode::BAD_REQUEST,
                (|v: &serde_json::Value| v["code"] == "INVALID_ID") as Check,
            )],
        ),
        // The office's calendar and time limits: checked whole; a bad file installs nothing.
        (
            "POST",
            "/api/admin/calendar",
            r#"{"text":"date,type,name\n2021-02-30,holiday,x\n"}"#.into(),
            vec![
                (&office, StatusCode::BAD_REQUEST, some_problems),
                (&del_a, StatusCode::FORBIDDEN, forbidden),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        (
            "POST",
            "/api/admin/policy",
            r#"{"text":"{\"default\": [2, 1, 7, 2, 5], \"rules\": []}"}"#.into(),
            vec![
                (&del_a, StatusCode::FORBIDDEN, forbidden),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
                (
                    &office,
                    s,
                    (|v: &serde_json::Value| v["installed"] == true) as Check,
                ),
            ],
        ),
        // A territory that does not parse: every problem reported, nothing installed.
        (
            "POST",
            "/api/admin/territory?install=true",
            r#"{"street":"{}","communities":"{}","grids":"{}","stations":"{}","organisation":"{}"}"#
                .into(),
            vec![
                (
                    &office,
                    StatusCode::BAD_REQUEST,
                    (|v: &serde_json::Value| {
                        v["installed"] == false
                            && v["problems"].as_array().is_some_and(|p| !p.is_empty())
                    }) as Check,
                ),
                (&del_a, StatusCode::FORBIDDEN, forbidden),
                (&anon, StatusCode::UNAUTHORIZED, unauthorized),
            ],
        ),
        // The same picture, forwarded to a delegate of station B who named it in a demand,
        // uploaded from there: now B's too; A's people still see it, outsiders still do not.
        ("PUT", &photo_path, photo.into(), vec![(&del_b, s, any)]),
        (
            "GET",
            &photo_path,
            String::new(),
            vec![
                (&del_b, s, any),
                (&del_a2, s, any),
                (&admin, StatusCode::NOT_FOUND, any),
            ],
        ),
    ];
    let mut covered = BTreeSet::new();
    for (method, path, body, rows) in &cases {
        let route = if path.starts_with("/api/photos/") {
            "/api/photos/{hash}"
        } else if path.starts_with("/api/registers/") {
            "/api/registers/{kind}/xlsx"
        } else if path.starts_with("/api/admin/territory") {
            "/api/admin/territory"
        } else if path.starts_with("/api/admin/devices/") {
            "/api/admin/devices/{device}/revoke"
        } else {
            path
        };
        covered.insert((method.to_string(), route.to_string()));
        for (who, status, check) in rows {
            let (got, json) = call(&router, method, path, who, body).await;
            assert_eq!(
                got, *status,
                "{method} {path} {body} as {}: {json}",
                who.label
            );
            assert!(
                check(&json),
                "{method} {path} {body} as {}: {json}",
                who.label
            );
            // No answer ever echoes a credential.
            if let Some(c) = &who.credential {
                assert!(!json.to_string().contains(c.as_str()));
            }
        }
    }
    // The sync route is checked on a real socket (the upgrade needs one); see `sync_route_*`.
    covered.insert(("GET".into(), "/sync".into()));
    // The routes as the router answers them (`routes::of`; the route test checks them against the
    // OpenAPI document).
    for (method, path) in crate::routes::of(&router).await {
        assert!(
            covered.contains(&(method.clone(), path.clone())),
            "route {method} {path} is missing from the matrix"
        );
    }
}
