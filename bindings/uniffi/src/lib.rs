//! Magnetar's uniffi layer: the types and objects Swift sees.
//!
//! Each module wraps one core component and only converts types and errors; every rule
//! lives in `magnetar-core`. Core's records and enums cross as they are: with its
//! `uniffi` feature, core derives their uniffi conversions itself, under the names Swift
//! sees (docs/adr/0011-uniffi-derives-on-core-types.md). The records defined here are
//! the few whose core type uniffi cannot carry; each says why. The scaffolding is linked into the root `magnetar` library
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
pub mod store;
pub mod tlog;

pub use audit::{
    AuditKey, AuditLog, AuditWriteMode, NewAuditEvent, audit_log_exists,
    audit_log_exists_on_postgres, audit_rotate_and_reencrypt,
    audit_rotate_and_reencrypt_on_postgres, default_audit_filter, default_batched_write_mode,
};
pub use breach::{
    BreachChecker, BreachConfig, BreachIndexInfo, HttpResponse, HttpTransport, TransportFailure,
    build_breach_index, default_breach_config,
};
pub use error::{MagnetarError, error_kind_names, raise_error_of_kind};
pub use password::{
    HashIdentity, PasswordHasher, PasswordLimits, PasswordPolicy, Pepper, TableUpgradeObserver,
    default_password_policy, hash_table, rfc9106_high_memory_password_policy,
    rfc9106_low_memory_password_policy,
};
pub use pool::{Pool, PoolConfig, WriteTransaction, default_pool_config};
pub use session::{
    CreatedSession, FingerprintKey, PreparedRequestContext, RequestContext, RiskScorer,
    SessionConfig, SessionRegistry, UserAgentInfo, default_scoring_policy, default_session_config,
    parse_user_agent, score_request,
};
pub use sql::{SqlParams, Statement};
pub use store::{PostgresConfig, PostgresStore, default_postgres_config};

// Core's types this layer takes and returns, under the names Swift gives them, so that
// Rust callers of this layer (its tests, the crossing benchmark) write what Swift writes.
pub use magnetar_core::audit::{
    AuditEvent, Filter as AuditFilter, Head as AuditHead, Order as AuditOrder,
    Problem as AuditProblem, ProblemKind as AuditProblemKind, ReencryptProgress,
    RotationReport as AuditRotationReport, VerifyReport as AuditVerifyReport,
};
pub use magnetar_core::breach::{
    BreachResult, BreachStatus, BuildStats as BreachIndexStats, Source as BreachSource,
};
pub use magnetar_core::password::{HashTable, TableUpgrade, VerifyOutcome};
pub use magnetar_core::pool::statement::QueryResult;
pub use magnetar_core::pool::{MigrationOutcome, PoolStats, Synchronous, Value as SqlValue};
pub use magnetar_core::session::{
    Assessment, Decision, LimitPolicy, Reason, ScoringPolicy, Session, Signal, Thresholds,
    Validation, Weights,
};
pub use tlog::{
    CheckpointSigner, verify_checkpoint, verify_consistency, verify_inclusion, verify_sealed_export,
};

/// Magnetar's version, for example "1.0.0".
#[uniffi::export]
pub fn magnetar_version() -> String {
    magnetar_core::VERSION.to_string()
}
