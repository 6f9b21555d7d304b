//! Enrolment and device credentials.
//!
//! The office enrols a person (a delegate, a station head, office staff) and hands them a one-time
//! enrolment code with an expiry. A device exchanges the code for its own credential: 256 random
//! bits, shown once, stored here only as a SHA-256 hash (a credential is high-entropy, so a fast
//! hash is enough: there is nothing to brute-force). Every request and every sync connection
//! presents the credential; a revoked device is refused on its next request.

use std::path::Path;
use std::sync::Mutex;

use gridvoice_core::access::{Person, Principal, Role};
use gridvoice_core::boundary::Credential;
use gridvoice_core::clock::Timestamp;
use gridvoice_core::ids::{DelegateId, DeviceId, StaffId, StationId};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

/// Why an enrolment code was refused. Deliberately coarse towards the caller.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("enrolment code is not valid")]
    InvalidCode,
    #[error("enrolment code has expired")]
    Expired,
    #[error("enrolment code was already used")]
    Used,
    #[error("auth store: {0}")]
    Store(String),
}

impl From<rusqlite::Error> for AuthError {
    fn from(e: rusqlite::Error) -> Self {
        AuthError::Store(e.to_string())
    }
}

/// A device as the office sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceRow {
    pub device: DeviceId,
    pub person: Person,
    pub role: Role,
    pub station: Option<StationId>,
    pub name: String,
    pub enrolled_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// A browser session (a station head's or the office's desk) rather than a device.
    pub browser: bool,
}

/// How long a browser session lasts without being used.
pub const SESSION_IDLE_MS: i64 = 7 * 24 * 3_600_000;

/// A session's last use is written at most this often (a request every second need not write).
const SEEN_EVERY_MS: i64 = 60_000;

#[derive(Debug)]
pub struct AuthDb {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS enrolments (
    code_hash   TEXT PRIMARY KEY,
    person_kind TEXT NOT NULL,
    person_id   TEXT NOT NULL,
    role        TEXT NOT NULL,
    station     TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    device      TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    id              TEXT PRIMARY KEY,
    credential_hash TEXT NOT NULL UNIQUE,
    person_kind     TEXT NOT NULL,
    person_id       TEXT NOT NULL,
    role            TEXT NOT NULL,
    station         TEXT,
    name            TEXT NOT NULL,
    enrolled_at     INTEGER NOT NULL,
    revoked_at      INTEGER
) STRICT;
-- Automerge actor ids are bound to the first device that delivered a change made by them; another
-- device delivering a new change under that actor is refused.
CREATE TABLE IF NOT EXISTS actors (
    actor      TEXT PRIMARY KEY,
    device     TEXT NOT NULL,
    first_seen INTEGER NOT NULL
) STRICT;
";

/// A device credential's term from its issue (`gridvoice_core::limits::CREDENTIAL_TTL`).
pub const CREDENTIAL_TTL_MS: i64 = gridvoice_core::limits::CREDENTIAL_TTL.as_millis() as i64;

/// How long after a renewal the replaced credential is still taken while the device has not used
/// the new one (the renewal's answer lost on the way).
pub const RENEW_GRACE_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Crockford's base32 without I, L, O, U: nothing to misread when a code is read out over the phone.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| AuthError::Store(format!("no randomness: {e}")))?;
    Ok(b)
}

/// Normalises what a person typed: case, spaces and dashes do not matter.
fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn person_parts(p: &Person) -> (&'static str, &str) {
    match p {
        Person::Delegate(d) => ("delegate", d.as_str()),
        Person::Staff(s) => ("staff", s.as_str()),
    }
}

fn person_from(kind: &str, id: String) -> Person {
    if kind == "delegate" {
        Person::Delegate(DelegateId(id))
    } else {
        Person::Staff(StaffId(id))
    }
}

impl AuthDb {
    pub fn open(path: &Path) -> Result<AuthDb, AuthError> {
        // Owner-only like the store's files; the admin commands and the server write it at once,
        // so a writer waits for the other instead of failing.
        gridvoice_store::owner_only(path).map_err(|e| AuthError::Store(e.to_string()))?;
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        // Added with browser sessions: older auth stores gain the columns (devices stay devices).
        let has = |col: &str| -> Result<bool, AuthError> {
            Ok(conn.query_row(
                "SELECT count(*) FROM pragma_table_info('devices') WHERE name = ?1",
                [col],
                |r| r.get::<_, i64>(0),
            )? > 0)
        };
        if !has("kind")? {
            conn.execute_batch(
                "ALTER TABLE devices ADD COLUMN kind TEXT NOT NULL DEFAULT 'device'",
            )?;
        }
        if !has("last_seen")? {
            conn.execute_batch("ALTER TABLE devices ADD COLUMN last_seen INTEGER")?;
        }
        // Added with credential expiry: when the current credential was issued, and the one it
        // replaced (still taken until the device first uses the new one, so a renewal whose answer
        // was lost does not lock the phone out).
        if !has("issued_at")? {
            conn.execute_batch(
                "ALTER TABLE devices ADD COLUMN issued_at INTEGER;
                 UPDATE devices SET issued_at = enrolled_at;
                 ALTER TABLE devices ADD COLUMN previous_hash TEXT;",
            )?;
        }
        Ok(AuthDb {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, AuthError> {
        self.conn
            .lock()
            .map_err(|_| AuthError::Store("auth store lock poisoned".into()))
    }

    /// Makes a one-time enrolment code for a person. Returns the code (shown once; stored hashed).
    pub fn create_enrolment(
        &self,
        person: &Person,
        role: Role,
        station: Option<&StationId>,
        now: Timestamp,
        ttl_ms: i64,
    ) -> Result<String, AuthError> {
        let raw = random_bytes::<12>()?;
        let code: String = raw
            .iter()
            .map(|b| CODE_ALPHABET[usize::from(b % 32)] as char)
            .collect();
        let (kind, id) = person_parts(person);
        self.conn()?.execute(
            "INSERT INTO enrolments (code_hash, person_kind, person_id, role, station, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                sha256_hex(&code),
                kind,
                id,
                role.code(),
                station.map(StationId::as_str),
                now.0,
                now.0 + ttl_ms
            ],
        )?;
        Ok(format!("{}-{}-{}", &code[..4], &code[4..8], &code[8..]))
    }

    /// Exchanges an enrolment code for a new device and its credential (returned once).
    pub fn redeem(
        &self,
        code: &str,
        device_name: &str,
        now: Timestamp,
        device: DeviceId,
    ) -> Result<(Principal, Credential), AuthError> {
        self.redeem_as("device", code, device_name, now, device)
    }

    /// Exchanges an enrolment code for a browser session: a credential like a device's, ended
    /// after [`SESSION_IDLE_MS`] without use, listed and revoked with the devices.
    pub fn redeem_session(
        &self,
        code: &str,
        name: &str,
        now: Timestamp,
        session: DeviceId,
    ) -> Result<(Principal, Credential), AuthError> {
        self.redeem_as("browser", code, name, now, session)
    }

    fn redeem_as(
        &self,
        kind_of_holder: &str,
        code: &str,
        device_name: &str,
        now: Timestamp,
        device: DeviceId,
    ) -> Result<(Principal, Credential), AuthError> {
        let hash = sha256_hex(&normalise_code(code));
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        type Row = (String, String, String, Option<String>, i64, Option<i64>);
        let row: Option<Row> = tx
            .query_row(
                "SELECT person_kind, person_id, role, station, expires_at, used_at
                 FROM enrolments WHERE code_hash = ?1",
                [&hash],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((kind, id, role, station, expires_at, used_at)) = row else {
            return Err(AuthError::InvalidCode);
        };
        if used_at.is_some() {
            return Err(AuthError::Used);
        }
        if now.0 > expires_at {
            return Err(AuthError::Expired);
        }
        let role = Role::parse(&role).ok_or(AuthError::InvalidCode)?;
        let credential = format!("gv1.{}", hex::encode(random_bytes::<32>()?));
        let name: String = device_name.chars().take(80).collect();
        tx.execute(
            "UPDATE enrolments SET used_at = ?2, device = ?3 WHERE code_hash = ?1",
            params![hash, now.0, device.to_string()],
        )?;
        tx.execute(
            "INSERT INTO devices (id, credential_hash, person_kind, person_id, role, station, name,
                                  enrolled_at, kind, last_seen, issued_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?8)",
            params![
                device.to_string(),
                sha256_hex(&credential),
                kind,
                id,
                role.code(),
                station,
                name,
                now.0,
                kind_of_holder
            ],
        )?;
        tx.commit()?;
        let principal = Principal {
            device,
            person: person_from(&kind, id),
            role,
            station: station.map(StationId),
        };
        Ok((principal, Credential::new(credential)))
    }

    /// The device a credential belongs to, unless it is unknown or revoked.
    pub fn authenticate(&self, credential: &str) -> Result<Option<Principal>, AuthError> {
        let now = gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock);
        self.authenticate_at(credential, now)
    }

    /// As [`AuthDb::authenticate`], at `now`: a browser session unused for longer than
    /// [`SESSION_IDLE_MS`] is over; a used one is marked as seen.
    pub fn authenticate_at(
        &self,
        credential: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>, AuthError> {
        let conn = self.conn()?;
        type Row = (
            String,
            String,
            String,
            String,
            Option<String>,
            String,
            Option<i64>,
            (Option<i64>, bool, bool),
        );
        let hash = sha256_hex(credential);
        let row: Option<Row> = conn
            .query_row(
                "SELECT id, person_kind, person_id, role, station, kind, last_seen, issued_at,
                        credential_hash = ?1, previous_hash IS NOT NULL
                 FROM devices
                 WHERE (credential_hash = ?1 OR previous_hash = ?1) AND revoked_at IS NULL",
                [&hash],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        (r.get(7)?, r.get(8)?, r.get(9)?),
                    ))
                },
            )
            .optional()?;
        let Some((id, kind, pid, role, station, holder, last_seen, (issued, current, replaced))) =
            row
        else {
            return Ok(None);
        };
        if holder == "device" {
            // A device credential lasts CREDENTIAL_TTL_MS from its issue; the device renews it
            // during sync long before. The one a renewal replaced is taken until the new one is
            // first used, for RENEW_GRACE_MS at most.
            let term = if current {
                CREDENTIAL_TTL_MS
            } else {
                RENEW_GRACE_MS
            };
            if now.0 - issued.unwrap_or(0) > term {
                return Ok(None);
            }
            if current && replaced {
                conn.execute(
                    "UPDATE devices SET previous_hash = NULL WHERE id = ?1",
                    [&id],
                )?;
            }
        }
        if holder == "browser" {
            let idle = now.0 - last_seen.unwrap_or(0);
            if idle > SESSION_IDLE_MS {
                return Ok(None);
            }
            if idle > SEEN_EVERY_MS {
                conn.execute(
                    "UPDATE devices SET last_seen = ?2 WHERE id = ?1",
                    params![id, now.0],
                )?;
            }
        }
        let row = Some((id, kind, pid, role, station));
        Ok(row.and_then(|(id, kind, pid, role, station)| {
            Some(Principal {
                device: id.parse().ok()?,
                person: person_from(&kind, pid),
                role: Role::parse(&role)?,
                station: station.map(StationId),
            })
        }))
    }

    /// A new credential for the device `credential` belongs to (a device's, not a browser
    /// session's), issued `now`; the old one stays valid until the new one is first used. `None`
    /// when the credential is not an active device's.
    pub fn renew(&self, credential: &str, now: Timestamp) -> Result<Option<Credential>, AuthError> {
        let Some(p) = self.authenticate_at(credential, now)? else {
            return Ok(None);
        };
        let fresh = format!("gv1.{}", hex::encode(random_bytes::<32>()?));
        let n = self.conn()?.execute(
            "UPDATE devices SET previous_hash = ?2, credential_hash = ?3, issued_at = ?4
             WHERE id = ?1 AND kind = 'device' AND revoked_at IS NULL",
            params![
                p.device.to_string(),
                sha256_hex(credential),
                sha256_hex(&fresh),
                now.0
            ],
        )?;
        Ok((n == 1).then(|| Credential::new(fresh)))
    }

    /// Revokes a device. Returns whether it was active.
    pub fn revoke(&self, device: &DeviceId, now: Timestamp) -> Result<bool, AuthError> {
        let n = self.conn()?.execute(
            "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![device.to_string(), now.0],
        )?;
        Ok(n == 1)
    }

    /// Binds an actor to a device if it is new; answers whether it belongs to this device (see
    /// below for a re-enrolled phone).
    pub fn bind_actor(
        &self,
        actor: &str,
        device: &DeviceId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let conn = self.conn()?;
        conn.execute(
            "INSERT OR IGNORE INTO actors (actor, device, first_seen) VALUES (?1, ?2, ?3)",
            params![actor, device.to_string(), now.0],
        )?;
        let owner: String =
            conn.query_row("SELECT device FROM actors WHERE actor = ?1", [actor], |r| {
                r.get(0)
            })?;
        if owner == device.to_string() {
            return Ok(true);
        }
        // Re-enrolment: the same person's new credential on the phone whose old one was revoked
        // takes over that phone's actor, so what it recorded offline before the revocation still
        // arrives. Only a revoked device's actor moves, and only to the same person and role —
        // a device holding the revoked credential alone can never use it.
        let moved = conn.execute(
            "UPDATE actors SET device = ?2
             WHERE actor = ?1
               AND device IN (SELECT old.id FROM devices AS old, devices AS new
                              WHERE old.id = actors.device AND new.id = ?2
                                AND old.revoked_at IS NOT NULL AND new.revoked_at IS NULL
                                AND old.person_kind = new.person_kind
                                AND old.person_id = new.person_id
                                AND old.role = new.role)",
            params![actor, device.to_string()],
        )?;
        Ok(moved == 1)
    }

    /// Every device that is not revoked.
    pub fn active(&self) -> Result<Vec<Principal>, AuthError> {
        Ok(self
            .devices()?
            .into_iter()
            .filter(|d| d.revoked_at.is_none())
            .map(|d| Principal {
                device: d.device,
                person: d.person,
                role: d.role,
                station: d.station,
            })
            .collect())
    }

    pub fn devices(&self) -> Result<Vec<DeviceRow>, AuthError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT id, person_kind, person_id, role, station, name, enrolled_at, revoked_at, kind
             FROM devices ORDER BY enrolled_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, Option<i64>>(7)?,
                r.get::<_, String>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, pid, role, station, name, enrolled_at, revoked_at, holder) = row?;
            let (Ok(device), Some(role)) = (id.parse(), Role::parse(&role)) else {
                continue;
            };
            out.push(DeviceRow {
                device,
                person: person_from(&kind, pid),
                role,
                station: station.map(StationId),
                name,
                enrolled_at: Timestamp(enrolled_at),
                revoked_at: revoked_at.map(Timestamp),
                browser: holder == "browser",
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
