//! Go's run queues, generic over the item: the P-local 256-slot ring with `runnext`
//! (`Local` / `Stealer`) and the global queue (`Global`).
//!
//! Architecture Invariant: gpm-queue knows nothing of threads, stacks or parking; it moves
//! items of any `T: Send` between owners and thieves, and never loses or duplicates one.

mod global;
mod local;
mod pad;
mod ring;
mod steal;
mod sync;

pub use global::Global;
pub use local::{Local, Source, local};
pub use steal::Stealer;

/// Slots in a P-local ring (Go's `len(p.runq)`): 256, or 4 under `cfg(gpm_loom)` so the
/// model checker reaches the full-ring and wrap-around states in a few steps.
pub const CAPACITY: usize = if cfg!(gpm_loom) { 4 } else { 256 };
