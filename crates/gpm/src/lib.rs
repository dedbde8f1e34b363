//! gpm: Go's goroutines for Rust. The façade over the G-P-M scheduler: `go`, `Runtime`,
//! channels with `select!`, sync primitives, `sleep`, `blocking`.
//!
//! Architecture Invariant: the façade adds API, never scheduling policy; policy lives in
//! gpm-sched.

pub mod chan;
pub mod sync;
#[doc(hidden)]
pub mod select;
