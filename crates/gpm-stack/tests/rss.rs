//! Memory per coroutine: an idle coroutine costs about one 4 KiB page whatever its stack
//! size, and a pool gives deep stacks' pages back so RSS falls after a burst.
//! (Own test binary, one test: RSS readings must not overlap with other tests.)

use std::hint::black_box;

use gpm_stack::{Coroutine, Resumed, Stack, StackPool};

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let resident: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    resident * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize
}

/// Uses about `kib` KiB of stack, writing non-zero bytes on the way down.
#[inline(never)]
fn use_stack(kib: usize) -> u8 {
    let mut buf = [1u8; 1024];
    black_box(&mut buf);
    if kib <= 1 { buf[3] } else { use_stack(kib - 1).wrapping_add(buf[5]) }
}

fn idle_coroutine_rss(stack_size: usize, pooled: bool) -> usize {
    const N: usize = 2000;
    let pool = StackPool::new(stack_size).unwrap();
    let mut cos = Vec::with_capacity(N);
    let before = rss_bytes();
    for _ in 0..N {
        let stack = if pooled { pool.get().unwrap() } else { Stack::new(stack_size).unwrap() };
        let mut co = Coroutine::new(stack);
        co.start(Box::new(|s| s.suspend()));
        assert!(matches!(co.resume(), Resumed::Suspended));
        assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
        cos.push(co);
    }
    let per = (rss_bytes() - before) / N;
    drop(cos);
    per
}

fn burst(pool: &StackPool, n: usize, depth_kib: usize) -> (usize, usize, usize) {
    let before = rss_bytes();
    let mut cos: Vec<Coroutine> = (0..n).map(|_| Coroutine::new(pool.get().unwrap())).collect();
    for co in &mut cos {
        co.start(Box::new(move |s| {
            black_box(use_stack(depth_kib));
            s.suspend();
        }));
        assert!(matches!(co.resume(), Resumed::Suspended));
    }
    let peak = rss_bytes();
    for mut co in cos {
        assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
        pool.put(co.into_stack());
    }
    (before, peak, rss_bytes())
}

#[test]
fn idle_coroutines_cost_a_page_and_bursts_give_memory_back() {
    for pooled in [false, true] {
        for kib in [16, 64, 256] {
            let per = idle_coroutine_rss(kib * 1024, pooled);
            let from = if pooled { "pool (chunk slot)" } else { "own mapping" };
            eprintln!("RSS per idle coroutine with a {kib} KiB stack, {from}: {per} bytes");
            assert!((2048..=10 * 1024).contains(&per), "{kib} KiB, {from}: {per} bytes each");
        }
    }

    // 64 goroutines 200 KiB deep at once, then back to the pool: RSS drops to about the
    // kept 32 KiB per stack.
    let pool = StackPool::builder()
        .stack_size(256 * 1024)
        .local_capacity(64)
        .keep_resident(32 * 1024)
        .build()
        .unwrap();
    let n = 64;
    let (before, peak, after) = burst(&pool, n, 200);
    eprintln!(
        "burst of {n} x 200 KiB: RSS +{} KiB at peak, +{} KiB after returning the stacks",
        (peak - before) / 1024,
        (after.saturating_sub(before)) / 1024
    );
    assert!(peak - before > n * 150 * 1024, "the burst did not commit memory");
    assert!(after.saturating_sub(before) < n * 48 * 1024, "deep pages were not given back");
}
