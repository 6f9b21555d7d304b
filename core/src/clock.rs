//! Time and randomness are passed in, never read from globals, so that the core is deterministic
//! under test and the same code runs on a phone, in a browser and on the server.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    /// `YYYY-MM-DD HH:MM` in Beijing time (UTC+8), the way registers print it.
    pub fn beijing(self) -> String {
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
        else {
            return format!("@{}", self.0);
        };
        let t = t.to_offset(BEIJING);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        )
    }

    /// The day it falls on in Beijing (deadlines count whole days there).
    pub fn beijing_date(self) -> Option<time::Date> {
        let t =
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000).ok()?;
        Some(t.to_offset(BEIJING).date())
    }

    /// Midnight (Beijing time) at the start of a day.
    pub fn beijing_midnight(date: time::Date) -> Option<Timestamp> {
        let t = date.midnight().assume_offset(BEIJING);
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Timestamp)
    }

    /// Midnight (Beijing time) at the start of a `YYYY-MM-DD` date.
    pub fn parse_date(s: &str) -> Option<Timestamp> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = time::Date::parse(s.trim(), &format).ok()?;
        let t = date.midnight().assume_offset(BEIJING);
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Timestamp)
    }
}

const BEIJING: time::UtcOffset = time::macros::offset!(+8);

/// A source of the current time.
pub trait Clock {
    fn now(&self) -> Timestamp;
}

/// A source of unique ids. The device implementation draws from the OS; tests use [`SeededIds`].
pub trait IdSource {
    /// Ten random bytes for a UUIDv7.
    fn random_bytes(&mut self) -> [u8; 10];

    /// A UUIDv7 for the given instant.
    fn next_uuid(&mut self, now: Timestamp) -> Uuid {
        let millis = u64::try_from(now.0).unwrap_or(0);
        uuid::Builder::from_unix_timestamp_millis(millis, &self.random_bytes()).into_uuid()
    }
}

/// A clock that always says the same instant; tests and replays move it by hand.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// Deterministic ids from a seed (SplitMix64), for tests, simulations and demo data.
#[derive(Debug, Clone)]
pub struct SeededIds {
    state: u64,
}

impl SeededIds {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl IdSource for SeededIds {
    fn random_bytes(&mut self) -> [u8; 10] {
        let a = self.next_u64().to_le_bytes();
        let b = self.next_u64().to_le_bytes();
        let mut out = [0u8; 10];
        out[..8].copy_from_slice(&a);
        out[8..].copy_from_slice(&b[..2]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_time_is_eight_hours_ahead_of_utc() {
        // 2021-03-01 00:00 UTC
        assert_eq!(Timestamp(1_614_556_800_000).beijing(), "2021-03-01 08:00");
        assert_eq!(
            Timestamp::parse_date("2021-03-01"),
            Some(Timestamp(1_614_556_800_000 - 8 * 3_600_000))
        );
        assert_eq!(Timestamp::parse_date("2021-13-01"), None);
    }

    #[test]
    fn seeded_ids_are_time_ordered_and_repeatable() {
        let mut a = SeededIds::new(7);
        let mut b = SeededIds::new(7);
        let x = a.next_uuid(Timestamp(1_000));
        let y = a.next_uuid(Timestamp(2_000));
        assert_eq!(x, b.next_uuid(Timestamp(1_000)));
        assert!(x < y);
        assert_eq!(x.get_version_num(), 7);
    }
}
