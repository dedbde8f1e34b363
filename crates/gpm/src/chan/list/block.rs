//! The list's storage: blocks of `BLOCK_CAP` slots linked by `next`, each slot's
//! `WRITE` / `READ` / `DESTROY` bits, and the short back-off for the few-instruction windows
//! of another party's step (the protocol over them is in `list/mod.rs`).

use std::mem::MaybeUninit;
#[cfg(gpm_loom)]
use std::ptr;

use super::{BLOCK_CAP, DESTROY, READ, WRITE};
use crate::shim::{AtomicPtr, AtomicUsize, Ordering, UnsafeCell};

/// One message slot of a block.
pub(super) struct Slot<T> {
    pub(super) msg: UnsafeCell<MaybeUninit<T>>,
    /// `WRITE`, `READ`, `DESTROY` bits.
    pub(super) state: AtomicUsize,
}

impl<T> Slot<T> {
    /// Spins until the sender that reserved this slot has written it.
    #[inline]
    pub(super) fn wait_write(&self) {
        let mut backoff = Backoff::new();
        // Acquire; pairs with the Release `fetch_or(WRITE)` in `write`: the message is visible.
        while self.state.load(Ordering::Acquire) & WRITE == 0 {
            backoff.snooze();
        }
    }
}

/// `BLOCK_CAP` slots and the link to the next block.
pub(super) struct Block<T> {
    pub(super) next: AtomicPtr<Block<T>>,
    pub(super) slots: [Slot<T>; BLOCK_CAP],
}

impl<T> Block<T> {
    /// A new empty block, on the heap (never on the stack: a block of large messages would
    /// not fit a goroutine's stack).
    #[cfg(not(gpm_loom))]
    pub(super) fn new() -> *mut Block<T> {
        let layout = std::alloc::Layout::new::<Block<T>>();
        // SAFETY: the layout is not zero-sized (the block has an `AtomicPtr`).
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        // All-zero is a valid empty block: a null `next`, state 0 and uninit messages.
        p.cast()
    }

    #[cfg(gpm_loom)]
    pub(super) fn new() -> *mut Block<T> {
        let slots = std::array::from_fn(|_| Slot {
            msg: UnsafeCell::new(MaybeUninit::uninit()),
            state: AtomicUsize::new(0),
        });
        Box::into_raw(Box::new(Block { next: AtomicPtr::new(ptr::null_mut()), slots }))
    }

    /// Spins until the next block is linked, and returns it.
    pub(super) fn wait_next(&self) -> *mut Block<T> {
        let mut backoff = Backoff::new();
        loop {
            // Acquire; pairs with the Release store of `next` in `start_send`.
            let next = self.next.load(Ordering::Acquire);
            if !next.is_null() {
                return next;
            }
            backoff.snooze();
        }
    }

    /// Marks slots `start..` as `DESTROY` and frees the block unless a reader is still in
    /// one of them (that reader then continues the destruction).
    ///
    /// # Safety
    /// `this` is a live block every slot of which before `start` has been read, and no
    /// other party will free it.
    pub(super) unsafe fn destroy(this: *mut Block<T>, start: usize) {
        // The last slot's reader started the destruction, so it is not marked.
        for i in start..BLOCK_CAP - 1 {
            // SAFETY: the block is alive (contract) and `i < BLOCK_CAP`.
            let slot = unsafe { &(*this).slots[i] };
            // AcqRel; pairs with the reader's `fetch_or(READ)`: exactly one side sees the
            // other's bit and so exactly one continues.
            if slot.state.load(Ordering::Acquire) & READ == 0
                && slot.state.fetch_or(DESTROY, Ordering::AcqRel) & READ == 0
            {
                return;
            }
        }
        // SAFETY: no reader is left in the block; it came from `Block::new`.
        unsafe { drop(Box::from_raw(this)) };
    }
}

/// Exponential spinning, then yielding the thread (crossbeam-utils' `Backoff`). Used only
/// for the few-instruction windows of another party's operation, never to wait for a
/// message (that parks).
pub(super) struct Backoff {
    step: u32,
}

impl Backoff {
    const SPIN_LIMIT: u32 = 6;
    const YIELD_LIMIT: u32 = 10;

    #[inline]
    pub(super) fn new() -> Self {
        Self { step: 0 }
    }

    /// Whether it has spun and yielded as long as it ever will (crossbeam's name).
    #[inline]
    pub(super) fn is_completed(&self) -> bool {
        self.step > Self::YIELD_LIMIT
    }

    #[inline]
    pub(super) fn spin(&mut self) {
        for _ in 0..1u32 << self.step.min(Self::SPIN_LIMIT) {
            std::hint::spin_loop();
        }
        self.step = (self.step + 1).min(Self::SPIN_LIMIT + 1);
    }

    #[inline]
    pub(super) fn snooze(&mut self) {
        // Under loom a wait must yield at each step, or the model explores the spin.
        if cfg!(gpm_loom) {
            #[cfg(gpm_loom)]
            loom::thread::yield_now();
            return;
        }
        if self.step <= Self::SPIN_LIMIT {
            for _ in 0..1u32 << self.step {
                std::hint::spin_loop();
            }
        } else {
            std::thread::yield_now();
        }
        self.step = (self.step + 1).min(Self::YIELD_LIMIT + 1);
    }
}
