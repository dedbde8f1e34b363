//! A channel's queue of blocked senders or receivers (Go's `waitq` of `sudog`s).
//!
//! The queue is intrusive, as Go's: each entry is a [`Slot`] on the blocked party's stack
//! (or in its `select!` arm) holding the value slot, the links and a pointer to the
//! [`Waiter`]. Queueing and claiming are a few pointer writes — no allocation, no ring
//! buffer bookkeeping. The queue lives inside the channel's lock, so `&mut WaitQueue`
//! means "the lock is held": that is what makes dereferencing the entries sound (see the
//! protocol in `waiter.rs`). Entries whose waiter was completed on another channel or
//! aborted are *stale*; whoever meets one at the head unlinks it.
//!
//! Link invariant (under the lock): a slot is *linked* iff it is the head or its `prev`
//! is non-null; an unlinked slot has null `prev` and `next`. The owner of a slot unlinks it
//! ([`WaitQueue::remove`]) before the slot leaves its place, unless a claimer already did.
//!
//! Rejected: a `VecDeque` of (waiter, arm, slot) records (the previous design): its
//! head/len/capacity arithmetic on every push and pop cost more than the links, and a
//! removal was a `retain` over the whole queue.

use super::Receiver;
use crate::shim::{UnsafeCell, Wake};
use crate::waiter::{Waiter, WaiterRef};
use std::marker::PhantomData;
use std::{mem, ptr};

/// The value slot of a blocked operation — the message a sender offers, or the place a
/// receiver's message is put (`None` there after completion means "closed") — and its
/// queue entry (Go's `sudog`).
pub(crate) struct Slot<T> {
    value: UnsafeCell<Option<T>>,
    /// A blocked receiver completed by a dynamic `Select`'s send before that send has its
    /// message: where the message will come from (`Inner::pair_receiver` in `hchan.rs`).
    promise: UnsafeCell<Option<Receiver<T>>>,
    /// Touched only under the lock of the queue the slot is (or was last) pushed into.
    link: UnsafeCell<Link<T>>,
}

/// The queue entry part of a [`Slot`].
struct Link<T> {
    /// The blocked operation's waiter (set by `push`).
    waiter: Option<WaiterRef>,
    /// Which `select!` arm this entry is (0 for a plain send or receive).
    arm: usize,
    prev: *const Slot<T>,
    next: *const Slot<T>,
}

impl<T> Slot<T> {
    pub(crate) fn new(value: Option<T>) -> Self {
        let link = Link { waiter: None, arm: 0, prev: ptr::null(), next: ptr::null() };
        Self {
            value: UnsafeCell::new(value),
            promise: UnsafeCell::new(None),
            link: UnsafeCell::new(link),
        }
    }

    /// Owner side, once its wait settled: the promise a paired send left, if any.
    pub(crate) fn take_promise(&self) -> Option<Receiver<T>> {
        // SAFETY: the wait settled (DONE seen with Acquire): the claimer is done with the
        // slot and the owner is its only user again.
        self.promise.with_mut(|p| unsafe { (*p).take() })
    }

    /// Access to the value. The caller must be the slot's only user at the time: its owner
    /// while it is not queued (or after its wait settled), or the claimer under the lock.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut Option<T>) -> R) -> R {
        self.value.with_mut(f)
    }

    /// Runs `f` on the slot's queue links. The `&mut` lives only for the call, so no two
    /// can overlap (why this takes a closure rather than returning `&mut` from `&self`).
    ///
    /// # Safety
    /// The lock of the queue this slot is (or was last) pushed into is held, and `f` does
    /// not reach this slot's links again.
    #[inline(always)]
    unsafe fn with_link<R>(&self, f: impl FnOnce(&mut Link<T>) -> R) -> R {
        // SAFETY: the lock serialises every access to the links (caller's contract), and
        // the reference ends with `f`.
        self.link.with_mut(|p| f(unsafe { &mut *p }))
    }
}

// SAFETY: the raw links are dereferenced only under the channel lock while the entry is
// queued (its owner keeps it alive until then); a `T` moved through a slot crosses threads,
// hence `T: Send`.
unsafe impl<T: Send> Send for WaitQueue<T> {}

/// The blocked senders or receivers of one channel, oldest first.
pub(crate) struct WaitQueue<T> {
    head: *const Slot<T>,
    tail: *const Slot<T>,
}

impl<T> WaitQueue<T> {
    pub(crate) fn new() -> Self {
        Self { head: ptr::null(), tail: ptr::null() }
    }

    /// Queues a blocked operation at the tail.
    ///
    /// # Safety
    /// `waiter` and `slot` stay alive and in place until the entry has been claimed by a
    /// completer (the waiter reached `DONE`) or removed with [`WaitQueue::remove`]; `slot`
    /// is not linked in any queue now.
    #[inline]
    pub(crate) unsafe fn push(&mut self, waiter: &Waiter, arm: usize, slot: &Slot<T>) {
        let (me, tail): (*const Slot<T>, _) = (slot, self.tail);
        let link =
            Link { waiter: Some(WaiterRef::new(waiter)), arm, prev: tail, next: ptr::null() };
        // SAFETY: `&mut self`: the lock is held; `slot` is unlinked (caller's contract).
        unsafe { slot.with_link(|l| *l = link) };
        match tail.is_null() {
            true => self.head = me,
            // SAFETY: the tail is linked, so alive (its owner unlinks it before leaving).
            false => unsafe { (*tail).with_link(|l| l.next = me) },
        }
        self.tail = me;
    }

    /// Unlinks the head. Returns it with its waiter and arm.
    #[inline]
    fn pop_front(&mut self) -> Option<(ptr::NonNull<Slot<T>>, WaiterRef, usize)> {
        let slot = ptr::NonNull::new(self.head.cast_mut())?;
        // SAFETY: the head is linked, so alive; the lock is held (`&mut self`).
        let (next, waiter, arm) = unsafe {
            slot.as_ref().with_link(|l| (mem::replace(&mut l.next, ptr::null()), l.waiter, l.arm))
        };
        self.head = next;
        let waiter = waiter.expect("waitq: linked slot without a waiter");
        match self.head.is_null() {
            true => self.tail = ptr::null(),
            // SAFETY: the new head is linked, so alive.
            false => unsafe { (*self.head).with_link(|l| l.prev = ptr::null()) },
        }
        Some((slot, waiter, arm))
    }

    /// Claims the oldest live entry, unlinking stale ones on the way. (A registering select
    /// never claims: it only asks [`WaitQueue::has_live`], which skips its own entries, so a
    /// select never pairs with itself.)
    #[inline]
    pub(crate) fn claim_first(&mut self) -> Option<Claimed<'_, T>> {
        while let Some((slot, waiter, arm)) = self.pop_front() {
            // SAFETY: the lock is held and the entry was queued until now.
            let w = unsafe { waiter.get() };
            if w.try_claim(arm) {
                return Some(Claimed { slot, waiter: w, arm, _lock: PhantomData });
            }
        }
        None
    }

    /// Whether some other operation is blocked here and still live (a ready partner).
    pub(crate) fn has_live(&self, me: Option<&Waiter>) -> bool {
        let mut cur = self.head;
        while !cur.is_null() {
            // SAFETY: `&self` is only reachable through the channel lock; `cur` is linked.
            let (waiter, next) = unsafe { (*cur).with_link(|l| (l.waiter, l.next)) };
            let waiter = waiter.expect("waitq: linked slot without a waiter");
            // SAFETY: as above: the entry is queued, so its waiter is alive.
            if !me.is_some_and(|me| waiter.is(me)) && unsafe { waiter.get() }.is_waiting() {
                return true;
            }
            cur = next;
        }
        false
    }

    /// Unlinks `slot` if it is still queued here (the owner giving up: timeout, abort,
    /// select cleanup); a no-op if a claimer or a stale-entry sweep already unlinked it.
    pub(crate) fn remove(&mut self, slot: &Slot<T>) {
        let me: *const Slot<T> = slot;
        // SAFETY: `&mut self`: the lock is held; `slot` was last pushed into this queue.
        let (prev, next) = unsafe { slot.with_link(|l| (l.prev, l.next)) };
        if prev.is_null() && self.head != me {
            return; // not linked
        }
        // SAFETY: as above.
        unsafe { slot.with_link(|l| (l.prev, l.next) = (ptr::null(), ptr::null())) };
        match prev.is_null() {
            true => self.head = next,
            // SAFETY: `prev` is linked, so alive.
            false => unsafe { (*prev).with_link(|l| l.next = next) },
        }
        match next.is_null() {
            true => self.tail = prev,
            // SAFETY: `next` is linked, so alive.
            false => unsafe { (*next).with_link(|l| l.prev = prev) },
        }
    }

    /// Claims and finishes every live entry without a transfer (close / disconnect: the
    /// slots keep what they hold) and returns the wake-ups to make after unlocking.
    pub(crate) fn finish_all(&mut self) -> Vec<Wake> {
        let mut wake = Vec::new();
        while let Some(claimed) = self.claim_first() {
            wake.push(claimed.finish());
        }
        wake
    }

    /// As [`finish_all`](Self::finish_all), leaving `me`'s own entries queued: a select
    /// that registers an arm must not wake its own watch entry (it would wake, find nothing,
    /// register again and wake itself again, never parking).
    pub(crate) fn finish_others(&mut self, me: &Waiter) -> Vec<Wake> {
        let mut wake = Vec::new();
        let mut cur = self.head;
        while !cur.is_null() {
            // SAFETY: `&mut self`: the lock is held; `cur` is linked, so alive.
            let slot = unsafe { &*cur };
            // SAFETY: as above.
            let (waiter, arm, next) = unsafe { slot.with_link(|l| (l.waiter, l.arm, l.next)) };
            let waiter = waiter.expect("waitq: linked slot without a waiter");
            if !waiter.is(me) {
                self.remove(slot);
                // SAFETY: the entry was queued until now, under this lock.
                let w = unsafe { waiter.get() };
                if w.try_claim(arm) {
                    // SAFETY: claimed just now under this lock, finished once.
                    wake.push(unsafe { w.finish(arm) });
                }
            }
            cur = next;
        }
        wake
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_null()
    }
}

/// An entry whose waiter this thread claimed, unlinked and still under the channel lock:
/// the transfer happens through it, then [`Claimed::finish`] publishes `DONE`.
pub(crate) struct Claimed<'q, T> {
    slot: ptr::NonNull<Slot<T>>,
    waiter: &'q Waiter,
    arm: usize,
    /// Ties the claim to the borrow of the locked queue.
    _lock: PhantomData<&'q mut WaitQueue<T>>,
}

impl<T> Claimed<'_, T> {
    /// The `select!` arm (or watch marker) the entry was queued with.
    pub(crate) fn arm(&self) -> usize {
        self.arm
    }

    /// Takes the value out of the waiter's slot (a blocked sender's message).
    #[inline]
    pub(crate) fn take(&mut self) -> Option<T> {
        // SAFETY: (1) the slot is alive: its owner cannot return before `finish` publishes
        // DONE, and the lock is still held; (2) the claim makes this thread its only user
        // until `finish`.
        self.slot_mut(|slot| slot.take())
    }

    /// Puts a message into the waiter's slot (a blocked receiver).
    #[inline]
    pub(crate) fn put(&mut self, value: T) {
        self.slot_mut(|slot| *slot = Some(value));
    }

    /// Leaves a promise in the waiter's slot (a blocked receiver paired with a dynamic
    /// `Select`'s send that has no message yet).
    pub(crate) fn put_promise(&mut self, promise: Receiver<T>) {
        // SAFETY: as in `slot_mut`.
        unsafe { self.slot.as_ref() }.promise.with_mut(|p| unsafe { *p = Some(promise) });
    }

    /// Publishes `DONE(arm)`; the returned wake-up is to be made after unlocking.
    #[inline]
    pub(crate) fn finish(self) -> Wake {
        // SAFETY: claimed by this thread with `try_claim`, lock held, finished once (`self`
        // is consumed).
        unsafe { self.waiter.finish(self.arm) }
    }

    #[inline(always)]
    fn slot_mut<R>(&mut self, f: impl FnOnce(&mut Option<T>) -> R) -> R {
        // SAFETY: only on a claimed entry under the lock: the slot is alive and no one else
        // accesses its value until `finish` publishes DONE (the owner reads it after).
        unsafe { self.slot.as_ref().with_mut(|p| f(&mut *p)) }
    }
}
