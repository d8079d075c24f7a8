//! The hearsay agent.
