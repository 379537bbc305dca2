//! Configuration of the session registry.

use std::time::Duration;

use serde::Serialize;

use super::context::FingerprintKey;
use super::score::ScoringPolicy;
use crate::clock::SharedClock;

/// What `create` does when the user already has the maximum number of sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum LimitPolicy {
    /// Revoke the oldest sessions to make room (default).
    #[default]
    EvictOldest,
    /// Refuse the new session with `SessionLimit`.
    Reject,
}

/// Configuration of a [`SessionRegistry`]. There is no `Default`: the fingerprint key
/// must come from the host ([`SessionConfig::new`]).
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Key of the fingerprint HMAC (required; see [`FingerprintKey::derive`]).
    pub fingerprint_key: FingerprintKey,
    /// Concurrent sessions per user (default 3, at least 1).
    pub max_sessions_per_user: u32,
    /// What happens at the limit (default evict the oldest).
    pub limit_policy: LimitPolicy,
    /// A session unused this long expires (default 30 minutes).
    pub idle_timeout: Duration,
    /// A session expires this long after creation, used or not (default 24 hours).
    pub absolute_timeout: Duration,
    /// Last-seen is written only when it moved by at least this much (default 60 s;
    /// at most the idle timeout). See the module docs.
    pub touch_interval: Duration,
    /// Weights and thresholds.
    pub scoring: ScoringPolicy,
    /// Time source; `None` uses the store's clock (the pool's, or [`PgConfig::clock`](crate::store::PgConfig::clock)).
    pub clock: Option<SharedClock>,
}

impl SessionConfig {
    /// Defaults, with the host's fingerprint key.
    pub fn new(fingerprint_key: FingerprintKey) -> Self {
        SessionConfig {
            fingerprint_key,
            max_sessions_per_user: 3,
            limit_policy: LimitPolicy::EvictOldest,
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(24 * 60 * 60),
            touch_interval: Duration::from_secs(60),
            scoring: ScoringPolicy::default(),
            clock: None,
        }
    }
}
