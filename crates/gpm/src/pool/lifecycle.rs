//! A pool's life beyond single tasks: the purge goroutine (idle workers expire), `tune`,
//! `release`, `release_timeout` and `reboot` — the second half of `Core`'s methods
//! (`core.rs` has the per-task half). The races they prevent are listed in `README.md`.

use super::core::{Core, Idle};
use super::error::PoolError;
use super::worker::Msg;
use std::sync::Arc;
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

impl<J: Send + 'static> Core<J> {
    /// Tells the workers taken off the idle queue to exit (`running` counted them out).
    fn dismiss(slots: impl IntoIterator<Item = Idle<J>>) {
        for idle in slots {
            // A cancelled worker (`Err`) was counted out by whoever took it: nothing to do.
            let _ = idle.slot.hand(Msg::Exit);
        }
    }

    pub(super) fn start_purge(self: &Arc<Self>, epoch: u64) {
        if self.opts.disable_purge {
            return;
        }
        self.alive.fetch_add(1, Relaxed);
        struct Undo<'a, J: Send + 'static>(&'a Core<J>);
        impl<J: Send + 'static> Drop for Undo<'_, J> {
            fn drop(&mut self) {
                self.0.exited(); // the spawn panicked (no runtime): no purge to wait for
            }
        }
        let undo = Undo(self);
        let core = self.clone();
        drop(crate::go(move || core.purge(epoch)));
        std::mem::forget(undo);
    }

    /// The purge goroutine: every `expiry`, ends the workers idle for longer (ants'
    /// `purgeStaleWorkers`). The sleep is a timed wait on the runtime's timers.
    ///
    /// Idle workers are stamped with the round (`tick`), not the time: no clock read per
    /// task. A worker stamped `s` went idle after round `s` began; at round `t`, the ones
    /// with `s + 2 <= t` went idle before round `t - 1`, at least one `expiry` ago, and
    /// exit. So an idle worker lives between one and two `expiry`s, as in ants.
    fn purge(&self, epoch: u64) {
        /// Counts the purge out however it ends (also unwound by a runtime drop).
        struct Exit<'a, J: Send + 'static>(&'a Core<J>);
        impl<J: Send + 'static> Drop for Exit<'_, J> {
            fn drop(&mut self) {
                self.0.exited();
            }
        }
        let _exit = Exit(self);
        let expiry = self.opts.expiry;
        let mut next = Instant::now().checked_add(expiry);
        let mut st = self.state.lock();
        loop {
            if st.closed || st.epoch != epoch {
                break;
            }
            // A round every `expiry`, however the wait ended; none if `expiry` overflows.
            let left = next.map(|n| n.saturating_duration_since(Instant::now()));
            match left {
                None => {
                    st = self.purger.wait(st);
                    continue;
                }
                Some(left) if !left.is_zero() => {
                    st = self.purger.wait_timeout(st, left).0;
                    continue;
                }
                Some(_) => next = Instant::now().checked_add(expiry),
            }
            st.tick += 1;
            let tick = st.tick;
            let stale = st.idle.partition_point(|i| i.since + 2 <= tick);
            if stale == 0 {
                continue;
            }
            let gone: Vec<Idle<J>> = st.idle.drain(..stale).collect();
            self.running.fetch_sub(gone.len(), Relaxed);
            drop(st);
            Self::dismiss(gone);
            self.submitters.notify_all();
            st = self.state.lock();
        }
    }

    /// Changes the capacity; idle workers above it exit now, busy ones when their task ends.
    pub(crate) fn tune(&self, capacity: usize) -> Result<(), PoolError> {
        if capacity == 0 {
            return Err(PoolError::InvalidOption(
                "tune(0): a pool needs at least one worker; release() it to stop it".into(),
            ));
        }
        let mut st = self.state.lock();
        let grew = st.capacity.is_some_and(|old| capacity > old);
        st.capacity = Some(capacity);
        self.capacity.store(capacity, Relaxed);
        let excess = self.running.load(Relaxed).saturating_sub(capacity).min(st.idle.len());
        let gone: Vec<Idle<J>> = st.idle.drain(..excess).collect(); // the coldest first
        self.running.fetch_sub(gone.len(), Relaxed);
        drop(st);
        Self::dismiss(gone);
        if grew {
            self.submitters.notify_all();
        }
        Ok(())
    }

    /// Closes the pool: idle workers exit now, busy ones after their task; blocked
    /// submitters return [`PoolError::Closed`]; the purge goroutine ends. Idempotent.
    pub(crate) fn release(&self) {
        let mut st = self.state.lock();
        if st.closed {
            return;
        }
        st.closed = true;
        // Release; pairs with the Acquire in `submit`'s early check.
        self.closed.store(true, Release);
        let gone: Vec<Idle<J>> = st.idle.drain(..).collect();
        self.running.fetch_sub(gone.len(), Relaxed);
        drop(st);
        Self::dismiss(gone);
        self.submitters.notify_all();
        self.purger.notify_all();
    }

    /// `release`, then waits until every goroutine of the pool has returned.
    pub(crate) fn release_timeout(&self, timeout: Duration) -> Result<(), PoolError> {
        self.release();
        let deadline = Instant::now().checked_add(timeout);
        let mut st = self.state.lock();
        // Acquire; pairs with the AcqRel in `exited`.
        while self.alive.load(Acquire) > 0 {
            st = match deadline.map(|d| d.saturating_duration_since(Instant::now())) {
                Some(left) if left.is_zero() => return Err(PoolError::Timeout),
                Some(left) => self.quiet.wait_timeout(st, left).0,
                None => self.quiet.wait(st),
            };
        }
        Ok(())
    }

    /// Reopens a released pool (a new purge goroutine); a no-op on an open one.
    pub(crate) fn reboot(self: &Arc<Self>) {
        let mut st = self.state.lock();
        if !st.closed {
            return;
        }
        st.closed = false;
        st.epoch += 1;
        let epoch = st.epoch;
        self.closed.store(false, Release);
        drop(st);
        self.start_purge(epoch);
    }
}
