//! Per-node state: every member owns a small map of keys that only it writes, replicated to
//! all members (roles, load, endpoints).
//!
//! An owner's changes carry its own counter (`version`, raised by every set and delete), so a
//! replica keeps, per key, the highest version it has seen. Deletes are tombstones; the owner
//! collects its tombstones after a grace period and raises its `floor` to the highest version
//! it collected. A replica that learns a higher floor replaces its whole copy of that owner's
//! state instead of merging it, so a replica that was away longer than the grace period cannot
//! bring deleted keys back. A new start of a member (a higher generation) replaces its old
//! state the same way; the state of dead and left members is dropped with them.
//!
//! The range tree has one entry per owner (its hash covers generation, floor and every key and
//! version), in the leaf of the owner's name: anti-entropy swaps whole owners' states, and only
//! those that differ.

use std::collections::{BTreeMap, HashMap};

use super::tree::{RangeTree, STATE_SHAPE, entry_hash, leaf_of};
use crate::name::Name;
use crate::wire::{Key, OwnerState, StateRecord, StateUpdate, Value};

/// One key of an owner's state.
#[derive(Debug, Clone)]
pub(crate) struct StateEntry {
    pub version: u64,
    pub value: Option<Value>,
}

/// What one owner's state holds.
#[derive(Debug, Clone)]
pub(crate) struct Owner {
    pub generation: u64,
    pub floor: u64,
    pub entries: BTreeMap<Key, StateEntry>,
    leaf: u32,
    hash: u64,
}

/// A change to report: `key` of some owner is now `value` (`None`: gone).
pub(crate) type Change = (Key, Option<Value>);

fn header_hash(name: &str, generation: u64, floor: u64) -> u64 {
    entry_hash(&[
        name.as_bytes(),
        &generation.to_le_bytes(),
        &floor.to_le_bytes(),
    ])
}

fn key_hash(key: &str, e: &StateEntry) -> u64 {
    let tomb: &[u8] = if e.value.is_some() { b"v" } else { b"t" };
    entry_hash(&[key.as_bytes(), &e.version.to_le_bytes(), tomb])
}

impl Owner {
    fn new(name: &str, generation: u64, floor: u64) -> Owner {
        Owner {
            generation,
            floor,
            entries: BTreeMap::new(),
            leaf: leaf_of(name, STATE_SHAPE),
            hash: header_hash(name, generation, floor),
        }
    }

    /// Highest version held.
    pub fn max_version(&self) -> u64 {
        self.entries
            .values()
            .map(|e| e.version)
            .max()
            .unwrap_or(0)
            .max(self.floor)
    }

    /// Sets `key` if `version` is newer than what is held; returns whether it was. A version
    /// at or below the floor is old news (the owner's live keys of that age came with the
    /// floor, in a replacement), unless `whole` says this is that replacement.
    fn put(&mut self, key: &Key, version: u64, value: Option<Value>, whole: bool) -> bool {
        if version <= self.floor && !whole {
            return false;
        }
        if let Some(old) = self.entries.get(key) {
            if old.version >= version {
                return false;
            }
            self.hash ^= key_hash(key, old);
        }
        let e = StateEntry { version, value };
        self.hash ^= key_hash(key, &e);
        self.entries.insert(key.clone(), e);
        true
    }

    /// As a wire record.
    pub fn to_wire(&self, name: &Name) -> OwnerState {
        OwnerState {
            owner: name.clone(),
            generation: self.generation,
            floor: self.floor,
            entries: self
                .entries
                .iter()
                .map(|(k, e)| StateRecord {
                    key: k.clone(),
                    version: e.version,
                    value: e.value.clone(),
                })
                .collect(),
        }
    }
}

/// Every owner's state this node holds, its own included.
pub(crate) struct NodeStates {
    owners: HashMap<Name, Owner>,
    tree: RangeTree,
}

impl Default for NodeStates {
    fn default() -> NodeStates {
        NodeStates {
            owners: HashMap::new(),
            tree: RangeTree::new(STATE_SHAPE),
        }
    }
}

impl NodeStates {
    pub fn tree(&self) -> &RangeTree {
        &self.tree
    }

    pub fn owner(&self, name: &str) -> Option<&Owner> {
        self.owners.get(name)
    }

    pub fn owners(&self) -> impl Iterator<Item = (&Name, &Owner)> {
        self.owners.iter()
    }

    /// Runs `f` on the owner's record (created empty at `generation` if missing or older),
    /// keeping the tree up to date. Returns `None` (changing nothing) for an older generation.
    fn with_owner<T>(
        &mut self,
        name: &Name,
        generation: u64,
        changes: &mut Vec<Change>,
        f: impl FnOnce(&mut Owner, &mut Vec<Change>) -> T,
    ) -> Option<T> {
        if let Some(o) = self.owners.get(name.as_str()) {
            if o.generation > generation {
                return None;
            }
            if o.generation < generation {
                self.remove_owner(name.as_str(), changes);
            }
        }
        if !self.owners.contains_key(name.as_str()) {
            let fresh = Owner::new(name.as_str(), generation, 0);
            self.tree.toggle(fresh.leaf, fresh.hash);
            self.owners.insert(name.clone(), fresh);
        }
        let owner = self.owners.get_mut(name.as_str())?;
        // Every owner's hash is in the tree: take it out, change the owner, put it back.
        self.tree.toggle(owner.leaf, owner.hash);
        let out = f(owner, changes);
        self.tree.toggle(owner.leaf, owner.hash);
        Some(out)
    }

    /// Applies one update; returns whether it changed anything (then `changes` says what).
    pub fn apply(&mut self, u: &StateUpdate, changes: &mut Vec<Change>) -> bool {
        self.with_owner(&u.owner, u.generation, changes, |o, changes| {
            let changed = o.put(&u.key, u.version, u.value.clone(), false);
            if changed {
                changes.push((u.key.clone(), u.value.clone()));
            }
            changed
        })
        .unwrap_or(false)
    }

    /// Merges a peer's copy of an owner's state: replaces ours when it has a newer generation
    /// or a higher floor, merges key by key otherwise. Returns whether anything changed.
    pub fn merge(&mut self, s: &OwnerState, changes: &mut Vec<Change>) -> bool {
        self.with_owner(&s.owner, s.generation, changes, |o, changes| {
            let mut changed = false;
            if s.floor > o.floor {
                // Replace: keys the peer no longer has were deleted and collected.
                let mut fresh = Owner::new(s.owner.as_str(), s.generation, s.floor);
                for r in &s.entries {
                    fresh.put(&r.key, r.version, r.value.clone(), true);
                }
                for (k, e) in &o.entries {
                    let now = fresh.entries.get(k).and_then(|n| n.value.clone());
                    if e.value.is_some() && now.is_none() {
                        changes.push((k.clone(), None));
                    }
                }
                for (k, e) in &fresh.entries {
                    let before = o.entries.get(k).map(|old| old.version);
                    if before != Some(e.version) && e.value.is_some() {
                        changes.push((k.clone(), e.value.clone()));
                    }
                }
                *o = fresh;
                return true;
            }
            for r in &s.entries {
                if o.put(&r.key, r.version, r.value.clone(), false) {
                    changes.push((r.key.clone(), r.value.clone()));
                    changed = true;
                }
            }
            changed
        })
        .unwrap_or(false)
    }

    /// Collects the owner's tombstones `keys` (at the given versions) and raises its floor.
    pub fn collect(&mut self, name: &Name, collected: &[(Key, u64)]) {
        let Some(generation) = self.owners.get(name.as_str()).map(|o| o.generation) else {
            return;
        };
        let mut changes = Vec::new();
        self.with_owner(name, generation, &mut changes, |o, _| {
            let mut floor = o.floor;
            for (k, v) in collected {
                if let Some(e) = o.entries.get(k)
                    && e.version == *v
                    && e.value.is_none()
                {
                    o.hash ^= key_hash(k, e);
                    o.entries.remove(k);
                    floor = floor.max(*v);
                }
            }
            if floor != o.floor {
                o.hash ^= header_hash(name.as_str(), o.generation, o.floor);
                o.floor = floor;
                o.hash ^= header_hash(name.as_str(), o.generation, o.floor);
            }
        });
    }

    /// Drops an owner's state; its live keys are reported gone.
    pub fn remove_owner(&mut self, name: &str, changes: &mut Vec<Change>) {
        if let Some(o) = self.owners.remove(name) {
            self.tree.toggle(o.leaf, o.hash);
            for (k, e) in o.entries {
                if e.value.is_some() {
                    changes.push((k, None));
                }
            }
        }
    }

    /// The states of owners in the given leaves.
    pub fn owners_in(&self, leaves: &[u32]) -> Vec<OwnerState> {
        let wanted: std::collections::HashSet<u32> = leaves.iter().copied().collect();
        let mut out: Vec<OwnerState> = self
            .owners
            .iter()
            .filter(|(_, o)| wanted.contains(&o.leaf))
            .map(|(n, o)| o.to_wire(n))
            .collect();
        out.sort_by(|a, b| a.owner.cmp(&b.owner));
        out
    }
}
