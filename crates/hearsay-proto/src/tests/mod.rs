//! Engine tests over a virtual clock: scripted single engines and small simulated clusters.

mod cluster;
mod harness;
mod hostile;
mod single;
mod store;
mod user;
