//! The `false_positives` chart: live members wrongly declared dead, against loss.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::kit::{
    AxisText, DrawResult, Look, Marker, axes, draw_legend, draw_series, figures, frame, rows_of,
    series_label, shade, sorted_unique, tick, y_top,
};
use super::median_of;
use crate::results::{Metric, Results, Row, System};

pub(super) fn draw<DB: DrawingBackend>(
    results: &Results,
    root: &DrawingArea<DB, Shift>,
    family: &str,
) -> DrawResult<DB> {
    let (plot, legend) = frame(
        root,
        family,
        "False deaths under loss",
        "live members wrongly declared dead, per member-hour (median over seeds)",
    )?;
    let rows: Vec<&Row> = rows_of(results, Metric::FalseDeadPerMemberHour).collect();
    let sizes = sorted_unique(rows.iter().map(|r| r.nodes));
    let mut series: BTreeMap<(System, u32, bool), Vec<(f64, f64)>> = BTreeMap::new();
    for row in &rows {
        for system in System::ALL {
            let key = (system, row.nodes, row.pauses);
            let line = series.entry(key).or_default();
            if let Some(median) = median_of(figures(row, system)) {
                line.push((row.loss * 100.0, median));
            }
        }
    }
    let losses: Vec<f64> = rows.iter().map(|r| r.loss * 100.0).collect();
    let lo = losses.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = losses.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() {
        (lo - 5.0, hi + 5.0)
    } else {
        (0.0, 40.0)
    };
    let max = series
        .values()
        .flatten()
        .map(|&(_, y)| y)
        .fold(0.0, f64::max);
    let top = y_top(max);
    // A sliver below zero, so that markers at 0 sit clear of the frame.
    let mut chart = axes(
        &plot,
        family,
        lo..hi,
        -top * 0.02..top,
        &AxisText {
            x_desc: "datagram loss (%)",
            y_desc: "false deaths per member-hour",
            // Ticks every 10%, where the runs are.
            x_ticks: ((hi - lo) / 10.0).floor() as usize + 1,
            x_fmt: &|x| format!("{}%", tick(x)),
        },
    )?;
    // Lines at the same loss and figure (zeros, typically) would hide one another: each
    // series is shifted sideways a little.
    let count = series.len();
    let mut entries = Vec::new();
    for (i, (&(system, nodes, pauses), points)) in series.iter_mut().enumerate() {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let dodge = (i as f64 - (count as f64 - 1.0) / 2.0) * 0.6;
        let shifted: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x + dodge, y)).collect();
        let rank = sizes.iter().position(|&n| n == nodes).unwrap_or(0);
        let look = Look {
            dashed: pauses,
            marker: if pauses {
                Marker::Triangle
            } else {
                Marker::Circle
            },
            ..Look::line(shade(system, rank, sizes.len()), 2)
        };
        draw_series(&mut chart, &shifted, &look)?;
        let label = series_label(system, nodes) + if pauses { ", pauses" } else { "" };
        entries.push((label, look));
    }
    draw_legend(
        &legend,
        family,
        "system, cluster size",
        &entries,
        &[
            "dashed: 2% of members",
            "pausing 2-5 s at random",
            "points at one loss are",
            "shifted apart slightly",
        ],
    )
}
