//! The report's figures of an application-message workload (`--events`, `--queries`).

use serde::Serialize;

use crate::event_load::EventLoad;
use crate::event_metrics::EventMetrics;
use crate::metrics::{STREAM_OVERHEAD_BYTES, UDP_OVERHEAD_BYTES};
use crate::node::Node;
use crate::queue::Nanos;

/// Figures of user events and queries. Event figures are `None` without `--events`, query
/// figures without `--queries`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct EventFigures {
    /// How events and queries spread: `tree` or `flood`.
    pub event_mode: &'static str,
    /// User events sent (accepted by their sender).
    pub events_sent: Option<u64>,
    /// Deliveries of the events to the members that were up when each was sent and stayed
    /// up (in the same start) to the end, over those expected; the sender does not count.
    /// Percent.
    pub event_delivered_pct: Option<f64>,
    /// Relative message redundancy, over the run: payload copies received by every member
    /// (an event's or a query's; duplicates included; [`crate::Messages::payloads_in`])
    /// divided by first deliveries of others' events and queries, minus 1. 0 means every
    /// member received each payload once.
    pub event_rmr: Option<f64>,
    /// Last delivery hop: the largest hop count of any first delivery of an event.
    pub event_ldh: Option<u32>,
    /// Median time from sending an event to a delivery, over every first delivery.
    pub event_latency_p50_s: Option<f64>,
    /// 99th percentile of the same.
    pub event_latency_p99_s: Option<f64>,
    /// The longest.
    pub event_latency_max_s: Option<f64>,
    /// Bytes of application-message traffic ([`crate::Messages::message_bytes`]) per member
    /// per second, from the start of sending to the end of the run: the wire bytes (IP and
    /// UDP or TCP headers included) of every transmit that is such traffic as a whole (for
    /// hearsay, its first message is a user message), plus the framed bytes of user messages
    /// riding in other datagrams.
    pub event_bytes_per_member_s: Option<f64>,
    /// Queries asked (accepted by their origin).
    pub queries_sent: Option<u64>,
    /// Queries whose origin got a response from every member that was up when it was
    /// asked and stayed up to the end (the origin excepted). Percent of queries asked.
    pub query_complete_pct: Option<f64>,
    /// 99th percentile, over complete queries, of the time from the query to its last
    /// expected response.
    pub query_latency_p99_s: Option<f64>,
    /// Queries that ended before their timeout because every expected member had
    /// responded, as their origin reported. Percent of queries asked.
    pub query_early_pct: Option<f64>,
    /// Application-message outputs the members dropped because the simulator did not drain
    /// them (should be 0).
    pub event_outputs_missed: u64,
}

impl EventFigures {
    /// The figures of `metrics` for `load`, run from `started` to `end` on `nodes`.
    pub(crate) fn of<P>(
        load: &EventLoad,
        metrics: &mut EventMetrics,
        started: Option<Nanos>,
        end: Nanos,
        nodes: &[Node<P>],
    ) -> EventFigures {
        let events = load.events();
        let totals = metrics.event_totals(nodes);
        let queries = metrics.query_totals(nodes);
        let window = started.map(|s| seconds(end.saturating_sub(s)));
        let n = nodes.len() as f64;
        let delivered = metrics.deliveries > 0;
        EventFigures {
            event_mode: load.mode.as_str(),
            events_sent: events.then(|| metrics.events_sent()),
            event_delivered_pct: totals.delivered_pct.filter(|_| events),
            event_rmr: delivered.then(|| metrics.copies as f64 / metrics.deliveries as f64 - 1.0),
            event_ldh: metrics.ldh,
            event_latency_p50_s: totals.latency_p50.map(seconds),
            event_latency_p99_s: totals.latency_p99.map(seconds),
            event_latency_max_s: (events && metrics.ldh.is_some())
                .then(|| seconds(metrics.max_latency)),
            event_bytes_per_member_s: window
                .filter(|&w| w > 0.0)
                .map(|w| metrics.wire_bytes as f64 / n / w),
            queries_sent: load.queries().then(|| metrics.queries_sent()),
            query_complete_pct: queries.complete_pct,
            query_latency_p99_s: queries.latency_p99.map(seconds),
            query_early_pct: queries.early_pct,
            event_outputs_missed: metrics.missed,
        }
    }

    /// Rows for the report's table.
    pub(crate) fn rows(&self) -> Vec<(&'static str, String)> {
        let pct = |v: Option<f64>| v.map_or_else(|| "n/a".into(), |p| format!("{p:.2} %"));
        let secs = |v: Option<f64>| v.map_or_else(|| "n/a".into(), |s| format!("{s:.3} s"));
        let mut rows = vec![("event mode", self.event_mode.to_string())];
        if let Some(sent) = self.events_sent {
            rows.extend([
                ("events sent", sent.to_string()),
                ("event delivered", pct(self.event_delivered_pct)),
                (
                    "event rmr",
                    self.event_rmr
                        .map_or_else(|| "n/a".into(), |r| format!("{r:.3}")),
                ),
                (
                    "event ldh",
                    self.event_ldh
                        .map_or_else(|| "n/a".into(), |h| format!("{h} hops")),
                ),
                ("event latency p50", secs(self.event_latency_p50_s)),
                ("event latency p99", secs(self.event_latency_p99_s)),
                ("event latency max", secs(self.event_latency_max_s)),
            ]);
        }
        rows.push((
            "event bytes / member-s",
            self.event_bytes_per_member_s
                .map_or_else(|| "n/a".into(), |b| format!("{b:.1} B")),
        ));
        if let Some(sent) = self.queries_sent {
            rows.extend([
                ("queries sent", sent.to_string()),
                ("query complete", pct(self.query_complete_pct)),
                ("query latency p99", secs(self.query_latency_p99_s)),
                ("query done early", pct(self.query_early_pct)),
            ]);
        }
        rows.push((
            "event outputs missed",
            self.event_outputs_missed.to_string(),
        ));
        rows
    }
}

/// Wire bytes of one transmit of `len` payload bytes.
pub(crate) fn wire_bytes(len: u64, stream: bool) -> u64 {
    len + if stream {
        STREAM_OVERHEAD_BYTES
    } else {
        UDP_OVERHEAD_BYTES
    }
}

fn seconds(t: Nanos) -> f64 {
    std::time::Duration::from_nanos(t).as_secs_f64()
}
