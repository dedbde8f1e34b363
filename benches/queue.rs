//! Placeholder for the `queue` benchmarks.

fn main() {}
