//! Timers: per P, a 4-ary min-heap behind a sorted run (`heap.rs`) of deadlines, each for
//! a parked G (`sleep`, `park_deadline`: armed after the G is off CPU, by `execute`'s park
//! continuation) or a function timer (`func.rs`: `gpm::time`'s timers, tickers and
//! `after_func`).
//!
//! Who fires them: the P's M at each schedule (`run_timers`), spinners for other Ps on
//! their last steal pass, and, when every M sleeps, the one *timer watcher* M that parks
//! (or polls the network) with a timeout at the nearest deadline (`watch_deadline`, Go's
//! netpoll waiter); sysmon starts an M when a deadline passed and nobody fired it. Firing a G's
//! entry is `ParkState::timeout` with the park's token, and a function timer's is a CAS
//! on its state with the arming's seq, so an entry that outlived what armed it (the G was
//! unparked early, the timer was stopped or reset) does nothing: entries are never
//! searched for and removed, only left to expire or pruned (`Timers::add`). A sleep never
//! returns early: an entry fires only once `nanotime()` has reached its deadline (both
//! exact nanoseconds since the epoch), which `sleep` relies on to end without reading the
//! clock again.

mod func;
mod heap;

pub use func::{Fired, FuncTimer};

use std::sync::atomic::{AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::g::GRef;
use crate::m::M;
use crate::ownership::OwnedP;
use crate::p::P;
use crate::sched::{Sched, lock};
use heap::Heap;

const NONE: u64 = u64::MAX;

/// What an entry fires.
#[derive(Debug)]
enum Target {
    /// A G parked with a deadline, in the park numbered `token`.
    Park { g: GRef, token: u64 },
    /// A function timer, in its arming `seq`.
    Func { timer: Arc<func::Inner>, seq: u64 },
}

impl Target {
    /// Whether firing it could still do something.
    fn is_live(&self) -> bool {
        match self {
            Target::Park { g, token } => g.park.is_parked_in(*token),
            Target::Func { timer, seq } => timer.is_armed_with(*seq),
        }
    }
}

/// Below this many entries a heap is never pruned.
const PRUNE_MIN: usize = 1024;

#[derive(Debug)]
struct Locked {
    heap: Heap<Target>,
    /// The heap's size after its last pruning.
    pruned_len: usize,
}

/// One P's timer heap.
///
/// Entries whose park ended early (or whose timer was stopped or reset) stay until they
/// expire; so that a loop of long timeouts woken early cannot grow the heap without bound,
/// `add` drops every dead entry once the heap has doubled since the last pruning (and holds
/// at least `PRUNE_MIN`): amortised O(1) per timer, and the heap stays within twice the
/// live timers (Go's `deltimer` + `cleantimers`, done lazily).
#[derive(Debug)]
pub(crate) struct Timers {
    locked: Mutex<Locked>,
    /// The earliest deadline (ns since the runtime's epoch), or `NONE`; read without the lock.
    next: AtomicU64,
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            locked: Mutex::new(Locked { heap: Heap::new(), pruned_len: 0 }),
            next: AtomicU64::new(NONE),
        }
    }

    fn add(&self, when: u64, target: Target) {
        let mut l = lock(&self.locked);
        l.heap.push(when, target);
        let len = l.heap.len();
        if len >= PRUNE_MIN && len > 2 * l.pruned_len {
            l.heap.retain(Target::is_live);
            l.pruned_len = l.heap.len();
        }
        // Relaxed: a hint for the unlocked checks; the heap itself is under the lock.
        self.next.store(l.heap.peek_when().unwrap_or(NONE), Relaxed);
    }

    pub(crate) fn next(&self) -> u64 {
        self.next.load(Relaxed)
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.locked).heap.len()
    }

    /// Moves up to `out.len()` entries due at `now` into `out`; returns how many, and
    /// whether more are due. Skips a heap another thread holds (it is adding, or firing
    /// the same entries).
    fn take_expired(&self, now: u64, out: &mut [Option<(u64, Target)>]) -> (usize, bool) {
        let Ok(mut l) = self.locked.try_lock() else { return (0, false) };
        let mut n = 0;
        while n < out.len() && l.heap.peek_when().is_some_and(|when| when <= now) {
            out[n] = l.heap.pop();
            n += 1;
        }
        let next = l.heap.peek_when().unwrap_or(NONE);
        self.next.store(next, Relaxed);
        (n, next <= now)
    }
}

/// The P a timer armed by the thread running `m` goes on: the M's, else P 0.
fn p_for<'s>(sched: &'s Sched, m: Option<&M>) -> &'s P {
    match m.filter(|m| std::ptr::eq(m.sched, sched)).and_then(M::p) {
        Some((p, _)) => &sched.ps[p.id],
        None => &sched.ps[0],
    }
}

/// A deadline at `when` was published on a P: make sure someone wakes for it. An armer
/// that holds the P runs its schedule loop, which fires the P's timers or, before it
/// parks, makes its M the watcher; any other armer wakes an M to watch if none does (Go's
/// `wakeNetPoller`). sysmon starts one for an overdue timer if all else missed it.
///
/// SeqCst fence: the other half of the store-load pair in `watch_deadline` (our deadline
/// store, then the watcher flag load; its flag store, then the deadline load).
fn after_add(sched: &Sched, when: u64, have_p: bool) {
    std::sync::atomic::fence(SeqCst);
    nudge_watcher(sched, when);
    if !have_p && !sched.timer_watcher.load(Acquire) {
        sched.wake_if_needed();
    }
}

/// Arms a timer for `g`'s park `token` at `when` (`nanotime`'s scale), on the M's P (or
/// P 0 if it has none).
pub(crate) fn arm(sched: &Sched, m: &M, when: u64, g: GRef, token: u64) {
    p_for(sched, Some(m)).timers.add(when, Target::Park { g, token });
    after_add(sched, when, m.p().is_some());
}

/// Arms function timer `timer`'s arming `seq` at `when`, from a thread running `m` (null:
/// a plain thread; `None`: an M's own stack, firing timers).
fn add_func(sched: &Sched, m: Option<*const M>, when: Instant, timer: Arc<func::Inner>, seq: u64) {
    let m = m.unwrap_or_else(crate::context::current_m);
    // SAFETY: a non-null current M is alive on this thread (`context`).
    let m = (!m.is_null()).then(|| unsafe { &*m });
    let p = p_for(sched, m);
    let when = sched.instant_to_ns(when);
    p.timers.add(when, Target::Func { timer, seq });
    let on_own_p = m.is_some_and(|m| m.p().is_some_and(|(q, _)| std::ptr::eq(q, p)));
    after_add(sched, when, on_own_p);
}

/// Fires `p`'s due timers, readying their Gs into `into`, the P the caller holds (an M in
/// its schedule loop; it may be `p`), or the global queue (`None`). `now`: a clock reading
/// taken a moment ago (`M::clock_hint`), or `None` to read the clock.
#[inline]
pub(crate) fn run_timers(sched: &Sched, p: &P, into: Option<&mut OwnedP<'_>>, now: Option<u64>) {
    // The common case, inline in the schedule loop: no timer armed on this P.
    if p.timers.next() != NONE {
        run_timers_slow(sched, p, into, now);
    }
}

#[inline(never)]
fn run_timers_slow(sched: &Sched, p: &P, mut into: Option<&mut OwnedP<'_>>, now: Option<u64>) {
    let next = p.timers.next();
    let now = now.unwrap_or_else(|| sched.nanotime());
    if next > now {
        return;
    }
    // Fired in batches taken under the lock, and run outside it (a callback may arm
    // timers): a batch on the stack, not a `Vec` per call.
    let mut due: [Option<(u64, Target)>; 16] = Default::default();
    loop {
        let (n, more) = p.timers.take_expired(now, &mut due);
        for (when, target) in due[..n].iter_mut().filter_map(Option::take) {
            match target {
                Target::Park { g, token } => {
                    if g.park.timeout(token) {
                        crate::prefetch::parked(&g);
                        // Relaxed: published to the G by the run queue hand-off in
                        // `ready_into`.
                        g.timed_out.store(true, Relaxed);
                        sched.ready_into(into.as_deref_mut(), g);
                    }
                }
                Target::Func { timer, seq } => timer.fire(sched, seq, when),
            }
        }
        if !more {
            return;
        }
    }
}

/// The earliest deadline over all Ps, in ns.
pub(crate) fn earliest(sched: &Sched) -> Option<u64> {
    sched.ps.iter().map(|p| p.timers.next()).min().filter(|&n| n != NONE)
}

/// Whether some timer is due now.
pub(crate) fn any_expired(sched: &Sched) -> bool {
    earliest(sched).is_some_and(|n| n <= sched.nanotime())
}

/// For an M about to park: the deadline to park until, if a timer exists and no other M
/// watches the timers (the caller becomes the watcher and must call `unwatch` when it
/// wakes).
///
/// The race it closes: a timer armed between reading the earliest deadline and publishing
/// the watcher would find no watcher to nudge (or one with a stale deadline), and the
/// watcher would sleep to the old deadline. So the role is taken first (`SeqCst`, pairing
/// with the fence in `arm`: either the armer sees the watcher, or the watcher's read below
/// sees the new deadline), and the deadline is read and published under `watcher`'s lock,
/// which `nudge_watcher` takes too: an armer that locks before us published its deadline
/// before our read; one that locks after sees ours and compares.
pub(crate) fn watch_deadline(sched: &Sched, m: &Arc<M>) -> Option<Instant> {
    earliest(sched)?;
    sched.timer_watcher.compare_exchange(false, true, SeqCst, Relaxed).ok()?;
    std::sync::atomic::fence(SeqCst);
    let mut w = lock(&sched.watcher);
    let Some(when) = earliest(sched) else {
        drop(w);
        sched.timer_watcher.store(false, Release);
        return None;
    };
    *w = Some((m.clone(), when));
    Some(sched.ns_to_instant(when))
}

/// The watcher woke: give up the role.
pub(crate) fn unwatch(sched: &Sched) {
    *lock(&sched.watcher) = None;
    sched.timer_watcher.store(false, Release);
}

/// A timer for `when` was armed: if the watcher sleeps past it, wake it to re-arm (it finds
/// nothing due yet, and parks again until the new earliest deadline).
fn nudge_watcher(sched: &Sched, when: u64) {
    if !sched.timer_watcher.load(Acquire) {
        return;
    }
    if let Some((m, until)) = lock(&sched.watcher).as_ref()
        && when < *until
    {
        m.parker.unpark();
        // The watcher may sleep in the poller instead (`netpoll`, poll point 2).
        sched.wake_poller();
    }
}
