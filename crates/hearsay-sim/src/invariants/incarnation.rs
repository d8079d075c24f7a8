//! Invariant: a member's incarnation, for a given generation, never goes down in any
//! observer's events.
//!
//! Incarnations only grow: a member raises its own to refute or to publish metadata, and
//! every node must ignore news about an older incarnation. An event reporting a lower one
//! than the same observer reported before means stale news overwrote fresh news.
//!
//! Keyed by (observer, observer's generation, member, member's generation): a restarted
//! observer is a new engine with no memory. A `Removed` event forgets the entry, since an
//! engine that dropped a tombstone cannot tell old news from new any more (by design).

use std::collections::HashMap;

use hearsay_proto::{Event, EventKind};

use crate::Simulation;
use crate::addr::index_of_name;

/// Highest incarnation each observer has reported per member generation.
#[derive(Debug, Default)]
pub struct IncarnationNeverDecreases {
    seen: HashMap<(u32, u64, u32, u64), u32>,
}

impl IncarnationNeverDecreases {
    /// Checks one event emitted by `observer`.
    pub fn check(
        &mut self,
        sim: &Simulation,
        observer: u32,
        event: &Event,
    ) -> Result<(), (&'static str, String)> {
        let Some(member) = index_of_name(event.member.name.as_str()) else {
            return Ok(());
        };
        let observer_generation = sim.running_generation(observer).unwrap_or(0);
        let key = (
            observer,
            observer_generation,
            member,
            event.member.generation,
        );
        if event.kind == EventKind::Removed {
            self.seen.remove(&key);
            return Ok(());
        }
        let incarnation = event.member.incarnation;
        match self.seen.get_mut(&key) {
            Some(highest) if incarnation < *highest => Err((
                "incarnation-never-decreases",
                format!(
                    "node-{observer} reported {} {} (generation {}) at incarnation {} after \
                     having reported incarnation {}",
                    event.member.name,
                    event.kind.as_str(),
                    event.member.generation,
                    incarnation,
                    highest
                ),
            )),
            Some(highest) => {
                *highest = incarnation;
                Ok(())
            }
            None => {
                self.seen.insert(key, incarnation);
                Ok(())
            }
        }
    }
}
