//! Go's sync package for goroutines and threads: [`WaitGroup`], [`Mutex`], [`RwLock`],
//! [`Condvar`], [`Semaphore`], [`Once`], [`OnceLock`], and a [`oneshot`] channel. Each
//! parks a goroutine (or blocks a plain thread) through the scheduler's
//! [park/unpark](crate::park), never an OS lock held across a wait. The blocking calls
//! (`lock`, `read`, `write`, `acquire`, `wait`) are scheduling points: a goroutine whose
//! time slice is used up yields there, before taking anything.
//!
//! ```
//! use gpm::sync::{Mutex, WaitGroup};
//! use std::sync::Arc;
//! let wg = WaitGroup::new();
//! let total = Arc::new(Mutex::new(0));
//! for i in 1..=4 {
//!     wg.add(1);
//!     let (wg, total) = (wg.clone(), total.clone());
//!     std::thread::spawn(move || {
//!         *total.lock() += i;
//!         wg.done();
//!     });
//! }
//! wg.wait();
//! assert_eq!(*total.lock(), 10);
//! ```
//!
//! Cancellation (`JoinHandle::abort`) of a goroutine parked in one of these unwinds it at
//! once, leaving the primitive as if it had never waited — except [`RwLock`]'s waits, which
//! cannot be taken back and hold the cancellation until they end.
//!
//! No `Notify`: tokio has one because an async task cannot block on a `Condvar`; here a
//! `Mutex` plus a `Condvar` serve every use of it, including its stored permit (a `bool`
//! under the mutex: `notify_one` sets it and notifies, the waiter waits while it is unset
//! and clears it), and a `Semaphore` with zero permits is a counted one (`add_permit`
//! wakes one `acquire`). A waiter that must also watch a channel uses a
//! [`oneshot`] or a [`CancellationToken`](crate::CancellationToken) in `select!`.

// Layout: one file per primitive, and `sema.rs`, Go's runtime semaphore (a count plus a
// queue of parked waiters, with direct hand-off) on which `Mutex`, `RwLock`, `WaitGroup`
// and `Semaphore` are built. What they share with channels sits at the crate root: the
// wake-up protocol (`waiter.rs`) and the std/loom shim (`shim.rs`). Why `RwLock`'s waits
// hold a cancellation: `rwlock.rs`.

mod condvar;
mod mutex;
mod once;
pub mod oneshot;
mod rwlock;
mod sema;
mod semaphore;
mod waitgroup;

pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard};
pub use once::{Once, OnceLock, OnceState};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};
pub use waitgroup::WaitGroup;
