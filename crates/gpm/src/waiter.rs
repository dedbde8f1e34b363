//! `Waiter`: the wake-up word of one blocked operation (Go's `g.selectDone` plus the
//! `sudog.success` flag). Used by the channels' wait queues (`chan/waitq.rs`), `select!`
//! (`select.rs`) and the wait lists of `gpm::sync` (`sync/sema.rs`, `sync/condvar.rs`); it
//! sits at the crate root because neither `chan/` nor `sync/` owns it.
//!
//! A blocked goroutine or thread puts a `Waiter` on its own stack, links entries that point
//! at it into one or more wait queues (each under that queue's lock), and parks. Whoever
//! completes it — a sender for a receiver, `Mutex::unlock` for a locker, `close` for
//! everyone — does, *while holding the lock of the queue the entry was in*:
//!
//! 1. `try_claim(arm)`: CAS `WAITING -> CLAIMED(arm)`. Only one completer wins, so a select
//!    registered on several channels is completed by exactly one of them; a loser drops the
//!    entry as stale and moves on to the next one.
//! 2. the transfer (move the value into or out of the waiter's slot),
//! 3. `finish(arm)`: take the waiter's `WaitHandle` out and turn it into a `Wake` (the
//!    owner still waits, so its runtime is alive: see `gpm_sched::park::WaitHandle`), then
//!    store `DONE(arm)` (Release). This is the completer's last touch of the waiter's memory,
//! 4. after unlocking, `wake` with that `Wake`.
//!
//! The owner may return (and free the `Waiter`) only once it saw `DONE` or won an abort, and
//! removed every entry still queued (under each queue's lock). Why this order holds:
//! - A completer touches the waiter only between popping the entry and `finish`, all under a
//!   lock the owner must take to remove that entry; an entry still queued is alive.
//! - `DONE` is published after the transfer, so an owner that sees it (Acquire) sees the
//!   value, even if a stale permit woke it early.
//! - The wake after `DONE` uses the `Wake` made before it, so it needs no memory of the
//!   owner's. It may arrive after the owner returned: that leaves a stale permit, which
//!   every park loop here tolerates (it re-checks its condition). A goroutine woken by a
//!   goroutine of its own runtime costs no reference count (the completer's running keeps
//!   the runtime alive); any other completer takes a count while the owner still waits.
//!
//! Rejected: unparking under the lock and then storing `DONE` (the wake-up syscall of a
//! thread would lengthen every critical section); an owning `Unparker` in every waiter (a
//! reference count taken and dropped per wait: two locked instructions on the hot
//! hand-off path, of ten); a heap-allocated, reference-counted waiter per
//! operation (an allocation per blocking call).

use crate::shim::{
    AtomicUsize, Current, Ordering, UnsafeCell, WaitHandle, WaitReason, Wake, current,
};
use std::time::Instant;

const WAITING: usize = 0;
const ABORTED: usize = 1;

const fn claimed(arm: usize) -> usize {
    2 + 2 * arm
}

const fn done(arm: usize) -> usize {
    3 + 2 * arm
}

/// The outcome of a wait: which arm completed it, or that its owner aborted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Completed by a peer on arm `n` (the transfer is visible).
    Done(usize),
    /// Aborted by its owner (deadline, or an arm found ready while registering).
    Aborted,
}

/// The wake-up word of one blocked operation. See the module docs for the protocol.
#[derive(Debug)]
pub(crate) struct Waiter {
    /// `WAITING`, `ABORTED`, `CLAIMED(arm)` or `DONE(arm)`.
    state: AtomicUsize,
    /// The owner's wait handle; taken by the claimer in `finish`.
    handle: UnsafeCell<Option<WaitHandle>>,
    /// The owner (read once, for the handle and for parking). Owner side only.
    owner: Current,
}

impl Waiter {
    /// A waiter for the calling goroutine or thread.
    #[inline]
    pub(crate) fn new() -> Waiter {
        let owner = current();
        Waiter {
            state: AtomicUsize::new(WAITING),
            handle: UnsafeCell::new(Some(owner.wait_handle())),
            owner,
        }
    }

    /// Completer side, holding the lock of the queue this waiter's entry was in: claims the
    /// waiter for `arm`. `false` means the entry is stale (completed elsewhere or aborted).
    #[inline]
    pub(crate) fn try_claim(&self, arm: usize) -> bool {
        // Acquire; pairs with nothing the owner publishes after queueing (the queue lock
        // already ordered that), but keeps the claim ahead of the transfer that follows.
        self.state
            .compare_exchange(WAITING, claimed(arm), Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Completer side: publishes `DONE(arm)` and hands back the owner's `Wake`, to be
    /// woken after the queue lock is released (before the completer parks: it is `!Send`).
    ///
    /// # Safety
    /// The caller won `try_claim` on this waiter, still holds the queue lock it claimed
    /// under, and calls this once.
    #[inline(always)]
    pub(crate) unsafe fn finish(&self, arm: usize) -> Wake {
        // SAFETY: the winning claimer is the only party touching the cell until DONE is
        // published; the owner reads it only after an abort it won (impossible now).
        let handle = self.handle.with_mut(|p| unsafe { (*p).take() });
        let handle = handle.expect("Waiter::finish: claimed twice");
        // SAFETY: DONE is not published yet: the owner still waits for this completion.
        let wake = unsafe { handle.into_wake() };
        // Release; pairs with the Acquire loads in `outcome` / `wait`: the transfer the
        // claimer made is visible to an owner that sees DONE.
        self.state.store(done(arm), Ordering::Release);
        wake
    }

    /// Whether nobody has claimed or aborted this waiter yet (a live entry).
    #[inline]
    pub(crate) fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) == WAITING
    }

    /// Owner side: aborts the wait unless a completer got there first.
    #[inline]
    pub(crate) fn try_abort(&self) -> bool {
        self.state.compare_exchange(WAITING, ABORTED, Ordering::Acquire, Ordering::Acquire).is_ok()
    }

    /// The outcome, if settled (`None` while waiting or claimed but not finished).
    #[inline]
    pub(crate) fn outcome(&self) -> Option<Outcome> {
        // Acquire; pairs with the Release store in `finish`.
        let s = self.state.load(Ordering::Acquire);
        match s {
            WAITING => None,
            ABORTED => Some(Outcome::Aborted),
            s if s % 2 == 1 => Some(Outcome::Done((s - 3) / 2)),
            _ => None,
        }
    }

    /// Owner side: parks until completed, or until `deadline` passes and the owner wins the
    /// abort. A claimer that beat the abort always unparks after `DONE`, so the wait after a
    /// lost abort has no deadline and is short (the claimer is inside a critical section).
    #[inline(always)]
    #[track_caller]
    pub(crate) fn wait(&self, reason: WaitReason, deadline: Option<Instant>) -> Outcome {
        let mut deadline = deadline;
        loop {
            if let Some(outcome) = self.outcome() {
                return outcome;
            }
            if !self.owner.park_deadline(reason, deadline) {
                if self.try_abort() {
                    return Outcome::Aborted;
                }
                deadline = None;
            }
        }
    }
}

// SAFETY: the state word is atomic; `owner` is used by the owner only (`new`, `wait`); the
// handle cell is touched by exactly one party at a
// time — the owner before queueing and after an abort it won, otherwise only the single
// claimer that won `try_claim`, between the claim and `finish` (module docs).
unsafe impl Sync for Waiter {}

/// A raw pointer to a `Waiter` on some goroutine's or thread's stack, as queued in a wait
/// list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaiterRef(std::ptr::NonNull<Waiter>);

// SAFETY: a `WaiterRef` is only dereferenced under the lock of the queue holding it, and the
// waiter stays alive while its entry is queued (module docs); `Waiter` itself is `Sync`
// (atomics, and a cell only the single winning claimer touches).
unsafe impl Send for WaiterRef {}

impl WaiterRef {
    #[inline]
    pub(crate) fn new(w: &Waiter) -> Self {
        Self(std::ptr::NonNull::from(w))
    }

    /// # Safety
    /// The caller holds the lock of the queue this reference was taken from, and the entry
    /// was still queued when the lock was taken (so its owner has not returned).
    #[inline]
    pub(crate) unsafe fn get<'a>(self) -> &'a Waiter {
        // SAFETY: per the function contract the waiter is alive while the lock is held.
        unsafe { self.0.as_ref() }
    }

    #[inline]
    pub(crate) fn is(self, w: &Waiter) -> bool {
        std::ptr::eq(self.0.as_ptr(), w)
    }
}
