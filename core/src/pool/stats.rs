//! Pool statistics: gauges, counters, and acquire-wait percentiles.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A snapshot of the pool, from [`super::Pool::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PoolStats {
    /// Connections open and idle (readers plus the writer when it is free).
    pub idle: u64,
    /// Connections handed out right now.
    pub in_use: u64,
    /// Callers waiting for a connection right now.
    pub waiting: u64,
    /// Reader connections open (idle or in use).
    pub readers_open: u64,
    /// The configured `max_readers`.
    pub max_readers: u64,
    /// Connections opened since the pool was created (including replacements).
    pub created: u64,
    /// Connections closed because they outlived `max_lifetime` or `idle_timeout`.
    pub recycled: u64,
    /// Connections closed because they failed: a fatal SQLite error, a failed health
    /// check, or a transaction that could not be rolled back.
    pub discarded: u64,
    /// Successful acquires since the pool was created.
    pub acquires: u64,
    /// Acquires that failed with `PoolTimeout`.
    pub acquire_timeouts: u64,
    /// WAL checkpoints run by the pool's background checkpointer
    /// ([`super::Checkpoint::Background`]); always 0 in `OnCommit` mode, where SQLite
    /// checkpoints inside commits.
    pub checkpoints: u64,
    /// WAL checkpoints a committing writer ran itself in `Background` mode, because the
    /// WAL reached four times its threshold (writes that never pause leave the
    /// background checkpoints no moment to catch up; see [`super::Checkpoint`]).
    pub writer_checkpoints: u64,
    /// Median wait for a connection, over the most recent acquires.
    #[serde(serialize_with = "as_micros")]
    pub wait_p50: Duration,
    /// 95th-percentile wait for a connection, over the most recent acquires.
    #[serde(serialize_with = "as_micros")]
    pub wait_p95: Duration,
    /// 99th-percentile wait for a connection, over the most recent acquires.
    #[serde(serialize_with = "as_micros")]
    pub wait_p99: Duration,
    /// Longest wait among the most recent acquires.
    #[serde(serialize_with = "as_micros")]
    pub wait_max: Duration,
}

fn as_micros<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_micros() as u64)
}

/// Monotonic counters shared by both sides of the pool.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) created: AtomicU64,
    pub(crate) recycled: AtomicU64,
    pub(crate) discarded: AtomicU64,
    pub(crate) acquires: AtomicU64,
    pub(crate) timeouts: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn fill(&self, stats: &mut PoolStats) {
        stats.created = self.created.load(Ordering::Relaxed);
        stats.recycled = self.recycled.load(Ordering::Relaxed);
        stats.discarded = self.discarded.load(Ordering::Relaxed);
        stats.acquires = self.acquires.load(Ordering::Relaxed);
        stats.acquire_timeouts = self.timeouts.load(Ordering::Relaxed);
    }
}

/// How many recent waits the percentiles are computed over.
const WAIT_WINDOW: usize = 1024;

/// The most recent acquire waits, in microseconds, as a ring buffer.
///
/// Kept inside each side's state lock, which acquire already holds, so recording a wait
/// costs a store rather than another lock.
#[derive(Debug)]
pub(crate) struct WaitRing {
    samples: Box<[u32; WAIT_WINDOW]>,
    next: usize,
    len: usize,
}

impl Default for WaitRing {
    fn default() -> Self {
        WaitRing {
            samples: Box::new([0; WAIT_WINDOW]),
            next: 0,
            len: 0,
        }
    }
}

impl WaitRing {
    pub(crate) fn record(&mut self, wait: Duration) {
        self.samples[self.next] = wait.as_micros().min(u32::MAX as u128) as u32;
        self.next = (self.next + 1) % WAIT_WINDOW;
        self.len = (self.len + 1).min(WAIT_WINDOW);
    }

    pub(crate) fn extend_into(&self, out: &mut Vec<u32>) {
        out.extend_from_slice(&self.samples[..self.len]);
    }
}

/// Fills the percentile fields from merged samples.
pub(crate) fn fill_percentiles(stats: &mut PoolStats, mut samples: Vec<u32>) {
    if samples.is_empty() {
        return;
    }
    samples.sort_unstable();
    let at = |q: f64| {
        let idx = ((samples.len() - 1) as f64 * q).round() as usize;
        Duration::from_micros(u64::from(samples[idx]))
    };
    stats.wait_p50 = at(0.50);
    stats.wait_p95 = at(0.95);
    stats.wait_p99 = at(0.99);
    stats.wait_max = at(1.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_over_a_wrapped_window() {
        let mut ring = WaitRing::default();
        for i in 0..(WAIT_WINDOW as u64 + 100) {
            ring.record(Duration::from_micros(i));
        }
        let mut samples = Vec::new();
        ring.extend_into(&mut samples);
        assert_eq!(samples.len(), WAIT_WINDOW);
        let mut stats = PoolStats::default();
        fill_percentiles(&mut stats, samples);
        // The oldest 100 samples were overwritten: the window is 100..1124.
        assert_eq!(
            stats.wait_max,
            Duration::from_micros(WAIT_WINDOW as u64 + 99)
        );
        assert!(stats.wait_p50 >= Duration::from_micros(600));
        assert!(stats.wait_p50 <= stats.wait_p95 && stats.wait_p95 <= stats.wait_p99);
    }
}
