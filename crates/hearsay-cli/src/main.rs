//! The `hearsay` command.

fn main() {}
