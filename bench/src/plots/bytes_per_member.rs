//! The `bytes_per_member` chart: what an idle cluster costs on the wire, against its size.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::kit::{
    AxisText, DrawResult, Look, Marker, axes, draw_legend, draw_series, figures, frame, rows_of,
    shade, sorted_unique, thousands, y_top,
};
use super::median_of;
use crate::results::{Metric, Results, Row, System};

pub(super) fn draw<DB: DrawingBackend>(
    results: &Results,
    root: &DrawingArea<DB, Shift>,
    family: &str,
) -> DrawResult<DB> {
    let rows: Vec<&Row> = rows_of(results, Metric::IdleBytesPerMemberS).collect();
    // One setting only: the quietest the results hold (no pauses before pauses, then the
    // lowest loss), normally the loss-free idle run.
    let quietest = rows
        .iter()
        .map(|r| (r.pauses, r.loss))
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let rows: Vec<&Row> = rows
        .into_iter()
        .filter(|r| Some((r.pauses, r.loss)) == quietest)
        .collect();
    let setting = match quietest {
        Some((pauses, loss)) => format!(
            "{} loss, {}",
            if loss == 0.0 {
                "no".to_string()
            } else {
                format!("{}%", loss * 100.0)
            },
            if pauses { "pauses" } else { "no pauses" }
        ),
        None => "no data".to_string(),
    };
    let (plot, legend) = frame(
        root,
        family,
        "Idle traffic per member",
        &format!("bytes on the wire per member per second, idle cluster ({setting})"),
    )?;
    let sizes = sorted_unique(rows.iter().map(|r| r.nodes));
    let (lo, hi) = match (sizes.first(), sizes.last()) {
        (Some(&lo), Some(&hi)) => (f64::from(lo) / 1.6, f64::from(hi) * 1.6),
        _ => (50.0, 20_000.0),
    };
    let mut max: f64 = 0.0;
    let mut series = Vec::new();
    for system in System::ALL {
        let mut points = Vec::new();
        for &nodes in &sizes {
            let Some(row) = rows.iter().find(|r| r.nodes == nodes) else {
                continue;
            };
            let figures = figures(row, system);
            if let (Some(median), Some((min, max_seed))) = (median_of(figures), range_of(figures)) {
                max = max.max(max_seed);
                points.push((f64::from(nodes), median, min, max_seed));
            }
        }
        series.push((system, points));
    }
    let mut chart = axes(
        &plot,
        family,
        (lo..hi).log_scale(),
        0.0..y_top(max),
        &AxisText {
            x_desc: "cluster size (members, log scale)",
            y_desc: "bytes per member per second",
            x_ticks: 10,
            x_fmt: &|x| thousands(x.round() as u64),
        },
    )?;
    let mut entries = Vec::new();
    for (i, (system, points)) in series.iter().enumerate() {
        // The two systems' bars would sit on one another: nudge them apart.
        let nudge = if i == 0 { 0.985 } else { 1.015 };
        let look = Look {
            marker: Marker::Circle,
            ..Look::line(shade(*system, 0, 1), 2)
        };
        chart.draw_series(points.iter().map(|&(x, median, min, max)| {
            ErrorBar::new_vertical(x * nudge, min, median, max, look.stroke(), 10)
        }))?;
        let line: Vec<(f64, f64)> = points.iter().map(|&(x, m, _, _)| (x * nudge, m)).collect();
        draw_series(&mut chart, &line, &look)?;
        entries.push((system.name().to_string(), look));
    }
    draw_legend(
        &legend,
        family,
        "system",
        &entries,
        &["points: median over seeds", "bars: min to max"],
    )
}

/// Smallest and largest of the figures that are present, `None` when none is.
fn range_of(values: &[Option<f64>]) -> Option<(f64, f64)> {
    values.iter().flatten().fold(None, |acc, &v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
    })
}
