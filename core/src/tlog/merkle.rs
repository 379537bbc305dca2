//! RFC 9162 (RFC 6962) Merkle tree hashing, proofs and their verification.
//!
//! ```text
//! leaf hash  = SHA-256(0x00 || leaf data)
//! node hash  = SHA-256(0x01 || left || right)
//! MTH({})    = SHA-256()            MTH({d0}) = leaf hash of d0
//! MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two below n
//! ```
//!
//! Storage keeps the hash of every *complete* subtree, named by [`NodeId`]: level `l`,
//! index `i` covers leaves `[i·2^l, (i+1)·2^l)`. Any range that appears in the RFC's
//! recursion starts at a multiple of its own largest power of two, so its hash is the
//! right fold of at most log₂ n complete subtrees ([`complete_subtrees`]). A root, an
//! inclusion proof or a consistency proof therefore needs O(log n) stored hashes, which
//! [`NodeSource::nodes`] fetches in one batch, never a scan.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A SHA-256 hash in the tree.
pub type Hash = [u8; 32];

/// The hash of a leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of no bytes.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A complete subtree: `level` 0 is a leaf; level `l`, `index` `i` covers leaves
/// `[i << l, (i + 1) << l)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height above the leaves.
    pub level: u8,
    /// Position among the subtrees of this level, from the left.
    pub index: u64,
}

impl NodeId {
    /// The leaf at `index`.
    pub fn leaf(index: u64) -> Self {
        NodeId { level: 0, index }
    }
}

/// The complete subtrees whose right fold is `MTH(D[lo:hi])`, largest first.
///
/// Valid for the ranges of the RFC's recursion: `lo` is a multiple of the largest power
/// of two not above `hi - lo` (true of `[0, n)` and of every range the recursion splits
/// off), so each chunk is aligned.
pub fn complete_subtrees(lo: u64, hi: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut start = lo;
    while start < hi {
        let level = 63 - (hi - start).leading_zeros();
        out.push(NodeId {
            level: level as u8,
            index: start >> level,
        });
        start += 1 << level;
    }
    out
}

/// `MTH` of a range from the hashes of its [`complete_subtrees`], in that order.
pub fn fold_subtrees(hashes: &[Hash]) -> Hash {
    match hashes.split_last() {
        None => empty_root(),
        Some((last, rest)) => rest
            .iter()
            .rev()
            .fold(*last, |right, left| node_hash(left, &right)),
    }
}

/// The largest power of two strictly below `n` (`n >= 2`).
fn split_point(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The ranges whose `MTH`s form the inclusion proof of leaf `m` in the tree of size `n`
/// (RFC 9162 §2.1.3.1, `PATH`), in proof order: nearest the leaf first.
pub fn inclusion_ranges(m: u64, n: u64) -> Result<Vec<(u64, u64)>> {
    if m >= n {
        return Err(Error::InvalidInput(format!(
            "leaf {m} is not in a tree of size {n}"
        )));
    }
    let mut out = Vec::new();
    path(m, 0, n, &mut out);
    Ok(out)
}

fn path(m: u64, lo: u64, hi: u64, out: &mut Vec<(u64, u64)>) {
    let n = hi - lo;
    if n <= 1 {
        return;
    }
    let k = split_point(n);
    if m < k {
        path(m, lo, lo + k, out);
        out.push((lo + k, hi));
    } else {
        path(m - k, lo + k, hi, out);
        out.push((lo, lo + k));
    }
}

/// The ranges whose `MTH`s form the consistency proof from size `m` to size `n`
/// (RFC 9162 §2.1.4.1, `PROOF`), in proof order. Empty when `m` is 0 or `m == n`.
pub fn consistency_ranges(m: u64, n: u64) -> Result<Vec<(u64, u64)>> {
    if m > n {
        return Err(Error::InvalidInput(format!(
            "no consistency proof from size {m} to the smaller size {n}"
        )));
    }
    let mut out = Vec::new();
    if m > 0 && m < n {
        subproof(m, 0, n, true, &mut out);
    }
    Ok(out)
}

fn subproof(m: u64, lo: u64, hi: u64, whole: bool, out: &mut Vec<(u64, u64)>) {
    let n = hi - lo;
    if m == n {
        if !whole {
            out.push((lo, hi));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        subproof(m, lo, lo + k, whole, out);
        out.push((lo + k, hi));
    } else {
        subproof(m - k, lo + k, hi, false, out);
        out.push((lo, lo + k));
    }
}

/// Where stored subtree hashes come from (the audit log's table, or memory).
pub trait NodeSource {
    /// The hashes of `ids`, in the same order. A missing node is an error (the store is
    /// incomplete or was tampered with), never a default.
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>>;
}

/// The hashes of the given ranges, fetched in one batch.
fn range_hashes(source: &dyn NodeSource, ranges: &[(u64, u64)]) -> Result<Vec<Hash>> {
    let per_range: Vec<Vec<NodeId>> = ranges
        .iter()
        .map(|&(lo, hi)| complete_subtrees(lo, hi))
        .collect();
    let ids: Vec<NodeId> = per_range.iter().flatten().copied().collect();
    let hashes = source.nodes(&ids)?;
    let mut at = 0;
    Ok(per_range
        .iter()
        .map(|ids| {
            let hash = fold_subtrees(&hashes[at..at + ids.len()]);
            at += ids.len();
            hash
        })
        .collect())
}

/// The root of the tree of size `n`.
pub fn root(source: &dyn NodeSource, n: u64) -> Result<Hash> {
    Ok(range_hashes(source, &[(0, n)])?[0])
}

/// The inclusion proof of leaf `m` in the tree of size `n`.
pub fn prove_inclusion(source: &dyn NodeSource, m: u64, n: u64) -> Result<Vec<Hash>> {
    range_hashes(source, &inclusion_ranges(m, n)?)
}

/// The consistency proof from the tree of size `m` to the tree of size `n`.
pub fn prove_consistency(source: &dyn NodeSource, m: u64, n: u64) -> Result<Vec<Hash>> {
    range_hashes(source, &consistency_ranges(m, n)?)
}

/// Checks an inclusion proof (RFC 9162 §2.1.3.2): `leaf` (a leaf hash) is leaf `index`
/// of the tree of size `size` whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<()> {
    if index >= size {
        return Err(Error::InvalidInput(format!(
            "leaf {index} is not in a tree of size {size}"
        )));
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(Error::Tampered(
                "inclusion proof is longer than the tree allows".into(),
            ));
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(Error::Tampered(
            "inclusion proof is shorter than the tree needs".into(),
        ));
    }
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&r[..], &root[..])) {
        return Err(Error::Tampered(format!(
            "leaf {index} is not in the tree of size {size} with this root"
        )));
    }
    Ok(())
}

/// Checks a consistency proof (RFC 9162 §2.1.4.2): the tree of size `first` with root
/// `first_root` is a prefix of the tree of size `second` with root `second_root`.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<()> {
    let mismatch = || {
        Error::Tampered(format!(
            "the tree of size {first} is not a prefix of the tree of size {second}"
        ))
    };
    if first > second {
        return Err(Error::InvalidInput(format!(
            "no consistency proof from size {first} to the smaller size {second}"
        )));
    }
    if first == second {
        return if proof.is_empty() && first_root == second_root {
            Ok(())
        } else {
            Err(mismatch())
        };
    }
    if first == 0 {
        // Every tree extends the empty one.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(mismatch())
        };
    }
    if proof.is_empty() {
        return Err(mismatch());
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return Err(mismatch());
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    let eq = |a: &Hash, b: &Hash| bool::from(subtle::ConstantTimeEq::ct_eq(&a[..], &b[..]));
    if s == 0 && eq(&fr, first_root) && eq(&sr, second_root) {
        Ok(())
    } else {
        Err(mismatch())
    }
}

/// The right edge of a tree: the hashes of its [`complete_subtrees`]`(0, size)`, which
/// is all that appending needs (a "compact range").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// Largest subtree first, one per set bit of `size`.
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the tree of size `size` whose complete subtrees are `hashes`
    /// (largest first), as read from storage.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Self> {
        if hashes.len() != size.count_ones() as usize {
            return Err(Error::Tampered(format!(
                "a tree of size {size} has {} complete subtrees on its edge, not {}",
                size.count_ones(),
                hashes.len()
            )));
        }
        Ok(Frontier { size, hashes })
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the tree.
    pub fn root(&self) -> Hash {
        fold_subtrees(&self.hashes)
    }

    /// Appends a leaf hash; returns every complete subtree the append created (the leaf
    /// and each parent it completed), to be stored.
    pub fn append(&mut self, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let index = self.size;
        let mut created = vec![(NodeId::leaf(index), leaf)];
        let mut hash = leaf;
        let mut level = 0u8;
        // Each trailing one bit of the old size is a complete subtree this leaf closes.
        while (index >> level) & 1 == 1 {
            let left = self.hashes.pop().expect("one hash per set bit of the size");
            hash = node_hash(&left, &hash);
            level += 1;
            created.push((
                NodeId {
                    level,
                    index: index >> level,
                },
                hash,
            ));
        }
        self.hashes.push(hash);
        self.size += 1;
        created
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Every complete subtree of a tree built leaf by leaf, in memory.
    #[derive(Default)]
    struct Memory {
        frontier: Frontier,
        nodes: HashMap<NodeId, Hash>,
    }

    impl Memory {
        fn with_leaves(leaves: &[Vec<u8>]) -> Self {
            let mut m = Memory::default();
            for leaf in leaves {
                m.nodes.extend(m.frontier.append(leaf_hash(leaf)));
            }
            m
        }
    }

    impl NodeSource for Memory {
        fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>> {
            ids.iter()
                .map(|id| {
                    self.nodes
                        .get(id)
                        .copied()
                        .ok_or_else(|| Error::Tampered(format!("missing {id:?}")))
                })
                .collect()
        }
    }

    /// MTH straight from the RFC's definition, to check everything else against.
    fn mth(leaves: &[Vec<u8>]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    /// The eight leaves of the certificate-transparency test data.
    fn ct_leaves() -> Vec<Vec<u8>> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|h| hex::decode(h).unwrap())
        .collect()
    }

    /// Roots of the first 1..=8 of those leaves, as published with them.
    const CT_ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn roots_match_the_published_test_data() {
        let leaves = ct_leaves();
        let memory = Memory::with_leaves(&leaves);
        for (i, want) in CT_ROOTS.iter().enumerate() {
            let n = i as u64 + 1;
            assert_eq!(
                hex::encode(mth(&leaves[..=i])),
                *want,
                "definition, size {n}"
            );
            assert_eq!(
                hex::encode(root(&memory, n).unwrap()),
                *want,
                "stored, size {n}"
            );
        }
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn published_consistency_proof_verifies() {
        // From the same test data: size 2 to size 5.
        let proof = [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ]
        .map(|h| <Hash>::try_from(hex::decode(h).unwrap()).unwrap());
        let r = |i: usize| <Hash>::try_from(hex::decode(CT_ROOTS[i]).unwrap()).unwrap();
        verify_consistency(2, 5, &r(1), &r(4), &proof).unwrap();
        let memory = Memory::with_leaves(&ct_leaves());
        assert_eq!(prove_consistency(&memory, 2, 5).unwrap(), proof);
        assert!(verify_consistency(2, 5, &r(2), &r(4), &proof).is_err());
    }

    #[test]
    fn every_proof_in_trees_up_to_70_leaves_verifies_and_a_changed_one_does_not() {
        let leaves: Vec<Vec<u8>> = (0u32..70).map(|i| i.to_be_bytes().to_vec()).collect();
        let memory = Memory::with_leaves(&leaves);
        for n in 1..=70u64 {
            let root_n = root(&memory, n).unwrap();
            assert_eq!(root_n, mth(&leaves[..n as usize]));
            for m in 0..n {
                let leaf = leaf_hash(&leaves[m as usize]);
                let proof = prove_inclusion(&memory, m, n).unwrap();
                verify_inclusion(m, n, &leaf, &proof, &root_n).unwrap();
                if let Some(first) = proof.first() {
                    let mut bad = proof.clone();
                    bad[0][0] ^= 1;
                    assert!(verify_inclusion(m, n, &leaf, &bad, &root_n).is_err());
                    assert!(verify_inclusion(m, n, first, &proof, &root_n).is_err());
                }
            }
            for m in 0..=n {
                let root_m = root(&memory, m).unwrap();
                let proof = prove_consistency(&memory, m, n).unwrap();
                verify_consistency(m, n, &root_m, &root_n, &proof).unwrap();
                if m > 0 && m < n {
                    let mut bad = proof.clone();
                    let last = bad.len() - 1;
                    bad[last][31] ^= 1;
                    assert!(verify_consistency(m, n, &root_m, &root_n, &bad).is_err());
                    assert!(verify_consistency(m, n, &root_n, &root_n, &proof).is_err());
                }
            }
        }
    }

    #[test]
    fn proofs_are_logarithmic() {
        assert_eq!(inclusion_ranges(0, 1 << 20).unwrap().len(), 20);
        let ranges = consistency_ranges(999_999, 1_000_000).unwrap();
        assert!(ranges.len() <= 2 * 20, "{}", ranges.len());
        let subtrees: usize = ranges
            .iter()
            .map(|&(lo, hi)| complete_subtrees(lo, hi).len())
            .sum();
        assert!(subtrees <= 2 * 20 + 20, "{subtrees}");
    }

    #[test]
    fn bad_arguments_are_errors_not_panics() {
        assert!(inclusion_ranges(5, 5).is_err());
        assert!(consistency_ranges(6, 5).is_err());
        let h = [0u8; 32];
        assert!(verify_inclusion(0, 0, &h, &[], &h).is_err());
        assert!(verify_inclusion(u64::MAX, u64::MAX, &h, &[h; 70], &h).is_err());
        assert!(verify_consistency(u64::MAX - 1, u64::MAX, &h, &h, &[h; 70]).is_err());
        assert!(Frontier::from_parts(3, vec![h]).is_err());
    }
}
