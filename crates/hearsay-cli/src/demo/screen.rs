//! What the demo shows while it runs: phase headings and findings as plain lines, and one
//! progress bar at a time.
//!
//! Lines go to stdout whether or not it is a terminal, so a piped or logged run still tells
//! the story; bars are drawn only on a terminal and never with `--quiet` (which also drops the
//! lines, leaving the summary). A line printed while a bar is shown goes above the bar.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Redraws per second; the bars move with the demo's polling, which is faster.
const BAR_HZ: u8 = 15;
/// The spinner turns this often, so that a bar waiting on a timeout still looks alive.
const TICK: Duration = Duration::from_millis(120);

/// The demo's live output.
pub struct Screen {
    quiet: bool,
    bars: bool,
    bar: Option<ProgressBar>,
}

impl Screen {
    /// A screen that draws bars only if stdout is a terminal and `quiet` is off.
    pub fn new(quiet: bool) -> Screen {
        Screen {
            quiet,
            bars: !quiet && std::io::stdout().is_terminal(),
            bar: None,
        }
    }

    /// Prints a line (above the bar, if one is shown). Nothing with `--quiet`.
    pub fn say(&self, line: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
    }

    /// Prints a phase heading: `[2/4] failure: ...`.
    pub fn heading(&self, step: usize, title: &str) {
        self.say("");
        self.say(&format!("[{step}/4] {title}"));
    }

    /// Shows a bar counting up to `len`, replacing any bar shown before.
    pub fn start_bar(&mut self, len: u64) {
        self.clear();
        if !self.bars {
            return;
        }
        let bar =
            ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stdout_with_hz(BAR_HZ));
        bar.set_style(
            ProgressStyle::with_template(
                "    {spinner:.green} {elapsed:>3.dim} [{bar:20.cyan/blue}] {wide_msg}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(TICK);
        self.bar = Some(bar);
    }

    /// Moves the bar to `pos`, with the status in words beside it.
    pub fn progress(&self, pos: u64, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_position(pos);
            bar.set_message(message.to_string());
        }
    }

    /// Removes the bar (its findings are printed as lines instead).
    pub fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
