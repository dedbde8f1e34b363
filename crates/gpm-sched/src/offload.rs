//! `blocking(f)` on a single-thread runtime: `f` runs on a helper thread while the calling
//! goroutine parks, so the runtime's one thread goes on running the others. (A migrating
//! runtime instead keeps `f` on the goroutine's M and hands the P to another M,
//! `syscall.rs`; a single-thread runtime has no other M to hand it to.)
//!
//! Helpers are process-wide (shared by every single-thread runtime): a queue of jobs under
//! a mutex, and idle helpers waiting on a condvar for up to `KEEP_ALIVE` before they exit.
//! A job is queued only where a helper is sure to take it: a new helper is started whenever
//! the queued jobs outnumber the idle helpers, so a job never waits behind another (one
//! blocking call may wait for another to end, and must not be queued behind it).
//!
//! The call borrows from the goroutine's stack (`f` need not be `'static`): the goroutine
//! does not leave `run` until the helper is done with the call, even when it is unwound
//! there (a runtime dropped meanwhile cancels it): `Call`'s drop then waits, blocking the
//! unwinding thread, for the helper to finish.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::park::{WaitReason, park, unparker};
use crate::sched::{Sched, lock};

/// An idle helper exits after this long without work.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

struct Helpers {
    state: Mutex<State>,
    work: Condvar,
}

struct State {
    jobs: VecDeque<Job>,
    /// Helpers waiting for a job (each will take one).
    idle: usize,
}

static HELPERS: Helpers =
    Helpers { state: Mutex::new(State { jobs: VecDeque::new(), idle: 0 }), work: Condvar::new() };

/// One call handed to a helper: lives on the goroutine's stack until `done`.
struct Call<F, R> {
    f: Option<F>,
    out: Option<std::thread::Result<R>>,
    /// Release, by the helper once it no longer touches the call; pairs with the Acquire
    /// loads of the waiting goroutine (or its unwind).
    done: AtomicBool,
}

/// A `*mut Call` for the helper.
struct CallPtr<F, R>(*mut Call<F, R>);
// SAFETY: the helper is the only user of the call until `done` (the goroutine waits), and
// `F: Send, R: Send`: the closure runs there and its result comes back.
unsafe impl<F: Send, R: Send> Send for CallPtr<F, R> {}

/// Runs `f` on a helper thread and parks the calling goroutine (of `sched`, a single-thread
/// runtime) until it returns; a panic in `f` is resumed here. Falls back to running `f`
/// here if no helper can be started.
#[track_caller]
pub(crate) fn run<F: FnOnce() -> R + Send, R: Send>(sched: &Sched, f: F) -> R {
    let mut call = Call { f: Some(f), out: None, done: AtomicBool::new(false) };
    let waker = unparker();
    let ptr = CallPtr(&raw mut call);
    // Counted until the helper is done with the call (`Counters::offloaded`); the `Arc` keeps
    // the counter alive that long.
    sched.counters.offloaded.fetch_add(1, Relaxed);
    let sched = sched.arc();
    let job: Box<dyn FnOnce() + Send + '_> = Box::new(move || {
        let ptr = ptr;
        // Fields through the raw pointer, never a `&mut Call`: the goroutine reads `done`
        // meanwhile (`Wait`, the loop below).
        // SAFETY: see `CallPtr`: the call is alive and its `f` and `out` are ours until
        // `done`.
        let f = unsafe { (*ptr.0).f.take() }.expect("offload: call run twice");
        let out = catch_unwind(AssertUnwindSafe(f));
        // SAFETY: as above.
        unsafe { (*ptr.0).out = Some(out) };
        let waker = waker;
        // SAFETY: as above; after this store the call may be gone, and `waker` is ours.
        unsafe { (*ptr.0).done.store(true, Release) };
        waker.wake();
        // Release; pairs with the Acquire load of the home M's wait (`schedule::m_main`):
        // the call is over before its thread may end.
        sched.counters.offloaded.fetch_sub(1, Release);
    });
    // SAFETY: the job borrows `call` (and what `f` borrows), which outlive it: `call` is
    // not dropped before `done`, set as the job's last touch of it (`Wait`'s drop waits).
    let job: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
    if let Err(job) = submit(job) {
        // No helper: run it here, on the runtime's thread.
        job();
    }
    let wait = Wait(&call.done);
    // A cancellation (`abort.rs`) waits for the call's end: unwinding here would hold the
    // runtime's one thread in `Wait` until then.
    let shield = crate::abort::CancelShield::new();
    while !call.done.load(Acquire) {
        park(WaitReason::Blocking);
    }
    drop(shield);
    drop(wait);
    match call.out.take().expect("offload: done without a result") {
        Ok(r) => r,
        Err(payload) => resume_unwind(payload),
    }
}

/// Holds an unwinding goroutine in `run` until the helper is done with its call.
struct Wait<'a>(&'a AtomicBool);

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        while !self.0.load(Acquire) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Queues `job` where a helper will take it, starting one if needed. `Err(job)` if no
/// helper runs and none can be started.
fn submit(job: Job) -> Result<(), Job> {
    let mut st = lock(&HELPERS.state);
    st.jobs.push_back(job);
    if st.jobs.len() <= st.idle {
        drop(st);
        HELPERS.work.notify_one();
        return Ok(());
    }
    let spawned = std::thread::Builder::new().name("gpm-blocking".into()).spawn(helper_main);
    match spawned {
        Ok(_) => Ok(()),
        Err(e) => {
            let job = st.jobs.pop_back().expect("submit: the job just queued");
            drop(st);
            warn_no_helper(&e);
            Err(job)
        }
    }
}

#[cold]
fn warn_no_helper(e: &std::io::Error) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        eprintln!(
            "gpm: cannot start a helper thread for `blocking` on a single-thread runtime \
             ({e}); the call runs on the runtime's thread and the other goroutines wait for \
             it (raise the thread limit: ulimit -u)"
        )
    });
}

fn helper_main() {
    let mut st = lock(&HELPERS.state);
    loop {
        if let Some(job) = st.jobs.pop_front() {
            drop(st);
            job();
            st = lock(&HELPERS.state);
            continue;
        }
        st.idle += 1;
        let (guard, timeout) = HELPERS
            .work
            .wait_timeout(st, KEEP_ALIVE)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        st = guard;
        st.idle -= 1;
        if timeout.timed_out() && st.jobs.is_empty() {
            return;
        }
    }
}
