//! Timers: a sleep armed while another M becomes the timer watcher is not late; timers of
//! parks that ended early do not pile up.

mod common;

use gpm_sched::Runtime;
use std::sync::Arc;
use std::time::Duration;

/// Short sleeps armed while another M is becoming the timer watcher with a long deadline
/// (the race between reading the earliest deadline and publishing the watcher): every sleep
/// ends, and the total lateness stays far below one sysmon period per sleep.
#[test]
fn timer_armed_while_watcher_parks_is_not_late() {
    let _w = common::watchdog(30, "timer_armed_while_watcher_parks_is_not_late");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let rounds = 200u32;
    let late = rt.block_on(move || {
        let mut late = std::time::Duration::ZERO;
        for _ in 0..rounds {
            // A long sleeper makes some M the watcher with a far deadline...
            let long = gpm_sched::go(|| gpm_sched::sleep(std::time::Duration::from_secs(5)));
            drop(long);
            // ...while this one arms a short timer as that M goes to park.
            let t = std::time::Instant::now();
            gpm_sched::sleep(std::time::Duration::from_micros(500));
            late += t.elapsed().saturating_sub(std::time::Duration::from_micros(500));
        }
        late
    });
    // Missed nudges cost up to 10 ms each (sysmon); a loaded machine costs far less per sleep.
    assert!(late < std::time::Duration::from_millis(5 * u64::from(rounds)), "late by {late:?}");
    drop(rt);
}

/// Timers of parks that ended early are pruned: 100,000 long timeouts woken early leave a
/// heap bounded by a small multiple of the live timers, not 100,000 entries.
#[test]
fn early_woken_timeouts_do_not_pile_up() {
    use gpm_sched::park::{self, Unparker, WaitReason};
    use std::sync::OnceLock;
    let _w = common::watchdog(60, "early_woken_timeouts_do_not_pile_up");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(1).build() }.unwrap();
    const ROUNDS: usize = 50_000;
    let cells: Arc<[OnceLock<Unparker>; 2]> = Arc::new([OnceLock::new(), OnceLock::new()]);
    let hs: Vec<_> = (0..2)
        .map(|me| {
            let cells = cells.clone();
            rt.go(move || {
                let _ = cells[me].set(park::unparker());
                while cells[1 - me].get().is_none() {
                    gpm_sched::yield_now();
                }
                let other = cells[1 - me].get().unwrap().clone();
                for _ in 0..ROUNDS {
                    if me == 0 {
                        other.unpark();
                    }
                    assert!(park::park_timeout(WaitReason::Park, Duration::from_secs(3600)));
                    if me == 1 {
                        other.unpark();
                    }
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let s = rt.stats();
    assert!(s.timers < 4 * 1024, "timer heap not pruned: {s:?}");
}
