//! G: a goroutine. Its coroutine (stack), its status, its park state, and what it asks its M
//! to do when it switches away.
//!
//! # G status, defined by who owns the stack (Go's `_Grunnable` .. `_Gdead`)
//! | status     | stack owned by                  | on a queue | has an M |
//! |------------|---------------------------------|------------|----------|
//! | `Idle`     | the free list holding the G     | free list  | no       |
//! | `Runnable` | the run queue holding the G     | yes        | no       |
//! | `Running`  | the M resuming it               | no         | yes      |
//! | `Syscall`  | its M, inside `blocking`        | no         | yes, maybe no P |
//! | `Waiting`  | its waker (see `park/state.rs`) | no         | no       |
//! | `Dead`     | the M that saw it finish        | no         | no       |
//!
//! A G is allocated once and lives until its runtime is freed: dead Gs are reused through
//! the per-P free lists (`gfree`, cap 64, half moved to the global list when full, Go's
//! `gfput`). So a raw `GRef` stays valid as long as the runtime's `Sched` does, and stale
//! wake-ups are told apart by `ParkState`'s generation. Stacks are bound lazily: a G
//! spawned without a coroutine gets one from its P's cache when it first runs, and a dying
//! G gives its coroutine to that cache (`gfree.rs`), so a million queued, unstarted Gs hold
//! a million closures, not stacks.

use std::cell::{Cell, UnsafeCell};
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicU64, Ordering::*};

use gpm_stack::{RawJob, Suspender};

use crate::cobox::CoBox;
use crate::m::M;
use crate::park::WaitReason;
use crate::park::state::ParkState;
use crate::taskmem;

/// A goroutine's status (see the module table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum GStatus {
    /// On a free list, ready for reuse.
    Idle = 0,
    /// On a run queue.
    Runnable = 1,
    /// Running on an M.
    Running = 2,
    /// Inside `blocking` (Go's `_Gsyscall`).
    Syscall = 3,
    /// Parked.
    Waiting = 4,
    /// Finished, not yet on a free list.
    Dead = 5,
}

impl GStatus {
    #[inline]
    fn from_u8(v: u8) -> GStatus {
        match v {
            0 => GStatus::Idle,
            1 => GStatus::Runnable,
            2 => GStatus::Running,
            3 => GStatus::Syscall,
            4 => GStatus::Waiting,
            5 => GStatus::Dead,
            _ => panic!("GStatus::from_u8: not a GStatus byte; value = {v}"),
        }
    }

    /// Go's spelling, as in a goroutine dump.
    pub fn as_str(self) -> &'static str {
        match self {
            GStatus::Idle => "idle",
            GStatus::Runnable => "runnable",
            GStatus::Running => "running",
            GStatus::Syscall => "syscall",
            GStatus::Waiting => "waiting",
            GStatus::Dead => "dead",
        }
    }
}

/// A flag in `lock_count` while a G is switched away during a panic unwind (set and cleared
/// by `G::suspend` around the switch): a bit `lock_os_thread` nesting never reaches.
const UNWIND_PIN: u32 = 1 << 31;

/// What a G asks its M to do after it switched away (read by the M on its own stack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Nothing pending (the G finished, or the M has read the action).
    None,
    /// `yield_now`: to the tail of the local queue.
    Yield,
    /// Time slice used up (preempt flag): to the global queue, as Go's `gopreempt_m`.
    Preempted,
    /// `park`: finish the park (`ParkState::finish`), then arm the timer if any.
    Park,
    /// Returned from `blocking` and found no P: to the global queue; the M stops.
    NoP,
}

/// A goroutine. Fields marked *owner* are touched only by whoever owns the G's stack (see
/// the module table): the M running it and the goroutine itself, on one thread at a time,
/// with hand-offs ordered by the run queues' release/acquire.
pub(crate) struct G {
    /// Goroutine id (Go's `goid`); set when a life starts.
    pub(crate) id: AtomicU64,
    status: AtomicU8,
    /// Park/unpark protocol word.
    pub(crate) park: ParkState,
    /// Set by the timer that woke the G (before readying it); read by the G after.
    pub(crate) timed_out: AtomicBool,
    /// Time slice used up (set by sysmon): the next scheduling point yields.
    pub(crate) preempt: AtomicBool,
    /// Set by runtime drop before the coroutine is unwound: a caught panic is re-raised.
    pub(crate) cancelling: AtomicBool,
    /// A cancellation asked by `JoinHandle::abort` and its hand-shake bits (`abort.rs`).
    pub(crate) abort: AtomicU8,
    /// owner: shields that hold a requested cancellation off (`abort::CancelShield`).
    pub(crate) abort_shield: Cell<u32>,
    pub(crate) wait_reason: AtomicU8,
    /// When the current wait began, ns since the runtime's epoch.
    pub(crate) wait_since: AtomicU64,
    /// Where the goroutine was spawned (`#[track_caller]` of `go`).
    pub(crate) location: AtomicPtr<Location<'static>>,
    /// Where the current (or last) park was called from: the user's blocking call, passed
    /// down by `#[track_caller]` (`park::Current::park_deadline`). Written by the G before
    /// it switches, read by dumps (Relaxed: informational, as `wait_reason`).
    pub(crate) wait_location: AtomicPtr<Location<'static>>,
    pub(crate) name: Mutex<Option<Box<str>>>,
    pub(crate) has_name: AtomicBool,
    /// The M this G is locked to (`lock_os_thread`), or null.
    pub(crate) locked_m: AtomicPtr<M>,
    /// owner: `lock_os_thread` nesting count.
    pub(crate) lock_count: Cell<u32>,
    /// owner: the coroutine (stack) running this G's job; in a task block (`CoBox`), so
    /// that binding and unbinding it (`gfree.rs`) moves a pointer, not the coroutine. `None`
    /// while a G spawned without one has not run yet (its job waits in `job`), and for a
    /// dead G whose coroutine went to its P's cache: coroutines are bound lazily
    /// (`gfree::bind`). A `SendCoroutine`, made under the runtime's migration promise
    /// (`gfree::new_coroutine`).
    /// Reached by whoever owns the G (dequeued it, took it off a free list, saw it die):
    /// taken out and put back, or, by the M resuming it, through `gfree::bind`'s pointer,
    /// which lives until the G is visible again.
    pub(crate) co: Cell<Option<CoBox>>,
    /// owner: the job of a G that has not run yet and has no coroutine.
    pub(crate) job: Cell<Option<RawJob>>,
    /// owner: why no stack could be bound for this G's first run (`gfree::bind`), set just
    /// before its job is dropped; the job's drop takes it into the joiner's `Cancelled`.
    pub(crate) no_stack: Cell<Option<std::sync::Arc<str>>>,
    /// owner: the running job's suspender (set at job start; stable while it runs).
    pub(crate) suspender: Cell<*const Suspender>,
    /// owner: the M resuming the G (set before every resume).
    pub(crate) m: Cell<*const M>,
    /// owner: the request to the M after a switch.
    pub(crate) action: Cell<Action>,
    /// owner: the deadline of the park in progress (armed by the M after the switch).
    pub(crate) deadline: Cell<Option<u64>>,
    /// owner: the stack is not the runtime's default size (not returned to the pool).
    pub(crate) custom_stack: Cell<bool>,
    /// owner: goroutine-local values (`local!`), dropped when the job returns.
    pub(crate) locals: UnsafeCell<crate::gls::Locals>,
    /// owner: a free task block this goroutine keeps for its next spawn (`taskmem.rs`).
    pub(crate) spare_task: taskmem::Spare,
}

// SAFETY: the `Cell`/`UnsafeCell` fields are *owner* fields (type docs): only the holder of
// the G's stack touches them, one thread at a time, and every hand-off of a G between
// threads goes through a run queue or `ParkState` with release/acquire ordering. Everything
// read by other threads (dump, sysmon, wakers) is atomic or behind a `Mutex`.
unsafe impl Sync for G {}
// SAFETY: as above; the coroutine is a `SendCoroutine` (see `gfree::new_coroutine`).
unsafe impl Send for G {}

impl G {
    pub(crate) fn new() -> G {
        G {
            id: AtomicU64::new(0),
            status: AtomicU8::new(GStatus::Idle as u8),
            park: ParkState::new(),
            timed_out: AtomicBool::new(false),
            preempt: AtomicBool::new(false),
            cancelling: AtomicBool::new(false),
            abort: AtomicU8::new(0),
            abort_shield: Cell::new(0),
            wait_reason: AtomicU8::new(0),
            wait_since: AtomicU64::new(0),
            location: AtomicPtr::new(std::ptr::null_mut()),
            wait_location: AtomicPtr::new(std::ptr::null_mut()),
            name: Mutex::new(None),
            has_name: AtomicBool::new(false),
            locked_m: AtomicPtr::new(std::ptr::null_mut()),
            lock_count: Cell::new(0),
            co: Cell::new(None),
            job: Cell::new(None),
            no_stack: Cell::new(None),
            suspender: Cell::new(std::ptr::null()),
            m: Cell::new(std::ptr::null()),
            action: Cell::new(Action::None),
            deadline: Cell::new(None),
            custom_stack: Cell::new(false),
            locals: UnsafeCell::new(Vec::new()),
            spare_task: taskmem::Spare::new(),
        }
    }

    #[inline]
    pub(crate) fn status(&self) -> GStatus {
        GStatus::from_u8(self.status.load(Relaxed))
    }

    /// Relaxed: informational (dump, stats); the protocols use `park` and the queues.
    #[inline]
    pub(crate) fn set_status(&self, s: GStatus) {
        self.status.store(s as u8, Relaxed);
    }

    pub(crate) fn wait_reason(&self) -> WaitReason {
        WaitReason::from_u8(self.wait_reason.load(Relaxed))
    }

    /// Where the G's current park was called from, if recorded.
    pub(crate) fn wait_location(&self) -> Option<&'static Location<'static>> {
        let loc = self.wait_location.load(Relaxed);
        // SAFETY: only `&'static Location`s are stored (`park_switch`).
        (!loc.is_null()).then(|| unsafe { &*loc })
    }

    /// Switches to the M (the G's owner half). Reads no thread-local itself (`unwinding` is
    /// a never-inlined call made before the switch).
    ///
    /// A goroutine that switches while a panic unwinds its stack (a destructor that parks)
    /// is pinned to its M for the switch, as `lock_os_thread` would: Rust keeps the panic
    /// count in a thread-local, so finishing the unwind on another thread would leave one
    /// thread "panicking" forever and the other's count wrong.
    /// Always inlined: the switch clobbers every callee-saved register, so each function
    /// level between the blocking call and the switch would save and restore all six; the
    /// caller saves them once.
    #[inline(always)]
    pub(crate) fn suspend(&self, action: Action) {
        let unwinding = crate::context::unwinding();
        let pin = unwinding && self.lock_count.get() == 0 && !self.on_single_thread();
        if pin {
            self.pin(true);
        }
        if unwinding {
            self.lock_count.set(self.lock_count.get() | UNWIND_PIN);
        }
        self.action.set(action);
        let s = self.suspender.get();
        debug_assert!(!s.is_null(), "G::suspend: no suspender");
        // SAFETY: `suspender` was set by this G's job when it started, points into the
        // coroutine's own stack, and stays valid while the job runs — and we are that job.
        unsafe { (*s).suspend() };
        if unwinding {
            self.lock_count.set(self.lock_count.get() & !UNWIND_PIN);
        }
        if pin {
            self.pin(false);
        }
    }

    /// Whether this running G's runtime is single-thread (it never leaves its M anyway).
    #[cold]
    fn on_single_thread(&self) -> bool {
        // SAFETY: `g.m` is the M running this G, on this thread, alive with its runtime.
        unsafe { (*self.m.get()).sched() }.single
    }

    /// Locks (or unlocks) this running G to its current M (see `lockosthread`).
    fn pin(&self, on: bool) {
        let m = self.m.get();
        self.lock_count.set(u32::from(on));
        let (g, lm) = if on { (self as *const G, m) } else { (std::ptr::null(), std::ptr::null()) };
        // SAFETY: `g.m` is the M running this G, on this thread.
        unsafe { (*m).locked_g.set(g) };
        self.locked_m.store(lm as *mut M, Release);
    }

    /// Whether this switched-away G switched while a panic unwinds its stack (a destructor
    /// that parks; such a G is also pinned to its M). Runtime drop must not force-unwind
    /// it: a second unwind through the running destructor aborts the process.
    pub(crate) fn switched_unwinding(&self) -> bool {
        self.lock_count.get() & UNWIND_PIN != 0
    }
}

/// A pointer to a G, as run queues carry it (Go's `guintptr`). Valid while the runtime's
/// `Sched` lives (Gs are never freed before it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GRef(NonNull<G>);

// SAFETY: a `GRef` is an address; `G` is `Sync` and lives as long as the runtime, and moving
// the G's *ownership* with it is what the run queues do (module docs).
unsafe impl Send for GRef {}
// SAFETY: as above.
unsafe impl Sync for GRef {}

/// The task-block class of a G (checked at compile time to fit one).
const G_CLASS: usize = taskmem::class_of_type::<G>();

impl GRef {
    /// A new idle G in a task block (`taskmem.rs`, and `cobox.rs` for why not a `Box`),
    /// from `cache` (the caller's P's) or the global lists.
    pub(crate) fn alloc(cache: Option<&mut taskmem::Cache>) -> GRef {
        let g = taskmem::alloc(cache, G_CLASS).cast::<G>();
        // SAFETY: a fresh block of `G_CLASS`, big and aligned enough for a G (`class_of`),
        // and ours alone.
        unsafe { g.as_ptr().write(G::new()) };
        GRef(g)
    }

    pub(crate) fn from_ptr(p: *const G) -> Option<GRef> {
        NonNull::new(p as *mut G).map(GRef)
    }

    pub(crate) fn as_ptr(self) -> *const G {
        self.0.as_ptr()
    }

    /// # Safety
    /// Only by `Sched::drop`, once, for a G made by `alloc`.
    pub(crate) unsafe fn free(self) {
        // SAFETY: by the caller's contract the G is live and no one else uses it; its block
        // is given back once it is dropped, to the global lists (its runtime, and so its
        // Ps, are being freed).
        unsafe {
            std::ptr::drop_in_place(self.0.as_ptr());
            taskmem::free_global(G_CLASS, self.0.cast());
        }
    }
}

impl std::ops::Deref for GRef {
    type Target = G;
    fn deref(&self) -> &G {
        // SAFETY: a G lives until the runtime's `Sched` is freed, and every `GRef` is used
        // only while its `Sched` is alive (held by the M, the waker's `Unparker`, or a
        // `JoinHandle`).
        unsafe { self.0.as_ref() }
    }
}

#[cfg(test)]
mod tests {
    use super::GStatus;

    #[test]
    fn status_bytes_round_trip() {
        for s in [
            GStatus::Idle,
            GStatus::Runnable,
            GStatus::Running,
            GStatus::Syscall,
            GStatus::Waiting,
            GStatus::Dead,
        ] {
            assert_eq!(GStatus::from_u8(s as u8), s);
        }
    }

    #[test]
    #[should_panic(expected = "GStatus::from_u8: not a GStatus byte; value = 6")]
    fn an_unknown_status_byte_is_a_named_panic() {
        GStatus::from_u8(6);
    }
}
