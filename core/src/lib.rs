//! Magnetar core: every rule and algorithm of Magnetar, with no FFI and no binding types.
//! (The optional `uniffi` feature only derives uniffi's conversions on core's own records
//! and enums, for `bindings/uniffi`; see the `uniffi_types` module when it is on.)
//!
//! Components:
//! - [`pool`]: SQLite connection pool (one writer, N readers, WAL).
//! - [`audit`]: encrypted, tamper-evident audit log.
//! - [`password`]: Argon2id hashing, legacy verification, upgrade on login.
//! - [`breach`]: HaveIBeenPwned k-anonymity breach check, online and offline.
//! - [`session`]: fingerprint risk scoring and the session registry.
//! - [`tlog`]: RFC 9162 Merkle trees, C2SP signed notes and checkpoints.
//!
//! Everything here is synchronous and thread-safe; bindings add async at the edges.

#![forbid(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod audit;
pub mod breach;
pub mod clock;
pub mod error;
mod mac;
pub mod password;
pub mod pool;
pub mod random;
pub mod session;
pub mod store;
pub mod tlog;
#[cfg(feature = "uniffi")]
pub mod uniffi_types;

// The `magnetar_core` uniffi component: the home of the derives on core's types.
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

pub use error::{Error, ErrorKind, Result};

/// Magnetar's version, as in `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
