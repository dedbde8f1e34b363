//! The crate's std/loom shim (gpm-queue's and gpm-sched's `sync.rs`; here `sync` is the
//! public module): std's atomics, lock and cell plus the scheduler's park/unpark, or loom's
//! versions of all of them under `--cfg gpm_loom` so the model checker sees every access and
//! every park. Used by `chan/`, `select.rs`, `waiter.rs` and `sync/`.
//!
//! The park half is `gpm_sched::park` itself in both builds. Under loom the models run on
//! loom threads (never goroutines), so they take its plain-thread path, whose `Parker` is
//! built on gpm-sched's own loom shim: the code the models check is the code that ships.
//! Loom has no clock, so there a park with a deadline and no permit times out at once,
//! which lets the models explore the timeout races.

#[cfg(gpm_loom)]
pub(crate) use loom::sync::atomic::{
    AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, fence,
};
#[cfg(not(gpm_loom))]
pub(crate) use std::sync::atomic::{
    AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, fence,
};

pub(crate) use gpm_sched::park::WaitReason;
pub(crate) use std::sync::atomic::Ordering;

/// The channels' shared state is reference counted with this: under loom, loom's `Arc`, so
/// a model sees the drop of the last handle on another thread ordered after that thread's
/// accesses (std's counts are invisible to loom, which then reads stale values in `Drop`).
#[cfg(gpm_loom)]
pub(crate) use loom::sync::Arc;
#[cfg(not(gpm_loom))]
pub(crate) use std::sync::Arc;

pub(crate) use gpm_sched::park::{
    Current, WaitHandle, Wake, current, park_deadline, preempt_point,
};

/// Holds a cancellation (`JoinHandle::abort`) off during a wait that cannot be undone.
pub(crate) use gpm_sched::CancelShield;

#[cfg(gpm_loom)]
type RawLock<T> = loom::sync::Mutex<T>;
#[cfg(not(gpm_loom))]
type RawLock<T> = std::sync::Mutex<T>;

/// The guard of a [`Lock`].
#[cfg(gpm_loom)]
pub(crate) type LockGuard<'a, T> = loom::sync::MutexGuard<'a, T>;
/// The guard of a [`Lock`].
#[cfg(not(gpm_loom))]
pub(crate) type LockGuard<'a, T> = std::sync::MutexGuard<'a, T>;

/// The short internal lock of a channel or a wait list (Go's `hchan.lock`). Never held
/// across a park and never while user code (a `Drop` of a message) runs, so poisoning can
/// only come from an allocation failure and is ignored.
#[derive(Debug, Default)]
pub(crate) struct Lock<T>(RawLock<T>);

impl<T> Lock<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(RawLock::new(value))
    }

    #[cfg(gpm_loom)]
    #[inline]
    pub(crate) fn lock(&self) -> LockGuard<'_, T> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One CAS when free. Contended, it backs off instead of entering std's
    /// `lock_contended`, whose waiter re-reads the lock word in a tight loop: with the
    /// holder on another core (a channel's consumer and its senders on different Ms) that
    /// pulls the line away on every spin, so each acquisition paid a cross-core miss (the
    /// fanin workload on 2 Ps showed it). Go's `lock2` likewise backs off
    /// (`procyield(30)`) between attempts; the holder then re-takes the line a few times in
    /// a row. After the spin rounds it blocks in the std lock (futex) as before.
    #[cfg(not(gpm_loom))]
    #[inline]
    pub(crate) fn lock(&self) -> LockGuard<'_, T> {
        self.try_take().unwrap_or_else(|| self.lock_contended())
    }

    /// One attempt; `None` if the lock is held. Poisoning is ignored, as by `lock`.
    #[cfg(not(gpm_loom))]
    #[inline]
    fn try_take(&self) -> Option<LockGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    #[cfg(not(gpm_loom))]
    #[cold]
    #[inline(never)]
    fn lock_contended(&self) -> LockGuard<'_, T> {
        /// Attempts before blocking, and the spin between them (doubling, capped).
        const ROUNDS: u32 = 8;
        const FIRST_SPIN: u32 = 16;
        const MAX_SPIN: u32 = 256;
        if multicore() {
            let mut spins = FIRST_SPIN;
            for _ in 0..ROUNDS {
                for _ in 0..spins {
                    std::hint::spin_loop();
                }
                if let Some(g) = self.try_take() {
                    return g;
                }
                spins = (spins * 2).min(MAX_SPIN);
            }
        }
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(gpm_loom)]
pub(crate) use loom::cell::UnsafeCell;

/// `std::cell::UnsafeCell` behind loom's `with_mut` API, so one source compiles against
/// both and loom checks every access to a waiter's value slot for a data race.
#[cfg(not(gpm_loom))]
#[derive(Debug, Default)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(gpm_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Whether spinning before a park can pay off (more than one CPU); never under loom.
pub(crate) use gpm_sched::park::multicore;

/// A pseudo-random number below `n` (`n > 0`) for `select!`'s poll order. Not inlined: the
/// thread-local generator must not be read across a goroutine switch in the caller. Under
/// loom it is 0, so executions replay deterministically.
#[inline(never)]
pub(crate) fn random_below(n: usize) -> usize {
    #[cfg(gpm_loom)]
    {
        let _ = n;
        0
    }
    #[cfg(not(gpm_loom))]
    {
        fastrand::usize(..n)
    }
}
