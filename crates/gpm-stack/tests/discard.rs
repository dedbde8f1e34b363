//! `Stack::discard`: a stack dropped for good skips its pool's free list, and its chunk is
//! unmapped. Alone in its test binary: no other test maps memory meanwhile, so an address
//! that is mapped again after `trim` would be a chunk that stayed.

use gpm_stack::{Stack, StackPool};

/// Whether `addr` lies in some mapping of this process (`/proc/self/maps`).
fn mapped(addr: usize) -> bool {
    std::fs::read_to_string("/proc/self/maps").unwrap().lines().any(|line| {
        let range = line.split_whitespace().next().unwrap();
        let (lo, hi) = range.split_once('-').unwrap();
        let (lo, hi) =
            (usize::from_str_radix(lo, 16).unwrap(), usize::from_str_radix(hi, 16).unwrap());
        (lo..hi).contains(&addr)
    })
}

/// A discarded stack skips the pool's free list (and the `MADV_DONTNEED` it would get there):
/// its chunk goes with the chunk's last stack, once the pool stops carving from it.
#[test]
fn discarded_stacks_skip_the_pool_and_their_chunk_is_unmapped() {
    let pool = StackPool::builder().stack_size(32 * 1024).build().unwrap();
    let stacks: Vec<_> = (0..100).map(|_| pool.get().unwrap()).collect();
    let tops: Vec<usize> = stacks.iter().map(|s| s.top()).collect();
    stacks.into_iter().for_each(Stack::discard);
    assert_eq!(pool.shared_len() + pool.depot_len(), 0, "a discarded stack came back");
    pool.trim(); // the pool lets go of the chunk it was carving
    for top in tops {
        assert!(!mapped(top - 1), "a discarded stack at {top:#x} is still mapped");
    }
}
