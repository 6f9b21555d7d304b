//! Retry delays: exponential, capped, with jitter so that a station's devices coming back on the
//! same Wi-Fi do not reconnect in lockstep.

use std::time::Duration;

use rand::Rng;

/// How long to wait between attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    /// Delay before the first retry.
    pub initial: Duration,
    /// No delay is longer than this.
    pub max: Duration,
    /// Growth per attempt (2.0 doubles).
    pub factor: f64,
    /// Give up after this many attempts in total (`None`: until stopped).
    pub max_attempts: Option<u32>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(60),
            factor: 2.0,
            max_attempts: None,
        }
    }
}

impl Backoff {
    /// The delay after failed attempt number `attempt` (1-based): "equal jitter", uniformly in
    /// [d/2, d] where d = min(max, initial × factor^(attempt-1)), so it never collapses to zero.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let exp = i32::try_from(attempt.saturating_sub(1).min(64)).unwrap_or(64);
        let base = self.initial.as_secs_f64() * self.factor.max(1.0).powi(exp);
        let capped = base.min(self.max.as_secs_f64()).max(0.0);
        let jittered = capped / 2.0 + rng.random_range(0.0..=1.0) * capped / 2.0;
        Duration::from_secs_f64(jittered)
    }

    /// Whether another attempt is allowed after `attempts` attempts.
    pub fn allows(&self, attempts: u32) -> bool {
        self.max_attempts.is_none_or(|m| attempts < m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn delays_grow_are_capped_and_jittered() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            factor: 2.0,
            max_attempts: Some(5),
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for attempt in 1..40 {
            let d = b.delay(attempt, &mut rng);
            let full = (100.0 * 2f64.powi(attempt as i32 - 1)).min(1000.0);
            let ms = d.as_secs_f64() * 1000.0;
            assert!(
                ms >= full / 2.0 - 1e-6 && ms <= full + 1e-6,
                "attempt {attempt}: {ms}"
            );
        }
        let spread: std::collections::BTreeSet<u128> =
            (0..20).map(|_| b.delay(3, &mut rng).as_micros()).collect();
        assert!(spread.len() > 10, "jitter spreads devices out");
        assert!(b.allows(4) && !b.allows(5));
        assert!(Backoff::default().allows(u32::MAX - 1));
    }
}
