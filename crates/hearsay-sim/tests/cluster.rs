//! Small simulated clusters doing the basic things right.

use std::time::Duration;

use hearsay_sim::scenario::{CountAt, PauseSpec};
use hearsay_sim::{Observer, Scenario, Simulation, run};

/// Records whether views had converged at the last tick.
#[derive(Default)]
struct LastTick {
    converged: bool,
    running: usize,
}

impl Observer for LastTick {
    fn on_tick(&mut self, sim: &Simulation) {
        self.converged = sim.views_converged();
        self.running = sim.running_count();
    }
}

#[test]
fn three_nodes_joining_cold_converge() {
    let report = run(Scenario::new(3, Duration::from_secs(20), 1)).unwrap();
    let converged = report.join_converged_s.expect("views never converged");
    assert!(converged < 10.0, "{converged}");
    assert_eq!(report.false_dead, 0);
    assert!(report.datagrams > 0);
}

#[test]
fn a_killed_member_is_detected_by_every_node() {
    let mut s = Scenario::new(10, Duration::from_secs(60), 2);
    s.preconverged = true;
    s.kills.push(CountAt {
        count: 1,
        at: Duration::from_secs(5),
    });
    let report = run(s).unwrap();
    let first = report.detect_first_s.expect("nobody detected the kill");
    let all = report.detect_all_s.expect("not everyone detected the kill");
    assert!(first <= all && all < 50.0, "{first} {all}");
    assert_eq!(report.false_dead, 0);
    assert!(
        report.join_converged_s.is_none(),
        "not measured when preconverged"
    );
}

#[test]
fn a_metadata_update_reaches_every_node() {
    let mut s = Scenario::new(20, Duration::from_secs(30), 3);
    s.preconverged = true;
    s.update_at = Some(Duration::from_secs(5));
    let report = run(s).unwrap();
    let max = report.spread_max_s.expect("some node never saw the update");
    let p50 = report.spread_p50_s.unwrap();
    assert!(p50 <= max && max < 10.0, "{p50} {max}");
}

#[test]
fn a_restarted_member_rejoins_under_a_new_generation() {
    let mut s = Scenario::new(8, Duration::from_secs(80), 4);
    s.kills.push(CountAt {
        count: 2,
        at: Duration::from_secs(10),
    });
    s.restarts.push(CountAt {
        count: 2,
        at: Duration::from_secs(30),
    });
    let mut last = LastTick::default();
    let outcome = Simulation::new(s).unwrap().run(&mut last);
    assert_eq!(last.running, 8);
    assert!(last.converged, "views differ at the end");
    assert_eq!(outcome.report.false_dead, 0);
    assert!(outcome.report.detect_all_s.is_some());
}

#[test]
fn a_paused_member_catches_up_after_waking() {
    let mut s = Scenario::new(10, Duration::from_secs(60), 5);
    s.preconverged = true;
    s.pauses.push(PauseSpec {
        count: 1,
        at: Duration::from_secs(5),
        length: Duration::from_secs(2),
    });
    let mut last = LastTick::default();
    let outcome = Simulation::new(s).unwrap().run(&mut last);
    assert!(last.converged, "views differ at the end");
    assert_eq!(outcome.report.inbox_dropped, 0);
}
