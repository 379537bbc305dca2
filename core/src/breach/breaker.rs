//! Backoff and the circuit breaker that protect the range API (and the login path) from
//! each other when the API is failing.
//!
//! After `threshold` consecutive failed checks the breaker opens: for `cooldown` no
//! request is sent and checks answer `Unknown` at once. Then one trial request is let
//! through (half-open); success closes the breaker, failure opens it again. A 429 with a
//! long `Retry-After` blocks requests until that time regardless of the failure count.

use std::time::{Duration, Instant};

/// Exponential backoff before retry number `attempt` (1-based): `base * 2^(attempt-1)`,
/// capped at `max`.
pub(crate) fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    base.checked_mul(factor).unwrap_or(max).min(max)
}

#[derive(Debug, Default)]
pub(crate) struct Breaker {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    /// When the half-open trial request was let through. A trial that never reports
    /// back (a host transport that hung or panicked) stops blocking after a cool-down.
    trial_started: Option<Instant>,
    blocked_until: Option<Instant>,
}

/// What the breaker allows.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Send requests. `trial` is true for the half-open probe.
    Go { trial: bool },
    /// Do not send anything; the reason names why and for how long.
    Refuse(String),
}

impl Breaker {
    pub(crate) fn admit(&mut self, now: Instant, cooldown: Duration) -> Admission {
        if let Some(until) = self.blocked_until {
            if now < until {
                return Admission::Refuse(format!(
                    "breach API asked to retry after {}s (429); not calling it until then",
                    (until - now).as_secs().max(1)
                ));
            }
            self.blocked_until = None;
        }
        match self.open_until {
            None => Admission::Go { trial: false },
            Some(until) if now < until => Admission::Refuse(format!(
                "circuit breaker open after {} consecutive failures; next attempt in {}s",
                self.consecutive_failures,
                (until - now).as_secs().max(1)
            )),
            Some(_) if self.trial_started.is_some_and(|t| now < t + cooldown) => Admission::Refuse(
                "circuit breaker half-open; a trial request is in flight".to_string(),
            ),
            Some(_) => {
                self.trial_started = Some(now);
                Admission::Go { trial: true }
            }
        }
    }

    pub(crate) fn on_success(&mut self) {
        self.consecutive_failures = 0;
        self.open_until = None;
        self.trial_started = None;
    }

    pub(crate) fn on_failure(&mut self, now: Instant, threshold: u32, cooldown: Duration) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.trial_started = None;
        if self.consecutive_failures >= threshold {
            self.open_until = Some(now + cooldown);
            log::warn!(
                "breach API circuit breaker open after {} consecutive failures: no requests \
                 for {cooldown:?}",
                self.consecutive_failures
            );
        }
    }

    pub(crate) fn block_until(&mut self, until: Instant) {
        self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let (base, max) = (Duration::from_millis(100), Duration::from_millis(1000));
        let got: Vec<_> = (1..=6).map(|a| backoff(base, max, a).as_millis()).collect();
        assert_eq!(got, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff(base, max, 200), max);
    }

    #[test]
    fn opens_after_threshold_then_half_opens_once() {
        let t0 = Instant::now();
        let cool = Duration::from_secs(30);
        let mut b = Breaker::default();
        for _ in 0..2 {
            assert_eq!(b.admit(t0, cool), Admission::Go { trial: false });
            b.on_failure(t0, 3, cool);
        }
        b.on_failure(t0, 3, cool);
        assert!(matches!(b.admit(t0, cool), Admission::Refuse(r) if r.contains("3 consecutive")));
        let later = t0 + cool;
        assert_eq!(b.admit(later, cool), Admission::Go { trial: true });
        assert!(matches!(b.admit(later, cool), Admission::Refuse(r) if r.contains("half-open")));
        b.on_failure(later, 3, cool);
        assert!(matches!(b.admit(later, cool), Admission::Refuse(_)));
        assert_eq!(b.admit(later + cool, cool), Admission::Go { trial: true });
        b.on_success();
        assert_eq!(b.admit(later + cool, cool), Admission::Go { trial: false });
    }

    #[test]
    fn a_trial_that_never_reports_back_stops_blocking() {
        let t0 = Instant::now();
        let cool = Duration::from_secs(30);
        let mut b = Breaker::default();
        b.on_failure(t0, 1, cool);
        assert_eq!(b.admit(t0 + cool, cool), Admission::Go { trial: true });
        // No on_success/on_failure (the transport hung or panicked).
        assert!(matches!(b.admit(t0 + cool, cool), Admission::Refuse(_)));
        assert_eq!(b.admit(t0 + cool * 2, cool), Admission::Go { trial: true });
    }

    #[test]
    fn retry_after_blocks_until_due() {
        let t0 = Instant::now();
        let cool = Duration::from_secs(30);
        let mut b = Breaker::default();
        b.block_until(t0 + Duration::from_secs(120));
        assert!(matches!(b.admit(t0, cool), Admission::Refuse(r) if r.contains("120s")));
        assert_eq!(
            b.admit(t0 + Duration::from_secs(120), cool),
            Admission::Go { trial: false }
        );
    }
}
