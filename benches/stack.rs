//! Placeholder for the `stack` benchmarks.

fn main() {}
