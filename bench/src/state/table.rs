//! The state comparison as text: the table per size (hearsay, chitchat, ratios), the targets
//! and the legend, from [`StateResults`] (run or loaded by [`super`]).

use std::fmt::Write as _;

use super::{
    HearsayFigures, IDLE_TARGET_FACTOR, IDLE_TARGET_NODES, StateCell, StateResults,
    chitchat_wire_bytes_per_node_s,
};
use crate::chitchat_state::StateFigures;
use crate::table::{Summary, summarize};

/// The comparison as text: one block per size (hearsay, chitchat, ratio rows), the
/// targets, and a legend.
pub fn render(results: &StateResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Per-node state: {} keys/node of {} B; idle window {} s from full replication \
         (both systems); hearsay steady window {} s later; seeds {:?}.",
        results.keys_per_node,
        results.value_bytes,
        results.idle_secs,
        results.steady_settle_secs,
        results.seeds
    );
    let header = [
        "N",
        "system",
        "full replication (s)",
        "idle B/node-s, wire",
        "idle B/node-s, payload",
        "idle msgs/node-s",
        "steady idle B/node-s, wire (payload)",
    ];
    let mut rows: Vec<[String; 7]> = vec![header.map(str::to_owned)];
    for n in sizes(results) {
        let s = SizeSummary::of(results, n);
        rows.push([
            n.to_string(),
            "hearsay".into(),
            fmt_summary(s.hearsay_replication),
            fmt_summary(s.hearsay_wire),
            fmt_summary(s.hearsay_payload),
            fmt_summary(s.hearsay_msgs),
            format!(
                "{} ({})",
                fmt_summary(s.hearsay_steady_wire),
                fmt_median(s.hearsay_steady_payload)
            ),
        ]);
        rows.push([
            n.to_string(),
            "chitchat".into(),
            fmt_summary(s.chitchat_replication),
            fmt_summary(s.chitchat_wire),
            fmt_summary(s.chitchat_payload),
            fmt_summary(s.chitchat_msgs),
            "-".into(),
        ]);
        rows.push([
            n.to_string(),
            "ratio".into(),
            fmt_ratio(s.hearsay_replication, s.chitchat_replication),
            fmt_ratio(s.hearsay_wire, s.chitchat_wire),
            fmt_ratio(s.hearsay_payload, s.chitchat_payload),
            fmt_ratio(s.hearsay_msgs, s.chitchat_msgs),
            format!(
                "{} ({})",
                fmt_ratio(s.hearsay_steady_wire, s.chitchat_wire),
                fmt_ratio(s.hearsay_steady_payload, s.chitchat_payload)
            ),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &w))| {
                if c < 2 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    let _ = writeln!(out, "\nTargets:");
    for t in targets(results) {
        let _ = writeln!(out, "  {}: {} ({})", t.name, t.verdict, t.detail);
    }
    let _ = writeln!(
        out,
        "\nMedians with (min-max) over the seeds; ratio = hearsay / chitchat of the medians.\n\
         hearsay: simulator, virtual time, default network (1-5 ms one way, no loss).\n\
         chitchat: real time, in-memory transport (no sockets), one child process per run.\n\
         Wire = payload + 28 B IPv4/UDP per datagram (+ 40 B IPv4/TCP per hearsay stream\n\
         message); chitchat counts payload only, its wire figure adds 28 B per message.\n\
         Machine: {} cores, {:.0} GiB, {}.",
        results.machine.cores, results.machine.memory_gib, results.machine.cpu
    );
    out
}

/// One of the targets, with its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What is required.
    pub name: String,
    /// "met", "not met", or "not measured".
    pub verdict: &'static str,
    /// The figures behind the verdict.
    pub detail: String,
}

/// The two targets: hearsay's idle bytes at N = 100 at most 1/20 of chitchat's (wire with
/// wire, and payload with payload: both must hold), and hearsay's full replication no
/// slower than chitchat's at every size (medians).
pub fn targets(results: &StateResults) -> Vec<Target> {
    let idle = match sizes(results).contains(&IDLE_TARGET_NODES) {
        false => Target {
            name: idle_target_name(),
            verdict: "not measured",
            detail: format!("N = {IDLE_TARGET_NODES} was not run"),
        },
        true => {
            let s = SizeSummary::of(results, IDLE_TARGET_NODES);
            let wire = ratio(s.hearsay_wire, s.chitchat_wire);
            let payload = ratio(s.hearsay_payload, s.chitchat_payload);
            let limit = 1.0 / IDLE_TARGET_FACTOR;
            let met = wire.is_some_and(|r| r <= limit) && payload.is_some_and(|r| r <= limit);
            Target {
                name: idle_target_name(),
                verdict: if met { "met" } else { "not met" },
                detail: format!(
                    "wire {}, payload {}; limit {limit}x",
                    fmt_ratio_value(wire),
                    fmt_ratio_value(payload)
                ),
            }
        }
    };
    let per_size: Vec<(u32, Option<f64>, bool)> = sizes(results)
        .into_iter()
        .map(|n| {
            let s = SizeSummary::of(results, n);
            let r = ratio(s.hearsay_replication, s.chitchat_replication);
            let ok = match (
                median(s.hearsay_replication),
                median(s.chitchat_replication),
            ) {
                (Some(h), Some(c)) => h <= c,
                // chitchat never got there: any figure of hearsay's is ahead.
                (Some(_), None) => true,
                (None, _) => false,
            };
            (n, r, ok)
        })
        .collect();
    let replication = Target {
        name: "hearsay full replication <= chitchat's at every N".into(),
        verdict: if per_size.is_empty() {
            "not measured"
        } else if per_size.iter().all(|&(_, _, ok)| ok) {
            "met"
        } else {
            "not met"
        },
        detail: per_size
            .iter()
            .map(|&(n, r, _)| format!("N={n}: {}", fmt_ratio_value(r)))
            .collect::<Vec<_>>()
            .join(", "),
    };
    vec![idle, replication]
}

/// The sizes run, in order of first appearance.
fn sizes(results: &StateResults) -> Vec<u32> {
    let mut sizes: Vec<u32> = Vec::new();
    for c in &results.cells {
        if !sizes.contains(&c.nodes) {
            sizes.push(c.nodes);
        }
    }
    sizes
}

/// Every figure of the table at one size, summarized over the seeds.
struct SizeSummary {
    hearsay_replication: Option<Summary>,
    hearsay_wire: Option<Summary>,
    hearsay_payload: Option<Summary>,
    hearsay_msgs: Option<Summary>,
    hearsay_steady_wire: Option<Summary>,
    hearsay_steady_payload: Option<Summary>,
    chitchat_replication: Option<Summary>,
    chitchat_wire: Option<Summary>,
    chitchat_payload: Option<Summary>,
    chitchat_msgs: Option<Summary>,
}

impl SizeSummary {
    fn of(results: &StateResults, nodes: u32) -> Self {
        let cells: Vec<&StateCell> = results.cells.iter().filter(|c| c.nodes == nodes).collect();
        let h = |f: fn(&HearsayFigures) -> Option<f64>| {
            let v: Vec<Option<f64>> = cells.iter().map(|c| f(&c.hearsay)).collect();
            summarize(&v, false)
        };
        let c = |f: fn(&StateFigures) -> Option<f64>| {
            let v: Vec<Option<f64>> = cells.iter().map(|c| f(&c.chitchat)).collect();
            summarize(&v, false)
        };
        SizeSummary {
            hearsay_replication: h(|f| f.full_replication_s),
            hearsay_wire: h(|f| Some(f.idle_wire_bytes_per_node_s)),
            hearsay_payload: h(|f| Some(f.idle_payload_bytes_per_node_s)),
            hearsay_msgs: h(|f| Some(f.idle_datagrams_per_node_s)),
            hearsay_steady_wire: h(|f| Some(f.steady_wire_bytes_per_node_s)),
            hearsay_steady_payload: h(|f| Some(f.steady_payload_bytes_per_node_s)),
            chitchat_replication: c(|f| f.full_replication_s),
            chitchat_wire: c(|f| Some(chitchat_wire_bytes_per_node_s(f))),
            chitchat_payload: c(|f| Some(f.idle_bytes_per_node_s)),
            chitchat_msgs: c(|f| Some(f.idle_msgs_per_node_s)),
        }
    }
}

fn idle_target_name() -> String {
    format!("hearsay idle bytes at N={IDLE_TARGET_NODES} <= 1/{IDLE_TARGET_FACTOR} of chitchat's")
}

fn median(s: Option<Summary>) -> Option<f64> {
    s.and_then(|s| s.median)
}

fn ratio(h: Option<Summary>, c: Option<Summary>) -> Option<f64> {
    match (median(h), median(c)) {
        (Some(h), Some(c)) if c > 0.0 => Some(h / c),
        _ => None,
    }
}

fn fmt_ratio(h: Option<Summary>, c: Option<Summary>) -> String {
    fmt_ratio_value(ratio(h, c))
}

fn fmt_ratio_value(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{}x", sig3(r)))
}

fn fmt_summary(s: Option<Summary>) -> String {
    let Some(s) = s else {
        return "-".into();
    };
    let one = |x: Option<f64>| x.map_or_else(|| "never".into(), sig3);
    let (median, min, max) = (one(s.median), one(s.min), one(s.max));
    if min == max {
        median
    } else {
        format!("{median} ({min}-{max})")
    }
}

fn fmt_median(s: Option<Summary>) -> String {
    median(s).map_or_else(|| "-".into(), sig3)
}

pub(super) fn fmt_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "never".into(), |x| format!("{x:.3}"))
}

/// Three significant figures (whole numbers from 100 up).
fn sig3(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        let decimals = (2 - a.log10().floor() as i32).clamp(3, 6) as usize;
        format!("{x:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::*;

    fn cell(nodes: u32, seed: u64, h_rep: f64, h_idle: f64, c_rep: Option<f64>) -> StateCell {
        StateCell {
            nodes,
            seed,
            hearsay: HearsayFigures {
                t0_s: Some(5.0),
                full_replication_s: Some(h_rep),
                idle_wire_bytes_per_node_s: h_idle,
                idle_payload_bytes_per_node_s: h_idle / 2.0,
                idle_datagrams_per_node_s: 1.0,
                steady_wire_bytes_per_node_s: h_idle / 4.0,
                steady_payload_bytes_per_node_s: h_idle / 8.0,
                replication_bytes_per_node: 1000.0,
                idle_from_s: h_rep + 0.05,
            },
            chitchat: StateFigures {
                full_replication_s: c_rep,
                idle_bytes_per_node_s: 1000.0,
                idle_msgs_per_node_s: 10.0,
                peak_rss_bytes: None,
                notes: String::new(),
            },
        }
    }

    fn results(cells: Vec<StateCell>) -> StateResults {
        StateResults {
            machine: Machine {
                cores: 2,
                memory_gib: 1.0,
                cpu: "test".into(),
            },
            keys_per_node: 10,
            value_bytes: 16,
            idle_secs: 30,
            steady_settle_secs: 30,
            seeds: vec![1, 2, 3],
            cells,
        }
    }

    #[test]
    fn idle_target_compares_wire_with_wire_and_payload_with_payload() {
        // chitchat: 1000 B payload, 1000 + 28 * 10 = 1280 B wire.
        let met = results(vec![cell(100, 1, 1.0, 60.0, Some(2.0))]);
        let t = targets(&met);
        assert_eq!(t[0].verdict, "met", "{t:?}");
        assert_eq!(t[1].verdict, "met", "{t:?}");
        // 70 B wire is 0.055x of 1280: missed although the payload ratio (0.035x) holds.
        let missed = results(vec![cell(100, 1, 1.0, 70.0, Some(2.0))]);
        assert_eq!(targets(&missed)[0].verdict, "not met");
    }

    #[test]
    fn replication_target_needs_every_size_and_counts_a_chitchat_timeout_as_slower() {
        let one_slow = results(vec![
            cell(10, 1, 1.0, 10.0, Some(2.0)),
            cell(50, 1, 3.0, 10.0, Some(2.0)),
        ]);
        let t = targets(&one_slow);
        assert_eq!(t[0].verdict, "not measured");
        assert_eq!(t[1].verdict, "not met");
        let chitchat_never = results(vec![cell(10, 1, 9.0, 10.0, None)]);
        assert_eq!(targets(&chitchat_never)[1].verdict, "met");
    }

    #[test]
    fn the_table_has_a_row_per_system_and_the_median_with_its_range() {
        let r = results(vec![
            cell(10, 1, 1.0, 10.0, Some(2.0)),
            cell(10, 2, 2.0, 10.0, Some(2.0)),
            cell(10, 3, 3.0, 10.0, Some(2.0)),
        ]);
        let text = render(&r);
        let row = |name: &str| {
            text.lines()
                .find(|l| l.split_whitespace().nth(1) == Some(name))
                .unwrap_or_else(|| panic!("no {name} row in\n{text}"))
                .to_owned()
        };
        assert!(row("hearsay").contains("2.00 (1.00-3.00)"), "{text}");
        assert!(row("chitchat").contains("1280"), "{text}");
        assert!(row("ratio").contains("1.00x"), "{text}");
    }

    #[test]
    fn three_significant_figures() {
        assert_eq!(sig3(1234.4), "1234");
        assert_eq!(sig3(12.34), "12.3");
        assert_eq!(sig3(1.234), "1.23");
        assert_eq!(sig3(0.01234), "0.0123");
        assert_eq!(sig3(0.0), "0");
    }
}
