//! The cluster-wide key/value map: last-writer-wins per key by `(stamp, writer)`.
//!
//! Deletes are tombstones (an entry without a value), kept until `tombstone_grace` after their
//! stamp so that an older write still travelling cannot bring the key back, then collected.
//! Every replica that has seen the same writes holds the same entries, whatever the order they
//! arrived in: merging keeps the larger `(stamp, writer)`.
//!
//! As in any last-writer-wins store with tombstone collection, a replica cut off for longer
//! than `tombstone_grace` that still holds a value deleted meanwhile brings that value back
//! when it returns (the tombstone that would have beaten it is gone). Keep the grace period
//! longer than any outage a node is expected to come back from.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::tree::{KV_SHAPE, RangeTree, entry_hash, leaf_of};
use crate::name::Name;
use crate::wire::{Key, KvUpdate, Value};
use foldhash::fast::FixedState;
use std::collections::HashMap;

/// One entry of the cluster-wide map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvEntry {
    /// Hybrid logical clock stamp of the write (see [`crate::store::stamp_millis`]).
    pub stamp: u64,
    /// The node that wrote it.
    pub writer: Name,
    /// The value, or `None` for a delete not yet collected.
    pub value: Option<Value>,
}

impl KvEntry {
    /// Whether this entry beats `other` under last-writer-wins.
    pub fn beats(&self, other: &KvEntry) -> bool {
        (self.stamp, self.writer.as_str()) > (other.stamp, other.writer.as_str())
    }

    /// As a wire update for `key`.
    pub fn to_update(&self, key: &Key) -> KvUpdate {
        KvUpdate {
            key: key.clone(),
            stamp: self.stamp,
            writer: self.writer.clone(),
            value: self.value.clone(),
        }
    }
}

struct Slot {
    entry: KvEntry,
    leaf: u32,
    hash: u64,
}

fn hash_of(key: &str, e: &KvEntry) -> u64 {
    let tomb: &[u8] = if e.value.is_some() { b"v" } else { b"t" };
    entry_hash(&[
        key.as_bytes(),
        &e.stamp.to_le_bytes(),
        e.writer.as_str().as_bytes(),
        tomb,
    ])
}

/// The map, its range tree and its counts.
pub(crate) struct ClusterKv {
    map: BTreeMap<Key, Slot>,
    /// The keys of each leaf, so that a repair reads only the leaves it swaps.
    by_leaf: HashMap<u32, Vec<Key>, FixedState>,
    tree: RangeTree,
    live: usize,
    value_bytes: usize,
}

impl Default for ClusterKv {
    fn default() -> ClusterKv {
        ClusterKv {
            map: BTreeMap::new(),
            by_leaf: HashMap::with_hasher(FixedState::with_seed(0x6b76)),
            tree: RangeTree::new(KV_SHAPE),
            live: 0,
            value_bytes: 0,
        }
    }
}

impl ClusterKv {
    pub fn tree(&self) -> &RangeTree {
        &self.tree
    }

    /// Entries held, tombstones included.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Entries with a value.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Bytes of keys and values held.
    pub fn bytes(&self) -> usize {
        self.value_bytes
    }

    pub fn get(&self, key: &str) -> Option<&KvEntry> {
        self.map.get(key).map(|s| &s.entry)
    }

    /// Keeps `entry` if it beats what is held for `key`; returns whether it did.
    pub fn merge(&mut self, key: &Key, entry: KvEntry) -> bool {
        if let Some(old) = self.map.get(&**key)
            && !entry.beats(&old.entry)
        {
            return false;
        }
        let leaf = match self.remove(key) {
            Some((_, leaf)) => leaf,
            None => leaf_of(key, KV_SHAPE),
        };
        self.by_leaf.entry(leaf).or_default().push(key.clone());
        let hash = hash_of(key, &entry);
        self.tree.toggle(leaf, hash);
        if let Some(v) = &entry.value {
            self.live += 1;
            self.value_bytes += v.len();
        }
        self.value_bytes += key.len();
        self.map.insert(key.clone(), Slot { entry, leaf, hash });
        true
    }

    /// Forgets `key` entirely (tombstone collection).
    pub fn remove(&mut self, key: &str) -> Option<(KvEntry, u32)> {
        let slot = self.map.remove(key)?;
        if let Some(keys) = self.by_leaf.get_mut(&slot.leaf) {
            if let Some(i) = keys.iter().position(|k| &**k == key) {
                keys.swap_remove(i);
            }
            if keys.is_empty() {
                self.by_leaf.remove(&slot.leaf);
            }
        }
        self.tree.toggle(slot.leaf, slot.hash);
        if let Some(v) = &slot.entry.value {
            self.live -= 1;
            self.value_bytes -= v.len();
        }
        self.value_bytes -= key.len();
        Some((slot.entry, slot.leaf))
    }

    /// Every entry of one leaf, as wire updates.
    pub fn entries_in(&self, leaf: u32) -> impl Iterator<Item = KvUpdate> + '_ {
        self.by_leaf
            .get(&leaf)
            .into_iter()
            .flatten()
            .filter_map(|k| Some(self.map.get(k)?.entry.to_update(k)))
    }

    /// Live entries whose key starts with `prefix`, in key order.
    pub fn prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a Key, &'a KvEntry)> {
        self.map
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .filter(|(_, s)| s.entry.value.is_some())
            .map(|(k, s)| (k, &s.entry))
    }

    /// Every entry, tombstones included, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &KvEntry)> {
        self.map.iter().map(|(k, s)| (k, &s.entry))
    }

    /// Keys of tombstones stamped before `cutoff` (a stamp).
    pub fn tombstones_before(&self, cutoff: u64) -> Vec<Key> {
        self.map
            .iter()
            .filter(|(_, s)| s.entry.value.is_none() && s.entry.stamp < cutoff)
            .map(|(k, _)| k.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(stamp: u64, writer: &str, value: Option<&str>) -> KvEntry {
        KvEntry {
            stamp,
            writer: Name::new(writer).unwrap(),
            value: value.map(|v| Value::from(v.as_bytes())),
        }
    }

    #[test]
    fn last_writer_wins_whatever_the_order() {
        let k: Key = Key::from("k");
        let writes = [
            entry(5, "a", Some("x")),
            entry(7, "a", Some("y")),
            entry(7, "b", Some("z")),
            entry(6, "c", None),
        ];
        let mut forward = ClusterKv::default();
        let mut backward = ClusterKv::default();
        for w in &writes {
            forward.merge(&k, w.clone());
        }
        for w in writes.iter().rev() {
            backward.merge(&k, w.clone());
        }
        assert_eq!(forward.get("k"), Some(&writes[2]));
        assert_eq!(backward.get("k"), Some(&writes[2]));
        assert_eq!(forward.tree().root(), backward.tree().root());
    }

    #[test]
    fn removing_everything_empties_the_tree_and_counts() {
        let mut kv = ClusterKv::default();
        for i in 0..100 {
            kv.merge(&Key::from(format!("k{i}")), entry(i, "a", Some("v")));
        }
        assert_eq!(kv.live(), 100);
        assert_eq!(kv.prefix("k1").count(), 11);
        for i in 0..100 {
            kv.remove(&format!("k{i}"));
        }
        assert_eq!(
            (kv.len(), kv.live(), kv.bytes(), kv.tree().root()),
            (0, 0, 0, 0)
        );
    }
}
