//! The channel itself (Go's `hchan`): one lock over a ring buffer and the two wait queues.
//!
//! Invariants, under the lock (counting live entries only):
//! - receivers wait only while the buffer is empty; senders only while it is full
//!   (for `cap == 0`: always both "empty" and "full", so a send waits for a receiver);
//! - a send to a waiting receiver hands the value straight into its slot; a receive from a
//!   full buffer with a waiting sender takes the head and moves that sender's value to the
//!   tail (Go's `recv`), so FIFO order is kept;
//! - no user code runs under the lock: messages dropped by a disconnect are dropped after
//!   unlocking, and wake-ups (`unpark`) happen after unlocking.

use super::error::{SendTimeoutError, TryRecvError, TrySendError};
use super::waitq::{Slot, WaitQueue};
use crate::shim::{AtomicUsize, Lock, LockGuard, WaitReason, Wake};
use crate::waiter::{Outcome, Waiter};
use std::collections::VecDeque;
use std::time::Instant;

/// The shared state behind every `Sender` and `Receiver` of one channel.
pub(crate) struct Chan<T> {
    inner: Lock<Inner<T>>,
    cap: usize,
    /// Live `Sender`s; the last one to go closes the channel. Counts are AcqRel on drop so
    /// the closer sees everything the other handles did.
    pub(crate) senders: AtomicUsize,
    /// Live `Receiver`s; the last one to go disconnects the senders.
    pub(crate) receivers: AtomicUsize,
}

/// The part behind the lock.
pub(crate) struct Inner<T> {
    buf: VecDeque<T>,
    cap: usize,
    /// Every `Sender` is gone (Go's `closed`).
    closed: bool,
    /// Every `Receiver` is gone.
    rx_gone: bool,
    pub(crate) sendq: WaitQueue<T>,
    pub(crate) recvq: WaitQueue<T>,
}

/// Wakes a completed peer (if any); called after unlocking. By reference (the caller
/// drops it after), not moved in by value (ARCHITECTURE.md: store forwarding).
#[inline]
pub(crate) fn wake(w: &Option<Wake>) {
    if let Some(w) = w {
        w.wake();
    }
}

impl<T> Inner<T> {
    /// A non-blocking send. `Ok` carries whom to wake.
    #[inline(always)]
    pub(crate) fn try_send(&mut self, value: T) -> Result<Option<Wake>, TrySendError<T>> {
        if self.rx_gone {
            return Err(TrySendError::Disconnected(value));
        }
        if let Some(mut receiver) = self.recvq.claim_first() {
            receiver.put(value);
            return Ok(Some(receiver.finish()));
        }
        if self.buf.len() < self.cap {
            self.buf.push_back(value);
            return Ok(None);
        }
        Err(TrySendError::Full(value))
    }

    /// A non-blocking receive. `Ok` carries whom to wake.
    #[inline(always)]
    pub(crate) fn try_recv(&mut self) -> Result<(T, Option<Wake>), TryRecvError> {
        if let Some(value) = self.buf.pop_front() {
            // The buffer was full if a sender waits: move its value in behind the others.
            let woken = self.sendq.claim_first().map(|mut sender| {
                self.buf.push_back(sender.take().expect("chan: waiting sender has no value"));
                sender.finish()
            });
            return Ok((value, woken));
        }
        if let Some(mut sender) = self.sendq.claim_first() {
            let value = sender.take().expect("chan: waiting sender has no value");
            return Ok((value, Some(sender.finish())));
        }
        if self.closed { Err(TryRecvError::Disconnected) } else { Err(TryRecvError::Empty) }
    }

    /// Whether a send would complete (or fail) now, ignoring `me`'s own entries.
    pub(crate) fn send_ready(&self, me: &Waiter) -> bool {
        self.rx_gone || self.buf.len() < self.cap || self.recvq.has_live(Some(me))
    }

    /// Whether a receive would complete (or fail) now, ignoring `me`'s own entries.
    pub(crate) fn recv_ready(&self, me: &Waiter) -> bool {
        !self.buf.is_empty() || self.closed || self.sendq.has_live(Some(me))
    }
}

impl<T> Chan<T> {
    pub(crate) fn new(cap: usize) -> Self {
        let inner = Inner {
            buf: VecDeque::with_capacity(cap),
            cap,
            closed: false,
            rx_gone: false,
            sendq: WaitQueue::new(),
            recvq: WaitQueue::new(),
        };
        Self {
            inner: Lock::new(inner),
            cap,
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
        }
    }

    #[inline]
    pub(crate) fn lock(&self) -> LockGuard<'_, Inner<T>> {
        self.inner.lock()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().buf.len()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    pub(crate) fn is_rx_gone(&self) -> bool {
        self.lock().rx_gone
    }

    /// A send that blocks until `deadline` (`None`: forever). Go's `chansend`.
    #[inline(always)]
    pub(crate) fn send(
        &self,
        value: T,
        deadline: Option<Instant>,
    ) -> Result<(), SendTimeoutError<T>> {
        let mut inner = self.lock();
        let value = match inner.try_send(value) {
            Ok(woken) => {
                drop(inner);
                wake(&woken);
                crate::shim::preempt_point();
                return Ok(());
            }
            Err(TrySendError::Disconnected(v)) => return Err(SendTimeoutError::Disconnected(v)),
            Err(TrySendError::Full(v)) => v,
        };
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(SendTimeoutError::Timeout(value));
        }
        let waiter = Waiter::new();
        let slot: Slot<T> = Slot::new(Some(value));
        // SAFETY: `waiter` and `slot` outlive the entry: `Blocked` removes it (or sees it
        // claimed) before either is dropped, on every path including unwinding.
        unsafe { inner.sendq.push(&waiter, 0, &slot) };
        drop(inner);
        let blocked = Blocked { chan: self, waiter: &waiter, slot: &slot, send: true };
        let outcome = blocked.wait(WaitReason::ChanSend, deadline);
        // The sender's value is still in the slot unless a receiver took it.
        let left = slot.with_mut(|p| {
            // SAFETY: the wait settled (DONE or aborted and unqueued): no one else uses the slot.
            unsafe { (*p).take() }
        });
        match (outcome, left) {
            (Outcome::Done(_), None) => Ok(()),
            (Outcome::Done(_), Some(v)) => Err(SendTimeoutError::Disconnected(v)),
            (Outcome::Aborted, Some(v)) => Err(SendTimeoutError::Timeout(v)),
            (Outcome::Aborted, None) => unreachable!("chan: aborted send lost its value"),
        }
    }

    /// A receive that blocks until `deadline` (`None`: forever). Go's `chanrecv`.
    /// `Err(Empty)` means the deadline passed.
    #[inline(always)]
    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<T, TryRecvError> {
        let mut inner = self.lock();
        match inner.try_recv() {
            Ok((value, woken)) => {
                drop(inner);
                wake(&woken);
                crate::shim::preempt_point();
                return Ok(value);
            }
            Err(TryRecvError::Disconnected) => return Err(TryRecvError::Disconnected),
            Err(TryRecvError::Empty) => {}
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(TryRecvError::Empty);
        }
        let waiter = Waiter::new();
        let slot: Slot<T> = Slot::new(None);
        // SAFETY: as in `send`: `Blocked` unqueues the entry before `waiter`/`slot` drop.
        unsafe { inner.recvq.push(&waiter, 0, &slot) };
        drop(inner);
        let blocked = Blocked { chan: self, waiter: &waiter, slot: &slot, send: false };
        let outcome = blocked.wait(WaitReason::ChanReceive, deadline);
        let got = slot.with_mut(|p| {
            // SAFETY: the wait settled: no one else uses the slot.
            unsafe { (*p).take() }
        });
        match (outcome, got) {
            (Outcome::Done(_), Some(v)) => Ok(v),
            (Outcome::Done(_), None) => Err(TryRecvError::Disconnected),
            (Outcome::Aborted, _) => Err(TryRecvError::Empty),
        }
    }

    /// The last `Sender` went: close, waking every blocked receiver (their slots stay
    /// empty, which reads as "disconnected").
    pub(crate) fn close(&self) {
        let woken = {
            let mut inner = self.lock();
            inner.closed = true;
            inner.recvq.finish_all()
        };
        woken.iter().for_each(Wake::wake);
    }

    /// The last `Receiver` went: fail every blocked sender (their slots keep their
    /// messages) and drop the buffered messages, after unlocking.
    pub(crate) fn disconnect_receivers(&self) {
        let (woken, dropped) = {
            let mut inner = self.lock();
            inner.rx_gone = true;
            (inner.sendq.finish_all(), std::mem::take(&mut inner.buf))
        };
        woken.iter().for_each(Wake::wake);
        drop(dropped);
    }
}

/// A blocked single operation: waits, and on every exit — normal, timeout or unwinding out
/// of a park (a cancelled goroutine) — makes sure no entry of its waiter stays queued.
struct Blocked<'a, T> {
    chan: &'a Chan<T>,
    waiter: &'a Waiter,
    slot: &'a Slot<T>,
    send: bool,
}

impl<T> Blocked<'_, T> {
    #[inline(always)]
    fn wait(self, reason: WaitReason, deadline: Option<Instant>) -> Outcome {
        let outcome = self.waiter.wait(reason, deadline);
        if outcome == Outcome::Done(0) {
            // The completer popped the entry; nothing to unqueue.
            std::mem::forget(self);
        }
        // Otherwise (aborted) `drop` unqueues it.
        outcome
    }
}

impl<T> Drop for Blocked<'_, T> {
    fn drop(&mut self) {
        self.waiter.try_abort();
        let mut inner = self.chan.lock();
        if self.send { inner.sendq.remove(self.slot) } else { inner.recvq.remove(self.slot) }
        // Holding the lock: a claimer (if the abort lost) has finished, so the outcome is
        // settled before the caller reads the slot.
    }
}

/// `std::thread::panicking`, which reads a thread-local, behind a call that is never
/// inlined: `Chan::drop` can be inlined into a goroutine function that parks, and a
/// thread-local address kept in a register across that switch would name the old thread's
/// slot after a migration (the migration rule in gpm-stack's docs). Never switches.
#[inline(never)]
fn panicking() -> bool {
    std::thread::panicking()
}

impl<T> Drop for Chan<T> {
    fn drop(&mut self) {
        if !panicking() {
            let inner = self.inner.lock();
            debug_assert!(
                inner.sendq.is_empty() && inner.recvq.is_empty(),
                "chan: dropped with waiters"
            );
        }
    }
}
