//! Side-by-side benchmarks: hearsay and foca on one simulated network.

pub mod cell;
pub mod chitchat_state;
pub mod compare;
pub mod foca_member;
pub mod plan;
pub mod plots;
pub mod results;
pub mod table;
