//! Real `hearsay agent` processes on loopback, and the HTTP calls the tests make to them.
//! (Waiting, the HTTP client and temporary directories come from `hearsay-test-support`; this
//! file keeps what needs this crate's binary.)

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use hearsay_test_support::http::{Method, Reply, call};
use hearsay_test_support::wait::wait_until_blocking;
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
        let mut status = None;
        wait_until_blocking(&format!("{} exits", self.name), within, || {
            status = child.try_wait().unwrap();
            status.is_some()
        });
        self.child = None;
        status.unwrap()
    }

    /// `GET path` on this agent's API, as JSON.
    pub fn get(&self, path: &str) -> Value {
        self.get_ok(path).json()
    }

    /// `GET path`, as text.
    pub fn get_text(&self, path: &str) -> String {
        self.get_ok(path).text()
    }

    /// `GET path`, failing the test unless the answer is a 200.
    fn get_ok(&self, path: &str) -> Reply {
        let reply = call(self.http, Method::Get, path, None, b"");
        let name = &self.name;
        assert_eq!(reply.status, 200, "GET {path} on {name}: {}", reply.text());
        reply
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

/// Runs the `hearsay` binary with `args`.
pub fn hearsay(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .args(args)
        .output()
        .unwrap()
}
