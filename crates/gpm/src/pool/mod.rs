//! A goroutine pool, as Go's ants (panjf2000/ants): [`Pool`] runs closures (with results
//! through [`Pool::spawn`]), [`PoolWithFunc`] runs one function over typed arguments, and
//! [`MultiPool`] spreads the load over several pools; all with ants' [`Options`], `tune`,
//! `release`, `release_timeout` and `reboot`, plus [`Pool::wait`], submits with a deadline
//! or a [`CancellationToken`](crate::CancellationToken), and [`Pool::scope`] for tasks
//! that borrow. A pool works from goroutines and from plain threads.
//!
//! ```
//! gpm::init_single_thread(); // the workers run on the default runtime (see below)
//! use gpm::pool::Pool;
//! let pool = Pool::new(1000)?; // at most 1,000 worker goroutines
//! let handles: Vec<_> = (0..10_000u64).map(|i| pool.spawn(move || i % 7)).collect::<Result<_, _>>()?;
//! let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
//! assert_eq!(total, (0..10_000u64).map(|i| i % 7).sum());
//! pool.release_timeout(std::time::Duration::from_secs(5))?;
//! # Ok::<(), gpm::pool::PoolError>(())
//! ```
//!
//! Why a pool when goroutines are cheap: it bounds how many tasks run at once, and it
//! reuses a worker's goroutine and stack for the next task instead of binding a fresh one,
//! so a burst of a million short tasks needs as many stacks as tasks run *at once*, not as
//! tasks are *queued*.
//!
//! # Waiting and errors
//! A submit hands the task to an idle worker, or starts a new one while the pool is under
//! its capacity. At the capacity it waits (parks the goroutine, or blocks a plain thread)
//! until a worker is free — or fails with [`PoolError::Overload`] if the pool is
//! [`nonblocking`](Options::nonblocking), the call is a `try_` one, or
//! [`max_blocking_tasks`](Options::max_blocking_tasks) callers already wait; the
//! `_timeout` / `_deadline` forms fail with [`PoolError::Timeout`], the `_with_token`
//! forms with [`PoolError::Cancelled`] once their token is cancelled. After
//! [`release`](Pool::release) every submit fails with [`PoolError::Closed`], until
//! [`reboot`](Pool::reboot). A worker idle for longer than [`expiry`](Options::expiry)
//! exits, so an idle pool gives its stacks back. A submit from a goroutine first lets
//! the goroutines already queued on its thread run, so that a fast submitter does not run
//! ahead of the workers it feeds and fill the pool with new ones.
//!
//! # Panics
//! A task that panics (`panic!`, whose payload is a message) is caught on its worker: the
//! payload goes to the [`panic_handler`](Options::panic_handler), or to the
//! [`JoinHandle`] of a [`spawn`](Pool::spawn), and the worker takes the next task. A task
//! that unwinds with any other payload (`panic_any`, `resume_unwind`) is reported to the
//! handler as [`FOREIGN_UNWIND`] and its worker exits (a later submit starts a new one):
//! the runtime cancels goroutines this way when it is dropped, so the pool does not
//! swallow such an unwind.
//!
//! # Where workers run
//! A worker is a goroutine of the runtime of the call that started it — the submitter's
//! runtime, or the default runtime on a plain thread (which must then be started:
//! [`gpm::init_single_thread`](crate::init_single_thread) or [`gpm::init`](crate::init));
//! the pool's idle-worker purge runs on the runtime that built it. Keep a pool within one
//! runtime; dropping a runtime cancels the workers it runs (a [`JoinHandle`] of a task
//! cancelled that way returns [`TASK_DROPPED`]). Not provided: a logger hook (a panic is
//! printed by the panic hook, as for any thread, and then passed to the panic handler).

// Design: the protocol, the races each step prevents and the rejected designs are in
// `pool/README.md`; the code is `core.rs` (the shared state and the submit / purge
// decisions) and `worker.rs` (a worker goroutine and its one-message mailbox).

#[macro_use]
mod common;
mod core;
mod error;
mod handle;
mod lifecycle;
mod multi;
mod options;
#[allow(clippy::module_inception)]
mod pool;
mod scoped;
mod with_func;
mod worker;

pub use core::FOREIGN_UNWIND;
pub use error::PoolError;
pub use handle::{JoinHandle, TASK_DROPPED};
pub use multi::{LoadBalancing, MultiPool};
pub use options::{DEFAULT_EXPIRY, Options, PanicHandler};
pub use pool::{Pool, Task};
pub use scoped::PoolScope;
pub use with_func::PoolWithFunc;
