//! The façade's waiter handles: `WaitHandle` (a queued waiter's handle that keeps no
//! runtime alive), `Wake` (what a completer turns it into while the owner still waits),
//! and `Current` (the calling goroutine or thread, found once for an operation that both
//! makes a handle and parks). Public for gpm's channels and `gpm::sync`, hidden from the
//! docs (the park module's design comment).

use std::panic::Location;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{
    Inner, Unparker, WaitReason, goroutine_unparker, park_goroutine, park_thread, sched_of,
    thread_waiter, unpark_local,
};
use crate::g::GRef;
use crate::sched::Sched;

// Hidden: plumbing for the façade's channels and `gpm::sync` (park module design comment).
#[doc(hidden)]
/// A waiter's handle on its owner, goroutine or thread, that does not keep the owner's
/// runtime alive (an [`Unparker`] does, with a reference count: two locked instructions per
/// wait, one to make it and one to drop it). For a waiter that lives on its owner's stack
/// while it is queued, and is completed under the queue's lock (channels, `gpm::sync`):
/// the completer turns it into a [`Wake`] while the owner still waits
/// ([`WaitHandle::into_wake`]), then lets go of the owner's memory, then wakes it.
///
/// Why a waiting owner's runtime is alive: it is dropped only after every goroutine is
/// unwound, and unwinding a waiting goroutine removes its queue entries under the queue's
/// lock, which the completer holds; a goroutine the runtime cannot unwind is leaked with a
/// reference to the runtime (`runtime.rs`, `cancel_all`), so its queued waiters stay valid.
#[derive(Debug)]
pub struct WaitHandle {
    inner: WaitInner,
}

#[derive(Debug)]
enum WaitInner {
    Thread(Unparker),
    Goroutine { sched: *const Sched, g: GRef, generation: u32 },
}

// SAFETY: the handle names a goroutine by address (the `Sched` is in an `Arc`, the G is
// owned by it) or holds a thread's `Unparker`; it is dereferenced only by `into_wake`, whose
// contract keeps the runtime alive, and `Wake::wake`.
unsafe impl Send for WaitHandle {}
// SAFETY: as above; `&WaitHandle` gives no access.
unsafe impl Sync for WaitHandle {}

impl WaitHandle {
    /// Completer side: what wakes the owner once the completer is done with the owner's
    /// memory. Woken by a goroutine of the owner's own runtime, it is the G and its
    /// generation (that goroutine's running keeps the runtime alive); woken by anyone else,
    /// an owning `Unparker` made here, while the owner cannot have returned.
    ///
    /// # Safety
    /// The owner is still waiting for this completion: it has not seen it and cannot
    /// return before the caller publishes it.
    #[inline]
    pub unsafe fn into_wake(self) -> Wake {
        let inner = match self.inner {
            WaitInner::Thread(u) => {
                // A plain thread completing another's wait is one deadlock detection must
                // know too (`note_waker` tells threads from goroutines).
                crate::deadlock::threads::note_waker();
                WakeInner::Owned(u)
            }
            WaitInner::Goroutine { sched, g, generation } => {
                match crate::context::current_g() {
                    Some(me) if std::ptr::eq(sched_of(me), sched) => {
                        WakeInner::Local { sched, g, generation }
                    }
                    me => {
                        if me.is_none() {
                            crate::deadlock::threads::note_waker();
                        }
                        // SAFETY: the owner waits (caller's contract), so its runtime is
                        // alive (type docs).
                        let sched = unsafe { &*sched }.arc();
                        WakeInner::Owned(Unparker {
                            inner: Inner::Goroutine { sched, g, generation },
                        })
                    }
                }
            }
        };
        Wake { inner, _not_send: std::marker::PhantomData }
    }
}

// Hidden: plumbing for the façade's channels and `gpm::sync` (park module design comment).
#[doc(hidden)]
/// A completer's wake-up for one waiter ([`WaitHandle::into_wake`]). `!Send`: a wake of a
/// goroutine by a goroutine of its runtime is valid only on that runtime, where the
/// completer runs; call [`wake`](Wake::wake) before the completer parks.
pub struct Wake {
    inner: WakeInner,
    _not_send: std::marker::PhantomData<*const ()>,
}

enum WakeInner {
    Local { sched: *const Sched, g: GRef, generation: u32 },
    Owned(Unparker),
}

impl std::fmt::Debug for Wake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            WakeInner::Local { g, generation, .. } => f
                .debug_struct("Wake::Local")
                .field("id", &g.id.load(Ordering::Relaxed))
                .field("generation", generation)
                .finish(),
            WakeInner::Owned(u) => f.debug_tuple("Wake").field(u).finish(),
        }
    }
}

impl Wake {
    /// Makes the owner's permit available and wakes it if it is parked.
    #[inline]
    pub fn wake(&self) {
        match &self.inner {
            WakeInner::Local { sched, g, generation } => {
                // SAFETY: made by a goroutine of `sched`, which runs there still (`!Send`,
                // and the completer wakes before it parks): the runtime is alive.
                let sched = unsafe { &**sched };
                unpark_local(sched, *g, *generation)
            }
            WakeInner::Owned(u) => u.unpark(),
        }
    }
}

// Hidden: plumbing for the façade's channels and `gpm::sync` (park module design comment).
#[doc(hidden)]
/// The calling goroutine or thread, found once: an operation that makes an `Unparker` and
/// then parks reads the thread-local once instead of twice. `!Send`: it names the context
/// that made it (a goroutine stays itself when it moves between threads, so holding one
/// across a park is fine).
pub struct Current {
    g: Option<GRef>,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl std::fmt::Debug for Current {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.g {
            Some(g) => write!(f, "Current(goroutine {})", g.id.load(Ordering::Relaxed)),
            None => f.write_str("Current(thread)"),
        }
    }
}

// Hidden: plumbing for the façade's channels and `gpm::sync` (park module design comment).
#[doc(hidden)]
/// The calling goroutine or thread.
#[inline]
pub fn current() -> Current {
    Current { g: crate::context::current_g(), _not_send: std::marker::PhantomData }
}

impl Current {
    /// The goroutine, if this context is one.
    #[inline]
    pub(crate) fn goroutine(&self) -> Option<GRef> {
        self.g
    }

    /// As [`unparker`], for this context.
    #[inline]
    pub fn unparker(&self) -> Unparker {
        match self.g {
            Some(g) => goroutine_unparker(g),
            None => thread_waiter(),
        }
    }

    /// A [`WaitHandle`] on this context: no reference count for a goroutine.
    #[inline]
    pub fn wait_handle(&self) -> WaitHandle {
        let inner = match self.g {
            Some(g) => {
                WaitInner::Goroutine { sched: sched_of(g), g, generation: g.park.generation() }
            }
            None => WaitInner::Thread(thread_waiter()),
        };
        WaitHandle { inner }
    }

    /// As [`park_deadline`], for this context (which must be the caller's: `!Send` sees to
    /// it).
    #[inline]
    #[track_caller]
    pub fn park_deadline(&self, reason: WaitReason, deadline: Option<Instant>) -> bool {
        match self.g {
            Some(g) => {
                // SAFETY: `g` is the caller, running, so its runtime is alive (`sched_of`).
                let sched = unsafe { &*sched_of(g) };
                let deadline = deadline.map(|d| sched.instant_to_ns(d));
                park_goroutine(g, reason, deadline, Location::caller(), None)
            }
            None => park_thread(deadline),
        }
    }
}
