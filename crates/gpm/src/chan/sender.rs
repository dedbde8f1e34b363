//! `Sender`: the sending half of every channel flavor, its counted clones, and the close
//! that the last drop (or `Sender::close`) performs.

use super::error::{SendError, SendTimeoutError, TrySendError};
use super::flavor::SenderFlavor;
use super::hchan::wake;
use super::timer;
use crate::shim::{Ordering, WaitReason};
use std::fmt;
use std::time::{Duration, Instant};

/// The sending half of a channel, made by [`bounded`](super::bounded) or
/// [`unbounded`](super::unbounded). `Clone` makes another sender of the same channel; the
/// channel closes when the last one is dropped (or at [`Sender::close`]). Works from
/// goroutines (a blocked send parks the goroutine) and from plain threads (it blocks the
/// thread).
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// let sum = rt.block_on(|| {
///     let (tx, rx) = gpm::chan::bounded(0);
///     for i in 1..=10 {
///         let tx = tx.clone();
///         gpm::go(move || tx.send(i).unwrap());
///     }
///     drop(tx); // the last clone goes when the goroutines finish: the channel closes
///     rx.iter().sum::<i32>()
/// });
/// assert_eq!(sum, 55);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Sender<T> {
    pub(super) flavor: SenderFlavor<T>,
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

    /// Sends `value`, blocking (parking the goroutine) until there is room in the buffer or
    /// a receiver takes it; on an unbuffered channel, until a receiver takes it. Fails,
    /// handing the value back in the [`SendError`], once every `Receiver` is gone or the
    /// channel was [closed](Self::close). See also [`try_send`](Self::try_send) and
    /// [`send_timeout`](Self::send_timeout).
    ///
    /// ```
    /// use gpm::chan::{SendError, bounded};
    /// let (tx, rx) = bounded(1);
    /// tx.send(1).unwrap(); // room in the buffer: returns at once
    /// assert_eq!(rx.recv(), Ok(1));
    /// drop(rx);
    /// assert_eq!(tx.send(2), Err(SendError(2))); // no receiver left: the value comes back
    /// ```
    // Inlined down to the park, as the channel's own send is; the list's send never parks
    // and is a call to reserve plus a write. The other flavors go through one call
    // (`send_other`), so this one stays small enough to inline.
    #[inline(always)]
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        match &self.flavor {
            SenderFlavor::Hchan(c) => c.send(value, None).map_err(|e| SendError(e.into_inner())),
            SenderFlavor::List(l) => l.send(value).map_err(SendError),
            _ => self.send_other(value),
        }
    }

    /// `send` on the flavors other than the channel proper.
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

    /// Sends without blocking: [`TrySendError::Full`] if the buffer has no room and no
    /// receiver is waiting (on an unbuffered channel: no receiver is waiting),
    /// [`TrySendError::Disconnected`] once every `Receiver` is gone or the channel was
    /// closed. Either way the value comes back in the error.
    ///
    /// ```
    /// use gpm::chan::{TrySendError, bounded};
    /// let (tx, rx) = bounded(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// drop(rx);
    /// assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
    /// ```
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

    /// As [`send`](Self::send), blocking for at most `timeout`:
    /// [`SendTimeoutError::Timeout`] (holding the value) if it could not be sent by then.
    /// [`send_deadline`](Self::send_deadline) takes an instant instead.
    ///
    /// ```
    /// use gpm::chan::{SendTimeoutError, bounded};
    /// use std::time::{Duration, Instant};
    /// let (tx, rx) = bounded(1);
    /// assert_eq!(tx.send_timeout(1, Duration::from_millis(5)), Ok(()));
    /// // The buffer is full and nobody receives: the send gives up.
    /// assert_eq!(tx.send_timeout(2, Duration::from_millis(5)), Err(SendTimeoutError::Timeout(2)));
    /// assert_eq!(rx.recv(), Ok(1));
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// assert_eq!(tx.send_deadline(3, deadline), Ok(()));
    /// ```
    #[track_caller]
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_until(value, Instant::now().checked_add(timeout))
    }

    /// As [`send`](Self::send), blocking until `deadline` at the latest (example at
    /// [`send_timeout`](Self::send_timeout)).
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

    /// Messages in the buffer now (always 0 for an unbuffered channel). With
    /// [`is_empty`](Self::is_empty), [`is_full`](Self::is_full) and
    /// [`capacity`](Self::capacity), a snapshot that may change at once.
    ///
    /// ```
    /// let (tx, _rx) = gpm::chan::bounded(2);
    /// assert_eq!(tx.capacity(), Some(2));
    /// assert!(tx.is_empty() && !tx.is_full());
    /// tx.send('a').unwrap();
    /// tx.send('b').unwrap();
    /// assert_eq!(tx.len(), 2);
    /// assert!(tx.is_full());
    /// assert_eq!(gpm::chan::unbounded::<char>().0.capacity(), None);
    /// ```
    pub fn len(&self) -> usize {
        match &self.flavor {
            SenderFlavor::Hchan(c) => c.len(),
            SenderFlavor::List(l) => l.len(),
            SenderFlavor::Never => 0,
        }
    }

    /// Whether the buffer is empty now (example at [`len`](Self::len)).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the buffer is full now: always for an unbuffered channel, never for an
    /// unbounded one (example at [`len`](Self::len)).
    pub fn is_full(&self) -> bool {
        self.capacity().is_some_and(|cap| self.len() == cap)
    }

    /// The buffer's capacity as given to [`bounded`](super::bounded); `None` for
    /// [`unbounded`](super::unbounded) (crossbeam-channel's signature; example at
    /// [`len`](Self::len)).
    pub fn capacity(&self) -> Option<usize> {
        match &self.flavor {
            SenderFlavor::Hchan(c) => Some(c.capacity()),
            SenderFlavor::List(_) => None,
            SenderFlavor::Never => Some(0),
        }
    }

    /// Whether a send fails now: every `Receiver` is gone, or the channel was closed.
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::bounded::<i32>(1);
    /// assert!(!tx.is_disconnected());
    /// drop(rx);
    /// assert!(tx.is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        match &self.flavor {
            SenderFlavor::Hchan(c) => c.is_send_disconnected(),
            SenderFlavor::List(l) => l.is_disconnected(),
            SenderFlavor::Never => false,
        }
    }

    /// Whether `self` and `other` send on the same channel (every [`Sender::never`] is the
    /// same channel).
    ///
    /// ```
    /// let (tx, _rx) = gpm::chan::bounded::<i32>(1);
    /// let (other, _other_rx) = gpm::chan::bounded::<i32>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        self.flavor.id() == other.flavor.id()
    }

    pub(crate) fn flavor(&self) -> &SenderFlavor<T> {
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

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sender { .. }")
    }
}
