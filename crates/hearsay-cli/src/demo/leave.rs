//! Phase 4, leave: one node announces its departure and stops; every other view must hold it
//! as `left` (a leave is not a failure).
//!
//! Gossip is a bounded number of random pushes, so now and then one node misses the news.
//! Anti-entropy repairs that, unless the node first probes the departed one and declares it
//! dead itself; it then keeps it as dead (syncs compare live members only, and both entries
//! are tombstones). The phase is over when no view lists it as live any more, and says how
//! many views hold it left, dead, or were repaired.

use std::time::{Duration, Instant};

use hearsay::State;

use super::clock;
use super::cluster::{Cluster, changed_at};
use super::error::DemoError;
use super::preset::secs;
use super::repair::{repaired, repaired_by_sync, waiting_for_sync};
use super::screen::Screen;
use super::watch::{self, Check};

/// What the leave phase measured.
#[derive(Debug, Clone)]
pub struct Left {
    /// Who left.
    pub name: String,
    /// From the call to leave until the last other view stopped listing it as live.
    pub everywhere: Duration,
    /// How long the leaving node's own `leave()` took (it waits for the news to go out).
    pub announce: Duration,
    /// Views that hold it as left (the others missed the news and declared it dead).
    pub seen_left: usize,
    /// How many other nodes there were.
    pub others: usize,
    /// Views that learned of the leave from anti-entropy because gossip missed them.
    pub by_sync: usize,
}

/// Runs the leave phase for node `index`.
pub async fn run(
    cluster: &mut Cluster,
    screen: &mut Screen,
    index: usize,
) -> Result<Left, DemoError> {
    let name = cluster.settings().name(index);
    let within = cluster.settings().repair_window();
    screen.heading(4, &format!("leave: {name} leaves gracefully"));
    let node = cluster.take_for_leave(index)?;
    let generation = node.generation();
    let leaving = clock::now();
    // Leave and stop on the side, as a real process would, while the others are watched.
    let departure = tokio::spawn(async move {
        let result = node.leave().await;
        let announce = leaving.elapsed();
        let info = node.info().await;
        node.shutdown().await;
        result.and(info).map(|info| (announce, info))
    });

    let others = cluster.running().count();
    screen.start_bar(others as u64);
    let found = watch::until(cluster, screen, "leave", leaving, within, |views| {
        let mut left = 0;
        let mut dead = 0;
        let mut by_sync = 0;
        let mut last: Option<Instant> = None;
        for entry in views.iter().filter_map(|v| v.entry(&name)) {
            if entry.member.generation != generation {
                continue;
            }
            match entry.member.state {
                State::Left => left += 1,
                State::Dead => dead += 1,
                _ => continue,
            }
            by_sync += usize::from(repaired_by_sync(entry, leaving));
            last = last.max(Some(changed_at(entry)));
        }
        match last {
            Some(last) if left + dead == views.len() => Check::Done((last, left, by_sync)),
            _ => Check::Pending {
                pos: left as u64,
                status: format!(
                    "{left} of {} nodes see {name} left{}",
                    views.len(),
                    waiting_for_sync(views.len() - left - dead, leaving)
                ),
            },
        }
    })
    .await?;
    screen.clear();
    let (last_change, seen_left, by_sync) = found;
    let everywhere = last_change.saturating_duration_since(leaving);
    let missed = match others - seen_left {
        0 => String::new(),
        k => format!(" ({k} missed the news and declared it dead instead)"),
    };
    screen.say(&format!(
        "      {:>8}  {seen_left} of {others} others see {name} left{missed}{}",
        secs(everywhere),
        repaired(by_sync)
    ));

    let stopped = DemoError::NodeStopped { name: name.clone() };
    let (announce, info) = match departure.await {
        Ok(Ok(done)) => done,
        _ => return Err(stopped),
    };
    cluster.retire(index, info);
    Ok(Left {
        name,
        everywhere,
        announce,
        seen_left,
        others,
        by_sync,
    })
}
