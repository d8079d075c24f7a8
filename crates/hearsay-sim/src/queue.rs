//! The agenda: everything that will happen, in virtual-time order.
//!
//! A binary heap of `(time, sequence number, what)`. The sequence number breaks ties in the
//! order things were scheduled, which makes the run independent of heap internals and so
//! deterministic. Entries are kept small (about 56 bytes): a datagram in flight owns the
//! engine's `Vec<u8>` (moved, never copied) and names its ends by node index and epoch.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Virtual time: nanoseconds since the simulation's base instant.
pub(crate) type Nanos = u64;

/// A datagram or stream message in flight.
#[derive(Debug)]
pub(crate) struct Delivery {
    /// Receiving node.
    pub to: u32,
    /// The receiver's epoch the sender addressed; a restarted receiver no longer owns it.
    pub to_epoch: u16,
    /// Sending node.
    pub from: u32,
    /// The sender's epoch when it sent (gives its address at the time).
    pub from_epoch: u16,
    /// Stream (reliable, whole) rather than datagram.
    pub stream: bool,
    /// The payload, moved out of the engine's `Transmit`.
    pub bytes: Vec<u8>,
}

/// A scenario step, executed when its time comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// A node of a cold join starts (node 0 starts alone, the others join through it).
    Start { node: u32 },
    /// `--kill` number `spec`.
    Kill { spec: u32 },
    /// `--restart` number `spec`.
    Restart { spec: u32 },
    /// `--pause` number `spec`.
    PauseGroup { spec: u32 },
    /// The next pause of a `--pauses` member.
    RandomPause { node: u32 },
    /// A paused node's pause is over (ignored if it is no longer that pause).
    Wake { node: u32 },
    /// `--partition` number `id` begins.
    PartitionStart { id: u32 },
    /// `--partition` number `id` ends.
    PartitionEnd { id: u32 },
    /// `--update-at`.
    Update,
    /// Loss change number `change`.
    SetLoss { change: u32 },
    /// All faults end.
    Heal,
    /// Periodic convergence check and observer tick.
    Tick,
    /// Store workload: start of the map's write window (`--kv-write-at`).
    KvStart,
    /// Store workload: map write number `seq` of the window.
    KvWrite { seq: u32 },
    /// Store workload: every running member sets its keys (`--state-at`).
    StateSet,
    /// Store workload: the 10 ms check of the replicas.
    StoreCheck,
    /// Message workload: the sending window opens (`--event-at`, or 0 when preconverged).
    EventStart,
    /// Message workload: user event number `seq` of the window.
    EventSend { seq: u32 },
    /// Message workload: query number `seq` of the window.
    QuerySend { seq: u32 },
}

/// What an agenda entry does.
#[derive(Debug)]
pub(crate) enum Pending {
    /// Hand a message to its receiver.
    Deliver(Delivery),
    /// A node's timer, valid only if it is still the node's scheduled deadline.
    Timer { node: u32 },
    /// A scenario step.
    Act(Action),
}

/// One agenda entry.
#[derive(Debug)]
pub(crate) struct Entry {
    pub at: Nanos,
    seq: u64,
    pub what: Pending,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    /// Reversed, so that the max-heap yields the earliest entry first.
    fn cmp(&self, other: &Entry) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// The time-ordered queue of pending work.
#[derive(Debug, Default)]
pub(crate) struct Agenda {
    heap: BinaryHeap<Entry>,
    next_seq: u64,
}

impl Agenda {
    /// Schedules `what` at `at`; among equal times, earlier calls come first.
    pub fn push(&mut self, at: Nanos, what: Pending) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { at, seq, what });
    }

    /// The earliest entry, if it is due no later than `end`.
    pub fn pop_until(&mut self, end: Nanos) -> Option<Entry> {
        if self.heap.peek()?.at > end {
            return None;
        }
        self.heap.pop()
    }

    /// Entries waiting.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_out_by_time_then_by_scheduling_order() {
        let mut a = Agenda::default();
        a.push(5, Pending::Timer { node: 1 });
        a.push(3, Pending::Timer { node: 2 });
        a.push(5, Pending::Timer { node: 3 });
        a.push(9, Pending::Timer { node: 4 });
        let order: Vec<u32> = std::iter::from_fn(|| a.pop_until(8))
            .map(|e| match e.what {
                Pending::Timer { node } => node,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(order, [2, 1, 3]);
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn entries_stay_small() {
        assert!(std::mem::size_of::<Entry>() <= 64);
    }
}
