//! The `sync` shim: std's atomics and thread parking, or loom's when built with
//! `--cfg gpm_loom`, for the modules the loom models check (`gstate`, `spinning`, `parker`).
//! The rest of the crate uses std directly: under loom only those modules are exercised.

#[cfg(gpm_loom)]
pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64, fence};
#[cfg(gpm_loom)]
pub(crate) use loom::thread::{Thread, current, park};

#[cfg(not(gpm_loom))]
pub(crate) use std::sync::atomic::{AtomicU32, AtomicU64, fence};
#[cfg(not(gpm_loom))]
pub(crate) use std::thread::{Thread, current, park};

pub(crate) use std::sync::atomic::Ordering;

/// `std::thread::park_timeout`; loom has no clock, so under loom a timed park is a plain
/// park (the models use only untimed parks).
pub(crate) fn park_timeout(d: std::time::Duration) {
    #[cfg(gpm_loom)]
    {
        let _ = d;
        park();
    }
    #[cfg(not(gpm_loom))]
    std::thread::park_timeout(d);
}
