//! User events and queries on simulated clusters: every member up gets every event, queries
//! are answered by everyone, a run is the same on every replay, and runs without the
//! workload report no message figures.

use std::time::Duration;

use hearsay_proto::user::EventMode;
use hearsay_sim::event_load::EventLoad;
use hearsay_sim::flags::ScenarioFlags;
use hearsay_sim::{Scenario, Simulation, run};

/// 50 preconverged nodes; 10 events per second of 1 KiB for 5 s from `senders`.
fn events_scenario(senders: Option<u32>, mode: EventMode, seed: u64) -> Scenario {
    let mut s = Scenario::new(50, Duration::from_secs(15), seed);
    s.preconverged = true;
    let mut load = EventLoad::new(10.0);
    load.senders = senders;
    load.send_for = Duration::from_secs(5);
    load.mode = mode;
    s.events = Some(load);
    s
}

#[test]
fn fifty_nodes_deliver_every_event_from_one_sender() {
    let report = run(events_scenario(Some(1), EventMode::Tree, 1)).unwrap();
    let m = report
        .messages
        .expect("an event run reports message figures");
    assert_eq!(m.events_sent, Some(50));
    assert_eq!(m.event_delivered_pct, Some(100.0));
    let rmr = m.event_rmr.expect("deliveries were made");
    assert!(rmr >= 0.0, "{rmr}");
    assert!(m.event_ldh.expect("hops") >= 1);
    let p50 = m.event_latency_p50_s.expect("latency");
    let p99 = m.event_latency_p99_s.expect("latency");
    assert!(p50 < 0.1, "{p50}");
    assert!(p50 <= p99 && p99 <= m.event_latency_max_s.unwrap());
    assert!(m.event_bytes_per_member_s.unwrap() > 0.0);
    assert_eq!(m.queries_sent, None);
    assert_eq!(m.event_outputs_missed, 0);
    assert_eq!(report.false_dead, 0);
}

#[test]
fn fifty_nodes_deliver_every_event_from_random_senders_in_flood_mode() {
    let report = run(events_scenario(None, EventMode::Flood, 2)).unwrap();
    let m = report.messages.unwrap();
    assert_eq!(m.event_mode, "flood");
    assert_eq!(m.events_sent, Some(50));
    assert_eq!(m.event_delivered_pct, Some(100.0));
}

#[test]
fn every_member_answers_every_query() {
    // The timeout leaves room for a member the tree missed to get the query by repair.
    let mut s = events_scenario(Some(2), EventMode::Tree, 3);
    s.duration = Duration::from_secs(30);
    let load = s.events.as_mut().unwrap();
    load.events_per_s = 0.0;
    load.queries_per_s = 2.0;
    load.query_timeout = Duration::from_secs(15);
    let m = run(s).unwrap().messages.unwrap();
    assert_eq!(m.events_sent, None);
    assert_eq!(m.queries_sent, Some(10));
    assert_eq!(m.query_complete_pct, Some(100.0));
    assert_eq!(m.query_early_pct, Some(100.0));
    assert!(m.query_latency_p99_s.unwrap() < 15.0);
}

#[test]
fn a_sender_killed_midway_is_replaced_and_survivors_get_every_event() {
    let mut s = events_scenario(Some(1), EventMode::Tree, 4);
    // Node 0 is never killed, so make the stable sender another node: kill 25 of 49.
    s.kills.push(hearsay_sim::scenario::CountAt {
        count: 25,
        at: Duration::from_secs(2),
    });
    let m = run(s).unwrap().messages.unwrap();
    assert_eq!(m.events_sent, Some(50));
    let delivered = m.event_delivered_pct.unwrap();
    assert!(delivered > 99.0, "{delivered}");
}

#[test]
fn an_event_run_is_the_same_on_every_replay() {
    let outcome = || {
        let mut sim = Simulation::new(events_scenario(None, EventMode::Tree, 5)).unwrap();
        sim.record_trace();
        let mut o = sim.run(&mut ());
        o.report.wall_s = 0.0;
        o.report.peak_rss_mb = None;
        o
    };
    let (a, b) = (outcome(), outcome());
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.report, b.report);
    assert_eq!(a.events, b.events);
    let series = a.events.unwrap();
    assert_eq!(series.delivery.len(), 50);
    assert_eq!(series.copies_per_delivery.len(), 50);
}

#[test]
fn a_run_without_events_has_no_message_figures() {
    let report = run(Scenario::new(5, Duration::from_secs(10), 1)).unwrap();
    assert!(report.messages.is_none());
    let json = report.to_json();
    for key in [
        "events_sent",
        "event_delivered_pct",
        "event_rmr",
        "query_complete_pct",
    ] {
        assert!(!json.contains(key), "{json}");
    }
}

#[test]
fn event_flags_reach_the_report() {
    let scenario = ScenarioFlags {
        nodes: "20".into(),
        duration: "10s".into(),
        seed: "1".into(),
        preconverged: true,
        events: Some("4".into()),
        event_bytes: Some("64".into()),
        event_for: Some("2s".into()),
        event_senders: Some("1".into()),
        ..ScenarioFlags::default()
    }
    .parse()
    .unwrap();
    let report = run(scenario).unwrap();
    let table = report.to_table();
    assert!(table.contains("events sent"), "{table}");
    let json = report.to_json();
    assert!(json.contains("\"events_sent\":8"), "{json}");
    assert!(json.contains("\"event_delivered_pct\":100.0"), "{json}");
}
