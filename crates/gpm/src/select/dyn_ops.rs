//! The operations of a dynamic [`Select`](super::Select), and how each is selected.
//!
//! `Select` drives the same loop as `select!` (`run_arms`). A receive operation is a
//! `select!` receive arm: it completes while selecting, and `SelectedOperation::recv`
//! hands over the message it holds. A send operation has no message until
//! `SelectedOperation::send`, so selecting it *reserves* the send instead:
//! - `bounded(n > 0)`: a buffer place is promised (counted as taken by other senders) until
//!   the send fills it or the `SelectedOperation` is dropped;
//! - `unbounded`: nothing to reserve; a send always completes;
//! - `bounded(0)` (or a buffer whose places are all promised): the send is ready when a
//!   receiver is waiting; selecting it completes that receiver with a promise, through
//!   which `send` hands it the message, as crossbeam pairs them (`Inner::pair_receiver`).
//!
//! A blocked `Select` waits for a send to become possible in the channel's `watch` queue,
//! which every change of the channel wakes.
//!
//! `ready()` and friends report an operation that would not block, without performing it;
//! they wait in the `watch` queues (`bounded`) or as watchers among an `unbounded`
//! channel's receivers (which a sender's wake-up passes on; see `list/`).

use super::Arms;
use super::arms::{ArmImpl, RecvArm};
use crate::chan::list::WATCH_BIT;
use crate::chan::waitq::Slot;
use crate::chan::{ReceiverFlavor, Sender, SenderFlavor};
use crate::waiter::Waiter;
use std::time::Instant;

/// The dynamic `Select`'s view of an operation.
pub(super) trait DynOp: ArmImpl {
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
pub(super) enum SendState<T> {
    Unselected,
    /// A buffer place is promised (`bounded(n > 0)`).
    Reserved,
    /// To the receiver it was paired with, through this promise (a receiver was waiting).
    Paired(Sender<T>),
    /// Through `Sender::send` (unbounded).
    Plain,
    /// The send fails (disconnected or closed).
    Disconnected,
}

pub(super) struct SendOp<'a, T> {
    pub(super) tx: &'a Sender<T>,
    /// The watch entry's slot (never holds a value).
    pub(super) slot: Slot<T>,
    pub(super) state: SendState<T>,
}

impl<T> ArmImpl for SendOp<'_, T> {
    fn try_now(&mut self) -> bool {
        self.state = match self.tx.flavor() {
            SenderFlavor::Hchan(c) => {
                let mut inner = c.lock();
                match inner.reserve() {
                    Some(Ok(true)) => SendState::Reserved,
                    Some(Ok(false)) => {
                        // The receiver seen may abort before the claim: then not ready.
                        let Some((promise, woken)) = inner.pair_receiver() else {
                            return false;
                        };
                        drop(inner);
                        woken.wake();
                        SendState::Paired(promise)
                    }
                    Some(Err(())) => SendState::Disconnected,
                    None => return false,
                }
            }
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
            SenderFlavor::Hchan(c) => c.lock().reserve_ready(None),
            SenderFlavor::List(_) => true,
            SenderFlavor::Never => false,
        }
    }

    fn watch(&self, waiter: &Waiter, index: usize) -> bool {
        match self.tx.flavor() {
            SenderFlavor::Hchan(c) => {
                let mut inner = c.lock();
                if inner.reserve_ready(Some(waiter)) {
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
            ReceiverFlavor::Hchan(c) => c.lock().recv_ready_any(None),
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
                if inner.recv_ready_any(Some(waiter)) {
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
pub(super) struct DynArms<'x, 'a> {
    pub(super) ops: &'x mut [(usize, Box<dyn DynOp + 'a>)],
}

/// `ready()` mode: an operation seen through its readiness methods.
pub(super) struct ReadyOp<'x>(pub(super) &'x mut dyn DynOp);

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

/// `ready()` mode's arms.
pub(super) struct ReadyArms<'x, 'y>(pub(super) &'x mut [ReadyOp<'y>]);

impl Arms for ReadyArms<'_, '_> {
    fn arm(&mut self, i: usize) -> &mut dyn ArmImpl {
        &mut self.0[i]
    }
}
