//! Placeholder for the `chan` benchmarks.

fn main() {}
