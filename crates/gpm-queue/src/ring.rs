//! The shared part of a P-local queue: the ring of `CAPACITY` slots, its `head`/`tail`
//! indices and the `runnext` slot. `Local` (owner) and `Stealer` (thieves) are handles on it;
//! the protocol is described in the crate docs and, per atomic, at each use.

use core::mem::MaybeUninit;

use crate::CAPACITY;
use crate::pad::CachePadded;
use crate::sync::{AtomicU8, AtomicU32, AtomicU64, Ordering, UnsafeCell};

/// `CAPACITY` as the index type.
pub(crate) const CAP: u32 = CAPACITY as u32;
/// Index → slot: `CAPACITY` is a power of two.
const MASK: u32 = CAP - 1;

const _: () = assert!(CAPACITY.is_power_of_two() && CAPACITY >= 2 && CAPACITY <= 1 << 16);

/// `runnext` holds nothing.
pub(crate) const NEXT_EMPTY: u8 = 0;
/// `runnext` holds an item; whoever CASes `FULL` away owns it.
pub(crate) const NEXT_FULL: u8 = 1;
/// A thief won the item and is copying it out; the cell is still busy.
pub(crate) const NEXT_READING: u8 = 2;

/// `head`'s low half while a steal is in flight: this bit, plus the low 31 bits of `steal`.
const STEALING: u32 = 1 << 31;
/// The bits of `steal` kept in `head`'s low half.
const STEAL_BITS: u32 = STEALING - 1;
/// Adds one to `real` (the high half): the owner's pop is a `fetch_add` of this.
pub(crate) const ONE_REAL: u64 = 1 << 32;
/// `fetch_and` mask that ends a steal: clears the low half, keeps `real`.
pub(crate) const END_STEAL: u64 = !(u32::MAX as u64);

/// `head` with `real` and no steal in flight.
///
/// `head` is one `AtomicU64`: `real` (the first item no consumer has claimed) in the high half,
/// and in the low half `0`, or `STEALING | steal` while a thief copies out `[steal, real)`.
/// `real` is high so that the owner's pop is a plain `fetch_add(ONE_REAL)` (a carry falls off
/// the top) that leaves a steal in flight untouched, and a steal ends with one `fetch_and`.
#[inline(always)]
pub(crate) const fn idle(real: u32) -> u64 {
    (real as u64) << 32
}

/// `head` after a thief claimed `[steal, real)`.
#[inline(always)]
pub(crate) const fn stealing(steal: u32, real: u32) -> u64 {
    ((real as u64) << 32) | (STEALING | (steal & STEAL_BITS)) as u64
}

/// `real`: the first index not yet claimed by a consumer.
#[inline(always)]
pub(crate) const fn real(head: u64) -> u32 {
    (head >> 32) as u32
}

/// Whether a thief is copying items out.
#[inline(always)]
pub(crate) const fn is_stealing(head: u64) -> bool {
    head as u32 & STEALING != 0
}

/// The first index a consumer may still be reading (`steal` while stealing, else `real`),
/// rebuilt in full from the 31 stored bits and `tail` (`tail - steal` is at most `CAPACITY`).
#[inline(always)]
pub(crate) const fn first_busy(head: u64, tail: u32) -> u32 {
    let low = head as u32;
    if low & STEALING != 0 {
        tail.wrapping_sub(tail.wrapping_sub(low) & STEAL_BITS)
    } else {
        real(head)
    }
}

/// The owner-written line: `tail` and the `runnext` cell (written only by the owner) and the
/// cell's state byte (written by the owner and by a thief taking `runnext`). Thieves read
/// `tail` on every steal and touch `runnext` only on a last-resort steal.
pub(crate) struct OwnerLine<T> {
    /// One past the last pushed index. Stored only by the owner (Release), loaded by thieves.
    pub(crate) tail: AtomicU32,
    /// `NEXT_EMPTY` / `NEXT_FULL` / `NEXT_READING`: who owns `next`.
    pub(crate) next_state: AtomicU8,
    /// Go's `runnext`: written only by the owner while `next_state` is `NEXT_EMPTY` (and no
    /// thief is reading), read by whoever moves `next_state` away from `NEXT_FULL`.
    pub(crate) next: UnsafeCell<MaybeUninit<T>>,
}

/// Shared state of one P-local queue.
pub(crate) struct Inner<T> {
    /// `real` and the steal in flight, if any: see [`idle`].
    pub(crate) head: CachePadded<AtomicU64>,
    /// `tail` + `runnext`, on their own lines (see `pad.rs` for why).
    pub(crate) owner: CachePadded<OwnerLine<T>>,
    /// The ring. Slot `i & MASK` for every index `i` in `[steal, tail)` holds an initialised item;
    /// `[steal, real)` belongs to the thief copying it out, `[real, tail)` to the queue.
    /// Inline (not boxed): one allocation per queue and one pointer hop less per slot access.
    buffer: [UnsafeCell<MaybeUninit<T>>; CAPACITY],
}

// SAFETY: (Send) the queue owns its items and hands each to exactly one thread, so sending the
// queue sends `T`s, which needs `T: Send`.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: (Sync) shared access never produces `&T`: the head/tail protocol gives every slot
// access a single owner at a time (a slot is written only outside `[steal, tail)` by the owner
// and read only after a successful CAS claimed it), and `next_state` does the same for
// `runnext`. Items only *move* between threads, so `T: Send` is enough; `T: Sync` is not needed.
unsafe impl<T: Send> Sync for Inner<T> {}

impl<T> Inner<T> {
    pub(crate) fn new() -> Self {
        let buffer = core::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit()));
        Inner {
            head: CachePadded(AtomicU64::new(0)),
            owner: CachePadded(OwnerLine {
                tail: AtomicU32::new(0),
                next_state: AtomicU8::new(NEXT_EMPTY),
                next: UnsafeCell::new(MaybeUninit::uninit()),
            }),
            buffer,
        }
    }

    #[inline(always)]
    fn slot(&self, index: u32) -> &UnsafeCell<MaybeUninit<T>> {
        // The mask keeps the index in bounds, so the check below is elided.
        &self.buffer[(index & MASK) as usize]
    }

    /// Moves the item out of slot `index`.
    ///
    /// # Safety
    /// The caller owns slot `index` (claimed it by a successful CAS on `head`, or is the owner
    /// and the slot is in `[real, tail)` claimed by its own CAS) and it holds an initialised item
    /// that nobody else will read.
    #[inline(always)]
    pub(crate) unsafe fn read(&self, index: u32) -> T {
        // SAFETY: the caller guarantees exclusive access to an initialised slot.
        self.slot(index).with(|p| unsafe { (*p).assume_init_read() })
    }

    /// Writes `item` into slot `index`.
    ///
    /// # Safety
    /// The caller is the owner, `index` is outside `[steal, tail)` for a `steal` it loaded with
    /// Acquire (so every thief that read the slot's previous item is done), and the slot is
    /// published only by a later Release store of `tail`.
    #[inline(always)]
    pub(crate) unsafe fn write(&self, index: u32, item: T) {
        // SAFETY: the caller guarantees the slot is free and no one else touches it.
        self.slot(index).with_mut(|p| unsafe { (*p).write(item) });
    }
}

impl<T> Drop for Inner<T> {
    fn drop(&mut self) {
        // Last handle gone: no thief or owner remains, so plain loads see the final values.
        let real = real(self.head.load(Ordering::Relaxed));
        let tail = self.owner.tail.load(Ordering::Relaxed);
        let mut i = real;
        while i != tail {
            // SAFETY: `[real, tail)` holds initialised items no one has taken, and no other
            // handle exists, so each is dropped here exactly once.
            drop(unsafe { self.read(i) });
            i = i.wrapping_add(1);
        }
        if self.owner.next_state.load(Ordering::Relaxed) == NEXT_FULL {
            // SAFETY: `NEXT_FULL` means `next` holds an item nobody took; we are the last handle.
            self.owner.next.with(|p| drop(unsafe { (*p).assume_init_read() }));
        }
    }
}

#[cfg(all(test, not(gpm_loom)))]
mod tests {
    use super::*;

    /// The 31 stored bits of `steal` and `tail` rebuild the full index, across every wrap.
    #[test]
    fn first_busy_rebuilds_steal_across_wraps() {
        for steal in [0, 1, STEAL_BITS - 3, STEAL_BITS, STEALING, u32::MAX - 2, u32::MAX] {
            for used in [0, 1, CAP / 2, CAP] {
                let tail = steal.wrapping_add(used);
                let head = stealing(steal, steal.wrapping_add(used / 2));
                assert!(is_stealing(head));
                assert_eq!(first_busy(head, tail), steal, "steal {steal:#x} used {used}");
                assert_eq!(real(head), steal.wrapping_add(used / 2));
                assert_eq!(first_busy(idle(steal), tail), steal);
                assert!(!is_stealing(idle(steal)));
            }
        }
        // The owner's pop: a carry out of `real` falls off the top, the mark stays.
        let h = stealing(7, u32::MAX).wrapping_add(ONE_REAL);
        assert_eq!((real(h), is_stealing(h)), (0, true));
        assert_eq!(real(h & END_STEAL), 0);
        assert!(!is_stealing(h & END_STEAL));
    }
}
