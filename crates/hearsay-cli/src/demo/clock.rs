//! The demo's only reading of the clock.
//!
//! The nodes stamp their events with `Instant`s from the same monotonic clock, so the demo can
//! subtract one from the other: a kill at `now()` and a verdict at `event.at` give the
//! detection time exactly, whenever the demo happens to look.
#![allow(clippy::disallowed_methods)] // the demo owns its clock; the engine is handed `now`

use std::time::Instant;

/// The current instant.
pub fn now() -> Instant {
    Instant::now()
}
