//! 200,000 live guarded stacks at once under the default `vm.max_map_count`: with
//! `MADV_GUARD_INSTALL` guards the stacks' mappings merge, so `/proc/self/maps` barely grows.
//! On a kernel without it (before 6.13) the test checks the fallback instead: default stacks
//! are `mprotect`-guarded and `GuardKind::Madvise` is refused. Either way it checks that
//! `mprotect` stacks cost mappings, which is what the `madvise` guards save.
//! (Own test binary: no other test may add mappings while it counts.)

use std::io;

use gpm_stack::{GuardKind, MIN_STACK_SIZE, Stack, madvise_guard_supported};

fn map_lines() -> usize {
    std::fs::read_to_string("/proc/self/maps").unwrap().lines().count()
}

/// 1,000 `mprotect` stacks add at least a line of `/proc/self/maps` each (a guard and a
/// stack that cannot merge with their neighbours).
fn mprotect_stacks_grow_the_maps() {
    const N: usize = 1000;
    let before = map_lines();
    let stacks: Vec<Stack> = (0..N)
        .map(|_| Stack::builder().size(MIN_STACK_SIZE).guard(GuardKind::Mprotect).build().unwrap())
        .collect();
    let during = map_lines();
    assert!(during >= before + N, "{N} mprotect stacks: /proc/self/maps {before} -> {during}");
    drop(stacks);
}

#[test]
fn two_hundred_thousand_guarded_stacks_barely_grow_the_maps() {
    mprotect_stacks_grow_the_maps();
    if !madvise_guard_supported() {
        // The fallback: stacks by default are mprotect-guarded, and an explicit madvise guard
        // is refused with an error naming the kernel it needs.
        eprintln!("this kernel has no MADV_GUARD_INSTALL (needs Linux >= 6.13): fallback checked");
        assert_eq!(Stack::new(MIN_STACK_SIZE).unwrap().guard_kind(), GuardKind::Mprotect);
        let err = Stack::builder().guard(GuardKind::Madvise).build().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
        assert!(err.to_string().contains("6.13"), "{err}");
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
