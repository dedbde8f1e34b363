//! `Semaphore`: a counting semaphore whose permits are released on drop, on the runtime's
//! semaphore (`sema.rs`; Go's `semacquire`/`semrelease`), FIFO among waiters.
//!
//! `acquire_many(n)` takes the `n` permits one at a time, holding a second, binary
//! semaphore (the "lane") meanwhile: two multi-acquirers that each took part of what they
//! need would otherwise wait for each other forever. Single acquirers do not take the lane.
//! A multi-acquirer cancelled (`JoinHandle::abort`) while waiting gives back the permits it
//! took, and the lane.

use super::sema::Sema;
use crate::shim::{WaitReason, preempt_point};
use std::fmt;
use std::sync::Arc;

/// A counting semaphore: at most `n` permits out at once; `acquire` parks while none is
/// left.
///
/// ```
/// use gpm::sync::Semaphore;
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let sem = Semaphore::new(2);
///     let a = sem.acquire();
///     let _b = sem.acquire();
///     assert!(sem.try_acquire().is_none());
///     drop(a);
///     assert!(sem.try_acquire().is_some());
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Semaphore {
    sema: Sema,
    /// Held by a multi-acquirer while it gathers its permits (module docs).
    lane: Sema,
}

/// Permits of a [`Semaphore`] (one, or `n` from `acquire_many`); dropping it gives them
/// back.
///
/// ```
/// let sem = gpm::sync::Semaphore::new(1);
/// let permit = sem.acquire();
/// assert_eq!(permit.num_permits(), 1);
/// ```
#[must_use = "the permit is released as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    n: u32,
}

/// Permits of a [`Semaphore`] held through an `Arc`, so they can move into a goroutine
/// ([`Semaphore::acquire_owned`]); dropping it gives them back.
///
/// ```
/// use std::sync::Arc;
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let sem = Arc::new(gpm::sync::Semaphore::new(1));
///     let permit = sem.clone().acquire_owned();
///     gpm::go(move || drop(permit)).join().unwrap(); // released in the goroutine
///     assert_eq!(sem.available_permits(), 1);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "the permit is released as soon as it is dropped"]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    n: u32,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    /// If `permits` exceeds `u32::MAX`.
    ///
    /// ```
    /// assert_eq!(gpm::sync::Semaphore::new(3).available_permits(), 3);
    /// ```
    pub fn new(permits: usize) -> Self {
        let permits = u32::try_from(permits).expect("Semaphore::new: too many permits");
        Self { sema: Sema::new(permits), lane: Sema::new(1) }
    }

    /// Takes a permit, parking (or blocking the thread) until one is free.
    ///
    /// ```
    /// let sem = gpm::sync::Semaphore::new(1);
    /// let _p = sem.acquire();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    #[track_caller]
    pub fn acquire(&self) -> SemaphorePermit<'_> {
        preempt_point(); // a scheduling point even when a permit is free
        self.sema.acquire(false, WaitReason::SemAcquire);
        SemaphorePermit { sem: self, n: 1 }
    }

    /// Takes a permit if one is free now.
    ///
    /// ```
    /// let sem = gpm::sync::Semaphore::new(0);
    /// assert!(sem.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        // `then`, not `then_some`: a permit built eagerly would be dropped on failure,
        // releasing a permit never taken.
        self.sema.try_acquire().then(|| SemaphorePermit { sem: self, n: 1 })
    }

    /// Takes `n` permits, waiting until all are held; `n = 0` returns at once. Waits
    /// forever if the semaphore never has `n` permits. Two callers each waiting for many
    /// permits cannot deadlock by each holding part of what the other needs: one gathers
    /// its permits at a time. A caller cancelled while it waits gives back those it took.
    ///
    /// # Panics
    /// If `n` exceeds `u32::MAX`.
    ///
    /// ```
    /// let sem = gpm::sync::Semaphore::new(5);
    /// let p = sem.acquire_many(3);
    /// assert_eq!((p.num_permits(), sem.available_permits()), (3, 2));
    /// ```
    pub fn acquire_many(&self, n: usize) -> SemaphorePermit<'_> {
        let n = self.take_many(n);
        SemaphorePermit { sem: self, n }
    }

    /// Takes `n` permits if that many are free now.
    ///
    /// ```
    /// let sem = gpm::sync::Semaphore::new(2);
    /// assert!(sem.try_acquire_many(3).is_none());
    /// assert!(sem.try_acquire_many(2).is_some());
    /// ```
    pub fn try_acquire_many(&self, n: usize) -> Option<SemaphorePermit<'_>> {
        let n = u32::try_from(n).ok()?;
        self.sema.try_acquire_n(n).then(|| SemaphorePermit { sem: self, n })
    }

    /// As [`acquire`](Semaphore::acquire), with a permit that owns an `Arc` of the
    /// semaphore, so it can move into a goroutine (tokio's `acquire_owned`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let sem = Arc::new(gpm::sync::Semaphore::new(2));
    ///     let hs: Vec<_> = (0..6)
    ///         .map(|i| {
    ///             let permit = sem.clone().acquire_owned(); // at most 2 goroutines at once
    ///             gpm::go(move || {
    ///                 let _permit = permit;
    ///                 i
    ///             })
    ///         })
    ///         .collect();
    ///     assert_eq!(hs.into_iter().map(|h| h.join().unwrap()).sum::<i32>(), 15);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn acquire_owned(self: Arc<Self>) -> OwnedSemaphorePermit {
        preempt_point();
        self.sema.acquire(false, WaitReason::SemAcquire);
        OwnedSemaphorePermit { sem: self, n: 1 }
    }

    /// As [`acquire_many`](Semaphore::acquire_many), owning an `Arc` of the semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(gpm::sync::Semaphore::new(4));
    /// let p = sem.clone().acquire_many_owned(4);
    /// assert_eq!(sem.available_permits(), 0);
    /// drop(p);
    /// assert_eq!(sem.available_permits(), 4);
    /// ```
    pub fn acquire_many_owned(self: Arc<Self>, n: usize) -> OwnedSemaphorePermit {
        let n = self.take_many(n);
        OwnedSemaphorePermit { sem: self, n }
    }

    /// As [`try_acquire`](Semaphore::try_acquire), owning an `Arc` of the semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(gpm::sync::Semaphore::new(1));
    /// let p = sem.clone().try_acquire_owned().unwrap();
    /// assert!(sem.clone().try_acquire_owned().is_none());
    /// drop(p);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Option<OwnedSemaphorePermit> {
        self.sema.try_acquire().then(|| OwnedSemaphorePermit { sem: self, n: 1 })
    }

    /// Permits free now (a snapshot).
    ///
    /// ```
    /// let sem = gpm::sync::Semaphore::new(2);
    /// let _p = sem.acquire();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.sema.count() as usize
    }

    /// Adds one permit (without a matching acquire).
    ///
    /// ```
    /// let sem = gpm::sync::Semaphore::new(0);
    /// sem.add_permit();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn add_permit(&self) {
        self.sema.release(false);
    }

    /// Adds `n` permits (without matching acquires).
    ///
    /// ```
    /// let sem = gpm::sync::Semaphore::new(0);
    /// sem.add_permits(3);
    /// assert_eq!(sem.available_permits(), 3);
    /// ```
    pub fn add_permits(&self, n: usize) {
        (0..n).for_each(|_| self.sema.release(false));
    }

    /// Takes `n` permits (module docs), returning `n` as the permit's count.
    fn take_many(&self, n: usize) -> u32 {
        let n = u32::try_from(n)
            .unwrap_or_else(|_| panic!("Semaphore::acquire_many: {n} permits is over u32::MAX"));
        preempt_point();
        if n == 0 || self.sema.try_acquire_n(n) {
            return n;
        }
        self.lane.acquire(false, WaitReason::SemAcquire);
        let mut taken = Taken { sem: self, n: 0 };
        while taken.n < n {
            self.sema.acquire(false, WaitReason::SemAcquire);
            taken.n += 1;
        }
        std::mem::forget(taken);
        self.lane.release(false);
        n
    }

    fn release_n(&self, n: u32) {
        (0..n).for_each(|_| self.sema.release(false));
    }
}

/// The permits a multi-acquirer holds so far, and the lane; dropped only when it is
/// cancelled mid-way (module docs).
struct Taken<'a> {
    sem: &'a Semaphore,
    n: u32,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        self.sem.release_n(self.n);
        self.sem.lane.release(false);
    }
}

impl SemaphorePermit<'_> {
    /// Keeps the permits taken for good (the semaphore has that many fewer).
    ///
    /// ```
    /// let sem = gpm::sync::Semaphore::new(1);
    /// sem.acquire().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget(self) {
        std::mem::forget(self);
    }

    /// How many permits this holds.
    ///
    /// ```
    /// let sem = gpm::sync::Semaphore::new(2);
    /// assert_eq!(sem.acquire_many(2).num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.n as usize
    }
}

impl OwnedSemaphorePermit {
    /// Keeps the permits taken for good (the semaphore has that many fewer).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(gpm::sync::Semaphore::new(1));
    /// sem.clone().acquire_owned().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget(self) {
        let mut this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again; only the `Arc` is dropped here.
        unsafe { std::ptr::drop_in_place(&mut this.sem) };
    }

    /// How many permits this holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(gpm::sync::Semaphore::new(3));
    /// assert_eq!(sem.clone().acquire_many_owned(3).num_permits(), 3);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.n as usize
    }

    /// The semaphore the permits belong to.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(gpm::sync::Semaphore::new(1));
    /// let p = sem.clone().acquire_owned();
    /// assert!(Arc::ptr_eq(p.semaphore(), &sem));
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.release_n(self.n);
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.release_n(self.n);
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore").field("available_permits", &self.available_permits()).finish()
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").field("permits", &self.n).finish()
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit").field("permits", &self.n).finish()
    }
}
