//! Which implementation stands behind a `Sender` or `Receiver` (crossbeam-channel's
//! flavors): Go's `hchan` for `bounded` (`hchan.rs`), the lock-free list for `unbounded`
//! (`list.rs`), the timer channels (`timer.rs`) and `never`. One `match` per operation;
//! the handles stay two words wide for the channel kinds that carry messages.

use super::hchan::Chan;
use super::list::List;
use super::timer::{At, Tick};
use crate::shim::Arc;
use std::time::Instant;

pub(crate) enum SenderFlavor<T> {
    Hchan(Arc<Chan<T>>),
    List(Arc<List<T>>),
    /// `Sender::never`: no channel at all.
    Never,
}

/// The timer flavors hold the conversion `Instant -> T` they were made with (the identity,
/// as only `Receiver<Instant>`s are made): the message type is then right by construction,
/// with no cast.
pub(crate) enum ReceiverFlavor<T> {
    Hchan(Arc<Chan<T>>),
    List(Arc<List<T>>),
    At(Arc<At>, fn(Instant) -> T),
    Tick(Arc<Tick>, fn(Instant) -> T),
    /// `never()`: no channel at all.
    Never,
}

impl<T> Clone for SenderFlavor<T> {
    fn clone(&self) -> Self {
        match self {
            Self::Hchan(c) => Self::Hchan(c.clone()),
            Self::List(l) => Self::List(l.clone()),
            Self::Never => Self::Never,
        }
    }
}

impl<T> Clone for ReceiverFlavor<T> {
    fn clone(&self) -> Self {
        match self {
            Self::Hchan(c) => Self::Hchan(c.clone()),
            Self::List(l) => Self::List(l.clone()),
            Self::At(a, f) => Self::At(a.clone(), *f),
            Self::Tick(t, f) => Self::Tick(t.clone(), *f),
            Self::Never => Self::Never,
        }
    }
}

impl<T> SenderFlavor<T> {
    /// The channel's identity: its allocation's address (null for `never`). Two live
    /// handles with one identity share one allocation, hence one message type.
    pub(crate) fn id(&self) -> *const () {
        match self {
            Self::Hchan(c) => Arc::as_ptr(c).cast(),
            Self::List(l) => Arc::as_ptr(l).cast(),
            Self::Never => std::ptr::null(),
        }
    }
}

impl<T> ReceiverFlavor<T> {
    /// As [`SenderFlavor::id`].
    pub(crate) fn id(&self) -> *const () {
        match self {
            Self::Hchan(c) => Arc::as_ptr(c).cast(),
            Self::List(l) => Arc::as_ptr(l).cast(),
            Self::At(a, _) => Arc::as_ptr(a).cast(),
            Self::Tick(t, _) => Arc::as_ptr(t).cast(),
            Self::Never => std::ptr::null(),
        }
    }
}
