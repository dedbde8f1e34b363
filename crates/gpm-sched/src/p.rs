//! P: a logical processor (Go's `p`): the local run queue and `runnext`, the free-G cache,
//! the goroutine-id batch, the timer heap, `schedtick`. `procs` of them per runtime.
//!
//! # P status, defined by who may touch the owner half (`runq`, `gfree`, `cos`, `ids`, `tasks`)
//! The word and the claim protocol live in `ownership.rs` (with the race they prevent).
//! | status     | owner half touched by                                          | retakeable |
//! |------------|----------------------------------------------------------------|------------|
//! | `Idle`     | nobody (on the idle list)                                      | —          |
//! | `Running`  | its M in the schedule loop, or its goroutine after a claim; nobody while the M's mark says it runs goroutine code | by sysmon (hog), via `Retaking` |
//! | `Retaking` | nobody: sysmon is deciding; a claiming M waits for its decision | —         |
//! | `Syscall`  | nobody: its M is inside `blocking`                             | by sysmon  |

use std::cell::{Cell, UnsafeCell};
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering::*};

pub(crate) use crate::ownership::PStatus;
use crate::ownership::{PWord, UserMark};

use gpm_queue::{Local, Stealer};
use gpm_stack::SendCoroutine;

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
    runq: UnsafeCell<Local<GRef>>,
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
    gfree: UnsafeCell<Vec<GRef>>,
    /// Idle coroutines (warm stacks) for this P's Gs' first runs (`gfree::bind`), or for a
    /// spawn with nothing else queued (`gfree::gfget`). Boxed: they move between here and
    /// `G::co` as pointers.
    #[allow(clippy::vec_box)]
    cos: UnsafeCell<Vec<Box<SendCoroutine>>>,
    ids: Cell<(u64, u64)>,
    /// Free task blocks (`taskmem.rs`).
    tasks: UnsafeCell<Cache>,
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

// SAFETY: the owner half (`runq`, `gfree`, `cos`, `ids`, `tasks`) is touched only by the holder of the P in
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
            word: PWord::new(),
            owner_mark: AtomicPtr::new(std::ptr::null_mut()),
            runq: UnsafeCell::new(local),
            stealer,
            schedtick: AtomicU32::new(0),
            syscalltick: AtomicU32::new(0),
            cur_g: AtomicPtr::new(std::ptr::null_mut()),
            gfree: UnsafeCell::new(Vec::new()),
            cos: UnsafeCell::new(Vec::new()),
            ids: Cell::new((0, 0)),
            tasks: UnsafeCell::new(Cache::empty()),
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

    /// The sequence number of the P's current acquisition (`ownership.rs`), for an M
    /// handed the P by whoever acquired it.
    pub(crate) fn seq(&self) -> u64 {
        crate::ownership::PWord::seq_of(self.word())
    }

    pub(crate) fn status(&self) -> PStatus {
        PWord::status_of(self.word())
    }

    /// Taken off the idle list: a new `seq`, status `Running`. Returns the seq.
    pub(crate) fn acquire(&self) -> u64 {
        self.word.acquire()
    }

    /// Given back by its owner (to go on the idle list).
    pub(crate) fn set_idle(&self, seq: u64) {
        self.word.set_idle(seq);
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
    pub(crate) unsafe fn cos(&self) -> &mut Vec<Box<SendCoroutine>> {
        // SAFETY: exclusive by the caller's contract.
        unsafe { &mut *self.cos.get() }
    }

    /// The free task-block cache.
    ///
    /// # Safety
    /// As `runq`.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn task_cache(&self) -> &mut Cache {
        // SAFETY: exclusive by the caller's contract.
        unsafe { &mut *self.tasks.get() }
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
