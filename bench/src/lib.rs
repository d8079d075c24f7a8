//! Side-by-side benchmarks: hearsay and foca on one simulated network.

pub mod cell;
pub mod foca_member;
pub mod plots;
pub mod results;
