//! RSS falls after a burst: 10,000 goroutines alive at once, each using 16 KiB of stack,
//! then all finished. sysmon gives the surplus dead Gs' stacks back to the pool, which
//! releases their pages. (Its own test binary: it reads the process RSS.)

mod common;

use std::time::{Duration, Instant};

use gpm_sched::Runtime;
use gpm_sched::park::{self, WaitReason};

fn rss_kib() -> usize {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn rss_falls_after_a_burst() {
    let _w = common::watchdog(60, "rss_falls_after_a_burst");
    const N: usize = 10_000;
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let before = rss_kib();
    let (tx, rx) = std::sync::mpsc::channel();
    let hs: Vec<_> = (0..N)
        .map(|_| {
            let tx = tx.clone();
            rt.go(move || {
                let buf = [7u8; 16 * 1024];
                std::hint::black_box(&buf);
                tx.send(park::unparker()).unwrap();
                park::park(WaitReason::Park);
                std::hint::black_box(&buf);
            })
        })
        .collect();
    let us: Vec<_> = (0..N).map(|_| rx.recv().unwrap()).collect();
    let peak = rss_kib();
    for u in us {
        u.unpark();
    }
    for h in hs {
        h.join().unwrap();
    }
    assert!(peak > before + N * 16 / 2, "burst did not raise RSS: {before} -> {peak} KiB");
    let t = Instant::now();
    let mut now = rss_kib();
    while now > before + (peak - before) / 3 && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
        now = rss_kib();
    }
    eprintln!("RSS: before {before} KiB, peak {peak} KiB, after {now} KiB");
    // What stays: up to 1024 dead Gs with stacks on the global list, 64 per P, and the
    // stack pool's caches (about 2,000 small stacks, ~50 MiB): bounded, whatever the burst.
    assert!(now <= before + (peak - before) / 3, "RSS stayed high: {before} -> {peak} -> {now}");
}
