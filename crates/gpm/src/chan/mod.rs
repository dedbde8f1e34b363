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
mod hchan;
pub(crate) mod waitq;

pub use error::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};

use crate::shim::Ordering;
use hchan::Chan;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) use hchan::wake;

/// Creates a channel with room for `cap` buffered messages; `cap == 0` is a rendezvous: a
/// send completes only when a receiver takes the value (Go's unbuffered channel).
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(cap));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// A receiver on which nothing ever arrives and which never closes: a `select!` arm on it is
/// never ready (Go's nil channel, crossbeam's `never`).
pub fn never<T>() -> Receiver<T> {
    // The sender count starts at one and no `Sender` exists to drop it.
    Receiver { chan: Arc::new(Chan::new(0)) }
}

/// The sending half of a channel. `Clone` makes another sender; the channel closes when the
/// last one is dropped.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// The receiving half of a channel. `Clone` makes another receiver (each message goes to
/// exactly one); once the last one is dropped, sends fail and hand their message back.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, blocking (parking the goroutine) until there is room or a receiver
    /// takes it. Fails, handing the value back, once every `Receiver` is gone.
    #[inline]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.send(value, None).map_err(|e| SendError(e.into_inner()))
    }

    /// Sends without blocking: `Full` if no buffer room and no receiver is waiting.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut inner = self.chan.lock();
        let woken = inner.try_send(value)?;
        drop(inner);
        wake(&woken);
        Ok(())
    }

    /// Sends, blocking for at most `timeout`.
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.chan.send(value, Instant::now().checked_add(timeout))
    }

    /// Sends, blocking until `deadline` at the latest.
    pub fn send_deadline(&self, value: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.chan.send(value, Some(deadline))
    }

    /// Messages in the buffer now (always 0 for an unbuffered channel).
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether the buffer is empty now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the buffer is full now (always true for an unbuffered channel).
    pub fn is_full(&self) -> bool {
        self.len() == self.capacity()
    }

    /// The buffer's capacity, as given to [`bounded`].
    pub fn capacity(&self) -> usize {
        self.chan.capacity()
    }

    /// Whether every `Receiver` is gone.
    pub fn is_disconnected(&self) -> bool {
        self.chan.is_rx_gone()
    }

    /// Whether `self` and `other` send on the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    pub(crate) fn chan(&self) -> &Chan<T> {
        &self.chan
    }
}

impl<T> Receiver<T> {
    /// Receives a message, blocking (parking the goroutine) until one arrives. Fails once
    /// the channel is empty and every `Sender` is gone (buffered messages drain first).
    #[inline]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.chan.recv(None).map_err(|_| RecvError)
    }

    /// Receives without blocking.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut inner = self.chan.lock();
        let (value, woken) = inner.try_recv()?;
        drop(inner);
        wake(&woken);
        Ok(value)
    }

    /// Receives, blocking for at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_until(Instant::now().checked_add(timeout))
    }

    /// Receives, blocking until `deadline` at the latest.
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.recv_until(Some(deadline))
    }

    fn recv_until(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        self.chan.recv(deadline).map_err(|e| match e {
            TryRecvError::Empty => RecvTimeoutError::Timeout,
            TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
        })
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
        self.chan.len()
    }

    /// Whether the buffer is empty now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the buffer is full now (always true for an unbuffered channel).
    pub fn is_full(&self) -> bool {
        self.len() == self.capacity()
    }

    /// The buffer's capacity, as given to [`bounded`].
    pub fn capacity(&self) -> usize {
        self.chan.capacity()
    }

    /// Whether every `Sender` is gone (messages may still be buffered).
    pub fn is_disconnected(&self) -> bool {
        self.chan.is_closed()
    }

    /// Whether `self` and `other` receive from the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    pub(crate) fn chan(&self) -> &Chan<T> {
        &self.chan
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        // Relaxed: a new handle is made from a live one, so the count cannot be zero.
        self.chan.senders.fetch_add(1, Ordering::Relaxed);
        Self { chan: self.chan.clone() }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        // Relaxed: as for `Sender::clone`.
        self.chan.receivers.fetch_add(1, Ordering::Relaxed);
        Self { chan: self.chan.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // AcqRel: the last dropper closes after every other sender's last use.
        if self.chan.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.close();
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // AcqRel: as for `Sender::drop`.
        if self.chan.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.disconnect_receivers();
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
