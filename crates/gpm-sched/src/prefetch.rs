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
