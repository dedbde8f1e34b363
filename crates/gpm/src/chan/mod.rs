//! Go's channels, for goroutines and plain threads alike: [`bounded`]`(cap)` (`0` is an
//! unbuffered rendezvous, as `make(chan T)`), [`unbounded`], the timer channels [`after`],
//! [`at`] and [`tick`], and [`never()`]. Every channel is multi-producer multi-consumer:
//! [`Sender`] and [`Receiver`] are both `Clone`, and each message goes to exactly one
//! receiver.
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
//! # Blocking
//! A call that must wait — a send on a full channel, a receive on an empty one, a
//! [`select!`](crate::select!) with no ready arm — parks the goroutine that makes it, and its
//! thread runs other goroutines meanwhile; on a plain thread it blocks the thread. So the
//! main thread and goroutines can talk over one channel. Each blocking call has a `try_`
//! form that never waits and `_timeout` / `_deadline` forms that wait at most so long.
//! Every channel operation is also a scheduling point: a goroutine looping on a channel
//! that is always ready still lets the others run when its time slice is used up.
//!
//! # Closing
//! A channel closes when its last [`Sender`] is dropped, or at [`Sender::close`] (Go's
//! `close`): receivers take what is buffered, then get an error ([`RecvError`] and its
//! kin). Once every [`Receiver`] is gone, or the channel is closed, a send fails and hands
//! its message back in the error ([`SendError`] and its kin).
//!
//! # Waiting on several channels
//! [`select!`](crate::select!) waits for the first of several sends and receives (a random
//! one of those ready, as in Go); [`select_biased!`](crate::select_biased!) prefers the
//! first written; a dynamic [`Select`] takes a set of operations built at run time.
//!
//! # Differences from crossbeam-channel
//! The API and its documented behaviour are crossbeam-channel's; these differ on purpose:
//! - a `select!` send arm's message is evaluated before the select runs (Go's rule) and
//!   dropped if another arm wins;
//! - [`Sender::close`] exists (Go's `close`); sending on a closed channel is an `Err`;
//! - [`Sender::never`] makes a send arm that is never ready (Go's nil channel);
//! - a receiver paired with a selected [`Select`] send is released, and receives again,
//!   if the operation is dropped unsent (crossbeam's waits for ever); a paired receiver
//!   that is cancelled leaves the send to complete as a plain send;
//! - [`Select`]'s `send` and `recv` take only channels whose message type is `Send` (the
//!   `Select` is `Send + Sync`);
//! - `select!` takes at most 32 operation arms (as crossbeam's); [`Select`] has no limit.
//!
//! Handles are `Send + Sync` exactly when the message type is `Send`:
//!
//! ```compile_fail
//! fn needs_send<T: Send>(_: T) {}
//! let (tx, _rx) = gpm::chan::bounded::<std::rc::Rc<u8>>(1);
//! needs_send(tx); // an `Rc` must not cross threads through a channel
//! ```

// Design: a handle holds one flavor (`flavor.rs`): Go's `hchan` for `bounded` (`hchan.rs`,
// with `waitq.rs` and the crate's `waiter.rs`), crossbeam-channel's lock-free list for
// `unbounded` (`list/`), a timer (`timer.rs`), or nothing (`never`). The hchan protocol is
// written in `hchan.rs`'s header.

mod error;
mod flavor;
mod hchan;
mod iter;
mod receiver;
mod sender;

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
pub use iter::{IntoIter, Iter, TryIter};
pub use receiver::Receiver;
pub use sender::Sender;

pub(crate) use flavor::{ReceiverFlavor, SenderFlavor};
pub(crate) use hchan::wake;

use crate::shim::Arc;
use hchan::Chan;
use list::List;
use std::time::{Duration, Instant};

/// Creates a channel with room for `cap` buffered messages: a send waits only while the
/// buffer is full. `cap == 0` is a rendezvous: a send completes only when a receiver takes
/// the value (Go's unbuffered channel).
///
/// ```
/// let (tx, rx) = gpm::chan::bounded(2);
/// tx.send(1).unwrap(); // the buffer has room: no receiver needed
/// tx.send(2).unwrap();
/// assert!(tx.try_send(3).unwrap_err().is_full());
/// assert_eq!((rx.recv(), rx.recv()), (Ok(1), Ok(2)));
///
/// let (tx, rx) = gpm::chan::bounded(0);
/// assert!(tx.try_send(1).is_err()); // unbuffered: no receiver is waiting
/// let t = std::thread::spawn(move || tx.send(1)); // waits until received
/// assert_eq!(rx.recv(), Ok(1));
/// t.join().unwrap().unwrap();
/// ```
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(cap));
    (
        Sender { flavor: SenderFlavor::Hchan(chan.clone()) },
        Receiver { flavor: ReceiverFlavor::Hchan(chan) },
    )
}

/// Creates a channel without a capacity limit: a send never blocks (crossbeam-channel's
/// `unbounded`).
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
/// (crossbeam-channel's `after`; Go's `time.After`), then nothing more. No thread or
/// goroutine stands behind it: a receive simply waits until the due time. A timeout for a
/// [`select!`](crate::select!):
///
/// ```
/// use std::time::{Duration, Instant};
/// let (_tx, rx) = gpm::chan::bounded::<i32>(1);
/// let start = Instant::now();
/// let timeout = gpm::chan::after(Duration::from_millis(5));
/// gpm::select! {
///     recv(rx) -> _ => unreachable!("nothing is sent"),
///     recv(timeout) -> due => assert!(due.unwrap() >= start + Duration::from_millis(5)),
/// }
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// ```
pub fn after(duration: Duration) -> Receiver<Instant> {
    let now = Instant::now();
    at(now.checked_add(duration).unwrap_or_else(|| timer::far_future(now)))
}

/// A receiver that delivers one message, `when`, at `when` (crossbeam-channel's `at`),
/// then nothing more.
///
/// ```
/// use std::time::{Duration, Instant};
/// let when = Instant::now() + Duration::from_millis(5);
/// let rx = gpm::chan::at(when);
/// assert_eq!(rx.recv(), Ok(when));
/// assert!(Instant::now() >= when);
/// assert!(rx.try_recv().is_err()); // one message only
/// ```
pub fn at(when: Instant) -> Receiver<Instant> {
    Receiver { flavor: ReceiverFlavor::At(Arc::new(timer::At::new(when)), identity) }
}

/// A receiver that delivers the due instant every `period`, the first one `period` from now
/// (crossbeam-channel's `tick`; Go's `time.Tick`). A slow reader gets one message for the
/// ticks it missed, not a backlog. It never closes.
///
/// ```
/// use std::time::{Duration, Instant};
/// let start = Instant::now();
/// let ticks = gpm::chan::tick(Duration::from_millis(2));
/// let first = ticks.recv().unwrap();
/// let second = ticks.recv().unwrap();
/// assert!(first >= start + Duration::from_millis(2));
/// assert!(second >= first + Duration::from_millis(2));
/// ```
pub fn tick(period: Duration) -> Receiver<Instant> {
    Receiver { flavor: ReceiverFlavor::Tick(Arc::new(timer::Tick::new(period)), identity) }
}

fn identity(t: Instant) -> Instant {
    t
}
