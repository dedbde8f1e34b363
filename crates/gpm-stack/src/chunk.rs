//! Pool stacks carved from chunk mappings: the [`crate::StackPool`]'s miss path when stacks
//! are guarded by `madvise` (the `mprotect` fallback maps each stack alone, see below).
//!
//! A fresh stack used to cost an `mmap`, two `madvise` calls (`NOHUGEPAGE`, `GUARD_INSTALL`)
//! and, at the end, a `munmap`, each taking the process's `mmap_lock` that the runtime's
//! other threads need for their page faults. A [`Depot`] instead maps a *chunk* of many
//! equally sized slots (guard page + usable part) at once:
//!
//! 1. one `mmap` (owned at once, so a later failure unmaps it), one `MADV_NOHUGEPAGE` over
//!    the whole chunk, and every slot's guard installed by one batched `MADV_GUARD_INSTALL`
//!    (`process_madvise`, see `sys::advise_ranges`) *before* any slot is handed out: every
//!    stack is guarded, always;
//! 2. guards live in the page tables, so the chunk stays **one VMA** (and merges with its
//!    neighbours): nothing in a chunk is ever unmapped or `mprotect`ed on its own, which
//!    would split it and spend `vm.max_map_count`;
//! 3. chunks grow geometrically (`FIRST_SLOTS` slots, doubling up to `MAX_SLOTS` and
//!    `MAX_CHUNK_BYTES`), so a small pool reserves little and a burst of thousands of
//!    goroutines costs a handful of syscalls.
//!
//! ## Finding a stack's chunk
//! A [`Stack`] stays two words (a third made the pool's get and put much slower: wider moves
//! stall on store forwarding, ARCHITECTURE.md), so a carved stack does not point to its
//! chunk. Chunks
//! are kept in a process-wide registry ordered by address, looked up only when a stack
//! leaves use (dropped or discarded), never on `get`, `put` or `resume`. Each chunk counts
//! its `live` stacks, plus one while its depot still carves from it.
//!
//! ## Freeing: the policy and its trade-off
//! Dropping a carved stack (or the pool's queues overflowing on `put`) hands it back to
//! its depot's free list; the depot gives free stacks' memory back to the OS with
//! `MADV_DONTNEED`, batched (`RELEASE_BATCH` stacks per syscall; the newest free stacks stay
//! resident until a batch is full, so `get` reuses warm ones first). **A chunk is unmapped only when every stack carved from it has been
//! dropped for good**: at [`crate::StackPool::trim`] or when the pool is dropped (free stacks
//! are then discarded, and a chunk goes with its last stack), never while the pool lives and
//! holds it. The trade-off: after a burst, the pool keeps the burst's *address space*
//! reserved (and the page-table pages holding its guard markers, about one 4 KiB page per
//! 2 MiB of stacks), but not its memory; `trim` returns even that for chunks whose stacks
//! are all free. A chunk with one stack still in use stays mapped whole; the uncarved
//! remainder of the chunks being carved is given up at `trim`.
//!
//! `mprotect` guards are not carved: each would split the chunk into two more VMAs anyway,
//! and the per-stack mapping budget (`guard.rs`) counts standalone stacks only.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::guard::GuardKind;
use crate::stack::{Stack, map_error};
use crate::sys::{self, MADV_GUARD_INSTALL, MAX_BATCH, Mapping};

/// Slots in a depot's first chunk.
const FIRST_SLOTS: usize = 16;
/// Most slots in a chunk: one batched guard install covers them all.
const MAX_SLOTS: usize = MAX_BATCH;
/// Most address space one chunk reserves (big stacks get fewer slots, at least one).
const MAX_CHUNK_BYTES: usize = 256 << 20;
/// Free stacks whose memory is given back in one batched `MADV_DONTNEED`.
const RELEASE_BATCH: usize = 64;

/// One chunk mapping; unmapped when the last stack carved from it (and the depot, while it
/// still carves from it) lets go.
pub(crate) struct Chunk {
    /// Owned: dropping the chunk unmaps it whole.
    map: Mapping,
    /// Where dropped stacks of this chunk go while the pool lives.
    depot: Weak<Depot>,
    /// Carved stacks not yet discarded, plus one while the depot carves from the chunk.
    /// AcqRel on the decrement (as `Arc`'s): the last one sees every use of the memory.
    live: AtomicUsize,
}

/// Every mapped chunk by start address; it holds the chunk until `live` reaches 0.
static REGISTRY: Mutex<BTreeMap<usize, Arc<Chunk>>> = Mutex::new(BTreeMap::new());

fn registry() -> MutexGuard<'static, BTreeMap<usize, Arc<Chunk>>> {
    // Each step is one insert, lookup or removal: a panic cannot leave it half done.
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

impl Chunk {
    /// The chunk holding `addr` (a carved stack's start).
    fn find(addr: usize) -> Arc<Chunk> {
        let registry = registry();
        let chunk = registry.range(..=addr).next_back().map(|(_, c)| c);
        match chunk {
            Some(c) if addr < c.map.end() => c.clone(),
            _ => panic!("Chunk::find: no chunk holds the carved stack; addr = {addr:#x}"),
        }
    }

    /// Gives up one `live` unit; the last one removes the chunk from the registry, which
    /// unmaps it (once no thread is still looking at it).
    fn let_go(&self) {
        if self.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            let removed = registry().remove(&self.map.start());
            drop(removed); // outside the registry lock: may unmap
        }
    }

    /// A carved stack was dropped: back to its depot's free list, or, if the pool is gone,
    /// let go of the chunk (unmapped with its last stack).
    pub(crate) fn give_back(start: usize, len: usize) {
        let chunk = Chunk::find(start);
        match chunk.depot.upgrade() {
            Some(depot) => depot.recycle(Stack::carved(start, len)),
            None => chunk.let_go(),
        }
    }

    /// A carved stack leaves for good (trim, pool drop): its chunk loses a live stack.
    pub(crate) fn discard(start: usize) {
        Chunk::find(start).let_go();
    }
}

/// The depot's hold on the chunk it carves from: one `live` unit, given up on drop.
struct Carving(Arc<Chunk>);

impl Drop for Carving {
    fn drop(&mut self) {
        self.0.let_go();
    }
}

/// A pool's source of fresh stacks: the chunk being carved and the free list.
pub(crate) struct Depot {
    /// Guard page + usable size: one slot.
    stride: usize,
    state: Mutex<State>,
}

struct State {
    /// Chunks being carved, the last one first: usually one, more when threads that missed
    /// at once each mapped one (`get`).
    carving: Vec<Carve>,
    /// Slots of the next chunk.
    next_slots: usize,
    /// Free stacks, popped from the end. `free[..released]` have given their memory back;
    /// the rest are still resident.
    free: Vec<Stack>,
    released: usize,
}

/// A chunk being carved: the depot's hold on it, its first slot, next slot and slot count.
struct Carve {
    hold: Carving,
    start: usize,
    next: usize,
    slots: usize,
}

impl State {
    /// A free stack, else the next slot of a chunk being carved; `stride`: the depot's.
    fn take(&mut self, stride: usize) -> Option<Stack> {
        if let Some(stack) = self.free.pop() {
            self.released = self.released.min(self.free.len());
            return Some(stack);
        }
        let carve = self.carving.last_mut()?;
        carve.hold.0.live.fetch_add(1, Ordering::Relaxed); // the depot's unit keeps it above 0
        let start = carve.start + carve.next * stride;
        carve.next += 1;
        if carve.next == carve.slots {
            self.carving.pop(); // fully carved: the stacks keep it alive now
        }
        Some(Stack::carved(start, stride))
    }
}

impl Depot {
    /// A depot for stacks of `size` usable bytes (already checked and page-rounded).
    pub(crate) fn new(size: usize) -> Arc<Depot> {
        let stride = size + sys::page_size();
        let state =
            State { carving: Vec::new(), next_slots: FIRST_SLOTS, free: Vec::new(), released: 0 };
        Arc::new(Depot { stride, state: Mutex::new(state) })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state consistent (every step is a
        // single push, pop or assignment), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A free stack, or a slot of a chunk being carved, or one of a new chunk.
    ///
    /// A new chunk is mapped and guarded *outside* the lock: for a large chunk that takes
    /// hundreds of microseconds (one guard install per slot), and every other thread that
    /// misses the pool's caches meanwhile would sleep on the lock, its CPU idle. Threads that
    /// miss at once each map a chunk instead; the extra ones are carved after the first.
    ///
    /// # Errors
    /// The chunk cannot be mapped or guarded (see [`Stack::new`]).
    #[cold]
    pub(crate) fn get(self: &Arc<Self>) -> io::Result<Stack> {
        let want = {
            let mut state = self.lock();
            if let Some(stack) = state.take(self.stride) {
                return Ok(stack);
            }
            let want = state.next_slots;
            state.next_slots = (want * 2).min(MAX_SLOTS);
            want
        };
        let (chunk, start, slots) = self.map_chunk(want)?;
        let mut state = self.lock();
        state.carving.insert(0, Carve { hold: Carving(chunk), start, next: 0, slots });
        let stack = state.take(self.stride);
        Ok(stack.expect("Depot::get: a chunk with a free slot"))
    }

    /// Maps and guards a chunk of up to `want` slots; returns it, its start and slot count.
    fn map_chunk(self: &Arc<Self>, want: usize) -> io::Result<(Arc<Chunk>, usize, usize)> {
        let fit = (MAX_CHUNK_BYTES / self.stride).max(1);
        let slots = want.min(fit);
        let page = sys::page_size();
        let map = match Mapping::reserve(slots * self.stride) {
            Ok(map) => map,
            // Address space may be limited (`ulimit -v`): one slot is what a stack needs.
            Err(_) if slots > 1 => return self.map_chunk(1),
            Err(e) => return Err(map_error(GuardKind::Madvise, self.stride - page, e)),
        };
        // Best effort, as for a lone stack: huge pages are wasteful for stacks, not wrong.
        let _ = map.advise(map.start(), slots * self.stride, libc::MADV_NOHUGEPAGE);
        map.advise_strided(map.start(), self.stride, slots, page, MADV_GUARD_INSTALL)
            .map_err(|e| map_error(GuardKind::Madvise, self.stride - page, e))?;
        let start = map.start();
        let chunk = Arc::new(Chunk { map, depot: Arc::downgrade(self), live: AtomicUsize::new(1) });
        registry().insert(start, chunk.clone());
        Ok((chunk, start, slots))
    }

    /// Takes a free stack back; every `RELEASE_BATCH` of them give their memory back in one
    /// batched `MADV_DONTNEED`.
    pub(crate) fn recycle(&self, stack: Stack) {
        let mut state = self.lock();
        state.free.push(stack);
        let released = state.released;
        if state.free.len() - released < RELEASE_BATCH {
            return;
        }
        let ranges: Vec<(usize, usize)> =
            state.free[released..].iter().map(|s| (s.top() - s.size(), s.size())).collect();
        // Best effort: a failure leaves the memory resident, which is only wasteful.
        // SAFETY: each range is the usable part of a free stack this depot owns: no
        // coroutine runs on it and nothing references its memory, so zeroing it is harmless.
        let _ = unsafe { sys::advise_ranges(&ranges, libc::MADV_DONTNEED) };
        state.released = state.free.len();
    }

    /// Drops the free stacks for good and gives up the chunks being carved: chunks whose stacks
    /// are all free are unmapped.
    pub(crate) fn trim(&self) {
        let (free, carving) = {
            let mut state = self.lock();
            state.released = 0;
            (std::mem::take(&mut state.free), std::mem::take(&mut state.carving))
        };
        // Outside the lock: discarding may unmap chunks.
        free.into_iter().for_each(Stack::discard);
        drop(carving);
    }

    /// Free stacks held now (for tests and `Debug`).
    pub(crate) fn free_len(&self) -> usize {
        self.lock().free.len()
    }
}

impl Drop for Depot {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut state.free).into_iter().for_each(Stack::discard);
    }
}
