//! Who frees a finished goroutine's task: the state word a goroutine and its `JoinHandle`
//! share instead of a reference count (`spawn.rs` holds the task around it).
//!
//! # States
//! | state      | set by                                                   | next                |
//! |------------|----------------------------------------------------------|---------------------|
//! | `RUNNING`  | spawn, or the handle's [`JoinState::unpin`]              | `WAITING`, `DETACHED`, `PINNED`, `DONE` |
//! | `PINNED`   | the handle cancelling the goroutine ([`JoinState::pin`], CAS) | `RUNNING`, `DONE` |
//! | `WAITING`  | the joiner ([`JoinState::wait`], CAS), after writing its waiter | `DONE`, `DETACHED` |
//! | `DETACHED` | the handle dropped unjoined ([`JoinState::detach`], CAS), or a joiner unwinding out of its wait ([`JoinState::abandon`], CAS) | `DONE` |
//! | `DONE`     | the goroutine ([`JoinState::finish`], swap), after writing the result | `RELEASED` |
//! | `RELEASED` | the goroutine ([`JoinState::release`]), after its last read of the waiter | – |
//!
//! # Protocol
//! - The goroutine writes the result, then swaps in `DONE`. What the swap returns says who
//!   is left: `RUNNING` — the handle, which frees the task when it joins or drops;
//!   `DETACHED` — nobody: the goroutine frees it; `WAITING` — a joiner, whose waiter the
//!   goroutine reads, then stores `RELEASED` (its last touch of the task) and wakes the
//!   joiner with what it read.
//! - A joiner that sees `DONE` before registering takes the result and frees the task (the
//!   swap that stored `DONE` returned `RUNNING`: the goroutine is gone). One that registered
//!   waits for `RELEASED`, then does the same. Dropping an unjoined handle CASes
//!   `RUNNING → DETACHED`; if it finds `DONE` instead, it frees.
//! - A joiner that unwinds out of its wait (its runtime is being dropped) CASes
//!   `WAITING → DETACHED`; if it finds `DONE`, the goroutine is between its swap and
//!   `RELEASED` (a few instructions, no user code) and the joiner waits for `RELEASED`,
//!   then frees.
//!
//! - A handle cancelling the goroutine (`abort.rs`) CASes `RUNNING → PINNED` while it
//!   touches the G and back with [`JoinState::unpin`]; a finish that swaps `DONE` over
//!   `PINNED` waits on its G for the handle to be done ([`Left::Pinned`]), and the handle,
//!   whose unpin then fails, says so on the G. The handle still frees, as after `RUNNING`.
//!
//! So exactly one party frees, and nobody touches the task after it is freed. The loom
//! model in `src/tests/loom_joinstate.rs` checks it with the three parties racing.
//!
//! Orderings: the swap is AcqRel (Release publishes the result; Acquire sees the waiter the
//! joiner wrote before its Release CAS); `RELEASED` is a Release store the freeing joiner
//! Acquires, so the goroutine's reads of the task come before the free.
//!
//! Rejected: an `Arc` shared by the goroutine and the handle — the handle's clone, two
//! drops and the free's weak count were four locked instructions per spawn.

use crate::sync::{AtomicU8, Ordering::*};

const RUNNING: u8 = 0;
const WAITING: u8 = 1;
const DETACHED: u8 = 2;
/// Below `DONE`: `is_done` must not see a pinned task as finished.
const PINNED: u8 = 3;
const DONE: u8 = 4;
const RELEASED: u8 = 5;

/// What the goroutine's [`JoinState::finish`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Left {
    /// The handle is still there and will free the task.
    Handle,
    /// A joiner waits: read its waiter, [`JoinState::release`], then wake it.
    Joiner,
    /// Nobody: the caller frees the task.
    Nobody,
    /// The handle is cancelling the goroutine and touching its G: wait for its word on the
    /// G (`abort::wait_ack`), then as `Handle`.
    Pinned,
}

/// The shared word (module docs).
#[derive(Debug)]
pub(crate) struct JoinState(AtomicU8);

impl Default for JoinState {
    fn default() -> Self {
        Self::new()
    }
}

impl JoinState {
    /// `RUNNING`.
    pub(crate) fn new() -> JoinState {
        JoinState(AtomicU8::new(RUNNING))
    }

    /// The goroutine, after writing its result: `DONE`, and who is left.
    #[inline(always)]
    pub(crate) fn finish(&self) -> Left {
        match self.0.swap(DONE, AcqRel) {
            WAITING => Left::Joiner,
            DETACHED => Left::Nobody,
            PINNED => Left::Pinned,
            _ => Left::Handle,
        }
    }

    /// The goroutine, after [`Left::Joiner`] and its last read of the task.
    #[inline(always)]
    pub(crate) fn release(&self) {
        self.0.store(RELEASED, Release);
    }

    /// Whether the result is written (`DONE` or later): the handle may take it then, and
    /// free the task unless it registered.
    #[inline(always)]
    pub(crate) fn is_done(&self) -> bool {
        self.0.load(Acquire) >= DONE
    }

    /// The joiner, after writing its waiter: registers. `false`: the goroutine finished
    /// first (`DONE`); take the result and free.
    #[inline(always)]
    pub(crate) fn wait(&self) -> bool {
        self.0.compare_exchange(RUNNING, WAITING, AcqRel, Acquire).is_ok()
    }

    /// The registered joiner, after a wake-up: whether the goroutine is done with the task
    /// (then the joiner takes the result and frees).
    #[inline(always)]
    pub(crate) fn is_released(&self) -> bool {
        self.0.load(Acquire) == RELEASED
    }

    /// The handle, dropped unjoined. `true`: the goroutine will free; `false`: it finished
    /// already, the caller frees.
    #[inline]
    pub(crate) fn detach(&self) -> bool {
        self.0.compare_exchange(RUNNING, DETACHED, AcqRel, Acquire).is_ok()
    }

    /// The handle, to cancel the goroutine (`abort.rs`): `true` if it has not finished; it
    /// then cannot finish past its swap until [`unpin`](JoinState::unpin). Acquire: the
    /// handle's later touches of the G come after this.
    #[inline]
    pub(crate) fn pin(&self) -> bool {
        self.0.compare_exchange(RUNNING, PINNED, Acquire, Relaxed).is_ok()
    }

    /// The pinning handle, done with the G. `false`: the goroutine finished meanwhile
    /// ([`Left::Pinned`]) and waits for the handle's word on its G. Release; pairs with the
    /// finish's AcqRel swap.
    #[inline]
    pub(crate) fn unpin(&self) -> bool {
        self.0.compare_exchange(PINNED, RUNNING, Release, Relaxed).is_ok()
    }

    /// A registered joiner unwinding out of its wait. `true`: the goroutine will free;
    /// `false`: it has finished and released the task (this waits the few instructions
    /// between its swap and `RELEASED`), the caller frees.
    pub(crate) fn abandon(&self) -> bool {
        if self.0.compare_exchange(WAITING, DETACHED, AcqRel, Acquire).is_ok() {
            return true;
        }
        let mut round = 0;
        while !self.is_released() {
            crate::sync::backoff(round);
            round += 1;
        }
        false
    }
}
