//! The `sync` shim: std's atomics and thread parking, or loom's when built with
//! `--cfg gpm_loom`, for the modules the loom models check (`park/state.rs`,
//! `park/parker.rs`, `spinning`, `joinstate`, `ownership`, `netpoll/desc.rs`'s semaphore).
//! The rest of the crate uses std directly: under loom only those modules are exercised.

#[cfg(gpm_loom)]
pub(crate) use loom::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, AtomicUsize, fence};
#[cfg(gpm_loom)]
pub(crate) use loom::thread::{Thread, current, park};

#[cfg(not(gpm_loom))]
pub(crate) use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, AtomicUsize, fence};
#[cfg(not(gpm_loom))]
pub(crate) use std::thread::{Thread, current, park};

pub(crate) use std::sync::atomic::Ordering;

/// `std::thread::park_timeout`; loom has no clock, so under loom a timed park is a plain
/// park (not reached there: `deadline_passed` says every deadline has passed).
pub(crate) fn park_timeout(d: std::time::Duration) {
    #[cfg(gpm_loom)]
    {
        let _ = d;
        park();
    }
    #[cfg(not(gpm_loom))]
    std::thread::park_timeout(d);
}

/// Whether `deadline` has passed. Loom has no clock: under loom every deadline counts as
/// passed the first time it is looked at (a timed wait with no permit times out at once,
/// the earliest moment a real clock could make it).
pub(crate) fn deadline_passed(deadline: std::time::Instant) -> bool {
    cfg!(gpm_loom) || std::time::Instant::now() >= deadline
}

/// Waits a little in a spin-wait loop that may be long (another thread must run first): a
/// few spins, then the thread yields. Under loom, a yield to the model's scheduler.
pub(crate) fn backoff(round: u32) {
    #[cfg(gpm_loom)]
    {
        let _ = round;
        loom::thread::yield_now();
    }
    #[cfg(not(gpm_loom))]
    if round < 16 {
        for _ in 0..(1 << round.min(6)) {
            std::hint::spin_loop();
        }
    } else {
        std::thread::yield_now();
    }
}
