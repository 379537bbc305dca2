//! The batched background writer.
//!
//! `record` encrypts on the caller's thread (so encryption scales with callers) and sends
//! the prepared event through a bounded channel; when the channel is full, `record`
//! blocks (back-pressure) instead of growing memory. One background thread takes
//! everything queued (up to `max_batch` events) and appends it in one write transaction.
//!
//! Guarantees:
//! - A batched `record` returning `Ok` means *queued*, not durable.
//! - `flush()` returns `Ok` only once everything queued before it is committed (with the
//!   pool's `synchronous` setting deciding what "committed" survives).
//! - A failed batch is kept and retried (pausing 10 ms, doubling up to 1 s) without
//!   taking more events, so memory stays bounded (the queue plus one batch) however
//!   long storage fails. Meanwhile `flush()` reports the failure, and `record` with a
//!   full queue is refused with it instead of blocking: an event `record` accepted is
//!   never dropped, it is committed once storage works again. `close()` makes a last
//!   attempt and reports how many events it could not store.
//!
//! Written events go back to a bounded list of spares that `record` fills next, instead
//! of being freed on the writer thread: memory allocated on one thread and freed on
//! another contends for the allocator's per-thread arena lock (with glibc, a futex call
//! per few events), and the spares' `fields` buffers already have the right capacity.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::codec::Prepared;
use super::shared::Shared;
use super::store;
use crate::error::{Error, Result};

/// Tuning of batched mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// Events that may wait in the queue before `record` blocks (default 65,536).
    pub queue_capacity: usize,
    /// Most events written in one transaction (default 8,192).
    pub max_batch: usize,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            queue_capacity: 65_536,
            max_batch: 8_192,
        }
    }
}

impl BatchConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.queue_capacity == 0 || self.max_batch == 0 {
            return Err(Error::InvalidConfig(
                "audit BatchConfig: queue_capacity and max_batch must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// A spare whose `fields` buffer grew past this many bytes is freed, not kept. At most
/// `max_batch` spares are kept (about 6 MiB of typical ~700-byte events at the default).
const SPARE_FIELDS_MAX: usize = 2048;

/// Events already written, ready for `record` to fill again.
type Spares = Arc<Mutex<Vec<Box<Prepared>>>>;

/// Longest wait between two attempts at a failing batch.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// First wait after a batch failed.
const MIN_BACKOFF: Duration = Duration::from_millis(10);
/// How long a blocked `record` or `flush` waits between looks at the writer's state.
const POLL: Duration = Duration::from_millis(50);

/// What the writer thread tells `record` and `flush`.
#[derive(Default)]
struct State {
    /// Events committed so far (the writer takes them in queue order).
    committed: u64,
    /// Why the last batch failed; `None` once a batch is committed again.
    failure: Option<Error>,
    /// `close` was called: a failing batch is not retried forever.
    closing: bool,
}

/// Shared between the handle and the writer thread.
#[derive(Default)]
struct Progress {
    state: Mutex<State>,
    changed: Condvar,
    /// Events handed to the queue so far, counted before they are sent (and uncounted
    /// if the send fails), so that a `flush` waits for every event queued before it.
    queued: AtomicU64,
}

/// Handle to the background writer thread.
pub(crate) struct BatchWriter {
    tx: SyncSender<Box<Prepared>>,
    handle: JoinHandle<Result<()>>,
    spares: Spares,
    progress: Arc<Progress>,
}

impl BatchWriter {
    /// Starts the writer thread.
    pub fn start(shared: Arc<Shared>, config: BatchConfig) -> Result<Self> {
        config.validate()?;
        let (tx, rx) = sync_channel(config.queue_capacity);
        let spares = Spares::default();
        let progress = Arc::new(Progress::default());
        let handle = std::thread::Builder::new()
            .name("magnetar-audit-writer".into())
            .spawn({
                let spares = Arc::clone(&spares);
                let progress = Arc::clone(&progress);
                move || run(&shared, rx, config.max_batch, &spares, &progress)
            })
            .map_err(|e| Error::io("starting the audit writer thread", e))?;
        Ok(BatchWriter {
            tx,
            handle,
            spares,
            progress,
        })
    }

    /// An event to fill and [`BatchWriter::send`]: a spare if there is one.
    pub fn slot(&self) -> Box<Prepared> {
        self.spares.lock().pop().unwrap_or_default()
    }

    /// Queues an event. While the queue is full it waits for the writer (back-pressure),
    /// unless the writer is failing to store batches: then the queue will not drain,
    /// and the event is refused with the writer's error instead of waiting, unbounded,
    /// for storage to come back. `Ok` means queued: it will be committed once storage
    /// works (or `close` reports that it could not be).
    pub fn send(&self, event: Box<Prepared>) -> Result<()> {
        let progress = &*self.progress;
        progress.queued.fetch_add(1, Ordering::AcqRel);
        let mut event = event;
        let refused = loop {
            match self.tx.try_send(event) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Disconnected(_)) => break stopped(),
                Err(TrySendError::Full(back)) => event = back,
            }
            let mut state = progress.state.lock();
            if let Some(e) = &state.failure {
                break Error::Internal(format!(
                    "the audit log cannot store events and its queue is full; this event was not recorded: {}",
                    copy_error(e)
                ));
            }
            progress.changed.wait_for(&mut state, POLL);
        };
        progress.queued.fetch_sub(1, Ordering::AcqRel);
        Err(refused)
    }

    /// Waits until everything queued before this call is committed; reports the
    /// writer's failure instead while it cannot store batches (the events stay queued
    /// and are retried).
    pub fn flush(&self) -> Result<()> {
        let progress = &*self.progress;
        let target = progress.queued.load(Ordering::Acquire);
        let mut state = progress.state.lock();
        loop {
            // A refused send uncounts its event: never wait for one that is not coming.
            if state.committed >= target.min(progress.queued.load(Ordering::Acquire)) {
                return Ok(());
            }
            if let Some(e) = &state.failure {
                return Err(copy_error(e));
            }
            if self.handle.is_finished() {
                return Err(stopped());
            }
            progress.changed.wait_for(&mut state, POLL);
        }
    }

    /// Drains the queue, writes what is left and stops the thread. While storage fails,
    /// the last batch is tried once more and the failure reported.
    pub fn close(self) -> Result<()> {
        self.progress.state.lock().closing = true;
        drop(self.tx);
        self.handle
            .join()
            .map_err(|_| Error::Internal("the audit writer thread panicked".into()))?
    }
}

fn stopped() -> Error {
    Error::Internal("the audit writer thread has stopped".into())
}

/// The writer thread: takes up to `max_batch` queued events, commits them in one
/// transaction, and on failure keeps exactly those (taking no more, so memory stays
/// bounded by the queue and one batch) and retries them with a growing pause.
fn run(
    shared: &Shared,
    rx: Receiver<Box<Prepared>>,
    max_batch: usize,
    spares: &Spares,
    progress: &Progress,
) -> Result<()> {
    let mut pending: Vec<Box<Prepared>> = Vec::new();
    let mut backoff = MIN_BACKOFF;
    loop {
        if pending.is_empty() {
            // Blocks for the next event; `Err` means every sender is gone: close.
            match rx.recv() {
                Ok(e) => pending.push(e),
                Err(_) => return Ok(()),
            }
        }
        while pending.len() < max_batch {
            match rx.try_recv() {
                Ok(e) => pending.push(e),
                Err(_) => break,
            }
        }
        let n = pending.len() as u64;
        let result = write(shared, &mut pending, spares, max_batch);
        let mut state = progress.state.lock();
        match result {
            Ok(()) => {
                state.committed += n;
                state.failure = None;
                backoff = MIN_BACKOFF;
            }
            Err(e) => {
                log::error!(
                    "magnetar audit: writing a batch of {n} events failed, will retry: {e}"
                );
                if state.closing {
                    let queued = rx.try_iter().count() as u64;
                    return Err(Error::Internal(format!(
                        "closing the audit log: {} queued events could not be stored: {e}",
                        n + queued
                    )));
                }
                state.failure = Some(e);
            }
        }
        progress.changed.notify_all();
        if state.failure.is_some() {
            drop(state);
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

/// Appends `pending` in one transaction and, on success, empties it into `spares` (up
/// to `max_spares` of them).
#[allow(
    clippy::vec_box,
    reason = "the boxes themselves are recycled: they travel the channel and come back"
)]
fn write(
    shared: &Shared,
    pending: &mut Vec<Box<Prepared>>,
    spares: &Spares,
    max_spares: usize,
) -> Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    store::write(shared, pending)?;
    {
        let mut spares = spares.lock();
        let room = max_spares.saturating_sub(spares.len());
        let keep = pending.len().min(room);
        spares.extend(
            pending
                .drain(..keep)
                .filter(|e| e.fields.capacity() <= SPARE_FIELDS_MAX),
        );
    }
    // Past the bound: freed here, outside the lock.
    pending.clear();
    Ok(())
}

/// A copy of `e` for each flush waiter (`Error` is not `Clone`: it may hold an
/// `io::Error`). Database errors keep their kind and code.
fn copy_error(e: &Error) -> Error {
    match e {
        Error::Database {
            kind,
            code,
            message,
        } => Error::Database {
            kind: *kind,
            code: *code,
            message: message.clone(),
        },
        Error::PoolTimeout { waited, what } => Error::PoolTimeout {
            waited: *waited,
            what: what.clone(),
        },
        Error::PoolClosed(p) => Error::PoolClosed(p.clone()),
        Error::Unavailable { target, cause } => Error::Unavailable {
            target: target.clone(),
            cause: cause.clone(),
        },
        Error::Tampered(m) => Error::Tampered(m.clone()),
        other => Error::Internal(format!("batched audit write failed: {other}")),
    }
}
