//! `Mutex<T>`: Go's `sync.Mutex` (normal and starvation modes) around a value, in std's
//! shape without poisoning.
//!
//! The state word packs `LOCKED`, `WOKEN` (a woken waiter is on its way: unlock need not
//! wake another), `STARVING` and the waiter count. Uncontended lock and unlock are one
//! atomic each. In normal mode a woken waiter competes with newcomers (which have the CPU
//! and usually win: good throughput); a waiter that has waited over 1 ms switches the mutex
//! to starvation mode, where unlock hands ownership straight to the first waiter and
//! newcomers queue behind it, so no waiter starves. Starvation mode ends when the waiter
//! that gets the lock is the last one or waited under 1 ms.
//!
//! A waiter cancelled in its park (`JoinHandle::abort`, a runtime drop) leaves through
//! `Sema`'s unqueueing, then gives back its place in the waiter count (`forget_waiter`).
//! The count is the waiters minus the wake-ups in flight (each normal-mode wake takes one
//! off and sets `WOKEN`); one leaving takes one off if any is left. If none is, a wake-up
//! meant for it is in flight: it stays, with its `WOKEN`, for the next waiter, which takes
//! it as a spurious wake-up and queues again. So the count never falls below the waiters
//! (an unlock always wakes one when there is one); it may count one too many, which costs
//! one spurious wake-up later. `WOKEN` and the wake-ups still pair one to one, as in Go.

use super::sema::Sema;
use crate::shim::{AtomicI32, Ordering, WaitReason, multicore, preempt_point};
use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

const LOCKED: i32 = 1;
const WOKEN: i32 = 2;
const STARVING: i32 = 4;
const WAITER_SHIFT: u32 = 3;
const STARVATION_THRESHOLD: Duration = Duration::from_millis(1);

/// The lock without data (Go's `sync.Mutex`); also the writer lock inside `RwLock`.
pub(crate) struct RawMutex {
    state: AtomicI32,
    sema: Sema,
}

impl RawMutex {
    pub(crate) fn new() -> Self {
        Self { state: AtomicI32::new(0), sema: Sema::new(0) }
    }

    #[inline]
    #[track_caller]
    pub(crate) fn lock(&self) {
        // Acquire; pairs with the Release in `unlock`.
        if self.state.compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.lock_slow();
        }
    }

    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        let old = self.state.load(Ordering::Relaxed);
        old & (LOCKED | STARVING) == 0
            && self
                .state
                .compare_exchange(old, old | LOCKED, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    #[inline]
    pub(crate) fn unlock(&self) {
        // Release; pairs with the Acquire of the next locker.
        let new = self.state.fetch_sub(LOCKED, Ordering::Release) - LOCKED;
        if new != 0 {
            self.unlock_slow(new);
        }
    }

    /// Go's `lockSlow`: spin briefly while the holder runs, else queue on the semaphore.
    #[cold]
    #[track_caller]
    fn lock_slow(&self) {
        let mut wait_start: Option<Instant> = None;
        let mut starving = false;
        let mut awoke = false;
        let mut iter = 0;
        let mut old = self.state.load(Ordering::Relaxed);
        loop {
            // Spin only in normal mode while locked: in starvation mode ownership is handed
            // off, so spinning cannot win it.
            if old & (LOCKED | STARVING) == LOCKED && can_spin(iter) {
                // Set WOKEN so unlock does not wake another waiter while we spin.
                if !awoke
                    && old & WOKEN == 0
                    && old >> WAITER_SHIFT != 0
                    && self
                        .state
                        .compare_exchange(old, old | WOKEN, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    awoke = true;
                }
                (0..30).for_each(|_| std::hint::spin_loop());
                iter += 1;
                old = self.state.load(Ordering::Relaxed);
                continue;
            }
            let mut new = old;
            if old & STARVING == 0 {
                new |= LOCKED; // don't try to take a starving mutex: queue instead
            }
            if old & (LOCKED | STARVING) != 0 {
                new += 1 << WAITER_SHIFT;
            }
            if starving && old & LOCKED != 0 {
                new |= STARVING;
            }
            if awoke {
                assert!(new & WOKEN != 0, "sync: inconsistent mutex state");
                new &= !WOKEN;
            }
            // AcqRel: Acquire when this CAS takes the lock; Release keeps the waiter count
            // update ordered for the unlocker that reads it.
            if self.state.compare_exchange(old, new, Ordering::AcqRel, Ordering::Relaxed).is_err() {
                old = self.state.load(Ordering::Relaxed);
                continue;
            }
            if old & (LOCKED | STARVING) == 0 {
                return; // locked with the CAS
            }
            let queue_lifo = wait_start.is_some();
            let start = *wait_start.get_or_insert_with(Instant::now);
            let queued = Counted(self);
            self.sema.acquire(queue_lifo, WaitReason::SyncMutexLock);
            std::mem::forget(queued);
            starving = starving || start.elapsed() > STARVATION_THRESHOLD;
            old = self.state.load(Ordering::Relaxed);
            if old & STARVING != 0 {
                // Handed off to us: the mutex is not LOCKED but it is ours.
                assert!(
                    old & (LOCKED | WOKEN) == 0 && old >> WAITER_SHIFT != 0,
                    "sync: inconsistent mutex state"
                );
                let mut delta = LOCKED - (1 << WAITER_SHIFT);
                if !starving || old >> WAITER_SHIFT == 1 {
                    delta -= STARVING; // leave starvation mode
                }
                // Acquire; pairs with the Release in `unlock`.
                self.state.fetch_add(delta, Ordering::Acquire);
                return;
            }
            awoke = true;
            iter = 0;
        }
    }

    /// A waiter cancelled in its park leaves the waiter count (module docs).
    #[cold]
    fn forget_waiter(&self) {
        let mut old = self.state.load(Ordering::Relaxed);
        while old >> WAITER_SHIFT != 0 {
            let new = old - (1 << WAITER_SHIFT);
            match self.state.compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(now) => old = now,
            }
        }
    }

    /// Go's `unlockSlow`.
    #[cold]
    fn unlock_slow(&self, new: i32) {
        assert!((new + LOCKED) & LOCKED != 0, "sync: unlock of unlocked mutex");
        if new & STARVING != 0 {
            // Hand ownership to the first waiter; newcomers see STARVING and queue.
            self.sema.release(true);
            return;
        }
        let mut old = new;
        loop {
            // Nobody to wake, or someone already woken / holding the lock / starving.
            if old >> WAITER_SHIFT == 0 || old & (LOCKED | WOKEN | STARVING) != 0 {
                return;
            }
            let new = (old - (1 << WAITER_SHIFT)) | WOKEN;
            if self.state.compare_exchange(old, new, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
                self.sema.release(false);
                return;
            }
            old = self.state.load(Ordering::Relaxed);
        }
    }
}

/// A waiter counted in the state word; dropped only when unwinding out of its park (a
/// cancelled goroutine): leaves the count.
struct Counted<'a>(&'a RawMutex);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.forget_waiter();
    }
}

/// Go's `sync_runtime_canSpin`, simplified: a few rounds, and only with another CPU to run
/// the holder.
fn can_spin(iter: u32) -> bool {
    iter < 4 && multicore()
}

/// A mutual-exclusion lock protecting a `T` (Go's `sync.Mutex`, std's shape without
/// poisoning). Blocking parks a goroutine or blocks a thread; a waiter blocked for over a
/// millisecond gets the lock handed to it directly.
///
/// The guard is not tied to a thread: a goroutine holding it may move to another thread
/// (where a `std::sync::MutexGuard` held across a park breaks the migration contract).
/// No poisoning: a panic while the lock is held unlocks it, and the next holder sees the
/// value as the panicking one left it.
///
/// ```
/// use gpm::sync::Mutex;
/// use std::sync::Arc;
///
/// let rt = gpm::Runtime::single_thread()?;
/// let log = rt.block_on(|| {
///     let log = Arc::new(Mutex::new(Vec::new()));
///     let hs: Vec<_> = (0..3)
///         .map(|i| {
///             let log = log.clone();
///             gpm::go(move || {
///                 let mut entries = log.lock();
///                 entries.push(i);
///                 gpm::yield_now(); // others run, and wait for the lock
///                 entries.push(i);
///             })
///         })
///         .collect();
///     hs.into_iter().for_each(|h| h.join().unwrap());
///     Arc::try_unwrap(log).unwrap().into_inner()
/// });
/// assert_eq!(log.len(), 6);
/// assert!(log.chunks(2).all(|pair| pair[0] == pair[1])); // never interleaved
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Mutex<T: ?Sized> {
    raw: RawMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex hands out `&mut T` to one holder at a time, on any thread: `T: Send`
// suffices for both, as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Access to a locked [`Mutex`] (from [`lock`](Mutex::lock) or
/// [`try_lock`](Mutex::try_lock)); unlocks on drop. `Send`: it may be dropped on another
/// thread.
///
/// ```
/// let m = gpm::sync::Mutex::new(String::from("a"));
/// let mut guard = m.lock();
/// guard.push('b'); // DerefMut
/// assert!(m.try_lock().is_none());
/// drop(guard); // unlocks
/// assert_eq!(*m.lock(), "ab");
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    pub(crate) mutex: &'a Mutex<T>,
    /// Opts out of the auto traits; the right ones are implemented below.
    _marker: PhantomData<*const ()>,
}

// SAFETY: moving the guard moves the `&mut T` access to another thread: `T: Send`. The lock
// itself is not thread-affine (unlock from any thread is fine).
unsafe impl<T: ?Sized + Send> Send for MutexGuard<'_, T> {}
// SAFETY: sharing the guard shares `&T`: `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    ///
    /// ```
    /// let m = gpm::sync::Mutex::new(5);
    /// assert_eq!(*m.lock(), 5);
    /// ```
    pub fn new(value: T) -> Self {
        Self { raw: RawMutex::new(), data: UnsafeCell::new(value) }
    }

    /// The protected value.
    ///
    /// ```
    /// let m = gpm::sync::Mutex::new(vec![1]);
    /// m.lock().push(2);
    /// assert_eq!(m.into_inner(), [1, 2]);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks, parking the goroutine (or blocking the plain thread) until the lock is
    /// available. A scheduling point. Not reentrant: locking again in the holder waits
    /// forever.
    ///
    /// ```
    /// use gpm::sync::Mutex;
    /// use std::sync::Arc;
    /// let rt = gpm::Runtime::single_thread()?;
    /// let n = rt.block_on(|| {
    ///     let n = Arc::new(Mutex::new(0));
    ///     let hs: Vec<_> = (0..100)
    ///         .map(|_| {
    ///             let n = n.clone();
    ///             gpm::go(move || *n.lock() += 1)
    ///         })
    ///         .collect();
    ///     hs.into_iter().for_each(|h| h.join().unwrap());
    ///     let v = *n.lock();
    ///     v
    /// });
    /// assert_eq!(n, 100);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        // A scheduling point before taking the lock (never while holding it).
        preempt_point();
        self.raw.lock();
        MutexGuard { mutex: self, _marker: PhantomData }
    }

    /// Locks if that is possible without waiting.
    ///
    /// ```
    /// let m = gpm::sync::Mutex::new(0);
    /// let held = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_none()); // held
    /// drop(held);
    /// assert!(m.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.raw.try_lock().then(|| MutexGuard { mutex: self, _marker: PhantomData })
    }

    /// The protected value, through a unique borrow (no locking needed).
    ///
    /// ```
    /// let mut m = gpm::sync::Mutex::new(1);
    /// *m.get_mut() += 1;
    /// assert_eq!(*m.lock(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// The lock itself (for `Condvar`).
    pub(crate) fn raw(&self) -> &RawMutex {
        &self.raw
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves the lock is held: no `&mut T` exists elsewhere.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard proves the lock is held and `&mut self` makes this access unique.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.raw.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Builds a guard for a mutex whose raw lock the caller has just taken.
    pub(crate) fn relocked(mutex: &'a Mutex<T>) -> Self {
        MutexGuard { mutex, _marker: PhantomData }
    }
}
