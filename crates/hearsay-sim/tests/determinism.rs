//! The same seed gives the same run, byte for byte, faults included.

use std::time::Duration;

use hearsay_sim::scenario::{CountAt, PartitionSpec, PauseSpec, RandomPauses};
use hearsay_sim::{Outcome, Scenario, Simulation};

fn faulty_scenario(seed: u64) -> Scenario {
    let mut s = Scenario::new(24, Duration::from_secs(60), seed);
    s.loss = 0.05;
    s.update_at = Some(Duration::from_secs(12));
    s.kills.push(CountAt {
        count: 2,
        at: Duration::from_secs(20),
    });
    s.restarts.push(CountAt {
        count: 1,
        at: Duration::from_secs(35),
    });
    s.pauses.push(PauseSpec {
        count: 2,
        at: Duration::from_secs(15),
        length: Duration::from_secs(3),
    });
    s.random_pauses = Some(RandomPauses {
        count: 2,
        min: Duration::from_secs(1),
        max: Duration::from_secs(2),
    });
    s.partitions.push(PartitionSpec {
        fraction: 0.25,
        at: Duration::from_secs(25),
        length: Duration::from_secs(10),
    });
    s
}

fn run(seed: u64) -> (serde_json::Value, u64) {
    let mut sim = Simulation::new(faulty_scenario(seed)).unwrap();
    sim.record_trace();
    let Outcome {
        report, trace_hash, ..
    } = sim.run(&mut ());
    let mut json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let fields = json.as_object_mut().unwrap();
    fields.remove("wall_s").unwrap();
    fields.remove("peak_rss_mb").unwrap();
    (json, trace_hash.unwrap())
}

#[test]
fn same_seed_gives_identical_reports_and_deliveries() {
    let (first_report, first_trace) = run(11);
    let (second_report, second_trace) = run(11);
    assert_eq!(first_report, second_report);
    assert_eq!(first_trace, second_trace);
    // The faults really happened, so the comparison covered them.
    assert!(first_report["datagrams_lost"].as_u64().unwrap() > 0);
    assert!(first_report["detect_first_s"].is_number(), "{first_report}");
}

#[test]
fn another_seed_gives_another_run() {
    let (_, a) = run(11);
    let (_, b) = run(12);
    assert_ne!(a, b);
}

#[test]
fn the_report_sums_every_engine_counter_of_the_one_list() {
    let report = Simulation::new(faulty_scenario(3))
        .unwrap()
        .run(&mut ())
        .report;
    let names: Vec<&str> = report.engine_counters.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = hearsay_proto::Stats::default()
        .counters()
        .map(|c| c.name)
        .collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    assert_eq!(
        report.engine_counters["deaths_declared"],
        report.deaths_declared
    );
    assert!(report.engine_counters["datagrams_out"] > 0);
}
