//! Charts of a comparison's [`Results`]: how fast an update spreads, how often live
//! members are wrongly declared dead, and what an idle cluster costs on the wire.
//!
//! Every chart is written twice under one base name: an SVG, which needs no font (the
//! viewer brings its own), and a PNG for places that show no SVG. plotters is built
//! without its `ttf` feature (that would pull in font-kit and fontconfig), so PNG text
//! comes from a TrueType file found at run time (see [`png_font`]); without one only the
//! SVGs are written.
//!
//! The layout never asks for text measurements: titles, axis labels and legends sit at
//! fixed places, so the SVGs come out the same whether or not a font was found.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::results::{Curve, Metric, Results, Row, System};

pub mod sample;

/// Width and height of every chart, in pixels.
pub const SIZE: (u32, u32) = (900, 560);

/// Environment variable naming a TrueType font for the PNGs; tried before the usual
/// system locations.
pub const FONT_ENV: &str = "HEARSAY_PLOT_FONT";

/// Where [`png_font`] looks for a TrueType font, after [`FONT_ENV`], in order.
pub const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// The family name the PNG font is registered under. SVG text uses the generic
/// `sans-serif`, which is never registered, so the SVGs cannot come to depend on it.
const PNG_FAMILY: &str = "hearsay-plots-sans";
const SVG_FAMILY: &str = "sans-serif";

/// Why the charts could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The output directory could not be created.
    #[error("cannot create {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// plotters failed while drawing or saving one file.
    #[error("cannot draw {path}: {message}")]
    Draw {
        /// The file being written.
        path: PathBuf,
        /// plotters' error, as text (its error types are generic over the backend).
        message: String,
    },
}

/// Median of the figures that are present, ignoring `None` ("not reached"); the mean of
/// the two middle figures when their count is even. `None` when no figure is present.
///
/// Ignoring the missing figures flatters a setting where some seeds did not reach the
/// figure at all; callers that plot it draw no point when every seed is missing, and
/// the JSON keeps the per-seed figures for anyone who needs the whole picture.
pub fn median_of(values: &[Option<f64>]) -> Option<f64> {
    let mut present: Vec<f64> = values.iter().flatten().copied().collect();
    if present.is_empty() {
        return None;
    }
    present.sort_by(f64::total_cmp);
    let mid = present.len() / 2;
    Some(if present.len().is_multiple_of(2) {
        (present[mid - 1] + present[mid]) / 2.0
    } else {
        present[mid]
    })
}

/// Smallest and largest of the figures that are present, `None` when none is.
fn range_of(values: &[Option<f64>]) -> Option<(f64, f64)> {
    values.iter().flatten().fold(None, |acc, &v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
    })
}

/// The TrueType font the PNGs are drawn with: the first of [`FONT_ENV`] and
/// [`FONT_PATHS`] that reads and parses. Looked up and registered with plotters once per
/// process (its font table is global and wants bytes that live forever, so the file's
/// contents are leaked, once). `None` when nothing usable was found.
pub fn png_font() -> Option<&'static Path> {
    static FONT: OnceLock<Option<PathBuf>> = OnceLock::new();
    FONT.get_or_init(|| {
        font_candidates().into_iter().find(|path| {
            let Ok(bytes) = std::fs::read(path) else {
                return false;
            };
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font(PNG_FAMILY, FontStyle::Normal, bytes).is_ok()
        })
    })
    .as_deref()
}

fn font_candidates() -> Vec<PathBuf> {
    std::env::var_os(FONT_ENV)
        .map(PathBuf::from)
        .into_iter()
        .chain(FONT_PATHS.iter().map(PathBuf::from))
        .collect()
}

/// The charts, by base file name.
#[derive(Debug, Clone, Copy)]
enum Chart {
    Dissemination,
    FalsePositives,
    BytesPerMember,
}

impl Chart {
    const ALL: [Chart; 3] = [
        Chart::Dissemination,
        Chart::FalsePositives,
        Chart::BytesPerMember,
    ];

    fn name(self) -> &'static str {
        match self {
            Chart::Dissemination => "dissemination",
            Chart::FalsePositives => "false_positives",
            Chart::BytesPerMember => "bytes_per_member",
        }
    }

    fn draw<DB: DrawingBackend>(
        self,
        results: &Results,
        root: &DrawingArea<DB, Shift>,
        family: &str,
    ) -> DrawResult<DB> {
        match self {
            Chart::Dissemination => draw_dissemination(results, root, family),
            Chart::FalsePositives => draw_false_positives(results, root, family),
            Chart::BytesPerMember => draw_bytes_per_member(results, root, family),
        }
    }
}

/// What drawing on backend `DB` gives: `T`, or plotters' error for that backend.
type Drawn<DB, T> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;
type DrawResult<DB> = Drawn<DB, ()>;
/// A part of a chart's canvas, in pixels.
type Area<DB> = DrawingArea<DB, Shift>;

/// Writes `dissemination`, `false_positives` and `bytes_per_member` into `dir` (created
/// if missing), each as `.svg` and, when [`png_font`] finds a font, as `.png`; returns
/// the files written. Without a font it prints one line to stderr naming the paths tried.
///
/// - `dissemination`: fraction of the other members that have an update against seconds
///   since it was made, per system and cluster size; the median seed's curve bold, the
///   other seeds' thin.
/// - `false_positives`: median [`Metric::FalseDeadPerMemberHour`] against loss, per
///   system, cluster size and pauses.
/// - `bytes_per_member`: median [`Metric::IdleBytesPerMemberS`] against cluster size
///   (log scale), per system, with min-max bars over the seeds.
pub fn write_plots(results: &Results, dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    std::fs::create_dir_all(dir).map_err(|source| PlotError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let font = png_font();
    let mut written = Vec::new();
    for chart in Chart::ALL {
        let svg = dir.join(format!("{}.svg", chart.name()));
        let root = SVGBackend::new(&svg, SIZE).into_drawing_area();
        render(chart, results, root, SVG_FAMILY, &svg)?;
        written.push(svg);
        if font.is_some() {
            let png = dir.join(format!("{}.png", chart.name()));
            let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
            render(chart, results, root, PNG_FAMILY, &png)?;
            written.push(png);
        }
    }
    if font.is_none() {
        let tried: Vec<String> = font_candidates()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        eprintln!(
            "plots: no usable TrueType font (tried {}; set {FONT_ENV} to one); wrote the SVGs only, no PNGs",
            tried.join(", ")
        );
    }
    Ok(written)
}

fn render<DB: DrawingBackend>(
    chart: Chart,
    results: &Results,
    root: DrawingArea<DB, Shift>,
    family: &str,
    path: &Path,
) -> Result<(), PlotError> {
    let failed = |e: DrawingAreaErrorKind<DB::ErrorType>| PlotError::Draw {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    chart.draw(results, &root, family).map_err(failed)?;
    root.present().map_err(failed)
}

// ---------------------------------------------------------------------------------------
// Looks shared by the charts and their legends.

/// How one series is drawn, in the chart and in its legend.
#[derive(Debug, Clone, Copy)]
struct Look {
    color: RGBAColor,
    width: u32,
    dashed: bool,
    marker: Marker,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Marker {
    None,
    Circle,
    Triangle,
}

impl Look {
    fn line(color: RGBColor, width: u32) -> Look {
        Look {
            color: color.to_rgba(),
            width,
            dashed: false,
            marker: Marker::None,
        }
    }

    fn stroke(&self) -> ShapeStyle {
        ShapeStyle {
            color: self.color,
            filled: false,
            stroke_width: self.width,
        }
    }

    fn fill(&self) -> ShapeStyle {
        ShapeStyle {
            color: self.color,
            filled: true,
            stroke_width: 1,
        }
    }
}

/// The system's colour, lighter for smaller clusters: `rank` of `count` cluster sizes
/// (0 = smallest). hearsay is blue, foca orange.
fn shade(system: System, rank: usize, count: usize) -> RGBColor {
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

fn series_label(system: System, nodes: u32) -> String {
    format!("{}, N={}", system.name(), thousands(u64::from(nodes)))
}

fn text<'a>(family: &'a str, size: u32, h: HPos, v: VPos) -> TextStyle<'a> {
    TextStyle::from((family, size).into_font()).pos(Pos::new(h, v))
}

const GREY: RGBColor = RGBColor(90, 90, 90);
const LEGEND_WIDTH: u32 = 232;
const HEADER_HEIGHT: u32 = 62;

/// Paints the background, title and subtitle; returns the chart's area and the legend's
/// column to its right.
fn frame<DB: DrawingBackend>(
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
fn draw_legend<DB: DrawingBackend>(
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

fn draw_marker<DB: DrawingBackend>(
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

type Chart2d<'a, DB, X, Y> = ChartContext<'a, DB, Cartesian2d<X, Y>>;

/// Draws one series: its line (solid or dashed) and, if it has one, a marker per point.
fn draw_series<DB, X, Y>(
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
struct AxisText<'f> {
    x_desc: &'f str,
    y_desc: &'f str,
    x_ticks: usize,
    x_fmt: &'f dyn Fn(&f64) -> String,
}

/// A figure for a tick label: no decimals when whole, otherwise up to three.
fn tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').to_string()
    }
}

/// Builds the chart with its grid, axis descriptions and tick labels.
fn axes<'a, DB, X, Y>(
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

// ---------------------------------------------------------------------------------------
// dissemination

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
fn step_points(curve: &Curve, x_max: f64, buckets: usize) -> Vec<(f64, f64)> {
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

fn draw_dissemination<DB: DrawingBackend>(
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

fn sorted_unique(nodes: impl Iterator<Item = u32>) -> Vec<u32> {
    nodes.collect::<BTreeSet<_>>().into_iter().collect()
}

// ---------------------------------------------------------------------------------------
// false positives

fn rows_of(results: &Results, metric: Metric) -> impl Iterator<Item = &Row> {
    results.rows.iter().filter(move |row| row.metric == metric)
}

fn figures(row: &Row, system: System) -> &[Option<f64>] {
    match system {
        System::Hearsay => &row.hearsay,
        System::Foca => &row.foca,
    }
}

/// Upper end of a value axis that starts at 0: a little above the largest figure, or 1
/// when every figure is 0 (so that zeros still sit on a visible axis).
fn y_top(max: f64) -> f64 {
    if max > 0.0 { max * 1.15 } else { 1.0 }
}

fn draw_false_positives<DB: DrawingBackend>(
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

// ---------------------------------------------------------------------------------------
// bytes per member

fn draw_bytes_per_member<DB: DrawingBackend>(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_ignores_missing_figures() {
        assert_eq!(median_of(&[]), None);
        assert_eq!(median_of(&[None, None]), None);
        assert_eq!(
            median_of(&[Some(3.0), None, Some(1.0), Some(2.0)]),
            Some(2.0)
        );
        assert_eq!(median_of(&[Some(4.0), Some(1.0)]), Some(2.5));
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(100), "100");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn steps_keep_their_shape_when_thinned() {
        let curve = Curve {
            system: System::Hearsay,
            nodes: 5,
            seed: 1,
            points: vec![(1.0, 0.25), (1.0001, 0.5), (2.0, 0.75), (3.0, 1.0)],
        };
        let thinned = step_points(&curve, 3.0, 30);
        assert_eq!(thinned.first(), Some(&(0.0, 0.0)));
        assert_eq!(thinned.last(), Some(&(3.0, 1.0)));
        assert!(thinned.contains(&(2.0, 0.5)), "{thinned:?}");
        assert!(
            thinned
                .windows(2)
                .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1)
        );
    }
}
