//! `hearsay kv` and `hearsay state` against real agent processes, and an agent refusing to
//! start on a damaged store.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use hearsay_test_support::wait::wait_until_blocking;
use hearsay_test_support::{read_lines, temp_dir};

use crate::harness::{self, Agent, spawn};

/// Runs `hearsay ARGS --http-addr <agent's API>`.
fn cli(agent: &Agent, args: &[&str]) -> Output {
    let http = agent.http.to_string();
    let mut all = args.to_vec();
    all.extend(["--http-addr", &http]);
    harness::hearsay(&all)
}

/// Stdout of a command that must succeed.
fn ok(out: Output) -> Vec<u8> {
    assert!(
        out.status.success(),
        "failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn text(out: Output) -> String {
    String::from_utf8(ok(out)).unwrap()
}

/// Stderr of a command that must fail with `code`, checked to be one line.
fn failed(out: Output, code: i32) -> String {
    assert_eq!(out.status.code(), Some(code), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn kv_put_get_list_and_del_through_the_cli() {
    let a = spawn("a", &[]);
    let out = text(cli(&a, &["kv", "put", "config/db", "pg://10.0.0.5/app"]));
    assert!(
        out.starts_with("config/db: 17 bytes written by a (stamp "),
        "{out}"
    );
    text(cli(&a, &["kv", "put", "config/cache", "redis"]));
    text(cli(&a, &["kv", "put", "other", "x"]));

    let value = ok(cli(&a, &["kv", "get", "config/db"]));
    assert_eq!(value, b"pg://10.0.0.5/app", "raw bytes, nothing added");

    let table = text(cli(&a, &["kv", "list", "--prefix", "config/"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("KEY") && lines[0].contains("VALUE"),
        "{table}"
    );
    assert!(lines[1].starts_with("config/cache  redis"), "{table}");
    assert!(
        lines[2].starts_with("config/db     pg://10.0.0.5/app  a"),
        "{table}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&text(cli(&a, &["kv", "list", "--json"]))).unwrap();
    assert_eq!(json, a.get("/v1/kv?prefix="));
    assert_eq!(json.as_array().unwrap().len(), 3);

    let out = text(cli(&a, &["kv", "del", "config/db"]));
    assert!(out.starts_with("config/db: deleted by a"), "{out}");
    let err = failed(cli(&a, &["kv", "get", "config/db"]), 1);
    assert_eq!(
        err,
        "error: no key 'config/db' in the map; `hearsay kv list` (GET /v1/kv?prefix=) lists the keys\n"
    );
    let empty = text(cli(&a, &["kv", "list", "--prefix", "nothing/"]));
    assert_eq!(empty, "no keys start with 'nothing/'\n");
}

#[test]
fn a_value_from_a_file_is_stored_byte_for_byte() {
    let a = spawn("a", &[]);
    let dir = temp_dir("kv-file");
    let file = dir.path().join("blob.bin");
    let blob: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    std::fs::write(&file, &blob).unwrap();
    let at_file = format!("@{}", file.display());

    let out = text(cli(&a, &["kv", "put", "blob", &at_file]));
    assert!(out.starts_with("blob: 70000 bytes written"), "{out}");
    assert_eq!(ok(cli(&a, &["kv", "get", "blob"])), blob);
    let table = text(cli(&a, &["kv", "list"]));
    assert!(table.contains("(70000 bytes, not text)"), "{table}");

    text(cli(&a, &["kv", "put", "handle", "@@home"]));
    assert_eq!(ok(cli(&a, &["kv", "get", "handle"])), b"@home");

    let missing = format!("@{}", dir.path().join("missing").display());
    let err = failed(cli(&a, &["kv", "put", "k", &missing]), 1);
    assert!(
        err.starts_with("error: cannot read the value file"),
        "{err}"
    );
}

#[test]
fn state_set_and_get_across_members_and_members_shows_chosen_keys() {
    let a = spawn("a", &[]);
    let b = spawn("b", &["--join", &a.gossip.to_string()]);
    let out = text(cli(&b, &["state", "set", "role", "web"]));
    assert!(out.starts_with("role: 3 bytes set on b (version "), "{out}");
    let out = text(cli(&b, &["state", "set", "zone", "eu-1", "--ttl", "1h"]));
    assert!(out.contains(", deleted in 1h00m)"), "{out}");
    assert_eq!(ok(cli(&b, &["state", "get", "role"])), b"web");

    wait_until_blocking("a holds b's zone", Duration::from_secs(10), || {
        cli(&a, &["state", "get", "zone", "--node", "b"]).stdout == b"eu-1"
    });
    let table = text(cli(&a, &["members", "--keys", "role,zone"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].ends_with("META  role  zone"), "{table}");
    assert!(
        lines[1].starts_with("a ") && lines[1].ends_with("-     -"),
        "{table}"
    );
    assert!(
        lines[2].starts_with("b ") && lines[2].ends_with("web   eu-1"),
        "{table}"
    );
    let plain = text(cli(&a, &["members"]));
    assert!(
        plain.lines().next().unwrap().ends_with("META"),
        "default unchanged: {plain}"
    );

    let all = text(cli(&a, &["state", "list", "--all"]));
    assert!(all.contains("b      role  web"), "{all}");
    let out = text(cli(&b, &["state", "del", "role"]));
    assert_eq!(out, "role: deleted from b\n");
    let err = failed(cli(&b, &["state", "get", "role"]), 1);
    assert!(err.contains("this node (b) has no key 'role'"), "{err}");

    // A usage error, from clap: the message on the first line, a pointer to --help after.
    let usage = cli(&b, &["state", "set", "k", "v", "--ttl", "30"]);
    assert_eq!(usage.status.code(), Some(2));
    let first = String::from_utf8(usage.stderr).unwrap();
    let first = first.lines().next().unwrap_or_default();
    assert!(
        first.contains("'30' is not a time to live") && first.contains("for example 30s"),
        "{first}"
    );
}

#[test]
fn kv_watch_prints_a_line_for_a_change_under_its_prefix() {
    let a = spawn("a", &[]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .args([
            "kv",
            "watch",
            "--prefix",
            "app/",
            "--http-addr",
            &a.http.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let greeting = read_lines(child.stderr.take().unwrap());
    let changes = read_lines(child.stdout.take().unwrap());
    let hello = greeting
        .recv_timeout(Duration::from_secs(10))
        .expect("a greeting once the watch is live");
    assert!(hello.contains("map changes under 'app/' from a"), "{hello}");

    text(cli(&a, &["kv", "put", "elsewhere", "0"]));
    text(cli(&a, &["kv", "put", "app/x", "1"]));
    let line = changes.recv_timeout(Duration::from_secs(10));
    child.kill().unwrap();
    child.wait().unwrap();
    let line = line.expect("a line for the put");
    assert!(line.ends_with("  put     app/x = 1  by a"), "{line}");
}

#[test]
fn a_corrupt_kv_store_stops_the_agent_with_one_line_and_exit_code_1() {
    let dir = temp_dir("corrupt");
    let store = dir.path().join("kv.redb");
    std::fs::write(&store, garbage(10_000)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .args(["agent", "--name", "a", "--bind", "127.0.0.1:0"])
        .args(["--http-addr", "127.0.0.1:0", "--preset", "local"])
        .args(["--data-dir", dir.path().to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let err = failed(out, 1);
    assert!(
        err.starts_with(&format!("error: kv store {} is corrupt (", store.display())),
        "{err}"
    );
    assert!(
        err.ends_with("restore it from a backup or move it away to start empty\n"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&store).unwrap(),
        garbage(10_000),
        "left as it was"
    );
}

/// Deterministic bytes that are no store (xorshift, so no all-zero page looks like free
/// space).
fn garbage(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
