//! Software prefetch with intent to write: asks the core to fetch the cache lines of a
//! value about to be written, so a line that sits dirty in another core's cache arrives
//! while other work runs instead of stalling the first store or RMW to it. A hint only: no
//! effect on any value, and a no-op off x86-64.

/// Prefetches, for writing, every cache line of the `T` at `p` (a pointer that need not be
/// valid: a prefetch never faults).
#[inline(always)]
pub(crate) fn for_write<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_ET0, _mm_prefetch};
        let base = p.cast::<i8>();
        let mut off = 0;
        while off < core::mem::size_of::<T>() {
            // SAFETY: `prefetchw` reads no memory architecturally and cannot fault, whatever
            // the address.
            unsafe { _mm_prefetch::<_MM_HINT_ET0>(base.wrapping_add(off)) };
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Prefetches, for writing, the lines around `sp`, a stack address a parked goroutine
/// left (`ParkState::sp_hint`): the frames its resume pops and the ones above them that
/// it returns into. A goroutine woken after many others ran finds its stack, and the
/// page-table entries of its page, evicted; fetched when it is readied, they arrive
/// while the Gs before it in the run queue run. 0 (no hint) does nothing.
#[inline(always)]
pub(crate) fn stack(sp: usize) {
    /// Lines below the hint (the switch's saved registers) and above it (the callers).
    const BELOW: usize = 4;
    const ABOVE: usize = 8;
    if sp == 0 {
        return;
    }
    let line = (sp & !63).wrapping_sub(BELOW * 64);
    for i in 0..BELOW + ABOVE {
        for_write((line + i * 64) as *const u8);
    }
}

/// Prefetches what resuming parked `g` touches first: its G, its coroutine and the stack
/// lines around where it parked (the hints its park left, `ParkState::hints`). For the
/// timer that fires a park and the poller that readies a batch: a G they wake ran
/// thousands of others ago, and each of those misses would stall its resume.
#[inline(always)]
pub(crate) fn parked(g: &crate::g::G) {
    let (sp, co) = g.park.hints();
    stack(sp);
    for_write(co as *const gpm_stack::SendCoroutine);
    for_write(g);
}
