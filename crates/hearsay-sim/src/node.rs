//! The simulator's record of one node: its engine, whether it runs, and its timer.
//!
//! Kept small (the engine aside), because there are tens of thousands of them.

use crate::queue::Nanos;

/// Most messages queued for a paused node, like a socket's receive buffer; beyond it they
/// are dropped and counted.
pub const INBOX_CAPACITY: usize = 4_096;

/// Marks "no timer scheduled".
pub(crate) const NO_TIMER: Nanos = Nanos::MAX;

/// Where a node is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Not started yet (cold join).
    Waiting,
    /// Processing input and timers.
    Running,
    /// Running but frozen until `until`: input queues up, timers wait.
    Paused { until: Nanos },
    /// Killed; its engine is gone until a restart.
    Dead,
}

/// A message that reached a paused node, kept until it wakes.
#[derive(Debug)]
pub(crate) struct Queued {
    pub from: u32,
    pub from_epoch: u16,
    pub stream: bool,
    pub bytes: Vec<u8>,
}

/// One simulated node.
pub(crate) struct Node<P> {
    /// The protocol engine of the current start, if running or paused.
    pub engine: Option<P>,
    pub status: Status,
    /// Starts so far minus one: selects the address's port.
    pub epoch: u16,
    /// The generation of the current (or last) start.
    pub generation: u64,
    /// When the current start began.
    pub started_at: Nanos,
    /// The one valid timer deadline ([`NO_TIMER`] if none); older agenda entries are stale.
    pub timer_at: Nanos,
    /// Input received while paused, in arrival order (empty and unallocated otherwise).
    pub inbox: Vec<Queued>,
}

impl<P> Node<P> {
    /// A node that has not started.
    pub fn waiting() -> Node<P> {
        Node {
            engine: None,
            status: Status::Waiting,
            epoch: 0,
            generation: 0,
            started_at: 0,
            timer_at: NO_TIMER,
            inbox: Vec::new(),
        }
    }

    /// Running or paused: the process exists (a paused member counts as running).
    pub fn is_up(&self) -> bool {
        matches!(self.status, Status::Running | Status::Paused { .. })
    }

    /// Paused right now.
    pub fn is_paused(&self) -> bool {
        matches!(self.status, Status::Paused { .. })
    }
}
