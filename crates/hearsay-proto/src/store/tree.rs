//! Range trees: the digests that make a store's anti-entropy cost follow its differences.
//!
//! Every entry of a store falls into one of [`LEAVES`] leaves by a hash of its key (per-node
//! state: of its owner's name, so an owner's keys travel together). A leaf's hash is the XOR of
//! its entries' hashes, a group's the XOR of its [`LEAVES_PER_GROUP`] leaves, the root the XOR
//! of the [`GROUPS`] groups; all are updated in O(1) per change.
//!
//! Two replicas compare roots (carried in every membership sync: 16 bytes). If the roots
//! differ, one sends its group hashes, the other answers with its leaf hashes under the
//! groups that differ, and the entries of the leaves that still differ are swapped. Identical
//! replicas pay the roots only, whatever the store's size; a repair pays about
//! `GROUPS * 9 + differing_groups * LEAVES_PER_GROUP * 9` bytes of hashes plus the entries of
//! the differing leaves.

use xxhash_rust::xxh3::xxh3_64;

/// Top-level nodes of the tree; part of the protocol.
pub const GROUPS: usize = 64;
/// Leaves under each group; part of the protocol.
pub const LEAVES_PER_GROUP: usize = 64;
/// Leaves in all.
pub const LEAVES: usize = GROUPS * LEAVES_PER_GROUP;
/// Tree node ids: groups are `0..GROUPS`, leaf `l` is `GROUPS + l`.
pub const NODES: usize = GROUPS + LEAVES;

/// The leaf a key (or an owner's name) falls into.
pub fn leaf_of(key: &str) -> u16 {
    // A different seed from the membership digest's buckets, so the two do not correlate.
    (xxhash_rust::xxh3::xxh3_64_with_seed(key.as_bytes(), 0x5eed) % LEAVES as u64) as u16
}

/// Hash of arbitrary parts, never zero (so every entry changes its leaf).
pub fn entry_hash(parts: &[&[u8]]) -> u64 {
    let mut buf = Vec::with_capacity(parts.iter().map(|p| p.len() + 4).sum());
    for p in parts {
        buf.extend_from_slice(&(p.len() as u32).to_le_bytes());
        buf.extend_from_slice(p);
    }
    xxh3_64(&buf) | 1
}

/// The incrementally maintained range tree of one store.
#[derive(Clone)]
pub struct RangeTree {
    leaves: Box<[u64]>,
    groups: [u64; GROUPS],
    root: u64,
}

impl Default for RangeTree {
    fn default() -> RangeTree {
        RangeTree {
            leaves: vec![0; LEAVES].into_boxed_slice(),
            groups: [0; GROUPS],
            root: 0,
        }
    }
}

impl std::fmt::Debug for RangeTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RangeTree({:016x})", self.root)
    }
}

impl RangeTree {
    /// Adds or removes (XOR is its own inverse) an entry hash in `leaf`.
    pub fn toggle(&mut self, leaf: u16, hash: u64) {
        let leaf = usize::from(leaf) % LEAVES;
        self.leaves[leaf] ^= hash;
        self.groups[leaf / LEAVES_PER_GROUP] ^= hash;
        self.root ^= hash;
    }

    /// XOR of everything.
    pub fn root(&self) -> u64 {
        self.root
    }

    /// The hash of tree node `id` (see [`NODES`]).
    pub fn node(&self, id: u16) -> u64 {
        let id = usize::from(id);
        if id < GROUPS {
            self.groups[id]
        } else {
            self.leaves[(id - GROUPS) % LEAVES]
        }
    }

    /// Ids and hashes of the group level.
    pub fn groups(&self) -> (Vec<u16>, Vec<u64>) {
        ((0..GROUPS as u16).collect(), self.groups.to_vec())
    }

    /// Ids and hashes of the leaves under `group`.
    pub fn leaves_of(&self, group: u16) -> impl Iterator<Item = (u16, u64)> + '_ {
        let first = usize::from(group) * LEAVES_PER_GROUP;
        (first..first + LEAVES_PER_GROUP).map(|l| ((GROUPS + l) as u16, self.leaves[l]))
    }
}

/// What a replica does with a peer's hashes of some tree nodes: the leaf hashes to send back
/// (for groups that differ) and the leaves whose entries must be swapped (for leaves that
/// differ).
pub fn compare(tree: &RangeTree, ids: &[u16], hashes: &[u64]) -> (Vec<u16>, Vec<u64>, Vec<u16>) {
    let mut next_ids = Vec::new();
    let mut next_hashes = Vec::new();
    let mut leaves = Vec::new();
    for (&id, &h) in ids.iter().zip(hashes) {
        if tree.node(id) == h {
            continue;
        }
        if usize::from(id) < GROUPS {
            for (leaf_id, leaf_hash) in tree.leaves_of(id) {
                next_ids.push(leaf_id);
                next_hashes.push(leaf_hash);
            }
        } else {
            leaves.push(id - GROUPS as u16);
        }
    }
    (next_ids, next_hashes, leaves)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggling_twice_restores_the_tree() {
        let mut t = RangeTree::default();
        t.toggle(5, 0xabc1);
        assert_ne!(t.root(), 0);
        t.toggle(5, 0xabc1);
        assert_eq!(t.root(), 0);
        assert!((0..NODES as u16).all(|id| t.node(id) == 0));
    }

    #[test]
    fn compare_descends_only_into_differing_groups() {
        let mut a = RangeTree::default();
        let mut b = RangeTree::default();
        for l in 0..LEAVES as u16 {
            a.toggle(l, u64::from(l) | 1);
            b.toggle(l, u64::from(l) | 1);
        }
        b.toggle(70, 0x1234_5679);
        let (ids, hashes) = a.groups();
        let (leaf_ids, leaf_hashes, leaves) = compare(&b, &ids, &hashes);
        assert!(leaves.is_empty());
        assert_eq!(leaf_ids.len(), LEAVES_PER_GROUP, "one group differs");
        let (more, _, leaves) = compare(&a, &leaf_ids, &leaf_hashes);
        assert!(more.is_empty());
        assert_eq!(leaves, vec![70]);
    }
}
