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
//!
//! A blocked operation's entry (`waitq.rs`) points at a waiter word (`waiter.rs`, at the
//! crate root) and a value slot on the blocked party's own stack; the completer moves the
//! value directly (a send to a waiting receiver never touches the buffer), claims the
//! waiter with one CAS — which is what lets one `select!` sit in many queues and be
//! completed by exactly one — and unparks it after unlocking. From a goroutine, that
//! unpark puts the woken G in the current P's `runnext`: Go's fast ping-pong. An operation
//! that completes without blocking calls `preempt_point()`, so a goroutine spinning on a
//! ready channel still yields when its time slice is used up.

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
    /// Every `Sender` is gone, or `Sender::close` (Go's `closed`).
    closed: bool,
    /// Every `Receiver` is gone.
    rx_gone: bool,
    pub(crate) sendq: WaitQueue<T>,
    pub(crate) recvq: WaitQueue<T>,
    /// Buffer places promised to a dynamic `Select`'s selected send (`Reservation`): they
    /// count as taken until it sends or gives up.
    reserved: usize,
    /// Waiters that only want to hear that the channel changed (a dynamic `Select` or
    /// `ready()` waiting for a send to become possible, or a receive to): woken, without a
    /// transfer, whenever an entry is queued, the buffer grows or shrinks, or the channel
    /// closes. Empty unless such a waiter exists, so the hot paths test one pointer.
    pub(crate) watch: WaitQueue<T>,
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
        if self.rx_gone || self.closed {
            return Err(TrySendError::Disconnected(value));
        }
        if let Some(mut receiver) = self.recvq.claim_first() {
            receiver.put(value);
            return Ok(Some(receiver.finish()));
        }
        if self.buf.len() + self.reserved < self.cap {
            self.buf.push_back(value);
            self.poke();
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
            self.poke();
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
        self.rx_gone
            || self.closed
            || self.buf.len() + self.reserved < self.cap
            || self.recvq.has_live(Some(me))
    }

    /// Wakes the watchers, if any. They are woken under the lock (unlike a transfer's
    /// partner): the path is rare, and waking only unparks, taking no channel lock.
    #[inline(always)]
    pub(crate) fn poke(&mut self) {
        if !self.watch.is_empty() {
            self.poke_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn poke_slow(&mut self) {
        self.watch.finish_all().iter().for_each(Wake::wake);
    }

    /// As [`poke`](Self::poke), from a select registering an arm: its own watch entries
    /// stay (`WaitQueue::finish_others`).
    #[inline(always)]
    pub(crate) fn poke_others(&mut self, me: &Waiter) {
        if !self.watch.is_empty() {
            self.watch.finish_others(me).iter().for_each(Wake::wake);
        }
    }

    /// A dynamic `Select`'s send: promise a buffer place (`Ok(true)`), report that the
    /// send fails now (`Err`), or say that it would complete now only through a waiting
    /// receiver (`Ok(false)` if one is live; `None`: not ready).
    pub(crate) fn reserve(&mut self) -> Option<Result<bool, ()>> {
        if self.rx_gone || self.closed {
            Some(Err(()))
        } else if self.buf.len() + self.reserved < self.cap {
            self.reserved += 1;
            Some(Ok(true))
        } else if self.recvq.has_live(None) {
            Some(Ok(false))
        } else {
            None
        }
    }

    /// Whether [`Inner::reserve`] would succeed now (for `ready()`), ignoring the entries
    /// of `me` (a select never pairs with itself).
    pub(crate) fn reserve_ready(&self, me: Option<&Waiter>) -> bool {
        self.rx_gone
            || self.closed
            || self.buf.len() + self.reserved < self.cap
            || self.recvq.has_live(me)
    }

    /// Whether a receive would complete (or fail) now (for `ready()`), ignoring `me`'s
    /// entries.
    pub(crate) fn recv_ready_any(&self, me: Option<&Waiter>) -> bool {
        !self.buf.is_empty() || self.closed || self.sendq.has_live(me)
    }

    /// A dynamic `Select`'s send selected through a waiting receiver (`reserve` said
    /// `Ok(false)`): the send has no message yet, so the receiver is completed now with a
    /// promise (an unbuffered channel of its own) and waits on it for the message, which
    /// `SelectedOperation::send` passes through the returned `Sender`. So the receiver the
    /// select saw is the one that gets the message, as crossbeam pairs them. Dropping the
    /// `Sender` unsent (or the receiver being cancelled) releases the pair: the receiver
    /// retries its receive, the sender falls back to a plain send.
    ///
    /// Rejected: claiming the receiver and finishing it only when the message comes (the
    /// owner could not leave before then, not even by cancellation or a runtime drop, and
    /// its slot would be written after the lock was released); marking the receiver as
    /// reserved and leaving it queued (any change that wakes it, such as its own select's
    /// other arms, would break the pair).
    pub(crate) fn pair_receiver(&mut self) -> Option<(super::Sender<T>, Wake)> {
        let mut receiver = self.recvq.claim_first()?;
        let (promise_tx, promise_rx) = super::bounded(0);
        receiver.put_promise(promise_rx);
        Some((promise_tx, receiver.finish()))
    }

    /// Gives a promised buffer place back (the selected send was dropped unsent).
    pub(crate) fn unreserve(&mut self) {
        self.reserved -= 1;
        self.poke();
    }

    /// Sends into a promised buffer place (or to a receiver that queued meanwhile).
    pub(crate) fn send_reserved(&mut self, value: T) -> Result<Option<Wake>, TrySendError<T>> {
        self.reserved -= 1;
        self.try_send(value)
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
            reserved: 0,
            watch: WaitQueue::new(),
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

    /// Whether a send fails now: every `Receiver` is gone, or the channel was closed.
    pub(crate) fn is_send_disconnected(&self) -> bool {
        let inner = self.lock();
        inner.rx_gone || inner.closed
    }

    /// A send that blocks until `deadline` (`None`: forever). Go's `chansend`.
    #[inline(always)]
    #[track_caller]
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
        inner.poke();
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
    #[track_caller]
    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<T, TryRecvError> {
        loop {
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
            inner.poke();
            drop(inner);
            let blocked = Blocked { chan: self, waiter: &waiter, slot: &slot, send: false };
            let outcome = blocked.wait(WaitReason::ChanReceive, deadline);
            let got = slot.with_mut(|p| {
                // SAFETY: the wait settled: no one else uses the slot.
                unsafe { (*p).take() }
            });
            return match (outcome, got) {
                (Outcome::Done(_), Some(v)) => Ok(v),
                (Outcome::Done(_), None) => match slot.take_promise().map(|p| p.recv()) {
                    Some(Ok(v)) => Ok(v),
                    // The paired send was dropped unsent: receive again.
                    Some(Err(_)) => continue,
                    None => Err(TryRecvError::Disconnected),
                },
                (Outcome::Aborted, _) => Err(TryRecvError::Empty),
            };
        }
    }

    /// The last `Sender` went, or `Sender::close`: close, waking every blocked receiver
    /// (their slots stay empty, which reads as "disconnected") and failing every blocked
    /// sender (their slots keep their messages). `true` if this call closed the channel.
    pub(crate) fn close(&self) -> bool {
        let (first, woken) = {
            let mut inner = self.lock();
            let first = !std::mem::replace(&mut inner.closed, true);
            let mut woken = inner.recvq.finish_all();
            woken.append(&mut inner.sendq.finish_all());
            woken.append(&mut inner.watch.finish_all());
            (first, woken)
        };
        woken.iter().for_each(Wake::wake);
        first
    }

    /// The last `Receiver` went: fail every blocked sender (their slots keep their
    /// messages) and drop the buffered messages, after unlocking.
    pub(crate) fn disconnect_receivers(&self) {
        let (woken, dropped) = {
            let mut inner = self.lock();
            inner.rx_gone = true;
            let mut woken = inner.sendq.finish_all();
            woken.append(&mut inner.watch.finish_all());
            (woken, std::mem::take(&mut inner.buf))
        };
        woken.iter().for_each(Wake::wake);
        drop_in_order(dropped);
    }
}

/// Drops `buf`'s messages front to back. If one's `Drop` panics, the panic goes on to the
/// caller and the messages after it are leaked (crossbeam-channel's behaviour): dropping
/// them during that unwind would abort the process on a second panic.
pub(crate) fn drop_in_order<T>(buf: VecDeque<T>) {
    let mut buf = std::mem::ManuallyDrop::new(buf);
    while let Some(msg) = buf.pop_front() {
        drop(msg);
    }
    // SAFETY: taken once; on an unwind above this line is skipped and `buf` leaks.
    drop(unsafe { std::mem::ManuallyDrop::take(&mut buf) });
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
    #[track_caller]
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
/// inlined: `Chan::drop` (or `SelectedOperation::drop`) can be inlined into a goroutine
/// function that parks, and a thread-local address kept in a register across that switch
/// would name the old thread's slot after a migration (the migration rule in gpm-stack's
/// docs). Never switches.
#[inline(never)]
pub(crate) fn panicking() -> bool {
    std::thread::panicking()
}

impl<T> Drop for Chan<T> {
    fn drop(&mut self) {
        if !panicking() {
            let inner = self.inner.lock();
            debug_assert!(
                inner.sendq.is_empty() && inner.recvq.is_empty() && inner.watch.is_empty(),
                "chan: dropped with waiters"
            );
        }
    }
}
