//! A short seed sweep: random faults, invariants after every step, convergence after heal.

use hearsay_sim::sweep::{SweepOptions, run_seed, sweep};

#[test]
fn six_seeds_of_small_faulty_clusters_keep_every_invariant() {
    for seed in 1..=6u64 {
        let nodes = 8 + (seed as u32 * 5) % 13; // 8..=20
        let result = run_seed(seed, Some(nodes)).unwrap();
        assert!(result.passed(), "{result}");
        assert!(result.converged_at.is_some(), "{result}");
    }
}

#[test]
fn sweeps_report_in_seed_order_across_threads() {
    let options = SweepOptions {
        seeds: 3,
        first_seed: 100,
        nodes: Some(8),
        threads: 2,
        show_trace: true,
    };
    let mut seen = Vec::new();
    let results = sweep(options, |r| seen.push(r.seed)).unwrap();
    assert_eq!(seen, [100, 101, 102]);
    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0].trace_hash,
        run_seed(100, Some(8)).unwrap().trace_hash,
        "the same seed delivers the same messages"
    );
    assert!(results[0].to_string().contains(", trace "));
    assert!(
        results[0]
            .reproduce()
            .ends_with("--first-seed 100 --nodes 8")
    );
}
