//! The state an audit log shares with its background writer and its submodules: the
//! store, the clock, the keys and everything derived from the log secret.

use hmac::Hmac;
use parking_lot::{Mutex, RwLock};
use sha2::Sha256;

use super::blind_index::BlindIndex;
use super::chain::Chain;
use super::codec::Keyring;
use super::key::LogSecret;
use super::schema;
use crate::clock::SharedClock;
use crate::error::Result;
use crate::store::Store;
use crate::store::sql::Db;

/// State shared with the background writer.
pub(crate) struct Shared {
    pub store: Store,
    pub clock: SharedClock,
    pub keyring: RwLock<Keyring>,
    pub secret: LogSecret,
    pub log_id: Vec<u8>,
    pub users: BlindIndex,
    pub actions: BlindIndex,
    pub chain: Chain,
    /// Keys the per-event salts of the Merkle tree's leaves (see [`super::tree`]).
    pub leaf_salt: Hmac<Sha256>,
    /// Serializes extensions of the Merkle tree within this process (see
    /// [`super::tree::extend`]; other processes are caught by its write transaction).
    pub tree_lock: Mutex<()>,
    /// Held (shared) by `record` from encrypting an event until it is queued or
    /// written, and (exclusive) by `retire_key`: no event sealed under a key can still
    /// be on its way when that key is retired.
    pub key_lock: RwLock<()>,
    /// The last seq in `audit_lookup` as last read, a hint (see `store::append`).
    pub lookup_hint: std::sync::atomic::AtomicU64,
    /// The audit tables' schema objects, as Magnetar creates them.
    pub objects: crate::pool::SchemaObjects,
    /// The `schema_version` at which `objects` was last checked (see [`schema::guard`]).
    pub schema_seen: std::sync::atomic::AtomicI64,
}

impl Shared {
    /// [`schema::guard`] for this log.
    pub(crate) fn guard(&self, conn: &dyn Db) -> Result<()> {
        schema::guard(conn, &self.objects, &self.schema_seen)
    }
}
