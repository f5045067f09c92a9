//! The in-memory rate limiter for sign-in, password resets and public forms.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// Counts attempts per key (an IP address) in a sliding window, in memory: enough for one
/// server process, and forgotten on restart, which only ever loosens the limit.
#[derive(Default)]
pub(crate) struct RateLimiter {
    hits: Mutex<HashMap<String, VecDeque<OffsetDateTime>>>,
}

impl RateLimiter {
    /// Records an attempt; `Err(seconds)` when the key is over `limit` in `window`.
    pub(crate) fn check(
        &self,
        key: &str,
        now: OffsetDateTime,
        limit: usize,
        window: Duration,
    ) -> Result<(), u64> {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if hits.len() > 10_000 {
            hits.retain(|_, q| q.back().is_some_and(|t| now - *t < window));
        }
        let q = hits.entry(key.to_owned()).or_default();
        while q.front().is_some_and(|t| now - *t >= window) {
            q.pop_front();
        }
        if q.len() >= limit {
            let oldest = q.front().copied().unwrap_or(now);
            return Err((window - (now - oldest)).whole_seconds().max(1) as u64);
        }
        q.push_back(now);
        Ok(())
    }

    /// Takes back an attempt recorded at `at` that turned out not to count (a sign-in that
    /// succeeded): counted first, so that attempts sent at once cannot all slip under the limit.
    pub(crate) fn forgive(&self, key: &str, at: OffsetDateTime) {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(q) = hits.get_mut(key) {
            if let Some(i) = q.iter().rposition(|t| *t == at) {
                q.remove(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_limiter_refuses_past_the_limit_and_forgets_after_the_window() {
        let l = RateLimiter::default();
        let t0 = datetime!(2026-11-24 09:00 UTC);
        for _ in 0..3 {
            assert!(l.check("ip", t0, 3, Duration::minutes(15)).is_ok());
        }
        assert_eq!(
            l.check("ip", t0 + Duration::minutes(5), 3, Duration::minutes(15)),
            Err(600)
        );
        assert!(l.check("other", t0, 3, Duration::minutes(15)).is_ok());
        assert!(l
            .check("ip", t0 + Duration::minutes(16), 3, Duration::minutes(15))
            .is_ok());
    }

    #[test]
    fn a_forgiven_attempt_no_longer_counts() {
        let l = RateLimiter::default();
        let t0 = datetime!(2026-11-24 09:00 UTC);
        for i in 0..10 {
            let at = t0 + Duration::seconds(i);
            assert!(l.check("ip", at, 2, Duration::minutes(15)).is_ok());
            l.forgive("ip", at);
        }
        assert!(l.check("ip", t0, 2, Duration::minutes(15)).is_ok());
        assert!(l.check("ip", t0, 2, Duration::minutes(15)).is_ok());
        assert!(l.check("ip", t0, 2, Duration::minutes(15)).is_err());
    }
}
