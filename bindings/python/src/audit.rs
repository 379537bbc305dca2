//! `magnetar.AuditLog`: the encrypted, tamper-evident audit log, with the GIL released
//! around encryption, key derivation and database work.

use std::path::PathBuf;

use magnetar_core::audit::{
    AuditConfig, AuditEvent, AuditKey, AuditLog, BatchConfig, Filter, Head, NewEvent, Order,
    Problem, RotationOptions, VerifyReport, WriteMode,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use pyo3::types::{PyBool, PyFloat, PyInt, PyList, PyTuple};

use crate::aio::in_executor;
use crate::checkpoint::{self, PyCheckpointSigner};
use crate::conversions::type_name;
use crate::errors::invalid_input;
use crate::errors::{IntoPyResult, to_py};
use crate::store::store_from_py;

/// An audit key from bytes (32 raw bytes) or str (64 hex characters or base64).
fn key_from_py(obj: &Bound<'_, PyAny>) -> PyResult<AuditKey> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        AuditKey::from_bytes(b.as_bytes()).py_err()
    } else if let Ok(s) = obj.cast::<PyString>() {
        AuditKey::parse(&s.to_cow()?).py_err()
    } else {
        Err(to_py(magnetar_core::Error::InvalidKey(format!(
            "an audit key is 32 bytes, or a str of 64 hex characters or base64, got {}",
            type_name(obj)
        ))))
    }
}

/// One recorded, decrypted and authenticated audit event.
#[pyclass(module = "magnetar", name = "AuditEvent", frozen)]
pub struct PyAuditEvent {
    /// Position in the log (1, 2, 3...).
    #[pyo3(get)]
    seq: u64,
    /// The event id (a random UUID string).
    #[pyo3(get)]
    event_id: String,
    /// When it was recorded, Unix milliseconds.
    #[pyo3(get)]
    timestamp_ms: i64,
    /// The key id its fields are encrypted under.
    #[pyo3(get)]
    key_id: u32,
    /// What happened.
    #[pyo3(get)]
    action: String,
    /// Who did it.
    #[pyo3(get)]
    user_id: Option<String>,
    /// The kind of thing acted on.
    #[pyo3(get)]
    resource_type: Option<String>,
    /// The thing acted on.
    #[pyo3(get)]
    resource_id: Option<String>,
    /// Outcome.
    #[pyo3(get)]
    status: Option<String>,
    /// Client IP address.
    #[pyo3(get)]
    ip: Option<String>,
    /// Client User-Agent.
    #[pyo3(get)]
    user_agent: Option<String>,
    details: Option<serde_json::Value>,
}

impl From<AuditEvent> for PyAuditEvent {
    fn from(e: AuditEvent) -> Self {
        PyAuditEvent {
            seq: e.seq,
            event_id: e.event_id,
            timestamp_ms: e.timestamp_ms,
            key_id: e.key_id,
            action: e.action,
            user_id: e.user_id,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            status: e.status,
            ip: e.ip,
            user_agent: e.user_agent,
            details: e.details,
        }
    }
}

#[pymethods]
impl PyAuditEvent {
    /// The free-form details (decoded JSON), or `None`.
    #[getter]
    fn details<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.details {
            Some(d) => json_to_py(py, d),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// When it was recorded, as an aware UTC `datetime`.
    #[getter]
    fn timestamp<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime_from_millis(py, self.timestamp_ms)
    }

    /// The event as a dict (the fields above, `timestamp_ms` as an int).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("seq", self.seq)?;
        d.set_item("event_id", &self.event_id)?;
        d.set_item("timestamp_ms", self.timestamp_ms)?;
        d.set_item("key_id", self.key_id)?;
        d.set_item("action", &self.action)?;
        d.set_item("user_id", &self.user_id)?;
        d.set_item("resource_type", &self.resource_type)?;
        d.set_item("resource_id", &self.resource_id)?;
        d.set_item("status", &self.status)?;
        d.set_item("ip", &self.ip)?;
        d.set_item("user_agent", &self.user_agent)?;
        d.set_item("details", self.details(py)?)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "<AuditEvent seq={} action={:?} user_id={:?} status={:?}>",
            self.seq, self.action, self.user_id, self.status
        )
    }
}

/// The first problem `verify()` found.
#[pyclass(module = "magnetar", name = "AuditProblem", frozen)]
pub struct PyAuditProblem {
    /// Sequence number where it was found (0 for the anchor or the head).
    #[pyo3(get)]
    seq: u64,
    /// The event id at that position, when it could be read.
    #[pyo3(get)]
    event_id: Option<String>,
    /// `"field_tampered"`, `"missing_events"`, `"chain_broken"`, `"truncated"`,
    /// `"head_mismatch"`, `"anchor_tampered"`, `"malformed_row"`, `"lookup_mismatch"` or
    /// `"head_unconfirmable"`.
    #[pyo3(get)]
    kind: String,
    /// What was wrong, naming the field or range concerned.
    #[pyo3(get)]
    detail: String,
}

#[pymethods]
impl PyAuditProblem {
    fn __repr__(&self) -> String {
        format!(
            "<AuditProblem {} at seq {}: {}>",
            self.kind, self.seq, self.detail
        )
    }
}

impl From<Problem> for PyAuditProblem {
    fn from(p: Problem) -> Self {
        PyAuditProblem {
            seq: p.seq,
            event_id: p.event_id,
            kind: p.kind.name().to_owned(),
            detail: p.detail,
        }
    }
}

/// The result of `AuditLog.verify()`.
#[pyclass(module = "magnetar", name = "VerifyReport", frozen)]
pub struct PyVerifyReport {
    /// Whether no problem was found.
    #[pyo3(get)]
    ok: bool,
    /// Events fully verified before the first problem, or in total.
    #[pyo3(get)]
    checked: u64,
    /// The first problem, or `None`.
    #[pyo3(get)]
    first_problem: Option<Py<PyAuditProblem>>,
}

#[pymethods]
impl PyVerifyReport {
    fn __bool__(&self) -> bool {
        self.ok
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        match &self.first_problem {
            Some(p) => format!(
                "<VerifyReport ok=False checked={} first_problem={}>",
                self.checked,
                p.get().__repr__()
            ),
            None => {
                let _ = py;
                format!("<VerifyReport ok=True checked={}>", self.checked)
            }
        }
    }
}

pub(crate) fn report_to_py(py: Python<'_>, r: VerifyReport) -> PyResult<PyVerifyReport> {
    Ok(PyVerifyReport {
        ok: r.ok,
        checked: r.checked,
        first_problem: match r.first_problem {
            Some(p) => Some(Py::new(py, PyAuditProblem::from(p))?),
            None => None,
        },
    })
}

/// The end of the chain: store it outside the database and pass it to
/// `verify(head=...)` later to detect a truncated log.
#[pyclass(module = "magnetar", name = "AuditHead", frozen)]
#[derive(Clone)]
pub struct PyAuditHead {
    /// Sequence number of the last event (0 for an empty log).
    #[pyo3(get)]
    seq: u64,
    /// Its chain value, lowercase hex.
    #[pyo3(get)]
    chain_hex: String,
}

#[pymethods]
impl PyAuditHead {
    #[new]
    fn new(seq: u64, chain_hex: String) -> Self {
        PyAuditHead { seq, chain_hex }
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyAuditHead>()
            .is_ok_and(|o| o.get().seq == self.seq && o.get().chain_hex == self.chain_hex)
    }

    fn __repr__(&self) -> String {
        format!("AuditHead({}, {:?})", self.seq, self.chain_hex)
    }
}

/// An encrypted, tamper-evident audit log stored in a `Pool`'s database or a
/// `PostgresStore` (one log per PostgreSQL schema, shared by every app server).
///
/// Give exactly one of `key` (32 bytes, or 64 hex characters / base64 as str) or
/// `passphrase` (stretched with PBKDF2, 600,000 iterations); there is no default key.
/// `batched=True` queues events for a background writer (`flush()` waits for them).
/// Safe to share between threads.
#[pyclass(module = "magnetar", name = "AuditLog", frozen)]
pub struct PyAuditLog {
    pub(crate) inner: std::sync::Arc<AuditLog>,
}

fn open_log(
    py: Python<'_>,
    pool: &Bound<'_, PyAny>,
    key: Option<AuditKey>,
    passphrase: Option<String>,
    config: AuditConfig,
) -> PyResult<PyAuditLog> {
    let pool = store_from_py(pool)?;
    let log = match (key, passphrase) {
        (Some(key), None) => py.detach(|| AuditLog::open(&pool, key, config)),
        (None, Some(passphrase)) => {
            let passphrase = zeroize::Zeroizing::new(passphrase);
            py.detach(|| AuditLog::open_with_passphrase(&pool, &passphrase, config))
        }
        (Some(_), Some(_)) => {
            return Err(to_py(magnetar_core::Error::InvalidConfig(
                "give either key or passphrase, not both".into(),
            )));
        }
        (None, None) => {
            return Err(to_py(magnetar_core::Error::InvalidKey(
                "an audit log needs key= or passphrase= (or AuditLog.from_env); there is no \
                 default key"
                    .into(),
            )));
        }
    }
    .py_err()?;
    Ok(PyAuditLog {
        inner: std::sync::Arc::new(log),
    })
}

fn config_from(batched: bool, previous_keys: Option<&Bound<'_, PyAny>>) -> PyResult<AuditConfig> {
    let mut config = AuditConfig::default();
    if batched {
        config.mode = WriteMode::Batched(BatchConfig::default());
    }
    if let Some(keys) = previous_keys.filter(|k| !k.is_none()) {
        for k in keys.try_iter()? {
            config.previous_keys.push(key_from_py(&k?)?);
        }
    }
    Ok(config)
}

#[pymethods]
impl PyAuditLog {
    #[new]
    #[pyo3(signature = (pool, *, key = None, passphrase = None, batched = false, previous_keys = None))]
    fn new(
        py: Python<'_>,
        pool: &Bound<'_, PyAny>,
        key: Option<&Bound<'_, PyAny>>,
        passphrase: Option<String>,
        batched: bool,
        previous_keys: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let key = key.filter(|k| !k.is_none()).map(key_from_py).transpose()?;
        let config = config_from(batched, previous_keys)?;
        open_log(py, pool, key, passphrase, config)
    }

    /// Opens the log with the key held by environment variable `var` (64 hex characters
    /// or base64 of 32 bytes); `InvalidKey` when it is unset or not a key.
    #[staticmethod]
    #[pyo3(
        signature = (pool, var = "MAGNETAR_AUDIT_KEY".to_owned(), *, batched = false),
        text_signature = "(pool, var='MAGNETAR_AUDIT_KEY', *, batched=False)"
    )]
    fn from_env(
        py: Python<'_>,
        pool: &Bound<'_, PyAny>,
        var: String,
        batched: bool,
    ) -> PyResult<Self> {
        let key = AuditKey::from_env(&var).py_err()?;
        open_log(py, pool, Some(key), None, config_from(batched, None)?)
    }

    /// Records an event and returns its id. Every field but the timestamp is encrypted;
    /// `details` is any JSON-compatible value.
    #[pyo3(signature = (
        action, *, user_id = None, resource_type = None, resource_id = None,
        status = None, ip = None, user_agent = None, details = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        py: Python<'_>,
        action: String,
        user_id: Option<String>,
        resource_type: Option<String>,
        resource_id: Option<String>,
        status: Option<String>,
        ip: Option<String>,
        user_agent: Option<String>,
        details: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let event = NewEvent {
            action,
            user_id,
            resource_type,
            resource_id,
            status,
            ip,
            user_agent,
            details: details
                .filter(|d| !d.is_none())
                .map(json_from_py)
                .transpose()?,
        };
        py.detach(|| self.inner.record(&event)).py_err()
    }

    /// Events matching every given condition (exact `user_id` and `action` through the
    /// blind indexes; `since` inclusive and `until` exclusive, as datetimes or Unix
    /// seconds), oldest first unless `newest_first`.
    #[pyo3(signature = (
        *, user_id = None, action = None, since = None, until = None, limit = 100,
        offset = 0, newest_first = false,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn query(
        &self,
        py: Python<'_>,
        user_id: Option<String>,
        action: Option<String>,
        since: Option<&Bound<'_, PyAny>>,
        until: Option<&Bound<'_, PyAny>>,
        limit: Option<u64>,
        offset: u64,
        newest_first: bool,
    ) -> PyResult<Vec<PyAuditEvent>> {
        let filter = Filter {
            user_id,
            action,
            since_ms: since
                .filter(|s| !s.is_none())
                .map(|s| unix_millis_from_py("since", s))
                .transpose()?,
            until_ms: until
                .filter(|s| !s.is_none())
                .map(|s| unix_millis_from_py("until", s))
                .transpose()?,
            limit,
            offset,
            order: if newest_first {
                Order::Descending
            } else {
                Order::Ascending
            },
        };
        let events = py.detach(|| self.inner.query(&filter)).py_err()?;
        Ok(events.into_iter().map(PyAuditEvent::from).collect())
    }

    /// Walks the whole chain, decrypting and authenticating every event. With `head`
    /// (from an earlier `head()`), also detects a truncated tail.
    #[pyo3(signature = (head = None))]
    fn verify(
        &self,
        py: Python<'_>,
        head: Option<PyRef<'_, PyAuditHead>>,
    ) -> PyResult<PyVerifyReport> {
        let head = head.map(|h| Head {
            seq: h.seq,
            chain_hex: h.chain_hex.clone(),
        });
        let report = py
            .detach(|| match &head {
                Some(h) => self.inner.verify_against(h),
                None => self.inner.verify(),
            })
            .py_err()?;
        report_to_py(py, report)
    }

    /// The current end of the chain (committed events; `flush()` first when batched).
    fn head(&self, py: Python<'_>) -> PyResult<PyAuditHead> {
        let head = py.detach(|| self.inner.head()).py_err()?;
        Ok(PyAuditHead {
            seq: head.seq,
            chain_hex: head.chain_hex,
        })
    }

    /// Waits until every event recorded so far is committed (no-op when synchronous).
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.flush()).py_err()
    }

    /// Commits everything queued and stops the background writer; later `record` calls
    /// fail, reads keep working.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.close()).py_err()
    }

    /// Writes matching events (decrypted) to `path` as JSON lines; returns how many.
    /// The file is created readable by its owner only; an existing file is replaced only
    /// with `overwrite=True`.
    #[pyo3(signature = (path, *, user_id = None, action = None, overwrite = false))]
    fn export_jsonl(
        &self,
        py: Python<'_>,
        path: PathBuf,
        user_id: Option<String>,
        action: Option<String>,
        overwrite: bool,
    ) -> PyResult<u64> {
        let filter = Filter {
            user_id,
            action,
            ..Filter::default()
        };
        py.detach(|| {
            if overwrite {
                self.inner.export_jsonl_to_path_replacing(&path, &filter)
            } else {
                self.inner.export_jsonl_to_path(&path, &filter)
            }
        })
        .py_err()
    }

    /// Signs a checkpoint of every committed event and returns it (a C2SP signed note:
    /// origin = `signer.name`, tree size, base64 root). Each witness adds a signature.
    #[pyo3(signature = (signer, *witnesses))]
    fn checkpoint(
        &self,
        py: Python<'_>,
        signer: PyRef<'_, PyCheckpointSigner>,
        witnesses: Vec<PyRef<'_, PyCheckpointSigner>>,
    ) -> PyResult<String> {
        checkpoint::checkpoint(py, &self.inner, &signer, &witnesses)
    }

    /// Every checkpoint this log issued, oldest first.
    fn checkpoints(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        py.detach(|| self.inner.checkpoints()).py_err()
    }

    /// The 49-byte Merkle leaf of event `seq`.
    fn leaf<'py>(&self, py: Python<'py>, seq: u64) -> PyResult<Bound<'py, PyBytes>> {
        let leaf = py.detach(|| self.inner.leaf(seq)).py_err()?;
        Ok(PyBytes::new(py, &leaf))
    }

    /// The RFC 9162 inclusion proof of event `seq` (leaf `seq - 1`) in the tree of the
    /// first `tree_size` events: 32-byte hashes from the leaf up.
    fn inclusion_proof<'py>(
        &self,
        py: Python<'py>,
        seq: u64,
        tree_size: u64,
    ) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let proof = py
            .detach(|| self.inner.inclusion_proof(seq, tree_size))
            .py_err()?;
        Ok(checkpoint::hashes(py, &proof))
    }

    /// The RFC 9162 consistency proof from the tree of `old_size` events to the tree of
    /// `new_size`.
    fn consistency_proof<'py>(
        &self,
        py: Python<'py>,
        old_size: u64,
        new_size: u64,
    ) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let proof = py
            .detach(|| self.inner.consistency_proof(old_size, new_size))
            .py_err()?;
        Ok(checkpoint::hashes(py, &proof))
    }

    /// The root hash of the tree of the first `tree_size` events.
    fn tree_root<'py>(&self, py: Python<'py>, tree_size: u64) -> PyResult<Bound<'py, PyBytes>> {
        let root = py.detach(|| self.inner.tree_root(tree_size)).py_err()?;
        Ok(PyBytes::new(py, &root))
    }

    /// Checks the log against a checkpoint it issued earlier: a falsy report names the
    /// first event rewritten since (even by the key holder).
    fn verify_checkpoint(
        &self,
        py: Python<'_>,
        note: &str,
        verifier_key: &str,
    ) -> PyResult<PyVerifyReport> {
        checkpoint::verify_log(py, &self.inner, note, verifier_key)
    }

    /// Writes the sealed export (one `{"seq", "leaf"}` JSON line per event, nothing that
    /// reveals plaintext) to `path`; returns the number of lines.
    #[pyo3(signature = (path, *, overwrite = false))]
    fn export_sealed(&self, py: Python<'_>, path: PathBuf, overwrite: bool) -> PyResult<u64> {
        py.detach(|| self.inner.export_sealed_to_path(&path, overwrite))
            .py_err()
    }

    /// `record` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, action, *, user_id=None, resource_type=None, resource_id=None, status=None, ip=None, user_agent=None, details=None)")]
    fn record_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "record", args, kwargs)
    }

    /// `query` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, *, user_id=None, action=None, since=None, until=None, limit=100, offset=0, newest_first=False)")]
    fn query_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "query", args, kwargs)
    }

    /// `verify` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, head=None)")]
    fn verify_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "verify", args, kwargs)
    }

    /// `checkpoint` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, signer, *witnesses)")]
    fn checkpoint_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "checkpoint", args, kwargs)
    }

    /// `verify_checkpoint` for asyncio: a coroutine run on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, note, verifier_key)")]
    fn verify_checkpoint_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "verify_checkpoint", args, kwargs)
    }

    /// `export_sealed` for asyncio: a coroutine run on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, path, *, overwrite=False)")]
    fn export_sealed_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "export_sealed", args, kwargs)
    }

    /// `flush` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self)")]
    fn flush_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "flush", args, kwargs)
    }

    /// `export_jsonl` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, path, *, user_id=None, action=None, overwrite=False)")]
    fn export_jsonl_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "export_jsonl", args, kwargs)
    }

    /// Makes `new_key` the current key (new events are encrypted under it) and returns
    /// its key id; older events stay readable until `reencrypt` moves them.
    fn rotate_key(&self, py: Python<'_>, new_key: &Bound<'_, PyAny>) -> PyResult<u32> {
        let key = key_from_py(new_key)?;
        py.detach(|| self.inner.rotate_key(key)).py_err()
    }

    /// Re-encrypts up to `batch_size` events still under older keys; returns
    /// `(reencrypted, remaining)`.
    #[pyo3(signature = (batch_size = 1000))]
    fn reencrypt(&self, py: Python<'_>, batch_size: usize) -> PyResult<(u64, u64)> {
        let p = py.detach(|| self.inner.reencrypt(batch_size)).py_err()?;
        Ok((p.reencrypted, p.remaining))
    }

    /// Retires an old key once no event is encrypted under it (run `reencrypt` until it
    /// reports 0 remaining first): it no longer opens the log.
    fn retire_key(&self, py: Python<'_>, key_id: u32) -> PyResult<()> {
        py.detach(|| self.inner.retire_key(key_id)).py_err()
    }

    /// The ids of the keys this instance holds (the current one and the previous keys
    /// it was opened with), ascending.
    #[getter]
    fn key_ids(&self) -> Vec<u32> {
        self.inner.key_ids()
    }

    /// Whether events are written by a background writer (`batched=True`).
    #[getter]
    fn batched(&self) -> bool {
        self.inner.is_batched()
    }

    /// Whether `pool` (a `Pool` or a `PostgresStore`) holds an audit log (without
    /// opening it).
    #[staticmethod]
    fn exists(py: Python<'_>, pool: &Bound<'_, PyAny>) -> PyResult<bool> {
        let pool = store_from_py(pool)?;
        py.detach(|| AuditLog::exists(&pool)).py_err()
    }

    /// The key a passphrase derives for the log in `pool` (PBKDF2 with the database's
    /// salt), as 64 hex characters: what `rotate_key` takes to rotate to a passphrase.
    #[staticmethod]
    fn passphrase_key(
        py: Python<'_>,
        pool: &Bound<'_, PyAny>,
        passphrase: String,
    ) -> PyResult<String> {
        let pool = store_from_py(pool)?;
        let passphrase = zeroize::Zeroizing::new(passphrase);
        let key = py
            .detach(|| AuditLog::key_for_passphrase(&pool, &passphrase))
            .py_err()?;
        Ok(key.to_hex().as_str().to_owned())
    }

    /// The whole key rotation of the log in `pool`, resumable: makes `new_key` current,
    /// re-encrypts every event and (unless `retire_old_key=False`) retires `old_key`.
    /// Running it again after an interruption finishes the earlier run. Returns a dict:
    /// `old_key_id`, `new_key_id`, `reencrypted`, `old_key_retired`, `resumed`.
    #[staticmethod]
    #[pyo3(signature = (pool, old_key, new_key, *, batch_size = 1000, retire_old_key = true))]
    fn rotate_and_reencrypt<'py>(
        py: Python<'py>,
        pool: &Bound<'_, PyAny>,
        old_key: &Bound<'_, PyAny>,
        new_key: &Bound<'_, PyAny>,
        batch_size: usize,
        retire_old_key: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let pool = store_from_py(pool)?;
        let (old, new) = (key_from_py(old_key)?, key_from_py(new_key)?);
        let options = RotationOptions {
            batch_size,
            retire_old_key,
            ..RotationOptions::default()
        };
        let r = py
            .detach(|| {
                AuditLog::rotate_and_reencrypt(
                    &pool,
                    old,
                    new,
                    AuditConfig::default(),
                    options,
                    |_, _| {},
                )
            })
            .py_err()?;
        let d = PyDict::new(py);
        d.set_item("old_key_id", r.old_key_id)?;
        d.set_item("new_key_id", r.new_key_id)?;
        d.set_item("reencrypted", r.reencrypted)?;
        d.set_item("old_key_retired", r.old_key_retired)?;
        d.set_item("resumed", r.resumed)?;
        Ok(d)
    }

    /// Copies the audit log in `source` into `destination` (each a `Pool` or a
    /// `PostgresStore`; the destination must hold no audit log): the same log under the
    /// same key, every checkpoint still provable. The source is verified first and the
    /// copy after (`TamperedError`, nothing left written, when either fails). Returns
    /// `(events, head)`: the number of events copied and the copy's `AuditHead`.
    #[staticmethod]
    #[pyo3(signature = (source, destination, key, *, previous_keys = None))]
    fn copy(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        destination: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
        previous_keys: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(u64, PyAuditHead)> {
        let (from, to) = (store_from_py(source)?, store_from_py(destination)?);
        let key = key_from_py(key)?;
        let config = config_from(false, previous_keys)?;
        let report = py
            .detach(|| AuditLog::copy(&from, &to, key, config))
            .py_err()?;
        let head = PyAuditHead {
            seq: report.head.seq,
            chain_hex: report.head.chain_hex,
        };
        Ok((report.events, head))
    }

    /// Deletes events recorded before `cutoff` (datetime or Unix seconds), keeping the
    /// chain verifiable; returns how many were deleted.
    fn purge_before(&self, py: Python<'_>, cutoff: &Bound<'_, PyAny>) -> PyResult<u64> {
        let ms = unix_millis_from_py("cutoff", cutoff)?;
        py.detach(|| self.inner.purge_before(ms)).py_err()
    }

    /// The key id new events are encrypted under.
    #[getter]
    fn current_key_id(&self) -> u32 {
        self.inner.current_key_id()
    }

    /// A new random audit key as 64 hex characters (store it in a secret manager).
    #[staticmethod]
    fn generate_key() -> PyResult<String> {
        let hex = AuditKey::generate_hex().py_err()?;
        Ok(hex.as_str().to_owned())
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        let n = py.detach(|| self.inner.len()).py_err()?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "<magnetar.AuditLog batched={} key_id={}>",
            if self.inner.is_batched() {
                "True"
            } else {
                "False"
            },
            self.inner.current_key_id()
        )
    }
}

/// A JSON-compatible Python object (dict with str keys, list, tuple, str, int, float,
/// bool, None) as a JSON value.
pub fn json_from_py(obj: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    use serde_json::Value as J;
    Ok(if obj.is_none() {
        J::Null
    } else if let Ok(b) = obj.cast::<PyBool>() {
        J::Bool(b.is_true())
    } else if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            J::from(i)
        } else {
            J::from(obj.extract::<u64>().map_err(|_| {
                invalid_input(format!("integer {obj} is too large for JSON details"))
            })?)
        }
    } else if obj.is_instance_of::<PyFloat>() {
        let f: f64 = obj.extract()?;
        J::from(
            serde_json::Number::from_f64(f)
                .ok_or_else(|| invalid_input(format!("{f} cannot be stored in JSON details")))?,
        )
    } else if let Ok(s) = obj.cast::<PyString>() {
        J::String(s.to_cow()?.into_owned())
    } else if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (k, v) in d.iter() {
            let key: String = k.extract().map_err(|_| {
                invalid_input(format!(
                    "JSON object keys must be str, got {}",
                    type_name(&k)
                ))
            })?;
            map.insert(key, json_from_py(&v)?);
        }
        J::Object(map)
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        J::Array(
            obj.try_iter()?
                .map(|item| json_from_py(&item?))
                .collect::<PyResult<Vec<_>>>()?,
        )
    } else {
        return Err(invalid_input(format!(
            "cannot store a value of type {} in JSON details",
            type_name(obj)
        )));
    })
}

/// A JSON value as plain Python objects.
pub fn json_to_py<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value as J;
    Ok(match value {
        J::Null => py.None().into_bound(py),
        J::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        J::String(s) => PyString::new(py, s).into_any(),
        J::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        J::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, json_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// A point in time given as a `datetime` (a naive one is local time, as in Python's
/// `timestamp()` rules) or as Unix seconds, in Unix milliseconds.
pub fn unix_millis_from_py(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    let seconds: f64 = if obj.hasattr("timestamp")? {
        obj.call_method0("timestamp")?.extract()?
    } else {
        obj.extract().map_err(|_| {
            invalid_input(format!(
                "{name} must be a datetime or Unix seconds, got {}",
                type_name(obj)
            ))
        })?
    };
    if !seconds.is_finite() {
        return Err(invalid_input(format!("{name} must be finite")));
    }
    Ok((seconds * 1000.0).round() as i64)
}

/// Unix milliseconds as an aware UTC `datetime`.
pub fn datetime_from_millis(py: Python<'_>, ms: i64) -> PyResult<Bound<'_, PyAny>> {
    let datetime = py.import("datetime")?;
    let utc = datetime.getattr("timezone")?.getattr("utc")?;
    datetime
        .getattr("datetime")?
        .call_method1("fromtimestamp", (ms as f64 / 1000.0, utc))
}
