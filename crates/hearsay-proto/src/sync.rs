//! State transfer over streams: joining through seeds, and anti-entropy.
//!
//! **Join.** A new node sends its own record to a seed in a [`crate::wire::PushPull`] and retries, with
//! doubling backoff, until a seed answers. The seed answers with its whole table; a seed of a
//! large cluster answers with a random sample instead, and the joiner pulls the whole table
//! from one member of that sample, so a join wave spreads its cost over the cluster.
//!
//! **Anti-entropy.** Every `sync_interval` this node compares digests with a random member
//! ([`crate::digest`]): a 20-byte exchange when views agree, whatever N. When they differ, the
//! peers compare per-bucket hashes and swap only the members of differing buckets; then the
//! next sync comes after `sync_interval_busy` instead, so a join wave or a healed partition
//! converges in a few rounds and quiet clusters pay almost nothing.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Joining through seeds: whom to ask, and when to ask again.
pub(crate) struct Joining {
    seeds: Vec<SocketAddr>,
    joined: bool,
    next_retry: Option<Instant>,
    backoff: Duration,
}

impl Joining {
    pub fn new(initial_backoff: Duration) -> Joining {
        Joining {
            seeds: Vec::new(),
            joined: false,
            next_retry: None,
            backoff: initial_backoff,
        }
    }

    /// Adds `seeds` (not `own`, no duplicates) and restarts the backoff at `initial`.
    pub fn add_seeds(&mut self, own: SocketAddr, seeds: &[SocketAddr], initial: Duration) {
        for s in seeds {
            if *s != own && !self.seeds.contains(s) {
                self.seeds.push(*s);
            }
        }
        self.backoff = initial;
    }

    pub fn seeds(&self) -> &[SocketAddr] {
        &self.seeds
    }

    /// Whether a seed has answered.
    pub fn joined(&self) -> bool {
        self.joined
    }

    /// A seed answered: stop retrying. Returns whether this is news.
    pub fn mark_joined(&mut self) -> bool {
        if self.joined {
            return false;
        }
        self.joined = true;
        self.next_retry = None;
        true
    }

    /// When to retry, if retrying.
    pub fn deadline(&self) -> Option<Instant> {
        self.next_retry
    }

    pub fn retry_due(&self, now: Instant) -> bool {
        self.next_retry.is_some_and(|t| now >= t)
    }

    /// Requests went out at `now`: retry after the backoff, which doubles up to `max`.
    pub fn sent(&mut self, now: Instant, max: Duration) {
        self.next_retry = Some(now + self.backoff);
        self.backoff = (self.backoff * 2).min(max);
    }

    pub fn stop_retrying(&mut self) {
        self.next_retry = None;
    }
}

/// The anti-entropy schedule: the sync under way, and when the next one starts.
pub(crate) struct SyncState {
    next_sync: Instant,
    pending: Option<Pending>,
    /// The last sync went unanswered: the next one goes to a member believed alive.
    avoid_dead: bool,
    /// Next attempt to reach a member believed dead (see [`crate::reconnect`]).
    next_reconnect: Instant,
    /// The reconnection attempt under way: a slot of its own, so that attempts to addresses
    /// that never answer do not hold up syncs with live members.
    reconnecting: Option<Pending>,
    /// When a store repair last found differences: syncs stay frequent while stores differ.
    store_repaired_at: Option<Instant>,
}

/// The sync this node started and waits on.
struct Pending {
    peer: SocketAddr,
    deadline: Instant,
}

/// Where the sync under way stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waiting {
    /// No sync under way.
    Idle,
    /// Waiting for the peer's answer.
    Answer,
    /// The peer did not answer in time; the sync was abandoned.
    TimedOut,
}

impl SyncState {
    pub fn new(first_sync: Instant) -> SyncState {
        SyncState {
            next_sync: first_sync,
            pending: None,
            avoid_dead: false,
            next_reconnect: first_sync,
            reconnecting: None,
            store_repaired_at: None,
        }
    }

    /// The sync timer's deadline: the pending sync's, else the next sync.
    pub fn deadline(&self) -> Instant {
        self.pending.as_ref().map_or(self.next_sync, |p| p.deadline)
    }

    /// The reconnection timer's deadline: the attempt under way's, else the next attempt.
    pub fn reconnect_deadline(&self) -> Instant {
        self.reconnecting
            .as_ref()
            .map_or(self.next_reconnect, |p| p.deadline)
    }

    /// Where the reconnection attempt under way stands at `now`; one that timed out is
    /// abandoned.
    pub fn reconnect_waiting(&mut self, now: Instant) -> Waiting {
        match &self.reconnecting {
            None => Waiting::Idle,
            Some(p) if now >= p.deadline => {
                self.reconnecting = None;
                Waiting::TimedOut
            }
            Some(_) => Waiting::Answer,
        }
    }

    /// A reconnection attempt to `peer` started; its answer is due by `deadline`.
    pub fn start_reconnect(&mut self, peer: SocketAddr, deadline: Instant) {
        self.reconnecting = Some(Pending { peer, deadline });
    }

    /// Where the sync under way stands at `now`; one that timed out is abandoned, and the next
    /// sync comes at `retry_at` and goes to a member believed alive.
    pub fn waiting(&mut self, now: Instant, retry_at: Instant) -> Waiting {
        match &self.pending {
            None => Waiting::Idle,
            Some(p) if now >= p.deadline => {
                self.pending = None;
                self.next_sync = retry_at;
                self.avoid_dead = true;
                Waiting::TimedOut
            }
            Some(_) => Waiting::Answer,
        }
    }

    /// Whether a reconnection attempt is due; if so, the next one is set for `next`.
    pub fn reconnect_due(&mut self, now: Instant, next: Instant) -> bool {
        if now < self.next_reconnect {
            return false;
        }
        self.next_reconnect = next;
        true
    }

    pub fn sync_due(&self, now: Instant) -> bool {
        now >= self.next_sync
    }

    /// Whether the last sync went unanswered (asked once: it applies to one choice of peer).
    pub fn take_avoid_dead(&mut self) -> bool {
        std::mem::take(&mut self.avoid_dead)
    }

    /// Sets when the next sync starts.
    pub fn schedule(&mut self, at: Instant) {
        self.next_sync = at;
    }

    /// Brings the next sync forward to `at` if it was later.
    pub fn sooner(&mut self, at: Instant) {
        if self.next_sync > at {
            self.next_sync = at;
        }
    }

    /// A sync with `peer` started; its answer is due by `deadline`.
    pub fn start(&mut self, peer: SocketAddr, deadline: Instant) {
        self.pending = Some(Pending { peer, deadline });
    }

    /// Whether the sync or reconnection attempt under way is with `peer`.
    pub fn awaits(&self, peer: SocketAddr) -> bool {
        [&self.pending, &self.reconnecting]
            .into_iter()
            .flatten()
            .any(|p| p.peer == peer)
    }

    /// Ends the sync or reconnection attempt under way with `peer`; returns whether there was
    /// one.
    pub fn finish(&mut self, peer: SocketAddr) -> bool {
        let mut ours = false;
        for slot in [&mut self.pending, &mut self.reconnecting] {
            if slot.as_ref().is_some_and(|p| p.peer == peer) {
                *slot = None;
                ours = true;
            }
        }
        ours
    }

    /// A store repair found differences at `now`.
    pub fn store_repaired(&mut self, now: Instant) {
        self.store_repaired_at = Some(now);
    }

    /// Whether a store repair found differences less than `window` before `now`.
    pub fn store_repairing(&self, now: Instant, window: Duration) -> bool {
        self.store_repaired_at.is_some_and(|t| now < t + window)
    }
}
