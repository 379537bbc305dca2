//! Retention: deleting old events while keeping the rest verifiable.
//!
//! Only a prefix of the chain can be removed (removing events in the middle is exactly
//! what the chain exists to detect). The purge stores an anchor — the seq and chain value
//! of the last deleted event, with a MAC under the chain key — and `verify()` starts from
//! it instead of the genesis value.
//!
//! The cut is decided on authenticated data only: the purge walks the chain from its
//! start, decrypting each event (whose timestamp the field AAD and the chain digest
//! bind), and stops at the first event recorded at or after the cutoff. Neither the
//! lookup table nor the plaintext `ts` column decides what is deleted, and an anchor is
//! only ever written over a prefix that verified: a purge never launders tampering
//! into an authenticated anchor.

use super::AuditLog;
use super::chain::{EventDigest, mac_eq};
use super::codec::{RawRow, open_fields};
use super::schema::{EVENT_COLUMNS, expect_changes, lookup_is_view, meta, set_meta};
use super::store::WRITE_LOCK;
use super::store::{Tail, anchor, encode_anchor};
use super::tree::{self, LEAF_LEN};
use crate::error::{Error, Result};
use crate::store::sql::{Arg, args};

/// Events a purge reads per statement.
const PURGE_CHUNK: usize = 4096;

impl AuditLog {
    /// Deletes the events recorded before `cutoff_ms` (unix millis) and returns how many
    /// were deleted. Deletion stops at the first event at or after the cutoff in
    /// sequence order, so the log stays a contiguous chain even if timestamps are not
    /// perfectly monotonic (batched writers on several threads).
    ///
    /// Every event up to and including that first kept one is verified first (fields,
    /// sequence, chain); a problem there refuses the purge with `Tampered` and deletes
    /// nothing. The write lock is held meanwhile (about a microsecond per event).
    pub fn purge_before(&self, cutoff_ms: i64) -> Result<u64> {
        let shared = &self.shared;
        shared.store.write(WRITE_LOCK, |tx| {
            shared.guard(tx)?;
            let keyring = shared.keyring.read().clone();
            let mut last = match anchor(tx, &shared.chain)? {
                Some(a) => a,
                None => Tail {
                    seq: 0,
                    chain: shared.chain.genesis(&shared.log_id),
                },
            };
            let refuse = |seq: u64, what: &str| {
                Error::Tampered(format!(
                    "refusing to purge: audit event seq {seq} {what}; run verify() for details"
                ))
            };
            // The tree keeps the leaves of purged events (so every checkpoint stays
            // provable): the events about to go that it does not cover yet get theirs
            // now, from the digests this walk computes anyway.
            let mut frontier = tree::frontier(tx, &shared.chain)?;
            let mut leaves: Vec<[u8; LEAF_LEN]> = Vec::new();
            let mut purged = 0u64;
            let mut scratch = Vec::new();
            // In chunks, each from the last event walked (every one follows the one
            // before): a PostgreSQL write reads a whole result at once. The first has no
            // lower bound, so a row before the anchor is walked (and refused) too.
            let first =
                format!("SELECT {EVENT_COLUMNS} FROM audit_events e ORDER BY e.seq LIMIT ?1");
            let next = format!(
                "SELECT {EVENT_COLUMNS} FROM audit_events e \
                 WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2"
            );
            let mut started = false;
            let mut reached_cutoff = false;
            loop {
                let walked_before = purged;
                let chunk = PURGE_CHUNK as i64;
                let (sql, args): (&str, &[Arg<'_>]) = if started {
                    (&next, args![last.seq as i64, chunk])
                } else {
                    (&first, args![chunk])
                };
                let mut rows = 0;
                tx.each(sql, args, &mut |row| {
                    rows += 1;
                    let raw = RawRow::from_row(row)?;
                    if raw.seq != last.seq + 1 {
                        return Err(refuse(
                            raw.seq,
                            "does not follow the previous one (events missing)",
                        ));
                    }
                    let id: [u8; 16] = raw.event_id.as_slice().try_into().unwrap_or([0; 16]);
                    let mut digest = EventDigest::new(&id, raw.ts);
                    open_fields(&keyring, &raw.as_ref(), &mut scratch, |_, p| {
                        digest.field(p)
                    })
                    .map_err(|e| e.into_error(&raw))?;
                    let digest = digest.finish();
                    let link = shared.chain.link(&last.chain, raw.seq, &digest);
                    let stored = row.opt_bytes(4).ok().flatten();
                    if !mac_eq(stored.as_deref().unwrap_or_default(), &link) {
                        return Err(refuse(raw.seq, "does not follow the chain"));
                    }
                    // `raw.ts` is authenticated now (it is in every field's AAD).
                    if raw.ts >= cutoff_ms {
                        reached_cutoff = true;
                        return Ok(false);
                    }
                    if raw.seq > frontier.size() {
                        let c = tree::commitment(&shared.leaf_salt, &id, &digest);
                        leaves.push(tree::leaf_data(raw.seq, raw.ts, &c));
                    }
                    last = Tail {
                        seq: raw.seq,
                        chain: link,
                    };
                    purged += 1;
                    Ok(true)
                })?;
                started = true;
                if reached_cutoff || rows < PURGE_CHUNK || purged == walked_before {
                    break;
                }
            }
            if purged == 0 {
                return Ok(0);
            }
            tree::append_purged(tx, &shared.chain, &mut frontier, &leaves)?;
            set_meta(tx, meta::ANCHOR, &encode_anchor(&shared.chain, &last))?;
            let n = tx.exec(
                "DELETE FROM audit_events WHERE seq <= ?1",
                args![last.seq as i64],
            )?;
            expect_changes(n, purged as usize, "purging audit events")?;
            if !lookup_is_view(tx) {
                tx.exec(
                    "DELETE FROM audit_lookup WHERE seq <= ?1",
                    args![last.seq as i64],
                )?;
            }
            Ok(purged)
        })
    }
}
