//! Running a whole comparison: every cell of a plan in a child process of its own (so
//! that each run's peak memory is its own), a few at a time, then the results gathered,
//! written as JSON, tabled and plotted.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::cell::{Cell, Figures, Kind};
use crate::plan::{Plan, rows};
use crate::results::{Curve, Machine, Results};

/// Why a comparison could not finish.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A child run failed.
    #[error("run {cell} failed: {why}")]
    Run {
        /// The cell, as JSON (pass it to `hearsay-bench run` to reproduce).
        cell: String,
        /// What went wrong.
        why: String,
    },
    /// Writing or reading results failed.
    #[error("{path}: {why}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
}

/// How to run a comparison.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which cells.
    pub plan: Plan,
    /// Seeds; every cell runs once per seed.
    pub seeds: Vec<u64>,
    /// Child processes at once.
    pub jobs: usize,
    /// The `hearsay-bench` executable that runs single cells.
    pub exe: PathBuf,
}

/// Runs every cell of `options.plan` and gathers the results.
pub fn run(options: &Options) -> Result<Results, CompareError> {
    let cells = options.plan.cells(&options.seeds);
    let total = cells.len();
    let queue = Mutex::new(cells.into_iter().enumerate().collect::<VecDeque<_>>());
    let finished: Mutex<Vec<(usize, Cell, Figures)>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<CompareError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    if failure.lock().expect("never poisoned").is_some() {
                        return;
                    }
                    let Some((i, cell)) = queue.lock().expect("never poisoned").pop_front() else {
                        return;
                    };
                    match run_child(&options.exe, &cell) {
                        Ok(figures) => {
                            let mut done = finished.lock().expect("never poisoned");
                            eprintln!(
                                "[{:>3}/{total}] {}: {:.1} s",
                                done.len() + 1,
                                describe(&cell),
                                figures.wall_s
                            );
                            done.push((i, cell, figures));
                        }
                        Err(e) => {
                            *failure.lock().expect("never poisoned") = Some(e);
                            return;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("never poisoned") {
        return Err(e);
    }
    let mut finished = finished.into_inner().expect("never poisoned");
    finished.sort_by_key(|(i, _, _)| *i);
    let finished: Vec<(Cell, Figures)> = finished.into_iter().map(|(_, c, f)| (c, f)).collect();
    Ok(Results {
        machine: machine(),
        seeds: options.seeds.clone(),
        rows: rows(&finished),
        curves: curves(&finished),
    })
}

/// Runs one cell in a child process and reads its figures.
fn run_child(exe: &Path, cell: &Cell) -> Result<Figures, CompareError> {
    let json = serde_json::to_string(cell).expect("cells serialize");
    let fail = |why: String| CompareError::Run {
        cell: json.clone(),
        why,
    };
    let output = Command::new(exe)
        .arg("run")
        .arg(&json)
        .output()
        .map_err(|e| fail(format!("cannot start {}: {e}", exe.display())))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(fail(format!("{}: {}", output.status, stderr.trim())));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| fail(format!("unreadable figures: {e}")))
}

/// One line naming a cell, for progress output.
fn describe(cell: &Cell) -> String {
    let what = match cell.kind {
        Kind::Join { .. } => "cold join".to_string(),
        Kind::Calm { .. } => "calm + update".to_string(),
        Kind::Kill { .. } => "kill".to_string(),
        Kind::Loss { loss, pauses, .. } => format!(
            "{:.0}% loss{}",
            loss * 100.0,
            if pauses { " + pauses" } else { "" }
        ),
    };
    format!(
        "{:<7} {what:<20} N={:<6} seed {}",
        cell.system.name(),
        cell.nodes,
        cell.seed
    )
}

/// Dissemination curves of the calm runs: one point per member reached.
fn curves(finished: &[(Cell, Figures)]) -> Vec<Curve> {
    finished
        .iter()
        .filter(|(cell, f)| matches!(cell.kind, Kind::Calm { .. }) && !f.spread_times_s.is_empty())
        .map(|(cell, f)| {
            let n = f.spread_times_s.len() as f64;
            Curve {
                system: cell.system,
                nodes: cell.nodes,
                seed: cell.seed,
                points: f
                    .spread_times_s
                    .iter()
                    .enumerate()
                    .map(|(i, &t)| (t, (i + 1) as f64 / n))
                    .collect(),
            }
        })
        .collect()
}

/// This machine: cores, memory and CPU model (from `/proc` where it exists).
pub fn machine() -> Machine {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    Machine {
        cores,
        memory_gib: memory_kib / (1024.0 * 1024.0),
        cpu,
    }
}

/// Writes `results` as pretty JSON to `path`.
pub fn save(results: &Results, path: &Path) -> Result<(), CompareError> {
    let fail = |why: String| CompareError::File {
        path: path.to_path_buf(),
        why,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    }
    let json = serde_json::to_string_pretty(results).expect("results serialize");
    std::fs::write(path, json + "\n").map_err(|e| fail(e.to_string()))
}

/// Reads results written by [`save`].
pub fn load(path: &Path) -> Result<Results, CompareError> {
    let fail = |why: String| CompareError::File {
        path: path.to_path_buf(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| fail(format!("not a results file: {e}")))
}
