//! P: a logical processor (Go's `p`): the local run queue and `runnext`, the free-G cache,
//! the goroutine-id batch, the timer heap, `schedtick`. `procs` of them per runtime.
//!
//! # P status, defined by who may touch the owner half (`runq`, `gfree`, `cos`, `ids`)
//! One `AtomicU64` holds `seq << 3 | status`; `seq` counts acquisitions, so an M that lost
//! its P can never mistake the P's next owner's state for its own (the ABA a bare status
//! CAS would have).
//! | status      | owner half touched by                                   | retakeable |
//! |-------------|---------------------------------------------------------|------------|
//! | `Idle`      | nobody (on the idle list)                               | —          |
//! | `Running`   | its M: the schedule loop, or its goroutine in a claim   | no         |
//! | `Executing` | nobody: its M runs a G's user code                      | by sysmon (hog) |
//! | `Syscall`   | nobody: its M is inside `blocking`                      | by sysmon  |
//!
//! # The claim (how goroutine code touches its P race-free against sysmon)
//! While a G runs, its P is `Executing`. Goroutine code that needs the P (spawn, ready, park)
//! claims it with one CAS `Executing → Running` and gives it back with one release store.
//! sysmon retakes only by CAS from `Executing`/`Syscall`, so a claim and a retake exclude
//! each other; a failed claim means the P is gone and the G reacquires one, as Go's
//! `exitsyscall` does. Cost on the fast path: one uncontended CAS on a line the M already
//! owns, plus a plain store. Rejected: a per-P lock (two atomic RMWs and a cache line sysmon
//! would bounce), and letting the hog keep its P (one CPU-bound goroutine would then starve
//! its whole queue, as Go before 1.14 without async preemption).

use std::cell::{Cell, UnsafeCell};
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering::*};

use gpm_queue::{Local, Stealer};
use gpm_stack::Coroutine;

use crate::g::{G, GRef};
use crate::timers::Timers;

/// P status (low 3 bits of the status word; see the module table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum PStatus {
    /// On the idle list.
    Idle = 0,
    /// Owned by an M in its schedule loop, or claimed by its running goroutine.
    Running = 1,
    /// Its M runs a goroutine's code.
    Executing = 2,
    /// Its M is inside `blocking`.
    Syscall = 3,
}

const STATUS: u64 = 7;
const SEQ_ONE: u64 = 8;

/// Goroutine ids handed to a P at a time (Go's `_GoidCacheBatch`).
pub(crate) const GOID_BATCH: u64 = 16;
/// Free-list capacity per P; when full, half moves to the global list (Go's `gfput`).
pub(crate) const GFREE_CAP: usize = 64;

/// A logical processor.
pub(crate) struct P {
    pub(crate) id: usize,
    word: AtomicU64,
    runq: UnsafeCell<Local<GRef>>,
    pub(crate) stealer: Stealer<GRef>,
    /// Incremented by the owner on each new time slice (Relaxed store; sysmon reads it).
    pub(crate) schedtick: AtomicU32,
    /// Incremented by the owner on each `blocking` call (sysmon reads it).
    pub(crate) syscalltick: AtomicU32,
    /// The G its M runs now, or null (sysmon sets its preempt flag).
    pub(crate) cur_g: AtomicPtr<G>,
    gfree: UnsafeCell<Vec<GRef>>,
    /// Idle coroutines (warm stacks) for this P's Gs' first runs (`gfree::bind`). Boxed:
    /// they move between here and `G::co` as pointers.
    #[allow(clippy::vec_box)]
    cos: UnsafeCell<Vec<Box<Coroutine>>>,
    ids: Cell<(u64, u64)>,
    pub(crate) timers: Timers,
    /// Goroutines this P took from other Ps (stats).
    pub(crate) steals: AtomicU64,
    /// Goroutines spawned / finished while this P was owned: owner-only counters (a load
    /// and a store, no locked instruction on the hot path); read by stats.
    pub(crate) spawned: AtomicU64,
    pub(crate) finished: AtomicU64,
    /// Gs resumed by this P's M: owner-only (as `spawned`); sysmon reads it to tell a P
    /// stuck in one G from one switching between Gs (`sysmon::wake_for_runnext`).
    pub(crate) resumes: AtomicU64,
}

// SAFETY: the owner half (`runq`, `gfree`, `cos`, `ids`) is touched only by the holder of the P in
// status `Running` with the current `seq` (module docs), one thread at a time; transfers of
// ownership go through the status word (Acquire on taking, Release on giving). Everything
// else is atomic or internally synchronised.
unsafe impl Sync for P {}
// SAFETY: as above.
unsafe impl Send for P {}

impl P {
    pub(crate) fn new(id: usize) -> P {
        let (local, stealer) = gpm_queue::local();
        P {
            id,
            word: AtomicU64::new(PStatus::Idle as u64),
            runq: UnsafeCell::new(local),
            stealer,
            schedtick: AtomicU32::new(0),
            syscalltick: AtomicU32::new(0),
            cur_g: AtomicPtr::new(std::ptr::null_mut()),
            gfree: UnsafeCell::new(Vec::new()),
            cos: UnsafeCell::new(Vec::new()),
            ids: Cell::new((0, 0)),
            timers: Timers::new(),
            steals: AtomicU64::new(0),
            spawned: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            resumes: AtomicU64::new(0),
        }
    }

    /// The raw status word (for sysmon's CAS and stats).
    pub(crate) fn word(&self) -> u64 {
        self.word.load(Acquire)
    }

    pub(crate) fn status_of(word: u64) -> PStatus {
        match word & STATUS {
            0 => PStatus::Idle,
            1 => PStatus::Running,
            2 => PStatus::Executing,
            _ => PStatus::Syscall,
        }
    }

    pub(crate) fn status(&self) -> PStatus {
        P::status_of(self.word())
    }

    /// Taken off the idle list: a new `seq`, status `Running`. Returns the seq.
    pub(crate) fn acquire(&self) -> u64 {
        let w = self.word.load(Relaxed);
        debug_assert_eq!(P::status_of(w), PStatus::Idle, "P::acquire: P {} not idle", self.id);
        let seq = (w & !STATUS) + SEQ_ONE;
        // Release/Acquire via the idle list's lock; Relaxed store would do, Release costs
        // nothing more on the paths that matter.
        self.word.store(seq | PStatus::Running as u64, Release);
        seq
    }

    /// Given back by its owner (to go on the idle list).
    pub(crate) fn set_idle(&self, seq: u64) {
        self.word.store(seq | PStatus::Idle as u64, Release);
    }

    /// The owner's M is about to resume a G.
    #[inline]
    pub(crate) fn set_executing(&self, seq: u64) {
        // Release: the owner half is published to whoever retakes the P.
        self.word.store(seq | PStatus::Executing as u64, Release);
    }

    /// The claim: `from → Running` for the owner with `seq`. `false`: the P was retaken.
    #[inline]
    pub(crate) fn claim(&self, seq: u64, from: PStatus) -> bool {
        // Acquire: pairs with the Release of whoever held the owner half before.
        self.word
            .compare_exchange(seq | from as u64, seq | PStatus::Running as u64, Acquire, Relaxed)
            .is_ok()
    }

    /// Ends a claim: back to `to` (`Executing`, or `Syscall` on entering `blocking`).
    #[inline]
    pub(crate) fn unclaim(&self, seq: u64, to: PStatus) {
        // Release: publishes the owner half to a later retake.
        self.word.store(seq | to as u64, Release);
    }

    /// `blocking` begins: `Executing → Syscall`. `false`: the P was retaken already.
    #[inline]
    pub(crate) fn enter_syscall(&self, seq: u64) -> bool {
        // Release: the owner half is published to whoever retakes the P.
        self.word
            .compare_exchange(
                seq | PStatus::Executing as u64,
                seq | PStatus::Syscall as u64,
                Release,
                Relaxed,
            )
            .is_ok()
    }

    /// `blocking` ends: `Syscall → Executing`. `false`: sysmon retook the P meanwhile.
    #[inline]
    pub(crate) fn exit_syscall(&self, seq: u64) -> bool {
        // Acquire: pairs with the Release of `enter_syscall`.
        self.word
            .compare_exchange(
                seq | PStatus::Syscall as u64,
                seq | PStatus::Executing as u64,
                Acquire,
                Relaxed,
            )
            .is_ok()
    }

    /// sysmon: takes the P from an M that holds `word` (status `Executing` or `Syscall`).
    /// On success the caller owns the P with the returned (new) seq, status `Running`: the
    /// old owner's claims and `exit_syscall` fail from now on, whoever owns the P next.
    pub(crate) fn retake(&self, word: u64) -> Option<u64> {
        let seq = (word & !STATUS) + SEQ_ONE;
        // AcqRel: takes the owner half (Acquire) and publishes the new state.
        self.word
            .compare_exchange(word, seq | PStatus::Running as u64, AcqRel, Relaxed)
            .ok()
            .map(|_| seq)
    }

    /// The local run queue.
    ///
    /// # Safety
    /// The caller owns the P (status `Running` with its seq) and holds no other reference
    /// to the queue.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn runq(&self) -> &mut Local<GRef> {
        // SAFETY: exclusive by the caller's contract.
        unsafe { &mut *self.runq.get() }
    }

    /// The free-G cache.
    ///
    /// # Safety
    /// As `runq`.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn gfree(&self) -> &mut Vec<GRef> {
        // SAFETY: exclusive by the caller's contract.
        unsafe { &mut *self.gfree.get() }
    }

    /// The idle-coroutine cache.
    ///
    /// # Safety
    /// As `runq`.
    #[allow(clippy::mut_from_ref, clippy::vec_box)]
    pub(crate) unsafe fn cos(&self) -> &mut Vec<Box<Coroutine>> {
        // SAFETY: exclusive by the caller's contract.
        unsafe { &mut *self.cos.get() }
    }

    /// The next goroutine id from this P's batch (refilled from `global` 16 at a time).
    ///
    /// # Safety
    /// As `runq`.
    pub(crate) unsafe fn next_goid(&self, global: &AtomicU64) -> u64 {
        let (mut next, mut end) = self.ids.get();
        if next == end {
            next = global.fetch_add(GOID_BATCH, Relaxed);
            end = next + GOID_BATCH;
        }
        self.ids.set((next + 1, end));
        next
    }

    /// Adds one to an owner-only counter (`spawned`, `finished`).
    ///
    /// # Safety
    /// As `runq`: only the P's owner writes these counters.
    #[inline]
    pub(crate) unsafe fn bump(counter: &AtomicU64) {
        // Relaxed load + store: only the owner writes (caller's contract); readers want a
        // recent value, not an ordering.
        counter.store(counter.load(Relaxed) + 1, Relaxed);
    }

    /// Length of the local queue, from any thread (a snapshot).
    pub(crate) fn runq_len(&self) -> usize {
        self.stealer.len()
    }
}
