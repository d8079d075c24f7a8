//! What this node has delivered: per origin, the highest sequence and a window of bits
//! below it. The state per origin is fixed in size ([`crate::Config::event_window`] bits),
//! so it does not grow with the number of messages; the number of origins is bounded too
//! (the least recently active goes first).

use std::collections::HashMap;
use std::time::Instant;

use foldhash::fast::FixedState;

use super::model::MsgId;
use crate::name::Name;
use crate::wire::{MAX_GAPS, OriginSummary};

/// Where a message stands against what was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Not delivered yet.
    New,
    /// Delivered already.
    Duplicate,
    /// From an earlier start of the origin, or below the window: never delivered now.
    Stale,
}

struct Origin {
    generation: u64,
    high: u64,
    /// Bit `seq % window` is set when `seq` (within `high - window + 1 ..= high`) was delivered.
    bits: Box<[u64]>,
    /// When a message of this origin was last delivered (for eviction and summaries).
    active: Instant,
    /// The first sequence delivered in this generation: gaps below it predate this node's
    /// interest in the origin only if they are older than the window.
    first: u64,
}

impl Origin {
    fn bit(&self, seq: u64, window: u64) -> bool {
        let i = seq % window;
        self.bits[(i / 64) as usize] & (1 << (i % 64)) != 0
    }

    fn set(&mut self, seq: u64, window: u64, on: bool) {
        let i = seq % window;
        let word = &mut self.bits[(i / 64) as usize];
        if on {
            *word |= 1 << (i % 64);
        } else {
            *word &= !(1 << (i % 64));
        }
    }
}

/// Delivered messages, per origin.
pub(crate) struct Dedupe {
    origins: HashMap<Name, Origin, FixedState>,
    window: u64,
    max_origins: usize,
}

impl Dedupe {
    /// `window` is rounded up to a multiple of 64.
    pub fn new(window: u32, max_origins: usize, hash_seed: u64) -> Dedupe {
        Dedupe {
            origins: HashMap::with_hasher(FixedState::with_seed(hash_seed)),
            window: u64::from(window.max(64)).next_multiple_of(64),
            max_origins: max_origins.max(1),
        }
    }

    pub fn check(&self, id: &MsgId) -> Seen {
        let Some(o) = self.origins.get(&id.origin) else {
            return if id.seq == 0 { Seen::Stale } else { Seen::New };
        };
        if id.seq == 0 || id.generation < o.generation {
            return Seen::Stale;
        }
        if id.generation > o.generation || id.seq > o.high {
            return Seen::New;
        }
        if o.high - id.seq >= self.window {
            return Seen::Stale;
        }
        if o.bit(id.seq, self.window) {
            Seen::Duplicate
        } else {
            Seen::New
        }
    }

    /// Records `id` as delivered (call after [`Dedupe::check`] said [`Seen::New`]). Returns
    /// true when an origin had to be forgotten to make room.
    pub fn mark(&mut self, id: &MsgId, now: Instant) -> bool {
        let window = self.window;
        let mut evicted = false;
        if !self.origins.contains_key(&id.origin)
            && self.origins.len() >= self.max_origins
            && let Some(oldest) = self
                .origins
                .iter()
                .min_by_key(|(_, o)| o.active)
                .map(|(n, _)| n.clone())
        {
            self.origins.remove(&oldest);
            evicted = true;
        }
        let o = self
            .origins
            .entry(id.origin.clone())
            .or_insert_with(|| Origin {
                generation: id.generation,
                high: 0,
                bits: vec![0; (window / 64) as usize].into_boxed_slice(),
                active: now,
                first: id.seq,
            });
        if id.generation > o.generation {
            o.generation = id.generation;
            o.high = 0;
            o.bits.fill(0);
            o.first = id.seq;
        }
        if id.seq > o.high {
            if id.seq - o.high >= window {
                o.bits.fill(0);
            } else {
                for s in o.high + 1..id.seq {
                    o.set(s, window, false);
                }
            }
            o.high = id.seq;
        }
        o.set(id.seq, window, true);
        o.active = now;
        o.first = o.first.min(id.seq);
        evicted
    }

    /// The origin's generation and highest delivered sequence, if known.
    #[cfg(test)]
    pub fn high(&self, origin: &Name) -> Option<(u64, u64)> {
        self.origins.get(origin).map(|o| (o.generation, o.high))
    }

    /// Forgets origins inactive since before `cutoff` (their messages have left every
    /// retention window).
    pub fn forget_before(&mut self, cutoff: Instant) {
        self.origins.retain(|_, o| o.active >= cutoff);
    }

    /// Summaries of origins active since `since`: highest sequence and the gaps inside the
    /// window, at most [`MAX_GAPS`] ranges each.
    pub fn summaries(&self, since: Instant) -> Vec<OriginSummary> {
        let mut out: Vec<OriginSummary> = self
            .origins
            .iter()
            .filter(|(_, o)| o.active >= since)
            .map(|(name, o)| {
                let low = o.high.saturating_sub(self.window - 1).max(1);
                let mut gaps = Vec::new();
                let mut s = low;
                while s < o.high && gaps.len() < MAX_GAPS {
                    if o.bit(s, self.window) {
                        s += 1;
                        continue;
                    }
                    let start = s;
                    while s < o.high && !o.bit(s, self.window) {
                        s += 1;
                    }
                    gaps.push((start, (s - start) as u32));
                }
                OriginSummary {
                    origin: name.clone(),
                    generation: o.generation,
                    high: o.high,
                    gaps,
                }
            })
            .collect();
        out.sort_by(|a, b| a.origin.cmp(&b.origin));
        out
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.origins.len()
    }
}

/// Whether a peer whose summary for the origin is `summary` lacks `id`.
pub(crate) fn lacks(summary: Option<&OriginSummary>, id: &MsgId) -> bool {
    let Some(s) = summary else { return true };
    if id.generation != s.generation {
        return id.generation > s.generation;
    }
    id.seq > s.high
        || s.gaps
            .iter()
            .any(|&(first, n)| id.seq >= first && id.seq < first + u64::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(seq: u64) -> MsgId {
        MsgId {
            origin: Name::new("a").unwrap(),
            generation: 1,
            seq,
        }
    }

    #[test]
    fn delivers_each_once_in_any_order_and_bounds_memory() {
        let now = crate::test_epoch();
        let mut d = Dedupe::new(128, 4, 0);
        for seq in [3, 1, 2, 3, 200, 100, 73] {
            let fresh = d.check(&id(seq)) == Seen::New;
            if fresh {
                d.mark(&id(seq), now);
            }
        }
        assert_eq!(d.check(&id(3)), Seen::Stale, "below the window by now");
        assert_eq!(d.check(&id(200)), Seen::Duplicate);
        assert_eq!(d.check(&id(100)), Seen::Duplicate);
        assert_eq!(d.check(&id(150)), Seen::New);
        assert_eq!(d.check(&id(72)), Seen::Stale);
        let newer = MsgId {
            generation: 2,
            ..id(1)
        };
        assert_eq!(d.check(&newer), Seen::New);
        d.mark(&newer, now);
        assert_eq!(d.check(&id(200)), Seen::Stale, "an earlier start");
    }

    #[test]
    fn summaries_list_gaps_and_lacks_reads_them() {
        let now = crate::test_epoch();
        let mut d = Dedupe::new(64, 4, 0);
        for seq in [1, 2, 5, 6, 9] {
            d.mark(&id(seq), now);
        }
        let s = d.summaries(now);
        assert_eq!(s[0].high, 9);
        assert_eq!(s[0].gaps, vec![(3, 2), (7, 2)]);
        assert!(lacks(Some(&s[0]), &id(4)));
        assert!(!lacks(Some(&s[0]), &id(5)));
        assert!(lacks(Some(&s[0]), &id(10)));
        assert!(lacks(None, &id(1)));
    }

    #[test]
    fn origins_are_bounded() {
        let now = crate::test_epoch();
        let mut d = Dedupe::new(64, 2, 0);
        for (i, name) in ["a", "b", "c"].iter().enumerate() {
            let id = MsgId {
                origin: Name::new(name).unwrap(),
                generation: 1,
                seq: 1,
            };
            let evicted = d.mark(&id, now + std::time::Duration::from_secs(i as u64));
            assert_eq!(evicted, i == 2);
        }
        assert_eq!(d.len(), 2);
        assert!(
            d.high(&Name::new("a").unwrap()).is_none(),
            "the least active went"
        );
    }
}
