//! Acknowledging a map write once several members hold it (`wait_for = N`).
//!
//! The writer sends the entry over streams to `N - 1` random live members ([`KvCopy`]); each
//! applies it like any news and answers [`KvHeld`] once it holds that entry or a newer one of
//! the key. When `N - 1` distinct members have answered, the engine reports
//! [`StoreEvent::KvCopies`] complete; if they have not within `stream_timeout`, it reports how
//! many did. The entry spreads to everyone else as usual.

use std::net::SocketAddr;
use std::time::Instant;

use super::Engine;
use crate::error::CommandError;
use crate::store::{KvEntry, StoreEvent};
use crate::wire::{Key, KvCopy, KvHeld, Message, State, Value};

impl Engine {
    /// Writes `key` (`Some` value) or deletes it (`None`) in the cluster-wide map, and when
    /// `copies` is over 1 asks `copies - 1` other live members to hold the entry (as
    /// [`Engine::kv_copy`]; the token it returns comes back with [`StoreEvent::KvCopies`]).
    /// Everything is checked first: when fewer than `copies` members are alive, nothing is
    /// written ([`CommandError::NotEnoughMembers`]).
    pub fn kv_write_copied(
        &mut self,
        now: Instant,
        key: &str,
        value: Option<Value>,
        copies: u32,
    ) -> Result<(KvEntry, Option<u64>), CommandError> {
        let alive = self.members.alive() as u32;
        if copies > 1 && copies > alive {
            return Err(CommandError::NotEnoughMembers {
                wanted: copies,
                alive,
            });
        }
        let entry = match value {
            Some(v) => self.kv_put(now, key, v)?,
            None => self.kv_delete(now, key)?,
        };
        let token = if copies > 1 {
            Some(self.kv_copy(now, key, copies)?)
        } else {
            None
        };
        Ok((entry, token))
    }

    /// Asks `copies - 1` other live members to hold `key`'s current entry and returns a token;
    /// [`StoreEvent::KvCopies`] with that token reports the outcome. `copies` of 0 or 1 is
    /// satisfied at once (this node holds the entry).
    pub fn kv_copy(&mut self, now: Instant, key: &str, copies: u32) -> Result<u64, CommandError> {
        let entry = self
            .store
            .kv
            .get(key)
            .cloned()
            .ok_or(CommandError::NotHeld)?;
        let token = self.store.copies.token();
        let others = copies.saturating_sub(1) as usize;
        if others == 0 {
            self.emit_store(StoreEvent::KvCopies {
                token,
                holders: 1,
                complete: true,
            });
            return Ok(token);
        }
        let targets = self
            .members
            .random(&mut self.rng, others, |m| m.state == State::Alive);
        if targets.len() < others {
            return Err(CommandError::NotEnoughMembers {
                wanted: copies,
                alive: targets.len() as u32 + 1,
            });
        }
        let msg = Message::KvCopy(KvCopy {
            token,
            update: entry.to_update(&Key::from(key)),
        });
        for slot in targets {
            let addr = self.members.get(slot).addr;
            self.send_stream(addr, &msg);
        }
        self.store
            .copies
            .wait(token, others, now + self.config.stream_timeout);
        Ok(token)
    }

    /// A member asks this node to hold an entry: take it, and say so if held.
    pub(super) fn on_kv_copy(&mut self, now: Instant, from: SocketAddr, c: KvCopy) {
        let (key, stamp, writer) = (
            c.update.key.clone(),
            c.update.stamp,
            c.update.writer.clone(),
        );
        self.apply_kv_update(now, c.update, Some(from));
        let held = self
            .store
            .kv
            .get(&key)
            .is_some_and(|e| (e.stamp, e.writer.as_str()) >= (stamp, writer.as_str()));
        if held {
            self.send_stream(from, &Message::KvHeld(KvHeld { token: c.token }));
        }
    }

    /// A member holds a copy this node asked for.
    pub(super) fn on_kv_held(&mut self, from: SocketAddr, h: KvHeld) {
        if let Some(holders) = self.store.copies.held(h.token, from) {
            self.emit_store(StoreEvent::KvCopies {
                token: h.token,
                holders,
                complete: true,
            });
        }
    }

    /// Timer [`crate::timer::Timer::CopyWait`]: reports the writes whose copies did not all
    /// arrive in time.
    pub(super) fn copy_wait_timer(&mut self, now: Instant) {
        for (token, holders) in self.store.copies.take_expired(now) {
            self.emit_store(StoreEvent::KvCopies {
                token,
                holders,
                complete: false,
            });
        }
    }
}
