//! End-to-end scenarios live in `tests/tests/`; what several of them (and the benches) share
//! lives here.

pub mod forge;

use std::path::Path;

use gridvoice_core::access::{Person, Role};
use gridvoice_core::api::ApiError;
use gridvoice_core::clock::Timestamp;
use gridvoice_core::ids::StationId;
use gridvoice_server::auth::{AuthDb, AuthError};

/// The one-time code the office would hand delegate `delegate` of station S01, from the server
/// whose data directory is `data` (valid for as long as a test runs).
pub fn enrolment_code(data: &Path, delegate: &str) -> Result<String, AuthError> {
    AuthDb::open(&gridvoice_server::auth_path(data))?.create_enrolment(
        &Person::Delegate(delegate.into()),
        Role::Delegate,
        Some(&StationId::new("S01")),
        Timestamp(0),
        i64::MAX / 4,
    )
}

/// A person's enrolled device at the server whose data directory is `data`: who they are to the
/// server, and the credential their device holds (device number `n`).
pub fn enrolled(
    data: &Path,
    person: &Person,
    role: Role,
    station: Option<&str>,
    n: u128,
) -> Result<(gridvoice_core::access::Principal, String), AuthError> {
    let auth = AuthDb::open(&gridvoice_server::auth_path(data))?;
    let station = station.map(StationId::new);
    let code = auth.create_enrolment(person, role, station.as_ref(), Timestamp(0), i64::MAX / 4)?;
    let (p, credential) = auth.redeem(
        &code,
        "test device",
        gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock),
        gridvoice_core::ids::DeviceId(uuid::Uuid::from_u128(n)),
    )?;
    Ok((p, credential.expose().to_owned()))
}

/// A demand recorded on a delegate's device (offline: nothing leaves the device), in `grid` or
/// the delegate's first grid, at a fixed time; ids drawn from `seed`.
pub fn record_on_device(
    store: &mut gridvoice_store::Store,
    seed: u64,
    text: &str,
    category: &str,
    grid: Option<gridvoice_core::ids::GridId>,
) -> Result<gridvoice_core::ids::DemandId, ApiError> {
    record_on_device_at(
        store,
        seed,
        Timestamp(1_614_556_800_000),
        text,
        category,
        grid,
    )
}

/// [`record_on_device`] at a given time.
pub fn record_on_device_at(
    store: &mut gridvoice_store::Store,
    seed: u64,
    at: Timestamp,
    text: &str,
    category: &str,
    grid: Option<gridvoice_core::ids::GridId>,
) -> Result<gridvoice_core::ids::DemandId, ApiError> {
    use gridvoice_core::api::{RecordDemand, Request, Response};
    use gridvoice_core::clock::{FixedClock, SeededIds};
    let unbound = || {
        ApiError::new(
            gridvoice_core::ErrorCode::NotInitialised,
            "device not enrolled",
        )
    };
    let me = store.identity().ok_or_else(unbound)?.clone();
    let grid = match grid {
        Some(g) => g,
        None => store
            .territory()
            .and_then(|t| t.delegate(&me.delegate))
            .and_then(|d| d.grids.first().cloned())
            .ok_or_else(unbound)?,
    };
    let clock = FixedClock(at);
    let mut ids = SeededIds::new(seed);
    let mut ctx = gridvoice_store::service::Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    let req = Request::RecordDemand(RecordDemand {
        text: text.into(),
        category: category.into(),
        grid: Some(grid),
        location: None,
        visit: None,
        contact: None,
        id: None,
        attachments: Vec::new(),
    });
    match gridvoice_store::service::handle(store, &mut ctx, req)? {
        Response::Demand(v) => Ok(v.demand.id),
        _ => Err(gridvoice_core::Error::NotFound("the recorded demand".into()).into()),
    }
}

/// One sync of a device with its server, one attempt.
pub async fn sync_device(
    store: &mut gridvoice_store::Store,
) -> Result<gridvoice_sync::SyncReport, gridvoice_sync::Error> {
    let mut cfg = gridvoice_sync::SyncConfig::from_store(store)?;
    cfg.backoff.max_attempts = Some(1);
    gridvoice_sync::sync_once(store, &cfg, &mut |_| {}).await
}

/// What a delegate's device shows of a demand: its status, its events, and who made them.
pub fn on_device(
    store: &mut gridvoice_store::Store,
    id: gridvoice_core::ids::DemandId,
) -> Result<gridvoice_core::api::DemandView, ApiError> {
    use gridvoice_core::api::{Request, Response};
    match ask_device(store, 99, Request::GetDemand { id })? {
        Response::Demand(v) => Ok(*v),
        _ => Err(gridvoice_core::Error::NotFound(format!("demand {id}")).into()),
    }
}

/// A request served by the device's own door (`gridvoice_store::service::handle`), as its
/// delegate, offline: a clock fixed after the recordings of [`record_on_device`], ids seeded by
/// `seed`.
pub fn ask_device(
    store: &mut gridvoice_store::Store,
    seed: u64,
    req: gridvoice_core::api::Request,
) -> Result<gridvoice_core::api::Response, ApiError> {
    ask_device_at(store, seed, Timestamp(1_614_600_000_000), req)
}

/// [`ask_device`] at a given time.
pub fn ask_device_at(
    store: &mut gridvoice_store::Store,
    seed: u64,
    at: Timestamp,
    req: gridvoice_core::api::Request,
) -> Result<gridvoice_core::api::Response, ApiError> {
    use gridvoice_core::clock::{FixedClock, SeededIds};
    let clock = FixedClock(at);
    let mut ids = SeededIds::new(seed);
    let mut ctx = gridvoice_store::service::Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    gridvoice_store::service::handle(store, &mut ctx, req)
}

/// A request served by the server's one request service for `who`: the answer, or the refusal's
/// HTTP status and stable code.
pub async fn serve_as(
    app: &gridvoice_server::App,
    who: &gridvoice_core::access::Principal,
    req: gridvoice_core::api::Request,
) -> Result<gridvoice_core::api::Response, (u16, String)> {
    gridvoice_server::entry::serve(app, who, req)
        .await
        .map_err(|e| {
            (
                gridvoice_server::http::status_of(e.code).as_u16(),
                e.code.as_str().to_owned(),
            )
        })
}

/// Where the browser stories find what they need: the built station pages (`dist-station/`) and
/// the browser driver's folder (`src-ui/e2e`, with playwright-core installed). Fails, saying what
/// to run, when either is missing.
pub fn browser_story_dirs() -> (std::path::PathBuf, std::path::PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let pages = root.join("dist-station");
    assert!(
        pages.join("index.html").is_file(),
        "run scripts/build-ui first (it builds dist-station/)"
    );
    let e2e = root.join("src-ui/e2e");
    assert!(
        e2e.join("node_modules/playwright-core").is_dir(),
        "run scripts/setup.sh first (npm install in src-ui/e2e)"
    );
    (pages, e2e)
}

/// How many demands the server's store holds, every station (`None`: the store did not answer).
pub async fn demands_on_server(app: &gridvoice_server::App) -> Option<u64> {
    app.with_store(|s| {
        let f = gridvoice_core::api::DemandFilter::default().parse().ok()?;
        gridvoice_store::projection::list_demands(s.connection(), &f)
            .ok()
            .map(|(_, total)| total)
    })
    .await
    .flatten()
}
