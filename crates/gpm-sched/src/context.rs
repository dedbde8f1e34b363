//! Where am I? The thread-local that names the calling thread's M, and the accessors that
//! read it. The crate's other two thread-locals serve plain threads only: `park/mod.rs`'s
//! `WAITER` (a thread's park permit) and `gls.rs`'s `THREAD_LOCALS` (its `gpm::local!`
//! values).
//!
//! The migration rule (gpm-stack's contract): a function that can switch must not read a
//! thread-local, because LLVM may keep the thread-local's address in a register across the
//! switch and the goroutine may come back on another thread. So the thread-local is read
//! only here, in `#[inline(never)]` functions that never switch; code that switches calls
//! them *before* switching and afterwards reaches its M and P through its G (`g.m`, which
//! the resuming M sets before every resume).

use std::cell::Cell;
use std::ptr;

use crate::g::GRef;
use crate::m::M;

thread_local! {
    /// This thread's M, or null on a plain thread. Set once when the M's thread starts.
    static CURRENT_M: Cell<*const M> = const { Cell::new(ptr::null()) };
}

/// This thread's M, or null on a plain thread. Never switches.
#[inline(never)]
pub(crate) fn current_m() -> *const M {
    CURRENT_M.get()
}

/// Marks the calling thread as running `m` (the M's thread main, on its native stack).
#[inline(never)]
pub(crate) fn set_current_m(m: *const M) {
    CURRENT_M.set(m);
}

/// Whether this thread is unwinding a panic (`std::thread::panicking`, which reads a
/// thread-local). Never switches.
#[inline(never)]
pub(crate) fn unwinding() -> bool {
    std::thread::panicking()
}

/// The goroutine running on this thread, or `None` on a plain thread or an M's own stack.
/// Never switches.
#[inline(never)]
pub(crate) fn current_g() -> Option<GRef> {
    // The thread-local directly (not through `current_m`, one call less on every blocking
    // operation): this function is itself never inlined and never switches.
    let m = CURRENT_M.get();
    if m.is_null() {
        return None;
    }
    // SAFETY: a non-null CURRENT_M points to the M whose thread this is; the thread's main
    // function keeps it alive until it clears the slot.
    GRef::from_ptr(unsafe { (*m).cur_g.get() })
}
