//! `BreachChecker`: Have I Been Pwned k-anonymity lookups, online and offline, for Swift.
//!
//! The network is reached through [`HttpTransport`], a trait Swift implements (the Swift
//! layer ships a URLSession transport and uses it by default). Core calls it
//! synchronously from the thread running `check`; the Swift async variants run `check`
//! on a background queue, so a transport may block that thread until its response
//! arrives. Only the 5-character hash prefix is ever in the URL.
//!
//! Results (`BreachResult`, `BreachStatus`, `BreachSource`) and index build statistics
//! (`BreachIndexStats`) are core's own types, their uniffi conversions derived in core.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use magnetar_core::breach::{self as core_breach, BreachResult, BuildStats, retry_after_now};

use crate::error::Result;

/// How the breach checker behaves. Start from `BreachConfig()` in Swift (core's
/// defaults, see [`default_breach_config`]) and adjust fields.
///
/// Not core's `BreachConfig` itself: that one also holds the clock (`Arc<dyn Clock>`),
/// which uniffi cannot carry and Swift has no use for, the cache size as `usize`, which
/// uniffi does not have, and the index path as a `PathBuf` (a string here).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BreachConfig {
    /// Ask the range API when the offline index (if any) does not know the password.
    pub online: bool,
    /// Base URL of the range API (the public API or a mirror), without `/range/`.
    pub base_url: String,
    /// `User-Agent` sent with every request.
    pub user_agent: String,
    /// Connect timeout (of the built-in transport; the Swift transport uses `timeout`).
    pub connect_timeout: Duration,
    /// Total timeout of one request.
    pub timeout: Duration,
    /// Maximum number of cached results; 0 disables the cache.
    pub cache_size: u64,
    /// How long a cached result stays valid.
    pub cache_ttl: Duration,
    /// Retries after a failed request within one check.
    pub retries: u32,
    /// Backoff before the first retry, doubled for each further retry.
    pub backoff: Duration,
    /// Upper bound of one backoff sleep.
    pub backoff_max: Duration,
    /// The longest `Retry-After` a check waits for before retrying.
    pub max_retry_after: Duration,
    /// Consecutive failed checks that open the circuit breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker refuses to call the API.
    pub breaker_cooldown: Duration,
    /// Query the NTLM variant of the range API instead of SHA-1.
    pub ntlm: bool,
    /// Path of a local index built with `buildBreachIndex`, consulted before the network.
    pub offline_index: Option<String>,
}

impl From<&core_breach::BreachConfig> for BreachConfig {
    fn from(c: &core_breach::BreachConfig) -> Self {
        BreachConfig {
            online: c.online,
            base_url: c.base_url.clone(),
            user_agent: c.user_agent.clone(),
            connect_timeout: c.connect_timeout,
            timeout: c.timeout,
            cache_size: c.cache_size as u64,
            cache_ttl: c.cache_ttl,
            retries: c.retries,
            backoff: c.backoff,
            backoff_max: c.backoff_max,
            max_retry_after: c.max_retry_after,
            breaker_threshold: c.breaker_threshold,
            breaker_cooldown: c.breaker_cooldown,
            ntlm: c.ntlm,
            offline_index: c
                .offline_index
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned()),
        }
    }
}

impl From<BreachConfig> for core_breach::BreachConfig {
    fn from(c: BreachConfig) -> Self {
        core_breach::BreachConfig {
            online: c.online,
            base_url: c.base_url,
            user_agent: c.user_agent,
            connect_timeout: c.connect_timeout,
            timeout: c.timeout,
            // Saturates on 32-bit targets; core's validation then names the bad size.
            cache_size: usize::try_from(c.cache_size).unwrap_or(usize::MAX),
            cache_ttl: c.cache_ttl,
            retries: c.retries,
            backoff: c.backoff,
            backoff_max: c.backoff_max,
            max_retry_after: c.max_retry_after,
            breaker_threshold: c.breaker_threshold,
            breaker_cooldown: c.breaker_cooldown,
            ntlm: c.ntlm,
            offline_index: c.offline_index.map(Into::into),
            // The clock stays the system clock.
            ..core_breach::BreachConfig::default()
        }
    }
}

/// Core's default breach configuration (online, the public API, 10 s timeout, ...).
#[uniffi::export]
pub fn default_breach_config() -> BreachConfig {
    BreachConfig::from(&core_breach::BreachConfig::default())
}

/// What a transport got back: any HTTP status (non-2xx included), the raw `Retry-After`
/// header if present (core parses it), and the body.
///
/// Not core's `HttpResponse`: that one holds the `Retry-After` delay core already
/// parsed, while the host hands over the header as received so that the parsing rule
/// stays core's (`retry_after_now` below).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The `Retry-After` header as received, if any.
    pub retry_after: Option<String>,
    /// The response body.
    pub body: String,
}

/// Why a transport produced no HTTP response.
///
/// Not core's `TransportError`: this is the error type of the host's `HttpTransport`
/// callback, so it must also absorb uniffi's unexpected-callback error (below), and its
/// cases carry a named `message` for Swift.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TransportFailure {
    /// A timeout expired.
    #[error("timed out: {message}")]
    Timeout {
        /// Details.
        message: String,
    },
    /// The connection could not be made (refused, DNS, TLS, reset).
    #[error("connection failed: {message}")]
    Connect {
        /// Details.
        message: String,
    },
    /// Anything else.
    #[error("{message}")]
    Other {
        /// Details.
        message: String,
    },
}

/// A transport failure as Swift sees it.
#[uniffi::export]
impl TransportFailure {
    /// What went wrong, as core will report it.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TransportFailure {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportFailure::Other {
            message: format!("the host transport failed: {}", e.reason),
        }
    }
}

/// A blocking HTTP GET implemented by the host (URLSession in Swift).
///
/// Called from the thread running `BreachChecker.check`, possibly from several threads
/// at once. Send `url` with exactly `headers`, follow no redirect (report a 3xx as a
/// response), and return non-2xx statuses as responses rather than errors.
#[uniffi::export(foreign)]
pub trait HttpTransport: Send + Sync {
    /// Sends `GET url` with `headers`.
    fn get(
        &self,
        url: String,
        headers: HashMap<String, String>,
    ) -> Result<HttpResponse, TransportFailure>;
}

/// Core's transport trait, served by a host transport.
struct HostTransport(Arc<dyn HttpTransport>);

impl core_breach::Transport for HostTransport {
    fn get(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<core_breach::HttpResponse, core_breach::TransportError> {
        let headers = headers.iter().cloned().collect();
        match self.0.get(url.to_string(), headers) {
            Ok(r) => Ok(core_breach::HttpResponse {
                status: r.status,
                retry_after: r.retry_after.as_deref().and_then(retry_after_now),
                body: r.body,
            }),
            Err(TransportFailure::Timeout { message }) => {
                Err(core_breach::TransportError::Timeout(message))
            }
            Err(TransportFailure::Connect { message }) => {
                Err(core_breach::TransportError::Connect(message))
            }
            Err(TransportFailure::Other { message }) => {
                Err(core_breach::TransportError::Other(message))
            }
        }
    }
}

/// Checks passwords against the offline index and/or the range API, with a cache and a
/// circuit breaker. Thread-safe: share one per process.
#[derive(Debug, uniffi::Object)]
pub struct BreachChecker {
    inner: core_breach::BreachChecker,
}

#[uniffi::export]
impl BreachChecker {
    /// A checker using `transport` for online lookups, or core's built-in HTTPS client
    /// when `transport` is nil. Opens and verifies the offline index, if configured.
    #[uniffi::constructor]
    pub fn new(
        config: BreachConfig,
        transport: Option<Arc<dyn HttpTransport>>,
    ) -> Result<Arc<Self>> {
        let config = core_breach::BreachConfig::from(config);
        let inner = match transport {
            Some(t) => {
                core_breach::BreachChecker::with_transport(config, Arc::new(HostTransport(t)))?
            }
            None => core_breach::BreachChecker::new(config)?,
        };
        Ok(Arc::new(BreachChecker { inner }))
    }

    /// Whether `password` is known to be breached. Never throws: when the answer cannot
    /// be known the status is `unknown` with the reason.
    pub fn check(&self, password: String) -> BreachResult {
        self.inner.check(&password)
    }

    /// The checker's configuration.
    pub fn config(&self) -> BreachConfig {
        self.inner.config().into()
    }

    /// The offline index this checker answers from, or nil when it has none.
    pub fn index_stats(&self) -> Option<BreachIndexInfo> {
        self.inner.index().map(|index| BreachIndexInfo {
            path: index.path().display().to_string(),
            ntlm: index.hash_kind() == core_breach::HashKind::Ntlm,
            entries: index.len(),
            distinct_hashes: index.distinct_hashes(),
            file_bytes: index.file_bytes(),
        })
    }
}

/// The offline index a checker answers from.
///
/// Core has no record of this: it answers each figure through an accessor of its
/// `BreachIndex` (a memory-mapped file, not something to copy across), which
/// `index_stats` above gathers.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BreachIndexInfo {
    /// The index file.
    pub path: String,
    /// Whether it is keyed by NTLM (otherwise SHA-1).
    pub ntlm: bool,
    /// Entries in the index.
    pub entries: u64,
    /// Distinct corpus hashes it was built from.
    pub distinct_hashes: u64,
    /// Size of the file in bytes.
    pub file_bytes: u64,
}

/// Builds an offline index at `output` from a Pwned Passwords corpus file (`HASH:COUNT`
/// lines) at `corpus`. Takes minutes for the full corpus: use the async variant.
#[uniffi::export]
pub fn build_breach_index(corpus: String, output: String) -> Result<BuildStats> {
    Ok(core_breach::BreachIndex::build(corpus, output)?)
}
