//! Retention: deleting old events while keeping the rest verifiable.
//!
//! Only a prefix of the chain can be removed (removing events in the middle is exactly
//! what the chain exists to detect). The purge stores an anchor — the seq and chain value
//! of the last deleted event, with a MAC under the chain key — and `verify()` starts from
//! it instead of the genesis value.

use rusqlite::{OptionalExtension, params};

use super::AuditLog;
use super::chain::ChainValue;
use super::schema::{meta, set_meta};
use super::store::{Tail, encode_anchor, lookup_end};
use crate::error::{Error, Result};

impl AuditLog {
    /// Deletes the events recorded before `cutoff_ms` (unix millis) and returns how many
    /// were deleted. Deletion stops at the first event at or after the cutoff in
    /// sequence order, so the log stays a contiguous chain even if timestamps are not
    /// perfectly monotonic (batched writers on several threads).
    pub fn purge_before(&self, cutoff_ms: i64) -> Result<u64> {
        let shared = &self.shared;
        shared.pool.write(|tx| {
            let first_kept: Option<i64> = tx
                .query_row(
                    "SELECT min(seq) FROM (
                         SELECT min(seq) AS seq FROM audit_lookup WHERE ts >= ?1
                         UNION ALL
                         SELECT min(seq) FROM audit_events WHERE seq > ?2 AND ts >= ?1)",
                    params![cutoff_ms, lookup_end(tx)? as i64],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            let last_purged: Option<(i64, Vec<u8>)> = match first_kept {
                Some(k) => tx
                    .query_row(
                        "SELECT seq, chain FROM audit_events WHERE seq < ?1 ORDER BY seq DESC LIMIT 1",
                        [k],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?,
                None => tx
                    .query_row(
                        "SELECT seq, chain FROM audit_events ORDER BY seq DESC LIMIT 1",
                        [],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?,
            };
            let Some((seq, chain)) = last_purged else {
                return Ok(0);
            };
            let chain: ChainValue = chain.as_slice().try_into().map_err(|_| {
                Error::Tampered(format!("audit event seq {seq} has a malformed chain value"))
            })?;
            let anchor = Tail {
                seq: seq.max(0) as u64,
                chain,
            };
            set_meta(tx, meta::ANCHOR, &encode_anchor(&shared.chain, &anchor))?;
            let n = tx.execute("DELETE FROM audit_events WHERE seq <= ?1", [seq])?;
            tx.execute("DELETE FROM audit_lookup WHERE seq <= ?1", [seq])?;
            Ok(n as u64)
        })
    }
}
