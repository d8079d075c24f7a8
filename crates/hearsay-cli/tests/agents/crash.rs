//! An acknowledged write survives `kill -9`: a real agent with `--data-dir` under a load of
//! concurrent `PUT /v1/kv/...`, killed in the middle of it, restarted on the same directory,
//! must hold every key whose put was answered 200, with its value.
//!
//! What this proves is the ordering: no write is acknowledged before the commit that holds it.
//! A SIGKILL loses the process, not the operating system's page cache, so it cannot tell an
//! fsync from a plain write; the durable store's own tests and the fsync in its commit path
//! cover that part.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use hearsay_test_support::temp_dir;

use crate::harness::spawn;

/// Concurrent HTTP clients writing.
const WRITERS: usize = 8;
/// Acknowledged writes to see before the kill, so that the load is well under way.
const KILL_AFTER_ACKS: usize = 400;
/// Longest wait for the next acknowledgement while the load runs.
const PATIENCE: Duration = Duration::from_secs(10);

/// How one writer's load ended.
#[derive(Debug)]
enum Ended {
    /// A request failed without an answer: the agent is gone (expected after the kill).
    Refused,
    /// The agent answered something other than 200 (never expected).
    Answered(u16, String),
}

#[test]
fn every_acknowledged_put_survives_a_kill_9_in_the_middle_of_a_write_load() {
    let dir = temp_dir("crash");
    let data_dir = dir.path().to_str().unwrap().to_owned();
    let mut agent = spawn("a", &["--data-dir", &data_dir]);

    let (acks, acked) = mpsc::channel::<(String, String)>();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let acks = acks.clone();
            let http = agent.http;
            thread::spawn(move || write_until_refused(http, w, &acks))
        })
        .collect();
    drop(acks);

    let mut acknowledged = BTreeMap::new();
    while acknowledged.len() < KILL_AFTER_ACKS {
        let (key, value) = acked
            .recv_timeout(PATIENCE)
            .expect("the agent keeps acknowledging puts");
        acknowledged.insert(key, value);
    }
    // Every writer is in the middle of a request, or about to send one.
    agent.signal("-KILL");
    agent.wait(Duration::from_secs(5));
    for w in writers {
        match w.join().unwrap() {
            Ended::Refused => {}
            Ended::Answered(status, body) => panic!("a put was answered {status}: {body}"),
        }
    }
    // Acknowledgements that raced the kill count too.
    acknowledged.extend(acked.try_iter());

    let restarted = spawn("a", &["--data-dir", &data_dir]);
    let held = restarted.get("/v1/kv?prefix=crash/");
    let held: BTreeMap<String, String> = held
        .as_array()
        .expect("a list")
        .iter()
        .map(|i| {
            let key = i["key"].as_str().unwrap().to_owned();
            (key, i["value"].as_str().unwrap().to_owned())
        })
        .collect();
    let mut lost = Vec::new();
    for (key, value) in &acknowledged {
        if held.get(key) != Some(value) {
            lost.push(key.as_str());
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged puts lost or changed by kill -9: {:?}",
        lost.len(),
        acknowledged.len(),
        &lost[..lost.len().min(10)]
    );
    println!(
        "kill -9 under {WRITERS} writers: all {} acknowledged puts found after restart \
         ({} more were committed but not acknowledged before the kill)",
        acknowledged.len(),
        held.len() - acknowledged.len()
    );
    drop(restarted);
}

/// Puts `crash/w{w}/{i}` for i = 0, 1, ... until a request gets no answer, sending each
/// acknowledged (key, value) to `acks`.
fn write_until_refused(http: SocketAddr, w: usize, acks: &mpsc::Sender<(String, String)>) -> Ended {
    let client: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .build()
        .into();
    for i in 0.. {
        let key = format!("crash/w{w}/{i:06}");
        // Values of a few hundred bytes, different for every key, so a mix-up would show.
        let value = format!("{key}:{}", "x".repeat(200 + (i * 7 + w) % 100));
        let answer = client
            .put(&format!("http://{http}/v1/kv/{key}"))
            .send(value.as_bytes());
        let mut response = match answer {
            Ok(r) => r,
            Err(_) => return Ended::Refused,
        };
        let status = response.status().as_u16();
        if status != 200 {
            let body = response.body_mut().read_to_string().unwrap_or_default();
            return Ended::Answered(status, body);
        }
        if acks.send((key, value)).is_err() {
            return Ended::Refused;
        }
        // Read to the end so the connection is reused; the put is acknowledged already.
        let _ = response.body_mut().read_to_string();
    }
    unreachable!("the load ends when the agent is killed")
}
