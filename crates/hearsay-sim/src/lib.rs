//! The hearsay simulator: thousands of real protocol engines on a modelled network, driven
//! by a virtual clock, reproducible from one seed.
//!
//! Every engine is the unmodified [`hearsay_proto::Engine`]; only time and the network are
//! simulated. So the figures the simulator prints (convergence, dissemination, detection,
//! false verdicts, bytes on the wire) are figures about the real protocol code, and any run
//! can be replayed byte for byte from its seed.
//!
//! ```text
//!   Scenario (flags or sweep) ──> agenda: BinaryHeap<(time, seq, what)>
//!                                      │ pop earliest, clock := its time
//!          ┌───────────────────────────┼──────────────────────────────┐
//!    deliver message              node timer                 scenario step
//!   (drop: dead / old addr /   (skip if stale: one valid     (start, kill, restart,
//!    partition; queue: paused)  deadline per node)            pause, partition, update,
//!          │                           │                      loss, heal, tick)
//!          └── Engine::handle_datagram / handle_stream / handle_timeout / commands
//!                                      │
//!           drain poll_transmit ──> network model (loss, latency) ──> agenda
//!           drain poll_event    ──> metrics, observers (invariants)
//!           poll_timeout        ──> node's one timer entry
//! ```
//!
//! Store workloads (`--kv-*`, `--state-keys`; off by default) drive the engines' replicated
//! stores through the same agenda: the map is preloaded at boot, writes and state sets are
//! scenario steps, and a 10 ms check watches the replicas' tree roots until they agree
//! ([`Report::stores`]). [`state_bench`] is the per-node state comparison with chitchat.
//!
//! Application messages (`--events`, `--queries`; off by default) are scenario steps too:
//! events and queries go out at their rates from a few members or from all, each member
//! answers every query at once, and what the members deliver is counted per event
//! ([`Report::messages`]): delivery, redundancy, hops, latency and bytes.
//!
//! Randomness: one ChaCha8 RNG seeded from the run's seed draws every latency, loss and
//! scenario choice in agenda order; each engine gets its own seed derived from the run's
//! seed, its index and its generation. Virtual time is an offset from one `Instant` taken at
//! the start, and reports print offsets, so equal seeds print equal reports.
//!
//! ```
//! use std::time::Duration;
//! use hearsay_sim::{Scenario, run};
//!
//! let mut scenario = Scenario::new(3, Duration::from_secs(20), 7);
//! scenario.update_at = Some(Duration::from_secs(10));
//! let report = run(scenario).unwrap();
//! assert!(report.join_converged_s.is_some());
//! assert!(report.spread_max_s.is_some());
//! println!("{}", report.to_table());
//! ```

mod actions;
mod addr;
mod convergence;
mod counters;
mod driving;
pub mod duration;
mod engine_messages;
mod engine_stores;
mod error;
pub mod event_load;
mod event_metrics;
mod event_report;
mod event_run;
pub mod flags;
pub mod invariants;
mod memory;
mod messages;
mod metrics;
mod network;
mod node;
mod observer;
mod parallel;
pub mod protocol;
mod queue;
mod report;
pub mod scenario;
mod setup;
mod simulation;
pub mod state_bench;
pub mod store_load;
mod store_progress;
mod store_report;
mod store_run;
mod stores;
pub mod sweep;

pub use addr::{addr_of, index_of_name, name_of, node_of};
pub use convergence::Disagreement;
pub use counters::Counters;
pub use error::SimError;
pub use event_report::EventFigures;
pub use memory::peak_rss_mb;
pub use messages::{MessageOutput, Messages};
pub use metrics::{STREAM_OVERHEAD_BYTES, UDP_OVERHEAD_BYTES};
pub use network::PARTITION_GRACE;
pub use node::INBOX_CAPACITY;
pub use observer::Observer;
pub use protocol::{Boot, HISTORY_LEN, Observation, Peer, Protocol, Seen};
pub use report::Report;
pub use scenario::{Scenario, ScenarioError};
pub use simulation::{EventSeries, Outcome, Simulation, TICK, TrafficSoFar, run};
pub use store_progress::SIM_EPOCH_MS;
pub use store_report::{KvFigures, StateFigures, StoreFigures};
pub use store_run::{IDLE_SETTLE, STORE_CHECK};
pub use stores::{Carried, Stores};
