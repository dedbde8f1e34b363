//! The runtime's clock (Go's `nanotime`): nanoseconds since the runtime started, as a
//! `u64`. Timers, sysmon and the poller read it on every schedule round that has a timer
//! armed, so a reading is one `clock_gettime(CLOCK_MONOTONIC)` (`gpm_stack::monotonic_ns`;
//! the clock `Instant` reads on Linux) and integer arithmetic, without `Instant`'s
//! `Duration` steps.
//!
//! Deadlines come as `Instant`s too (`recv_deadline`, `sleep_until`) and are converted
//! against `epoch`. The raw reading of the start, `raw_epoch`, is taken just *after*
//! `epoch`, so it is no earlier than `epoch`'s own reading: `now()` lags the exact time
//! since `epoch` by those few nanoseconds and never leads it. A deadline is reached when
//! `now()` reaches it, so a timer can fire that much late, never early; and a deadline
//! computed from `now()` itself (`sleep`) is measured on the same reading.

use gpm_stack::monotonic_ns as raw_now;
use std::time::{Duration, Instant};

/// What an `Instant` beyond the clock's range (some 584 years from the start) converts
/// to: a deadline no reading reaches, one below the timers' "none" (`u64::MAX`).
const FAR: u64 = u64::MAX - 1;

#[derive(Debug)]
pub(crate) struct Clock {
    epoch: Instant,
    raw_epoch: u64,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        let epoch = Instant::now();
        Clock { epoch, raw_epoch: raw_now() }
    }

    /// Nanoseconds since the start.
    #[inline]
    pub(crate) fn now(&self) -> u64 {
        raw_now().saturating_sub(self.raw_epoch)
    }

    /// `t` as nanoseconds since the start: 0 for an instant before it, [`FAR`] for one
    /// beyond the clock's range.
    #[inline]
    pub(crate) fn ns_of(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.epoch).as_nanos().min(FAR as u128) as u64
    }

    /// The instant `ns` nanoseconds after the start.
    pub(crate) fn instant_of(&self, ns: u64) -> Instant {
        self.epoch + Duration::from_nanos(ns)
    }
}

#[cfg(all(test, not(gpm_loom)))]
mod tests {
    use super::*;

    #[test]
    fn now_never_leads_instant() {
        let clock = Clock::new();
        for _ in 0..10_000 {
            let ns = clock.now();
            let exact = clock.ns_of(Instant::now());
            assert!(ns <= exact, "clock read {ns} ns, after it Instant gives {exact} ns");
        }
    }

    #[test]
    fn instants_convert_both_ways_and_saturate() {
        let clock = Clock::new();
        let t = clock.epoch + Duration::from_millis(1500);
        assert_eq!(clock.ns_of(t), 1_500_000_000);
        assert_eq!(clock.instant_of(1_500_000_000), t);
        assert_eq!(clock.ns_of(clock.epoch - Duration::from_secs(1)), 0);
        let far = clock.epoch + Duration::from_secs(600 * 365 * 86_400);
        assert_eq!(clock.ns_of(far), FAR);
    }
}
