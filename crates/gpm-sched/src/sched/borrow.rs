//! Goroutine code borrowing its M's P (`Sched::with_local_p`, `with_p_of`): a claim of
//! the lent P (`ownership.rs`), lent back when `f` returns, or an idle P reacquired if the
//! claim finds it retaken.

use std::sync::atomic::Ordering::Release;

use crate::context::current_m;
use crate::m::M;
use crate::ownership::OwnedP;

use super::Sched;

impl Sched {
    /// Runs `f` with the calling M's P owned, from goroutine code: under a claim
    /// (`ownership.rs`), lent back to goroutine code afterwards; reacquires an idle P if the
    /// claim finds the P retaken. `None` on a plain thread, on an M of another runtime,
    /// inside `blocking`, on an M's own stack (the schedule loop holds the P there, and
    /// passes it to what needs it), or with no P to be had.
    #[inline]
    pub(crate) fn with_local_p<R>(&self, f: impl FnOnce(&mut OwnedP<'_>) -> R) -> Option<R> {
        self.with_p_of(current_m(), f)
    }

    /// `with_local_p` for the calling thread's M `m` (null on a plain thread), read by the
    /// caller with no switch since. `f` must not call `with_p_of` again (a second claim:
    /// debug builds panic in `M::claim`); it is given the P to pass down instead.
    #[inline]
    pub(crate) fn with_p_of<R>(
        &self,
        m: *const M,
        f: impl FnOnce(&mut OwnedP<'_>) -> R,
    ) -> Option<R> {
        if m.is_null() {
            return None;
        }
        // SAFETY: a non-null current M is alive on this thread (see `context`).
        let m = unsafe { &*m };
        if !std::ptr::eq(m.sched, self) || m.cur_g.get().is_null() {
            return None;
        }
        if m.in_syscall.get() {
            // Inside `blocking`: this M may block for long and its P may be handed on at any
            // moment, so work readied here goes to the global queue with the fenced wake-up
            // (as Go's `ready` from a syscall finds no P), not to this P's `runnext`.
            return None;
        }
        // SAFETY: goroutine code (`cur_g` is set) on its M's thread: the schedule loop lent
        // the P before resuming it and claims only after the switch back, and `f` makes no
        // claim of its own (doc above); the P is lent back below before anything else runs.
        let mut p = match unsafe { m.claim() } {
            Some(p) => p,
            None => self.reacquire_p(m)?,
        };
        let r = f(&mut p);
        m.lend(p);
        Some(r)
    }

    /// From a goroutine whose P was retaken: take an idle P for its M (status `Running`;
    /// the caller lends it to goroutine code with `M::lend`).
    #[cold]
    pub(crate) fn reacquire_p(&self, m: &M) -> Option<OwnedP<'_>> {
        let p = self.pidleget()?;
        m.set_p(&p);
        // Release: pairs with the Acquire in sysmon's `slice_over`, which writes through it.
        p.p().cur_g.store(m.cur_g.get() as *mut _, Release);
        Some(p)
    }
}
