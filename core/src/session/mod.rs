//! Session risk: request fingerprints, risk scoring and the session registry.
//!
//! Stolen session cookies and shared credentials show up as a session whose requests
//! suddenly come from somewhere else. [`score`] compares a request's
//! [`RequestContext`] (IP, User-Agent, chosen headers) with the session's and returns
//! an [`Assessment`]: a score in `[0, 1]`, a [`Decision`] and the [`Reason`]s.
//!
//! Default weights: IP change 0.3 (0.1 within the same IPv4 /24 or IPv6 /48),
//! User-Agent change 0.5 (0.1 when only the version moved within the same family and
//! OS), fingerprint mismatch 0.2 (the other fingerprinted headers changed; IP and
//! User-Agent are never counted twice). The sum is clamped to 1.0. Decisions:
//! below 0.5 allow, from 0.5 monitor, from 0.7 step-up, from 0.9 terminate.
//!
//! [`SessionRegistry`] stores sessions through a [`Store`](crate::store::Store) (the
//! SQLite [pool](crate::pool) or PostgreSQL), enforces the
//! per-user limit, the idle and absolute timeouts, scores every request, revokes
//! sessions that score Terminate and reports to a [`SessionAuditSink`]. Its module
//! documentation says what is stored and why.

mod audit;
mod config;
mod context;
mod registry;
pub mod schema;
mod score;
mod store;
pub mod user_agent;

pub use audit::{SessionAction, SessionAuditEvent, SessionAuditSink};

pub use config::{LimitPolicy, SessionConfig};
pub use context::{
    Fingerprint, FingerprintKey, MAX_HEADER_VALUE_LEN, MAX_HEADERS, MAX_USER_AGENT_LEN,
    RequestContext, parse_ip,
};
pub use registry::{
    MAX_USER_ID_LEN, RequestOutcome, Session, SessionRegistry, SessionToken, Validation,
};
pub use score::{
    Assessment, Decision, Reason, Scorer, ScoringPolicy, Signal, Thresholds, Weights, score,
};
pub use user_agent::{ClientKind, UserAgentInfo};
