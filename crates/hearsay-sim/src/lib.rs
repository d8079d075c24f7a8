//! The hearsay simulator (in progress).
