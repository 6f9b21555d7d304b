//! End-to-end scenarios live in `tests/tests/`; what several of them (and the benches) share
//! lives here.

use std::path::Path;

use gridvoice_core::access::{Person, Role};
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
        Timestamp(1),
        gridvoice_core::ids::DeviceId(uuid::Uuid::from_u128(n)),
    )?;
    Ok((p, credential.expose().to_owned()))
}
