//! The `dissemination` chart: the share of members an update has reached, over time.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::kit::{
    AxisText, DrawResult, Look, axes, draw_legend, draw_series, frame, series_label, shade,
    sorted_unique, tick,
};
use crate::results::{Curve, Results, System};

/// Seconds until the curve reaches half of the members (`inf` if it never does).
fn time_to_half(curve: &Curve) -> f64 {
    curve
        .points
        .iter()
        .find(|&&(_, fraction)| fraction >= 0.5)
        .map_or(f64::INFINITY, |&(t, _)| t)
}

/// The curve as a step function starting at `(0, 0)`, thinned to the first and last
/// vertex per `buckets`-th of `0..x_max`: the same line at screen resolution, without
/// tens of thousands of vertices per curve in the SVG.
pub(super) fn step_points(curve: &Curve, x_max: f64, buckets: usize) -> Vec<(f64, f64)> {
    let mut steps = vec![(0.0, 0.0)];
    let mut last = 0.0;
    for &(t, fraction) in &curve.points {
        steps.push((t, last));
        steps.push((t, fraction));
        last = fraction;
    }
    let bucket = |t: f64| ((t / x_max) * buckets as f64) as usize;
    let mut thinned: Vec<(f64, f64)> = Vec::new();
    for (i, &p) in steps.iter().enumerate() {
        let first_in_bucket = i == 0 || bucket(steps[i - 1].0) != bucket(p.0);
        let last_in_bucket = i + 1 == steps.len() || bucket(steps[i + 1].0) != bucket(p.0);
        if first_in_bucket || last_in_bucket {
            thinned.push(p);
        }
    }
    thinned
}

pub(super) fn draw<DB: DrawingBackend>(
    results: &Results,
    root: &DrawingArea<DB, Shift>,
    family: &str,
) -> DrawResult<DB> {
    let (plot, legend) = frame(
        root,
        family,
        "Dissemination of one update",
        "fraction of the other members that have it, by time since it was made",
    )?;
    let mut groups: BTreeMap<(System, u32), Vec<&Curve>> = BTreeMap::new();
    for curve in &results.curves {
        groups
            .entry((curve.system, curve.nodes))
            .or_default()
            .push(curve);
    }
    let sizes: Vec<u32> = sorted_unique(results.curves.iter().map(|c| c.nodes));
    let x_max = results
        .curves
        .iter()
        .filter_map(|c| c.points.last().map(|&(t, _)| t))
        .fold(0.0, f64::max);
    let x_max = if x_max > 0.0 { x_max * 1.04 } else { 1.0 };
    let mut chart = axes(
        &plot,
        family,
        0.0..x_max,
        0.0..1.02,
        &AxisText {
            x_desc: "seconds since the update",
            y_desc: "fraction of the other members reached",
            x_ticks: 10,
            x_fmt: &tick,
        },
    )?;
    let mut entries = Vec::new();
    let mut bold = Vec::new();
    for (&(system, nodes), curves) in &mut groups {
        curves.sort_by(|a, b| time_to_half(a).total_cmp(&time_to_half(b)));
        let median = (curves.len() - 1) / 2;
        let rank = sizes.iter().position(|&n| n == nodes).unwrap_or(0);
        let look = Look::line(shade(system, rank, sizes.len()), 3);
        let thin = Look {
            color: look.color.mix(0.35),
            width: 1,
            ..look
        };
        for (i, curve) in curves.iter().enumerate() {
            let points = step_points(curve, x_max, 700);
            if i == median {
                bold.push((points, look));
            } else {
                draw_series(&mut chart, &points, &thin)?;
            }
        }
        entries.push((series_label(system, nodes), look));
    }
    // The medians go over every thin line.
    for (points, look) in &bold {
        draw_series(&mut chart, points, look)?;
    }
    draw_legend(
        &legend,
        family,
        "system, cluster size",
        &entries,
        &[
            "bold: median seed",
            "(by time to reach half)",
            "thin: the other seeds",
        ],
    )
}
