//! gpm: Go's goroutines for Rust. The façade over the G-P-M scheduler: `go`, `Runtime`,
//! channels with `select!`, sync primitives, `sleep`, `blocking`.
//!
//! Architecture Invariant: the façade adds API, never scheduling policy; policy lives in
//! gpm-sched.
//!
//! # Quick start
//! ```
//! let rt = gpm::Runtime::builder().procs(2).build()?;
//! let total = rt.block_on(|| {
//!     let handles: Vec<_> = (0..1000u64).map(|i| gpm::go(move || i * i)).collect();
//!     handles.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
//! });
//! assert_eq!(total, (0..1000u64).map(|i| i * i).sum());
//! # Ok::<(), std::io::Error>(())
//! ```
//! `gpm::go` also works outside any runtime: it starts the process-wide default runtime
//! (sized by `GPM_MAXPROCS` or the number of CPUs), like Go's.
//!
//! Goroutines are stackful coroutines (each has its own guarded stack), run by M threads
//! that each hold one P with a local run queue; idle Ms steal, spin briefly, then park.
//! Blocking calls inside a goroutine — [`chan`], [`sync`], [`sleep`], [`JoinHandle::join`] —
//! park the goroutine, not the thread. A call that blocks the *thread* (file I/O, FFI,
//! `std::thread::sleep`, a std lock) belongs in [`blocking`], which lets the scheduler hand
//! the P to another thread while it waits. `GPM_DEBUG=schedtrace=1000` prints Go's
//! `SCHED` line every second; [`Runtime::stats`] and [`Runtime::dump`] show the rest.
//!
//! # Soundness: goroutines move between threads
//! A goroutine parked on one thread may resume on another. Rust's type system does not see
//! this, so two things are on you (they are the price of stackful coroutines; the runtime's
//! own code follows the same rules):
//! 1. **No thread-local across a blocking call.** In optimised builds the compiler may keep
//!    a `thread_local!`'s address in a register across a call; if the goroutine parks and
//!    resumes on another thread in between, the function then reads and writes the *old*
//!    thread's slot. Read thread-locals only in functions that do not park (or mark the
//!    accessor `#[inline(never)]` and call it afresh after each blocking call).
//! 2. **No thread-bound value across a blocking call.** A `std::sync::MutexGuard` (its
//!    unlock must happen on the locking thread for some locks), an `Rc` shared with
//!    thread-local state, a `thread_rng()` handle, a pointer into a thread-local: do not
//!    hold one while calling anything that may park. The `Send` bound on [`go`] checks
//!    what the closure *captures*, not what it creates on its stack.
//!
//! The ways out: goroutine-local storage ([`local!`]: a value per goroutine that follows
//! it across threads), [`lock_os_thread`] pins the goroutine to its thread (Go's
//! `LockOSThread`: the thread then runs nothing else until [`unlock_os_thread`]), and
//! [`gpm::sync::Mutex`](crate::sync) parks goroutines instead of tying them to a thread.
//! The runtime keeps its own side of the contract: it reads no thread-local in code that
//! can switch, and a goroutine that parks while unwinding a panic (a destructor that
//! blocks) stays on its thread until the unwind is over, since Rust's panic count is
//! per thread.
//!
//! Dropping a [`Runtime`] cancels goroutines that have not finished: their stacks are
//! unwound (destructors run) and their `join` returns `Err` holding [`Cancelled`].
//! Destructors of cancelled goroutines must not block: drop does not hang on one, but
//! after a grace period it leaves it behind on a detached thread (see [`Runtime`]).

pub use gpm_sched::{
    Builder, Cancelled, JoinHandle, Runtime, RuntimeBuilder, Stats, blocking, go, lock_os_thread,
    num_goroutines, sleep, unlock_os_thread, yield_now,
};

/// park / unpark, the primitive every blocking type is built on (for writing your own).
pub use gpm_sched::park;
/// Goroutine-local storage (`gpm::local! { static X: T = init; }`, then `X.with(|x| ..)`):
/// the migration-safe stand-in for `thread_local!`.
pub use gpm_sched::{LocalKey, local};

/// The process-wide default runtime (started on first use). `gpm::go` outside any runtime
/// spawns on it.
pub fn default_runtime() -> &'static Runtime {
    gpm_sched::default_runtime()
}

pub mod chan;
#[doc(hidden)]
pub mod select;
pub mod sync;
