//! 200,000 live stacks from one pool: they are carved from chunk mappings whose guards are
//! `MADV_GUARD_INSTALL` markers, so `/proc/self/maps` barely grows and a pool miss costs a
//! few syscalls per thousand stacks; dropping the pool unmaps the chunks.
//! (Own test binary: no other test may add mappings while it counts.)

use gpm_stack::{GuardKind, MIN_STACK_SIZE, Stack, StackPool, madvise_guard_supported};

fn map_lines() -> usize {
    std::fs::read_to_string("/proc/self/maps").unwrap().lines().count()
}

#[test]
fn two_hundred_thousand_pool_stacks_barely_grow_the_maps_and_go_with_the_pool() {
    if !madvise_guard_supported() {
        eprintln!("skipped: this kernel has no MADV_GUARD_INSTALL (needs Linux >= 6.13)");
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
