//! Task memory: the blocks that hold goroutine tasks (`spawn/`), Gs and their coroutines
//! (`cobox.rs`), cached per P as Go caches its `g`s and its heap spans per P, instead of
//! one `malloc` and one `free` per spawn.
//!
//! Why not the global allocator: besides its own cost per call, glibc grows a thread's arena
//! one page at a time, each growth an `mprotect` call, and each new page then faults in
//! alone. A burst of a million live tasks (spawn them all, then join) paid ~27,000
//! `mprotect` calls and as many page faults, about a quarter of its time.
//!
//! # Layout
//! - Size classes of 32 bytes up to 512 (`class_of`); a larger or more aligned task is
//!   boxed as before.
//! - Each P has a free list per class (`Cache`, in the P's owner half: only its owner
//!   touches it, with no atomics). `alloc` pops from it; `free` pushes onto the list of the
//!   P the caller's M holds. Past `LOCAL_CAP` blocks, `BATCH` move to the global lists; an
//!   empty local list takes `BATCH` back (Go's `gfput`/`gfget` policy).
//! - The global lists and the bump region behind them are process-wide, under one mutex:
//!   a `JoinHandle` may outlive its runtime, and a plain thread frees there directly. New
//!   blocks are carved from 256 KiB mappings, faulted in by the `mmap` call itself
//!   (`MAP_POPULATE`).
//! - Each G keeps one more free block (`Spare`, in `G::spare_task`): a goroutine that joins
//!   keeps the joined task's block, and its next spawn of that class takes it back. Neither
//!   step touches the P: the block is the goroutine's own, so the joiner frees without a
//!   claim and a thread-local read, and the spawner allocates without the cache. Spawn then
//!   join in a loop cycles one block. A dying G gives its spare to its P's list (`gfput`).
//! - Chunks are never returned to the OS: the memory stays for the next burst, bounded by
//!   the process's peak number of live tasks (Go's heap keeps its spans likewise until its
//!   scavenger runs).

use std::alloc::Layout;
use std::cell::Cell;
use std::ptr::{self, NonNull};
use std::sync::Mutex;

use crate::sched::lock;

/// Bytes per class step; also the alignment every block has.
const GRAIN: usize = 32;
/// Number of classes: blocks of 32, 64, …, 512 bytes.
pub(crate) const CLASSES: usize = 16;
/// A P's list holds at most this many blocks of one class (as Go's `gfput` with 64).
const LOCAL_CAP: u32 = 64;
/// Blocks moved between a P and the global lists at a time (half of `LOCAL_CAP`).
const BATCH: u32 = 32;
/// Bytes taken from the system at a time for new blocks.
const CHUNK: usize = 256 << 10;

/// The class of a task with `layout`, or `None` when it is boxed instead.
pub(crate) const fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() > GRAIN || layout.size() > GRAIN * CLASSES {
        return None;
    }
    Some(layout.size().div_ceil(GRAIN).saturating_sub(1))
}

/// A free block: its first word links to the next.
struct Block {
    next: *mut Block,
}

/// An intrusive stack of free blocks of one class.
#[derive(Clone, Copy)]
struct List {
    head: *mut Block,
    len: u32,
}

impl List {
    const EMPTY: List = List { head: ptr::null_mut(), len: 0 };

    /// # Safety
    /// `b` is a free block of this list's class, in no list.
    unsafe fn push(&mut self, b: NonNull<u8>) {
        let b = b.cast::<Block>().as_ptr();
        // SAFETY: a free block is ours to write (caller's contract); blocks are 32-aligned.
        unsafe { b.write(Block { next: self.head }) };
        self.head = b;
        self.len += 1;
    }

    fn pop(&mut self) -> Option<NonNull<u8>> {
        let b = NonNull::new(self.head)?;
        // SAFETY: blocks in a list are free and were linked by `push`.
        self.head = unsafe { b.as_ref().next };
        self.len -= 1;
        Some(b.cast())
    }

    /// Moves up to `n` blocks from `self` onto `to`.
    fn move_to(&mut self, to: &mut List, n: u32) {
        for _ in 0..n {
            let Some(b) = self.pop() else { return };
            // SAFETY: just taken off a list of the same class.
            unsafe { to.push(b) };
        }
    }
}

/// A P's free lists (owner half of the P).
pub(crate) struct Cache {
    lists: [List; CLASSES],
}

impl Cache {
    pub(crate) const fn empty() -> Cache {
        Cache { lists: [List::EMPTY; CLASSES] }
    }

    /// A block of `class`: from this cache, else a batch from the global lists.
    #[inline]
    pub(crate) fn alloc(&mut self, class: usize) -> NonNull<u8> {
        if let Some(b) = self.lists[class].pop() {
            return b;
        }
        self.refill(class)
    }

    #[cold]
    fn refill(&mut self, class: usize) -> NonNull<u8> {
        let mut global = lock(&GLOBAL);
        let g = &mut *global;
        g.lists[class].move_to(&mut self.lists[class], BATCH);
        for _ in self.lists[class].len..BATCH {
            let b = g.carve(class);
            // SAFETY: a fresh block, in no list.
            unsafe { self.lists[class].push(b) };
        }
        drop(global);
        self.lists[class].pop().expect("taskmem: refilled list is empty")
    }

    /// Gives back a block of `class`.
    ///
    /// # Safety
    /// `b` came from `alloc` (of any cache, or `alloc_global`) for `class`, and nothing uses
    /// it any more.
    #[inline]
    pub(crate) unsafe fn free(&mut self, class: usize, b: NonNull<u8>) {
        let list = &mut self.lists[class];
        // SAFETY: caller's contract.
        unsafe { list.push(b) };
        if list.len > LOCAL_CAP {
            list.move_to(&mut lock(&GLOBAL).lists[class], BATCH);
        }
    }
}

impl Drop for Cache {
    /// A P going away (its runtime is dropped) leaves its blocks to the global lists.
    fn drop(&mut self) {
        let mut global = lock(&GLOBAL);
        for (mine, theirs) in self.lists.iter_mut().zip(global.lists.iter_mut()) {
            mine.move_to(theirs, u32::MAX);
        }
    }
}

/// A G's one spare block (module docs), with its class. An owner field of the G: only the
/// holder of the G's stack touches it (the goroutine itself while it runs, else whoever
/// owns the dead G).
pub(crate) struct Spare(Cell<Option<(NonNull<u8>, u8)>>);

impl Spare {
    pub(crate) const fn new() -> Spare {
        Spare(Cell::new(None))
    }

    /// The spare block if it is of `class`.
    #[inline]
    pub(crate) fn take(&self, class: usize) -> Option<NonNull<u8>> {
        match self.0.get() {
            Some((b, c)) if usize::from(c) == class => {
                self.0.set(None);
                Some(b)
            }
            _ => None,
        }
    }

    /// Keeps `b`, a block of `class`, if there is no spare yet; else gives it back.
    ///
    /// # Safety
    /// As [`Cache::free`].
    #[inline]
    pub(crate) unsafe fn keep(&self, class: u8, b: NonNull<u8>) -> Result<(), NonNull<u8>> {
        if self.0.get().is_some() {
            return Err(b);
        }
        self.0.set(Some((b, class)));
        Ok(())
    }

    /// Gives the spare block to `cache` (an owned P's), or to the global lists.
    pub(crate) fn release(&self, cache: Option<&mut Cache>) {
        let Some((b, class)) = self.0.take() else { return };
        match cache {
            // SAFETY: the spare is a free block of `class`, now in no list.
            Some(cache) => unsafe { cache.free(usize::from(class), b) },
            // SAFETY: as above.
            None => unsafe { lock(&GLOBAL).lists[usize::from(class)].push(b) },
        }
    }
}

impl Drop for Spare {
    fn drop(&mut self) {
        self.release(None);
    }
}

/// A block of `class`: from `cache` (the caller's P's), else from the global lists.
pub(crate) fn alloc(cache: Option<&mut Cache>, class: usize) -> NonNull<u8> {
    match cache {
        Some(cache) => cache.alloc(class),
        None => alloc_global(class),
    }
}

/// The class of a `T`, for a type that must fit a block (a compile-time error otherwise,
/// when used in a `const`).
pub(crate) const fn class_of_type<T>() -> usize {
    match class_of(Layout::new::<T>()) {
        Some(class) => class,
        None => panic!("the type does not fit a task block"),
    }
}

/// A block of `class` for a caller with no P (a plain thread).
pub(crate) fn alloc_global(class: usize) -> NonNull<u8> {
    let mut global = lock(&GLOBAL);
    match global.lists[class].pop() {
        Some(b) => b,
        None => global.carve(class),
    }
}

/// Gives back a block of `class` from wherever the caller runs: to the P its M holds,
/// else to the global lists. Never switches (it reads the thread's M through `context`).
///
/// # Safety
/// As [`Cache::free`].
#[inline(never)]
pub(crate) unsafe fn free(class: usize, b: NonNull<u8>) {
    let m = crate::context::current_m();
    if !m.is_null() {
        // SAFETY: a non-null current M is alive on this thread, and so is its runtime.
        let sched = unsafe { &*(*m).sched };
        // SAFETY: `b` is given back once (the caller's contract).
        let freed = sched.with_p_of(m, |p| unsafe { p.core().tasks.free(class, b) });
        if freed.is_some() {
            return;
        }
    }
    // SAFETY: as above.
    unsafe { free_global(class, b) };
}

/// Gives back a block of `class` to the global lists, wherever the caller runs (for a
/// value freed rarely, or while its runtime is being freed).
///
/// # Safety
/// As [`Cache::free`].
pub(crate) unsafe fn free_global(class: usize, b: NonNull<u8>) {
    // SAFETY: a free block, in no list (the caller's contract).
    unsafe { lock(&GLOBAL).lists[class].push(b) };
}

/// The process-wide lists and the chunk being carved.
struct Global {
    lists: [List; CLASSES],
    /// Blocks ever carved, per class (every one is in a list or in use).
    carved: [usize; CLASSES],
    /// The uncarved rest of the newest chunk.
    next: *mut u8,
    end: *mut u8,
}

// SAFETY: the raw pointers name free blocks and uncarved memory, owned by whoever holds the
// mutex around `Global`.
unsafe impl Send for Global {}

static GLOBAL: Mutex<Global> = Mutex::new(Global {
    lists: [List::EMPTY; CLASSES],
    carved: [0; CLASSES],
    next: ptr::null_mut(),
    end: ptr::null_mut(),
});

impl Global {
    /// A new block of `class`, cut from the current chunk or a new one.
    fn carve(&mut self, class: usize) -> NonNull<u8> {
        let size = (class + 1) * GRAIN;
        if (self.end as usize) - (self.next as usize) < size {
            let chunk = new_chunk();
            // The old chunk's tail (< 512 bytes) is left unused.
            self.next = chunk;
            // SAFETY: `chunk` is a CHUNK-byte mapping.
            self.end = unsafe { chunk.add(CHUNK) };
        }
        self.carved[class] += 1;
        let b = self.next;
        // SAFETY: at least `size` bytes remain before `end`.
        self.next = unsafe { b.add(size) };
        // SAFETY: inside a live allocation, so not null.
        unsafe { NonNull::new_unchecked(b) }
    }
}

/// A fresh CHUNK-byte mapping, its pages faulted in by the same call (`MAP_POPULATE`)
/// rather than one fault per page as tasks first touch them.
fn new_chunk() -> *mut u8 {
    match gpm_stack::map_populated(CHUNK) {
        Ok(chunk) => chunk.as_ptr(),
        Err(_) => {
            let layout = Layout::from_size_align(CHUNK, 4096).expect("taskmem: chunk layout");
            std::alloc::handle_alloc_error(layout)
        }
    }
}

#[cfg(all(test, not(gpm_loom)))]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn classes_round_up_by_32_and_refuse_big_or_overaligned() {
        let c = |size, align| class_of(Layout::from_size_align(size, align).unwrap());
        assert_eq!(c(1, 1), Some(0));
        assert_eq!(c(32, 8), Some(0));
        assert_eq!(c(33, 8), Some(1));
        assert_eq!(c(96, 8), Some(2));
        assert_eq!(c(512, 32), Some(15));
        assert_eq!(c(513, 8), None);
        assert_eq!(c(64, 64), None);
    }

    #[test]
    fn blocks_are_distinct_aligned_writable_and_reused() {
        let mut cache = Cache::empty();
        let class = 2; // 96 bytes
        let blocks: Vec<_> = (0..1000).map(|_| cache.alloc(class)).collect();
        let distinct: HashSet<_> = blocks.iter().map(|b| b.as_ptr() as usize).collect();
        assert_eq!(distinct.len(), 1000, "a block was handed out twice");
        for (i, b) in blocks.iter().enumerate() {
            assert_eq!(b.as_ptr() as usize % GRAIN, 0, "block {i} misaligned");
            // SAFETY: a 96-byte block of ours.
            unsafe { ptr::write_bytes(b.as_ptr(), i as u8, 96) };
        }
        for (i, b) in blocks.iter().enumerate() {
            // SAFETY: as above.
            let bytes = unsafe { std::slice::from_raw_parts(b.as_ptr(), 96) };
            assert!(bytes.iter().all(|&x| x == i as u8), "block {i} overlaps another");
        }
        let last = *blocks.last().unwrap();
        for b in blocks {
            // SAFETY: each allocated above, freed once.
            unsafe { cache.free(class, b) };
        }
        assert!(cache.lists[class].len <= LOCAL_CAP, "the local list kept more than its cap");
        assert_eq!(cache.alloc(class), last, "the most recently freed block comes back first");
    }

    #[test]
    fn blocks_move_between_threads_and_none_is_lost() {
        // One thread allocates and hands its blocks to another through a channel, which frees
        // them: every block is freed once by a thread that did not make it, and comes back
        // to the producer through the global lists. No other test uses this class.
        let class = 5;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<usize>>(0);
        let producer = std::thread::spawn(move || {
            let mut cache = Cache::empty();
            for _ in 0..50 {
                let v = (0..200).map(|_| cache.alloc(class).as_ptr() as usize).collect();
                tx.send(v).unwrap();
            }
        });
        let mut seen = HashSet::new();
        let mut cache = Cache::empty();
        let mut live = Vec::new();
        for batch in rx {
            for addr in batch {
                live.push(addr);
                // Reuse is fine only after a free: a live block must not be handed out again.
                assert!(seen.insert(addr), "live block {addr:#x} handed out twice");
            }
            for addr in live.drain(..) {
                seen.remove(&addr);
                // SAFETY: allocated by the producer, freed once here.
                unsafe { cache.free(class, NonNull::new(addr as *mut u8).unwrap()) };
            }
        }
        producer.join().unwrap();
        drop(cache);
        // Both caches are gone: every block ever carved is back in the global list.
        let global = lock(&GLOBAL);
        assert_eq!(global.lists[class].len as usize, global.carved[class], "blocks went missing");
        // A rendezvous channel keeps at most ~3 batches live at once: the rest was reused.
        assert!(global.carved[class] < 2000, "freed blocks were not reused");
    }

    #[test]
    fn a_spare_is_taken_only_by_its_class_and_always_given_back() {
        // No other test uses this class.
        let class = 9;
        let mut cache = Cache::empty();
        let a = cache.alloc(class);
        let b = cache.alloc(class);
        let spare = Spare::new();
        // SAFETY: blocks of `class` from `alloc`, in no list and unused.
        unsafe {
            assert!(spare.keep(class as u8, a).is_ok(), "an empty spare refused a block");
            assert_eq!(spare.keep(class as u8, b), Err(b), "a full spare took a second block");
        }
        assert_eq!(spare.take(class - 1), None, "a spare of another class was handed out");
        assert_eq!(spare.take(class), Some(a));
        assert_eq!(spare.take(class), None, "a spare was handed out twice");
        // Given back to a cache, then (dropped full) to the global lists: none is lost.
        // SAFETY: as above.
        unsafe { spare.keep(class as u8, a).unwrap() };
        spare.release(Some(&mut cache));
        assert_eq!(cache.alloc(class), a, "the released spare did not go to the cache");
        // SAFETY: as above.
        unsafe { spare.keep(class as u8, a).unwrap() };
        drop(spare);
        // SAFETY: `b` is ours, freed once.
        unsafe { cache.free(class, b) };
        drop(cache);
        let global = lock(&GLOBAL);
        assert_eq!(global.lists[class].len as usize, global.carved[class], "blocks went missing");
    }
}
