//! Phase 3, restart: the killed node comes back under the same name on a new port, as a new
//! generation. Every view must replace the dead entry with the new one (new address, new
//! generation, alive), and the newcomer must learn the whole cluster.

use std::time::Duration;

use hearsay::State;

use super::clock;
use super::cluster::{Cluster, changed_at};
use super::detect::Victim;
use super::error::DemoError;
use super::preset::secs;
use super::repair::{repaired, repaired_by_sync, waiting_for_sync};
use super::screen::Screen;
use super::watch::{self, Check};

/// What the restart phase measured.
#[derive(Debug, Clone)]
pub struct Rejoined {
    /// From the restart until every view held the new node and the new node held everyone.
    pub everywhere: Duration,
    /// Where the new node listens.
    pub addr: std::net::SocketAddr,
    /// Its new generation.
    pub generation: u64,
    /// Views that learned of the new node from anti-entropy because gossip missed them.
    pub by_sync: usize,
}

/// Runs the restart phase for the node killed in phase 2.
pub async fn run(
    cluster: &mut Cluster,
    screen: &mut Screen,
    victim: &Victim,
) -> Result<Rejoined, DemoError> {
    let n = cluster.settings().nodes;
    let within = cluster.settings().repair_window();
    let name = victim.name.as_str();
    screen.heading(
        3,
        &format!("restart: {name} comes back under its name, on a new port"),
    );
    let restarted = clock::now();
    let node = cluster
        .restart(victim.index, victim.addr, victim.generation)
        .await?;
    let (addr, generation) = (node.advertise_addr(), node.generation());
    screen.say(&format!(
        "      {name} now at {addr} (was {}), generation {generation} (was {})",
        victim.addr, victim.generation
    ));

    screen.start_bar(n as u64);
    let found = watch::until(cluster, screen, "restart", restarted, within, |views| {
        let mut ready = 0;
        let mut stale = 0;
        let mut by_sync = 0;
        let mut last = restarted;
        for view in views {
            if view.index == victim.index {
                // The newcomer: ready once it knows everyone alive.
                let alive = view
                    .members
                    .iter()
                    .filter(|m| m.member.state == State::Alive);
                if alive.clone().count() == n {
                    ready += 1;
                    last = last.max(alive.map(changed_at).max().unwrap_or(last));
                }
                continue;
            }
            let Some(entry) = view.entry(name) else {
                continue;
            };
            let m = &entry.member;
            if m.generation == generation && m.addr == addr && m.state == State::Alive {
                ready += 1;
                by_sync += usize::from(repaired_by_sync(entry, restarted));
                last = last.max(changed_at(entry));
            } else if m.generation == victim.generation {
                stale += 1;
            }
        }
        if ready == views.len() {
            return Check::Done((last, by_sync));
        }
        Check::Pending {
            pos: ready as u64,
            status: format!(
                "{ready} of {} nodes see the new {name}, {stale} still hold the old one{}",
                views.len(),
                waiting_for_sync(views.len() - ready, restarted)
            ),
        }
    })
    .await?;
    screen.clear();
    let (last_change, by_sync) = found;
    let everywhere = last_change.saturating_duration_since(restarted);
    screen.say(&format!(
        "      {:>8}  all {n} nodes see {name} alive at its new address; no view holds the old \
         entry{}",
        secs(everywhere),
        repaired(by_sync)
    ));
    Ok(Rejoined {
        everywhere,
        addr,
        generation,
        by_sync,
    })
}
