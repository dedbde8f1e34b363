//! Cancelling one goroutine while its runtime runs (`JoinHandle::abort`): the request, its
//! delivery at the goroutine's next scheduling point, and the shield that holds it off.
//! (A runtime drop cancels differently: it unwinds suspended coroutines from outside,
//! `runtime/cancel.rs`.)
//!
//! # The request: the handle's side
//! The handle may touch the goroutine's G only while the G is in the handle's life and its
//! runtime is alive. Both hold until the goroutine finishes, so the handle holds the
//! finish off while it touches the G, with `joinstate.rs`'s `PINNED`:
//! 1. `JoinState::pin`: `RUNNING → PINNED`. It fails once the goroutine has finished
//!    (`DONE`): there is nothing to cancel.
//! 2. `g.abort |= REQUESTED`, then `unpark` with the G's generation: a parked G is
//!    readied; a running or queued one keeps a permit, so its next park returns at once.
//! 3. `JoinState::unpin`: `PINNED → RUNNING`. If the goroutine finished meanwhile, its
//!    `finish` swapped `DONE` in, saw `PINNED`, and waits for `ACK` on its G ([`wait_ack`]):
//!    the handle sets it, its last touch of the G.
//!
//! Races prevented: a finish between the handle's check and its touch would let the G die
//! and start another life (the flag would cancel a stranger) or the runtime be freed (a
//! use after free); the pin makes the finish wait. A goroutine waiting for `ACK` waits on
//! its own G, not on the task: once the handle has seen `DONE` it may free the task.
//! Orderings: the handle's touches are ordered before the goroutine goes on by the Release
//! of its `unpin` (read by the finish's AcqRel swap) or of `ACK` (read with Acquire).
//!
//! # Delivery: the goroutine's side
//! After every park, yield and preemption point the goroutine loads `g.abort` ([`check`]).
//! With `REQUESTED` set, outside a [`CancelShield`] and not already unwinding, it clears the
//! bit and unwinds with a [`Cancelled`] payload (`resume_unwind`: no panic hook runs). The
//! job's `catch_unwind` turns it into the `join` error; destructors run on the way, and the
//! façade's wait queues unlink their entries as they do for a runtime drop. A request that
//! comes before the goroutine's first run drops its job unrun.
//!
//! Delivered once: code that catches the unwind and carries on is no longer cancelled.
//! Never while unwinding: a destructor that parks during an unwind would abort the process
//! if a second unwind started there. A hog with no scheduling point is not interrupted
//! (no asynchronous preemption: `lib.rs`, Rejected).
//!
//! Rejected: a sticky request (every park unwinds again): a destructor that parks after the
//! job caught the unwind (goroutine-locals) would unwind out of the job; an `Arc` in the
//! handle to keep the runtime alive: a reference count per spawn, for a rare call.

use std::marker::PhantomData;
use std::sync::atomic::Ordering::*;

use crate::cancelled::Cancelled;
use crate::g::GRef;
use crate::sched::Sched;

/// `g.abort`: a cancellation is requested and not yet delivered.
pub(crate) const REQUESTED: u8 = 1;
/// `g.abort`: the handle is done with the G (step 3).
const ACK: u8 = 2;

/// Step 2: asks `g` to unwind at its next scheduling point and wakes it.
///
/// # Safety
/// The caller pinned the task of `g`'s current life (`JoinState::pin`), and `sched` is the
/// runtime `g` runs on.
pub(crate) unsafe fn request(sched: &Sched, g: GRef) {
    // Relaxed: published by the Release of the unpark below (or of the unpin).
    g.abort.fetch_or(REQUESTED, Relaxed);
    crate::park::unpark_local(sched, g, g.park.generation());
}

/// Step 3 when `unpin` failed: lets the finishing goroutine go on.
///
/// # Safety
/// As `request`; the goroutine waits in [`wait_ack`].
pub(crate) unsafe fn ack(g: GRef) {
    // Release; pairs with the Acquire in `wait_ack`.
    g.abort.fetch_or(ACK, Release);
}

/// The finishing goroutine, whose `JoinState::finish` saw `PINNED`: waits for the handle's
/// `ACK` (a few instructions of the handle's).
#[cold]
pub(crate) fn wait_ack(g: GRef) {
    let mut round = 0;
    // Acquire; pairs with the Release in `ack`.
    while g.abort.load(Acquire) & ACK == 0 {
        crate::sync::backoff(round);
        round += 1;
    }
}

/// A new life of `g` starts with no request (`spawn::start`).
#[inline(always)]
pub(crate) fn reset(g: GRef) {
    g.abort.store(0, Relaxed);
    g.abort_shield.set(0);
}

/// Whether a cancellation of the running `g` is pending (the job checks it before it starts).
#[inline(always)]
pub(crate) fn requested(g: GRef) -> bool {
    g.abort.load(Relaxed) & REQUESTED != 0
}

/// A scheduling point's delivery (module docs): unwinds if a cancellation is pending.
/// Called by the running `g` after a park, yield or preemption.
#[inline(always)]
pub(crate) fn check(g: GRef) {
    if requested(g) {
        deliver(g);
    }
}

#[cold]
#[inline(never)]
fn deliver(g: GRef) {
    // Reads the panic count (a thread-local): never inlined, never switches.
    if g.abort_shield.get() != 0 || crate::context::unwinding() {
        return;
    }
    g.abort.fetch_and(!REQUESTED, Relaxed);
    std::panic::resume_unwind(Box::new(Cancelled::ABORTED));
}

/// Holds off [`JoinHandle::abort`](crate::JoinHandle::abort) of the calling goroutine
/// while it lives: parks inside return as usual, and a cancellation requested meanwhile is
/// delivered at the first scheduling point after the shield is dropped. Shields nest. On a
/// plain thread it does nothing. `!Send`: it belongs to the goroutine that made it.
///
/// For waits that must not be cut short: a scope waiting for the goroutines that borrow
/// its caller's stack, a lock whose wait cannot be undone.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let (tx, rx) = std::sync::mpsc::channel();
///     let h = gpm::go(move || {
///         let shield = gpm::CancelShield::new();
///         gpm::sleep(std::time::Duration::from_millis(20)); // not cut short
///         tx.send("slept").unwrap();
///         drop(shield);
///         gpm::yield_now(); // the pending cancellation is delivered here
///         unreachable!();
///     });
///     gpm::yield_now();
///     h.abort();
///     assert!(h.join().unwrap_err().is::<gpm::Cancelled>());
///     assert_eq!(rx.recv().unwrap(), "slept");
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct CancelShield {
    g: Option<GRef>,
    _not_send: PhantomData<*const ()>,
}

impl CancelShield {
    /// Shields the calling goroutine (nothing on a plain thread) until it is dropped.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// let finished = rt.block_on(|| {
    ///     let h = gpm::go(|| {
    ///         let _shield = gpm::CancelShield::new();
    ///         gpm::sleep(std::time::Duration::from_millis(2)); // an abort waits for this
    ///         "finished"
    ///     });
    ///     gpm::yield_now();
    ///     h.abort();
    ///     h.join().unwrap() // no scheduling point after the shield's drop: it finished
    /// });
    /// assert_eq!(finished, "finished");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> CancelShield {
        let g = crate::context::current_g();
        if let Some(g) = g {
            g.abort_shield.set(g.abort_shield.get() + 1);
        }
        CancelShield { g, _not_send: PhantomData }
    }
}

impl Default for CancelShield {
    fn default() -> Self {
        CancelShield::new()
    }
}

impl Drop for CancelShield {
    fn drop(&mut self) {
        if let Some(g) = self.g {
            g.abort_shield.set(g.abort_shield.get() - 1);
        }
    }
}

impl std::fmt::Debug for CancelShield {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelShield").field("goroutine", &self.g.is_some()).finish()
    }
}
