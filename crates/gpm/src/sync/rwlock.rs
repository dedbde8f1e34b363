//! `RwLock<T>`: Go's `sync.RWMutex` around a value, in std's shape without poisoning.
//!
//! `reader_count` counts active and waiting readers; a writer (holding the inner
//! `RawMutex`, so writers queue among themselves) subtracts `MAX_READERS`, which makes the
//! count negative: readers arriving later see that and queue on `reader_sem` — so a stream
//! of new readers cannot starve a writer. The writer then waits on `writer_sem` for the
//! `reader_wait` readers that were already inside; the last of them wakes it. Unlocking the
//! write side adds `MAX_READERS` back and releases every reader that queued meanwhile.
//! The counters are used together (one's value decides the other's update), so every
//! access is SeqCst, as in Go.
//!
//! Cancellation (`JoinHandle::abort`) waits for these two waits to end: a reader counted
//! in `reader_count`, or a writer that announced itself, cannot take that back without
//! another party's count going wrong (a writer would wait for a reader that never unlocks).
//! The writers' queue on the inner `RawMutex` is cancelled at once.

use super::mutex::RawMutex;
use super::sema::Sema;
use crate::shim::{AtomicI32, CancelShield, Ordering, WaitReason, preempt_point};
use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

const MAX_READERS: i32 = 1 << 30;

/// A reader–writer lock protecting a `T` (Go's `sync.RWMutex`): many readers or one writer;
/// a waiting writer blocks new readers, so readers cannot starve it. As in Go, a reader
/// must not take the read lock again while it holds it: a writer arriving in between would
/// deadlock both. No poisoning, as [`Mutex`](super::Mutex).
///
/// A goroutine cancelled ([`JoinHandle::abort`](crate::JoinHandle::abort)) while it waits
/// in `read` or `write` is unwound only once its wait is over: a wait here cannot be
/// taken back without breaking the count of the other waiters.
///
/// ```
/// use gpm::sync::RwLock;
/// use std::sync::Arc;
///
/// let rt = gpm::Runtime::single_thread()?;
/// let seen = rt.block_on(|| {
///     let config = Arc::new(RwLock::new(String::from("v1")));
///     let readers: Vec<_> = (0..3)
///         .map(|_| {
///             let config = config.clone();
///             gpm::go(move || config.read().clone())
///         })
///         .collect();
///     let seen: Vec<String> = readers.into_iter().map(|h| h.join().unwrap()).collect();
///     *config.write() = String::from("v2");
///     assert_eq!(*config.read(), "v2");
///     seen
/// });
/// assert_eq!(seen, ["v1", "v1", "v1"]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct RwLock<T: ?Sized> {
    w: RawMutex,
    writer_sem: Sema,
    reader_sem: Sema,
    reader_count: AtomicI32,
    reader_wait: AtomicI32,
    data: UnsafeCell<T>,
}

// SAFETY: as `std::sync::RwLock`: the value moves with the lock (`Send`), and shared access
// hands `&T` to many threads at once (`Sync`) or `&mut T` to one (`Send`).
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

/// Shared access to a read-locked [`RwLock`] (from [`read`](RwLock::read) or
/// [`try_read`](RwLock::try_read)); unlocks on drop.
///
/// ```
/// let lock = gpm::sync::RwLock::new(1);
/// let (a, b) = (lock.read(), lock.read()); // readers share
/// assert_eq!(*a + *b, 2);
/// assert!(lock.try_write().is_none());
/// drop((a, b));
/// assert!(lock.try_write().is_some());
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    _marker: PhantomData<*const ()>,
}

/// Exclusive access to a write-locked [`RwLock`] (from [`write`](RwLock::write) or
/// [`try_write`](RwLock::try_write)); unlocks on drop.
///
/// ```
/// let lock = gpm::sync::RwLock::new(vec![1]);
/// let mut w = lock.write();
/// w.push(2); // DerefMut
/// assert!(lock.try_read().is_none());
/// drop(w);
/// assert_eq!(*lock.read(), [1, 2]);
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    _marker: PhantomData<*const ()>,
}

// SAFETY: a read guard gives `&T`; moving or sharing it shares `&T` across threads.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: a write guard gives `&mut T` (moving it moves that access: `Send`), and sharing
// it gives `&T` (`Sync`). The lock is not thread-affine.
unsafe impl<T: ?Sized + Send> Send for RwLockWriteGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T> RwLock<T> {
    /// A new unlocked lock holding `value`.
    ///
    /// ```
    /// let lock = gpm::sync::RwLock::new("value");
    /// assert_eq!(*lock.read(), "value");
    /// ```
    pub fn new(value: T) -> Self {
        Self {
            w: RawMutex::new(),
            writer_sem: Sema::new(0),
            reader_sem: Sema::new(0),
            reader_count: AtomicI32::new(0),
            reader_wait: AtomicI32::new(0),
            data: UnsafeCell::new(value),
        }
    }

    /// The protected value.
    ///
    /// ```
    /// let lock = gpm::sync::RwLock::new(3);
    /// *lock.write() += 1;
    /// assert_eq!(lock.into_inner(), 4);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks for reading, parking while a writer holds or waits for the lock. A
    /// scheduling point.
    ///
    /// ```
    /// use gpm::sync::RwLock;
    /// use std::sync::Arc;
    /// let rt = gpm::Runtime::single_thread()?;
    /// let got = rt.block_on(|| {
    ///     let lock = Arc::new(RwLock::new(0));
    ///     let w = lock.write();
    ///     let l = lock.clone();
    ///     let reader = gpm::go(move || *l.read()); // parks: a writer holds the lock
    ///     gpm::yield_now();
    ///     drop(w);
    ///     reader.join().unwrap()
    /// });
    /// assert_eq!(got, 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        preempt_point(); // a scheduling point before taking the lock
        if self.reader_count.fetch_add(1, Ordering::SeqCst) + 1 < 0 {
            // A writer is pending: wait for it (not cut short by a cancellation: module docs).
            let _shield = CancelShield::new();
            self.reader_sem.acquire(false, WaitReason::SyncRwLockRead);
        }
        RwLockReadGuard { lock: self, _marker: PhantomData }
    }

    /// Locks for reading if no writer holds or waits for the lock.
    ///
    /// ```
    /// let lock = gpm::sync::RwLock::new(0);
    /// assert!(lock.try_read().is_some());
    /// let w = lock.write();
    /// assert!(lock.try_read().is_none());
    /// drop(w);
    /// ```
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        let mut c = self.reader_count.load(Ordering::SeqCst);
        loop {
            if c < 0 {
                return None;
            }
            match self.reader_count.compare_exchange_weak(
                c,
                c + 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return Some(RwLockReadGuard { lock: self, _marker: PhantomData }),
                Err(now) => c = now,
            }
        }
    }

    /// Locks for writing, parking until every reader and writer is gone. A scheduling
    /// point.
    ///
    /// ```
    /// use gpm::sync::RwLock;
    /// use std::sync::Arc;
    /// let rt = gpm::Runtime::single_thread()?;
    /// let total = rt.block_on(|| {
    ///     let lock = Arc::new(RwLock::new(0));
    ///     let hs: Vec<_> = (0..10)
    ///         .map(|_| {
    ///             let lock = lock.clone();
    ///             gpm::go(move || *lock.write() += 1)
    ///         })
    ///         .collect();
    ///     hs.into_iter().for_each(|h| h.join().unwrap());
    ///     let v = *lock.read();
    ///     v
    /// });
    /// assert_eq!(total, 10);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        preempt_point(); // a scheduling point before taking the lock
        self.w.lock();
        // Announce the writer; `r` readers were already inside.
        let r = self.reader_count.fetch_add(-MAX_READERS, Ordering::SeqCst);
        if r != 0 && self.reader_wait.fetch_add(r, Ordering::SeqCst) + r != 0 {
            let _shield = CancelShield::new(); // module docs
            self.writer_sem.acquire(false, WaitReason::SyncRwLockWrite);
        }
        RwLockWriteGuard { lock: self, _marker: PhantomData }
    }

    /// Locks for writing if nobody holds the lock.
    ///
    /// ```
    /// let lock = gpm::sync::RwLock::new(0);
    /// let r = lock.read();
    /// assert!(lock.try_write().is_none()); // a reader holds it
    /// drop(r);
    /// *lock.try_write().unwrap() = 1;
    /// assert_eq!(*lock.read(), 1);
    /// ```
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        if !self.w.try_lock() {
            return None;
        }
        if self
            .reader_count
            .compare_exchange(0, -MAX_READERS, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            self.w.unlock();
            return None;
        }
        Some(RwLockWriteGuard { lock: self, _marker: PhantomData })
    }

    /// The protected value, through a unique borrow (no locking needed).
    ///
    /// ```
    /// let mut lock = gpm::sync::RwLock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(*lock.read(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn read_unlock(&self) {
        let r = self.reader_count.fetch_sub(1, Ordering::SeqCst) - 1;
        if r < 0 {
            // A writer waits: the last reader it waits for wakes it.
            assert!(r + 1 != 0 && r + 1 != -MAX_READERS, "sync: RUnlock of unlocked RWMutex");
            if self.reader_wait.fetch_sub(1, Ordering::SeqCst) - 1 == 0 {
                self.writer_sem.release(false);
            }
        }
    }

    fn write_unlock(&self) {
        let r = self.reader_count.fetch_add(MAX_READERS, Ordering::SeqCst) + MAX_READERS;
        assert!(r < MAX_READERS, "sync: Unlock of unlocked RWMutex");
        for _ in 0..r {
            self.reader_sem.release(false);
        }
        self.w.unlock();
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read lock is held: no writer, so no `&mut T` exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the write lock is held: this guard is the only access.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the write lock is held and `&mut self` makes this access unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.read_unlock();
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.write_unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
