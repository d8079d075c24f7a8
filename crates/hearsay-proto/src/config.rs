//! Engine configuration: every knob documented with its default, unit and constraint.
//!
//! Start from a preset ([`Config::lan`], [`Config::wan`], [`Config::local`]) and change what you
//! need; [`Config::validate`] checks the whole and says what is wrong.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::user::EventMode;

/// Engine configuration. Build one from a preset, adjust fields, then hand it to
/// [`crate::Engine::new`], which validates it.
///
/// A plain struct on purpose: presets plus struct-update syntax
/// (`Config { probe_interval, ..Config::lan(n) }`) read better than a builder.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Seed of the engine's random number generator: the same seed and the same inputs give
    /// the same run. Defaults to 0; give every node its own (the runtime draws one from the OS).
    pub rng_seed: u64,
    /// Time between two probes of the randomized round-robin. Defaults to 1 s (LAN).
    /// Stretched by the local health multiplier when Lifeguard is on.
    pub probe_interval: Duration,
    /// How long to wait for a direct ack before asking helpers, and how long the helpers then
    /// get. Defaults to 500 ms (LAN). Must be shorter than `probe_interval`; a probe lasts
    /// `max(probe_interval, 2 * probe_timeout)`.
    pub probe_timeout: Duration,
    /// How many members are asked to probe indirectly (SWIM's k). Defaults to 3.
    pub indirect_checks: u32,
    /// Time between two rounds of gossip. Defaults to 200 ms (LAN).
    pub gossip_interval: Duration,
    /// Members gossiped to per round. Defaults to 3.
    pub gossip_fanout: u32,
    /// How long dead members still receive gossip, so that a falsely declared node learns
    /// of it and refutes. Defaults to 30 s.
    pub gossip_to_the_dead: Duration,
    /// An update is sent `retransmit_mult * ceil(log10(N + 1))` times, and at least often
    /// enough to reach every member (see [`Config::retransmit_limit`]). Defaults to 4.
    pub retransmit_mult: NonZeroU32,
    /// Minimum suspicion timeout is `suspicion_mult * max(1, log10(N)) * probe_interval`.
    /// Defaults to 4. With Lifeguard, `suspicion_mult - 2` independent confirmations shrink the
    /// timeout from its maximum to this minimum.
    pub suspicion_mult: NonZeroU32,
    /// Maximum suspicion timeout, as a multiple of the minimum. Defaults to 6 (Lifeguard);
    /// ignored (1) when `lifeguard` is off.
    pub suspicion_max_timeout_mult: NonZeroU32,
    /// Largest local health score (Lifeguard); probe interval and timeout are multiplied by
    /// `score + 1`. Defaults to 8.
    pub awareness_max_multiplier: NonZeroU32,
    /// Lifeguard on (local health awareness, dynamic suspicion with confirmations, buddy
    /// system) or off (plain SWIM), for comparison. Defaults to true.
    pub lifeguard: bool,
    /// Time between anti-entropy syncs with a random member while views agree.
    /// Defaults to 30 s. A sync costs a 20-byte digest each way when nothing differs.
    pub sync_interval: Duration,
    /// Time to the next sync after one that found differences (views are still moving:
    /// a join wave or a healed partition). Defaults to 1 s; at most `sync_interval`.
    pub sync_interval_busy: Duration,
    /// How long to wait for a sync or join answer before giving up on it. Defaults to 5 s.
    pub stream_timeout: Duration,
    /// First delay between join attempts; doubles up to `join_retry_max`. Defaults to 1 s.
    pub join_retry_initial: Duration,
    /// Longest delay between join attempts. Defaults to 30 s. Joining never gives up.
    pub join_retry_max: Duration,
    /// A seed whose table is larger than this answers a join with a random sample of this
    /// many members and the joiner pulls the full state from one of them, so joins do not
    /// pile up on the seed. Defaults to 64.
    pub join_sample: u32,
    /// How long dead and left members are kept as tombstones (preventing their old
    /// incarnations from coming back) before they are forgotten. Defaults to 60 s (LAN).
    pub dead_retention: Duration,
    /// Largest datagram the engine sends, in bytes, headers of IP and UDP excluded.
    /// Defaults to 1400. At least 512; never exceeded.
    pub max_datagram_bytes: usize,
    /// Largest stream message accepted or sent, in bytes. Defaults to 64 MiB.
    pub max_stream_bytes: usize,
    /// Largest metadata a member may carry, in bytes. Defaults to 1024; must leave room in a
    /// datagram (at most `max_datagram_bytes - 256`).
    pub max_meta_bytes: usize,
    /// Members with news waiting to be gossiped, at most. Beyond it the most-sent news is
    /// dropped and counted (`gossip_queue_full`); anti-entropy repairs what gossip did not
    /// carry. Defaults to 1024.
    pub max_gossip_backlog: usize,
    /// Entries kept in the state-change history (all members together). Defaults to 1024.
    pub history_len: usize,
    /// Events buffered for the driver before the oldest are dropped (and counted).
    /// Defaults to 65,536.
    pub max_pending_events: usize,
    /// Expected cluster size; only sizes initial allocations. Defaults to the preset's `n`.
    pub expected_members: NonZeroU32,
    /// Largest value of either store (per-node state, cluster-wide map), in bytes. Larger
    /// writes are refused; larger values from peers are dropped and counted. Defaults to
    /// 1 MiB; at most 16 MiB and at most `max_stream_bytes - 64 KiB`.
    pub max_value_bytes: usize,
    /// How long deletes of either store are kept as tombstones before they are collected.
    /// A replica away for longer gets a full reset of per-node state instead of a merge.
    /// Defaults to 1 hour.
    pub tombstone_grace: Duration,
    /// Stamps of cluster-wide writes further ahead of this node's wall clock than this are
    /// refused (a broken clock would otherwise win every later write). Defaults to 60 s.
    pub max_clock_skew: Duration,
    /// How often a node tries to reach a member it believes dead (or forgot), so that the two
    /// sides of a healed partition find each other. Stretched by `live / 16`, so the cluster
    /// makes about 16 attempts per interval whatever its size. Defaults to 2 s.
    pub reconnect_interval: Duration,
    /// How long the addresses of forgotten dead members are kept for reconnection.
    /// Defaults to 15 minutes.
    pub reconnect_timeout: Duration,
    /// Store updates waiting to be piggybacked, at most; beyond it the most-sent is dropped
    /// (anti-entropy repairs). Defaults to 4096.
    pub max_store_backlog: usize,
    /// How user events and queries spread: down a broadcast tree (the default) or flooded
    /// through gossip rounds (Serf's way, kept as a baseline).
    pub event_mode: EventMode,
    /// Largest user event or query payload (and query response). Larger ones are refused at
    /// the call. Defaults to 1 MiB.
    pub max_event_bytes: usize,
    /// Broadcast-tree links this node opens itself (it also accepts links others open).
    /// Defaults to 3, which gives about 6 links per node.
    pub tree_degree: u32,
    /// Most broadcast-tree links, opened and accepted. Defaults to 12.
    pub tree_max_degree: u32,
    /// How long announcements to lazy links are held to be batched. Defaults to 50 ms.
    pub ihave_interval: Duration,
    /// How long an announced message may take to arrive before it is asked for (and the
    /// announcer's link made eager). Defaults to 150 ms.
    pub graft_timeout: Duration,
    /// How long delivered messages are kept for grafts and repair. Defaults to 90 s.
    pub event_retention: Duration,
    /// At most this many payload bytes are kept for grafts and repair. Defaults to 32 MiB.
    pub event_retention_bytes: usize,
    /// Sequences below the highest delivered one that are still told apart per origin
    /// (older ones count as delivered). Defaults to 4096.
    pub event_window: u32,
    /// How often a node that holds recent messages compares them with a random member, so
    /// that what a partition or loss made either miss is repaired. Defaults to 2 s.
    pub event_repair_interval: Duration,
    /// Queries this node may have running at once. Defaults to 64.
    pub max_pending_queries: usize,
    /// User events and query outputs waiting for the driver, at most; beyond it the oldest
    /// are dropped and the driver is told how many. Defaults to 65,536.
    pub max_pending_user: usize,
}

/// What is wrong with a [`Config`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A duration that must be positive is zero.
    #[error("{0} must be greater than zero")]
    ZeroDuration(&'static str),
    /// `probe_timeout` is not shorter than `probe_interval`.
    #[error("probe_timeout ({timeout:?}) must be shorter than probe_interval ({interval:?})")]
    ProbeTimeoutTooLong {
        /// The configured probe timeout.
        timeout: Duration,
        /// The configured probe interval.
        interval: Duration,
    },
    /// `max_datagram_bytes` is outside 512..=65,507.
    #[error("max_datagram_bytes is {0}; use 512..=65507 (1400 suits most networks)")]
    DatagramSize(usize),
    /// `max_meta_bytes` leaves no room for the rest of a datagram.
    #[error(
        "max_meta_bytes is {meta}; with max_datagram_bytes {datagram} it may be at most {limit}"
    )]
    MetaTooLarge {
        /// Configured metadata limit.
        meta: usize,
        /// Configured datagram limit.
        datagram: usize,
        /// The largest acceptable metadata limit.
        limit: usize,
    },
    /// `sync_interval_busy` is longer than `sync_interval`.
    #[error("sync_interval_busy must not be longer than sync_interval")]
    SyncIntervals,
    /// `join_retry_initial` is longer than `join_retry_max`.
    #[error("join_retry_initial must not be longer than join_retry_max")]
    JoinRetry,
    /// `max_stream_bytes` is smaller than `max_datagram_bytes`.
    #[error("max_stream_bytes must be at least max_datagram_bytes")]
    StreamSize,
    /// A count that must be positive is zero.
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
    /// `tree_max_degree` is below `tree_degree`.
    #[error("tree_max_degree ({max}) must be at least tree_degree ({degree})")]
    TreeDegree {
        /// The links a node opens.
        degree: u32,
        /// The most links it keeps.
        max: u32,
    },
    /// `max_event_bytes` is over 16 MiB or leaves no room in a stream message.
    #[error("max_event_bytes is {0}; use at most 16 MiB and at most max_stream_bytes - 64 KiB")]
    EventSize(usize),
    /// `max_value_bytes` is over 16 MiB or leaves no room in a stream message.
    #[error("max_value_bytes is {0}; use at most 16 MiB and at most max_stream_bytes - 64 KiB")]
    ValueSize(usize),
}

const fn nz(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => panic!("zero"),
    }
}

impl Config {
    /// The LAN preset: HashiCorp memberlist's LAN timing (probe 1 s / 500 ms, k = 3, gossip
    /// every 200 ms to 3, retransmit 4, suspicion 4x with Lifeguard's 6x maximum, 1400-byte
    /// datagrams). `n` is the expected cluster size.
    pub fn lan(n: u32) -> Config {
        Config {
            rng_seed: 0,
            probe_interval: Duration::from_secs(1),
            probe_timeout: Duration::from_millis(500),
            indirect_checks: 3,
            gossip_interval: Duration::from_millis(200),
            gossip_fanout: 3,
            gossip_to_the_dead: Duration::from_secs(30),
            retransmit_mult: nz(4),
            suspicion_mult: nz(4),
            suspicion_max_timeout_mult: nz(6),
            awareness_max_multiplier: nz(8),
            lifeguard: true,
            sync_interval: Duration::from_secs(30),
            sync_interval_busy: Duration::from_secs(1),
            stream_timeout: Duration::from_secs(5),
            join_retry_initial: Duration::from_secs(1),
            join_retry_max: Duration::from_secs(30),
            join_sample: 64,
            dead_retention: Duration::from_secs(60),
            max_datagram_bytes: 1400,
            max_stream_bytes: 64 << 20,
            max_meta_bytes: 1024,
            max_gossip_backlog: 1024,
            history_len: 1024,
            max_pending_events: 65_536,
            expected_members: NonZeroU32::new(n).unwrap_or(nz(1)),
            max_value_bytes: 1 << 20,
            tombstone_grace: Duration::from_secs(3600),
            max_clock_skew: Duration::from_secs(60),
            max_store_backlog: 4096,
            reconnect_interval: Duration::from_secs(2),
            reconnect_timeout: Duration::from_secs(900),
            event_mode: EventMode::Tree,
            max_event_bytes: 1 << 20,
            tree_degree: 3,
            tree_max_degree: 12,
            ihave_interval: Duration::from_millis(50),
            graft_timeout: Duration::from_millis(150),
            event_retention: Duration::from_secs(90),
            event_retention_bytes: 32 << 20,
            event_window: 4096,
            event_repair_interval: Duration::from_secs(2),
            max_pending_queries: 64,
            max_pending_user: 65_536,
        }
    }

    /// The WAN preset: slower, more patient timing for high-latency links (probe 5 s / 2.5 s,
    /// gossip every 500 ms to 4, suspicion 6x, dead kept 5 min).
    pub fn wan(n: u32) -> Config {
        Config {
            probe_interval: Duration::from_secs(5),
            probe_timeout: Duration::from_millis(2500),
            gossip_interval: Duration::from_millis(500),
            gossip_fanout: 4,
            gossip_to_the_dead: Duration::from_secs(60),
            suspicion_mult: nz(6),
            sync_interval: Duration::from_secs(60),
            sync_interval_busy: Duration::from_secs(5),
            stream_timeout: Duration::from_secs(10),
            dead_retention: Duration::from_secs(300),
            ..Config::lan(n)
        }
    }

    /// The local preset: fast timing for nodes on one host or one rack (probe 1 s / 200 ms,
    /// gossip every 100 ms, suspicion 3x).
    pub fn local() -> Config {
        Config {
            probe_timeout: Duration::from_millis(200),
            gossip_interval: Duration::from_millis(100),
            gossip_to_the_dead: Duration::from_secs(15),
            suspicion_mult: nz(3),
            sync_interval: Duration::from_secs(15),
            sync_interval_busy: Duration::from_millis(500),
            dead_retention: Duration::from_secs(30),
            ..Config::lan(16)
        }
    }

    /// Checks the configuration as a whole; returns it unchanged when it is usable.
    pub fn validate(self) -> Result<Config, ConfigError> {
        for (name, d) in [
            ("probe_interval", self.probe_interval),
            ("probe_timeout", self.probe_timeout),
            ("gossip_interval", self.gossip_interval),
            ("sync_interval", self.sync_interval),
            ("sync_interval_busy", self.sync_interval_busy),
            ("stream_timeout", self.stream_timeout),
            ("join_retry_initial", self.join_retry_initial),
            ("reconnect_interval", self.reconnect_interval),
            ("ihave_interval", self.ihave_interval),
            ("graft_timeout", self.graft_timeout),
            ("event_retention", self.event_retention),
            ("event_repair_interval", self.event_repair_interval),
        ] {
            if d.is_zero() {
                return Err(ConfigError::ZeroDuration(name));
            }
        }
        if self.probe_timeout >= self.probe_interval {
            return Err(ConfigError::ProbeTimeoutTooLong {
                timeout: self.probe_timeout,
                interval: self.probe_interval,
            });
        }
        if !(512..=65_507).contains(&self.max_datagram_bytes) {
            return Err(ConfigError::DatagramSize(self.max_datagram_bytes));
        }
        let limit = self.max_datagram_bytes - 256;
        if self.max_meta_bytes > limit {
            return Err(ConfigError::MetaTooLarge {
                meta: self.max_meta_bytes,
                datagram: self.max_datagram_bytes,
                limit,
            });
        }
        if self.sync_interval_busy > self.sync_interval {
            return Err(ConfigError::SyncIntervals);
        }
        if self.join_retry_initial > self.join_retry_max {
            return Err(ConfigError::JoinRetry);
        }
        if self.max_stream_bytes < self.max_datagram_bytes {
            return Err(ConfigError::StreamSize);
        }
        if self.gossip_fanout == 0 {
            return Err(ConfigError::Zero("gossip_fanout"));
        }
        if self.max_gossip_backlog == 0 {
            return Err(ConfigError::Zero("max_gossip_backlog"));
        }
        if self.history_len == 0 {
            return Err(ConfigError::Zero("history_len"));
        }
        if self.max_pending_events == 0 {
            return Err(ConfigError::Zero("max_pending_events"));
        }
        if self.max_store_backlog == 0 {
            return Err(ConfigError::Zero("max_store_backlog"));
        }
        if self.max_value_bytes > crate::wire::MAX_VALUE_WIRE_BYTES
            || self.max_value_bytes + (64 << 10) > self.max_stream_bytes
        {
            return Err(ConfigError::ValueSize(self.max_value_bytes));
        }
        for (name, n) in [
            ("tree_degree", self.tree_degree as usize),
            ("event_window", self.event_window as usize),
            ("max_pending_queries", self.max_pending_queries),
            ("max_pending_user", self.max_pending_user),
        ] {
            if n == 0 {
                return Err(ConfigError::Zero(name));
            }
        }
        if self.tree_max_degree < self.tree_degree {
            return Err(ConfigError::TreeDegree {
                degree: self.tree_degree,
                max: self.tree_max_degree,
            });
        }
        if self.max_event_bytes > crate::wire::MAX_PAYLOAD_WIRE_BYTES
            || self.max_event_bytes + (64 << 10) > self.max_stream_bytes
        {
            return Err(ConfigError::EventSize(self.max_event_bytes));
        }
        Ok(self)
    }

    /// Transmissions per update for a cluster of `n` members:
    /// `retransmit_mult * ceil(log10(n + 1))`, but at least `ceil(ln(n + 1) + ln(1000))`.
    ///
    /// Push gossip in which every member sends a piece of news `k` times to random members
    /// leaves about `n * e^-k` members without it (anti-entropy repairs them, but only every
    /// `sync_interval`). The floor keeps that under one member in a thousand broadcasts; it
    /// matters below about 100 members, where `ceil(log10(n + 1))` is 1 or 2 (4 or 8
    /// transmissions left about 1 in 6 broadcasts short of a member at n = 9, 1 in 30 at 64).
    pub fn retransmit_limit(&self, n: usize) -> u32 {
        let by_size = self.retransmit_mult.get() * ceil_log10(n + 1);
        let reach = ((n as f64 + 1.0).ln() + 1000f64.ln()).ceil() as u32;
        by_size.max(reach)
    }
}

impl Default for Config {
    fn default() -> Config {
        Config::lan(16)
    }
}

/// `ceil(log10(n))` for n >= 1, computed exactly on integers (0 for n = 1).
pub(crate) fn ceil_log10(n: usize) -> u32 {
    let mut power = 1usize;
    let mut digits = 0;
    while power < n {
        power = power.saturating_mul(10);
        digits += 1;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        for c in [Config::lan(1000), Config::wan(50), Config::local()] {
            c.validate().unwrap();
        }
    }

    #[test]
    fn retransmit_limit_follows_memberlist_formula() {
        let c = Config::lan(10);
        // Small clusters: the reach floor ceil(ln(n + 1) + ln(1000)).
        assert_eq!(c.retransmit_limit(1), 8);
        assert_eq!(c.retransmit_limit(9), 10);
        assert_eq!(c.retransmit_limit(64), 12);
        // From about 100 members on: 4 * ceil(log10(n + 1)).
        assert_eq!(c.retransmit_limit(100), 12);
        assert_eq!(c.retransmit_limit(1000), 16);
        assert_eq!(c.retransmit_limit(10_000), 20);
    }

    #[test]
    fn validate_names_the_problem() {
        let c = Config {
            probe_timeout: Duration::from_secs(2),
            ..Config::lan(10)
        };
        let err = c.validate().unwrap_err();
        assert!(err.to_string().contains("probe_timeout"), "{err}");
        let c = Config {
            max_datagram_bytes: 100,
            ..Config::lan(10)
        };
        assert_eq!(c.validate(), Err(ConfigError::DatagramSize(100)));
        let c = Config {
            max_meta_bytes: 1300,
            ..Config::lan(10)
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::MetaTooLarge { limit: 1144, .. })
        ));
    }
}
