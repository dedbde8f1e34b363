//! `Semaphore`: a counting semaphore whose permits are released on drop, on the runtime's
//! semaphore (`sema.rs`; Go's `semacquire`/`semrelease`), FIFO among waiters.

use super::sema::Sema;
use crate::shim::{WaitReason, preempt_point};
use std::fmt;

/// A counting semaphore: at most `n` permits out at once; `acquire` parks while none is
/// left.
pub struct Semaphore {
    sema: Sema,
}

/// One permit of a [`Semaphore`]; dropping it gives the permit back.
#[must_use = "the permit is released as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    /// If `permits` exceeds `u32::MAX`.
    pub fn new(permits: usize) -> Self {
        let permits = u32::try_from(permits).expect("Semaphore::new: too many permits");
        Self { sema: Sema::new(permits) }
    }

    /// Takes a permit, parking (or blocking the thread) until one is free.
    #[track_caller]
    pub fn acquire(&self) -> SemaphorePermit<'_> {
        preempt_point(); // a scheduling point even when a permit is free
        self.sema.acquire(false, WaitReason::SemAcquire);
        SemaphorePermit { sem: self }
    }

    /// Takes a permit if one is free now.
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.sema.try_acquire().then(|| SemaphorePermit { sem: self })
    }

    /// Permits free now (a snapshot).
    pub fn available_permits(&self) -> usize {
        self.sema.count() as usize
    }

    /// Adds one permit (without a matching acquire).
    pub fn add_permit(&self) {
        self.sema.release(false);
    }
}

impl SemaphorePermit<'_> {
    /// Keeps the permit taken for good (the semaphore has one fewer).
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.sema.release(false);
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore").field("available_permits", &self.available_permits()).finish()
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("SemaphorePermit { .. }")
    }
}
