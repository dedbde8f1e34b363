//! Goroutine stacks: guarded `mmap` stacks, a pool that reuses them without syscalls, a
//! reusable coroutine on corosensei, and stack-overflow detection.
//!
//! Architecture Invariant: gpm-stack knows nothing of the scheduler; it is the only crate
//! that talks to the OS through `libc`.
