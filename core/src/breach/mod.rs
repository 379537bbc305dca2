//! Breach check: is a password in attackers' wordlists (Have I Been Pwned's Pwned
//! Passwords), without revealing it? NIST SP 800-63B asks verifiers to reject such
//! passwords.
//!
//! - **Offline**: a local [`BreachIndex`] built from the downloadable corpus; no network.
//! - **Online**: the k-anonymity range API. The password is hashed locally (SHA-1, or
//!   NTLM with [`BreachConfig::ntlm`]) and only the first 5 hex digits of the hash are
//!   sent (`GET {base_url}/range/{PREFIX}` with `Add-Padding: true`); the match happens
//!   here. Answers are cached (LRU + TTL), failing requests are retried with backoff, and
//!   a circuit breaker stops calling a failing API for a cool-down.
//!
//! The cache holds one verdict per checked password for `cache_ttl`, keyed by an
//! HMAC-SHA-256 (under a random per-checker key) of the password's digest, truncated to
//! 128 bits: neither the password nor its searchable SHA-1 is kept. Its memory bound is
//! [`CACHE_ENTRY_BOUND_BYTES`] per entry (under 1.3 MB at the default 10,000 entries).
//! Only definite answers are cached, never `Unknown`.
//!
//! [`BreachChecker::check`] asks the offline index first, then the cache, then the API.
//! When the answer cannot be known (network down, rate limited, garbage response) the
//! result is [`BreachStatus::Unknown`], never `NotFound`: the caller's policy decides.
//!
//! ```no_run
//! use magnetar_core::breach::{BreachChecker, BreachConfig, BreachStatus};
//! let checker = BreachChecker::new(BreachConfig::default())?;
//! match checker.check("correct horse battery staple").status {
//!     BreachStatus::Breached { count } => println!("seen {count} times; pick another"),
//!     BreachStatus::NotFound => println!("not in any known breach"),
//!     BreachStatus::Unknown { reason } => println!("could not check: {reason}"),
//! }
//! # Ok::<(), magnetar_core::Error>(())
//! ```

mod breaker;
mod cache;
pub mod config;
mod digest;
pub mod index;
pub mod range;
pub mod transport;

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use sha2::Sha256;

use breaker::{Admission, Breaker, backoff};
pub use cache::CACHE_ENTRY_BOUND_BYTES;
use cache::{Cached, LruCache};
pub use config::{BreachConfig, DEFAULT_BASE_URL};
pub use digest::HashKind;
pub use index::{BreachIndex, BuildPhase, BuildProgress, BuildStats, IndexBuilder};
#[cfg(feature = "https")]
pub use transport::HttpsTransport;
pub use transport::{HttpResponse, Transport, TransportError, parse_retry_after, retry_after_now};

use crate::error::Result;

/// Whether a password is known to be breached.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum BreachStatus {
    /// The password appears in the corpus `count` times (approximate above 32,767 for
    /// offline answers).
    Breached {
        /// Times seen in breaches.
        count: u64,
    },
    /// The password is not in the corpus (or, offline, in the index's subset of it).
    NotFound,
    /// The check could not be completed; `reason` says why (never contains the password
    /// or its hash).
    Unknown {
        /// What went wrong.
        reason: String,
    },
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Enum),
    uniffi(name = "BreachSource")
)]
pub enum Source {
    /// The local index.
    Offline,
    /// The cache of earlier online answers.
    Cache,
    /// The range API (including failed attempts to reach it).
    Online,
}

/// The answer of [`BreachChecker::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BreachResult {
    /// The verdict.
    pub status: BreachStatus,
    /// Where it came from.
    pub source: Source,
}

impl BreachResult {
    /// Whether the password is known to be breached.
    pub fn is_breached(&self) -> bool {
        matches!(self.status, BreachStatus::Breached { .. })
    }
}

/// How the checker sleeps between retries (injectable so tests need not wait).
pub type Sleeper = Arc<dyn Fn(Duration) + Send + Sync>;

/// Checks passwords against the offline index and/or the range API. `Send + Sync`:
/// share one per process (its cache and breaker are shared state).
pub struct BreachChecker {
    config: BreachConfig,
    transport: Option<Arc<dyn Transport>>,
    index: Option<BreachIndex>,
    cache: Mutex<LruCache>,
    /// Keyed hash for cache keys (random per checker), so the cache holds neither the
    /// password nor its searchable digest.
    cache_mac: Hmac<Sha256>,
    breaker: Mutex<Breaker>,
    sleeper: Sleeper,
}

impl std::fmt::Debug for BreachChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreachChecker")
            .field("online", &self.transport.is_some())
            .field("base_url", &self.config.base_url)
            .field("index", &self.index)
            .field("cached", &self.cache.lock().len())
            .finish_non_exhaustive()
    }
}

enum Attempt {
    Done(Option<u64>),
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    Fatal(String),
}

impl BreachChecker {
    /// A checker with the built-in HTTPS transport (when `online`) and the configured
    /// offline index (opened and verified now). Without the `https` feature an online
    /// configuration needs [`with_transport`](Self::with_transport).
    pub fn new(config: BreachConfig) -> Result<Self> {
        if !config.online {
            return Self::build(config, None);
        }
        #[cfg(feature = "https")]
        {
            let transport = HttpsTransport::new(config.effective_connect_timeout(), config.timeout);
            Self::build(config, Some(Arc::new(transport)))
        }
        #[cfg(not(feature = "https"))]
        {
            config.validate()?;
            Err(Error::InvalidConfig(
                "online breach check needs the `https` feature or a host transport \
                 (BreachChecker::with_transport)"
                    .into(),
            ))
        }
    }

    /// A checker that sends its range requests through `transport` (a host's HTTP
    /// stack). `config.timeout`/`connect_timeout` are then the transport's business.
    pub fn with_transport(config: BreachConfig, transport: Arc<dyn Transport>) -> Result<Self> {
        Self::build(config, Some(transport))
    }

    fn build(config: BreachConfig, transport: Option<Arc<dyn Transport>>) -> Result<Self> {
        config.validate()?;
        let index = match &config.offline_index {
            Some(path) => Some(BreachIndex::open(path)?),
            None => None,
        };
        let transport = if config.online { transport } else { None };
        let key = crate::random::bytes::<32>()?;
        let cache_mac = crate::mac::hmac_sha256(&key);
        Ok(BreachChecker {
            cache: Mutex::new(LruCache::new(config.cache_size, config.cache_ttl)),
            cache_mac,
            breaker: Mutex::new(Breaker::default()),
            sleeper: Arc::new(std::thread::sleep),
            transport,
            index,
            config,
        })
    }

    /// Replaces how retries wait (tests pass a recorder; the default sleeps).
    pub fn with_sleeper(mut self, sleeper: Sleeper) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The configuration in use.
    pub fn config(&self) -> &BreachConfig {
        &self.config
    }

    /// The offline index, when configured.
    pub fn index(&self) -> Option<&BreachIndex> {
        self.index.as_ref()
    }

    /// Checks `password`: offline index first (a hit is final), then the cache, then the
    /// range API. Never fails: an answer that cannot be obtained is `Unknown`.
    pub fn check(&self, password: &str) -> BreachResult {
        if let Some(index) = &self.index {
            if let Some(count) = index.lookup_password(password) {
                return BreachResult {
                    status: BreachStatus::Breached { count },
                    source: Source::Offline,
                };
            }
            if self.transport.is_none() {
                return BreachResult {
                    status: BreachStatus::NotFound,
                    source: Source::Offline,
                };
            }
        }
        let kind = if self.config.ntlm {
            HashKind::Ntlm
        } else {
            HashKind::Sha1
        };
        let digest = kind.digest(password);
        self.check_online(kind, &digest[..kind.digest_len()])
    }

    fn cache_key(&self, kind: HashKind, digest: &[u8]) -> [u8; 16] {
        let mut mac = self.cache_mac.clone();
        mac.update(&[kind.digest_len() as u8]);
        mac.update(digest);
        let tag = mac.finalize().into_bytes();
        let mut key = [0u8; 16];
        key.copy_from_slice(&tag[..16]);
        key
    }

    fn check_online(&self, kind: HashKind, digest: &[u8]) -> BreachResult {
        let online = |status| BreachResult {
            status,
            source: Source::Online,
        };
        let Some(transport) = &self.transport else {
            // Unreachable by construction (validate() requires online or an index, and
            // offline-only returns above); answer safely anyway.
            return online(BreachStatus::Unknown {
                reason: "no transport configured".into(),
            });
        };
        let clock = &self.config.clock;
        let key = self.cache_key(kind, digest);
        if let Some(hit) = self.cache.lock().get(&key, clock.now()) {
            return BreachResult {
                status: match hit {
                    Cached::Breached(count) => BreachStatus::Breached { count },
                    Cached::NotFound => BreachStatus::NotFound,
                },
                source: Source::Cache,
            };
        }
        let admission = self
            .breaker
            .lock()
            .admit(clock.now(), self.config.breaker_cooldown);
        match admission {
            Admission::Refuse(reason) => return online(BreachStatus::Unknown { reason }),
            Admission::Go { trial: true } => {
                log::info!("breach API circuit breaker half-open: sending a trial request");
            }
            Admission::Go { trial: false } => {}
        }
        let hex = digest::upper_hex(digest);
        let (prefix, suffix) = hex.split_at(range::PREFIX_LEN);
        let url = range::range_url(self.config.base(), prefix, self.config.ntlm);
        let headers = range::range_headers(&self.config.user_agent);
        let mut retries_done = 0u32;
        let reason = loop {
            let attempt = match transport.get(&url, &headers) {
                Ok(resp) if resp.status == 200 => match range::find_in_range(&resp.body, suffix) {
                    Ok(found) => Attempt::Done(found),
                    Err(e) => Attempt::Retry {
                        reason: e.to_string(),
                        retry_after: None,
                    },
                },
                Ok(resp) if resp.status == 429 || resp.status >= 500 => Attempt::Retry {
                    reason: format!("breach API answered HTTP {}", resp.status),
                    retry_after: resp.retry_after,
                },
                Ok(resp) => Attempt::Fatal(format!(
                    "breach API answered unexpected HTTP {}",
                    resp.status
                )),
                Err(e) => Attempt::Retry {
                    reason: format!("breach API request failed: {e}"),
                    retry_after: None,
                },
            };
            match attempt {
                Attempt::Done(found) => {
                    self.breaker.lock().on_success();
                    let cached = found.map_or(Cached::NotFound, Cached::Breached);
                    self.cache.lock().put(key, cached, clock.now());
                    return online(match found {
                        Some(count) => BreachStatus::Breached { count },
                        None => BreachStatus::NotFound,
                    });
                }
                Attempt::Fatal(reason) => break reason,
                Attempt::Retry {
                    reason,
                    retry_after,
                } => {
                    if let Some(wait) = retry_after
                        && wait > self.config.max_retry_after
                    {
                        // The server's delay is untrusted: honoured up to the breaker's
                        // cool-down and no further, so one response (from a broken or
                        // hostile server, or a host transport) cannot switch the online
                        // check off for longer than failures could.
                        let pause = wait.min(self.config.breaker_cooldown);
                        self.breaker.lock().block_until(clock.now() + pause);
                        break if pause < wait {
                            format!(
                                "{reason}; Retry-After {}s, capped at breaker_cooldown: not calling it for {}s",
                                wait.as_secs(),
                                pause.as_secs()
                            )
                        } else {
                            format!("{reason}; Retry-After {}s", wait.as_secs())
                        };
                    }
                    if retries_done >= self.config.retries {
                        break reason;
                    }
                    retries_done += 1;
                    let wait = retry_after.unwrap_or_else(|| {
                        backoff(self.config.backoff, self.config.backoff_max, retries_done)
                    });
                    (self.sleeper)(wait);
                }
            }
        };
        // The URL holds the prefix; keep even that out of messages and logs.
        let reason = reason.replace(prefix, "<prefix>");
        self.breaker.lock().on_failure(
            clock.now(),
            self.config.breaker_threshold,
            self.config.breaker_cooldown,
        );
        log::warn!("breach check unavailable: {reason}");
        online(BreachStatus::Unknown { reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn checker_is_send_and_sync() {
        assert_send_sync::<BreachChecker>();
        assert_send_sync::<BreachIndex>();
    }

    #[test]
    fn cache_keys_depend_on_digest_kind_and_checker() {
        struct Never;
        impl Transport for Never {
            fn get(&self, _: &str, _: &[(String, String)]) -> Result<HttpResponse, TransportError> {
                Err(TransportError::Other("unused".into()))
            }
        }
        let a = BreachChecker::with_transport(BreachConfig::default(), Arc::new(Never)).unwrap();
        let b = BreachChecker::with_transport(BreachConfig::default(), Arc::new(Never)).unwrap();
        let d = [7u8; 20];
        assert_eq!(
            a.cache_key(HashKind::Sha1, &d),
            a.cache_key(HashKind::Sha1, &d)
        );
        assert_ne!(
            a.cache_key(HashKind::Sha1, &d),
            b.cache_key(HashKind::Sha1, &d)
        );
        assert_ne!(
            a.cache_key(HashKind::Sha1, &d),
            a.cache_key(HashKind::Ntlm, &d[..16])
        );
        assert!(!format!("{a:?}").contains("cache_mac"));
    }
}
