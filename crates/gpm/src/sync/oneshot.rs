//! `oneshot`: a channel for exactly one value (tokio's `oneshot`), for handing a result
//! back from a goroutine.
//!
//! Built on a [`chan::bounded(1)`](crate::chan::bounded) channel: the `Sender` is consumed
//! by its one `send` (which never blocks: the one slot is free), and the `Receiver`
//! derefs to the channel's receiver, so it works in `select!` (`recv(*rx) -> v`) and with
//! `recv_timeout` and `try_recv`. Dropping the sender unsent disconnects the receiver;
//! dropping the receiver makes `send` give the value back.
//!
//! ```
//! use gpm::sync::oneshot;
//! use std::time::Duration;
//! let rt = gpm::Runtime::single_thread()?;
//! rt.block_on(|| {
//!     let (tx, rx) = oneshot::channel();
//!     gpm::go(move || tx.send("answer").unwrap());
//!     let got = gpm::select! {
//!         recv(*rx) -> v => v.unwrap(),
//!         default(Duration::from_secs(10)) => "timed out",
//!     };
//!     assert_eq!(got, "answer");
//!
//!     let (tx, rx) = oneshot::channel::<u32>();
//!     drop(tx); // never sent
//!     assert!(rx.recv().is_err());
//! });
//! # Ok::<(), std::io::Error>(())
//! ```

use std::ops::Deref;

use crate::chan::{self, RecvError, SendError};

/// Creates a one-value channel.
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let (tx, rx) = gpm::sync::oneshot::channel();
///     gpm::go(move || tx.send(6 * 7).unwrap());
///     assert_eq!(rx.recv(), Ok(42));
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = chan::bounded(1);
    (Sender { tx }, Receiver { rx })
}

/// The sending half: [`send`](Sender::send) once.
///
/// ```
/// let (tx, rx) = gpm::sync::oneshot::channel::<u8>();
/// drop(tx); // never sent
/// assert!(rx.recv().is_err());
/// ```
#[derive(Debug)]
pub struct Sender<T> {
    tx: chan::Sender<T>,
}

/// The receiving half: [`recv`](Receiver::recv) once; derefs to a
/// [`chan::Receiver`] for `select!`, `try_recv` and
/// `recv_timeout`.
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let (tx, rx) = gpm::sync::oneshot::channel();
///     gpm::go(move || tx.send("done").unwrap());
///     gpm::select! {
///         recv(*rx) -> v => assert_eq!(v, Ok("done")),
///         default(std::time::Duration::from_secs(5)) => panic!("timed out"),
///     }
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Receiver<T> {
    rx: chan::Receiver<T>,
}

impl<T> Sender<T> {
    /// Sends the value (never blocks). `Err` gives it back if the receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = gpm::sync::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(1).unwrap_err().into_inner(), 1);
    /// ```
    pub fn send(self, value: T) -> Result<(), SendError<T>> {
        self.tx.send(value)
    }

    /// Whether the receiver is gone (a `send` would fail).
    ///
    /// ```
    /// let (tx, rx) = gpm::sync::oneshot::channel::<()>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.tx.is_disconnected()
    }
}

impl<T> Receiver<T> {
    /// Waits for the value (parks a goroutine, blocks a thread); `Err` if the sender was
    /// dropped without sending.
    ///
    /// ```
    /// let (tx, rx) = gpm::sync::oneshot::channel();
    /// std::thread::spawn(move || tx.send(1).unwrap());
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    pub fn recv(self) -> Result<T, RecvError> {
        self.rx.recv()
    }
}

impl<T> Deref for Receiver<T> {
    type Target = chan::Receiver<T>;

    fn deref(&self) -> &chan::Receiver<T> {
        &self.rx
    }
}
