//! The foca adapter and the comparison pipeline, end to end on small clusters: foca
//! members driven by the simulator join, spread an update, detect a kill and repeat a run
//! exactly from its seed, and `compare --quick` prints a table and writes its files.

use std::process::Command;

use hearsay_bench::cell::{Cell, Figures, Kind};
use hearsay_bench::results::System;

fn run(system: System, kind: Kind, nodes: u32, seed: u64) -> Figures {
    Cell {
        system,
        kind,
        nodes,
        seed,
    }
    .run()
    .expect("valid cell")
}

#[test]
fn both_systems_join_spread_and_detect_on_the_same_network() {
    for system in System::ALL {
        let join = run(system, Kind::Join { limit_s: 120 }, 30, 4);
        let joined = join.join_s.expect("a 30-member cold join converges");
        assert!((5.0..120.0).contains(&joined), "{system:?}: {joined}");

        let calm = Kind::Calm {
            duration_s: 40,
            tail_s: 10,
        };
        let calm = run(system, calm, 30, 4);
        assert_eq!(
            calm.spread_times_s.len(),
            29,
            "{system:?}: everyone but the updater"
        );
        let [p50, p99, max] = calm.spread_s.expect("the update reached everyone");
        assert!(p50 <= p99 && p99 <= max && max < 5.0, "{system:?}");
        let idle = calm.idle_bytes_per_member_s.expect("idle traffic measured");
        assert!((10.0..1_000.0).contains(&idle), "{system:?}: {idle} B/s");

        let kill = run(system, Kind::Kill { duration_s: 60 }, 30, 4);
        let first = kill.detect_first_s.expect("someone detects the kill");
        let last = kill.detect_last_s.expect("everyone detects the kill");
        assert!(first <= last && last < 40.0, "{system:?}: {first} {last}");
    }
}

#[test]
fn a_foca_run_repeats_exactly_from_its_seed() {
    let kind = Kind::Loss {
        loss: 0.2,
        pauses: true,
        duration_s: 60,
    };
    let strip = |mut f: Figures| {
        f.wall_s = 0.0;
        f.cpu_us_per_datagram = None;
        f.peak_memory_mb = None;
        f
    };
    let a = strip(run(System::Foca, kind, 25, 9));
    let b = strip(run(System::Foca, kind, 25, 9));
    assert_eq!(a, b);
    assert!(a.converged_pct.is_some() && a.false_dead_per_member_hour.is_some());
}

#[test]
fn quick_compare_prints_the_table_and_writes_results() {
    let out = std::env::temp_dir().join(format!("hearsay-bench-quick-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_hearsay-bench"))
        .args(["compare", "--quick", "--seeds", "1", "--jobs", "2", "--out"])
        .arg(&out)
        .output()
        .expect("the bench binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    for metric in ["cold join", "update spread max", "false dead", "idle bytes"] {
        assert!(stdout.contains(metric), "{metric} missing from:\n{stdout}");
    }
    let results = std::fs::read_to_string(out.join("results.json")).expect("results written");
    assert!(results.contains("\"foca\"") && results.contains("\"hearsay\""));
    assert!(out.join("dissemination.svg").exists());
    // Redrawing from the saved results runs nothing and prints the same table.
    let again = Command::new(env!("CARGO_BIN_EXE_hearsay-bench"))
        .args(["compare", "--from"])
        .arg(out.join("results.json"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("the bench binary runs");
    assert!(again.status.success());
    assert_eq!(String::from_utf8_lossy(&again.stdout), stdout);
    let _ = std::fs::remove_dir_all(&out);
}
