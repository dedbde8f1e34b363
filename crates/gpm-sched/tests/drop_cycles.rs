//! 50 runtime create/drop cycles with blocked goroutines: every destructor runs, joins of
//! cancelled goroutines report `Cancelled`, and no thread, mapping or memory leaks.
//! (Its own test binary: it reads process-wide counters.)

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gpm_sched::park::{self, WaitReason};
use gpm_sched::{Cancelled, Runtime};

struct CountDrop(Arc<AtomicUsize>);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn proc_status(key: &str) -> usize {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with(key)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps").unwrap().lines().count()
}

const PARKED: usize = 100;
const SLEEPERS: usize = 50;

fn cycle() {
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..PARKED {
        let d = CountDrop(drops.clone());
        handles.push(rt.go(move || {
            let _d = d;
            loop {
                park::park(WaitReason::Park);
            }
        }));
    }
    for _ in 0..SLEEPERS {
        let d = CountDrop(drops.clone());
        rt.go(move || {
            let _d = d;
            gpm_sched::sleep(Duration::from_secs(3600));
        });
    }
    let t = Instant::now();
    while rt.stats().waiting < PARKED + SLEEPERS {
        assert!(t.elapsed() < Duration::from_secs(10), "not all parked: {:?}", rt.stats());
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(rt);
    assert_eq!(drops.load(Ordering::SeqCst), PARKED + SLEEPERS, "destructors run");
    for h in handles {
        let e = h.join().unwrap_err();
        assert!(e.downcast_ref::<Cancelled>().is_some());
    }
}

#[test]
fn fifty_create_drop_cycles_leak_nothing() {
    let _w = common::watchdog(120, "fifty_create_drop_cycles_leak_nothing");
    // Warm-up: process-wide one-time setup (signal handler) and bounded caches that outlive
    // threads (glibc's cache of thread stacks, malloc arenas) fill during the first cycles.
    for _ in 0..5 {
        cycle();
    }
    let threads = proc_status("Threads:");
    let maps = mappings();
    let rss = proc_status("VmRSS:");
    for _ in 0..50 {
        cycle();
    }
    assert_eq!(proc_status("Threads:"), threads, "threads leaked");
    // A leak grows with the cycles (one mapping per cycle would be +50); the slack is for
    // the bounded caches above, which may still settle.
    let m = mappings();
    assert!(m <= maps + 24, "mappings leaked: {maps} -> {m}");
    let r = proc_status("VmRSS:");
    eprintln!("after 50 cycles: mappings {maps} -> {m}, RSS {rss} -> {r} KiB");
    assert!(r <= rss + 16 * 1024, "RSS grew: {rss} KiB -> {r} KiB");
}
