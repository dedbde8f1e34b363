//! `gpm::pool`: a goroutine pool — ants (panjf2000/ants), the pool the seed's reference
//! article builds on Go's G-P-M model, on gpm's goroutines: [`Pool`] for closures (with
//! results through [`Pool::spawn`]), [`PoolWithFunc`] for one function over typed
//! arguments, [`MultiPool`] to spread the load over several pools; all with ants'
//! [`Options`], `tune`, `release`, `release_timeout`, `reboot`, plus [`Pool::wait`] and
//! submits with a deadline.
//!
//! ```
//! # gpm::init_single_thread();
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
//! # Design
//! A pool's state sits under one lock (`gpm::sync::Mutex`: contended, it parks the
//! goroutine): the queue of idle workers, the capacity, `closed`, and the counts `running`
//! (workers that may run a task) and `waiting` (parked submitters). Every decision about a
//! worker — take it, start one, let it go idle, retire it — is made under that lock, so a
//! worker has exactly one owner at a time: the queue, or the one caller that took it off.
//!
//! - **An idle worker** is a parked goroutine with a one-message mailbox (`worker.rs`).
//!   The queue is a LIFO stack by default: the worker that went idle last, whose stack is
//!   warm in the cache, runs the next task. With `pre_alloc` it is a ring sized for the
//!   capacity up front and served oldest first (ants' loop queue).
//! - **submit** (`core.rs`): take an idle worker, hand it the task, unpark it; else, under
//!   the capacity, count a new worker in and start a goroutine with the task; else fail
//!   with `Overload` (nonblocking, a `try_` call, or `max_blocking_tasks` reached) or park
//!   on the submitters' condition variable until a worker goes idle or exits, or the
//!   deadline passes.
//! - **Pacing.** A submit from a goroutine first yields if its P has `PACE_BACKLOG` or
//!   more goroutines queued, or a timer due (`gpm_sched::work_waiting`). A submitter that
//!   never blocks otherwise runs ahead of the workers it feeds: each task it hands out waits
//!   in the run queue behind the ones before, no worker comes back idle in time, and every
//!   submit starts a new worker — the pool then holds its full capacity of stacks for work
//!   that a fraction of them could run, and the timers of the submitter's P wait for
//!   sysmon's preemption. Yielding puts the submitter behind what it queued, so workers
//!   are reused as soon as they finish. A submit from a plain thread does not pace (it
//!   holds no P).
//! - **A worker** runs its task (a panic goes to the handler, the worker survives), then
//!   under the lock either goes back on the queue (time-stamped) and wakes one submitter,
//!   or retires if the pool is closed or above its capacity.
//! - **The purge** is a goroutine per pool that sleeps `expiry` on the runtime's timers (a
//!   timed condition-variable wait), then takes the workers idle longer than `expiry` — a
//!   prefix of the queue, which is ordered by when they went idle, counted in purge rounds
//!   so that going idle reads no clock — and tells them to exit.
//!
//! The races each step prevents:
//! - *submit vs expiry*: a worker is taken off the queue, by a submitter or by the purge,
//!   only under the lock; whoever takes it owns it. A submitter can never hand a task to a
//!   worker the purge has already told to exit (ants' `revertWorker`/`purgeStaleWorkers`
//!   pair; a timestamp compare outside the lock would lose that task).
//! - *tune down vs running tasks*: `tune` retires only idle workers above the new capacity;
//!   a busy one learns it when it comes back (`running > cap` under the lock) and exits,
//!   counted out in the same critical section, so two workers finishing at once cannot both
//!   read the old count and both leave, and no task is interrupted.
//! - *release vs blocked submitters* (ants#202 hung here): a submitter checks `closed` and
//!   queues itself on the condition variable before it lets go of the lock; `release` sets
//!   `closed` under the same lock and then wakes every submitter. So each blocked submitter
//!   either saw `closed` or is queued when the wake-up comes, and returns `Closed`.
//! - *worker going idle vs submitter going to sleep*: the same argument — the worker pushes
//!   itself and notifies after the submitter, which found the queue empty under the lock,
//!   is already queued on the condition variable.
//! - *hand-off vs park*: the mailbox is written, then the worker unparked; park/unpark is
//!   permit-based, so an unpark that comes before the worker parks is not lost.
//! - *release vs reboot*: each life of the pool has an epoch; a purge goroutine of an
//!   older life exits even if the pool is open again when it wakes.
//! - *a runtime dropped under the pool*: its parked workers are unwound; each counts
//!   itself out once (`worker.rs`), and a task handed to one meanwhile is dropped and
//!   counted, so `wait` and `release_timeout` do not wait for it.
//!
//! **Panics.** A task that panics (`panic!`, whose payload is a message) is caught on its
//! worker: the payload goes to the panic handler, or to the `JoinHandle` of a `spawn`, and
//! the worker takes the next task. A task that unwinds with any other payload is reported
//! to the handler as [`FOREIGN_UNWIND`] and left to unwind its worker, which the pool counts
//! out (a later submit starts a new one): that is how the runtime cancels a goroutine when
//! it is dropped (an unwind with a private payload), and swallowing it would leave the
//! worker parking on a thread that no longer runs goroutines.
//!
//! Rejected: a channel per worker (ants' `chan func()`): a channel's lock, waiter queue and
//! buffer per worker to carry one message at a time; the mailbox does it with a short lock
//! and the worker's own park. Spawning a goroutine per task under a semaphore: it binds a
//! stack per queued task (the `pool` benchmark row "gpm::go + semaphore" shows the cost).
//! A lock-free idle stack: the capacity check and the queue must change together, and the
//! lock is held for a few instructions.
//!
//! Where workers run: a worker is a goroutine of the runtime of the call that started it —
//! the submitter's runtime, or the default runtime on a plain thread (which must then be
//! started: `gpm::init()`); the purge runs on the builder's. Keep a pool within one
//! runtime; dropping a runtime cancels the workers it runs. Submits can wait with a
//! deadline or a [`CancellationToken`](crate::CancellationToken) (`submit_with_token`), and
//! [`Pool::scope`] takes tasks that borrow. Not provided: a logger hook (a panic is printed
//! by the panic hook, as for any thread, and then passed to the panic handler).

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
