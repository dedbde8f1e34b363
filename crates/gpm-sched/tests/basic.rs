//! End-to-end basics: spawn, join, yield, park/unpark, block_on, panics, many goroutines.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gpm_sched::{Runtime, park};

#[test]
fn block_on_returns_value() {
    let _w = common::watchdog(20, "block_on_returns_value");
    let rt = Runtime::builder().procs(2).build().unwrap();
    assert_eq!(rt.block_on(|| 40 + 2), 42);
}

#[test]
fn spawn_and_join_from_goroutine() {
    let _w = common::watchdog(20, "spawn_and_join_from_goroutine");
    let rt = Runtime::builder().procs(2).build().unwrap();
    let sum = rt.block_on(|| {
        let hs: Vec<_> = (0..1000u64).map(|i| gpm_sched::go(move || i * 2)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    assert_eq!(sum, 999 * 1000);
}

#[test]
fn join_from_plain_thread() {
    let _w = common::watchdog(20, "join_from_plain_thread");
    let rt = Runtime::builder().procs(2).build().unwrap();
    let hs: Vec<_> = (0..100u64).map(|i| rt.go(move || i)).collect();
    let s: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(s, 4950);
}

#[test]
fn yield_interleaves() {
    let _w = common::watchdog(20, "yield_interleaves");
    let rt = Runtime::builder().procs(1).build().unwrap();
    let n = rt.block_on(|| {
        let c = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..8)
            .map(|_| {
                let c = c.clone();
                gpm_sched::go(move || {
                    for _ in 0..1000 {
                        c.fetch_add(1, Ordering::Relaxed);
                        gpm_sched::yield_now();
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        c.load(Ordering::Relaxed)
    });
    assert_eq!(n, 8000);
}

#[test]
fn park_unpark_between_goroutines() {
    let _w = common::watchdog(20, "park_unpark_between_goroutines");
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        for _ in 0..1000 {
            let (tx, rx) = std::sync::mpsc::channel();
            let h = gpm_sched::go(move || {
                tx.send(park::unparker()).unwrap();
                park::park(park::WaitReason::Park);
                7
            });
            let u = loop {
                if let Ok(u) = rx.try_recv() {
                    break u;
                }
                gpm_sched::yield_now();
            };
            u.unpark();
            assert_eq!(h.join().unwrap(), 7);
        }
    });
}

#[test]
fn panic_is_isolated() {
    let _w = common::watchdog(20, "panic_is_isolated");
    let rt = Runtime::builder().procs(2).build().unwrap();
    let h = rt.go(|| panic!("boom"));
    let err = h.join().unwrap_err();
    assert_eq!(*err.downcast_ref::<&str>().unwrap(), "boom");
    assert_eq!(rt.block_on(|| 5), 5);
    let r =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(|| panic!("again"))));
    assert!(r.is_err());
    assert_eq!(rt.block_on(|| 6), 6);
}

#[test]
fn park_timeout_times_out() {
    let _w = common::watchdog(20, "park_timeout_times_out");
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let t = std::time::Instant::now();
        assert!(!park::park_timeout(park::WaitReason::Park, std::time::Duration::from_millis(30)));
        assert!(t.elapsed() >= std::time::Duration::from_millis(30));
        park::unparker().unpark();
        assert!(park::park_timeout(park::WaitReason::Park, std::time::Duration::from_secs(5)));
    });
}
