//! A bounded LRU cache with a TTL for online answers.
//!
//! Keys are 16-byte keyed hashes of the password digest (see `BreachChecker`), never the
//! password nor its digest. Values are small, so the memory bound is per entry:
//! [`CACHE_ENTRY_BOUND_BYTES`]. Entries live in a slab with an intrusive doubly linked
//! recency list, so `get` and `put` are O(1) and nothing is allocated once full.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Upper bound of the memory one cache entry takes, map overhead included: the slab node
/// (16-byte key, 16-byte value, 16-byte expiry, two 4-byte links: 56 bytes; the slab
/// never grows past `cache_size`) plus the hash map slot (16-byte key, 4-byte index,
/// control byte; buckets are a power of two at most 7/8 full, so at most 2.3 slots per
/// entry: under 50 bytes). So the default 10,000 entries stay under 1.3 MB.
pub const CACHE_ENTRY_BOUND_BYTES: usize = 128;

/// A cached answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cached {
    Breached(u64),
    NotFound,
}

const NIL: u32 = u32::MAX;

struct Node {
    key: [u8; 16],
    value: Cached,
    expires: Instant,
    prev: u32,
    next: u32,
}

/// LRU + TTL map. Not synchronised: the checker wraps it in a mutex.
pub(crate) struct LruCache {
    capacity: usize,
    ttl: Duration,
    map: HashMap<[u8; 16], u32>,
    nodes: Vec<Node>,
    head: u32, // most recently used
    tail: u32, // least recently used
}

impl LruCache {
    /// `capacity` is at most `u32::MAX - 1` (the config caps it far lower).
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        let capacity = capacity.min(NIL as usize - 1);
        LruCache {
            capacity,
            ttl,
            map: HashMap::with_capacity(capacity.min(1 << 16)),
            nodes: Vec::with_capacity(capacity.min(1 << 16)),
            head: NIL,
            tail: NIL,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// The live value for `key`, refreshed as most recently used. An expired entry is
    /// reported as absent and stays where it is until reused.
    pub(crate) fn get(&mut self, key: &[u8; 16], now: Instant) -> Option<Cached> {
        let idx = *self.map.get(key)?;
        let node = self.nodes.get(idx as usize)?;
        if now >= node.expires {
            return None;
        }
        let value = node.value;
        self.unlink(idx);
        self.push_front(idx);
        Some(value)
    }

    pub(crate) fn put(&mut self, key: [u8; 16], value: Cached, now: Instant) {
        if self.capacity == 0 {
            return;
        }
        let expires = now + self.ttl;
        if let Some(&idx) = self.map.get(&key) {
            if let Some(node) = self.nodes.get_mut(idx as usize) {
                node.value = value;
                node.expires = expires;
            }
            self.unlink(idx);
            self.push_front(idx);
            return;
        }
        let idx = if self.nodes.len() < self.capacity {
            if self.nodes.len() == self.nodes.capacity() {
                // Grow by doubling, but never past `capacity` (the documented bound).
                let extra = self
                    .nodes
                    .len()
                    .max(16)
                    .min(self.capacity - self.nodes.len());
                self.nodes.reserve_exact(extra);
            }
            self.nodes.push(Node {
                key,
                value,
                expires,
                prev: NIL,
                next: NIL,
            });
            (self.nodes.len() - 1) as u32
        } else {
            // Full: reuse the least recently used slot.
            let idx = self.tail;
            self.unlink(idx);
            let Some(node) = self.nodes.get_mut(idx as usize) else {
                return;
            };
            self.map.remove(&node.key);
            node.key = key;
            node.value = value;
            node.expires = expires;
            idx
        };
        self.map.insert(key, idx);
        self.push_front(idx);
    }

    fn unlink(&mut self, idx: u32) {
        let Some(node) = self.nodes.get(idx as usize) else {
            return;
        };
        let (prev, next) = (node.prev, node.next);
        match self.nodes.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.nodes.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
        if let Some(node) = self.nodes.get_mut(idx as usize) {
            node.prev = NIL;
            node.next = NIL;
        }
    }

    fn push_front(&mut self, idx: u32) {
        let old_head = self.head;
        if let Some(node) = self.nodes.get_mut(idx as usize) {
            node.prev = NIL;
            node.next = old_head;
        }
        if let Some(h) = self.nodes.get_mut(old_head as usize) {
            h.prev = idx;
        }
        self.head = idx;
        if self.tail == NIL {
            self.tail = idx;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u8) -> [u8; 16] {
        [i; 16]
    }

    #[test]
    fn evicts_least_recently_used() {
        let now = Instant::now();
        let mut cache = LruCache::new(3, Duration::from_secs(60));
        for i in 0..3 {
            cache.put(key(i), Cached::Breached(u64::from(i)), now);
        }
        assert_eq!(cache.get(&key(0), now), Some(Cached::Breached(0))); // 0 is now fresh
        cache.put(key(3), Cached::NotFound, now); // evicts 1
        assert_eq!(cache.get(&key(1), now), None);
        assert_eq!(cache.get(&key(0), now), Some(Cached::Breached(0)));
        assert_eq!(cache.get(&key(2), now), Some(Cached::Breached(2)));
        assert_eq!(cache.get(&key(3), now), Some(Cached::NotFound));
        assert_eq!(cache.len(), 3);
        cache.put(key(2), Cached::Breached(9), now); // update in place
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&key(2), now), Some(Cached::Breached(9)));
    }

    #[test]
    fn entries_expire_after_ttl() {
        let now = Instant::now();
        let mut cache = LruCache::new(10, Duration::from_secs(60));
        cache.put(key(1), Cached::NotFound, now);
        assert!(cache.get(&key(1), now + Duration::from_secs(59)).is_some());
        assert!(cache.get(&key(1), now + Duration::from_secs(60)).is_none());
    }

    #[test]
    fn zero_capacity_caches_nothing_and_heavy_churn_stays_bounded() {
        let now = Instant::now();
        let mut off = LruCache::new(0, Duration::from_secs(60));
        off.put(key(1), Cached::NotFound, now);
        assert_eq!(off.get(&key(1), now), None);
        let mut cache = LruCache::new(100, Duration::from_secs(60));
        for i in 0..10_000u32 {
            let mut k = [0u8; 16];
            k[..4].copy_from_slice(&i.to_le_bytes());
            cache.put(k, Cached::Breached(u64::from(i)), now);
        }
        assert_eq!(cache.len(), 100);
        assert_eq!(cache.nodes.len(), 100);
        assert_eq!(
            cache.nodes.capacity(),
            100,
            "slab never grows past capacity"
        );
        let mut last = [0u8; 16];
        last[..4].copy_from_slice(&9_999u32.to_le_bytes());
        assert_eq!(cache.get(&last, now), Some(Cached::Breached(9_999)));
    }
}
