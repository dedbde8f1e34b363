//! Placeholder for the `workloads` benchmarks.

fn main() {}
