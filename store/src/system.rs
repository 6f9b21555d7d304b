//! The real clock and the real source of randomness, for devices and servers. The core never
//! reads either itself.

use gridvoice_core::clock::{Clock, IdSource, Timestamp};

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(ms)
    }
}

/// Ids from the operating system's randomness.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsIds;

impl IdSource for OsIds {
    fn random_bytes(&mut self) -> [u8; 10] {
        let mut out = [0u8; 10];
        // The OS source fails only when the platform has none at all; a time-derived fallback then
        // still gives distinct ids on one device (the UUIDv7 timestamp prefix does the rest).
        if getrandom::fill(&mut out).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            out.copy_from_slice(&nanos.to_le_bytes()[..10]);
        }
        out
    }
}
