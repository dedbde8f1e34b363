//! Timers: a sleep armed while another M becomes the timer watcher is not late.

mod common;

use gpm_sched::Runtime;

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
