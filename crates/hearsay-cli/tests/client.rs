//! The client commands as a user meets them: the `hearsay` binary against an address where
//! nothing listens, and against a real API served in this process on loopback.

use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use hearsay::Node;
use hearsay_agent::http::{Control, serve};
use hearsay_test_support::http::{Method, call};
use hearsay_test_support::nodes::{join_through_first, loopback_config};
use hearsay_test_support::{PATIENCE, read_lines};
use serde_json::Value;
use tokio::runtime::Runtime;

fn hearsay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .args(args)
        .env_remove("HEARSAY_HTTP_ADDR")
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Nodes on loopback with fast timers, and an API in front of the first, all driven by a
/// runtime of this test's own (the binary under test runs as a separate process).
struct Agent {
    runtime: Runtime,
    nodes: Vec<Node>,
    http: SocketAddr,
    control: Control,
}

impl Agent {
    /// `names[0]` with an API; every other node joined through it, all seeing each other alive.
    fn start(names: &[&str]) -> Agent {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let control = Control::new();
        let (nodes, http) = runtime.block_on(async {
            let mut nodes = Vec::new();
            for name in names {
                nodes.push(node(name).await);
            }
            join_through_first(&nodes, PATIENCE).await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let http = listener.local_addr().unwrap();
            tokio::spawn(serve(
                listener,
                nodes[0].clone(),
                control.clone(),
                std::future::pending(),
            ));
            (nodes, http)
        });
        Agent {
            runtime,
            nodes,
            http,
            control,
        }
    }

    /// Runs `hearsay ARGS --http-addr <this API>`.
    fn run(&self, args: &[&str]) -> Output {
        let http = self.http.to_string();
        let mut all = args.to_vec();
        all.extend(["--http-addr", &http]);
        hearsay(&all)
    }

    /// `GET path` straight from the API.
    fn api_json(&self, path: &str) -> Value {
        call(self.http, Method::Get, path, None, b"").json()
    }
}

async fn node(name: &str) -> Node {
    let mut config = loopback_config(name);
    config.leave_timeout = Duration::from_millis(500);
    if name == "b" {
        config.meta = hearsay::Meta::from(&b"role=web"[..]);
    }
    Node::start(config).await.unwrap()
}

/// An address where nothing listens: a port that was free a moment ago.
fn nothing_listens() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

#[test]
fn every_command_without_an_agent_gets_one_line_naming_the_address_and_exit_code_1() {
    let addr = nothing_listens().to_string();
    let expected = format!(
        "error: no agent at {addr} (connection refused); start one with 'hearsay agent' or pass --http-addr\n"
    );
    for command in [
        &["members"][..],
        &["members", "--json"],
        &["member", "a"],
        &["join", "127.0.0.1:7946"],
        &["leave"],
        &["monitor"],
        &["info"],
        &["kv", "put", "k", "v"],
        &["kv", "get", "k"],
        &["kv", "del", "k"],
        &["kv", "list"],
        &["kv", "watch"],
        &["state", "set", "k", "v", "--ttl", "30s"],
        &["state", "get", "k", "--node", "b"],
        &["state", "list", "--all"],
        &["members", "--keys", "role"],
    ] {
        let mut args = command.to_vec();
        args.extend(["--http-addr", &addr]);
        let out = hearsay(&args);
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            expected,
            "{command:?}"
        );
        assert!(out.stdout.is_empty(), "{command:?}");
    }
}

#[test]
fn the_address_can_come_from_the_environment() {
    let addr = nothing_listens().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .arg("info")
        .env("HEARSAY_HTTP_ADDR", &addr)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(&format!("no agent at {addr} ")), "{stderr}");
}

#[test]
fn a_malformed_address_or_state_is_a_usage_error() {
    for args in [
        &["members", "--http-addr", "localhost"][..],
        &["members", "--state", "gone"],
        &["join", "not-an-address"],
        &["join"],
    ] {
        let out = hearsay(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = hearsay(&["members", "--http-addr", "localhost"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("expected ADDR:PORT"), "{stderr}");
}

#[test]
fn members_json_is_the_apis_json() {
    let agent = Agent::start(&["a", "b", "c"]);
    let printed: Value = serde_json::from_str(&stdout(&agent.run(&["members", "--json"]))).unwrap();
    assert_eq!(printed, agent.api_json("/v1/members"));
    assert_eq!(printed.as_array().unwrap().len(), 3);
}

#[test]
fn the_members_table_has_a_header_and_aligned_columns() {
    let agent = Agent::start(&["a", "b", "c"]);
    let text = stdout(&agent.run(&["members"]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    let header = lines[0];
    let columns = [
        "NAME", "ADDRESS", "STATE", "INC", "STARTED", "SINCE", "META",
    ];
    let starts: Vec<usize> = columns
        .iter()
        .map(|c| {
            header
                .find(c)
                .unwrap_or_else(|| panic!("no {c} in {header}"))
        })
        .collect();
    assert!(starts.is_sorted(), "{header}");
    for (line, name) in lines[1..].iter().zip(["a", "b", "c"]) {
        assert!(line.starts_with(&format!("{name} ")), "{line}");
        for &at in &starts[1..] {
            let bytes = line.as_bytes();
            assert!(
                bytes[at - 1] == b' ' && bytes[at] != b' ',
                "column at {at} is not aligned:\n{text}"
            );
        }
        assert!(line.contains(" alive "), "{line}");
    }
    let address = agent.nodes[1].advertise_addr().to_string();
    assert!(lines[2].contains(&address), "{text}");
    assert!(lines[2].ends_with("role=web"), "{text}");
}

#[test]
fn the_state_flag_filters_the_table() {
    let agent = Agent::start(&["a", "b"]);
    let alive = stdout(&agent.run(&["members", "--state", "alive"]));
    assert_eq!(alive.lines().count(), 3, "{alive}");
    let left = stdout(&agent.run(&["members", "--state", "left"]));
    assert_eq!(left, "no members in that state\n");
}

#[test]
fn member_shows_details_and_the_history_with_causes() {
    let agent = Agent::start(&["a", "b"]);
    let text = stdout(&agent.run(&["member", "b"]));
    assert!(text.starts_with("name"), "{text}");
    assert!(text.contains("role=web"), "{text}");
    let history: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("history"))
        .skip(1)
        .collect();
    let up = history
        .first()
        .unwrap_or_else(|| panic!("no history:\n{text}"));
    assert!(up.contains(" up "), "{text}");
    assert!(
        up.contains("sync with 127.0.0.1:") || up.contains("gossip from 127.0.0.1:"),
        "the cause names the peer: {text}"
    );

    let json: Value =
        serde_json::from_str(&stdout(&agent.run(&["member", "b", "--json"]))).unwrap();
    assert_eq!(json["name"], "b");
    assert!(!json["history"].as_array().unwrap().is_empty());
}

#[test]
fn an_unknown_member_prints_the_apis_message_and_exit_code_1() {
    let agent = Agent::start(&["a"]);
    let out = agent.run(&["member", "zed"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: no member named 'zed'; `hearsay members` lists them\n"
    );
}

#[test]
fn join_makes_the_agents_node_join() {
    let agent = Agent::start(&["a"]);
    let other = agent.runtime.block_on(node("z"));
    let seed = other.advertise_addr().to_string();
    let text = stdout(&agent.run(&["join", &seed]));
    assert!(
        text.starts_with(&format!("joining through {seed}")),
        "{text}"
    );
    agent.runtime.block_on(async {
        tokio::time::timeout(PATIENCE, agent.nodes[0].joined())
            .await
            .expect("the node joins")
            .unwrap();
    });
}

#[test]
fn info_describes_the_node() {
    let agent = Agent::start(&["a", "b"]);
    let text = stdout(&agent.run(&["info"]));
    let address = agent.nodes[0].advertise_addr();
    assert!(text.contains(&format!("a at {address}")), "{text}");
    assert!(
        text.contains("2 alive, 0 suspect, 0 dead, 0 left"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("joined") && l.ends_with("yes")),
        "{text}"
    );
    for c in hearsay::Stats::default().counters() {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{} ", c.name))),
            "no row for the counter {} in\n{text}",
            c.name
        );
    }
    let json: Value = serde_json::from_str(&stdout(&agent.run(&["info", "--json"]))).unwrap();
    assert_eq!(json["local"]["name"], "a");
    assert_eq!(json["states"]["alive"], 2);
}

#[test]
fn monitor_prints_a_line_when_a_node_joins() {
    let agent = Agent::start(&["a"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .args(["monitor", "--http-addr", &agent.http.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read on threads, so that a silent monitor fails the test instead of hanging it.
    let greeting = read_lines(child.stderr.take().unwrap());
    let events = read_lines(child.stdout.take().unwrap());
    // The greeting on stderr says the subscription is live.
    let hello = greeting.recv_timeout(PATIENCE).expect("a greeting");
    assert!(hello.contains("events from a"), "{hello}");

    let joiner = agent.runtime.block_on(async {
        let n = node("newcomer").await;
        n.join(&[agent.nodes[0].advertise_addr()]).await.unwrap();
        n
    });
    let line = events.recv_timeout(PATIENCE);
    child.kill().unwrap();
    child.wait().unwrap();
    let line = line.expect("a line for the join");
    assert!(line.contains(" up "), "{line}");
    assert!(
        line.contains(&format!("newcomer  {}", joiner.advertise_addr())),
        "{line}"
    );
}

#[test]
fn monitor_prints_user_events_and_queries_as_they_arrive() {
    let agent = Agent::start(&["a"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .args(["monitor", "--http-addr", &agent.http.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let greeting = read_lines(child.stderr.take().unwrap());
    let lines = read_lines(child.stdout.take().unwrap());
    greeting.recv_timeout(PATIENCE).expect("a greeting");

    let node = &agent.nodes[0];
    agent.runtime.block_on(async {
        node.broadcast("deploy", &b"v1.2"[..]).await.unwrap();
        // Asks only itself; nobody answers, and the monitor does not answer for it.
        let params = hearsay::QueryParams::new("who", &b"?"[..], Duration::from_millis(200));
        let summary = node.query(params).await.unwrap().collect().await.unwrap().1;
        assert_eq!((summary.expected, summary.responses), (1, 0));
    });
    let event = lines.recv_timeout(PATIENCE);
    let query = lines.recv_timeout(PATIENCE);
    child.kill().unwrap();
    child.wait().unwrap();
    let event = event.expect("a line for the event");
    assert!(
        event.ends_with("  event      deploy  from a  hops 0  v1.2"),
        "{event}"
    );
    let query = query.expect("a line for the query");
    assert!(
        query.ends_with("  query      who  from a  hops 0  ?"),
        "{query}"
    );
}

#[test]
fn leave_leaves_and_tells_the_agent() {
    let agent = Agent::start(&["a", "b"]);
    let text = stdout(&agent.run(&["leave"]));
    assert_eq!(text, "a left the cluster; the agent is exiting\n");
    agent.runtime.block_on(async {
        tokio::time::timeout(PATIENCE, agent.control.left())
            .await
            .expect("the agent is told");
    });
}
