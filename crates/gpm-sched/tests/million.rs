//! 1,000,000 goroutines spawned and joined: none lost, none run twice (count and sum).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use gpm_sched::Runtime;

#[test]
fn one_million_goroutines() {
    let _w = common::watchdog(120, "one_million_goroutines");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    const SPAWNERS: u64 = 4;
    const PER: u64 = 250_000;
    const BATCH: u64 = 2_000;
    let count = Arc::new(AtomicU64::new(0));
    let c2 = count.clone();
    let sum = rt.block_on(move || {
        let spawners: Vec<_> = (0..SPAWNERS)
            .map(|s| {
                let count = c2.clone();
                gpm_sched::go(move || {
                    let mut sum = 0u64;
                    let base = s * PER;
                    for b in (0..PER).step_by(BATCH as usize) {
                        let hs: Vec<_> = (b..b + BATCH)
                            .map(|i| {
                                let count = count.clone();
                                gpm_sched::go(move || {
                                    count.fetch_add(1, Ordering::Relaxed);
                                    base + i
                                })
                            })
                            .collect();
                        sum += hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>();
                    }
                    sum
                })
            })
            .collect();
        spawners.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    let n = SPAWNERS * PER;
    assert_eq!(count.load(Ordering::Relaxed), n);
    assert_eq!(sum, n * (n - 1) / 2);
    // `join` returns once the result is published; the G is dead a moment later.
    let t = std::time::Instant::now();
    while rt.stats().goroutines != 0 && t.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::yield_now();
    }
    let st = rt.stats();
    assert_eq!(st.spawned, n + SPAWNERS + 1);
    assert_eq!(st.goroutines, 0, "{st:?}");
}
