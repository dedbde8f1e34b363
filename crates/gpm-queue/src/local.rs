//! `Local<T>`: the owner's handle on a P-local queue (Go's `runqput` / `runqget` /
//! `runqputslow`). Only the owner writes slots and `tail`; it consumes with a CAS on `head`.

use core::cell::Cell;
use core::marker::PhantomData;

use crate::global::Global;
use crate::ring::{
    CAP, Inner, NEXT_EMPTY, NEXT_FULL, ONE_REAL, first_busy, idle, is_stealing, real,
};
use crate::steal::Stealer;
use crate::sync::{Arc, Ordering::*};

/// Where [`Local::pop_with_source`] found the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// From the `runnext` slot: Go lets such a goroutine inherit the current time slice, so a
    /// producer–consumer pair ping-ponging through `runnext` cannot starve the ring.
    RunNext,
    /// From the head of the ring (FIFO order).
    Ring,
}

/// Creates a P-local queue: the owner handle and a first thief handle (clone it freely).
pub fn local<T>() -> (Local<T>, Stealer<T>) {
    let inner = Arc::new(Inner::new());
    let stealer = Stealer { inner: inner.clone() };
    let local = Local {
        inner,
        tail: 0,
        steal_bound: 0,
        real_hint: 0,
        next_full: false,
        _not_sync: PhantomData,
    };
    (local, stealer)
}

/// The owner's handle on a P-local run queue: a ring of [`CAPACITY`](crate::CAPACITY) slots plus
/// the one-item `runnext` slot.
///
/// `Send` (a P moves between threads with its queue) but not `Sync`: every method that touches
/// the ring takes `&mut self`, and the protocol relies on there being one producer.
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<gpm_queue::Local<u32>>(); // Local is !Sync: only one owner may push
/// ```
pub struct Local<T> {
    pub(crate) inner: Arc<Inner<T>>,
    /// Mirror of `inner.owner.tail`: only this handle stores it, so it never needs a load.
    pub(crate) tail: u32,
    /// A `first_busy` index loaded with Acquire (from `head`), never ahead of the current one:
    /// every slot before it has been released by all consumers. Lets `push` skip `head`.
    pub(crate) steal_bound: u32,
    /// A `real` we saw, never ahead of the current one: `tail == real_hint` means empty for
    /// sure, so `pop` on an empty ring touches no shared line.
    real_hint: u32,
    /// False only when `runnext` is certainly not `NEXT_FULL` (only the owner sets `FULL`), so
    /// `pop` skips the atomic when we never used `runnext`.
    next_full: bool,
    _not_sync: PhantomData<Cell<()>>,
}

impl<T> core::fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Local").field("len", &self.len()).finish_non_exhaustive()
    }
}

impl<T> Local<T> {
    /// Items in the ring plus the one in `runnext`, if any. Exact when no thief is active.
    pub fn len(&self) -> usize {
        // Relaxed: a snapshot for statistics and heuristics; it orders nothing.
        let real = real(self.inner.head.load(Relaxed));
        let next = self.inner.owner.next_state.load(Relaxed) == NEXT_FULL;
        // A pop that overshot an emptied ring (see `pop_ring`) shows as `real = tail + 1`.
        let ring = self.tail.wrapping_sub(real);
        (if ring > CAP { 0 } else { ring as usize }) + next as usize
    }

    /// `len() == 0`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Another thief handle on this queue.
    pub fn stealer(&self) -> Stealer<T> {
        Stealer { inner: self.inner.clone() }
    }

    /// Free slots in the ring as far as we know; refreshes `steal_bound` (an Acquire load of
    /// `head`) only when the cached bound says less than half the ring is free.
    #[inline]
    pub(crate) fn room(&mut self) -> u32 {
        let used = self.tail.wrapping_sub(self.steal_bound);
        if used > CAP / 2 {
            // Acquire: pairs with the Release `fetch_and` that ends each steal
            // (`Stealer::release`), so thieves' reads of the slots before `steal`
            // happen-before we reuse them.
            self.steal_bound = first_busy(self.inner.head.load(Acquire), self.tail);
        }
        CAP - self.tail.wrapping_sub(self.steal_bound)
    }

    /// Writes `item` at `tail + offset` without publishing it.
    ///
    /// # Safety
    /// `offset < self.room()` as last computed, and no other write to that offset is pending.
    #[inline(always)]
    pub(crate) unsafe fn write_unpublished(&mut self, offset: u32, item: T) {
        // SAFETY: forwarded: the slot is before `steal_bound + CAP`, so free, and unpublished.
        unsafe { self.inner.write(self.tail.wrapping_add(offset), item) }
    }

    /// Publishes `n` items written by `write_unpublished`.
    #[inline(always)]
    pub(crate) fn publish(&mut self, n: u32) {
        self.tail = self.tail.wrapping_add(n);
        // Release: pairs with the Acquire load of `tail` in `Stealer::claim`; the slot writes
        // before this store are visible to any thief that sees the new tail.
        self.inner.owner.tail.store(self.tail, Release);
    }
}

impl<T: Send> Local<T> {
    /// Pushes `item` at the tail. If the ring is full, moves half of it plus `item` to
    /// `global` in one batch (Go's `runqputslow`).
    #[inline]
    pub fn push(&mut self, item: T, global: &Global<T>) {
        if self.tail.wrapping_sub(self.steal_bound) < CAP {
            // SAFETY: offset 0 < room: the slot is before `steal_bound + CAP`.
            unsafe { self.write_unpublished(0, item) };
            self.publish(1);
        } else {
            self.push_slow(item, global);
        }
    }

    /// `push` when the cached bound says the ring is full.
    #[cold]
    #[inline(never)]
    fn push_slow(&mut self, mut item: T, global: &Global<T>) {
        loop {
            // Acquire: as in `room()`: the `steal` we see decides which slots we may reuse.
            // One load decides both "is there room" and "may we spill": with two loads, thieves
            // could drain the ring below half in between, and the spill would claim past `tail`.
            let head = self.inner.head.load(Acquire);
            self.steal_bound = first_busy(head, self.tail);
            if self.tail.wrapping_sub(self.steal_bound) < CAP {
                // SAFETY: offset 0 < room: the slot is before `steal + CAP`.
                unsafe { self.write_unpublished(0, item) };
                self.publish(1);
                return;
            }
            if is_stealing(head) {
                // A thief is copying out `[steal, real)`: room is coming, but we do not wait
                // for it (the thief may be preempted). Only `item` goes to the global queue.
                global.push(item);
                return;
            }
            // Full (`tail - real == CAP`) and no steal in flight.
            match self.overflow(item, real(head), global) {
                Ok(()) => return,
                Err(back) => item = back, // a consumer moved `head`; look again
            }
        }
    }

    /// Go's `runqputslow`: claims the older half of a full ring with one CAS on `head` and
    /// moves it, then `item`, to `global` under one lock.
    fn overflow(&mut self, item: T, real: u32, global: &Global<T>) -> Result<(), T> {
        let half = CAP / 2;
        let end = real.wrapping_add(half);
        // AcqRel on success: Acquire makes our new `steal_bound` (= `end`) cover the releases
        // of earlier steals, as in `room()`; Release pairs with the Acquire `head` loads in
        // `Stealer::claim`: a thief that sees this `head` also sees a `tail` at least this new
        // (else it could compute a negative length). The slots themselves were written by us.
        let claimed = self.inner.head.compare_exchange(idle(real), idle(end), AcqRel, Relaxed);
        if claimed.is_err() {
            return Err(item);
        }
        self.steal_bound = end;
        self.real_hint = end;
        let inner = &*self.inner;
        let moved = (0..half).map(|i| {
            // SAFETY: the CAS gave us `[real, real + half)`: initialised, no one else reads them.
            unsafe { inner.read(real.wrapping_add(i)) }
        });
        global.push_batch(moved.chain(core::iter::once(item)));
        Ok(())
    }

    /// Whether the ring may hold an item, from the owner's own view: reads no shared line
    /// (the thieves' `head` bounces between cores while they poll). `false` is exact: the
    /// ring is empty. `true` may be stale: thieves may have emptied it since.
    #[inline]
    pub fn ring_may_have_items(&self) -> bool {
        self.tail != self.real_hint
    }

    /// Whether the queue may hold an item (the ring or `runnext`), from the owner's own view
    /// as [`ring_may_have_items`](Self::ring_may_have_items): `false` is exact, `true` may be
    /// stale.
    #[inline]
    pub fn may_have_items(&self) -> bool {
        self.next_full || self.ring_may_have_items()
    }

    /// Whether the next [`push_next`](Self::push_next) may spill half the ring to the global
    /// queue (`runnext` is taken and the ring full), from the owner's cached view: `false`
    /// is exact, `true` may be stale (thieves may have made room).
    #[inline]
    pub fn push_next_may_spill(&self) -> bool {
        self.next_full && self.tail.wrapping_sub(self.steal_bound) >= CAP
    }

    /// A hint before a [`push_next`](Self::push_next) a little later: fetches the `runnext`
    /// line for writing now. A thief polling this queue pulls that line away, and the CAS in
    /// `push_next` then stalls until it is back; fetched ahead, the wait overlaps the
    /// caller's work in between. No effect on the queue's contents; a no-op off x86-64.
    #[inline(always)]
    pub fn prefetch_next(&self) {
        #[cfg(target_arch = "x86_64")]
        {
            use core::arch::x86_64::{_MM_HINT_ET0, _mm_prefetch};
            let line = core::ptr::from_ref(&self.inner.owner.next_state).cast::<i8>();
            // SAFETY: `prefetchw` reads no memory architecturally and cannot fault.
            unsafe { _mm_prefetch::<_MM_HINT_ET0>(line) };
        }
    }

    /// Puts `item` in `runnext`; the item it replaces goes to the tail (Go's `runqput` with
    /// `next = true`). Use it for a goroutine readied by the running one: it runs next.
    #[inline]
    pub fn push_next(&mut self, item: T, global: &Global<T>) {
        let next = &self.inner.owner;
        if self.next_full {
            // Relaxed: only the owner writes the cell, so the CAS orders no data for us; it
            // only decides against a thief's CAS(FULL -> READING) who owns the item.
            if next.next_state.compare_exchange(NEXT_FULL, NEXT_EMPTY, Relaxed, Relaxed).is_ok() {
                // SAFETY: we won `next` back and hold it exclusively (state is EMPTY and only
                // the owner leaves EMPTY): swap the old item out and the new one in.
                let old = next.next.with_mut(|p| unsafe {
                    core::mem::replace(&mut *p, core::mem::MaybeUninit::new(item)).assume_init()
                });
                // Release: pairs with the thief's Acquire CAS(FULL -> READING).
                next.next_state.store(NEXT_FULL, Release);
                self.push(old, global);
                return;
            }
            self.next_full = false; // a thief took it
        }
        // Acquire: pairs with the thief's Release store of EMPTY after it copied the previous
        // item out, so that read happens-before our write below.
        if next.next_state.load(Acquire) == NEXT_EMPTY {
            // SAFETY: state EMPTY: no item in the cell and no thief reading it; only we write.
            next.next.with_mut(|p| unsafe { (*p).write(item) });
            // Release: pairs with the thief's Acquire CAS(FULL -> READING): the item is visible.
            next.next_state.store(NEXT_FULL, Release);
            self.next_full = true;
        } else {
            // READING: a thief is still copying out the previous item. Rather than wait for it
            // (it may be preempted), the new item goes to the tail: nothing is lost, it only
            // loses its place in line in this rare race.
            self.push(item, global);
        }
    }

    /// Takes the next item: `runnext` first, then the head of the ring (Go's `runqget`).
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        self.pop_with_source().map(|(item, _)| item)
    }

    /// As [`pop`](Self::pop), also saying where the item came from.
    #[inline]
    pub fn pop_with_source(&mut self) -> Option<(T, crate::Source)> {
        if self.next_full
            && let Some(item) = self.take_next()
        {
            return Some((item, Source::RunNext));
        }
        self.pop_ring().map(|item| (item, Source::Ring))
    }

    /// Takes `runnext` back unless a thief won it.
    #[inline]
    fn take_next(&mut self) -> Option<T> {
        self.next_full = false;
        let next = &self.inner.owner;
        // Relaxed: the owner wrote the cell itself; the CAS only decides ownership against a
        // thief's CAS(FULL -> READING).
        if next.next_state.compare_exchange(NEXT_FULL, NEXT_EMPTY, Relaxed, Relaxed).is_ok() {
            // SAFETY: we moved FULL -> EMPTY, so the initialised item is ours alone.
            Some(next.next.with(|p| unsafe { (*p).assume_init_read() }))
        } else {
            None
        }
    }

    /// Takes the item at the head of the ring: one `fetch_add` on `real`, no CAS loop.
    #[inline]
    fn pop_ring(&mut self) -> Option<T> {
        if self.tail == self.real_hint {
            return None; // `real_hint <= real <= tail`: empty
        }
        // AcqRel. Acquire: the `first_busy` we cache must cover the releases of finished steals
        // (see `room()`); the slot itself was written by us. Release: pairs with the Acquire
        // `head` loads in `Stealer::claim`: a thief that sees our new `real` sees a `tail`
        // at least as new. Unlike a CAS, `fetch_add` does not wait on a load of `head` first.
        let prev = self.inner.head.fetch_add(ONE_REAL, AcqRel);
        let real = real(prev);
        if real == self.tail {
            // Thieves took the rest since `real_hint`: we overshot to `tail + 1`. Undo. Until
            // then thieves see a negative length and back off (`Claim::Busy`); nobody else
            // moves `real` meanwhile. Release: as above (`real` returns to `tail`).
            self.inner.head.fetch_sub(ONE_REAL, Release);
            self.real_hint = real;
            self.steal_bound = first_busy(prev, self.tail);
            return None;
        }
        // Still a lower bound of `real`, but not computed from the `fetch_add`'s result, so
        // the next pop's emptiness check does not wait on this one's RMW.
        self.real_hint = self.real_hint.wrapping_add(1);
        // `steal_bound` is left alone: `push` refreshes it when it runs out (a load per
        // `CAPACITY / 2` pushes at most), which is cheaper than updating it on every pop.
        // SAFETY: our `fetch_add` claimed index `real` < tail: initialised, and no thief
        // will read it (thieves claim from the new `real` on).
        Some(unsafe { self.inner.read(real) })
    }

    /// Takes everything (Go's `runqdrain`, for shutdown): `runnext`, then the ring in order.
    /// Items a concurrent thief wins are not yielded.
    pub fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        core::iter::from_fn(move || self.pop())
    }
}

#[cfg(all(test, not(gpm_loom)))]
mod tests {
    use super::*;

    /// A queue whose indices start at `start` (as if `start` items had passed through).
    fn local_at(start: u32) -> (Local<u32>, Stealer<u32>) {
        let (mut q, s) = local();
        q.inner.head.store(idle(start), Relaxed);
        q.inner.owner.tail.store(start, Relaxed);
        (q.tail, q.steal_bound, q.real_hint) = (start, start, start);
        (q, s)
    }

    /// Push, pop, steal and spill across the `u32` wrap of the indices.
    #[test]
    fn indices_wrap_around_u32() {
        let g = Global::new();
        for start in [u32::MAX - CAP, u32::MAX - 5, u32::MAX] {
            let (mut q, s) = local_at(start);
            let (mut thief, _) = local_at(start.wrapping_sub(77));
            for i in 0..=CAP {
                q.push(i, &g); // the last one spills half + 1
            }
            assert_eq!((q.len(), g.len()), (CAP as usize / 2, CAP as usize / 2 + 1));
            assert_eq!(s.steal_into(&mut thief), Some(CAP / 2 + CAP / 4 - 1));
            assert_eq!(
                thief.drain().collect::<Vec<_>>(),
                (CAP / 2..CAP / 2 + CAP / 4 - 1).collect::<Vec<_>>()
            );
            assert_eq!(q.drain().collect::<Vec<_>>(), (CAP / 2 + CAP / 4..CAP).collect::<Vec<_>>());
            assert_eq!(q.pop(), None);
            q.push(7, &g);
            assert_eq!(q.pop(), Some(7));
            std::iter::from_fn(|| g.pop()).for_each(drop);
        }
    }

    /// `push_next_may_spill` says `true` exactly when the next `push_next` displaces a
    /// `runnext` item into a full ring (and then spills), and `false` otherwise.
    #[test]
    fn push_next_may_spill_predicts_the_spill() {
        let g = Global::new();
        let (mut q, _s) = local();
        assert!(!q.push_next_may_spill(), "empty");
        for i in 0..CAP {
            q.push(i, &g);
        }
        assert!(!q.push_next_may_spill(), "ring full, runnext empty: no spill");
        q.push_next(1000, &g);
        assert_eq!(g.len(), 0);
        assert!(q.push_next_may_spill(), "ring full and runnext taken");
        q.push_next(1001, &g);
        assert!(!g.is_empty(), "the push spilled");
        assert!(!q.push_next_may_spill(), "room again after the spill");
        std::iter::from_fn(|| g.pop()).for_each(drop);
    }
}
