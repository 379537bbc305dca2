//! Rust `log` records from Magnetar reach Python's `logging` under `magnetar.*` loggers
//! (`magnetar_core::pool::side` becomes `magnetar.pool.side`), through pyo3-log.
//!
//! Records do not go to Python on the thread that emits them: core logs from its own
//! background threads (checkpoints, the batched audit writer), and a Python thread that
//! holds the GIL may be waiting for exactly such a thread (dropping a pool joins its
//! checkpoint thread). Taking the GIL there would deadlock. Records are instead queued
//! to one forwarder thread that nothing ever waits for; `flush()` waits until the
//! queue is drained, with the GIL released. The queue is bounded and a full queue drops
//! records rather than slowing core down.
//!
//! Only Magnetar's own targets are forwarded: dependencies (the HTTP client) may log
//! request URLs at debug level, and a breach-check URL holds a hash prefix that core
//! keeps out of every message. Core's messages themselves never hold a secret.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;

/// Records waiting for the forwarder; beyond this, new ones are dropped.
const QUEUE: usize = 4096;

/// Rust crates whose records are forwarded, and the Python logger each maps to.
const TARGETS: [(&str, &str); 2] = [
    ("magnetar_core", "magnetar"),
    ("magnetar_python", "magnetar"),
];

/// The Python logger name for a Rust target, or `None` when it is not forwarded.
fn python_target(target: &str) -> Option<String> {
    TARGETS.iter().find_map(|(krate, name)| {
        let rest = target.strip_prefix(krate)?;
        (rest.is_empty() || rest.starts_with("::")).then(|| format!("{name}{rest}"))
    })
}

enum Message {
    Record {
        level: Level,
        target: String,
        text: String,
        module_path: Option<String>,
        file: Option<String>,
        line: Option<u32>,
    },
    /// Acknowledged once every earlier record was handed to Python.
    Flush(SyncSender<()>),
}

struct Forwarder {
    queue: SyncSender<Message>,
    dropped: AtomicU64,
}

static FORWARDER: OnceLock<&'static Forwarder> = OnceLock::new();

impl Log for Forwarder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= LevelFilter::Debug && python_target(metadata.target()).is_some()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let Some(target) = python_target(record.target()) else {
            return;
        };
        let message = Message::Record {
            level: record.level(),
            target,
            text: record.args().to_string(),
            module_path: record.module_path().map(str::to_owned),
            file: record.file().map(str::to_owned),
            line: record.line(),
        };
        let sent = self.queue.try_send(message);
        if let Err(TrySendError::Full(_)) = sent {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn flush(&self) {
        let (ack, done) = sync_channel(1);
        let sent = self.queue.send(Message::Flush(ack));
        if sent.is_ok() {
            let _ = done.recv();
        }
    }
}

/// Hands queued records to pyo3-log, which maps each target to `logging.getLogger`.
fn forward(queue: Receiver<Message>, python: pyo3_log::Logger) {
    for message in queue {
        match message {
            Message::Record {
                level,
                target,
                text,
                module_path,
                file,
                line,
            } => {
                // `None` once the interpreter is finalizing: nothing left to log to.
                let _ = Python::try_attach(|_| {
                    let dropped = FORWARDER
                        .get()
                        .map_or(0, |f| f.dropped.swap(0, Ordering::Relaxed));
                    if dropped > 0 {
                        python.log(
                            &Record::builder()
                                .args(format_args!(
                                    "{dropped} log record(s) dropped: the queue to Python was full"
                                ))
                                .level(Level::Warn)
                                .target("magnetar")
                                .build(),
                        );
                    }
                    python.log(
                        &Record::builder()
                            .args(format_args!("{text}"))
                            .level(level)
                            .target(&target)
                            .module_path(module_path.as_deref())
                            .file(file.as_deref())
                            .line(line)
                            .build(),
                    )
                });
            }
            Message::Flush(ack) => {
                let _ = ack.send(());
            }
        }
    }
}

/// Installs the forwarder as the process's `log` logger (once; a second import of the
/// module, or another extension's logger already installed, leaves things as they are).
pub fn install(py: Python<'_>) -> PyResult<()> {
    if FORWARDER.get().is_some() {
        return Ok(());
    }
    // Levels are asked of Python on every record (only loggers are cached), so
    // `logging.getLogger("magnetar").setLevel(...)` takes effect at any time; the cost
    // is paid on the forwarder thread, not by core.
    let python = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)?.filter(LevelFilter::Debug);
    let (sender, receiver) = sync_channel(QUEUE);
    let forwarder: &'static Forwarder = Box::leak(Box::new(Forwarder {
        queue: sender,
        dropped: AtomicU64::new(0),
    }));
    if FORWARDER.set(forwarder).is_err() || log::set_logger(forwarder).is_err() {
        return Ok(());
    }
    log::set_max_level(LevelFilter::Debug);
    std::thread::Builder::new()
        .name("magnetar-log".into())
        .spawn(move || forward(receiver, python))
        .map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!(
                "cannot start the log forwarder thread: {e}"
            ))
        })?;
    Ok(())
}

/// Waits until every record Magnetar logged so far has reached Python's `logging`
/// (records are handed over on a background thread).
#[pyfunction]
pub fn flush_logs(py: Python<'_>) {
    if let Some(forwarder) = FORWARDER.get() {
        py.detach(|| forwarder.flush());
    }
}
