//! The demo's nodes: starting them, looking at every view at once, killing, restarting and
//! retiring them, and adding up their traffic at the end.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hearsay::{EventKind, MemberInfo, Node, NodeInfo};

use super::error::DemoError;
use super::preset::Settings;

/// Starts tried before a restarted node settles for its old port.
const NEW_PORT_ATTEMPTS: u32 = 8;

/// N nodes in this process, by index. A slot is empty while its node is down.
pub struct Cluster {
    settings: Settings,
    nodes: Vec<Option<Node>>,
    /// How many times each node was started (1 for most; 2 once restarted).
    lives: Vec<u64>,
    /// Counters of lives that ended (a killed node's first life, a node that left), so that
    /// the traffic table counts everything each name sent.
    retired: Vec<(usize, NodeInfo)>,
    /// Index of the node that left, if one has.
    left: Option<usize>,
}

/// One node's view of the cluster at one moment.
pub struct View {
    /// Which node looked.
    pub index: usize,
    /// What it saw, sorted by name.
    pub members: Vec<MemberInfo>,
}

/// What one node (all its lives together) sent and received during the demo.
#[derive(Debug, Clone, Default)]
pub struct NodeTraffic {
    /// The node's name.
    pub name: String,
    /// `restarted`, `left` or empty.
    pub note: &'static str,
    /// Datagrams sent (before injected loss).
    pub datagrams_out: u64,
    /// Datagrams received.
    pub datagrams_in: u64,
    /// Datagram payload bytes sent.
    pub bytes_out: u64,
    /// Datagram payload bytes received.
    pub bytes_in: u64,
    /// Stream frames sent (joins and anti-entropy).
    pub streams_out: u64,
    /// Members this node started suspecting.
    pub suspicions: u64,
    /// Times this node refuted a suspicion of itself.
    pub refutations: u64,
}

/// Everybody's traffic, and the time it was counted over.
pub struct Traffic {
    /// One row per node, in index order.
    pub nodes: Vec<NodeTraffic>,
    /// From the first node's start to the end of the last phase.
    pub over: Duration,
}

impl Cluster {
    /// Starts every node (each alone; the join phase introduces them).
    pub async fn start(settings: &Settings) -> Result<Cluster, DemoError> {
        let mut cluster = Cluster {
            settings: settings.clone(),
            nodes: Vec::with_capacity(settings.nodes),
            lives: vec![1; settings.nodes],
            retired: Vec::new(),
            left: None,
        };
        for index in 0..settings.nodes {
            match Node::start(settings.node_config(index, 0)).await {
                Ok(node) => cluster.nodes.push(Some(node)),
                Err(source) => {
                    cluster.shutdown().await;
                    return Err(DemoError::Start {
                        name: settings.name(index),
                        source,
                    });
                }
            }
        }
        Ok(cluster)
    }

    /// The settings the cluster was started with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Node `index`, if it is running.
    pub fn node(&self, index: usize) -> Option<&Node> {
        self.nodes.get(index).and_then(Option::as_ref)
    }

    /// Every running node's view, in index order.
    pub async fn views(&self) -> Result<Vec<View>, DemoError> {
        let mut views = Vec::with_capacity(self.nodes.len());
        for (index, node) in self.running() {
            let members = node.members().await.map_err(|_| self.stopped(index))?;
            views.push(View { index, members });
        }
        Ok(views)
    }

    /// Shuts node `index` down without a leave: to the others it has failed. Returns the
    /// address and generation it had.
    pub async fn kill(&mut self, index: usize) -> Result<(SocketAddr, u64), DemoError> {
        let node = self.nodes[index]
            .take()
            .ok_or_else(|| self.stopped(index))?;
        let info = node.info().await.map_err(|_| self.stopped(index))?;
        node.shutdown().await;
        self.retired.push((index, info));
        Ok((node.advertise_addr(), node.generation()))
    }

    /// Starts node `index` again under its name, on a port other than `old_addr` and with a
    /// generation newer than `old_generation`, and has it join through node 0.
    pub async fn restart(
        &mut self,
        index: usize,
        old_addr: SocketAddr,
        old_generation: u64,
    ) -> Result<&Node, DemoError> {
        let seed = self
            .node(0)
            .ok_or_else(|| self.stopped(0))?
            .advertise_addr();
        let life = self.lives[index];
        let mut config = self.settings.node_config(index, life);
        // The default (the clock in ms) is newer already; say so rather than rely on it.
        config.generation = Some(hearsay::unix_millis().max(old_generation + 1));
        let mut attempts = 0;
        let node = loop {
            let node = Node::start(config.clone())
                .await
                .map_err(|source| DemoError::Start {
                    name: self.settings.name(index),
                    source,
                })?;
            // The OS may hand the freed port straight back; the demo promises a new one (and
            // settles for the old one only if the OS insists: the generation is new anyway).
            attempts += 1;
            if node.advertise_addr() != old_addr || attempts == NEW_PORT_ATTEMPTS {
                break node;
            }
            node.shutdown().await;
        };
        node.join(&[seed]).await.map_err(|_| self.stopped(index))?;
        self.lives[index] += 1;
        Ok(self.nodes[index].insert(node))
    }

    /// Takes node `index` out of the cluster to leave it gracefully; the caller leaves,
    /// then hands the node back to [`Cluster::retire`].
    pub fn take_for_leave(&mut self, index: usize) -> Result<Node, DemoError> {
        self.left = Some(index);
        self.nodes[index].take().ok_or_else(|| self.stopped(index))
    }

    /// Keeps the final counters of a node that left.
    pub fn retire(&mut self, index: usize, info: NodeInfo) {
        self.retired.push((index, info));
    }

    /// Every node's traffic over `over`, all lives added up.
    pub async fn traffic(&self, over: Duration) -> Result<Traffic, DemoError> {
        let mut rows: Vec<NodeTraffic> = (0..self.nodes.len())
            .map(|i| NodeTraffic {
                name: self.settings.name(i),
                note: if Some(i) == self.left {
                    "left"
                } else if self.lives[i] > 1 {
                    "restarted"
                } else {
                    ""
                },
                ..NodeTraffic::default()
            })
            .collect();
        for (index, info) in &self.retired {
            add(&mut rows[*index], info);
        }
        for (index, node) in self.running() {
            let info = node.info().await.map_err(|_| self.stopped(index))?;
            add(&mut rows[index], &info);
        }
        Ok(Traffic { nodes: rows, over })
    }

    /// Stops every running node at once (no leave).
    pub async fn shutdown(&mut self) {
        for node in self.nodes.iter_mut().filter_map(Option::take) {
            node.shutdown().await;
        }
    }

    /// Every running node, with its index.
    pub fn running(&self) -> impl Iterator<Item = (usize, &Node)> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.as_ref().map(|n| (i, n)))
    }

    /// Hands the running nodes over (for `--keep-running`).
    pub fn into_nodes(self) -> Vec<Node> {
        self.nodes.into_iter().flatten().collect()
    }

    fn stopped(&self, index: usize) -> DemoError {
        DemoError::NodeStopped {
            name: self.settings.name(index),
        }
    }
}

impl View {
    /// The entry this view holds for `name`, if any.
    pub fn entry(&self, name: &str) -> Option<&MemberInfo> {
        self.members
            .binary_search_by(|m| m.member.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.members[i])
    }
}

/// When `info`'s node saw the member's current state begin, to the microsecond: the instant of
/// the event that set it, when the node still has it. `MemberView::since` is kept in 100 ms
/// ticks, too coarse for times on loopback, so it is only the fallback.
pub fn changed_at(info: &MemberInfo) -> Instant {
    let m = &info.member;
    info.last_change
        .as_ref()
        .filter(|e| {
            e.kind != EventKind::Updated
                && e.member.state == m.state
                && e.member.generation == m.generation
        })
        .map_or(m.since, |e| e.at)
}

fn add(row: &mut NodeTraffic, info: &NodeInfo) {
    let s = &info.stats;
    row.datagrams_out += s.datagrams_out;
    row.datagrams_in += s.datagrams_in;
    row.bytes_out += s.datagram_bytes_out;
    row.bytes_in += s.datagram_bytes_in;
    row.streams_out += s.streams_out;
    row.suspicions += s.suspicions;
    row.refutations += s.refutations;
}
