//! `hearsay demo` as a newcomer runs it: a small, fast cluster on loopback, end to end.

use std::process::Command;

/// Every row the summary promises, in order.
const ROWS: [&str; 7] = [
    "join to full views",
    "first suspicion",
    "first dead",
    "all dead",
    "rejoin everywhere",
    "leave spread everywhere",
    "total wall time",
];

#[test]
fn a_quiet_local_demo_finishes_and_prints_every_summary_row() {
    let out = Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .args(["demo", "--nodes", "8", "--preset", "local", "--quiet"])
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let summary = stdout
        .split_once("\nsummary: 8 nodes, local preset")
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no summary heading in:\n{stdout}"));
    let labels: Vec<&str> = summary
        .lines()
        .skip(1)
        .filter_map(|l| ROWS.iter().copied().find(|r| l.trim_start().starts_with(r)))
        .collect();
    assert_eq!(labels, ROWS, "summary rows out of place in:\n{stdout}");
    // Every row carries a time in seconds, not a placeholder.
    for line in summary.lines().skip(1).take(ROWS.len()) {
        assert!(line.contains(" s"), "no time in {line:?}");
    }
    // --quiet drops the phase lines; only the tables remain.
    assert!(
        !stdout.contains("[1/4]"),
        "phase lines with --quiet:\n{stdout}"
    );
}

#[test]
fn an_out_of_range_node_count_says_what_to_use() {
    let out = Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .args(["demo", "--nodes", "2"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("use 3 to 256 nodes"), "{stderr}");
}
