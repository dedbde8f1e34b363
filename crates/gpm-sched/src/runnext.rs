//! `runnext` (Go's `p.runnext`) and the M's successor: the one-slot hand-off that lets a G
//! readied by the running G run next on the same P, warm in cache. Every rule about it is
//! here; the slot itself is gpm-queue's (`Local::push_next`, `pop_with_source`).
//!
//! # The rules
//! 1. **Who goes there.** A G spawned or readied by goroutine code of this runtime goes into
//!    its P's `runnext` ([`push`]); the G it displaces moves to the ring's tail. From a
//!    plain thread, another runtime or inside `blocking`, the global queue instead.
//! 2. **It inherits the slice.** A G taken from `runnext` (or the successor) runs in the
//!    time slice of the G before it: `schedtick` is not bumped (`schedule::execute`), so a
//!    ping-pong pair cannot hold a P forever by re-readying each other. A G whose inherited
//!    slice sysmon already ended goes to the global queue instead of running (Go's
//!    TestPingPongHog; `schedule::execute`).
//! 3. **No wake-up for a lone `runnext`** ([`wake_after_push`]): a G alone in `runnext` is
//!    the one the running G hands off to (spawn then join, send then receive, unpark then
//!    park), and runs as soon as that G switches away. Waking an M for it only has that M
//!    take the G off the P that was about to run it (a migration per hand-off) or spin and
//!    park again (a futex round trip per spawn). Once the ring holds a G too, the P has
//!    work it cannot start soon: wake as usual.
//! 4. **sysmon settles the bet** ([`wake_if_stuck`]): if `runnext` is still full one tick
//!    later and the P resumed no G in between while a P idles and nobody spins, the running
//!    G kept the CPU: wake an M, which steals it.
//! 5. **Thieves take it last** (`steal.rs`): only on the last pass, and from a running P
//!    only after a grace of about 3 µs ([`grace`], Go's `usleep(3)`), so the owner usually
//!    wins.
//! 6. **The successor: a second slot, on the M.** A goroutine in its last step (its job has
//!    returned, it switches to its M with nothing in between) that wakes its joiner gives
//!    the joiner to its M ([`offer_successor`]), not to the P's `runnext`: no claim of the
//!    P, no write to its queue, no CAS to take it back. For that moment no thief can see
//!    the G, but no thief could run it sooner than this M, which is about to. The M's loop
//!    runs it at once only when it would have been next anyway — no fairness tick due and
//!    nothing in the P's queue — and otherwise moves it into `runnext`, where thieves see
//!    it ([`take_successor`]). An M that loses its P or ends sends its successor to the
//!    global queue (`schedule.rs`).

use std::sync::atomic::Ordering::*;

use crate::context::current_m;
use crate::g::{GRef, GStatus};
use crate::m::M;
use crate::ownership::OwnedP;
use crate::p::P;
use crate::sched::Sched;

/// Rule 1: `g` into `p`'s `runnext`. Returns whether the ring may hold a G too (the
/// owner's view, which reads no shared line), for [`wake_after_push`].
#[inline]
pub(crate) fn push(sched: &Sched, p: &mut OwnedP<'_>, g: GRef) -> bool {
    let runq = p.runq();
    runq.push_next(g, &sched.global);
    runq.ring_may_have_items()
}

/// Rule 3: after [`push`] onto the caller's own, running P. `ring`: its result.
#[inline]
pub(crate) fn wake_after_push(sched: &Sched, ring: bool) {
    if ring {
        sched.wake_after_local_push();
    }
}

/// Rule 6: `g`, readied by the goroutine finishing on this thread's M, becomes the M's
/// successor. `false`: not in a goroutine's last step on an M of `sched` (or the M has a
/// successor already, or shutdown): the caller readies `g` as usual.
pub(crate) fn offer_successor(sched: &Sched, g: GRef) -> bool {
    let m = current_m();
    if m.is_null() {
        return false;
    }
    // SAFETY: a non-null current M is alive on this thread (see `context`).
    let m = unsafe { &*m };
    if !std::ptr::eq(m.sched, sched)
        || m.cur_g.get().is_null()
        || m.in_syscall.get()
        || sched.is_shutdown()
        || m.successor.get().is_some()
    {
        return false;
    }
    g.set_status(GStatus::Runnable);
    m.successor.set(Some(g));
    true
}

/// Rule 6, on the M's loop holding `p`: the successor to run at once, if it would have
/// been next anyway (`fairness`: the global queue's turn is due); otherwise it moves into
/// `runnext` and `None` is returned.
#[inline]
pub(crate) fn take_successor(
    sched: &Sched,
    m: &M,
    p: &mut OwnedP<'_>,
    fairness: bool,
) -> Option<GRef> {
    let g = m.successor.take()?;
    let runq = p.runq();
    if !fairness && !runq.may_have_items() {
        return Some(g);
    }
    runq.push_next(g, &sched.global);
    None
}

/// Rule 4, sysmon's look at `p`: wakes an M if `runnext` has held a G since the last look
/// (`last`: the P's resume count then, kept by the caller) with no G resumed in between,
/// while a P idles and nobody spins. Returns `true` when it woke one.
pub(crate) fn wake_if_stuck(sched: &Sched, p: &P, last: &mut Option<u64>) -> bool {
    let waiting = p.stealer.has_runnext();
    // `resumes`, not `schedtick`: a runnext chain inherits one slice, so only a count of
    // resumes tells "the P switched Gs since the last look" apart from "it is stuck".
    let tick = p.resumes.load(Relaxed);
    let again = waiting && *last == Some(tick);
    *last = if waiting { Some(tick) } else { None };
    if !again || sched.spin.idle_ps() == 0 || sched.spin.spinning() != 0 {
        return false;
    }
    *last = None;
    sched.wake_if_needed();
    true
}

/// Rule 5: Go's `usleep(3)` before stealing a running P's `runnext`, as a spin.
#[cold]
pub(crate) fn grace() {
    let t = std::time::Instant::now();
    while t.elapsed() < std::time::Duration::from_micros(3) {
        std::hint::spin_loop();
    }
}
