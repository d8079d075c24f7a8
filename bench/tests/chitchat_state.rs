//! chitchat's per-node key/value replication, end to end on a small cluster: five nodes on
//! chitchat's in-memory transport set three keys each, every node ends up holding all of
//! them, and the idle cluster still gossips (digests every round). Runs in real time, about
//! ten seconds.

use hearsay_bench::chitchat_state::{StateScenario, run_chitchat_state};

#[test]
fn five_chitchat_nodes_replicate_every_key_then_keep_gossiping_when_idle() {
    let scenario = StateScenario {
        nodes: 5,
        keys_per_node: 3,
        value_bytes: 16,
        idle_secs: 2.0,
        seed: 7,
        timeout_secs: 60.0,
        settle_secs: 1.0,
    };
    let figures = run_chitchat_state(&scenario);

    let replicated = figures
        .full_replication_s
        .unwrap_or_else(|| panic!("replication did not complete: {}", figures.notes));
    assert!(
        replicated > 0.0 && replicated < scenario.timeout_secs,
        "{replicated}"
    );
    assert!(
        !figures.notes.contains("NOT"),
        "something went wrong: {}",
        figures.notes
    );
    assert!(
        figures.idle_bytes_per_node_s > 0.0,
        "idle chitchat still sends digests: {figures:?}"
    );
    assert!(figures.idle_msgs_per_node_s > 0.0, "{figures:?}");
    // Every message carries at least chitchat's 4-byte header.
    assert!(figures.idle_bytes_per_node_s >= 4.0 * figures.idle_msgs_per_node_s);
    if cfg!(target_os = "linux") {
        assert!(figures.peak_rss_bytes.is_some_and(|b| b > 0));
    }
}
