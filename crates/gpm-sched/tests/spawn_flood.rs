//! A goroutine that spawns in a loop without blocking: the goroutines it queues spill from
//! its P's full ring to the global queue, and it yields at the first spill, so the global
//! queue holds about one ring of them at a time instead of everything spawned in a 10 ms
//! slice — what a wake-up readied meanwhile would wait behind. And every spawned goroutine
//! still runs exactly once.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use gpm_sched::Runtime;

#[test]
fn a_spawning_loop_keeps_the_global_queue_short() {
    let _w = common::watchdog(60, "a_spawning_loop_keeps_the_global_queue_short");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = Arc::new(unsafe { Runtime::builder().procs(1).build() }.unwrap());
    let ran = Arc::new(AtomicUsize::new(0));
    let (rt2, ran2) = (rt.clone(), ran.clone());
    let max_global = rt.block_on(move || {
        let mut max_global = 0;
        for i in 0..20_000 {
            let ran = ran2.clone();
            drop(gpm_sched::go(move || {
                ran.fetch_add(1, Relaxed);
            }));
            if i % 64 == 0 {
                max_global = max_global.max(rt2.stats().global_queue);
            }
        }
        max_global
    });
    while ran.load(Relaxed) < 20_000 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(ran.load(Relaxed), 20_000);
    // One ring is 256 goroutines; a spill moves half of it. Without the yield, the queue
    // held nearly all 20,000 at the end of the loop.
    assert!(max_global <= 1024, "the global queue reached {max_global} goroutines");
}
