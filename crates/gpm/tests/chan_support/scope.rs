//! crossbeam-utils' `scope` for the ported crossbeam-channel tests, on either kind of
//! worker: `m.scope(|scope| { scope.spawn(|| ..); })` is `std::thread::scope` on threads
//! and `gpm::scope` on goroutines. `ms(n)` is crossbeam's time unit, scaled down by
//! [`TIME_SCALE`] so the ported timing tests keep their ratios but run quicker.
#![allow(dead_code)]

use super::both::Mode;
use std::time::Duration;

/// crossbeam's timing tests sleep up to 1.5 s at a time; every `ms(n)` is `n / TIME_SCALE`
/// milliseconds, so the orderings they check keep the same proportions.
pub const TIME_SCALE: u32 = 5;

/// crossbeam's `ms(n)`, scaled by [`TIME_SCALE`].
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n) / TIME_SCALE
}

/// crossbeam's `ms(n)` unscaled, for timers whose order a test asserts (one must fire, the
/// other must not yet): scaled down, the gap is a few ms, and a thread delayed that long on
/// a loaded machine finds both ready.
pub fn race_ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A scope of threads or of goroutines.
#[derive(Clone, Copy)]
pub enum Scope<'scope, 'env: 'scope> {
    Threads(&'scope std::thread::Scope<'scope, 'env>),
    Go(&'scope gpm::Scope<'scope, 'env>),
}

/// A scoped handle of either kind; `join` returns the panic as an `Err`, as crossbeam's.
pub enum ScopedHandle<'scope, T> {
    Thread(std::thread::ScopedJoinHandle<'scope, T>),
    Go(gpm::ScopedJoinHandle<'scope, T>),
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Spawns `f` in the scope (crossbeam's `scope.spawn(|_| f())`).
    pub fn spawn<T: Send + 'scope>(
        self,
        f: impl FnOnce() -> T + Send + 'scope,
    ) -> ScopedHandle<'scope, T> {
        match self {
            Scope::Threads(s) => ScopedHandle::Thread(s.spawn(f)),
            Scope::Go(s) => ScopedHandle::Go(s.go(f)),
        }
    }
}

impl<T> ScopedHandle<'_, T> {
    pub fn join(self) -> std::thread::Result<T> {
        match self {
            ScopedHandle::Thread(h) => h.join(),
            ScopedHandle::Go(h) => h.join(),
        }
    }
}

impl Mode {
    /// The mode of the caller: `Goroutines` inside a goroutine, else `Threads` (for helpers
    /// that spawn without a `Mode` at hand, as Go's `go` statement).
    pub fn here() -> Mode {
        if gpm::current().is_goroutine() { Mode::Goroutines } else { Mode::Threads }
    }

    /// crossbeam-utils' `scope`: every worker spawned in it is joined before it returns.
    /// The `Result` is crossbeam's shape (a worker's panic is resumed here, not returned).
    pub fn scope<'env, T>(
        self,
        f: impl for<'scope> FnOnce(Scope<'scope, 'env>) -> T,
    ) -> Result<T, std::convert::Infallible> {
        Ok(match self {
            Mode::Threads => std::thread::scope(|s| f(Scope::Threads(s))),
            Mode::Goroutines => gpm::scope(|s| f(Scope::Go(s))),
        })
    }

    /// Sleeps for `d` (a thread sleep or `gpm::sleep`).
    pub fn sleep(self, d: Duration) {
        match self {
            Mode::Threads => std::thread::sleep(d),
            Mode::Goroutines => gpm::sleep(d),
        }
    }
}
