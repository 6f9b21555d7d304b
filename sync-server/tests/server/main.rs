//! The sync server, in process and on real sockets.
#![allow(
    clippy::needless_pass_by_value,
    clippy::type_complexity,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

mod bodies;
mod failure;
mod hostile_js;
mod interop;
mod matrix;
mod routes;
mod session;
mod socket;

use std::path::Path;

use gridvoice_core::access::{Person, Principal, Role};
use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
use gridvoice_core::ids::{DelegateId, DeviceId, DocId, StaffId, StationId};
use gridvoice_core::territory::Territory;
use gridvoice_server::auth::AuthDb;
use gridvoice_server::{App, Config, auth_path};
use gridvoice_store::service::{Ctx, handle};
use gridvoice_store::{DeviceIdentity, Store};

/// A device credential of one role, as a test holds it.
#[derive(Debug, Clone)]
pub struct Who {
    pub label: &'static str,
    pub credential: Option<String>,
    pub principal: Option<Principal>,
}

/// Enrols a person and redeems the code, as the office and the device would.
pub fn enrol(
    dir: &Path,
    label: &'static str,
    person: Person,
    role: Role,
    station: Option<StationId>,
    n: u128,
) -> Who {
    let auth = AuthDb::open(&auth_path(dir)).unwrap();
    let code = auth
        .create_enrolment(&person, role, station.as_ref(), Timestamp(0), i64::MAX / 2)
        .unwrap();
    let (p, cred) = auth
        .redeem(
            &code,
            label,
            gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock),
            DeviceId(uuid::Uuid::from_u128(n)),
        )
        .unwrap();
    Who {
        label,
        credential: Some(cred.expose().to_owned()),
        principal: Some(p),
    }
}

/// A delegate's device store, bound like an enrolled device.
pub fn device(t: &Territory, delegate: &str, n: u128) -> Store {
    let mut s = Store::open_in_memory().unwrap();
    let d = t.delegate(&DelegateId::new(delegate)).unwrap();
    s.init_device(
        DeviceIdentity {
            device: DeviceId(uuid::Uuid::from_u128(n)),
            delegate: d.id.clone(),
            station: d.station.clone(),
        },
        t.clone(),
    )
    .unwrap();
    s
}

pub fn record(s: &mut Store, text: &str, grid: &str, contact: Option<(&str, &str)>) -> String {
    record_with(s, text, grid, contact, Vec::new())
}

/// [`record`], naming photos already stored on the device.
pub fn record_with(
    s: &mut Store,
    text: &str,
    grid: &str,
    contact: Option<(&str, &str)>,
    attachments: Vec<String>,
) -> String {
    let clock = FixedClock(Timestamp(1_614_556_800_000));
    // Ids from the words and the grid themselves (FNV-1a): two demands of the same length must
    // not share an id, or one station's demand would look like a forged copy of another's.
    let seed = text
        .bytes()
        .chain([0])
        .chain(grid.bytes())
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let mut ids = SeededIds::new(seed);
    let mut ctx = Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    let req = gridvoice_core::api::Request::RecordDemand(gridvoice_core::api::RecordDemand {
        text: text.into(),
        category: "other".into(),
        grid: Some(grid.into()),
        location: None,
        visit: None,
        contact: contact.map(|(n, p)| gridvoice_core::api::NewContact {
            name: n.into(),
            phone: p.into(),
            consent: true,
        }),
        id: None,
        attachments,
    });
    match handle(s, &mut ctx, req).unwrap() {
        gridvoice_core::api::Response::Demand(v) => v.demand.id.to_string(),
        other => panic!("{other:?}"),
    }
}

/// Copies every document of a device into the server's store (what a sync would deliver).
pub fn deliver(from: &mut Store, dir: &Path) {
    let mut server = Store::open(gridvoice_server::store_path(dir)).unwrap();
    for (id, _, _) in from.documents().unwrap() {
        let changes = from.changes_since(&id, &[]).unwrap();
        server.apply_changes(&id, &changes).unwrap();
    }
}

pub async fn app(dir: &Path) -> App {
    gridvoice_server::build(Config::new(dir, "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap()
}

pub fn station_doc(s: &str) -> DocId {
    DocId::for_station(&StationId::new(s))
}

pub fn staff(s: &str) -> Person {
    Person::Staff(StaffId::new(s))
}

/// `method path` through the router in process, as `who`, with a JSON body: the status and the
/// answer's JSON (null when it is not JSON).
pub async fn call(
    router: &axum::Router,
    method: &str,
    path: &str,
    who: &Who,
    body: &str,
) -> (axum::http::StatusCode, serde_json::Value) {
    call_with(
        router,
        method,
        path,
        who,
        "application/json",
        body.as_bytes().to_vec(),
    )
    .await
}

/// The same with a body of any type.
pub async fn call_with(
    router: &axum::Router,
    method: &str,
    path: &str,
    who: &Who,
    content_type: &str,
    body: Vec<u8>,
) -> (axum::http::StatusCode, serde_json::Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type);
    if let Some(c) = &who.credential {
        req = req.header("authorization", format!("Bearer {c}"));
    }
    let resp = router
        .clone()
        .oneshot(req.body(axum::body::Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, json)
}
