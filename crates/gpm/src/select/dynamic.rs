//! [`Select`]: crossbeam-channel's dynamic select, for a set of operations built at run
//! time (a `Vec<Receiver<T>>`, more than `select!`'s 32 arms).
//!
//! It drives the same loop as `select!` (`run_arms`). A receive operation is a `select!`
//! receive arm: it completes while selecting, and [`SelectedOperation::recv`] hands over
//! the message it holds. A send operation has no message until
//! [`SelectedOperation::send`], so selecting it *reserves* the send instead:
//! - `bounded(n > 0)`: a buffer place is promised (counted as taken by other senders) until
//!   the send fills it or the `SelectedOperation` is dropped;
//! - `unbounded`: nothing to reserve; a send always completes;
//! - `bounded(0)`: the send is ready when a receiver is waiting, and `send` hands the message
//!   to a waiting receiver — if another sender took that receiver in between, `send` waits
//!   for the next one (a deliberate difference from crossbeam, which hands the message to
//!   the very receiver it selected: gpm's receivers are completed with the value in one
//!   step, under the channel lock, and a selected send has no value yet).
//!
//! A blocked `Select` waits for a send to become possible in the channel's `watch` queue,
//! which every change of the channel wakes.
//!
//! `ready()` and friends report an operation that would not block, without performing it;
//! they wait in the `watch` queues (`bounded`) or as watchers among an `unbounded`
//! channel's receivers (which a sender's wake-up passes on; see `list.rs`).

use super::arms::{ArmImpl, RecvArm};
use super::{Arms, Order, Wait, run_arms};
use crate::chan::list::WATCH_BIT;
use crate::chan::waitq::Slot;
use crate::chan::{
    Receiver, ReceiverFlavor, RecvError, SendError, Sender, SenderFlavor, TrySendError, wake,
};
use crate::waiter::Waiter;
use std::fmt;
use std::time::{Duration, Instant};

/// A dynamic select over any number of send and receive operations (crossbeam-channel's
/// `Select`).
///
/// ```
/// use gpm::chan::{Select, bounded};
/// let chans: Vec<_> = (0..3).map(|_| bounded::<usize>(1)).collect();
/// chans[2].0.send(7).unwrap();
/// let mut sel = Select::new();
/// for (_, rx) in &chans {
///     sel.recv(rx);
/// }
/// let oper = sel.select();
/// let i = oper.index();
/// assert_eq!((i, oper.recv(&chans[i].1)), (2, Ok(7)));
/// ```
pub struct Select<'a> {
    ops: Vec<(usize, Box<dyn DynOp + 'a>)>,
    next_index: usize,
    biased: bool,
}

/// A selected operation, to be completed with [`send`](Self::send) or
/// [`recv`](Self::recv) on the channel it was selected for (dropping it uncompleted
/// panics, as crossbeam's).
#[must_use = "a selected operation must be completed with `send` or `recv`"]
pub struct SelectedOperation<'a> {
    index: usize,
    op: Box<dyn DynOp + 'a>,
    done: bool,
}

/// The dynamic `Select`'s view of an operation.
trait DynOp: ArmImpl {
    fn id(&self) -> *const ();
    fn is_send(&self) -> bool;
    /// `ready()` mode: whether the operation would not block now.
    fn is_ready(&self) -> bool;
    /// `ready()` mode: queue a watch entry unless ready now (`true`).
    fn watch(&self, waiter: &Waiter, index: usize) -> bool;
    fn unwatch(&self);
    /// The concrete operation, for [`SelectedOperation`]'s typed access.
    fn as_ptr(&mut self) -> *mut ();
    /// Gives back what selecting reserved (a dropped, uncompleted send).
    fn release(&mut self) {}
    /// A fresh, unselected copy (for `Select::clone`).
    fn fresh<'s>(&self) -> Box<dyn DynOp + 's>
    where
        Self: 's;
}

/// How a selected send will complete.
enum SendState {
    Unselected,
    /// A buffer place is promised (`bounded(n > 0)`).
    Reserved,
    /// Through `Sender::send` (unbounded, or unbuffered with a receiver waiting).
    Plain,
    /// The send fails (disconnected or closed).
    Disconnected,
}

struct SendOp<'a, T> {
    tx: &'a Sender<T>,
    /// The watch entry's slot (never holds a value).
    slot: Slot<T>,
    state: SendState,
}

impl<T> ArmImpl for SendOp<'_, T> {
    fn try_now(&mut self) -> bool {
        self.state = match self.tx.flavor() {
            SenderFlavor::Hchan(c) => match c.lock().reserve() {
                Some(Ok(true)) => SendState::Reserved,
                Some(Ok(false)) => SendState::Plain,
                Some(Err(())) => SendState::Disconnected,
                None => return false,
            },
            SenderFlavor::List(_) => SendState::Plain,
            SenderFlavor::Never => return false,
        };
        true
    }

    fn register(&self, waiter: &Waiter, index: usize) -> bool {
        self.watch(waiter, index)
    }

    fn unregister(&self) {
        self.unwatch();
    }

    fn complete(&mut self) -> bool {
        self.try_now()
    }
}

impl<T> DynOp for SendOp<'_, T> {
    fn id(&self) -> *const () {
        self.tx.flavor().id()
    }

    fn is_send(&self) -> bool {
        true
    }

    fn is_ready(&self) -> bool {
        match self.tx.flavor() {
            SenderFlavor::Hchan(c) => c.lock().reserve_ready(),
            SenderFlavor::List(_) => true,
            SenderFlavor::Never => false,
        }
    }

    fn watch(&self, waiter: &Waiter, index: usize) -> bool {
        match self.tx.flavor() {
            SenderFlavor::Hchan(c) => {
                let mut inner = c.lock();
                if inner.reserve_ready() {
                    return true;
                }
                // SAFETY: the operation is boxed (its slot does not move) and the `Select`
                // loop unwatches every operation before the waiter or the box goes.
                unsafe { inner.watch.push(waiter, index, &self.slot) };
                false
            }
            SenderFlavor::List(_) => true,
            SenderFlavor::Never => false,
        }
    }

    fn unwatch(&self) {
        if let SenderFlavor::Hchan(c) = self.tx.flavor() {
            c.lock().watch.remove(&self.slot);
        }
    }

    fn as_ptr(&mut self) -> *mut () {
        (self as *mut Self).cast()
    }

    fn release(&mut self) {
        if let (SendState::Reserved, SenderFlavor::Hchan(c)) = (&self.state, self.tx.flavor()) {
            c.lock().unreserve();
        }
        self.state = SendState::Unselected;
    }

    fn fresh<'s>(&self) -> Box<dyn DynOp + 's>
    where
        Self: 's,
    {
        Box::new(SendOp { tx: self.tx, slot: Slot::new(None), state: SendState::Unselected })
    }
}

impl<T> DynOp for RecvArm<'_, T> {
    fn id(&self) -> *const () {
        self.receiver().flavor().id()
    }

    fn is_send(&self) -> bool {
        false
    }

    fn is_ready(&self) -> bool {
        match self.receiver().flavor() {
            ReceiverFlavor::Hchan(c) => c.lock().recv_ready_any(),
            ReceiverFlavor::List(l) => l.is_ready(),
            ReceiverFlavor::At(a, _) => a.is_ready(),
            ReceiverFlavor::Tick(t, _) => t.is_ready(),
            ReceiverFlavor::Never => false,
        }
    }

    fn watch(&self, waiter: &Waiter, index: usize) -> bool {
        match self.receiver().flavor() {
            ReceiverFlavor::Hchan(c) => {
                let mut inner = c.lock();
                if inner.recv_ready_any() {
                    return true;
                }
                // SAFETY: as in `SendOp::watch`.
                unsafe { inner.watch.push(waiter, index, self.slot()) };
                false
            }
            ReceiverFlavor::List(l) => {
                // SAFETY: as in `SendOp::watch`; the arm's bit marks a watcher.
                unsafe { l.push_waiter(waiter, index | WATCH_BIT, self.slot()) };
                if l.is_ready() {
                    l.remove_waiter(self.slot());
                    return true;
                }
                false
            }
            _ => DynOp::is_ready(self),
        }
    }

    fn unwatch(&self) {
        match self.receiver().flavor() {
            ReceiverFlavor::Hchan(c) => c.lock().watch.remove(self.slot()),
            ReceiverFlavor::List(l) => l.remove_waiter(self.slot()),
            _ => {}
        }
    }

    fn as_ptr(&mut self) -> *mut () {
        (self as *mut Self).cast()
    }

    fn fresh<'s>(&self) -> Box<dyn DynOp + 's>
    where
        Self: 's,
    {
        Box::new(RecvArm::new(self.receiver()))
    }
}

/// The operations, selected by performing them.
struct DynArms<'x, 'a> {
    ops: &'x mut [(usize, Box<dyn DynOp + 'a>)],
}

/// `ready()` mode: an operation seen through its readiness methods.
struct ReadyOp<'x>(&'x mut dyn DynOp);

impl ArmImpl for ReadyOp<'_> {
    fn try_now(&mut self) -> bool {
        self.0.is_ready()
    }
    fn register(&self, waiter: &Waiter, index: usize) -> bool {
        self.0.watch(waiter, index)
    }
    fn unregister(&self) {
        self.0.unwatch();
    }
    fn complete(&mut self) -> bool {
        self.0.is_ready()
    }
    fn deadline(&self) -> Option<Instant> {
        self.0.deadline()
    }
}

impl Arms for DynArms<'_, '_> {
    fn arm(&mut self, i: usize) -> &mut dyn ArmImpl {
        &mut *self.ops[i].1
    }
}

impl<'a> Select<'a> {
    /// An empty select: its operations are picked at random when several are ready.
    pub fn new() -> Self {
        Self { ops: Vec::new(), next_index: 0, biased: false }
    }

    /// An empty select that picks the first added of several ready operations.
    pub fn new_biased() -> Self {
        Self { biased: true, ..Self::new() }
    }

    /// Adds a send on `s`; returns the operation's index.
    pub fn send<T>(&mut self, s: &'a Sender<T>) -> usize {
        let op = SendOp { tx: s, slot: Slot::new(None), state: SendState::Unselected };
        self.push(Box::new(op))
    }

    /// Adds a receive on `r`; returns the operation's index.
    pub fn recv<T>(&mut self, r: &'a Receiver<T>) -> usize {
        self.push(Box::new(RecvArm::new(r)))
    }

    fn push(&mut self, op: Box<dyn DynOp + 'a>) -> usize {
        let i = self.next_index;
        self.next_index += 1;
        self.ops.push((i, op));
        i
    }

    /// Removes the operation with `index` (indices of the others do not change).
    ///
    /// # Panics
    /// If there is no operation with that index.
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

    /// Selects a ready operation without blocking.
    pub fn try_select(&mut self) -> Result<SelectedOperation<'a>, TrySelectError> {
        let pos = self.run(Wait::NoWait, false).ok_or(TrySelectError)?;
        Ok(self.selected(pos))
    }

    /// Blocks (parks the goroutine) until an operation is selected.
    ///
    /// # Panics
    /// If there are no operations (it would block forever), as crossbeam's.
    #[track_caller]
    pub fn select(&mut self) -> SelectedOperation<'a> {
        assert!(!self.ops.is_empty(), "Select::select: no operations (it would block forever)");
        let pos = self.run(Wait::Block, false).expect("Select::select: returned nothing");
        self.selected(pos)
    }

    /// Blocks for at most `timeout`.
    #[track_caller]
    pub fn select_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        self.select_until(Instant::now().checked_add(timeout))
    }

    /// Blocks until `deadline` at the latest.
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

    /// The index of an operation that would not block now, without performing it.
    pub fn try_ready(&mut self) -> Result<usize, TryReadyError> {
        let pos = self.run(Wait::NoWait, true).ok_or(TryReadyError)?;
        Ok(self.ops[pos].0)
    }

    /// Blocks until an operation would not block, and returns its index.
    ///
    /// # Panics
    /// If there are no operations.
    #[track_caller]
    pub fn ready(&mut self) -> usize {
        assert!(!self.ops.is_empty(), "Select::ready: no operations (it would block forever)");
        let pos = self.run(Wait::Block, true).expect("Select::ready: returned nothing");
        self.ops[pos].0
    }

    /// As [`ready`](Self::ready), for at most `timeout`.
    #[track_caller]
    pub fn ready_timeout(&mut self, timeout: Duration) -> Result<usize, ReadyTimeoutError> {
        self.ready_until(Instant::now().checked_add(timeout))
    }

    /// As [`ready`](Self::ready), until `deadline` at the latest.
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

/// `ready()` mode's arms.
struct ReadyArms<'x, 'y>(&'x mut [ReadyOp<'y>]);

impl Arms for ReadyArms<'_, '_> {
    fn arm(&mut self, i: usize) -> &mut dyn ArmImpl {
        &mut self.0[i]
    }
}

impl<'a> SelectedOperation<'a> {
    /// The index of the selected operation (as returned when it was added).
    pub fn index(&self) -> usize {
        self.index
    }

    /// Completes the selected send with `msg`.
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
            (SendState::Disconnected, _) => Err(SendError(msg)),
            _ => s.send(msg),
        }
    }

    /// Completes the selected receive.
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

macro_rules! unit_error {
    ($(#[$m:meta])* $name:ident, $msg:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name;
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($msg)
            }
        }
        impl std::error::Error for $name {}
    };
}

unit_error!(
    /// `Select::try_select` found no ready operation.
    TrySelectError,
    "all operations in select would block"
);
unit_error!(
    /// `Select::select_timeout` timed out.
    SelectTimeoutError,
    "timed out waiting on select"
);
unit_error!(
    /// `Select::try_ready` found no ready operation.
    TryReadyError,
    "all operations in select would block"
);
unit_error!(
    /// `Select::ready_timeout` timed out.
    ReadyTimeoutError,
    "timed out waiting on ready"
);
