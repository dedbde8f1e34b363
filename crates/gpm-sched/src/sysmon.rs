//! sysmon: a thread with no P (Go's `sysmon`). It sleeps 20 µs, doubling after 50 idle
//! rounds up to 10 ms, and each round:
//! * retakes (`retake`) the P of an M stuck in `blocking` past one round while the P has
//!   work or nobody else could take it, and the P of an M whose G has run 10 ms without a
//!   scheduling point: first it sets the G's preempt flag (honoured at the next scheduling
//!   point — channel, lock, sleep, spawn, `preempt_point` — which ends a runnext ping-pong
//!   chain and stops a goroutine that only spawns),
//!   and after another 10 ms it hands the P to another M (the hog keeps its M; the OS
//!   time-slices it; it finds its P gone at its next scheduler call);
//! * wakes an M for a G left waiting in a running P's `runnext` (`runnext::wake_if_stuck`);
//! * starts an M when a timer is overdue and a P idles (Go's sysmon does the same): the M
//!   runs the overdue timers of the busy Ps (`steal::steal_work`'s last pass) and readies
//!   their Gs into its own P. sysmon never fires them itself: with no P it could only put
//!   the Gs at the tail of the global queue, behind whatever backlog kept their own P busy;
//!   and a busy P's M fires its timers at its next schedule, into `runnext`;
//! * about once a second, gives the stacks of surplus dead Gs back (`gfree::trim_global`);
//! * prints `GPM_DEBUG=schedtrace` lines, and a goroutine dump after each SIGQUIT with
//!   `GPM_DEBUG=dump_on_signal=1` (gpm-stack's handler only counts the signals);
//! * checks for a deadlock in idle rounds, when detection is on (`deadlock.rs`).

use std::sync::Arc;
use std::sync::atomic::Ordering::*;
use std::time::Duration;

use crate::ownership::{OwnedP, PWord, can_retake_user, token};
use crate::p::{P, PStatus};
use crate::sched::{Sched, sleep_on};

/// A slice longer than this gets the preempt flag (Go's `forcePreemptNS`).
pub(crate) const FORCE_PREEMPT_NS: u64 = 10_000_000;
/// How often sysmon gives surplus dead Gs' stacks back (`gfree::trim_global`).
const TRIM_EVERY_NS: u64 = 1_000_000_000;
const MIN_DELAY: Duration = Duration::from_micros(20);
const MAX_DELAY: Duration = Duration::from_millis(10);

/// What sysmon saw of one P last time (Go's `sysmontick`).
#[derive(Default, Clone, Copy)]
struct Seen {
    schedtick: u32,
    schedwhen: u64,
    syscalltick: u32,
    syscallwhen: u64,
    /// The G whose preempt flag we set in this slice, and when.
    preempted: usize,
    preempted_at: u64,
    /// The P's `resumes` when a waiting `runnext` was seen on the last tick
    /// (`runnext::wake_if_stuck`).
    runnext_tick: Option<u64>,
}

/// `quits`: the SIGQUIT count when the runtime was built (`GPM_DEBUG=dump_on_signal=1`).
pub(crate) fn sysmon_main(sched: Arc<Sched>, quits: Option<u64>) {
    let mut seen = vec![Seen::default(); sched.ps.len()];
    let mut delay = MIN_DELAY;
    let mut idle = 0u32;
    let mut next_trim = TRIM_EVERY_NS;
    let mut next_trace = sched.debug.schedtrace_ms.map(|ms| ms * 1_000_000);
    let mut quits = quits;
    while !sched.is_shutdown() {
        sleep_on(&sched.sysmon, delay);
        let now = sched.nanotime();
        sched.coarse_now.store(now, Relaxed);
        let busy = retake(&sched, now, &mut seen) > 0;
        if crate::timers::any_expired(&sched) {
            sched.startm(None, false);
        }
        if let Some(poller) = sched.poller() {
            // Nobody polled for a while (`netpoll`, poll point 3). What it finds does not
            // count as busy (as Go's sysmon, whose delay only a retake resets): a server
            // whose M always has work never blocks in the poller, so every 10 ms this
            // finds events, and counting them kept sysmon waking every 20 µs, preempting
            // that M on its CPU thousands of times a second.
            let gs = poller.poll_if_stale(now);
            crate::netpoll::inject(&sched, gs);
        }
        if busy {
            idle = 0;
            delay = MIN_DELAY;
        } else {
            idle += 1;
            if idle > 50 {
                delay = (delay * 2).min(MAX_DELAY);
            }
            crate::deadlock::check(&sched);
        }
        if now >= next_trim {
            crate::gfree::trim_global(&sched);
            next_trim = now + TRIM_EVERY_NS;
        }
        if let (Some(at), Some(ms)) = (next_trace, sched.debug.schedtrace_ms)
            && now >= at
        {
            crate::trace::schedtrace(&sched, now);
            next_trace = Some(now + ms * 1_000_000);
        }
        if let Some(seen) = &mut quits
            && gpm_stack::sigquits() != *seen
        {
            *seen = gpm_stack::sigquits();
            let dump = crate::stats::dump(&sched);
            eprintln!("SIGQUIT: goroutines of runtime `{}`:\n\n{dump}", sched.name);
        }
    }
}

/// Go's `retake`. Returns how many Ps were retaken.
fn retake(sched: &Sched, now: u64, seen: &mut [Seen]) -> usize {
    let mut n = 0;
    for (p, s) in sched.ps.iter().zip(seen.iter_mut()) {
        let w = p.word();
        let status = PWord::status_of(w);
        if !matches!(status, PStatus::Running | PStatus::Syscall) {
            s.schedwhen = 0;
            continue;
        }
        if crate::runnext::wake_if_stuck(sched, p, &mut s.runnext_tick) {
            n += 1;
        }
        // Both states: a slice older than 10 ms gets its G flagged (as Go's retake does for
        // `_Prunning` and `_Psyscall`: a G looping over short `blocking` calls is in
        // `Syscall` nearly all the time, and honours the flag when a call returns).
        if slice_over(sched, p, w, now, s) {
            n += 1;
            continue;
        }
        if status == PStatus::Syscall && syscall_too_long(sched, p, w, now, s) {
            n += 1;
        }
    }
    n
}

/// Time-slice check. Flags the G running in a used-up slice; retakes the P (returns
/// `true`) when the same G has ignored its flag for another 10 ms outside `blocking`.
fn slice_over(sched: &Sched, p: &P, w: u64, now: u64, s: &mut Seen) -> bool {
    let t = p.schedtick.load(Relaxed);
    if s.schedtick != t || s.schedwhen == 0 {
        *s = Seen { schedtick: t, schedwhen: now, preempted: 0, ..*s };
        return false;
    }
    if now - s.schedwhen < FORCE_PREEMPT_NS {
        return false;
    }
    // Acquire: pairs with the Release that installed the G (`P::cur_g`), so the G's
    // creation happens before the store to its `preempt` below.
    let g = p.cur_g.load(Acquire);
    if g as usize != s.preempted {
        // Flag whichever G runs in the slice now: a runnext chain (each G inheriting the
        // slice) gets each of its Gs flagged in turn.
        if !g.is_null() {
            // SAFETY: Gs live as long as their runtime.
            unsafe { (*g).preempt.store(true, Relaxed) };
            sched.counters.preempts.fetch_add(1, Relaxed);
        }
        s.preempted = g as usize;
        s.preempted_at = now;
        return false;
    }
    if PWord::status_of(w) == PStatus::Running
        && !sched.single
        && now - s.preempted_at >= FORCE_PREEMPT_NS
        && let Some(taken) = retake_user(p, w, t, g)
    {
        // The same G ignored its flag for another 10 ms: no scheduling point in sight (a
        // CPU hog, or a thread-blocking call outside `blocking`). Never on a single-thread
        // runtime: the other goroutines would go on on another M.
        s.schedwhen = 0;
        hand_off(sched, taken);
        return true;
    }
    false
}

/// Go's syscall retake: a P in `Syscall` for a whole round while it has work (or nobody
/// else could pick work up, or for 10 ms) goes to another M.
fn syscall_too_long(sched: &Sched, p: &P, w: u64, now: u64, s: &mut Seen) -> bool {
    let t = p.syscalltick.load(Relaxed);
    if s.syscalltick != t || s.syscallwhen == 0 {
        s.syscalltick = t;
        s.syscallwhen = now;
        return false;
    }
    let others = sched.spin.spinning() + sched.spin.idle_ps() > 0;
    if p.stealer.is_empty() && others && now - s.syscallwhen < FORCE_PREEMPT_NS {
        return false;
    }
    let Some(taken) = OwnedP::retake_syscall(p, w) else { return false };
    s.syscallwhen = 0;
    s.schedwhen = 0;
    hand_off(sched, taken);
    true
}

/// Takes `p` (seen `Running` in word `w`, slice `schedtick`, running G `g`) from its M if
/// the M is running goroutine code on it and still the same G in the same slice after the
/// heavy fence (`ownership.rs`).
fn retake_user(p: &P, w: u64, schedtick: u32, g: *mut crate::g::G) -> Option<OwnedP<'_>> {
    let mark = p.owner_mark.load(Acquire);
    if mark.is_null() || !can_retake_user() {
        return None;
    }
    // SAFETY: an owner mark lives in an M, and Ms live in `allm` until every thread of the
    // runtime, sysmon included, has been joined.
    let mark = unsafe { &*mark };
    // Relaxed: only compared with the G read above; `retake_user`'s heavy fence orders it.
    let still = || p.schedtick.load(Relaxed) == schedtick && p.cur_g.load(Relaxed) == g;
    OwnedP::retake_user(p, w, mark, token(p.id, PWord::seq_of(w)), still)
}

fn hand_off(sched: &Sched, p: OwnedP<'_>) {
    sched.counters.retakes.fetch_add(1, Relaxed);
    // Relaxed: null publishes nothing.
    p.p().cur_g.store(std::ptr::null_mut(), Relaxed);
    sched.handoffp(p);
}
