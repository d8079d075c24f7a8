//! iroh-gossip 0.101 as a simulator member: its sans-IO protocol state
//! (`iroh_gossip::proto::State`: HyParView membership, Plumtree broadcast) driven over
//! `hearsay-sim`'s network, so that its user events meet exactly the same latency draws,
//! faults and measurements as hearsay's.
//!
//! iroh-gossip runs over QUIC connections in real deployments; the state machine asks its
//! driver to send messages to peers, to close connections, and to tell it when a connection to
//! a peer broke. The adapter models those connections on the simulator's streams (reliable
//! and ordered, lost only when an end dies; datagram loss does not touch them, as QUIC
//! retransmits, though the retransmission delay it would add is not modelled):
//!
//! - a connection to a peer exists from the first message either way until one end closes it
//!   (`DisconnectPeer`: the adapter sends a close frame, and the other end reports
//!   `PeerDisconnected`) or it goes idle;
//! - every [`KEEPALIVE`] each end sends a keep-alive frame on every connection, and a
//!   connection that has heard nothing for [`IDLE_TIMEOUT`] is dropped and reported as
//!   `PeerDisconnected` (QUIC's idle timeout): that is how a killed peer is noticed.
//!
//! iroh-gossip reads time as `n0_future`'s `Instant`, which is tokio's on native targets: a
//! plain wrapper of the std `Instant` the simulator hands over, converted at each call (no
//! runtime involved).
//!
//! Every member joins one topic. The first node of a cold join starts the topic alone; every
//! other node joins through the seeds the simulator gives it (node 0) and the two nodes
//! numbered just below it, a few bootstrap peers as an application would configure.
//! Peer identities are the members' simulated addresses, which change on every restart.
//!
//! A connection delivers in order, as a QUIC stream does, while the simulator draws each
//! message's latency on its own: so every frame carries a per-peer sequence number
//! (8 bytes, counted as wire bytes) and the receiver hands frames over in that order,
//! holding back any that overtook an earlier one.
//!
//! Frames on the wire: the sequence number, one tag byte, then for `TAG_MESSAGE` the postcard encoding of the
//! protocol message (its size is what iroh-gossip itself measures against
//! `max_message_size`). Plumtree messages (payloads, `IHave`, `Graft`, `Prune`) are the
//! application-message traffic ([`Messages::message_bytes`]); HyParView's and the
//! keep-alives are not. The metrics of membership (views, detection) do not apply to a
//! partial-view protocol and are not reported for it.

use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hearsay_proto::user::{MsgId, Payload};
use hearsay_proto::{Transmit, TransmitKind};
use hearsay_sim::{
    Boot, Counters, MessageOutput, Messages, Observation, Peer, Protocol, Scenario, SimError,
};
use hearsay_sim::{addr_of, node_of};
use iroh_gossip::proto::{
    Config, DeliveryScope, Event, InEvent, Message, OutEvent, PeerData, Scope, State, Timer,
    TopicId,
};
use rand_foca::SeedableRng;
use rand_foca::rngs::SmallRng;

/// Period of the keep-alive frames on every open connection.
pub const KEEPALIVE: Duration = Duration::from_secs(1);
/// A connection that has heard nothing for this long is dropped, as by QUIC's idle
/// timeout, and reported to the protocol as disconnected.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// The topic every member joins.
const TOPIC: TopicId = TopicId::from_bytes([7; 32]);

/// A protocol message follows (postcard).
const TAG_MESSAGE: u8 = 0;
/// Keep-alive: nothing follows.
const TAG_KEEPALIVE: u8 = 1;
/// The sender closed the connection.
const TAG_CLOSE: u8 = 2;

/// Bytes of a frame's sequence number.
const SEQ_BYTES: usize = 8;
/// Offset of the tag byte in a frame.
const TAG_AT: usize = SEQ_BYTES;
/// Offset of the topic message's variant in a postcard-encoded [`Message`] frame: after the
/// sequence number, the tag byte and the 32 bytes of the topic id. Variant 1 is Plumtree's.
const VARIANT_AT: usize = SEQ_BYTES + 1 + 32;
const GOSSIP_VARIANT: u8 = 1;

type Gossip = State<SocketAddr, SmallRng>;

/// Settings shared by every iroh member of a run.
pub struct IrohConfig {
    config: Config,
}

/// A timer iroh-gossip asked for, or the adapter's keep-alive round; ordered by due time,
/// then by request order.
struct Due {
    at: Instant,
    seq: u64,
    timer: Option<Timer<SocketAddr>>,
}

impl PartialEq for Due {
    fn eq(&self, other: &Due) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Due) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    /// Reversed: the max-heap yields the earliest first.
    fn cmp(&self, other: &Due) -> std::cmp::Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// What the adapter reports: iroh-gossip's neighbour changes (not used by the metrics).
#[derive(Debug, Clone)]
pub enum IrohEvent {
    /// A peer joined this member's active view.
    NeighborUp(SocketAddr),
    /// A peer left it.
    NeighborDown(SocketAddr),
}

/// One iroh-gossip member in the simulator.
pub struct IrohMember {
    state: Gossip,
    index: u32,
    transmits: VecDeque<Transmit>,
    events: VecDeque<IrohEvent>,
    messages: VecDeque<MessageOutput>,
    timers: BinaryHeap<Due>,
    next_seq: u64,
    /// Open connections: peer -> when it was last heard from.
    conns: BTreeMap<SocketAddr, Instant>,
    /// Next sequence number of the frames to each peer.
    sent: BTreeMap<SocketAddr, u64>,
    /// From each peer: the sequence number expected next, and frames that came early.
    received: BTreeMap<SocketAddr, (u64, BTreeMap<u64, Vec<u8>>)>,
    /// Neighbours (active view) as reported.
    neighbours: usize,
    /// Frames that did not decode.
    errors: u64,
}

impl IrohMember {
    /// Hands `event` to iroh-gossip and carries out what it asks for.
    fn handle(&mut self, now: Instant, event: InEvent<SocketAddr>) {
        let out: Vec<OutEvent<SocketAddr>> = self
            .state
            .handle(event, tokio::time::Instant::from_std(now), None)
            .collect();
        for event in out {
            match event {
                OutEvent::SendMessage(to, message) => {
                    let mut bytes = vec![TAG_MESSAGE];
                    match postcard::to_extend(&message, bytes) {
                        Ok(b) => bytes = b,
                        Err(_) => {
                            self.errors += 1;
                            continue;
                        }
                    }
                    self.conns.entry(to).or_insert(now);
                    self.send(to, bytes);
                }
                OutEvent::EmitEvent(_, event) => self.emit(event),
                OutEvent::ScheduleTimer(after, timer) => self.schedule(now + after, Some(timer)),
                OutEvent::DisconnectPeer(peer) => {
                    if self.conns.remove(&peer).is_some() {
                        self.send(peer, vec![TAG_CLOSE]);
                    }
                }
                OutEvent::PeerData(..) => {}
            }
        }
    }

    fn emit(&mut self, event: iroh_gossip::proto::topic::Event<SocketAddr>) {
        match event {
            Event::NeighborUp(peer) => {
                self.neighbours += 1;
                self.events.push_back(IrohEvent::NeighborUp(peer));
            }
            Event::NeighborDown(peer) => {
                self.neighbours = self.neighbours.saturating_sub(1);
                self.events.push_back(IrohEvent::NeighborDown(peer));
            }
            Event::Received(gossip) => {
                let hops = match gossip.scope {
                    DeliveryScope::Swarm(round) => round_of(&round).map_or(0, |r| r + 1),
                    DeliveryScope::Neighbors => 1,
                };
                self.messages.push_back(MessageOutput::Event {
                    payload: Payload::from(&gossip.content[..]),
                    hops,
                });
            }
        }
    }

    /// Sends `frame` (tag and body) to `to`, after its sequence number.
    fn send(&mut self, to: SocketAddr, frame: Vec<u8>) {
        let seq = self.sent.entry(to).or_insert(0);
        let mut bytes = Vec::with_capacity(SEQ_BYTES + frame.len());
        bytes.extend_from_slice(&seq.to_le_bytes());
        bytes.extend_from_slice(&frame);
        *seq += 1;
        self.transmits.push_back(Transmit {
            to,
            bytes,
            kind: TransmitKind::Stream,
        });
    }

    /// One frame (tag and body) from `from`, in connection order.
    fn receive(&mut self, now: Instant, from: SocketAddr, frame: &[u8]) {
        match frame.first() {
            Some(&TAG_MESSAGE) => match postcard::from_bytes::<Message<SocketAddr>>(&frame[1..]) {
                Ok(message) => {
                    self.conns.insert(from, now);
                    self.handle(now, InEvent::RecvMessage(from, message));
                }
                Err(_) => self.errors += 1,
            },
            Some(&TAG_KEEPALIVE) => {
                if let Some(heard) = self.conns.get_mut(&from) {
                    *heard = now;
                }
            }
            Some(&TAG_CLOSE) => {
                if self.conns.remove(&from).is_some() {
                    self.handle(now, InEvent::PeerDisconnected(from));
                }
            }
            _ => self.errors += 1,
        }
    }

    fn schedule(&mut self, at: Instant, timer: Option<Timer<SocketAddr>>) {
        self.timers.push(Due {
            at,
            seq: self.next_seq,
            timer,
        });
        self.next_seq += 1;
    }

    /// The keep-alive round: drops idle connections (reporting them) and keeps the others.
    fn keepalive(&mut self, now: Instant) {
        let idle: Vec<SocketAddr> = self
            .conns
            .iter()
            .filter(|(_, heard)| now.saturating_duration_since(**heard) >= IDLE_TIMEOUT)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in idle {
            self.conns.remove(&peer);
            self.handle(now, InEvent::PeerDisconnected(peer));
        }
        let open: Vec<SocketAddr> = self.conns.keys().copied().collect();
        for peer in open {
            self.send(peer, vec![TAG_KEEPALIVE]);
        }
        self.schedule(now + KEEPALIVE, None);
    }
}

/// The hop count in a Plumtree round (its one field is private; postcard writes it as a
/// varint).
fn round_of<T: serde::Serialize>(round: &T) -> Option<u32> {
    let bytes = postcard::to_allocvec(round).ok()?;
    postcard::from_bytes::<u16>(&bytes).ok().map(u32::from)
}

impl Protocol for IrohMember {
    type Config = IrohConfig;
    type Event = IrohEvent;
    type Roster = ();

    const NAME: &'static str = "iroh-gossip";
    const MESSAGES: bool = true;

    fn configure(scenario: &Scenario) -> Result<IrohConfig, SimError> {
        let mut config = Config::default();
        if let Some(load) = &scenario.events {
            // Room for the payload and the message's envelope.
            config.max_message_size = config.max_message_size.max(load.event_bytes as usize + 256);
        }
        Ok(IrohConfig { config })
    }

    fn boot(config: &IrohConfig, boot: Boot<'_>, now: Instant) -> IrohMember {
        let state = State::new(
            boot.addr,
            PeerData::default(),
            config.config.clone(),
            SmallRng::seed_from_u64(boot.seed),
        );
        let mut member = IrohMember {
            state,
            index: boot.index,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            messages: VecDeque::new(),
            timers: BinaryHeap::new(),
            next_seq: 0,
            conns: BTreeMap::new(),
            sent: BTreeMap::new(),
            received: BTreeMap::new(),
            neighbours: 0,
            errors: 0,
        };
        member.handle(now, InEvent::Command(TOPIC, Command::Join(Vec::new())));
        member.schedule(now + KEEPALIVE, None);
        member
    }

    fn join(&mut self, now: Instant, seeds: &[SocketAddr]) {
        let mut peers = seeds.to_vec();
        // Two more bootstrap peers: the nodes numbered just below this one (first start).
        for below in 1..=2 {
            if let Some(j) = self.index.checked_sub(below)
                && j != 0
            {
                peers.push(addr_of(j, 0));
            }
        }
        peers.retain(|p| node_of(*p).is_some_and(|(j, _)| j != self.index));
        self.handle(now, InEvent::Command(TOPIC, Command::Join(peers)));
    }

    fn roster(_peers: &[Peer<'_>]) {}

    fn preconverge(&mut self, _now: Instant, _roster: &()) {
        // A partial-view protocol has no full membership to learn; runs join cold.
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        self.handle_stream(now, from, bytes);
    }

    fn handle_stream(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        let Some((seq, frame)) = bytes.split_first_chunk::<SEQ_BYTES>() else {
            self.errors += 1;
            return;
        };
        let seq = u64::from_le_bytes(*seq);
        let (next, early) = self.received.entry(from).or_default();
        if seq != *next {
            if seq > *next {
                early.insert(seq, frame.to_vec());
            }
            return;
        }
        *next += 1;
        let mut ready = vec![frame.to_vec()];
        while let Some(f) = early.remove(next) {
            *next += 1;
            ready.push(f);
        }
        for frame in ready {
            self.receive(now, from, &frame);
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        while self.timers.peek().is_some_and(|t| t.at <= now) {
            let Some(due) = self.timers.pop() else { break };
            match due.timer {
                Some(timer) => self.handle(now, InEvent::TimerExpired(timer)),
                None => self.keepalive(now),
            }
        }
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<IrohEvent> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|t| t.at)
    }

    fn observe(_event: &IrohEvent) -> Option<Observation> {
        None
    }

    fn publish_update(&mut self, _now: Instant, _label: &str) -> Option<u32> {
        None
    }

    fn version(&self) -> u32 {
        0
    }

    fn alive_count(&self) -> usize {
        1 + self.neighbours
    }

    fn live_count(&self) -> usize {
        1 + self.neighbours
    }

    fn view_root(&self) -> u64 {
        0
    }

    fn add_counters(&self, totals: &mut Counters) {
        if self.errors > 0 {
            *totals.dropped.entry("iroh_error").or_default() += self.errors;
        }
    }

    fn messages(&self) -> Option<&dyn Messages> {
        Some(self)
    }

    fn messages_mut(&mut self) -> Option<&mut dyn Messages> {
        Some(self)
    }
}

use iroh_gossip::proto::Command;

impl Messages for IrohMember {
    fn broadcast(&mut self, now: Instant, payload: Payload) -> bool {
        let content = Bytes::copy_from_slice(&payload);
        self.handle(
            now,
            InEvent::Command(TOPIC, Command::Broadcast(content, Scope::Swarm)),
        );
        // iroh-gossip does not deliver a member's own broadcast to it; the simulator does
        // not count the origin's delivery anyway.
        true
    }

    fn query(&mut self, _now: Instant, _payload: Payload, _timeout: Duration) -> Option<u64> {
        None
    }

    fn respond(&mut self, _now: Instant, _id: &MsgId, _payload: Payload) -> bool {
        false
    }

    fn poll_message(&mut self) -> Option<MessageOutput> {
        self.messages.pop_front()
    }

    fn payloads_in(&self) -> u64 {
        self.state
            .state(&TOPIC)
            .map_or(0, |t| t.gossip_stats().payload_messages_received)
    }

    fn message_bytes(&self, transmit: &Transmit) -> u64 {
        let b = &transmit.bytes;
        if b.get(TAG_AT) == Some(&TAG_MESSAGE) && b.get(VARIANT_AT) == Some(&GOSSIP_VARIANT) {
            b.len() as u64
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_sim::Simulation;
    use hearsay_sim::event_load::EventLoad;

    #[test]
    fn a_small_cold_cluster_delivers_every_event() {
        let mut s = Scenario::new(20, Duration::from_secs(20), 1);
        let mut load = EventLoad::new(5.0);
        load.at = Some(Duration::from_secs(8));
        load.send_for = Duration::from_secs(4);
        load.event_bytes = 200;
        s.events = Some(load);
        let report = Simulation::<IrohMember>::for_protocol(s)
            .unwrap()
            .run(&mut ())
            .report;
        let m = report.messages.unwrap();
        assert_eq!(m.events_sent, Some(20));
        assert_eq!(m.event_delivered_pct, Some(100.0));
        assert!(m.event_ldh.unwrap() >= 1);
        assert!(m.event_rmr.unwrap() >= 0.0);
        assert!(m.event_bytes_per_member_s.unwrap() > 0.0);
        assert!(report.dropped_input_by_reason.is_empty());
    }

    #[test]
    fn queries_are_refused_for_iroh() {
        let mut s = Scenario::new(5, Duration::from_secs(10), 1);
        let mut load = EventLoad::new(0.0);
        load.queries_per_s = 1.0;
        s.events = Some(load);
        let e = Simulation::<IrohMember>::for_protocol(s).err().unwrap();
        assert_eq!(
            e.to_string(),
            "iroh-gossip has no queries; drop --queries or run hearsay"
        );
    }
}
