//! Risk scoring: a pure function from a previous and a current request context to an
//! [`Assessment`] (score, decision, reasons).
//!
//! Weights and thresholds are configured as decimals but computed in integer basis
//! points (1/10,000), so that 0.3 + 0.2 is exactly the 0.5 Monitor threshold and the
//! edges never depend on floating-point rounding.

use std::net::IpAddr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::context::RequestContext;
use super::user_agent::{self, version_skeleton};
use crate::error::{Error, Result};

const BASIS: u32 = 10_000;

/// What to do about a request, by increasing risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Below the monitor threshold: let it through.
    Allow,
    /// Let it through, and record it.
    Monitor,
    /// Require a second factor before continuing.
    StepUp,
    /// End the session (the registry revokes it).
    Terminate,
}

impl Decision {
    /// The stable snake_case name: `allow`, `monitor`, `step_up`, `terminate`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Monitor => "monitor",
            Decision::StepUp => "step_up",
            Decision::Terminate => "terminate",
        }
    }
}

/// A risk signal that contributed to a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The IP moved to another network.
    IpChange,
    /// The IP moved within the same IPv4 /24 or IPv6 /48 (configurable prefixes).
    IpSubnetChange,
    /// The User-Agent changed to a different browser, OS, device or app.
    UserAgentChange,
    /// Only the browser/app (and OS) version moved, within the same family and OS.
    UserAgentVersionChange,
    /// The other fingerprinted headers changed.
    FingerprintMismatch,
}

impl Signal {
    /// The stable snake_case name of the signal.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::IpChange => "ip_change",
            Signal::IpSubnetChange => "ip_subnet_change",
            Signal::UserAgentChange => "user_agent_change",
            Signal::UserAgentVersionChange => "user_agent_version_change",
            Signal::FingerprintMismatch => "fingerprint_mismatch",
        }
    }
}

/// One signal's contribution: which signal, its weight and what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Reason {
    /// The signal.
    pub signal: Signal,
    /// The weight it added to the score.
    pub weight: f64,
    /// What changed, for humans and the audit log (`"203.0.113.7 -> 198.51.100.2"`).
    pub detail: String,
}

/// The result of scoring a request against its session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Assessment {
    /// Sum of the signal weights, clamped to `[0, 1]`.
    pub score: f64,
    /// The decision the score falls into.
    pub decision: Decision,
    /// The signals that fired, in a fixed order (IP, User-Agent, fingerprint).
    pub reasons: Vec<Reason>,
}

/// Signal weights, each in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// IP moved to another network (default 0.3).
    pub ip_change: f64,
    /// IP moved within the same subnet (default 0.1).
    pub ip_subnet_change: f64,
    /// User-Agent changed (default 0.5).
    pub user_agent_change: f64,
    /// Only the browser version moved (default 0.1).
    pub user_agent_version_change: f64,
    /// Other fingerprinted headers changed (default 0.2).
    pub fingerprint_mismatch: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            ip_change: 0.3,
            ip_subnet_change: 0.1,
            user_agent_change: 0.5,
            user_agent_version_change: 0.1,
            fingerprint_mismatch: 0.2,
        }
    }
}

/// Decision thresholds: a score at or above a threshold gets that decision.
/// Must satisfy `0 < monitor <= step_up <= terminate <= 1`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Monitor from this score (default 0.5).
    pub monitor: f64,
    /// Step-up from this score (default 0.7).
    pub step_up: f64,
    /// Terminate from this score (default 0.9).
    pub terminate: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            monitor: 0.5,
            step_up: 0.7,
            terminate: 0.9,
        }
    }
}

/// Everything that shapes a score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(default, deny_unknown_fields)]
pub struct ScoringPolicy {
    /// Signal weights.
    pub weights: Weights,
    /// Decision thresholds.
    pub thresholds: Thresholds,
    /// IPv4 prefix length within which an IP change counts as a subnet change (24).
    pub ipv4_subnet_prefix: u8,
    /// IPv6 prefix length within which an IP change counts as a subnet change (48).
    pub ipv6_subnet_prefix: u8,
}

impl Default for ScoringPolicy {
    fn default() -> Self {
        ScoringPolicy {
            weights: Weights::default(),
            thresholds: Thresholds::default(),
            ipv4_subnet_prefix: 24,
            ipv6_subnet_prefix: 48,
        }
    }
}

/// A validated [`ScoringPolicy`], in basis points, ready to score.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorer {
    policy: ScoringPolicy,
    ip_change: u32,
    ip_subnet_change: u32,
    user_agent_change: u32,
    user_agent_version_change: u32,
    fingerprint_mismatch: u32,
    monitor: u32,
    step_up: u32,
    terminate: u32,
}

impl Default for Scorer {
    /// The default policy in basis points; a unit test checks that it equals
    /// `Scorer::new(ScoringPolicy::default())`.
    fn default() -> Self {
        Scorer {
            policy: ScoringPolicy::default(),
            ip_change: 3000,
            ip_subnet_change: 1000,
            user_agent_change: 5000,
            user_agent_version_change: 1000,
            fingerprint_mismatch: 2000,
            monitor: 5000,
            step_up: 7000,
            terminate: 9000,
        }
    }
}

fn to_basis_points(name: &str, value: f64) -> Result<u32> {
    if !value.is_finite() || !(0.0..=1.0).contains(&value) {
        return Err(Error::InvalidConfig(format!(
            "{name} must be between 0 and 1, got {value}"
        )));
    }
    // In [0, 10000] after the check above, so the cast is exact.
    Ok((value * f64::from(BASIS)).round() as u32)
}

/// What the previous request looked like, as far as scoring needs: the registry keeps
/// exactly this for each session.
pub(crate) struct Baseline<'a> {
    pub ip: IpAddr,
    pub user_agent: &'a str,
}

impl Scorer {
    /// Validates a policy: weights in `[0, 1]`, `0 < monitor <= step_up <= terminate <= 1`,
    /// prefixes at most 32 (IPv4) and 128 (IPv6).
    pub fn new(policy: ScoringPolicy) -> Result<Self> {
        let w = &policy.weights;
        let t = &policy.thresholds;
        let scorer = Scorer {
            policy,
            ip_change: to_basis_points("weights.ip_change", w.ip_change)?,
            ip_subnet_change: to_basis_points("weights.ip_subnet_change", w.ip_subnet_change)?,
            user_agent_change: to_basis_points("weights.user_agent_change", w.user_agent_change)?,
            user_agent_version_change: to_basis_points(
                "weights.user_agent_version_change",
                w.user_agent_version_change,
            )?,
            fingerprint_mismatch: to_basis_points(
                "weights.fingerprint_mismatch",
                w.fingerprint_mismatch,
            )?,
            monitor: to_basis_points("thresholds.monitor", t.monitor)?,
            step_up: to_basis_points("thresholds.step_up", t.step_up)?,
            terminate: to_basis_points("thresholds.terminate", t.terminate)?,
        };
        if scorer.monitor == 0
            || scorer.monitor > scorer.step_up
            || scorer.step_up > scorer.terminate
        {
            return Err(Error::InvalidConfig(format!(
                "thresholds must satisfy 0 < monitor <= step_up <= terminate <= 1, got monitor {}, step_up {}, terminate {}",
                t.monitor, t.step_up, t.terminate
            )));
        }
        if policy.ipv4_subnet_prefix > 32 || policy.ipv6_subnet_prefix > 128 {
            return Err(Error::InvalidConfig(format!(
                "subnet prefixes must be at most 32 (IPv4) and 128 (IPv6), got {} and {}",
                policy.ipv4_subnet_prefix, policy.ipv6_subnet_prefix
            )));
        }
        Ok(scorer)
    }

    /// The policy this scorer was built from.
    pub fn policy(&self) -> &ScoringPolicy {
        &self.policy
    }

    /// Scores `current` against `previous`, comparing the normalised header values
    /// directly (no key needed).
    pub fn score(&self, previous: &RequestContext, current: &RequestContext) -> Assessment {
        let fingerprint_change = if previous.headers() == current.headers() {
            None
        } else {
            Some(describe_header_change(previous, current))
        };
        self.assess(
            &Baseline {
                ip: previous.ip(),
                user_agent: previous.user_agent(),
            },
            current,
            fingerprint_change,
        )
    }

    /// Scores `current` against a baseline. `fingerprint_change` is `None` when the
    /// fingerprinted headers match, or a description of what changed.
    pub(crate) fn assess(
        &self,
        previous: &Baseline<'_>,
        current: &RequestContext,
        fingerprint_change: Option<String>,
    ) -> Assessment {
        let mut reasons = Vec::new();
        let mut total: u32 = 0;
        let mut add = |signal: Signal, points: u32, detail: String| {
            total += points;
            reasons.push(Reason {
                signal,
                weight: f64::from(points) / f64::from(BASIS),
                detail,
            });
        };

        let (prev_ip, cur_ip) = (previous.ip, current.ip());
        if prev_ip != cur_ip {
            match self.shared_subnet(prev_ip, cur_ip) {
                Some(prefix) => add(
                    Signal::IpSubnetChange,
                    self.ip_subnet_change,
                    format!("{prev_ip} -> {cur_ip} (same /{prefix})"),
                ),
                None => add(
                    Signal::IpChange,
                    self.ip_change,
                    format!("{prev_ip} -> {cur_ip}"),
                ),
            }
        }

        let (prev_ua, cur_ua) = (previous.user_agent, current.user_agent());
        if prev_ua != cur_ua {
            let before = user_agent::parse_cached(prev_ua);
            let after = user_agent::parse_cached(cur_ua);
            // Family and OS first: they are cached, the skeletons are computed.
            let version_only = !before.family.is_empty()
                && before.family == after.family
                && before.os == after.os
                && version_skeleton(prev_ua) == version_skeleton(cur_ua);
            if version_only {
                add(
                    Signal::UserAgentVersionChange,
                    self.user_agent_version_change,
                    format!(
                        "{} {} -> {} on {}",
                        before.family,
                        before.version,
                        after.version,
                        if before.os.is_empty() {
                            "unknown OS"
                        } else {
                            &before.os
                        }
                    ),
                );
            } else {
                add(
                    Signal::UserAgentChange,
                    self.user_agent_change,
                    format!("{} -> {}", describe_agent(&before), describe_agent(&after)),
                );
            }
        }

        if let Some(detail) = fingerprint_change {
            add(
                Signal::FingerprintMismatch,
                self.fingerprint_mismatch,
                detail,
            );
        }

        let clamped = total.min(BASIS);
        let decision = if clamped >= self.terminate {
            Decision::Terminate
        } else if clamped >= self.step_up {
            Decision::StepUp
        } else if clamped >= self.monitor {
            Decision::Monitor
        } else {
            Decision::Allow
        };
        Assessment {
            score: f64::from(clamped) / f64::from(BASIS),
            decision,
            reasons,
        }
    }

    /// The prefix both addresses share when they are in the same configured subnet.
    fn shared_subnet(&self, a: IpAddr, b: IpAddr) -> Option<u8> {
        match (a, b) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let prefix = self.policy.ipv4_subnet_prefix;
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                (u32::from(a) & mask == u32::from(b) & mask).then_some(prefix)
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let prefix = self.policy.ipv6_subnet_prefix;
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                (u128::from(a) & mask == u128::from(b) & mask).then_some(prefix)
            }
            _ => None,
        }
    }
}

fn describe_agent(info: &user_agent::UserAgentInfo) -> String {
    if info.family.is_empty() {
        return "unrecognised agent".to_string();
    }
    let mut out = info.family.clone();
    if !info.version.is_empty() {
        out.push(' ');
        out.push_str(&info.version);
    }
    if !info.os.is_empty() {
        out.push_str(" on ");
        out.push_str(&info.os);
    }
    out
}

/// Names the headers that changed (values are left out: they may be personal).
fn describe_header_change(previous: &RequestContext, current: &RequestContext) -> String {
    let (a, b) = (previous.headers(), current.headers());
    let mut changed: Vec<&str> = a
        .iter()
        .filter(|(name, value)| b.get(*name) != Some(value))
        .map(|(name, _)| name.as_str())
        .chain(
            b.keys()
                .filter(|name| !a.contains_key(*name))
                .map(String::as_str),
        )
        .collect();
    changed.sort_unstable();
    format!("changed headers: {}", changed.join(", "))
}

/// Scores `current` against `previous` with the default policy.
pub fn score(previous: &RequestContext, current: &RequestContext) -> Assessment {
    static DEFAULT: LazyLock<Scorer> = LazyLock::new(Scorer::default);
    DEFAULT.score(previous, current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scorer_matches_validated_default_policy() {
        assert_eq!(
            Scorer::new(ScoringPolicy::default()).unwrap(),
            Scorer::default()
        );
    }

    #[test]
    fn invalid_policies_are_rejected() {
        let mut p = ScoringPolicy::default();
        p.weights.ip_change = 1.5;
        assert!(
            Scorer::new(p)
                .unwrap_err()
                .to_string()
                .contains("weights.ip_change")
        );
        let mut p = ScoringPolicy::default();
        p.weights.fingerprint_mismatch = f64::NAN;
        assert!(Scorer::new(p).is_err());
        let mut p = ScoringPolicy::default();
        p.thresholds.step_up = 0.95;
        assert!(
            Scorer::new(p)
                .unwrap_err()
                .to_string()
                .contains("monitor <= step_up")
        );
        let mut p = ScoringPolicy::default();
        p.thresholds.monitor = 0.0;
        assert!(Scorer::new(p).is_err());
        let p = ScoringPolicy {
            ipv4_subnet_prefix: 33,
            ..ScoringPolicy::default()
        };
        assert!(Scorer::new(p).is_err());
        let p = ScoringPolicy {
            ipv4_subnet_prefix: 0,
            ipv6_subnet_prefix: 0,
            ..ScoringPolicy::default()
        };
        assert!(Scorer::new(p).is_ok());
    }
}
