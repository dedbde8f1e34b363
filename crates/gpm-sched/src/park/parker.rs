//! `Parker`: how an OS thread sleeps — an idle M (`Sched::stopm`), sysmon, and a plain
//! thread in `park*` (`mod.rs`'s `thread_waiter`). A one-permit word in front of
//! `std::thread::park`, which on Linux is a futex wait on a per-thread word: an idle M costs
//! no CPU, and an `unpark` before the `park` is not lost.
//!
//! Only gpm-stack talks to the OS, so this uses std's futex-based parking rather than a raw
//! `futex(2)`; the word's third state, `PARKED`, lets `unpark` skip the wake-up call when the
//! owner is awake, which is why `unpark` is a swap: it must read the state it replaces.
//!
//! There is one implementation, loom-checked as it is (`loom/`): under `--cfg gpm_loom`
//! only the `sync` shim's primitives change (loom's atomic, `Thread`, `park`), and, since
//! loom has no clock, a deadline counts as passed at its first look (`sync::deadline_passed`),
//! so a timed park with no permit times out at once and the models see the timeout race at
//! its earliest point.

use std::time::Instant;

use crate::sync::{AtomicU32, Ordering::*, Thread, current, deadline_passed, park, park_timeout};

const EMPTY: u32 = 0;
const NOTIFIED: u32 = 1;
const PARKED: u32 = 2;
/// `PARKED`, by a plain thread that counts as asleep for deadlock detection while it is
/// in this state (`park_asleep`; `deadlock/threads.rs` says why the waker uncounts it).
const PARKED_ASLEEP: u32 = 3;

/// A parker owned by one thread; any thread may `unpark` it.
#[derive(Debug)]
pub(crate) struct Parker {
    state: AtomicU32,
    thread: Thread,
}

impl Parker {
    /// A parker for the calling thread.
    pub(crate) fn new() -> Parker {
        Parker { state: AtomicU32::new(EMPTY), thread: current() }
    }

    /// Sleeps until `unpark` (consuming its permit) or `deadline`; returns whether the permit
    /// was consumed. Only the owning thread may call it.
    pub(crate) fn park(&self, deadline: Option<Instant>) -> bool {
        self.park_as(PARKED, deadline)
    }

    /// `park(None)` for a plain thread in a gpm call: counted asleep from the moment it
    /// commits to sleeping until its waker's swap (`deadlock/threads.rs`).
    pub(crate) fn park_asleep(&self) -> bool {
        self.park_as(PARKED_ASLEEP, None)
    }

    fn park_as(&self, parked: u32, deadline: Option<Instant>) -> bool {
        // Acquire: pairs with the Release swap in `unpark`, so what the waker wrote before
        // waking us (an M's `nextp`, a queued item) is visible.
        if self.state.compare_exchange(NOTIFIED, EMPTY, Acquire, Relaxed).is_ok() {
            return true;
        }
        if self.state.compare_exchange(EMPTY, parked, Relaxed, Relaxed).is_err() {
            // NOTIFIED arrived in between; Acquire as above.
            self.state.swap(EMPTY, Acquire);
            return true;
        }
        if parked == PARKED_ASLEEP {
            crate::deadlock::threads::went_to_sleep();
        }
        loop {
            match deadline {
                None => park(),
                Some(d) => {
                    if deadline_passed(d) {
                        // Time is up: leave PARKED, unless a permit came.
                        return self.state.swap(EMPTY, Acquire) == NOTIFIED;
                    }
                    park_timeout(d.saturating_duration_since(Instant::now()));
                }
            }
            if self.state.compare_exchange(NOTIFIED, EMPTY, Acquire, Relaxed).is_ok() {
                return true;
            }
        }
    }

    /// Whether a permit is stored: a snapshot, for a spin before `park` (Relaxed: `park`
    /// consumes the permit with the Acquire that matters).
    pub(crate) fn notified(&self) -> bool {
        self.state.load(Relaxed) == NOTIFIED
    }

    /// Makes the permit available; wakes the owner if it sleeps.
    pub(crate) fn unpark(&self) {
        // Release: pairs with the Acquire in `park`.
        match self.state.swap(NOTIFIED, Release) {
            PARKED => self.thread.unpark(),
            PARKED_ASLEEP => {
                crate::deadlock::threads::woken();
                self.thread.unpark();
            }
            _ => {}
        }
    }
}

impl Default for Parker {
    fn default() -> Self {
        Parker::new()
    }
}
