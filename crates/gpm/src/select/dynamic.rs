//! [`Select`]: crossbeam-channel's dynamic select, for a set of operations built at run
//! time, and the [`SelectedOperation`] it hands back. How each operation is selected (a
//! send is reserved, not performed) is in `dyn_ops.rs`.

use super::arms::RecvArm;
use super::dyn_ops::{DynArms, DynOp, ReadyArms, ReadyOp, SendOp, SendState};
use super::error::{ReadyTimeoutError, SelectTimeoutError, TryReadyError, TrySelectError};
use super::{Order, Wait, run_arms};
use crate::chan::waitq::Slot;
use crate::chan::{Receiver, RecvError, SendError, Sender, SenderFlavor, TrySendError, wake};
use std::fmt;
use std::time::{Duration, Instant};

/// A dynamic select over any number of send and receive operations, for a set known only
/// at run time or larger than [`select!`](crate::select!)'s 32 arms (crossbeam-channel's
/// `Select`).
///
/// Add operations with [`send`](Self::send) and [`recv`](Self::recv), each of which returns
/// the operation's index; [`select`](Self::select) (or [`try_select`](Self::try_select),
/// [`select_timeout`](Self::select_timeout)) waits for one and hands back a
/// [`SelectedOperation`], which you then complete on the same channel. When several are
/// ready, one is picked at random ([`new_biased`](Self::new_biased): the first added). The
/// [`ready`](Self::ready) family only reports which operation would not block. A blocked
/// select parks the goroutine, or blocks a plain thread.
///
/// A send selected because a receiver was waiting (an unbuffered channel) is paired with
/// that receiver, as in crossbeam: the receiver waits for [`SelectedOperation::send`]
/// (past its own deadline), and receives again if the operation is dropped unsent.
/// `Select` is `Send` and `Sync` (so its channels' message types must be `Send`): clone it
/// into the threads or goroutines that share a set of operations.
///
/// Fan-in from a set of channels until every one is closed:
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// let total = rt.block_on(|| {
///     let rxs: Vec<_> = (0..4u64)
///         .map(|n| {
///             let (tx, rx) = gpm::chan::bounded(0);
///             gpm::go(move || (0..n).for_each(|v| tx.send(v).unwrap()));
///             rx
///         })
///         .collect();
///     let mut sel = gpm::chan::Select::new();
///     for rx in &rxs {
///         sel.recv(rx);
///     }
///     let (mut open, mut total) = (rxs.len(), 0);
///     while open > 0 {
///         let op = sel.select();
///         let i = op.index();
///         match op.recv(&rxs[i]) {
///             Ok(v) => total += v,
///             Err(_) => {
///                 sel.remove(i); // closed: stop selecting it
///                 open -= 1;
///             }
///         }
///     }
///     total
/// });
/// assert_eq!(total, 1 + (1 + 2)); // 0..1, 0..2 and 0..3
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Select<'a> {
    ops: Vec<(usize, Box<dyn DynOp + 'a>)>,
    next_index: usize,
    biased: bool,
}

// SAFETY: an operation holds a `&Sender<T>` or `&Receiver<T>` whose `T: Send` (the bound
// on `send` and `recv`), so a handle that is `Send` and `Sync`; its wait slot is queued only
// inside a `&mut self` call, which unqueues it before returning (on unwinding too); what it
// may hold between calls is a `T: Send` or a `SendState` of such handles. `&Select` reaches
// only the handles (`clone`) and the indices (`Debug`). (crossbeam's `Select` is both too.)
unsafe impl Send for Select<'_> {}
// SAFETY: as above.
unsafe impl Sync for Select<'_> {}

/// An operation chosen by a [`Select`], to be completed with [`send`](Self::send) or
/// [`recv`](Self::recv) on the channel it was selected for. [`index`](Self::index) says
/// which one it is. Dropping it without completing it panics, as crossbeam's.
///
/// ```
/// use gpm::chan::{Select, bounded};
/// let (tx, rx) = bounded(1);
/// let (_tx2, rx2) = bounded::<i32>(1);
/// tx.send(7).unwrap();
/// let mut sel = Select::new();
/// let a = sel.recv(&rx);
/// let b = sel.recv(&rx2);
/// let op = sel.select();
/// match op.index() {
///     i if i == a => assert_eq!(op.recv(&rx), Ok(7)),
///     i if i == b => unreachable!("nothing was sent on rx2: {:?}", op.recv(&rx2)),
///     _ => unreachable!(),
/// }
/// ```
#[must_use = "a selected operation must be completed with `send` or `recv`"]
pub struct SelectedOperation<'a> {
    index: usize,
    op: Box<dyn DynOp + 'a>,
    done: bool,
}

impl<'a> Select<'a> {
    /// An empty select: its operations are picked at random when several are ready.
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::bounded(1);
    /// let mut sel = gpm::chan::Select::new();
    /// assert_eq!(sel.recv(&rx), 0); // indices count from 0, in the order added
    /// tx.send(1).unwrap();
    /// assert_eq!(sel.select().recv(&rx), Ok(1));
    /// ```
    pub fn new() -> Self {
        Self { ops: Vec::new(), next_index: 0, biased: false }
    }

    /// An empty select that picks the first added of several ready operations
    /// ([`select_biased!`](crate::select_biased!)'s rule).
    ///
    /// ```
    /// let (tx1, rx1) = gpm::chan::bounded(1);
    /// let (tx2, rx2) = gpm::chan::bounded(1);
    /// tx1.send(1).unwrap();
    /// tx2.send(2).unwrap();
    /// let mut sel = gpm::chan::Select::new_biased();
    /// let first = sel.recv(&rx1);
    /// sel.recv(&rx2);
    /// let op = sel.select();
    /// assert_eq!(op.index(), first); // both are ready: the first added wins
    /// assert_eq!(op.recv(&rx1), Ok(1));
    /// ```
    pub fn new_biased() -> Self {
        Self { biased: true, ..Self::new() }
    }

    /// Adds a send on `s`; returns the operation's index. The message is given only once
    /// the operation is selected, to [`SelectedOperation::send`].
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::bounded(1);
    /// let mut sel = gpm::chan::Select::new();
    /// let i = sel.send(&tx);
    /// let op = sel.select(); // the buffer has room: ready
    /// assert_eq!(op.index(), i);
    /// op.send(&tx, "hi").unwrap();
    /// assert_eq!(rx.recv(), Ok("hi"));
    /// ```
    pub fn send<T: Send>(&mut self, s: &'a Sender<T>) -> usize {
        let op = SendOp { tx: s, slot: Slot::new(None), state: SendState::Unselected };
        self.push(Box::new(op))
    }

    /// Adds a receive on `r`; returns the operation's index. The message is taken when the
    /// operation is selected, and handed over by [`SelectedOperation::recv`].
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::bounded(1);
    /// tx.send(3).unwrap();
    /// let mut sel = gpm::chan::Select::new();
    /// let i = sel.recv(&rx);
    /// let op = sel.select();
    /// assert_eq!(op.index(), i);
    /// assert_eq!(op.recv(&rx), Ok(3));
    /// ```
    pub fn recv<T: Send>(&mut self, r: &'a Receiver<T>) -> usize {
        self.push(Box::new(RecvArm::new(r)))
    }

    fn push(&mut self, op: Box<dyn DynOp + 'a>) -> usize {
        let i = self.next_index;
        self.next_index += 1;
        self.ops.push((i, op));
        i
    }

    /// Removes the operation with `index` (indices of the others do not change): for
    /// example a receive on a channel that turned out closed (see [`Select`]'s example).
    ///
    /// # Panics
    /// If there is no operation with that index.
    ///
    /// ```
    /// let (tx1, rx1) = gpm::chan::bounded(1);
    /// let (tx2, rx2) = gpm::chan::bounded(1);
    /// tx1.send(1).unwrap();
    /// tx2.send(2).unwrap();
    /// let mut sel = gpm::chan::Select::new();
    /// let a = sel.recv(&rx1);
    /// let b = sel.recv(&rx2);
    /// sel.remove(a);
    /// let op = sel.select();
    /// assert_eq!(op.index(), b);
    /// assert_eq!(op.recv(&rx2), Ok(2));
    /// ```
    pub fn remove(&mut self, index: usize) {
        let pos = self.ops.iter().position(|(i, _)| *i == index);
        let pos = pos.unwrap_or_else(|| panic!("Select::remove: no operation with index {index}"));
        self.ops.swap_remove(pos);
    }

    #[track_caller]
    fn run(&mut self, wait: Wait, ready_mode: bool) -> Option<usize> {
        let order = Order::new(self.ops.len(), self.biased);
        if ready_mode {
            let mut ready: Vec<ReadyOp<'_>> =
                self.ops.iter_mut().map(|(_, op)| ReadyOp(&mut **op)).collect();
            let mut arms = ReadyArms(&mut ready);
            run_arms(&mut arms, &order, wait)
        } else {
            let mut arms = DynArms { ops: &mut self.ops };
            run_arms(&mut arms, &order, wait)
        }
    }

    fn selected(&mut self, pos: usize) -> SelectedOperation<'a> {
        let fresh = self.ops[pos].1.fresh();
        let index = self.ops[pos].0;
        let op = std::mem::replace(&mut self.ops[pos].1, fresh);
        SelectedOperation { index, op, done: false }
    }

    /// Selects a ready operation without blocking: [`TrySelectError`] if none is ready now.
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::bounded(1);
    /// let mut sel = gpm::chan::Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.try_select().is_err());
    /// tx.send(1).unwrap();
    /// assert_eq!(sel.try_select().unwrap().recv(&rx), Ok(1));
    /// ```
    pub fn try_select(&mut self) -> Result<SelectedOperation<'a>, TrySelectError> {
        let pos = self.run(Wait::NoWait, false).ok_or(TrySelectError)?;
        Ok(self.selected(pos))
    }

    /// Blocks (parks the goroutine, or blocks a plain thread) until an operation is ready,
    /// and selects it. A receive on a closed channel, or a send on one whose receivers are
    /// gone, is ready: completing it returns the `Err`. See also
    /// [`try_select`](Self::try_select) and [`select_timeout`](Self::select_timeout).
    ///
    /// # Panics
    /// If there are no operations (it would block forever), as crossbeam's.
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::bounded(0);
    /// let t = std::thread::spawn(move || tx.send(5).unwrap());
    /// let mut sel = gpm::chan::Select::new();
    /// sel.recv(&rx);
    /// assert_eq!(sel.select().recv(&rx), Ok(5)); // waits for the thread's send
    /// t.join().unwrap();
    /// ```
    #[track_caller]
    pub fn select(&mut self) -> SelectedOperation<'a> {
        assert!(!self.ops.is_empty(), "Select::select: no operations (it would block forever)");
        let pos = self.run(Wait::Block, false).expect("Select::select: returned nothing");
        self.selected(pos)
    }

    /// As [`select`](Self::select), blocking for at most `timeout`: [`SelectTimeoutError`]
    /// if nothing was ready by then. [`select_deadline`](Self::select_deadline) takes an
    /// instant instead.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (tx, rx) = gpm::chan::bounded(1);
    /// let mut sel = gpm::chan::Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.select_timeout(Duration::from_millis(5)).is_err());
    /// tx.send(1).unwrap();
    /// let op = sel.select_deadline(Instant::now() + Duration::from_millis(5)).unwrap();
    /// assert_eq!(op.recv(&rx), Ok(1));
    /// ```
    #[track_caller]
    pub fn select_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        self.select_until(Instant::now().checked_add(timeout))
    }

    /// As [`select`](Self::select), blocking until `deadline` at the latest (example at
    /// [`select_timeout`](Self::select_timeout)).
    #[track_caller]
    pub fn select_deadline(
        &mut self,
        deadline: Instant,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        self.select_until(Some(deadline))
    }

    #[track_caller]
    fn select_until(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        let pos = self.run(Wait::Until(deadline), false).ok_or(SelectTimeoutError)?;
        Ok(self.selected(pos))
    }

    /// The index of an operation that would not block now, without performing it:
    /// [`TryReadyError`] if none. The operation is not reserved: another party may take the
    /// chance first, so follow up with a `try_` call.
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::bounded(1);
    /// let mut sel = gpm::chan::Select::new();
    /// let r = sel.recv(&rx);
    /// assert!(sel.try_ready().is_err());
    /// tx.send(1).unwrap();
    /// assert_eq!(sel.try_ready(), Ok(r));
    /// assert_eq!(rx.try_recv(), Ok(1)); // the message is still there
    /// ```
    pub fn try_ready(&mut self) -> Result<usize, TryReadyError> {
        let pos = self.run(Wait::NoWait, true).ok_or(TryReadyError)?;
        Ok(self.ops[pos].0)
    }

    /// Blocks until an operation would not block, and returns its index, without
    /// performing it (see [`try_ready`](Self::try_ready)). See also
    /// [`ready_timeout`](Self::ready_timeout).
    ///
    /// # Panics
    /// If there are no operations.
    ///
    /// ```
    /// let (tx, rx) = gpm::chan::bounded(1);
    /// let t = std::thread::spawn(move || tx.send(1).unwrap());
    /// let mut sel = gpm::chan::Select::new();
    /// let r = sel.recv(&rx);
    /// assert_eq!(sel.ready(), r);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// t.join().unwrap();
    /// ```
    #[track_caller]
    pub fn ready(&mut self) -> usize {
        assert!(!self.ops.is_empty(), "Select::ready: no operations (it would block forever)");
        let pos = self.run(Wait::Block, true).expect("Select::ready: returned nothing");
        self.ops[pos].0
    }

    /// As [`ready`](Self::ready), for at most `timeout`: [`ReadyTimeoutError`] if nothing
    /// was ready by then. [`ready_deadline`](Self::ready_deadline) takes an instant instead.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (tx, rx) = gpm::chan::bounded::<i32>(0);
    /// let mut sel = gpm::chan::Select::new();
    /// sel.send(&tx); // unbuffered, and nobody receives
    /// assert!(sel.ready_timeout(Duration::from_millis(5)).is_err());
    /// drop(rx); // a send that would fail at once is ready too
    /// assert_eq!(sel.ready_deadline(Instant::now() + Duration::from_millis(5)), Ok(0));
    /// ```
    #[track_caller]
    pub fn ready_timeout(&mut self, timeout: Duration) -> Result<usize, ReadyTimeoutError> {
        self.ready_until(Instant::now().checked_add(timeout))
    }

    /// As [`ready`](Self::ready), until `deadline` at the latest (example at
    /// [`ready_timeout`](Self::ready_timeout)).
    #[track_caller]
    pub fn ready_deadline(&mut self, deadline: Instant) -> Result<usize, ReadyTimeoutError> {
        self.ready_until(Some(deadline))
    }

    #[track_caller]
    fn ready_until(&mut self, deadline: Option<Instant>) -> Result<usize, ReadyTimeoutError> {
        let pos = self.run(Wait::Until(deadline), true).ok_or(ReadyTimeoutError)?;
        Ok(self.ops[pos].0)
    }
}

impl<'a> SelectedOperation<'a> {
    /// The index of the selected operation, as returned when it was added (example at
    /// [`SelectedOperation`]).
    pub fn index(&self) -> usize {
        self.index
    }

    /// Completes the selected send with `msg`: [`SendError`] (holding `msg`) if the
    /// receivers are gone or the channel was closed (example at [`Select::send`]).
    ///
    /// # Panics
    /// If the selected operation is not a send on `s`'s channel.
    pub fn send<T>(mut self, s: &Sender<T>, msg: T) -> Result<(), SendError<T>> {
        assert!(
            self.op.is_send() && self.op.id() == s.flavor().id(),
            "SelectedOperation::send: the sender is not the one selected (index {})",
            self.index
        );
        self.done = true;
        // SAFETY: a send operation on the same live channel allocation as `s` is a
        // `SendOp<'_, T>` for this `T` (one allocation has one message type; `never`, which
        // has no allocation, is never selected).
        let op = unsafe { &mut *self.op.as_ptr().cast::<SendOp<'_, T>>() };
        match (std::mem::replace(&mut op.state, SendState::Unselected), s.flavor()) {
            (SendState::Reserved, SenderFlavor::Hchan(c)) => {
                let mut inner = c.lock();
                match inner.send_reserved(msg) {
                    Ok(woken) => {
                        drop(inner);
                        wake(&woken);
                        Ok(())
                    }
                    Err(TrySendError::Disconnected(v) | TrySendError::Full(v)) => Err(SendError(v)),
                }
            }
            // The paired receiver was cancelled before taking it: send as usual.
            (SendState::Paired(promise), _) => promise.send(msg).or_else(|SendError(v)| s.send(v)),
            (SendState::Disconnected, _) => Err(SendError(msg)),
            _ => s.send(msg),
        }
    }

    /// Completes the selected receive: the message, or [`RecvError`] if the channel is
    /// closed and empty (examples at [`SelectedOperation`] and [`Select`]).
    ///
    /// # Panics
    /// If the selected operation is not a receive on `r`'s channel.
    pub fn recv<T>(mut self, r: &Receiver<T>) -> Result<T, RecvError> {
        assert!(
            !self.op.is_send() && self.op.id() == r.flavor().id(),
            "SelectedOperation::recv: the receiver is not the one selected (index {})",
            self.index
        );
        self.done = true;
        // SAFETY: as in `send`: a receive operation on `r`'s live allocation is a
        // `RecvArm<'_, T>` for this `T`.
        let op = unsafe { &mut *self.op.as_ptr().cast::<RecvArm<'_, T>>() };
        op.take()
    }
}

impl Drop for SelectedOperation<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.op.release();
            if !crate::chan::panicking() {
                panic!("dropped `SelectedOperation` without completing the operation");
            }
        }
    }
}

impl Default for Select<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for Select<'_> {
    fn clone(&self) -> Self {
        let ops = self.ops.iter().map(|(i, op)| (*i, op.fresh())).collect();
        Self { ops, next_index: self.next_index, biased: self.biased }
    }
}

impl fmt::Debug for Select<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Select { .. }")
    }
}

impl fmt::Debug for SelectedOperation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectedOperation").field("index", &self.index).finish()
    }
}
