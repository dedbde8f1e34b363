//! Go's rule for a goroutine that returns while locked to its thread: the thread ends.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gpm_sched::Runtime;

/// Sets its flag when dropped: as a thread-local, when its thread exits.
struct OnThreadExit(Arc<AtomicBool>);

impl Drop for OnThreadExit {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

thread_local! {
    static EXIT_FLAG: std::cell::RefCell<Option<OnThreadExit>> = const { std::cell::RefCell::new(None) };
}

#[inline(never)]
fn watch_this_thread(flag: Arc<AtomicBool>) {
    EXIT_FLAG.with(|f| *f.borrow_mut() = Some(OnThreadExit(flag)));
}

#[test]
fn locked_goroutine_returning_without_unlock_ends_its_thread() {
    let _w = common::watchdog(20, "locked_goroutine_returning_without_unlock_ends_its_thread");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let exited = Arc::new(AtomicBool::new(false));
    let e = exited.clone();
    rt.go(move || {
        gpm_sched::lock_os_thread();
        // Locked: this goroutine stays on this thread, so the thread-local is this M's.
        watch_this_thread(e);
    })
    .join()
    .unwrap();
    let t = Instant::now();
    while !exited.load(Ordering::Acquire) {
        assert!(t.elapsed() < Duration::from_secs(10), "the locked goroutine's M lives on");
        std::thread::sleep(Duration::from_millis(1));
    }
    // The runtime goes on with other threads.
    let hs: Vec<_> = (0..100u64).map(|i| rt.go(move || i)).collect();
    assert_eq!(hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>(), 4950);
    let n = rt.block_on(|| {
        gpm_sched::lock_os_thread();
        gpm_sched::unlock_os_thread();
        7
    });
    assert_eq!(n, 7);
}

/// A goroutine waiting in `join` on a goroutine that returns locked (its M ends) is not
/// lost with that M: the M hands it on before it exits.
#[test]
fn joiner_of_a_goroutine_that_ends_its_thread_runs_on() {
    let _w = common::watchdog(30, "joiner_of_a_goroutine_that_ends_its_thread_runs_on");
    for procs in [1, 2] {
        // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
        let rt = unsafe { Runtime::builder().procs(procs).build() }.unwrap();
        let total = rt.block_on(|| {
            (0..20u64)
                .map(|i| {
                    gpm_sched::go(move || {
                        gpm_sched::lock_os_thread();
                        i
                    })
                    .join()
                    .unwrap()
                })
                .sum::<u64>()
        });
        assert_eq!(total, 190, "procs = {procs}");
    }
}
