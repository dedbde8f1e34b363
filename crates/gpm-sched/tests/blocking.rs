//! `blocking`: nested calls, parks, yields and spawns inside it keep the P running and the
//! work moving while the M blocks.

mod common;

use gpm_sched::Runtime;

/// `blocking` nested in `blocking` runs the inner call in place: the P is never stranded
/// in `Syscall` for sysmon to retake.
#[test]
fn nested_blocking_keeps_the_p() {
    let _w = common::watchdog(20, "nested_blocking_keeps_the_p");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(1).build() }.unwrap();
    let n = rt.block_on(|| {
        let mut n = 0;
        for i in 0..20 {
            n += gpm_sched::blocking(|| gpm_sched::blocking(|| i) + 1);
        }
        n
    });
    assert_eq!(n, 210);
    let s = rt.stats();
    assert_eq!(s.retakes, 0, "the P was stranded in Syscall: {s:?}");
}

/// Parking and yielding inside `blocking` leave the syscall state around the switch: the P
/// runs the other goroutines at once instead of sitting in `Syscall` until sysmon retakes it.
#[test]
fn park_and_yield_inside_blocking_keep_the_p_running() {
    let _w = common::watchdog(20, "park_and_yield_inside_blocking_keep_the_p_running");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(1).build() }.unwrap();
    let sum = rt.block_on(|| {
        let mut sum = 0;
        for i in 0..20u64 {
            // join parks inside blocking; the child needs this (only) P to run.
            sum += gpm_sched::blocking(|| gpm_sched::go(move || i).join().unwrap());
            gpm_sched::blocking(gpm_sched::yield_now);
            gpm_sched::blocking(|| gpm_sched::sleep(std::time::Duration::from_micros(10)));
        }
        sum
    });
    assert_eq!(sum, 190);
    let s = rt.stats();
    assert_eq!(s.retakes, 0, "a P was stranded in Syscall: {s:?}");
}

/// A goroutine spawned from inside `blocking` goes to the global queue with a fenced
/// wake-up, so another M runs it while the spawner's M is still blocked. Checked right after
/// the spawn: the child is in no P's local queue (before the fix it sat in the blocked P's
/// `runnext` until sysmon retook that P). Retakes are not counted: sysmon may legitimately
/// retake a P in `Syscall` while the global queue holds work.
#[test]
fn goroutine_spawned_inside_blocking_runs_while_it_blocks() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    let _w = common::watchdog(20, "goroutine_spawned_inside_blocking_runs_while_it_blocks");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = Arc::new(unsafe { Runtime::builder().procs(2).build() }.unwrap());
    let rt2 = rt.clone();
    let (ran_while_blocked, queued_locally) = rt.block_on(move || {
        gpm_sched::blocking(move || {
            let done = Arc::new(AtomicBool::new(false));
            let d = done.clone();
            let _child = gpm_sched::go(move || d.store(true, Ordering::Release));
            let queued_locally: usize = rt2.stats().local_queues.iter().sum();
            let t = Instant::now();
            while !done.load(Ordering::Acquire) {
                if t.elapsed() > Duration::from_secs(10) {
                    return (false, queued_locally);
                }
                std::thread::sleep(Duration::from_micros(100));
            }
            (true, queued_locally)
        })
    });
    assert!(ran_while_blocked);
    assert_eq!(queued_locally, 0, "the child went to a local queue: {:?}", rt.stats());
}
