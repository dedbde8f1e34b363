//! The crate's std/loom shim (gpm-queue's and gpm-sched's `sync.rs`; here `sync` is the
//! public module): std's atomics, lock and cell plus the scheduler's park/unpark, or loom's
//! versions of all of them under `--cfg gpm_loom` so the model checker sees every access and
//! every park. Used by `chan/`, `select.rs`, `waiter.rs` and `sync/`.
//!
//! The park half under loom keeps the contract of `gpm_sched::park`: a permit (an unpark
//! before the park is not lost), no spurious returns, and a deadline that may pass at any
//! moment (loom has no clock, so a park with a deadline and no permit times out at once —
//! which lets the models explore the timeout races).

#[cfg(gpm_loom)]
pub(crate) use loom::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, AtomicUsize, fence};
#[cfg(not(gpm_loom))]
pub(crate) use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, AtomicUsize, fence};

pub(crate) use gpm_sched::park::WaitReason;
pub(crate) use std::sync::atomic::Ordering;

#[cfg(not(gpm_loom))]
pub(crate) use gpm_sched::park::{
    Current, WaitHandle, Wake, current, park_deadline, preempt_point,
};
#[cfg(gpm_loom)]
pub(crate) use loom_park::{Current, WaitHandle, Wake, current, park_deadline, preempt_point};

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

/// Whether spinning before a park can pay off (more than one CPU). Never under loom: a spin
/// loop is an unbounded state space for the model checker.
pub(crate) fn multicore() -> bool {
    #[cfg(gpm_loom)]
    {
        false
    }
    #[cfg(not(gpm_loom))]
    {
        gpm_sched::park::multicore()
    }
}

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

#[cfg(gpm_loom)]
mod loom_park {
    use super::WaitReason;
    use loom::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::Instant;

    /// Loom's stand-in for `gpm_sched::park::Unparker`.
    #[derive(Clone, Debug)]
    pub(crate) struct Unparker {
        inner: Arc<Waiter>,
    }

    #[derive(Debug)]
    struct Waiter {
        thread: loom::thread::Thread,
        /// Release in `unpark`; pairs with the Acquire swap in `park_deadline`.
        permit: AtomicBool,
    }

    /// Loom's stand-in for `gpm_sched::park::WaitHandle` (owning: loom threads have no
    /// runtime to keep alive).
    #[derive(Debug)]
    pub(crate) struct WaitHandle(Unparker);

    impl WaitHandle {
        pub(crate) unsafe fn into_wake(self) -> Wake {
            Wake(self.0)
        }
    }

    /// Loom's stand-in for `gpm_sched::park::Wake`.
    #[derive(Debug)]
    pub(crate) struct Wake(Unparker);

    impl Wake {
        pub(crate) fn wake(&self) {
            self.0.unpark();
        }
    }

    impl Unparker {
        pub(crate) fn unpark(&self) {
            // An RMW, not a store: loom orders a plain store against the parker's swaps
            // more loosely than the C++ model does (it could let a later swap miss it).
            self.inner.permit.swap(true, Ordering::Release);
            self.inner.thread.unpark();
        }
    }

    loom::thread_local! {
        static ME: Unparker = Unparker {
            inner: Arc::new(Waiter {
                thread: loom::thread::current(),
                permit: AtomicBool::new(false),
            }),
        };
    }

    pub(crate) fn unparker() -> Unparker {
        ME.with(Unparker::clone)
    }

    /// Loom's stand-in for `gpm_sched::park::Current`.
    #[derive(Debug)]
    pub(crate) struct Current;

    pub(crate) fn current() -> Current {
        Current
    }

    impl Current {
        pub(crate) fn wait_handle(&self) -> WaitHandle {
            WaitHandle(unparker())
        }

        pub(crate) fn park_deadline(&self, reason: WaitReason, deadline: Option<Instant>) -> bool {
            park_deadline(reason, deadline)
        }
    }

    pub(crate) fn park_deadline(_reason: WaitReason, deadline: Option<Instant>) -> bool {
        let me = unparker();
        loop {
            // Acquire; pairs with the Release store in `unpark`.
            if me.inner.permit.swap(false, Ordering::Acquire) {
                return true;
            }
            if deadline.is_some() {
                return false;
            }
            loom::thread::park();
        }
    }

    pub(crate) fn preempt_point() {}
}
