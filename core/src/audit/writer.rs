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
//! - A failed batch is kept and retried with the next one; the failure is reported to
//!   every `flush()` waiting on it. `close()` makes a last attempt and reports failure.
//!
//! Written events go back to a bounded list of spares that `record` fills next, instead
//! of being freed on the writer thread: memory allocated on one thread and freed on
//! another contends for the allocator's per-thread arena lock (with glibc, a futex call
//! per few events), and the spares' `fields` buffers already have the right capacity.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use parking_lot::Mutex;

use super::Shared;
use super::codec::Prepared;
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

enum Msg {
    Event(Box<Prepared>),
    Flush(SyncSender<Result<()>>),
}

/// Handle to the background writer thread.
pub(crate) struct BatchWriter {
    tx: SyncSender<Msg>,
    handle: JoinHandle<Result<()>>,
    spares: Spares,
}

impl BatchWriter {
    /// Starts the writer thread.
    pub fn start(shared: Arc<Shared>, config: BatchConfig) -> Result<Self> {
        config.validate()?;
        let (tx, rx) = sync_channel(config.queue_capacity);
        let spares = Spares::default();
        let handle = std::thread::Builder::new()
            .name("magnetar-audit-writer".into())
            .spawn({
                let spares = Arc::clone(&spares);
                move || run(&shared, rx, config.max_batch, &spares)
            })
            .map_err(|e| Error::io("starting the audit writer thread", e))?;
        Ok(BatchWriter { tx, handle, spares })
    }

    /// An event to fill and [`BatchWriter::send`]: a spare if there is one.
    pub fn slot(&self) -> Box<Prepared> {
        self.spares.lock().pop().unwrap_or_default()
    }

    /// Queues an event, blocking while the queue is full.
    pub fn send(&self, event: Box<Prepared>) -> Result<()> {
        self.tx
            .send(Msg::Event(event))
            .map_err(|_| Error::Internal("the audit writer thread has stopped".into()))
    }

    /// Waits until everything queued before this call is committed.
    pub fn flush(&self) -> Result<()> {
        let (reply_tx, reply_rx) = sync_channel(1);
        self.tx
            .send(Msg::Flush(reply_tx))
            .map_err(|_| Error::Internal("the audit writer thread has stopped".into()))?;
        reply_rx
            .recv()
            .map_err(|_| Error::Internal("the audit writer thread has stopped".into()))?
    }

    /// Drains the queue, writes what is left and stops the thread.
    pub fn close(self) -> Result<()> {
        drop(self.tx);
        self.handle
            .join()
            .map_err(|_| Error::Internal("the audit writer thread panicked".into()))?
    }
}

fn run(shared: &Shared, rx: Receiver<Msg>, max_batch: usize, spares: &Spares) -> Result<()> {
    let mut pending: Vec<Box<Prepared>> = Vec::new();
    let mut waiters: Vec<SyncSender<Result<()>>> = Vec::new();
    // Blocks for the first message; `Err` means every sender is gone: close.
    while let Ok(first) = rx.recv() {
        let mut taken = 0usize;
        let mut msg = Some(first);
        while let Some(m) = msg {
            match m {
                Msg::Event(e) => {
                    pending.push(e);
                    taken += 1;
                }
                Msg::Flush(w) => waiters.push(w),
            }
            msg = if taken < max_batch {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        let result = write(shared, &mut pending, spares, max_batch);
        for w in waiters.drain(..) {
            // A waiter that gave up is fine to ignore.
            let _ = w.send(result.as_ref().map(|_| ()).map_err(copy_error));
        }
        if let Err(e) = result {
            log::error!(
                "magnetar audit: writing a batch of {} events failed, will retry: {e}",
                pending.len()
            );
        }
    }
    write(shared, &mut pending, spares, max_batch)
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
        Error::Tampered(m) => Error::Tampered(m.clone()),
        other => Error::Internal(format!("batched audit write failed: {other}")),
    }
}
