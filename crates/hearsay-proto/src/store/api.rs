//! The stores' commands and queries on [`Engine`], and their timers (time to live, tombstone
//! collection).

use std::time::{Duration, Instant};

use super::{KvEntry, StoreEvent};
use crate::Name;
use crate::engine::{CommandError, Engine};
use crate::wire::{Key, MAX_KEY_BYTES, StateUpdate, StoreKind, Value};

/// How often the map is scanned for collectable tombstones, at most.
const KV_GC_EVERY: Duration = Duration::from_secs(60);

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
        if let Some(old) = self.store.ttl_of.remove(&key) {
            self.store.expiries.remove(&(old, key.clone()));
        }
        if let Some(ttl) = ttl {
            let at = now + ttl;
            self.store.ttl_of.insert(key.clone(), at);
            self.store.expiries.insert((at, key));
        }
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
        if let Some(old) = self.store.ttl_of.remove(&key) {
            self.store.expiries.remove(&(old, key.clone()));
        }
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
                self.stats.drop_input("bad_restored_entry");
                continue;
            }
            self.store.hlc.observe(now, entry.stamp, Duration::MAX);
            self.store.kv.merge(&key, entry);
        }
    }

    /// The next change in the stores, if any. Drain it like [`Engine::poll_event`].
    pub fn poll_store_event(&mut self) -> Option<StoreEvent> {
        self.store.events.pop_front()
    }

    pub(crate) fn emit_store(&mut self, event: StoreEvent) {
        // This node's own writes start push-pull comparisons (see `store_push_timer`); news
        // learned from others spreads by gossip and by its writer's comparisons.
        match &event {
            StoreEvent::State { owner, .. } if *owner == self.members.local().name => {
                self.store.fresh[StoreKind::State as usize] = true;
            }
            StoreEvent::Kv { local: true, .. } => self.store.fresh[StoreKind::Kv as usize] = true,
            _ => {}
        }
        if self.store.events.len() >= self.config.max_pending_events {
            self.store.events.pop_front();
            self.stats.events_dropped += 1;
        }
        self.store.events.push_back(event);
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
            self.store
                .own_tombstones
                .push_back((now, key.clone(), version));
        }
        self.apply_state_update(now, update, None);
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
    pub(crate) fn forget_state_of(&mut self, name: &Name) {
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

    /// Runs the stores' timers due at `now`.
    pub(crate) fn store_timers(&mut self, now: Instant) {
        self.store_push_timer(now);
        self.expire_copies(now);
        while let Some((at, key)) = self.store.expiries.first().cloned() {
            if at > now {
                break;
            }
            self.store.expiries.pop_first();
            self.store.ttl_of.remove(&key);
            if !self.left {
                self.own_state_write(now, &key, None);
            }
        }
        let grace = self.config.tombstone_grace;
        let mut collected = Vec::new();
        while let Some((at, _, _)) = self.store.own_tombstones.front() {
            if *at + grace > now {
                break;
            }
            if let Some((_, key, version)) = self.store.own_tombstones.pop_front() {
                collected.push((key, version));
            }
        }
        if !collected.is_empty() {
            let me = self.members.local().name.clone();
            self.store.states.collect(&me, &collected);
        }
        if now >= self.store.next_kv_gc {
            self.store.next_kv_gc = now + KV_GC_EVERY.min(grace);
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
    }

    /// The earliest deadline of the stores' timers.
    pub(crate) fn store_next_deadline(&self) -> Option<Instant> {
        let expiry = self.store.expiries.first().map(|(at, _)| *at);
        let tombstone = self
            .store
            .own_tombstones
            .front()
            .map(|(at, _, _)| *at + self.config.tombstone_grace);
        let gc = (self.store.kv.len() > self.store.kv.live()).then_some(self.store.next_kv_gc);
        let push = self.store_push_deadline();
        let copies = self.copies_deadline();
        [expiry, tombstone, gc, push, copies]
            .into_iter()
            .flatten()
            .min()
    }
}
