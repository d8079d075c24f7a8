//! A tiny deterministic network for engine tests: engines on a virtual clock that jumps to the
//! next deadline, a fixed latency, and switches to kill, pause, cut or lose traffic.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::{Config, Engine, Event, LocalNode, Meta, Name, Transmit, TransmitKind};

/// Latency of every delivery.
pub const LATENCY: Duration = Duration::from_millis(2);

pub struct Node {
    pub engine: Engine,
    pub running: bool,
    pub paused_until: Option<Instant>,
    pub events: Vec<Event>,
    pub store_events: Vec<crate::StoreEvent>,
    pub user: Vec<crate::UserOutput>,
}

pub struct Net {
    pub start: Instant,
    pub now: Instant,
    pub nodes: Vec<Node>,
    addrs: BTreeMap<SocketAddr, usize>,
    /// (delivery time, sequence) -> (to, from, transmit)
    flight: BTreeMap<(Instant, u64), (SocketAddr, SocketAddr, Transmit)>,
    seq: u64,
    /// Drop every datagram (not stream) for which this returns true.
    pub lose: Box<dyn FnMut(usize, usize) -> bool>,
    /// Cut every delivery (datagram or stream) for which this returns true: a partition.
    pub cut: Box<dyn FnMut(usize, usize) -> bool>,
    /// Largest datagram seen.
    pub max_datagram: usize,
    /// Answer every query a node receives with its name, at once.
    pub auto_respond: bool,
    pub config: Config,
}

pub fn addr(i: usize, port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, (i / 250) as u8, (i % 250) as u8 + 1], port))
}

impl Net {
    pub fn new(config: Config) -> Net {
        let start = crate::test_epoch();
        Net {
            start,
            now: start,
            nodes: Vec::new(),
            addrs: BTreeMap::new(),
            flight: BTreeMap::new(),
            seq: 0,
            lose: Box::new(|_, _| false),
            cut: Box::new(|_, _| false),
            max_datagram: 0,
            auto_respond: false,
            config,
        }
    }

    /// Adds a node (generation 1, port 7946) and returns its index.
    pub fn add(&mut self) -> usize {
        let i = self.nodes.len();
        self.spawn(i, 1, addr(i, 7946));
        i
    }

    /// Starts node `i` (new or restarted) with this generation and address.
    pub fn spawn(&mut self, i: usize, generation: u64, at: SocketAddr) {
        let config = Config {
            rng_seed: i as u64 * 7919 + generation,
            ..self.config.clone()
        };
        let local = LocalNode {
            name: Name::new(&format!("node-{i}")).unwrap(),
            addr: at,
            generation,
            meta: Meta::from(&[][..]),
        };
        let node = Node {
            engine: Engine::new(config, local, self.now).unwrap(),
            running: true,
            paused_until: None,
            events: Vec::new(),
            store_events: Vec::new(),
            user: Vec::new(),
        };
        if i < self.nodes.len() {
            self.nodes[i] = node;
        } else {
            self.nodes.push(node);
        }
        self.addrs.retain(|_, n| *n != i);
        self.addrs.insert(at, i);
    }

    pub fn join(&mut self, i: usize, seed: usize) {
        let seed = self.nodes[seed].engine.local().addr;
        self.nodes[i].engine.join(self.now, &[seed]);
        self.drain(i);
    }

    pub fn engine(&mut self, i: usize) -> &mut Engine {
        &mut self.nodes[i].engine
    }

    pub fn kill(&mut self, i: usize) {
        self.nodes[i].running = false;
    }

    pub fn pause(&mut self, i: usize, d: Duration) {
        self.nodes[i].paused_until = Some(self.now + d);
    }

    /// Moves queued output of node `i` onto the network.
    pub fn drain(&mut self, i: usize) {
        let from = self.nodes[i].engine.local().addr;
        while let Some(o) = self.nodes[i].engine.poll_user() {
            if let crate::UserOutput::Query(q) = &o
                && self.auto_respond
            {
                let me = format!("node-{i}").into_bytes();
                self.nodes[i].engine.respond(self.now, &q.id, me).unwrap();
            }
            self.nodes[i].user.push(o);
        }
        while let Some(t) = self.nodes[i].engine.poll_transmit() {
            if t.kind == TransmitKind::Datagram {
                self.max_datagram = self.max_datagram.max(t.bytes.len());
            }
            self.seq += 1;
            self.flight
                .insert((self.now + LATENCY, self.seq), (t.to, from, t));
        }
        while let Some(e) = self.nodes[i].engine.poll_event() {
            self.nodes[i].events.push(e);
        }
        while let Some(e) = self.nodes[i].engine.poll_store_event() {
            self.nodes[i].store_events.push(e);
        }
    }

    fn active(&self, i: usize) -> bool {
        self.nodes[i].running && self.nodes[i].paused_until.is_none_or(|t| t <= self.now)
    }

    /// Advances virtual time by `d`, delivering and firing timers in order.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            let next_flight = self.flight.keys().next().map(|k| k.0);
            let next_timer = (0..self.nodes.len())
                .filter(|&i| self.nodes[i].running)
                .filter_map(|i| {
                    let t = self.nodes[i].engine.poll_timeout()?;
                    Some(match self.nodes[i].paused_until {
                        Some(p) => t.max(p),
                        None => t,
                    })
                })
                .min();
            let Some(next) = [next_flight, next_timer].into_iter().flatten().min() else {
                break;
            };
            if next > end {
                break;
            }
            self.now = self.now.max(next);
            if next_flight == Some(next) {
                let (_, (to, from, t)) = self.flight.pop_first().unwrap();
                let Some(&dst) = self.addrs.get(&to) else {
                    continue;
                };
                let src = self.addrs.get(&from).copied().unwrap_or(usize::MAX);
                if !self.nodes[dst].running {
                    continue;
                }
                if self.nodes[dst].paused_until.is_some_and(|p| p > self.now) {
                    // A paused node reads its socket when it wakes up.
                    let wake = self.nodes[dst].paused_until.unwrap();
                    self.seq += 1;
                    self.flight.insert((wake, self.seq), (to, from, t));
                    continue;
                }
                if (self.cut)(src, dst)
                    || (t.kind == TransmitKind::Datagram && (self.lose)(src, dst))
                {
                    continue;
                }
                let now = self.now;
                match t.kind {
                    TransmitKind::Datagram => {
                        self.nodes[dst].engine.handle_datagram(now, from, &t.bytes)
                    }
                    TransmitKind::Stream => {
                        self.nodes[dst].engine.handle_stream(now, from, &t.bytes)
                    }
                }
                self.drain(dst);
            } else {
                for i in 0..self.nodes.len() {
                    if !self.active(i) {
                        continue;
                    }
                    if self.nodes[i]
                        .engine
                        .poll_timeout()
                        .is_some_and(|t| t <= self.now)
                    {
                        let now = self.now;
                        self.nodes[i].engine.handle_timeout(now);
                        self.drain(i);
                    }
                }
            }
        }
        self.now = end;
    }

    /// Whether every running node sees exactly the running nodes alive.
    pub fn converged(&self) -> bool {
        let running: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].running)
            .collect();
        running.iter().all(|&i| {
            let e = &self.nodes[i].engine;
            e.alive_count() == running.len()
                && running.iter().all(|&j| {
                    let l = self.nodes[j].engine.local();
                    e.member(l.name.as_str()).is_some_and(|m| {
                        m.state == crate::State::Alive && m.generation == l.generation
                    })
                })
        })
    }

    /// Events of `kind` that node `observer` emitted about `subject`.
    pub fn events_about(
        &self,
        observer: usize,
        subject: usize,
        kind: crate::EventKind,
    ) -> Vec<&Event> {
        let name = format!("node-{subject}");
        self.nodes[observer]
            .events
            .iter()
            .filter(|e| e.kind == kind && e.member.name.as_str() == name)
            .collect()
    }

    /// A cluster of `n` nodes, all joined through node 0 and converged.
    pub fn converged_cluster(config: Config, n: usize) -> Net {
        let mut net = Net::new(config);
        for _ in 0..n {
            net.add();
        }
        for i in 1..n {
            net.join(i, 0);
        }
        net.run_for(Duration::from_secs(10));
        assert!(net.converged(), "cluster of {n} did not converge in 10 s");
        for node in &mut net.nodes {
            node.events.clear();
        }
        net
    }
}
