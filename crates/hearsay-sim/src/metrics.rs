//! What the simulator measures, from engine events and transmits only.
//!
//! Everything here is O(1) per event or O(N) in total: a per-node "first seen" time for the
//! metadata update and for each killed member, and counters. Nothing is ever N x N.

use std::collections::BTreeMap;

use crate::network::Network;
use crate::node::Node;
use crate::protocol::{Observation, Protocol, Seen};
use crate::queue::Nanos;

/// "Not seen (yet)".
const NEVER: Nanos = Nanos::MAX;

/// IPv4 + UDP header bytes added to every datagram payload in traffic figures.
pub const UDP_OVERHEAD_BYTES: u64 = 28;

/// Bytes added to every stream message in traffic figures: IPv4 + TCP headers (20 + 20) of
/// one segment. It ignores the handshake, acks and teardown of a fresh connection, so it
/// understates the cost of short streams; streams are rare next to datagrams.
pub const STREAM_OVERHEAD_BYTES: u64 = 40;

/// Wire counters, all counted at send time unless named otherwise.
#[derive(Debug, Clone, Default)]
pub(crate) struct Traffic {
    pub datagrams_sent: u64,
    pub datagram_payload_bytes: u64,
    pub streams_sent: u64,
    pub stream_payload_bytes: u64,
    /// Datagrams handed to a receiving engine.
    pub datagrams_delivered: u64,
    /// Stream messages handed to a receiving engine.
    pub streams_delivered: u64,
    /// Datagrams dropped by the loss model.
    pub datagrams_lost: u64,
    /// Messages to nobody (dead node, old address) or across a partition.
    pub undeliverable: u64,
    /// Messages dropped because a paused node's inbox was full.
    pub inbox_dropped: u64,
    pub max_datagram_bytes: u64,
    /// Wire bytes (headers included) sent by node 0, the seed every cold joiner knows.
    pub seed_out_wire_bytes: u64,
    /// Wire bytes (headers included) sent to node 0.
    pub seed_in_wire_bytes: u64,
}

impl Traffic {
    /// Everything on the wire, headers included.
    pub fn wire_bytes(&self) -> u64 {
        self.datagram_payload_bytes
            + self.datagrams_sent * UDP_OVERHEAD_BYTES
            + self.stream_wire_bytes()
    }

    /// Payload bytes sent, datagrams and streams, headers not included.
    pub fn payload_bytes(&self) -> u64 {
        self.datagram_payload_bytes + self.stream_payload_bytes
    }

    /// Stream bytes on the wire, headers included.
    pub fn stream_wire_bytes(&self) -> u64 {
        self.stream_payload_bytes + self.streams_sent * STREAM_OVERHEAD_BYTES
    }
}

/// The metadata update being followed.
struct Spread {
    member: u32,
    generation: u64,
    incarnation: u32,
    at: Nanos,
    seen: Vec<Nanos>,
}

/// A killed member (one generation) being followed.
struct Victim {
    node: u32,
    killed_at: Nanos,
    seen: Vec<Nanos>,
}

/// Measurements in progress.
#[derive(Default)]
pub(crate) struct Metrics {
    pub traffic: Traffic,
    /// Agenda entries processed (stale timers excluded).
    pub steps: u64,
    pub join_converged: Option<Nanos>,
    /// 100 ms checks made once every node had started, and how many found every running
    /// node's member set equal to the running set.
    pub agreement_checks: u64,
    pub agreement_hits: u64,
    spread: Option<Spread>,
    /// Wire bytes, payload bytes and datagrams sent before the followed update was made.
    pub before_update: Option<(u64, u64, u64)>,
    victims: Vec<Victim>,
    victim_slot: BTreeMap<(u32, u64), usize>,
    /// Death verdicts about running members: (member, generation, incarnation) -> excused.
    verdicts: BTreeMap<(u32, u64, u32), bool>,
}

/// Percentiles of a dissemination, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spreading {
    pub p50: Nanos,
    pub p99: Nanos,
    pub max: Nanos,
}

impl Metrics {
    /// Starts following an update of `member` to `incarnation`, made at `at`.
    pub fn follow_update(
        &mut self,
        nodes: usize,
        member: u32,
        generation: u64,
        incarnation: u32,
        at: Nanos,
    ) {
        let t = &self.traffic;
        self.before_update = Some((t.wire_bytes(), t.payload_bytes(), t.datagrams_sent));
        self.spread = Some(Spread {
            member,
            generation,
            incarnation,
            at,
            seen: vec![NEVER; nodes],
        });
    }

    /// Starts following the death of `node` (this generation), killed at `at`.
    pub fn follow_kill(&mut self, nodes: usize, node: u32, generation: u64, at: Nanos) {
        self.victim_slot
            .insert((node, generation), self.victims.len());
        self.victims.push(Victim {
            node,
            killed_at: at,
            seen: vec![NEVER; nodes],
        });
    }

    /// Accounts for one observation by `observer`'s engine at `now`.
    pub fn on_observation<P: Protocol>(
        &mut self,
        observer: u32,
        seen: &Observation,
        now: Nanos,
        nodes: &[Node<P>],
        net: &Network,
    ) {
        let member = seen.member;
        let generation = seen.generation;
        match seen.kind {
            Seen::Alive => {
                if let Some(s) = &mut self.spread
                    && s.member == member
                    && s.generation == generation
                    && seen.version >= s.incarnation
                {
                    let slot = &mut s.seen[observer as usize];
                    *slot = (*slot).min(now);
                }
            }
            _ => {
                if let Some(&v) = self.victim_slot.get(&(member, generation)) {
                    let slot = &mut self.victims[v].seen[observer as usize];
                    *slot = (*slot).min(now);
                }
                if seen.kind == Seen::Dead {
                    self.judge_verdict(seen, now, nodes, net);
                }
            }
        }
    }

    /// Records a death verdict about a member that is in fact running. It is excused when a
    /// partition (active or ended less than [`crate::PARTITION_GRACE`] ago) lay between the
    /// member and the verdict's accuser; when the event names no accuser (verdicts learned
    /// through anti-entropy), any such partition excuses it.
    ///
    /// One death (member, generation, incarnation) reaches every node, and relays do not
    /// always keep the original accuser (a node that learned a death by anti-entropy gossips
    /// it under its own name). So a death counts as false only if none of its events is
    /// excused; the first event is normally the original accuser's own, local verdict.
    fn judge_verdict<P: Protocol>(
        &mut self,
        seen: &Observation,
        now: Nanos,
        nodes: &[Node<P>],
        net: &Network,
    ) {
        let member = seen.member;
        let Some(m) = nodes.get(member as usize) else {
            return;
        };
        if !m.is_up() || m.generation != seen.generation {
            return;
        }
        let excused = match seen.accuser {
            Some(accuser) => net.recently_cut(accuser, member, now),
            None => net.any_recent_partition(now),
        };
        let key = (member, seen.generation, seen.version);
        *self.verdicts.entry(key).or_insert(false) |= excused;
    }

    /// Distinct (member, generation, incarnation) wrongly declared dead.
    pub fn false_dead(&self) -> u64 {
        self.verdicts.values().filter(|&&excused| !excused).count() as u64
    }

    /// When the followed update was made.
    pub fn update_at(&self) -> Option<Nanos> {
        self.spread.as_ref().map(|s| s.at)
    }

    /// Members killed so far.
    pub fn killed(&self) -> u64 {
        self.victims.len() as u64
    }

    /// How long the update took to reach the nodes up at the end (the updater excluded);
    /// `None` without an update or if some node never learned it.
    pub fn spreading<P>(&self, nodes: &[Node<P>]) -> Option<Spreading> {
        let times = self.spread_times(nodes)?;
        if times.is_empty() {
            return None;
        }
        Some(Spreading {
            p50: percentile(&times, 50),
            p99: percentile(&times, 99),
            max: *times.last().unwrap_or(&0),
        })
    }

    /// When each node up at the end (the updater excluded) learned the update, from the
    /// update, sorted; `None` without an update or if some node never learned it.
    pub fn spread_times<P>(&self, nodes: &[Node<P>]) -> Option<Vec<Nanos>> {
        let s = self.spread.as_ref()?;
        let mut times = Vec::with_capacity(nodes.len());
        for (i, node) in nodes.iter().enumerate() {
            if i as u32 == s.member || !node.is_up() {
                continue;
            }
            let seen = s.seen[i];
            if seen == NEVER {
                return None;
            }
            times.push(seen.saturating_sub(s.at));
        }
        times.sort_unstable();
        Some(times)
    }

    /// Detection times: (first node to learn of any kill, every observer of every kill).
    ///
    /// The first is the earliest verdict by any engine about any victim, from its kill. The
    /// second waits, for each victim, for every node that is up at the end and has been up
    /// since before the kill; it is `None` if one of them never learned it.
    pub fn detection<P>(&self, nodes: &[Node<P>]) -> (Option<Nanos>, Option<Nanos>) {
        let mut first: Option<Nanos> = None;
        let mut all: Option<Nanos> = Some(0);
        if self.victims.is_empty() {
            return (None, None);
        }
        for v in &self.victims {
            if let Some(&t) = v.seen.iter().filter(|&&t| t != NEVER).min() {
                let d = t.saturating_sub(v.killed_at);
                first = Some(first.map_or(d, |f| f.min(d)));
            }
            for (i, node) in nodes.iter().enumerate() {
                if i as u32 == v.node || !node.is_up() || node.started_at > v.killed_at {
                    continue;
                }
                let seen = v.seen[i];
                all = if seen == NEVER {
                    None
                } else {
                    all.map(|a| a.max(seen.saturating_sub(v.killed_at)))
                };
            }
        }
        (first, all)
    }
}

/// Nearest-rank percentile of sorted, non-empty `values`.
fn percentile(values: &[Nanos], p: usize) -> Nanos {
    let rank = (values.len() * p).div_ceil(100).max(1);
    values[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<Nanos> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), 50);
        assert_eq!(percentile(&v, 99), 99);
        assert_eq!(percentile(&[7], 99), 7);
        assert_eq!(percentile(&[1, 2, 3], 50), 2);
    }

    #[test]
    fn wire_bytes_add_headers_per_message() {
        let t = Traffic {
            datagrams_sent: 2,
            datagram_payload_bytes: 100,
            streams_sent: 1,
            stream_payload_bytes: 1000,
            ..Traffic::default()
        };
        assert_eq!(t.wire_bytes(), 100 + 56 + 1000 + 40);
        assert_eq!(t.stream_wire_bytes(), 1040);
    }
}
