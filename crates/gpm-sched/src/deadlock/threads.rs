//! The plain threads deadlock detection knows (`deadlock.rs`, "Plain threads"),
//! process-wide: how many threads gpm has seen and are alive (`SEEN`), and how many of them
//! sleep in a gpm call with no deadline (`ASLEEP`). `SEEN - ASLEEP > 0`: some known thread
//! is awake and may wake a goroutine.
//!
//! A thread is seen when it makes its park permit (its first park in a gpm call,
//! `park::thread_waiter`), or when it completes another's wait or wakes a goroutine while
//! some runtime detects deadlocks (`note_waker`); it is forgotten when it exits (the
//! permit's thread-local drops).
//!
//! `ASLEEP` is counted on the parker's state word (`parker.rs`, `PARKED_ASLEEP`): the
//! sleeper adds one once its CAS into that state has succeeded, and the waker whose swap
//! takes the word out of it subtracts one *before* it unparks the thread. So a woken
//! thread counts as awake from the waker's last step on, before it has even run: a check
//! that follows the waker (its M went idle after the wake) never finds it asleep. The two
//! may meet in either order, so the count wraps below zero for a moment; read as signed,
//! that over-counts awake threads, the safe side. The sleeper's add is a Release the
//! check's Acquire load pairs with: a check that counts the thread asleep sees what it did
//! before sleeping (the goroutine it readied is in a queue).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};

static SEEN: AtomicUsize = AtomicUsize::new(0);
static ASLEEP: AtomicUsize = AtomicUsize::new(0);
/// Some runtime of the process has deadlock detection on.
static DETECTING: AtomicBool = AtomicBool::new(false);

pub(crate) fn note_detecting() {
    DETECTING.store(true, Relaxed);
}

/// A seen thread, alive while this lives (in its park permit's thread-local).
#[derive(Debug)]
pub(crate) struct Seen(());

impl Seen {
    pub(crate) fn new() -> Seen {
        SEEN.fetch_add(1, Release);
        Seen(())
    }
}

impl Drop for Seen {
    fn drop(&mut self) {
        SEEN.fetch_sub(1, Release);
    }
}

/// A plain thread is about to wake a goroutine (`park::WaitHandle::into_wake`,
/// `Unparker::unpark`): it is seen from now on, if some runtime detects deadlocks (one
/// relaxed load otherwise). Never switches (a plain thread).
#[inline]
pub(crate) fn note_waker() {
    if DETECTING.load(Relaxed) {
        note_waker_slow();
    }
}

#[cold]
#[inline(never)]
fn note_waker_slow() {
    if crate::context::current_m().is_null() {
        crate::park::touch_thread_waiter();
    }
}

/// The sleeper, after its parker went to `PARKED_ASLEEP`.
pub(crate) fn went_to_sleep() {
    ASLEEP.fetch_add(1, Release);
}

/// The waker that took a parker out of `PARKED_ASLEEP`, before it unparks the thread.
pub(crate) fn woken() {
    ASLEEP.fetch_sub(1, Release);
}

/// Some seen thread sleeps in a gpm call with no deadline (someone waits on goroutines).
pub(crate) fn someone_asleep() -> bool {
    ASLEEP.load(Acquire) as isize > 0
}

/// Some seen thread is awake (may wake a goroutine). `ASLEEP` first: a thread seen
/// between the two loads only adds to the awake side.
pub(crate) fn someone_awake() -> bool {
    let asleep = ASLEEP.load(Acquire);
    SEEN.load(Acquire).wrapping_sub(asleep) as isize > 0
}
