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

use foldhash::fast::FixedState;

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
        self.count_sent(sent.drain(..), limit);
        self.scratch = sent;
    }
}

impl GossipQueue {
    /// Packs every queued item once, in priority order, into as many datagrams as it takes
    /// (each starting with `header`, at most `max` bytes), counting a transmission for each.
    /// The flood mode of user messages sends its whole queue this way every round.
    pub fn pack_all(&mut self, limit: u32, header: &[u8], max: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = header.to_vec();
        let keys: Vec<Priority> = self.order.keys().copied().collect();
        for key in &keys {
            let item = &self.order[key];
            if buf.len() + item.bytes.len() > max && buf.len() > header.len() {
                out.push(std::mem::replace(&mut buf, header.to_vec()));
            }
            buf.extend_from_slice(&item.bytes);
        }
        if buf.len() > header.len() {
            out.push(buf);
        }
        self.count_sent(keys.into_iter(), limit);
        out
    }

    /// Counts one transmission of each item sent; items reaching `limit` leave the queue.
    fn count_sent(&mut self, sent: impl Iterator<Item = Priority>, limit: u32) {
        for (transmits, seqno) in sent {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xxhash_rust::xxh3::xxh3_64;

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
