//! One side of the pool: the writer (capacity 1) or the readers (capacity `max_readers`).
//!
//! Both sides share this logic: a stack of idle connections, a count of those handed out
//! or being opened, and a condition variable for callers waiting for one. Slow work
//! (opening, closing, health checks) happens outside the lock.

use std::panic::Location;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use super::checkpoint::Signal;
use super::config::{PoolConfig, Role};
use super::connection::{self, Slot};
use super::stats::{Counters, PoolStats, WaitRing};
use crate::error::{Error, Result};

/// A connection handed out, as the leak detector sees it.
struct Checkout {
    id: u64,
    location: &'static Location<'static>,
    since: Instant,
    reported: bool,
}

#[derive(Default)]
struct State {
    /// Idle connections, most recently used last (LIFO keeps caches warm and lets the
    /// oldest sink to the bottom where idle pruning finds them).
    idle: Vec<Slot>,
    /// Handed out right now.
    out: usize,
    /// Being opened outside the lock; counts against capacity.
    opening: usize,
    /// Callers blocked in `acquire`.
    waiting: usize,
    waits: WaitRing,
    /// Only maintained when `leak_threshold` is set.
    checkouts: Vec<Checkout>,
    next_checkout_id: u64,
}

pub(crate) struct Side {
    role: Role,
    capacity: usize,
    state: Mutex<State>,
    /// Signalled when a connection is returned or capacity frees up, and on close.
    available: Condvar,
}

/// What `acquire` hands back: the connection and its leak-tracking id.
pub(crate) struct Acquired {
    pub(crate) slot: Slot,
    pub(crate) checkout_id: u64,
}

/// Shared context a side needs from the pool.
pub(crate) struct Env<'a> {
    pub(crate) path: &'a Path,
    pub(crate) config: &'a PoolConfig,
    pub(crate) counters: &'a Counters,
    pub(crate) closed: &'a AtomicBool,
    /// The background checkpointer's signal, for the writer's WAL hook (Background mode).
    pub(crate) checkpoints: Option<&'a Arc<Signal>>,
}

impl Side {
    pub(crate) fn new(role: Role, capacity: usize) -> Self {
        Side {
            role,
            capacity,
            state: Mutex::new(State::default()),
            available: Condvar::new(),
        }
    }

    /// Opens a connection now and parks it idle (pool start-up, `min_idle`).
    pub(crate) fn prefill(&self, env: &Env<'_>) -> Result<()> {
        let slot = connection::open(env.path, self.role, env.config, env.checkpoints)?;
        Counters::bump(&env.counters.created);
        self.state.lock().idle.push(slot);
        Ok(())
    }

    /// Takes a connection, waiting up to `acquire_timeout` for one to be free.
    pub(crate) fn acquire(
        &self,
        env: &Env<'_>,
        location: &'static Location<'static>,
    ) -> Result<Acquired> {
        let started = Instant::now();
        let deadline = started + env.config.acquire_timeout;
        let mut st = self.state.lock();
        loop {
            if env.closed.load(Ordering::Acquire) {
                return Err(closed_error(env.path));
            }
            if let Some(slot) = st.idle.pop() {
                st.out += 1;
                let id = self.note_checkout(&mut st, env, location, started);
                drop(st);
                return match self.prepare(env, slot) {
                    Ok(slot) => Ok(Acquired {
                        slot,
                        checkout_id: id,
                    }),
                    Err(e) => {
                        self.forget(id, true);
                        Err(e)
                    }
                };
            }
            if st.idle.len() + st.out + st.opening < self.capacity {
                st.opening += 1;
                drop(st);
                let opened = connection::open(env.path, self.role, env.config, env.checkpoints);
                let mut st = self.state.lock();
                st.opening -= 1;
                return match opened {
                    Ok(slot) => {
                        Counters::bump(&env.counters.created);
                        st.out += 1;
                        let id = self.note_checkout(&mut st, env, location, started);
                        Ok(Acquired {
                            slot,
                            checkout_id: id,
                        })
                    }
                    Err(e) => {
                        // Capacity freed: let a waiter try (and likely report the same).
                        self.available.notify_one();
                        Err(e)
                    }
                };
            }
            st.waiting += 1;
            let timed_out = self.available.wait_until(&mut st, deadline).timed_out();
            st.waiting -= 1;
            if timed_out && st.idle.is_empty() {
                Counters::bump(&env.counters.timeouts);
                let held = self.report_leaks(&mut st, env, true);
                return Err(Error::PoolTimeout {
                    waited: started.elapsed(),
                    what: format!(
                        "{} {} connection (acquire_timeout = {:?}){held}",
                        if self.role == Role::Writer {
                            "the"
                        } else {
                            "a"
                        },
                        self.role.name(),
                        env.config.acquire_timeout
                    ),
                });
            }
        }
    }

    fn note_checkout(
        &self,
        st: &mut State,
        env: &Env<'_>,
        location: &'static Location<'static>,
        started: Instant,
    ) -> u64 {
        Counters::bump(&env.counters.acquires);
        st.waits.record(started.elapsed());
        if env.config.leak_threshold.is_none() {
            return 0;
        }
        self.report_leaks(st, env, false);
        st.next_checkout_id += 1;
        let id = st.next_checkout_id;
        st.checkouts.push(Checkout {
            id,
            location,
            since: Instant::now(),
            reported: false,
        });
        id
    }

    /// Warns once per connection held past `leak_threshold`; returns a note naming the
    /// holders for a timeout message when `describe` is set.
    fn report_leaks(&self, st: &mut State, env: &Env<'_>, describe: bool) -> String {
        let Some(threshold) = env.config.leak_threshold else {
            return String::new();
        };
        let mut note = String::new();
        for c in st.checkouts.iter_mut() {
            let held = c.since.elapsed();
            if held < threshold {
                continue;
            }
            if !c.reported {
                c.reported = true;
                log::warn!(
                    "magnetar pool {}: {} connection acquired at {} has been held for {:?} \
                     (leak_threshold {:?}); possible leak",
                    env.path.display(),
                    self.role.name(),
                    c.location,
                    held,
                    threshold
                );
            }
            if describe {
                note.push_str(&format!(
                    "; held for {held:?} by the caller at {}",
                    c.location
                ));
            }
        }
        note
    }

    /// Replaces a connection that is too old or idled too long; health-checks one that
    /// idled past the threshold. Runs outside the lock.
    fn prepare(&self, env: &Env<'_>, mut slot: Slot) -> Result<Slot> {
        let now = env.config.clock.now();
        let too_old = env
            .config
            .max_lifetime
            .is_some_and(|max| now.saturating_duration_since(slot.created) >= max);
        let idled_out = self.role == Role::Reader
            && env
                .config
                .idle_timeout
                .is_some_and(|max| now.saturating_duration_since(slot.last_used) >= max);
        if too_old || idled_out {
            Counters::bump(&env.counters.recycled);
            drop(slot);
            slot = connection::open(env.path, self.role, env.config, env.checkpoints)?;
            Counters::bump(&env.counters.created);
        } else if now.saturating_duration_since(slot.last_used) >= env.config.health_check_after
            && !connection::is_healthy(&slot.conn, &env.config.health_check_sql)
        {
            log::warn!(
                "magnetar pool {}: {} connection failed its health check; replacing it",
                env.path.display(),
                self.role.name()
            );
            Counters::bump(&env.counters.discarded);
            drop(slot);
            slot = connection::open(env.path, self.role, env.config, env.checkpoints)?;
            Counters::bump(&env.counters.created);
        }
        Ok(slot)
    }

    /// Takes back a connection. `broken` discards it instead of keeping it.
    pub(crate) fn release(&self, env: &Env<'_>, mut slot: Slot, checkout_id: u64, broken: bool) {
        let mut broken = broken;
        if !broken && !slot.conn.is_autocommit() {
            // The holder left a transaction open (a guard dropped mid-transaction, or a
            // commit that failed): roll it back, or the next holder inherits it.
            broken = slot.conn.execute_batch("ROLLBACK").is_err();
        }
        let closing = env.closed.load(Ordering::Acquire);
        let mut dropped: Vec<Slot> = Vec::new();
        {
            let mut st = self.state.lock();
            st.out -= 1;
            self.end_checkout(&mut st, env, checkout_id);
            if broken || closing {
                if broken {
                    Counters::bump(&env.counters.discarded);
                }
                dropped.push(slot);
            } else {
                slot.last_used = env.config.clock.now();
                st.idle.push(slot);
                if self.role == Role::Reader {
                    self.prune_idle(&mut st, env, &mut dropped);
                }
            }
            if closing {
                self.available.notify_all();
            } else {
                self.available.notify_one();
            }
        }
        // Closing a connection can checkpoint and fsync: never under the lock.
        drop(dropped);
    }

    /// Forgets a checkout whose connection is already gone (failed to prepare).
    fn forget(&self, checkout_id: u64, failed: bool) {
        let mut st = self.state.lock();
        st.out -= 1;
        st.checkouts.retain(|c| c.id != checkout_id);
        if failed {
            self.available.notify_one();
        }
    }

    fn end_checkout(&self, st: &mut State, env: &Env<'_>, checkout_id: u64) {
        if checkout_id == 0 {
            return;
        }
        if let Some(pos) = st.checkouts.iter().position(|c| c.id == checkout_id) {
            let c = st.checkouts.swap_remove(pos);
            if c.reported {
                log::info!(
                    "magnetar pool {}: connection acquired at {} returned after {:?}",
                    env.path.display(),
                    c.location,
                    c.since.elapsed()
                );
            }
        }
    }

    /// Closes readers idle past `idle_timeout`, keeping `min_idle`.
    fn prune_idle(&self, st: &mut State, env: &Env<'_>, dropped: &mut Vec<Slot>) {
        let Some(max_idle) = env.config.idle_timeout else {
            return;
        };
        let now = env.config.clock.now();
        while st.idle.len() > env.config.min_idle {
            // The bottom of the stack is the longest idle.
            if now.saturating_duration_since(st.idle[0].last_used) < max_idle {
                break;
            }
            dropped.push(st.idle.remove(0));
            Counters::bump(&env.counters.recycled);
        }
    }

    /// Adds this side's gauges and wait samples to a snapshot.
    pub(crate) fn snapshot(&self, env: &Env<'_>, stats: &mut PoolStats, waits: &mut Vec<u32>) {
        let mut st = self.state.lock();
        self.report_leaks(&mut st, env, false);
        stats.idle += st.idle.len() as u64;
        stats.in_use += st.out as u64;
        stats.waiting += st.waiting as u64;
        if self.role == Role::Reader {
            stats.readers_open += (st.idle.len() + st.out) as u64;
        }
        st.waits.extend_into(waits);
    }

    /// Wakes every waiter (they will see the pool closed) and closes idle connections.
    pub(crate) fn shut(&self) {
        let idle = {
            let mut st = self.state.lock();
            self.available.notify_all();
            std::mem::take(&mut st.idle)
        };
        drop(idle);
    }

    /// Waits until every connection of this side has come back, or `deadline`.
    /// Returns how many are still out.
    pub(crate) fn drain(&self, deadline: Instant) -> usize {
        let mut st = self.state.lock();
        while st.out + st.opening > 0 {
            if self.available.wait_until(&mut st, deadline).timed_out() {
                break;
            }
        }
        st.out + st.opening
    }
}

pub(crate) fn closed_error(path: &Path) -> Error {
    Error::PoolClosed(path.display().to_string())
}
