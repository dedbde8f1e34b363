//! The arms of a select: a receive (`RecvArm`) and a send (`SendArm`), each over any
//! channel flavor, behind the type-erased [`ArmImpl`] that `run` drives.
//!
//! Per flavor: `bounded` arms queue a real entry (a partner completes them with a
//! transfer); `unbounded` receive arms queue an entry a sender only wakes (the arm then
//! tries to receive, and on losing the race the select polls again); an `unbounded` send
//! is always ready; timer arms queue nothing and give their due instant as a deadline for
//! the park; `never` arms are never ready.

use crate::chan::waitq::Slot;
use crate::chan::{
    Receiver, ReceiverFlavor, RecvError, SendError, Sender, SenderFlavor, TryRecvError,
    TrySendError, wake,
};
use crate::waiter::Waiter;
use std::time::Instant;

/// The operations `run` needs from an arm.
pub(crate) trait ArmImpl {
    /// Tries the operation without blocking; on success stores the result in the arm.
    fn try_now(&mut self) -> bool;
    /// Queues an entry for `waiter` as arm `index`, unless the operation is ready now (then
    /// `true` and nothing stays queued).
    fn register(&self, waiter: &Waiter, index: usize) -> bool;
    /// Removes this arm's entry from its channel's queue, if still queued there.
    fn unregister(&self);
    /// The waiter completed on this arm: turn the slot into the result. `false`: the wake-up
    /// carried nothing and the operation could not complete now (poll again).
    fn complete(&mut self) -> bool;
    /// When the arm becomes ready by itself (a timer channel).
    fn deadline(&self) -> Option<Instant> {
        None
    }
}

/// A `recv(r) -> v` arm.
// doc(hidden): built by the `select!` expansion only.
#[doc(hidden)]
pub struct RecvArm<'a, T> {
    rx: &'a Receiver<T>,
    slot: Slot<T>,
    result: Option<Result<T, RecvError>>,
}

/// A `send(s, m) -> res` arm.
// doc(hidden): built by the `select!` expansion only.
#[doc(hidden)]
pub struct SendArm<'a, T> {
    tx: &'a Sender<T>,
    /// The message until it is sent; it stays here if the receivers disconnect.
    slot: Slot<T>,
    result: Option<Result<(), SendError<T>>>,
}

impl<'a, T> RecvArm<'a, T> {
    /// An arm receiving from `rx`.
    pub fn new(rx: &'a Receiver<T>) -> Self {
        Self { rx, slot: Slot::new(None), result: None }
    }

    /// The type-erased arm for [`run`](super::run).
    pub fn op(&mut self) -> super::Op<'_> {
        super::Op { arm: self }
    }

    /// The selected arm's result.
    pub fn take(&mut self) -> Result<T, RecvError> {
        self.result.take().expect("select!: arm taken without completing")
    }

    pub(crate) fn receiver(&self) -> &'a Receiver<T> {
        self.rx
    }

    pub(crate) fn slot(&self) -> &Slot<T> {
        &self.slot
    }
}

impl<'a, T> SendArm<'a, T> {
    /// An arm sending `value` on `tx`.
    pub fn new(tx: &'a Sender<T>, value: T) -> Self {
        Self { tx, slot: Slot::new(Some(value)), result: None }
    }

    /// The type-erased arm for [`run`](super::run).
    pub fn op(&mut self) -> super::Op<'_> {
        super::Op { arm: self }
    }

    /// The selected arm's result.
    pub fn take(&mut self) -> Result<(), SendError<T>> {
        self.result.take().expect("select!: arm taken without completing")
    }

    fn take_value(&mut self) -> Option<T> {
        // SAFETY: `&mut self` and no registration outstanding: this is the slot's only user.
        self.slot.with_mut(|p| unsafe { (*p).take() })
    }

    fn put_back(&mut self, v: T) {
        // SAFETY: as in `take_value`.
        self.slot.with_mut(|p| unsafe { *p = Some(v) });
    }
}

impl<T> ArmImpl for RecvArm<'_, T> {
    fn try_now(&mut self) -> bool {
        let result = match self.rx.flavor() {
            ReceiverFlavor::Hchan(c) => {
                let mut inner = c.lock();
                match inner.try_recv() {
                    Ok((value, woken)) => {
                        drop(inner);
                        wake(&woken);
                        Ok(value)
                    }
                    Err(e) => Err(e),
                }
            }
            ReceiverFlavor::Never => return false,
            _ => self.rx.try_recv(),
        };
        self.result = match result {
            Ok(v) => Some(Ok(v)),
            Err(TryRecvError::Disconnected) => Some(Err(RecvError)),
            Err(TryRecvError::Empty) => return false,
        };
        true
    }

    fn register(&self, waiter: &Waiter, index: usize) -> bool {
        match self.rx.flavor() {
            ReceiverFlavor::Hchan(c) => {
                let mut inner = c.lock();
                if inner.recv_ready(waiter) {
                    return true;
                }
                // SAFETY: the arm (with its slot) and the waiter stay in place until `run`
                // has unregistered every arm (`Registration` does so on every exit path).
                unsafe { inner.recvq.push(waiter, index, &self.slot) };
                inner.poke_others(waiter);
                false
            }
            ReceiverFlavor::List(l) => {
                // SAFETY: as above; `unregister` (or the removal below) unlinks it.
                unsafe { l.push_waiter(waiter, index, &self.slot) };
                if l.is_ready() {
                    l.remove_waiter(&self.slot);
                    return true;
                }
                false
            }
            ReceiverFlavor::At(a, _) => a.is_ready(),
            ReceiverFlavor::Tick(t, _) => t.is_ready(),
            ReceiverFlavor::Never => false,
        }
    }

    fn unregister(&self) {
        match self.rx.flavor() {
            ReceiverFlavor::Hchan(c) => c.lock().recvq.remove(&self.slot),
            ReceiverFlavor::List(l) => l.remove_waiter(&self.slot),
            _ => {}
        }
    }

    fn complete(&mut self) -> bool {
        match self.rx.flavor() {
            ReceiverFlavor::Hchan(_) => {
                // SAFETY: the waiter is DONE and every entry unregistered: the slot is ours.
                let got = self.slot.with_mut(|p| unsafe { (*p).take() });
                let got = match (got, self.slot.take_promise()) {
                    (None, Some(promise)) => match promise.recv() {
                        Ok(v) => Some(v),
                        // The paired send was dropped unsent: select again.
                        Err(_) => return false,
                    },
                    (got, _) => got,
                };
                self.result = Some(got.ok_or(RecvError));
                true
            }
            // A wake-up without a transfer: try now.
            _ => self.try_now(),
        }
    }

    fn deadline(&self) -> Option<Instant> {
        match self.rx.flavor() {
            ReceiverFlavor::At(a, _) => a.deadline(),
            ReceiverFlavor::Tick(t, _) => t.deadline(),
            _ => None,
        }
    }
}

impl<T> ArmImpl for SendArm<'_, T> {
    fn try_now(&mut self) -> bool {
        let value = self.take_value().expect("select!: send arm without a value");
        let result = match self.tx.flavor() {
            SenderFlavor::Hchan(c) => {
                let mut inner = c.lock();
                match inner.try_send(value) {
                    Ok(woken) => {
                        drop(inner);
                        wake(&woken);
                        Ok(())
                    }
                    Err(TrySendError::Disconnected(v)) => Err(SendError(v)),
                    Err(TrySendError::Full(v)) => {
                        drop(inner);
                        self.put_back(v);
                        return false;
                    }
                }
            }
            SenderFlavor::List(l) => l.send(value).map_err(SendError),
            SenderFlavor::Never => {
                self.put_back(value);
                return false;
            }
        };
        self.result = Some(result);
        true
    }

    fn register(&self, waiter: &Waiter, index: usize) -> bool {
        match self.tx.flavor() {
            SenderFlavor::Hchan(c) => {
                let mut inner = c.lock();
                if inner.send_ready(waiter) {
                    return true;
                }
                // SAFETY: as for `RecvArm::register`.
                unsafe { inner.sendq.push(waiter, index, &self.slot) };
                inner.poke_others(waiter);
                false
            }
            SenderFlavor::List(_) => true,
            SenderFlavor::Never => false,
        }
    }

    fn unregister(&self) {
        if let SenderFlavor::Hchan(c) = self.tx.flavor() {
            c.lock().sendq.remove(&self.slot);
        }
    }

    fn complete(&mut self) -> bool {
        self.result = Some(match self.take_value() {
            None => Ok(()),
            Some(v) => Err(SendError(v)),
        });
        true
    }
}
