//! Configuration of the breach checker, with documented defaults and validation.

use std::path::PathBuf;
use std::time::Duration;

use crate::clock::{SharedClock, system_clock};
use crate::error::{Error, Result};

/// The public Pwned Passwords API.
pub const DEFAULT_BASE_URL: &str = "https://api.pwnedpasswords.com";

/// How the breach checker behaves. Build with [`BreachConfig::default`] and override
/// fields; [`BreachChecker::new`](super::BreachChecker::new) calls [`validate`](Self::validate).
#[derive(Debug, Clone)]
pub struct BreachConfig {
    /// Ask the range API when the offline index (if any) does not know the password.
    /// Default `true`.
    pub online: bool,
    /// Base URL of the range API, without the `/range/` part: the public API or a
    /// self-hosted mirror. Default [`DEFAULT_BASE_URL`]. A trailing `/` is ignored.
    pub base_url: String,
    /// `User-Agent` sent with every request (the API asks for a descriptive one).
    /// Default `magnetar-breach-check/<version>`.
    pub user_agent: String,
    /// Connect timeout of the built-in HTTPS transport. Default 5 s. Never longer than
    /// `timeout`: a shorter total timeout caps it (see
    /// [`BreachConfig::effective_connect_timeout`]).
    pub connect_timeout: Duration,
    /// Total timeout of one request (connect, send, receive) of the built-in transport.
    /// Default 10 s.
    pub timeout: Duration,
    /// Maximum number of cached results; 0 disables the cache. Default 10,000 (at most
    /// about 1.3 MB, see [`CACHE_ENTRY_BOUND_BYTES`](super::CACHE_ENTRY_BOUND_BYTES)).
    pub cache_size: usize,
    /// How long a cached result stays valid. Default 24 h.
    pub cache_ttl: Duration,
    /// Retries after a failed request (timeout, connection failure, 429, 5xx, malformed
    /// body) within one check. Default 2 (so at most 3 requests per check).
    pub retries: u32,
    /// Backoff before the first retry; doubled for each further retry. Default 200 ms.
    pub backoff: Duration,
    /// Upper bound of one backoff sleep. Default 2 s.
    pub backoff_max: Duration,
    /// The longest `Retry-After` (on 429) a check waits for before retrying. A longer one
    /// makes the check answer `Unknown` at once, and no request is sent until it has
    /// passed or `breaker_cooldown` has, whichever comes first (a server cannot switch
    /// the online check off for longer than the cool-down). Default 2 s.
    pub max_retry_after: Duration,
    /// Consecutive failed checks that open the circuit breaker. Default 5.
    pub breaker_threshold: u32,
    /// How long an open breaker refuses to call the API before letting one trial request
    /// through. Default 30 s.
    pub breaker_cooldown: Duration,
    /// Query the NTLM variant of the range API (`?mode=ntlm`) instead of SHA-1.
    /// Default `false`.
    pub ntlm: bool,
    /// A local index built with [`BreachIndex::build`](super::BreachIndex::build),
    /// consulted before the network. Default `None`.
    pub offline_index: Option<PathBuf>,
    /// The clock for cache TTLs, the breaker cool-down and `Retry-After`.
    /// Default the system clock.
    pub clock: SharedClock,
}

impl Default for BreachConfig {
    fn default() -> Self {
        BreachConfig {
            online: true,
            base_url: DEFAULT_BASE_URL.to_string(),
            user_agent: format!("magnetar-breach-check/{}", crate::VERSION),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            cache_size: 10_000,
            cache_ttl: Duration::from_secs(24 * 3600),
            retries: 2,
            backoff: Duration::from_millis(200),
            backoff_max: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(2),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            ntlm: false,
            offline_index: None,
            clock: system_clock(),
        }
    }
}

/// Upper limits that keep a mistyped value from hanging a login for minutes.
const MAX_RETRIES: u32 = 10;
const MAX_CACHE_SIZE: usize = 10_000_000;
const MAX_WAIT: Duration = Duration::from_secs(300);

impl BreachConfig {
    /// The connect timeout the built-in transport uses: `connect_timeout`, capped by the
    /// total `timeout` (connecting is part of the request, so a host that only shortens
    /// `timeout` gets a connect timeout no longer than it).
    pub fn effective_connect_timeout(&self) -> Duration {
        self.connect_timeout.min(self.timeout)
    }

    /// Checks every field; the error names the first one that is wrong.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::InvalidConfig(msg));
        if !self.online && self.offline_index.is_none() {
            return bad("breach check: neither online nor offline_index is configured".into());
        }
        if self.online {
            let url = self.base_url.as_str();
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            match rest {
                Some(host) if !host.trim_end_matches('/').is_empty() => {}
                _ => {
                    return bad(format!(
                        "breach base_url must start with https:// or http:// and name a host, got {url:?}"
                    ));
                }
            }
            if url.chars().any(|c| c.is_whitespace() || c.is_control()) || url.contains(['?', '#'])
            {
                return bad(format!(
                    "breach base_url must not contain whitespace, a query or a fragment, got {url:?}"
                ));
            }
        }
        if self.user_agent.is_empty()
            || !self
                .user_agent
                .chars()
                .all(|c| c.is_ascii() && !c.is_ascii_control())
        {
            return bad("breach user_agent must be non-empty printable ASCII".into());
        }
        for (name, value) in [
            ("connect_timeout", self.connect_timeout),
            ("timeout", self.timeout),
        ] {
            if value.is_zero() || value > MAX_WAIT {
                return bad(format!(
                    "breach {name} must be between 1 ms and {MAX_WAIT:?}, got {value:?}"
                ));
            }
        }
        if self.cache_size > MAX_CACHE_SIZE {
            return bad(format!(
                "breach cache_size must be at most {MAX_CACHE_SIZE}, got {}",
                self.cache_size
            ));
        }
        if self.cache_size > 0 && self.cache_ttl.is_zero() {
            return bad("breach cache_ttl must be positive when the cache is enabled".into());
        }
        if self.retries > MAX_RETRIES {
            return bad(format!(
                "breach retries must be at most {MAX_RETRIES}, got {}",
                self.retries
            ));
        }
        for (name, value) in [
            ("backoff", self.backoff),
            ("backoff_max", self.backoff_max),
            ("max_retry_after", self.max_retry_after),
            ("breaker_cooldown", self.breaker_cooldown),
        ] {
            if value > MAX_WAIT {
                return bad(format!(
                    "breach {name} must be at most {MAX_WAIT:?}, got {value:?}"
                ));
            }
        }
        if self.backoff > self.backoff_max {
            return bad(format!(
                "breach backoff ({:?}) must not exceed backoff_max ({:?})",
                self.backoff, self.backoff_max
            ));
        }
        if self.breaker_threshold == 0 {
            return bad("breach breaker_threshold must be at least 1".into());
        }
        Ok(())
    }

    /// `base_url` without trailing slashes.
    pub(crate) fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_shorter_total_timeout_caps_the_connect_timeout() {
        let mut config = super::BreachConfig::default();
        assert_eq!(config.effective_connect_timeout(), config.connect_timeout);
        config.timeout = std::time::Duration::from_secs(2);
        assert_eq!(
            config.effective_connect_timeout(),
            std::time::Duration::from_secs(2)
        );
    }

    use super::*;
    use crate::ErrorKind;

    #[test]
    fn defaults_are_valid() {
        BreachConfig::default().validate().unwrap();
    }

    #[test]
    fn bad_values_name_the_field() {
        type Case = (fn(&mut BreachConfig), &'static str);
        let cases: Vec<Case> = vec![
            (|c| c.base_url = "ftp://x".into(), "base_url"),
            (|c| c.base_url = "https://".into(), "base_url"),
            (|c| c.base_url = "https://x/?a=b".into(), "base_url"),
            (|c| c.user_agent = String::new(), "user_agent"),
            (|c| c.timeout = Duration::ZERO, "timeout"),
            (
                |c| c.connect_timeout = Duration::from_secs(3600),
                "connect_timeout",
            ),
            (|c| c.cache_ttl = Duration::ZERO, "cache_ttl"),
            (|c| c.retries = 99, "retries"),
            (|c| c.backoff = Duration::from_secs(10), "backoff"),
            (|c| c.breaker_threshold = 0, "breaker_threshold"),
            (|c| c.online = false, "neither"),
        ];
        for (mutate, needle) in cases {
            let mut config = BreachConfig::default();
            mutate(&mut config);
            let err = config.validate().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig);
            assert!(
                err.to_string().contains(needle),
                "{err} should name {needle}"
            );
        }
    }

    #[test]
    fn offline_only_is_valid_and_trailing_slash_is_ignored() {
        let config = BreachConfig {
            online: false,
            offline_index: Some("x.idx".into()),
            ..BreachConfig::default()
        };
        config.validate().unwrap();
        let config = BreachConfig {
            base_url: "http://127.0.0.1:1/".into(),
            ..BreachConfig::default()
        };
        assert_eq!(config.base(), "http://127.0.0.1:1");
    }
}
