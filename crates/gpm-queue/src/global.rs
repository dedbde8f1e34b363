//! `Global<T>`: Go's global run queue (`sched.runq`): an MPMC FIFO with batch operations.
//!
//! Why a lock and a `VecDeque`: see the measurements on [`Global`].

use std::collections::VecDeque;
use std::sync::PoisonError;

use crate::local::Local;
use crate::ring::CAP;
use crate::sync::{AtomicUsize, Mutex, MutexGuard, Ordering::*};

/// The global run queue: MPMC, `Send + Sync` when `T: Send`.
///
/// Implementation: a `Mutex<VecDeque<T>>` plus an atomic length read without the lock.
/// Chosen by measurement on the target machine (2 cores; criterion, `usize` items) against
/// crossbeam-deque's `Injector` and crossbeam-queue's `SegQueue`: the mutex was as fast or
/// faster one item at a time on one thread, and several times faster per item in batches,
/// while the lock-free queues won only single-item pushes and pops from two threads at once
/// (the figures are in the commit that chose it).
///
/// The scheduler uses the global queue mostly in batches (a full ring spills half of itself
/// plus one item; `globrunqget` refills up to half a ring), and a lock moves a whole batch for
/// two atomic operations, where the lock-free queues pay one or two per item: 4–6× faster per
/// item. Single items under contention are where the lock loses (5×), which Go accepts too:
/// its `sched.runq` is a lock and an intrusive list. An intrusive list would avoid the
/// `VecDeque`'s buffer, but needs a link field in `T`; this crate is generic over any
/// `T: Send`. The atomic `len` lets idle Ps check for work without taking the lock.
pub struct Global<T> {
    queue: Mutex<VecDeque<T>>,
    /// `queue.len()`, stored under the lock, read without it.
    len: AtomicUsize,
}

impl<T> core::fmt::Debug for Global<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Global").field("len", &self.len()).finish_non_exhaustive()
    }
}

impl<T> Default for Global<T> {
    fn default() -> Self {
        Global { queue: Mutex::new(VecDeque::new()), len: AtomicUsize::new(0) }
    }
}

impl<T> Global<T> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of items: a snapshot, without taking the lock.
    pub fn len(&self) -> usize {
        // Relaxed: a hint, as Go's unlocked reads of `sched.runqsize`. A consumer that must
        // see a push synchronizes with the pusher some other way (the wake-up after a push).
        self.len.load(Relaxed)
    }

    /// `len() == 0`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lock. A panic while it was held (in a caller's iterator) leaves the `VecDeque`
    /// consistent, so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, VecDeque<T>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores the new length; called with the lock held.
    #[inline]
    fn set_len(&self, queue: &VecDeque<T>) {
        // Relaxed: see `len()`; the lock orders the queue itself.
        self.len.store(queue.len(), Relaxed);
    }
}

impl<T: Send> Global<T> {
    /// Appends one item.
    pub fn push(&self, item: T) {
        let mut queue = self.lock();
        queue.push_back(item);
        self.set_len(&queue);
    }

    /// Appends every item, in order, under one lock acquisition (Go's `globrunqputbatch`).
    pub fn push_batch(&self, items: impl IntoIterator<Item = T>) {
        let mut queue = self.lock();
        queue.extend(items);
        self.set_len(&queue);
    }

    /// Takes the oldest item.
    pub fn pop(&self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let mut queue = self.lock();
        let item = queue.pop_front();
        self.set_len(&queue);
        item
    }

    /// Go's `globrunqget`: takes up to `max` items (`0` means no limit of the caller's),
    /// bounded by half a ring and by `dst`'s free room; returns the first and pushes the rest,
    /// in order, onto `dst`. The scheduler passes `max = len / procs + 1`.
    pub fn pop_batch_into(&self, dst: &mut Local<T>, max: usize) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let room = dst.room() as usize;
        let mut queue = self.lock();
        let mut n = queue.len().min(CAP as usize / 2).min(room + 1);
        if max > 0 {
            n = n.min(max);
        }
        let first = queue.pop_front()?;
        for (i, item) in queue.drain(..n - 1).enumerate() {
            // SAFETY: `i < n - 1 <= room`, and these offsets are written once each.
            unsafe { dst.write_unpublished(i as u32, item) };
        }
        self.set_len(&queue);
        drop(queue);
        dst.publish(n as u32 - 1);
        Some(first)
    }
}
