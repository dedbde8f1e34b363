//! `Sema`: a counting semaphore with a FIFO (or LIFO-on-request) queue of parked waiters —
//! Go's `runtime_Semacquire` / `runtime_Semrelease`, the building block of `Mutex`,
//! `RwLock`, `WaitGroup` and `Semaphore`.
//!
//! `release(handoff = true)` gives the count straight to the first waiter (Go's
//! `s.ticket = 1`), which is how a starving `Mutex` hands the lock over. The `nwait` count
//! lets `release` skip the queue lock when nobody waits; `acquire` increments it and then
//! re-checks the count, `release` increments the count and then reads `nwait`. That is a
//! Dekker pair (each side writes one word, then reads the other): a SeqCst fence on each
//! side between the two makes sure at least one side sees the other's write — acquire/
//! release alone would let both read the old values and the waiter sleep forever.

use crate::shim::{AtomicU32, Lock, Ordering, WaitReason, fence};
use crate::waiter::{Outcome, Waiter, WaiterRef};
use std::collections::VecDeque;

/// The outcome arm a releaser publishes when it handed the count over.
const HANDOFF: usize = 1;
/// The outcome arm of a plain wake-up (the waiter competes for the count again).
const WOKEN: usize = 0;

pub(crate) struct Sema {
    /// Available count (Go's `*addr`).
    count: AtomicU32,
    /// Queued waiters (Go's `semaRoot.nwait`).
    nwait: AtomicU32,
    queue: Lock<VecDeque<WaiterRef>>,
}

impl Sema {
    pub(crate) fn new(count: u32) -> Self {
        Self {
            count: AtomicU32::new(count),
            nwait: AtomicU32::new(0),
            queue: Lock::new(VecDeque::new()),
        }
    }

    /// The available count now.
    pub(crate) fn count(&self) -> u32 {
        self.count.load(Ordering::Relaxed)
    }

    /// Takes one count if available (Go's `cansemacquire`).
    #[inline]
    pub(crate) fn try_acquire(&self) -> bool {
        let mut v = self.count.load(Ordering::Relaxed);
        loop {
            if v == 0 {
                return false;
            }
            // SeqCst: as Go's semaphore (every access sequentially consistent).
            match self.count.compare_exchange_weak(v, v - 1, Ordering::SeqCst, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(now) => v = now,
            }
        }
    }

    /// Takes `n` counts at once if that many are available (`Semaphore::try_acquire_many`).
    #[inline]
    pub(crate) fn try_acquire_n(&self, n: u32) -> bool {
        let mut v = self.count.load(Ordering::Relaxed);
        loop {
            if v < n {
                return false;
            }
            // SeqCst: as `try_acquire`.
            match self.count.compare_exchange_weak(v, v - n, Ordering::SeqCst, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(now) => v = now,
            }
        }
    }

    /// Takes one count, parking while there is none. `lifo` queues at the front (a waiter
    /// that was already woken once and lost the race, as Go's `SemacquireMutex`).
    #[track_caller]
    pub(crate) fn acquire(&self, lifo: bool, reason: WaitReason) {
        if !self.try_acquire() {
            self.acquire_slow(lifo, reason);
        }
    }

    #[cold]
    #[track_caller]
    fn acquire_slow(&self, lifo: bool, reason: WaitReason) {
        loop {
            let waiter = Waiter::new();
            {
                let mut q = self.queue.lock();
                self.nwait.fetch_add(1, Ordering::SeqCst);
                // The Dekker pair with `release` (module docs).
                fence(Ordering::SeqCst);
                if self.try_acquire() {
                    self.nwait.fetch_sub(1, Ordering::SeqCst);
                    return;
                }
                let entry = WaiterRef::new(&waiter);
                if lifo { q.push_front(entry) } else { q.push_back(entry) }
            }
            let queued = Queued { sema: self, waiter: &waiter };
            let outcome = waiter.wait(reason, None);
            std::mem::forget(queued); // completed: the releaser unqueued us
            if outcome == Outcome::Done(HANDOFF) || self.try_acquire() {
                return;
            }
        }
    }

    /// Adds one count and wakes the first waiter; with `handoff` the count goes to that
    /// waiter directly, so no newcomer can barge in.
    pub(crate) fn release(&self, handoff: bool) {
        self.count.fetch_add(1, Ordering::SeqCst);
        // The Dekker pair with `acquire_slow` (module docs).
        fence(Ordering::SeqCst);
        if self.nwait.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.release_slow(handoff);
    }

    #[cold]
    fn release_slow(&self, handoff: bool) {
        let woken = {
            let mut q = self.queue.lock();
            loop {
                let Some(entry) = q.pop_front() else { return };
                self.nwait.fetch_sub(1, Ordering::SeqCst);
                // SAFETY: popped under the queue lock while queued: the waiter is alive.
                let waiter = unsafe { entry.get() };
                if !waiter.try_claim(0) {
                    continue; // its owner is unwinding out of the wait
                }
                let arm = if handoff && self.try_acquire() { HANDOFF } else { WOKEN };
                // SAFETY: claimed just now, under the lock, finished once.
                break unsafe { waiter.finish(arm) };
            }
        };
        woken.wake();
    }
}

/// A queued acquirer; dropped only when unwinding out of the park (a cancelled goroutine):
/// unqueues the waiter, or passes on a count that was handed to it.
struct Queued<'a> {
    sema: &'a Sema,
    waiter: &'a Waiter,
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if self.waiter.try_abort() {
            let mut q = self.sema.queue.lock();
            let before = q.len();
            q.retain(|e| !e.is(self.waiter));
            if q.len() < before {
                self.sema.nwait.fetch_sub(1, Ordering::SeqCst);
            }
            return;
        }
        drop(self.sema.queue.lock()); // a claimer is finishing under this lock
        if self.waiter.outcome() == Some(Outcome::Done(HANDOFF)) {
            self.sema.release(true);
        }
    }
}
