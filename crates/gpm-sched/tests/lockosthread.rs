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

/// A goroutine locked to its thread and parked when the runtime is dropped is unwound on
/// that thread, not on a cancel helper: its destructors may use a thread-local it borrowed
/// while locked (the promise of `RuntimeBuilder::build` exempts locked goroutines from
/// nothing, but their thread stays theirs to the end).
#[test]
fn locked_goroutine_is_cancelled_on_its_thread() {
    use std::cell::Cell;
    use std::thread::ThreadId;
    thread_local! { static SLOT: Cell<u64> = const { Cell::new(0) }; }
    struct Report(ThreadId, std::sync::mpsc::Sender<(ThreadId, ThreadId, u64)>);
    impl Drop for Report {
        fn drop(&mut self) {
            let seen = SLOT.with(Cell::get);
            let _ = self.1.send((self.0, std::thread::current().id(), seen));
        }
    }
    let _w = common::watchdog(60, "locked_goroutine_is_cancelled_on_its_thread");
    for round in 0..5u64 {
        // SAFETY: the locked goroutines use the thread-local only while locked, on their
        // thread; the others hold nothing thread-bound.
        let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let parked = Arc::new(AtomicUsize::new(0));
        for _ in 0..3 {
            let (tx, parked) = (tx.clone(), parked.clone());
            rt.go(move || {
                gpm_sched::lock_os_thread();
                SLOT.with(|s| s.set(round + 7));
                let _r = Report(std::thread::current().id(), tx);
                parked.fetch_add(1, Ordering::SeqCst);
                loop {
                    gpm_sched::park::park(gpm_sched::park::WaitReason::Park);
                }
            });
        }
        // And unlocked ones, unwound on helpers as before.
        for _ in 0..3 {
            let (tx, parked) = (tx.clone(), parked.clone());
            rt.go(move || {
                let _r = Report(std::thread::current().id(), tx);
                parked.fetch_add(1, Ordering::SeqCst);
                loop {
                    gpm_sched::park::park(gpm_sched::park::WaitReason::Park);
                }
            });
        }
        drop(tx);
        // All six started (one that never ran is dropped unrun: no destructor to see).
        while parked.load(Ordering::SeqCst) < 6 {
            std::thread::yield_now();
        }
        drop(rt);
        let reports: Vec<_> = rx.iter().collect();
        assert_eq!(reports.len(), 6, "every destructor ran");
        let locked: Vec<_> = reports.iter().filter(|r| r.2 == round + 7).collect();
        assert_eq!(locked.len(), 3, "a locked goroutine was unwound off its thread: {reports:?}");
        for (ran_on, dropped_on, _) in locked {
            assert_eq!(ran_on, dropped_on);
        }
    }
}
