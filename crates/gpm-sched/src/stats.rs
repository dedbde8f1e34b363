//! `Runtime::stats()` (a snapshot of counters and queue lengths) and `Runtime::dump()`
//! (every goroutine with id, name, state, wait reason, wait time, where it waits and where
//! it was spawned, in the spirit of Go's goroutine dump).
//!
//! ```text
//! goroutine 7 [chan receive, 12 ms]:
//!   name: worker-3
//!   waiting at src/main.rs:21:20
//!   created at src/main.rs:18:9
//! ```
//! "waiting at" is the blocking call the goroutine parked in, recorded by the park
//! (`#[track_caller]` down from the public blocking functions to `park::park_deadline`).
//!
//! Both read other threads' state without stopping them: each number is exact when read,
//! but the set is not one atomic picture unless the runtime is quiescent.

use std::fmt::Write;
use std::sync::atomic::Ordering::*;
use std::time::Duration;

use crate::g::GStatus;
use crate::sched::{Sched, lock};

/// A snapshot of a runtime's scheduler, from [`Runtime::stats`](crate::Runtime::stats):
/// Ps and threads, run queues, goroutines by state, and counters since the start.
/// `#[non_exhaustive]`: fields may be added.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let sleepers: Vec<_> = (0..3)
///         .map(|_| gpm::go(|| gpm::sleep(std::time::Duration::from_millis(2))))
///         .collect();
///     gpm::yield_now(); // they start and park in their sleep
///     sleepers.into_iter().for_each(|h| h.join().unwrap());
/// });
/// let s = rt.stats();
/// assert_eq!((s.procs, s.local_queues.len()), (1, 1));
/// assert!(s.spawned >= 4);
/// assert_eq!(s.panics, 0);
/// // The same counters, as the line `GPM_DEBUG=schedtrace` prints.
/// assert!(rt.schedtrace().contains("gomaxprocs=1"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Ps (`procs`, Go's `gomaxprocs`).
    pub procs: usize,
    /// Ps on the idle list.
    pub idle_procs: usize,
    /// M threads alive.
    pub threads: usize,
    /// Ms spinning (looking for work).
    pub spinning_threads: usize,
    /// Ms parked on the idle list.
    pub idle_threads: usize,
    /// Goroutines in the global run queue.
    pub global_queue: usize,
    /// Goroutines in each P's local queue (ring + runnext).
    pub local_queues: Vec<usize>,
    /// Goroutines spawned and not finished (`runnable + running + syscall + waiting`).
    pub goroutines: usize,
    /// Goroutines in a run queue.
    pub runnable: usize,
    /// Goroutines running on an M.
    pub running: usize,
    /// Goroutines inside `blocking`.
    pub syscall: usize,
    /// Goroutines parked.
    pub waiting: usize,
    /// Goroutines spawned since the runtime started.
    pub spawned: u64,
    /// Goroutines taken from another P's queue.
    pub steals: u64,
    /// Ps handed from one M to another (`handoffp`).
    pub handoffs: u64,
    /// Ps retaken by sysmon from a blocked or hogging M.
    pub retakes: u64,
    /// Preempt flags set by sysmon.
    pub preempts: u64,
    /// Gs ever allocated (each with a stack; dead ones are reused): the peak number of
    /// goroutines alive at once, roughly.
    pub gs_allocated: usize,
    /// Times an M could not be started: `max_threads` was reached, or the OS refused the
    /// thread (the first time is printed on stderr, with the way out).
    pub thread_limit_hits: u64,
    /// Goroutines cancelled before their first run because no stack could be mapped for
    /// them (their `join` returns [`Cancelled`](crate::Cancelled) with `is_no_stack()`;
    /// the first is also printed on stderr). See [`go`](crate::go).
    pub stack_failures: u64,
    /// Entries in the timer heaps (armed timers, plus ones whose park ended early and that
    /// have not been pruned yet).
    pub timers: usize,
    /// Panics that escaped goroutines while the runtime's drop cancelled them, each named on
    /// stderr; the other goroutines were still unwound. Nonzero only in the `Stats` that
    /// [`Runtime::shutdown`](crate::Runtime::shutdown) returns. A destructor that panics
    /// *during* a cancelled goroutine's unwind is not counted: it aborts the process (see
    /// [`Runtime`](crate::Runtime)).
    pub cancel_panics: u64,
    /// Goroutines that ended in a panic (the runtime's own cancellation is not counted).
    pub panics: u64,
    /// Of [`panics`](Stats::panics), those nobody was to join: the goroutine's handle had
    /// been dropped when it ended. Each went to the
    /// [`on_panic`](crate::RuntimeBuilder::on_panic) handler, if there is one.
    pub detached_panics: u64,
}

pub(crate) fn snapshot(sched: &Sched) -> Stats {
    let mut s = Stats {
        procs: sched.ps.len(),
        idle_procs: sched.spin.idle_ps() as usize,
        threads: sched.nthreads.load(Relaxed),
        spinning_threads: sched.spin.spinning() as usize,
        idle_threads: sched.idle_ms(),
        global_queue: sched.global.len(),
        local_queues: sched.ps.iter().map(|p| p.runq_len()).collect(),
        spawned: sched.spawned(),
        steals: sched.ps.iter().map(|p| p.steals.load(Relaxed)).sum(),
        handoffs: sched.counters.handoffs.load(Relaxed),
        retakes: sched.counters.retakes.load(Relaxed),
        preempts: sched.counters.preempts.load(Relaxed),
        thread_limit_hits: sched.counters.thread_limit_hits.load(Relaxed),
        stack_failures: sched.counters.stack_failures.load(Relaxed),
        cancel_panics: sched.counters.cancel_panics.load(Relaxed),
        panics: sched.counters.panics.load(Relaxed),
        detached_panics: sched.counters.detached_panics.load(Relaxed),
        ..Stats::default()
    };
    s.timers = sched.ps.iter().map(|p| p.timers.len()).sum();
    let allgs = lock(&sched.allgs);
    s.gs_allocated = allgs.len();
    for g in allgs.iter() {
        match g.status() {
            GStatus::Runnable => s.runnable += 1,
            GStatus::Running => s.running += 1,
            GStatus::Syscall => s.syscall += 1,
            GStatus::Waiting => s.waiting += 1,
            GStatus::Idle | GStatus::Dead => {}
        }
    }
    s.goroutines = s.runnable + s.running + s.syscall + s.waiting;
    s
}

/// Go-style goroutine dump.
pub(crate) fn dump(sched: &Sched) -> String {
    let now = sched.nanotime();
    let mut out = String::new();
    let gs: Vec<_> = lock(&sched.allgs).clone();
    for g in gs {
        let status = g.status();
        if matches!(status, GStatus::Idle | GStatus::Dead) {
            continue;
        }
        let state = match status {
            GStatus::Waiting => {
                let waited = now.saturating_sub(g.wait_since.load(Relaxed));
                format!("{}, {}", g.wait_reason().as_str(), fmt_wait(Duration::from_nanos(waited)))
            }
            s => s.as_str().to_string(),
        };
        let _ = writeln!(out, "goroutine {} [{}]:", g.id.load(Relaxed), state);
        if g.has_name.load(Relaxed)
            && let Some(name) = lock(&g.name).as_deref()
        {
            let _ = writeln!(out, "  name: {name}");
        }
        if status == GStatus::Waiting
            && let Some(at) = g.wait_location()
        {
            let _ = writeln!(out, "  waiting at {}:{}:{}", at.file(), at.line(), at.column());
        }
        let loc = g.location.load(Relaxed);
        if !loc.is_null() {
            // SAFETY: only `&'static Location`s are stored.
            let loc = unsafe { &*loc };
            let _ = writeln!(out, "  created at {}:{}:{}", loc.file(), loc.line(), loc.column());
        }
        out.push('\n');
    }
    out
}

/// Go prints waits of a minute or more as "N minutes"; we print every wait.
fn fmt_wait(d: Duration) -> String {
    match d.as_secs() {
        0 => format!("{} ms", d.as_millis()),
        s if s < 60 => format!("{s} s"),
        s => format!("{} minutes", s / 60),
    }
}
