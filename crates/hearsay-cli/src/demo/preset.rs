//! From the demo's flags to node settings: the protocol preset sized for the cluster, the
//! injected loss, seeds, and what the preset's timing predicts (so the summary can put the
//! measured detection time next to the bound it should stay under).

use std::time::Duration;

use clap::ValueEnum;
use hearsay::{Config, Faults, Name, NodeConfig};

/// Fewest nodes: node 0 (the seed, kept running), one to kill and one to leave.
const MIN_NODES: usize = 3;
/// Most nodes. Every node in the process polls and is polled; past a few hundred the demo
/// measures the machine more than the protocol.
const MAX_NODES: usize = 256;

/// Added to the anti-entropy interval in [`Settings::repair_window`].
const REPAIR_SLACK: Duration = Duration::from_secs(15);

/// Protocol timing the nodes run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// Memberlist's LAN timing: probe every 1 s, 500 ms probe timeout, suspicion timeout
    /// 4 s x log10(nodes) (at least 4 s), up to 6 times that while unconfirmed.
    Lan,
    /// Faster, for one host: probe every 1 s, 200 ms probe timeout, gossip every 100 ms,
    /// suspicion timeout 3 s x log10(nodes) (at least 3 s), up to 6 times that while
    /// unconfirmed.
    Local,
}

/// The demo's parsed flags that shape the cluster.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How many nodes.
    pub nodes: usize,
    /// Protocol timing.
    pub preset: Preset,
    /// Fraction of outgoing datagrams every node drops.
    pub loss: f64,
    /// Seed of the engines' RNGs and of the loss draws.
    pub seed: u64,
}

/// The range a suspicion timeout can take in a cluster of this size (Lifeguard starts at the
/// maximum and shrinks to the minimum as independent confirmations arrive).
#[derive(Debug, Clone, Copy)]
pub struct SuspicionBound {
    /// Timeout once enough members confirm the suspicion.
    pub min: Duration,
    /// Timeout of an unconfirmed suspicion.
    pub max: Duration,
    /// Independent confirmations that bring the timeout down to `min` (0 without Lifeguard).
    pub confirmations: u32,
}

impl Settings {
    /// The protocol configuration every node starts from (its RNG seed set per node).
    pub fn protocol(&self) -> Config {
        let n = u32::try_from(self.nodes).unwrap_or(u32::MAX);
        match self.preset {
            Preset::Lan => Config::lan(n),
            Preset::Local => Config {
                expected_members: Config::lan(n).expected_members,
                ..Config::local()
            },
        }
    }

    /// The configuration of node `index`; `life` counts its restarts, so that a restarted
    /// node draws fresh random numbers rather than replaying its first life.
    pub fn node_config(&self, index: usize, life: u64) -> NodeConfig {
        let mut c = NodeConfig::new(Name::new(&self.name(index)).expect("names are short"));
        c.bind = ([127, 0, 0, 1], 0).into();
        let stream = mix(self.seed, (index as u64) << 8 | life);
        c.protocol = Config {
            rng_seed: stream,
            ..self.protocol()
        };
        if self.loss > 0.0 {
            c.faults = Faults::loss(self.loss, mix(stream, 1));
        }
        c
    }

    /// Node `index`'s name, zero-padded so that the names sort in index order.
    pub fn name(&self, index: usize) -> String {
        let width = (self.nodes.saturating_sub(1)).to_string().len();
        format!("node-{index:0width$}")
    }

    /// Which node is killed and restarted, and which one leaves: two distinct nodes other
    /// than node 0, drawn from the seed.
    pub fn pick_victim_and_leaver(&self) -> (usize, usize) {
        let others = self.nodes as u64 - 1;
        let victim = 1 + mix(self.seed, 0xdead) % others;
        let step = 1 + mix(self.seed, 0x1eff) % (others - 1);
        let leaver = 1 + (victim - 1 + step) % others;
        (victim as usize, leaver as usize)
    }

    /// The suspicion timeout range of this preset in a cluster of `nodes` (the engine's own
    /// formula: `suspicion_mult * max(1, log10(n)) * probe_interval`, times
    /// `suspicion_max_timeout_mult` for the maximum).
    pub fn suspicion_bound(&self) -> SuspicionBound {
        let c = self.protocol();
        let scale = (self.nodes.max(1) as f64).log10().max(1.0);
        let min = c
            .probe_interval
            .mul_f64(f64::from(c.suspicion_mult.get()) * scale);
        let max = if c.lifeguard {
            min * c.suspicion_max_timeout_mult.get()
        } else {
            min
        };
        // The engine expects `suspicion_mult - 2` confirmations, if enough others exist.
        let wanted = c.suspicion_mult.get().saturating_sub(2);
        let confirmations = if c.lifeguard && self.nodes.saturating_sub(2) >= wanted as usize {
            wanted
        } else {
            0
        };
        SuspicionBound {
            min,
            max,
            confirmations,
        }
    }

    /// How long news may take to reach every node when gossip misses one: gossip reaches
    /// most nodes in well under a second, but it is a bounded number of random pushes, and
    /// now and then (a few percent of broadcasts at 30-60 nodes, measured on loopback) one
    /// node gets none. Anti-entropy repairs that at the next sync involving it, which comes
    /// within `sync_interval` in most cases; the slack covers the rest and a busy machine.
    pub fn repair_window(&self) -> Duration {
        self.protocol().sync_interval + REPAIR_SLACK
    }

    /// One line saying what is about to run.
    pub fn banner(&self) -> String {
        let c = self.protocol();
        let bound = self.suspicion_bound();
        let loss = if self.loss > 0.0 {
            format!("{:.0}% of datagrams dropped", self.loss * 100.0)
        } else {
            "no injected loss".to_string()
        };
        format!(
            "hearsay demo: {} nodes on 127.0.0.1, {} preset (probe every {}, timeout {}, \
             suspicion {} to {}), {loss}, seed {}",
            self.nodes,
            self.preset.label(),
            secs(c.probe_interval),
            secs(c.probe_timeout),
            secs(bound.min),
            secs(bound.max),
            self.seed,
        )
    }
}

impl Preset {
    /// The preset's name as the user types it.
    pub fn label(self) -> &'static str {
        match self {
            Preset::Lan => "lan",
            Preset::Local => "local",
        }
    }
}

/// Parses `--nodes`.
pub fn parse_nodes(text: &str) -> Result<usize, String> {
    let n: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("{text} is not a count; use a whole number of nodes"))?;
    if !(MIN_NODES..=MAX_NODES).contains(&n) {
        return Err(format!(
            "{n} is out of range; use {MIN_NODES} to {MAX_NODES} nodes \
             (one seed, one to kill, one to leave)"
        ));
    }
    Ok(n)
}

/// Parses `--loss`.
pub fn parse_loss(text: &str) -> Result<f64, String> {
    let p: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text} is not a probability; use a number like 0.1"))?;
    if !(0.0..1.0).contains(&p) {
        return Err(format!(
            "{text} is out of range; use 0 up to (not including) 1, e.g. 0.1 to drop one \
             datagram in ten"
        ));
    }
    Ok(p)
}

/// A duration in seconds for people: `1.5 s`, `36 s`, `0.50 s`.
pub fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.1} s")
    } else {
        format!("{s:.2} s")
    }
}

/// splitmix64 of `a` and `b`: unrelated seeds from related inputs.
fn mix(a: u64, b: u64) -> u64 {
    let mut x = a ^ b.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(nodes: usize, seed: u64) -> Settings {
        Settings {
            nodes,
            preset: Preset::Lan,
            loss: 0.0,
            seed,
        }
    }

    #[test]
    fn victim_and_leaver_are_distinct_and_never_node_zero() {
        for nodes in [3, 4, 32, 257] {
            for seed in 0..200 {
                let (v, l) = settings(nodes, seed).pick_victim_and_leaver();
                assert!(v != 0 && l != 0 && v != l, "{nodes} nodes, seed {seed}");
                assert!(v < nodes && l < nodes, "{nodes} nodes, seed {seed}");
            }
        }
    }

    #[test]
    fn lan_bound_for_32_nodes_matches_the_engine_formula() {
        let b = settings(32, 1).suspicion_bound();
        // 4 * log10(32) = 6.02 s; Lifeguard's maximum is 6x that.
        assert_eq!(b.min.as_millis(), 6020);
        assert_eq!(b.max.as_millis(), 36123);
        assert_eq!(b.confirmations, 2);
    }

    #[test]
    fn names_sort_in_index_order() {
        let s = settings(100, 1);
        assert_eq!(s.name(7), "node-07");
        assert!(s.name(9) < s.name(10));
    }

    #[test]
    fn out_of_range_flags_say_what_to_use() {
        assert!(parse_nodes("2").unwrap_err().contains("3 to 256"));
        assert!(parse_loss("1").unwrap_err().contains("not including"));
        assert!(parse_loss("x").unwrap_err().contains("not a probability"));
        assert_eq!(parse_loss("0.1"), Ok(0.1));
    }
}
