//! The HTTP API over a real socket: nodes on loopback, the router served on a free port, and
//! a blocking HTTP client (ureq) run off the runtime's threads, as the CLI would use it.

use std::net::SocketAddr;
use std::time::Duration;

use hearsay::Node;
use hearsay_agent::http::{Control, serve};
use hearsay_agent::schema as api;
use hearsay_test_support::PATIENCE;
use hearsay_test_support::http::{EventStream, Reply, get, post};
use hearsay_test_support::nodes::{join_through_first, loopback_config};
use hearsay_test_support::wait::wait_until;
use serde_json::Value;
use tokio::sync::oneshot;

async fn node(name: &str, meta: &str) -> Node {
    let mut config = loopback_config(name);
    config.meta = hearsay::Meta::from(meta.as_bytes());
    config.leave_timeout = Duration::from_millis(500);
    Node::start(config).await.unwrap()
}

/// An API server for `node` on a free loopback port; dropping `stop` shuts it down.
struct Api {
    addr: SocketAddr,
    control: Control,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn api(node: &Node) -> Api {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let control = Control::new();
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(serve(listener, node.clone(), control.clone(), async {
        let _ = stopped.await;
    }));
    Api {
        addr,
        control,
        stop: Some(stop),
        served,
    }
}

/// Three nodes, b and c joined through a, all seeing each other alive; a's API.
async fn cluster() -> (Vec<Node>, Api) {
    let nodes = vec![
        node("a", "role=seed").await,
        node("b", "role=web\nzone=1").await,
        node("c", "").await,
    ];
    join_through_first(&nodes, PATIENCE).await;
    let api = api(&nodes[0]).await;
    (nodes, api)
}

async fn shutdown(nodes: &[Node]) {
    for n in nodes {
        n.shutdown().await;
    }
}

#[tokio::test]
async fn members_lists_every_node_with_state_address_and_decoded_meta() {
    let (nodes, api) = cluster().await;
    let reply = get(api.addr, "/v1/members").await;
    assert_eq!(reply.status, 200);
    assert!(reply.content_type().starts_with("application/json"));
    let members: Vec<api::MemberSummary> = serde_json::from_slice(&reply.body).unwrap();
    let names: Vec<&str> = members.iter().map(|m| m.member.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    for (m, n) in members.iter().zip(&nodes) {
        assert_eq!(m.member.state, api::State::Alive);
        assert_eq!(m.member.address, n.advertise_addr());
        assert_eq!(m.member.generation, n.generation());
        assert!(m.member.since_unix_ms > 0);
    }
    let b = &members[1].member;
    assert_eq!(b.meta.as_ref().unwrap()["zone"], "1");
    assert_eq!(b.meta_hex, None);
    let b_up = members[1]
        .last_change
        .as_ref()
        .expect("b's join is recorded");
    assert_eq!(b_up.kind, api::EventKind::Up);
    assert_ne!(
        b_up.cause.via,
        api::Via::Local,
        "a heard of b from the network"
    );
    shutdown(&nodes).await;
}

#[tokio::test]
async fn metadata_that_is_not_key_value_pairs_comes_as_hex() {
    let a = node("a", "\u{1}bin").await;
    let api = api(&a).await;
    let members = get(api.addr, "/v1/members").await.json();
    assert_eq!(members[0]["meta_hex"], "0162696e");
    assert!(members[0].get("meta").is_none());
    a.shutdown().await;
}

#[tokio::test]
async fn member_detail_has_the_history_with_causes() {
    let (nodes, api) = cluster().await;
    let reply = get(api.addr, "/v1/members/b").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let detail: api::MemberDetail = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(detail.member.name, "b");
    let first = detail.history.first().expect("b has a history on a");
    assert_eq!(first.kind, api::EventKind::Up);
    assert!(
        first.cause.peer.is_some(),
        "news from the network names the peer: {:?}",
        first.cause
    );
    shutdown(&nodes).await;
}

#[tokio::test]
async fn an_unknown_member_is_a_404_json_error_that_says_what_to_do() {
    let a = node("a", "").await;
    let api = api(&a).await;
    let reply = get(api.addr, "/v1/members/zed").await;
    assert_eq!(reply.status, 404);
    assert!(reply.content_type().starts_with("application/json"));
    assert_eq!(
        reply.error(),
        "no member named 'zed'; `hearsay members` lists them"
    );
    a.shutdown().await;
}

#[tokio::test]
async fn the_state_filter_keeps_only_members_in_that_state() {
    let (nodes, api) = cluster().await;
    nodes[2].leave().await.unwrap();
    wait_until("a sees c leave", PATIENCE, || async {
        nodes[0].info().await.unwrap().states.left == 1
    })
    .await;
    let names = |reply: Reply| -> Vec<String> {
        let list: Vec<api::MemberSummary> = serde_json::from_slice(&reply.body).unwrap();
        list.into_iter().map(|m| m.member.name).collect()
    };
    assert_eq!(
        names(get(api.addr, "/v1/members?state=alive").await),
        ["a", "b"]
    );
    assert_eq!(names(get(api.addr, "/v1/members?state=left").await), ["c"]);
    assert!(names(get(api.addr, "/v1/members?state=dead").await).is_empty());
    assert_eq!(names(get(api.addr, "/v1/members").await).len(), 3);
    shutdown(&nodes).await;
}

#[tokio::test]
async fn an_unknown_state_is_a_400_listing_the_valid_ones() {
    let a = node("a", "").await;
    let api = api(&a).await;
    let reply = get(api.addr, "/v1/members?state=gone").await;
    assert_eq!(reply.status, 400);
    let error = reply.error();
    assert!(
        error.contains("'gone'") && error.contains("alive, suspect, dead, left"),
        "{error}"
    );
    a.shutdown().await;
}

#[tokio::test]
async fn join_through_the_api_makes_the_node_join() {
    let a = node("a", "").await;
    let b = node("b", "").await;
    let api = api(&b).await;
    let body = format!("{{\"addrs\": [\"{}\"]}}", a.advertise_addr());
    let reply = post(api.addr, "/v1/join", "application/json", &body).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let answer: api::JoinResponse = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(answer.joining, [a.advertise_addr()]);
    assert!(!answer.already_joined);
    tokio::time::timeout(PATIENCE, b.joined())
        .await
        .expect("b joins")
        .unwrap();
    wait_until("a sees b", PATIENCE, || async {
        a.member("b").await.unwrap().is_some()
    })
    .await;
    shutdown(&[a, b]).await;
}

#[tokio::test]
async fn bad_join_requests_get_json_errors_that_show_the_expected_form() {
    let a = node("a", "").await;
    let api = api(&a).await;

    let reply = post(
        api.addr,
        "/v1/join",
        "application/json",
        r#"{"addrs": ["nohost"]}"#,
    )
    .await;
    assert_eq!(reply.status, 400);
    let error = reply.error();
    assert!(
        error.contains("'nohost'") && error.contains("ADDR:PORT"),
        "{error}"
    );

    let reply = post(api.addr, "/v1/join", "application/json", r#"{"addrs": []}"#).await;
    assert_eq!(reply.status, 400);
    assert!(reply.error().contains("ADDR:PORT"));

    let reply = post(api.addr, "/v1/join", "application/json", "{").await;
    assert_eq!(reply.status, 400);
    assert!(reply.error().contains("\"addrs\""), "{}", reply.text());

    let reply = post(api.addr, "/v1/join", "application/json", r#"{"seeds": []}"#).await;
    assert_eq!(reply.status, 422);
    assert!(reply.error().contains("addrs"), "{}", reply.text());

    let reply = post(api.addr, "/v1/join", "text/plain", "127.0.0.1:1").await;
    assert_eq!(reply.status, 415);
    assert!(reply.error().contains("application/json"));
    a.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_json_listing_the_endpoints() {
    let a = node("a", "").await;
    let api = api(&a).await;
    let reply = get(api.addr, "/v2/members").await;
    assert_eq!(reply.status, 404);
    let error = reply.error();
    assert!(error.contains("GET /v2/members"), "{error}");
    for endpoint in api::ENDPOINTS {
        assert!(error.contains(endpoint), "{error} lacks {endpoint}");
    }
    let reply = get(api.addr, "/v1/leave").await;
    assert_eq!(reply.status, 405);
    assert!(reply.error().contains("POST /v1/leave"));
    a.shutdown().await;
}

#[tokio::test]
async fn health_is_ok_while_the_node_runs_and_503_once_it_stopped() {
    let a = node("a", "").await;
    let api = api(&a).await;
    let reply = get(api.addr, "/v1/health").await;
    assert_eq!(reply.status, 200);
    let health: api::Health = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(health.name, "a");
    assert_eq!(health.members_alive, 1);
    assert!(!health.joined);

    a.shutdown().await;
    let reply = get(api.addr, "/v1/health").await;
    assert_eq!(reply.status, 503);
    assert!(reply.error().contains("stopped"));
}

#[tokio::test]
async fn info_describes_the_local_node_and_its_counters() {
    let (nodes, api) = cluster().await;
    let reply = get(api.addr, "/v1/info").await;
    assert_eq!(reply.status, 200);
    let info: api::Info = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(info.local.name, "a");
    assert_eq!(info.local.address, nodes[0].advertise_addr());
    assert_eq!(info.local.generation, nodes[0].generation());
    assert_eq!(info.local.meta.as_ref().unwrap()["role"], "seed");
    assert_eq!(info.bound, nodes[0].local_addr());
    assert_eq!(info.states.alive, 3);
    assert!(info.joined);
    assert!(info.engine.get("streams_in") >= 2, "two joins came in");
    assert!(info.transport.streams_accepted >= 2, "two joins came in");
    assert!(info.uptime_ms < 60_000);
    shutdown(&nodes).await;
}

#[tokio::test]
async fn metrics_carry_the_documented_families_with_plausible_values() {
    let (nodes, api) = cluster().await;
    wait_until("a has probed", PATIENCE, || async {
        nodes[0].info().await.unwrap().stats.acks > 0
    })
    .await;
    let reply = get(api.addr, "/metrics").await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .content_type()
            .starts_with("application/openmetrics-text")
    );
    let text = reply.text();
    let value = |series: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .unwrap_or_else(|| panic!("no series {series} in\n{text}"));
        line[series.len()..].trim().parse().unwrap()
    };
    assert_eq!(value("hearsay_members{state=\"alive\"}"), 3.0);
    assert_eq!(value("hearsay_members{state=\"dead\"}"), 0.0);
    assert_eq!(value("hearsay_joined"), 1.0);
    assert_eq!(value("hearsay_local_health_score"), 0.0);
    assert!(value("hearsay_probes_total") >= 1.0);
    assert!(value("hearsay_acks_total") >= 1.0);
    assert!(value("hearsay_datagrams_total{direction=\"in\"}") >= 1.0);
    assert!(value("hearsay_datagram_bytes_total{direction=\"out\"}") > 10.0);
    assert!(value("hearsay_streams_accepted_total") >= 2.0);
    assert!(value("hearsay_uptime_seconds") > 0.0);
    for family in [
        "hearsay_node_info",
        "hearsay_gossip_backlog",
        "hearsay_nacks_total",
        "hearsay_probe_failures_total",
        "hearsay_suspicions_total",
        "hearsay_deaths_declared_total",
        "hearsay_refutations_total",
        "hearsay_syncs_total",
        "hearsay_streams_total{direction=\"in\"}",
        "hearsay_stream_bytes_total{direction=\"out\"}",
        "hearsay_streams_dialed_total",
        "hearsay_stream_limit_total",
        "hearsay_stream_timeouts_total",
        "hearsay_stream_oversized_total",
        "hearsay_stream_truncated_total",
        "hearsay_stream_dial_failures_total",
        "hearsay_dropped_input_total{reason=\"stream_timeout\"}",
    ] {
        assert!(text.contains(family), "no {family} in\n{text}");
    }
    assert!(text.ends_with("# EOF\n"));
    shutdown(&nodes).await;
}

#[tokio::test]
async fn info_and_metrics_show_every_engine_counter_of_the_one_list() {
    let (nodes, api) = cluster().await;
    let info: api::Info = serde_json::from_slice(&get(api.addr, "/v1/info").await.body).unwrap();
    let metrics = get(api.addr, "/metrics").await.text();
    let counters: Vec<_> = hearsay::Stats::default().counters().collect();
    assert!(counters.len() >= 20, "{counters:?}");
    let listed: Vec<&str> = info.engine.counters.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = counters.iter().map(|c| c.name).collect();
    expected.sort_unstable();
    assert_eq!(
        listed, expected,
        "/v1/info lists exactly the engine's counters"
    );
    for c in &counters {
        let series = match c.metric.direction {
            None => format!("hearsay_{}_total ", c.metric.family),
            Some(d) => format!("hearsay_{}_total{{direction=\"{d}\"}} ", c.metric.family),
        };
        assert!(
            metrics.lines().any(|l| l.starts_with(&series)),
            "{} is not in /metrics as {series}\n{metrics}",
            c.name
        );
    }
    shutdown(&nodes).await;
}

/// Opens `GET /v1/events` and reads it on a blocking thread: `ready` fires once the stream
/// is open, then the answer is the first `(event name, data)` whose data mentions `member`,
/// or `None` if the stream ends first.
fn watch_events(
    api: &Api,
    member: &'static str,
) -> (
    oneshot::Receiver<String>,
    tokio::task::JoinHandle<Option<(String, Value)>>,
) {
    let addr = api.addr;
    let (ready, opened) = oneshot::channel();
    let reader = tokio::task::spawn_blocking(move || {
        let mut events = EventStream::open(addr, "/v1/events");
        let _ = ready.send(events.content_type.clone());
        events.find(|(_, data)| data["member"]["name"] == member)
    });
    (opened, reader)
}

#[tokio::test]
async fn the_event_stream_delivers_up_when_a_node_joins() {
    let a = node("a", "").await;
    let b = node("b", "").await;
    let api = api(&a).await;
    let (opened, reader) = watch_events(&api, "b");
    let content_type = tokio::time::timeout(PATIENCE, opened)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(content_type, "text/event-stream");

    b.join(&[a.advertise_addr()]).await.unwrap();
    let (name, data) = tokio::time::timeout(PATIENCE, reader)
        .await
        .unwrap()
        .unwrap()
        .expect("an event about b");
    assert_eq!(name, "up");
    let event: api::Event = serde_json::from_value(data).unwrap();
    assert_eq!(event.kind, api::EventKind::Up);
    assert_eq!(event.member.address, b.advertise_addr());
    assert_eq!(event.member.state, api::State::Alive);
    shutdown(&[a, b]).await;
}

#[tokio::test]
async fn an_open_event_stream_does_not_hold_up_the_servers_shutdown() {
    let a = node("a", "").await;
    let mut api = api(&a).await;
    let (opened, reader) = watch_events(&api, "nobody");
    tokio::time::timeout(PATIENCE, opened)
        .await
        .unwrap()
        .unwrap();

    drop(api.stop.take());
    let served = tokio::time::timeout(PATIENCE, &mut api.served)
        .await
        .expect("the server stops with a subscriber connected");
    served.unwrap().unwrap();
    let seen = tokio::time::timeout(PATIENCE, reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen, None, "the stream ended");
    a.shutdown().await;
}

#[tokio::test]
async fn leave_through_the_api_leaves_and_notifies_the_agent() {
    let (nodes, api) = cluster().await;
    let reply = post(api.addr, "/v1/leave", "application/json", "").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer: api::LeaveResponse = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(answer.name, "a");
    assert!(answer.left);
    tokio::time::timeout(PATIENCE, api.control.left())
        .await
        .expect("the agent is told the leave is done");
    wait_until("b sees a leave", PATIENCE, || async {
        let a = nodes[1].member("a").await.unwrap().unwrap();
        a.member.state == hearsay::State::Left
    })
    .await;
    shutdown(&nodes).await;
}
