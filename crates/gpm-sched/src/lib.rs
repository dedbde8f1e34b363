//! Go's G-P-M scheduler: goroutines (G) run by OS threads (M) that each hold a logical
//! processor (P) with a local run queue; stealing, spinning, parking, timers and sysmon.
//!
//! Architecture Invariant: gpm-sched builds on gpm-queue and gpm-stack only; it never names
//! the façade, and its code never reads a thread-local in a function that can switch.

pub mod park;
