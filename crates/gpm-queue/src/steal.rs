//! `Stealer<T>`: a thief's handle on someone else's P-local queue (Go's `runqsteal` /
//! `runqgrab`). A steal claims half the ring with one CAS on `head`, copies the items out,
//! then releases the slots with a second CAS so the owner may reuse them.

use crate::local::Local;
use crate::ring::{
    CAP, END_STEAL, Inner, NEXT_EMPTY, NEXT_FULL, NEXT_READING, is_stealing, real, stealing,
};
use crate::sync::{Arc, Ordering::*};

/// A thief's handle on a P-local queue: `Clone + Send + Sync`, any number of threads.
pub struct Stealer<T> {
    pub(crate) inner: Arc<Inner<T>>,
}

impl<T> Clone for Stealer<T> {
    fn clone(&self) -> Self {
        Stealer { inner: self.inner.clone() }
    }
}

impl<T> core::fmt::Debug for Stealer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Stealer").field("len", &self.len()).finish_non_exhaustive()
    }
}

/// Outcome of trying to claim part of the ring.
enum Claim {
    /// `(first index, count)`, now ours to copy out.
    Got(u32, u32),
    /// Nothing in the ring.
    Empty,
    /// Another thief is mid-steal: the caller should try another victim.
    Busy,
}

impl<T> Stealer<T> {
    /// Items in the victim's ring plus its `runnext`: a snapshot, possibly stale at once.
    pub fn len(&self) -> usize {
        // Relaxed: a hint for choosing victims; it orders nothing. A torn snapshot or an
        // owner's overshooting pop (`real = tail + 1`) counts as empty.
        let real = real(self.inner.head.load(Relaxed));
        let tail = self.inner.owner.tail.load(Relaxed);
        let next = self.inner.owner.next_state.load(Relaxed) == NEXT_FULL;
        let ring = tail.wrapping_sub(real);
        (if ring > CAP { 0 } else { ring as usize }) + next as usize
    }

    /// Whether the victim's `runnext` holds an item (a snapshot). Lets the scheduler do what
    /// Go's `runqgrab` does before taking it: only when the ring is empty and, if the victim P
    /// is running, after sleeping ~3 µs so its owner gets the chance to run it first:
    ///
    /// ```
    /// # use gpm_queue::{Global, local};
    /// # let (mut victim, stealer) = local::<u32>();
    /// # let (mut mine, _) = local::<u32>();
    /// # let global = Global::new();
    /// # victim.push_next(7, &global);
    /// # let victim_is_running = false;
    /// let got = stealer.steal_into(&mut mine).or_else(|| {
    ///     if !stealer.has_runnext() {
    ///         return None;
    ///     }
    ///     if victim_is_running {
    ///         std::thread::sleep(std::time::Duration::from_micros(3));
    ///     }
    ///     stealer.steal_into_with_runnext(&mut mine)
    /// });
    /// assert_eq!(got, Some(7));
    /// ```
    pub fn has_runnext(&self) -> bool {
        // Relaxed: a hint; the CAS in `steal_next` decides.
        self.inner.owner.next_state.load(Relaxed) == NEXT_FULL
    }

    /// `len() == 0`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: Send> Stealer<T> {
    /// Steals half of the victim's ring, rounded up (Go's `n - n/2`), in one CAS: returns the
    /// last stolen item to run now and pushes the others, in order, onto `dst`. Takes fewer when
    /// `dst` has less room. Returns `None` if the ring is empty, if another thief is mid-steal
    /// on this victim (try another one), or if `dst` is this very queue.
    #[inline]
    pub fn steal_into(&self, dst: &mut Local<T>) -> Option<T> {
        self.steal(dst, false)
    }

    /// As [`steal_into`](Self::steal_into); if the ring is empty, also takes the victim's
    /// `runnext`. Go does this only on its last stealing pass, and first sleeps ~3 µs when the
    /// victim P is running, because its owner is probably about to run that item: that policy
    /// belongs to the scheduler, which knows whether the victim is running.
    pub fn steal_into_with_runnext(&self, dst: &mut Local<T>) -> Option<T> {
        self.steal(dst, true)
    }

    fn steal(&self, dst: &mut Local<T>, runnext: bool) -> Option<T> {
        if Arc::ptr_eq(&self.inner, &dst.inner) {
            return None;
        }
        // We may take one more item than `dst` has room for: that one is returned.
        let max = dst.room() + 1;
        let (first, n) = match self.claim(max) {
            Claim::Got(first, n) => (first, n),
            Claim::Empty if runnext => return self.steal_next(),
            Claim::Empty | Claim::Busy => return None,
        };
        let src = &*self.inner;
        for i in 0..n - 1 {
            // SAFETY: (1) `claim` gave us `[first, first + n)` and the owner will not reuse it
            // before `release`; (2) `i < n - 1 <= dst.room()`, so the dst slot is free.
            unsafe { dst.write_unpublished(i, src.read(first.wrapping_add(i))) };
        }
        // SAFETY: the last claimed slot, ours as above.
        let ret = unsafe { src.read(first.wrapping_add(n - 1)) };
        self.release();
        dst.publish(n - 1);
        Some(ret)
    }

    /// Claims `min(ceil(len / 2), max)` items at the head with one CAS that moves `real` and
    /// records `steal` (the old `real`), so the owner still sees the slots as used while we
    /// copy them out.
    fn claim(&self, max: u32) -> Claim {
        let head = &self.inner.head;
        // Acquire: pairs with the Release in every RMW on `head` (the owner's `pop_ring` and
        // `overflow`, other thieves' `claim` and `release`): whoever set this `real` had seen a
        // `tail >= real`, so the `tail` we load next is at least that (no negative length).
        let mut prev = head.load(Acquire);
        let mut stale = 0;
        loop {
            if is_stealing(prev) {
                return Claim::Busy;
            }
            let real = real(prev);
            // Acquire: pairs with the owner's Release store in `Local::publish`: the items in
            // `[real, tail)` are fully written before we read them.
            let tail = self.inner.owner.tail.load(Acquire);
            let len = tail.wrapping_sub(real);
            if len > CAP {
                // Our `head` is stale (consumers moved on and the owner pushed past it), or the
                // owner's pop overshot an empty ring and is about to undo it. Re-read with an
                // RMW, which always sees the latest value (a plain load may legally keep
                // returning the stale one, and loom explores exactly that); give up after a few
                // tries rather than wait on an owner that may be preempted.
                stale += 1;
                if stale > 3 {
                    return Claim::Busy;
                }
                prev = head.fetch_add(0, Acquire);
                continue;
            }
            let n = (len - len / 2).min(max);
            if n == 0 {
                return Claim::Empty;
            }
            let next = stealing(real, real.wrapping_add(n));
            // AcqRel on success, Acquire on failure: as for the first load, and Release so the
            // next consumer to see our `real` also sees a `tail >= real`. The CAS is the
            // steal's linearization point: it fails if the owner popped or another thief claimed.
            match head.compare_exchange_weak(prev, next, AcqRel, Acquire) {
                Ok(_) => return Claim::Got(real, n),
                Err(actual) => prev = actual,
            }
        }
    }

    /// Ends a steal: clears the steal mark, handing the claimed slots back to the owner. No CAS
    /// loop: the owner only ever changes `real`, and no other thief claims while we are marked.
    fn release(&self) {
        // Release: pairs with the owner's Acquire loads of `head` (`Local::room`, `push_slow`,
        // `pop_ring`): our reads of the claimed slots happen-before it reuses them.
        self.inner.head.fetch_and(END_STEAL, Release);
    }

    /// Takes the victim's `runnext` (only when its ring is empty and the caller asked).
    #[cold]
    fn steal_next(&self) -> Option<T> {
        let owner = &self.inner.owner;
        // Relaxed: a cheap filter; the CAS below decides.
        if owner.next_state.load(Relaxed) != NEXT_FULL {
            return None;
        }
        // Acquire: pairs with the owner's Release store of FULL after writing the cell.
        owner.next_state.compare_exchange(NEXT_FULL, NEXT_READING, Acquire, Relaxed).ok()?;
        // SAFETY: we moved FULL -> READING: the item is ours, and the owner writes the cell
        // only after it sees EMPTY, which we store below after this read.
        let item = owner.next.with(|p| unsafe { (*p).assume_init_read() });
        // Release: pairs with the owner's Acquire load in `push_next`: our read of the cell
        // happens-before its next write.
        owner.next_state.store(NEXT_EMPTY, Release);
        Some(item)
    }
}
