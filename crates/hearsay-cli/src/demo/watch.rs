//! Waiting for a condition over every node's view: poll all views every 50 ms, move the bar,
//! and give up at the phase's deadline with a description of how far it got.
//!
//! Polling only decides *when a phase is over*; the times reported come from the views
//! themselves (when each node recorded the change), so they do not depend on this interval.

use std::time::{Duration, Instant};

use super::clock;
use super::cluster::{Cluster, View};
use super::error::DemoError;
use super::screen::Screen;

/// Time between two looks at every view.
const POLL: Duration = Duration::from_millis(50);

/// What a phase's check makes of one round of views.
pub enum Check<T> {
    /// The goal is reached; here is what was found.
    Done(T),
    /// Not yet: `pos` for the bar, and a short status (also used if the deadline passes).
    Pending {
        /// Progress in the bar's units.
        pos: u64,
        /// How far it got, in words.
        status: String,
    },
}

/// Polls every running node's view until `check` says done, or fails once `within` has
/// passed since `start`.
pub async fn until<T>(
    cluster: &Cluster,
    screen: &Screen,
    phase: &'static str,
    start: Instant,
    within: Duration,
    mut check: impl FnMut(&[View]) -> Check<T>,
) -> Result<T, DemoError> {
    let deadline = start + within;
    loop {
        let views = cluster.views().await?;
        match check(&views) {
            Check::Done(found) => return Ok(found),
            Check::Pending { pos, status } => {
                screen.progress(pos, &status);
                if clock::now() >= deadline {
                    return Err(DemoError::Missed {
                        phase,
                        deadline: within,
                        progress: status,
                    });
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
}
