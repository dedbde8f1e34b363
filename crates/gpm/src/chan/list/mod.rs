//! The unbounded channel's message list: crossbeam-channel's lock-free list of blocks,
//! with gpm's waiter for receivers that find it empty.
//!
//! # The list (crossbeam-channel's `flavors/list.rs`, kept step for step)
//! Messages get consecutive indices; `LAP` indices make a block of `BLOCK_CAP` slots (the
//! last index of a lap is a gap that marks "go to the next block"). A sender reserves an
//! index by CAS on `tail.index`, then writes the slot and sets its `WRITE` bit; a receiver
//! reserves by CAS on `head.index`, waits for `WRITE`, reads, and sets `READ`. The races
//! each step settles:
//! - two senders (or two receivers) on one index: the CAS on the index gives it to one;
//! - a receiver reaching an index whose sender has reserved but not yet written: it spins
//!   on the slot's `WRITE` bit (the sender is between two instructions, never parked);
//! - the end of a block: the sender of the last slot installs the next block it allocated
//!   in advance, others spin until `tail.block` moves; the receiver of the last slot moves
//!   `head.block` after `next` is set;
//! - freeing a block while a slow reader is still in it: the reader of the last slot frees
//!   the block only after marking earlier slots `DESTROY`; a reader that finds `DESTROY` on
//!   its slot after reading finishes the destruction (`Block::destroy`);
//! - a send after the last receiver left: `MARK_BIT` in `tail.index` makes the reservation
//!   fail; the same bit is set by the last sender (or `close`) to say "disconnected".
//!
//! # Blocking receivers
//! A receiver that finds the list empty pushes an entry for its [`Waiter`] into `waiters`
//! (a [`WaitQueue`] under a lock), publishes `has_waiters`, re-checks the list, and parks.
//! A sender, after writing, reads `has_waiters`; only if set does it take the lock, claim
//! the oldest live entry and wake it. The woken receiver (or `select!` arm) then *tries*
//! to receive: the entry carries no message (another receiver may take it first, which is
//! fine: a message was consumed for each wake-up). The lost wake-up this must prevent —
//! the receiver checks "empty", the sender writes and sees "no waiters", the receiver
//! parks — is a store-buffering race (the receiver stores the flag then loads `tail`, the
//! sender moves `tail` then loads the flag), so both sides use `SeqCst` on exactly those
//! accesses: with acquire/release alone each could miss the other's store.
//!
//! Rejected: the hchan design (one lock over a `VecDeque`): every send takes the lock, which
//! is what an unbounded channel with many producers must avoid; a waiter per message (Go
//! has none: its channels are never unbounded).

use super::error::TryRecvError;
use super::waitq::{Slot as WaitSlot, WaitQueue};
use crate::shim::{AtomicPtr, AtomicUsize, Lock, Ordering, WaitReason, Wake, fence, multicore};
use crate::waiter::Waiter;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr;
use std::time::Instant;

mod block;

use block::{Backoff, Block};

const WRITE: usize = 1;
const READ: usize = 2;
const DESTROY: usize = 4;

/// Indices per block (one lap). Shrunk under loom so the models cross block boundaries.
#[cfg(not(gpm_loom))]
const LAP: usize = 32;
#[cfg(gpm_loom)]
const LAP: usize = 4;
/// Messages per block: the last index of each lap is the "next block" gap.
const BLOCK_CAP: usize = LAP - 1;
/// Low bits of an index used as flags.
const SHIFT: usize = 1;
/// Marks a waiter entry's arm as a `ready()` watcher, which does not consume a message.
pub(crate) const WATCH_BIT: usize = 1 << (usize::BITS - 4);
/// In `head.index`: the head block is not the last one. In `tail.index`: disconnected.
const MARK_BIT: usize = 1;

/// An end of the list.
struct Position<T> {
    index: AtomicUsize,
    block: AtomicPtr<Block<T>>,
}

/// Keeps the head and the tail on separate cache lines (128 bytes: adjacent-line
/// prefetching pairs lines on x86, and some ARM cores have 128-byte lines).
#[repr(align(128))]
struct Padded<T>(T);

/// A reserved slot: `block` null means "disconnected".
struct Token<T> {
    block: *mut Block<T>,
    offset: usize,
}

/// An unbounded MPMC channel's shared state.
pub(crate) struct List<T> {
    head: Padded<Position<T>>,
    tail: Padded<Position<T>>,
    /// Receivers (and `select!` arms) blocked on an empty list.
    waiters: Lock<WaitQueue<T>>,
    /// `!waiters.is_empty()`, readable without the lock (`SeqCst`: module docs).
    has_waiters: AtomicUsize,
    /// Live `Sender`s; the last one to go disconnects (AcqRel on drop, as `Chan`'s).
    pub(crate) senders: AtomicUsize,
    /// Live `Receiver`s; the last one to go discards the messages.
    pub(crate) receivers: AtomicUsize,
    /// Set if dropping a message panicked while discarding: the rest is leaked, as
    /// crossbeam-channel does, and `Drop` must not touch it again.
    leaked: AtomicUsize,
    _marker: PhantomData<T>,
}

// SAFETY: messages move between threads through the slots (hence `T: Send`); every slot
// access is ordered by the index CASes and the `WRITE`/`READ` bits (module docs); the wait
// queue is behind a lock.
unsafe impl<T: Send> Send for List<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for List<T> {}

impl<T> List<T> {
    pub(crate) fn new() -> Self {
        let pos = || {
            let block = AtomicPtr::new(ptr::null_mut());
            Padded(Position { index: AtomicUsize::new(0), block })
        };
        Self {
            head: pos(),
            tail: pos(),
            waiters: Lock::new(WaitQueue::new()),
            has_waiters: AtomicUsize::new(0),
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
            leaked: AtomicUsize::new(0),
            _marker: PhantomData,
        }
    }

    /// Reserves a slot to send into; `block` null: disconnected.
    fn start_send(&self) -> Token<T> {
        let mut backoff = Backoff::new();
        let mut tail = self.tail.0.index.load(Ordering::Acquire);
        let mut block = self.tail.0.block.load(Ordering::Acquire);
        let mut next_block: *mut Block<T> = ptr::null_mut();
        let token = loop {
            if tail & MARK_BIT != 0 {
                break Token { block: ptr::null_mut(), offset: 0 };
            }
            let offset = (tail >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                // Another sender is installing the next block.
                backoff.snooze();
                tail = self.tail.0.index.load(Ordering::Acquire);
                block = self.tail.0.block.load(Ordering::Acquire);
                continue;
            }
            // Allocate the next block before taking the last slot, so others wait less.
            if offset + 1 == BLOCK_CAP && next_block.is_null() {
                next_block = Block::new();
            }
            if block.is_null() {
                // The first message: install the first block.
                let new = Block::new();
                // Release; pairs with the Acquire loads of `tail.block` here.
                match self.tail.0.block.compare_exchange(
                    block,
                    new,
                    Ordering::Release,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        self.head.0.block.store(new, Ordering::Release);
                        block = new;
                    }
                    Err(_) => {
                        // SAFETY: `new` was never published.
                        unsafe { drop(Box::from_raw(new)) };
                        tail = self.tail.0.index.load(Ordering::Acquire);
                        block = self.tail.0.block.load(Ordering::Acquire);
                        continue;
                    }
                }
            }
            let new_tail = tail + (1 << SHIFT);
            // SeqCst: the store-buffering pair with a receiver's `register` (module docs).
            match self.tail.0.index.compare_exchange_weak(
                tail,
                new_tail,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if offset + 1 == BLOCK_CAP {
                        let next = std::mem::replace(&mut next_block, ptr::null_mut());
                        self.tail.0.block.store(next, Ordering::Release);
                        self.tail.0.index.fetch_add(1 << SHIFT, Ordering::Release);
                        // SAFETY: `block` is the tail block, alive until every slot is read,
                        // and the slot this sender holds is not written yet.
                        unsafe { (*block).next.store(next, Ordering::Release) };
                    }
                    break Token { block, offset };
                }
                Err(t) => {
                    tail = t;
                    block = self.tail.0.block.load(Ordering::Acquire);
                    backoff.spin();
                }
            }
        };
        if !next_block.is_null() {
            // SAFETY: allocated here and never published.
            unsafe { drop(Box::from_raw(next_block)) };
        }
        token
    }

    /// Sends `msg` (never blocks); `Err` hands it back if every receiver is gone.
    #[inline]
    #[track_caller]
    pub(crate) fn send(&self, msg: T) -> Result<(), T> {
        let token = self.start_send();
        if token.block.is_null() {
            return Err(msg);
        }
        // SAFETY: the reservation gives this sender the slot alone; the block lives until
        // the slot is read, which cannot happen before `WRITE` is set.
        let slot = unsafe { &(*token.block).slots[token.offset] };
        // SAFETY: as above: no one else touches the message until `WRITE`.
        slot.msg.with_mut(|p| unsafe { p.write(MaybeUninit::new(msg)) });
        // Release; pairs with the Acquire in `wait_write`.
        slot.state.fetch_or(WRITE, Ordering::Release);
        self.notify();
        Ok(())
    }

    /// Reserves a slot to receive from: `None` if empty, `Some(null block)` if empty and
    /// disconnected.
    fn start_recv(&self) -> Option<Token<T>> {
        let mut backoff = Backoff::new();
        let mut head = self.head.0.index.load(Ordering::Acquire);
        let mut block = self.head.0.block.load(Ordering::Acquire);
        loop {
            let offset = (head >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                backoff.snooze();
                head = self.head.0.index.load(Ordering::Acquire);
                block = self.head.0.block.load(Ordering::Acquire);
                continue;
            }
            let mut new_head = head + (1 << SHIFT);
            if new_head & MARK_BIT == 0 {
                // SeqCst: orders this load of `tail` after the head load, as crossbeam does
                // (a stale `tail` would report empty after a completed send).
                fence(Ordering::SeqCst);
                let tail = self.tail.0.index.load(Ordering::Relaxed);
                if head >> SHIFT == tail >> SHIFT {
                    return if tail & MARK_BIT != 0 {
                        Some(Token { block: ptr::null_mut(), offset: 0 })
                    } else {
                        None
                    };
                }
                if (head >> SHIFT) / LAP != (tail >> SHIFT) / LAP {
                    new_head |= MARK_BIT;
                }
            }
            if block.is_null() {
                // The first block is being installed.
                backoff.snooze();
                head = self.head.0.index.load(Ordering::Acquire);
                block = self.head.0.block.load(Ordering::Acquire);
                continue;
            }
            match self.head.0.index.compare_exchange_weak(
                head,
                new_head,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if offset + 1 == BLOCK_CAP {
                        // SAFETY: the head block is alive until its last slot is read (ours).
                        let next = unsafe { (*block).wait_next() };
                        let mut next_index = (new_head & !MARK_BIT).wrapping_add(1 << SHIFT);
                        // SAFETY: `next` is linked, so alive.
                        if !unsafe { (*next).next.load(Ordering::Relaxed) }.is_null() {
                            next_index |= MARK_BIT;
                        }
                        self.head.0.block.store(next, Ordering::Release);
                        self.head.0.index.store(next_index, Ordering::Release);
                    }
                    return Some(Token { block, offset });
                }
                Err(h) => {
                    head = h;
                    block = self.head.0.block.load(Ordering::Acquire);
                    backoff.spin();
                }
            }
        }
    }

    /// Reads the reserved slot.
    ///
    /// # Safety
    /// `token` came from `start_recv` on this list and is read once.
    unsafe fn read(&self, token: Token<T>) -> Result<T, TryRecvError> {
        if token.block.is_null() {
            return Err(TryRecvError::Disconnected);
        }
        let (block, offset) = (token.block, token.offset);
        // SAFETY: the block lives until this slot is marked `READ` (see `destroy`).
        let slot = unsafe { &(*block).slots[offset] };
        slot.wait_write();
        // SAFETY: written (`WRITE` seen with Acquire) and reserved for this reader alone.
        let msg = slot.msg.with_mut(|p| unsafe { p.read().assume_init() });
        if offset + 1 == BLOCK_CAP {
            // SAFETY: the last slot's reader starts the destruction; earlier readers check in.
            unsafe { Block::destroy(block, 0) };
        } else if slot.state.fetch_or(READ, Ordering::AcqRel) & DESTROY != 0 {
            // SAFETY: a destroyer left the rest to this reader.
            unsafe { Block::destroy(block, offset + 1) };
        }
        Ok(msg)
    }

    /// A non-blocking receive.
    #[inline]
    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.start_recv() {
            // SAFETY: a fresh token, read once.
            Some(token) => unsafe { self.read(token) },
            None => Err(TryRecvError::Empty),
        }
    }

    /// A receive that blocks until `deadline` (`None`: forever); `Err(Empty)`: timed out.
    #[track_caller]
    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<T, TryRecvError> {
        loop {
            // Before parking, back off as crossbeam does (spin, then yield the thread a few
            // times; multicore only): a message is often a few hundred nanoseconds away,
            // and a park plus the sender's wake-up costs microseconds.
            let mut backoff = Backoff::new();
            loop {
                match self.try_recv() {
                    Err(TryRecvError::Empty) => {}
                    done => return done,
                }
                if !multicore() || backoff.is_completed() {
                    break;
                }
                backoff.snooze();
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(TryRecvError::Empty);
            }
            let waiter = Waiter::new();
            let slot = WaitSlot::new(None);
            // SAFETY: `reg` unlinks the entry before `waiter`/`slot` drop (declared after
            // them), on every path including unwinding.
            let reg = unsafe { self.register(&waiter, 0, &slot) };
            if self.is_ready() {
                waiter.try_abort();
            }
            // Woken (a message was written, or disconnected), aborted or timed out: retry.
            waiter.wait(WaitReason::ChanReceive, deadline);
            drop(reg);
        }
    }

    /// Queues a receiver's entry and publishes `has_waiters`. The returned guard unlinks it.
    ///
    /// # Safety
    /// `waiter` and `slot` outlive the returned guard and stay in place.
    unsafe fn register<'a>(
        &'a self,
        waiter: &Waiter,
        arm: usize,
        slot: &'a WaitSlot<T>,
    ) -> Registered<'a, T> {
        // SAFETY: forwarded from the caller; `Registered` removes the entry.
        unsafe { self.push_waiter(waiter, arm, slot) };
        Registered { list: self, slot }
    }

    /// Queues an entry for a blocked receiver (or `select!` arm `arm`) and publishes
    /// `has_waiters`; the caller then re-checks [`List::is_ready`] before parking.
    ///
    /// # Safety
    /// `waiter` and `slot` stay alive and in place until [`List::remove_waiter`] on `slot`.
    pub(crate) unsafe fn push_waiter(&self, waiter: &Waiter, arm: usize, slot: &WaitSlot<T>) {
        let mut q = self.waiters.lock();
        // SAFETY: forwarded from the caller.
        unsafe { q.push(waiter, arm, slot) };
        // SeqCst: the store half of the store-buffering pair (module docs).
        self.has_waiters.store(1, Ordering::SeqCst);
    }

    /// Unlinks `slot`'s entry if a sender did not already.
    pub(crate) fn remove_waiter(&self, slot: &WaitSlot<T>) {
        let mut q = self.waiters.lock();
        q.remove(slot);
        if q.is_empty() {
            self.has_waiters.store(0, Ordering::SeqCst);
        }
    }

    /// Wakes one blocked receiver, if any (after a send or nothing to do).
    #[inline]
    fn notify(&self) {
        // SeqCst: the load half of the store-buffering pair (module docs).
        if self.has_waiters.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.notify_slow();
    }

    #[cold]
    #[inline(never)]
    fn notify_slow(&self) {
        let (receiver, watchers) = {
            let mut q = self.waiters.lock();
            // A `ready()` watcher does not take the message: wake the next one too. Only
            // watchers go to the `Vec`, so the common wake-up allocates nothing.
            let mut watchers = Vec::new();
            let mut receiver = None;
            while let Some(c) = q.claim_first() {
                let watcher = c.arm() & WATCH_BIT != 0;
                let wake = c.finish();
                if !watcher {
                    receiver = Some(wake);
                    break;
                }
                watchers.push(wake);
            }
            if q.is_empty() {
                self.has_waiters.store(0, Ordering::SeqCst);
            }
            (receiver, watchers)
        };
        watchers.iter().chain(&receiver).for_each(Wake::wake);
    }

    /// Whether a receive would not block now (a message, or disconnected).
    pub(crate) fn is_ready(&self) -> bool {
        !self.is_empty() || self.is_disconnected()
    }

    pub(crate) fn is_empty(&self) -> bool {
        // SeqCst: the load half of the store-buffering pair when called after `register`.
        let head = self.head.0.index.load(Ordering::SeqCst);
        let tail = self.tail.0.index.load(Ordering::SeqCst);
        head >> SHIFT == tail >> SHIFT
    }

    pub(crate) fn is_disconnected(&self) -> bool {
        self.tail.0.index.load(Ordering::SeqCst) & MARK_BIT != 0
    }

    /// Messages in the list now (crossbeam's computation: indices minus block gaps).
    pub(crate) fn len(&self) -> usize {
        loop {
            let mut tail = self.tail.0.index.load(Ordering::SeqCst);
            let mut head = self.head.0.index.load(Ordering::SeqCst);
            if self.tail.0.index.load(Ordering::SeqCst) != tail {
                continue;
            }
            tail &= !((1 << SHIFT) - 1);
            head &= !((1 << SHIFT) - 1);
            if (tail >> SHIFT) & (LAP - 1) == LAP - 1 {
                tail = tail.wrapping_add(1 << SHIFT);
            }
            if (head >> SHIFT) & (LAP - 1) == LAP - 1 {
                head = head.wrapping_add(1 << SHIFT);
            }
            let lap = (head >> SHIFT) / LAP;
            tail = tail.wrapping_sub((lap * LAP) << SHIFT) >> SHIFT;
            head = head.wrapping_sub((lap * LAP) << SHIFT) >> SHIFT;
            return tail - head - tail / LAP;
        }
    }

    /// The last sender left, or `close`: mark disconnected and wake every blocked receiver.
    /// `true` if this call disconnected the channel.
    pub(crate) fn disconnect_senders(&self) -> bool {
        if self.tail.0.index.fetch_or(MARK_BIT, Ordering::SeqCst) & MARK_BIT != 0 {
            return false;
        }
        let woken: Vec<Wake> = self.waiters.lock().finish_all();
        woken.iter().for_each(Wake::wake);
        true
    }

    /// The last receiver left: mark disconnected and drop the messages (the first panic of
    /// a message's `Drop` reaches the caller; the rest are leaked, as crossbeam-channel).
    pub(crate) fn disconnect_receivers(&self) {
        if self.tail.0.index.fetch_or(MARK_BIT, Ordering::SeqCst) & MARK_BIT == 0 {
            let guard = LeakOnUnwind(&self.leaked);
            self.discard_all();
            std::mem::forget(guard);
        }
    }

    /// Drops every message, frees the blocks and leaves an empty list.
    fn discard_all(&self) {
        let mut backoff = Backoff::new();
        let mut tail = self.tail.0.index.load(Ordering::Acquire);
        // A sender past the MARK check may still be installing a block: wait for it.
        while (tail >> SHIFT) % LAP == BLOCK_CAP {
            backoff.snooze();
            tail = self.tail.0.index.load(Ordering::Acquire);
        }
        let mut head = self.head.0.index.load(Ordering::Acquire);
        let mut block = self.head.0.block.swap(ptr::null_mut(), Ordering::AcqRel);
        if head >> SHIFT != tail >> SHIFT {
            while block.is_null() {
                backoff.snooze();
                block = self.head.0.block.swap(ptr::null_mut(), Ordering::AcqRel);
            }
        }
        while head >> SHIFT != tail >> SHIFT {
            let offset = (head >> SHIFT) % LAP;
            if offset < BLOCK_CAP {
                // SAFETY: every receiver is gone: this thread owns the unread slots.
                let slot = unsafe { &(*block).slots[offset] };
                slot.wait_write();
                // Advance first: if this drop panics, the list no longer owns the message.
                self.head.0.index.store(head.wrapping_add(1 << SHIFT), Ordering::Release);
                // SAFETY: written, and read by no one else.
                slot.msg.with_mut(|p| unsafe { (*p).assume_init_drop() });
            } else {
                // SAFETY: the block is fully consumed; `next` is linked before the gap index.
                let next = unsafe { (*block).wait_next() };
                // SAFETY: no one else reaches this block any more.
                unsafe { drop(Box::from_raw(block)) };
                block = next;
            }
            head = head.wrapping_add(1 << SHIFT);
        }
        if !block.is_null() {
            // SAFETY: the last block, consumed and unreachable.
            unsafe { drop(Box::from_raw(block)) };
        }
        self.head.0.index.store(head & !MARK_BIT, Ordering::Release);
    }
}

/// Unlinks a registered receiver entry on drop (normal exit, timeout or unwinding).
struct Registered<'a, T> {
    list: &'a List<T>,
    slot: &'a WaitSlot<T>,
}

impl<T> Drop for Registered<'_, T> {
    fn drop(&mut self) {
        self.list.remove_waiter(self.slot);
    }
}

/// Marks the list leaked if a message's destructor unwinds out of `discard_all`.
struct LeakOnUnwind<'a>(&'a AtomicUsize);

impl Drop for LeakOnUnwind<'_> {
    fn drop(&mut self) {
        self.0.store(1, Ordering::Relaxed);
    }
}

impl<T> Drop for List<T> {
    fn drop(&mut self) {
        if self.leaked.load(Ordering::Relaxed) != 0 {
            return;
        }
        // Every handle is gone: the receivers' last drop discarded the messages unless the
        // senders went first, in which case they are dropped here, in order.
        let guard = LeakOnUnwind(&self.leaked);
        self.discard_all();
        std::mem::forget(guard);
    }
}
