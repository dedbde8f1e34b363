//! Runs one test body on plain threads and on goroutines: `both!(name, |m| body)` makes
//! `name::threads` and `name::goroutines`; the body spawns and sleeps through `m`.
#![allow(dead_code)]

use std::time::Duration;

/// Where a test body runs its concurrent parts.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    Threads,
    Goroutines,
}

/// A handle of either kind.
pub enum Handle<T> {
    Thread(std::thread::JoinHandle<T>),
    Go(gpm::JoinHandle<T>),
}

impl<T> Handle<T> {
    pub fn join(self) -> T {
        self.try_join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    }

    /// `join` that returns the worker's panic as an `Err`, as std's.
    pub fn try_join(self) -> std::thread::Result<T> {
        match self {
            Handle::Thread(h) => h.join(),
            Handle::Go(h) => h.join(),
        }
    }
}

impl Mode {
    pub fn spawn<T: Send + 'static>(self, f: impl FnOnce() -> T + Send + 'static) -> Handle<T> {
        match self {
            Mode::Threads => Handle::Thread(std::thread::spawn(f)),
            Mode::Goroutines => Handle::Go(gpm::go(f)),
        }
    }

    pub fn sleep_ms(self, ms: u64) {
        match self {
            Mode::Threads => std::thread::sleep(Duration::from_millis(ms)),
            Mode::Goroutines => gpm::sleep(Duration::from_millis(ms)),
        }
    }

    /// Runs `f` as a scope: every handle it returns is joined.
    pub fn run<T: Send + 'static>(self, f: impl FnOnce(Mode) -> T + Send + 'static) -> T {
        match self {
            Mode::Threads => f(self),
            Mode::Goroutines => {
                // SAFETY: the test bodies keep no thread-local or thread-bound value across a
                // blocking call.
                let rt = unsafe { gpm::Runtime::builder().procs(2).build() }.expect("runtime");
                rt.block_on(move || f(self))
            }
        }
    }
}

/// `both!(name, |m| body)`: the body on threads and on goroutines, each under a deadlock
/// watchdog. Attributes before the name go on the body (`#[allow(..)]`), except
/// `#[ignore = "why"]` and `#[should_panic(..)]`, which go on both tests, and `#[serial]`, which runs the two one
/// after the other (for a body that counts in a `static`).
#[macro_export]
macro_rules! both {
    (#[ignore = $reason:literal] $name:ident, |$m:ident| $body:block) => {
        $crate::both!(@ [#[ignore = $reason]] [] [] $name, |$m| $body);
    };
    (#[should_panic(expected = $msg:literal)] $name:ident, |$m:ident| $body:block) => {
        $crate::both!(@ [#[should_panic(expected = $msg)]] [] [] $name, |$m| $body);
    };
    (#[serial] $name:ident, |$m:ident| $body:block) => {
        $crate::both!(@ [] [] [let _serial = $crate::chan_support::serial();] $name, |$m| $body);
    };
    ($(#[$attr:meta])* $name:ident, |$m:ident| $body:block) => {
        $crate::both!(@ [] [$(#[$attr])*] [] $name, |$m| $body);
    };
    (@ [$(#[$test_attr:meta])*] [$(#[$attr:meta])*] [$($pre:tt)*] $name:ident,
     |$m:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$attr])*
            fn body($m: $crate::chan_support::both::Mode) $body
            #[test]
            $(#[$test_attr])*
            fn threads() {
                $($pre)*
                $crate::chan_support::deadline(60, || {
                    $crate::chan_support::both::Mode::Threads.run(body)
                })
            }
            #[test]
            $(#[$test_attr])*
            fn goroutines() {
                $($pre)*
                $crate::chan_support::deadline(60, || {
                    $crate::chan_support::both::Mode::Goroutines.run(body)
                })
            }
        }
    };
}
