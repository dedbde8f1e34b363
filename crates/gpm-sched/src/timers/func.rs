//! Function timers: a callback run by the runtime at a deadline, stopped and re-armed at
//! will (Go's `time.Timer` with its `f`, the base of `gpm::time`'s `Timer`, `Ticker` and
//! `after_func`).
//!
//! # States
//! One word: `seq << 1 | armed`. `reset` bumps `seq`, sets `armed`, and pushes a heap
//! entry carrying the new `seq`; `stop` clears `armed`; firing an entry is a CAS from
//! `its seq | armed` to `its seq` (disarmed), and only the winner runs the callback.
//!
//! Races it settles: `stop` and the firing CAS the same word, so exactly one wins — a
//! `stop` that returns `true` means the callback will not run for that arming, and one
//! that returns `false` means it ran or is running (or the timer was not armed). A `reset`
//! while an older entry waits in a heap bumps `seq`, so the old entry's CAS fails when it
//! expires: entries are never searched for and removed, only left to expire or be pruned
//! (`Timers::add`), as parked Gs' entries are. A `reset` racing the firing of the arming
//! it replaces: either the firing wins (the callback runs for the old arming, and the new
//! one stands) or the reset does (the old entry is dead).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::sync::{Arc, Weak};
use std::time::Instant;

use crate::sched::Sched;

/// What the callback of a [`FuncTimer`] gets when it runs: the runtime that fired it.
pub struct Fired<'a> {
    sched: &'a Sched,
    timer: &'a Arc<Inner>,
    seq: u64,
    when: Instant,
}

impl Fired<'_> {
    /// The deadline the timer was armed for (it fires at or after it).
    pub fn when(&self) -> Instant {
        self.when
    }

    /// The number of the arming that fired (compare with [`FuncTimer::arming`]).
    pub fn arming(&self) -> u64 {
        self.seq >> 1
    }

    /// Arms the same timer again for `when` (a ticker's next tick), unless it was reset or
    /// stopped since this firing began. Returns the new arming's number if it re-armed.
    pub fn rearm(&self, when: Instant) -> Option<u64> {
        let next = self.seq + SEQ_ONE;
        // Still disarmed with this firing's seq: nobody reset or re-armed it since.
        self.timer.state.compare_exchange(self.seq, next | ARMED, AcqRel, Relaxed).ok()?;
        super::add_func(self.sched, None, when, self.timer.clone(), next);
        Some(next >> 1)
    }

    /// Spawns `f` as a goroutine on the runtime that fired the timer (Go's `AfterFunc`).
    /// The callback itself runs on a scheduler thread and must not block.
    #[track_caller]
    pub fn go<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        let mut preempted = false;
        let spawned = crate::spawn::spawn_on(
            self.sched,
            std::ptr::null(),
            &mut None,
            None,
            std::panic::Location::caller(),
            f,
            &mut preempted,
        );
        if let Err(e) = spawned {
            eprintln!(
                "gpm: runtime `{}`: a timer's goroutine was not spawned: {e}",
                self.sched.name
            );
        }
    }
}

const ARMED: u64 = 1;
const SEQ_ONE: u64 = 2;

type Callback = Box<dyn Fn(&Fired<'_>) + Send + Sync>;

/// The shared half: the heap entries of its armings hold it.
pub(crate) struct Inner {
    state: AtomicU64,
    sched: Weak<Sched>,
    f: Callback,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FuncTimer").field("state", &self.state.load(Relaxed)).finish()
    }
}

impl Inner {
    /// A heap entry armed with `seq` is still the live arming.
    pub(crate) fn is_armed_with(&self, seq: u64) -> bool {
        self.state.load(Relaxed) == seq | ARMED
    }

    /// The entry armed with `seq` expired (at `when`, in the runtime's ns): run the
    /// callback if that arming is still live.
    pub(crate) fn fire(self: &Arc<Self>, sched: &Sched, seq: u64, when: u64) {
        if self.state.compare_exchange(seq | ARMED, seq, AcqRel, Relaxed).is_err() {
            return;
        }
        let when = sched.ns_to_instant(when);
        let fired = Fired { sched, timer: self, seq, when };
        (self.f)(&fired);
    }
}

/// A callback the runtime runs at a deadline, on one of its scheduler threads (an M's own
/// stack, or sysmon): it must be short and must not block (send on a channel with room,
/// [`Fired::go`] a goroutine, [`Fired::rearm`]). Made on the runtime of the caller (the
/// goroutine's, else the process default runtime, as [`crate::go`]); a timer whose
/// runtime was dropped never fires. Dropping the handle stops it.
pub struct FuncTimer {
    inner: Arc<Inner>,
}

impl fmt::Debug for FuncTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FuncTimer").field("armed", &self.is_armed()).finish()
    }
}

impl FuncTimer {
    /// A timer on the caller's runtime that runs `f` each time it fires; not armed yet
    /// ([`reset`](Self::reset)).
    ///
    /// # Panics
    /// On a plain thread with no default runtime started (as [`crate::go`]); see
    /// [`try_new`](Self::try_new).
    #[track_caller]
    pub fn new<F>(f: F) -> FuncTimer
    where
        F: Fn(&Fired<'_>) + Send + Sync + 'static,
    {
        let sched = crate::runtime::with_current(|s, _| Arc::downgrade(&s.arc()));
        FuncTimer::on(sched, f)
    }

    /// As [`new`](Self::new), or `None` on a plain thread with no default runtime.
    pub fn try_new<F>(f: F) -> Option<FuncTimer>
    where
        F: Fn(&Fired<'_>) + Send + Sync + 'static,
    {
        let sched = crate::runtime::try_with_current(|s, _| Arc::downgrade(&s.arc()))?;
        Some(FuncTimer::on(sched, f))
    }

    /// A timer on runtime `rt`.
    pub fn new_in<F>(rt: &crate::Runtime, f: F) -> FuncTimer
    where
        F: Fn(&Fired<'_>) + Send + Sync + 'static,
    {
        FuncTimer::on(Arc::downgrade(&rt.sched), f)
    }

    fn on<F>(sched: Weak<Sched>, f: F) -> FuncTimer
    where
        F: Fn(&Fired<'_>) + Send + Sync + 'static,
    {
        let inner = Inner { state: AtomicU64::new(0), sched, f: Box::new(f) };
        FuncTimer { inner: Arc::new(inner) }
    }

    /// Gives the handle up without stopping the timer: an arming in flight still fires
    /// (and a callback's [`Fired::rearm`] goes on), and the timer is freed when no arming
    /// is left (Go's `AfterFunc` whose `*Timer` is dropped).
    pub fn detach(self) {
        let me = std::mem::ManuallyDrop::new(self);
        // SAFETY: `me` is never used or dropped again; this moves its one field out.
        drop(unsafe { std::ptr::read(&me.inner) });
    }

    /// Arms the timer for `when` (a past instant fires at the runtime's next look),
    /// replacing any arming not yet fired. Returns whether it was armed (Go's `Reset`).
    pub fn reset(&self, when: Instant) -> bool {
        let mut w = self.inner.state.load(Relaxed);
        let (was, seq) = loop {
            let seq = (w & !ARMED) + SEQ_ONE;
            match self.inner.state.compare_exchange_weak(w, seq | ARMED, AcqRel, Relaxed) {
                Ok(_) => break (w & ARMED != 0, seq),
                Err(now) => w = now,
            }
        };
        if let Some(sched) = self.inner.sched.upgrade() {
            let m = crate::context::current_m();
            super::add_func(&sched, Some(m), when, self.inner.clone(), seq);
        }
        was
    }

    /// Disarms the timer. Returns whether it was armed: `true` means its callback will not
    /// run for that arming; `false`, that it already ran or is running, or was stopped
    /// (Go's `Stop`).
    pub fn stop(&self) -> bool {
        let mut w = self.inner.state.load(Relaxed);
        while w & ARMED != 0 {
            match self.inner.state.compare_exchange_weak(w, w & !ARMED, AcqRel, Relaxed) {
                Ok(_) => return true,
                Err(now) => w = now,
            }
        }
        false
    }

    /// The number of the latest arming (by [`reset`](Self::reset) or [`Fired::rearm`]);
    /// 0 before the first.
    pub fn arming(&self) -> u64 {
        self.inner.state.load(Acquire) >> 1
    }

    /// Whether an arming waits to fire.
    pub fn is_armed(&self) -> bool {
        self.inner.state.load(Relaxed) & ARMED != 0
    }
}

impl Drop for FuncTimer {
    fn drop(&mut self) {
        self.stop();
    }
}
