//! Running a store workload: preloading the map, writing, setting per-node state, and
//! watching the replicas until they agree.
//!
//! ```text
//!   boot ──> wall clock := simulated epoch, map := preload (no gossip)
//!   StoreCheck every 10 ms (until every figure is known):
//!     converged? ──> start writes / set state (unless --kv-write-at / --state-at)
//!     writes over? ──> all live kv_root equal? ──> kv converged (snapshot)
//!     replicas identical + 1 s? ──> idle tail starts (snapshot)
//!     state set? ──> all live state_root equal and every key held? ──> replicated
//!   KvWrite n ──> kv_put on a random running member, KvWrite n+1 one interval later
//! ```
//!
//! Store traffic is counted at send time from each transmit ([`crate::Stores::carried`]);
//! snapshots of the counters at the moments above give the report's figures
//! (`store_report.rs`). None of this runs, and no random number is drawn for it, unless the
//! scenario has a store workload.

use hearsay_proto::Value;
use rand::Rng;

use crate::node::Status;
use crate::observer::Observer;
use crate::protocol::Protocol;
use crate::queue::{Action, Nanos, Pending};
use crate::simulation::{Simulation, nanos_of};
use crate::store_progress::{KvProgress, SIM_EPOCH_MS, Snapshot};

/// Period of the store checks: the resolution of the store convergence times.
pub const STORE_CHECK: std::time::Duration = std::time::Duration::from_millis(10);

/// The idle tail starts this long after the replicas became identical, so that exchanges
/// begun while they still differed have finished and the push-pull comparisons a change
/// starts (for `2 * sync_interval_busy`, 2 s with the LAN preset) have stopped.
pub const IDLE_SETTLE: std::time::Duration = std::time::Duration::from_secs(3);

impl<P: Protocol> Simulation<P> {
    /// Gives a freshly booted member the shared wall clock and the preloaded map.
    pub(crate) fn boot_stores(&mut self, i: u32) {
        let Some(run) = &self.stores else {
            return;
        };
        let now = self.instant(self.now);
        let epoch = self.instant(0);
        let Some(s) = self.nodes[i as usize]
            .engine
            .as_mut()
            .and_then(|e| e.stores_mut())
        else {
            return;
        };
        s.set_wall_clock(epoch, SIM_EPOCH_MS);
        if !run.preload.is_empty() {
            s.kv_restore(now, &run.preload);
        }
    }

    /// The store counters now.
    pub(crate) fn store_snapshot(&self) -> Snapshot {
        Snapshot {
            at: self.now,
            store: self.stores.as_ref().map(|r| r.traffic).unwrap_or_default(),
            stream_wire_bytes: self.metrics.traffic.stream_wire_bytes(),
        }
    }

    /// When every node first agreed on the membership: 0 when preconverged.
    fn membership_converged_at(&self) -> Option<Nanos> {
        if self.scenario.preconverged {
            Some(0)
        } else {
            self.metrics.join_converged
        }
    }

    /// One store check: starts what waits for convergence, records what has converged, and
    /// checks again in [`STORE_CHECK`] while anything is left to measure.
    pub(crate) fn store_check<O: Observer<P>>(&mut self, observer: &mut O) {
        let mut pending = false;
        if let Some(kv) = self.scenario.kv.clone() {
            pending |= self.check_kv(kv.writes() && kv.write_at.is_none(), observer);
        }
        if let Some(state) = self.scenario.state.clone() {
            pending |= self.check_state(state.at.is_none(), observer);
        }
        let next = self.now + nanos_of(STORE_CHECK);
        if pending && next <= self.end {
            self.agenda.push(next, Pending::Act(Action::StoreCheck));
        }
    }

    /// The map's part of a store check; returns whether anything is left to measure.
    fn check_kv<O: Observer<P>>(&mut self, start_when_converged: bool, observer: &mut O) -> bool {
        let membership = self.membership_converged_at();
        let Some(p) = self.stores.as_ref().and_then(|r| r.kv.as_ref()) else {
            return false;
        };
        let writes = self.scenario.kv.as_ref().is_some_and(|kv| kv.writes());
        let (started, last_write, converged) = (p.window.is_some(), p.last_write, p.converged);
        if writes && !started {
            if start_when_converged && membership.is_some() {
                self.start_kv_writes(observer);
            }
            return true;
        }
        if writes && last_write.is_none() {
            return true;
        }
        if writes && converged.is_none() {
            if !self.roots_agree(|s| s.kv_root()) {
                return true;
            }
            let snapshot = self.store_snapshot();
            if let Some(p) = self.kv_progress() {
                p.converged = Some(snapshot);
            }
        }
        let identical = if writes {
            self.kv_progress().and_then(|p| p.converged).map(|s| s.at)
        } else {
            Some(0)
        };
        let Some(ready) = identical.zip(membership).map(|(a, b)| a.max(b)) else {
            return true;
        };
        if self.kv_progress().is_some_and(|p| p.tail.is_some()) {
            return false;
        }
        if self.now < ready + nanos_of(IDLE_SETTLE) {
            return true;
        }
        let snapshot = self.store_snapshot();
        if let Some(p) = self.kv_progress() {
            p.tail = Some(snapshot);
        }
        false
    }

    /// The per-node state's part of a store check; returns whether anything is left.
    fn check_state<O: Observer<P>>(&mut self, set_when_converged: bool, observer: &mut O) -> bool {
        let Some(p) = self.stores.as_ref().and_then(|r| r.state.as_ref()) else {
            return false;
        };
        if p.replicated_at.is_some() {
            return false;
        }
        if p.set_at.is_none() {
            if set_when_converged && self.membership_converged_at().is_some() {
                self.set_state_everywhere(observer);
            }
            return true;
        }
        let keys = self.scenario.state.as_ref().map_or(0, |s| s.keys_per_node) as usize;
        let setters_up = p
            .setters
            .iter()
            .filter(|&&(i, generation)| {
                let n = &self.nodes[i as usize];
                n.is_up() && n.generation == generation
            })
            .count();
        if !self.roots_agree(|s| s.state_root()) {
            return true;
        }
        let held = self
            .nodes
            .iter()
            .filter(|n| n.is_up())
            .find_map(|n| n.engine.as_ref()?.stores())
            .map_or(0, |s| s.state_entries());
        if held != setters_up * keys {
            return true;
        }
        let now = self.now;
        if let Some(p) = self.stores.as_mut().and_then(|r| r.state.as_mut()) {
            p.replicated_at = Some(now);
        }
        false
    }

    fn kv_progress(&mut self) -> Option<&mut KvProgress> {
        self.stores.as_mut()?.kv.as_mut()
    }

    /// Whether every node that is up reports the same `root`.
    fn roots_agree(&self, root: impl Fn(&dyn crate::Stores) -> u64) -> bool {
        let mut roots = self
            .nodes
            .iter()
            .filter(|n| n.is_up())
            .filter_map(|n| n.engine.as_ref()?.stores().map(&root));
        let Some(first) = roots.next() else {
            return true;
        };
        roots.all(|r| r == first)
    }

    /// The write window opens now: the first write is made at once.
    pub(crate) fn start_kv_writes<O: Observer<P>>(&mut self, observer: &mut O) {
        let snapshot = self.store_snapshot();
        match self.kv_progress() {
            Some(p) if p.window.is_none() => p.window = Some(snapshot),
            _ => return,
        }
        self.kv_write(0, observer);
    }

    /// Write number `seq` of the window, by a random running member; schedules the next.
    pub(crate) fn kv_write<O: Observer<P>>(&mut self, seq: u32, observer: &mut O) {
        let Some(kv) = self.scenario.kv.clone() else {
            return;
        };
        let Some(start) = self
            .stores
            .as_ref()
            .and_then(|r| r.kv.as_ref()?.window)
            .map(|s| s.at)
        else {
            return;
        };
        let writer = self
            .pick_from(|_, n| n.status == Status::Running, 1)
            .first()
            .copied();
        let key = if kv.keys > 0 {
            format!("key-{}", self.rng.random_range(0..kv.keys))
        } else {
            format!("new-{seq}")
        };
        let now = self.instant(self.now);
        if let Some(i) = writer {
            let tag = format!("write {seq};");
            let value: Value = tag.bytes().cycle().take(kv.value_bytes as usize).collect();
            let written = self.nodes[i as usize]
                .engine
                .as_mut()
                .and_then(|e| e.stores_mut())
                .is_some_and(|s| s.kv_put(now, &key, value));
            if written && let Some(p) = self.kv_progress() {
                p.writes += 1;
            }
            self.after_call(i, observer, false);
        }
        let interval = (1e9 / kv.writes_per_s).round().max(1.0) as Nanos;
        let next = u64::from(seq) + 1;
        let next_at = next.saturating_mul(interval);
        if next_at < nanos_of(kv.write_for) && next <= u64::from(u32::MAX) {
            self.agenda.push(
                start + next_at,
                Pending::Act(Action::KvWrite { seq: next as u32 }),
            );
        } else {
            let now = self.now;
            if let Some(p) = self.kv_progress() {
                p.last_write = Some(now);
            }
        }
    }

    /// Every running member sets its keys `key-0` ... now.
    pub(crate) fn set_state_everywhere<O: Observer<P>>(&mut self, observer: &mut O) {
        let Some(load) = self.scenario.state.clone() else {
            return;
        };
        match self.stores.as_ref().and_then(|r| r.state.as_ref()) {
            Some(p) if p.set_at.is_none() => {}
            _ => return,
        }
        let now = self.instant(self.now);
        let mut setters = Vec::new();
        for i in 0..self.nodes.len() as u32 {
            let node = &mut self.nodes[i as usize];
            if node.status != Status::Running {
                continue;
            }
            let generation = node.generation;
            let Some(s) = node.engine.as_mut().and_then(|e| e.stores_mut()) else {
                continue;
            };
            let mut all = true;
            for k in 0..load.keys_per_node {
                let tag = format!("{i}/{k};");
                let value: Value = tag
                    .bytes()
                    .cycle()
                    .take(load.value_bytes as usize)
                    .collect();
                all &= s.state_set(now, &format!("key-{k}"), value);
            }
            if all {
                setters.push((i, generation));
            }
            self.after_call(i, observer, false);
        }
        let at = self.now;
        if let Some(p) = self.stores.as_mut().and_then(|r| r.state.as_mut()) {
            p.set_at = Some(at);
            p.setters = setters;
        }
    }
}
