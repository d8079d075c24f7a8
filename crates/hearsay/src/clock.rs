//! The runtime's only readings of the wall clock and of ambient entropy. The engine never reads
//! either: it is handed `now` and a seed from here.
#![allow(clippy::disallowed_methods)]

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The current instant, for the engine's `now`.
pub(crate) fn now() -> Instant {
    Instant::now()
}

/// The current wall-clock time.
pub(crate) fn wall_now() -> SystemTime {
    SystemTime::now()
}

/// Milliseconds since the Unix epoch: the default generation of a node start.
pub fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A seed that differs from one process start to the next, for the engine's RNG when the
/// user does not fix one. Mixes the clock with the address of a fresh heap allocation and the
/// process id, which is enough: the seed only needs to differ between nodes, not be secret.
pub(crate) fn entropy_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let heap = Box::new(0u8);
    let addr = &*heap as *const u8 as u64;
    let pid = u64::from(std::process::id());
    let mut x = nanos ^ addr.rotate_left(32) ^ pid.rotate_left(16);
    // splitmix64 finaliser, so nearby inputs give unrelated seeds.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
