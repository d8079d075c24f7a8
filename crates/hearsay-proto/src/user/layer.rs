//! The user-message layer's parts, owned together by the engine (as [`crate::store::Stores`]
//! holds the stores'): each part keeps its own state behind its methods; the handlers in
//! `engine/broadcasting.rs`, `engine/event_repair.rs` and `engine/querying.rs` wire them.

use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::dedupe::Dedupe;
use super::flood::Flood;
use super::model::UserOutput;
use super::queries::Queries;
use super::retention::Retention;
use super::tree::Tree;
use crate::config::Config;
use crate::event::Outbox;
use crate::intern::MemoryUse;

pub(crate) struct UserLayer {
    pub dedupe: Dedupe,
    pub retention: Retention,
    pub tree: Tree,
    pub flood: Flood,
    pub queries: Queries,
    /// Its own randomness, apart from membership's, so that using user messages never
    /// shifts membership decisions of a seeded run.
    pub rng: ChaCha8Rng,
    outputs: Outbox<UserOutput>,
    max_outputs: usize,
    /// Outputs dropped since the driver last took one.
    missed: u64,
    next_seq: u64,
    /// Set by the first user message sent or received: until then the layer runs no repair.
    /// (Tree links are opened from the start: a node that waited for its first message to
    /// open them would be unreachable for everyone who had not linked to it.)
    active: bool,
    /// When this engine started: repair never hands it messages from before.
    pub started: Instant,
    pub next_repair: Instant,
    pub next_links: Option<Instant>,
}

impl UserLayer {
    pub fn new(config: &Config, now: Instant, memory: MemoryUse) -> UserLayer {
        let seed = config.rng_seed ^ 0x05e7_e7e7_0000;
        UserLayer {
            dedupe: Dedupe::new(
                config.event_window,
                (config.expected_members.get() as usize * 2).max(1024),
                seed,
            ),
            retention: Retention::new(config.event_retention, config.event_retention_bytes, seed),
            tree: Tree::new(
                config.tree_degree as usize,
                config.tree_max_degree as usize,
                config.graft_timeout,
                config.ihave_interval,
            ),
            flood: Flood::new(seed, config.max_gossip_backlog),
            queries: Queries::new(config.max_pending_queries, 4096),
            rng: ChaCha8Rng::seed_from_u64(seed),
            outputs: Outbox::new(memory),
            max_outputs: config.max_pending_user,
            missed: 0,
            next_seq: 0,
            active: false,
            started: now,
            next_repair: now,
            next_links: Some(now),
        }
    }

    /// The next sequence number of this node's own messages (from 1).
    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Starts the layer's repair at `now`, if not started.
    pub fn activate(&mut self, now: Instant, repair_interval: std::time::Duration) {
        if !self.active {
            self.active = true;
            self.next_repair = now + repair_interval;
        }
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Queues an output for the driver. Returns true when one had to be dropped.
    pub fn output(&mut self, out: UserOutput) -> bool {
        let dropped = self.outputs.push_bounded(out, self.max_outputs);
        if dropped {
            self.missed += 1;
        }
        dropped
    }

    /// The next output: first, how many were dropped, if any were.
    pub fn poll(&mut self) -> Option<UserOutput> {
        if self.missed > 0 {
            return Some(UserOutput::Missed(std::mem::take(&mut self.missed)));
        }
        self.outputs.pop()
    }
}
