//! The comparison as one table: each row with both systems' medians (min-max over the
//! seeds), the ratio hearsay / foca, and the target where there is one.
//!
//! A figure a run did not reach (a cold join still incomplete at the run's limit) counts
//! as worse than any reached figure, so medians and ranges never flatter a system by
//! leaving out its failed seeds.

use std::fmt::Write as _;

use crate::plots::thousands;
use crate::results::{Metric, Results, Row};

/// Summary of one system's per-seed figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Median (`None`: not reached).
    pub median: Option<f64>,
    /// Best and worst seed (`None`: not reached).
    pub min: Option<f64>,
    /// Worst seed.
    pub max: Option<f64>,
}

/// Median and range of `values`, "not reached" counting as the worst figure.
pub fn summarize(values: &[Option<f64>], higher_is_better: bool) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    let worst = if higher_is_better {
        f64::NEG_INFINITY
    } else {
        f64::INFINITY
    };
    let mut v: Vec<f64> = values.iter().map(|x| x.unwrap_or(worst)).collect();
    v.sort_by(f64::total_cmp);
    let real = |x: f64| x.is_finite().then_some(x);
    Some(Summary {
        median: real(v[(v.len() - 1) / 2]),
        min: real(v[0]),
        max: real(v[v.len() - 1]),
    })
}

/// Whether a row meets the target, if it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Met.
    Met,
    /// Missed.
    Missed,
}

/// The target for `row`, as text, with the verdict on the medians.
pub fn target(row: &Row) -> Option<(String, Verdict)> {
    let h = summarize(&row.hearsay, row.metric.higher_is_better())?;
    let f = summarize(&row.foca, row.metric.higher_is_better())?;
    let ratio_at_most = |limit: f64| -> Verdict {
        match (h.median, f.median) {
            (Some(h), Some(f)) if f > 0.0 => verdict(h / f <= limit),
            // foca did not get there at all: any figure of ours is ahead.
            (Some(_), None) => Verdict::Met,
            _ => Verdict::Missed,
        }
    };
    let large = row.nodes >= 1_000;
    let (text, verdict) = match row.metric {
        Metric::ColdJoinS if large => ("<= 0.05x (20x faster)".into(), ratio_at_most(0.05)),
        Metric::SpreadMaxS => ("<= 0.9x".into(), ratio_at_most(0.9)),
        Metric::DetectLastS => ("<= 1.0x".into(), ratio_at_most(1.0)),
        Metric::IdleBytesPerMemberS => ("<= 1.0x".into(), ratio_at_most(1.0)),
        Metric::CpuUsPerDatagram if large => ("<= 1.0x".into(), ratio_at_most(1.0)),
        Metric::PeakMemoryMb if large => ("<= 0.5x".into(), ratio_at_most(0.5)),
        Metric::FalseDeadPerMemberHour if row.loss == 0.2 && !row.pauses => {
            let zero = row.hearsay.iter().all(|x| *x == Some(0.0));
            let foca_some = row.foca.iter().any(|x| x.is_some_and(|x| x > 0.0));
            ("0 while foca > 0".into(), verdict(zero && foca_some))
        }
        Metric::ConvergedPct if row.loss == 0.3 => {
            let ok = h.min.is_some_and(|m| m >= 99.0);
            ("hearsay >= 99% in every seed".into(), verdict(ok))
        }
        _ => return None,
    };
    Some((text, verdict))
}

fn verdict(ok: bool) -> Verdict {
    if ok { Verdict::Met } else { Verdict::Missed }
}

/// Name and unit of a metric, for the table.
pub fn label(metric: Metric) -> (&'static str, &'static str) {
    match metric {
        Metric::ColdJoinS => ("cold join, time to full views", "s"),
        Metric::SpreadP50S => ("update spread p50", "s"),
        Metric::SpreadP99S => ("update spread p99", "s"),
        Metric::SpreadMaxS => ("update spread max", "s"),
        Metric::DetectFirstS => ("kill: first detection", "s"),
        Metric::DetectLastS => ("kill: last detection", "s"),
        Metric::FalseDeadPerMemberHour => ("false dead per member-hour", ""),
        Metric::ConvergedPct => ("live views agree", "%"),
        Metric::IdleBytesPerMemberS => ("idle bytes per member-s", "B"),
        Metric::IdleDatagramsPerMemberS => ("idle datagrams per member-s", ""),
        Metric::CpuUsPerDatagram => ("CPU per handled datagram", "us"),
        Metric::PeakMemoryMb => ("peak memory (whole sim)", "MiB"),
    }
}

/// The setting of a row: loss and pauses, if any.
pub fn setting(row: &Row) -> String {
    match (row.loss > 0.0, row.pauses) {
        (false, false) => String::new(),
        (true, false) => format!("{:.0}% loss", row.loss * 100.0),
        (false, true) => "pauses".into(),
        (true, true) => format!("{:.0}% loss + pauses", row.loss * 100.0),
    }
}

/// One figure with a sensible number of digits.
pub fn number(x: f64) -> String {
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
        format!("{x:.3}")
    }
}

/// A figure or "not reached" (`> limit` when the run had one).
fn reached(x: Option<f64>, limit: Option<f64>) -> String {
    match (x, limit) {
        (Some(x), _) => number(x),
        (None, Some(limit)) => format!(">{}", number(limit)),
        (None, None) => "n/a".into(),
    }
}

/// "median (min-max)" of one system in one row.
pub fn cell_text(values: &[Option<f64>], row: &Row) -> String {
    let Some(s) = summarize(values, row.metric.higher_is_better()) else {
        return "n/a".into();
    };
    let median = reached(s.median, row.limit);
    if values.len() < 2 {
        return median;
    }
    let (low, high) = (reached(s.min, row.limit), reached(s.max, row.limit));
    // "732->900" would read as an arrow.
    let dash = if high.starts_with('>') { " - " } else { "-" };
    format!("{median} ({low}{dash}{high})")
}

/// hearsay / foca of the medians, or a bound when foca did not reach the figure.
pub fn ratio_text(row: &Row) -> String {
    let better = row.metric.higher_is_better();
    let h = summarize(&row.hearsay, better).and_then(|s| s.median);
    let f = summarize(&row.foca, better).and_then(|s| s.median);
    match (h, f, row.limit) {
        (Some(h), Some(f), _) if f != 0.0 => format!("{}x", number(h / f)),
        (Some(0.0), Some(0.0), _) => "both 0".into(),
        (Some(_), Some(_), _) => "foca 0".into(),
        (Some(h), None, Some(limit)) => format!("<{}x", number(h / limit)),
        _ => "n/a".into(),
    }
}

/// The whole table, as aligned plain text (also valid Markdown).
pub fn render(results: &Results) -> String {
    let header = [
        "metric", "N", "setting", "hearsay", "foca", "ratio", "target", "",
    ];
    let mut lines: Vec<[String; 8]> = Vec::new();
    for row in &results.rows {
        let (name, unit) = label(row.metric);
        let metric = if unit.is_empty() {
            name.to_string()
        } else {
            format!("{name} ({unit})")
        };
        let (target, mark) = match target(row) {
            Some((t, Verdict::Met)) => (t, "met"),
            Some((t, Verdict::Missed)) => (t, "MISSED"),
            None => (String::new(), ""),
        };
        lines.push([
            metric,
            thousands(u64::from(row.nodes)),
            setting(row),
            cell_text(&row.hearsay, row),
            cell_text(&row.foca, row),
            ratio_text(row),
            target,
            mark.into(),
        ]);
    }
    let mut widths = header.map(str::len);
    for line in &lines {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut put = |cells: &[String]| {
        out.push('|');
        for (cell, w) in cells.iter().zip(widths) {
            let _ = write!(out, " {cell:<w$} |");
        }
        out.push('\n');
    };
    put(&header.map(String::from));
    put(&widths.map(|w| "-".repeat(w)));
    for line in &lines {
        put(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(metric: Metric, hearsay: &[Option<f64>], foca: &[Option<f64>]) -> Row {
        Row {
            metric,
            nodes: 1_000,
            loss: 0.0,
            pauses: false,
            limit: Some(900.0),
            hearsay: hearsay.to_vec(),
            foca: foca.to_vec(),
        }
    }

    #[test]
    fn not_reached_counts_as_worst() {
        let s = summarize(&[Some(3.0), None, Some(1.0)], false).unwrap();
        assert_eq!((s.median, s.min, s.max), (Some(3.0), Some(1.0), None));
        let s = summarize(&[None, None, Some(1.0)], false).unwrap();
        assert_eq!(s.median, None);
    }

    #[test]
    fn a_join_foca_never_finished_is_a_bound() {
        let r = row(
            Metric::ColdJoinS,
            &[Some(6.0), Some(7.0), Some(8.0)],
            &[None, None, Some(450.0)],
        );
        assert_eq!(ratio_text(&r), "<0.008x");
        assert_eq!(cell_text(&r.foca, &r), ">900 (450 - >900)");
        assert_eq!(target(&r).unwrap().1, Verdict::Met);
    }

    #[test]
    fn ratios_compare_medians_against_the_target() {
        let r = row(
            Metric::SpreadMaxS,
            &[Some(0.5), Some(0.4), Some(0.6)],
            &[Some(1.0), Some(1.2), Some(0.5)],
        );
        assert_eq!(ratio_text(&r), "0.500x");
        assert_eq!(target(&r).unwrap().1, Verdict::Met);
        let r = row(Metric::SpreadMaxS, &[Some(1.0)], &[Some(1.0)]);
        assert_eq!(target(&r).unwrap().1, Verdict::Missed);
    }

    #[test]
    fn the_rendered_table_lines_up() {
        let results = crate::plots::sample::sample_results();
        let table = render(&results);
        let widths: Vec<usize> = table.lines().map(|l| l.chars().count()).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{table}");
        assert!(table.contains("false dead per member-hour"));
    }
}
