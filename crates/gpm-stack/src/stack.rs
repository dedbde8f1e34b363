//! `Stack`: one lazily committed `mmap` reservation with a guard page below, and its builder.
//!
//! Layout (addresses grow upwards; the stack grows downwards from `top`):
//!
//! ```text
//! start                 start + guard              top = start + guard + size
//!   | guard page (no access) | usable, committed on first touch ... initial frame |
//! ```
//!
//! The mapping is owned (a RAII [`Mapping`]) before any further syscall, so a failure in
//! `madvise`/`mprotect` unmaps it; the `mprotect` budget slot is taken before mapping and
//! released after unmapping.
//!
//! A stack from a [`crate::StackPool`] may instead be a slot of a pool chunk (`chunk.rs`):
//! same layout, but it holds the chunk alive rather than owning a mapping, and dropping it
//! hands it back to its pool (or lets go of the chunk, once the pool is gone).

use std::fmt;
use std::io;
use std::mem::ManuallyDrop;
use std::ops::Range;

use corosensei::stack::StackPointer;

use crate::chunk::Chunk;
use crate::guard::{self, GuardKind, MprotectSlot};
use crate::sys::{self, Mapping};

/// Smallest usable stack size accepted (16 KiB): room for the coroutine's entry frames, a
/// panic's unwinder and a few ordinary calls.
pub const MIN_STACK_SIZE: usize = 16 * 1024;

/// Default usable stack size (256 KiB). Go grows stacks by copying; a Rust stack cannot move,
/// so gpm reserves the whole size up front and lets the kernel commit it page by page.
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// A guarded coroutine stack: `size()` usable bytes with a guard page below, either one
/// anonymous mapping of its own (dropping it unmaps it) or a slot of a pool chunk (dropping
/// it hands it back to its pool). Implements [`corosensei::stack::Stack`].
///
/// Two words (the mapping, with the guard kind and "carved" in its length's low bits), so
/// the pool moves stacks in registers: a third word (a chunk pointer) made the pool's
/// get/put over twice as slow. A stack guarded by `mprotect` holds one unit of the mapping
/// budget, given back after it is unmapped.
pub struct Stack {
    /// Owned, unless tagged `TAG_CARVED`: then the slot inside a chunk's mapping, never
    /// dropped (the chunk unmaps), kept mapped by the chunk's `live` count.
    map: ManuallyDrop<Mapping>,
}

const TAG_MADVISE: usize = 1;
const TAG_MPROTECT: usize = 2;
/// With `TAG_MADVISE`: a slot of a pool chunk (`chunk.rs`).
const TAG_CARVED: usize = 4;

impl Drop for Stack {
    fn drop(&mut self) {
        if self.is_pooled_slot() {
            Chunk::give_back(self.map.start(), self.map.end() - self.map.start());
            return;
        }
        let mprotect = self.map.tag() == TAG_MPROTECT;
        // SAFETY: `map` is dropped exactly once, here, and never used afterwards.
        unsafe { ManuallyDrop::drop(&mut self.map) };
        if mprotect {
            MprotectSlot::release();
        }
    }
}

impl fmt::Debug for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stack")
            .field("guard", &format_args!("{:#x}..{:#x}", self.map.start(), self.usable_start()))
            .field("top", &format_args!("{:#x}", self.top()))
            .field("size", &self.size())
            .field("kind", &self.guard_kind())
            .finish()
    }
}

impl Stack {
    /// A stack of at least `size` usable bytes (rounded up to whole pages), guarded by the
    /// best mechanism available ([`GuardKind::Auto`]).
    ///
    /// # Errors
    /// `InvalidInput` when `size` is below [`MIN_STACK_SIZE`] (the message names it) or
    /// overflows when rounded; `OutOfMemory` when the OS cannot map it or the `mprotect`
    /// mapping budget is spent (the message names the limit and the ways out).
    pub fn new(size: usize) -> io::Result<Stack> {
        StackBuilder::new().size(size).build()
    }

    /// A builder, to choose the guard mechanism.
    pub fn builder() -> StackBuilder {
        StackBuilder::new()
    }

    /// A carved stack: the slot `[start, start + len)` of `chunk`'s mapping, its lowest page
    /// already a guard (the depot guards every slot before handing any out).
    /// The caller has counted it in the chunk's `live` stacks.
    pub(crate) fn carved(start: usize, len: usize) -> Stack {
        // SAFETY: the slot lies inside a chunk's mapping, which stays mapped while the
        // chunk counts this stack as live (until `discard`); `Drop` never drops `map` of a
        // carved stack.
        let mut map = unsafe { Mapping::view(start, len) };
        map.set_tag(TAG_MADVISE | TAG_CARVED);
        Stack { map }
    }

    /// Drops the stack for good: a pool's slot lets go of its chunk (unmapped with the
    /// chunk's last stack) instead of going back to the pool's free list, where its memory
    /// would be given back with `MADV_DONTNEED`, wasted work for memory about to be unmapped.
    /// Any other stack is unmapped, as by `drop`. For an owner that drops its pool next.
    pub fn discard(self) {
        if self.is_pooled_slot() {
            let start = self.map.start();
            // The view in `map` must not be dropped, and nothing else is left to drop.
            std::mem::forget(self);
            Chunk::discard(start);
        } else {
            drop(self);
        }
    }

    /// Whether this stack is a slot of a pool chunk rather than a mapping of its own.
    pub fn is_pooled_slot(&self) -> bool {
        self.map.tag() & TAG_CARVED != 0
    }

    /// Usable bytes (excluding the guard page).
    pub fn size(&self) -> usize {
        self.top() - self.usable_start()
    }

    /// The guard mechanism this stack uses (never `Auto`).
    pub fn guard_kind(&self) -> GuardKind {
        match self.map.tag() & TAG_MPROTECT {
            0 => GuardKind::Madvise,
            _ => GuardKind::Mprotect,
        }
    }

    /// Addresses of the guard page(s): a touch there is a stack overflow.
    pub fn guard_range(&self) -> Range<usize> {
        self.map.start()..self.usable_start()
    }

    /// The highest address (exclusive): where the first frame starts.
    pub fn top(&self) -> usize {
        self.map.end()
    }

    fn usable_start(&self) -> usize {
        self.map.start() + sys::page_size()
    }

    /// If this stack was used deeper than `keep` bytes below its top, gives the pages below
    /// that line back to the OS (`MADV_DONTNEED`: the next touch gets a fresh zero page) and
    /// returns `true`.
    ///
    /// Depth is judged without a syscall, by sampling words in the page just below the line:
    /// a stack only gets there by passing through it, and frames leave return addresses and
    /// saved registers behind. A page that was reached but holds only zeros at the sampled
    /// words is missed (its memory stays until the stack is dropped); a page never reached
    /// reads as the shared zero page, costing no memory. Call it only on a stack no coroutine
    /// is running on (a `&Stack` outside a coroutine guarantees that).
    pub fn release_unused(&self, keep: usize) -> bool {
        let page = sys::page_size();
        let Some(keep) = sys::page_round_up(keep) else { return false };
        let usable = self.usable_start();
        let Some(line) = self.top().checked_sub(keep) else { return false };
        if line < usable + page {
            return false; // nothing below the keep line
        }
        let probe = line - page;
        const SAMPLES: usize = 8;
        let mut dirty = false;
        for i in 0..SAMPLES {
            let word = (probe + i * (page / SAMPLES)) as *const u64;
            // SAFETY: `word` is 8-aligned, inside the usable (readable, writable) part of our
            // own mapping, and no frame is live on this stack; anonymous memory always reads
            // as some integer (zero if never written).
            dirty |= unsafe { word.read_volatile() } != 0;
        }
        dirty && self.map.advise(usable, line - usable, libc::MADV_DONTNEED).is_ok()
    }
}

// SAFETY: `base()` is the end of a mapping we own (or of a chunk slot the Stack keeps
// mapped) and `limit()` its start, both page-aligned (so aligned to STACK_ALIGNMENT); the
// lowest page is a guard region made by madvise(MADV_GUARD_INSTALL) or mprotect(PROT_NONE)
// before the Stack was returned (for a slot, before its chunk handed out any), and the
// usable part is at least MIN_STACK_SIZE >= corosensei's minimum (4096) bytes.
unsafe impl corosensei::stack::Stack for Stack {
    #[inline]
    fn base(&self) -> StackPointer {
        StackPointer::new(self.top()).expect("mapping end is never 0")
    }

    #[inline]
    fn limit(&self) -> StackPointer {
        StackPointer::new(self.map.start()).expect("mapping start is never 0")
    }
}

/// Builds a [`Stack`]: `.size(n)` (default [`DEFAULT_STACK_SIZE`]) and `.guard(kind)`.
#[derive(Debug, Clone, Copy)]
pub struct StackBuilder {
    size: usize,
    guard: GuardKind,
}

impl Default for StackBuilder {
    fn default() -> Self {
        StackBuilder::new()
    }
}

impl StackBuilder {
    /// Default size, [`GuardKind::Auto`].
    pub fn new() -> StackBuilder {
        StackBuilder { size: DEFAULT_STACK_SIZE, guard: GuardKind::Auto }
    }

    /// Usable size in bytes (rounded up to whole pages).
    pub fn size(mut self, size: usize) -> StackBuilder {
        self.size = size;
        self
    }

    /// Guard mechanism; `Madvise` fails to build on kernels before 6.13.
    pub fn guard(mut self, guard: GuardKind) -> StackBuilder {
        self.guard = guard;
        self
    }

    /// Checks the size and rounds it; the usable length in bytes.
    pub(crate) fn checked_size(size: usize) -> io::Result<usize> {
        if size < MIN_STACK_SIZE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "gpm-stack: stack size {size} bytes is below the minimum of {MIN_STACK_SIZE} \
                     bytes ({} KiB)",
                    MIN_STACK_SIZE / 1024
                ),
            ));
        }
        let page = sys::page_size();
        sys::page_round_up(size).filter(|s| s.checked_add(page).is_some()).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("gpm-stack: stack size {size} bytes is too large to round to pages"),
            )
        })
    }

    /// Maps and guards the stack.
    ///
    /// # Errors
    /// See [`Stack::new`]; `Unsupported` for `GuardKind::Madvise` on an old kernel.
    pub fn build(self) -> io::Result<Stack> {
        let size = Self::checked_size(self.size)?;
        let guard_len = sys::page_size();
        let kind = self.guard.resolve()?;
        let slot = match kind {
            GuardKind::Mprotect => Some(MprotectSlot::acquire()?),
            _ => None,
        };
        let map = Mapping::reserve(size + guard_len).map_err(|e| map_error(kind, size, e))?;
        // Best effort: kernels without transparent huge pages reject the advice, and a stack
        // backed by huge pages is only wasteful, not wrong.
        let _ = map.advise(map.start(), size + guard_len, libc::MADV_NOHUGEPAGE);
        kind.install(&map, guard_len).map_err(|e| map_error(kind, size, e))?;
        let mut map = map;
        map.set_tag(if slot.is_some() { TAG_MPROTECT } else { TAG_MADVISE });
        // The stack's drop gives the budget unit back from now on.
        std::mem::forget(slot);
        Ok(Stack { map: ManuallyDrop::new(map) })
    }
}

#[cold]
pub(crate) fn map_error(kind: GuardKind, size: usize, e: io::Error) -> io::Error {
    // ENOMEM on the mprotect path is the mapping ceiling when the process is near it (and
    // just an unmappable size otherwise).
    if kind == GuardKind::Mprotect
        && e.raw_os_error() == Some(libc::ENOMEM)
        && sys::current_map_count() + 64 >= sys::max_map_count()
    {
        return guard::ceiling_error(guard::live_mprotect_stacks(), Some(e));
    }
    io::Error::new(
        e.kind(),
        format!("gpm-stack: cannot map a guarded stack of {size} bytes ({kind:?} guard): {e}"),
    )
}
