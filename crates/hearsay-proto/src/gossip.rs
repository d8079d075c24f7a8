//! Dissemination: the queue of membership news and how it is piggybacked.
//!
//! The queue holds at most one entry per member, encoded once when queued: every change to a
//! member queues it anew, so newer news about a member replaces older news by construction and
//! packing a datagram is a copy of ready bytes.
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
use xxhash_rust::xxh3::xxh3_64;

use crate::engine::Engine;
use crate::wire::{self, Alive, Dead, Message, State, Suspect};
use crate::{Name, Transmit, TransmitKind};

/// Candidates skipped for not fitting before packing gives up on a datagram.
const MAX_SKIPS: usize = 16;

/// One queued piece of news.
#[derive(Debug, Clone)]
struct Item {
    /// Which member it is about (a 64-bit hash of the name).
    member: u64,
    /// The framed message, ready to append to a datagram.
    bytes: Box<[u8]>,
}

/// Priority of an item: fewest transmissions first, then newest first.
type Priority = (u32, Reverse<u64>);

/// News waiting to be piggybacked, one item per member.
pub(crate) struct GossipQueue {
    /// Items in the order they go out.
    order: BTreeMap<Priority, Item>,
    /// Member -> priority of its item, to replace older news.
    index: HashMap<u64, Priority, FixedState>,
    next_seqno: u64,
    /// Upper bound on items; beyond it, the most-sent item is dropped (and counted).
    capacity: usize,
    scratch: Vec<Priority>,
}

impl GossipQueue {
    pub fn new(hash_seed: u64, capacity: usize) -> GossipQueue {
        GossipQueue {
            order: BTreeMap::new(),
            index: HashMap::with_hasher(FixedState::with_seed(hash_seed)),
            next_seqno: 0,
            capacity: capacity.max(1),
            scratch: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Queues `bytes` (one framed message) as the news about `member` (a hash of its name),
    /// replacing older news about it. Returns true if an item had to be dropped to make room.
    pub fn push(&mut self, member: u64, bytes: Box<[u8]>) -> bool {
        if let Some(old) = self.index.remove(&member) {
            self.order.remove(&old);
        }
        let priority = (0, Reverse(self.next_seqno));
        self.next_seqno += 1;
        self.order.insert(priority, Item { member, bytes });
        self.index.insert(member, priority);
        if self.order.len() > self.capacity
            && let Some((_, victim)) = self.order.pop_last()
        {
            self.index.remove(&victim.member);
            return true;
        }
        false
    }

    /// Appends queued news to `buf` in priority order while it fits within `max` bytes.
    /// Items that were added count a transmission and leave the queue at `limit`.
    pub fn pack(&mut self, limit: u32, buf: &mut Vec<u8>, max: usize) {
        let mut sent = std::mem::take(&mut self.scratch);
        let mut skips = 0;
        for (priority, item) in &self.order {
            // The smallest news is larger than this: nothing more can fit.
            if max.saturating_sub(buf.len()) < 16 {
                break;
            }
            if buf.len() + item.bytes.len() > max {
                skips += 1;
                if skips >= MAX_SKIPS {
                    break;
                }
                continue;
            }
            buf.extend_from_slice(&item.bytes);
            sent.push(*priority);
        }
        for (transmits, seqno) in sent.drain(..) {
            let Some(item) = self.order.remove(&(transmits, seqno)) else {
                continue;
            };
            if transmits + 1 >= limit {
                self.index.remove(&item.member);
            } else {
                let priority = (transmits + 1, seqno);
                self.index.insert(item.member, priority);
                self.order.insert(priority, item);
            }
        }
        self.scratch = sent;
    }
}

impl Engine {
    /// Queues the current record of a member as news, counting an overflow. `accuser` is who
    /// suspected or declared it dead, for suspect and dead news.
    pub(crate) fn broadcast(&mut self, name: &Name, accuser: Option<Name>) {
        let Some(msg) = self.news_about(name.as_str(), accuser.as_ref()) else {
            return;
        };
        let mut bytes = Vec::with_capacity(wire::encoded_len(&msg));
        wire::encode_message(&msg, &mut bytes);
        if self
            .gossip
            .push(xxh3_64(name.as_str().as_bytes()), bytes.into_boxed_slice())
        {
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
        let news = !self.gossip.is_empty() || !self.store.gossip.is_empty();
        let mut buf = Vec::with_capacity(if news { max } else { 64 });
        wire::start_datagram(&mut buf);
        for m in first {
            wire::encode_message(m, &mut buf);
        }
        debug_assert!(buf.len() <= max);
        if news {
            let limit = self.config.retransmit_limit(self.members.live());
            // Membership news first: failure detection must not wait behind data.
            self.gossip.pack(limit, &mut buf, max);
            // Store news is also pushed-and-pulled while it is fresh (see
            // `Engine::store_push_timer`), so piggybacking needs fewer repeats than membership
            // news, whose only other way is the much slower anti-entropy.
            self.store
                .gossip
                .pack(limit.div_ceil(3).max(2), &mut buf, max);
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
        if self.gossip.is_empty() && self.store.gossip.is_empty() {
            return;
        }
        let fanout = self.config.gossip_fanout as usize;
        let to_the_dead = self.config.gossip_to_the_dead;
        let recent = now
            .checked_sub(to_the_dead)
            .map_or(0, |t| self.members.ticks(t));
        let targets =
            self.random_members(fanout, |m| m.state.is_live() || m.since_ticks() >= recent);
        for slot in targets {
            let addr = self.members.get(slot).addr;
            self.send_datagram(addr, &[]);
            if self.gossip.is_empty() && self.store.gossip.is_empty() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Queues a 16-byte stand-in message filled with the name's first letter.
    fn push(q: &mut GossipQueue, n: &str, letter: u8) -> bool {
        q.push(xxh3_64(n.as_bytes()), vec![letter; 16].into_boxed_slice())
    }

    /// Packs one datagram and returns the letters of the messages it carried, in order.
    fn pack(q: &mut GossipQueue, limit: u32, room: usize) -> String {
        let mut buf = Vec::new();
        q.pack(limit, &mut buf, room);
        buf.chunks(16).map(|c| c[0] as char).collect()
    }

    #[test]
    fn newest_and_least_sent_news_goes_first() {
        let mut q = GossipQueue::new(1, 64);
        push(&mut q, "a", b'a');
        push(&mut q, "b", b'b');
        assert_eq!(pack(&mut q, 3, 1400), "ba");
        push(&mut q, "c", b'c');
        assert_eq!(pack(&mut q, 3, 1400), "cba");
    }

    #[test]
    fn packing_stops_at_the_room_left() {
        let mut q = GossipQueue::new(1, 64);
        for (i, n) in ["a", "b", "c"].iter().enumerate() {
            push(&mut q, n, b'a' + i as u8);
        }
        assert_eq!(
            pack(&mut q, 3, 40),
            "cb",
            "only two 16-byte messages fit in 40 bytes"
        );
        assert_eq!(
            pack(&mut q, 3, 40),
            "ac",
            "the unsent one goes first next time"
        );
    }

    #[test]
    fn entries_leave_after_the_retransmit_limit() {
        let mut q = GossipQueue::new(1, 64);
        push(&mut q, "a", b'a');
        for _ in 0..3 {
            assert_eq!(pack(&mut q, 3, 1400), "a");
        }
        assert!(q.is_empty());
    }

    #[test]
    fn newer_news_about_a_member_replaces_the_older() {
        let mut q = GossipQueue::new(1, 64);
        push(&mut q, "a", b'x');
        pack(&mut q, 5, 1400);
        push(&mut q, "a", b'y');
        assert_eq!(q.len(), 1);
        assert_eq!(pack(&mut q, 5, 1400), "y");
    }

    #[test]
    fn overflow_drops_the_most_sent_entry() {
        let mut q = GossipQueue::new(1, 64);
        push(&mut q, "old", b'o');
        pack(&mut q, 100, 1400);
        let mut dropped = false;
        for i in 0..64 {
            dropped |= push(&mut q, &format!("n{i}"), b'n');
        }
        assert!(dropped);
        assert_eq!(q.len(), 64);
        assert!(!q.index.contains_key(&xxh3_64(b"old")));
    }
}
