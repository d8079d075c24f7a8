//! Helpers shared by hearsay's test suites, one copy of each, so that every suite waits,
//! calls the API and starts nodes the same way.
//!
//! - [`wait`]: await a condition with a deadline, polling with a short backoff; on timeout
//!   the test fails with a message naming what was awaited. Never a bare sleep.
//! - [`http`]: a blocking HTTP client (ureq) for the agent's API, with async wrappers that
//!   run it off the runtime's threads.
//! - [`nodes`]: nodes on free loopback ports with the `local` preset's fast timers, joined
//!   into a cluster, and their events.
//! - [`temp_dir`] and [`read_lines`]: a directory removed when dropped, and a child
//!   process's output line by line.
//!
//! A dev-dependency only (`publish = false`): it panics on failure, as a test should.

use std::time::Duration;

pub mod http;
mod lines;
pub mod nodes;
pub mod wait;

pub use lines::read_lines;
pub use tempfile::TempDir;

/// The longest a test waits for anything by default. The `local` preset's timers act in well
/// under a second; this leaves room for a loaded machine without letting a hung test run on.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A new, empty directory (named after `tag`, for whoever finds one left behind) that is
/// removed when the returned guard is dropped.
pub fn temp_dir(tag: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("hearsay-{tag}-"))
        .tempdir()
        .expect("creating a temporary directory")
}
