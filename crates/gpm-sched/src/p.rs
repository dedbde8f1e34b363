//! P: a logical processor (Go's `p`): the local run queue and `runnext`, the free-G cache,
//! the goroutine-id batch, the timer heap, `schedtick`. `procs` of them per runtime.
//!
//! # P status, defined by who may touch the owner half ([`Core`])
//! The word and the claim protocol live in `ownership.rs` (with the race they prevent); the
//! owner half is reached only through the `OwnedP` that protocol hands out.
//! | status     | owner half touched by                                          | retakeable |
//! |------------|----------------------------------------------------------------|------------|
//! | `Idle`     | nobody (on the idle list)                                      | —          |
//! | `Running`  | its M in the schedule loop, or its goroutine after a claim; nobody while the M's mark says it runs goroutine code | by sysmon (hog), via `Retaking` |
//! | `Retaking` | nobody: sysmon is deciding; a claiming M waits for its decision | —         |
//! | `Syscall`  | nobody: its M is inside `blocking`                             | by sysmon  |

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering::*};

pub(crate) use crate::ownership::PStatus;
use crate::ownership::{OwnedP, PWord, UserMark};

use gpm_queue::{Local, Stealer};

use crate::cobox::CoBox;
use crate::g::{G, GRef};
use crate::taskmem::Cache;
use crate::timers::Timers;

/// Goroutine ids handed to a P at a time (Go's `_GoidCacheBatch`).
pub(crate) const GOID_BATCH: u64 = 16;
/// Free-list capacity per P; when full, half moves to the global list (Go's `gfput`).
pub(crate) const GFREE_CAP: usize = 64;

/// A logical processor.
///
/// Aligned to 128 bytes (a pair of cache lines, the unit x86's spatial prefetcher moves):
/// `Sched::ps` is one array, and the owner writes `schedtick`, `cur_g` and its counters on
/// every resume while the neighbouring P's owner reads its own `word` and `schedtick` just as
/// often. Unaligned, the tail of one P shared a line with the head of the next, and yield
/// with 8 goroutines on 2 Ps ran slower than on 1 P (figures in commit df74626).
#[repr(align(128))]
pub(crate) struct P {
    pub(crate) id: usize,
    /// Status and seq (`ownership.rs`).
    pub(crate) word: PWord,
    /// The user mark of the M that owns the P now (null before the first owner): what
    /// sysmon reads to tell whether that M runs goroutine code. Set by the M when it takes
    /// the P (`M::set_p`); a stale value names another M, whose mark then carries another
    /// token. Ms live in `allm` until the runtime's threads are all joined.
    pub(crate) owner_mark: AtomicPtr<UserMark>,
    /// The owner half: only through an `OwnedP` (`OwnedP::core`).
    core: UnsafeCell<Core>,
    pub(crate) stealer: Stealer<GRef>,
    /// Incremented by the owner on each new time slice (Relaxed store; sysmon reads it).
    pub(crate) schedtick: AtomicU32,
    /// Incremented by the owner on each `blocking` call (sysmon reads it).
    pub(crate) syscalltick: AtomicU32,
    /// The G its M runs now, or null (sysmon sets its preempt flag). Sysmon dereferences
    /// it, so a G is installed with a Release store (`schedule::execute`,
    /// `Sched::reacquire_p`, `syscall::exit`) that pairs with the Acquire load in sysmon's
    /// `slice_over`: the G's creation (`G::new`, plain writes on the spawner's thread, then
    /// the run queue's release/acquire to this M) happens before sysmon's store to its
    /// `preempt`. Null and compare-only accesses are Relaxed.
    pub(crate) cur_g: AtomicPtr<G>,
    pub(crate) timers: Timers,
    /// Goroutines this P took from other Ps (stats).
    pub(crate) steals: AtomicU64,
    /// Goroutines spawned / finished while this P was owned: owner-only counters (a load
    /// and a store, no locked instruction on the hot path); read by stats.
    pub(crate) spawned: AtomicU64,
    pub(crate) finished: AtomicU64,
    /// Gs resumed by this P's M: owner-only (as `spawned`); sysmon reads it to tell a P
    /// stuck in one G from one switching between Gs (`runnext::wake_if_stuck`).
    pub(crate) resumes: AtomicU64,
}

// SAFETY: the owner half (`core`) is touched only through an `OwnedP`, which the claim
// protocol gives to one holder at a time (`ownership.rs`); transfers of ownership go through
// the status word (Acquire on taking, Release on giving). Everything else is atomic or
// internally synchronised.
unsafe impl Sync for P {}
// SAFETY: as above.
unsafe impl Send for P {}

impl P {
    pub(crate) fn new(id: usize) -> P {
        let (local, stealer) = gpm_queue::local();
        P {
            id,
            word: PWord::new(),
            owner_mark: AtomicPtr::new(std::ptr::null_mut()),
            core: UnsafeCell::new(Core {
                runq: local,
                gfree: Vec::new(),
                cos: Vec::new(),
                ids: (0, 0),
                tasks: Cache::empty(),
            }),
            stealer,
            schedtick: AtomicU32::new(0),
            syscalltick: AtomicU32::new(0),
            cur_g: AtomicPtr::new(std::ptr::null_mut()),
            timers: Timers::new(),
            steals: AtomicU64::new(0),
            spawned: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            resumes: AtomicU64::new(0),
        }
    }

    /// The raw status word (for sysmon and stats).
    pub(crate) fn word(&self) -> u64 {
        self.word.load()
    }

    pub(crate) fn status(&self) -> PStatus {
        PWord::status_of(self.word())
    }

    /// Length of the local queue, from any thread (a snapshot).
    pub(crate) fn runq_len(&self) -> usize {
        self.stealer.len()
    }
}

/// The owner half of a P (tokio's name for it): what only the P's owner touches.
pub(crate) struct Core {
    /// The local run queue, `runnext` included.
    pub(crate) runq: Local<GRef>,
    /// Dead Gs for reuse (`gfree.rs`).
    pub(crate) gfree: Vec<GRef>,
    /// Idle coroutines (warm stacks) for this P's Gs' first runs (`gfree::bind`), or for a
    /// spawn with nothing else queued (`gfree::gfget`). Each in a task block (`CoBox`): they
    /// move between here and `G::co` as pointers.
    pub(crate) cos: Vec<CoBox>,
    /// The goroutine-id batch: next, end.
    ids: (u64, u64),
    /// Free task blocks (`taskmem.rs`).
    pub(crate) tasks: Cache,
}

impl OwnedP<'_> {
    /// The owner half.
    #[inline]
    pub(crate) fn core(&mut self) -> &mut Core {
        // SAFETY: an `OwnedP` is the P's one owner (`ownership.rs`: made only by the
        // protocol's steps, not `Clone`, consumed when the P is given up), and this borrow
        // of it is exclusive for as long as the `&mut Core` lives.
        unsafe { &mut *self.p().core.get() }
    }

    /// The local run queue.
    #[inline]
    pub(crate) fn runq(&mut self) -> &mut Local<GRef> {
        &mut self.core().runq
    }

    /// The next goroutine id from this P's batch (refilled from `global` 16 at a time).
    pub(crate) fn next_goid(&mut self, global: &AtomicU64) -> u64 {
        let core = self.core();
        let (mut next, mut end) = core.ids;
        if next == end {
            next = global.fetch_add(GOID_BATCH, Relaxed);
            end = next + GOID_BATCH;
        }
        core.ids = (next + 1, end);
        next
    }

    /// Adds one to an owner-only counter of the P (`spawned`, `finished`, `resumes`).
    #[inline]
    pub(crate) fn bump(&mut self, counter: impl FnOnce(&P) -> &AtomicU64) {
        let c = counter(self.p());
        // Relaxed load + store: only the owner writes (this is the owner); readers want a
        // recent value, not an ordering.
        c.store(c.load(Relaxed) + 1, Relaxed);
    }
}
