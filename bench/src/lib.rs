//! Side-by-side benchmarks: hearsay and foca on one simulated network, and hearsay's
//! per-node state beside chitchat's.

pub mod cell;
pub mod chitchat_state;
pub mod compare;
pub mod events;
pub mod foca_member;
pub mod iroh_member;
pub mod plan;
pub mod plots;
pub mod results;
pub mod state;
pub mod table;
