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
use crate::ownership::OwnedP;
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
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// // SAFETY: the goroutine below reads a thread-local (`thread::current`) across parks
/// // only while it is locked to its thread; nothing else holds one across a park.
/// let rt = unsafe { gpm::Runtime::builder().procs(2).build() }?;
/// let stayed = rt.block_on(|| {
///     gpm::go(|| {
///         gpm::lock_os_thread();
///         let home = std::thread::current().id();
///         let mut stayed = true;
///         for _ in 0..10 {
///             gpm::yield_now();
///             stayed &= std::thread::current().id() == home;
///         }
///         gpm::unlock_os_thread(); // before returning, or the thread ends with it
///         stayed
///     })
///     .join()
///     .unwrap()
/// });
/// assert!(stayed);
/// # Ok::<(), std::io::Error>(())
/// ```
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

/// Undoes one [`lock_os_thread`]; the last one frees the goroutine to migrate again.
/// Calls nest, as Go's: each lock needs its unlock. An unlock with no lock does nothing.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     gpm::lock_os_thread();
///     gpm::lock_os_thread();
///     gpm::unlock_os_thread(); // still locked: one lock left
///     gpm::yield_now();
///     gpm::unlock_os_thread(); // free to move again
///     assert_eq!(gpm::go(|| 5).join().unwrap(), 5);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
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
pub(crate) fn exit_m(sched: &Sched, m: &M, p: Option<OwnedP<'_>>) {
    if let Some(p) = p {
        m.clear_p();
        if m.spinning.replace(false) {
            sched.spin.end_spinning();
        }
        sched.handoffp(p);
    }
}

/// The G's locked M, unless it is `m` itself.
fn locked_elsewhere(g: GRef, m: &M) -> Option<&M> {
    let lm = g.locked_m.load(Acquire);
    // SAFETY: a locked M exists until its G unlocks or dies: it waits in `wait_locked` and
    // never exits while `locked_g` is set (except at shutdown, when no G is handed over).
    (!lm.is_null() && !std::ptr::eq(lm, m)).then(|| unsafe { &*lm })
}

/// Go's `startlockedm`: `g` is locked to another M: give it `g` and this M's P `p`, and
/// park this M. Returns `p` if `g` is not locked elsewhere (run it here).
pub(crate) fn hand_to_locked_m<'s>(m: &M, p: OwnedP<'s>, g: GRef) -> Option<OwnedP<'s>> {
    let Some(lm) = locked_elsewhere(g, m) else { return Some(p) };
    m.clear_p();
    lm.hand_p(p.hand_over(), false);
    // Release, after `hand_p`: a locked M that sees the G sees its P (`wait_locked` may run
    // on a stale permit, without the `unpark` below ordering anything).
    lm.next_g.store(g.as_ptr() as *mut _, Release);
    lm.parker.unpark();
    None
}

/// Go's `stoplockedm`: this M's locked G switched away (or was handed over): give the P
/// `p` away and sleep until the G comes back with a P; then run it. Returns the P the M
/// holds when it leaves (the G unlocked or died, or shutdown).
pub(crate) fn wait_locked<'s>(
    sched: &'s Sched,
    m: &'s M,
    p: Option<OwnedP<'s>>,
    slot: &gpm_stack::ThreadSlot,
) -> Option<OwnedP<'s>> {
    let mut p = p;
    loop {
        let g = m.locked_g.get();
        if g.is_null() || sched.is_shutdown() {
            return p;
        }
        if let Some(p) = p.take() {
            m.clear_p();
            sched.handoffp(p);
        }
        let (next, held) = loop {
            if sched.is_shutdown() {
                return p;
            }
            crate::deadlock::locked_m_sleeps(sched);
            m.parker.park(None);
            crate::deadlock::locked_m_woke(sched);
            // Acquire; pairs with the Release in `hand_to_locked_m`: the G's P is visible
            // to `take_nextp` below.
            let ng = m.next_g.swap(std::ptr::null_mut(), Acquire);
            if let Some((handed, _)) = m.take_nextp() {
                let held = handed.receive(&sched.ps);
                m.set_p(&held);
                p = Some(held);
            }
            if !ng.is_null() {
                let g = GRef::from_ptr(ng).expect("non-null");
                break (g, p.take().expect("wait_locked: the locked G comes with a P"));
            }
        };
        p = crate::schedule::execute(sched, m, held, next, false, slot);
    }
}
