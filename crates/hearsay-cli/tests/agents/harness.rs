//! Real `hearsay agent` processes on loopback, and the HTTP calls the tests make to them.
#![allow(clippy::disallowed_methods)] // a test harness times real processes with the wall clock

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// One agent process. Killed (SIGKILL) when dropped, so a failing test leaves nothing behind.
pub struct Agent {
    pub name: String,
    pub gossip: SocketAddr,
    pub http: SocketAddr,
    pub generation: u64,
    child: Option<Child>,
}

/// Starts `hearsay agent` with the `local` preset on free loopback ports, plus `extra` flags,
/// and waits for its ready line.
pub fn spawn(name: &str, extra: &[&str]) -> Agent {
    start(name, extra, false).0
}

/// Like [`spawn`], with the agent's info-level log readable line by line.
pub fn spawn_logged(name: &str, extra: &[&str]) -> (Agent, impl Iterator<Item = String> + use<>) {
    let (agent, log) = start(name, extra, true);
    let lines = BufReader::new(log.expect("stderr piped")).lines();
    (agent, lines.map_while(Result::ok))
}

fn start(name: &str, extra: &[&str], logged: bool) -> (Agent, Option<std::process::ChildStderr>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .args(["agent", "--name", name, "--bind", "127.0.0.1:0"])
        .args(["--http-addr", "127.0.0.1:0", "--preset", "local"])
        .args(extra)
        .env("RUST_LOG", if logged { "info" } else { "warn" })
        .stdout(Stdio::piped())
        .stderr(if logged {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .spawn()
        .expect("starting hearsay agent");
    let log = child.stderr.take();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("reading the ready line");
    // "hearsay agent NAME ready: gossip A (advertised B), http C, generation G"
    let word_after = |key: &str| -> String {
        let rest = line
            .split(key)
            .nth(1)
            .unwrap_or_else(|| panic!("no '{key}' in ready line {line:?}"));
        rest.split([' ', ',', ')'])
            .find(|w| !w.is_empty())
            .unwrap()
            .to_owned()
    };
    let agent = Agent {
        name: name.to_owned(),
        gossip: word_after("gossip ").parse().unwrap(),
        http: word_after("http ").parse().unwrap(),
        generation: word_after("generation ").trim().parse().unwrap(),
        child: Some(child),
    };
    (agent, log)
}

impl Agent {
    /// Sends `signal` (e.g. "-TERM", "-KILL") to the process.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        let ok = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(ok.success(), "kill {signal} {pid} failed");
    }

    /// Waits for the process to exit, at most `within`.
    pub fn wait(&mut self, within: Duration) -> ExitStatus {
        let child = self.child.as_mut().unwrap();
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return status;
            }
            assert!(Instant::now() < deadline, "{} did not exit", self.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `GET path` on this agent's API, as JSON.
    pub fn get(&self, path: &str) -> Value {
        get_json(self.http, path).unwrap_or_else(|e| panic!("GET {path} on {}: {e}", self.name))
    }

    /// `GET path`, as text.
    pub fn get_text(&self, path: &str) -> String {
        ureq::get(&format!("http://{}{path}", self.http))
            .call()
            .and_then(|mut r| r.body_mut().read_to_string())
            .unwrap_or_else(|e| panic!("GET {path} on {}: {e}", self.name))
    }

    /// This agent's view: (name, state, generation, address) of every member.
    pub fn view(&self) -> Vec<(String, String, u64, String)> {
        let members = self.get("/v1/members");
        members
            .as_array()
            .expect("/v1/members is a list")
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap().to_owned(),
                    m["state"].as_str().unwrap().to_owned(),
                    m["generation"].as_u64().unwrap(),
                    m["address"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// The state of `name` in this agent's view, if known.
    pub fn state_of(&self, name: &str) -> Option<String> {
        self.view().into_iter().find(|m| m.0 == name).map(|m| m.1)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn get_json(http: SocketAddr, path: &str) -> Result<Value, ureq::Error> {
    ureq::get(&format!("http://{http}{path}"))
        .call()?
        .body_mut()
        .read_json::<Value>()
}

/// Polls `condition` every 50 ms until it holds; panics with `what` after `within`. Returns
/// the time it took.
pub fn wait_for(what: &str, within: Duration, mut condition: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if condition() {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "timed out after {within:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A fresh, empty directory under the target's temp area.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hearsay-agents-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs the `hearsay` binary with `args`.
pub fn hearsay(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .args(args)
        .output()
        .unwrap()
}

/// Removes `dir` (best effort).
pub fn remove(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}
