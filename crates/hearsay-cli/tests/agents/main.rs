//! Separate `hearsay agent` processes on loopback: they converge; a `kill -9` is detected
//! within the bound the preset implies; a restart under the same name and a new port replaces
//! the old entry everywhere; SIGTERM is a leave, not a death; the data directory brings a
//! crashed node back without `--join`; hostile input is counted and dropped. The replicated
//! stores through the CLI, and acknowledged puts through a `kill -9`, are in `store.rs` and
//! `crash.rs`.

mod crash;
mod harness;
mod store;
mod user;

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use harness::{Agent, hearsay, spawn, spawn_logged};
use hearsay::Config;
use hearsay_test_support::temp_dir;
use hearsay_test_support::wait::wait_until_blocking;

/// Every agent sees exactly `names` alive.
fn all_see_alive(agents: &[&Agent], names: &[&str]) -> bool {
    agents.iter().all(|a| {
        let view = a.view();
        names
            .iter()
            .all(|n| view.iter().any(|m| m.0 == *n && m.1 == "alive"))
    })
}

/// The longest a crash can take to be declared dead everywhere with the `local` preset in a
/// cluster of `n`: a full probe round (randomised round-robin reaches every member once per
/// `n` probes), the probe timeout, the longest suspicion timeout (no confirmations), and 2 s
/// for the verdict to spread.
fn detection_bound(n: u32) -> Duration {
    let c = Config::local();
    let min = c
        .probe_interval
        .mul_f64(f64::from(c.suspicion_mult.get()) * f64::from(n).log10().max(1.0));
    c.probe_interval * n
        + c.probe_timeout
        + min * c.suspicion_max_timeout_mult.get()
        + Duration::from_secs(2)
}

#[test]
fn five_agents_converge_detect_a_crash_take_back_a_restart_and_see_a_leave() {
    let a = spawn("a", &[]);
    let seed = a.gossip.to_string();
    let mut others: Vec<Agent> = ["b", "c", "d", "e"]
        .iter()
        .map(|n| spawn(n, &["--join", &seed]))
        .collect();
    let names = ["a", "b", "c", "d", "e"];
    {
        let all: Vec<&Agent> = std::iter::once(&a).chain(others.iter()).collect();
        let took = wait_until_blocking(
            "five agents see each other alive",
            Duration::from_secs(15),
            || all_see_alive(&all, &names),
        );
        println!("converged in {took:?}");
    }

    // kill -9 e: the others declare it dead within the bound.
    let mut e = others.pop().unwrap();
    let old_generation = e.generation;
    e.signal("-KILL");
    e.wait(Duration::from_secs(5));
    let bound = detection_bound(5);
    let survivors: Vec<&Agent> = std::iter::once(&a).chain(others.iter()).collect();
    let took = wait_until_blocking("e declared dead by all", bound, || {
        survivors
            .iter()
            .all(|s| s.state_of("e").as_deref() == Some("dead"))
    });
    println!("kill -9 e: dead everywhere after {took:?} (bound {bound:?})");

    // Restart e under the same name on a new port: alive everywhere, newer generation, one entry.
    let e2 = spawn("e", &["--join", &seed]);
    assert!(e2.generation > old_generation);
    assert_ne!(e2.gossip, e.gossip);
    let new_addr = e2.gossip.to_string();
    wait_until_blocking(
        "restarted e alive everywhere",
        Duration::from_secs(10),
        || {
            survivors.iter().all(|s| {
                let view = s.view();
                let named: Vec<_> = view.iter().filter(|m| m.0 == "e").collect();
                named.len() == 1
                    && named[0].1 == "alive"
                    && named[0].2 == e2.generation
                    && named[0].3 == new_addr
            })
        },
    );

    // SIGTERM d: a graceful leave, seen as left (not dead), and exit code 0.
    let mut d = others.pop().unwrap();
    d.signal("-TERM");
    let status = d.wait(Duration::from_secs(10));
    assert!(
        status.success(),
        "SIGTERM ends the agent with 0, got {status}"
    );
    let rest: Vec<&Agent> = [&a, &others[0], &others[1], &e2].into();
    wait_until_blocking("d seen as left", Duration::from_secs(5), || {
        rest.iter()
            .all(|s| s.state_of("d").as_deref() == Some("left"))
    });

    // The CLI's view is the API's view.
    let out = hearsay(&["members", "--json", "--http-addr", &a.http.to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("members --json is JSON");
    let api = a.get("/v1/members");
    let key = |v: &serde_json::Value| -> Vec<(String, String, u64)> {
        let mut k: Vec<_> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap().to_owned(),
                    m["state"].as_str().unwrap().to_owned(),
                    m["generation"].as_u64().unwrap(),
                )
            })
            .collect();
        k.sort();
        k
    };
    assert_eq!(key(&cli), key(&api));
}

#[test]
fn a_crashed_agent_rejoins_from_its_data_dir_without_join() {
    let dir = temp_dir("rejoin");
    let data_dir = dir.path().to_str().unwrap().to_owned();
    let a = spawn("a", &[]);
    let mut b = spawn(
        "b",
        &["--join", &a.gossip.to_string(), "--data-dir", &data_dir],
    );
    wait_until_blocking("a and b see each other", Duration::from_secs(10), || {
        all_see_alive(&[&a, &b], &["a", "b"])
    });
    // The data dir is rewritten about a second after membership changes.
    wait_until_blocking("b's state file lists a", Duration::from_secs(5), || {
        std::fs::read_to_string(dir.path().join("state.json")).is_ok_and(|s| s.contains("\"a\""))
    });
    let old_generation = b.generation;
    b.signal("-KILL");
    b.wait(Duration::from_secs(5));

    let b2 = spawn("b", &["--data-dir", &data_dir]);
    assert!(
        b2.generation > old_generation,
        "a restart never reuses a generation"
    );
    wait_until_blocking(
        "b rejoined through its data dir",
        Duration::from_secs(10),
        || {
            a.view()
                .iter()
                .any(|m| m.0 == "b" && m.1 == "alive" && m.2 == b2.generation)
        },
    );
    drop(b2);
}

#[test]
fn hostile_input_is_counted_and_dropped_and_the_agent_keeps_answering() {
    let a = spawn("a", &[]);
    let before = a.view();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    for junk in [&b"\x00\x01garbage"[..], &[0xff; 1400], b""] {
        udp.send_to(junk, a.gossip).unwrap();
    }
    let mut oversized = TcpStream::connect(a.gossip).unwrap();
    oversized.write_all(&u32::MAX.to_be_bytes()).unwrap();
    let mut garbage = TcpStream::connect(a.gossip).unwrap();
    garbage.write_all(&4u32.to_be_bytes()).unwrap();
    garbage.write_all(b"junk").unwrap();
    let _half_open = TcpStream::connect(a.gossip).unwrap();

    wait_until_blocking(
        "the junk is counted in /metrics",
        Duration::from_secs(5),
        || {
            let m = a.get_text("/metrics");
            dropped(&m) >= 5 && m.contains("stream_oversized")
        },
    );
    assert_eq!(a.view(), before, "membership unchanged");
    let health = a.get("/v1/health");
    assert_eq!(health["status"], "ok");
}

/// Sum of the `hearsay_dropped_input_total` samples in a metrics page.
fn dropped(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("hearsay_dropped") && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

#[test]
fn bad_flags_and_a_taken_port_get_one_line_errors() {
    let out = hearsay(&["agent", "--name", "x", "--bind", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--bind") && err.contains("ADDR:PORT"), "{err}");

    let a = spawn("a", &[]);
    let out = hearsay(&[
        "agent",
        "--name",
        "x",
        "--bind",
        &a.gossip.to_string(),
        "--http-addr",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: cannot bind") && last.contains(&a.gossip.to_string()),
        "{err}"
    );
}

#[test]
fn a_second_signal_during_the_leave_exits_at_once() {
    let a = spawn("a", &[]);
    // Two members: the leave news goes to one peer per gossip round, so the graceful leave
    // takes about a second, time for the second signal to land.
    let (mut b, mut log) = spawn_logged("b", &["--join", &a.gossip.to_string()]);
    wait_until_blocking("a and b see each other", Duration::from_secs(10), || {
        all_see_alive(&[&a, &b], &["a", "b"])
    });
    b.signal("-TERM");
    assert!(
        log.any(|l| l.contains("leaving the cluster")),
        "b never started leaving"
    );
    b.signal("-TERM");
    let status = b.wait(Duration::from_secs(5));
    assert_eq!(
        status.code(),
        Some(130),
        "a second signal exits at once with 130"
    );
}
