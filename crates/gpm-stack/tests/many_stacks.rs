//! 200,000 live guarded stacks at once under the default `vm.max_map_count`: with
//! `MADV_GUARD_INSTALL` guards the stacks' mappings merge, so `/proc/self/maps` barely grows.
//! (Own test binary: no other test may add mappings while it counts.)

use gpm_stack::{GuardKind, MIN_STACK_SIZE, Stack, madvise_guard_supported};

fn map_lines() -> usize {
    std::fs::read_to_string("/proc/self/maps").unwrap().lines().count()
}

#[test]
fn two_hundred_thousand_guarded_stacks_barely_grow_the_maps() {
    if !madvise_guard_supported() {
        eprintln!("skipped: this kernel has no MADV_GUARD_INSTALL (needs Linux >= 6.13)");
        return;
    }
    const N: usize = 200_000;
    let before = map_lines();
    let stacks: Vec<Stack> = (0..N)
        .map(|i| Stack::new(MIN_STACK_SIZE).unwrap_or_else(|e| panic!("stack {i} of {N}: {e}")))
        .collect();
    let during = map_lines();
    eprintln!("{N} guarded stacks: /proc/self/maps {before} -> {during} lines");
    assert!(stacks.iter().all(|s| s.guard_kind() == GuardKind::Madvise));
    assert!(
        during < before + 100,
        "{N} stacks grew /proc/self/maps from {before} to {during} lines"
    );
    drop(stacks);
    assert!(map_lines() < before + 100);
}
