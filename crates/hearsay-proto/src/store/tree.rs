//! Range trees: the digests that make a store's anti-entropy cost follow its differences.
//!
//! Every entry of a store falls into one leaf by a hash of its key (per-node state: of its
//! owner's name, so an owner's keys travel together). A leaf's hash is the XOR of its entries'
//! hashes, a group's the XOR of its leaves, the root the XOR of the groups; all are updated in
//! O(1) per change. Each store has its own [`Shape`].
//!
//! Two replicas compare roots (carried in every membership sync: 16 bytes). If the roots
//! differ, one sends its group hashes, the other answers with its leaf hashes under the
//! groups that differ, and the entries of the leaves that still differ are swapped. Identical
//! replicas pay the roots only, whatever the store's size; a repair pays about
//! `groups * 10 + differing_groups * per_group * 10` bytes of hashes plus the entries of the
//! differing leaves.

use xxhash_rust::xxh3::Xxh3;

/// The size of a store's tree; part of the protocol (both sides must agree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Top-level nodes.
    pub groups: u32,
    /// Leaves under each group.
    pub per_group: u32,
}

impl Shape {
    /// Leaves in all.
    pub const fn leaves(self) -> u32 {
        self.groups * self.per_group
    }

    /// Tree node ids: groups are `0..groups`, leaf `l` is `groups + l`.
    pub const fn nodes(self) -> u32 {
        self.groups + self.leaves()
    }
}

/// Per-node state: one entry per member, so 4,096 leaves keep a leaf to a member or two up to
/// thousands of members.
pub const STATE_SHAPE: Shape = Shape {
    groups: 64,
    per_group: 64,
};
/// The cluster-wide map: 65,536 leaves, so that a repair of a few hundred thousand keys swaps
/// a few entries per differing leaf rather than whole leaves of many.
pub const KV_SHAPE: Shape = Shape {
    groups: 256,
    per_group: 256,
};
/// Most leaves of any store (bounds what the decoder accepts).
pub const MAX_LEAVES: usize = KV_SHAPE.leaves() as usize;
/// Most tree node ids of any store.
pub const MAX_NODES: usize = KV_SHAPE.nodes() as usize;
/// The id that names a tree's root, in any shape: a root that differs is answered with the
/// group level.
pub const ROOT_ID: u32 = MAX_NODES as u32;

/// The leaf a key (or an owner's name) falls into.
pub fn leaf_of(key: &str, shape: Shape) -> u32 {
    // A different seed from the membership digest's buckets, so the two do not correlate.
    (xxhash_rust::xxh3::xxh3_64_with_seed(key.as_bytes(), 0x5eed) % u64::from(shape.leaves()))
        as u32
}

/// Hash of arbitrary parts, never zero (so every entry changes its leaf).
pub fn entry_hash(parts: &[&[u8]]) -> u64 {
    let mut h = Xxh3::new();
    for p in parts {
        h.update(&(p.len() as u32).to_le_bytes());
        h.update(p);
    }
    h.digest() | 1
}

/// The incrementally maintained range tree of one store. Its arrays are allocated on the
/// first entry, so an empty store (most simulated nodes) costs nothing.
#[derive(Clone)]
pub struct RangeTree {
    shape: Shape,
    leaves: Vec<u64>,
    groups: Vec<u64>,
    root: u64,
}

impl std::fmt::Debug for RangeTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RangeTree({:016x})", self.root)
    }
}

impl RangeTree {
    /// An empty tree of this shape.
    pub fn new(shape: Shape) -> RangeTree {
        RangeTree {
            shape,
            leaves: Vec::new(),
            groups: Vec::new(),
            root: 0,
        }
    }

    /// The tree's shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Adds or removes (XOR is its own inverse) an entry hash in `leaf`.
    pub fn toggle(&mut self, leaf: u32, hash: u64) {
        if self.leaves.is_empty() {
            self.leaves = vec![0; self.shape.leaves() as usize];
            self.groups = vec![0; self.shape.groups as usize];
        }
        let leaf = (leaf % self.shape.leaves()) as usize;
        self.leaves[leaf] ^= hash;
        self.groups[leaf / self.shape.per_group as usize] ^= hash;
        self.root ^= hash;
    }

    /// XOR of everything.
    pub fn root(&self) -> u64 {
        self.root
    }

    /// The hash of tree node `id`, or `None` for an id outside this shape.
    pub fn node(&self, id: u32) -> Option<u64> {
        let groups = self.shape.groups;
        if id == ROOT_ID {
            return Some(self.root);
        }
        if id >= self.shape.nodes() {
            return None;
        }
        let table = if id < groups {
            &self.groups
        } else {
            &self.leaves
        };
        let i = if id < groups { id } else { id - groups };
        Some(table.get(i as usize).copied().unwrap_or(0))
    }

    /// Ids and hashes of the group level.
    pub fn groups(&self) -> (Vec<u32>, Vec<u64>) {
        let ids: Vec<u32> = (0..self.shape.groups).collect();
        let hashes = ids.iter().filter_map(|&id| self.node(id)).collect();
        (ids, hashes)
    }

    /// Ids and hashes of the leaves under `group`.
    pub fn leaves_of(&self, group: u32) -> impl Iterator<Item = (u32, u64)> + '_ {
        let first = group * self.shape.per_group;
        (first..first + self.shape.per_group).map(move |l| {
            let id = self.shape.groups + l;
            (id, self.node(id).unwrap_or(0))
        })
    }
}

/// What a replica does with a peer's hashes of some tree nodes: the leaf hashes to send back
/// (for groups that differ) and the leaves whose entries must be swapped (for leaves that
/// differ). Ids outside the tree's shape are ignored.
pub fn compare(tree: &RangeTree, ids: &[u32], hashes: &[u64]) -> (Vec<u32>, Vec<u64>, Vec<u32>) {
    let mut next_ids = Vec::new();
    let mut next_hashes = Vec::new();
    let mut leaves = Vec::new();
    let groups = tree.shape().groups;
    for (&id, &h) in ids.iter().zip(hashes) {
        match tree.node(id) {
            None => continue,
            Some(own) if own == h => continue,
            Some(_) => {}
        }
        if id == ROOT_ID {
            let (ids, hashes) = tree.groups();
            next_ids.extend(ids);
            next_hashes.extend(hashes);
        } else if id < groups {
            for (leaf_id, leaf_hash) in tree.leaves_of(id) {
                next_ids.push(leaf_id);
                next_hashes.push(leaf_hash);
            }
        } else {
            leaves.push(id - groups);
        }
    }
    (next_ids, next_hashes, leaves)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggling_twice_restores_the_tree() {
        let mut t = RangeTree::new(STATE_SHAPE);
        t.toggle(5, 0xabc1);
        assert_ne!(t.root(), 0);
        t.toggle(5, 0xabc1);
        assert_eq!(t.root(), 0);
        assert!((0..STATE_SHAPE.nodes()).all(|id| t.node(id) == Some(0)));
        assert_eq!(t.node(STATE_SHAPE.nodes()), None);
    }

    #[test]
    fn compare_descends_only_into_differing_groups() {
        let mut a = RangeTree::new(KV_SHAPE);
        let mut b = RangeTree::new(KV_SHAPE);
        for l in 0..KV_SHAPE.leaves() {
            a.toggle(l, u64::from(l) | 1);
            b.toggle(l, u64::from(l) | 1);
        }
        b.toggle(70, 0x1234_5679);
        let (ids, hashes) = a.groups();
        let (leaf_ids, leaf_hashes, leaves) = compare(&b, &ids, &hashes);
        assert!(leaves.is_empty());
        assert_eq!(
            leaf_ids.len(),
            KV_SHAPE.per_group as usize,
            "one group differs"
        );
        let (more, _, leaves) = compare(&a, &leaf_ids, &leaf_hashes);
        assert!(more.is_empty());
        assert_eq!(leaves, vec![70]);
    }
}
