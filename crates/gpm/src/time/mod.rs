//! Go's `time` package on goroutines: [`sleep`], [`after`], [`at`], [`tick`], [`Timer`],
//! [`Ticker`], [`after_func`] and [`timeout`].
//!
//! Every receiver here is an ordinary [`chan::Receiver`], usable in `select!`; receiving
//! parks a goroutine and blocks a plain thread. [`after`], [`at`] and [`tick`] are the
//! channel flavours of [`chan`] (crossbeam's): the receive itself waits for the due time,
//! so they need no timer and no runtime. The timers of [`Timer`], [`Ticker`] and
//! [`after_func`] are the runtime's own (kept with the ones [`sleep`] uses), not a
//! goroutine each: an armed timer costs little memory and no thread. They belong to the
//! caller's runtime (the default runtime on a plain thread); on a plain thread with no
//! runtime at all, a small single-thread runtime started at the first use keeps them.
//!
//! ```
//! use std::time::Duration;
//! let rt = gpm::Runtime::single_thread()?;
//! let first = rt.block_on(|| {
//!     let (tx, rx) = gpm::chan::bounded(1);
//!     gpm::go(move || {
//!         gpm::time::sleep(Duration::from_millis(1));
//!         let _ = tx.send("work");
//!     });
//!     gpm::select! {
//!         recv(rx) -> v => v.unwrap(),
//!         recv(gpm::time::after(Duration::from_secs(10))) -> _ => "timeout",
//!     }
//! });
//! assert_eq!(first, "work");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Go's semantics, as of Go 1.23
//! * A [`Timer`]'s or [`Ticker`]'s channel holds at most one value, and after
//!   [`Timer::stop`] or [`Timer::reset`] (and the ticker's) returns, no value from before
//!   the call is received: the call takes back a value not yet received (Go 1.23 made the
//!   timer channels synchronous for this). So `stop` returns `true` when the call kept the
//!   value from being received, even if the deadline had passed.
//! * A ticker drops the ticks a slow reader misses, and its next tick stays on the
//!   period's grid.
//! * Dropping a `Timer` or `Ticker` stops it.

mod timer;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use gpm_sched::{Fired, FuncTimer, Runtime};

use crate::chan::{self, Receiver};

pub use crate::chan::{after, at};
pub use gpm_sched::sleep;
pub use timer::{AfterFunc, Ticker, Timer};

/// A timer on the caller's runtime, or, on a plain thread with no runtime, on the fallback
/// runtime (module docs).
fn func_timer(f: impl Fn(&Fired<'_>) + Send + Sync + 'static) -> FuncTimer {
    let f = Arc::new(f);
    let g = f.clone();
    FuncTimer::try_new(move |fired| g(fired))
        .unwrap_or_else(|| FuncTimer::new_in(fallback(), move |fired| f(fired)))
}

/// The runtime that keeps the timers of a program that started none.
fn fallback() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        Runtime::builder().name("gpm-time").build_single_thread().unwrap_or_else(|e| {
            panic!("gpm::time: no runtime is running and none could be started for timers: {e}")
        })
    })
}

/// A channel that receives the due instant every `d` (Go's `time.Tick`, on
/// [`chan::tick`]); a slow reader gets one message for the ticks it missed. A zero `d`
/// gives a channel that never receives, as Go's `Tick` gives `nil` (crossbeam's `tick`
/// would tick without pause).
///
/// ```
/// use std::time::Duration;
/// let ticks = gpm::time::tick(Duration::from_millis(2));
/// let a = ticks.recv().unwrap();
/// let b = ticks.recv().unwrap();
/// assert!(b > a);
/// ```
pub fn tick(d: Duration) -> Receiver<Instant> {
    if d.is_zero() {
        return chan::never();
    }
    chan::tick(d)
}

/// Runs `f` as a goroutine after at least `d` (Go's `time.AfterFunc`), each time the timer
/// fires: again after each [`AfterFunc::reset`]. Dropping the handle does not stop it.
///
/// ```
/// use std::time::Duration;
/// let (tx, rx) = gpm::chan::bounded(1);
/// let _t = gpm::time::after_func(Duration::from_millis(5), move || {
///     let _ = tx.try_send("ran");
/// });
/// assert_eq!(rx.recv().unwrap(), "ran");
/// ```
pub fn after_func<F>(d: Duration, f: F) -> AfterFunc
where
    F: Fn() + Send + Sync + 'static,
{
    AfterFunc::new(d, f)
}

/// `f` did not finish within the time [`timeout`] gave it.
///
/// ```
/// use std::time::Duration;
/// let rt = gpm::Runtime::single_thread()?;
/// let err = rt.block_on(|| {
///     gpm::time::timeout(Duration::from_millis(1), || gpm::sleep(Duration::from_secs(3600)))
/// });
/// let elapsed = err.unwrap_err();
/// assert_eq!(elapsed.limit(), Duration::from_millis(1));
/// assert!(elapsed.to_string().contains("not finished within 1ms"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed {
    limit: Duration,
}

impl Elapsed {
    /// The time `f` was given.
    ///
    /// ```
    /// use std::time::Duration;
    /// gpm::init_single_thread();
    /// let slow = || gpm::sleep(Duration::from_secs(60));
    /// let r = gpm::time::timeout(Duration::from_millis(2), slow);
    /// assert_eq!(r.unwrap_err().limit(), Duration::from_millis(2));
    /// ```
    pub fn limit(&self) -> Duration {
        self.limit
    }
}

impl std::fmt::Display for Elapsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "gpm::time::timeout: not finished within {:?} (the goroutine runs on; give it a way \
             to stop, such as a channel it selects on)",
            self.limit
        )
    }
}

impl std::error::Error for Elapsed {}

/// Runs `f` as a goroutine and waits at most `d` for its result: `Err(Elapsed)` if it did
/// not finish in time. The goroutine is not stopped then (Go has no way to stop one
/// either): it runs on, detached, and its result is dropped. A panic in `f` is resumed
/// here. From a plain thread `f` runs on the default runtime, as [`crate::go`].
///
/// ```
/// use std::time::Duration;
/// gpm::init_single_thread(); // a plain thread spawns on the default runtime
/// assert_eq!(gpm::time::timeout(Duration::from_secs(5), || 6 * 7), Ok(42));
/// let slow = gpm::time::timeout(Duration::from_millis(5), || {
///     gpm::sleep(Duration::from_millis(200));
/// });
/// assert!(slow.is_err());
/// ```
#[track_caller]
pub fn timeout<F, T>(d: Duration, f: F) -> Result<T, Elapsed>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // The goroutine drops `done` when `f` returns or unwinds: its receiver then wakes.
    let (done, finished) = chan::bounded::<()>(0);
    let h = crate::go(move || {
        let _done = done;
        f()
    });
    match finished.recv_timeout(d) {
        Err(chan::RecvTimeoutError::Timeout) => Err(Elapsed { limit: d }),
        _ => match h.join() {
            Ok(v) => Ok(v),
            Err(payload) => std::panic::resume_unwind(payload),
        },
    }
}

/// An instant no timer reaches (a deadline past `Instant`'s range).
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}
