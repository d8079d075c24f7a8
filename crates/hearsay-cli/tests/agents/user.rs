//! User events, queries and event handlers with real agent processes: `POST /v1/event` seen by
//! a watcher and by handlers (their environment and standard input), `hearsay query` answered
//! by query handlers' output, refusals with one-line errors, and a hanging handler killed at
//! its timeout and counted.

use std::path::Path;
use std::time::Duration;

use hearsay_test_support::http::{EventStream, Method, call};
use hearsay_test_support::temp_dir;
use hearsay_test_support::wait::wait_until_blocking;
use serde_json::Value;

use crate::harness::{Agent, hearsay, spawn};

/// `{ CMD; } > FILE.tmp && mv FILE.tmp FILE`: the file appears whole or not at all.
fn into_file(command: &str, file: &Path) -> String {
    let f = file.display();
    format!("{{ {command}; }} > '{f}.tmp' && mv '{f}.tmp' '{f}'")
}

/// The file's text once it exists.
fn await_file(file: &Path) -> String {
    let mut text = String::new();
    wait_until_blocking(
        &format!("{} is written", file.display()),
        Duration::from_secs(10),
        || match std::fs::read_to_string(file) {
            Ok(t) => {
                text = t;
                true
            }
            Err(_) => false,
        },
    );
    text
}

fn wait_for_cluster(agents: &[&Agent]) {
    let n = agents.len();
    wait_until_blocking(
        &format!("{n} agents see each other alive"),
        Duration::from_secs(10),
        || {
            agents
                .iter()
                .all(|a| a.view().iter().filter(|m| m.1 == "alive").count() == n)
        },
    );
}

/// `POST path` with `body`; the status and the body's text.
fn post(agent: &Agent, path: &str, body: &[u8]) -> (u16, String) {
    let reply = call(
        agent.http,
        Method::Post,
        path,
        Some("application/octet-stream"),
        body,
    );
    (reply.status, reply.text())
}

/// The `(event name, data)` messages of a complete server-sent event body.
fn messages(body: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut name = String::new();
    for line in body.lines() {
        if let Some(n) = line.strip_prefix("event: ") {
            name = n.to_owned();
        } else if let Some(d) = line.strip_prefix("data: ") {
            out.push((name.clone(), serde_json::from_str(d).unwrap()));
        }
    }
    out
}

#[test]
fn an_event_posted_to_one_agent_reaches_watchers_and_handlers_of_another() {
    let dir = temp_dir("user-handlers");
    let event_file = dir.path().join("event");
    let join_file = dir.path().join("join");
    let user = format!(
        "user:deploy/*={}",
        into_file(
            "env | grep -E '^HEARSAY_(EVENT|ORIGIN|SELF_NAME|USER_EVENT|QUERY_NAME)=' | sort; echo ---; cat",
            &event_file
        )
    );
    let join = format!(
        "member-join={}",
        into_file("echo \"$HEARSAY_EVENT\"; cat", &join_file)
    );
    // b's handlers: deploy/* events and members joining (a, when b joins through it).
    let a = spawn("a", &["--max-event-bytes", "1024"]);
    let b = spawn(
        "b",
        &[
            "--join",
            &a.gossip.to_string(),
            "--handler",
            &user,
            "--handler",
            &join,
        ],
    );
    wait_for_cluster(&[&a, &b]);
    let joined = await_file(&join_file);
    let line = format!("a\t{}\talive\t-", a.gossip);
    assert_eq!(joined, format!("member-join\n{line}\n"));

    let mut watch = EventStream::open(b.http, "/v1/watch/event?prefix=deploy/");
    assert_eq!(watch.content_type, "text/event-stream");
    let (status, body) = post(&a, "/v1/event/deploy%2Fweb", b"v1.2\n");
    assert_eq!(status, 200, "{body}");
    let sent: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(sent["id"]["origin"], "a");
    assert!(sent["id"]["seq"].is_u64() && sent["id"]["generation"].is_u64());

    let (name, data) = watch.next().expect("the watch sees the event");
    assert_eq!(name, "event");
    assert_eq!(data["name"], "deploy/web");
    assert_eq!(data["origin"], "a");
    assert_eq!(data["seq"], sent["id"]["seq"]);
    assert_eq!(data["value"], "v1.2\n");
    assert!(data["hops"].as_u64().unwrap() >= 1);

    let seen = await_file(&event_file);
    assert_eq!(
        seen,
        "HEARSAY_EVENT=user\nHEARSAY_ORIGIN=a\nHEARSAY_SELF_NAME=b\n\
         HEARSAY_USER_EVENT=deploy/web\n---\nv1.2\n"
    );

    // Refusals: one line each, saying what was wrong.
    let (status, body) = post(&a, "/v1/event/big", &[b'x'; 1025]);
    assert_eq!(status, 413, "{body}");
    assert!(one_line_error(&body).contains("1024 bytes"), "{body}");
    let long_name = "n".repeat(129);
    let (status, body) = post(&a, &format!("/v1/event/{long_name}"), b"x");
    assert_eq!(status, 400, "{body}");
    assert!(one_line_error(&body).contains("event name"), "{body}");
}

/// The message of a JSON error answer, checked to be one line.
fn one_line_error(body: &str) -> String {
    let error: Value = serde_json::from_str(body).unwrap();
    let message = error["error"].as_str().unwrap().to_owned();
    assert_eq!(message.lines().count(), 1, "{message}");
    message
}

#[test]
fn hearsay_query_prints_each_members_handler_output_and_a_summary() {
    let handler = "query:load=printf '%s says %s' \"$HEARSAY_SELF_NAME\" \"$(cat)\"";
    let a = spawn("a", &["--handler", handler, "--meta", "role=web"]);
    let seed = a.gossip.to_string();
    let b = spawn(
        "b",
        &["--join", &seed, "--handler", handler, "--meta", "role=web"],
    );
    let c = spawn(
        "c",
        &["--join", &seed, "--handler", handler, "--meta", "role=db"],
    );
    wait_for_cluster(&[&a, &b, &c]);
    let http = a.http.to_string();

    let out = hearsay(&[
        "query",
        "load",
        "hi",
        "--timeout",
        "10s",
        "--http-addr",
        &http,
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut responses: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("response from"))
        .collect();
    responses.sort();
    let expected = ["a", "b", "c"].map(|n| format!("response from {n}: {n} says hi"));
    assert_eq!(responses.len(), 3, "{text}");
    for (line, want) in responses.iter().zip(&expected) {
        assert!(
            line.starts_with(&want[..14]) && line.ends_with(&want[14..]),
            "{text}"
        );
    }
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("3 of 3 members responded in ") && last.contains("(3 acknowledged)"),
        "{text}"
    );

    // A filter narrows who is asked; --json prints the API's messages.
    let out = hearsay(&[
        "query",
        "load",
        "--meta",
        "role=^web$",
        "--no-ack",
        "--json",
        "--http-addr",
        &http,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let done = lines.last().unwrap();
    assert_eq!(done["kind"], "done");
    assert_eq!(
        (done["expected"].as_u64(), done["responses"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(
        lines.iter().all(|l| l["kind"] != "ack"),
        "no acks asked for"
    );

    // The same over HTTP: the stream ends after `done`.
    let (status, body) = post(&a, "/v1/query/load?node=c&timeout=10s", b"x");
    assert_eq!(status, 200, "{body}");
    let msgs = messages(&body);
    let names: Vec<&str> = msgs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["ack", "response", "done"], "{body}");
    assert_eq!(msgs[1].1["value"], "c says x");

    // Mistakes: 400 with one line naming the problem, and exit code 1 from the CLI.
    for (path, names) in [
        ("/v1/query/load?meta=role=(", "meta"),
        ("/v1/query/load?timeout=soon", "timeout"),
        ("/v1/query/load?relay_factor=-1", "relay_factor"),
    ] {
        let (status, body) = post(&a, path, b"");
        assert_eq!(status, 400, "{path}: {body}");
        let message = one_line_error(&body);
        assert!(message.contains(names), "{path}: {message}");
    }
    let out = hearsay(&["query", "load", "--meta", "role=(", "--http-addr", &http]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_hanging_handler_is_killed_at_its_timeout_counted_and_does_not_hold_up_the_next() {
    let dir = temp_dir("user-hang");
    let done = dir.path().join("done");
    let quick = format!("user:quick={}", into_file("cat", &done));
    let a = spawn(
        "a",
        &[
            "--handler",
            "user:hang=sleep 60",
            "--handler",
            &quick,
            "--handler-timeout",
            "300ms",
            "--handler-concurrency",
            "2",
        ],
    );
    for _ in 0..2 {
        let (status, body) = post(&a, "/v1/event/hang", b"");
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = post(&a, "/v1/event/quick", b"ok");
    assert_eq!(status, 200, "{body}");
    // Both slots are taken by the hanging handlers until their timeout; then the quick one runs.
    assert_eq!(await_file(&done), "ok");
    let runs = |outcome: &str| {
        metric(
            &a.get_text("/metrics"),
            &format!("hearsay_handler_runs_total{{outcome=\"{outcome}\"}}"),
        )
    };
    wait_until_blocking(
        "both hanging handlers are counted as timed out",
        Duration::from_secs(10),
        || runs("timed_out") >= 2,
    );
    let metrics = a.get_text("/metrics");
    assert_eq!(runs("timed_out"), 2, "{metrics}");
    assert_eq!(runs("succeeded"), 1, "{metrics}");
    assert_eq!(metric(&metrics, "hearsay_handlers_running"), 0, "{metrics}");
}

/// The value of the sample `series` (name and labels) in a metrics page; 0 when absent.
fn metric(page: &str, series: &str) -> u64 {
    page.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}
