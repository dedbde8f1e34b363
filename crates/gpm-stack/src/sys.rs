//! The crate's only contact with the OS memory calls: a page-size cache, an owned anonymous
//! mapping (RAII: unmapped on drop, so every later failure cleans up), `madvise` and
//! `mprotect` wrappers, a batched `madvise` over many ranges (`process_madvise` on this
//! process, one syscall per [`MAX_BATCH`] ranges), and the two `/proc` readings the mapping
//! ceiling needs.

use std::io;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicUsize, Ordering};

/// `MADV_GUARD_INSTALL` (Linux ≥ 6.13): turn pages into guard markers in the page tables,
/// without splitting the mapping. Not yet in every `libc` release, hence the literal.
pub(crate) const MADV_GUARD_INSTALL: libc::c_int = 102;

/// The system page size, read once.
pub(crate) fn page_size() -> usize {
    // Relaxed: a racing first read computes the same value.
    static PAGE: AtomicUsize = AtomicUsize::new(0);
    let cached = PAGE.load(Ordering::Relaxed);
    if cached != 0 {
        return cached;
    }
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let page = if page > 0 { page as usize } else { 4096 };
    assert!(page.is_power_of_two(), "page_size: not a power of two; value = {page}");
    PAGE.store(page, Ordering::Relaxed);
    page
}

/// Rounds `n` up to a multiple of the page size; `None` on overflow.
pub(crate) fn page_round_up(n: usize) -> Option<usize> {
    let page = page_size();
    Some(n.checked_add(page - 1)? & !(page - 1))
}

/// Low bits of a mapping's length (always a multiple of a page of at least 4 KiB) that
/// carry a small tag for the owner.
const TAG_MASK: usize = 0xfff;

/// An owned anonymous private mapping: `[ptr, ptr + len)`, unmapped on drop. Two words,
/// with a small tag in the length's low bits (a `Stack` keeps its guard kind there), so
/// moving one is two register moves.
#[derive(Debug)]
pub(crate) struct Mapping {
    ptr: NonNull<u8>,
    len_tag: usize,
}

// SAFETY: a `Mapping` is a plain owner of address space; it has no interior mutability and no
// thread affinity, and `munmap` may be called from any thread.
unsafe impl Send for Mapping {}
// SAFETY: shared references only read the two address fields.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Reserves `len` bytes (a multiple of the page size) read-write, lazily committed
    /// (`MAP_NORESERVE`: no swap reservation, pages appear on first touch).
    pub(crate) fn reserve(len: usize) -> io::Result<Mapping> {
        debug_assert!(len > 0 && len.is_multiple_of(page_size()));
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        // SAFETY: an anonymous mapping at an address of the kernel's choosing touches no
        // existing memory.
        let addr = unsafe {
            libc::mmap(ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, flags, -1, 0)
        };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(addr.cast::<u8>()).expect("mmap returned null without MAP_FIXED");
        Ok(Mapping { ptr, len_tag: len })
    }

    /// A description of `[start, start + len)`, part of a mapping owned elsewhere (a pool
    /// chunk's slot). Never drop it: wrap it in `ManuallyDrop` at once.
    ///
    /// # Safety
    /// The range must lie inside a live mapping whose owner outlives the returned value, and
    /// the returned value must never be dropped (its drop would unmap the range).
    pub(crate) unsafe fn view(start: usize, len: usize) -> std::mem::ManuallyDrop<Mapping> {
        let ptr = NonNull::new(start as *mut u8).expect("Mapping::view: null start");
        std::mem::ManuallyDrop::new(Mapping { ptr, len_tag: len })
    }

    fn len(&self) -> usize {
        self.len_tag & !TAG_MASK
    }

    /// The tag set by `set_tag` (0 initially).
    pub(crate) fn tag(&self) -> usize {
        self.len_tag & TAG_MASK
    }

    /// Stores a tag below 4096.
    pub(crate) fn set_tag(&mut self, tag: usize) {
        assert!(tag <= TAG_MASK, "Mapping::set_tag: tag too large; value = {tag}");
        self.len_tag = self.len() | tag;
    }

    /// Lowest address of the mapping.
    pub(crate) fn start(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// One past the highest address of the mapping.
    pub(crate) fn end(&self) -> usize {
        self.start() + self.len()
    }

    /// `madvise` on `[addr, addr + len)`, which must lie inside this mapping.
    pub(crate) fn advise(&self, addr: usize, len: usize, advice: libc::c_int) -> io::Result<()> {
        assert!(addr >= self.start() && addr + len <= self.end(), "advise: range outside mapping");
        // SAFETY: the range lies inside a mapping we own (asserted above); the advice values
        // this crate uses (NOHUGEPAGE, DONTNEED, GUARD_INSTALL) only change how the kernel
        // backs our own anonymous pages, never memory anyone else can observe.
        let rc = unsafe { libc::madvise(addr as *mut libc::c_void, len, advice) };
        if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
    }

    /// `madvise(advice)` on `count` ranges of `len` bytes, the first at `first`, each
    /// `stride` bytes above the previous; all must lie inside this mapping. One syscall per
    /// [`MAX_BATCH`] ranges where the kernel allows it (see [`advise_ranges`]).
    pub(crate) fn advise_strided(
        &self,
        first: usize,
        stride: usize,
        count: usize,
        len: usize,
        advice: libc::c_int,
    ) -> io::Result<()> {
        if count == 0 {
            return Ok(());
        }
        let last = first + (count - 1) * stride;
        assert!(
            first >= self.start() && last + len <= self.end(),
            "advise_strided: range outside mapping"
        );
        let ranges: Vec<(usize, usize)> = (0..count).map(|i| (first + i * stride, len)).collect();
        // SAFETY: every range lies inside this mapping (asserted above), which we own.
        unsafe { advise_ranges(&ranges, advice) }
    }

    /// `mprotect(PROT_NONE)` on `[addr, addr + len)`, which must lie inside this mapping.
    pub(crate) fn protect_none(&self, addr: usize, len: usize) -> io::Result<()> {
        assert!(addr >= self.start() && addr + len <= self.end(), "protect: range outside mapping");
        // SAFETY: the range lies inside a mapping we own and nothing references it yet (it
        // is the guard page, below any stack frame).
        let rc = unsafe { libc::mprotect(addr as *mut libc::c_void, len, libc::PROT_NONE) };
        if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
    }
}

/// Most ranges one `process_madvise` call takes (the kernel's `UIO_MAXIOV`).
pub(crate) const MAX_BATCH: usize = 1024;

/// `PIDFD_SELF` (Linux ≥ 6.15): "the calling thread" as a pidfd, so `process_madvise` acts
/// on our own memory without opening a pidfd. On our own process the kernel accepts every
/// advice `madvise` accepts (Linux ≥ 6.14).
const PIDFD_SELF: libc::c_int = -10000;

/// `madvise(advice)` on every `(addr, len)` range: one `process_madvise` syscall per
/// [`MAX_BATCH`] ranges, or one `madvise` per range on kernels that refuse it (probed on the
/// first call). `advice` must be idempotent (`NOHUGEPAGE`, `DONTNEED`, `GUARD_INSTALL`): a
/// batch the kernel applied only in part is simply redone range by range.
///
/// # Safety
/// Each range must be page-aligned and lie inside a mapping the caller owns, in which no live
/// reference sees memory that `advice` changes (`DONTNEED` zeroes pages; `GUARD_INSTALL`
/// turns them into guards).
pub(crate) unsafe fn advise_ranges(
    ranges: &[(usize, usize)],
    advice: libc::c_int,
) -> io::Result<()> {
    // 0 = not probed, 1 = process_madvise works, 2 = it does not. Relaxed: a racing probe
    // reaches the same answer, and the flag guards no other memory.
    static BATCHED: AtomicUsize = AtomicUsize::new(0);
    for batch in ranges.chunks(MAX_BATCH) {
        if BATCHED.load(Ordering::Relaxed) != 2 {
            match process_madvise_self(batch, advice) {
                Ok(true) => {
                    BATCHED.store(1, Ordering::Relaxed);
                    continue;
                }
                Ok(false) => {} // applied in part: redo below
                Err(_) => BATCHED.store(2, Ordering::Relaxed),
            }
        }
        for &(addr, len) in batch {
            // SAFETY: the caller guarantees the range is ours and the advice harmless to it.
            let rc = unsafe { libc::madvise(addr as *mut libc::c_void, len, advice) };
            if rc != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// One `process_madvise(PIDFD_SELF, ranges, advice)`; `Ok(false)` when the kernel applied
/// only a prefix (it stops at the first failing range, or at `MAX_RW_COUNT` bytes in all).
fn process_madvise_self(ranges: &[(usize, usize)], advice: libc::c_int) -> io::Result<bool> {
    let iov: Vec<libc::iovec> = ranges
        .iter()
        .map(|&(addr, len)| libc::iovec { iov_base: addr as *mut libc::c_void, iov_len: len })
        .collect();
    let total: usize = ranges.iter().map(|&(_, len)| len).sum();
    // SAFETY: `iov` is a live array of `iov.len()` iovecs; the ranges they name are the
    // caller's (see `advise_ranges`); flags must be 0.
    let rc = unsafe {
        libc::syscall(libc::SYS_process_madvise, PIDFD_SELF, iov.as_ptr(), iov.len(), advice, 0)
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(rc as usize == total)
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: we own the mapping exclusively; no reference into it outlives its owner
        // (a `Stack` is only handed to a coroutine by value and comes back the same way).
        let rc = unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len()) };
        debug_assert_eq!(rc, 0, "munmap failed: {}", io::Error::last_os_error());
    }
}

/// `vm.max_map_count`, read once (65530 when unreadable: the kernel default).
pub(crate) fn max_map_count() -> usize {
    static CACHED: AtomicUsize = AtomicUsize::new(0);
    let cached = CACHED.load(Ordering::Relaxed);
    if cached != 0 {
        return cached;
    }
    let value = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|&v| v > 0)
        .unwrap_or(65530);
    CACHED.store(value, Ordering::Relaxed);
    value
}

/// How many mappings this process has now (lines of `/proc/self/maps`); 0 when unreadable.
pub(crate) fn current_map_count() -> usize {
    std::fs::read("/proc/self/maps")
        .map(|bytes| bytes.iter().filter(|&&b| b == b'\n').count())
        .unwrap_or(0)
}

/// A private anonymous read-write mapping of `len` bytes, its pages faulted in by the same
/// call (`MAP_POPULATE`), for memory a caller keeps for the life of the process (gpm-sched's
/// task blocks, `taskmem.rs`): never unmapped. Here because only gpm-stack talks to the OS.
pub fn map_populated(len: usize) -> io::Result<std::ptr::NonNull<u8>> {
    // SAFETY: a private anonymous mapping at an address of the kernel's choosing; no memory
    // of ours is affected.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    std::ptr::NonNull::new(p.cast()).ok_or_else(|| io::Error::other("mmap returned null"))
}

/// `CLOCK_MONOTONIC` (the clock `Instant` reads on Linux) in nanoseconds, as one vDSO call
/// and integer arithmetic: gpm-sched's `nanotime` (`sched/clock.rs`). Here because only
/// gpm-stack talks to the OS.
#[inline]
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC is always supported on
    // Linux, and the call writes nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    debug_assert_eq!(rc, 0, "clock_gettime(CLOCK_MONOTONIC) failed");
    (ts.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(ts.tv_nsec as u64)
}
