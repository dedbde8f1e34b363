//! [`Timer`], [`Ticker`] and [`AfterFunc`]: handles over a runtime function timer.
//!
//! # No stale value after `stop` or `reset`
//! A timer's callback and the handle's `stop`/`reset` meet under one small lock
//! (`Slot`): the callback sends only if its arming is still the one the handle armed
//! last (`FuncTimer::arming`), and `stop`/`reset` change that arming and take back a value
//! not yet received, under the same lock. Races this prevents: a callback that won its
//! firing just before `stop` (it sends first and `stop` takes the value back, or it finds
//! itself disowned and sends nothing), and an old arming's callback running after `reset`
//! (its arming is no longer the handle's).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use gpm_sched::FuncTimer;

use crate::chan::{self, Receiver, Sender};

/// What the callback and the handle share.
#[derive(Debug)]
struct Slot {
    /// The handle's live arming, or `None` when stopped.
    armed: Option<u64>,
    /// A ticker's period.
    period: Duration,
}

#[derive(Debug)]
struct Shared {
    slot: Mutex<Slot>,
    tx: Sender<Instant>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        // Nothing here panics while holding the lock but an allocation failure.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The first tick on `period`'s grid from `when` that is still ahead (Go's ticker skips
/// the ticks a late firing missed).
pub(super) fn next_tick(when: Instant, period: Duration) -> Instant {
    let next = when + period;
    let now = Instant::now();
    if next > now {
        return next;
    }
    let missed = (now - when).as_nanos() / period.as_nanos();
    let skip = u32::try_from(missed + 1).unwrap_or(u32::MAX);
    when + period.saturating_mul(skip)
}

fn deadline(d: Duration) -> Instant {
    Instant::now().checked_add(d).unwrap_or_else(super::far_future)
}

/// A single event in the future (Go's `time.Timer`): its channel ([`c`](Timer::c))
/// receives the time once the timer fires. Stopped when dropped.
///
/// ```
/// use std::time::Duration;
/// let t = gpm::time::Timer::new(Duration::from_secs(3600));
/// assert!(t.stop(), "stopped before it fired");
/// t.reset(Duration::from_millis(1));
/// t.c().recv().unwrap();
/// ```
#[derive(Debug)]
pub struct Timer {
    shared: Arc<Shared>,
    rx: Receiver<Instant>,
    timer: FuncTimer,
}

impl Timer {
    /// A timer that fires once after at least `d`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let start = Instant::now();
    /// let t = gpm::time::Timer::new(Duration::from_millis(2));
    /// let fired = t.c().recv().unwrap(); // parks a goroutine, blocks a plain thread
    /// assert!(fired >= start + Duration::from_millis(2));
    /// ```
    pub fn new(d: Duration) -> Timer {
        Timer::at(deadline(d))
    }

    /// A timer that fires once at or after `when`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let when = Instant::now() + Duration::from_millis(2);
    /// assert!(gpm::time::Timer::at(when).c().recv().unwrap() >= when);
    /// ```
    pub fn at(when: Instant) -> Timer {
        let t = Timer::unarmed(Duration::ZERO, false);
        t.reset_at(when);
        t
    }

    fn unarmed(period: Duration, ticker: bool) -> Timer {
        let (tx, rx) = chan::bounded(1);
        let shared = Arc::new(Shared { slot: Mutex::new(Slot { armed: None, period }), tx });
        let s = shared.clone();
        let timer = super::func_timer(move |fired| {
            let mut slot = s.lock();
            if slot.armed != Some(fired.arming()) {
                return;
            }
            // Full: a ticker's reader is behind; the tick is dropped, as Go's.
            let _ = s.tx.try_send(Instant::now());
            slot.armed =
                if ticker { fired.rearm(next_tick(fired.when(), slot.period)) } else { None };
        });
        Timer { shared, rx, timer }
    }

    /// The channel the time is sent on when the timer fires (Go's `t.C`): an ordinary
    /// receiver, so it works in `select!`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let (_tx, work) = gpm::chan::bounded::<u32>(1);
    /// let t = gpm::time::Timer::new(Duration::from_millis(1));
    /// let timed_out = gpm::select! {
    ///     recv(work) -> _ => false,
    ///     recv(t.c()) -> _ => true,
    /// };
    /// assert!(timed_out);
    /// ```
    pub fn c(&self) -> &Receiver<Instant> {
        &self.rx
    }

    /// Stops the timer. `true` if the call kept it from delivering (it was armed, or had
    /// fired into a channel nobody had received from); `false` if its value was received
    /// already or it was stopped. No value from before the call is received after it.
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = gpm::time::Timer::new(Duration::from_millis(1));
    /// t.c().recv().unwrap();
    /// assert!(!t.stop(), "already delivered");
    /// ```
    pub fn stop(&self) -> bool {
        let mut slot = self.shared.lock();
        // Armed here means not delivered: a callback that delivers disarms under the lock.
        let was = slot.armed.take().is_some();
        self.timer.stop();
        was | self.rx.try_recv().is_ok()
    }

    /// Re-arms the timer for `d` from now; returns what [`stop`](Self::stop) would have.
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = gpm::time::Timer::new(Duration::from_secs(3600));
    /// assert!(t.reset(Duration::from_millis(1)));
    /// t.c().recv().unwrap();
    /// ```
    pub fn reset(&self, d: Duration) -> bool {
        self.reset_at(deadline(d))
    }

    /// Re-arms the timer for `when`; returns what [`stop`](Self::stop) would have.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let t = gpm::time::Timer::new(Duration::from_secs(3600));
    /// let when = Instant::now() + Duration::from_millis(1);
    /// assert!(t.reset_at(when), "it was armed");
    /// assert!(t.c().recv().unwrap() >= when);
    /// ```
    pub fn reset_at(&self, when: Instant) -> bool {
        let mut slot = self.shared.lock();
        let was = slot.armed.is_some() | self.rx.try_recv().is_ok();
        self.timer.reset(when);
        // The new arming's number: its callback waits for this lock before it can re-arm.
        slot.armed = Some(self.timer.arming());
        was
    }
}

/// Ticks at a fixed period (Go's `time.Ticker`): its channel ([`c`](Ticker::c))
/// receives the time at each tick, and a slow reader misses ticks rather than queueing
/// them. Stopped when dropped.
///
/// ```
/// use std::time::Duration;
/// let t = gpm::time::Ticker::new(Duration::from_millis(2));
/// let a = t.c().recv().unwrap();
/// let b = t.c().recv().unwrap();
/// assert!(b > a);
/// t.stop();
/// ```
#[derive(Debug)]
pub struct Ticker {
    inner: Timer,
}

impl Ticker {
    /// A ticker with period `d`, first tick after `d`.
    ///
    /// # Panics
    /// If `d` is zero (Go's "non-positive interval for NewTicker").
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let start = Instant::now();
    /// let ticker = gpm::time::Ticker::new(Duration::from_millis(2));
    /// assert!(ticker.c().recv().unwrap() >= start + Duration::from_millis(2));
    /// ```
    #[track_caller]
    pub fn new(d: Duration) -> Ticker {
        check_period(d, "Ticker::new");
        let inner = Timer::unarmed(d, true);
        inner.reset_at(deadline(d));
        Ticker { inner }
    }

    /// The channel the ticks are sent on (Go's `t.C`).
    ///
    /// ```
    /// use std::time::Duration;
    /// let ticker = gpm::time::Ticker::new(Duration::from_millis(1));
    /// let ticks: Vec<_> = ticker.c().iter().take(3).collect();
    /// assert!(ticks.windows(2).all(|w| w[1] > w[0]));
    /// ```
    pub fn c(&self) -> &Receiver<Instant> {
        self.inner.c()
    }

    /// Stops the ticker; no tick from before the call is received after it.
    ///
    /// ```
    /// use std::time::Duration;
    /// let ticker = gpm::time::Ticker::new(Duration::from_millis(1));
    /// ticker.c().recv().unwrap();
    /// ticker.stop();
    /// assert!(ticker.c().recv_timeout(Duration::from_millis(5)).is_err());
    /// ```
    pub fn stop(&self) {
        self.inner.stop();
    }

    /// Stops the ticker and restarts it with period `d`, first tick after `d`.
    ///
    /// # Panics
    /// If `d` is zero.
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = gpm::time::Ticker::new(Duration::from_secs(3600));
    /// t.reset(Duration::from_millis(1));
    /// t.c().recv().unwrap();
    /// ```
    #[track_caller]
    pub fn reset(&self, d: Duration) {
        check_period(d, "Ticker::reset");
        self.inner.shared.lock().period = d;
        self.inner.reset_at(deadline(d));
    }
}

#[track_caller]
fn check_period(d: Duration, what: &str) {
    assert!(!d.is_zero(), "gpm::time::{what}: a zero period; a ticker needs a period above zero");
}

/// The handle of [`after_func`](super::after_func): stops or re-arms it. Dropping it
/// leaves the timer running (Go's `AfterFunc` timer runs whether its `*Timer` is kept).
///
/// ```
/// use std::time::Duration;
/// let t = gpm::time::after_func(Duration::from_secs(3600), || unreachable!());
/// assert!(t.stop());
/// ```
#[derive(Debug)]
pub struct AfterFunc {
    timer: Option<FuncTimer>,
}

impl AfterFunc {
    pub(super) fn new<F>(d: Duration, f: F) -> AfterFunc
    where
        F: Fn() + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let timer = super::func_timer(move |fired| {
            let f = f.clone();
            fired.go(move || f());
        });
        timer.reset(deadline(d));
        AfterFunc { timer: Some(timer) }
    }

    fn timer(&self) -> &FuncTimer {
        self.timer.as_ref().expect("AfterFunc: timer taken only by drop")
    }

    /// Stops it: `true` if that kept `f` from being started.
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, rx) = gpm::chan::bounded(1);
    /// let t = gpm::time::after_func(Duration::from_millis(1), move || {
    ///     let _ = tx.try_send(());
    /// });
    /// rx.recv().unwrap(); // it ran
    /// assert!(!t.stop(), "too late: it had started");
    /// ```
    pub fn stop(&self) -> bool {
        self.timer().stop()
    }

    /// Re-arms it for `d` from now: `f` runs again then. `true` if it was armed.
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, rx) = gpm::chan::bounded(2);
    /// let t = gpm::time::after_func(Duration::from_millis(1), move || {
    ///     let _ = tx.try_send(());
    /// });
    /// rx.recv().unwrap();
    /// assert!(!t.reset(Duration::from_millis(1)), "it had fired");
    /// rx.recv().unwrap();
    /// ```
    pub fn reset(&self, d: Duration) -> bool {
        self.timer().reset(deadline(d))
    }
}

impl Drop for AfterFunc {
    fn drop(&mut self) {
        if let Some(t) = self.timer.take() {
            t.detach();
        }
    }
}
