//! A channel's queue of blocked senders or receivers (Go's `waitq` of `sudog`s).
//!
//! An entry points at a [`Waiter`] and a value slot, both on the blocked party's stack (or
//! in its `select!` arm). The queue lives inside the channel's lock, so `&mut WaitQueue`
//! means "the lock is held": that is what makes dereferencing the entries sound (see the
//! protocol in `sync/waiter.rs`). Entries whose waiter was completed on another channel or
//! aborted are *stale*; whoever meets one at the head drops it.

use crate::sync::shim::{Unparker, UnsafeCell};
use crate::sync::waiter::{Waiter, WaiterRef};
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// The value slot of a blocked operation: the message a sender offers, or the place a
/// receiver's message is put (`None` there after completion means "closed").
pub(crate) type Slot<T> = UnsafeCell<Option<T>>;

/// One blocked operation on this channel (Go's `sudog`).
struct Sudog<T> {
    waiter: WaiterRef,
    /// Which `select!` arm this entry is (0 for a plain send or receive).
    arm: usize,
    slot: NonNull<Slot<T>>,
}

// SAFETY: the pointers are dereferenced only under the channel lock while the entry is
// queued (the owner keeps both alive until then); a `T` moved through the slot crosses
// threads, hence `T: Send`.
unsafe impl<T: Send> Send for Sudog<T> {}

/// The blocked senders or receivers of one channel, oldest first.
pub(crate) struct WaitQueue<T> {
    q: VecDeque<Sudog<T>>,
}

impl<T> WaitQueue<T> {
    pub(crate) fn new() -> Self {
        Self { q: VecDeque::new() }
    }

    /// Queues a blocked operation.
    ///
    /// # Safety
    /// `waiter` and `slot` stay alive and in place until the entry has been claimed by a
    /// completer (the waiter reached `DONE`) or removed with [`WaitQueue::remove`].
    pub(crate) unsafe fn push(&mut self, waiter: &Waiter, arm: usize, slot: &Slot<T>) {
        let slot = NonNull::from(slot);
        self.q.push_back(Sudog { waiter: WaiterRef::new(waiter), arm, slot });
    }

    /// Claims the oldest live entry, dropping stale ones on the way. (A registering select
    /// never claims: it only asks [`WaitQueue::has_live`], which skips its own entries, so a
    /// select never pairs with itself.)
    #[inline]
    pub(crate) fn claim_first(&mut self) -> Option<Claimed<'_, T>> {
        while let Some(entry) = self.q.pop_front() {
            // SAFETY: `&mut self` means the channel lock is held, and the entry was queued.
            if unsafe { entry.waiter.get() }.try_claim(entry.arm) {
                return Some(Claimed { sudog: entry, _lock: PhantomData });
            }
        }
        None
    }

    /// Whether some other operation is blocked here and still live (a ready partner).
    pub(crate) fn has_live(&self, me: Option<&Waiter>) -> bool {
        self.q.iter().any(|e| {
            // SAFETY: `&self` is only reachable through the channel lock; the entry is queued.
            !me.is_some_and(|me| e.waiter.is(me)) && unsafe { e.waiter.get() }.is_waiting()
        })
    }

    /// Removes every entry of `me` (the owner giving up: timeout, abort, select cleanup).
    pub(crate) fn remove(&mut self, me: &Waiter) {
        self.q.retain(|e| !e.waiter.is(me));
    }

    /// Claims and finishes every live entry without a transfer (close / disconnect: the
    /// slots keep what they hold) and returns the unparkers to wake after unlocking.
    pub(crate) fn finish_all(&mut self) -> Vec<Unparker> {
        let mut wake = Vec::new();
        while let Some(claimed) = self.claim_first() {
            wake.push(claimed.finish());
        }
        wake
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.q.is_empty()
    }
}

/// An entry whose waiter this thread claimed, still under the channel lock: the transfer
/// happens through it, then [`Claimed::finish`] publishes `DONE`.
pub(crate) struct Claimed<'q, T> {
    sudog: Sudog<T>,
    /// Ties the claim to the borrow of the locked queue.
    _lock: PhantomData<&'q mut WaitQueue<T>>,
}

impl<T> Claimed<'_, T> {
    /// Takes the value out of the waiter's slot (a blocked sender's message).
    pub(crate) fn take(&mut self) -> Option<T> {
        // SAFETY: (1) the slot is alive: the entry was queued when claimed and the lock is
        // still held; (2) the claim makes this thread its only user until `finish`.
        self.sudog.slot_mut(|slot| slot.take())
    }

    /// Puts a message into the waiter's slot (a blocked receiver).
    pub(crate) fn put(&mut self, value: T) {
        self.sudog.slot_mut(|slot| *slot = Some(value));
    }

    /// Publishes `DONE(arm)`; the returned unparker is to be woken after unlocking.
    pub(crate) fn finish(self) -> Unparker {
        // SAFETY: claimed by this thread with `try_claim`, lock held, finished once (`self`
        // is consumed).
        unsafe { self.sudog.waiter.get().finish(self.sudog.arm) }
    }
}

impl<T> Sudog<T> {
    fn slot_mut<R>(&mut self, f: impl FnOnce(&mut Option<T>) -> R) -> R {
        // SAFETY: only called on a claimed entry under the lock: the slot is alive and no
        // one else accesses it until `finish` publishes DONE (the owner reads it after).
        unsafe { self.slot.as_ref().with_mut(|p| f(&mut *p)) }
    }
}
