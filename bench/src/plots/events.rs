//! The charts of the user-event comparison (`hearsay-bench events`): per-event delivery
//! through a mass kill, and payload copies per node.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::kit::{AxisText, DrawResult, Look, axes, draw_legend, draw_series, frame, tick};
use crate::events::{EventResults, EventRunFigures, EventSystem, Fault, Senders};

/// The series of one system and sender mode: its colour and dash.
fn look(system: EventSystem, senders: Senders) -> Look {
    let color = match system {
        EventSystem::Hearsay => RGBColor(8, 70, 160),
        EventSystem::Iroh => RGBColor(30, 140, 60),
    };
    Look {
        dashed: senders == Senders::Random,
        ..Look::line(color, 2)
    }
}

fn label(system: EventSystem, senders: Senders) -> String {
    let who = match senders {
        Senders::One => "one sender",
        Senders::Random => "random senders",
    };
    format!("{}, {who}", system.name())
}

/// Seed 1's runs of the largest cluster under `fault`: (system, senders, figures).
fn largest(
    results: &EventResults,
    fault: Fault,
) -> (u32, Vec<(EventSystem, Senders, &EventRunFigures)>) {
    let nodes = results.runs.iter().map(|(c, _)| c.nodes).max().unwrap_or(0);
    let runs = results
        .runs
        .iter()
        .filter(|(c, _)| c.nodes == nodes && c.fault == fault && c.seed == 1)
        .map(|(c, f)| (c.system, c.senders, f))
        .collect();
    (nodes, runs)
}

/// Per-event delivery, by the time each event was sent, with half the members killed.
pub(super) fn draw_delivery<DB: DrawingBackend>(
    results: &EventResults,
    root: &DrawingArea<DB, Shift>,
    family: &str,
) -> DrawResult<DB> {
    let (nodes, runs) = largest(results, Fault::KillHalf);
    let (plot, legend) = frame(
        root,
        family,
        &format!("User events through a mass kill, N={nodes}"),
        "share of the members up throughout that delivered each event, by when it was sent",
    )?;
    let low = runs
        .iter()
        .flat_map(|(_, _, f)| f.delivery.iter().map(|&(_, pct)| pct))
        .fold(100.0, f64::min);
    let bottom = (low - (100.0 - low) * 0.15 - 0.5).clamp(0.0, 99.0).floor();
    let x_max = runs
        .iter()
        .flat_map(|(_, _, f)| f.delivery.iter().map(|&(t, _)| t))
        .fold(1.0, f64::max);
    let mut chart = axes(
        &plot,
        family,
        0.0..x_max * 1.02,
        bottom..100.5,
        &AxisText {
            x_desc: "seconds since sending started (half killed at 20 s)",
            y_desc: "percent delivered",
            x_ticks: 12,
            x_fmt: &tick,
        },
    )?;
    let mut entries = Vec::new();
    for (system, senders, f) in &runs {
        let look = look(*system, *senders);
        draw_series(&mut chart, &f.delivery, &look)?;
        entries.push((label(*system, *senders), look));
    }
    draw_legend(
        &legend,
        family,
        "system, senders",
        &entries,
        &["seed 1; 10 events/s of 1 KiB", "5 ms latency at most"],
    )
}

/// Payload copies each node received per event it delivered, nodes sorted, no faults.
pub(super) fn draw_copies<DB: DrawingBackend>(
    results: &EventResults,
    root: &DrawingArea<DB, Shift>,
    family: &str,
) -> DrawResult<DB> {
    let (nodes, runs) = largest(results, Fault::None);
    let (plot, legend) = frame(
        root,
        family,
        &format!("Payload copies per node, N={nodes}"),
        "copies received per event delivered (1 = no duplicate), nodes sorted",
    )?;
    let top = runs
        .iter()
        .flat_map(|(_, _, f)| f.copies.iter().copied())
        .fold(1.0, f64::max);
    let mut chart = axes(
        &plot,
        family,
        0.0..1.0,
        0.0..top * 1.1,
        &AxisText {
            x_desc: "fraction of the nodes",
            y_desc: "copies per event delivered",
            x_ticks: 10,
            x_fmt: &tick,
        },
    )?;
    let mut entries = Vec::new();
    for (system, senders, f) in &runs {
        let n = f.copies.len().max(1) as f64;
        let points: Vec<(f64, f64)> = f
            .copies
            .iter()
            .enumerate()
            .map(|(i, &c)| ((i as f64 + 0.5) / n, c))
            .collect();
        let look = look(*system, *senders);
        draw_series(&mut chart, &points, &look)?;
        entries.push((label(*system, *senders), look));
    }
    draw_legend(
        &legend,
        family,
        "system, senders",
        &entries,
        &["seed 1, no faults", "RMR = mean of this - 1"],
    )
}
