//! `magnetar.BreachChecker` and `magnetar.build_breach_index`: the HaveIBeenPwned
//! k-anonymity check (online through the built-in HTTPS client or a Python callable,
//! offline from a local index), with the GIL released while checking and building.

use std::path::PathBuf;
use std::sync::Arc;

use magnetar_core::breach::transport::retry_after_now;
use magnetar_core::breach::{
    BreachChecker, BreachConfig, BreachStatus, BuildPhase, BuildProgress, HashKind, HttpResponse,
    IndexBuilder, Source, Transport, TransportError,
};
use pyo3::exceptions::{PyConnectionError, PyTimeoutError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::aio::in_executor;
use crate::conversions::{duration_from_py, type_name};
use crate::errors::{IntoPyResult, to_py};

/// A range-request transport backed by a Python callable `(url, headers) -> body`.
///
/// Core calls it with the GIL released (inside `check`), possibly from several threads
/// at once, so each call re-attaches to the interpreter. The callable returns the body
/// as `str` (a 200 response) or a `(status, body)` pair; `TimeoutError` and
/// `ConnectionError` it raises are classified as such, anything else as a failure.
struct PyTransport {
    callable: Py<PyAny>,
}

impl PyTransport {
    fn call(
        py: Python<'_>,
        callable: &Bound<'_, PyAny>,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<HttpResponse, TransportError> {
        let dict = PyDict::new(py);
        for (name, value) in headers {
            dict.set_item(name, value).map_err(|e| describe(py, e))?;
        }
        let out = callable.call1((url, dict)).map_err(|e| describe(py, e))?;
        if let Ok(body) = out.cast::<PyString>() {
            return Ok(HttpResponse::ok(
                body.to_cow().map_err(|e| describe(py, e))?.into_owned(),
            ));
        }
        if let Ok(pair) = out.cast::<PyTuple>()
            && let Ok((status, body)) = pair.extract::<(u16, String)>()
        {
            return Ok(HttpResponse {
                status,
                retry_after: None,
                body,
            });
        }
        Err(TransportError::Other(format!(
            "the transport callable must return the body as str or a (status, body) pair, \
             got {}",
            type_name(&out)
        )))
    }
}

/// Classifies an exception raised by the transport callable.
fn describe(py: Python<'_>, err: PyErr) -> TransportError {
    let text = match err.value(py).str() {
        Ok(s) => format!("{}: {s}", type_name(err.value(py).as_any())),
        Err(_) => type_name(err.value(py).as_any()),
    };
    if err.is_instance_of::<PyTimeoutError>(py) {
        TransportError::Timeout(text)
    } else if err.is_instance_of::<PyConnectionError>(py) {
        TransportError::Connect(text)
    } else {
        TransportError::Other(format!("the transport callable raised {text}"))
    }
}

impl Transport for PyTransport {
    fn get(&self, url: &str, headers: &[(String, String)]) -> Result<HttpResponse, TransportError> {
        Python::attach(|py| Self::call(py, self.callable.bind(py), url, headers))
    }
}

/// The result of a breach check.
#[pyclass(module = "magnetar", name = "BreachResult", frozen)]
pub struct PyBreachResult {
    /// `"breached"`, `"not_found"` or `"unknown"` (the check could not be completed; the
    /// caller's policy decides, it is never reported as safe).
    #[pyo3(get)]
    status: &'static str,
    /// Times the password was seen in breaches (`None` unless breached).
    #[pyo3(get)]
    count: Option<u64>,
    /// Where the answer came from: `"offline"`, `"cache"` or `"online"`.
    #[pyo3(get)]
    source: &'static str,
    /// Why the status is `"unknown"` (never contains the password or its hash).
    #[pyo3(get)]
    reason: Option<String>,
}

#[pymethods]
impl PyBreachResult {
    /// Whether the password is known to be breached.
    #[getter]
    fn breached(&self) -> bool {
        self.count.is_some()
    }

    fn __repr__(&self) -> String {
        match (&self.count, &self.reason) {
            (Some(count), _) => format!(
                "<BreachResult breached count={count} source={}>",
                self.source
            ),
            (None, Some(reason)) => format!(
                "<BreachResult unknown reason={reason:?} source={}>",
                self.source
            ),
            (None, None) => format!("<BreachResult not_found source={}>", self.source),
        }
    }
}

/// Checks passwords against HaveIBeenPwned's Pwned Passwords: only the first 5 hex
/// digits of the password's SHA-1 leave the process (k-anonymity), answers are cached,
/// and an offline index (from `build_breach_index`) is consulted first when given.
///
/// `transport` is any callable `(url: str, headers: dict) -> str` (or `(status, body)`)
/// used instead of the built-in HTTPS client. Safe to share between threads; `check`
/// releases the GIL.
#[pyclass(module = "magnetar", name = "BreachChecker", frozen)]
pub struct PyBreachChecker {
    inner: Arc<BreachChecker>,
}

#[pymethods]
impl PyBreachChecker {
    #[new]
    #[pyo3(signature = (
        *,
        base_url = None,
        timeout = None,
        cache_size = None,
        cache_ttl = None,
        offline_index = None,
        transport = None,
        online = None,
        retries = None,
        ntlm = None,
        user_agent = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        base_url: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        cache_size: Option<usize>,
        cache_ttl: Option<&Bound<'_, PyAny>>,
        offline_index: Option<PathBuf>,
        transport: Option<Bound<'_, PyAny>>,
        online: Option<bool>,
        retries: Option<u32>,
        ntlm: Option<bool>,
        user_agent: Option<String>,
    ) -> PyResult<Self> {
        let mut config = BreachConfig::default();
        if let Some(v) = base_url {
            config.base_url = v;
        }
        if let Some(v) = timeout {
            config.timeout = duration_from_py("timeout", v)?;
        }
        if let Some(v) = cache_size {
            config.cache_size = v;
        }
        if let Some(v) = cache_ttl {
            config.cache_ttl = duration_from_py("cache_ttl", v)?;
        }
        if let Some(v) = offline_index {
            config.offline_index = Some(v);
        }
        if let Some(v) = online {
            config.online = v;
        }
        if let Some(v) = retries {
            config.retries = v;
        }
        if let Some(v) = ntlm {
            config.ntlm = v;
        }
        if let Some(v) = user_agent {
            config.user_agent = v;
        }
        let transport = match transport.filter(|t| !t.is_none()) {
            Some(t) if !t.is_callable() => {
                return Err(to_py(magnetar_core::Error::InvalidConfig(format!(
                    "transport must be a callable (url, headers) -> str, got {}",
                    type_name(&t)
                ))));
            }
            Some(t) => Some(Arc::new(PyTransport {
                callable: t.unbind(),
            }) as Arc<dyn Transport>),
            None => None,
        };
        // Opening an offline index verifies its checksums: I/O and CPU.
        let inner = py
            .detach(|| match transport {
                Some(t) => BreachChecker::with_transport(config, t),
                None => BreachChecker::new(config),
            })
            .py_err()?;
        Ok(PyBreachChecker {
            inner: Arc::new(inner),
        })
    }

    /// Checks `password`; never raises for network trouble (the status is then
    /// `"unknown"` with a `reason`).
    fn check(&self, py: Python<'_>, password: String) -> PyBreachResult {
        let password = zeroize::Zeroizing::new(password);
        let result = py.detach(|| self.inner.check(&password));
        let (status, count, reason) = match result.status {
            BreachStatus::Breached { count } => ("breached", Some(count), None),
            BreachStatus::NotFound => ("not_found", None, None),
            BreachStatus::Unknown { reason } => ("unknown", None, Some(reason)),
            // A status added to core later: not known to be safe.
            #[allow(unreachable_patterns)]
            _ => ("unknown", None, Some("unrecognised status".into())),
        };
        PyBreachResult {
            status,
            count,
            source: match result.source {
                Source::Offline => "offline",
                Source::Cache => "cache",
                Source::Online => "online",
            },
            reason,
        }
    }

    /// `check` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, password)")]
    fn check_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "check", args, kwargs)
    }

    /// The options this checker runs with, by the names `BreachChecker(...)` takes
    /// (durations in seconds), plus the derived `connect_timeout`.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.inner.config();
        let d = PyDict::new(py);
        d.set_item("online", c.online)?;
        d.set_item("base_url", &c.base_url)?;
        d.set_item("user_agent", &c.user_agent)?;
        d.set_item("timeout", c.timeout.as_secs_f64())?;
        d.set_item(
            "connect_timeout",
            c.effective_connect_timeout().as_secs_f64(),
        )?;
        d.set_item("cache_size", c.cache_size)?;
        d.set_item("cache_ttl", c.cache_ttl.as_secs_f64())?;
        d.set_item("retries", c.retries)?;
        d.set_item("ntlm", c.ntlm)?;
        d.set_item(
            "offline_index",
            c.offline_index.as_ref().map(|p| p.display().to_string()),
        )?;
        Ok(d)
    }

    /// The offline index this checker answers from, as a dict (`path`, `hash`
    /// (`"sha1"` or `"ntlm"`), `entries`, `distinct_hashes`, `file_bytes`), or `None`
    /// when it has none.
    #[getter]
    fn index_stats<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(index) = self.inner.index() else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("path", index.path().display().to_string())?;
        d.set_item(
            "hash",
            match index.hash_kind() {
                HashKind::Ntlm => "ntlm",
                _ => "sha1",
            },
        )?;
        d.set_item("entries", index.len())?;
        d.set_item("distinct_hashes", index.distinct_hashes())?;
        d.set_item("file_bytes", index.file_bytes())?;
        Ok(Some(d))
    }

    fn __repr__(&self) -> String {
        format!("<magnetar.BreachChecker {:?}>", self.inner)
    }
}

/// The delay a `Retry-After` header value asks for, in seconds (delta-seconds or an
/// HTTP date, read against the current time), or `None` when it is not a valid value.
/// For a host transport that reports 429/503 itself.
#[pyfunction]
pub fn parse_retry_after(value: &str) -> Option<f64> {
    retry_after_now(value).map(|d| d.as_secs_f64())
}

/// Builds an offline breach index at `index` from a Pwned Passwords corpus file
/// (`HASH:COUNT` lines, plain or gzip). `top` keeps only the most frequent hashes;
/// `progress(phase, done, total)` is called every million rows and at the end of each
/// phase. Returns build statistics as a dict. Releases the GIL while building.
#[pyfunction]
#[pyo3(signature = (corpus, index, *, top = None, progress = None))]
pub fn build_breach_index<'py>(
    py: Python<'py>,
    corpus: PathBuf,
    index: PathBuf,
    top: Option<u64>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut builder = IndexBuilder::new();
    if let Some(n) = top {
        builder = builder.top_n(n);
    }
    if let Some(callback) = progress.filter(|p| !p.is_none()) {
        let callback = callback.unbind();
        builder = builder.progress(move |p: BuildProgress| {
            Python::attach(|py| {
                let phase = match p.phase {
                    BuildPhase::Reading => "reading",
                    BuildPhase::Merging => "merging",
                };
                if let Err(e) = callback.bind(py).call1((phase, p.done, p.total)) {
                    // A failing progress callback cannot stop the build; report it the
                    // way Python reports errors it cannot raise.
                    e.write_unraisable(py, Some(callback.bind(py)));
                }
            })
        });
    }
    let stats = py.detach(|| builder.build(&corpus, &index)).py_err()?;
    let d = PyDict::new(py);
    d.set_item("rows", stats.rows)?;
    d.set_item("distinct_hashes", stats.distinct_hashes)?;
    d.set_item("entries", stats.entries)?;
    d.set_item("spilled_runs", stats.spilled_runs)?;
    d.set_item("file_bytes", stats.file_bytes)?;
    Ok(d)
}
