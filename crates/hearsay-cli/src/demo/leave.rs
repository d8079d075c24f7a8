//! Phase 4, leave: one node announces its departure and stops; every other view must hold it
//! as `left` (not dead: a leave is not a failure).

use std::time::{Duration, Instant};

use hearsay::State;

use super::clock;
use super::cluster::{Cluster, changed_at};
use super::error::DemoError;
use super::preset::secs;
use super::screen::Screen;
use super::watch::{self, Check};

/// How long the news of a leave may take to reach everyone. Gossip carries it in well under
/// a second; anti-entropy repairs a lost copy within `sync_interval_busy`.
const WITHIN: Duration = Duration::from_secs(20);

/// What the leave phase measured.
#[derive(Debug, Clone)]
pub struct Left {
    /// Who left.
    pub name: String,
    /// From the call to leave until the last other view held it as left.
    pub everywhere: Duration,
    /// How long the leaving node's own `leave()` took (it waits for the news to go out).
    pub announce: Duration,
}

/// Runs the leave phase for node `index`.
pub async fn run(
    cluster: &mut Cluster,
    screen: &mut Screen,
    index: usize,
) -> Result<Left, DemoError> {
    let name = cluster.settings().name(index);
    screen.heading(4, &format!("leave: {name} leaves gracefully"));
    let node = cluster.take_for_leave(index)?;
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
    let last_change = watch::until(cluster, screen, "leave", leaving, WITHIN, |views| {
        let left: Vec<Instant> = views
            .iter()
            .filter_map(|v| v.entry(&name))
            .filter(|m| m.member.state == State::Left)
            .map(changed_at)
            .collect();
        match left.iter().max() {
            Some(last) if left.len() == views.len() => Check::Done(*last),
            _ => Check::Pending {
                pos: left.len() as u64,
                status: format!("{} of {} nodes see {name} left", left.len(), views.len()),
            },
        }
    })
    .await?;
    screen.clear();
    let everywhere = last_change.saturating_duration_since(leaving);
    screen.say(&format!(
        "      {:>8}  all {others} others see {name} left",
        secs(everywhere)
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
    })
}
