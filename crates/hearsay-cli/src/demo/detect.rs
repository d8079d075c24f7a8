//! Phase 2, failure: one node is shut down without leaving; the others must notice. Measures
//! the first suspicion, the first death verdict and the moment the last view holds it dead.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hearsay::{EventKind, State, Via};

use super::clock;
use super::cluster::{Cluster, View, changed_at};
use super::error::DemoError;
use super::feed::Feed;
use super::preset::secs;
use super::screen::Screen;
use super::watch::{self, Check};

/// Slack on top of the preset's longest suspicion: time for the first probe to fail and for
/// the verdict to spread.
const SLACK: Duration = Duration::from_secs(15);

/// The node that was killed, as it was before.
#[derive(Debug, Clone)]
pub struct Victim {
    /// Its index.
    pub index: usize,
    /// Its name.
    pub name: String,
    /// The address it had.
    pub addr: SocketAddr,
    /// The generation it had.
    pub generation: u64,
}

/// A moment after the kill, and which node got there first.
#[derive(Debug, Clone)]
pub struct First {
    /// Time since the kill.
    pub after: Duration,
    /// The node that recorded it.
    pub by: String,
}

/// What the failure phase measured.
#[derive(Debug, Clone)]
pub struct Detected {
    /// The node that was killed.
    pub victim: Victim,
    /// The first suspicion of it (`None` only if every node learned of its death directly).
    pub first_suspect: Option<First>,
    /// The first death verdict.
    pub first_dead: First,
    /// Confirmations the first verdict's suspicion had gathered (Lifeguard shortens the
    /// timeout with each), when its event was seen.
    pub confirmations: Option<u32>,
    /// Time from the kill until the last other node held it dead.
    pub all_dead: Duration,
    /// How many nodes had to notice.
    pub observers: usize,
}

/// Runs the failure phase on node `index`.
pub async fn run(
    cluster: &mut Cluster,
    screen: &mut Screen,
    index: usize,
) -> Result<Detected, DemoError> {
    let name = cluster.settings().name(index);
    let bound = cluster.settings().suspicion_bound();
    screen.heading(
        2,
        &format!("failure: {name} is shut down without a word (no leave)"),
    );
    let mut feed = Feed::about(cluster, &name);
    let (addr, generation) = cluster.kill(index).await?;
    let killed = clock::now();
    let observers = cluster.running().count();
    let names: Vec<String> = (0..cluster.settings().nodes)
        .map(|i| cluster.settings().name(i))
        .collect();

    screen.start_bar(observers as u64);
    let shown: &Screen = screen;
    let mut first_suspect: Option<(Instant, usize)> = None;
    // Confirmations behind each node's own death verdict, by node.
    let mut verdicts: HashMap<usize, u32> = HashMap::new();
    let mut announced_dead = false;
    let found = watch::until(
        cluster,
        shown,
        "failure",
        killed,
        bound.max + SLACK,
        |views| {
            for (by, e) in feed.drain() {
                if e.kind == EventKind::Down && e.cause.via == Via::Local {
                    verdicts.insert(by, e.cause.confirmations);
                }
                let ours = e.kind == EventKind::Suspect && e.member.generation == generation;
                if ours && first_suspect.is_none_or(|(at, _)| e.at < at) {
                    if first_suspect.is_none() {
                        shown.say(&format!(
                            "      {:>8}  {name} suspected by {} (a probe went unanswered)",
                            secs(e.at.saturating_duration_since(killed)),
                            names[by]
                        ));
                    }
                    first_suspect = Some((e.at, by));
                }
            }
            let Tally { dead, suspect } = Tally::of(views, &name, generation);
            let first = dead.iter().min().copied();
            if let (false, Some((at, by))) = (announced_dead, first) {
                announced_dead = true;
                let confirmed = match verdicts.get(&by) {
                    Some(c) => format!(", {c} of {} confirmations", bound.confirmations),
                    None => String::new(),
                };
                shown.say(&format!(
                    "      {:>8}  {name} declared dead by {} (its suspicion timed out{confirmed})",
                    secs(at.saturating_duration_since(killed)),
                    names[by]
                ));
            }
            match (first, dead.iter().max()) {
                (Some(first), Some(last)) if dead.len() == views.len() => {
                    Check::Done((first, last.0))
                }
                _ => Check::Pending {
                    pos: dead.len() as u64,
                    status: format!(
                        "{} of {} nodes see {name} dead, {suspect} suspect it",
                        dead.len(),
                        views.len()
                    ),
                },
            }
        },
    )
    .await?;
    screen.clear();
    let ((first_dead_at, first_dead_by), all_dead_at) = found;
    let after = |at: Instant| at.saturating_duration_since(killed);
    let all_dead = after(all_dead_at);
    screen.say(&format!(
        "      {:>8}  all {observers} others see {name} dead (suspicion timeout {} to {})",
        secs(all_dead),
        secs(bound.min),
        secs(bound.max)
    ));
    Ok(Detected {
        victim: Victim {
            index,
            name,
            addr,
            generation,
        },
        first_suspect: first_suspect.map(|(at, by)| First {
            after: after(at),
            by: names[by].clone(),
        }),
        first_dead: First {
            after: after(first_dead_at),
            by: names[first_dead_by].clone(),
        },
        confirmations: verdicts.get(&first_dead_by).copied(),
        all_dead,
        observers,
    })
}

/// Where the killed node stands in the views of one poll.
struct Tally {
    /// The views that hold it dead: when each recorded the verdict, and whose view it is.
    dead: Vec<(Instant, usize)>,
    /// How many views hold it suspect.
    suspect: usize,
}

impl Tally {
    /// Counts the views' entries for `name` at `generation` (its life before the kill).
    fn of(views: &[View], name: &str, generation: u64) -> Tally {
        let mut tally = Tally {
            dead: Vec::new(),
            suspect: 0,
        };
        for view in views {
            let Some(entry) = view.entry(name) else {
                continue;
            };
            if entry.member.generation != generation {
                continue;
            }
            match entry.member.state {
                State::Dead => tally.dead.push((changed_at(entry), view.index)),
                State::Suspect => tally.suspect += 1,
                _ => {}
            }
        }
        tally
    }
}
