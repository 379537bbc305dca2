//! Encrypted, tamper-evident audit log.

pub(crate) mod blind_index;
pub(crate) mod chain;
pub mod cipher;
pub mod event;
pub mod key;

pub use event::*;
pub use key::AuditKey;
