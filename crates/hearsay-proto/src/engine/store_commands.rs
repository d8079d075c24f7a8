//! The stores' commands and queries, and their timers (time to live, tombstone collection);
//! the stores themselves are described in [`crate::store`].

use super::Engine;
use crate::error::CommandError;
use crate::name::Name;
use crate::store::{KvEntry, StoreEvent};
use crate::wire::{Key, MAX_KEY_BYTES, StateUpdate, StoreKind, Value};
use std::time::{Duration, Instant};

impl Engine {
    /// Tells the engine the wall-clock time at `now` (milliseconds since the Unix epoch), the
    /// physical part of the cluster-wide map's stamps. Call it once at start (the engine reads
    /// no clock) and whenever the wall clock may have drifted from the monotonic one; without
    /// it, stamps count from zero at engine start.
    pub fn set_wall_clock(&mut self, now: Instant, unix_ms: u64) {
        self.store.hlc.set_wall_clock(now, unix_ms);
    }

    /// Sets one of this node's own keys, replicated to every member; with `ttl`, the key is
    /// deleted that long after this write. Returns the key's new version.
    pub fn state_set(
        &mut self,
        now: Instant,
        key: &str,
        value: Value,
        ttl: Option<Duration>,
    ) -> Result<u64, CommandError> {
        self.check_write(key, Some(&value))?;
        let key = Key::from(key);
        let version = self.own_state_write(now, &key, Some(value));
        self.store.ttls.set(&key, ttl.map(|ttl| now + ttl));
        Ok(version)
    }

    /// Deletes one of this node's own keys. Returns false (and changes nothing) when the key
    /// was not set.
    pub fn state_delete(&mut self, now: Instant, key: &str) -> Result<bool, CommandError> {
        self.check_write(key, None)?;
        if self
            .state_get(self.members.local().name.as_str(), key)
            .is_none()
        {
            return Ok(false);
        }
        let key = Key::from(key);
        self.store.ttls.set(&key, None);
        self.own_state_write(now, &key, None);
        Ok(true)
    }

    /// The value of `owner`'s `key`, if set.
    pub fn state_get(&self, owner: &str, key: &str) -> Option<Value> {
        self.store
            .states
            .owner(owner)?
            .entries
            .get(key)?
            .value
            .clone()
    }

    /// Every key `owner` has set, in key order.
    pub fn state_of(&self, owner: &str) -> Vec<(Key, Value)> {
        let Some(o) = self.store.states.owner(owner) else {
            return Vec::new();
        };
        o.entries
            .iter()
            .filter_map(|(k, e)| Some((k.clone(), e.value.clone()?)))
            .collect()
    }

    /// Members whose state this node holds (itself included once it set a key).
    pub fn state_owners(&self) -> Vec<Name> {
        let mut out: Vec<Name> = self.store.states.owners().map(|(n, _)| n.clone()).collect();
        out.sort();
        out
    }

    /// Root of the per-node state tree: equal on two nodes holding the same states.
    pub fn state_root(&self) -> u64 {
        self.store.states.tree().root()
    }

    /// Writes `key` in the cluster-wide map (last writer wins). Returns the entry written; the
    /// driver persists it before acknowledging (see [`StoreEvent::Kv`]).
    pub fn kv_put(
        &mut self,
        now: Instant,
        key: &str,
        value: Value,
    ) -> Result<KvEntry, CommandError> {
        self.check_write(key, Some(&value))?;
        Ok(self.kv_write(now, Key::from(key), Some(value)))
    }

    /// Deletes `key` from the cluster-wide map: writes a tombstone (even if this node holds
    /// no value: another replica may).
    pub fn kv_delete(&mut self, now: Instant, key: &str) -> Result<KvEntry, CommandError> {
        self.check_write(key, None)?;
        Ok(self.kv_write(now, Key::from(key), None))
    }

    /// The entry held for `key`, tombstones included (a tombstone's `value` is `None`).
    pub fn kv_get(&self, key: &str) -> Option<&KvEntry> {
        self.store.kv.get(key)
    }

    /// Live entries whose key starts with `prefix`, in key order.
    pub fn kv_list<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a Key, &'a KvEntry)> {
        self.store.kv.prefix(prefix)
    }

    /// Every entry held, tombstones included, in key order.
    pub fn kv_entries(&self) -> impl Iterator<Item = (&Key, &KvEntry)> {
        self.store.kv.iter()
    }

    /// Live keys of the cluster-wide map.
    pub fn kv_len(&self) -> usize {
        self.store.kv.live()
    }

    /// Bytes of keys and values the cluster-wide map holds here.
    pub fn kv_bytes(&self) -> usize {
        self.store.kv.bytes()
    }

    /// Root of the cluster-wide map's tree: equal on two replicas holding the same entries.
    pub fn kv_root(&self) -> u64 {
        self.store.kv.tree().root()
    }

    /// Loads entries kept by the driver (from disk, at start) without events or gossip;
    /// anti-entropy brings this node and its peers level afterwards. Malformed entries (bad
    /// key, oversized value) are skipped and counted.
    pub fn kv_restore(&mut self, now: Instant, entries: impl IntoIterator<Item = (Key, KvEntry)>) {
        for (key, entry) in entries {
            if self.check_write(&key, entry.value.as_ref()).is_err() {
                self.stats.bad_restored_entries += 1;
                continue;
            }
            self.store.hlc.observe(now, entry.stamp, Duration::MAX);
            self.store.kv.merge(&key, entry);
        }
    }

    /// The next change in the stores, if any. Drain it like [`Engine::poll_event`].
    pub fn poll_store_event(&mut self) -> Option<StoreEvent> {
        self.store.events.pop()
    }

    pub(super) fn emit_store(&mut self, event: StoreEvent) {
        // This node's own writes start push-pull comparisons (see `store_push_timer`); news
        // learned from others spreads by gossip and by its writer's comparisons.
        match &event {
            StoreEvent::State { owner, .. } if *owner == self.members.local().name => {
                self.store.push.changed(StoreKind::State);
            }
            StoreEvent::Kv { local: true, .. } => self.store.push.changed(StoreKind::Kv),
            _ => {}
        }
        if self
            .store
            .events
            .push_bounded(event, self.config.max_pending_events)
        {
            self.stats.events_dropped += 1;
        }
    }

    fn check_write(&self, key: &str, value: Option<&Value>) -> Result<(), CommandError> {
        if self.left {
            return Err(CommandError::Left);
        }
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return Err(CommandError::BadKey {
                len: key.len(),
                max: MAX_KEY_BYTES,
            });
        }
        if let Some(v) = value
            && v.len() > self.config.max_value_bytes
        {
            return Err(CommandError::ValueTooLarge {
                len: v.len(),
                max: self.config.max_value_bytes,
            });
        }
        Ok(())
    }

    /// Applies a write to this node's own state and spreads it; returns its version.
    fn own_state_write(&mut self, now: Instant, key: &Key, value: Option<Value>) -> u64 {
        let me = self.members.local();
        let (name, generation) = (me.name.clone(), me.generation);
        let version = self
            .store
            .states
            .owner(name.as_str())
            .map_or(0, |o| o.max_version())
            + 1;
        let update = StateUpdate {
            owner: name,
            generation,
            version,
            key: key.clone(),
            value,
        };
        if update.value.is_none() {
            self.store.own_tombstones.push(now, key.clone(), version);
        }
        self.apply_state_update(update, None);
        version
    }

    fn kv_write(&mut self, now: Instant, key: Key, value: Option<Value>) -> KvEntry {
        let entry = KvEntry {
            stamp: self.store.hlc.tick(now),
            writer: self.members.local().name.clone(),
            value,
        };
        self.apply_kv_update(now, entry.to_update(&key), None);
        entry
    }

    /// Forgets the state of a member that died, left or restarted.
    pub(super) fn forget_state_of(&mut self, name: &Name) {
        let mut changes = Vec::new();
        self.store.states.remove_owner(name.as_str(), &mut changes);
        for (key, value) in changes {
            self.emit_store(StoreEvent::State {
                owner: name.clone(),
                key,
                value,
            });
        }
    }

    /// Timer [`crate::timer::Timer::StateTtl`]: this node's keys whose time to live ran out
    /// are deleted.
    pub(super) fn state_ttl_timer(&mut self, now: Instant) {
        while let Some(key) = self.store.ttls.pop_expired(now) {
            if !self.left {
                self.own_state_write(now, &key, None);
            }
        }
    }

    /// Timer [`crate::timer::Timer::StateTombstone`]: this node's state tombstones older than
    /// `tombstone_grace` are collected (its floor rises; see [`crate::store`]).
    pub(super) fn state_tombstone_timer(&mut self, now: Instant) {
        let collected = self
            .store
            .own_tombstones
            .take_collectable(now, self.config.tombstone_grace);
        if !collected.is_empty() {
            let me = self.members.local().name.clone();
            self.store.states.collect(&me, &collected);
        }
    }

    /// Timer [`crate::timer::Timer::KvGc`]: the map's tombstones older than
    /// `tombstone_grace` are collected, and the driver told to remove them.
    pub(super) fn kv_gc_timer(&mut self, now: Instant) {
        let grace = self.config.tombstone_grace;
        if !self.store.kv_gc.due(now, grace) {
            return;
        }
        let wall = self.store.hlc.wall_millis(now);
        let cutoff = wall.saturating_sub(grace.as_millis() as u64) << 16;
        let keys = self.store.kv.tombstones_before(cutoff);
        if !keys.is_empty() {
            for k in &keys {
                self.store.kv.remove(k);
            }
            self.emit_store(StoreEvent::KvCollected { keys });
        }
    }

    /// Whether the map holds tombstones (the collection timer runs only then).
    pub(super) fn kv_has_tombstones(&self) -> bool {
        self.store.kv.len() > self.store.kv.live()
    }
}
