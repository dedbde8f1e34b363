//! ThreadSanitizer's view of coroutine switches: each [`crate::Coroutine`] is a TSan *fiber*.
//! Built only with `--cfg gpm_tsan` (`.ci/tsan` sets it next to `-Zsanitizer=thread`);
//! otherwise [`Fiber`] and [`Entered`] are empty types and every call here compiles to
//! nothing.
//!
//! # Why
//! TSan keeps, per thread, a vector clock and a shadow call stack (pushed and popped by the
//! instrumentation at every function entry and exit). A stack switch it is not told about
//! charges the coroutine's accesses to whichever thread runs it, and — worse — the frames
//! entered on one stack and left on another unbalance the thread's shadow stack until it runs
//! off its start (seen: a SIGSEGV inside TSan's stack depot on the first forced unwind).
//! corosensei's `sanitizer` feature speaks ASan's `__sanitizer_start_switch_fiber`, which the
//! TSan runtime does not define; TSan has its own fiber API, used here.
//!
//! # The protocol
//! Only the resumer talks to TSan, on its own stack, around the whole corosensei call:
//! [`Fiber::enter`] (remember the current fiber, switch to the coroutine's) before `resume`
//! or `force_unwind`, [`Entered::leave`] (switch back) after it returned. The coroutine's
//! side (`Suspender::suspend`, the body's `Finished` yield, an unwind to its root) says
//! nothing. So every frame that corosensei enters on the resumer's stack before the switch
//! and leaves after the switch back, and every frame the coroutine enters before suspending
//! and leaves when resumed, is entered and left while TSan thinks the coroutine's fiber runs:
//! each fiber's shadow stack stays balanced whatever corosensei's frames inline to, and the
//! coroutine's holds exactly its live call chain. Rejected: telling TSan on each side just
//! before its switch (the textbook `switch_to_fiber; swapcontext`): the frames between the
//! call and corosensei's assembly differ between `resume` and `suspend` and with inlining, so
//! the shadow stacks drift by a frame per round trip; and the forced unwind of a dropped
//! coroutine leaves through corosensei's root, where no code of ours runs.
//!
//! `enter` and `leave` are always inlined: they must add no frame of their own, since one
//! entered on one fiber and left on the other would pop a fresh fiber's empty shadow stack
//! before anything was pushed on it.
//!
//! The switches synchronise (TSan's default, no `__tsan_switch_to_fiber_no_sync`): a resume
//! happens after what the resumer did before it, and the resumer's code after the switch
//! back sees what the coroutine did — the program order of one thread, which it is. A
//! coroutine resumed on another thread gets no ordering from this alone beyond what the
//! previous resumer did before its own switch; the scheduler's hand-off (a run queue, a park
//! word) must order the rest, and TSan checks that it does.

#[cfg(gpm_tsan)]
mod imp {
    use std::ffi::c_void;

    // The TSan runtime's fiber interface (compiler-rt `tsan_interface.h`), linked in by
    // `-Zsanitizer=thread`.
    unsafe extern "C" {
        fn __tsan_get_current_fiber() -> *mut c_void;
        fn __tsan_create_fiber(flags: u32) -> *mut c_void;
        fn __tsan_destroy_fiber(fiber: *mut c_void);
        fn __tsan_switch_to_fiber(fiber: *mut c_void, flags: u32);
    }

    /// A coroutine's TSan fiber, destroyed on drop.
    pub(crate) struct Fiber(*mut c_void);

    // SAFETY: a TSan fiber is not tied to the thread that created it: any thread may switch
    // to it (one at a time, which `Coroutine::resume`'s `&mut self` ensures) or destroy it.
    unsafe impl Send for Fiber {}

    /// The fiber that ran before [`Fiber::enter`], to switch back to.
    #[must_use = "switch back with `leave` once the coroutine has switched back"]
    pub(crate) struct Entered(*mut c_void);

    impl Fiber {
        pub(crate) fn new() -> Fiber {
            // SAFETY: creates a fiber object; flags 0 (none are defined).
            Fiber(unsafe { __tsan_create_fiber(0) })
        }

        /// Tells TSan the calling thread now runs this fiber (see the module docs). Call it
        /// just before the corosensei call that switches to the coroutine.
        #[inline(always)]
        pub(crate) fn enter(&self) -> Entered {
            // SAFETY: 1. `self.0` is a live fiber (destroyed only on drop); 2. it is not
            // running on another thread: the caller resumes its coroutine through `&mut`.
            unsafe {
                let prev = __tsan_get_current_fiber();
                __tsan_switch_to_fiber(self.0, 0);
                Entered(prev)
            }
        }
    }

    impl Entered {
        /// Tells TSan the calling thread runs the fiber from before `enter` again. Call it
        /// right after the corosensei call returned (the coroutine has switched back).
        #[inline(always)]
        pub(crate) fn leave(self) {
            // SAFETY: `self.0` is the fiber that called `enter` on this thread's stack (the
            // thread's own, or a parent coroutine's, which lives while it waits in `resume`).
            unsafe { __tsan_switch_to_fiber(self.0, 0) }
        }
    }

    impl Drop for Fiber {
        fn drop(&mut self) {
            // SAFETY: the fiber does not run now: its coroutine has switched back (or never
            // ran), so the current fiber is another one.
            unsafe { __tsan_destroy_fiber(self.0) }
        }
    }
}

#[cfg(not(gpm_tsan))]
mod imp {
    /// No TSan: nothing to track.
    pub(crate) struct Fiber;

    /// No TSan: nothing to switch back to.
    pub(crate) struct Entered;

    impl Fiber {
        #[inline(always)]
        pub(crate) fn new() -> Fiber {
            Fiber
        }

        #[inline(always)]
        pub(crate) fn enter(&self) -> Entered {
            Entered
        }
    }

    impl Entered {
        #[inline(always)]
        pub(crate) fn leave(self) {}
    }
}

pub(crate) use imp::Fiber;
