//! The timer channels, crossbeam-channel's `at` and `tick` flavors: receivers whose
//! message is the instant it became due. No thread, goroutine or timer entry stands behind
//! them: a receive sleeps (parks) until the due instant, and a `select!` arm on one gives
//! its due instant as a deadline for the park, then polls again.
//!
//! Races: several receivers of one `at` channel (clones) race for its single message with a
//! swap on `received`; several receivers of a `tick` race for each tick with a CAS on the
//! next due time, so each tick is delivered once.

use super::error::TryRecvError;
use crate::shim::{AtomicU64, AtomicUsize, Ordering, WaitReason, park_deadline};
use std::time::{Duration, Instant};

/// Parks until `deadline` (forever if `None`), ignoring stale wake-ups; a dump shows it
/// waiting for `reason` (a channel operation: Go shows a receive from `time.After` or a nil
/// channel as one).
#[track_caller]
pub(crate) fn sleep_until(reason: WaitReason, deadline: Option<Instant>) {
    while deadline.is_none_or(|d| Instant::now() < d) {
        if !park_deadline(reason, deadline) {
            break;
        }
    }
}

/// One message at `when` (crossbeam's `at` flavor; `after(d)` is `at(now + d)`).
pub(crate) struct At {
    when: Instant,
    /// The message has been taken (by any clone of the receiver).
    received: AtomicUsize,
}

impl At {
    pub(crate) fn new(when: Instant) -> Self {
        Self { when, received: AtomicUsize::new(0) }
    }

    pub(crate) fn try_recv(&self) -> Result<Instant, TryRecvError> {
        // Relaxed: the flag guards nothing but itself; the swap below decides.
        if self.received.load(Ordering::Relaxed) != 0 || Instant::now() < self.when {
            return Err(TryRecvError::Empty);
        }
        match self.received.swap(1, Ordering::AcqRel) {
            0 => Ok(self.when),
            _ => Err(TryRecvError::Empty),
        }
    }

    /// `Err(Empty)`: the deadline passed first.
    #[track_caller]
    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<Instant, TryRecvError> {
        if self.received.load(Ordering::Relaxed) == 0 {
            if deadline.is_some_and(|d| d < self.when) {
                sleep_until(WaitReason::ChanReceive, deadline);
                return Err(TryRecvError::Empty);
            }
            sleep_until(WaitReason::ChanReceive, Some(self.when));
            if let Ok(when) = self.try_recv() {
                return Ok(when);
            }
        }
        // Taken by another receiver: nothing will ever arrive.
        sleep_until(WaitReason::ChanReceive, deadline);
        Err(TryRecvError::Empty)
    }

    /// When a `select!` arm on it should look again.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        (self.received.load(Ordering::Relaxed) == 0).then_some(self.when)
    }

    pub(crate) fn is_ready(&self) -> bool {
        self.received.load(Ordering::Relaxed) == 0 && Instant::now() >= self.when
    }
}

/// A message every `period` (crossbeam's `tick` flavor). A slow reader gets one message
/// for all the ticks it missed (the next is due a period after it took one), as Go's
/// `Ticker` drops ticks.
pub(crate) struct Tick {
    start: Instant,
    period: Duration,
    /// The next due instant, in nanoseconds after `start`.
    next: AtomicU64,
}

impl Tick {
    pub(crate) fn new(period: Duration) -> Self {
        let start = Instant::now();
        Self { start, period, next: AtomicU64::new(nanos(period)) }
    }

    fn at(&self, n: u64) -> Instant {
        self.start.checked_add(Duration::from_nanos(n)).unwrap_or_else(|| far_future(self.start))
    }

    fn since_start(&self, t: Instant) -> u64 {
        nanos(t.saturating_duration_since(self.start))
    }

    pub(crate) fn try_recv(&self) -> Result<Instant, TryRecvError> {
        loop {
            let now = Instant::now();
            // Acquire/AcqRel: the CAS is the only shared state; ordering for its own sake.
            let next = self.next.load(Ordering::Acquire);
            if now < self.at(next) {
                return Err(TryRecvError::Empty);
            }
            let after = self.since_start(now).saturating_add(nanos(self.period));
            if self.next.compare_exchange(next, after, Ordering::AcqRel, Ordering::Acquire).is_ok()
            {
                return Ok(self.at(next));
            }
        }
    }

    /// `Err(Empty)`: the deadline passed first.
    #[track_caller]
    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<Instant, TryRecvError> {
        loop {
            let next = self.next.load(Ordering::Acquire);
            let due = self.at(next);
            if deadline.is_some_and(|d| d < due) {
                sleep_until(WaitReason::ChanReceive, deadline);
                return Err(TryRecvError::Empty);
            }
            let after =
                next.max(self.since_start(Instant::now())).saturating_add(nanos(self.period));
            if self.next.compare_exchange(next, after, Ordering::AcqRel, Ordering::Acquire).is_ok()
            {
                sleep_until(WaitReason::ChanReceive, Some(due));
                return Ok(due);
            }
        }
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        Some(self.at(self.next.load(Ordering::Acquire)))
    }

    pub(crate) fn is_ready(&self) -> bool {
        Instant::now() >= self.at(self.next.load(Ordering::Acquire))
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// An instant no program waits for (a due time past `Instant`'s range): 30 years on.
pub(crate) fn far_future(from: Instant) -> Instant {
    from + Duration::from_secs(30 * 365 * 86_400)
}
