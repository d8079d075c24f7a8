//! Store workloads on simulated clusters: the map's writes reach every replica, per-node
//! state replicates, identical replicas pay the same small exchange whatever they hold, and
//! runs without a workload are left as they were.

use std::time::Duration;

use hearsay_sim::state_bench::run_state_scenario;
use hearsay_sim::store_load::KvLoad;
use hearsay_sim::{Outcome, Report, Scenario, Simulation, run};

/// 20 preconverged nodes holding `keys` keys; 10 writes per second from 2 s to 7 s when
/// `writes`; 50 s in all, so that the idle tail holds a few dozen exchanges (each node
/// starts one every 30 s).
fn kv_scenario(keys: u32, writes: bool, seed: u64) -> Scenario {
    let mut s = Scenario::new(20, Duration::from_secs(50), seed);
    s.preconverged = true;
    let mut kv = KvLoad::new(keys);
    if writes {
        kv.writes_per_s = 10.0;
        kv.write_at = Some(Duration::from_secs(2));
        kv.write_for = Duration::from_secs(5);
    }
    s.kv = Some(kv);
    s
}

fn kv_report(keys: u32, writes: bool, seed: u64) -> Report {
    run(kv_scenario(keys, writes, seed)).unwrap()
}

#[test]
fn twenty_nodes_converge_after_writes_and_idle_exchanges_stay_small() {
    let report = kv_report(10_000, true, 1);
    let stores = report
        .stores
        .as_ref()
        .expect("a KV run reports store figures");
    let kv = stores.kv.as_ref().expect("KV figures");
    assert_eq!(kv.kv_writes, 50);
    assert_eq!(kv.kv_write_start_s, Some(2.0));
    let converged = kv.kv_converged_s.expect("the replicas never agreed");
    // Gossip, not the 30 s anti-entropy, brings the replicas level.
    assert!(converged < 3.0, "{converged}");
    let sync = kv.kv_sync_bytes_per_member_s.expect("a write window");
    assert!(sync > 0.0);
    assert!(kv.kv_idle_exchanges >= 10, "{}", kv.kv_idle_exchanges);
    let idle = kv
        .kv_idle_exchange_bytes
        .expect("exchanges in the idle tail");
    assert!(idle < 200.0, "{idle} bytes per exchange");
    assert_eq!(report.false_dead, 0);
}

#[test]
fn an_idle_exchange_costs_the_same_for_an_empty_and_a_large_map() {
    let exchange = |keys| {
        let report = kv_report(keys, false, 3);
        let kv = report.stores.unwrap().kv.unwrap();
        assert!(kv.kv_idle_exchanges > 0);
        assert_eq!(kv.kv_converged_s, None, "no writes, nothing to converge");
        kv.kv_idle_exchange_bytes.unwrap()
    };
    let empty = exchange(0);
    assert!(empty > 0.0);
    assert_eq!(empty, exchange(10_000));
}

#[test]
fn writes_to_new_keys_reach_every_replica() {
    let report = kv_report(0, true, 2);
    let kv = report.stores.unwrap().kv.unwrap();
    assert_eq!(kv.kv_writes, 50);
    assert!(kv.kv_converged_s.is_some());
}

#[test]
fn a_kv_run_is_reproducible_from_its_seed() {
    let once = || {
        let mut sim = Simulation::new(kv_scenario(1_000, true, 7)).unwrap();
        sim.record_trace();
        let Outcome {
            report, trace_hash, ..
        } = sim.run(&mut ());
        let mut json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        let fields = json.as_object_mut().unwrap();
        fields.remove("wall_s").unwrap();
        fields.remove("peak_rss_mb").unwrap();
        (json, trace_hash.unwrap())
    };
    let (a, trace_a) = once();
    let (b, trace_b) = once();
    assert_eq!(a, b);
    assert_eq!(trace_a, trace_b);
    assert!(a["kv_converged_s"].is_number(), "{a}");
}

#[test]
fn a_run_without_a_store_workload_reports_no_store_figures() {
    let report = run(Scenario::new(5, Duration::from_secs(10), 1)).unwrap();
    assert!(report.stores.is_none());
    // The engine's counters (`engine_counters`, some named `store_*`) are in every report;
    // the store workload's figures are not.
    let mut json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    json.as_object_mut().unwrap().remove("engine_counters");
    let json = json.to_string();
    assert!(!json.contains("kv_"), "{json}");
    assert!(!json.contains("store_"), "{json}");
    assert!(!report.to_table().contains("kv "));
}

#[test]
fn ten_nodes_replicate_their_state_and_stay_cheap_when_idle() {
    let run = run_state_scenario(10, 10, 16, 30, 1).unwrap();
    let replicated = run.full_replication_s.expect("state never replicated");
    assert!(replicated < 5.0, "{replicated}");
    assert!(
        run.idle_bytes_per_node_s < 2_000.0,
        "{} bytes per node-second",
        run.idle_bytes_per_node_s
    );
    // Probing never stops: an idle cluster still sends.
    assert!(run.idle_datagrams_per_node_s > 0.5);
}

#[test]
fn state_set_at_a_time_is_reported_from_that_time() {
    let mut s = Scenario::new(8, Duration::from_secs(20), 4);
    s.preconverged = true;
    let mut load = hearsay_sim::store_load::StateLoad::new(5);
    load.at = Some(Duration::from_secs(3));
    s.state = Some(load);
    let report = run(s).unwrap();
    let state = report.stores.unwrap().state.unwrap();
    assert_eq!(state.state_set_at_s, Some(3.0));
    assert!(state.state_replicated_s.is_some_and(|r| r < 5.0));
}
