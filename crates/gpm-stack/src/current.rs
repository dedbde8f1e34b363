//! The running coroutine of this thread, as the overflow handler sees it.
//!
//! `Coroutine::resume` publishes a pointer to the coroutine's [`GuardInfo`] in a thread-local
//! before switching in and puts the previous value back after switching out. `resume` runs on
//! the caller's stack (an M's native stack, or a parent coroutine's stack that cannot be
//! suspended while it waits in `resume`), so the thread it reads and writes is the thread
//! the job runs on; when a suspended coroutine moves to another thread, the next `resume`
//! there publishes it there. Nothing on the coroutine's own stack writes this state.
//!
//! Thread-local access lives only in the `#[inline(never)]` functions below, none of which
//! can switch: LLVM may keep a thread-local's address in a register across a call, and code
//! that switched stacks in between would then use the old thread's slot.
//!
//! ## The cheap publish: [`ThreadSlot`]
//! `resume` pays two never-inlined calls per round trip to reach the thread-local, a large
//! share of a round trip. A scheduler's loop runs on its thread's own stack, which
//! never migrates, so it can look the slot's address up *once* ([`thread_slot`]) and hand it
//! to every [`crate::Coroutine::resume_in`], which publishes with a plain store through the
//! pointer and no thread-local access. Why this stays correct when coroutines migrate:
//! 1. the slot is the calling thread's: [`thread_slot`] refuses to run inside a coroutine
//!    (the running slot is non-null there), so a slot is only ever taken on a thread's own
//!    stack, and it is `!Send + !Sync`, so neither it nor a reference to it can reach
//!    another thread (or a job, whose closure must be `Send`);
//! 2. a coroutine that migrates is published by the next `resume_in` on the new thread,
//!    with that thread's slot, exactly as `resume` would;
//! 3. the slot is a const-initialised `Cell` without destructor: its storage lives as long
//!    as the thread, which outlives any value made on its stack.
//!
//! Rejected: caching the slot's address inside the `Coroutine` (wrong after a migration),
//! and reading the thread pointer in inline assembly (per-architecture, and the address is
//! then as cacheable by LLVM as a thread-local's).

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::ptr::{self, NonNull};

/// What the overflow handler needs: where the guard is, whom to name, how big the stack is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardInfo {
    pub(crate) guard_start: usize,
    pub(crate) guard_end: usize,
    pub(crate) id: u64,
    pub(crate) stack_size: usize,
}

thread_local! {
    /// The running coroutine's `GuardInfo` on this thread, or null. Const-initialised and
    /// without a destructor, so reading it is a plain load (async-signal-safe).
    static RUNNING: Cell<*const GuardInfo> = const { Cell::new(ptr::null()) };
}

/// Publishes `info` as this thread's running coroutine until the returned guard drops
/// (which restores the previous value, so nested `resume`s work).
///
/// # Safety
/// `info` must stay valid and unchanged until the guard drops, and the guard must drop on
/// this thread (it is `!Send`).
#[inline(never)]
pub(crate) unsafe fn publish(info: *const GuardInfo) -> Published {
    Published { prev: RUNNING.replace(info), _not_send: std::marker::PhantomData }
}

/// Restores the previously running coroutine on drop.
pub(crate) struct Published {
    prev: *const GuardInfo,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for Published {
    #[inline(never)]
    fn drop(&mut self) {
        RUNNING.set(self.prev);
    }
}

/// This thread's running-coroutine slot, looked up once by [`thread_slot`]; pass it to
/// [`crate::Coroutine::resume_in`] for a publish without thread-local access. `!Send` and
/// `!Sync`: it stays on the thread (and the stack) that took it.
///
/// ```compile_fail
/// fn send<T: Send>() {}
/// send::<gpm_stack::ThreadSlot>();
/// ```
pub struct ThreadSlot {
    cell: NonNull<Cell<*const GuardInfo>>,
    _not_send: PhantomData<*const ()>,
}

impl fmt::Debug for ThreadSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadSlot").field("cell", &self.cell).finish()
    }
}

/// The calling thread's running-coroutine slot, for [`crate::Coroutine::resume_in`]. Take
/// it once per thread, on the thread's own stack (an M's loop), and keep it there.
///
/// # Panics
/// When called inside a coroutine: a coroutine's stack may migrate to another thread, and
/// a slot carried along would name the old thread's.
#[inline(never)]
pub fn thread_slot() -> ThreadSlot {
    RUNNING.with(|cell| {
        assert!(
            cell.get().is_null(),
            "gpm_stack::thread_slot: called inside a coroutine; take the slot on the \
             thread's own stack (which never migrates) and pass it down"
        );
        ThreadSlot { cell: NonNull::from(cell), _not_send: PhantomData }
    })
}

impl ThreadSlot {
    /// Publishes `info` until the returned guard drops (which restores the previous value).
    /// Inlined: a load and a store through the pointer, no thread-local access.
    ///
    /// # Safety
    /// As for [`publish`]: `info` stays valid and unchanged until the guard drops.
    #[inline(always)]
    pub(crate) unsafe fn publish(&self, info: *const GuardInfo) -> SlotPublished<'_> {
        // SAFETY: `cell` points to this thread's RUNNING (see `thread_slot`), which lives
        // as long as the thread; `self` is !Send, so we are on that thread.
        let cell = unsafe { self.cell.as_ref() };
        SlotPublished { cell, prev: cell.replace(info) }
    }
}

/// Restores the previously running coroutine in a [`ThreadSlot`] on drop.
pub(crate) struct SlotPublished<'a> {
    cell: &'a Cell<*const GuardInfo>,
    prev: *const GuardInfo,
}

impl Drop for SlotPublished<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.cell.set(self.prev);
    }
}

/// A copy of the running coroutine's info on this thread.
#[inline(never)]
pub(crate) fn running_info() -> Option<GuardInfo> {
    let info = RUNNING.get();
    // SAFETY: a non-null pointer was published by `publish`, whose caller keeps the info
    // valid and unchanged until it unpublishes on this same thread.
    (!info.is_null()).then(|| unsafe { *info })
}

/// The coroutine running on the calling thread, as [`running`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningCoroutine {
    /// The id given with `Coroutine::set_id` (0 if never set).
    pub id: u64,
    /// Its guard page addresses.
    pub guard: Range<usize>,
    /// Its usable stack size in bytes.
    pub stack_size: usize,
}

/// The coroutine this thread is running now, read from the same per-thread slot the
/// overflow handler reads; `None` on a thread's own stack.
///
/// Safe to call from a coroutine: it is never inlined and never switches, so it reads the
/// slot of the thread it runs on — which, after a migration, is the new thread's.
#[inline(never)]
pub fn running() -> Option<RunningCoroutine> {
    running_info().map(|g| RunningCoroutine {
        id: g.id,
        guard: g.guard_start..g.guard_end,
        stack_size: g.stack_size,
    })
}
