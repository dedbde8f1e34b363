//! Go's channels: [`bounded`]`(cap)` (`0` = unbuffered rendezvous, as `make(chan T)`),
//! multi-producer multi-consumer, usable from goroutines and plain threads alike, with
//! [`select!`](crate::select!).
//!
//! ```
//! let (tx, rx) = gpm::chan::bounded(0); // unbuffered: a send waits for its receiver
//! let t = std::thread::spawn(move || {
//!     for i in 0..3 {
//!         tx.send(i).unwrap();
//!     }
//! }); // dropping the last Sender closes the channel
//! assert_eq!(rx.iter().collect::<Vec<_>>(), [0, 1, 2]);
//! t.join().unwrap();
//! ```
//!
//! Also [`unbounded`] (a send never blocks), the timer channels [`after`], [`at`] and
//! [`tick`], [`never`], Go's `close` as [`Sender::close`], and a dynamic [`Select`] for a
//! set of operations built at run time.
//!
//! # Flavors
//! A handle holds one of: Go's `hchan` for [`bounded`] (below), crossbeam-channel's
//! lock-free list for [`unbounded`] (`list.rs`), a timer (`timer.rs`), or nothing
//! ([`never`]); see `flavor.rs`.
//!
//! # Differences from crossbeam-channel
//! The API and its documented behaviour are crossbeam-channel's; these differ on purpose:
//! - a `select!` send arm's message is evaluated before the select runs (Go's rule) and
//!   dropped if another arm wins;
//! - [`Sender::close`] exists (Go's `close`); sending on a closed channel is an `Err`;
//! - [`Sender::never`] makes a send arm that is never ready (Go's nil channel);
//! - a [`Select`] send on `bounded(0)`, once selected, hands its message to a waiting
//!   receiver, and waits for another if a competing sender took that one in between
//!   (crossbeam pairs it with the receiver it selected: see `select/dynamic.rs`);
//! - `select!` takes at most 32 operation arms (as crossbeam's); [`Select`] has no limit.
//!
//! # Design (Go's `hchan`)
//! One lock per channel over a ring buffer and two wait queues of blocked senders and
//! receivers (`hchan.rs`, `waitq.rs`). A blocked operation's entry points at a waiter
//! word (`waiter.rs`, at the crate root) and a value slot on the blocked party's own
//! stack; the completer moves the value directly (a send to a waiting receiver never
//! touches the buffer), claims the waiter with one CAS — which is what lets one `select!`
//! sit in many queues and be completed by exactly one — and unparks it after unlocking. From a goroutine, that
//! unpark puts the woken G in the current P's `runnext`: Go's fast ping-pong.
//!
//! Handles are `Send + Sync` exactly when the message type is `Send`:
//!
//! ```compile_fail
//! fn needs_send<T: Send>(_: T) {}
//! let (tx, _rx) = gpm::chan::bounded::<std::rc::Rc<u8>>(1);
//! needs_send(tx); // an `Rc` must not cross threads through a channel
//! ```
//!
//! Every blocking operation is a scheduling point: when it completes without blocking it
//! calls `preempt_point()`, so a goroutine spinning on a ready channel still yields when
//! its time slice is used up.

mod error;
mod flavor;
mod hchan;

pub(crate) use hchan::panicking;
pub(crate) mod list;
mod timer;
pub(crate) mod waitq;

pub use crate::select::{
    ReadyTimeoutError, Select, SelectTimeoutError, SelectedOperation, TryReadyError, TrySelectError,
};
pub use error::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};

pub(crate) use flavor::{ReceiverFlavor, SenderFlavor};
pub(crate) use hchan::wake;

use crate::shim::{Ordering, WaitReason};
use hchan::Chan;
use list::List;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Creates a channel with room for `cap` buffered messages; `cap == 0` is a rendezvous: a
/// send completes only when a receiver takes the value (Go's unbuffered channel).
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(cap));
    (
        Sender { flavor: SenderFlavor::Hchan(chan.clone()) },
        Receiver { flavor: ReceiverFlavor::Hchan(chan) },
    )
}

/// Creates a channel without a capacity limit: a send never blocks (crossbeam-channel's
/// `unbounded`; lock-free, see `list.rs`).
///
/// ```
/// let (tx, rx) = gpm::chan::unbounded();
/// for i in 0..1000 {
///     tx.send(i).unwrap(); // never waits
/// }
/// assert_eq!(rx.len(), 1000);
/// assert_eq!(rx.capacity(), None);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    let list = Arc::new(List::new());
    (
        Sender { flavor: SenderFlavor::List(list.clone()) },
        Receiver { flavor: ReceiverFlavor::List(list) },
    )
}

/// A receiver on which nothing ever arrives and which never closes: a `select!` arm on it is
/// never ready (Go's nil channel, crossbeam's `never`). All `never` receivers are the same
/// channel ([`Receiver::same_channel`]). For a send arm, see [`Sender::never`].
///
/// ```
/// use std::time::Duration;
/// let maybe: Option<gpm::chan::Receiver<i32>> = None;
/// gpm::select! {
///     recv(maybe.as_ref().unwrap_or(&gpm::chan::never())) -> _ => unreachable!(),
///     default(Duration::from_millis(1)) => {}
/// }
/// ```
pub fn never<T>() -> Receiver<T> {
    Receiver { flavor: ReceiverFlavor::Never }
}

/// A receiver that delivers one message — the instant it became due — `duration` from now
/// (crossbeam-channel's `after`; Go's `time.After`).
pub fn after(duration: Duration) -> Receiver<Instant> {
    let now = Instant::now();
    at(now.checked_add(duration).unwrap_or_else(|| timer::far_future(now)))
}

/// A receiver that delivers one message, `when`, at `when` (crossbeam-channel's `at`).
pub fn at(when: Instant) -> Receiver<Instant> {
    Receiver { flavor: ReceiverFlavor::At(Arc::new(timer::At::new(when)), identity) }
}

/// A receiver that delivers the due instant every `period` (crossbeam-channel's `tick`;
/// Go's `time.Tick`). A slow reader gets one message for the ticks it missed.
pub fn tick(period: Duration) -> Receiver<Instant> {
    Receiver { flavor: ReceiverFlavor::Tick(Arc::new(timer::Tick::new(period)), identity) }
}

fn identity(t: Instant) -> Instant {
    t
}

/// The sending half of a channel. `Clone` makes another sender; the channel closes when the
/// last one is dropped (or at [`Sender::close`]).
pub struct Sender<T> {
    flavor: SenderFlavor<T>,
}

/// The receiving half of a channel. `Clone` makes another receiver (each message goes to
/// exactly one); once the last one is dropped, sends fail and hand their message back.
pub struct Receiver<T> {
    flavor: ReceiverFlavor<T>,
}

impl<T> Sender<T> {
    /// A sender on which a send never completes and never fails (Go's nil channel): a
    /// `select!` send arm on it is never ready, which disables the arm.
    ///
    /// ```
    /// let out: Option<gpm::chan::Sender<i32>> = None;
    /// gpm::select! {
    ///     send(out.as_ref().unwrap_or(&gpm::chan::Sender::never()), 1) -> _ => unreachable!(),
    ///     default => {}
    /// }
    /// ```
    pub fn never() -> Sender<T> {
        Sender { flavor: SenderFlavor::Never }
    }

    /// Sends `value`, blocking (parking the goroutine) until there is room or a receiver
    /// takes it. Fails, handing the value back, once every `Receiver` is gone or the
    /// channel was closed.
    ///
    /// Inlined down to the park, as the channel's own send is: the other flavours go
    /// through one call, so this one stays small enough to inline.
    #[inline(always)]
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        match &self.flavor {
            SenderFlavor::Hchan(c) => c.send(value, None).map_err(|e| SendError(e.into_inner())),
            _ => self.send_other(value),
        }
    }

    /// `send` on the flavours other than the channel proper.
    #[inline(never)]
    #[track_caller]
    fn send_other(&self, value: T) -> Result<(), SendError<T>> {
        match &self.flavor {
            SenderFlavor::Hchan(c) => c.send(value, None).map_err(|e| SendError(e.into_inner())),
            SenderFlavor::List(l) => l.send(value).map_err(SendError),
            SenderFlavor::Never => {
                timer::sleep_until(WaitReason::ChanSend, None);
                unreachable!("chan: a send on a never channel returned")
            }
        }
    }

    /// Sends without blocking: `Full` if no buffer room and no receiver is waiting.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match &self.flavor {
            SenderFlavor::Hchan(c) => {
                let mut inner = c.lock();
                let woken = inner.try_send(value)?;
                drop(inner);
                wake(&woken);
                Ok(())
            }
            SenderFlavor::List(l) => l.send(value).map_err(TrySendError::Disconnected),
            SenderFlavor::Never => Err(TrySendError::Full(value)),
        }
    }

    /// Sends, blocking for at most `timeout`.
    #[track_caller]
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_until(value, Instant::now().checked_add(timeout))
    }

    /// Sends, blocking until `deadline` at the latest.
    #[track_caller]
    pub fn send_deadline(&self, value: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.send_until(value, Some(deadline))
    }

    fn send_until(&self, value: T, deadline: Option<Instant>) -> Result<(), SendTimeoutError<T>> {
        match &self.flavor {
            SenderFlavor::Hchan(c) => c.send(value, deadline),
            SenderFlavor::List(l) => l.send(value).map_err(SendTimeoutError::Disconnected),
            SenderFlavor::Never => {
                timer::sleep_until(WaitReason::ChanSend, deadline);
                Err(SendTimeoutError::Timeout(value))
            }
        }
    }

    /// Closes the channel, as Go's `close(ch)`: receivers take what is buffered, then see
    /// it disconnected; this and every later send (from any `Sender`) fails and hands the
    /// message back — an error, not a panic as in Go. Senders blocked on a full channel fail
    /// too. Returns `true` if this call closed it (`false`: already closed, or every
    /// receiver is gone). Dropping the last `Sender` closes the channel the same way.
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::bounded(4);
    /// let tx2 = tx.clone();
    /// tx.send(1).unwrap();
    /// assert!(tx2.close());
    /// assert!(tx.send(2).is_err());
    /// assert_eq!(rx.recv(), Ok(1));
    /// assert!(rx.recv().is_err());
    /// ```
    pub fn close(&self) -> bool {
        match &self.flavor {
            SenderFlavor::Hchan(c) => c.close(),
            SenderFlavor::List(l) => l.disconnect_senders(),
            SenderFlavor::Never => false,
        }
    }

    /// Messages in the buffer now (always 0 for an unbuffered channel).
    pub fn len(&self) -> usize {
        match &self.flavor {
            SenderFlavor::Hchan(c) => c.len(),
            SenderFlavor::List(l) => l.len(),
            SenderFlavor::Never => 0,
        }
    }

    /// Whether the buffer is empty now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the buffer is full now (always true for an unbuffered channel, never for an
    /// unbounded one).
    pub fn is_full(&self) -> bool {
        self.capacity().is_some_and(|cap| self.len() == cap)
    }

    /// The buffer's capacity as given to [`bounded`]; `None` for [`unbounded`]
    /// (crossbeam-channel's signature).
    pub fn capacity(&self) -> Option<usize> {
        match &self.flavor {
            SenderFlavor::Hchan(c) => Some(c.capacity()),
            SenderFlavor::List(_) => None,
            SenderFlavor::Never => Some(0),
        }
    }

    /// Whether a send fails now: every `Receiver` is gone, or the channel was closed.
    pub fn is_disconnected(&self) -> bool {
        match &self.flavor {
            SenderFlavor::Hchan(c) => c.is_send_disconnected(),
            SenderFlavor::List(l) => l.is_disconnected(),
            SenderFlavor::Never => false,
        }
    }

    /// Whether `self` and `other` send on the same channel (every [`Sender::never`] is the
    /// same channel).
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        self.flavor.id() == other.flavor.id()
    }

    pub(crate) fn flavor(&self) -> &SenderFlavor<T> {
        &self.flavor
    }
}

impl<T> Receiver<T> {
    /// Receives a message, blocking (parking the goroutine) until one arrives. Fails once
    /// the channel is empty and every `Sender` is gone (buffered messages drain first).
    #[inline(always)]
    #[track_caller]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.recv_inner(None).map_err(|_| RecvError)
    }

    /// Receives without blocking.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        match &self.flavor {
            ReceiverFlavor::Hchan(c) => {
                let mut inner = c.lock();
                let (value, woken) = inner.try_recv()?;
                drop(inner);
                wake(&woken);
                Ok(value)
            }
            ReceiverFlavor::List(l) => l.try_recv(),
            ReceiverFlavor::At(a, f) => a.try_recv().map(f),
            ReceiverFlavor::Tick(t, f) => t.try_recv().map(f),
            ReceiverFlavor::Never => Err(TryRecvError::Empty),
        }
    }

    /// Receives, blocking for at most `timeout`.
    #[track_caller]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_until(Instant::now().checked_add(timeout))
    }

    /// Receives, blocking until `deadline` at the latest.
    #[track_caller]
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.recv_until(Some(deadline))
    }

    #[track_caller]
    fn recv_until(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        self.recv_inner(deadline).map_err(|e| match e {
            TryRecvError::Empty => RecvTimeoutError::Timeout,
            TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
        })
    }

    /// `Err(Empty)`: the deadline passed. Inlined down to the park for the channel proper
    /// (see `Sender::send`); the other flavours go through one call.
    #[inline(always)]
    #[track_caller]
    fn recv_inner(&self, deadline: Option<Instant>) -> Result<T, TryRecvError> {
        match &self.flavor {
            ReceiverFlavor::Hchan(c) => c.recv(deadline),
            _ => self.recv_other(deadline),
        }
    }

    /// `recv_inner` on the flavours other than the channel proper.
    #[inline(never)]
    #[track_caller]
    fn recv_other(&self, deadline: Option<Instant>) -> Result<T, TryRecvError> {
        match &self.flavor {
            ReceiverFlavor::Hchan(c) => c.recv(deadline),
            ReceiverFlavor::List(l) => l.recv(deadline),
            ReceiverFlavor::At(a, f) => a.recv(deadline).map(f),
            ReceiverFlavor::Tick(t, f) => t.recv(deadline).map(f),
            ReceiverFlavor::Never => {
                timer::sleep_until(WaitReason::ChanReceive, deadline);
                Err(TryRecvError::Empty)
            }
        }
    }

    /// A blocking iterator: yields messages until the channel is closed and drained.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// A non-blocking iterator over the messages available now.
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { rx: self }
    }

    /// Messages in the buffer now (always 0 for an unbuffered channel).
    pub fn len(&self) -> usize {
        match &self.flavor {
            ReceiverFlavor::Hchan(c) => c.len(),
            ReceiverFlavor::List(l) => l.len(),
            ReceiverFlavor::At(a, _) => usize::from(a.is_ready()),
            ReceiverFlavor::Tick(t, _) => usize::from(t.is_ready()),
            ReceiverFlavor::Never => 0,
        }
    }

    /// Whether the buffer is empty now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the buffer is full now (always true for an unbuffered channel, never for an
    /// unbounded one).
    pub fn is_full(&self) -> bool {
        self.capacity().is_some_and(|cap| self.len() == cap)
    }

    /// The buffer's capacity as given to [`bounded`]; `None` for [`unbounded`]; `Some(1)`
    /// for the timer channels and `Some(0)` for [`never`] (crossbeam-channel's values).
    pub fn capacity(&self) -> Option<usize> {
        match &self.flavor {
            ReceiverFlavor::Hchan(c) => Some(c.capacity()),
            ReceiverFlavor::List(_) => None,
            ReceiverFlavor::At(..) | ReceiverFlavor::Tick(..) => Some(1),
            ReceiverFlavor::Never => Some(0),
        }
    }

    /// Whether every `Sender` is gone or the channel was closed (messages may still be
    /// buffered).
    pub fn is_disconnected(&self) -> bool {
        match &self.flavor {
            ReceiverFlavor::Hchan(c) => c.is_closed(),
            ReceiverFlavor::List(l) => l.is_disconnected(),
            _ => false,
        }
    }

    /// Whether `self` and `other` receive from the same channel (every [`never`] receiver
    /// is the same channel, as Go's nil channels and crossbeam's `never`s).
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        self.flavor.id() == other.flavor.id()
    }

    pub(crate) fn flavor(&self) -> &ReceiverFlavor<T> {
        &self.flavor
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        // Relaxed: a new handle is made from a live one, so the count cannot be zero.
        match &self.flavor {
            SenderFlavor::Hchan(c) => c.senders.fetch_add(1, Ordering::Relaxed),
            SenderFlavor::List(l) => l.senders.fetch_add(1, Ordering::Relaxed),
            SenderFlavor::Never => 0,
        };
        Self { flavor: self.flavor.clone() }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        // Relaxed: as for `Sender::clone`.
        match &self.flavor {
            ReceiverFlavor::Hchan(c) => c.receivers.fetch_add(1, Ordering::Relaxed),
            ReceiverFlavor::List(l) => l.receivers.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
        Self { flavor: self.flavor.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // AcqRel: the last dropper closes after every other sender's last use.
        match &self.flavor {
            SenderFlavor::Hchan(c) if c.senders.fetch_sub(1, Ordering::AcqRel) == 1 => {
                c.close();
            }
            SenderFlavor::List(l) if l.senders.fetch_sub(1, Ordering::AcqRel) == 1 => {
                l.disconnect_senders();
            }
            _ => {}
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // AcqRel: as for `Sender::drop`.
        match &self.flavor {
            ReceiverFlavor::Hchan(c) if c.receivers.fetch_sub(1, Ordering::AcqRel) == 1 => {
                c.disconnect_receivers();
            }
            ReceiverFlavor::List(l) if l.receivers.fetch_sub(1, Ordering::AcqRel) == 1 => {
                l.disconnect_receivers();
            }
            _ => {}
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sender { .. }")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}

/// Blocking iterator over a [`Receiver`]'s messages ([`Receiver::iter`]).
#[derive(Debug)]
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

/// Non-blocking iterator over the messages available now ([`Receiver::try_iter`]).
#[derive(Debug)]
pub struct TryIter<'a, T> {
    rx: &'a Receiver<T>,
}

/// Owning blocking iterator (`for v in rx`).
#[derive(Debug)]
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}
