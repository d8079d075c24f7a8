//! Acknowledging a map write once several members hold it (`wait_for = N`).
//!
//! The writer sends the entry over streams to `N - 1` random live members ([`KvCopy`]); each
//! applies it like any news and answers [`KvHeld`] once it holds that entry or a newer one of
//! the key. When `N - 1` distinct members have answered, the engine reports
//! [`StoreEvent::KvCopies`] complete; if they have not within `stream_timeout`, it reports how
//! many did. The entry spreads to everyone else as usual.

use std::net::SocketAddr;
use std::time::Instant;

use super::StoreEvent;
use crate::engine::{CommandError, Engine};
use crate::wire::{KvCopy, KvHeld, Message, State};

/// A write waiting for copies.
pub(crate) struct CopyWait {
    needed: usize,
    holders: Vec<SocketAddr>,
    deadline: Instant,
}

impl Engine {
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
        let token = self.store.next_token;
        self.store.next_token += 1;
        let others = copies.saturating_sub(1) as usize;
        if others == 0 {
            self.emit_store(StoreEvent::KvCopies {
                token,
                holders: 1,
                complete: true,
            });
            return Ok(token);
        }
        let targets = self.random_members(others, |m| m.state == State::Alive);
        if targets.len() < others {
            return Err(CommandError::NotEnoughMembers {
                wanted: copies,
                alive: targets.len() as u32 + 1,
            });
        }
        let msg = Message::KvCopy(KvCopy {
            token,
            update: entry.to_update(&crate::wire::Key::from(key)),
        });
        for slot in targets {
            let addr = self.members.get(slot).addr;
            self.send_stream(addr, &msg);
        }
        self.store.copies.insert(
            token,
            CopyWait {
                needed: others,
                holders: Vec::new(),
                deadline: now + self.config.stream_timeout,
            },
        );
        Ok(token)
    }

    /// A member asks this node to hold an entry: take it, and say so if held.
    pub(crate) fn on_kv_copy(&mut self, now: Instant, from: SocketAddr, c: KvCopy) {
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
    pub(crate) fn on_kv_held(&mut self, from: SocketAddr, h: KvHeld) {
        let Some(wait) = self.store.copies.get_mut(&h.token) else {
            return;
        };
        if !wait.holders.contains(&from) {
            wait.holders.push(from);
        }
        if wait.holders.len() >= wait.needed {
            let holders = wait.holders.len() as u32 + 1;
            self.store.copies.remove(&h.token);
            self.emit_store(StoreEvent::KvCopies {
                token: h.token,
                holders,
                complete: true,
            });
        }
    }

    /// Reports the writes whose copies did not all arrive in time.
    pub(crate) fn expire_copies(&mut self, now: Instant) {
        let late: Vec<u64> = self
            .store
            .copies
            .iter()
            .filter(|(_, w)| w.deadline <= now)
            .map(|(t, _)| *t)
            .collect();
        for token in late {
            if let Some(w) = self.store.copies.remove(&token) {
                self.emit_store(StoreEvent::KvCopies {
                    token,
                    holders: w.holders.len() as u32 + 1,
                    complete: false,
                });
            }
        }
    }

    /// The earliest deadline of a write waiting for copies.
    pub(crate) fn copies_deadline(&self) -> Option<Instant> {
        self.store.copies.values().map(|w| w.deadline).min()
    }
}
