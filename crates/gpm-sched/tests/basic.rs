//! End-to-end basics: spawn, join, yield, park/unpark, block_on, panics, many goroutines.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use gpm_sched::{Runtime, park};

#[test]
fn block_on_returns_value() {
    let _w = common::watchdog(20, "block_on_returns_value");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    assert_eq!(rt.block_on(|| 40 + 2), 42);
}

#[test]
fn spawn_and_join_from_goroutine() {
    let _w = common::watchdog(20, "spawn_and_join_from_goroutine");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let sum = rt.block_on(|| {
        let hs: Vec<_> = (0..1000u64).map(|i| gpm_sched::go(move || i * 2)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    assert_eq!(sum, 999 * 1000);
}

#[test]
fn join_from_plain_thread() {
    let _w = common::watchdog(20, "join_from_plain_thread");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let hs: Vec<_> = (0..100u64).map(|i| rt.go(move || i)).collect();
    let s: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(s, 4950);
}

/// Two goroutines on one P, each logging its id then yielding, `ROUNDS` times: every yield
/// must let the other run, so the log alternates. A `yield_now` that returns without
/// switching (or that requeues the G ahead of the other) logs a run of one id and fails.
fn yield_log(rt: &Runtime) -> Vec<u8> {
    const ROUNDS: usize = 1000;
    rt.block_on(|| {
        let log = Arc::new(Mutex::new(Vec::with_capacity(2 * ROUNDS)));
        // Both start logging only once both run: the first parks until the second wakes it
        // (a park, not a yield, so a broken yield fails the check below instead of hanging).
        let gate = Arc::new(Mutex::new(None::<park::Unparker>));
        let open = Arc::new(AtomicBool::new(false));
        let hs: Vec<_> = (0..2u8)
            .map(|id| {
                let (log, gate, open) = (log.clone(), gate.clone(), open.clone());
                gpm_sched::go(move || {
                    let mut slot = gate.lock().unwrap();
                    match slot.take() {
                        Some(u) => {
                            drop(slot);
                            open.store(true, Ordering::Release);
                            u.unpark();
                        }
                        None => {
                            *slot = Some(park::unparker());
                            drop(slot);
                            while !open.load(Ordering::Acquire) {
                                park::park(park::WaitReason::Park);
                            }
                        }
                    }
                    for _ in 0..ROUNDS {
                        log.lock().unwrap().push(id);
                        gpm_sched::yield_now();
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        std::mem::take(&mut *log.lock().unwrap())
    })
}

fn assert_alternates(log: &[u8]) {
    assert_eq!(log.len(), 2000, "every round logged");
    if let Some(i) = log.windows(2).position(|w| w[0] == w[1]) {
        let around = &log[i.saturating_sub(4)..(i + 6).min(log.len())];
        panic!("yield_now did not switch: id {} ran twice in a row at {i}: {around:?}", log[i]);
    }
}

#[test]
fn yield_interleaves() {
    let _w = common::watchdog(20, "yield_interleaves");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(1).build() }.unwrap();
    assert_alternates(&yield_log(&rt));
    assert_alternates(&yield_log(&Runtime::single_thread().unwrap()));
}

#[test]
fn park_unpark_between_goroutines() {
    let _w = common::watchdog(20, "park_unpark_between_goroutines");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
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
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
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
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    rt.block_on(|| {
        let t = std::time::Instant::now();
        assert!(!park::park_timeout(park::WaitReason::Park, std::time::Duration::from_millis(30)));
        assert!(t.elapsed() >= std::time::Duration::from_millis(30));
        park::unparker().unpark();
        assert!(park::park_timeout(park::WaitReason::Park, std::time::Duration::from_secs(5)));
    });
}

#[test]
fn builder_name_and_stack_size() {
    let _w = common::watchdog(20, "builder_name_and_stack_size");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let h = rt.block_on(move || {
        gpm_sched::Builder::new()
            .name("deep-worker")
            .stack_size(1 << 20)
            .go(move || {
                // Use most of a 1 MiB stack: more than the default 256 KiB.
                fn depth(n: u32) -> u64 {
                    let buf = [n as u8; 1024];
                    if n == 0 { 0 } else { depth(n - 1) + u64::from(std::hint::black_box(buf)[7]) }
                }
                tx.send(park::unparker()).unwrap();
                park::park(park::WaitReason::ChanReceive);
                depth(600)
            })
            .unwrap()
    });
    let u = rx.recv().unwrap();
    // Parked: the dump names it, its wait reason and where it was spawned.
    let t = std::time::Instant::now();
    let dump = loop {
        let d = rt.dump();
        if d.contains("chan receive") || t.elapsed() > std::time::Duration::from_secs(5) {
            break d;
        }
        std::thread::yield_now();
    };
    assert!(dump.contains("name: deep-worker"), "{dump}");
    assert!(dump.contains("[chan receive, "), "{dump}");
    assert!(dump.contains("basic.rs"), "{dump}");
    u.unpark();
    assert!(h.join().unwrap() > 0);
    let e = rt.block_on(|| gpm_sched::Builder::new().stack_size(1).go(|| ()).unwrap_err());
    assert!(!e.to_string().is_empty());
}

/// One stack-size rule for a runtime's default and for one goroutine's: the same range,
/// the same error naming the value and the range; both ends of the range are accepted.
#[test]
fn stack_size_rule_is_the_same_for_runtimes_and_goroutines() {
    let _w = common::watchdog(20, "stack_size_rule_is_the_same_for_runtimes_and_goroutines");
    use gpm_sched::MAX_STACK_SIZE;
    let min = gpm_stack::MIN_STACK_SIZE;
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(1).build() }.unwrap();
    for bad in [1, min - 1, MAX_STACK_SIZE + 1, 1 << 40] {
        // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
        let built = unsafe { Runtime::builder().procs(1).stack_size(bad).build() }.unwrap_err();
        let spawned =
            rt.block_on(move || gpm_sched::Builder::new().stack_size(bad).go(|| ()).unwrap_err());
        assert_eq!(built.kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(spawned.kind(), std::io::ErrorKind::InvalidInput);
        let want =
            format!("gpm: stack_size = {bad} is out of range (allowed: {min}..={MAX_STACK_SIZE})");
        assert_eq!(built.to_string(), want);
        assert_eq!(spawned.to_string(), want);
    }
    for good in [min, MAX_STACK_SIZE] {
        // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
        let other = unsafe { Runtime::builder().procs(1).stack_size(good).build() }.unwrap();
        assert_eq!(other.block_on(|| 1), 1);
        let h = rt.block_on(move || gpm_sched::Builder::new().stack_size(good).go(|| 2).unwrap());
        assert_eq!(h.join().unwrap(), 2);
    }
}

/// A destructor that parks while its goroutine unwinds a panic: the goroutine is pinned to
/// its thread for the switch, so the unwind finishes where it began, and the runtime and
/// its threads stay healthy afterwards.
#[test]
fn parking_during_unwind_stays_on_thread() {
    let _w = common::watchdog(20, "parking_during_unwind_stays_on_thread");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    struct ParkOnDrop;
    impl Drop for ParkOnDrop {
        fn drop(&mut self) {
            let before = gpm_sched::testing::whereami().unwrap().1;
            for _ in 0..3 {
                gpm_sched::yield_now();
                gpm_sched::sleep(std::time::Duration::from_micros(100));
                assert_eq!(gpm_sched::testing::whereami().unwrap().1, before, "moved mid-unwind");
            }
        }
    }
    let hs: Vec<_> = (0..8)
        .map(|_| {
            rt.go(|| {
                let _d = ParkOnDrop;
                panic!("unwinding with a parking destructor");
            })
        })
        .collect();
    for h in hs {
        assert!(h.join().is_err());
    }
    // Every M is still usable, and no thread believes it is still panicking.
    let ok = rt.block_on(|| {
        let hs: Vec<_> = (0..100).map(|i| gpm_sched::go(move || i)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
    });
    assert_eq!(ok, 4950);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(|| panic!("x"))));
    assert!(r.is_err());
}

/// `work_waiting`: false on a plain thread; in a goroutine of a one-P runtime it counts the
/// goroutines queued on the P (`runnext` included) against the threshold, and says true
/// for a due timer even with nothing queued.
#[test]
fn work_waiting_counts_the_p_queue_and_due_timers() {
    let _w = common::watchdog(20, "work_waiting_counts_the_p_queue_and_due_timers");
    assert!(!gpm_sched::work_waiting(0), "a plain thread has no P");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(1).build() }.unwrap();
    rt.block_on(|| {
        assert!(!gpm_sched::work_waiting(1), "nothing queued yet");
        let hs: Vec<_> = (0..3).map(|_| gpm_sched::go(|| {})).collect();
        assert!(gpm_sched::work_waiting(3), "three spawned goroutines wait on the one P");
        assert!(!gpm_sched::work_waiting(4), "only three wait");
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert!(!gpm_sched::work_waiting(1), "all three ran");
        // A sleeper's timer, due while this goroutine spins without a scheduling point.
        let sleeper = gpm_sched::go(|| gpm_sched::sleep(std::time::Duration::from_millis(5)));
        gpm_sched::yield_now(); // the sleeper parks on its timer
        assert!(!gpm_sched::work_waiting(1), "the timer is not due yet");
        std::thread::sleep(std::time::Duration::from_millis(10));
        assert!(gpm_sched::work_waiting(usize::MAX), "the sleeper's timer is due");
        sleeper.join().unwrap();
    });
}

/// A sleep ends only at its deadline: unparks meant for something else, arriving while it
/// sleeps (the first one even before it parks), do not end it early, and the permit is
/// kept for the park that follows.
#[test]
fn stray_unparks_neither_end_a_sleep_nor_get_lost() {
    use std::time::{Duration, Instant};
    let _w = common::watchdog(20, "stray_unparks_neither_end_a_sleep_nor_get_lost");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    rt.block_on(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        let sleeper = gpm_sched::go(move || {
            let me = park::unparker();
            me.unpark(); // a permit already there when the sleep parks
            tx.send(me).unwrap();
            let d = Duration::from_millis(30);
            let start = Instant::now();
            gpm_sched::sleep(d);
            let slept = start.elapsed();
            // The permit is still there: this park returns at once.
            let kept = park::park_timeout(park::WaitReason::Park, Duration::from_secs(5));
            (slept, d, kept)
        });
        let me = rx.recv().unwrap();
        for _ in 0..5 {
            gpm_sched::sleep(Duration::from_millis(2));
            me.unpark();
        }
        let (slept, d, kept) = sleeper.join().unwrap();
        assert!(slept >= d, "the sleep ended early: {slept:?} < {d:?}");
        assert!(kept, "the stray permit was lost");
    });
}
