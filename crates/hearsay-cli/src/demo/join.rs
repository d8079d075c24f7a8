//! Phase 1, join: every node joins through node 0, until every view holds all N alive.

use std::time::{Duration, Instant};

use hearsay::State;

use super::cluster::{Cluster, changed_at};
use super::error::DemoError;
use super::preset::secs;
use super::screen::Screen;
use super::watch::{self, Check};

/// How long the join may take. A LAN cluster of 256 converges in a few seconds; this leaves
/// room for a loaded machine and for `--loss`.
const WITHIN: Duration = Duration::from_secs(30);

/// What the join phase measured.
#[derive(Debug, Clone, Copy)]
pub struct Joined {
    /// From the first node's start until the last view became complete.
    pub converged: Duration,
}

/// Runs the join phase. `started` is when the first node was started.
pub async fn run(
    cluster: &Cluster,
    screen: &mut Screen,
    started: Instant,
) -> Result<Joined, DemoError> {
    let n = cluster.settings().nodes;
    let seed_name = cluster.settings().name(0);
    screen.heading(
        1,
        &format!("join: {n} nodes start and join through {seed_name}"),
    );
    let seed = cluster
        .node(0)
        .ok_or_else(|| DemoError::NodeStopped {
            name: seed_name.clone(),
        })?
        .advertise_addr();
    for (index, node) in cluster.running().skip(1) {
        node.join(&[seed])
            .await
            .map_err(|_| DemoError::NodeStopped {
                name: cluster.settings().name(index),
            })?;
    }

    screen.start_bar((n * n) as u64);
    let converged_at = watch::until(cluster, screen, "join", started, WITHIN, |views| {
        let mut known = 0;
        let mut full = 0;
        for view in views {
            let alive = view
                .members
                .iter()
                .filter(|m| m.member.state == State::Alive)
                .count();
            known += alive.min(n);
            full += usize::from(alive == n);
        }
        if full == n {
            // The moment the last view changed: when the final piece of news arrived.
            let last = views
                .iter()
                .flat_map(|v| v.members.iter().map(changed_at))
                .max();
            return Check::Done(last.unwrap_or(started));
        }
        Check::Pending {
            pos: known as u64,
            status: format!(
                "{known} of {} members known, {full} of {n} views complete",
                n * n
            ),
        }
    })
    .await?;
    screen.clear();
    let converged = converged_at.saturating_duration_since(started);
    screen.say(&format!(
        "      every node sees all {n} alive, {} after the first node started",
        secs(converged)
    ));
    Ok(Joined { converged })
}
