//! `Receiver`: the receiving half of every channel flavor (including the timer channels and
//! `never`), its counted clones, and the disconnect that the last drop performs.

use super::error::{RecvError, RecvTimeoutError, TryRecvError};
use super::flavor::ReceiverFlavor;
use super::hchan::wake;
use super::iter::{Iter, TryIter};
use super::timer;
use crate::shim::{Ordering, WaitReason};
use std::fmt;
use std::time::{Duration, Instant};

/// The receiving half of a channel, made by [`bounded`](super::bounded),
/// [`unbounded`](super::unbounded), the timer channels ([`after`](super::after),
/// [`at`](super::at), [`tick`](super::tick)) or [`never`](super::never). `Clone` makes
/// another receiver of the same channel; each message goes to exactly one of them. Once the
/// last one is dropped, sends fail and hand their message back. Works from goroutines (a
/// blocked receive parks the goroutine) and from plain threads (it blocks the thread).
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// let total = rt.block_on(|| {
///     let (tx, rx) = gpm::chan::bounded(16);
///     // Two consumers share one channel; each message is taken once.
///     let consumers: Vec<_> = (0..2)
///         .map(|_| {
///             let rx = rx.clone();
///             gpm::go(move || rx.iter().sum::<u64>())
///         })
///         .collect();
///     for i in 1..=100 {
///         tx.send(i).unwrap();
///     }
///     drop(tx); // closes the channel: the consumers' loops end once it is drained
///     consumers.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
/// });
/// assert_eq!(total, 5050);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Receiver<T> {
    pub(super) flavor: ReceiverFlavor<T>,
}

impl<T> Receiver<T> {
    /// Receives a message, blocking (parking the goroutine) until one arrives. Fails with
    /// [`RecvError`] once the channel is empty and closed (every `Sender` gone, or
    /// [`Sender::close`](super::Sender::close)); buffered messages are received first. See
    /// also [`try_recv`](Self::try_recv) and [`recv_timeout`](Self::recv_timeout).
    ///
    /// ```
    /// use gpm::chan::{RecvError, bounded};
    /// let (tx, rx) = bounded(0);
    /// let t = std::thread::spawn(move || tx.send("hello").unwrap());
    /// assert_eq!(rx.recv(), Ok("hello"));
    /// t.join().unwrap(); // the sender is dropped: the channel is closed
    /// assert_eq!(rx.recv(), Err(RecvError));
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.recv_inner(None).map_err(|_| RecvError)
    }

    /// Receives without blocking: [`TryRecvError::Empty`] if no message is there now (on an
    /// unbuffered channel: no sender is waiting), [`TryRecvError::Disconnected`] once the
    /// channel is empty and closed.
    ///
    /// ```
    /// use gpm::chan::{TryRecvError, bounded};
    /// let (tx, rx) = bounded(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(5).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(5));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
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

    /// As [`recv`](Self::recv), blocking for at most `timeout`:
    /// [`RecvTimeoutError::Timeout`] if nothing arrived by then.
    /// [`recv_deadline`](Self::recv_deadline) takes an instant instead.
    ///
    /// ```
    /// use gpm::chan::{RecvTimeoutError, bounded};
    /// use std::time::{Duration, Instant};
    /// let (tx, rx) = bounded::<i32>(1);
    /// assert_eq!(rx.recv_timeout(Duration::from_millis(5)), Err(RecvTimeoutError::Timeout));
    /// tx.send(1).unwrap();
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// assert_eq!(rx.recv_deadline(deadline), Ok(1));
    /// drop(tx);
    /// assert_eq!(rx.recv_timeout(Duration::from_millis(5)), Err(RecvTimeoutError::Disconnected));
    /// ```
    #[track_caller]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_until(Instant::now().checked_add(timeout))
    }

    /// As [`recv`](Self::recv), blocking until `deadline` at the latest (example at
    /// [`recv_timeout`](Self::recv_timeout)).
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
    /// (see `Sender::send`); the unbounded list is one direct call, as in `Sender::send`
    /// (through `recv_other`, a second frame and a jump table per message showed in a
    /// fan-in's receiver); the other flavors go through one call.
    #[inline(always)]
    #[track_caller]
    fn recv_inner(&self, deadline: Option<Instant>) -> Result<T, TryRecvError> {
        match &self.flavor {
            ReceiverFlavor::Hchan(c) => c.recv(deadline),
            ReceiverFlavor::List(l) => l.recv(deadline),
            _ => self.recv_other(deadline),
        }
    }

    /// `recv_inner` on the flavors other than the channel proper.
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

    /// A blocking iterator: yields messages as [`recv`](Self::recv) does, until the channel
    /// is closed and drained (`for msg in &rx` does the same; `for msg in rx` takes the
    /// receiver, see [`IntoIter`](super::IntoIter)).
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::bounded(3);
    /// for i in 0..3 {
    ///     tx.send(i).unwrap();
    /// }
    /// drop(tx);
    /// assert_eq!(rx.iter().collect::<Vec<_>>(), [0, 1, 2]);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// A non-blocking iterator over the messages there now, as [`try_recv`](Self::try_recv)
    /// in a loop: it ends at the first empty channel, even if senders remain.
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::unbounded();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]); // tx is still alive
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { rx: self }
    }

    /// Messages in the buffer now (always 0 for an unbuffered channel; 0 or 1 for a timer
    /// channel). With [`is_empty`](Self::is_empty), [`is_full`](Self::is_full) and
    /// [`capacity`](Self::capacity), a snapshot that may change at once.
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::bounded(2);
    /// assert!(rx.is_empty());
    /// tx.send(1).unwrap();
    /// assert_eq!((rx.len(), rx.capacity()), (1, Some(2)));
    /// tx.send(2).unwrap();
    /// assert!(rx.is_full());
    /// ```
    pub fn len(&self) -> usize {
        match &self.flavor {
            ReceiverFlavor::Hchan(c) => c.len(),
            ReceiverFlavor::List(l) => l.len(),
            ReceiverFlavor::At(a, _) => usize::from(a.is_ready()),
            ReceiverFlavor::Tick(t, _) => usize::from(t.is_ready()),
            ReceiverFlavor::Never => 0,
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
    /// [`unbounded`](super::unbounded); `Some(1)` for the timer channels and `Some(0)` for
    /// [`never`](super::never) (crossbeam-channel's values; example at [`len`](Self::len)).
    pub fn capacity(&self) -> Option<usize> {
        match &self.flavor {
            ReceiverFlavor::Hchan(c) => Some(c.capacity()),
            ReceiverFlavor::List(_) => None,
            ReceiverFlavor::At(..) | ReceiverFlavor::Tick(..) => Some(1),
            ReceiverFlavor::Never => Some(0),
        }
    }

    /// Whether every `Sender` is gone or the channel was closed (messages may still be
    /// buffered). Never true for the timer channels and [`never`](super::never).
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::bounded(1);
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert!(rx.is_disconnected());
    /// assert_eq!(rx.recv(), Ok(1)); // still buffered
    /// ```
    pub fn is_disconnected(&self) -> bool {
        match &self.flavor {
            ReceiverFlavor::Hchan(c) => c.is_closed(),
            ReceiverFlavor::List(l) => l.is_disconnected(),
            _ => false,
        }
    }

    /// Whether `self` and `other` receive from the same channel (every
    /// [`never`](super::never) receiver is the same channel, as Go's nil channels and
    /// crossbeam's `never`s).
    ///
    /// ```
    /// let (_tx, rx) = gpm::chan::bounded::<i32>(1);
    /// assert!(rx.same_channel(&rx.clone()));
    /// assert!(!rx.same_channel(&gpm::chan::bounded(1).1));
    /// assert!(gpm::chan::never::<i32>().same_channel(&gpm::chan::never()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        self.flavor.id() == other.flavor.id()
    }

    pub(crate) fn flavor(&self) -> &ReceiverFlavor<T> {
        &self.flavor
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

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}
