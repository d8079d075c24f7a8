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
//! | `hearsay_<counter>_total` | counter | | every engine counter of [`hearsay::Stats::counters`], named as there: `probes`, `acks`, `suspicions`, `deaths_declared`, `refutations`, `syncs`, `store_repairs`, and the local conditions `events_dropped`, `gossip_queue_full`, `store_queue_full`, `sync_timeouts`, `reconnect_timeouts`, `streams_too_large`, `bad_restored_entries`, ... |
//! | `hearsay_datagrams_total`, `hearsay_datagram_bytes_total`, `hearsay_streams_total`, `hearsay_stream_bytes_total` | counter | `direction` (`in`, `out`) | engine counters that share a family |
//! | `hearsay_store_entries_total` | counter | `direction` (`sent`, `received`) | store entries moved by repairs |
//! | `hearsay_streams_accepted_total`, `hearsay_streams_dialed_total` | counter | | TCP connections |
//! | `hearsay_stream_limit_total`, `hearsay_outbound_limit_total`, `hearsay_stream_timeouts_total`, `hearsay_stream_oversized_total`, `hearsay_stream_truncated_total`, `hearsay_stream_malformed_total` | counter | | streams refused or cut short |
//! | `hearsay_stream_dial_failures_total` | counter | | outbound connections that failed |
//! | `hearsay_send_errors_total` | counter | | datagrams the OS refused to send |
//! | `hearsay_query_replies_shed_total` | counter | | answers to this node's queries not read by the asker in time |
//! | `hearsay_user_outputs_missed_total` | counter | | user events and query outputs lost because the node's task fell behind |
//! | `hearsay_fault_datagrams_total` | counter | `fate` (`dropped`, `delayed`) | fault injection at work |
//! | `hearsay_dropped_input_total` | counter | `reason` | input thrown away, engine and runtime together |
//!
//! | `hearsay_handler_runs_total` | counter | `outcome` (`succeeded`, `failed`, `timed_out`, `output_too_large`, `spawn_failed`) | event handler runs finished (`--handler`) |
//! | `hearsay_handler_shed_total` | counter | | handler runs not started because the queue was full |
//! | `hearsay_handler_missed_events_total` | counter | | events handlers never saw because their reader fell behind the node |
//! | `hearsay_handlers_running` | gauge | | handlers running now |
//!
//! The replicated stores add `hearsay_kv_keys`, `hearsay_kv_bytes`, `hearsay_state_keys` and
//! `hearsay_state_owners` (table in `store_metrics.rs`).
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
use crate::handler::HandlerCounts;

/// The content type of [`render`]'s output.
pub const CONTENT_TYPE_VALUE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Renders one snapshot of a node in the OpenMetrics text format (which Prometheus reads).
pub fn render(info: &NodeInfo, stores: &StoreSizes, handlers: &HandlerCounts) -> String {
    let mut registry = registry(info);
    super::store_metrics::register(&mut registry, stores);
    handler_metrics(&mut registry, handlers);
    let mut text = String::new();
    // Writing to a String cannot fail; the encoder only reports the writer's errors.
    let _ = encode(&mut text, &registry);
    text
}

/// `GET /metrics`.
pub(crate) async fn scrape(State(shared): State<Shared>) -> Result<Response, ApiError> {
    let info = shared.node.info().await?;
    let stores = StoreSizes::of(&shared.node).await?;
    let handlers = shared.control.handler_stats().snapshot();
    let text = render(&info, &stores, &handlers);
    Ok(([(CONTENT_TYPE, CONTENT_TYPE_VALUE)], text).into_response())
}

/// The event handlers' families.
fn handler_metrics(r: &mut Registry, h: &HandlerCounts) {
    counter_family(
        r,
        "handler_runs",
        "Event handler runs finished, by outcome",
        "outcome",
        h.outcomes(),
    );
    counter(
        r,
        "handler_shed",
        "Event handler runs not started because the queue was full",
        h.shed,
    );
    counter(
        r,
        "handler_missed_events",
        "Events the handlers never saw because their reader fell behind the node",
        h.missed,
    );
    gauge(
        r,
        "handlers_running",
        "Event handlers running now",
        h.running,
    );
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
        (
            "query_replies_shed",
            "Answers to this node's queries dropped because the asker did not read them",
            t.query_replies_shed,
        ),
        (
            "user_outputs_missed",
            "User events and query outputs dropped because the node's task fell behind",
            t.user_outputs_missed,
        ),
    ] {
        counter(&mut r, name, help, value);
    }

    counter_family(
        &mut r,
        "fault_datagrams",
        "Datagrams dropped or delayed on purpose by fault injection",
        "fate",
        [("dropped", t.fault_dropped), ("delayed", t.fault_delayed)],
    );

    engine_counters(&mut r, s);

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

/// Every engine counter of [`hearsay::Stats::counters`], each as its own family or, where
/// several share one (`datagrams` in and out, say), under a `direction` label.
fn engine_counters(r: &mut Registry, s: &hearsay::Stats) {
    /// A family several counters share: its help (each member's, labelled) and values.
    struct Shared {
        family: &'static str,
        help: String,
        values: Vec<(&'static str, u64)>,
    }
    let mut shared: Vec<Shared> = Vec::new();
    for c in s.counters() {
        let Some(direction) = c.metric.direction else {
            counter(r, c.metric.family, c.help, c.value);
            continue;
        };
        let help = format!("{direction}: {}", c.help);
        match shared.iter_mut().find(|f| f.family == c.metric.family) {
            Some(f) => {
                f.help.push(' ');
                f.help.push_str(&help);
                f.values.push((direction, c.value));
            }
            None => shared.push(Shared {
                family: c.metric.family,
                help,
                values: vec![(direction, c.value)],
            }),
        }
    }
    for f in shared {
        counter_family(r, f.family, &f.help, "direction", f.values);
    }
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
