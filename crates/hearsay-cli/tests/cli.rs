//! The `hearsay` binary as a user meets it.

use std::process::Command;

fn hearsay(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn an_out_of_range_flag_gets_one_line_and_exit_code_2() {
    let out = hearsay(&[
        "sim",
        "--nodes",
        "10",
        "--duration",
        "10s",
        "--seed",
        "1",
        "--loss",
        "1.5",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "error: --loss 1.5 is out of range; use a probability from 0 to 1\n"
    );
}

#[test]
fn a_malformed_duration_names_the_flag() {
    let out = hearsay(&["sim", "--nodes", "10", "--duration", "10", "--seed", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: --duration 10 has no unit"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
}

#[test]
fn a_small_run_prints_json_with_the_documented_fields() {
    let out = hearsay(&[
        "sim",
        "--nodes",
        "5",
        "--duration",
        "15s",
        "--seed",
        "3",
        "--json",
    ]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in [
        "join_converged_s",
        "spread_p50_s",
        "spread_p99_s",
        "spread_max_s",
        "detect_first_s",
        "detect_all_s",
        "false_dead",
        "false_dead_per_member_hour",
        "bytes_per_member_s",
        "datagrams_per_member_s",
        "stream_bytes_per_member_s",
        "wall_s",
        "peak_rss_mb",
        "events",
        "datagrams",
        "max_datagram_bytes_seen",
        "datagrams_lost",
        "suspicions",
        "refutations",
        "dropped_input",
    ] {
        assert!(json.get(field).is_some(), "missing {field}");
    }
    assert!(json["join_converged_s"].is_number());
}

#[test]
fn the_table_is_the_default_output() {
    let out = hearsay(&["sim", "--nodes", "3", "--duration", "5s", "--seed", "1"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.lines().any(|l| l.starts_with("join converged")),
        "{stdout}"
    );
}

#[test]
fn a_one_seed_sweep_passes() {
    let out = hearsay(&[
        "sim",
        "sweep",
        "--seeds",
        "1",
        "--first-seed",
        "5",
        "--nodes",
        "8",
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("seed 5: 8 nodes"), "{stdout}");
    assert!(stdout.ends_with("1 passed, 0 failed\n"), "{stdout}");
}

#[test]
fn a_kv_run_adds_its_figures_to_the_json() {
    let out = hearsay(&[
        "sim",
        "--nodes",
        "5",
        "--duration",
        "40s",
        "--seed",
        "1",
        "--preconverged",
        "--kv-keys",
        "100",
        "--kv-writes",
        "5",
        "--kv-write-for",
        "2s",
        "--json",
    ]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["kv_keys"], 100);
    assert_eq!(json["kv_writes"], 10);
    assert!(json["kv_converged_s"].is_number(), "{json}");
    assert!(json["kv_idle_exchange_bytes"].is_number(), "{json}");
}

#[test]
fn a_kv_refinement_without_its_flag_gets_one_line_and_exit_code_2() {
    let out = hearsay(&[
        "sim",
        "--nodes",
        "5",
        "--duration",
        "10s",
        "--seed",
        "1",
        "--kv-keys",
        "10",
        "--kv-write-for",
        "5s",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: --kv-write-for only applies with --kv-writes RATE above 0; add that or drop --kv-write-for\n"
    );
}

#[test]
fn sim_state_prints_replication_and_idle_figures() {
    let out = hearsay(&[
        "sim", "state", "--nodes", "5", "--keys", "3", "--idle", "5s", "--json",
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(json["full_replication_s"].is_number(), "{json}");
    assert_eq!(json["idle_s"], 5.0);
    assert!(json["idle_bytes_per_node_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn an_event_run_adds_its_figures_to_the_json() {
    let out = hearsay(&[
        "sim",
        "--nodes",
        "10",
        "--duration",
        "10s",
        "--seed",
        "1",
        "--preconverged",
        "--events",
        "5",
        "--event-for",
        "2s",
        "--event-bytes",
        "100",
        "--queries",
        "1",
        "--query-timeout",
        "3s",
        "--json",
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["events_sent"], 10);
    assert_eq!(json["event_delivered_pct"], 100.0);
    assert_eq!(json["event_mode"], "tree");
    assert_eq!(json["queries_sent"], 2);
    assert!(json["event_rmr"].is_number(), "{json}");
    assert!(json["query_complete_pct"].is_number(), "{json}");
}

#[test]
fn a_bad_event_mode_gets_one_line_and_exit_code_2() {
    let out = hearsay(&[
        "sim",
        "--nodes",
        "5",
        "--duration",
        "10s",
        "--seed",
        "1",
        "--events",
        "1",
        "--event-mode",
        "push",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: --event-mode push is not a mode; use tree or flood\n"
    );
}
