//! `lock_os_thread` / `unlock_os_thread` (Go's `LockOSThread`): the goroutine stays on its
//! M, and the M runs nothing else.
//!
//! While a G is locked (nesting count > 0), its M records it in `locked_g` and the G its M
//! in `locked_m`. When the locked G switches away (parks, yields), its M gives its P away
//! (`handoffp`) and sleeps until the G is runnable again (`wait_locked`, Go's
//! `stoplockedm`). Whoever then dequeues the G — on any M — hands the G and its own P to the
//! locked M and parks itself (`hand_to_locked_m`, Go's `startlockedm`).

use std::sync::atomic::Ordering::*;

use crate::context::current_g;
use crate::g::GRef;
use crate::m::M;
use crate::sched::Sched;

/// Wires the calling goroutine to its current thread: it will run only there, and the
/// thread runs no other goroutine until as many `unlock_os_thread` calls have been made.
/// A no-op on a plain thread.
///
/// As in Go, a goroutine that returns while still locked ends its thread: it may have left
/// the thread in a changed state (namespaces, signal masks, thread-locals of C libraries),
/// so no other goroutine runs there; the runtime starts another thread when it needs one.
/// Unlock before returning to keep the thread.
///
/// On a [single-thread runtime](crate::RuntimeBuilder::build_single_thread) it only counts:
/// every goroutine there already stays on the runtime's one thread, which goes on running
/// the others (handing them to another thread would move them), and a goroutine that
/// returns locked does not end that thread.
pub fn lock_os_thread() {
    let Some(g) = current_g() else { return };
    // SAFETY: `g.m` is this G's M, on this thread.
    let m = unsafe { &*g.m.get() };
    let n = g.lock_count.get();
    g.lock_count.set(n + 1);
    if n == 0 && !m.sched().single {
        m.locked_g.set(g.as_ptr());
        g.locked_m.store(m as *const M as *mut M, Release);
    }
}

/// Undoes one `lock_os_thread`; the last one frees the goroutine to migrate again.
pub fn unlock_os_thread() {
    let Some(g) = current_g() else { return };
    let n = g.lock_count.get();
    if n == 0 {
        return;
    }
    g.lock_count.set(n - 1);
    if n == 1 {
        // SAFETY: `g.m` is this G's M, on this thread.
        let m = unsafe { &*g.m.get() };
        m.locked_g.set(std::ptr::null());
        g.locked_m.store(std::ptr::null_mut(), Release);
    }
}

/// Go's `mexit` for a thread whose locked G returned without unlocking: give the P away
/// (`handoffp`); the caller then leaves the schedule loop and the thread ends.
pub(crate) fn exit_m(sched: &Sched, m: &M) {
    if let Some((p, seq)) = m.p() {
        m.set_p(None);
        if m.spinning.replace(false) {
            sched.spin.end_spinning();
        }
        sched.handoffp(p.id, seq);
    }
}

/// The G's locked M, unless it is `m` itself.
fn locked_elsewhere(g: GRef, m: &M) -> Option<&M> {
    let lm = g.locked_m.load(Acquire);
    // SAFETY: a locked M exists until its G unlocks or dies: it waits in `wait_locked` and
    // never exits while `locked_g` is set (except at shutdown, when no G is handed over).
    (!lm.is_null() && !std::ptr::eq(lm, m)).then(|| unsafe { &*lm })
}

/// Go's `startlockedm`: `g` is locked to another M: give it `g` and this M's P, and park
/// this M. Returns `false` if `g` is not locked elsewhere (run it here).
pub(crate) fn hand_to_locked_m(sched: &Sched, m: &std::sync::Arc<M>, g: GRef) -> bool {
    let Some(lm) = locked_elsewhere(g, m) else { return false };
    let (p, _) = m.p().expect("hand_to_locked_m: P held");
    m.set_p(None);
    lm.hand_p(p.id, false);
    // Release, after `hand_p`: a locked M that sees the G sees its P (`wait_locked` may run
    // on a stale permit, without the `unpark` below ordering anything).
    lm.next_g.store(g.as_ptr() as *mut _, Release);
    lm.parker.unpark();
    let _ = sched;
    true
}

/// Go's `stoplockedm`: this M's locked G switched away (or was handed over): give the P
/// away and sleep until the G comes back; then run it.
pub(crate) fn wait_locked(sched: &Sched, m: &M, slot: &gpm_stack::ThreadSlot) {
    loop {
        let g = m.locked_g.get();
        if g.is_null() || sched.is_shutdown() {
            return;
        }
        if let Some((p, seq)) = m.p() {
            m.set_p(None);
            sched.handoffp(p.id, seq);
        }
        let next = loop {
            if sched.is_shutdown() {
                return;
            }
            m.parker.park(None);
            // Acquire; pairs with the Release in `hand_to_locked_m`: the G's P is visible
            // to `take_nextp` below.
            let ng = m.next_g.swap(std::ptr::null_mut(), Acquire);
            if let Some((i, _)) = m.take_nextp() {
                m.set_p(Some((i, sched.ps[i].seq())));
            }
            if !ng.is_null() {
                break GRef::from_ptr(ng).expect("non-null");
            }
        };
        crate::schedule::execute(sched, m, next, false, slot);
    }
}
