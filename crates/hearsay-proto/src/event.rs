//! Events the engine reports to its driver, each with the cause of the change.

use std::net::SocketAddr;
use std::time::Instant;

use std::collections::VecDeque;

use crate::intern::MemoryUse;
use crate::name::Name;
use crate::wire::{Meta, State};

/// A snapshot of one member as this node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// The member's name.
    pub name: Name,
    /// Where it can be reached.
    pub addr: SocketAddr,
    /// Which start of the member this is.
    pub generation: u64,
    /// Its incarnation.
    pub incarnation: u32,
    /// Alive, suspect, dead or left.
    pub state: State,
    /// Its application metadata.
    pub meta: Meta,
    /// When this node last saw its state change, to 100 ms (the table stores it coarsely;
    /// an [`Event`]'s `at` is exact).
    pub since: Instant,
}

/// What happened to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// First seen alive (a join, a restart under a new generation, or a return from dead).
    Up,
    /// Address, metadata or incarnation changed while alive.
    Updated,
    /// Suspected of having failed.
    Suspect,
    /// Refuted a suspicion: alive again at a higher incarnation.
    Recovered,
    /// Declared dead.
    Down,
    /// Left gracefully.
    Left,
    /// Forgotten after `dead_retention` (tombstone collected).
    Removed,
    /// This node refuted a suspicion or death about itself by raising its incarnation.
    Refuted,
}

impl EventKind {
    /// Lower-case name, for logs and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Up => "up",
            EventKind::Updated => "updated",
            EventKind::Suspect => "suspect",
            EventKind::Recovered => "recovered",
            EventKind::Down => "down",
            EventKind::Left => "left",
            EventKind::Removed => "removed",
            EventKind::Refuted => "refuted",
        }
    }
}

/// How the news reached this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Via {
    /// Decided here: a probe failed, a suspicion timed out, a command was given.
    Local,
    /// Piggybacked on a datagram from this address.
    Gossip(SocketAddr),
    /// A state transfer (join or anti-entropy) with this address.
    Sync(SocketAddr),
}

/// Why a member changed state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// How the news arrived.
    pub via: Via,
    /// Who accused the member (suspect / dead), if anyone; the member itself for a leave
    /// or a refutation.
    pub accuser: Option<Name>,
    /// Independent confirmations of the suspicion seen so far (Lifeguard).
    pub confirmations: u32,
    /// This node's local health score at the time (0 = healthy).
    pub local_health: u32,
}

/// One change of one member, as reported by [`crate::Engine::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When it happened (the `now` of the call that caused it).
    pub at: Instant,
    /// What happened.
    pub kind: EventKind,
    /// The member after the change.
    pub member: MemberView,
    /// Why.
    pub cause: Cause,
}

/// A queue of outputs for the driver (events, transmits), bounded where asked.
pub(crate) struct Outbox<T> {
    queue: VecDeque<T>,
    memory: MemoryUse,
}

impl<T> Outbox<T> {
    pub fn new(memory: MemoryUse) -> Outbox<T> {
        Outbox {
            queue: VecDeque::new(),
            memory,
        }
    }

    /// Appends `item`; at `max` items the oldest goes first. Returns whether one was dropped.
    pub fn push_bounded(&mut self, item: T, max: usize) -> bool {
        let full = self.queue.len() >= max;
        if full {
            self.queue.pop_front();
        }
        self.queue.push_back(item);
        full
    }

    pub fn push(&mut self, item: T) {
        self.queue.push_back(item);
    }

    /// The oldest item. Under [`MemoryUse::Compact`], a drained queue gives back the memory a
    /// burst grew (a state transfer of N members queues N events at once); without this,
    /// every engine of a large simulation would keep N events' worth of capacity for good.
    pub fn pop(&mut self) -> Option<T> {
        let item = self.queue.pop_front();
        if item.is_none() && self.memory == MemoryUse::Compact {
            const KEEP: usize = 64;
            if self.queue.capacity() > 16 * KEEP {
                self.queue.shrink_to(KEEP);
            }
        }
        item
    }
}
