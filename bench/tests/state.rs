//! `hearsay-bench state` end to end on a small cluster: five nodes set three keys each, on
//! hearsay's simulator and on chitchat's in-memory transport (a child process, real time,
//! a few seconds); the table has a row for each system, the JSON holds both, and `--from`
//! prints the same table again.

use std::process::Command;

use hearsay_bench::state::StateResults;

#[test]
fn state_prints_a_row_for_each_system_and_writes_both_to_the_json() {
    let out = std::env::temp_dir().join(format!("hearsay-bench-state-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_hearsay-bench"))
        .args([
            "state",
            "--nodes",
            "5",
            "--keys",
            "3",
            "--seeds",
            "1",
            "--idle-secs",
            "2",
            "--steady-settle-secs",
            "5",
            "--timeout-secs",
            "60",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("hearsay-bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let row = |system: &str| {
        stdout
            .lines()
            .find(|l| {
                let mut words = l.split_whitespace();
                words.next() == Some("5") && words.next() == Some(system)
            })
            .unwrap_or_else(|| panic!("no N = 5 {system} row in\n{stdout}"))
            .to_owned()
    };
    for system in ["hearsay", "chitchat", "ratio"] {
        let row = row(system);
        assert!(!row.contains("never"), "{system} did not replicate: {row}");
    }
    assert!(stdout.contains("Targets:"), "{stdout}");

    let path = out.join("state_results.json");
    let text = std::fs::read_to_string(&path).expect("state_results.json written");
    let results: StateResults = serde_json::from_str(&text).expect("valid JSON");
    let [cell] = results.cells.as_slice() else {
        panic!("one size, one seed: {:?}", results.cells);
    };
    assert_eq!((cell.nodes, cell.seed), (5, 1));
    assert!(cell.hearsay.full_replication_s.is_some());
    assert!(cell.chitchat.full_replication_s.is_some());
    assert!(cell.hearsay.idle_wire_bytes_per_node_s > cell.hearsay.idle_payload_bytes_per_node_s);
    assert!(
        cell.chitchat.idle_bytes_per_node_s > 0.0,
        "chitchat gossips digests"
    );

    let again = Command::new(env!("CARGO_BIN_EXE_hearsay-bench"))
        .args(["state", "--from"])
        .arg(&path)
        .output()
        .expect("hearsay-bench runs");
    assert!(again.status.success());
    assert_eq!(String::from_utf8_lossy(&again.stdout), stdout);
    let _ = std::fs::remove_dir_all(&out);
}
