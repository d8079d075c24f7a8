//! Dissemination: the queue of membership news and how it is piggybacked.
//!
//! The queue holds at most one entry per member: the *current* record of that member is encoded
//! when a datagram is packed, so newer news about a member replaces older news by construction.
//! Entries go out fewest-transmissions-first (newest first among equals) and are dropped after
//! `retransmit_mult * ceil(log10(N + 1))` transmissions. Every datagram the engine sends (probes,
//! acks, gossip rounds) is filled with news up to `max_datagram_bytes`, never beyond.
//!
//! The queue is bounded: when it overflows, the entry that has already been sent most often is
//! dropped and counted; anti-entropy repairs whatever gossip did not carry.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Instant;

use foldhash::fast::FixedState;

use crate::engine::Engine;
use crate::wire::{self, Alive, Dead, Message, State, Suspect};
use crate::{Name, Transmit, TransmitKind};

/// Candidates skipped for not fitting before packing gives up on a datagram.
const MAX_SKIPS: usize = 16;

#[derive(Debug, Clone)]
struct Entry {
    accuser: Option<Name>,
    transmits: u32,
    seqno: u64,
}

/// News waiting to be piggybacked, one entry per member.
pub(crate) struct GossipQueue {
    entries: HashMap<Name, Entry, FixedState>,
    /// (transmits, newest first) -> member.
    order: BTreeMap<(u32, Reverse<u64>), Name>,
    next_seqno: u64,
    /// Upper bound on entries; beyond it, the most-sent entry is dropped (and counted).
    capacity: usize,
    scratch: Vec<(u32, Reverse<u64>)>,
}

/// What happened to one candidate while packing a datagram.
pub(crate) enum Packed {
    /// Written into the datagram.
    Added,
    /// Does not fit in the room left; try a smaller one.
    TooBig,
    /// The member is no longer known; drop the entry.
    Gone,
}

impl GossipQueue {
    pub fn new(hash_seed: u64, capacity: usize) -> GossipQueue {
        GossipQueue {
            entries: HashMap::with_hasher(FixedState::with_seed(hash_seed)),
            order: BTreeMap::new(),
            next_seqno: 0,
            capacity: capacity.max(1),
            scratch: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Queues news about `name` (replacing older news about it). `accuser` is who suspected or
    /// declared it dead, for suspect and dead news. Returns true if an entry had to be dropped
    /// to make room.
    pub fn push(&mut self, name: &Name, accuser: Option<Name>) -> bool {
        if let Some(old) = self.entries.remove(name.as_str()) {
            self.order.remove(&(old.transmits, Reverse(old.seqno)));
        }
        let seqno = self.next_seqno;
        self.next_seqno += 1;
        self.order.insert((0, Reverse(seqno)), name.clone());
        self.entries.insert(
            name.clone(),
            Entry {
                accuser,
                transmits: 0,
                seqno,
            },
        );
        if self.entries.len() > self.capacity
            && let Some((_, victim)) = self.order.pop_last()
        {
            self.entries.remove(victim.as_str());
            return true;
        }
        false
    }

    /// Offers entries in priority order to `pack` until it reports the datagram full (by
    /// returning `None`) or too many candidates did not fit. Entries that were added count a
    /// transmission and leave the queue at `limit`.
    pub fn pack(
        &mut self,
        limit: u32,
        mut pack: impl FnMut(&Name, Option<&Name>) -> Option<Packed>,
    ) {
        let mut done = std::mem::take(&mut self.scratch);
        let mut gone = Vec::new();
        let mut skips = 0;
        for (key, name) in &self.order {
            let accuser = self
                .entries
                .get(name.as_str())
                .and_then(|e| e.accuser.as_ref());
            match pack(name, accuser) {
                None => break,
                Some(Packed::Added) => done.push(*key),
                Some(Packed::Gone) => gone.push(*key),
                Some(Packed::TooBig) => {
                    skips += 1;
                    if skips >= MAX_SKIPS {
                        break;
                    }
                }
            }
        }
        for key in gone {
            if let Some(name) = self.order.remove(&key) {
                self.entries.remove(name.as_str());
            }
        }
        for key in done.drain(..) {
            let Some(name) = self.order.remove(&key) else {
                continue;
            };
            let transmits = key.0 + 1;
            if transmits >= limit {
                self.entries.remove(name.as_str());
            } else if let Some(e) = self.entries.get_mut(name.as_str()) {
                e.transmits = transmits;
                self.order.insert((transmits, key.1), name);
            }
        }
        self.scratch = done;
    }
}

impl Engine {
    /// Queues news about a member, counting an overflow.
    pub(crate) fn broadcast(&mut self, name: &Name, accuser: Option<Name>) {
        if self.gossip.push(name, accuser) {
            self.stats.drop_input("gossip_queue_full");
        }
    }

    /// The message that tells others the current state of `name`, if it is still known.
    pub(crate) fn news_about(&self, name: &str, accuser: Option<&Name>) -> Option<Message> {
        let m = self.members.by_name(name)?;
        let local = || self.members.local().name.clone();
        Some(match m.state {
            State::Alive => Message::Alive(Alive {
                name: m.name.clone(),
                addr: m.addr,
                generation: m.generation,
                incarnation: m.incarnation,
                meta: m.meta.clone(),
            }),
            State::Suspect => Message::Suspect(Suspect {
                name: m.name.clone(),
                generation: m.generation,
                incarnation: m.incarnation,
                from: accuser.cloned().unwrap_or_else(local),
            }),
            State::Dead | State::Left => Message::Dead(Dead {
                name: m.name.clone(),
                generation: m.generation,
                incarnation: m.incarnation,
                from: if m.state == State::Left {
                    m.name.clone()
                } else {
                    accuser.cloned().unwrap_or_else(local)
                },
            }),
        })
    }

    /// Sends one datagram to `to`: `first` messages, then as much queued news as fits.
    pub(crate) fn send_datagram(&mut self, to: SocketAddr, first: &[Message]) {
        let max = self.config.max_datagram_bytes;
        let mut buf = Vec::with_capacity(max.min(256));
        wire::start_datagram(&mut buf);
        for m in first {
            wire::encode_message(m, &mut buf);
        }
        debug_assert!(buf.len() <= max);
        if !self.gossip.is_empty() {
            let limit = self.config.retransmit_limit(self.members.live());
            let mut gossip = std::mem::replace(&mut self.gossip, GossipQueue::new(0, 1));
            let mut one = Vec::with_capacity(64);
            gossip.pack(limit, |name, accuser| {
                // The smallest update is larger than this; stop when nothing can fit.
                if max - buf.len() < 16 {
                    return None;
                }
                let Some(msg) = self.news_about(name.as_str(), accuser) else {
                    return Some(Packed::Gone);
                };
                one.clear();
                wire::encode_message(&msg, &mut one);
                if buf.len() + one.len() > max {
                    return Some(Packed::TooBig);
                }
                buf.extend_from_slice(&one);
                Some(Packed::Added)
            });
            self.gossip = gossip;
        }
        self.stats.datagrams_out += 1;
        self.stats.datagram_bytes_out += buf.len() as u64;
        self.transmits.push_back(Transmit {
            to,
            kind: TransmitKind::Datagram,
            bytes: buf,
        });
    }

    /// One gossip round: news to `gossip_fanout` random members (recently dead ones included,
    /// so a falsely accused node hears of it and refutes).
    pub(crate) fn gossip_round(&mut self, now: Instant) {
        if self.gossip.is_empty() {
            return;
        }
        let fanout = self.config.gossip_fanout as usize;
        let to_the_dead = self.config.gossip_to_the_dead;
        let targets = self.random_members(fanout, |m| {
            m.state.is_live() || now.saturating_duration_since(m.since) < to_the_dead
        });
        for slot in targets {
            let addr = self.members.get(slot).addr;
            self.send_datagram(addr, &[]);
            if self.gossip.is_empty() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::new(s).unwrap()
    }

    fn drain_order(q: &mut GossipQueue, limit: u32) -> Vec<String> {
        let mut out = Vec::new();
        q.pack(limit, |n, _| {
            out.push(n.to_string());
            Some(Packed::Added)
        });
        out
    }

    #[test]
    fn newest_and_least_sent_news_goes_first() {
        let mut q = GossipQueue::new(1, 64);
        q.push(&name("a"), None);
        q.push(&name("b"), None);
        assert_eq!(drain_order(&mut q, 3), ["b", "a"]);
        q.push(&name("c"), None);
        assert_eq!(drain_order(&mut q, 3), ["c", "b", "a"]);
    }

    #[test]
    fn entries_leave_after_the_retransmit_limit() {
        let mut q = GossipQueue::new(1, 64);
        q.push(&name("a"), None);
        for _ in 0..3 {
            assert_eq!(drain_order(&mut q, 3).len(), 1);
        }
        assert!(q.is_empty());
    }

    #[test]
    fn newer_news_about_a_member_replaces_the_older() {
        let mut q = GossipQueue::new(1, 64);
        q.push(&name("a"), None);
        drain_order(&mut q, 5);
        q.push(&name("a"), Some(name("z")));
        assert_eq!(q.len(), 1);
        let mut seen = Vec::new();
        q.pack(5, |n, acc| {
            seen.push((n.to_string(), acc.map(|a| a.to_string())));
            Some(Packed::Added)
        });
        assert_eq!(seen, [("a".to_string(), Some("z".to_string()))]);
    }

    #[test]
    fn overflow_drops_the_most_sent_entry() {
        let mut q = GossipQueue::new(1, 64);
        q.push(&name("old"), None);
        drain_order(&mut q, 100);
        let mut dropped = false;
        for i in 0..64 {
            dropped |= q.push(&name(&format!("n{i}")), None);
        }
        assert!(dropped);
        assert_eq!(q.len(), 64);
        assert!(!q.entries.contains_key("old"));
    }
}
