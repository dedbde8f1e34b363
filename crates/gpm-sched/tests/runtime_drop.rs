//! Dropping a runtime: goroutines parked in destructors during a panic,
//! cancelled goroutines whose destructors wait for each other or block for good, and a
//! runtime dropped from one of its own goroutines.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gpm_sched::{Runtime, park};

/// A value whose destructor parks until `flag` is set (never, in these tests).
struct ParkOnDrop(Arc<AtomicBool>);

impl Drop for ParkOnDrop {
    fn drop(&mut self) {
        while !self.0.load(Ordering::Acquire) {
            park::park(park::WaitReason::Park);
        }
    }
}

/// A goroutine parked in a destructor while a panic unwinds its stack cannot be unwound a
/// second time: dropping the runtime leaks it (with a warning) instead of aborting.
#[test]
fn drop_runtime_with_goroutine_parked_in_unwinding_destructor() {
    let _w = common::watchdog(20, "drop_runtime_with_goroutine_parked_in_unwinding_destructor");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    let h = rt.go(move || {
        let _p = ParkOnDrop(f);
        std::panic::panic_any("boom (expected)");
    });
    std::thread::sleep(Duration::from_millis(50));
    drop(rt);
    assert!(!h.is_finished());
    drop(h);
}

/// Destructors of cancelled goroutines that wait for other cancelled goroutines: joining a
/// child parked forever, and receiving from a goroutine whose own destructor blocks.
#[test]
fn drop_runtime_while_cancelled_destructors_wait_for_each_other() {
    let _w = common::watchdog(20, "drop_runtime_while_cancelled_destructors_wait");
    struct JoinOnDrop(Option<gpm_sched::JoinHandle<()>>);
    impl Drop for JoinOnDrop {
        fn drop(&mut self) {
            let r = self.0.take().unwrap().join();
            let e = r.expect_err("the child is cancelled");
            assert!(e.downcast_ref::<gpm_sched::Cancelled>().is_some());
        }
    }
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let mut parents = Vec::new();
    for _ in 0..4 {
        parents.push(rt.go(|| {
            let child = gpm_sched::go(|| {
                loop {
                    park::park(park::WaitReason::Park);
                }
            });
            let _j = JoinOnDrop(Some(child));
            loop {
                park::park(park::WaitReason::Park);
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    drop(rt);
    assert!(t.elapsed() < Duration::from_secs(10), "drop took {:?}", t.elapsed());
    for p in parents {
        let e = p.join().expect_err("cancelled");
        assert!(e.downcast_ref::<gpm_sched::Cancelled>().is_some());
    }
}

/// A destructor of a cancelled goroutine that blocks for good: drop returns (after its
/// grace period) instead of hanging, and reports the goroutine.
#[test]
fn drop_runtime_with_destructor_blocked_forever_returns() {
    let _w = common::watchdog(20, "drop_runtime_with_destructor_blocked_forever_returns");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(1).build() }.unwrap();
    let _h = rt.go(|| {
        let _p = ParkOnDrop(Arc::new(AtomicBool::new(false)));
        loop {
            park::park(park::WaitReason::Park);
        }
    });
    let fine = rt.go(|| {
        loop {
            park::park(park::WaitReason::Park);
        }
    });
    std::thread::sleep(Duration::from_millis(20));
    drop(rt);
    assert!(fine.join().is_err());
}

/// Dropping a runtime from one of its own goroutines still cancels its parked goroutines
/// (their joins return) instead of leaking them.
#[test]
fn drop_runtime_from_its_own_goroutine_cancels_the_rest() {
    let _w = common::watchdog(20, "drop_runtime_from_its_own_goroutine_cancels_the_rest");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let parked: Vec<_> = (0..10)
        .map(|_| {
            rt.go(|| {
                loop {
                    park::park(park::WaitReason::Park);
                }
            })
        })
        .collect();
    let (tx, rx) = std::sync::mpsc::channel::<Runtime>();
    let dropper = rt.go(move || drop(rx.recv().unwrap()));
    tx.send(rt).unwrap();
    for p in parked {
        let e = p.join().expect_err("cancelled");
        assert!(e.downcast_ref::<gpm_sched::Cancelled>().is_some());
    }
    // The dropper itself finished (or was cancelled after its drop returned).
    let _ = dropper.join();
}
