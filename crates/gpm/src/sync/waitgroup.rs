//! `WaitGroup`: Go's `sync.WaitGroup`. One 64-bit word holds the counter (high half) and
//! the number of waiters (low half), so `add` can tell atomically whether it brought the
//! counter to zero with waiters to release.

use super::sema::Sema;
use crate::shim::{AtomicU64, Ordering, WaitReason, preempt_point};
use std::fmt;
use std::sync::Arc;

/// Waits for a collection of goroutines (or threads) to finish: `add` the count, each one
/// calls `done`, and `wait` parks until the count is zero. `Clone` shares the group.
///
/// ```
/// use gpm::sync::WaitGroup;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// let rt = gpm::Runtime::single_thread()?;
/// let sum = rt.block_on(|| {
///     let wg = WaitGroup::new();
///     let sum = Arc::new(AtomicU32::new(0));
///     for i in 1..=10 {
///         wg.add(1); // before the goroutine starts, as in Go
///         let (wg, sum) = (wg.clone(), sum.clone());
///         gpm::go(move || {
///             sum.fetch_add(i, Ordering::Relaxed);
///             wg.done();
///         });
///     }
///     wg.wait();
///     sum.load(Ordering::Relaxed)
/// });
/// assert_eq!(sum, 55);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

struct Inner {
    /// Counter in the high 32 bits (signed), waiters in the low 32. SeqCst as Go: `add`'s
    /// decision depends on reading both halves in one order with `wait`'s increment.
    state: AtomicU64,
    sema: Sema,
}

impl WaitGroup {
    /// A group with a zero counter: a [`wait`](Self::wait) returns at once.
    ///
    /// ```
    /// let wg = gpm::sync::WaitGroup::new();
    /// assert_eq!(wg.count(), 0);
    /// wg.wait();
    /// ```
    pub fn new() -> Self {
        Self { inner: Arc::new(Inner { state: AtomicU64::new(0), sema: Sema::new(0) }) }
    }

    /// Adds `delta` (may be negative) to the counter; at zero, releases every waiter.
    ///
    /// # Panics
    /// `sync: negative WaitGroup counter` if the counter goes below zero, as Go; also if
    /// `delta` does not fit the 32-bit counter, or on Go's misuse checks (`add` racing
    /// `wait` while the counter is zero).
    ///
    /// ```
    /// let wg = gpm::sync::WaitGroup::new();
    /// wg.add(3);
    /// wg.add(-2);
    /// assert_eq!(wg.count(), 1);
    /// wg.done();
    /// wg.wait(); // zero: returns at once
    /// ```
    pub fn add(&self, delta: isize) {
        let delta = i32::try_from(delta).expect("sync: WaitGroup delta out of range");
        let inc = (i64::from(delta) << 32) as u64;
        let state = self.inner.state.fetch_add(inc, Ordering::SeqCst).wrapping_add(inc);
        let v = (state >> 32) as i32;
        let w = state as u32;
        assert!(v >= 0, "sync: negative WaitGroup counter");
        assert!(
            !(w != 0 && delta > 0 && v == delta),
            "sync: WaitGroup misuse: Add called concurrently with Wait"
        );
        if v > 0 || w == 0 {
            return;
        }
        // Counter is zero with waiters: nobody may touch the state now but us.
        assert!(
            self.inner.state.load(Ordering::SeqCst) == state,
            "sync: WaitGroup misuse: Add called concurrently with Wait"
        );
        self.inner.state.store(0, Ordering::SeqCst);
        for _ in 0..w {
            self.inner.sema.release(false);
        }
    }

    /// Decrements the counter (`add(-1)`).
    ///
    /// ```
    /// let wg = gpm::sync::WaitGroup::new();
    /// wg.add(1);
    /// let w = wg.clone();
    /// std::thread::spawn(move || w.done()); // a plain thread may take part too
    /// wg.wait();
    /// assert_eq!(wg.count(), 0);
    /// ```
    pub fn done(&self) {
        self.add(-1);
    }

    /// Parks until the counter is zero (blocks, on a plain thread). Every waiter is
    /// released when it gets there.
    ///
    /// ```
    /// use gpm::sync::WaitGroup;
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let (start, done) = (WaitGroup::new(), WaitGroup::new());
    ///     start.add(1);
    ///     for _ in 0..3 {
    ///         done.add(1);
    ///         let (start, done) = (start.clone(), done.clone());
    ///         gpm::go(move || {
    ///             start.wait(); // three waiters, released together
    ///             done.done();
    ///         });
    ///     }
    ///     gpm::yield_now();
    ///     start.done();
    ///     done.wait();
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn wait(&self) {
        preempt_point(); // a scheduling point even when there is nothing to wait for
        let mut state = self.inner.state.load(Ordering::SeqCst);
        loop {
            if (state >> 32) as i32 == 0 {
                return;
            }
            match self.inner.state.compare_exchange(
                state,
                state + 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => {
                    let counted = Counted(&self.inner);
                    self.inner.sema.acquire(false, WaitReason::SyncWaitGroupWait);
                    std::mem::forget(counted);
                    assert!(
                        self.inner.state.load(Ordering::SeqCst) == 0,
                        "sync: WaitGroup is reused before previous Wait has returned"
                    );
                    return;
                }
                Err(now) => state = now,
            }
        }
    }

    /// The counter now (a snapshot, for diagnostics).
    ///
    /// ```
    /// let wg = gpm::sync::WaitGroup::new();
    /// wg.add(2);
    /// assert_eq!(wg.count(), 2);
    /// ```
    pub fn count(&self) -> isize {
        (self.inner.state.load(Ordering::SeqCst) >> 32) as i32 as isize
    }
}

/// A waiter counted in the state word; dropped only when unwinding out of its park (a
/// cancelled goroutine). While the counter is above zero it leaves the waiter count; once
/// it is zero, the `add` that brought it there is releasing one count per waiter, so it
/// takes one (the `add` releases without parking: the wait is short), and the next waiter
/// finds none of this round's left over.
struct Counted<'a>(&'a Inner);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        let inner = self.0;
        let mut state = inner.state.load(Ordering::SeqCst);
        while (state >> 32) as i32 > 0 && state as u32 > 0 {
            match inner.state.compare_exchange(state, state - 1, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return,
                Err(now) => state = now,
            }
        }
        while !inner.sema.try_acquire() {
            std::thread::yield_now();
        }
    }
}

impl Default for WaitGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup").field("count", &self.count()).finish()
    }
}
