//! Placeholder for the `sched` benchmarks.

fn main() {}
