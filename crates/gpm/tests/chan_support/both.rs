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
        match self {
            Handle::Thread(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Handle::Go(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
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
/// watchdog.
#[macro_export]
macro_rules! both {
    ($name:ident, |$m:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn body($m: $crate::chan_support::both::Mode) $body
            #[test]
            fn threads() {
                $crate::chan_support::deadline(60, || {
                    $crate::chan_support::both::Mode::Threads.run(body)
                })
            }
            #[test]
            fn goroutines() {
                $crate::chan_support::deadline(60, || {
                    $crate::chan_support::both::Mode::Goroutines.run(body)
                })
            }
        }
    };
}
