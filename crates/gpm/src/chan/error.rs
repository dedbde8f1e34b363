//! The channel error types, shaped as crossbeam-channel's: a failed send hands the message
//! back; `Debug` never requires `T: Debug` (the message is shown as `..`).

use std::fmt;

/// [`Sender::send`](super::Sender::send) failed: every `Receiver` is gone or the channel was
/// closed. Holds the message that could not be sent ([`into_inner`](Self::into_inner)).
///
/// ```
/// let (tx, rx) = gpm::chan::bounded(1);
/// drop(rx);
/// let err = tx.send(String::from("lost")).unwrap_err();
/// assert_eq!(err.to_string(), "sending on a disconnected channel");
/// assert_eq!(err.into_inner(), "lost"); // the message comes back
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

/// [`Sender::try_send`](super::Sender::try_send) failed. Both variants hold the message
/// ([`into_inner`](Self::into_inner)); [`is_full`](Self::is_full) and
/// [`is_disconnected`](Self::is_disconnected) tell them apart.
///
/// ```
/// use gpm::chan::TrySendError;
/// let (tx, rx) = gpm::chan::bounded(0);
/// let err = tx.try_send(1).unwrap_err(); // unbuffered, and no receiver waits
/// assert!(err.is_full() && !err.is_disconnected());
/// drop(rx);
/// let err = tx.try_send(2).unwrap_err();
/// assert_eq!(err, TrySendError::Disconnected(2));
/// assert_eq!(err.into_inner(), 2); // the message comes back
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// The buffer is full (or, unbuffered, no receiver is waiting).
    Full(T),
    /// Every `Receiver` is gone, or the channel was closed.
    Disconnected(T),
}

/// [`Sender::send_timeout`](super::Sender::send_timeout) (or `send_deadline`) failed. Both
/// variants hold the message ([`into_inner`](Self::into_inner));
/// [`is_timeout`](Self::is_timeout) and [`is_disconnected`](Self::is_disconnected) tell
/// them apart.
///
/// ```
/// use std::time::Duration;
/// let (tx, _rx) = gpm::chan::bounded(0);
/// let err = tx.send_timeout('x', Duration::from_millis(1)).unwrap_err();
/// assert!(err.is_timeout() && !err.is_disconnected());
/// assert_eq!(err.into_inner(), 'x');
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum SendTimeoutError<T> {
    /// The message could not be sent before the deadline.
    Timeout(T),
    /// Every `Receiver` is gone, or the channel was closed.
    Disconnected(T),
}

/// [`Receiver::recv`](super::Receiver::recv) failed: the channel is empty and closed
/// (every `Sender` is gone, or it was closed).
///
/// ```
/// let (tx, rx) = gpm::chan::bounded::<i32>(1);
/// drop(tx);
/// assert_eq!(rx.recv(), Err(gpm::chan::RecvError));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct RecvError;

/// [`Receiver::try_recv`](super::Receiver::try_recv) failed; [`is_empty`](Self::is_empty)
/// and [`is_disconnected`](Self::is_disconnected) tell the variants apart.
///
/// ```
/// use gpm::chan::TryRecvError;
/// let (tx, rx) = gpm::chan::bounded::<i32>(1);
/// assert!(rx.try_recv().unwrap_err().is_empty());
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum TryRecvError {
    /// The channel is empty (or, unbuffered, no sender is waiting).
    Empty,
    /// The channel is empty and closed.
    Disconnected,
}

/// [`Receiver::recv_timeout`](super::Receiver::recv_timeout) (or `recv_deadline`) failed;
/// [`is_timeout`](Self::is_timeout) and [`is_disconnected`](Self::is_disconnected) tell
/// the variants apart.
///
/// ```
/// use std::time::Duration;
/// let (_tx, rx) = gpm::chan::bounded::<i32>(1);
/// let err = rx.recv_timeout(Duration::from_millis(1)).unwrap_err();
/// assert!(err.is_timeout() && !err.is_disconnected());
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum RecvTimeoutError {
    /// Nothing arrived before the deadline.
    Timeout,
    /// The channel is empty and closed.
    Disconnected,
}

impl<T> SendError<T> {
    /// The message that was not sent (example at [`SendError`]).
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> TrySendError<T> {
    /// The message that was not sent (example at [`TrySendError`]).
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(v) | Self::Disconnected(v) => v,
        }
    }

    /// Whether the send failed because the channel was full (example at [`TrySendError`]).
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }

    /// Whether the send failed because every `Receiver` is gone or the channel was closed
    /// (example at [`TrySendError`]).
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected(_))
    }
}

impl<T> SendTimeoutError<T> {
    /// The message that was not sent (example at [`SendTimeoutError`]).
    pub fn into_inner(self) -> T {
        match self {
            Self::Timeout(v) | Self::Disconnected(v) => v,
        }
    }

    /// Whether the send timed out (example at [`SendTimeoutError`]).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }

    /// Whether the send failed because every `Receiver` is gone or the channel was closed
    /// (example at [`SendTimeoutError`]).
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected(_))
    }
}

impl TryRecvError {
    /// Whether the channel was empty (example at [`TryRecvError`]).
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Empty)
    }

    /// Whether the channel is empty and closed (example at [`TryRecvError`]).
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected)
    }
}

impl RecvTimeoutError {
    /// Whether the receive timed out (example at [`RecvTimeoutError`]).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout)
    }

    /// Whether the channel is empty and closed (example at [`RecvTimeoutError`]).
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected)
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(_) => f.write_str("Timeout(..)"),
            Self::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a disconnected channel")
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("sending on a full channel"),
            Self::Disconnected(_) => f.write_str("sending on a disconnected channel"),
        }
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(_) => f.write_str("timed out waiting on send operation"),
            Self::Disconnected(_) => f.write_str("sending on a disconnected channel"),
        }
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on an empty and disconnected channel")
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("receiving on an empty channel"),
            Self::Disconnected => f.write_str("receiving on an empty and disconnected channel"),
        }
    }
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("timed out waiting on receive operation"),
            Self::Disconnected => f.write_str("channel is empty and disconnected"),
        }
    }
}

impl<T> std::error::Error for SendError<T> {}
impl<T> std::error::Error for TrySendError<T> {}
impl<T> std::error::Error for SendTimeoutError<T> {}
impl std::error::Error for RecvError {}
impl std::error::Error for TryRecvError {}
impl std::error::Error for RecvTimeoutError {}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(e: SendError<T>) -> Self {
        Self::Disconnected(e.0)
    }
}

impl<T> From<SendError<T>> for SendTimeoutError<T> {
    fn from(e: SendError<T>) -> Self {
        Self::Disconnected(e.0)
    }
}

impl From<RecvError> for TryRecvError {
    fn from(_: RecvError) -> Self {
        Self::Disconnected
    }
}

impl From<RecvError> for RecvTimeoutError {
    fn from(_: RecvError) -> Self {
        Self::Disconnected
    }
}
