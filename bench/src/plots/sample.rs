//! Made-up [`Results`] in the shape a comparison produces, for trying the charts without
//! running one (the `plot_sample` example and the tests). Nothing here is a measurement.

use crate::results::{Curve, Machine, Metric, Results, Row, System};

/// Cluster sizes of the sample.
const SIZES: [u32; 3] = [100, 1_000, 10_000];

/// A deterministic number in `0..1` for a seed and a salt (splitmix64), so that the
/// sample varies between seeds without a random number generator.
fn noise(seed: u64, salt: u64) -> f64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// A logistic spread: member `k` of the `nodes - 1` others is reached when a logistic
/// curve centred on `t50` (steepness `s`) passes its share.
fn curve(system: System, nodes: u32, seed: u64) -> Curve {
    let others = f64::from(nodes - 1);
    let per_round = match system {
        System::Hearsay => 0.22,
        System::Foca => 0.30,
    };
    let t50 = per_round * f64::from(nodes).log2() * (0.9 + 0.2 * noise(seed, u64::from(nodes)));
    let s = 0.12 * t50;
    let points = (1..nodes)
        .map(|k| {
            let p = (f64::from(k) - 0.5) / others;
            let t = (t50 + s * (p / (1.0 - p)).ln()).max(0.01);
            (t, f64::from(k) / others)
        })
        .collect();
    Curve {
        system,
        nodes,
        seed,
        points,
    }
}

/// Per-seed figures `base * (1 ± spread)`, rounded to 0 below `zero_below`.
fn per_seed(seeds: &[u64], salt: u64, base: f64, spread: f64, zero_below: f64) -> Vec<Option<f64>> {
    seeds
        .iter()
        .map(|&seed| {
            let v = base * (1.0 + spread * (2.0 * noise(seed, salt) - 1.0));
            Some(if v < zero_below { 0.0 } else { v })
        })
        .collect()
}

/// The sample: five seeds; curves for 100, 1,000 and 10,000 members; false deaths at
/// 10/20/30% loss with and without pauses for 100 and 1,000 members (hearsay's mostly
/// zero, one seed "not reached"); idle bytes per member for all three sizes.
pub fn sample_results() -> Results {
    let seeds: Vec<u64> = (1..=5).collect();
    let mut rows = Vec::new();
    for &nodes in &SIZES[..2] {
        for pauses in [false, true] {
            for loss in [0.1, 0.2, 0.3] {
                let salt = u64::from(nodes) + (loss * 1000.0) as u64 + u64::from(pauses);
                let stress = loss * loss * if pauses { 3.0 } else { 1.0 };
                let mut hearsay = per_seed(&seeds, salt, 2.0 * stress, 0.9, 0.08);
                if nodes == 100 && pauses && loss > 0.25 {
                    hearsay[0] = None;
                }
                rows.push(Row {
                    metric: Metric::FalseDeadPerMemberHour,
                    nodes,
                    loss,
                    pauses,
                    limit: None,
                    hearsay,
                    foca: per_seed(&seeds, salt + 7, 20.0 * stress, 0.4, 0.0),
                });
            }
        }
    }
    for nodes in SIZES {
        let log = f64::from(nodes).log2();
        rows.push(Row {
            metric: Metric::IdleBytesPerMemberS,
            nodes,
            loss: 0.0,
            pauses: false,
            limit: None,
            hearsay: per_seed(&seeds, u64::from(nodes), 120.0 + 15.0 * log, 0.05, 0.0),
            foca: per_seed(&seeds, u64::from(nodes) + 1, 200.0 + 30.0 * log, 0.08, 0.0),
        });
    }
    let curves = System::ALL
        .into_iter()
        .flat_map(|system| SIZES.into_iter().map(move |nodes| (system, nodes)))
        .flat_map(|(system, nodes)| seeds.iter().map(move |&seed| curve(system, nodes, seed)))
        .collect();
    Results {
        machine: Machine {
            cores: 2,
            memory_gib: 4.0,
            cpu: "sample".to_string(),
        },
        seeds,
        rows,
        curves,
    }
}
