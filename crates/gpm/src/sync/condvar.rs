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

/// A condition variable for a [`gpm::sync::Mutex`](super::Mutex) (Go's `sync.Cond`):
/// parks goroutines (or blocks threads) until notified. A notify made after a waiter
/// released the mutex always reaches a waiter; wake-ups may be spurious, so wait in a
/// loop on a condition ([`wait_while`](Condvar::wait_while) does).
///
/// ```
/// use gpm::sync::{Condvar, Mutex};
/// use std::sync::Arc;
///
/// let rt = gpm::Runtime::single_thread()?;
/// let got = rt.block_on(|| {
///     let pair = Arc::new((Mutex::new(None), Condvar::new()));
///     let p = pair.clone();
///     gpm::go(move || {
///         let (slot, cv) = &*p;
///         *slot.lock() = Some("ready");
///         cv.notify_one();
///     });
///     let (slot, cv) = &*pair;
///     let mut guard = slot.lock();
///     while guard.is_none() {
///         guard = cv.wait(guard);
///     }
///     guard.take().unwrap()
/// });
/// assert_eq!(got, "ready");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Condvar {
    /// Queued waiters; lets a notify with nobody waiting skip the lock. SeqCst: a Dekker
    /// pair with the caller's condition update, as Go's `notifyList` fast path.
    nwait: AtomicUsize,
    list: Lock<VecDeque<WaiterRef>>,
}

/// Whether a [`Condvar::wait_timeout`] returned because its time ran out.
///
/// ```
/// let (m, cv) = (gpm::sync::Mutex::new(()), gpm::sync::Condvar::new());
/// let (_guard, r) = cv.wait_timeout(m.lock(), std::time::Duration::from_millis(1));
/// assert!(r.timed_out()); // nobody notified
/// ```
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
    ///
    /// ```
    /// let cv = gpm::sync::Condvar::new();
    /// cv.notify_all(); // nobody waits: nothing happens, and nothing is remembered
    /// ```
    pub fn new() -> Self {
        Self { nwait: AtomicUsize::new(0), list: Lock::new(VecDeque::new()) }
    }

    /// Unlocks `guard`'s mutex, parks until notified, and locks it again. May wake with no
    /// notification meant for it: check the condition in a loop.
    ///
    /// ```
    /// use gpm::sync::{Condvar, Mutex};
    /// use std::sync::Arc;
    /// let pair = Arc::new((Mutex::new(0), Condvar::new()));
    /// let p = pair.clone();
    /// let t = std::thread::spawn(move || {
    ///     *p.0.lock() = 1;
    ///     p.1.notify_one();
    /// });
    /// let mut n = pair.0.lock();
    /// while *n == 0 {
    ///     n = pair.1.wait(n); // a plain thread blocks
    /// }
    /// assert_eq!(*n, 1);
    /// # drop(n);
    /// # t.join().unwrap();
    /// ```
    #[track_caller]
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait_until(guard, None).0
    }

    /// Waits until `condition` is false, re-checking after every wake-up.
    ///
    /// ```
    /// use gpm::sync::{Condvar, Mutex};
    /// use std::sync::Arc;
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let state = Arc::new((Mutex::new(0u32), Condvar::new()));
    ///     for _ in 0..3 {
    ///         let s = state.clone();
    ///         gpm::go(move || {
    ///             *s.0.lock() += 1;
    ///             s.1.notify_all();
    ///         });
    ///     }
    ///     let done = state.1.wait_while(state.0.lock(), |n| *n < 3);
    ///     assert_eq!(*done, 3);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
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

    /// As [`Condvar::wait`], giving up after `timeout`; the mutex is locked again either
    /// way.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = gpm::Runtime::single_thread()?;
    /// let timed_out = rt.block_on(|| {
    ///     let (m, cv) = (gpm::sync::Mutex::new(0), gpm::sync::Condvar::new());
    ///     let (guard, r) = cv.wait_timeout(m.lock(), Duration::from_millis(1));
    ///     assert_eq!(*guard, 0); // locked again
    ///     r.timed_out()
    /// });
    /// assert!(timed_out);
    /// # Ok::<(), std::io::Error>(())
    /// ```
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

    /// Wakes one waiter, if any (the longest-waiting one). With none, the notification is
    /// lost (not stored): change the condition under the mutex first.
    ///
    /// ```
    /// use gpm::sync::{Condvar, Mutex};
    /// use std::sync::Arc;
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let jobs = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
    ///     let j = jobs.clone();
    ///     let worker = gpm::go(move || {
    ///         let mut q = j.1.wait_while(j.0.lock(), |q: &mut Vec<u32>| q.is_empty());
    ///         q.pop()
    ///     });
    ///     jobs.0.lock().push(7);
    ///     jobs.1.notify_one();
    ///     assert_eq!(worker.join().unwrap(), Some(7));
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
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
    ///
    /// ```
    /// use gpm::sync::{Condvar, Mutex};
    /// use std::sync::Arc;
    /// let rt = gpm::Runtime::single_thread()?;
    /// let woken = rt.block_on(|| {
    ///     let gate = Arc::new((Mutex::new(false), Condvar::new()));
    ///     let hs: Vec<_> = (0..4)
    ///         .map(|_| {
    ///             let g = gate.clone();
    ///             gpm::go(move || drop(g.1.wait_while(g.0.lock(), |open| !*open)))
    ///         })
    ///         .collect();
    ///     gpm::yield_now(); // all four wait
    ///     *gate.0.lock() = true;
    ///     gate.1.notify_all();
    ///     hs.into_iter().map(|h| h.join().unwrap()).count()
    /// });
    /// assert_eq!(woken, 4);
    /// # Ok::<(), std::io::Error>(())
    /// ```
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
