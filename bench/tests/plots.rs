//! The charts are written for a small made-up comparison, with the labels they promise.

use std::path::{Path, PathBuf};

use hearsay_bench::plots::{png_font, sample::sample_results, write_plots};
use hearsay_bench::results::{Metric, Results};

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("hearsay-bench-{name}-{}", std::process::id()));
        // A leftover from a crashed run under a reused pid would confuse the checks.
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn charts_are_written_with_their_labels() {
    let tmp = TempDir::new("plots");
    let dir = tmp.0.join("nested");
    let written = write_plots(&sample_results(), &dir).expect("plots");

    for name in ["dissemination", "false_positives", "bytes_per_member"] {
        let svg = dir.join(format!("{name}.svg"));
        assert!(written.contains(&svg), "{written:?}");
        assert!(read(&svg).starts_with("<svg"), "{name}");
        let png = dir.join(format!("{name}.png"));
        assert_eq!(written.contains(&png), png_font().is_some(), "{written:?}");
        assert_eq!(png.exists(), png_font().is_some(), "{}", png.display());
    }
    assert_eq!(written.len(), if png_font().is_some() { 6 } else { 3 });

    let expected: [(&str, &[&str]); 3] = [
        (
            "dissemination",
            &[
                "Dissemination of one update",
                "seconds since the update",
                "hearsay, N=100",
                "hearsay, N=10,000",
                "foca, N=1,000",
                "bold: median seed",
            ],
        ),
        (
            "false_positives",
            &[
                "False deaths under loss",
                "false deaths per member-hour",
                "hearsay, N=100, pauses",
                "foca, N=1,000",
                "10%",
                "30%",
            ],
        ),
        (
            "bytes_per_member",
            &[
                "Idle traffic per member",
                "bytes per member per second",
                "no loss, no pauses",
                "1,000",
                "10,000",
                // Legend labels, each a whole text element.
                "\nhearsay\n",
                "\nfoca\n",
            ],
        ),
    ];
    for (name, labels) in expected {
        let svg = read(&dir.join(format!("{name}.svg")));
        for label in labels {
            assert!(svg.contains(label), "{name}.svg lacks {label:?}");
        }
    }
}

#[test]
fn empty_results_still_give_charts() {
    let tmp = TempDir::new("plots-empty");
    let empty = Results {
        rows: Vec::new(),
        curves: Vec::new(),
        ..sample_results()
    };
    let written = write_plots(&empty, &tmp.0).expect("plots");
    assert!(written.iter().all(|p| p.exists()));
    assert!(read(&tmp.0.join("bytes_per_member.svg")).contains("no data"));
}

#[test]
fn a_setting_no_seed_reached_draws_no_point() {
    let tmp = TempDir::new("plots-unreached");
    let mut results = sample_results();
    write_plots(&results, &tmp.0.join("all")).expect("plots");
    let mut blanked = 0;
    for row in &mut results.rows {
        if row.metric == Metric::FalseDeadPerMemberHour && !row.pauses {
            row.foca = vec![None; row.foca.len()];
            blanked += 1;
        }
    }
    write_plots(&results, &tmp.0.join("unreached")).expect("plots");
    // Settings without pauses are drawn with circles, one per point.
    let circles = |dir: &str| {
        read(&tmp.0.join(dir).join("false_positives.svg"))
            .matches("<circle")
            .count()
    };
    assert_eq!(circles("all") - circles("unreached"), blanked);
}
