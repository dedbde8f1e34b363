//! Timers: a min-heap per P of (deadline, parked G, park token) — `park_deadline` and
//! `sleep` arm one after the G is off CPU (`execute`'s park continuation).
//!
//! Who fires them: the P's M at each schedule (`run_timers`), spinners for other Ps on
//! their last steal pass, and, when every M sleeps, the one *timer watcher* M that parks
//! with a timeout at the nearest deadline (`watch_deadline`, Go's netpoll waiter); sysmon
//! wakes an M when a deadline passes and nobody watches. Firing is `ParkState::timeout`
//! with the park's token, so a timer that outlives its park (the G was unparked early)
//! does nothing: entries are never searched for and removed, only left to expire.
//! A sleep never returns early: the timer fires only at or after its deadline, and
//! `sleep` re-parks until the clock says so.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::g::GRef;
use crate::m::M;
use crate::ownership::OwnedP;
use crate::p::P;
use crate::sched::{Sched, lock};

const NONE: u64 = u64::MAX;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    when: u64,
    token: u64,
    g: usize,
}

/// Below this many entries a heap is never pruned.
const PRUNE_MIN: usize = 1024;

/// A heap and the size it had after its last pruning.
#[derive(Debug, Default)]
struct Heap {
    entries: BinaryHeap<Reverse<Entry>>,
    pruned_len: usize,
}

/// One P's timer heap.
///
/// Entries whose park ended early (the G was unparked before its deadline) stay until they
/// expire; so that a loop of long timeouts woken early cannot grow the heap without bound,
/// `add` drops every dead entry once the heap has doubled since the last pruning (and holds
/// at least `PRUNE_MIN`): amortised O(1) per timer, and the heap stays within twice the
/// live timers (Go's `deltimer` + `cleantimers`, done lazily).
#[derive(Debug)]
pub(crate) struct Timers {
    heap: Mutex<Heap>,
    /// The earliest deadline (ns since the runtime's epoch), or `NONE`; read without the lock.
    next: AtomicU64,
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers { heap: Mutex::new(Heap::default()), next: AtomicU64::new(NONE) }
    }

    fn add(&self, when: u64, g: GRef, token: u64) {
        let mut h = lock(&self.heap);
        h.entries.push(Reverse(Entry { when, token, g: g.as_ptr() as usize }));
        let len = h.entries.len();
        if len >= PRUNE_MIN && len > 2 * h.pruned_len {
            h.entries.retain(|Reverse(e)| entry_g(e).park.is_parked_in(e.token));
            h.pruned_len = h.entries.len();
        }
        // Relaxed: a hint for the unlocked checks; the heap itself is under the lock.
        self.next.store(h.entries.peek().map_or(NONE, |e| e.0.when), Relaxed);
    }

    pub(crate) fn next(&self) -> u64 {
        self.next.load(Relaxed)
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.heap).entries.len()
    }

    fn take_expired(&self, now: u64, out: &mut Vec<(GRef, u64)>) {
        let Ok(mut h) = self.heap.try_lock() else { return };
        while let Some(Reverse(e)) = h.entries.peek() {
            if e.when > now {
                break;
            }
            let Reverse(e) = h.entries.pop().expect("peeked");
            out.push((entry_g(&e), e.token));
        }
        self.next.store(h.entries.peek().map_or(NONE, |e| e.0.when), Relaxed);
    }
}

fn entry_g(e: &Entry) -> GRef {
    GRef::from_ptr(e.g as *const _).expect("timer G")
}

/// Arms a timer for `g`'s park `token` at `when`, on the M's P (or P 0 if it has none).
pub(crate) fn arm(sched: &Sched, m: &M, when: Instant, g: GRef, token: u64) {
    let p = m.p().map_or(&sched.ps[0], |(p, _)| p);
    let when = sched.instant_to_ns(when);
    p.timers.add(when, g, token);
    // SeqCst: the other half of the store-load pair in `watch_deadline` (our deadline
    // store, then the watcher flag load; its flag store, then the deadline load).
    std::sync::atomic::fence(SeqCst);
    nudge_watcher(sched, when);
    if m.p().is_none() {
        sched.sysmon.unpark();
    }
}

/// Fires `p`'s due timers, readying their Gs into `into`, the P the caller holds (an M in
/// its schedule loop; it may be `p`), or the global queue (`None`: sysmon).
#[inline]
pub(crate) fn run_timers(sched: &Sched, p: &P, into: Option<&mut OwnedP<'_>>) {
    // The common case, inline in the schedule loop: no timer armed on this P.
    if p.timers.next() != NONE {
        run_timers_slow(sched, p, into);
    }
}

#[inline(never)]
fn run_timers_slow(sched: &Sched, p: &P, mut into: Option<&mut OwnedP<'_>>) {
    let next = p.timers.next();
    let now = sched.nanotime();
    if next > now {
        return;
    }
    let mut due = Vec::new();
    p.timers.take_expired(now, &mut due);
    for (g, token) in due {
        if g.park.timeout(token) {
            // Relaxed: published to the G by the run queue hand-off in `ready_into`.
            g.timed_out.store(true, Relaxed);
            sched.ready_into(into.as_deref_mut(), g);
        }
    }
}

/// Fires every P's due timers (sysmon, with no P: into the global queue).
pub(crate) fn run_all(sched: &Sched) {
    for p in sched.ps.iter() {
        run_timers(sched, p, None);
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
    Some(crate::schedule::ns_to_instant(sched, when))
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
