//! The audit log's Merkle tree: one RFC 9162 leaf per event, so that signed
//! checkpoints and proofs (see [`super::checkpoints`]) can be checked without the key.
//!
//! **Leaf data** (49 bytes), for the event with sequence number `seq` (leaf `seq - 1`):
//!
//! ```text
//! offset size field
//! 0      1    version: 0x01
//! 1      8    seq, unsigned big-endian
//! 9      8    timestamp in ms since the Unix epoch, signed big-endian (two's complement)
//! 17     32   commitment = SHA-256("magnetar-audit-leaf-v1" ‖ salt ‖ d)
//! ```
//!
//! - `d` is the event's content digest, the one the HMAC chain links (see
//!   [`super::chain`]): SHA-256 over `"magnetar-audit-event-v1"`, the 16-byte event id,
//!   the timestamp (8 bytes, big-endian) and, for each of the eight fields in order, its
//!   length (4 bytes, big-endian) and its stored plaintext (`presence ‖ value`).
//! - `salt` = HMAC-SHA256(leaf-salt key, event id): 32 bytes that look random to anyone
//!   without the key. The leaf-salt key is derived from the log secret (HKDF, purpose
//!   `"leaf salt"`) like the chain key, so salts, digests and therefore leaves survive
//!   key rotation and re-encryption unchanged, and the key holder can disclose one
//!   event's salt without revealing any other.
//!
//! Leaf data thus reveals the sequence number and the time, which the database stores in
//! the clear anyway, and nothing about the content; an event disclosed later with its
//! salt can be proven to be leaf `seq - 1` of any checkpoint that covers it.
//!
//! Events purged by a Magnetar older than the tree (before schema version 3) can no
//! longer be read; each gets a placeholder leaf `0x00 ‖ seq ‖ 40 zero bytes`, so that
//! leaf `seq - 1` is still event `seq` for every later one.
//!
//! **Storage.** The tree is extended lazily, when a checkpoint, a proof or a purge needs
//! it, by a verify run over the new events (which authenticates every field and chain
//! link before a leaf is made), in rounds of [`ROUND`] events so that the write lock is
//! held briefly: `record` pays nothing. `audit_leaves` keeps every leaf's data, purged
//! events' included; `audit_tree` the hash of every complete subtree of two leaves or
//! more, keyed by the order in which appends would create them counting leaves (leaf
//! `n`'s position is `2n - popcount(n)`, followed by the parents it completes), so both
//! tables only grow at their end and a proof reads O(log n) rows by rowid. A leaf's own
//! hash is not stored: a proof that needs it hashes the leaf's row (one read either way),
//! and each append writes one row fewer. The end of the tree (size and root) is stored in
//! `audit_meta` with a MAC under the chain key, so the edge an extension starts from is
//! authenticated: someone who can write the file but lacks the key cannot make the next
//! checkpoint commit to hashes of their choosing.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::chain::{Chain, mac_eq};
use super::schema::{expect_changes, get_meta, meta, set_meta};
use super::shared::Shared;
use super::store::WRITE_LOCK;
use super::store::anchor;
use super::verify::{self, Leaves};
use crate::error::{Error, Result};
use crate::store::sql::{Arg, Db, args};
use crate::tlog::merkle::{self, Frontier, Hash, NodeId, NodeSource, leaf_hash};

/// The length of a leaf's data.
pub const LEAF_LEN: usize = 49;

/// The version byte of an event's leaf.
const LEAF_VERSION: u8 = 1;

/// The version byte of a placeholder for an event purged before the tree existed.
const PURGED_VERSION: u8 = 0;

/// Most events one extension round verifies and appends in one write transaction.
pub const ROUND: u64 = 1 << 16;

/// The salt of the event `event_id` under `salt_key`.
pub(crate) fn salt(salt_key: &Hmac<Sha256>, event_id: &[u8; 16]) -> [u8; 32] {
    let mut mac = salt_key.clone();
    mac.update(event_id);
    mac.finalize().into_bytes().into()
}

/// The commitment of event `event_id` with content digest `digest`.
pub(crate) fn commitment(salt_key: &Hmac<Sha256>, event_id: &[u8; 16], digest: &[u8; 32]) -> Hash {
    let mut h = Sha256::new();
    h.update(b"magnetar-audit-leaf-v1");
    h.update(salt(salt_key, event_id));
    h.update(digest);
    h.finalize().into()
}

/// The leaf data of event `seq`.
pub fn leaf_data(seq: u64, timestamp_ms: i64, commitment: &Hash) -> [u8; LEAF_LEN] {
    let mut out = [0u8; LEAF_LEN];
    out[0] = LEAF_VERSION;
    out[1..9].copy_from_slice(&seq.to_be_bytes());
    out[9..17].copy_from_slice(&timestamp_ms.to_be_bytes());
    out[17..].copy_from_slice(commitment);
    out
}

/// The placeholder leaf of event `seq`, purged before the tree existed.
fn purged_leaf(seq: u64) -> [u8; LEAF_LEN] {
    let mut out = [0u8; LEAF_LEN];
    out[0] = PURGED_VERSION;
    out[1..9].copy_from_slice(&seq.to_be_bytes());
    out
}

/// The sequence number a leaf's data claims, when the data is well-formed.
pub fn leaf_seq(leaf: &[u8]) -> Option<u64> {
    let seq = u64::from_be_bytes(leaf.get(1..9)?.try_into().ok()?);
    let ok = leaf.len() == LEAF_LEN
        && (leaf[0] == LEAF_VERSION || (leaf[0] == PURGED_VERSION && leaf[9..] == [0; 40]));
    ok.then_some(seq)
}

/// Where `id` is stored in `audit_tree`: the position at which appends create it.
fn stored_index(id: NodeId) -> i64 {
    // The leaf whose append completes the subtree, and the hashes written before it.
    let last_leaf = ((id.index + 1) << id.level) - 1;
    (2 * last_leaf - u64::from(last_leaf.count_ones()) + u64::from(id.level)) as i64
}

/// Stored subtree hashes, read through a connection. Nothing read here is trusted: a
/// root or proof built from edited hashes fails against a signed checkpoint.
pub(crate) struct StoredNodes<'c>(pub &'c dyn Db);

impl NodeSource for StoredNodes<'_> {
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>> {
        ids.iter()
            .map(|&id| {
                if id.level == 0 {
                    let seq = id.index + 1;
                    let leaf = stored_leaves(self.0, seq, seq)?;
                    return Ok(leaf_hash(&leaf[0]));
                }
                let missing = || {
                    Error::Tampered(format!(
                        "the audit tree lacks the hash of leaves {}..{} (deleted or edited)",
                        id.index << id.level,
                        (id.index + 1) << id.level
                    ))
                };
                let hash = self.0.opt(
                    "SELECT hash FROM audit_tree WHERE id = ?1",
                    args![stored_index(id)],
                    |r| r.bytes(0),
                )?;
                hash.ok_or_else(missing)?.try_into().map_err(|_| missing())
            })
            .collect()
    }
}

/// The tree's right edge as stored, after checking it against the MAC'd end: `Tampered`
/// when the end fails its MAC or the stored edge hashes do not give its root.
pub(crate) fn frontier(conn: &dyn Db, chain: &Chain) -> Result<Frontier> {
    let tampered = |what: &str| Error::Tampered(format!("the audit log's Merkle tree {what}"));
    let Some(raw) = get_meta(conn, meta::TREE_END)? else {
        let any = conn.one("SELECT EXISTS (SELECT 1 FROM audit_leaves)", &[], |r| {
            r.bool(0)
        })?;
        if any {
            return Err(tampered("has leaves but its end is missing"));
        }
        return Ok(Frontier::default());
    };
    let size = raw
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes);
    let root = raw.get(8..40).and_then(|b| Hash::try_from(b).ok());
    let (Some(size), Some(root), true) = (size, root, raw.len() == 72) else {
        return Err(tampered("end is malformed"));
    };
    if !mac_eq(&raw[40..], &chain.tree_end_mac(size, &root)) {
        return Err(tampered("end fails authentication"));
    }
    let edge = merkle::complete_subtrees(0, size);
    let frontier = Frontier::from_parts(size, StoredNodes(conn).nodes(&edge)?)?;
    if frontier.root() != root {
        return Err(tampered("hashes on its edge were edited"));
    }
    Ok(frontier)
}

/// Stores the end of the tree `frontier` describes.
fn store_end(conn: &dyn Db, chain: &Chain, frontier: &Frontier) -> Result<()> {
    let root = frontier.root();
    let mut raw = Vec::with_capacity(72);
    raw.extend_from_slice(&frontier.size().to_be_bytes());
    raw.extend_from_slice(&root);
    raw.extend_from_slice(&chain.tree_end_mac(frontier.size(), &root));
    set_meta(conn, meta::TREE_END, &raw)
}

/// Appends `leaves` (the leaves of events `frontier.size() + 1 ..`, in order), storing
/// each leaf's data and every subtree hash it completes, and the new end.
pub(crate) fn append(
    conn: &dyn Db,
    chain: &Chain,
    frontier: &mut Frontier,
    leaves: &[[u8; LEAF_LEN]],
) -> Result<()> {
    let mut leaf_rows = Vec::with_capacity(leaves.len());
    let mut nodes = Vec::with_capacity(leaves.len());
    for leaf in leaves {
        let seq = frontier.size() + 1;
        if leaf_seq(leaf) != Some(seq) {
            return Err(Error::Internal(format!(
                "audit tree append out of order at seq {seq}"
            )));
        }
        leaf_rows.push(vec![Arg::Int(seq as i64), Arg::from(leaf)]);
        // The first hash is the leaf's own, not stored (see the module docs).
        nodes.extend(frontier.append(leaf_hash(leaf)).into_iter().skip(1));
    }
    let node_rows: Vec<Vec<Arg<'_>>> = nodes
        .iter()
        .map(|(id, hash)| vec![Arg::Int(stored_index(*id)), Arg::from(hash)])
        .collect();
    // Plain inserts, never replacing: a row already there means the tables were
    // edited, and the constraint error rolls the whole extension back.
    let n = conn.insert_many("audit_leaves", &["seq", "leaf"], &leaf_rows)?;
    expect_changes(n, leaf_rows.len(), "storing audit tree leaves")?;
    let n = conn.insert_many("audit_tree", &["id", "hash"], &node_rows)?;
    expect_changes(n, node_rows.len(), "storing audit tree hashes")?;
    if !leaves.is_empty() {
        store_end(conn, chain, frontier)?;
    }
    Ok(())
}

/// Appends the leaves of events a purge is about to delete (`leaves`, in order, the
/// first one past the tree's end), after placeholders for any events purged before the
/// tree existed.
pub(crate) fn append_purged(
    conn: &dyn Db,
    chain: &Chain,
    frontier: &mut Frontier,
    leaves: &[[u8; LEAF_LEN]],
) -> Result<()> {
    let Some(first) = leaves.first().and_then(|l| leaf_seq(l)) else {
        return Ok(());
    };
    let mut all: Vec<_> = (frontier.size() + 1..first).map(purged_leaf).collect();
    all.extend_from_slice(leaves);
    append(conn, chain, frontier, &all)
}

/// The stored data of the leaves of events `from..=to`, in order; `Tampered` when one is
/// missing or malformed.
pub(crate) fn stored_leaves(conn: &dyn Db, from: u64, to: u64) -> Result<Vec<[u8; LEAF_LEN]>> {
    let mut out = Vec::with_capacity(to.saturating_sub(from).saturating_add(1).min(ROUND) as usize);
    let mut want = from;
    conn.each(
        "SELECT seq, leaf FROM audit_leaves WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",
        args![from as i64, to as i64],
        &mut |row| {
            let seq = row.i64(0)?;
            let leaf = row.opt_bytes(1).ok().flatten().unwrap_or_default();
            match <[u8; LEAF_LEN]>::try_from(leaf.as_slice()) {
                Ok(leaf) if seq == want as i64 && leaf_seq(&leaf) == Some(want) => out.push(leaf),
                _ => {
                    return Err(Error::Tampered(format!(
                        "the audit tree's leaf for event seq {want} is missing or malformed"
                    )));
                }
            }
            want += 1;
            Ok(true)
        },
    )?;
    if want != to.saturating_add(1) && from <= to {
        return Err(Error::Tampered(format!(
            "the audit tree's leaf for event seq {want} is missing"
        )));
    }
    Ok(out)
}

/// Extends the tree over the committed events up to `through` (or the log's end, if
/// sooner) and returns its size. Each round verifies its events (fields, chain links,
/// search data) from the authenticated edge in a read snapshot, then appends their
/// leaves in a write transaction that checks nobody extended the tree meanwhile (another
/// thread or process: the round is then redone from the new edge).
pub(crate) fn extend(shared: &Shared, through: u64) -> Result<u64> {
    let _one_at_a_time = shared.tree_lock.lock();
    loop {
        let (edge, anchor_seq, last) = shared.store.read(|conn| {
            shared.guard(conn)?;
            let edge = frontier(conn, &shared.chain)?;
            let anchor_seq = anchor(conn, &shared.chain)?.map_or(0, |a| a.seq);
            let last = conn.one("SELECT coalesce(max(seq), 0) FROM audit_events", &[], |r| {
                r.i64(0)
            })?;
            Ok((edge, anchor_seq, (last.max(0) as u64).max(anchor_seq)))
        })?;
        let size = edge.size();
        let target = through.min(last);
        if size >= target {
            return Ok(size);
        }
        let mut leaves: Vec<[u8; LEAF_LEN]> = (size + 1..=anchor_seq.min(target))
            .map(purged_leaf)
            .collect();
        let start = size.max(anchor_seq);
        let end = target.min(start + ROUND);
        if end > start {
            let mut sink = |_seq: u64, leaf: [u8; LEAF_LEN]| {
                leaves.push(leaf);
                Ok(())
            };
            let mut range = Leaves {
                after: start,
                through: end,
                sink: &mut sink,
            };
            let report = verify::run(shared, None, Some(&mut range))?;
            if let Some(p) = report.first_problem {
                return Err(Error::Tampered(format!(
                    "the audit tree cannot be extended over event seq {}: {} (run verify() for details)",
                    p.seq, p.detail
                )));
            }
        }
        let last_leaf = if end > start { end } else { target };
        if leaves.last().and_then(|l| leaf_seq(l)) != Some(last_leaf) {
            return Err(Error::Tampered(format!(
                "audit events up to seq {end} are missing: the tree cannot be extended over them"
            )));
        }
        // When another process extended the tree meanwhile, this round's leaves are
        // dropped and the next round starts from its edge.
        shared.store.write(WRITE_LOCK, |tx| {
            shared.guard(tx)?;
            let mut now = frontier(tx, &shared.chain)?;
            if now.size() == size {
                append(tx, &shared.chain, &mut now, &leaves)?;
            }
            Ok(())
        })?;
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::audit::key::{LogSecret, new_hmac};

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE audit_meta (name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;
             CREATE TABLE audit_leaves (seq INTEGER PRIMARY KEY, leaf BLOB NOT NULL);
             CREATE TABLE audit_tree (id INTEGER PRIMARY KEY, hash BLOB NOT NULL);",
        )
        .unwrap();
        conn
    }

    fn chain() -> Chain {
        Chain::new(&LogSecret::generate().unwrap())
    }

    #[test]
    fn stored_index_follows_append_order() {
        // Leaf 0, leaf 1, node(0,1), leaf 2, leaf 3, node(2,3), node(0..4), leaf 4 ...
        let order = [
            (0, 0),
            (0, 1),
            (1, 0),
            (0, 2),
            (0, 3),
            (1, 1),
            (2, 0),
            (0, 4),
        ];
        for (i, (level, index)) in order.into_iter().enumerate() {
            assert_eq!(stored_index(NodeId { level, index }), i as i64);
        }
    }

    #[test]
    fn stored_tree_gives_roots_and_proofs_that_verify() {
        let (conn, chain) = (db(), chain());
        let data: Vec<[u8; LEAF_LEN]> = (1..=100u64)
            .map(|seq| leaf_data(seq, seq as i64 * 1000, &[seq as u8; 32]))
            .collect();
        let mut f = frontier(&conn, &chain).unwrap();
        append(&conn, &chain, &mut f, &data[..37]).unwrap();
        // An extension that starts from the stored, authenticated edge continues it.
        let mut f = frontier(&conn, &chain).unwrap();
        assert_eq!(f.size(), 37);
        append(&conn, &chain, &mut f, &data[37..]).unwrap();
        let nodes = StoredNodes(&conn);
        let root = merkle::root(&nodes, 100).unwrap();
        assert_eq!(root, f.root());
        assert_eq!(frontier(&conn, &chain).unwrap().root(), root);
        for m in [0u64, 36, 37, 99] {
            let proof = merkle::prove_inclusion(&nodes, m, 100).unwrap();
            merkle::verify_inclusion(m, 100, &leaf_hash(&data[m as usize]), &proof, &root).unwrap();
        }
        let old = merkle::root(&nodes, 37).unwrap();
        let proof = merkle::prove_consistency(&nodes, 37, 100).unwrap();
        merkle::verify_consistency(37, 100, &old, &root, &proof).unwrap();
        assert_eq!(stored_leaves(&conn, 99, 100).unwrap().len(), 2);
        assert!(stored_leaves(&conn, 99, 101).is_err());
    }

    #[test]
    fn edited_tables_are_reported_not_trusted() {
        let (conn, chain) = (db(), chain());
        let mut f = frontier(&conn, &chain).unwrap();
        let leaves: Vec<_> = (1..=8u64).map(|s| leaf_data(s, 0, &[0; 32])).collect();
        append(&conn, &chain, &mut f, &leaves).unwrap();
        // The edge of a tree of 8 is the single node over all 8 leaves (id 14).
        conn.execute(
            "UPDATE audit_tree SET hash = zeroblob(32) WHERE id = 14",
            [],
        )
        .unwrap();
        let err = frontier(&conn, &chain).unwrap_err();
        assert!(err.to_string().contains("edge were edited"), "{err}");
        // The node over leaves 2 and 3 (id 5), then the leaf row of event 3.
        conn.execute("DELETE FROM audit_tree WHERE id = 5", [])
            .unwrap();
        let err = merkle::prove_inclusion(&StoredNodes(&conn), 0, 4).unwrap_err();
        assert!(err.to_string().contains("lacks the hash"), "{err}");
        conn.execute("DELETE FROM audit_leaves WHERE seq = 3", [])
            .unwrap();
        let err = merkle::root(&StoredNodes(&conn), 3).unwrap_err();
        assert!(err.to_string().contains("leaf for event seq 3"), "{err}");
        // An end forged without the chain key.
        let other = self::chain();
        store_end(&conn, &other, &f).unwrap();
        let err = frontier(&conn, &chain).unwrap_err();
        assert!(err.to_string().contains("fails authentication"), "{err}");
        conn.execute("DELETE FROM audit_meta", []).unwrap();
        let err = frontier(&conn, &chain).unwrap_err();
        assert!(err.to_string().contains("end is missing"), "{err}");
        // A leaf already there refuses the append.
        let (conn, chain) = (db(), self::chain());
        conn.execute("INSERT INTO audit_leaves VALUES (1, x'00')", [])
            .unwrap();
        let mut f = Frontier::default();
        assert!(append(&conn, &chain, &mut f, &leaves[..1]).is_err());
    }

    #[test]
    fn leaf_encoding_is_as_documented() {
        let leaf = leaf_data(0x0102, -1, &[0xab; 32]);
        assert_eq!(leaf[0], 1);
        assert_eq!(&leaf[1..9], &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(&leaf[9..17], &[0xff; 8]);
        assert_eq!(&leaf[17..], &[0xab; 32]);
        assert_eq!(leaf_seq(&leaf), Some(0x0102));
        assert_eq!(leaf_seq(&leaf[1..]), None);
        let purged = purged_leaf(7);
        assert_eq!(purged[0], 0);
        assert_eq!(leaf_seq(&purged), Some(7));
        let mut bad = purged;
        bad[20] = 1;
        assert_eq!(leaf_seq(&bad), None);
    }

    #[test]
    fn commitment_is_as_documented() {
        let key = new_hmac(&[9u8; 32]);
        let (id, digest) = ([1u8; 16], [2u8; 32]);
        let mut salt_mac = new_hmac(&[9u8; 32]);
        salt_mac.update(&id);
        let salt: [u8; 32] = salt_mac.finalize().into_bytes().into();
        let want: Hash = Sha256::new()
            .chain_update(b"magnetar-audit-leaf-v1")
            .chain_update(salt)
            .chain_update(digest)
            .finalize()
            .into();
        assert_eq!(commitment(&key, &id, &digest), want);
        assert_ne!(commitment(&key, &[3u8; 16], &digest), want);
    }
}
