//! The drawing kit every chart shares: how a series looks, the frame with title and
//! legend column, the legend, axes and tick labels, and small helpers over the results.

use std::collections::BTreeSet;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::results::{Metric, Results, Row, System};

/// What drawing on backend `DB` gives: `T`, or plotters' error for that backend.
pub(super) type Drawn<DB, T> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;
pub(super) type DrawResult<DB> = Drawn<DB, ()>;
/// A part of a chart's canvas, in pixels.
pub(super) type Area<DB> = DrawingArea<DB, Shift>;

/// How one series is drawn, in the chart and in its legend.
#[derive(Debug, Clone, Copy)]
pub(super) struct Look {
    pub color: RGBAColor,
    pub width: u32,
    pub dashed: bool,
    pub marker: Marker,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Marker {
    None,
    Circle,
    Triangle,
}

impl Look {
    pub fn line(color: RGBColor, width: u32) -> Look {
        Look {
            color: color.to_rgba(),
            width,
            dashed: false,
            marker: Marker::None,
        }
    }

    pub fn stroke(&self) -> ShapeStyle {
        ShapeStyle {
            color: self.color,
            filled: false,
            stroke_width: self.width,
        }
    }

    pub fn fill(&self) -> ShapeStyle {
        ShapeStyle {
            color: self.color,
            filled: true,
            stroke_width: 1,
        }
    }
}

/// The system's colour, lighter for smaller clusters: `rank` of `count` cluster sizes
/// (0 = smallest). hearsay is blue, foca orange.
pub(super) fn shade(system: System, rank: usize, count: usize) -> RGBColor {
    let (light, dark) = match system {
        System::Hearsay => ((110, 170, 230), (8, 40, 110)),
        System::Foca => ((250, 165, 80), (150, 45, 0)),
    };
    let t = if count <= 1 {
        0.6
    } else {
        rank as f64 / (count - 1) as f64
    };
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    RGBColor(
        mix(light.0, dark.0),
        mix(light.1, dark.1),
        mix(light.2, dark.2),
    )
}

/// `10000` as `10,000`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(super) fn series_label(system: System, nodes: u32) -> String {
    format!("{}, N={}", system.name(), thousands(u64::from(nodes)))
}

pub(super) fn text<'a>(family: &'a str, size: u32, h: HPos, v: VPos) -> TextStyle<'a> {
    TextStyle::from((family, size).into_font()).pos(Pos::new(h, v))
}

pub(super) const GREY: RGBColor = RGBColor(90, 90, 90);
pub(super) const LEGEND_WIDTH: u32 = 232;
pub(super) const HEADER_HEIGHT: u32 = 62;

/// Paints the background, title and subtitle; returns the chart's area and the legend's
/// column to its right.
pub(super) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    family: &str,
    title: &str,
    subtitle: &str,
) -> Drawn<DB, (Area<DB>, Area<DB>)> {
    root.fill(&WHITE)?;
    let (width, _) = root.dim_in_pixel();
    let centre = (width / 2) as i32;
    root.draw_text(
        title,
        &text(family, 24, HPos::Center, VPos::Top),
        (centre, 10),
    )?;
    root.draw_text(
        subtitle,
        &text(family, 15, HPos::Center, VPos::Top).color(&GREY),
        (centre, 38),
    )?;
    let (_, body) = root.split_vertically(HEADER_HEIGHT);
    Ok(body.split_horizontally(width - LEGEND_WIDTH))
}

/// The legend: a heading, one sample and label per series, then notes in grey.
pub(super) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    family: &str,
    heading: &str,
    entries: &[(String, Look)],
    notes: &[&str],
) -> DrawResult<DB> {
    let mut y = 18;
    area.draw_text(heading, &text(family, 16, HPos::Left, VPos::Top), (8, y))?;
    y += 28;
    for (label, look) in entries {
        let mid = y + 8;
        let sample = vec![(8, mid), (42, mid)];
        if look.dashed {
            area.draw(&DashedPathElement::new(sample, 7, 4, look.stroke()))?;
        } else {
            area.draw(&PathElement::new(sample, look.stroke()))?;
        }
        draw_marker(area, (25, mid), look)?;
        area.draw_text(
            label,
            &text(family, 14, HPos::Left, VPos::Center),
            (50, mid),
        )?;
        y += 24;
    }
    y += 10;
    for note in notes {
        area.draw_text(
            note,
            &text(family, 13, HPos::Left, VPos::Top).color(&GREY),
            (8, y),
        )?;
        y += 19;
    }
    Ok(())
}

pub(super) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    look: &Look,
) -> DrawResult<DB> {
    match look.marker {
        Marker::None => Ok(()),
        Marker::Circle => area.draw(&Circle::new(at, 4, look.fill())),
        Marker::Triangle => area.draw(&TriangleMarker::new(at, 6, look.fill())),
    }
}

pub(super) type Chart2d<'a, DB, X, Y> = ChartContext<'a, DB, Cartesian2d<X, Y>>;

/// Draws one series: its line (solid or dashed) and, if it has one, a marker per point.
pub(super) fn draw_series<DB, X, Y>(
    chart: &mut Chart2d<'_, DB, X, Y>,
    points: &[(f64, f64)],
    look: &Look,
) -> DrawResult<DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    if look.dashed {
        chart.draw_series(DashedLineSeries::new(
            points.iter().copied(),
            7,
            4,
            look.stroke(),
        ))?;
    } else {
        chart.draw_series(LineSeries::new(points.iter().copied(), look.stroke()))?;
    }
    match look.marker {
        Marker::None => {}
        Marker::Circle => {
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, look.fill())))?;
        }
        Marker::Triangle => {
            chart.draw_series(
                points
                    .iter()
                    .map(|&p| TriangleMarker::new(p, 6, look.fill())),
            )?;
        }
    }
    Ok(())
}

/// What the axes say: descriptions, about how many x ticks, and how x ticks read.
pub(super) struct AxisText<'f> {
    pub x_desc: &'f str,
    pub y_desc: &'f str,
    pub x_ticks: usize,
    pub x_fmt: &'f dyn Fn(&f64) -> String,
}

/// A figure for a tick label: no decimals when whole, otherwise up to three.
pub(super) fn tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').to_string()
    }
}

/// Builds the chart with its grid, axis descriptions and tick labels.
pub(super) fn axes<'a, DB, X, Y>(
    area: &'a DrawingArea<DB, Shift>,
    family: &str,
    x: X,
    y: Y,
    labels: &AxisText<'_>,
) -> Drawn<DB, Chart2d<'a, DB, X::CoordDescType, Y::CoordDescType>>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .margin_top(8)
        .margin_left(14)
        .margin_right(12)
        .x_label_area_size(50)
        .y_label_area_size(62)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_desc(labels.x_desc)
        .y_desc(labels.y_desc)
        .x_labels(labels.x_ticks)
        .y_labels(8)
        .x_label_formatter(labels.x_fmt)
        .y_label_formatter(&tick)
        .axis_desc_style((family, 16))
        .label_style((family, 14))
        .bold_line_style(RGBColor(220, 220, 220))
        .light_line_style(TRANSPARENT)
        .draw()?;
    Ok(chart)
}

pub(super) fn sorted_unique(nodes: impl Iterator<Item = u32>) -> Vec<u32> {
    nodes.collect::<BTreeSet<_>>().into_iter().collect()
}

pub(super) fn rows_of(results: &Results, metric: Metric) -> impl Iterator<Item = &Row> {
    results.rows.iter().filter(move |row| row.metric == metric)
}

pub(super) fn figures(row: &Row, system: System) -> &[Option<f64>] {
    match system {
        System::Hearsay => &row.hearsay,
        System::Foca => &row.foca,
    }
}

/// Upper end of a value axis that starts at 0: a little above the largest figure, or 1
/// when every figure is 0 (so that zeros still sit on a visible axis).
pub(super) fn y_top(max: f64) -> f64 {
    if max > 0.0 { max * 1.15 } else { 1.0 }
}
