//! `StackPool`: reuse without syscalls, thread caches returned at thread exit, `trim`, and
//! deep stacks giving their pages back.

use std::hint::black_box;

use gpm_stack::{Coroutine, Resumed, Stack, StackPool};

#[test]
fn put_then_get_reuses_the_same_stack_on_this_thread() {
    let pool = StackPool::new(32 * 1024).unwrap();
    let a = pool.get().unwrap();
    let top = a.top();
    pool.put(a);
    assert_eq!(pool.get().unwrap().top(), top);
}

#[test]
fn stacks_of_another_size_are_not_pooled() {
    let pool = StackPool::builder().stack_size(32 * 1024).local_capacity(0).build().unwrap();
    pool.put(Stack::new(64 * 1024).unwrap());
    assert_eq!(pool.shared_len(), 0);
    pool.put(Stack::new(32 * 1024).unwrap());
    assert_eq!(pool.shared_len(), 1);
}

#[test]
fn a_thread_cache_goes_back_to_the_pool_when_the_thread_exits() {
    let pool = std::sync::Arc::new(StackPool::new(32 * 1024).unwrap());
    let p = pool.clone();
    std::thread::spawn(move || {
        let stacks: Vec<_> = (0..4).map(|_| p.get().unwrap()).collect();
        for s in stacks {
            p.put(s);
        }
        assert_eq!(p.shared_len(), 0, "cached on the thread");
    })
    .join()
    .unwrap();
    assert_eq!(pool.shared_len(), 4);
}

#[test]
fn overflowing_caches_spill_to_the_shared_queue_then_unmap() {
    let pool = StackPool::builder()
        .stack_size(32 * 1024)
        .local_capacity(2)
        .shared_capacity(3)
        .build()
        .unwrap();
    let stacks: Vec<_> = (0..8).map(|_| pool.get().unwrap()).collect();
    for s in stacks {
        pool.put(s);
    }
    assert_eq!(pool.shared_len(), 3);
}

#[test]
fn trim_empties_the_pool() {
    let pool = StackPool::builder().stack_size(32 * 1024).local_capacity(2).build().unwrap();
    let stacks: Vec<_> = (0..6).map(|_| pool.get().unwrap()).collect();
    for s in stacks {
        pool.put(s);
    }
    assert_eq!(pool.shared_len(), 4);
    pool.trim();
    assert_eq!(pool.shared_len(), 0);
    let _fresh = pool.get().unwrap();
    assert_eq!(pool.shared_len(), 0);
}

#[inline(never)]
fn use_stack(kib: usize) -> u8 {
    let mut buf = [1u8; 1024];
    black_box(&mut buf);
    if kib <= 1 { buf[3] } else { use_stack(kib - 1).wrapping_add(buf[5]) }
}

fn run_on(stack: Stack, kib: usize) -> Stack {
    let mut co = Coroutine::new(stack);
    co.start(Box::new(move |_| {
        black_box(use_stack(kib));
    }));
    assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
    co.into_stack()
}

#[test]
fn only_deep_stacks_release_pages() {
    let shallow = run_on(Stack::new(256 * 1024).unwrap(), 8);
    assert!(!shallow.release_unused(32 * 1024));
    let deep = run_on(Stack::new(256 * 1024).unwrap(), 128);
    assert!(deep.release_unused(32 * 1024));
    assert!(!deep.release_unused(32 * 1024), "already released");
    // A released stack still works, deep again.
    let again = run_on(deep, 200);
    assert!(again.release_unused(32 * 1024));
}

#[test]
fn pool_stacks_are_chunk_slots_that_come_back_when_dropped() {
    let builder =
        || StackPool::builder().stack_size(32 * 1024).local_capacity(0).shared_capacity(1);
    if !gpm_stack::madvise_guard_supported() {
        // The fallback: stacks mapped alone, which a drop unmaps instead of handing back.
        let pool = builder().build().unwrap();
        let stacks: Vec<_> = (0..100).map(|_| pool.get().unwrap()).collect();
        assert!(stacks.iter().all(|s| !s.is_pooled_slot()));
        drop(stacks);
        assert_eq!(pool.shared_len() + pool.depot_len(), 0);
        return;
    }
    let pool = builder().build().unwrap();
    let stacks: Vec<_> = (0..100).map(|_| pool.get().unwrap()).collect();
    assert!(stacks.iter().all(|s| s.is_pooled_slot()));
    let tops: std::collections::HashSet<usize> = stacks.iter().map(|s| s.top()).collect();
    assert_eq!(tops.len(), 100);
    drop(stacks); // not put: dropping a slot hands it back to its pool all the same
    assert_eq!(pool.shared_len() + pool.depot_len(), 100);
    // Reuse, LIFO (warm stacks first), and every one still runs a coroutine.
    for _ in 0..100 {
        let s = pool.get().unwrap();
        assert!(tops.contains(&s.top()));
        pool.put(run_on(s, 20));
    }
    pool.trim();
    assert_eq!(pool.shared_len() + pool.depot_len(), 0);
}

/// Threads that miss the caches at once each map a chunk outside the depot's lock: every
/// slot handed out is still distinct, guarded and usable, and all of them come back.
#[test]
fn threads_missing_at_once_get_distinct_slots() {
    if !gpm_stack::madvise_guard_supported() {
        return; // no depot: each stack is mapped alone
    }
    const THREADS: usize = 4;
    const PER: usize = 3000;
    let pool = std::sync::Arc::new(
        StackPool::builder()
            .stack_size(32 * 1024)
            .local_capacity(0)
            .shared_capacity(1)
            .build()
            .unwrap(),
    );
    let start = std::sync::Arc::new(std::sync::Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (pool, start) = (pool.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                (0..PER).map(|_| pool.get().unwrap()).collect::<Vec<_>>()
            })
        })
        .collect();
    let stacks: Vec<Stack> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert!(stacks.iter().all(|s| s.is_pooled_slot() && !s.guard_range().is_empty()));
    let mut spans: Vec<(usize, usize)> =
        stacks.iter().map(|s| (s.guard_range().start, s.top())).collect();
    spans.sort_unstable();
    assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0), "two slots overlap");
    drop(stacks);
    assert_eq!(pool.shared_len() + pool.depot_len(), THREADS * PER);
    for _ in 0..THREADS {
        let s = pool.get().unwrap();
        pool.put(run_on(s, 20));
    }
    pool.trim();
    assert_eq!(pool.shared_len() + pool.depot_len(), 0);
}

#[test]
fn mprotect_pools_map_each_stack_alone() {
    let pool = StackPool::builder()
        .stack_size(32 * 1024)
        .guard(gpm_stack::GuardKind::Mprotect)
        .build()
        .unwrap();
    let s = pool.get().unwrap();
    assert!(!s.is_pooled_slot());
    assert_eq!(s.guard_kind(), gpm_stack::GuardKind::Mprotect);
    assert_eq!(pool.depot_len(), 0);
}

#[test]
fn a_stack_outlives_its_pool() {
    let pool = StackPool::new(32 * 1024).unwrap();
    let s = pool.get().unwrap();
    drop(pool);
    let s = run_on(s, 16);
    drop(s);
}
