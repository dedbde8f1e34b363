//! Go's run queues, generic over the item: the P-local 256-slot ring with `runnext`
//! (`Local` / `Stealer`) and the global queue (`Global`).
//!
//! Architecture Invariant: gpm-queue knows nothing of threads, stacks or parking; it moves
//! items of any `T: Send` between owners and thieves, and never loses or duplicates one.
