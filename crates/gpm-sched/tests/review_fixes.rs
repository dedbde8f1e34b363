//! Regression tests for bugs found in review: goroutine-locals whose initialisers use other
//! locals, runtime drop with parked or blocked destructors, re-entrant `blocking`, timers.

mod common;

use std::cell::Cell;

use gpm_sched::Runtime;

gpm_sched::local! {
    static BASE: Cell<u64> = Cell::new(40);
    static L1: Cell<u64> = Cell::new(BASE.with(Cell::get) + 1);
    static L2: Cell<u64> = Cell::new(L1.with(Cell::get) + 1);
    static L3: Cell<u64> = Cell::new(L2.with(Cell::get) + 1);
    static L4: Cell<u64> = Cell::new(L3.with(Cell::get) + 1);
    static L5: Cell<u64> = Cell::new(L4.with(Cell::get) + 1);
}

/// Initialisers that use other locals (each pushes to the map, which reallocates, while the
/// outer lookup is in progress), and `with` nested in `with` of the same key.
fn chained_locals() -> u64 {
    let top = L5.with(Cell::get);
    let nested = L1.with(|a| {
        a.set(a.get() + 100);
        L5.with(|b| L1.with(|a2| a2.get() + b.get()))
    });
    top * 1000 + nested
}

#[test]
fn local_initialiser_uses_other_locals() {
    let _w = common::watchdog(20, "local_initialiser_uses_other_locals");
    let expect = 45 * 1000 + 141 + 45;
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let hs: Vec<_> = (0..50).map(|_| rt.go(chained_locals)).collect();
    for h in hs {
        assert_eq!(h.join().unwrap(), expect);
    }
    // The plain-thread half (used to hold a RefCell borrow across the initialiser).
    assert_eq!(std::thread::spawn(chained_locals).join().unwrap(), expect);
}

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

static MARKS_DROPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A goroutine-local whose destructor counts.
struct Mark(Cell<u64>);

impl Drop for Mark {
    fn drop(&mut self) {
        MARKS_DROPPED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A goroutine-local whose destructor uses (so creates) another one.
struct SetsMarkOnDrop;

impl Drop for SetsMarkOnDrop {
    fn drop(&mut self) {
        MARK.with(|m| m.0.set(7));
    }
}

gpm_sched::local! {
    static MARK: Mark = Mark(Cell::new(0));
    static SETTER: SetsMarkOnDrop = SetsMarkOnDrop;
}

/// A local created by another local's destructor is dropped with the goroutine too, not
/// left behind for the next goroutine that reuses the G.
#[test]
fn local_created_by_a_local_destructor_does_not_leak_into_the_next_goroutine() {
    let _w = common::watchdog(20, "local_created_by_a_local_destructor");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(1).build() }.unwrap();
    let rounds = 50;
    rt.block_on(move || {
        for _ in 0..rounds {
            let seen = gpm_sched::go(|| {
                let seen = MARK.with(|m| m.0.get());
                SETTER.with(|_| ());
                seen
            })
            .join()
            .unwrap();
            assert_eq!(seen, 0, "a MARK set by the previous goroutine's destructor leaked");
        }
    });
    drop(rt);
    // Each round: its own MARK, and the one SETTER's destructor created.
    assert_eq!(MARKS_DROPPED.load(std::sync::atomic::Ordering::Relaxed), 2 * rounds);
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
