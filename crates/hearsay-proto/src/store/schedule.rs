//! The stores' own bookkeeping over time: time to live of this node's keys, collection of
//! tombstones, push-pull comparisons while a store changes, and writes waiting for copies.
//! Each part keeps its deadlines; the engine's timer table asks them (see [`crate::timer`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::per_store::PerStore;
use crate::wire::{Key, StoreKind};

/// This node's state keys that have a time to live.
#[derive(Default)]
pub(crate) struct Ttls {
    by_expiry: BTreeSet<(Instant, Key)>,
    expiry_of: HashMap<Key, Instant>,
}

impl Ttls {
    /// Sets (`Some`) or clears (`None`) when `key` expires.
    pub fn set(&mut self, key: &Key, at: Option<Instant>) {
        if let Some(old) = self.expiry_of.remove(key) {
            self.by_expiry.remove(&(old, key.clone()));
        }
        if let Some(at) = at {
            self.expiry_of.insert(key.clone(), at);
            self.by_expiry.insert((at, key.clone()));
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.by_expiry.first().map(|(at, _)| *at)
    }

    /// The next key expired at `now`, forgotten here.
    pub fn pop_expired(&mut self, now: Instant) -> Option<Key> {
        let (at, _) = self.by_expiry.first()?;
        if *at > now {
            return None;
        }
        let (_, key) = self.by_expiry.pop_first()?;
        self.expiry_of.remove(&key);
        Some(key)
    }
}

/// This node's own state tombstones, oldest first: (deleted at, key, version).
#[derive(Default)]
pub(crate) struct OwnTombstones {
    queue: VecDeque<(Instant, Key, u64)>,
}

impl OwnTombstones {
    pub fn push(&mut self, at: Instant, key: Key, version: u64) {
        self.queue.push_back((at, key, version));
    }

    /// When the oldest becomes collectable.
    pub fn deadline(&self, grace: Duration) -> Option<Instant> {
        self.queue.front().map(|(at, _, _)| *at + grace)
    }

    /// Tombstones older than `grace` at `now`: (key, version), removed here.
    pub fn take_collectable(&mut self, now: Instant, grace: Duration) -> Vec<(Key, u64)> {
        let mut out = Vec::new();
        while let Some((at, _, _)) = self.queue.front() {
            if *at + grace > now {
                break;
            }
            if let Some((_, key, version)) = self.queue.pop_front() {
                out.push((key, version));
            }
        }
        out
    }
}

/// How often the map is scanned for collectable tombstones, at most.
const KV_GC_EVERY: Duration = Duration::from_secs(60);

/// When the map is next scanned for collectable tombstones.
pub(crate) struct KvGc {
    next: Instant,
}

impl KvGc {
    pub fn new(now: Instant) -> KvGc {
        KvGc { next: now }
    }

    /// The next scan, when the map holds tombstones at all.
    pub fn deadline(&self, has_tombstones: bool) -> Option<Instant> {
        has_tombstones.then_some(self.next)
    }

    /// Whether a scan is due at `now`; if so, the next one is set (at most `grace` later).
    pub fn due(&mut self, now: Instant, grace: Duration) -> bool {
        if now < self.next {
            return false;
        }
        self.next = now + KV_GC_EVERY.min(grace);
        true
    }
}

/// Push-pull comparisons while this node's own writes are fresh: a changed store is compared
/// with a random member every `gossip_interval` for a window after its last change.
pub(crate) struct PushSchedule {
    /// A store changed since the last timer run.
    changed: PerStore<bool>,
    /// When each store last changed, while inside the window.
    news_at: PerStore<Option<Instant>>,
    next: Instant,
}

impl PushSchedule {
    pub fn new(now: Instant) -> PushSchedule {
        PushSchedule {
            changed: PerStore::default(),
            news_at: PerStore::default(),
            next: now,
        }
    }

    /// This node wrote to `store`.
    pub fn changed(&mut self, store: StoreKind) {
        self.changed[store] = true;
    }

    /// The next comparison, while a store changed recently.
    pub fn deadline(&self) -> Option<Instant> {
        let changed = self.changed.iter().any(|c| *c);
        let recent = self.news_at.iter().any(Option::is_some);
        (changed || recent).then_some(self.next)
    }

    /// At `now`: notes the changes since the last run, and when a comparison is due (and
    /// `comparing`), returns the stores changed within `window` (the next comparison comes
    /// `interval` later).
    pub fn due(
        &mut self,
        now: Instant,
        window: Duration,
        interval: Duration,
        comparing: bool,
    ) -> Vec<StoreKind> {
        for kind in StoreKind::ALL {
            if std::mem::take(&mut self.changed[kind]) {
                self.news_at[kind] = Some(now);
            }
        }
        for at in self.news_at.iter_mut() {
            if at.is_some_and(|t| now >= t + window) {
                *at = None;
            }
        }
        if now < self.next || !comparing {
            return Vec::new();
        }
        self.next = now + interval;
        StoreKind::ALL
            .into_iter()
            .filter(|k| self.news_at[*k].is_some_and(|t| now < t + window))
            .collect()
    }
}

/// Map writes waiting for copies on other members (`wait_for`), by token.
pub(crate) struct Copies {
    waits: BTreeMap<u64, CopyWait>,
    next_token: u64,
}

/// A write waiting for copies.
struct CopyWait {
    needed: usize,
    holders: Vec<SocketAddr>,
    deadline: Instant,
}

impl Default for Copies {
    fn default() -> Copies {
        Copies {
            waits: BTreeMap::new(),
            next_token: 1,
        }
    }
}

impl Copies {
    /// A fresh token for a write.
    pub fn token(&mut self) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        token
    }

    /// Waits for `needed` members to say they hold the write of `token`, until `deadline`.
    pub fn wait(&mut self, token: u64, needed: usize, deadline: Instant) {
        let holders = Vec::new();
        self.waits.insert(
            token,
            CopyWait {
                needed,
                holders,
                deadline,
            },
        );
    }

    /// `from` holds the write of `token`. Returns the holders (this node included) once as
    /// many as needed do; the wait is then over.
    pub fn held(&mut self, token: u64, from: SocketAddr) -> Option<u32> {
        let wait = self.waits.get_mut(&token)?;
        if !wait.holders.contains(&from) {
            wait.holders.push(from);
        }
        if wait.holders.len() < wait.needed {
            return None;
        }
        let holders = wait.holders.len() as u32 + 1;
        self.waits.remove(&token);
        Some(holders)
    }

    /// Waits whose deadline passed at `now`: (token, holders this node included), ended.
    pub fn take_expired(&mut self, now: Instant) -> Vec<(u64, u32)> {
        let late: Vec<u64> = self
            .waits
            .iter()
            .filter(|(_, w)| w.deadline <= now)
            .map(|(t, _)| *t)
            .collect();
        late.into_iter()
            .filter_map(|t| {
                let w = self.waits.remove(&t)?;
                Some((t, w.holders.len() as u32 + 1))
            })
            .collect()
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.waits.values().map(|w| w.deadline).min()
    }
}

/// Peers this node is in a repair exchange with, at most.
const MAX_EXCHANGES: usize = 64;

/// Repair exchanges this node is in: a peer may ask for this node's entries (entries with
/// `reply` set) only after this node sent it tree hashes, and for at most as many leaves as
/// the store has, per exchange. Anything else is an unsolicited request, refused, so that
/// nobody can make a node stream its stores at will.
#[derive(Default)]
pub(crate) struct RepairExchanges {
    /// (peer, until, leaves it may still ask for), oldest first.
    open: VecDeque<(SocketAddr, Instant, PerStore<u32>)>,
}

impl RepairExchanges {
    /// This node sent `peer` tree hashes: an exchange is open (again) until `until`, with a
    /// fresh budget of `leaves` per store.
    pub fn open(&mut self, peer: SocketAddr, until: Instant, leaves: PerStore<u32>) {
        self.open.retain(|(p, _, _)| *p != peer);
        if self.open.len() >= MAX_EXCHANGES {
            self.open.pop_front();
        }
        self.open.push_back((peer, until, leaves));
    }

    /// Whether `peer` may have this node's entries of `leaves` leaves of `store` at `now`;
    /// if so, they come out of the exchange's budget.
    pub fn answer(
        &mut self,
        peer: SocketAddr,
        now: Instant,
        store: StoreKind,
        leaves: usize,
    ) -> bool {
        self.open.retain(|(_, until, _)| *until > now);
        let Some((_, _, budget)) = self.open.iter_mut().find(|(p, _, _)| *p == peer) else {
            return false;
        };
        let Ok(leaves) = u32::try_from(leaves) else {
            return false;
        };
        if budget[store] < leaves {
            return false;
        }
        budget[store] -= leaves;
        true
    }
}
