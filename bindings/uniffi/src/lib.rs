//! Magnetar's uniffi layer: the types and objects Swift sees.
//!
//! Each module wraps one core component and only converts types and errors; every rule
//! lives in `magnetar-core`. The scaffolding is linked into the root `magnetar` library
//! (`libmagnetar.a` / `.so`), and `uniffi-bindgen` reads the `magnetar` namespace's
//! metadata from that library to generate `swift/Sources/Magnetar/magnetar.swift`.
//!
//! These functions are plain Rust too: `tests/` calls them directly, so the layer is
//! checked on every machine, Swift toolchain or not.

#![warn(missing_docs)]

uniffi::setup_scaffolding!("magnetar");

pub mod audit;
pub mod breach;
pub mod error;
pub mod password;
pub mod pool;
pub mod session;
pub mod sql;
pub mod tlog;

pub use audit::{
    AuditEvent, AuditFilter, AuditHead, AuditKey, AuditLog, AuditOrder, AuditProblem,
    AuditProblemKind, AuditRotationReport, AuditVerifyReport, AuditWriteMode, NewAuditEvent,
    ReencryptProgress, audit_log_exists, audit_rotate_and_reencrypt, default_audit_filter,
    default_batched_write_mode,
};
pub use breach::{
    BreachChecker, BreachConfig, BreachIndexInfo, BreachIndexStats, BreachResult, BreachSource,
    BreachStatus, HttpResponse, HttpTransport, TransportFailure, build_breach_index,
    default_breach_config,
};
pub use error::{MagnetarError, error_kind_names, raise_error_of_kind};
pub use password::{
    HashIdentity, HashTable, PasswordHasher, PasswordLimits, PasswordPolicy, Pepper, TableUpgrade,
    TableUpgradeObserver, VerifyOutcome, default_password_policy, hash_table,
    rfc9106_high_memory_password_policy, rfc9106_low_memory_password_policy,
};
pub use pool::{
    MigrationOutcome, Pool, PoolConfig, PoolStats, Synchronous, WriteTransaction,
    default_pool_config,
};
pub use session::{
    Assessment, CreatedSession, Decision, FingerprintKey, LimitPolicy, PreparedRequestContext,
    Reason, RequestContext, RiskScorer, ScoringPolicy, Session, SessionConfig, SessionRegistry,
    Signal, Thresholds, UserAgentInfo, Validation, Weights, default_scoring_policy,
    default_session_config, parse_user_agent, score_request,
};
pub use sql::{QueryResult, SqlParams, SqlValue, Statement};
pub use tlog::{
    CheckpointSigner, verify_checkpoint, verify_consistency, verify_inclusion, verify_sealed_export,
};

/// Magnetar's version, for example "1.0.0".
#[uniffi::export]
pub fn magnetar_version() -> String {
    magnetar_core::VERSION.to_string()
}
