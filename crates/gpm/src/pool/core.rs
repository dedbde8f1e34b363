//! `Core<J>`: what every pool flavour shares — the idle-worker queue, the counters, the
//! waits — generic over the job a worker runs (`Task` for `Pool`, the argument for
//! `PoolWithFunc`). The protocol and the races it prevents are in `README.md`; the worker's
//! side of it is `worker.rs`.

use super::error::PoolError;
use super::options::Options;
use super::worker::{self, Msg, Slot};
use crate::CancellationToken;
use crate::sync::{Condvar, Mutex, MutexGuard};
use std::any::Any;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use std::time::Instant;

/// What a worker does with a job.
pub(crate) type Runner<J> = Box<dyn Fn(J) + Send + Sync>;

/// What the panic handler gets for a task whose unwind was not a panic message: a payload
/// of `panic_any`/`resume_unwind`, or the runtime cancelling the worker when it is dropped.
/// The unwind goes on and the worker exits ([module docs](super), "Panics").
///
/// ```
/// # gpm::init_single_thread();
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let s = seen.clone();
/// let pool = gpm::pool::Pool::builder()
///     .panic_handler(move |p| s.lock().unwrap().push(p.downcast_ref::<&str>().copied()))
///     .build()?;
/// pool.submit(|| std::panic::panic_any(42u32))?;
/// pool.wait();
/// # while seen.lock().unwrap().is_empty() { std::thread::yield_now() }
/// assert_eq!(seen.lock().unwrap()[0], Some(gpm::pool::FOREIGN_UNWIND));
/// # Ok::<(), gpm::pool::PoolError>(())
/// ```
pub const FOREIGN_UNWIND: &str = "gpm::pool: a task unwound with a payload that is not a panic message (panic_any, \
     resume_unwind, or its runtime cancelling it); its worker exits";

/// Whether `payload` is what `panic!` makes (a `&str` or a `String`): a panic the worker
/// can survive. Anything else may be the runtime's cancellation of the goroutine, which
/// must go on unwinding to the goroutine's root.
pub(crate) fn is_panic_message(payload: &(dyn Any + Send)) -> bool {
    payload.is::<&'static str>() || payload.is::<String>()
}

/// The queue length on the submitter's P at which `submit` yields first (`README.md`,
/// "Pacing"): an eighth of the local ring, so a handed worker waits behind a few dozen
/// others at most, and a submitter that keeps up pays nothing.
const PACE_BACKLOG: usize = 32;

/// A cancellable submit's hook on its token, taken back when the submit returns.
struct OnCancel<'t> {
    token: &'t CancellationToken,
    key: u64,
}

impl Drop for OnCancel<'_> {
    fn drop(&mut self) {
        self.token.remove_on_cancel(self.key);
    }
}

/// How long `submit` may wait for a worker.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Wait<'t> {
    /// As long as it takes (or [`PoolError::Overload`] on a nonblocking pool).
    Block,
    /// Until this instant, then [`PoolError::Timeout`].
    Until(Instant),
    /// Not at all: [`PoolError::Overload`].
    Never,
    /// Until the token is cancelled, then [`PoolError::Cancelled`].
    Cancel(&'t CancellationToken),
}

pub(crate) struct Core<J> {
    /// The idle queue and the settings that change; every decision about a worker is taken
    /// under it.
    pub(super) state: Mutex<State<J>>,
    /// Blocked submitters: woken one per worker that turns idle or exits, all on `tune` up
    /// and on `release`.
    pub(super) submitters: Condvar,
    /// The purge goroutine's sleep; `release`/`reboot` cut it short.
    pub(super) purger: Condvar,
    /// `wait` (in-flight reaches 0) and `release_timeout` (goroutines reach 0).
    pub(super) quiet: Condvar,
    /// Workers that may run a task (ants' `Running`): idle or busy, not told to exit.
    /// Written under `state` only (so a decision sees it exact); read anywhere.
    pub(super) running: AtomicUsize,
    /// Goroutines of the pool not yet returned: workers, told to exit or not, and the purge.
    pub(super) alive: AtomicUsize,
    /// Callers parked in `submit`. Written under `state`.
    pub(super) waiting: AtomicUsize,
    /// Tasks handed to a worker and not finished.
    pub(super) inflight: AtomicUsize,
    /// Mirrors of `State::capacity` (0 = unlimited) and `State::closed` for the getters.
    pub(super) capacity: AtomicUsize,
    pub(super) closed: AtomicBool,
    pub(super) opts: Options,
    pub(super) run: Runner<J>,
}

pub(super) struct State<J> {
    /// Idle workers, in the order they went idle (`since` ascending): LIFO takes the back,
    /// FIFO (`pre_alloc`) the front, the purge a prefix.
    pub(super) idle: VecDeque<Idle<J>>,
    pub(super) capacity: Option<usize>,
    pub(super) closed: bool,
    /// The life of the pool (`reboot` starts a new one); a purge goroutine of an older life
    /// exits.
    pub(super) epoch: u64,
    /// Purge rounds so far: the clock idle workers are stamped with (`purge`).
    pub(super) tick: u64,
}

pub(super) struct Idle<J> {
    pub(super) slot: Arc<Slot<J>>,
    /// `State::tick` when the worker went idle.
    pub(super) since: u64,
}

impl<J: Send + 'static> Core<J> {
    pub(crate) fn new(opts: Options, run: Runner<J>) -> Result<Arc<Core<J>>, PoolError> {
        opts.check()?;
        let mut idle = VecDeque::new();
        if opts.pre_alloc {
            let cap = opts.capacity.unwrap_or(0);
            idle.try_reserve_exact(cap).map_err(|e| {
                PoolError::InvalidOption(format!(
                    "pre_alloc: no memory for a queue of {cap} workers ({e}); lower the \
                     capacity or drop pre_alloc"
                ))
            })?;
        }
        let core = Arc::new(Core {
            state: Mutex::new(State {
                idle,
                capacity: opts.capacity,
                closed: false,
                epoch: 0,
                tick: 0,
            }),
            submitters: Condvar::new(),
            purger: Condvar::new(),
            quiet: Condvar::new(),
            running: AtomicUsize::new(0),
            alive: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            inflight: AtomicUsize::new(0),
            capacity: AtomicUsize::new(opts.capacity.unwrap_or(0)),
            closed: AtomicBool::new(false),
            opts,
            run,
        });
        core.start_purge(0);
        Ok(core)
    }

    /// Hands `job` to an idle worker, or starts one under the capacity, or waits as `wait`
    /// allows (`README.md`: "submit"). A refused job comes back with the error.
    pub(crate) fn submit(self: &Arc<Self>, job: J, wait: Wait<'_>) -> Result<(), (PoolError, J)> {
        // Acquire; pairs with the Release in `release`: a cheap early answer only, the
        // check that counts is under the lock.
        if self.closed.load(Acquire) {
            return Err((PoolError::Closed, job));
        }
        if let Wait::Cancel(token) = wait
            && token.is_cancelled()
        {
            return Err((PoolError::Cancelled, job));
        }
        // Pacing (`README.md`): let the goroutines this P already has queued run first.
        if gpm_sched::work_waiting(PACE_BACKLOG) {
            crate::yield_now();
        }
        let mut hook: Option<OnCancel<'_>> = None;
        let mut st = self.state.lock();
        loop {
            if st.closed {
                return Err((PoolError::Closed, job));
            }
            let popped = if self.opts.pre_alloc { st.idle.pop_front() } else { st.idle.pop_back() };
            if let Some(idle) = popped {
                self.inflight.fetch_add(1, Relaxed);
                drop(st);
                self.hand(&idle.slot, job);
                return Ok(());
            }
            let running = self.running.load(Relaxed);
            if st.capacity.is_none_or(|c| running < c) {
                self.running.store(running + 1, Relaxed);
                self.alive.fetch_add(1, Relaxed);
                self.inflight.fetch_add(1, Relaxed);
                drop(st);
                self.start_worker(job);
                return Ok(());
            }
            let waiting = self.waiting.load(Relaxed);
            let max = self.opts.max_blocking_tasks;
            let refuse = matches!(wait, Wait::Never) || self.opts.nonblocking;
            if refuse || (max != 0 && waiting >= max) {
                return Err((PoolError::Overload, job));
            }
            if let Wait::Cancel(token) = wait
                && hook.is_none()
            {
                // Registered under the lock, before the first wait: a cancel from now on
                // wakes the wait below (its hook takes this lock to notify, so it cannot
                // fall between the check and the wait); one before, `on_cancel` refuses.
                match token.on_cancel(self.wake_submitters()) {
                    Some(key) => hook = Some(OnCancel { token, key }),
                    None => return Err((PoolError::Cancelled, job)),
                }
            }
            self.waiting.store(waiting + 1, Relaxed);
            st = match wait {
                Wait::Until(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => self.submitters.wait_timeout(st, left).0,
                    _ => {
                        self.waiting.fetch_sub(1, Relaxed);
                        return Err((PoolError::Timeout, job));
                    }
                },
                _ => self.submitters.wait(st),
            };
            self.waiting.fetch_sub(1, Relaxed);
            if let Wait::Cancel(token) = wait
                && token.is_cancelled()
            {
                // The wake-up may have been a worker's, meant for any submitter: pass it on.
                self.submitters.notify_one();
                return Err((PoolError::Cancelled, job));
            }
        }
    }

    /// The hook a cancellable submit leaves on its token: wakes every parked submitter,
    /// under the pool's lock (see `submit`).
    fn wake_submitters(self: &Arc<Self>) -> Box<dyn FnOnce() + Send> {
        let core = Arc::downgrade(self);
        Box::new(move || {
            if let Some(core) = core.upgrade() {
                let _st = core.state.lock();
                core.submitters.notify_all();
            }
        })
    }
    /// Gives `job` to a worker this caller took off the idle queue.
    fn hand(&self, slot: &Slot<J>, job: J) {
        if let Err(Msg::Run(job)) = slot.hand(Msg::Run(job)) {
            self.lost(job);
        }
    }

    /// Starts a worker goroutine with its first job; `running`, `alive` and `inflight` are
    /// already counted, and are given back if the spawn panics (no runtime).
    fn start_worker(self: &Arc<Self>, job: J) {
        struct Undo<'a, J: Send + 'static>(&'a Arc<Core<J>>);
        impl<J: Send + 'static> Drop for Undo<'_, J> {
            fn drop(&mut self) {
                let st = self.0.state.lock();
                self.0.running.fetch_sub(1, Relaxed);
                drop(st);
                self.0.inflight.fetch_sub(1, Relaxed);
                self.0.exited();
            }
        }
        let undo = Undo(self);
        let core = self.clone();
        drop(crate::go(move || worker::run(core, job)));
        std::mem::forget(undo);
    }

    /// Runs one job on a worker; a panic goes to the handler, and the worker goes on —
    /// unless its payload is not a panic message (`README.md`: "Panics"), which unwinds
    /// on after the report and takes the worker with it.
    pub(crate) fn run_job(&self, job: J) {
        let outcome = catch_unwind(AssertUnwindSafe(|| (self.run)(job)));
        self.finish_job();
        let Err(payload) = outcome else { return };
        if !is_panic_message(&*payload) {
            self.report(Box::new(FOREIGN_UNWIND));
            resume_unwind(payload);
        }
        self.report(payload);
    }

    fn report(&self, payload: Box<dyn Any + Send>) {
        let report = || match &self.opts.panic_handler {
            Some(handler) => handler(payload),
            None => drop(payload), // the panic hook has printed it
        };
        // A handler (or a payload's drop) that panics loses only this report.
        let _ = catch_unwind(AssertUnwindSafe(report));
    }

    fn finish_job(&self) {
        // AcqRel; pairs with the Acquire in `wait`: the task's effects are visible to a
        // waiter that sees the count it left.
        if self.inflight.fetch_sub(1, AcqRel) == 1 {
            // Under the lock: a `wait` that saw a non-zero count under it is queued by now.
            let _st = self.state.lock();
            self.quiet.notify_all();
        }
    }

    /// Worker side, after a job: back onto the idle queue (`true`), or retire when the pool
    /// is closed or above its capacity after a `tune` down (`false`; `running` already
    /// counts it out, in the same critical section as the decision).
    pub(crate) fn revert(&self, slot: &Arc<Slot<J>>) -> bool {
        let mut st = self.state.lock();
        let running = self.running.load(Relaxed);
        if st.closed || st.capacity.is_some_and(|c| running > c) {
            self.running.store(running - 1, Relaxed);
            drop(st);
            self.submitters.notify_one();
            return false;
        }
        // Read under the lock, so the queue stays ordered by `since`.
        let since = st.tick;
        st.idle.push_back(Idle { slot: slot.clone(), since });
        drop(st);
        self.submitters.notify_one();
        true
    }

    /// A worker or the purge goroutine returns.
    pub(crate) fn exited(&self) {
        // AcqRel; pairs with the Acquire in `release_timeout`.
        if self.alive.fetch_sub(1, AcqRel) == 1 {
            let _st = self.state.lock();
            self.quiet.notify_all();
        }
    }

    /// A job that reached a worker whose goroutine was cancelled (its runtime dropped): it
    /// is dropped unrun (a `spawn` handle then reports it), and the worker counted out.
    pub(crate) fn lost(&self, job: J) {
        let st = self.state.lock();
        self.running.fetch_sub(1, Relaxed);
        drop(st);
        self.submitters.notify_one();
        drop(job);
        self.finish_job();
    }

    /// A cancelled worker that was idle: takes it off the queue if it is still there
    /// (`true`: counted out here); `false` if somebody took it first (then whoever took it
    /// counts it out: `lost`, or the one that told it to exit).
    pub(crate) fn unqueue(&self, slot: &Arc<Slot<J>>) -> bool {
        let mut st = self.state.lock();
        let Some(at) = st.idle.iter().position(|i| Arc::ptr_eq(&i.slot, slot)) else {
            return false;
        };
        st.idle.remove(at);
        self.running.fetch_sub(1, Relaxed);
        drop(st);
        self.submitters.notify_one();
        true
    }

    /// A busy worker cancelled outside a job: counted out.
    pub(crate) fn drop_busy(&self) {
        let st = self.state.lock();
        self.running.fetch_sub(1, Relaxed);
        drop(st);
        self.submitters.notify_one();
    }

    /// Parks until no task handed to a worker is unfinished.
    pub(crate) fn wait(&self) {
        let mut st: MutexGuard<'_, State<J>> = self.state.lock();
        // Acquire; pairs with the AcqRel in `finish_job`.
        while self.inflight.load(Acquire) > 0 {
            st = self.quiet.wait(st);
        }
    }

    pub(crate) fn running(&self) -> usize {
        self.running.load(Relaxed)
    }

    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Relaxed)
    }

    pub(crate) fn inflight(&self) -> usize {
        self.inflight.load(Relaxed)
    }

    pub(crate) fn cap(&self) -> Option<usize> {
        Some(self.capacity.load(Relaxed)).filter(|&c| c != 0)
    }

    pub(crate) fn free(&self) -> Option<usize> {
        self.cap().map(|c| c.saturating_sub(self.running()))
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Acquire)
    }
}
