//! A runtime's shutdown after its `shutdown` flag is set (`Runtime::stop`): wait for the Ms
//! to leave their loops, join them and sysmon, cancel the unfinished goroutines where they
//! may be unwound (on helpers, `cancel.rs`; a locked goroutine on its own M; a
//! single-thread runtime's on its one M), then give the stacks back.

use std::sync::Arc;
use std::sync::atomic::Ordering::*;
use std::thread::JoinHandle as ThreadHandle;

use super::cancel;
use crate::g::GRef;
use crate::ownership::OwnedP;
use crate::sched::{Sched, lock};

/// Joins every M and sysmon, cancels the unfinished goroutines, gives stacks back.
pub(super) fn finish_shutdown(sched: &Sched, sysmon: Option<ThreadHandle<()>>) {
    let unwound = if sched.single {
        // The home M cancels the goroutines itself, on their own thread.
        cancel::wait_for_home(sched)
    } else {
        // Ms may be starting while we wake: wake again until every M has left the count
        // (its thread then ends at once, or waits for its locked G's cancellation with its
        // handle set aside: joined below, never here).
        loop {
            sched.wake_all();
            // Acquire; pairs with the Release decrements of `m_main` and
            // `cancel_on_locked_m`.
            if sched.nthreads.load(Acquire) == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
        sched.join_threads();
        true
    };
    if let Some(h) = sysmon {
        sched.sysmon.unpark();
        let _ = h.join();
    }
    let mut unwound = unwound;
    if !sched.single {
        unwound = cancel_all(sched, cancel::unwind_all);
        let locked: Vec<_> = lock(&sched.locked_threads).drain(..).collect();
        if unwound {
            for h in locked {
                let _ = h.join();
            }
        } // else: a locked M still unwinding is left detached, with the runtime's memory.
    }
    if unwound {
        sched.pool.trim();
    }
}

/// An M whose locked G (`lock_os_thread`) is unfinished at shutdown: it outlives the other
/// Ms and unwinds that G itself, on the thread the G was locked to, when `cancel_all` hands
/// it over (`OnItsM`) — a destructor there may use what the G borrowed from this thread.
/// Its handle goes aside first, so the dropping thread's join of the Ms does not wait for
/// it.
pub(crate) fn cancel_on_locked_m(sched: &Sched, m: &crate::m::M) {
    sched.set_own_thread_aside();
    // Release; pairs with the Acquire load in `finish_shutdown`.
    sched.nthreads.fetch_sub(1, Release);
    loop {
        if let Some(job) = lock(&m.cancel_job).take() {
            job.run();
            return;
        }
        if sched.cancel_over.load(Acquire) {
            return;
        }
        m.parker.park(None);
    }
}

/// A single-thread runtime's home M, its schedule loop over at shutdown: cancel every
/// unfinished goroutine here, on the thread it ran on (a thread-local it borrowed, or a
/// thread-bound value it holds, is still this thread's while its destructors run).
pub(crate) fn cancel_on_home(sched: &Sched) {
    // From 0 to 1: the cancellation has started (`cancel::wait_for_home`).
    sched.counters.unwound_on_home.fetch_add(1, Relaxed);
    cancel_all(sched, cancel::unwind_here);
}

/// Unwinds every unfinished goroutine with `unwind` and drains the queues (no M runs
/// goroutines any more).
///
/// A goroutine that switched away while a panic unwound its stack (a destructor that
/// parked) cannot be unwound again — a second unwind through that destructor aborts the
/// process — so its coroutine is leaked, with a warning naming it.
fn cancel_all(sched: &Sched, unwind: fn(&Sched, cancel::Todo, cancel::Locked) -> bool) -> bool {
    let gs: Vec<_> = lock(&sched.allgs).clone();
    for g in &gs {
        g.cancelling.store(true, Relaxed);
    }
    let (mut todo, mut locked) = (Vec::new(), Vec::new());
    for g in gs {
        // A G that never ran: dropping its job reports `Cancelled` to its joiner.
        drop(g.job.take());
        // No M runs: every G's stack is owned by the runtime being dropped.
        let Some(co) = g.co.take() else { continue };
        if co.is_idle() {
            cancel::discard(co);
        } else if g.switched_unwinding() {
            eprintln!(
                "gpm: runtime `{}` dropped while {} was parked in a destructor during a panic; \
                 its stack cannot be unwound twice and is leaked",
                sched.name,
                cancel::describe(g)
            );
            std::mem::forget(co);
            // Its queued waiters name the runtime without owning it (`park::WaitHandle`):
            // the runtime's memory stays with the leaked stack.
            std::mem::forget(sched.arc());
        } else if let Some(m) = locked_m_of(sched, g) {
            locked.push((m, g, co));
        } else {
            todo.push((g, co));
        }
    }
    let unwound = unwind(sched, todo, locked);
    // Release; pairs with the Acquire load in `cancel_on_locked_m`: the Ms given no G (their
    // G was leaked, or finished) exit now.
    sched.cancel_over.store(true, Release);
    for m in lock(&sched.allm).iter() {
        m.parker.unpark();
    }
    for p in sched.ps.iter() {
        // SAFETY: no M runs (every M thread has left its schedule loop, or waits for its
        // locked G here and no longer touches a P), nor does sysmon: the dropping thread is
        // the only one to reach the Ps, and makes one `OwnedP` at a time.
        let mut p = unsafe { OwnedP::assume(p) };
        let core = p.core();
        let _ = core.runq.drain().count();
        core.gfree.clear();
        core.cos.drain(..).for_each(cancel::discard);
    }
    while sched.global.pop().is_some() {}
    lock(&sched.allm).clear();
    unwound
}

/// The M `g` is locked to (`lock_os_thread`), waiting in `cancel_on_locked_m`.
fn locked_m_of(sched: &Sched, g: GRef) -> Option<Arc<crate::m::M>> {
    let lm = g.locked_m.load(Acquire);
    if lm.is_null() || sched.single {
        return None;
    }
    lock(&sched.allm).iter().find(|m| std::ptr::eq(Arc::as_ptr(m), lm)).cloned()
}
