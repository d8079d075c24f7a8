//! `GET /metrics`: the node's counters in the Prometheus text format (OpenMetrics).
//!
//! The node already keeps every total (the engine's [`hearsay::Stats`], the runtime's
//! [`hearsay::TransportStats`]), so nothing is counted twice here: each scrape takes one
//! [`hearsay::NodeInfo`] snapshot and renders a registry built from it. All families are
//! prefixed `hearsay_`; counters end in `_total`.
//!
//! | family | type | labels | meaning |
//! |---|---|---|---|
//! | `hearsay_node_info` | info | `name`, `address`, `generation` | which node this is |
//! | `hearsay_members` | gauge | `state` | members by state (alive includes this node) |
//! | `hearsay_joined` | gauge | | 1 once the node has joined a cluster |
//! | `hearsay_local_health_score` | gauge | | Lifeguard local health (0 = healthy) |
//! | `hearsay_gossip_backlog` | gauge | | news waiting to be piggybacked |
//! | `hearsay_uptime_seconds` | gauge | | time since the node started |
//! | `hearsay_probes_total` | counter | | probes started |
//! | `hearsay_indirect_probes_total` | counter | | indirect pings sent for our probes |
//! | `hearsay_acks_total`, `hearsay_nacks_total` | counter | | answers to our probes |
//! | `hearsay_probe_failures_total` | counter | | probes that got no ack |
//! | `hearsay_suspicions_total` | counter | | members this node started suspecting |
//! | `hearsay_deaths_declared_total` | counter | | suspicions that ran out here |
//! | `hearsay_refutations_total` | counter | | suspicions about itself this node refuted |
//! | `hearsay_syncs_total`, `hearsay_syncs_in_agreement_total` | counter | | anti-entropy syncs |
//! | `hearsay_join_attempts_total` | counter | | join requests sent to seeds |
//! | `hearsay_events_dropped_total` | counter | | events the engine dropped undrained |
//! | `hearsay_datagrams_total`, `hearsay_datagram_bytes_total` | counter | `direction` (`in`, `out`) | UDP traffic |
//! | `hearsay_streams_total`, `hearsay_stream_bytes_total` | counter | `direction` | TCP stream frames |
//! | `hearsay_streams_accepted_total`, `hearsay_streams_dialed_total` | counter | | TCP connections |
//! | `hearsay_stream_limit_total`, `hearsay_outbound_limit_total`, `hearsay_stream_timeouts_total`, `hearsay_stream_oversized_total`, `hearsay_stream_truncated_total`, `hearsay_stream_malformed_total` | counter | | streams refused or cut short |
//! | `hearsay_stream_dial_failures_total` | counter | | outbound connections that failed |
//! | `hearsay_send_errors_total` | counter | | datagrams the OS refused to send |
//! | `hearsay_fault_datagrams_total` | counter | `fate` (`dropped`, `delayed`) | fault injection at work |
//! | `hearsay_dropped_input_total` | counter | `reason` | input thrown away, engine and runtime together |
//!
//! The replicated stores add `hearsay_kv_keys`, `hearsay_kv_bytes`, `hearsay_state_keys`,
//! `hearsay_state_owners`, `hearsay_store_repairs_total` and `hearsay_store_entries_total`
//! (table in `store_metrics.rs`).
//!
//! The inbound stream refusals (`stream_limit`, `stream_timeout`, `stream_oversized`,
//! `stream_truncated`, `stream_malformed`) also appear as reasons of
//! `hearsay_dropped_input_total`, so that one family sums all input the node threw away.
//! `outbound_limit` is not input and stays apart.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use hearsay::{NodeInfo, State as MemberState};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use super::error::ApiError;
use super::shared::Shared;
pub use super::store_metrics::StoreSizes;

/// The content type of [`render`]'s output.
pub const CONTENT_TYPE_VALUE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Renders one snapshot of a node in the OpenMetrics text format (which Prometheus reads).
pub fn render(info: &NodeInfo, stores: &StoreSizes) -> String {
    let mut registry = registry(info);
    super::store_metrics::register(&mut registry, &info.stats, stores);
    let mut text = String::new();
    // Writing to a String cannot fail; the encoder only reports the writer's errors.
    let _ = encode(&mut text, &registry);
    text
}

/// `GET /metrics`.
pub(crate) async fn scrape(State(shared): State<Shared>) -> Result<Response, ApiError> {
    let info = shared.node.info().await?;
    let stores = StoreSizes::of(&shared.node).await?;
    Ok(([(CONTENT_TYPE, CONTENT_TYPE_VALUE)], render(&info, &stores)).into_response())
}

/// Labels of one series, e.g. `[("state", "alive")]`.
type Labels = Vec<(&'static str, String)>;

fn registry(info: &NodeInfo) -> Registry {
    let mut r = Registry::with_prefix("hearsay");
    let s = &info.stats;
    let t = &info.transport;
    let local = &info.local;

    r.register(
        "node",
        "Which node answers: its name, advertised address and generation",
        Info::new(vec![
            ("name", local.name.as_str().to_owned()),
            ("address", local.addr.to_string()),
            ("generation", local.generation.to_string()),
        ]),
    );

    let members = Family::<Labels, Gauge>::default();
    for (state, n) in [
        (MemberState::Alive, info.states.alive),
        (MemberState::Suspect, info.states.suspect),
        (MemberState::Dead, info.states.dead),
        (MemberState::Left, info.states.left),
    ] {
        members
            .get_or_create(&vec![("state", state.as_str().to_owned())])
            .set(gauge_value(n as u64));
    }
    r.register(
        "members",
        "Members this node knows, by state (alive includes this node)",
        members,
    );
    gauge(
        &mut r,
        "joined",
        "1 once the node has joined a cluster",
        u64::from(info.joined),
    );
    gauge(
        &mut r,
        "local_health_score",
        "Lifeguard local health score (0 = healthy; higher = this node doubts its own timeliness)",
        u64::from(info.health_score),
    );
    gauge(
        &mut r,
        "gossip_backlog",
        "News waiting to be piggybacked on outgoing datagrams",
        info.gossip_backlog as u64,
    );
    let uptime = Gauge::<f64, AtomicU64>::default();
    uptime.set(info.uptime.as_secs_f64());
    r.register("uptime_seconds", "Time since the node started", uptime);

    for (name, help, value) in [
        ("probes", "Probes started (direct pings)", s.probes),
        (
            "indirect_probes",
            "Indirect pings sent on behalf of our probes",
            s.indirect_probes,
        ),
        ("acks", "Acks received for our probes", s.acks),
        ("nacks", "Nacks received from indirect helpers", s.nacks),
        (
            "probe_failures",
            "Probes that ended without any ack",
            s.probe_failures,
        ),
        (
            "suspicions",
            "Members this node started suspecting",
            s.suspicions,
        ),
        (
            "deaths_declared",
            "Suspicions whose timer ran out here, becoming a death verdict",
            s.deaths_declared,
        ),
        (
            "refutations",
            "Suspicions or deaths about this node that it refuted",
            s.refutations,
        ),
        ("syncs", "Anti-entropy syncs started", s.syncs),
        (
            "syncs_in_agreement",
            "Syncs that found the views equal after the first exchange",
            s.syncs_in_agreement,
        ),
        (
            "join_attempts",
            "Join attempts sent to seeds",
            s.join_attempts,
        ),
        (
            "events_dropped",
            "Events the engine dropped because the runtime did not drain them",
            s.events_dropped,
        ),
        (
            "streams_accepted",
            "Inbound TCP connections accepted",
            t.streams_accepted,
        ),
        (
            "streams_dialed",
            "Outbound TCP connections opened",
            t.streams_dialed,
        ),
        (
            "stream_limit",
            "Inbound streams refused because the inbound stream limit was in use",
            t.stream_limit,
        ),
        (
            "outbound_limit",
            "Outbound stream messages not sent because the outbound stream limit was in use",
            t.outbound_limit,
        ),
        (
            "stream_malformed",
            "Streams whose header was not the sender's address",
            t.stream_malformed,
        ),
        (
            "stream_timeouts",
            "Streams that did not deliver a whole frame within the stream timeout",
            t.stream_timeouts,
        ),
        (
            "stream_oversized",
            "Streams whose frame announced more than the stream size limit",
            t.stream_oversized,
        ),
        (
            "stream_truncated",
            "Streams closed in the middle of a frame, or with no frame",
            t.stream_truncated,
        ),
        (
            "stream_dial_failures",
            "Outbound connections that could not be opened or written",
            t.dial_failures,
        ),
        (
            "send_errors",
            "Datagrams the operating system refused to send",
            t.send_errors,
        ),
    ] {
        counter(&mut r, name, help, value);
    }

    for (name, help, label, values) in [
        (
            "datagrams",
            "Datagrams received (in) and sent (out)",
            "direction",
            vec![("in", s.datagrams_in), ("out", s.datagrams_out)],
        ),
        (
            "datagram_bytes",
            "Datagram payload bytes received (in) and sent (out)",
            "direction",
            vec![("in", s.datagram_bytes_in), ("out", s.datagram_bytes_out)],
        ),
        (
            "streams",
            "Stream frames received (in) and sent (out)",
            "direction",
            vec![("in", s.streams_in), ("out", s.streams_out)],
        ),
        (
            "stream_bytes",
            "Stream frame bytes received (in) and sent (out)",
            "direction",
            vec![("in", s.stream_bytes_in), ("out", s.stream_bytes_out)],
        ),
        (
            "fault_datagrams",
            "Datagrams dropped or delayed on purpose by fault injection",
            "fate",
            vec![("dropped", t.fault_dropped), ("delayed", t.fault_delayed)],
        ),
    ] {
        counter_family(&mut r, name, help, label, values);
    }

    let dropped = s
        .dropped_by_reason()
        .filter(|(_, n)| *n > 0)
        .map(|(reason, n)| (reason.as_str(), n))
        .chain(t.dropped());
    counter_family(
        &mut r,
        "dropped_input",
        "Input thrown away before use, by reason (engine and runtime together)",
        "reason",
        dropped,
    );
    r
}

fn counter(r: &mut Registry, name: &str, help: &str, value: u64) {
    let c = Counter::<u64>::default();
    c.inc_by(value);
    r.register(name, help, c);
}

fn gauge(r: &mut Registry, name: &str, help: &str, value: u64) {
    let g = Gauge::<i64>::default();
    g.set(gauge_value(value));
    r.register(name, help, g);
}

/// One counter per label value; a value given twice (a reason counted by both the engine
/// and the runtime) gets the sum, as Prometheus forbids duplicate series.
fn counter_family<'a>(
    r: &mut Registry,
    name: &str,
    help: &str,
    label: &'static str,
    values: impl IntoIterator<Item = (&'a str, u64)>,
) {
    let family = Family::<Labels, Counter>::default();
    for (value, n) in values {
        family
            .get_or_create(&vec![(label, value.to_owned())])
            .inc_by(n);
    }
    r.register(name, help, family);
}

/// Gauges are signed; our counts are far below `i64::MAX`, saturate if ever not.
fn gauge_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
