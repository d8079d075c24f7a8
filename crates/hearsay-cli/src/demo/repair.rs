//! Telling gossip's delivery from anti-entropy's repair.
//!
//! Gossip is a bounded number of random pushes: it reaches nearly every node within a second,
//! but now and then (a few percent of broadcasts at 30-60 nodes, measured on loopback) one node
//! gets none of them, and learns the news only at its next anti-entropy sync, up to
//! `sync_interval` later. The restart and leave phases wait for that, and say when it happened
//! rather than pass it off as gossip being slow.

use std::time::{Duration, Instant};

use hearsay::{MemberInfo, Via};

use super::cluster::changed_at;

/// By then gossip has reached every node it is going to reach.
const GOSSIP_SETTLED: Duration = Duration::from_secs(2);

/// For the bar: what views still lagging at some point after `start` are waiting for.
pub fn waiting_for_sync(lagging: usize, start: Instant) -> &'static str {
    if lagging > 0 && start.elapsed() > GOSSIP_SETTLED {
        " (gossip missed them; waiting for anti-entropy)"
    } else {
        ""
    }
}

/// Whether a view learned the member's current state from a state transfer well after the
/// news went out at `start`: gossip missed it and anti-entropy repaired it. (The node a
/// newcomer joins through also learns by state transfer, but at once.)
pub fn repaired_by_sync(info: &MemberInfo, start: Instant) -> bool {
    let late = changed_at(info).saturating_duration_since(start) > GOSSIP_SETTLED;
    let by_sync = info
        .last_change
        .as_ref()
        .is_some_and(|e| matches!(e.cause.via, Via::Sync(_)));
    late && by_sync
}

/// A note for the views anti-entropy had to repair, if any.
pub fn repaired(by_sync: usize) -> String {
    match by_sync {
        0 => String::new(),
        1 => " (1 view missed the gossip; anti-entropy repaired it)".to_string(),
        k => format!(" ({k} views missed the gossip; anti-entropy repaired them)"),
    }
}
