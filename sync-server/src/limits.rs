//! How much one device (or one source address) may use the server: sync sockets open at once,
//! requests per second, failed enrolments per minute. Every key is what the server itself knows —
//! the authenticated device, the socket's peer address — never a header the client writes
//! (`X-Forwarded-For`).
//!
//! The buckets are hand-written rather than `governor`'s: a failed enrolment is charged only
//! once it has failed (a training session enrols thirty phones from one office network in a
//! minute), which needs a look without a charge, and memory stays bounded by forgetting buckets
//! that have filled up again.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gridvoice_core::ids::DeviceId;

/// A rate: `burst` at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub burst: f64,
    pub per_second: f64,
}

impl Rate {
    /// A device's requests (HTTP and sync sockets). The station's pages fire a few dozen at
    /// once when a list opens (each row's details), and a head working quickly through the inbox
    /// keeps that up for a while: the browser stories, quicker than any person, went past a
    /// burst of 120 in under four seconds.
    pub const REQUESTS: Rate = Rate {
        burst: 600.0,
        per_second: 60.0,
    };
    /// Failed enrolments from one address: ten, then one a minute.
    pub const FAILED_ENROLMENTS: Rate = Rate {
        burst: 10.0,
        per_second: 1.0 / 60.0,
    };
}

/// Keyed token buckets.
#[derive(Debug)]
pub struct Buckets<K> {
    rate: Rate,
    held: Mutex<HashMap<K, (f64, Instant)>>,
}

/// Keys remembered at most; beyond, buckets that have filled up again are forgotten first.
const MAX_KEYS: usize = 100_000;

impl<K: Hash + Eq + Clone> Buckets<K> {
    pub fn new(rate: Rate) -> Buckets<K> {
        Buckets {
            rate,
            held: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or says how long until one is there.
    pub fn take(&self, key: &K) -> Result<(), Duration> {
        self.look(key, true)
    }

    /// Whether `key` has a token, taking none.
    pub fn peek(&self, key: &K) -> Result<(), Duration> {
        self.look(key, false)
    }

    fn look(&self, key: &K, charge: bool) -> Result<(), Duration> {
        let now = Instant::now();
        let Ok(mut held) = self.held.lock() else {
            // A panic elsewhere poisoned the map: let requests through rather than refuse all.
            return Ok(());
        };
        if held.len() >= MAX_KEYS && !held.contains_key(key) {
            let rate = self.rate;
            held.retain(|_, b| level(rate, *b, now) < rate.burst);
            if held.len() >= MAX_KEYS {
                held.clear();
            }
        }
        let b = held.entry(key.clone()).or_insert((self.rate.burst, now));
        let tokens = level(self.rate, *b, now);
        if tokens < 1.0 {
            let wait = (1.0 - tokens) / self.rate.per_second;
            return Err(Duration::from_secs_f64(wait.clamp(0.001, 3600.0)));
        }
        *b = (if charge { tokens - 1.0 } else { tokens }, now);
        Ok(())
    }
}

fn level(rate: Rate, (tokens, at): (f64, Instant), now: Instant) -> f64 {
    let since = now.saturating_duration_since(at).as_secs_f64();
    (tokens + since * rate.per_second).min(rate.burst)
}

/// Sync sockets open, in all and by device.
#[derive(Debug, Default)]
pub struct Connections {
    open: Mutex<(usize, HashMap<DeviceId, usize>)>,
}

/// Why no socket: the server is full, or this device holds its share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    Server,
    Device,
}

impl Connections {
    /// A slot for one more socket of `device`, released when the slot is dropped.
    pub fn take(
        self: &Arc<Self>,
        device: DeviceId,
        most: usize,
        most_per_device: usize,
    ) -> Result<Slot, Full> {
        let mut open = self.open.lock().map_err(|_| Full::Server)?;
        if open.0 >= most {
            return Err(Full::Server);
        }
        let mine = open.1.entry(device).or_default();
        if *mine >= most_per_device {
            return Err(Full::Device);
        }
        *mine += 1;
        open.0 += 1;
        Ok(Slot {
            of: self.clone(),
            device,
        })
    }

    /// Sockets open now.
    pub fn open(&self) -> usize {
        self.open.lock().map_or(0, |o| o.0)
    }
}

/// One open sync socket's place.
#[derive(Debug)]
pub struct Slot {
    of: Arc<Connections>,
    device: DeviceId,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.of.open.lock() {
            open.0 = open.0.saturating_sub(1);
            if let Some(n) = open.1.get_mut(&self.device) {
                *n -= 1;
                if *n == 0 {
                    open.1.remove(&self.device);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_gives_its_burst_then_says_how_long_to_wait() {
        let b = Buckets::new(Rate {
            burst: 3.0,
            per_second: 1.0,
        });
        for _ in 0..3 {
            assert_eq!(b.take(&"phone"), Ok(()));
        }
        let wait = b.take(&"phone").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // Another key has its own bucket; a look takes nothing.
        assert_eq!(b.peek(&"laptop"), Ok(()));
        for _ in 0..3 {
            assert_eq!(b.take(&"laptop"), Ok(()));
        }
        assert!(b.peek(&"laptop").is_err());
    }

    #[test]
    fn a_device_gets_its_share_of_sockets_and_a_closed_one_frees_its_place() {
        let c = Arc::new(Connections::default());
        let (a, b) = (
            DeviceId(uuid::Uuid::from_u128(1)),
            DeviceId(uuid::Uuid::from_u128(2)),
        );
        let first = c.take(a, 3, 2).unwrap();
        let _second = c.take(a, 3, 2).unwrap();
        assert_eq!(c.take(a, 3, 2).unwrap_err(), Full::Device);
        let _other = c.take(b, 3, 2).unwrap();
        assert_eq!(c.take(b, 3, 2).unwrap_err(), Full::Server);
        drop(first);
        assert_eq!(c.open(), 2);
        assert!(c.take(a, 3, 2).is_ok());
    }
}
