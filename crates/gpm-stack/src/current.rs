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

use std::cell::Cell;
use std::ops::Range;
use std::ptr;

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
