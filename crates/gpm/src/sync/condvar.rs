//! `Condvar` for [`gpm::sync::Mutex`](super::Mutex) (Go's `sync.Cond`).
//!
//! A waiter queues itself on the wait list *before* unlocking the mutex, so a notify made
//! after the waiter released the mutex always finds it — and a waiter that arrives after a
//! notify is not in the list yet, so it cannot steal that notification (Go's
//! TestCondSignalStealing). A timed-out waiter aborts its `Waiter` first; a notifier that
//! meets the aborted entry skips it and wakes the next one, so no notification is lost.
//! A waiter cancelled in its park after a notify picked it passes the notification on.

use super::mutex::MutexGuard;
use crate::shim::{AtomicUsize, Lock, Ordering, WaitReason, Wake};
use crate::waiter::{Outcome, Waiter, WaiterRef};
use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

/// A condition variable: parks goroutines (or blocks threads) until notified.
pub struct Condvar {
    /// Queued waiters; lets a notify with nobody waiting skip the lock. SeqCst: a Dekker
    /// pair with the caller's condition update, as Go's `notifyList` fast path.
    nwait: AtomicUsize,
    list: Lock<VecDeque<WaiterRef>>,
}

/// Whether a [`Condvar::wait_timeout`] returned because its time ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// `true` if the wait timed out rather than being notified.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl Condvar {
    /// A condition variable with no waiters.
    pub fn new() -> Self {
        Self { nwait: AtomicUsize::new(0), list: Lock::new(VecDeque::new()) }
    }

    /// Unlocks `guard`'s mutex, parks until notified, and locks it again.
    #[track_caller]
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait_until(guard, None).0
    }

    /// Waits until `condition` is false, re-checking after every wake-up.
    #[track_caller]
    pub fn wait_while<'a, T: ?Sized>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while condition(&mut *guard) {
            guard = self.wait(guard);
        }
        guard
    }

    /// As [`Condvar::wait`], giving up after `timeout`.
    #[track_caller]
    pub fn wait_timeout<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
        let deadline = Instant::now().checked_add(timeout);
        self.wait_until(guard, deadline)
    }

    #[track_caller]
    fn wait_until<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
        let mutex = guard.mutex;
        let waiter = Waiter::new();
        {
            let mut list = self.list.lock();
            list.push_back(WaiterRef::new(&waiter));
            self.nwait.fetch_add(1, Ordering::SeqCst);
        }
        drop(guard);
        let queued = Queued { cv: self, waiter: &waiter };
        let outcome = waiter.wait(WaitReason::SyncCondWait, deadline);
        if outcome == Outcome::Aborted {
            drop(queued); // unqueue
        } else {
            std::mem::forget(queued); // the notifier unqueued us
        }
        mutex.raw().lock();
        (MutexGuard::relocked(mutex), WaitTimeoutResult(outcome == Outcome::Aborted))
    }

    /// Wakes one waiter, if any (the longest-waiting one).
    pub fn notify_one(&self) {
        if self.nwait.load(Ordering::SeqCst) == 0 {
            return;
        }
        let woken = {
            let mut list = self.list.lock();
            loop {
                let Some(entry) = list.pop_front() else { return };
                self.nwait.fetch_sub(1, Ordering::SeqCst);
                // SAFETY: popped under the list lock while queued: the waiter is alive.
                let waiter = unsafe { entry.get() };
                if waiter.try_claim(0) {
                    // SAFETY: claimed just now, under the lock, finished once.
                    break unsafe { waiter.finish(0) };
                }
                // Timed out: skip it, the notification goes to the next waiter.
            }
        };
        woken.wake();
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        if self.nwait.load(Ordering::SeqCst) == 0 {
            return;
        }
        let woken: Vec<_> = {
            let mut list = self.list.lock();
            self.nwait.store(0, Ordering::SeqCst);
            list.drain(..)
                .filter_map(|entry| {
                    // SAFETY: as in `notify_one`.
                    let waiter = unsafe { entry.get() };
                    // SAFETY: claimed just now, under the lock, finished once.
                    waiter.try_claim(0).then(|| unsafe { waiter.finish(0) })
                })
                .collect()
        };
        woken.iter().for_each(Wake::wake);
    }
}

/// A queued waiter; dropping it (timeout, or unwinding out of the park) unqueues it, and
/// holding the list lock meanwhile lets a notifier that beat the abort finish first.
struct Queued<'a> {
    cv: &'a Condvar,
    waiter: &'a Waiter,
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.waiter.try_abort();
        let notified = {
            let mut list = self.cv.list.lock();
            let before = list.len();
            list.retain(|e| !e.is(self.waiter));
            if list.len() < before {
                self.cv.nwait.fetch_sub(1, Ordering::SeqCst);
            }
            // Under the lock: a notifier claims and finishes under it.
            self.waiter.outcome() == Some(Outcome::Done(0))
        };
        if notified {
            // Only when unwinding out of the park (a normal wake-up forgets `Queued`): the
            // notification was meant for a waiter that will not act on it.
            self.cv.notify_one();
        }
    }
}

impl Default for Condvar {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
