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

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::events::EventResults;
use crate::results::Results;

mod bytes_per_member;
mod dissemination;
mod events;
mod false_positives;
mod kit;
pub mod sample;

use kit::DrawResult;
pub(crate) use kit::thousands;

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
            Chart::Dissemination => dissemination::draw(results, root, family),
            Chart::FalsePositives => false_positives::draw(results, root, family),
            Chart::BytesPerMember => bytes_per_member::draw(results, root, family),
        }
    }
}

/// Writes `dissemination`, `false_positives` and `bytes_per_member` into `dir` (created
/// if missing), each as `.svg` and, when [`png_font`] finds a font, as `.png`; returns
/// the files written. Without a font it prints one line to stderr naming the paths tried.
///
/// - `dissemination`: fraction of the other members that have an update against seconds
///   since it was made, per system and cluster size; the median seed's curve bold, the
///   other seeds' thin.
/// - `false_positives`: median [`Metric::FalseDeadPerMemberHour`](crate::results::Metric::FalseDeadPerMemberHour) against loss, per
///   system, cluster size and pauses.
/// - `bytes_per_member`: median [`Metric::IdleBytesPerMemberS`](crate::results::Metric::IdleBytesPerMemberS) against cluster size
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

/// Writes the user-event charts into `dir` like [`write_plots`]:
///
/// - `events_delivery`: per event, the percent of the members up throughout that delivered
///   it, by when it was sent, with half the members killed 20 s in (largest cluster, seed 1);
/// - `events_copies`: payload copies per event delivered, per node, sorted (largest
///   cluster, no faults, seed 1).
pub fn write_event_plots(results: &EventResults, dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    std::fs::create_dir_all(dir).map_err(|source| PlotError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let font = png_font();
    let mut written = Vec::new();
    for (name, delivery) in [("events_delivery", true), ("events_copies", false)] {
        let draw = |root: &DrawingArea<SVGBackend<'_>, Shift>, family: &str| {
            if delivery {
                events::draw_delivery(results, root, family)
            } else {
                events::draw_copies(results, root, family)
            }
        };
        let failed = |path: &Path, e: String| PlotError::Draw {
            path: path.to_path_buf(),
            message: e,
        };
        let svg = dir.join(format!("{name}.svg"));
        {
            let root = SVGBackend::new(&svg, SIZE).into_drawing_area();
            draw(&root, SVG_FAMILY).map_err(|e| failed(&svg, e.to_string()))?;
            root.present().map_err(|e| failed(&svg, e.to_string()))?;
        }
        written.push(svg);
        if font.is_some() {
            let png = dir.join(format!("{name}.png"));
            {
                let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
                let drawn = if delivery {
                    events::draw_delivery(results, &root, PNG_FAMILY)
                } else {
                    events::draw_copies(results, &root, PNG_FAMILY)
                };
                drawn.map_err(|e| failed(&png, e.to_string()))?;
                root.present().map_err(|e| failed(&png, e.to_string()))?;
            }
            written.push(png);
        }
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

#[cfg(test)]
mod tests {
    use super::dissemination::step_points;
    use super::*;
    use crate::results::{Curve, System};

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
