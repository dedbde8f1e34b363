//! The M's life: the schedule loop (Go's `schedule` / `findRunnable` / `execute`), on the
//! M's native stack.
//!
//! Find work in Go's order (`find_runnable`): timers due; every 61st `schedtick` one G from
//! the global queue first (so two goroutines re-readying each other cannot starve it); the
//! local queue (`runnext` first — a G from `runnext` inherits the current time slice, so
//! `schedtick` is not bumped); a batch from the global queue; stealing (`steal.rs`, only as a
//! spinner); then give the P back and park (`spinning.rs` explains the re-check).

use std::sync::Arc;
use std::sync::atomic::Ordering::*;

use gpm_queue::Source;
use gpm_stack::{Resumed, ThreadSlot};

use crate::context::set_current_m;
use crate::g::{Action, GRef, GStatus};
use crate::m::M;
use crate::ownership::{HandOff, OwnedP};
use crate::sched::Sched;

/// Every this many slices the global queue goes first (Go's 61: a prime, so it does not
/// beat in step with user loops).
const GLOBAL_FAIRNESS: u32 = 61;

/// A thread's main function: run the schedule loop until the runtime shuts down.
pub(crate) fn m_main(sched: Arc<Sched>, id: usize, p: Option<HandOff>, spinning: bool) {
    let _altstack = gpm_stack::init_thread();
    // Taken once, here on the M's native stack: every resume publishes the running
    // coroutine (for the overflow handler) through it with a plain store, no TLS access.
    let slot = gpm_stack::thread_slot();
    // Made here: its parker wakes the thread that makes it.
    let m = Arc::new(M::new(id, Arc::as_ptr(&sched)));
    if sched.single {
        // The single-thread runtime's one M. Set before this M first gives its P back, so
        // every `startm` (which needs that P) finds it.
        let _ = sched.home.set(m.clone());
    }
    sched.register_m(m.clone());
    set_current_m(Arc::as_ptr(&m));
    let p = p.map(|p| p.receive(&sched.ps));
    if let Some(p) = &p {
        m.set_p(p);
    }
    m.spinning.set(spinning);
    let abort = AbortOnUnwind;
    schedule_loop(&sched, &m, p, &slot);
    std::mem::forget(abort);
    set_current_m(std::ptr::null());
    if !m.locked_g.get().is_null() && !sched.single {
        // Its locked G is unfinished: it is cancelled here, on its own thread.
        crate::runtime::cancel_on_locked_m(&sched, &m);
        return;
    }
    if sched.single {
        crate::runtime::cancel_on_home(&sched);
        // A `blocking` call still on a helper (its goroutine leaked, not unwound) may
        // borrow this thread's thread-locals: the thread ends only after it. Acquire; pairs
        // with the Release decrement in `offload::run`'s job.
        while sched.counters.offloaded.load(Acquire) != 0 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
    sched.nthreads.fetch_sub(1, Release);
}

/// Aborts if the schedule loop unwinds: a panic there means a broken invariant, and an M
/// that dies holding a P would strand its queue.
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        eprintln!("gpm: fatal: panic in the scheduler loop; aborting");
        std::process::abort();
    }
}

/// The M's loop. The P it holds travels through it as an `OwnedP` value: found work comes
/// with it, `execute` gives it back (or `None`: lost to sysmon), and whatever gives the P
/// away consumes it.
fn schedule_loop<'s>(sched: &'s Sched, m: &'s Arc<M>, p: Option<OwnedP<'s>>, slot: &ThreadSlot) {
    let mut p = p;
    loop {
        let held = match p.take() {
            Some(held) => held,
            None => match acquire_after_stop(sched, m) {
                Some(held) => held,
                None => return,
            },
        };
        let Some((held, g, inherit)) = find_runnable(sched, m, held) else { return };
        if m.spinning.get() {
            reset_spinning(sched, m);
        }
        let Some(held) = crate::lockosthread::hand_to_locked_m(m, held, g) else { continue };
        p = execute(sched, m, held, g, inherit, slot);
        if !m.locked_g.get().is_null() {
            p = crate::lockosthread::wait_locked(sched, m, p, slot);
        }
        if m.exit_thread.get() {
            crate::lockosthread::exit_m(sched, m, p);
            return;
        }
    }
}

/// The M takes a P handed over (`HandOff`) and the spinner role that came with it.
fn receive<'s>(sched: &'s Sched, m: &M, handed: HandOff, spinning: bool) -> OwnedP<'s> {
    let p = handed.receive(&sched.ps);
    m.set_p(&p);
    m.spinning.set(spinning);
    p
}

/// An M without a P parks until handed one. `None`: shutdown.
fn acquire_after_stop<'s>(sched: &'s Sched, m: &Arc<M>) -> Option<OwnedP<'s>> {
    loop {
        if sched.is_shutdown() {
            return None;
        }
        if let Some((handed, spinning)) = sched.stopm(m, None) {
            return Some(receive(sched, m, handed, spinning));
        }
    }
}

/// Go's `resetspinning`: a spinner found work; if it was the last spinner, wake another M
/// to look for the rest.
fn reset_spinning(sched: &Sched, m: &M) {
    m.spinning.set(false);
    if sched.spin.end_spinning() == 0 {
        sched.wake_after_local_push();
    }
}

/// Finds a G to run for the M holding `p`, and the P it holds then. `None`: the runtime is
/// shutting down (the P was given back).
fn find_runnable<'s>(
    sched: &'s Sched,
    m: &Arc<M>,
    p: OwnedP<'s>,
) -> Option<(OwnedP<'s>, GRef, bool)> {
    let mut p = p;
    loop {
        if sched.is_shutdown() {
            if let Some(g) = m.successor.take() {
                requeue_global(sched, g);
            }
            drop_p(sched, m, p);
            return None;
        }
        if let Some((g, inherit)) = try_local(sched, m, &mut p) {
            return Some((p, g, inherit));
        }
        if let Some(g) = crate::netpoll::look(sched, &mut p) {
            return Some((p, g, false));
        }
        if m.spinning.get() || sched.spin.try_begin_spinning(sched.procs) {
            m.spinning.set(true);
            if let Some(g) = crate::steal::steal_work(sched, &mut p) {
                return Some((p, g, false));
            }
        }
        if !sched.global.is_empty() {
            continue;
        }
        // Give the P back, stop spinning, re-check, park.
        let was_spinning = m.spinning.replace(false);
        let give_up_p = || {
            sched.pidleput(p);
            m.clear_p();
        };
        if sched.spin.give_up_and_recheck(was_spinning, give_up_p, || recheck(sched, was_spinning))
            && let Some(again) = sched.pidleget()
        {
            m.set_p(&again);
            if was_spinning {
                sched.spin.resume_spinning();
                m.spinning.set(true);
            }
            p = again;
            continue;
        }
        let deadline = crate::timers::watch_deadline(sched, m);
        if let Some(mut gs) = crate::netpoll::block(sched, deadline) {
            // Polled instead of parking (`netpoll`, poll point 2).
            if deadline.is_some() {
                crate::timers::unwatch(sched);
            }
            p = match sched.pidleget() {
                Some(mut again) => {
                    m.set_p(&again);
                    if let Some(g) = gs.pop() {
                        crate::netpoll::inject_local(sched, &mut again, gs);
                        return Some((again, g, false));
                    }
                    again
                }
                None => {
                    crate::netpoll::inject(sched, gs);
                    acquire_after_stop(sched, m)?
                }
            };
            continue;
        }
        let handed = sched.stopm(m, deadline);
        if deadline.is_some() {
            crate::timers::unwatch(sched);
        }
        p = match handed {
            Some((handed, spinning)) => receive(sched, m, handed, spinning),
            None => match sched.pidleget() {
                Some(again) => {
                    m.set_p(&again);
                    again
                }
                None if sched.is_shutdown() => return None,
                None => acquire_after_stop(sched, m)?,
            },
        };
    }
}

/// The cheap steps: timers, the M's successor (`runnext.rs`, rule 6: at once, with the
/// slice it inherits, only when it would have been next anyway), the fairness tick, the
/// local queue (`runnext` first, rule 2), a global batch.
fn try_local(sched: &Sched, m: &M, p: &mut OwnedP<'_>) -> Option<(GRef, bool)> {
    crate::timers::run_timers(sched, p.p(), Some(&mut *p), m.clock_hint.take());
    let schedtick = p.p().schedtick.load(Relaxed);
    let fairness = schedtick.is_multiple_of(GLOBAL_FAIRNESS) && !sched.global.is_empty();
    if let Some(g) = crate::runnext::take_successor(sched, m, p, fairness) {
        return Some((g, true));
    }
    let runq = p.runq();
    if fairness && let Some(g) = sched.global.pop() {
        return Some((g, false));
    }
    if let Some((g, src)) = runq.pop_with_source() {
        return Some((g, src == Source::RunNext));
    }
    if !sched.global.is_empty() {
        let max = sched.global.len() / sched.procs as usize + 1;
        if let Some(g) = sched.global.pop_batch_into(runq, max) {
            return Some((g, false));
        }
    }
    None
}

/// After giving the P back: is there work after all? (Go re-checks every P's queue only
/// when it was spinning: a non-spinner is not the one a submitter relied on.)
fn recheck(sched: &Sched, was_spinning: bool) -> bool {
    if !sched.global.is_empty() || sched.is_shutdown() {
        return true;
    }
    if crate::timers::any_expired(sched) {
        return true;
    }
    was_spinning && sched.ps.iter().any(|p| !p.stealer.is_empty())
}

/// Gives back the M's P (shutdown).
fn drop_p(sched: &Sched, m: &M, p: OwnedP<'_>) {
    if m.spinning.replace(false) {
        sched.spin.end_spinning();
    }
    sched.pidleput(p);
    m.clear_p();
}

/// Runs `g` on the M holding `p` until it switches away, then does what it asked (Go's
/// `execute` + the `mcall` continuations `gosched_m`, `park_m`, `goexit0`). Returns the P
/// the M holds afterwards: `None` when sysmon took it while the G ran. Always inlined into
/// the loops that call it, so the registers the switch clobbers are saved once per loop,
/// not once per resume.
#[inline(always)]
pub(crate) fn execute<'s>(
    sched: &'s Sched,
    m: &'s M,
    p: OwnedP<'s>,
    g: GRef,
    mut inherit: bool,
    slot: &ThreadSlot,
) -> Option<OwnedP<'s>> {
    let mut p = p;
    loop {
        if inherit && g.preempt.load(Relaxed) {
            // A G from `runnext` inherits the slice, and sysmon said the slice is over
            // (`runnext.rs`, rule 2): as Go's check at function entry would, send it to the
            // global queue before it runs; the P picks its next G with a fresh slice.
            g.preempt.store(false, Relaxed);
            requeue_global(sched, g);
            return Some(p);
        }
        let shared = p.p();
        if !inherit {
            shared.schedtick.store(shared.schedtick.load(Relaxed).wrapping_add(1), Relaxed);
            g.preempt.store(false, Relaxed);
        }
        // This M dequeued `g`: it owns the G's stack, and holds its coroutine while it runs.
        let Some(mut co) = crate::gfree::bind(sched, &mut p, &g) else {
            // No stack for its first run: the G was cancelled; retire it.
            g.set_status(GStatus::Dead);
            crate::gfree::gfput(sched, Some(&mut p), g);
            return Some(p);
        };
        g.set_status(GStatus::Running);
        g.m.set(m);
        m.cur_g.set(g.as_ptr());
        // Release: pairs with the Acquire in sysmon's `slice_over`, which writes through it.
        shared.cur_g.store(g.as_ptr() as *mut _, Release);
        p.bump(|p| &p.resumes);
        m.lend(p);
        // SAFETY: `bind`'s pointer, used before anything here makes the G visible again.
        let resumed = unsafe { co.as_mut() }.resume_in(slot);
        m.cur_g.set(std::ptr::null());
        // SAFETY: the M's own stack, right after the resume it lent its P for; goroutine
        // code lent back every claim it made (`Sched::with_p_of`).
        let mut claimed = unsafe { m.claim() };
        if let Some(p) = &claimed {
            // Relaxed: null publishes nothing.
            p.p().cur_g.store(std::ptr::null_mut(), Relaxed);
        }
        if let Resumed::Finished(_) = resumed {
            g.set_status(GStatus::Dead);
            if std::ptr::eq(m.locked_g.get(), g.as_ptr()) {
                // A locked G returned without unlocking: as in Go, its thread ends (the G
                // may have changed the thread's state); `schedule_loop` exits the M.
                m.locked_g.set(std::ptr::null());
                m.exit_thread.set(true);
            }
            crate::gfree::gfput(sched, claimed.as_mut(), g);
            if (claimed.is_none() || m.exit_thread.get())
                && let Some(next) = m.successor.take()
            {
                // The G's joiner was to run next here, but this M lost its P or ends.
                requeue_global(sched, next);
            }
            return claimed;
        }
        if !after_switch(sched, m, g, co, claimed.as_mut()) {
            return claimed;
        }
        // A wake-up came during the park's switch: run the G again, same slice.
        p = claimed.expect("execute: a G runs again only with the P");
        inherit = true;
    }
}

/// Does what a G that switched away asked (`g.action`), on the M holding `p` (`None`: it
/// lost its P). `true`: run it again at once.
#[inline(always)]
fn after_switch(
    sched: &Sched,
    m: &M,
    g: GRef,
    co: std::ptr::NonNull<gpm_stack::SendCoroutine>,
    p: Option<&mut OwnedP<'_>>,
) -> bool {
    match (g.action.replace(Action::None), p) {
        (Action::Yield, Some(p)) => {
            g.set_status(GStatus::Runnable);
            let alone = p.runq().is_empty();
            if alone {
                crate::steal::steal_on_yield(sched, p);
            }
            p.runq().push(g, &sched.global);
            if !alone {
                // Yielders queued behind each other while a P idles: wake an M to take
                // half (Go's `Gosched` puts the G on the global queue and calls `wakep`).
                // Without this, goroutines spawned onto one P before the idle one woke kept
                // yielding there alone. Two relaxed loads when no P idles.
                sched.wake_after_local_push();
            }
            false
        }
        (Action::Yield | Action::Preempted | Action::NoP, _) => {
            requeue_global(sched, g);
            false
        }
        (Action::Park, p) => {
            let deadline = g.deadline.take();
            // For the timer or the poller that may end this park (`prefetch::parked`),
            // while this M owns the G.
            g.park.set_co_hint(co.as_ptr() as usize);
            if let Some(token) = g.park.park() {
                if let Some(when) = deadline {
                    crate::timers::arm(sched, m, when, g, token);
                }
                if p.is_none() {
                    // No schedule round follows on this M: the reading would go stale.
                    m.clock_hint.set(None);
                }
                return false;
            }
            // The G runs on or is requeued: its reading is no longer a moment ago.
            m.clock_hint.set(None);
            if p.is_none() {
                requeue_global(sched, g);
                return false;
            }
            true
        }
        (Action::None, _) => {
            panic!("execute: G {} switched away with no action", g.id.load(Relaxed))
        }
    }
}

/// `g` goes to the global queue (no P to hold it, or its slice is over).
fn requeue_global(sched: &Sched, g: GRef) {
    g.set_status(GStatus::Runnable);
    sched.global.push(g);
    sched.wake_if_needed();
}
