//! `StackPool`: stacks reused without a syscall — a per-thread cache in front of a shared
//! bounded queue (crossbeam's `ArrayQueue`), with deep stacks' pages given back on return.
//!
//! * `get`: this thread's cache, else the shared queue, else the miss path: with `madvise`
//!   guards a slot carved from a chunk mapping (`chunk.rs`: a free stack, or the next slot,
//!   or a new chunk of many stacks, so a burst costs a few syscalls per thousand stacks); with
//!   `mprotect` guards a stack mapped alone (each costs its own mappings anyway).
//! * `put`: a stack used deeper than `keep_resident` bytes first gives the pages below that
//!   line back (`MADV_DONTNEED`, see [`Stack::release_unused`]: the only syscall, and only for
//!   deep stacks), then goes to this thread's cache, else the shared queue, else (carved) to
//!   the chunk depot's free list, whose memory is given back in batches, or (mapped alone) is
//!   unmapped. RSS therefore falls after a burst of deep goroutines, and the memory a pool
//!   can hold is bounded by `(threads × local + shared) × stack size` plus a batch; the
//!   address space of a burst stays reserved until `trim` (the policy is in `chunk.rs`).
//! * `trim`: drops for good what the shared queue, this thread's cache and the depot's free
//!   list hold (chunks whose stacks are all free are unmapped), and bumps an epoch so every
//!   other thread drops its cached stacks at its next `get`/`put`.
//!
//! The per-thread cache is a thread-local, reached only through `with_cache`, which is
//! `#[inline(never)]` and never switches, so `get`/`put` are sound to call from anywhere, a
//! coroutine included (the coroutine gets
//! the cache of the thread it is on at that moment). A thread's caches go back to their pools
//! (or are unmapped, if the pool is gone) when the thread exits.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use crossbeam_queue::ArrayQueue;

use crate::chunk::Depot;
use crate::guard::GuardKind;
use crate::stack::{DEFAULT_STACK_SIZE, Stack, StackBuilder};

/// Stacks kept per thread per pool, by default.
pub const DEFAULT_LOCAL_CAPACITY: usize = 16;
/// Stacks kept in a pool's shared queue, by default.
pub const DEFAULT_SHARED_CAPACITY: usize = 1024;
/// Bytes below the top a returned stack keeps resident, by default (deeper pages go back).
pub const DEFAULT_KEEP_RESIDENT: usize = 32 * 1024;

/// A pool of equally sized stacks; `Send + Sync`, shared by all threads of a runtime.
pub struct StackPool {
    shared: Arc<Shared>,
}

struct Shared {
    builder: StackBuilder,
    stack_size: usize,
    guard: GuardKind,
    local_capacity: usize,
    keep_resident: usize,
    queue: ArrayQueue<Stack>,
    /// The miss path for `madvise`-guarded pools: chunks and the free list. `None` for
    /// `mprotect` pools, whose misses map a stack alone.
    depot: Option<Arc<Depot>>,
    /// Bumped by `trim`; a thread cache that saw an older value drops its stacks.
    /// Relaxed: it only asks caches to shrink, it publishes no data.
    epoch: AtomicUsize,
}

/// One thread's cache for one pool.
struct LocalCache {
    pool: Weak<Shared>,
    epoch: usize,
    stacks: Vec<Stack>,
}

impl Drop for LocalCache {
    fn drop(&mut self) {
        if let Some(shared) = self.pool.upgrade() {
            for stack in self.stacks.drain(..) {
                let _ = shared.queue.push(stack); // full: dropped, i.e. unmapped
            }
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // For good: a dropped carved stack would otherwise go back to the depot, dying too.
        while let Some(stack) = self.queue.pop() {
            stack.discard();
        }
    }
}

thread_local! {
    /// This thread's caches, one per pool it used. Touched only by the never-inlined,
    /// never-switching functions below.
    static CACHES: RefCell<Vec<LocalCache>> = const { RefCell::new(Vec::new()) };
}

impl fmt::Debug for StackPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StackPool")
            .field("stack_size", &self.shared.stack_size)
            .field("guard", &self.shared.guard)
            .field("shared_cached", &self.shared.queue.len())
            .field("depot_free", &self.depot_len())
            .finish()
    }
}

impl StackPool {
    /// A pool of stacks of `stack_size` usable bytes (rounded up to pages), with the default
    /// capacities and guard choice.
    ///
    /// # Errors
    /// `InvalidInput` for a size below [`crate::MIN_STACK_SIZE`] or too large to round.
    pub fn new(stack_size: usize) -> io::Result<StackPool> {
        StackPool::builder().stack_size(stack_size).build()
    }

    /// A builder for capacities, the guard kind and the resident-bytes threshold.
    pub fn builder() -> StackPoolBuilder {
        StackPoolBuilder::default()
    }

    /// The usable size of this pool's stacks.
    pub fn stack_size(&self) -> usize {
        self.shared.stack_size
    }

    /// Stacks waiting in the shared queue now (thread caches not counted).
    pub fn shared_len(&self) -> usize {
        self.shared.queue.len()
    }

    /// Free stacks in the chunk depot (behind the shared queue; their memory is given back in
    /// batches); 0 for an `mprotect` pool.
    pub fn depot_len(&self) -> usize {
        self.shared.depot.as_ref().map_or(0, |d| d.free_len())
    }

    /// A stack: from this thread's cache, the shared queue, or the miss path (a slot of a
    /// chunk mapping, or a fresh mapping for `mprotect` guards).
    ///
    /// # Errors
    /// Those of [`Stack::new`] when a fresh stack is needed.
    #[inline]
    pub fn get(&self) -> io::Result<Stack> {
        if let Some(stack) = self.local_pop() {
            return Ok(stack);
        }
        match self.shared.queue.pop() {
            Some(stack) => Ok(stack),
            None => self.fresh(),
        }
    }

    #[cold]
    fn fresh(&self) -> io::Result<Stack> {
        match &self.shared.depot {
            Some(depot) => depot.get(),
            None => self.shared.builder.build(),
        }
    }

    /// Returns a stack. One of another size or guard kind is simply dropped.
    #[inline]
    pub fn put(&self, stack: Stack) {
        let shared = &*self.shared;
        if stack.size() != shared.stack_size || stack.guard_kind() != shared.guard {
            return;
        }
        stack.release_unused(shared.keep_resident);
        if let Some(stack) = self.local_push(stack) {
            // Full: dropped, i.e. back to its chunk's depot, or unmapped if mapped alone.
            let _ = shared.queue.push(stack);
        }
    }

    /// Drops for good the stacks in the shared queue, in this thread's cache and in the
    /// chunk depot's free list (chunks whose stacks are all free are unmapped); other threads
    /// drop their cached stacks at their next `get` or `put`.
    pub fn trim(&self) {
        self.shared.epoch.fetch_add(1, Ordering::Relaxed);
        while let Some(stack) = self.shared.queue.pop() {
            stack.discard();
        }
        self.with_cache(|cache| cache.stacks.drain(..).for_each(Stack::discard));
        if let Some(depot) = &self.shared.depot {
            depot.trim();
        }
    }

    #[inline]
    fn local_pop(&self) -> Option<Stack> {
        self.with_cache(|cache| cache.stacks.pop()).flatten()
    }

    /// Caches `stack` on this thread, or hands it back when the cache is full or gone.
    #[inline]
    fn local_push(&self, stack: Stack) -> Option<Stack> {
        let mut stack = Some(stack);
        self.with_cache(|cache| {
            if cache.stacks.len() < self.shared.local_capacity {
                cache.stacks.push(stack.take().expect("pushed once"));
            }
        });
        stack
    }

    /// Runs `f` on this thread's cache for this pool (made on first use); `None` when the
    /// thread is exiting or the cache is already borrowed.
    #[inline(never)]
    fn with_cache<R>(&self, f: impl FnOnce(&mut LocalCache) -> R) -> Option<R> {
        let shared = &self.shared;
        CACHES
            .try_with(|caches| {
                let mut caches = caches.try_borrow_mut().ok()?;
                let epoch = shared.epoch.load(Ordering::Relaxed);
                let found =
                    caches.iter().position(|c| Weak::as_ptr(&c.pool) == Arc::as_ptr(shared));
                let index = match found {
                    Some(i) => i,
                    None => new_cache(&mut caches, shared, epoch),
                };
                let cache = &mut caches[index];
                if cache.epoch != epoch {
                    cache.epoch = epoch;
                    cache.stacks.drain(..).for_each(Stack::discard);
                }
                Some(f(cache))
            })
            .ok()
            .flatten()
    }
}

/// Adds a cache for `shared`, first dropping caches whose pool is gone; returns its index.
#[cold]
fn new_cache(caches: &mut Vec<LocalCache>, shared: &Arc<Shared>, epoch: usize) -> usize {
    caches.retain(|c| c.pool.strong_count() > 0);
    caches.push(LocalCache {
        pool: Arc::downgrade(shared),
        epoch,
        stacks: Vec::with_capacity(shared.local_capacity),
    });
    caches.len() - 1
}

impl Drop for StackPool {
    /// Reads the thread-local caches: never inlined, never switches (see `CACHES`).
    #[inline(never)]
    fn drop(&mut self) {
        // This thread's cache for the pool goes now; other threads' at their next cache
        // miss or exit (their `Weak` no longer upgrades, so the stacks are unmapped).
        let me = Arc::as_ptr(&self.shared);
        let _ = CACHES.try_with(|caches| {
            if let Ok(mut caches) = caches.try_borrow_mut() {
                caches.retain(|c| Weak::as_ptr(&c.pool) != me);
            }
        });
    }
}

/// Builds a [`StackPool`].
#[derive(Debug, Clone, Copy)]
pub struct StackPoolBuilder {
    stack_size: usize,
    guard: GuardKind,
    local_capacity: usize,
    shared_capacity: usize,
    keep_resident: usize,
}

impl Default for StackPoolBuilder {
    fn default() -> Self {
        StackPoolBuilder {
            stack_size: DEFAULT_STACK_SIZE,
            guard: GuardKind::Auto,
            local_capacity: DEFAULT_LOCAL_CAPACITY,
            shared_capacity: DEFAULT_SHARED_CAPACITY,
            keep_resident: DEFAULT_KEEP_RESIDENT,
        }
    }
}

impl StackPoolBuilder {
    /// Usable bytes per stack (default [`DEFAULT_STACK_SIZE`]).
    pub fn stack_size(mut self, n: usize) -> Self {
        self.stack_size = n;
        self
    }
    /// Guard mechanism of the pool's stacks (default `Auto`).
    pub fn guard(mut self, kind: GuardKind) -> Self {
        self.guard = kind;
        self
    }
    /// Stacks cached per thread (default [`DEFAULT_LOCAL_CAPACITY`]; 0 disables the cache).
    pub fn local_capacity(mut self, n: usize) -> Self {
        self.local_capacity = n;
        self
    }
    /// Stacks kept in the shared queue (default [`DEFAULT_SHARED_CAPACITY`], at least 1).
    pub fn shared_capacity(mut self, n: usize) -> Self {
        self.shared_capacity = n.max(1);
        self
    }
    /// Bytes below the top a returned stack keeps resident (default
    /// [`DEFAULT_KEEP_RESIDENT`]); deeper pages are given back on `put`.
    pub fn keep_resident(mut self, bytes: usize) -> Self {
        self.keep_resident = bytes;
        self
    }

    /// Checks the size and guard choice; maps nothing yet.
    ///
    /// # Errors
    /// `InvalidInput` for a bad size; `Unsupported` for `Madvise` on a kernel before 6.13.
    pub fn build(self) -> io::Result<StackPool> {
        let stack_size = StackBuilder::checked_size(self.stack_size)?;
        let guard = self.guard.resolve()?;
        Ok(StackPool {
            shared: Arc::new(Shared {
                builder: StackBuilder::new().size(stack_size).guard(guard),
                stack_size,
                guard,
                local_capacity: self.local_capacity,
                keep_resident: self.keep_resident,
                queue: ArrayQueue::new(self.shared_capacity),
                depot: (guard == GuardKind::Madvise).then(|| Depot::new(stack_size)),
                epoch: AtomicUsize::new(0),
            }),
        })
    }
}
