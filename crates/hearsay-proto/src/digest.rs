//! Set digests of the membership, for anti-entropy whose cost does not grow with N.
//!
//! Every alive or suspect member contributes `entry_hash(name, generation, incarnation)`; the
//! digest of a set is the XOR of its entries, kept per bucket and in total, updated in O(1) on
//! every change. Two nodes whose live sets agree exchange only the 20-byte root; when roots
//! differ they compare [`BUCKETS`] bucket hashes and send only the members of differing buckets.
//! Suspect hashes like alive (same incarnation), and tombstones do not count, so a node that
//! has forgotten a dead member agrees with one that still keeps its tombstone.

use xxhash_rust::xxh3::xxh3_64;

/// Buckets of the second digest level; part of the protocol (both sides must agree).
pub const BUCKETS: usize = 256;

/// Hash of one live member's identity and incarnation: the unit of the set digest.
/// Stable across platforms and versions (xxh3 over a fixed layout).
pub fn entry_hash(name: &str, generation: u64, incarnation: u32) -> u64 {
    let mut buf = [0u8; 12 + crate::name::MAX_NAME_BYTES];
    buf[..8].copy_from_slice(&generation.to_le_bytes());
    buf[8..12].copy_from_slice(&incarnation.to_le_bytes());
    let n = name.len().min(crate::name::MAX_NAME_BYTES);
    buf[12..12 + n].copy_from_slice(&name.as_bytes()[..n]);
    // Never zero, so that an entry always changes the digest.
    xxh3_64(&buf[..12 + n]) | 1
}

/// Which bucket a member belongs to (by name only, so all of a member's versions share one).
pub fn bucket_of(name: &str) -> usize {
    (xxh3_64(name.as_bytes()) % BUCKETS as u64) as usize
}

/// The incrementally maintained digest of a set of live members.
#[derive(Debug, Clone)]
pub struct Digest {
    root: u64,
    live: u32,
    buckets: Box<[u64; BUCKETS]>,
}

impl Default for Digest {
    fn default() -> Digest {
        Digest {
            root: 0,
            live: 0,
            buckets: Box::new([0; BUCKETS]),
        }
    }
}

impl Digest {
    /// Adds (or, called again with the same arguments, removes) a live entry.
    pub fn toggle(&mut self, name: &str, generation: u64, incarnation: u32, adding: bool) {
        let h = entry_hash(name, generation, incarnation);
        self.root ^= h;
        self.buckets[bucket_of(name)] ^= h;
        if adding {
            self.live += 1;
        } else {
            self.live -= 1;
        }
    }

    /// XOR of all entries.
    pub fn root(&self) -> u64 {
        self.root
    }

    /// Number of live entries.
    pub fn live(&self) -> u32 {
        self.live
    }

    /// Per-bucket XORs.
    pub fn buckets(&self) -> &[u64; BUCKETS] {
        &self.buckets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_order_independent_and_reversible() {
        let mut a = Digest::default();
        let mut b = Digest::default();
        a.toggle("x", 1, 0, true);
        a.toggle("y", 1, 3, true);
        b.toggle("y", 1, 3, true);
        b.toggle("x", 1, 0, true);
        assert_eq!(a.root(), b.root());
        assert_eq!(a.buckets(), b.buckets());
        a.toggle("y", 1, 3, false);
        assert_ne!(a.root(), b.root());
        assert_eq!(a.live(), 1);
    }

    #[test]
    fn incarnation_and_generation_change_the_entry() {
        assert_ne!(entry_hash("x", 1, 0), entry_hash("x", 1, 1));
        assert_ne!(entry_hash("x", 1, 0), entry_hash("x", 2, 0));
    }
}
