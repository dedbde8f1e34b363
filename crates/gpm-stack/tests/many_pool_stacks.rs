//! 200,000 live stacks from one pool: they are carved from chunk mappings whose guards are
//! `MADV_GUARD_INSTALL` markers, so `/proc/self/maps` barely grows and a pool miss costs a
//! few syscalls per thousand stacks; dropping the pool unmaps the chunks. On a kernel without
//! it (before 6.13) the test checks the fallback instead: the pool's stacks are mapped alone
//! with `mprotect` guards, and the pool has no chunk depot. Either way it checks that an
//! `mprotect` pool works that way.
//! (Own test binary: no other test may add mappings while it counts.)

use gpm_stack::{GuardKind, MIN_STACK_SIZE, Stack, StackPool, madvise_guard_supported};

fn map_lines() -> usize {
    std::fs::read_to_string("/proc/self/maps").unwrap().lines().count()
}

/// The fallback pool: 1,000 stacks mapped alone (no chunk slots, no depot), each adding
/// mappings, and all unmapped when dropped past a full cache.
fn mprotect_pool_maps_each_stack_alone(pool: StackPool) {
    const N: usize = 1000;
    let before = map_lines();
    let stacks: Vec<Stack> = (0..N).map(|_| pool.get().unwrap()).collect();
    assert!(stacks.iter().all(|s| s.guard_kind() == GuardKind::Mprotect && !s.is_pooled_slot()));
    let during = map_lines();
    assert!(during >= before + N, "{N} mprotect pool stacks: maps {before} -> {during}");
    drop(stacks);
    assert_eq!(pool.depot_len(), 0);
    assert!(map_lines() < before + 10, "dropped mprotect stacks left mapped");
}

#[test]
fn two_hundred_thousand_pool_stacks_barely_grow_the_maps_and_go_with_the_pool() {
    let builder = || StackPool::builder().stack_size(MIN_STACK_SIZE);
    mprotect_pool_maps_each_stack_alone(builder().guard(GuardKind::Mprotect).build().unwrap());
    if !madvise_guard_supported() {
        eprintln!("this kernel has no MADV_GUARD_INSTALL (needs Linux >= 6.13): fallback checked");
        mprotect_pool_maps_each_stack_alone(builder().build().unwrap());
        return;
    }
    const N: usize = 200_000;
    let before = map_lines();
    let pool = StackPool::new(MIN_STACK_SIZE).unwrap();
    let mut stacks: Vec<Stack> =
        (0..N).map(|i| pool.get().unwrap_or_else(|e| panic!("stack {i} of {N}: {e}"))).collect();
    let during = map_lines();
    eprintln!("{N} pool stacks: /proc/self/maps {before} -> {during} lines");
    assert!(stacks.iter().all(|s| s.guard_kind() == GuardKind::Madvise && s.is_pooled_slot()));
    assert!(during < before + 100, "{N} stacks grew /proc/self/maps from {before} to {during}");

    // Every other stack back (past the caches into the depot), then half of the rest
    // dropped: the chunks stay one mapping each, never split.
    let mut kept = Vec::new();
    for (i, s) in stacks.drain(..).enumerate() {
        if i.is_multiple_of(2) { pool.put(s) } else { kept.push(s) }
    }
    kept.truncate(N / 4);
    assert!(map_lines() < before + 100, "returning stacks split the chunks");
    assert!(pool.depot_len() > N / 2);
    // Reuse comes from the free list, not from new chunks.
    let again: Vec<Stack> = (0..N / 2).map(|_| pool.get().unwrap()).collect();
    assert!(map_lines() < before + 100);

    // Stacks may outlive their pool; the chunks go with the last of them.
    drop(pool);
    drop(again);
    drop(kept);
    let after = map_lines();
    assert!(after < before + 10, "chunks left mapped: {before} -> {after} lines");
}
