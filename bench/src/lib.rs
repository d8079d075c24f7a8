//! Side-by-side benchmarks: hearsay and foca on one simulated network.

pub mod plots;
pub mod results;
