//! What the simulator measures about user events and queries, from what the members report
//! ([`crate::MessageOutput`]) and one counter each ([`crate::Messages::payloads_in`]).
//!
//! Per event: its sender, when it was sent, and one bit per node for "delivered here"
//! (N / 8 bytes; 600 events on 1,000 nodes take 75 KB). Per query: the same, with one bit per
//! answering node, the last answer's time and how it ended. Per delivery: its latency in
//! microseconds (4 bytes), for exact percentiles. Per node: payload copies received and
//! events delivered. Nothing is events x nodes beyond the bits.

use std::collections::BTreeMap;

use hearsay_proto::user::{MsgId, Payload};

use crate::messages::MessageOutput;
use crate::node::Node;
use crate::queue::Nanos;

/// First byte of an event's payload.
const EVENT_TAG: u8 = b'e';
/// First byte of a query's payload.
const QUERY_TAG: u8 = b'q';
/// What every member answers a query with.
pub(crate) const RESPONSE: &[u8] = b"ok";

/// One bit per node.
#[derive(Debug, Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }

    /// Sets bit `i`; true if it was clear.
    fn set(&mut self, i: u32) -> bool {
        let (word, bit) = ((i / 64) as usize, 1u64 << (i % 64));
        match self.0.get_mut(word) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                true
            }
            _ => false,
        }
    }

    fn get(&self, i: u32) -> bool {
        self.0
            .get((i / 64) as usize)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

/// An event sent.
struct Sent {
    sender: u32,
    at: Nanos,
    got: Bits,
}

/// A query asked.
struct Asked {
    sender: u32,
    at: Nanos,
    answered: Bits,
    last_answer: Nanos,
    /// How it ended at its origin: `Some(true)` before its timeout.
    early: Option<bool>,
}

/// Measurements in progress.
pub(crate) struct EventMetrics {
    nodes: usize,
    events: Vec<Sent>,
    queries: Vec<Asked>,
    /// Queries waiting for answers: (origin node, its query number) -> index in `queries`.
    open: BTreeMap<(u32, u64), usize>,
    /// Payload copies received, over all members and starts.
    pub copies: u64,
    /// First deliveries of others' events and queries, over all members.
    pub deliveries: u64,
    copies_per_node: Vec<u64>,
    delivered_per_node: Vec<u64>,
    /// `payloads_in` of each node's current start when last read.
    last_payloads_in: Vec<u64>,
    /// Largest hop count of a first delivery of an event.
    pub ldh: Option<u32>,
    latencies_us: Vec<u32>,
    pub max_latency: Nanos,
    /// Wire bytes (headers included) of application-message traffic.
    pub wire_bytes: u64,
    /// Outputs the members dropped because they were not drained (should be 0).
    pub missed: u64,
}

/// Figures of the events, in nanoseconds and percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EventTotals {
    pub delivered_pct: Option<f64>,
    pub latency_p50: Option<Nanos>,
    pub latency_p99: Option<Nanos>,
}

/// Figures of the queries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct QueryTotals {
    pub complete_pct: Option<f64>,
    pub latency_p99: Option<Nanos>,
    pub early_pct: Option<f64>,
}

impl EventMetrics {
    /// Nothing measured yet, on `nodes` nodes.
    pub fn new(nodes: usize) -> EventMetrics {
        EventMetrics {
            nodes,
            events: Vec::new(),
            queries: Vec::new(),
            open: BTreeMap::new(),
            copies: 0,
            deliveries: 0,
            copies_per_node: vec![0; nodes],
            delivered_per_node: vec![0; nodes],
            last_payloads_in: vec![0; nodes],
            ldh: None,
            latencies_us: Vec::new(),
            max_latency: 0,
            wire_bytes: 0,
            missed: 0,
        }
    }

    /// The payload of the next event, `bytes` long, and its number.
    pub fn next_event(&self, bytes: u32) -> (u32, Payload) {
        let n = self.events.len() as u32;
        (n, payload(EVENT_TAG, n, bytes))
    }

    /// The payload of the next query and its number.
    pub fn next_query(&self) -> (u32, Payload) {
        let n = self.queries.len() as u32;
        (n, payload(QUERY_TAG, n, 16))
    }

    /// Event number `events_sent()` was sent by `sender` at `at`.
    pub fn sent(&mut self, sender: u32, at: Nanos) {
        self.events.push(Sent {
            sender,
            at,
            got: Bits::new(self.nodes),
        });
    }

    /// Query number `queries_sent()` was asked by `sender` at `at`, as its query `number`.
    pub fn asked(&mut self, sender: u32, number: u64, at: Nanos) {
        self.open.insert((sender, number), self.queries.len());
        self.queries.push(Asked {
            sender,
            at,
            answered: Bits::new(self.nodes),
            last_answer: at,
            early: None,
        });
    }

    /// Events sent so far.
    pub fn events_sent(&self) -> u64 {
        self.events.len() as u64
    }

    /// Queries asked so far.
    pub fn queries_sent(&self) -> u64 {
        self.queries.len() as u64
    }

    /// Node `i` started afresh: its member's counter starts from 0.
    pub fn booted(&mut self, i: u32) {
        if let Some(last) = self.last_payloads_in.get_mut(i as usize) {
            *last = 0;
        }
    }

    /// Node `i`'s member has received `payloads_in` payloads in its current start.
    pub fn count_payloads(&mut self, i: u32, payloads_in: u64) {
        let Some(last) = self.last_payloads_in.get_mut(i as usize) else {
            return;
        };
        let new = payloads_in.saturating_sub(*last);
        *last = payloads_in;
        self.copies += new;
        self.copies_per_node[i as usize] += new;
    }

    /// Accounts for one output of node `i`'s member at `now`; returns the query to answer,
    /// if it is one.
    pub fn on_output(&mut self, i: u32, output: MessageOutput, now: Nanos) -> Option<MsgId> {
        match output {
            MessageOutput::Event { payload, hops } => {
                let e = self.events.get_mut(number(EVENT_TAG, &payload)? as usize)?;
                if e.sender == i || !e.got.set(i) {
                    return None;
                }
                let latency = now.saturating_sub(e.at);
                self.deliveries += 1;
                self.delivered_per_node[i as usize] += 1;
                self.ldh = Some(self.ldh.map_or(hops, |l| l.max(hops)));
                self.latencies_us
                    .push((latency / 1_000).min(u64::from(u32::MAX)) as u32);
                self.max_latency = self.max_latency.max(latency);
                None
            }
            MessageOutput::Query { id, payload, .. } => {
                let q = self.queries.get(number(QUERY_TAG, &payload)? as usize)?;
                if q.sender != i {
                    self.deliveries += 1;
                }
                Some(id)
            }
            MessageOutput::Reply {
                query,
                from,
                response,
            } => {
                let q = &mut self.queries[*self.open.get(&(i, query))?];
                if response && let Some(from) = from {
                    q.answered.set(from);
                    q.last_answer = q.last_answer.max(now);
                }
                None
            }
            MessageOutput::Done { query, timed_out } => {
                let slot = self.open.remove(&(i, query))?;
                self.queries[slot].early = Some(!timed_out);
                None
            }
            MessageOutput::Missed(n) => {
                self.missed += n;
                None
            }
        }
    }

    /// Delivery and latency of the events: each counted over the members up when it was
    /// sent that are still up in the same start (its sender excepted).
    pub fn event_totals<P>(&mut self, nodes: &[Node<P>]) -> EventTotals {
        let (mut expected, mut got) = (0u64, 0u64);
        for e in &self.events {
            let (x, g) = expected_and_got(e.sender, e.at, &e.got, nodes);
            expected += x;
            got += g;
        }
        self.latencies_us.sort_unstable();
        let us = |p| percentile(&self.latencies_us, p).map(|v| Nanos::from(v) * 1_000);
        EventTotals {
            delivered_pct: (expected > 0).then(|| 100.0 * got as f64 / expected as f64),
            latency_p50: us(50),
            latency_p99: us(99),
        }
    }

    /// Completeness, latency and early ends of the queries.
    pub fn query_totals<P>(&self, nodes: &[Node<P>]) -> QueryTotals {
        if self.queries.is_empty() {
            return QueryTotals {
                complete_pct: None,
                latency_p99: None,
                early_pct: None,
            };
        }
        let mut latencies = Vec::new();
        for q in &self.queries {
            let (expected, got) = expected_and_got(q.sender, q.at, &q.answered, nodes);
            if got == expected {
                latencies.push(q.last_answer - q.at);
            }
        }
        latencies.sort_unstable();
        let asked = self.queries.len() as f64;
        let early = self
            .queries
            .iter()
            .filter(|q| q.early == Some(true))
            .count();
        QueryTotals {
            complete_pct: Some(100.0 * latencies.len() as f64 / asked),
            latency_p99: percentile(&latencies, 99),
            early_pct: Some(100.0 * early as f64 / asked),
        }
    }

    /// Each event's send time and the share of its expected receivers that delivered it
    /// (percent; 100 when nobody was expected), in sending order.
    pub fn delivery_by_event<P>(&self, nodes: &[Node<P>]) -> Vec<(Nanos, f64)> {
        self.events
            .iter()
            .map(|e| {
                let (x, g) = expected_and_got(e.sender, e.at, &e.got, nodes);
                let pct = if x == 0 {
                    100.0
                } else {
                    100.0 * g as f64 / x as f64
                };
                (e.at, pct)
            })
            .collect()
    }

    /// For each node up at the end that delivered any event: payload copies it received per
    /// event it delivered, in node order.
    pub fn copies_per_delivery<P>(&self, nodes: &[Node<P>]) -> Vec<f64> {
        (0..self.nodes)
            .filter(|&i| nodes[i].is_up() && self.delivered_per_node[i] > 0)
            .map(|i| self.copies_per_node[i] as f64 / self.delivered_per_node[i] as f64)
            .collect()
    }
}

/// Of the nodes up at `at` and still up in the same start, the sender excepted: how many,
/// and how many have their bit in `bits`.
fn expected_and_got<P>(sender: u32, at: Nanos, bits: &Bits, nodes: &[Node<P>]) -> (u64, u64) {
    let (mut expected, mut got) = (0, 0);
    for (j, node) in nodes.iter().enumerate() {
        let j = j as u32;
        if j == sender || !node.is_up() || node.started_at > at {
            continue;
        }
        expected += 1;
        got += u64::from(bits.get(j));
    }
    (expected, got)
}

/// `tag`, `n` (little-endian) and filler up to `bytes` (at least 5).
fn payload(tag: u8, n: u32, bytes: u32) -> Payload {
    let mut p = Vec::with_capacity(bytes.max(5) as usize);
    p.push(tag);
    p.extend_from_slice(&n.to_le_bytes());
    let fill = n.to_le_bytes();
    while p.len() < bytes as usize {
        p.push(fill[p.len() % 4] ^ 0x5a);
    }
    p.into()
}

/// The number in a payload made by [`payload`] with `tag`.
fn number(tag: u8, payload: &[u8]) -> Option<u32> {
    match payload {
        [t, a, b, c, d, ..] if *t == tag => Some(u32::from_le_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

/// Nearest-rank percentile of sorted `values`.
fn percentile<T: Copy>(values: &[T], p: usize) -> Option<T> {
    let rank = (values.len() * p).div_ceil(100).max(1);
    values.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_carry_their_number_and_differ() {
        let a = payload(EVENT_TAG, 7, 1024);
        let b = payload(EVENT_TAG, 8, 1024);
        assert_eq!(a.len(), 1024);
        assert_ne!(a, b);
        assert_eq!(number(EVENT_TAG, &a), Some(7));
        assert_eq!(number(QUERY_TAG, &a), None);
        assert_eq!(number(EVENT_TAG, b"e12"), None);
    }

    #[test]
    fn a_second_delivery_and_the_senders_own_are_not_counted() {
        let mut m = EventMetrics::new(3);
        let (_, p) = m.next_event(16);
        m.sent(0, 100);
        let event = |hops| MessageOutput::Event {
            payload: p.clone(),
            hops,
        };
        m.on_output(0, event(0), 100);
        m.on_output(1, event(2), 5_100);
        m.on_output(1, event(3), 9_100);
        assert_eq!((m.deliveries, m.ldh, m.max_latency), (1, Some(2), 5_000));
        m.count_payloads(1, 2);
        m.count_payloads(1, 3);
        m.booted(1);
        m.count_payloads(1, 1);
        assert_eq!(m.copies, 4);
    }

    #[test]
    fn bits_are_set_once() {
        let mut b = Bits::new(130);
        assert!(b.set(129));
        assert!(!b.set(129));
        assert!(b.get(129) && !b.get(128));
        assert!(!b.set(200));
    }
}
