//! Time, injectable.
//!
//! Pool recycling, session timeouts and cache TTLs all depend on time. Tests must be able
//! to move time forward by an hour without sleeping for one, so every component takes a
//! [`Clock`] and production code uses [`SystemClock`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of monotonic and wall-clock time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Monotonic time, for measuring durations (pool lifetimes, TTLs).
    fn now(&self) -> Instant;
    /// Wall-clock time as milliseconds since the Unix epoch (audit timestamps, sessions).
    fn unix_millis(&self) -> i64;
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn unix_millis(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// The default clock as a shared handle.
pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}

/// A clock that only moves when told to; for tests of timeouts and recycling.
///
/// Both the monotonic and the wall-clock readings advance together.
#[derive(Debug)]
pub struct ManualClock {
    base: Instant,
    base_unix_millis: i64,
    offset_nanos: AtomicU64,
}

impl ManualClock {
    /// A manual clock starting at the current real time.
    pub fn new() -> Arc<Self> {
        Arc::new(ManualClock {
            base: Instant::now(),
            base_unix_millis: SystemClock.unix_millis(),
            offset_nanos: AtomicU64::new(0),
        })
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        self.offset_nanos
            .fetch_add(by.as_nanos() as u64, Ordering::SeqCst);
    }

    fn offset(&self) -> Duration {
        Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.base + self.offset()
    }
    fn unix_millis(&self) -> i64 {
        self.base_unix_millis + self.offset().as_millis() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_advances_both_readings() {
        let clock = ManualClock::new();
        let (t0, w0) = (clock.now(), clock.unix_millis());
        clock.advance(Duration::from_secs(3600));
        assert_eq!(clock.now() - t0, Duration::from_secs(3600));
        assert_eq!(clock.unix_millis() - w0, 3_600_000);
    }
}
