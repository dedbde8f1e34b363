//! `lock_os_thread`: a locked goroutine stays on its M across parks, sleeps, yields and
//! blocking calls (nesting counts, as Go's TestLockOSThreadNesting), and the other
//! goroutines keep running meanwhile.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use gpm_sched::Runtime;
use gpm_sched::testing::{check_view, whereami};

fn m_now() -> usize {
    whereami().unwrap().1
}

#[test]
fn locked_goroutine_stays_on_its_thread() {
    let _w = common::watchdog(60, "locked_goroutine_stays_on_its_thread");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(AtomicUsize::new(0));
    // Background load that would migrate an unlocked goroutine.
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (stop, progress) = (stop.clone(), progress.clone());
            rt.go(move || {
                while !stop.load(Ordering::Relaxed) {
                    progress.fetch_add(1, Ordering::Relaxed);
                    gpm_sched::yield_now();
                }
            })
        })
        .collect();
    let locked: Vec<_> = (0..3)
        .map(|_| {
            rt.go(|| {
                gpm_sched::lock_os_thread();
                gpm_sched::lock_os_thread();
                gpm_sched::unlock_os_thread(); // still locked: nesting count 1
                let m = m_now();
                for i in 0..30 {
                    match i % 3 {
                        0 => gpm_sched::sleep(Duration::from_micros(200)),
                        1 => gpm_sched::yield_now(),
                        _ => gpm_sched::blocking(|| std::thread::sleep(Duration::from_micros(200))),
                    }
                    assert_eq!(m_now(), m, "locked goroutine moved (iteration {i})");
                    check_view().unwrap();
                }
                gpm_sched::unlock_os_thread();
                gpm_sched::yield_now();
                check_view().unwrap();
            })
        })
        .collect();
    for h in locked {
        h.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for h in load {
        h.join().unwrap();
    }
    assert!(progress.load(Ordering::Relaxed) > 0);
}

#[test]
fn lock_is_a_no_op_on_plain_threads() {
    gpm_sched::lock_os_thread();
    gpm_sched::unlock_os_thread();
    gpm_sched::unlock_os_thread();
}
